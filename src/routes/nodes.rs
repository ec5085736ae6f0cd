//! Service providers, organizations and users: the tenant tree (N1–N5, P1–P4).

use actix_web::{HttpResponse, delete, get, patch, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use super::Page;
use super::extract::{ApiJson, PageQuery, non_null};
use crate::auth::{Principal, password};
use crate::authz;
use crate::authz::nodes::ProviderScope;
use crate::db::repo::nodes::{NewNode, NodeRecord};
use crate::db::repo::{Lock, Locked};
use crate::db::{self, DbConn, repo, write_tx};
use crate::domain::validate::Errors;
use crate::domain::{Actor, Level, NodeKind};
use crate::error::{ApiError, Problem};
use crate::startup::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(create_service_provider)
        .service(list_service_providers)
        .service(get_service_provider)
        .service(patch_service_provider)
        .service(delete_service_provider)
        .service(create_organization)
        .service(list_organizations)
        .service(get_organization)
        .service(patch_organization)
        .service(delete_organization)
        .service(create_user)
        .service(list_users)
        .service(get_user)
        .service(patch_user)
        .service(delete_user);
}

/// A node's login.
#[derive(Serialize, ToSchema)]
pub struct OwnerView {
    pub username: String,
}

/// A service provider, organization or user.
#[derive(Serialize, ToSchema)]
pub struct NodeView {
    pub id: Uuid,
    /// `service_provider`, `organization` or `user`.
    #[serde(rename = "type")]
    pub kind: NodeKind,
    pub name: String,
    /// "Allow to provision devices".
    pub device_provisioning: Level,
    /// The parent node's id (null for a service provider).
    pub parent_id: Option<Uuid>,
    /// The service provider above (organizations and users).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_provider_id: Option<Uuid>,
    /// The organization above (users).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization_id: Option<Uuid>,
    /// The node's login (service providers and organizations).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<OwnerView>,
    /// The user's login name (users).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<NodeRecord> for NodeView {
    fn from(r: NodeRecord) -> NodeView {
        let (owner, username) = match r.kind {
            NodeKind::User => (None, Some(r.username)),
            _ => (Some(OwnerView { username: r.username }), None),
        };
        NodeView {
            id: r.id,
            kind: r.kind,
            name: r.name,
            device_provisioning: r.level,
            parent_id: r.parent_id,
            service_provider_id: (r.kind != NodeKind::ServiceProvider).then_some(r.sp_id),
            organization_id: if r.kind == NodeKind::User { r.org_id } else { None },
            owner,
            username,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// Login credentials of a new node.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    /// 3–64 characters of `a-z 0-9 . _ -`, unique system-wide.
    pub username: String,
    /// At least 12 characters. Write-only.
    pub password: String,
}

/// Body to create a service provider or an organization.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTenant {
    /// 1–200 characters.
    pub name: String,
    /// Defaults to `none` (P4). Set only by the parent's owner or a system admin (P1), at
    /// most the parent's own level (P2).
    pub device_provisioning: Option<Level>,
    pub owner: Credentials,
}

/// Body to create a user.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    pub name: String,
    pub username: String,
    pub password: String,
    pub device_provisioning: Option<Level>,
}

/// Body of a node `PATCH`: every field optional.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchNode {
    #[serde(default, deserialize_with = "non_null")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "non_null")]
    pub device_provisioning: Option<Level>,
}

struct NewNodeInput {
    kind: NodeKind,
    parent: Option<(Uuid, NodeKind)>,
    name: String,
    level: Option<Level>,
    username: String,
    password: String,
}

