// `npm run openapi`: rewrites openapi.json from the routes' zod schemas (test/unit/openapi.test.ts fails when it is stale).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openapiDocument, openapiText } from '../src/server/openapiDocument';

openapiDocument().then(
  (doc) => {
    const file = join(__dirname, '..', 'openapi.json');
    writeFileSync(file, openapiText(doc));
    process.stderr.write(`wrote ${file} (${Object.keys((doc.paths as object) ?? {}).length} paths)\n`);
  },
  (err: Error) => {
    process.stderr.write(`openapi: ${err.stack ?? err.message}\n`);
    process.exit(1);
  },
);
