-- Flat at any size: every list reads one index range in id order and stops after
-- limit + 1 rows, whatever the size of the tenant and of its neighbours.
--
-- A device carries the SP and Org of its context (a context never moves, so these never
-- change) and the User whose own view shows it (`user_id`: its context when that is a User,
-- else its assignee when that is a User; rewritten with the assignment). A page of an SP's,
-- an Org's or a User's devices is then a range of (sp_id, id), (org_id, id) or (user_id, id).
-- SQLite adds a NOT NULL column only with a default; every insert writes sp_id, and the
-- default never survives this migration's backfill.
ALTER TABLE devices ADD COLUMN sp_id TEXT NOT NULL DEFAULT '';
ALTER TABLE devices ADD COLUMN org_id TEXT;
ALTER TABLE devices ADD COLUMN user_id TEXT;

UPDATE devices SET
    sp_id = (SELECT n.sp_id FROM nodes n WHERE n.id = devices.context_id),
    org_id = (SELECT n.org_id FROM nodes n WHERE n.id = devices.context_id),
    user_id = CASE
        WHEN (SELECT n.kind FROM nodes n WHERE n.id = devices.context_id) = 'user' THEN devices.context_id
        WHEN (SELECT n.kind FROM nodes n WHERE n.id = devices.assigned_to_id) = 'user' THEN devices.assigned_to_id
    END;

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
