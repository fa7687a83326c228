-- One-click links are single-use: a link's hash is written when it is used, and only once.
CREATE TABLE IF NOT EXISTS used_links (
  token_hash text PRIMARY KEY,
  incident_id text NOT NULL,
  used_at timestamptz NOT NULL DEFAULT now()
);
