-- Runbook runs (issue #9): one row per run, and the run's own timeline rows, which the incident's
-- timeline shows between its events (src/incident/timeline.ts).
CREATE TABLE IF NOT EXISTS runbook_runs (
  -- The run's workflow id: runbook/<incident>/<name>/<n>.
  run_id          text PRIMARY KEY,
  tenant          text NOT NULL,
  incident_id     text NOT NULL,
  runbook         text NOT NULL,
  mode            text NOT NULL,
  -- The runbook's concurrency labels' values: one unfinished run per runbook and key.
  concurrency_key text NOT NULL,
  requested_by    text NOT NULL,
  started_at      timestamptz NOT NULL DEFAULT now(),
  ended_at        timestamptz,
  outcome         text,
  detail          text
);
CREATE UNIQUE INDEX IF NOT EXISTS runbook_runs_one_at_a_time ON runbook_runs (tenant, runbook, concurrency_key) WHERE ended_at IS NULL;
-- Rate limit of automatic runs: recent runs of a runbook in a tenant.
CREATE INDEX IF NOT EXISTS runbook_runs_recent ON runbook_runs (tenant, runbook, started_at DESC);
CREATE INDEX IF NOT EXISTS runbook_runs_incident ON runbook_runs (incident_id);

CREATE TABLE IF NOT EXISTS runbook_events (
  run_id      text NOT NULL,
  -- Numbered by the run's workflow, so a retried write is the same row.
  seq         integer NOT NULL,
  incident_id text NOT NULL,
  tenant      text NOT NULL,
  at          timestamptz NOT NULL,
  kind        text NOT NULL,
  actor       text NOT NULL,
  details     jsonb NOT NULL DEFAULT '{}',
  PRIMARY KEY (run_id, seq)
);
CREATE INDEX IF NOT EXISTS runbook_events_incident ON runbook_events (incident_id, at);

-- Flapping: how many incidents an alert group opened lately (runbooks' minFiredInLastHour).
CREATE INDEX IF NOT EXISTS incidents_group_recent ON incidents (tenant, group_key, started_at DESC);
