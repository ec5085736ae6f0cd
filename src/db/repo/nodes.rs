//! The tenant tree: service providers, organizations and users.

use diesel::dsl::exists;
use diesel::prelude::*;
use uuid::Uuid;

use crate::authz::nodes::NodeContents;
use crate::db::schema::{accounts, devices, logins, nodes::dsl as n};
use crate::db::types::uid;
use crate::db::{DbConn, now};
use crate::domain::sip::{Registrar, SipService, Transport};
use crate::domain::{Level, NodeKind, NodeRef, Timestamp};

/// A node with its login's username, as the API shows it.
#[derive(Clone, Debug, Queryable)]
pub struct NodeRecord {
    pub id: Uuid,
    pub kind: NodeKind,
    pub name: String,
    pub parent_id: Option<Uuid>,
    pub sp_id: Uuid,
    pub org_id: Option<Uuid>,
    pub level: Level,
    pub username: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub sip: SipRow,
}

/// A service provider's SIP service as stored: all four columns set, or none.
pub type SipRow = (Option<String>, Option<String>, Option<i32>, Option<String>);

/// The stored SIP service, if it is set (and readable: a row written by this code always is).
pub fn sip_of(row: &SipRow) -> Option<SipService> {
    match row {
        (Some(domain), Some(host), Some(port), Some(transport)) => Some(SipService {
            domain: domain.clone(),
            registrar: Registrar {
                host: host.clone(),
                port: i64::from(*port),
                transport: Transport::parse(transport)?,
            },
        }),
        _ => None,
    }
}

impl NodeRecord {
    pub fn node_ref(&self) -> NodeRef {
        NodeRef { id: self.id, kind: self.kind, sp_id: self.sp_id, org_id: self.org_id, level: self.level }
    }
}

/// The columns of a [`NodeRef`], for queries that join a node to something else.
pub type RefColumns = (n::id, n::kind, n::sp_id, n::org_id, n::device_provisioning);
pub const REF_COLUMNS: RefColumns = (n::id, n::kind, n::sp_id, n::org_id, n::device_provisioning);
pub type RefRow = (Uuid, NodeKind, Uuid, Option<Uuid>, Level);

pub fn to_ref((id, kind, sp_id, org_id, level): RefRow) -> NodeRef {
    NodeRef { id, kind, sp_id, org_id, level }
}

macro_rules! node_query {
    () => {
        n::nodes.inner_join(logins::table.on(logins::node_id.eq(n::id.nullable()))).select((
            n::id,
            n::kind,
            n::name,
            n::parent_id,
            n::sp_id,
            n::org_id,
            n::device_provisioning,
            logins::username,
            n::created_at,
            n::updated_at,
            (n::sip_domain, n::sip_registrar_host, n::sip_registrar_port, n::sip_registrar_transport),
        ))
    };
}

pub fn find(conn: &mut DbConn, id: Uuid) -> QueryResult<Option<NodeRecord>> {
    native!(conn, |c| node_query!().filter(n::id.eq(uid(id))).first(c).optional())
}

/// A node of a given kind, or none (a User id under an organization path is "not found").
pub fn find_kind(conn: &mut DbConn, id: Uuid, kind: NodeKind) -> QueryResult<Option<NodeRecord>> {
    native!(conn, |c| node_query!().filter(n::id.eq(uid(id))).filter(n::kind.eq(kind)).first(c).optional())
}

/// A node's tree facts, without its login (nodes built by bulk tools have none).
pub fn find_ref(conn: &mut DbConn, id: Uuid) -> QueryResult<Option<NodeRef>> {
    native!(conn, |c| n::nodes.filter(n::id.eq(uid(id))).select(REF_COLUMNS).first::<RefRow>(c).optional())
        .map(|r| r.map(to_ref))
}

/// [`find_ref_kind`] with the node's row locked as [`super::Lock::Share`] takes it, in the
/// same statement on PostgreSQL (one round trip where a create would spend two); SQLite's
/// write transaction already runs alone.
pub fn find_ref_kind_for_share(conn: &mut DbConn, id: Uuid, kind: NodeKind) -> QueryResult<Option<NodeRef>> {
    match conn {
        DbConn::Postgresql(c) => n::nodes
            .filter(n::id.eq(uid(id)))
            .filter(n::kind.eq(kind))
            .select(REF_COLUMNS)
            .for_share()
            .first::<RefRow>(c)
            .optional()
            .map(|r| r.map(to_ref)),
        DbConn::Sqlite(_) => find_ref_kind(conn, id, kind),
    }
}

