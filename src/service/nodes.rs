//! Service providers, organizations and users: the tenant tree (N1–N5, P1–P4).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{Input, PageRequest, Paged, Step, unique_or};
use crate::auth::Principal;
use crate::authz;
use crate::authz::nodes::ProviderScope;
use crate::db::repo::nodes::{NewNode, NodeRecord};
use crate::db::repo::{Lock, Locked};
use crate::db::{DbConn, repo, write_tx};
use crate::domain::audit::Verb;
use crate::domain::code::Code;
use crate::domain::sip::SipService;
use crate::domain::validate::{self, Errors};
use crate::domain::{Level, NodeKind, NodeRef, Timestamp};
use crate::error::ApiError;
use crate::service::audit::{self, Changes, Event};

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
    /// Service providers: the SIP service its phones register with (domain.md §5), null
    /// until set.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<SipService>)]
    pub sip: Option<Option<SipService>>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
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
            sip: (r.kind == NodeKind::ServiceProvider).then(|| repo::nodes::sip_of(&r.sip)),
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
    #[schema(schema_with = crate::domain::validate::schemas::username)]
    pub username: String,
    /// At least 12 characters. Write-only.
    #[schema(schema_with = crate::domain::validate::schemas::password)]
    pub password: String,
}

/// Body to create a service provider or an organization.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTenant {
    /// 1–200 characters.
    #[schema(schema_with = crate::domain::validate::schemas::name)]
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
    #[schema(schema_with = crate::domain::validate::schemas::name)]
    pub name: String,
    #[schema(schema_with = crate::domain::validate::schemas::username)]
    pub username: String,
    #[schema(schema_with = crate::domain::validate::schemas::password)]
    pub password: String,
    pub device_provisioning: Option<Level>,
}

/// Body of a node `PATCH`: every field optional.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchNode {
    #[serde(default, deserialize_with = "crate::service::input::non_null")]
    #[schema(schema_with = crate::domain::validate::schemas::name)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "crate::service::input::non_null")]
    #[schema(nullable = false)]
    pub device_provisioning: Option<Level>,
}

/// Body of a service provider `PATCH`: a node's fields and its SIP service (`null` clears
/// it; changed like its name, N3).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchProvider {
    #[serde(default, deserialize_with = "crate::service::input::non_null")]
    #[schema(schema_with = crate::domain::validate::schemas::name)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "crate::service::input::non_null")]
    #[schema(nullable = false)]
    pub device_provisioning: Option<Level>,
    #[serde(default, deserialize_with = "crate::service::input::double_option")]
    #[schema(value_type = Option<SipService>)]
    pub sip: Option<Option<SipService>>,
}

/// What a node `PATCH` asks for, whichever body it came in.
struct NodeChange {
    name: Option<String>,
    level: Option<Level>,
    sip: Option<Option<SipService>>,
}

/// What creating a node asks for, whichever body it came in.
struct NewNodeInput {
    name: String,
    level: Option<Level>,
    username: String,
    password: String,
}

/// The parent a node is created under, if the caller may read it (else 404, N5).
fn parent_of(conn: &mut DbConn, parent: Option<(Uuid, NodeKind)>) -> Result<Option<NodeRef>, ApiError> {
    match parent {
        Some((id, kind)) => Ok(Some(repo::nodes::find_ref_kind(conn, id, kind)?.ok_or(ApiError::NotFound)?)),
        None => Ok(None),
    }
}

/// Creates a service provider (under no parent) or an organization (under an SP).
pub fn create_tenant(
    conn: &mut DbConn,
    caller: &Principal,
    kind: NodeKind,
    parent: Option<(Uuid, NodeKind)>,
    body: Input<CreateTenant>,
) -> Result<Step<NodeView>, ApiError> {
    create(conn, caller, kind, parent, ("owner.username", "owner.password"), move || {
        let b = body.parse()?;
        Ok(NewNodeInput {
            name: b.name,
            level: b.device_provisioning,
            username: b.owner.username,
            password: b.owner.password,
        })
    })
}

/// Creates a user under an organization.
pub fn create_user(
    conn: &mut DbConn,
    caller: &Principal,
    org: Uuid,
    body: Input<CreateUser>,
) -> Result<Step<NodeView>, ApiError> {
    create(conn, caller, NodeKind::User, Some((org, NodeKind::Organization)), ("username", "password"), move || {
        let b = body.parse()?;
        Ok(NewNodeInput { name: b.name, level: b.device_provisioning, username: b.username, password: b.password })
    })
}

