-- klaxon_incidents_open is counted from the store on every scrape: a partial index keeps that
-- read proportional to the open incidents, not to the whole history.
CREATE INDEX IF NOT EXISTS incidents_open_counts ON incidents (tenant, severity, status) WHERE status <> 'resolved';
