-- Issue 13: API clients (K1-K4), token lifecycle (K5, K6), login throttling (K7) and
-- idempotent POSTs.

-- K5/K6: every token carries the generation of its login at issue; a password change or
-- "revoke all my tokens" raises it, so every token issued before is refused, with no list
-- of tokens to keep. Read with the login on every request (no extra query).
ALTER TABLE logins ADD COLUMN token_generation BIGINT NOT NULL DEFAULT 0;

-- K1-K4: a client belongs to a node and acts in its role context. Only a hash of its
-- secret is kept. Rotating the secret raises token_generation (K4); deleting the row
-- refuses its tokens because the per-request join finds nothing.
CREATE TABLE api_clients (
    id uuid PRIMARY KEY NOT NULL,
    node_id uuid NOT NULL REFERENCES nodes (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    scope TEXT NOT NULL CHECK (scope IN ('read', 'write')),
    secret_hash TEXT NOT NULL,
    token_generation BIGINT NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE INDEX api_clients_node ON api_clients (node_id, id);

-- K6: one revoked token (RFC 7009) by its jti, kept until the token would have expired
-- anyway (expires_at, unix seconds); older rows are pruned when a token is revoked.
CREATE TABLE revoked_tokens (
    jti TEXT PRIMARY KEY NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX revoked_tokens_expiry ON revoked_tokens (expires_at);

-- K7: failed logins of the last window, shared by every instance on the database.
CREATE TABLE login_failures (
    id uuid PRIMARY KEY NOT NULL,
    username TEXT NOT NULL,
    address TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX login_failures_user ON login_failures (username, address, at);
CREATE INDEX login_failures_address ON login_failures (address, at);
CREATE INDEX login_failures_at ON login_failures (at);

-- Idempotency-Key: the first answer to a POST, per caller and key, for 24 hours. A row
-- without a status is a request still running.
CREATE TABLE idempotency_keys (
    caller TEXT NOT NULL,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status INTEGER,
    content_type TEXT,
    location TEXT,
    body TEXT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (caller, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
