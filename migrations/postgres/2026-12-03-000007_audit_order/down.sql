ALTER TABLE audit_events ALTER COLUMN seq DROP DEFAULT;
DROP SEQUENCE audit_events_seq;
