//! Logins: one per node, plus the system admins, who belong to no node.

use diesel::prelude::*;
use uuid::Uuid;

use super::nodes::{REF_COLUMNS, RefRow, to_ref};
use crate::db::schema::logins::dsl as l;
use crate::db::schema::nodes;
use crate::db::types::uid;
use crate::db::{DbConn, now};
use crate::domain::{LoginId, NodeRef};

#[derive(Clone, Debug)]
pub struct Login {
    pub id: LoginId,
    pub username: String,
    pub password_hash: String,
    pub node_id: Option<Uuid>,
    /// Raised by a password change or "revoke all": tokens carry the one they were issued
    /// at (K5, K6).
    pub token_generation: i64,
}

type Row = (Uuid, String, String, Option<Uuid>, i64);
const COLUMNS: (l::id, l::username, l::password_hash, l::node_id, l::token_generation) =
    (l::id, l::username, l::password_hash, l::node_id, l::token_generation);

fn from_row((id, username, password_hash, node_id, token_generation): Row) -> Login {
    Login { id: LoginId(id), username, password_hash, node_id, token_generation }
}

/// A login by username; a string outside the username alphabet is no username (and never
/// reaches the database, which may refuse bytes such as NUL).
pub fn by_username(conn: &mut DbConn, username: &str) -> QueryResult<Option<Login>> {
    if !crate::domain::validate::is_username(username) {
        return Ok(None);
    }
    native!(conn, |c| l::logins.filter(l::username.eq(username)).select(COLUMNS).first::<Row>(c).optional())
        .map(|r| r.map(from_row))
}

/// A login by username with its node's place in the tree (none for a system admin).
pub fn with_node_by_username(conn: &mut DbConn, username: &str) -> QueryResult<Option<(Login, Option<NodeRef>)>> {
    if !crate::domain::validate::is_username(username) {
        return Ok(None);
    }
    let row: Option<(Row, Option<RefRow>)> = native!(conn, |c| l::logins
        .left_join(nodes::table.on(nodes::id.nullable().eq(l::node_id)))
        .filter(l::username.eq(username))
        .select((COLUMNS, REF_COLUMNS.nullable()))
        .first(c)
        .optional())?;
    Ok(row.map(|(login, node)| (from_row(login), node.map(to_ref))))
}

/// The login of a node (every node created through the API has exactly one).
pub fn id_of_node(conn: &mut DbConn, node_id: Uuid) -> QueryResult<LoginId> {
    native!(conn, |c| l::logins.filter(l::node_id.eq(Some(node_id))).select(l::id).first::<Uuid>(c)).map(LoginId)
}

pub fn any_system_admin(conn: &mut DbConn) -> QueryResult<bool> {
    native!(conn, |c| diesel::select(diesel::dsl::exists(l::logins.filter(l::node_id.is_null()))).get_result(c))
}

/// Inserts a login; a taken username is a unique violation the caller turns into 409.
pub fn insert(conn: &mut DbConn, username: &str, password_hash: &str, node_id: Option<Uuid>) -> QueryResult<LoginId> {
    let id = Uuid::now_v7();
    let ts = now();
    native!(conn, |c| diesel::insert_into(l::logins)
        .values((
            l::id.eq(uid(id)),
            l::username.eq(username),
            l::password_hash.eq(password_hash),
            l::node_id.eq(node_id),
            l::created_at.eq(ts),
        ))
        .execute(c))?;
    Ok(LoginId(id))
}
