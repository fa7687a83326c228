-- The ledger becomes a lock: a send holds a lease on its idempotency key (owner + expiry) while it
-- talks to the vendor, and records which receiver actually delivered (a fallback, say).
ALTER TABLE notifications ADD COLUMN IF NOT EXISTS lease_owner text;
ALTER TABLE notifications ADD COLUMN IF NOT EXISTS lease_until timestamptz;
ALTER TABLE notifications ADD COLUMN IF NOT EXISTS delivered_by text;