async fn create(state: &AppState, caller: Principal, input: NewNodeInput) -> Result<HttpResponse, ApiError> {
    let mut errors = Errors::default();
    errors.name("name", &input.name);
    let (user_field, pass_field) =
        if input.kind == NodeKind::User { ("username", "password") } else { ("owner.username", "owner.password") };
    errors.username(user_field, &input.username);
    errors.password(pass_field, &input.password);
    if !errors.is_empty() {
        return Err(ApiError::invalid(errors.into_vec()));
    }
    let record = db::run(&state.pool, move |conn| {
        let hash = password::hash(&input.password)?;
        write_tx(conn, |conn| {
            let parent = match input.parent {
                Some((id, kind)) => {
                    repo::lock(conn, Locked::Nodes, id, Lock::Share)?;
                    Some(repo::nodes::find_kind(conn, id, kind)?.ok_or(ApiError::NotFound)?.node_ref())
                }
                None => None,
            };
            authz::nodes::can_create(&caller.actor, input.kind, parent.as_ref(), input.level).check()?;
            let new = NewNode {
                kind: input.kind,
                name: input.name.trim(),
                parent: parent.as_ref(),
                level: authz::nodes::initial_level(input.level),
            };
            let id = repo::nodes::insert(conn, &new)?;
            repo::logins::insert(conn, &input.username, &hash, Some(id))?;
            repo::nodes::find(conn, id)?.ok_or_else(|| ApiError::internal("created node vanished"))
        })
    })
    .await?;
    Ok(HttpResponse::Created().json(NodeView::from(record)))
}

/// Loads a node of a kind that the caller may read (else 404, N5).
fn readable(conn: &mut DbConn, actor: &Actor, id: Uuid, kind: NodeKind) -> Result<NodeRecord, ApiError> {
    let node = repo::nodes::find_kind(conn, id, kind)?.ok_or(ApiError::NotFound)?;
    authz::nodes::can_read(actor, &node.node_ref()).check()?;
    Ok(node)
}

async fn get_one(state: &AppState, caller: Principal, id: Uuid, kind: NodeKind) -> Result<HttpResponse, ApiError> {
    let node = db::run(&state.pool, move |conn| readable(conn, &caller.actor, id, kind)).await?;
    Ok(HttpResponse::Ok().json(NodeView::from(node)))
}

async fn list(
    state: &AppState,
    caller: Principal,
    kind: NodeKind,
    parent: Option<(Uuid, NodeKind)>,
    q: PageQuery,
) -> Result<HttpResponse, ApiError> {
    let (after, limit) = q.resolve()?;
    let (rows, next) = db::run(&state.pool, move |conn| match parent {
        Some((pid, pkind)) => {
            readable(conn, &caller.actor, pid, pkind)?;
            repo::nodes::list(conn, kind, Some(pid), after, limit)
        }
        None => match authz::nodes::readable_providers(&caller.actor) {
            ProviderScope::All => repo::nodes::list(conn, kind, None, after, limit),
            ProviderScope::Own(id) if after.is_none_or(|a| a < id) => {
                Ok((repo::nodes::find(conn, id)?.into_iter().collect(), None))
            }
            ProviderScope::Own(_) | ProviderScope::None => Ok((vec![], None)),
        },
    })
    .await?;
    Ok(HttpResponse::Ok().json(Page::new(rows.into_iter().map(NodeView::from).collect(), next)))
}

