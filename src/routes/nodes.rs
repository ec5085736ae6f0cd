//! Service providers, organizations and users: the tenant tree (N1–N5, P1–P4).

use actix_web::{HttpResponse, delete, get, patch, post, web};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use super::NodePage;
use super::extract::{Body, Db, IfMatchHeader, PageQuery, Precondition};
use crate::db::repo::Locked;
use crate::domain::NodeKind;
use crate::error::{ApiError, Problem};
use crate::service::nodes::{self, CreateTenant, CreateUser, NodeView, PatchNode, PatchProvider};

/// The routes under `/v1/service-providers`.
pub fn under_service_providers(cfg: &mut ServiceConfig) {
    cfg.service(create_service_provider)
        .service(list_service_providers)
        .service(get_service_provider)
        .service(patch_service_provider)
        .service(delete_service_provider)
        .service(create_organization)
        .service(list_organizations);
}

/// The routes under `/v1/organizations`.
pub fn under_organizations(cfg: &mut ServiceConfig) {
    cfg.service(get_organization)
        .service(patch_organization)
        .service(delete_organization)
        .service(create_user)
        .service(list_users);
}

/// The routes under `/v1/users`.
pub fn under_users(cfg: &mut ServiceConfig) {
    cfg.service(get_user).service(patch_user).service(delete_user);
}

async fn get_one(db: Db, id: Uuid, kind: NodeKind) -> Result<HttpResponse, ApiError> {
    let node = db.read(move |s, p| nodes::get(s.conn()?, p, id, kind)).await?;
    Ok(HttpResponse::Ok().json(node))
}

async fn list(
    db: Db,
    kind: NodeKind,
    parent: Option<(Uuid, NodeKind)>,
    q: PageQuery,
) -> Result<HttpResponse, ApiError> {
    let page = db.read(move |s, p| nodes::list(s.conn()?, p, kind, parent, q.limit, q.cursor.as_deref())).await?;
    Ok(super::page::<_, NodePage>(page))
}

fn precondition(h: IfMatchHeader, id: Uuid, kind: NodeKind) -> Option<Precondition> {
    Precondition::new(h, (Locked::Nodes, id), move |c, p| nodes::get(c, p, id, kind))
}

async fn update(
    db: Db,
    id: Uuid,
    kind: NodeKind,
    h: IfMatchHeader,
    b: Body<PatchNode>,
) -> Result<HttpResponse, ApiError> {
    let node = db.run_if(precondition(h, id, kind), move |s, p| nodes::update(s.conn()?, p, id, kind, b.0)).await?;
    Ok(HttpResponse::Ok().json(node))
}

async fn remove(db: Db, id: Uuid, kind: NodeKind, h: IfMatchHeader) -> Result<HttpResponse, ApiError> {
    db.run_if(precondition(h, id, kind), move |s, p| nodes::delete(s.conn()?, p, id, kind)).await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn create_tenant(
    db: Db,
    kind: NodeKind,
    parent: Option<(Uuid, NodeKind)>,
    b: Body<CreateTenant>,
) -> Result<HttpResponse, ApiError> {
    let node = db.run_hashing(move |s, p| nodes::create_tenant(s.conn()?, p, kind, parent, b.0)).await?;
    Ok(super::created(node_location(&node)).json(node))
}

/// Where a new node lives.
fn node_location(node: &NodeView) -> String {
    let collection = match node.kind {
        NodeKind::ServiceProvider => "service-providers",
        NodeKind::Organization => "organizations",
        NodeKind::User => "users",
    };
    format!("/v1/{collection}/{}", node.id)
}

const SP: NodeKind = NodeKind::ServiceProvider;
const ORG: NodeKind = NodeKind::Organization;
const USER: NodeKind = NodeKind::User;

/// Create a service provider (system admins only, N1).
#[utoipa::path(tag = "service providers", request_body = CreateTenant, responses(
    (status = 201, body = NodeView),
    (status = 403, body = Problem, content_type = "application/problem+json", description = "N1 `create_not_allowed`"),
    (status = 409, body = Problem, content_type = "application/problem+json", description = "`username_taken`"),
))]
#[post("")]
pub async fn create_service_provider(db: Db, b: Body<CreateTenant>) -> Result<HttpResponse, ApiError> {
    create_tenant(db, SP, None, b).await
}

