//! Thin handlers: extract → one use case of `service` → render. Every route is registered
//! through utoipa-actix-web, so none exists without its OpenAPI entry.

pub mod accounts;
pub mod api_clients;
pub mod audit;
pub mod auth;
pub mod devices;
pub mod extract;
pub mod fallback;
pub mod health;
pub mod idempotency;
pub mod me;
pub mod middleware;
pub mod nodes;
pub mod provisioning;

use actix_web::HttpResponse;
use actix_web::middleware::from_fn;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::{scope, service_config::ServiceConfig};

use crate::service::Paged;
use crate::service::members::Member;

/// Every route of the API. `/v1/auth` is public; the rest of `/v1` is behind the token
/// middleware by scope.
///
/// Inside `/v1`, routes are grouped in one scope per first path segment. actix tries a
/// scope's resources one after the other, each a regex match with captures, so with all
/// sixty in one list a `GET /v1/devices/{id}` ran some thirty regexes before its own
/// (about an eighth of the instructions of the request); a scope's prefix is a plain
/// string comparison. Each prefix has one scope: a request a scope does not serve gets the
/// default 404 or 405, never the next scope with the same prefix.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(health::healthz).service(health::readyz);
    cfg.service(scope("/v1/auth").service(auth::token).service(auth::revoke));
    cfg.configure(provisioning::configure);
    let v1 = scope("/v1")
        .wrap(from_fn(middleware::authenticate))
        .service(me::me)
        .service(me::change_password)
        .service(me::revoke_tokens);
    cfg.service(V1_SCOPES.iter().fold(v1, |v1, (prefix, families)| {
        v1.service(families.iter().fold(scope(*prefix), |scope, family| scope.configure(family)))
    }));
}

/// Registers a route family's routes under one prefix.
type Family = fn(&mut ServiceConfig);

/// The scopes of `/v1` after `/me`, each with the families that have routes under it.
const V1_SCOPES: &[(&str, &[Family])] = &[
    (
        "/service-providers",
        &[
            nodes::under_service_providers,
            devices::under_service_providers,
            api_clients::under_service_providers,
            audit::under_service_providers,
        ],
    ),
    (
        "/organizations",
        &[
            nodes::under_organizations,
            devices::under_organizations,
            api_clients::under_organizations,
            audit::under_organizations,
        ],
    ),
    (
        "/users",
        &[
            nodes::under_users,
            devices::under_users,
            accounts::under_users,
            api_clients::under_users,
            audit::under_users,
        ],
    ),
    ("/devices", &[devices::under_devices]),
    ("/accounts", &[accounts::under_accounts]),
    ("/api-clients", &[api_clients::under_api_clients]),
    ("/webhooks", &[audit::under_webhooks]),
    ("/audit-events", &[audit::under_audit_events]),
];

/// Declares the page type of a collection: its `items` refer to the item's own schema, so
/// a generated client gets `DevicePage.items: list[DeviceView]`, not an anonymous copy.
macro_rules! page_type {
    ($(#[$doc:meta])* $name:ident, $item:ty) => {
        $(#[$doc])*
        #[derive(Serialize, ToSchema)]
        pub struct $name {
            pub items: Vec<$item>,
            /// Pass as `cursor` for the next page; null on the last page.
            #[schema(value_type = Option<Uuid>)]
            pub next_cursor: Option<String>,
        }

        impl From<Paged<$item>> for $name {
            fn from(p: Paged<$item>) -> $name {
                $name { items: p.items, next_cursor: p.next.map(|n| n.to_string()) }
            }
        }
    };
}

page_type!(
    /// A page of service providers, organizations or users, in id order.
    NodePage,
    crate::service::nodes::NodeView
);
page_type!(
    /// A page of devices, in id order.
    DevicePage,
    crate::service::devices::DeviceView
);
page_type!(
    /// A page of accounts, in id order.
    AccountPage,
    crate::service::accounts::AccountView
);
page_type!(
    /// A page of API clients, in id order.
    ApiClientPage,
    crate::service::api_clients::ApiClientView
);
page_type!(
    /// A page of an owners or administrators list, in login order.
    MemberPage,
    Member
);

page_type!(
    /// A page of audit events, oldest first (L2).
    AuditEventPage,
    crate::service::audit::trail::AuditEvent
);
page_type!(
    /// A page of webhooks, in id order.
    WebhookPage,
    crate::service::audit::webhooks::WebhookView
);
page_type!(
    /// A page of a webhook's deliveries, oldest first.
    DeliveryPage,
    crate::service::audit::webhooks::DeliveryView
);

/// `200 OK` with a page. The body is written into a buffer sized for the page up front
/// (about 1 KiB an item: a device is 700 bytes), where `json` starts at 128 bytes and copies
/// a page of 50 devices nine times as it grows.
pub fn page<T, P: From<Paged<T>> + Serialize>(p: Paged<T>) -> HttpResponse {
    let mut body = Vec::with_capacity(256 + 1024 * p.items.len());
    match serde_json::to_writer(&mut body, &P::from(p)) {
        Ok(()) => HttpResponse::Ok().content_type(actix_web::http::header::ContentType::json()).body(body),
        Err(e) => actix_web::ResponseError::error_response(&crate::error::ApiError::internal(format!(
            "a page could not be written as JSON: {e}"
        ))),
    }
}

/// `201 Created` for a new list member (with `Location`: the list's URI and the member's
/// username, where it is removed), `200 OK` when it already was there: adding is
/// idempotent, so a retried request does not fail.
pub fn member_response(list_path: &str, (added, member): (bool, Member)) -> HttpResponse {
    if added {
        created(format!("{list_path}/{}", member.username)).json(member)
    } else {
        HttpResponse::Ok().json(member)
    }
}

/// `201 Created` with `Location`: every create answers where its resource now lives.
pub fn created(location: String) -> actix_web::HttpResponseBuilder {
    let mut res = HttpResponse::Created();
    res.insert_header((actix_web::http::header::LOCATION, location));
    res
}
