//! The audit trail (L2) and webhooks (L3, L4).

use actix_web::{HttpResponse, delete, get, patch, post, web};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use super::extract::{Body, Db, IfMatchHeader, PageQuery, Precondition};
use super::{AuditEventPage, DeliveryPage, WebhookPage};
use crate::db::repo::Locked;
use crate::domain::NodeKind;
use crate::error::{ApiError, Problem};
use crate::service::audit::trail::{self, AuditQuery};
use crate::service::audit::webhooks::{self, CreateWebhook, CreatedWebhook, DeliveryView, PatchWebhook, WebhookView};
use crate::state::AppState;

/// The routes under `/v1/audit-events`.
pub fn under_audit_events(cfg: &mut ServiceConfig) {
    cfg.service(list_audit_events);
}

/// The routes under `/v1/service-providers`.
pub fn under_service_providers(cfg: &mut ServiceConfig) {
    cfg.service(create_service_provider_webhook).service(list_service_provider_webhooks);
}

/// The routes under `/v1/organizations`.
pub fn under_organizations(cfg: &mut ServiceConfig) {
    cfg.service(create_organization_webhook).service(list_organization_webhooks);
}

/// The routes under `/v1/users`.
pub fn under_users(cfg: &mut ServiceConfig) {
    cfg.service(create_user_webhook).service(list_user_webhooks);
}

/// The routes under `/v1/webhooks`.
pub fn under_webhooks(cfg: &mut ServiceConfig) {
    cfg.service(get_webhook)
        .service(patch_webhook)
        .service(delete_webhook)
        .service(list_webhook_deliveries)
        .service(retry_webhook_delivery);
}

/// The audit events of what the caller may read in the tree (L2), oldest first. Filters
/// combine; `since` is inclusive, `until` exclusive.
#[utoipa::path(tag = "audit", params(AuditQuery), responses(
    (status = 200, body = AuditEventPage),
    (status = 422, body = Problem, content_type = "application/problem+json", description = "`unknown_resource_type`, `unknown_action`, `invalid_time`, `invalid_value`"),
))]
#[get("")]
pub async fn list_audit_events(db: Db, q: web::Query<AuditQuery>) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    let page = db.read(move |s, p| trail::list(s.conn()?, p, &q)).await?;
    Ok(super::page::<_, AuditEventPage>(page))
}

async fn create(
    db: Db,
    state: web::Data<AppState>,
    node: (Uuid, NodeKind),
    b: Body<CreateWebhook>,
) -> Result<HttpResponse, ApiError> {
    let insecure = state.webhook_allow_insecure;
    let created = db.run(move |s, p| webhooks::create(s.conn()?, p, node, b.0, insecure)).await?;
    Ok(HttpResponse::Created().json(created))
}

async fn list(db: Db, node: (Uuid, NodeKind), q: PageQuery) -> Result<HttpResponse, ApiError> {
    let page = db.read(move |s, p| webhooks::list(s.conn()?, p, node, q.limit, q.cursor.as_deref())).await?;
    Ok(super::page::<_, WebhookPage>(page))
}

macro_rules! node_webhooks {
    ($create:ident, $list:ident, $path:literal, $kind:expr, $tag:literal) => {
        /// Subscribe the node to its audit events (L3); the signing `secret` is answered
        /// once. The URL must be https to a public address (L4).
        #[utoipa::path(tag = "webhooks", params(("id" = Uuid, Path, description = $tag)), request_body = CreateWebhook, responses(
            (status = 201, body = CreatedWebhook),
            (status = 422, body = Problem, content_type = "application/problem+json", description = "`insecure_url` (L4), `invalid_url`, `invalid_action_pattern`"),
        ))]
        #[post($path)]
        pub async fn $create(
            db: Db,
            state: web::Data<AppState>,
            id: web::Path<Uuid>,
            b: Body<CreateWebhook>,
        ) -> Result<HttpResponse, ApiError> {
            create(db, state, (*id, $kind), b).await
        }

        /// The node's webhooks (L3).
        #[utoipa::path(tag = "webhooks", params(("id" = Uuid, Path, description = $tag), PageQuery), responses(
            (status = 200, body = WebhookPage),
        ))]
        #[get($path)]
        pub async fn $list(db: Db, id: web::Path<Uuid>, q: web::Query<PageQuery>) -> Result<HttpResponse, ApiError> {
            list(db, (*id, $kind), q.into_inner()).await
        }
    };
}

