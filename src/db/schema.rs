//! Written by hand, portable across SQLite and PostgreSQL: ids are [`DbUuid`] and times
//! [`DbTime`], whose representation each backend chooses (`db::types`).

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{DbTime, DbUuid};

    nodes (id) {
        id -> DbUuid,
        kind -> Text,
        name -> Text,
        parent_id -> Nullable<DbUuid>,
        sp_id -> DbUuid,
        org_id -> Nullable<DbUuid>,
        device_provisioning -> Text,
        created_at -> DbTime,
        updated_at -> DbTime,
        sip_domain -> Nullable<Text>,
        sip_registrar_host -> Nullable<Text>,
        sip_registrar_port -> Nullable<Integer>,
        sip_registrar_transport -> Nullable<Text>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{DbTime, DbUuid};

    logins (id) {
        id -> DbUuid,
        username -> Text,
        password_hash -> Text,
        node_id -> Nullable<DbUuid>,
        created_at -> DbTime,
        token_generation -> BigInt,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{DbTime, DbUuid};

    app_settings (key) {
        key -> Text,
        value -> Text,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{DbTime, DbUuid};

    accounts (id) {
        id -> DbUuid,
        user_id -> DbUuid,
        number -> Text,
        display_name -> Nullable<Text>,
        location -> Nullable<Text>,
        vm_enabled -> Bool,
        vm_pin_hash -> Nullable<Text>,
        vm_email -> Nullable<Text>,
        vm_attach_audio -> Bool,
        created_at -> DbTime,
        updated_at -> DbTime,
        sp_id -> DbUuid,
        sip_username -> Text,
        sip_password -> Text,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{DbTime, DbUuid};

    account_members (account_id, role, login_id) {
        account_id -> DbUuid,
        role -> Text,
        login_id -> DbUuid,
        created_at -> DbTime,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{DbTime, DbUuid};

    devices (id) {
        id -> DbUuid,
        mac_address -> Text,
        vendor -> Nullable<Text>,
        model -> Nullable<Text>,
        label -> Nullable<Text>,
        context_id -> DbUuid,
        assigned_to_id -> Nullable<DbUuid>,
        missed_calls -> Bool,
        mwi_enabled -> Bool,
        mwi_account_id -> Nullable<DbUuid>,
        created_at -> DbTime,
        updated_at -> DbTime,
        sp_id -> DbUuid,
        org_id -> Nullable<DbUuid>,
        user_id -> Nullable<DbUuid>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{DbTime, DbUuid};

    device_lines (device_id, account_id) {
        device_id -> DbUuid,
        account_id -> DbUuid,
        position -> Integer,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{DbTime, DbUuid};

    device_owners (device_id, login_id) {
        device_id -> DbUuid,
        login_id -> DbUuid,
        created_at -> DbTime,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{DbTime, DbUuid};

    device_logins (device_id) {
        device_id -> DbUuid,
        verifiers -> Nullable<Text>,
        previous_verifiers -> Nullable<Text>,
        previous_until -> Nullable<BigInt>,
        last_fetch_at -> Nullable<DbTime>,
        last_fetch_address -> Nullable<Text>,
        last_user_agent -> Nullable<Text>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{DbTime, DbUuid};

    api_clients (id) {
        id -> DbUuid,
        node_id -> DbUuid,
        name -> Text,
        scope -> Text,
        secret_hash -> Text,
        token_generation -> BigInt,
        created_at -> DbTime,
        updated_at -> DbTime,
    }
}

diesel::table! {
    revoked_tokens (jti) {
        jti -> Text,
        expires_at -> BigInt,
    }
}

diesel::table! {
    use diesel::sql_types::*;

    provisioning_failures (address) {
        address -> Text,
        window_start -> BigInt,
        failures -> Integer,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::DbUuid;

    login_failures (id) {
        id -> DbUuid,
        username -> Text,
        address -> Text,
        at -> BigInt,
    }
}

diesel::table! {
    idempotency_keys (caller, key) {
        caller -> Text,
        key -> Text,
        request_hash -> Text,
        status -> Nullable<Integer>,
        content_type -> Nullable<Text>,
        location -> Nullable<Text>,
        body -> Nullable<Text>,
        created_at -> BigInt,
    }
}

diesel::joinable!(account_members -> accounts (account_id));
diesel::joinable!(account_members -> logins (login_id));
diesel::joinable!(accounts -> nodes (user_id));
diesel::joinable!(device_lines -> accounts (account_id));
diesel::joinable!(device_lines -> devices (device_id));
diesel::joinable!(device_owners -> devices (device_id));
diesel::joinable!(device_logins -> devices (device_id));
diesel::joinable!(device_owners -> logins (login_id));

diesel::allow_tables_to_appear_in_same_query!(
    nodes,
    logins,
    app_settings,
    accounts,
    account_members,
    devices,
    device_lines,
    device_owners,
    device_logins,
    provisioning_failures,
    api_clients,
    revoked_tokens,
    login_failures,
    idempotency_keys,
);

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{DbTime, DbUuid};

    audit_events (id) {
        seq -> BigInt,
        id -> DbUuid,
        at -> DbTime,
        actor_username -> Text,
        actor_client_id -> Nullable<DbUuid>,
        request_id -> Text,
        action -> Text,
        resource_type -> Text,
        resource_id -> DbUuid,
        sp_id -> Nullable<DbUuid>,
        org_id -> Nullable<DbUuid>,
        user_id -> Nullable<DbUuid>,
        changes -> Text,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{DbTime, DbUuid};

    webhooks (id) {
        id -> DbUuid,
        node_id -> DbUuid,
        url -> Text,
        events -> Text,
        description -> Nullable<Text>,
        secret -> Text,
        enabled -> Bool,
        consecutive_failures -> Integer,
        created_at -> DbTime,
        updated_at -> DbTime,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{DbTime, DbUuid};

    webhook_deliveries (id) {
        id -> DbUuid,
        webhook_id -> DbUuid,
        event_id -> DbUuid,
        state -> Text,
        attempts -> Integer,
        next_attempt_at -> DbTime,
        leased_until -> Nullable<DbTime>,
        created_at -> DbTime,
        delivered_at -> Nullable<DbTime>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{DbTime, DbUuid};

    webhook_attempts (id) {
        id -> DbUuid,
        delivery_id -> DbUuid,
        at -> DbTime,
        status -> Nullable<Integer>,
        duration_ms -> Integer,
        error -> Nullable<Text>,
    }
}

diesel::joinable!(webhooks -> nodes (node_id));
diesel::joinable!(webhook_deliveries -> webhooks (webhook_id));
diesel::joinable!(webhook_deliveries -> audit_events (event_id));
diesel::joinable!(webhook_attempts -> webhook_deliveries (delivery_id));

diesel::allow_tables_to_appear_in_same_query!(audit_events, webhooks, webhook_deliveries, webhook_attempts, nodes);
