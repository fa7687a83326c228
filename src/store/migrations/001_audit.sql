-- Incidents and their append-only timeline: the audit trail of everything Klaxon did.
CREATE TABLE IF NOT EXISTS incidents (
  id                text PRIMARY KEY,
  tenant            text NOT NULL,
  workflow_id       text NOT NULL,
  run_id            text NOT NULL,
  group_key         text NOT NULL,
  title             text NOT NULL,
  alertname         text NOT NULL DEFAULT '',
  service           text NOT NULL DEFAULT '',
  severity          text NOT NULL,
  declared_severity text NOT NULL,
  status            text NOT NULL CHECK (status IN ('firing', 'acknowledged', 'resolved')),
  labels            jsonb NOT NULL DEFAULT '{}',
  started_at        timestamptz NOT NULL,
  acknowledged_at   timestamptz,
  acknowledged_by   text,
  resolved_at       timestamptz,
  updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS incidents_tenant_status ON incidents (tenant, status, started_at DESC);
CREATE INDEX IF NOT EXISTS incidents_tenant_alertname ON incidents (tenant, alertname, started_at DESC);

CREATE TABLE IF NOT EXISTS incident_events (
  id          bigserial PRIMARY KEY,
  incident_id text NOT NULL REFERENCES incidents (id),
  tenant      text NOT NULL,
  -- Assigned by the workflow, so a retried activity writes the same (incident_id, seq) and is a no-op.
  seq         integer NOT NULL,
  at          timestamptz NOT NULL,
  kind        text NOT NULL,
  actor       text NOT NULL,
  details     jsonb NOT NULL DEFAULT '{}',
  recorded_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (incident_id, seq)
);
CREATE INDEX IF NOT EXISTS incident_events_tenant_at ON incident_events (tenant, at DESC);

-- Append-only: the audit trail is never rewritten.
CREATE OR REPLACE FUNCTION klaxon_events_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'incident_events is append-only';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS incident_events_no_change ON incident_events;
CREATE TRIGGER incident_events_no_change BEFORE UPDATE OR DELETE ON incident_events
  FOR EACH ROW EXECUTE FUNCTION klaxon_events_append_only();

-- One row per notification attempt key: the exactly-once ledger checked before every send.
CREATE TABLE IF NOT EXISTS notifications (
  idempotency_key text PRIMARY KEY,
  incident_id     text NOT NULL,
  tenant          text NOT NULL,
  receiver        text NOT NULL,
  kind            text NOT NULL,
  status          text NOT NULL CHECK (status IN ('sending', 'sent', 'failed')),
  attempts        integer NOT NULL DEFAULT 0,
  thread          jsonb,
  response        text,
  error           text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  sent_at         timestamptz
);
CREATE INDEX IF NOT EXISTS notifications_incident ON notifications (incident_id);
