-- PostgreSQL's own types: ids are `uuid` (16 bytes, compared as such) and times
-- `timestamptz`, converted in place from the TEXT of 000001 (hyphenated UUIDs and RFC 3339
-- times parse as they are). The foreign keys are dropped around the conversion, since a
-- key and the column it references must have the same type at every step, and re-made.
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

ALTER TABLE nodes
    ALTER COLUMN id TYPE uuid USING id::uuid,
    ALTER COLUMN parent_id TYPE uuid USING parent_id::uuid,
    ALTER COLUMN sp_id TYPE uuid USING sp_id::uuid,
    ALTER COLUMN org_id TYPE uuid USING org_id::uuid,
    ALTER COLUMN created_at TYPE timestamptz USING created_at::timestamptz,
    ALTER COLUMN updated_at TYPE timestamptz USING updated_at::timestamptz;
ALTER TABLE logins
    ALTER COLUMN id TYPE uuid USING id::uuid,
    ALTER COLUMN node_id TYPE uuid USING node_id::uuid,
    ALTER COLUMN created_at TYPE timestamptz USING created_at::timestamptz;
ALTER TABLE accounts
    ALTER COLUMN id TYPE uuid USING id::uuid,
    ALTER COLUMN user_id TYPE uuid USING user_id::uuid,
    ALTER COLUMN created_at TYPE timestamptz USING created_at::timestamptz,
    ALTER COLUMN updated_at TYPE timestamptz USING updated_at::timestamptz;
ALTER TABLE account_members
    ALTER COLUMN account_id TYPE uuid USING account_id::uuid,
    ALTER COLUMN login_id TYPE uuid USING login_id::uuid,
    ALTER COLUMN created_at TYPE timestamptz USING created_at::timestamptz;
ALTER TABLE devices
    ALTER COLUMN id TYPE uuid USING id::uuid,
    ALTER COLUMN context_id TYPE uuid USING context_id::uuid,
    ALTER COLUMN assigned_to_id TYPE uuid USING assigned_to_id::uuid,
    ALTER COLUMN mwi_account_id TYPE uuid USING mwi_account_id::uuid,
    ALTER COLUMN created_at TYPE timestamptz USING created_at::timestamptz,
    ALTER COLUMN updated_at TYPE timestamptz USING updated_at::timestamptz;
ALTER TABLE device_lines
    ALTER COLUMN device_id TYPE uuid USING device_id::uuid,
    ALTER COLUMN account_id TYPE uuid USING account_id::uuid;
ALTER TABLE device_owners
    ALTER COLUMN device_id TYPE uuid USING device_id::uuid,
    ALTER COLUMN login_id TYPE uuid USING login_id::uuid,
    ALTER COLUMN created_at TYPE timestamptz USING created_at::timestamptz;

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

-- Flat at any size: every list reads one index range in id order and stops after
-- limit + 1 rows, whatever the size of the tenant and of its neighbours.
--
-- A device carries the SP and Org of its context (a context never moves, so these never
-- change) and the User whose own view shows it (`user_id`: its context when that is a User,
-- else its assignee when that is a User; rewritten with the assignment). A page of an SP's,
-- an Org's or a User's devices is then a range of (sp_id, id), (org_id, id) or (user_id, id).
-- No foreign keys on these: they follow from context_id (which has one) and the tree, and
-- a key on sp_id would have every device create of an SP lock that one row.
ALTER TABLE devices ADD COLUMN sp_id uuid, ADD COLUMN org_id uuid, ADD COLUMN user_id uuid;
UPDATE devices d SET
    sp_id = c.sp_id,
    org_id = c.org_id,
    user_id = CASE
        WHEN c.kind = 'user' THEN d.context_id
        WHEN (SELECT a.kind FROM nodes a WHERE a.id = d.assigned_to_id) = 'user' THEN d.assigned_to_id
    END
FROM nodes c WHERE c.id = d.context_id;
ALTER TABLE devices ALTER COLUMN sp_id SET NOT NULL;

CREATE INDEX devices_sp ON devices (sp_id, id);
CREATE INDEX devices_org ON devices (org_id, id);
CREATE INDEX devices_user ON devices (user_id, id);
-- The vendor and model filters of an SP's or Org's list: a range of the filtered devices in
-- id order. (A User's or a context's devices are few; the filters sift them.)
CREATE INDEX devices_sp_vendor ON devices (sp_id, vendor, id);
CREATE INDEX devices_org_vendor ON devices (org_id, vendor, id);
CREATE INDEX devices_sp_model ON devices (sp_id, model, id);
CREATE INDEX devices_org_model ON devices (org_id, model, id);

-- GET /v1/me lists a login's accounts and devices in id order, from the index.
DROP INDEX device_owners_login;
CREATE INDEX device_owners_login ON device_owners (login_id, device_id);
DROP INDEX account_members_login;
CREATE INDEX account_members_login ON account_members (login_id, account_id, role);

-- An assignee's devices all lie in its SP (and mostly its Org, and are its User's view): the
-- planner must know that, or it multiplies the selectivities, expects a handful of rows and
-- sorts them all instead of reading the assignee's range in id order.
CREATE STATISTICS devices_assignee_scope (dependencies) ON assigned_to_id, sp_id, org_id, user_id FROM devices;
