-- The tenant tree. sp_id/org_id denormalise the (fixed-depth) ancestry so that "is X below C"
-- and "is there a modify node below C" (D4) are index lookups, never tree walks.
CREATE TABLE nodes (
    id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('service_provider', 'organization', 'user')),
    name TEXT NOT NULL,
    parent_id TEXT REFERENCES nodes (id),
    sp_id TEXT NOT NULL,
    org_id TEXT,
    device_provisioning TEXT NOT NULL CHECK (device_provisioning IN ('none', 'view', 'modify')),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX nodes_kind_id ON nodes (kind, id);
CREATE INDEX nodes_parent_id ON nodes (parent_id, id);
CREATE INDEX nodes_sp_level ON nodes (sp_id, device_provisioning);
CREATE INDEX nodes_org_level ON nodes (org_id, device_provisioning);

-- One login per node; system admins are logins without a node.
CREATE TABLE logins (
    id TEXT PRIMARY KEY NOT NULL,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    node_id TEXT UNIQUE REFERENCES nodes (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL
);

CREATE TABLE app_settings (
    key TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

CREATE TABLE accounts (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES nodes (id),
    number TEXT NOT NULL UNIQUE,
    display_name TEXT,
    location TEXT,
    vm_enabled BOOLEAN NOT NULL DEFAULT FALSE,
    vm_pin_hash TEXT,
    vm_email TEXT,
    vm_attach_audio BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX accounts_user_id ON accounts (user_id, id);

CREATE TABLE account_members (
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('owner', 'administrator')),
    login_id TEXT NOT NULL REFERENCES logins (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    PRIMARY KEY (account_id, role, login_id)
);
CREATE INDEX account_members_login ON account_members (login_id);

CREATE TABLE devices (
    id TEXT PRIMARY KEY NOT NULL,
    mac_address TEXT NOT NULL UNIQUE,
    vendor TEXT,
    model TEXT,
    label TEXT,
    context_id TEXT NOT NULL REFERENCES nodes (id),
    assigned_to_id TEXT REFERENCES nodes (id),
    missed_calls BOOLEAN NOT NULL DEFAULT TRUE,
    mwi_enabled BOOLEAN NOT NULL DEFAULT FALSE,
    mwi_account_id TEXT REFERENCES accounts (id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX devices_context ON devices (context_id, id);
CREATE INDEX devices_assigned ON devices (assigned_to_id, id);

CREATE TABLE device_lines (
    device_id TEXT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    position INTEGER NOT NULL CHECK (position >= 1),
    PRIMARY KEY (device_id, account_id),
    UNIQUE (device_id, position)
);
CREATE INDEX device_lines_account ON device_lines (account_id);

CREATE TABLE device_owners (
    device_id TEXT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    login_id TEXT NOT NULL REFERENCES logins (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    PRIMARY KEY (device_id, login_id)
);
CREATE INDEX device_owners_login ON device_owners (login_id);