async fn update(
    state: &AppState,
    caller: Principal,
    id: Uuid,
    kind: NodeKind,
    body: PatchNode,
) -> Result<HttpResponse, ApiError> {
    let mut errors = Errors::default();
    if let Some(name) = &body.name {
        errors.name("name", name);
    }
    if !errors.is_empty() {
        return Err(ApiError::invalid(errors.into_vec()));
    }
    let node = db::run(&state.pool, move |conn| {
        write_tx(conn, |conn| {
            let node = repo::nodes::find_kind(conn, id, kind)?.ok_or(ApiError::NotFound)?;
            authz::nodes::can_update(&caller.actor, &node.node_ref(), body.device_provisioning).check()?;
            repo::nodes::update(conn, id, body.name.as_deref().map(str::trim), body.device_provisioning)?;
            repo::nodes::find(conn, id)?.ok_or(ApiError::NotFound)
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(NodeView::from(node)))
}

async fn remove(state: &AppState, caller: Principal, id: Uuid, kind: NodeKind) -> Result<HttpResponse, ApiError> {
    db::run(&state.pool, move |conn| {
        write_tx(conn, |conn| {
            repo::lock(conn, Locked::Nodes, id, Lock::Update)?;
            let node = repo::nodes::find_kind(conn, id, kind)?.ok_or(ApiError::NotFound)?;
            let contents = repo::nodes::contents(conn, id)?;
            authz::nodes::can_delete(&caller.actor, &node.node_ref(), contents).check()?;
            repo::nodes::delete(conn, id)
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

fn tenant_input(kind: NodeKind, parent: Option<(Uuid, NodeKind)>, b: CreateTenant) -> NewNodeInput {
    NewNodeInput {
        kind,
        parent,
        name: b.name,
        level: b.device_provisioning,
        username: b.owner.username,
        password: b.owner.password,
    }
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
#[post("/service-providers")]
pub async fn create_service_provider(
    s: web::Data<AppState>,
    p: Principal,
    b: ApiJson<CreateTenant>,
) -> Result<HttpResponse, ApiError> {
    create(&s, p, tenant_input(SP, None, b.0)).await
}

/// List the service providers the caller may read.
#[utoipa::path(tag = "service providers", params(PageQuery), responses((status = 200, body = Page<NodeView>)))]
#[get("/service-providers")]
pub async fn list_service_providers(
    s: web::Data<AppState>,
    p: Principal,
    q: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    list(&s, p, SP, None, q.into_inner()).await
}

/// One service provider.
#[utoipa::path(tag = "service providers", params(("id" = Uuid, Path)), responses((status = 200, body = NodeView)))]
#[get("/service-providers/{id}")]
pub async fn get_service_provider(
    s: web::Data<AppState>,
    p: Principal,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    get_one(&s, p, *id, SP).await
}

/// Rename a service provider or (system admins) set its level.
#[utoipa::path(tag = "service providers", params(("id" = Uuid, Path)), request_body = PatchNode, responses(
    (status = 200, body = NodeView),
    (status = 403, body = Problem, content_type = "application/problem+json", description = "P1 `not_parent`"),
))]
#[patch("/service-providers/{id}")]
pub async fn patch_service_provider(
    s: web::Data<AppState>,
    p: Principal,
    id: web::Path<Uuid>,
    b: ApiJson<PatchNode>,
) -> Result<HttpResponse, ApiError> {
    update(&s, p, *id, SP, b.0).await
}

/// Delete an empty service provider (N4).
#[utoipa::path(tag = "service providers", params(("id" = Uuid, Path)), responses(
    (status = 204),
    (status = 403, body = Problem, content_type = "application/problem+json", description = "N4 `cannot_delete_self`"),
    (status = 409, body = Problem, content_type = "application/problem+json", description = "N4 `node_not_empty`"),
))]
#[delete("/service-providers/{id}")]
pub async fn delete_service_provider(
    s: web::Data<AppState>,
    p: Principal,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    remove(&s, p, *id, SP).await
}

/// Create an organization under a service provider (N1, P1, P2, P4).
#[utoipa::path(tag = "organizations", params(("id" = Uuid, Path, description = "service provider id")), request_body = CreateTenant, responses(
    (status = 201, body = NodeView),
    (status = 403, body = Problem, content_type = "application/problem+json", description = "P1 `not_parent`, P2 `level_exceeds_own`"),
    (status = 409, body = Problem, content_type = "application/problem+json", description = "`username_taken`"),
))]
#[post("/service-providers/{id}/organizations")]
pub async fn create_organization(
    s: web::Data<AppState>,
    p: Principal,
    id: web::Path<Uuid>,
    b: ApiJson<CreateTenant>,
) -> Result<HttpResponse, ApiError> {
    create(&s, p, tenant_input(ORG, Some((*id, SP)), b.0)).await
}

/// List a service provider's organizations.
#[utoipa::path(tag = "organizations", params(("id" = Uuid, Path, description = "service provider id"), PageQuery), responses((status = 200, body = Page<NodeView>)))]
#[get("/service-providers/{id}/organizations")]
pub async fn list_organizations(
    s: web::Data<AppState>,
    p: Principal,
    id: web::Path<Uuid>,
    q: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    list(&s, p, ORG, Some((*id, SP)), q.into_inner()).await
}

/// One organization.
#[utoipa::path(tag = "organizations", params(("id" = Uuid, Path)), responses((status = 200, body = NodeView)))]
#[get("/organizations/{id}")]
pub async fn get_organization(
    s: web::Data<AppState>,
    p: Principal,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    get_one(&s, p, *id, ORG).await
}

