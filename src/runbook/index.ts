// `klaxon/runbook`: what runbook files import (the bundler and the loader map the name here).
export { defineRunbook } from './define';
export type { Runbook, RunbookContext, RunbookIncident, RunbookMode, WaitForOptions, ApproveOptions, SilenceOptions } from './define';
export type { HttpStepResult, ExecResult } from './stepTypes';
