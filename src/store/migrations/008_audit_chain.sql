-- Tamper-evident audit (issue #10): every incident_events row is a link of its tenant's hash chain
-- (src/audit/chain.ts). The chain is computed by Klaxon, not here: its seal is an HMAC under a
-- server key the database never sees.
--   chain_seq  position in the tenant's chain, 1, 2, 3 … with no gaps
--   digest     SHA-256 of the row's canonical content (src/audit/canonical.ts) when it was written
--   prev_hash  the previous link's hash (32 zero bytes for the first)
--   hash       HMAC-SHA256(key, tenant, chain_seq, prev_hash, digest)
-- Rows written before this migration get their links the first time a Klaxon process with the key
-- opens the store (adoptLegacyEvents, in id order); audit_chain_genesis says which rows those are.
ALTER TABLE incident_events ADD COLUMN IF NOT EXISTS chain_seq bigint;
ALTER TABLE incident_events ADD COLUMN IF NOT EXISTS digest bytea;
ALTER TABLE incident_events ADD COLUMN IF NOT EXISTS prev_hash bytea;
ALTER TABLE incident_events ADD COLUMN IF NOT EXISTS hash bytea;
CREATE UNIQUE INDEX IF NOT EXISTS incident_events_chain ON incident_events (tenant, chain_seq);

CREATE TABLE IF NOT EXISTS audit_chain_genesis (
  only_row       boolean PRIMARY KEY DEFAULT true CHECK (only_row),
  legacy_max_id  bigint NOT NULL
);
INSERT INTO audit_chain_genesis (legacy_max_id) SELECT COALESCE(max(id), 0) FROM incident_events ON CONFLICT DO NOTHING;

-- One row per tenant: the end of its chain, locked FOR UPDATE by every append so the chain stays a
-- single line however many workers write at once, and the checkpoint retention leaves behind (the
-- last deleted link: verification starts after it). `seal` is an HMAC over all of it, so neither
-- the end (a deleted tail) nor the checkpoint (a deleted head) can be moved without the key.
CREATE TABLE IF NOT EXISTS audit_chain_heads (
  tenant     text PRIMARY KEY,
  last_seq   bigint NOT NULL,
  last_hash  bytea NOT NULL,
  base_seq   bigint NOT NULL DEFAULT 0,
  base_hash  bytea NOT NULL,
  key_id     text NOT NULL,
  seal       bytea NOT NULL
);

-- Right to erasure (src/audit/erase.ts): an erased row keeps its sealed digest; this record, sealed
-- too, says which content replaced it, so the chain still verifies and an edit still does not.
CREATE TABLE IF NOT EXISTS audit_erasures (
  tenant        text NOT NULL,
  chain_seq     bigint NOT NULL,
  erased_digest bytea NOT NULL,
  erased_at     timestamptz NOT NULL DEFAULT now(),
  seal          bytea NOT NULL,
  PRIMARY KEY (tenant, chain_seq)
);

-- Still append-only, with exactly three ways through, each chosen by a transaction-local setting
-- (SET LOCAL klaxon.audit_write = …) that only Klaxon's own code paths set:
--   retention  DELETE (expired rows, src/audit/retention.ts)
--   erase      UPDATE of actor and details only (src/audit/erase.ts)
--   adopt      UPDATE that gives a pre-chain row its chain columns, once, content unchanged
-- This keeps honest code from rewriting history by mistake; tampering by someone who can set the
-- variable (or drop the trigger) is what the chain detects.
CREATE OR REPLACE FUNCTION klaxon_events_append_only() RETURNS trigger AS $$
DECLARE
  mode text := current_setting('klaxon.audit_write', true);
BEGIN
  IF TG_OP = 'DELETE' AND mode = 'retention' THEN
    RETURN OLD;
  END IF;
  IF TG_OP = 'UPDATE' AND mode IN ('erase', 'adopt')
     AND NEW.id = OLD.id AND NEW.incident_id = OLD.incident_id AND NEW.tenant = OLD.tenant AND NEW.seq = OLD.seq
     AND NEW.at = OLD.at AND NEW.kind = OLD.kind AND NEW.recorded_at = OLD.recorded_at THEN
    IF mode = 'erase' AND OLD.chain_seq IS NOT NULL AND NEW.chain_seq = OLD.chain_seq AND NEW.digest = OLD.digest
       AND NEW.prev_hash = OLD.prev_hash AND NEW.hash = OLD.hash THEN
      RETURN NEW;
    END IF;
    IF mode = 'adopt' AND OLD.chain_seq IS NULL AND NEW.actor = OLD.actor AND NEW.details = OLD.details THEN
      RETURN NEW;
    END IF;
  END IF;
  RAISE EXCEPTION 'incident_events is append-only';
END;
$$ LANGUAGE plpgsql;
