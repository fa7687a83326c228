-- Receiver limits shared by every Klaxon process on this database (issue #11): N workers together
-- keep a vendor's rate limit, and a circuit opened by one worker's failures is open for all.

-- A receiver's rate limit as a sliding window: when each token spent in it comes back (epoch ms,
-- by the database's clock so that workers' clocks never disagree). A token taken for a send comes
-- back `every` after the send ended (klaxon_return_token), or after the receiver's timeout + `every`
-- when its worker never says (killed mid-send): at most `per` of them lie in the future.
CREATE TABLE IF NOT EXISTS shared_rate_limits (
  key text PRIMARY KEY,
  returns_at bigint[] NOT NULL DEFAULT '{}',
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- One round trip per try: a token now (granted, and the token's id to return it by), or how long
-- until one comes back. The row lock makes concurrent takers of one receiver take turns.
CREATE OR REPLACE FUNCTION klaxon_take_token(p_key text, p_per int, p_hold_ms bigint, OUT granted boolean, OUT token bigint, OUT wait_ms bigint)
AS $$
DECLARE
  now_ms bigint;
  live bigint[];
BEGIN
  INSERT INTO shared_rate_limits (key) VALUES (p_key) ON CONFLICT (key) DO NOTHING;
  PERFORM 1 FROM shared_rate_limits WHERE key = p_key FOR UPDATE;
  -- Read after the lock: a taker that waited for it must not judge by the time it arrived.
  now_ms := (extract(epoch FROM clock_timestamp()) * 1000)::bigint;
  SELECT ARRAY(SELECT r FROM unnest(s.returns_at) r WHERE r > now_ms ORDER BY r) INTO live FROM shared_rate_limits s WHERE s.key = p_key;
  IF cardinality(live) < p_per THEN
    granted := true;
    token := now_ms + p_hold_ms;
    wait_ms := 0;
    live := live || token;
  ELSE
    -- (a lowered limit after a reload leaves more live tokens than `per`: wait for enough of them)
    granted := false;
    wait_ms := live[cardinality(live) - p_per + 1] - now_ms;
  END IF;
  UPDATE shared_rate_limits SET returns_at = live, updated_at = clock_timestamp() WHERE key = p_key;
END
$$ LANGUAGE plpgsql;

-- The send ended: its token comes back `every` from now instead of at the pessimistic hold time.
CREATE OR REPLACE FUNCTION klaxon_return_token(p_key text, p_token bigint, p_every_ms bigint) RETURNS void
AS $$
  UPDATE shared_rate_limits
  SET returns_at = returns_at[:array_position(returns_at, p_token) - 1]
                   || ((extract(epoch FROM clock_timestamp()) * 1000)::bigint + p_every_ms)
                   || returns_at[array_position(returns_at, p_token) + 1:],
      updated_at = clock_timestamp()
  WHERE key = p_key AND array_position(returns_at, p_token) IS NOT NULL;
$$ LANGUAGE sql;

-- A receiver's circuit breaker as every worker sees it. `trial_until`: a half-open trial is in
-- flight (some worker's), until when at most (a trial whose worker died frees the circuit then).
CREATE TABLE IF NOT EXISTS shared_circuit_breakers (
  tenant text NOT NULL,
  receiver text NOT NULL,
  state text NOT NULL DEFAULT 'closed',
  failures int NOT NULL DEFAULT 0,
  opened_at timestamptz,
  trial_until timestamptz,
  last_error text,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant, receiver)
);
