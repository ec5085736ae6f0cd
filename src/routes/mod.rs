//! Thin handlers: extract → one use case of `service` → render. Every route is registered
//! through utoipa-actix-web, so none exists without its OpenAPI entry.

pub mod accounts;
pub mod auth;
pub mod devices;
pub mod extract;
pub mod fallback;
pub mod health;
pub mod me;
pub mod middleware;
pub mod nodes;

use actix_web::HttpResponse;
use actix_web::middleware::from_fn;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::{scope, service_config::ServiceConfig};

use crate::service::Paged;
use crate::service::members::Member;

/// Every route of the API. `/v1/auth` is public; the rest of `/v1` is behind the token
/// middleware by scope.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(health::healthz).service(health::readyz);
    cfg.service(scope("/v1/auth").service(auth::token));
    cfg.service(
        scope("/v1")
            .wrap(from_fn(middleware::authenticate))
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

impl<T: ToSchema> From<Paged<T>> for Page<T> {
    fn from(p: Paged<T>) -> Page<T> {
        Page { items: p.items, next_cursor: p.next.map(|n| n.to_string()) }
    }
}

/// `200 OK` with a page.
pub fn page<T: ToSchema + Serialize>(p: Paged<T>) -> HttpResponse {
    HttpResponse::Ok().json(Page::from(p))
}

/// `201 Created` for a new list member, `200 OK` when it already was there: adding is
/// idempotent, so a retried request does not fail.
pub fn member_response((added, member): (bool, Member)) -> HttpResponse {
    if added { HttpResponse::Created().json(member) } else { HttpResponse::Ok().json(member) }
}
