use diesel::dsl::exists;
use diesel::prelude::*;
use uuid::Uuid;

use crate::authz::nodes::NodeContents;
use crate::db::schema::{accounts, devices, logins, nodes::dsl as n};
use crate::db::{DbConn, now};
use crate::domain::{Level, NodeKind, NodeRef};
use crate::error::ApiError;

/// A node with its login's username, as the API shows it.
#[derive(Clone, Debug)]
pub struct NodeRecord {
    pub id: Uuid,
    pub kind: NodeKind,
    pub name: String,
    pub parent_id: Option<Uuid>,
    pub sp_id: Uuid,
    pub org_id: Option<Uuid>,
    pub level: Level,
    pub username: String,
    pub created_at: String,
    pub updated_at: String,
}

impl NodeRecord {
    pub fn node_ref(&self) -> NodeRef {
        NodeRef { id: self.id, kind: self.kind, sp_id: self.sp_id, org_id: self.org_id, level: self.level }
    }
}

type Row = (String, String, String, Option<String>, String, Option<String>, String, String, String, String);

fn from_row(r: Row) -> Result<NodeRecord, ApiError> {
    let (id, kind, name, parent_id, sp_id, org_id, level, username, created_at, updated_at) = r;
    Ok(NodeRecord {
        id: super::uuid(&id)?,
        kind: NodeKind::parse(&kind).ok_or_else(|| ApiError::internal(format!("bad node kind {kind:?}")))?,
        name,
        parent_id: super::opt_uuid(parent_id.as_deref())?,
        sp_id: super::uuid(&sp_id)?,
        org_id: super::opt_uuid(org_id.as_deref())?,
        level: Level::parse(&level).ok_or_else(|| ApiError::internal(format!("bad level {level:?}")))?,
        username,
        created_at,
        updated_at,
    })
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
        ))
    };
}

pub fn find(conn: &mut DbConn, id: Uuid) -> Result<Option<NodeRecord>, ApiError> {
    node_query!().filter(n::id.eq(id.to_string())).first::<Row>(conn).optional()?.map(from_row).transpose()
}

/// A node's tree facts, without its login (nodes built by bulk tools have none).
pub fn find_raw(conn: &mut DbConn, id: Uuid) -> Result<Option<NodeRef>, ApiError> {
    let row: Option<(String, String, String, Option<String>, String)> = n::nodes
        .filter(n::id.eq(id.to_string()))
        .select((n::id, n::kind, n::sp_id, n::org_id, n::device_provisioning))
        .first(conn)
        .optional()?;
    row.map(|(id, kind, sp_id, org_id, level)| {
        Ok(NodeRef {
            id: super::uuid(&id)?,
            kind: NodeKind::parse(&kind).ok_or_else(|| ApiError::internal("bad node kind"))?,
            sp_id: super::uuid(&sp_id)?,
            org_id: super::opt_uuid(org_id.as_deref())?,
            level: Level::parse(&level).ok_or_else(|| ApiError::internal("bad level"))?,
        })
    })
    .transpose()
}

/// A node of a given kind, or none (a User id under an organization path is "not found").
pub fn find_kind(conn: &mut DbConn, id: Uuid, kind: NodeKind) -> Result<Option<NodeRecord>, ApiError> {
    Ok(find(conn, id)?.filter(|r| r.kind == kind))
}

/// One page of the nodes of `kind` under `parent` (all service providers when `parent` is
/// none), ordered by id.
pub fn list(
    conn: &mut DbConn,
    kind: NodeKind,
    parent: Option<Uuid>,
    after: Option<Uuid>,
    limit: i64,
) -> Result<(Vec<NodeRecord>, Option<Uuid>), ApiError> {
    let mut q = node_query!().filter(n::kind.eq(kind.as_str())).order(n::id.asc()).limit(limit + 1).into_boxed();
    if let Some(p) = parent {
        q = q.filter(n::parent_id.eq(p.to_string()));
    }
    if let Some(a) = after {
        q = q.filter(n::id.gt(a.to_string()));
    }
    let rows = q.load::<Row>(conn)?.into_iter().map(from_row).collect::<Result<Vec<_>, _>>()?;
    Ok(super::page(rows, limit, |r| r.id))
}

pub struct NewNode<'a> {
    pub kind: NodeKind,
    pub name: &'a str,
    pub parent: Option<&'a NodeRef>,
    pub level: Level,
}