/// N1 and P1/P2 on create. Rights first (the parent, whether the caller may create here
/// at all, and whether it may give the level the body names), then the values; the
/// password is hashed only for a request that will be written, with no connection held,
/// and the rules are asked again in the write transaction.
fn create(
    conn: &mut DbConn,
    caller: &Principal,
    kind: NodeKind,
    parent: Option<(Uuid, NodeKind)>,
    (user_field, pass_field): (&str, &str),
    parse: impl FnOnce() -> Result<NewNodeInput, ApiError>,
) -> Result<Step<NodeView>, ApiError> {
    let parent_ref = parent_of(conn, parent)?;
    authz::nodes::can_create(&caller.actor, kind, parent_ref.as_ref(), None).check()?;
    let mut input = parse()?;
    authz::nodes::can_create(&caller.actor, kind, parent_ref.as_ref(), input.level).check()?;
    let mut errors = Errors::default();
    errors.check("name", &validate::NAME, &input.name);
    errors.check(user_field, &validate::USERNAME, &input.username);
    errors.check(pass_field, &validate::PASSWORD, &input.password);
    if !errors.is_empty() {
        return Err(ApiError::invalid(errors.into_vec()));
    }
    let password = std::mem::take(&mut input.password);
    Ok(Step::hash(password, move |conn, caller, hash| write_node(conn, caller, kind, parent, &input, &hash)))
}

/// The write of [`create`], once the password is hashed: the rules asked again under a
/// share lock on the parent, so a parent changed or deleted meanwhile counts.
fn write_node(
    conn: &mut DbConn,
    caller: &Principal,
    kind: NodeKind,
    parent: Option<(Uuid, NodeKind)>,
    input: &NewNodeInput,
    hash: &str,
) -> Result<NodeView, ApiError> {
    write_tx(conn, |conn| {
        if let Some((id, _)) = parent {
            repo::lock(conn, Locked::Nodes, id, Lock::Share)?;
        }
        let parent_ref = parent_of(conn, parent)?;
        authz::nodes::can_create(&caller.actor, kind, parent_ref.as_ref(), input.level).check()?;
        let id = Uuid::now_v7();
        let (sp_id, org_id) = repo::nodes::ancestry(id, kind, parent_ref.as_ref())
            .ok_or_else(|| ApiError::internal("a non-SP node needs a parent"))?;
        let level = authz::nodes::initial_level(input.level);
        let name = input.name.trim();
        let new = NewNode { id, kind, name, parent: parent_ref.as_ref(), level };
        let ts = repo::nodes::insert(conn, &new, sp_id, org_id)?;
        repo::logins::insert(conn, &input.username, hash, Some(id)).map_err(|e| {
            unique_or(e, || {
                ApiError::conflict(Code::UsernameTaken, format!("the username {:?} is already taken", input.username))
            })
        })?;
        let record = NodeRecord {
            id,
            kind,
            name: name.to_owned(),
            parent_id: parent_ref.as_ref().map(|p| p.id),
            sp_id,
            org_id,
            level,
            username: input.username.clone(),
            created_at: ts,
            updated_at: ts,
            sip: (None, None, None, None),
        };
        let changes = Changes::created(&NodeView::from(record.clone())).secret("password", false);
        audit::record(conn, caller, Event::node(&record.node_ref(), Verb::Created, changes))?;
        Ok(NodeView::from(record))
    })
}

/// A node of a kind that the caller may read (else 404, N5).
fn readable(conn: &mut DbConn, caller: &Principal, id: Uuid, kind: NodeKind) -> Result<NodeRecord, ApiError> {
    let node = repo::nodes::find_kind(conn, id, kind)?.ok_or(ApiError::NotFound)?;
    authz::nodes::can_read(&caller.actor, &node.node_ref()).check()?;
    Ok(node)
}

pub fn get(conn: &mut DbConn, caller: &Principal, id: Uuid, kind: NodeKind) -> Result<NodeView, ApiError> {
    readable(conn, caller, id, kind).map(NodeView::from)
}

/// The nodes of `kind` under a parent the caller may read, or (no parent) the service
/// providers it may read.
pub fn list(
    conn: &mut DbConn,
    caller: &Principal,
    kind: NodeKind,
    parent: Option<(Uuid, NodeKind)>,
    limit: Option<i64>,
    cursor: Option<&str>,
) -> Result<Paged<NodeView>, ApiError> {
    if let Some((pid, pkind)) = parent {
        let p = repo::nodes::find_ref_kind(conn, pid, pkind)?.ok_or(ApiError::NotFound)?;
        authz::nodes::can_read(&caller.actor, &p).check()?;
    }
    let page = PageRequest::parse(limit, cursor)?;
    let rows = match parent {
        Some((pid, _)) => repo::nodes::list(conn, kind, Some(pid), page.after, page.limit)?,
        None => match authz::nodes::readable_providers(&caller.actor) {
            ProviderScope::All => repo::nodes::list(conn, kind, None, page.after, page.limit)?,
            ProviderScope::Own(id) if page.after.is_none_or(|a| a < id) => {
                repo::nodes::find(conn, id)?.into_iter().collect()
            }
            ProviderScope::Own(_) | ProviderScope::None => vec![],
        },
    };
    Ok(Paged::from_rows(rows, page, |r| r.id).map(NodeView::from))
}

