//! Who the caller is: the role context behind a token, and logging in.

use crate::auth::{Principal, password};
use crate::db::{DbConn, Session, repo};
use crate::domain::code::Code;
use crate::domain::{Actor, LoginId};
use crate::error::ApiError;

/// The role context of a token's login, read fresh on every request (one query): a
/// changed level or a deleted login counts at once. None when the login is gone.
pub fn principal(conn: &mut DbConn, login_id: LoginId) -> Result<Option<Principal>, ApiError> {
    Ok(repo::logins::with_node(conn, login_id)?.map(|(login, node)| Principal {
        login_id: login.id,
        username: login.username,
        actor: match node {
            None => Actor::SystemAdmin,
            Some(n) => Actor::Node(n),
        },
    }))
}

/// The login a username and password name. The connection goes back to the pool before
/// the (slow, deliberately) password check; an unknown username costs the same time as a
/// wrong password, so the answer does not tell which it was.
pub fn login(db: &mut Session, username: &str, password: &str) -> Result<LoginId, ApiError> {
    let login = repo::logins::by_username(db.conn()?, username)?;
    db.release();
    match login {
        Some(l) if password::verify(password, &l.password_hash) => Ok(l.id),
        Some(_) => Err(invalid_grant()),
        None => {
            password::burn_time(password);
            Err(invalid_grant())
        }
    }
}

fn invalid_grant() -> ApiError {
    ApiError::unauthorized(Code::InvalidGrant, "the username or password is wrong")
}
