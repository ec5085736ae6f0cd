//! Written by hand, portable across SQLite and PostgreSQL: ids are UUID text, times are
//! RFC 3339 text in a fixed-width UTC form so that text order is time order.

diesel::table! {
    nodes (id) {
        id -> Text,
        kind -> Text,
        name -> Text,
        parent_id -> Nullable<Text>,
        sp_id -> Text,
        org_id -> Nullable<Text>,
        device_provisioning -> Text,
        created_at -> Text,
        updated_at -> Text,
    }
}

diesel::table! {
    logins (id) {
        id -> Text,
        username -> Text,
        password_hash -> Text,
        node_id -> Nullable<Text>,
        created_at -> Text,
    }
}

diesel::table! {
    app_settings (key) {
        key -> Text,
        value -> Text,
    }
}

diesel::table! {
    accounts (id) {
        id -> Text,
        user_id -> Text,
        number -> Text,
        display_name -> Nullable<Text>,
        location -> Nullable<Text>,
        vm_enabled -> Bool,
        vm_pin_hash -> Nullable<Text>,
        vm_email -> Nullable<Text>,
        vm_attach_audio -> Bool,
        created_at -> Text,
        updated_at -> Text,
    }
}

diesel::table! {
    account_members (account_id, role, login_id) {
        account_id -> Text,
        role -> Text,
        login_id -> Text,
        created_at -> Text,
    }
}

diesel::table! {
    devices (id) {
        id -> Text,
        mac_address -> Text,
        vendor -> Nullable<Text>,
        model -> Nullable<Text>,
        label -> Nullable<Text>,
        context_id -> Text,
        assigned_to_id -> Nullable<Text>,
        missed_calls -> Bool,
        mwi_enabled -> Bool,
        mwi_account_id -> Nullable<Text>,
        created_at -> Text,
        updated_at -> Text,
    }
}

diesel::table! {
    device_lines (device_id, account_id) {
        device_id -> Text,
        account_id -> Text,
        position -> Integer,
    }
}

diesel::table! {
    device_owners (device_id, login_id) {
        device_id -> Text,
        login_id -> Text,
        created_at -> Text,
    }
}

diesel::joinable!(account_members -> accounts (account_id));
diesel::joinable!(account_members -> logins (login_id));
diesel::joinable!(accounts -> nodes (user_id));
diesel::joinable!(device_lines -> accounts (account_id));
diesel::joinable!(device_lines -> devices (device_id));
diesel::joinable!(device_owners -> devices (device_id));
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
);