/// List the service providers the caller may read.
#[utoipa::path(tag = "service providers", params(PageQuery), responses((status = 200, body = NodePage)))]
#[get("")]
pub async fn list_service_providers(db: Db, q: web::Query<PageQuery>) -> Result<HttpResponse, ApiError> {
    list(db, SP, None, q.into_inner()).await
}

/// One service provider.
#[utoipa::path(tag = "service providers", params(("id" = Uuid, Path)), responses((status = 200, body = NodeView)))]
#[get("/{id}")]
pub async fn get_service_provider(db: Db, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    get_one(db, *id, SP).await
}

/// Rename a service provider, set its SIP service (N3) or (system admins) its level.
#[utoipa::path(tag = "service providers", params(("id" = Uuid, Path)), request_body = PatchProvider, responses(
    (status = 200, body = NodeView),
    (status = 403, body = Problem, content_type = "application/problem+json", description = "P1 `not_parent`"),
    (status = 422, body = Problem, content_type = "application/problem+json", description = "`invalid_name`, `invalid_host`, `invalid_port`"),
))]
#[patch("/{id}")]
pub async fn patch_service_provider(
    db: Db,
    id: web::Path<Uuid>,
    h: IfMatchHeader,
    b: Body<PatchProvider>,
) -> Result<HttpResponse, ApiError> {
    let id = *id;
    let node = db.run_if(precondition(h, id, SP), move |s, p| nodes::update_provider(s.conn()?, p, id, b.0)).await?;
    Ok(HttpResponse::Ok().json(node))
}

/// Delete an empty service provider (N4).
#[utoipa::path(tag = "service providers", params(("id" = Uuid, Path)), responses(
    (status = 204),
    (status = 403, body = Problem, content_type = "application/problem+json", description = "N4 `cannot_delete_self`"),
    (status = 409, body = Problem, content_type = "application/problem+json", description = "N4 `node_not_empty`"),
))]
#[delete("/{id}")]
pub async fn delete_service_provider(db: Db, id: web::Path<Uuid>, h: IfMatchHeader) -> Result<HttpResponse, ApiError> {
    remove(db, *id, SP, h).await
}

/// Create an organization under a service provider (N1, P1, P2, P4).
#[utoipa::path(tag = "organizations", params(("id" = Uuid, Path, description = "service provider id")), request_body = CreateTenant, responses(
    (status = 201, body = NodeView),
    (status = 403, body = Problem, content_type = "application/problem+json", description = "P1 `not_parent`, P2 `level_exceeds_own`"),
    (status = 409, body = Problem, content_type = "application/problem+json", description = "`username_taken`"),
))]
#[post("/{id}/organizations")]
pub async fn create_organization(db: Db, id: web::Path<Uuid>, b: Body<CreateTenant>) -> Result<HttpResponse, ApiError> {
    create_tenant(db, ORG, Some((*id, SP)), b).await
}

/// List a service provider's organizations.
#[utoipa::path(tag = "organizations", params(("id" = Uuid, Path, description = "service provider id"), PageQuery), responses((status = 200, body = NodePage)))]
#[get("/{id}/organizations")]
pub async fn list_organizations(
    db: Db,
    id: web::Path<Uuid>,
    q: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    list(db, ORG, Some((*id, SP)), q.into_inner()).await
}

/// One organization.
#[utoipa::path(tag = "organizations", params(("id" = Uuid, Path)), responses((status = 200, body = NodeView)))]
#[get("/{id}")]
pub async fn get_organization(db: Db, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    get_one(db, *id, ORG).await
}

