import { join } from 'node:path';
import { projectRoot } from '../../src/paths';

/** The runbook folders of the test run: the shipped examples and the test runbooks. */
export const TEST_RUNBOOKS = [join(projectRoot, 'runbooks'), join(projectRoot, 'test/fixtures/runbooks')].join(':');
