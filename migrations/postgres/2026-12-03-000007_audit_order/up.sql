-- Appends to the audit trail no longer queue on one global lock. `seq` comes from a
-- sequence, so writers append side by side; a reader first waits for the appends in flight
-- (they hold a shared advisory lock to their commit, the reader takes it exclusively for a
-- moment) and then reads only up to the highest `seq` committed at that moment, so a page
-- never shows an event while an earlier `seq` is still to commit.
CREATE SEQUENCE audit_events_seq OWNED BY audit_events.seq;
SELECT setval('audit_events_seq', COALESCE((SELECT max(seq) FROM audit_events), 0) + 1, false);
ALTER TABLE audit_events ALTER COLUMN seq SET DEFAULT nextval('audit_events_seq');