/// N3 (name) and P1/P2 (level) of an organization or a user.
pub fn update(
    conn: &mut DbConn,
    caller: &Principal,
    id: Uuid,
    kind: NodeKind,
    body: Input<PatchNode>,
) -> Result<NodeView, ApiError> {
    change(conn, caller, id, kind, move || {
        let b = body.parse()?;
        Ok(NodeChange { name: b.name, level: b.device_provisioning, sip: None })
    })
}

/// N3 (name, SIP service) and P1/P2 (level) of a service provider.
pub fn update_provider(
    conn: &mut DbConn,
    caller: &Principal,
    id: Uuid,
    body: Input<PatchProvider>,
) -> Result<NodeView, ApiError> {
    change(conn, caller, id, NodeKind::ServiceProvider, move || {
        let b = body.parse()?;
        Ok(NodeChange { name: b.name, level: b.device_provisioning, sip: b.sip })
    })
}

/// The node must be readable first, then the level rules for the level the body names,
/// then the values. What the body writes with the value the node already has is no change
/// (N6): it needs no right, and a PATCH that changes nothing writes nothing (`updated_at`
/// stays).
fn change(
    conn: &mut DbConn,
    caller: &Principal,
    id: Uuid,
    kind: NodeKind,
    parse: impl FnOnce() -> Result<NodeChange, ApiError>,
) -> Result<NodeView, ApiError> {
    write_tx(conn, |conn| {
        let mut node = repo::nodes::find_kind(conn, id, kind)?.ok_or(ApiError::NotFound)?;
        authz::nodes::can_update(&caller.actor, &node.node_ref(), None).check()?;
        let body = parse()?;
        authz::nodes::can_update(&caller.actor, &node.node_ref(), body.level).check()?;
        let mut errors = Errors::default();
        if let Some(name) = &body.name {
            errors.check("name", &validate::NAME, name);
        }
        if let Some(Some(sip)) = &body.sip {
            sip.check("sip", &mut errors);
        }
        if !errors.is_empty() {
            return Err(ApiError::invalid(errors.into_vec()));
        }
        let name = authz::change(&node.name.as_str(), body.name.as_deref().map(str::trim)).map(str::to_owned);
        let level = authz::change(&node.level, body.level);
        let sip = authz::change(&repo::nodes::sip_of(&node.sip), body.sip);
        if name.is_none() && level.is_none() && sip.is_none() {
            return Ok(NodeView::from(node));
        }
        let before = NodeView::from(node.clone());
        node.updated_at = repo::nodes::update(conn, id, name.as_deref(), level)?;
        if let Some(n) = name {
            node.name = n;
        }
        if let Some(level) = level {
            node.level = level;
        }
        if let Some(sip) = sip {
            repo::nodes::set_sip(conn, id, sip.as_ref())?;
            node.sip = match sip {
                Some(s) => (
                    Some(s.domain),
                    Some(s.registrar.host),
                    i32::try_from(s.registrar.port).ok(),
                    Some(s.registrar.transport.as_str().to_owned()),
                ),
                None => (None, None, None, None),
            };
        }
        let after = NodeView::from(node.clone());
        let verb = if level.is_some() { Verb::LevelChanged } else { Verb::Updated };
        audit::record(conn, caller, Event::node(&node.node_ref(), verb, Changes::diff(&before, &after)))?;
        Ok(after)
    })
}

/// N4: by an ancestor, never by itself, and only when empty.
pub fn delete(conn: &mut DbConn, caller: &Principal, id: Uuid, kind: NodeKind) -> Result<(), ApiError> {
    write_tx(conn, |conn| {
        repo::lock(conn, Locked::Nodes, id, Lock::Update)?;
        let node = repo::nodes::find_kind(conn, id, kind)?.ok_or(ApiError::NotFound)?;
        let contents = repo::nodes::contents(conn, id)?;
        authz::nodes::can_delete(&caller.actor, &node.node_ref(), contents).check()?;
        repo::nodes::delete(conn, id)?;
        let event = Event::node(&node.node_ref(), Verb::Deleted, Changes::deleted(&NodeView::from(node)));
        audit::record(conn, caller, event)
    })
}
