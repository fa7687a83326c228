import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { RunbookIncident, RunbookMode } from '../src/runbook/define';

/** Starts one run of a runbook for an incident (a child workflow of the incident). */
export interface RunbookInput {
  runbook: string;
  mode: RunbookMode;
  incident: RunbookIncident;
  /** The incident's workflow id (its latest run hears of escalations and of the run's end). */
  incidentWorkflowId: string;
  /** Values given by the person who asked (manual runs); the rest come from labels and defaults. */
  params: Record<string, string>;
  /** Who started it: `klaxon` (auto/suggest) or a person. */
  requestedBy: string;
  /** The whole run's limit in ms. */
  timeoutMs: number;
}

export type RunbookOutcome = 'succeeded' | 'failed' | 'denied' | 'cancelled' | 'timed out';

export interface RunbookDecision {
  actor: string;
  approve: boolean;
  note?: string;
  /** The tenant user the answer is verified to come from (a personal link, a Slack user matched by id). */
  approver?: string;
  /** An admin's answer (the API): counts whoever the request names. */
  override?: boolean;
}

export interface RunbookView {
  runId: string;
  runbook: string;
  status: 'running' | 'awaiting approval' | RunbookOutcome;
  /** The pending approval's reason, while one is asked, and who may answer it (unset: anyone paged). */
  approval?: { reason: string; until: string; approvers?: string[] };
  step?: string;
}

/** Approve or deny the run's pending approval; refused when none is pending. */
export const runbookDecisionUpdate = defineUpdate<RunbookView, [RunbookDecision]>('runbookDecision');
export const runbookStateQuery = defineQuery<RunbookView>('runbookState');

/** From a run to its incident: escalate now (a runbook's `escalate` step, or an approval timeout). */
export const runbookEscalateSignal = defineSignal<[{ runId: string; reason: string }]>('runbookEscalate');
/** From a run to its incident: ask the people paged to approve (in their conversation, with a signed link). */
export const runbookApprovalSignal = defineSignal<[{ runId: string; runbook: string; reason: string; until: string; approvers?: string[] }]>('runbookApproval');
/** From a run to its incident: a message for the paged conversations (the runbook's `notify` step; `seq` numbers the run's notes). */
export const runbookNoteSignal = defineSignal<[{ runId: string; runbook: string; text: string; seq?: number }]>('runbookNote');
/** From a run to its incident: it ended (the incident's timeline and "resolved after runbook X"). */
export const runbookEndedSignal = defineSignal<[{ runId: string; runbook: string; outcome: RunbookOutcome; detail?: string }]>('runbookEnded');

export const RUNBOOK_WORKFLOW = 'runbookWorkflow';
/** Refusals of a runbook update carry this type; the API maps it to 409. */
export const RUNBOOK_CONFLICT = 'RunbookStateConflict';

export function runbookRunId(incidentId: string, runbook: string, n: number): string {
  return `runbook/${incidentId}/${runbook}/${n}`;
}