/// [`find_ref`] with the row locked as [`find_ref_kind_for_share`] locks it.
pub fn find_ref_for_share(conn: &mut DbConn, id: Uuid) -> QueryResult<Option<NodeRef>> {
    match conn {
        DbConn::Postgresql(c) => n::nodes
            .filter(n::id.eq(uid(id)))
            .select(REF_COLUMNS)
            .for_share()
            .first::<RefRow>(c)
            .optional()
            .map(|r| r.map(to_ref)),
        DbConn::Sqlite(_) => find_ref(conn, id),
    }
}

/// A node's tree facts if it is of `kind`.
pub fn find_ref_kind(conn: &mut DbConn, id: Uuid, kind: NodeKind) -> QueryResult<Option<NodeRef>> {
    native!(conn, |c| n::nodes
        .filter(n::id.eq(uid(id)))
        .filter(n::kind.eq(kind))
        .select(REF_COLUMNS)
        .first::<RefRow>(c)
        .optional())
    .map(|r| r.map(to_ref))
}

/// The one builder of a page of nodes: the children of `parent` from `nodes_parent_id`
/// (parent_id, id), or every node of `kind` from `nodes_kind_id` (kind, id).
macro_rules! list_query {
    ($kind:expr, $parent:expr, $after:expr, $limit:expr) => {{
        let q = node_query!().filter(n::id.gt(uid($after.unwrap_or(Uuid::nil())))).limit($limit + 1).into_boxed();
        match $parent {
            Some(p) => q
                .filter(super::KeyIs::new(n::parent_id, p))
                .filter(n::kind.eq($kind))
                .order((n::parent_id.asc(), n::id.asc())),
            None => q.filter(n::kind.eq($kind)).order((n::kind.asc(), n::id.asc())),
        }
    }};
}

/// One page of the nodes of `kind` under `parent` (all service providers when `parent` is
/// none), in id order: `limit + 1` rows, the last only telling whether a next page exists.
pub fn list(
    conn: &mut DbConn,
    kind: NodeKind,
    parent: Option<Uuid>,
    after: Option<Uuid>,
    limit: i64,
) -> QueryResult<Vec<NodeRecord>> {
    native!(conn, |c| list_query!(kind, parent, after, limit).load(c))
}

/// How the backend runs [`list`]'s query for the same arguments.
pub fn explain_list(
    conn: &mut DbConn,
    kind: NodeKind,
    parent: Option<Uuid>,
    after: Option<Uuid>,
    limit: i64,
) -> QueryResult<super::Plan> {
    explain!(conn, list_query!(kind, parent, after, limit))
}

pub struct NewNode<'a> {
    pub id: Uuid,
    pub kind: NodeKind,
    pub name: &'a str,
    pub parent: Option<&'a NodeRef>,
    pub level: Level,
}

/// The SP and Org a new node lies under: the tree has a fixed depth, so each node carries
/// them and "is X below C" is a comparison (see `NodeRef`).
pub fn ancestry(id: Uuid, kind: NodeKind, parent: Option<&NodeRef>) -> Option<(Uuid, Option<Uuid>)> {
    match (kind, parent) {
        (NodeKind::ServiceProvider, _) => Some((id, None)),
        (NodeKind::Organization, Some(p)) => Some((p.sp_id, Some(id))),
        (NodeKind::User, Some(p)) => Some((p.sp_id, p.org_id)),
        (_, None) => None,
    }
}

/// Inserts a node (its login is inserted separately, in the same transaction).
pub fn insert(conn: &mut DbConn, new: &NewNode, sp_id: Uuid, org_id: Option<Uuid>) -> QueryResult<Timestamp> {
    let ts = now();
    native!(conn, |c| diesel::insert_into(n::nodes)
        .values((
            n::id.eq(uid(new.id)),
            n::kind.eq(new.kind),
            n::name.eq(new.name),
            n::parent_id.eq(new.parent.map(|p| p.id)),
            n::sp_id.eq(uid(sp_id)),
            n::org_id.eq(org_id),
            n::device_provisioning.eq(new.level),
            n::created_at.eq(ts),
            n::updated_at.eq(ts),
        ))
        .execute(c))?;
    Ok(ts)
}