/// Rename an organization or (its SP owner) set its level.
#[utoipa::path(tag = "organizations", params(("id" = Uuid, Path)), request_body = PatchNode, responses(
    (status = 200, body = NodeView),
    (status = 403, body = Problem, content_type = "application/problem+json", description = "P1 `not_parent`, P2 `level_exceeds_own`"),
))]
#[patch("/{id}")]
pub async fn patch_organization(
    db: Db,
    id: web::Path<Uuid>,
    h: IfMatchHeader,
    b: Body<PatchNode>,
) -> Result<HttpResponse, ApiError> {
    update(db, *id, ORG, h, b).await
}

/// Delete an empty organization (N4).
#[utoipa::path(tag = "organizations", params(("id" = Uuid, Path)), responses(
    (status = 204),
    (status = 403, body = Problem, content_type = "application/problem+json", description = "N4 `cannot_delete_self`"),
    (status = 409, body = Problem, content_type = "application/problem+json", description = "N4 `node_not_empty`"),
))]
#[delete("/{id}")]
pub async fn delete_organization(db: Db, id: web::Path<Uuid>, h: IfMatchHeader) -> Result<HttpResponse, ApiError> {
    remove(db, *id, ORG, h).await
}

/// Create a user under an organization (N1, P1, P2, P4).
#[utoipa::path(tag = "users", params(("id" = Uuid, Path, description = "organization id")), request_body = CreateUser, responses(
    (status = 201, body = NodeView),
    (status = 403, body = Problem, content_type = "application/problem+json", description = "P1 `not_parent`, P2 `level_exceeds_own`"),
    (status = 409, body = Problem, content_type = "application/problem+json", description = "`username_taken`"),
))]
#[post("/{id}/users")]
pub async fn create_user(db: Db, id: web::Path<Uuid>, b: Body<CreateUser>) -> Result<HttpResponse, ApiError> {
    let org = *id;
    let node = db.run_hashing(move |s, p| nodes::create_user(s.conn()?, p, org, b.0)).await?;
    Ok(super::created(node_location(&node)).json(node))
}

/// List an organization's users.
#[utoipa::path(tag = "users", params(("id" = Uuid, Path, description = "organization id"), PageQuery), responses((status = 200, body = NodePage)))]
#[get("/{id}/users")]
pub async fn list_users(db: Db, id: web::Path<Uuid>, q: web::Query<PageQuery>) -> Result<HttpResponse, ApiError> {
    list(db, USER, Some((*id, ORG)), q.into_inner()).await
}

/// One user.
#[utoipa::path(tag = "users", params(("id" = Uuid, Path)), responses((status = 200, body = NodeView)))]
#[get("/{id}")]
pub async fn get_user(db: Db, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    get_one(db, *id, USER).await
}

/// Rename a user or (its Org owner) set its level.
#[utoipa::path(tag = "users", params(("id" = Uuid, Path)), request_body = PatchNode, responses(
    (status = 200, body = NodeView),
    (status = 403, body = Problem, content_type = "application/problem+json", description = "P1 `not_parent`, P2 `level_exceeds_own`"),
))]
#[patch("/{id}")]
pub async fn patch_user(
    db: Db,
    id: web::Path<Uuid>,
    h: IfMatchHeader,
    b: Body<PatchNode>,
) -> Result<HttpResponse, ApiError> {
    update(db, *id, USER, h, b).await
}

/// Delete a user with no accounts or devices (N4).
#[utoipa::path(tag = "users", params(("id" = Uuid, Path)), responses(
    (status = 204),
    (status = 403, body = Problem, content_type = "application/problem+json", description = "N4 `cannot_delete_self`"),
    (status = 409, body = Problem, content_type = "application/problem+json", description = "N4 `node_not_empty`"),
))]
#[delete("/{id}")]
pub async fn delete_user(db: Db, id: web::Path<Uuid>, h: IfMatchHeader) -> Result<HttpResponse, ApiError> {
    remove(db, *id, USER, h).await
}
