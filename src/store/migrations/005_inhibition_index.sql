-- Inhibition is decided from live incident state by label containment (labels @> '{...}'), so a
-- check reads only the open incidents that could match, however many are open.
CREATE INDEX IF NOT EXISTS incidents_open_labels ON incidents USING gin (labels jsonb_path_ops)
  WHERE status IN ('firing', 'acknowledged');
