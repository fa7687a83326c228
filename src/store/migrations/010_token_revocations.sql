-- Revoked API tokens (klaxon token revoke): one token by its id (jti), or every token of a user
-- issued up to a time. Read by every HTTP process (src/auth/revocations.ts); a row matters until
-- expires_at, when every token it can name has expired anyway.
CREATE TABLE IF NOT EXISTS token_revocations (
  id bigserial PRIMARY KEY,
  tenant text NOT NULL,
  jti text,
  subject text,
  issued_before timestamptz,
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz NOT NULL DEFAULT now(),
  revoked_by text NOT NULL,
  reason text,
  CHECK ((jti IS NOT NULL AND subject IS NULL AND issued_before IS NULL) OR (jti IS NULL AND subject IS NOT NULL AND issued_before IS NOT NULL))
);
CREATE INDEX IF NOT EXISTS token_revocations_expires_at ON token_revocations (expires_at);
