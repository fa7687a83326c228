#!/usr/bin/env node
// Runs the TypeScript sources directly (tsx), so `npx klaxon` works from a clone with no build step.
require('tsx/cjs');
require('../src/cli/main.ts');
