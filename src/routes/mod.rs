//! Thin handlers: extract → load facts → `authz` decides → repository writes → DTO.
//! Every route is registered through utoipa-actix-web, so none exists without its
//! OpenAPI entry.

pub mod accounts;
pub mod auth;
pub mod devices;
pub mod extract;
pub mod fallback;
pub mod health;
pub mod me;
pub mod nodes;

use actix_web::middleware::from_fn;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::{scope, service_config::ServiceConfig};
use uuid::Uuid;

use crate::domain::NodeKind;

/// Every route of the API. `/v1/auth` is public; the rest of `/v1` is behind the token
/// middleware by scope.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(health::healthz).service(health::readyz);
    cfg.service(scope("/v1/auth").service(auth::token));
    cfg.service(
        scope("/v1")
            .wrap(from_fn(crate::auth::middleware::authenticate))
            .service(me::me)
            .configure(nodes::configure)
            .configure(devices::configure)
            .configure(accounts::configure),
    );
}

/// A collection page.
#[derive(Serialize, ToSchema)]
pub struct Page<T: ToSchema> {
    pub items: Vec<T>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

impl<T: ToSchema> Page<T> {
    pub fn new(items: Vec<T>, next: Option<Uuid>) -> Page<T> {
        Page { items, next_cursor: next.map(|n| n.to_string()) }
    }
}

/// A reference to a node: `{"type": "organization", "id": "…"}`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NodeLink {
    #[serde(rename = "type")]
    pub kind: NodeKind,
    pub id: Uuid,
}

/// A member of an owners or administrators list.
#[derive(Serialize, ToSchema)]
pub struct Member {
    pub username: String,
    /// When the login was put on the list.
    pub added_at: String,
}

impl From<crate::db::repo::accounts::MemberRow> for Member {
    fn from((_, username, added_at): crate::db::repo::accounts::MemberRow) -> Member {
        Member { username, added_at }
    }
}

/// Body of a list addition: `{"username": "…"}`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberInput {
    pub username: String,
}

/// Trims a free-text field; blank becomes absent.
pub fn clean(s: Option<String>) -> Option<String> {
    s.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// The login a list addition names, if it may be listed where `subject_sp` is (A1); else
/// 422 `unknown_username`.
pub fn listable_login(
    conn: &mut crate::db::DbConn,
    username: &str,
    subject_sp: Uuid,
) -> Result<crate::db::repo::logins::Login, crate::error::ApiError> {
    match crate::db::repo::logins::with_node_by_username(conn, username)? {
        Some((login, node)) if crate::authz::accounts::can_be_listed(subject_sp, node.as_ref()) => Ok(login),
        _ => Err(crate::error::ApiError::field(
            "username",
            "unknown_username",
            "no login with that username in this service provider (rule A1)",
        )),
    }
}

/// `201 Created` for a new list member, `200 OK` when it already was there: adding is
/// idempotent, so a retried request does not fail.
pub fn member_response(added: bool, member: Member) -> actix_web::HttpResponse {
    if added { actix_web::HttpResponse::Created().json(member) } else { actix_web::HttpResponse::Ok().json(member) }
}
