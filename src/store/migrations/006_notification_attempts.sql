-- Every try of a notification that did not deliver, so the incident's timeline can say why a page
-- arrived late: what the vendor answered, and when the next try was due (issue #8). Written best
-- effort by the notify activity (src/delivery/attempts.ts); a delivered try leaves no row here (it
-- is the workflow's `notified` event). `reason` is a DeliveryError's message, which
-- src/notifiers/deliver.ts has scrubbed of the receiver's secrets; nothing else is stored.
CREATE TABLE IF NOT EXISTS notification_attempts (
  idempotency_key text NOT NULL,
  -- The activity attempt, "<run id>/<activity id>/<attempt>" (the ledger's lease owner). The key
  -- of a row with idempotency_key, not `attempt`: Temporal's attempt number starts again at 1 when
  -- a send restarts under the same key (continue-as-new, the notices workflow taking a send over),
  -- and those tries are rows of their own. A repeated write of one attempt is a no-op.
  attempt_id      text NOT NULL,
  incident_id     text NOT NULL,
  tenant          text NOT NULL,
  receiver        text NOT NULL,
  kind            text NOT NULL,
  -- Temporal's attempt number (what its UI and the worker's log show for the notify activity).
  attempt         integer NOT NULL,
  at              timestamptz NOT NULL,
  -- The vendor's status (HTTP, or SMTP reply code), when it answered at all.
  status          integer,
  reason          text NOT NULL,
  -- From `at` to the next try: the vendor's Retry-After (at least 1 s), else the retry policy's
  -- backoff; NULL when no try follows.
  retry_in_ms     bigint,
  -- No try follows: the vendor refused for good, or the retry policy's attempts are spent.
  final           boolean NOT NULL,
  PRIMARY KEY (idempotency_key, attempt_id)
);
CREATE INDEX IF NOT EXISTS notification_attempts_incident ON notification_attempts (incident_id, at);
