//! API clients (K1–K4) and node login passwords set from above (K5).

use actix_web::{HttpResponse, delete, get, patch, post, put, web};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use super::ApiClientPage;
use super::extract::{Body, Db, IfMatchHeader, PageQuery, Precondition};
use crate::db::repo::Locked;
use crate::domain::{ApiClientId, NodeKind};
use crate::error::{ApiError, Problem};
use crate::service::api_clients::{
    self, ApiClientCreated, ApiClientSecret, ApiClientView, CreateApiClient, PatchApiClient,
};
use crate::service::sessions::{self, SetPassword};

/// The routes under `/v1/service-providers`.
pub fn under_service_providers(cfg: &mut ServiceConfig) {
    cfg.service(create_sp_api_client).service(list_sp_api_clients).service(set_sp_password);
}

/// The routes under `/v1/organizations`.
pub fn under_organizations(cfg: &mut ServiceConfig) {
    cfg.service(create_org_api_client).service(list_org_api_clients).service(set_org_password);
}

/// The routes under `/v1/users`.
pub fn under_users(cfg: &mut ServiceConfig) {
    cfg.service(create_user_api_client).service(list_user_api_clients).service(set_user_password);
}

/// The routes under `/v1/api-clients`.
pub fn under_api_clients(cfg: &mut ServiceConfig) {
    cfg.service(get_api_client).service(patch_api_client).service(delete_api_client).service(rotate_api_client_secret);
}

async fn create(db: Db, id: Uuid, kind: NodeKind, b: Body<CreateApiClient>) -> Result<HttpResponse, ApiError> {
    let created = db.run(move |s, p| api_clients::create(s.conn()?, p, id, kind, b.0)).await?;
    Ok(super::created(format!("/v1/api-clients/{}", created.id))
        .insert_header(("Cache-Control", "no-store"))
        .json(created))
}

async fn list(db: Db, id: Uuid, kind: NodeKind, q: PageQuery) -> Result<HttpResponse, ApiError> {
    let page = db.read(move |s, p| api_clients::list(s.conn()?, p, id, kind, q.limit, q.cursor.as_deref())).await?;
    Ok(super::page::<_, ApiClientPage>(page))
}

async fn set_password(db: Db, id: Uuid, kind: NodeKind, b: Body<SetPassword>) -> Result<HttpResponse, ApiError> {
    db.run_hashing(move |s, p| sessions::set_password(s.conn()?, p, id, kind, b.0)).await?;
    Ok(HttpResponse::NoContent().finish())
}

const SP: NodeKind = NodeKind::ServiceProvider;
const ORG: NodeKind = NodeKind::Organization;
const USER: NodeKind = NodeKind::User;

macro_rules! node_routes {
    ($kind:expr, $tag:literal, $clients:literal, $pw:literal, $create:ident, $list:ident, $password:ident) => {
        /// Create an API client of this node (K1); its `client_secret` is shown once (K3).
        #[utoipa::path(tag = "api clients", params(("id" = Uuid, Path)), request_body = CreateApiClient, responses(
            (status = 201, body = ApiClientCreated, headers(("Location" = String, description = "the new client"))),
            (status = 403, body = Problem, content_type = "application/problem+json", description = "K3 `not_a_person`, K2 `insufficient_scope`"),
        ))]
        #[post($clients)]
        pub async fn $create(db: Db, id: web::Path<Uuid>, b: Body<CreateApiClient>) -> Result<HttpResponse, ApiError> {
            create(db, *id, $kind, b).await
        }

        /// List this node's API clients (K1).
        #[utoipa::path(tag = "api clients", params(("id" = Uuid, Path), PageQuery), responses(
            (status = 200, body = ApiClientPage),
            (status = 403, body = Problem, content_type = "application/problem+json", description = "K3 `not_a_person`"),
        ))]
        #[get($clients)]
        pub async fn $list(db: Db, id: web::Path<Uuid>, q: web::Query<PageQuery>) -> Result<HttpResponse, ApiError> {
            list(db, *id, $kind, q.into_inner()).await
        }

        /// Set this node's login password, without the current one (K5): by the owner of an
        /// ancestor node or a system admin. Every token of the login is refused from then on.
        #[utoipa::path(tag = $tag, params(("id" = Uuid, Path)), request_body = SetPassword, responses(
            (status = 204),
            (status = 403, body = Problem, content_type = "application/problem+json", description = "K5 `not_an_ancestor`, K3 `not_a_person`, K2 `insufficient_scope`"),
        ))]
        #[put($pw)]
        pub async fn $password(db: Db, id: web::Path<Uuid>, b: Body<SetPassword>) -> Result<HttpResponse, ApiError> {
            set_password(db, *id, $kind, b).await
        }
    };
}

