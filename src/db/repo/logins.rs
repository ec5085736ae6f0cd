use diesel::prelude::*;
use uuid::Uuid;

use super::nodes::{self, NodeRecord};
use crate::db::schema::logins::dsl as l;
use crate::db::{DbConn, now};
use crate::domain::NodeRef;
use crate::error::{ApiError, is_unique_violation};

#[derive(Clone, Debug)]
pub struct Login {
    pub id: Uuid,
    pub username: String,
    pub password_hash: String,
    pub node_id: Option<Uuid>,
}

type Row = (String, String, String, Option<String>);
const COLUMNS: (l::id, l::username, l::password_hash, l::node_id) = (l::id, l::username, l::password_hash, l::node_id);

fn from_row((id, username, password_hash, node_id): Row) -> Result<Login, ApiError> {
    Ok(Login { id: super::uuid(&id)?, username, password_hash, node_id: super::opt_uuid(node_id.as_deref())? })
}

/// A login by username; a string outside the username alphabet is no username (and never
/// reaches the database, which may refuse bytes such as NUL).
pub fn by_username(conn: &mut DbConn, username: &str) -> Result<Option<Login>, ApiError> {
    if !crate::domain::validate::is_username(username) {
        return Ok(None);
    }
    l::logins.filter(l::username.eq(username)).select(COLUMNS).first::<Row>(conn).optional()?.map(from_row).transpose()
}

pub fn by_id(conn: &mut DbConn, id: Uuid) -> Result<Option<Login>, ApiError> {
    l::logins.filter(l::id.eq(id.to_string())).select(COLUMNS).first::<Row>(conn).optional()?.map(from_row).transpose()
}

/// A login with its node, as the middleware needs it on every request.
pub fn with_node(conn: &mut DbConn, id: Uuid) -> Result<Option<(Login, Option<NodeRecord>)>, ApiError> {
    let Some(login) = by_id(conn, id)? else { return Ok(None) };
    let node = match login.node_id {
        Some(n) => match nodes::find(conn, n)? {
            Some(node) => Some(node),
            None => return Ok(None),
        },
        None => None,
    };
    Ok(Some((login, node)))
}

/// The login of a node (every node has exactly one).
pub fn by_node(conn: &mut DbConn, node_id: Uuid) -> Result<Login, ApiError> {
    l::logins
        .filter(l::node_id.eq(node_id.to_string()))
        .select(COLUMNS)
        .first::<Row>(conn)
        .optional()?
        .map(from_row)
        .transpose()?
        .ok_or_else(|| ApiError::internal(format!("node {node_id} has no login")))
}

pub fn any_system_admin(conn: &mut DbConn) -> Result<bool, ApiError> {
    let n: i64 = l::logins.filter(l::node_id.is_null()).count().get_result(conn)?;
    Ok(n > 0)
}

/// Inserts a login; a taken username is 409 `username_taken`, settled by the unique index.
pub fn insert(conn: &mut DbConn, username: &str, password_hash: &str, node_id: Option<Uuid>) -> Result<Uuid, ApiError> {
    let id = Uuid::now_v7();
    let res = diesel::insert_into(l::logins)
        .values((
            l::id.eq(id.to_string()),
            l::username.eq(username),
            l::password_hash.eq(password_hash),
            l::node_id.eq(node_id.map(|n| n.to_string())),
            l::created_at.eq(now()),
        ))
        .execute(conn);
    match res {
        Ok(_) => Ok(id),
        Err(e) if is_unique_violation(&e) => {
            Err(ApiError::conflict("username_taken", format!("the username {username:?} is already taken")))
        }
        Err(e) => Err(e.into()),
    }
}

/// A login by username with its node's place in the tree (none for a system admin).
pub fn with_node_by_username(conn: &mut DbConn, username: &str) -> Result<Option<(Login, Option<NodeRef>)>, ApiError> {
    let Some(login) = by_username(conn, username)? else { return Ok(None) };
    let node = match login.node_id {
        Some(id) => nodes::find_raw(conn, id)?,
        None => None,
    };
    Ok(Some((login, node)))
}
