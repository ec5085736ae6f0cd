-- Phone provisioning (docs/domain.md §5, F1–F9).

-- An SP's SIP service: where its phones register. NULL until set (phones get 404 for their
-- per-device files until then). Only service-provider rows carry it.
ALTER TABLE nodes ADD COLUMN sip_domain TEXT;
ALTER TABLE nodes ADD COLUMN sip_registrar_host TEXT;
ALTER TABLE nodes ADD COLUMN sip_registrar_port INTEGER CHECK (sip_registrar_port BETWEEN 1 AND 65535);
ALTER TABLE nodes ADD COLUMN sip_registrar_transport TEXT CHECK (sip_registrar_transport IN ('udp', 'tcp', 'tls'));

-- An account's SIP credentials. sp_id denormalises the account's service provider so that
-- "sip_username is unique within its SP" is a unique index. The SIP password is kept as the
-- phone needs it (docs/domain.md §5): it is written into the phone's configuration, so it
-- cannot be stored as a one-way hash.
ALTER TABLE accounts ADD COLUMN sp_id TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN sip_username TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN sip_password TEXT NOT NULL DEFAULT '';
UPDATE accounts SET
    sp_id = (SELECT nodes.sp_id FROM nodes WHERE nodes.id = accounts.user_id),
    sip_username = replace(number, '+', ''),
    -- 128 bits from SQLite's generator, which SQLite seeds from the operating system.
    sip_password = lower(hex(randomblob(16)));
-- An extension and an E.164 number of one SP can have the same digits (12345678 and
-- +12345678): the later account's user name gets a suffix from its id, so the index holds.
UPDATE accounts SET sip_username = sip_username || '-' || substr(id, 1, 8)
WHERE EXISTS (SELECT 1 FROM accounts b WHERE b.sp_id = accounts.sp_id
              AND b.sip_username = accounts.sip_username AND b.id < accounts.id);
CREATE UNIQUE INDEX accounts_sp_sip_username ON accounts (sp_id, sip_username);

-- A device's provisioning login (F3): only verifiers (Digest HA1 per algorithm and a Basic
-- hash), never the password; the previous ones during the grace window (previous_until in
-- seconds since the Unix epoch); the last fetch (F8). A row only once a password was issued
-- or the phone fetched; gone with its device.
CREATE TABLE device_logins (
    device_id TEXT PRIMARY KEY NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    verifiers TEXT,
    previous_verifiers TEXT,
    previous_until BIGINT,
    last_fetch_at TEXT,
    last_fetch_address TEXT,
    last_user_agent TEXT
);

-- Failed phone authentications per client address (F7), in a fixed window that starts at
-- the first failure: shared by every instance on the database.
CREATE TABLE provisioning_failures (
    address TEXT PRIMARY KEY NOT NULL,
    window_start BIGINT NOT NULL,
    failures INTEGER NOT NULL
);
