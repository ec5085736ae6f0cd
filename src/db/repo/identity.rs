//! Who a token's holder is, read on every request in one query: the login (or API client
//! and its node's login), the node's place in the tree, the stored token generation and
//! whether this very token was revoked. Nothing else is read before the use case runs, so
//! checking a token stays one round trip (K4–K6 add columns and a join, not queries).

use diesel::prelude::*;
use uuid::Uuid;

use super::nodes::{REF_COLUMNS, RefRow, to_ref};
use crate::db::DbConn;
use crate::db::schema::api_clients::dsl as ac;
use crate::db::schema::logins::dsl as l;
use crate::db::schema::nodes;
use crate::db::schema::revoked_tokens::dsl as rt;
use crate::domain::{ApiClientId, LoginId, NodeRef, Scope};

/// What the database says of a token's subject.
#[derive(Clone, Debug)]
pub struct Holder {
    pub login_id: LoginId,
    pub username: String,
    /// None for a system admin.
    pub node: Option<NodeRef>,
    /// The login's (or, for a client, the client's) current token generation.
    pub generation: i64,
    /// Whether the presented token's id is among the revoked ones.
    pub revoked: bool,
    /// The client, when the token is an API client's: id, name, scope.
    pub client: Option<(ApiClientId, String, Scope)>,
}

type PersonRow = (LoginId, String, Option<Uuid>, i64, Option<RefRow>, Option<String>);

/// A login, its node and its token state; none when the login is gone, or when it is a
/// node's login whose node is gone.
pub fn person(conn: &mut DbConn, id: LoginId, jti: &str) -> QueryResult<Option<Holder>> {
    let row: Option<PersonRow> = native!(conn, |c| l::logins
        .left_join(nodes::table.on(nodes::id.nullable().eq(l::node_id)))
        .left_join(rt::revoked_tokens.on(rt::jti.eq(jti)))
        .filter(l::id.eq(id))
        .select((l::id, l::username, l::node_id, l::token_generation, REF_COLUMNS.nullable(), rt::jti.nullable()))
        .first(c)
        .optional())?;
    Ok(row.and_then(|(login_id, username, node_id, generation, node, revoked)| {
        let node = match (node_id, node) {
            (None, _) => None,
            (Some(_), Some(node)) => Some(to_ref(node)),
            // A node login whose node is gone: no role context at all.
            (Some(_), None) => return None,
        };
        Some(Holder { login_id, username, node, generation, revoked: revoked.is_some(), client: None })
    }))
}

type ClientRow = (ApiClientId, String, Scope, i64, LoginId, String, RefRow, Option<String>);

/// An API client with its node's login and place in the tree (K1), and its token state;
/// none when the client (or its node) is gone (K4).
pub fn client(conn: &mut DbConn, id: ApiClientId, jti: &str) -> QueryResult<Option<Holder>> {
    let row: Option<ClientRow> = native!(conn, |c| ac::api_clients
        .inner_join(nodes::table.on(nodes::id.eq(ac::node_id)))
        .inner_join(l::logins.on(l::node_id.eq(ac::node_id.nullable())))
        .left_join(rt::revoked_tokens.on(rt::jti.eq(jti)))
        .filter(ac::id.eq(id))
        .select((
            ac::id,
            ac::name,
            ac::scope,
            ac::token_generation,
            l::id,
            l::username,
            REF_COLUMNS,
            rt::jti.nullable()
        ))
        .first(c)
        .optional())?;
    Ok(row.map(|(id, name, scope, generation, login_id, username, node, revoked)| Holder {
        login_id,
        username,
        node: Some(to_ref(node)),
        generation,
        revoked: revoked.is_some(),
        client: Some((id, name, scope)),
    }))
}