/// Changes a node's name and/or level; `None` leaves a column as it is.
pub fn update(conn: &mut DbConn, id: Uuid, name: Option<&str>, level: Option<Level>) -> QueryResult<Timestamp> {
    let ts = now();
    native!(conn, |c| diesel::update(n::nodes.filter(n::id.eq(uid(id))))
        .set((name.map(|v| n::name.eq(v)), level.map(|v| n::device_provisioning.eq(v)), n::updated_at.eq(ts)))
        .execute(c))?;
    Ok(ts)
}

/// Sets (or, with `None`, clears) a service provider's SIP service.
pub fn set_sip(conn: &mut DbConn, id: Uuid, sip: Option<&SipService>) -> QueryResult<()> {
    let port = sip.and_then(|s| i32::try_from(s.registrar.port).ok());
    native!(conn, |c| diesel::update(n::nodes.filter(n::id.eq(uid(id))))
        .set((
            n::sip_domain.eq(sip.map(|s| s.domain.as_str())),
            n::sip_registrar_host.eq(sip.map(|s| s.registrar.host.as_str())),
            n::sip_registrar_port.eq(port),
            n::sip_registrar_transport.eq(sip.map(|s| s.registrar.transport.as_str())),
        ))
        .execute(c))?;
    Ok(())
}

/// What N4 asks before a delete, in one round trip.
pub fn contents(conn: &mut DbConn, id: Uuid) -> QueryResult<NodeContents> {
    let (children, accounts, devices) = native!(conn, |c| diesel::select((
        exists(n::nodes.filter(n::parent_id.eq(Some(id)))),
        exists(accounts::table.filter(accounts::user_id.eq(uid(id)))),
        exists(devices::table.filter(devices::context_id.eq(uid(id)).or(devices::assigned_to_id.eq(Some(id))))),
    ))
    .get_result(c))?;
    Ok(NodeContents { children, accounts, devices })
}

/// Deletes a node and (by cascade) its login and that login's list memberships.
pub fn delete(conn: &mut DbConn, id: Uuid) -> QueryResult<()> {
    native!(conn, |c| diesel::delete(logins::table.filter(logins::node_id.eq(Some(id)))).execute(c))?;
    native!(conn, |c| diesel::delete(n::nodes.filter(n::id.eq(uid(id)))).execute(c))?;
    Ok(())
}

/// D4's question as a query: is there a node with modify under `$col = $id` other than
/// the node itself? The level is written into the SQL, not bound: only a literal lets a
/// prepared statement's generic plan prove that the partial index applies.
macro_rules! modify_below_query {
    ($col:expr, $value:expr, $id:expr) => {
        diesel::select(exists(n::nodes.filter($col.eq($value)).filter(super::IsModify).filter(n::id.ne(uid($id)))))
    };
}

/// D4's fact: does any node strictly below `node` have `modify`? One probe of the partial
/// index of modify nodes (`nodes_sp_modify` / `nodes_org_modify`), whatever the size of
/// the tree.
pub fn modify_below(conn: &mut DbConn, node: &NodeRef) -> QueryResult<bool> {
    match node.kind {
        NodeKind::ServiceProvider => {
            native!(conn, |c| modify_below_query!(n::sp_id, uid(node.id), node.id).get_result(c))
        }
        NodeKind::Organization => {
            native!(conn, |c| modify_below_query!(n::org_id, Some(node.id), node.id).get_result(c))
        }
        NodeKind::User => Ok(false),
    }
}

/// The statement [`modify_below`] sends for `node`, as each backend receives it (binds:
/// the node id, twice), so a plan test explains the query the code runs.
pub fn modify_below_sql(node: &NodeRef) -> Option<super::QueryText> {
    match node.kind {
        NodeKind::ServiceProvider => Some(super::QueryText::of(&modify_below_query!(n::sp_id, uid(node.id), node.id))),
        NodeKind::Organization => Some(super::QueryText::of(&modify_below_query!(n::org_id, Some(node.id), node.id))),
        NodeKind::User => None,
    }
}