node_webhooks!(
    create_service_provider_webhook,
    list_service_provider_webhooks,
    "/{id}/webhooks",
    NodeKind::ServiceProvider,
    "service provider id"
);
node_webhooks!(
    create_organization_webhook,
    list_organization_webhooks,
    "/{id}/webhooks",
    NodeKind::Organization,
    "organization id"
);
node_webhooks!(create_user_webhook, list_user_webhooks, "/{id}/webhooks", NodeKind::User, "user id");

/// A webhook write's `If-Match`, checked against the webhook as `GET` shows it.
fn precondition(h: IfMatchHeader, id: Uuid) -> Option<Precondition> {
    Precondition::new(h, (Locked::Webhooks, id), move |c, p| webhooks::get(c, p, id))
}

/// One webhook (L3).
#[utoipa::path(tag = "webhooks", params(("id" = Uuid, Path)), responses((status = 200, body = WebhookView)))]
#[get("/{id}")]
pub async fn get_webhook(db: Db, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    let id = *id;
    let view = db.read(move |s, p| webhooks::get(s.conn()?, p, id)).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Change a webhook. A new `url` or `enabled: true` enables it again (after 20
/// consecutive failures it is disabled, L3).
#[utoipa::path(tag = "webhooks", params(("id" = Uuid, Path)), request_body = PatchWebhook, responses(
    (status = 200, body = WebhookView),
    (status = 422, body = Problem, content_type = "application/problem+json", description = "`insecure_url` (L4), `invalid_url`, `invalid_action_pattern`"),
))]
#[patch("/{id}")]
pub async fn patch_webhook(
    db: Db,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    h: IfMatchHeader,
    b: Body<PatchWebhook>,
) -> Result<HttpResponse, ApiError> {
    let (id, insecure) = (*id, state.webhook_allow_insecure);
    let view = db.run_if(precondition(h, id), move |s, p| webhooks::update(s.conn()?, p, id, b.0, insecure)).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Delete a webhook; its pending deliveries go with it.
#[utoipa::path(tag = "webhooks", params(("id" = Uuid, Path)), responses((status = 204)))]
#[delete("/{id}")]
pub async fn delete_webhook(db: Db, id: web::Path<Uuid>, h: IfMatchHeader) -> Result<HttpResponse, ApiError> {
    let id = *id;
    db.run_if(precondition(h, id), move |s, p| webhooks::delete(s.conn()?, p, id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A webhook's deliveries, oldest first, each with its attempts (status, duration, error).
#[utoipa::path(tag = "webhooks", params(("id" = Uuid, Path), PageQuery), responses((status = 200, body = DeliveryPage)))]
#[get("/{id}/deliveries")]
pub async fn list_webhook_deliveries(
    db: Db,
    id: web::Path<Uuid>,
    q: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = *id;
    let page = db.read(move |s, p| webhooks::deliveries(s.conn()?, p, id, q.limit, q.cursor.as_deref())).await?;
    Ok(super::page::<_, DeliveryPage>(page))
}

/// Send a delivery again now (delivered or not).
#[utoipa::path(tag = "webhooks", params(("id" = Uuid, Path), ("delivery_id" = Uuid, Path)), responses(
    (status = 202, body = DeliveryView),
))]
#[post("/{id}/deliveries/{delivery_id}/retry")]
pub async fn retry_webhook_delivery(db: Db, path: web::Path<(Uuid, Uuid)>) -> Result<HttpResponse, ApiError> {
    let (id, delivery) = *path;
    let view = db.run(move |s, p| webhooks::retry(s.conn()?, p, id, delivery)).await?;
    Ok(HttpResponse::Accepted().json(view))
}
