-- Ids are uuid and times timestamptz, as since 000003.
-- The audit trail (L1, L2) and webhooks with their outbox (L3, L4).
-- An event keeps the ids of the SP, Org and User it lies under, so it stays readable by the
-- same callers after its resource is deleted; `seq` is given in commit order (writers are
-- serialised while they append), so a reader paging by it never skips or repeats an event.
CREATE TABLE audit_events (
    seq BIGINT NOT NULL UNIQUE,
    id uuid PRIMARY KEY NOT NULL,
    at timestamptz NOT NULL,
    actor_username TEXT NOT NULL,
    actor_client_id uuid,
    request_id TEXT NOT NULL,
    action TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    resource_id uuid NOT NULL,
    sp_id uuid,
    org_id uuid,
    user_id uuid,
    changes TEXT NOT NULL
);
CREATE INDEX audit_events_sp ON audit_events (sp_id, seq);
CREATE INDEX audit_events_org ON audit_events (org_id, seq);
CREATE INDEX audit_events_user ON audit_events (user_id, seq);
CREATE INDEX audit_events_resource ON audit_events (resource_id, seq);

CREATE TABLE webhooks (
    id uuid PRIMARY KEY NOT NULL,
    node_id uuid NOT NULL REFERENCES nodes (id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    events TEXT NOT NULL,
    description TEXT,
    secret TEXT NOT NULL,
    enabled BOOLEAN NOT NULL,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE INDEX webhooks_node ON webhooks (node_id, id);

-- The outbox: one row per (webhook, event), written with the event.
CREATE TABLE webhook_deliveries (
    id uuid PRIMARY KEY NOT NULL,
    webhook_id uuid NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id uuid NOT NULL REFERENCES audit_events (id),
    state TEXT NOT NULL CHECK (state IN ('pending', 'delivered')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    leased_until timestamptz,
    created_at timestamptz NOT NULL,
    delivered_at timestamptz
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_attempt_at);
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, id);

CREATE TABLE webhook_attempts (
    id uuid PRIMARY KEY NOT NULL,
    delivery_id uuid NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    at timestamptz NOT NULL,
    status INTEGER,
    duration_ms INTEGER NOT NULL,
    error TEXT
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, id);
