//! `GET /v1/me` (M1): what a front-end draws its menus from.

use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::NodeLink;
use crate::auth::Principal;
use crate::authz;
use crate::db::{self, repo};
use crate::domain::Level;
use crate::error::ApiError;
use crate::startup::AppState;

#[derive(Serialize, ToSchema)]
pub struct MyAccount {
    pub id: Uuid,
    pub number: String,
    /// `owner` and/or `administrator`.
    pub roles: Vec<String>,
    /// Access to the user web interface (account owners only, A3).
    pub portal_access: bool,
}

#[derive(Serialize, ToSchema)]
pub struct MyDevice {
    pub id: Uuid,
    pub mac_address: String,
    /// `owner`.
    pub roles: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct Me {
    pub username: String,
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

/// The caller's role context, level, SIP devices area and list memberships (M1).
#[utoipa::path(tag = "me", responses((status = 200, body = Me)))]
#[get("/me")]
pub async fn me(state: web::Data<AppState>, caller: Principal) -> Result<HttpResponse, ApiError> {
    let login_id = caller.login_id;
    let (accounts, devices) = db::run(&state.pool, move |conn| {
        let accounts = repo::accounts::memberships_of(conn, login_id)?;
        let devices = repo::devices::owned_by(conn, login_id)?;
        Ok((accounts, devices))
    })
    .await?;
    let accounts = accounts
        .into_iter()
        .map(|(acc, roles)| {
            let is_owner = roles.iter().any(|r| r == repo::accounts::OWNER);
            MyAccount { id: acc.id, number: acc.number, roles, portal_access: authz::accounts::portal_access(is_owner) }
        })
        .collect();
    let devices = devices
        .into_iter()
        .map(|(id, mac_address)| MyDevice { id, mac_address, roles: vec!["owner".into()] })
        .collect();
    let node = caller.actor.node();
    Ok(HttpResponse::Ok().json(Me {
        username: caller.username.clone(),
        role: caller.actor.role().to_owned(),
        node: node.map(|n| NodeLink { kind: n.kind, id: n.id }),
        device_provisioning: node.map(|n| n.level),
        sip_devices_area: authz::devices::sip_devices_area(&caller.actor),
        accounts,
        devices,
    }))
}
