import { join } from 'node:path';

/** Repository root, so tools/, data/ and config/ resolve the same from src, tests and bench. */
export const projectRoot = join(__dirname, '..');
