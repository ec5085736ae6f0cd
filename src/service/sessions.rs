//! Passwords and tokens (K5, K6): changing one's own password, setting a node's login
//! password from above, revoking one token or all of a login's.

use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{Input, Step};
use crate::auth::Principal;
use crate::auth::token::Verified;
use crate::authz;
use crate::db::{DbConn, Pool, Session, repo, write_tx};
use crate::domain::code::Code;
use crate::domain::validate::{self, Errors};
use crate::domain::{LoginId, NodeKind};
use crate::error::ApiError;

/// Body of `POST /v1/me/password`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeOwnPassword {
    /// The password the caller logs in with now.
    #[schema(min_length = 1)]
    pub current_password: String,
    #[schema(schema_with = crate::domain::validate::schemas::password)]
    pub new_password: String,
}

/// Body of `PUT /v1/{kind}/{id}/password`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetPassword {
    #[schema(schema_with = crate::domain::validate::schemas::password)]
    pub password: String,
}

/// What the first step of an own password change found: the login, its stored hash, and
/// the two passwords to verify and hash with no connection held.
pub struct OwnChange {
    pub login_id: LoginId,
    pub stored: String,
    pub current: String,
    pub new: String,
}

/// K5, first step: only a person changes a password (K3), then the values, with the same
/// rules as at creation.
pub fn start_own_change(
    conn: &mut DbConn,
    caller: &Principal,
    body: Input<ChangeOwnPassword>,
) -> Result<OwnChange, ApiError> {
    authz::access::person_only(caller.is_client()).check()?;
    let body = body.parse()?;
    let mut errors = Errors::default();
    errors.check("new_password", &validate::PASSWORD, &body.new_password);
    if !errors.is_empty() {
        return Err(ApiError::invalid(errors.into_vec()));
    }
    let (stored, _) = repo::sessions::password_of(conn, caller.login_id)?.ok_or(ApiError::NotFound)?;
    Ok(OwnChange { login_id: caller.login_id, stored, current: body.current_password, new: body.new_password })
}

/// The 422 for a current password that is not the caller's.
pub fn wrong_current_password() -> ApiError {
    ApiError::field("current_password", Code::WrongPassword, "current_password is not the caller's password")
}

/// K5, last step: the new hash is written, and the login's token generation raised, so
/// every token issued before is refused; unless the password changed meanwhile (409).
/// The new generation, for the fresh token the caller gets.
/// A node's login writes its `{type}.password_set` event (L1: a credential change); a system
/// admin's login lies under no node, so its change is no resource's event.
pub fn finish_own_change(
    conn: &mut DbConn,
    caller: &Principal,
    change: &OwnChange,
    hash: &str,
) -> Result<i64, ApiError> {
    write_tx(conn, |conn| {
        let generation =
            repo::sessions::set_password(conn, change.login_id, hash, Some(&change.stored))?.ok_or_else(|| {
                ApiError::conflict(Code::ConcurrentChange, "the password was changed at the same time; log in again")
            })?;
        if let crate::domain::Actor::Node(node) = &caller.actor {
            let changes = crate::service::audit::Changes::default().secret("password", true);
            let event = crate::service::audit::Event::node(node, crate::domain::audit::Verb::PasswordSet, changes);
            crate::service::audit::record(conn, caller, event)?;
        }
        Ok(generation)
    })
}

/// K5: a node's login password set by an ancestor's owner or a system admin; every token
/// the login had is refused from then on.
pub fn set_password(
    conn: &mut DbConn,
    caller: &Principal,
    id: Uuid,
    kind: NodeKind,
    body: Input<SetPassword>,
) -> Result<Step<()>, ApiError> {
    let node = repo::nodes::find_ref_kind(conn, id, kind)?.ok_or(ApiError::NotFound)?;
    authz::access::can_set_password(&caller.actor, caller.is_client(), &node).check()?;
    let body = body.parse()?;
    let mut errors = Errors::default();
    errors.check("password", &validate::PASSWORD, &body.password);
    if !errors.is_empty() {
        return Err(ApiError::invalid(errors.into_vec()));
    }
    Ok(Step::hash(body.password, move |conn, caller, hash| {
        write_tx(conn, |conn| {
            let node = repo::nodes::find_ref_kind(conn, id, kind)?.ok_or(ApiError::NotFound)?;
            authz::access::can_set_password(&caller.actor, caller.is_client(), &node).check()?;
            let login = repo::logins::id_of_node(conn, node.id)?;
            repo::sessions::set_password(conn, login, &hash, None)?;
            let changes = crate::service::audit::Changes::default().secret("password", true);
            let event = crate::service::audit::Event::node(&node, crate::domain::audit::Verb::PasswordSet, changes);
            crate::service::audit::record(conn, caller, event)
        })
    }))
}

/// K6: every token of the caller's login (or, for an API client, of the client) is
/// refused from the next request on.
pub fn revoke_all(conn: &mut DbConn, caller: &Principal) -> Result<(), ApiError> {
    write_tx(conn, |conn| {
        match &caller.client {
            Some(client) => repo::sessions::revoke_all_of_client(conn, client.id)?,
            None => repo::sessions::revoke_all_of_login(conn, caller.login_id)?,
        }
        Ok(())
    })
}

/// K6 (RFC 7009): a valid token is recorded as revoked until it expires; records of
/// expired tokens are pruned on the way.
pub async fn revoke(pool: &Pool, token: Verified) -> Result<(), ApiError> {
    let now = super::identity::unix_now();
    let expires_at = i64::try_from(token.exp).unwrap_or(i64::MAX);
    if expires_at < now {
        return Ok(());
    }
    let revoked = Session::new(pool.clone())
        .run(move |s| {
            write_tx(s.conn()?, |conn| {
                repo::sessions::revoke(conn, &token.jti, expires_at, now).map_err(|e| {
                    // Revoked at the same moment by another request: revoked either way.
                    if crate::db::is_unique_violation(&e) { already_revoked() } else { e.into() }
                })
            })
        })
        .await;
    match revoked {
        Err(ApiError::Conflict { code: Code::ConcurrentChange, .. }) | Ok(()) => Ok(()),
        Err(e) => Err(e),
    }
}

fn already_revoked() -> ApiError {
    ApiError::conflict(Code::ConcurrentChange, "the token was revoked at the same time")
}