/// Inserts a node (its login is inserted separately, in the same transaction).
pub fn insert(conn: &mut DbConn, new: &NewNode) -> Result<Uuid, ApiError> {
    let id = Uuid::now_v7();
    let (sp_id, org_id) = match (new.kind, new.parent) {
        (NodeKind::ServiceProvider, _) => (id, None),
        (NodeKind::Organization, Some(p)) => (p.sp_id, Some(id)),
        (NodeKind::User, Some(p)) => (p.sp_id, p.org_id),
        (_, None) => return Err(ApiError::internal("a non-SP node needs a parent")),
    };
    let ts = now();
    diesel::insert_into(n::nodes)
        .values((
            n::id.eq(id.to_string()),
            n::kind.eq(new.kind.as_str()),
            n::name.eq(new.name),
            n::parent_id.eq(new.parent.map(|p| p.id.to_string())),
            n::sp_id.eq(sp_id.to_string()),
            n::org_id.eq(org_id.map(|o| o.to_string())),
            n::device_provisioning.eq(new.level.as_str()),
            n::created_at.eq(&ts),
            n::updated_at.eq(&ts),
        ))
        .execute(conn)?;
    Ok(id)
}

/// The columns a node `PATCH` may change; `None` leaves a column as it is.
#[derive(AsChangeset)]
#[diesel(table_name = crate::db::schema::nodes)]
struct NodeChanges<'a> {
    name: Option<&'a str>,
    device_provisioning: Option<&'static str>,
    updated_at: String,
}

pub fn update(conn: &mut DbConn, id: Uuid, name: Option<&str>, level: Option<Level>) -> Result<(), ApiError> {
    let changes = NodeChanges { name, device_provisioning: level.map(Level::as_str), updated_at: now() };
    diesel::update(n::nodes.filter(n::id.eq(id.to_string()))).set(&changes).execute(conn)?;
    Ok(())
}

/// What N4 asks before a delete.
pub fn contents(conn: &mut DbConn, id: Uuid) -> Result<NodeContents, ApiError> {
    let id = id.to_string();
    let children = diesel::select(exists(n::nodes.filter(n::parent_id.eq(&id)))).get_result(conn)?;
    let accounts = diesel::select(exists(accounts::table.filter(accounts::user_id.eq(&id)))).get_result(conn)?;
    let devices =
        diesel::select(exists(devices::table.filter(devices::context_id.eq(&id).or(devices::assigned_to_id.eq(&id)))))
            .get_result(conn)?;
    Ok(NodeContents { children, accounts, devices })
}

/// Deletes a node and (by cascade) its login and that login's list memberships.
pub fn delete(conn: &mut DbConn, id: Uuid) -> Result<(), ApiError> {
    diesel::delete(logins::table.filter(logins::node_id.eq(id.to_string()))).execute(conn)?;
    diesel::delete(n::nodes.filter(n::id.eq(id.to_string()))).execute(conn)?;
    Ok(())
}

/// The kinds of a set of nodes, for rendering `{"type","id"}` links.
pub fn kinds(conn: &mut DbConn, ids: &[Uuid]) -> Result<std::collections::HashMap<Uuid, NodeKind>, ApiError> {
    let ids: Vec<String> = ids.iter().map(Uuid::to_string).collect();
    let rows: Vec<(String, String)> = n::nodes.filter(n::id.eq_any(&ids)).select((n::id, n::kind)).load(conn)?;
    rows.into_iter()
        .map(|(id, kind)| {
            let kind = NodeKind::parse(&kind).ok_or_else(|| ApiError::internal(format!("bad node kind {kind:?}")))?;
            Ok((super::uuid(&id)?, kind))
        })
        .collect()
}

/// D4's fact: does any node strictly below `node` have `modify`? One probe of the partial
/// index of modify nodes (`nodes_sp_modify` / `nodes_org_modify`), whatever the size of
/// the tree. The level is written into the SQL, not bound: only a literal lets a prepared
/// statement's generic plan prove that the partial index applies.
pub fn modify_below(conn: &mut DbConn, node: &NodeRef) -> Result<bool, ApiError> {
    let id = node.id.to_string();
    let is_modify = || diesel::dsl::sql::<diesel::sql_types::Bool>("device_provisioning = 'modify'");
    let found = match node.kind {
        NodeKind::ServiceProvider => {
            diesel::select(exists(n::nodes.filter(n::sp_id.eq(&id)).filter(is_modify()).filter(n::id.ne(&id))))
                .get_result(conn)?
        }
        NodeKind::Organization => {
            diesel::select(exists(n::nodes.filter(n::org_id.eq(&id)).filter(is_modify()).filter(n::id.ne(&id))))
                .get_result(conn)?
        }
        NodeKind::User => false,
    };
    Ok(found)
}
