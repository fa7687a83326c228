import { defineQuery, defineSignal } from '@temporalio/workflow';

/** How often a heartbeat must beat; sent at start and again when the config changes. */
export interface HeartbeatSettings {
  intervalMs: number;
  graceMs: number;
}

export interface HeartbeatInput {
  tenant: string;
  name: string;
  settings: HeartbeatSettings;
  /** Carried across continue-as-new. */
  carried?: { lastBeatAt?: string; missing: boolean; beats: number };
}

export interface HeartbeatView {
  tenant: string;
  name: string;
  settings: HeartbeatSettings;
  /** When the last beat arrived (the workflow's clock), and from where. */
  lastBeatAt?: string;
  lastSource?: string;
  beats: number;
  /** A beat was missed: its incident is open until the next beat. */
  missing: boolean;
  /** When the next beat is due at the latest (interval + grace after the last one). */
  dueBy?: string;
}

export const HEARTBEAT_WORKFLOW = 'heartbeatWorkflow';

/** A beat: `source` says where it came from (`http`, `webhook:<alertname>`). */
export const heartbeatBeatSignal = defineSignal<[{ source: string }]>('heartbeatBeat');
/** New settings from a config (re)load; the due time moves with them. */
export const heartbeatConfigureSignal = defineSignal<[HeartbeatSettings]>('heartbeatConfigure');
/** The heartbeat left the config: resolve what it opened and end. */
export const heartbeatRetireSignal = defineSignal('heartbeatRetire');
export const heartbeatStateQuery = defineQuery<HeartbeatView>('heartbeatState');

export function heartbeatWorkflowId(tenant: string, name: string): string {
  return `heartbeat/${tenant}/${name}`;
}
