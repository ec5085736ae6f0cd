-- Phone provisioning (docs/domain.md §5, F1–F9). Same columns as the SQLite set.

ALTER TABLE nodes ADD COLUMN sip_domain TEXT;
ALTER TABLE nodes ADD COLUMN sip_registrar_host TEXT;
ALTER TABLE nodes ADD COLUMN sip_registrar_port INTEGER CHECK (sip_registrar_port BETWEEN 1 AND 65535);
ALTER TABLE nodes ADD COLUMN sip_registrar_transport TEXT CHECK (sip_registrar_transport IN ('udp', 'tcp', 'tls'));

ALTER TABLE accounts ADD COLUMN sp_id uuid;
ALTER TABLE accounts ADD COLUMN sip_username TEXT;
ALTER TABLE accounts ADD COLUMN sip_password TEXT;
UPDATE accounts SET
    sp_id = (SELECT nodes.sp_id FROM nodes WHERE nodes.id = accounts.user_id),
    sip_username = replace(number, '+', ''),
    -- 244 bits from pg_strong_random (gen_random_uuid, built in since PostgreSQL 13).
    sip_password = replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', '');
ALTER TABLE accounts ALTER COLUMN sp_id SET NOT NULL;
ALTER TABLE accounts ALTER COLUMN sip_username SET NOT NULL;
ALTER TABLE accounts ALTER COLUMN sip_password SET NOT NULL;
-- An extension and an E.164 number of one SP can have the same digits (12345678 and
-- +12345678): the later account's user name gets a suffix from its id, so the index holds.
UPDATE accounts SET sip_username = sip_username || '-' || substr(id::text, 1, 8)
WHERE EXISTS (SELECT 1 FROM accounts b WHERE b.sp_id = accounts.sp_id
              AND b.sip_username = accounts.sip_username AND b.id < accounts.id);
CREATE UNIQUE INDEX accounts_sp_sip_username ON accounts (sp_id, sip_username);

CREATE TABLE device_logins (
    device_id uuid PRIMARY KEY NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    verifiers TEXT,
    previous_verifiers TEXT,
    previous_until BIGINT,
    last_fetch_at timestamptz,
    last_fetch_address TEXT,
    last_user_agent TEXT
);

CREATE TABLE provisioning_failures (
    address TEXT PRIMARY KEY NOT NULL,
    window_start BIGINT NOT NULL,
    failures INTEGER NOT NULL
);
