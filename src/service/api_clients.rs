//! API clients (K1–K4): created, listed, read, changed, rotated and deleted by the node's
//! login, its ancestors' logins and system admins; never by an API client (K3).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{Input, PageRequest, Paged};
use crate::auth::{Principal, client_secret};
use crate::authz;
use crate::db::repo::api_clients::ClientRecord;
use crate::db::repo::{Lock, Locked};
use crate::db::{DbConn, repo, write_tx};
use crate::domain::audit::{ResourceType, Verb};
use crate::domain::validate::{self, Errors};
use crate::domain::{ApiClientId, NodeKind, NodeLink, NodeRef, Scope, Timestamp};
use crate::error::ApiError;
use crate::service::audit::{self, Changes, Event, Under};

/// An API client as anyone who manages it sees it; never its secret.
#[derive(Serialize, ToSchema)]
pub struct ApiClientView {
    #[schema(value_type = Uuid)]
    pub id: ApiClientId,
    /// The `client_id` of `grant_type=client_credentials`: the same as `id`.
    #[schema(value_type = Uuid)]
    pub client_id: ApiClientId,
    pub name: String,
    /// `read` (GET only) or `write` (whatever its node may do), K2.
    pub scope: Scope,
    /// The node whose role context the client acts in (K1).
    pub node: NodeLink,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

impl From<ClientRecord> for ApiClientView {
    fn from(r: ClientRecord) -> ApiClientView {
        ApiClientView {
            id: r.id,
            client_id: r.id,
            name: r.name,
            scope: r.scope,
            node: r.node.link(),
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// A new API client, with its secret: shown this once, never again (K3).
#[derive(Serialize, ToSchema)]
pub struct ApiClientCreated {
    #[schema(value_type = Uuid)]
    pub id: ApiClientId,
    #[schema(value_type = Uuid)]
    pub client_id: ApiClientId,
    /// Shown once; only a digest is kept. Lost: rotate it.
    pub client_secret: String,
    pub name: String,
    pub scope: Scope,
    pub node: NodeLink,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

/// A client's new secret (K4): the previous one and every token it got stop working.
#[derive(Serialize, ToSchema)]
pub struct ApiClientSecret {
    #[schema(value_type = Uuid)]
    pub client_id: ApiClientId,
    /// Shown once; only a digest is kept.
    pub client_secret: String,
}

/// Body to create an API client.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateApiClient {
    #[schema(schema_with = crate::domain::validate::schemas::name)]
    pub name: String,
    pub scope: Scope,
}

/// Body of an API client `PATCH`: every field optional.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchApiClient {
    #[serde(default, deserialize_with = "crate::service::input::non_null")]
    #[schema(schema_with = crate::domain::validate::schemas::name)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "crate::service::input::non_null")]
    #[schema(nullable = false)]
    pub scope: Option<Scope>,
}

/// The node clients are managed under, if the caller may manage them there (K1, K3).
fn managed_node(conn: &mut DbConn, caller: &Principal, id: Uuid, kind: NodeKind) -> Result<NodeRef, ApiError> {
    authz::access::person_only(caller.is_client()).check()?;
    let node = repo::nodes::find_ref_kind(conn, id, kind)?.ok_or(ApiError::NotFound)?;
    authz::access::can_manage_clients(&caller.actor, caller.is_client(), &node).check()?;
    Ok(node)
}

/// A client the caller may manage (K1, K3; else 404, N5).
fn managed(conn: &mut DbConn, caller: &Principal, id: ApiClientId) -> Result<ClientRecord, ApiError> {
    authz::access::person_only(caller.is_client()).check()?;
    let client = repo::api_clients::find(conn, id)?.ok_or(ApiError::NotFound)?;
    authz::access::can_manage_clients(&caller.actor, caller.is_client(), &client.node).check()?;
    Ok(client)
}

fn check_name(name: &str) -> Result<(), ApiError> {
    let mut errors = Errors::default();
    errors.check("name", &validate::NAME, name);
    if errors.is_empty() { Ok(()) } else { Err(ApiError::invalid(errors.into_vec())) }
}

/// K1/K3: a new client under a node, with a generated secret shown once.
pub fn create(
    conn: &mut DbConn,
    caller: &Principal,
    node_id: Uuid,
    kind: NodeKind,
    body: Input<CreateApiClient>,
) -> Result<ApiClientCreated, ApiError> {
    managed_node(conn, caller, node_id, kind)?;
    let body = body.parse()?;
    check_name(&body.name)?;
    let secret = client_secret::generate()?;
    let digest = client_secret::digest(&secret);
    write_tx(conn, |conn| {
        repo::lock(conn, Locked::Nodes, node_id, Lock::Share)?;
        let node = managed_node(conn, caller, node_id, kind)?;
        let id = ApiClientId(Uuid::now_v7());
        let name = body.name.trim();
        let ts = repo::api_clients::insert(conn, id, node.id, name, body.scope, &digest)?;
        let changes = Changes::default()
            .set("name", None::<&str>, name)
            .set("scope", None::<Scope>, body.scope)
            .secret("client_secret", false);
        audit::record(conn, caller, client_event(id, Verb::Created, &node, changes))?;
        Ok(ApiClientCreated {
            id,
            client_id: id,
            client_secret: secret,
            name: name.to_owned(),
            scope: body.scope,
            node: node.link(),
            created_at: ts,
            updated_at: ts,
        })
    })
}

/// K1: a node's clients.
pub fn list(
    conn: &mut DbConn,
    caller: &Principal,
    node_id: Uuid,
    kind: NodeKind,
    limit: Option<i64>,
    cursor: Option<&str>,
) -> Result<Paged<ApiClientView>, ApiError> {
    managed_node(conn, caller, node_id, kind)?;
    let page = PageRequest::parse(limit, cursor)?;
    let rows = repo::api_clients::list(conn, node_id, page.after, page.limit)?;
    Ok(Paged::from_rows(rows, page, |r| r.id.uuid()).map(ApiClientView::from))
}

pub fn get(conn: &mut DbConn, caller: &Principal, id: ApiClientId) -> Result<ApiClientView, ApiError> {
    managed(conn, caller, id).map(ApiClientView::from)
}

/// K1: a client's name and scope. A field written as it is changes nothing (N6).
pub fn update(
    conn: &mut DbConn,
    caller: &Principal,
    id: ApiClientId,
    body: Input<PatchApiClient>,
) -> Result<ApiClientView, ApiError> {
    write_tx(conn, |conn| {
        let mut client = managed(conn, caller, id)?;
        let body = body.parse()?;
        if let Some(name) = &body.name {
            check_name(name)?;
        }
        let name = authz::change(&client.name.as_str(), body.name.as_deref().map(str::trim)).map(str::to_owned);
        let scope = authz::change(&client.scope, body.scope);
        if name.is_none() && scope.is_none() {
            return Ok(ApiClientView::from(client));
        }
        let before = (client.name.clone(), client.scope);
        client.updated_at = repo::api_clients::update(conn, id, name.as_deref(), scope)?;
        if let Some(n) = name {
            client.name = n;
        }
        if let Some(s) = scope {
            client.scope = s;
        }
        let changes = Changes::diff(
            &serde_json::json!({"name": before.0, "scope": before.1}),
            &serde_json::json!({"name": client.name, "scope": client.scope}),
        );
        audit::record(conn, caller, client_event(id, Verb::Updated, &client.node, changes))?;
        Ok(ApiClientView::from(client))
    })
}

/// K4: a new secret; the old one and every token issued with it are refused from the next
/// request on.
pub fn rotate(conn: &mut DbConn, caller: &Principal, id: ApiClientId) -> Result<ApiClientSecret, ApiError> {
    let secret = client_secret::generate()?;
    let digest = client_secret::digest(&secret);
    write_tx(conn, |conn| {
        let client = managed(conn, caller, id)?;
        repo::api_clients::rotate(conn, id, &digest)?;
        let changes = Changes::default().secret("client_secret", true);
        audit::record(conn, caller, client_event(id, Verb::SecretRotated, &client.node, changes))?;
        Ok(ApiClientSecret { client_id: id, client_secret: secret })
    })
}

/// K4: the client and every token it got stop working from the next request on.
pub fn delete(conn: &mut DbConn, caller: &Principal, id: ApiClientId) -> Result<(), ApiError> {
    write_tx(conn, |conn| {
        let client = managed(conn, caller, id)?;
        repo::api_clients::delete(conn, id)?;
        let changes =
            Changes::default().set("name", &client.name, None::<&str>).set("scope", client.scope, None::<Scope>);
        audit::record(conn, caller, client_event(id, Verb::Deleted, &client.node, changes))
    })
}

/// An event about an API client (L1), under its node.
fn client_event(id: ApiClientId, verb: Verb, node: &NodeRef, changes: Changes) -> Event {
    Event::new(ResourceType::ApiClient, verb, id.0, Under::node(node), changes)
}
