//! API clients (K1–K4): a node's machine logins, each with a hashed secret.

use diesel::prelude::*;
use uuid::Uuid;

use super::nodes::{REF_COLUMNS, RefRow, to_ref};
use crate::db::schema::api_clients::dsl as ac;
use crate::db::schema::nodes;
use crate::db::types::uid;
use crate::db::{DbConn, now};
use crate::domain::{ApiClientId, NodeRef, Scope, Timestamp};

/// A client as the API shows it, with its node's place in the tree (what K1 asks).
#[derive(Clone, Debug)]
pub struct ClientRecord {
    pub id: ApiClientId,
    pub node: NodeRef,
    pub name: String,
    pub scope: Scope,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

type Row = (ApiClientId, RefRow, String, Scope, Timestamp, Timestamp);

fn from_row((id, node, name, scope, created_at, updated_at): Row) -> ClientRecord {
    ClientRecord { id, node: to_ref(node), name, scope, created_at, updated_at }
}

macro_rules! client_query {
    () => {
        ac::api_clients.inner_join(nodes::table.on(nodes::id.eq(ac::node_id))).select((
            ac::id,
            REF_COLUMNS,
            ac::name,
            ac::scope,
            ac::created_at,
            ac::updated_at,
        ))
    };
}

pub fn find(conn: &mut DbConn, id: ApiClientId) -> QueryResult<Option<ClientRecord>> {
    native!(conn, |c| client_query!().filter(ac::id.eq(id)).first::<Row>(c).optional()).map(|r| r.map(from_row))
}

/// One page of a node's clients in id order: `limit + 1` rows.
pub fn list(conn: &mut DbConn, node_id: Uuid, after: Option<Uuid>, limit: i64) -> QueryResult<Vec<ClientRecord>> {
    let after = ApiClientId(after.unwrap_or(Uuid::nil()));
    native!(conn, |c| client_query!()
        .filter(ac::node_id.eq(uid(node_id)))
        .filter(ac::id.gt(after))
        .order(ac::id.asc())
        .limit(limit + 1)
        .load::<Row>(c))
    .map(|rows| rows.into_iter().map(from_row).collect())
}

/// The stored secret digest and token generation of a client (K3).
pub fn secret_of(conn: &mut DbConn, id: ApiClientId) -> QueryResult<Option<(String, i64)>> {
    native!(conn, |c| ac::api_clients
        .filter(ac::id.eq(id))
        .select((ac::secret_hash, ac::token_generation))
        .first(c)
        .optional())
}

pub fn insert(
    conn: &mut DbConn,
    id: ApiClientId,
    node_id: Uuid,
    name: &str,
    scope: Scope,
    secret_hash: &str,
) -> QueryResult<Timestamp> {
    let ts = now();
    native!(conn, |c| diesel::insert_into(ac::api_clients)
        .values((
            ac::id.eq(id),
            ac::node_id.eq(uid(node_id)),
            ac::name.eq(name),
            ac::scope.eq(scope),
            ac::secret_hash.eq(secret_hash),
            ac::token_generation.eq(0i64),
            ac::created_at.eq(ts),
            ac::updated_at.eq(ts),
        ))
        .execute(c))?;
    Ok(ts)
}

/// Changes a client's name and/or scope; `None` leaves a column as it is.
pub fn update(conn: &mut DbConn, id: ApiClientId, name: Option<&str>, scope: Option<Scope>) -> QueryResult<Timestamp> {
    let ts = now();
    native!(conn, |c| diesel::update(ac::api_clients.filter(ac::id.eq(id)))
        .set((name.map(|v| ac::name.eq(v)), scope.map(|v| ac::scope.eq(v)), ac::updated_at.eq(ts)))
        .execute(c))?;
    Ok(ts)
}

/// A new secret digest; the token generation is raised, so the client's earlier tokens are
/// refused from the next request on (K4).
pub fn rotate(conn: &mut DbConn, id: ApiClientId, secret_hash: &str) -> QueryResult<Timestamp> {
    let ts = now();
    native!(conn, |c| diesel::update(ac::api_clients.filter(ac::id.eq(id)))
        .set((
            ac::secret_hash.eq(secret_hash),
            ac::token_generation.eq(ac::token_generation + 1),
            ac::updated_at.eq(ts),
        ))
        .execute(c))?;
    Ok(ts)
}

pub fn delete(conn: &mut DbConn, id: ApiClientId) -> QueryResult<()> {
    native!(conn, |c| diesel::delete(ac::api_clients.filter(ac::id.eq(id))).execute(c))?;
    Ok(())
}