/// Rename an organization or (its SP owner) set its level.
#[utoipa::path(tag = "organizations", params(("id" = Uuid, Path)), request_body = PatchNode, responses(
    (status = 200, body = NodeView),
    (status = 403, body = Problem, content_type = "application/problem+json", description = "P1 `not_parent`, P2 `level_exceeds_own`"),
))]
#[patch("/organizations/{id}")]
pub async fn patch_organization(
    s: web::Data<AppState>,
    p: Principal,
    id: web::Path<Uuid>,
    b: ApiJson<PatchNode>,
) -> Result<HttpResponse, ApiError> {
    update(&s, p, *id, ORG, b.0).await
}

/// Delete an empty organization (N4).
#[utoipa::path(tag = "organizations", params(("id" = Uuid, Path)), responses(
    (status = 204),
    (status = 403, body = Problem, content_type = "application/problem+json", description = "N4 `cannot_delete_self`"),
    (status = 409, body = Problem, content_type = "application/problem+json", description = "N4 `node_not_empty`"),
))]
#[delete("/organizations/{id}")]
pub async fn delete_organization(
    s: web::Data<AppState>,
    p: Principal,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    remove(&s, p, *id, ORG).await
}

/// Create a user under an organization (N1, P1, P2, P4).
#[utoipa::path(tag = "users", params(("id" = Uuid, Path, description = "organization id")), request_body = CreateUser, responses(
    (status = 201, body = NodeView),
    (status = 403, body = Problem, content_type = "application/problem+json", description = "P1 `not_parent`, P2 `level_exceeds_own`"),
    (status = 409, body = Problem, content_type = "application/problem+json", description = "`username_taken`"),
))]
#[post("/organizations/{id}/users")]
pub async fn create_user(
    s: web::Data<AppState>,
    p: Principal,
    id: web::Path<Uuid>,
    b: ApiJson<CreateUser>,
) -> Result<HttpResponse, ApiError> {
    let b = b.0;
    let input = NewNodeInput {
        kind: USER,
        parent: Some((*id, ORG)),
        name: b.name,
        level: b.device_provisioning,
        username: b.username,
        password: b.password,
    };
    create(&s, p, input).await
}

/// List an organization's users.
#[utoipa::path(tag = "users", params(("id" = Uuid, Path, description = "organization id"), PageQuery), responses((status = 200, body = Page<NodeView>)))]
#[get("/organizations/{id}/users")]
pub async fn list_users(
    s: web::Data<AppState>,
    p: Principal,
    id: web::Path<Uuid>,
    q: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    list(&s, p, USER, Some((*id, ORG)), q.into_inner()).await
}

/// One user.
#[utoipa::path(tag = "users", params(("id" = Uuid, Path)), responses((status = 200, body = NodeView)))]
#[get("/users/{id}")]
pub async fn get_user(s: web::Data<AppState>, p: Principal, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    get_one(&s, p, *id, USER).await
}

/// Rename a user or (its Org owner) set its level.
#[utoipa::path(tag = "users", params(("id" = Uuid, Path)), request_body = PatchNode, responses(
    (status = 200, body = NodeView),
    (status = 403, body = Problem, content_type = "application/problem+json", description = "P1 `not_parent`, P2 `level_exceeds_own`"),
))]
#[patch("/users/{id}")]
pub async fn patch_user(
    s: web::Data<AppState>,
    p: Principal,
    id: web::Path<Uuid>,
    b: ApiJson<PatchNode>,
) -> Result<HttpResponse, ApiError> {
    update(&s, p, *id, USER, b.0).await
}

/// Delete a user with no accounts or devices (N4).
#[utoipa::path(tag = "users", params(("id" = Uuid, Path)), responses(
    (status = 204),
    (status = 403, body = Problem, content_type = "application/problem+json", description = "N4 `cannot_delete_self`"),
    (status = 409, body = Problem, content_type = "application/problem+json", description = "N4 `node_not_empty`"),
))]
#[delete("/users/{id}")]
pub async fn delete_user(s: web::Data<AppState>, p: Principal, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    remove(&s, p, *id, USER).await
}
