//! `GET /v1/me` (M1): what a front-end draws its menus from.

use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Principal;
use crate::authz;
use crate::db::repo::members::OWNER;
use crate::db::{DbConn, repo};
use crate::domain::{AccountId, ApiClientId, DeviceId, Level, NodeLink, Scope};
use crate::error::ApiError;

#[derive(Serialize, ToSchema)]
pub struct MyAccount {
    #[schema(value_type = Uuid)]
    pub id: AccountId,
    pub number: String,
    /// `owner` and/or `administrator`.
    #[schema(value_type = Vec<String>)]
    pub roles: Vec<&'static str>,
    /// Access to the user web interface (account owners only, A3).
    pub portal_access: bool,
}

#[derive(Serialize, ToSchema)]
pub struct MyDevice {
    #[schema(value_type = Uuid)]
    pub id: DeviceId,
    pub mac_address: String,
    /// `owner`.
    // A device has one list: no allocation per device.
    #[schema(value_type = Vec<String>)]
    pub roles: [&'static str; 1],
}

/// The API client a caller is (K1, M1).
#[derive(Serialize, ToSchema)]
pub struct MyApiClient {
    #[schema(value_type = Uuid)]
    pub id: ApiClientId,
    pub name: String,
    /// `read` (GET only) or `write`, K2.
    pub scope: Scope,
}

#[derive(Serialize, ToSchema)]
pub struct Me {
    /// The login the caller acts as: for an API client, its node's login (K1).
    pub username: String,
    /// The API client the caller is; null for a person's login.
    pub api_client: Option<MyApiClient>,
    /// `system_admin`, `service_provider`, `organization` or `user`.
    pub role: String,
    /// The caller's node; null for a system admin.
    pub node: Option<NodeLink>,
    /// The caller's "Allow to provision devices" level; null for a system admin, whom
    /// levels do not bound (D0).
    pub device_provisioning: Option<Level>,
    /// Whether the SIP devices area is available (false exactly when D1 hides it).
    pub sip_devices_area: bool,
    /// Accounts on whose owners or administrators list the caller stands.
    pub accounts: Vec<MyAccount>,
    /// Devices on whose owners list the caller stands.
    pub devices: Vec<MyDevice>,
}

/// The caller's role context, level, SIP devices area and list memberships (M1): one query
/// besides the role context itself.
pub fn me(conn: &mut DbConn, caller: &Principal) -> Result<Me, ApiError> {
    let lists = repo::members::of_login(conn, caller.login_id)?;
    let accounts = lists
        .accounts
        .into_iter()
        .map(|(id, number, roles)| {
            let is_owner = roles.contains(&OWNER);
            MyAccount { id, number, roles, portal_access: authz::accounts::portal_access(is_owner) }
        })
        .collect();
    let devices =
        lists.devices.into_iter().map(|(id, mac_address)| MyDevice { id, mac_address, roles: [OWNER] }).collect();
    let node = caller.actor.node();
    Ok(Me {
        username: caller.username.clone(),
        api_client: caller.client.as_ref().map(|c| MyApiClient { id: c.id, name: c.name.clone(), scope: c.scope }),
        role: caller.actor.role().to_owned(),
        node: node.map(|n| n.link()),
        device_provisioning: node.map(|n| n.level),
        sip_devices_area: authz::devices::sip_devices_area(&caller.actor),
        accounts,
        devices,
    })
}