node_routes!(
    SP,
    "service providers",
    "/{id}/api-clients",
    "/{id}/password",
    create_sp_api_client,
    list_sp_api_clients,
    set_sp_password
);
node_routes!(
    ORG,
    "organizations",
    "/{id}/api-clients",
    "/{id}/password",
    create_org_api_client,
    list_org_api_clients,
    set_org_password
);
node_routes!(
    USER,
    "users",
    "/{id}/api-clients",
    "/{id}/password",
    create_user_api_client,
    list_user_api_clients,
    set_user_password
);

/// A client write's `If-Match`, checked against the client as `GET` shows it.
fn precondition(h: IfMatchHeader, id: ApiClientId) -> Option<Precondition> {
    Precondition::new(h, (Locked::ApiClients, id.uuid()), move |c, p| api_clients::get(c, p, id))
}

/// One API client (K1).
#[utoipa::path(tag = "api clients", params(("id" = Uuid, Path)), responses(
    (status = 200, body = ApiClientView),
    (status = 403, body = Problem, content_type = "application/problem+json", description = "K3 `not_a_person`"),
))]
#[get("/{id}")]
pub async fn get_api_client(db: Db, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    let id = ApiClientId(*id);
    let client = db.read(move |s, p| api_clients::get(s.conn()?, p, id)).await?;
    Ok(HttpResponse::Ok().json(client))
}

/// Rename an API client or change its scope (K1, K2).
#[utoipa::path(tag = "api clients", params(("id" = Uuid, Path)), request_body = PatchApiClient, responses(
    (status = 200, body = ApiClientView),
    (status = 403, body = Problem, content_type = "application/problem+json", description = "K3 `not_a_person`, K2 `insufficient_scope`"),
))]
#[patch("/{id}")]
pub async fn patch_api_client(
    db: Db,
    id: web::Path<Uuid>,
    h: IfMatchHeader,
    b: Body<PatchApiClient>,
) -> Result<HttpResponse, ApiError> {
    let id = ApiClientId(*id);
    let client = db.run_if(precondition(h, id), move |s, p| api_clients::update(s.conn()?, p, id, b.0)).await?;
    Ok(HttpResponse::Ok().json(client))
}

/// Delete an API client: its tokens are refused from the next request on (K4).
#[utoipa::path(tag = "api clients", params(("id" = Uuid, Path)), responses(
    (status = 204),
    (status = 403, body = Problem, content_type = "application/problem+json", description = "K3 `not_a_person`, K2 `insufficient_scope`"),
))]
#[delete("/{id}")]
pub async fn delete_api_client(db: Db, id: web::Path<Uuid>, h: IfMatchHeader) -> Result<HttpResponse, ApiError> {
    let id = ApiClientId(*id);
    db.run_if(precondition(h, id), move |s, p| api_clients::delete(s.conn()?, p, id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Rotate an API client's secret (K4): the new one is shown once; the old one and every
/// token it got are refused from the next request on.
#[utoipa::path(tag = "api clients", params(("id" = Uuid, Path)), responses(
    (status = 200, body = ApiClientSecret),
    (status = 403, body = Problem, content_type = "application/problem+json", description = "K3 `not_a_person`, K2 `insufficient_scope`"),
))]
#[post("/{id}/secret")]
pub async fn rotate_api_client_secret(db: Db, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    let id = ApiClientId(*id);
    let secret = db.run(move |s, p| api_clients::rotate(s.conn()?, p, id)).await?;
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(secret))
}
