DROP TABLE idempotency_keys;
DROP TABLE login_failures;
DROP TABLE revoked_tokens;
DROP TABLE api_clients;
ALTER TABLE logins DROP COLUMN token_generation;
