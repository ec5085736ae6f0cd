DROP STATISTICS devices_assignee_scope;
DROP INDEX account_members_login;
CREATE INDEX account_members_login ON account_members (login_id);
DROP INDEX device_owners_login;
CREATE INDEX device_owners_login ON device_owners (login_id);
ALTER TABLE devices DROP COLUMN user_id, DROP COLUMN org_id, DROP COLUMN sp_id;

ALTER TABLE nodes DROP CONSTRAINT nodes_parent_id_fkey;
ALTER TABLE logins DROP CONSTRAINT logins_node_id_fkey;
ALTER TABLE accounts DROP CONSTRAINT accounts_user_id_fkey;
ALTER TABLE account_members
    DROP CONSTRAINT account_members_account_id_fkey,
    DROP CONSTRAINT account_members_login_id_fkey;
ALTER TABLE devices
    DROP CONSTRAINT devices_context_id_fkey,
    DROP CONSTRAINT devices_assigned_to_id_fkey,
    DROP CONSTRAINT devices_mwi_account_id_fkey;
ALTER TABLE device_lines
    DROP CONSTRAINT device_lines_device_id_fkey,
    DROP CONSTRAINT device_lines_account_id_fkey;
ALTER TABLE device_owners
    DROP CONSTRAINT device_owners_device_id_fkey,
    DROP CONSTRAINT device_owners_login_id_fkey;

-- Back to the fixed-width RFC 3339 text of 000001.
ALTER TABLE nodes
    ALTER COLUMN id TYPE text, ALTER COLUMN parent_id TYPE text, ALTER COLUMN sp_id TYPE text,
    ALTER COLUMN org_id TYPE text,
    ALTER COLUMN created_at TYPE text USING to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    ALTER COLUMN updated_at TYPE text USING to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"');
ALTER TABLE logins
    ALTER COLUMN id TYPE text, ALTER COLUMN node_id TYPE text,
    ALTER COLUMN created_at TYPE text USING to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"');
ALTER TABLE accounts
    ALTER COLUMN id TYPE text, ALTER COLUMN user_id TYPE text,
    ALTER COLUMN created_at TYPE text USING to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    ALTER COLUMN updated_at TYPE text USING to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"');
ALTER TABLE account_members
    ALTER COLUMN account_id TYPE text, ALTER COLUMN login_id TYPE text,
    ALTER COLUMN created_at TYPE text USING to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"');
ALTER TABLE devices
    ALTER COLUMN id TYPE text, ALTER COLUMN context_id TYPE text, ALTER COLUMN assigned_to_id TYPE text,
    ALTER COLUMN mwi_account_id TYPE text,
    ALTER COLUMN created_at TYPE text USING to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    ALTER COLUMN updated_at TYPE text USING to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"');
ALTER TABLE device_lines ALTER COLUMN device_id TYPE text, ALTER COLUMN account_id TYPE text;
ALTER TABLE device_owners
    ALTER COLUMN device_id TYPE text, ALTER COLUMN login_id TYPE text,
    ALTER COLUMN created_at TYPE text USING to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"');

ALTER TABLE nodes ADD CONSTRAINT nodes_parent_id_fkey FOREIGN KEY (parent_id) REFERENCES nodes (id);
ALTER TABLE logins ADD CONSTRAINT logins_node_id_fkey FOREIGN KEY (node_id) REFERENCES nodes (id) ON DELETE CASCADE;
ALTER TABLE accounts ADD CONSTRAINT accounts_user_id_fkey FOREIGN KEY (user_id) REFERENCES nodes (id);
ALTER TABLE account_members
    ADD CONSTRAINT account_members_account_id_fkey FOREIGN KEY (account_id) REFERENCES accounts (id) ON DELETE CASCADE,
    ADD CONSTRAINT account_members_login_id_fkey FOREIGN KEY (login_id) REFERENCES logins (id) ON DELETE CASCADE;
ALTER TABLE devices
    ADD CONSTRAINT devices_context_id_fkey FOREIGN KEY (context_id) REFERENCES nodes (id),
    ADD CONSTRAINT devices_assigned_to_id_fkey FOREIGN KEY (assigned_to_id) REFERENCES nodes (id),
    ADD CONSTRAINT devices_mwi_account_id_fkey FOREIGN KEY (mwi_account_id) REFERENCES accounts (id);
ALTER TABLE device_lines
    ADD CONSTRAINT device_lines_device_id_fkey FOREIGN KEY (device_id) REFERENCES devices (id) ON DELETE CASCADE,
    ADD CONSTRAINT device_lines_account_id_fkey FOREIGN KEY (account_id) REFERENCES accounts (id);
ALTER TABLE device_owners
    ADD CONSTRAINT device_owners_device_id_fkey FOREIGN KEY (device_id) REFERENCES devices (id) ON DELETE CASCADE,
    ADD CONSTRAINT device_owners_login_id_fkey FOREIGN KEY (login_id) REFERENCES logins (id) ON DELETE CASCADE;
