//! Who the caller is: the role context behind a token, logging in (K7) and API clients'
//! tokens (K3).

use crate::auth::client_secret;
use crate::auth::hashing::Hasher;
use crate::auth::token::{Subject, Verified};
use crate::auth::{ClientCaller, Principal};
use crate::authz;
use crate::db::{DbConn, Pool, Session, repo, write_tx};
use crate::domain::code::Code;
use crate::domain::{Actor, ApiClientId, LoginId};
use crate::error::ApiError;

/// The role context behind a valid token, read fresh on every request in one query: a
/// changed level or a deleted login counts at once, and so does a revoked token (K6), a
/// password change (K5), a rotated secret or a deleted client (K4). None when the token is
/// no longer honoured.
pub fn principal(conn: &mut DbConn, token: &Verified) -> Result<Option<Principal>, ApiError> {
    let holder = match token.subject {
        Subject::Login(id) => repo::identity::person(conn, id, &token.jti)?,
        Subject::Client(id) => repo::identity::client(conn, id, &token.jti)?,
    };
    let honoured =
        |h: &repo::identity::Holder| authz::access::token_honoured(h.generation, token.generation, h.revoked);
    Ok(holder.filter(honoured).map(|h| Principal {
        login_id: h.login_id,
        username: h.username,
        actor: match h.node {
            None => Actor::SystemAdmin,
            Some(n) => Actor::Node(n),
        },
        client: h.client.map(|(id, name, scope)| ClientCaller { id, name, scope }),
        request_id: String::new(),
    }))
}

/// Seconds since the epoch, as tokens and the throttle count them.
pub fn unix_now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// The login a username and password name, with its token generation, throttled per
/// username and address and per address (K7): a throttled attempt is refused before any
/// hashing. The login and the throttle's counts are read (on a blocking thread, the
/// connection given back at once), then the password is checked on the hashing threads
/// with no connection held. An unknown username costs the same work as a wrong password,
/// so the answer does not tell which it was; both count as failures.
pub async fn login(
    pool: &Pool,
    hasher: &Hasher,
    username: String,
    password: String,
    address: String,
) -> Result<(LoginId, i64), ApiError> {
    let now = unix_now();
    let since = now - authz::access::THROTTLE_WINDOW_SECS;
    // A string outside the username alphabet is counted under one name: it is no
    // username, and the database may refuse its bytes.
    let counted = if crate::domain::validate::is_username(&username) { username.clone() } else { "?".into() };
    let (who, addr) = (counted.clone(), address.clone());
    let (login, failures) = Session::new(pool.clone())
        .run_read(move |s| {
            let conn = s.conn()?;
            let limits = (authz::access::USERNAME_LIMIT as i64, authz::access::ADDRESS_LIMIT as i64);
            let failures = repo::sessions::recent_failures(conn, &who, &addr, since, limits)?;
            let login = repo::logins::by_username(conn, &username)?;
            Ok((login.map(|l| ((l.id, l.token_generation), l.password_hash)), failures))
        })
        .await?;
    if let Some(retry_after) = authz::access::login_throttle(&failures.0, &failures.1, now) {
        return Err(ApiError::Throttled { retry_after });
    }
    let (id, stored) = login.unzip();
    let verified = hasher.verify(password, stored).await?;
    let had_failures = !failures.0.is_empty();
    if let (Some(login), true, false) = (id, verified, had_failures) {
        // The common case writes nothing: no failures to forget.
        return Ok(login);
    }
    let outcome = Session::new(pool.clone())
        .run(move |s| {
            let conn = s.conn()?;
            match (id, verified) {
                (Some(login), true) => {
                    if had_failures {
                        write_tx(conn, |conn| Ok(repo::sessions::clear_failures(conn, &counted, &address)?))?;
                    }
                    Ok(Some(login))
                }
                _ => {
                    write_tx(conn, |conn| Ok(repo::sessions::record_failure(conn, &counted, &address, now, since)?))?;
                    Ok(None)
                }
            }
        })
        .await?;
    outcome.ok_or_else(invalid_grant)
}

/// An API client's id and token generation, when `secret` is its secret (K3). An unknown
/// client and a wrong secret get the same answer.
pub async fn client(pool: &Pool, id: ApiClientId, secret: String) -> Result<(ApiClientId, i64), ApiError> {
    let stored = Session::new(pool.clone()).run_read(move |s| Ok(repo::api_clients::secret_of(s.conn()?, id)?)).await?;
    match stored {
        Some((digest, generation)) if client_secret::matches(&secret, &digest) => Ok((id, generation)),
        _ => Err(ApiError::unauthorized(Code::InvalidClient, "the client_id or client_secret is wrong")),
    }
}

fn invalid_grant() -> ApiError {
    ApiError::unauthorized(Code::InvalidGrant, "the username or password is wrong")
}
