//! Who the caller is: the role context behind a token, and logging in.

use crate::auth::Principal;
use crate::auth::hashing::Hasher;
use crate::db::{DbConn, Pool, Session, repo};
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
        request_id: String::new(),
    }))
}

/// The login a username and password name: the login is read (on a blocking thread, the
/// connection given back at once), then the password is checked on the hashing threads
/// with no connection held. An unknown username costs the same work as a wrong password,
/// so the answer does not tell which it was.
pub async fn login(pool: &Pool, hasher: &Hasher, username: String, password: String) -> Result<LoginId, ApiError> {
    let login = Session::new(pool.clone())
        .run_read(move |s| Ok(repo::logins::by_username(s.conn()?, &username)?.map(|l| (l.id, l.password_hash))))
        .await?;
    let (id, stored) = login.unzip();
    match (id, hasher.verify(password, stored).await?) {
        (Some(id), true) => Ok(id),
        _ => Err(invalid_grant()),
    }
}

fn invalid_grant() -> ApiError {
    ApiError::unauthorized(Code::InvalidGrant, "the username or password is wrong")
}
