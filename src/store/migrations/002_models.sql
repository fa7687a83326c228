-- Anomaly models: the registry of trained versions, the training snapshots they were built from,
-- every classification (feature vector + model version, so outcomes can become labels later) and
-- explicit feedback. Labels themselves are derived from incident_events + model_feedback at export.

CREATE TABLE IF NOT EXISTS model_versions (
  id              bigserial PRIMARY KEY,
  tenant          text NOT NULL,
  -- Per tenant, 1, 2, 3 … in creation order (what people and classifications refer to).
  version         integer NOT NULL,
  -- training → candidate → active → retired; or rejected (not better than active) / failed.
  status          text NOT NULL CHECK (status IN ('training', 'candidate', 'active', 'retired', 'rejected', 'failed')),
  feature_version integer NOT NULL,
  -- Training options (trees, epochs, seed, holdout fraction …), metrics (ROC AUC, noise-hold
  -- precision, of the active model on the same holdout too) and the data window (from, to, rows).
  params          jsonb NOT NULL DEFAULT '{}',
  metrics         jsonb NOT NULL DEFAULT '{}',
  data_window     jsonb NOT NULL DEFAULT '{}',
  -- Serialised weights (models/isolationForest.ts, models/autoencoder.ts toJSON).
  iforest         jsonb,
  autoencoder     jsonb,
  reason          text,
  workflow_id     text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  trained_at      timestamptz,
  promoted_at     timestamptz,
  retired_at      timestamptz,
  UNIQUE (tenant, version)
);
-- At most one active version per tenant: workers load it, promotion swaps it in one transaction.
CREATE UNIQUE INDEX IF NOT EXISTS model_versions_one_active ON model_versions (tenant) WHERE status = 'active';

-- The exported training window of one version (features as float32 rows, per-row facts as JSON;
-- `alt` the same rows in the other vector style, src/anomaly/dataset.ts). Deleted when the retrain
-- finishes; the registry row keeps the window's bounds and counts.
CREATE TABLE IF NOT EXISTS model_training_sets (
  model_id    bigint PRIMARY KEY REFERENCES model_versions (id) ON DELETE CASCADE,
  rows        integer NOT NULL,
  dim         integer NOT NULL,
  features    bytea NOT NULL,
  alt         bytea,
  meta        jsonb NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- One row per classification of an incident (its opening, and each later declared-severity change).
CREATE TABLE IF NOT EXISTS model_classifications (
  incident_id        text NOT NULL,
  tenant             text NOT NULL,
  declared_severity  text NOT NULL,
  classified_at      timestamptz NOT NULL,
  mode               text NOT NULL,
  model_id           bigint REFERENCES model_versions (id) ON DELETE SET NULL,
  model_version      integer,
  feature_version    integer NOT NULL,
  features           bytea NOT NULL,
  score              double precision,
  effective_severity text NOT NULL,
  hold               boolean NOT NULL DEFAULT false,
  -- What `enforce` would have done, recorded in every mode (for `klaxon model report`).
  enforce_severity   text NOT NULL,
  enforce_hold       boolean NOT NULL DEFAULT false,
  top_features       jsonb NOT NULL DEFAULT '[]',
  reason             text NOT NULL,
  alertname          text NOT NULL DEFAULT '',
  service            text NOT NULL DEFAULT '',
  -- A retried (local) activity rewrites the same row.
  PRIMARY KEY (incident_id, declared_severity)
);
CREATE INDEX IF NOT EXISTS model_classifications_tenant_at ON model_classifications (tenant, classified_at DESC);

-- Explicit feedback (POST /api/v1/incidents/:id/feedback); the latest per incident wins.
CREATE TABLE IF NOT EXISTS model_feedback (
  id          bigserial PRIMARY KEY,
  incident_id text NOT NULL REFERENCES incidents (id),
  tenant      text NOT NULL,
  label       text NOT NULL CHECK (label IN ('noise', 'actionable')),
  actor       text NOT NULL,
  note        text,
  at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS model_feedback_incident ON model_feedback (incident_id, at DESC);
CREATE INDEX IF NOT EXISTS model_feedback_tenant ON model_feedback (tenant, at DESC);
