//! Token lifecycle and login throttling (K4–K7): token generations, revoked tokens and
//! failed logins, all in the database so every instance on it agrees.

use diesel::prelude::*;
use uuid::Uuid;

use crate::db::DbConn;
use crate::db::schema::api_clients::dsl as ac;
use crate::db::schema::login_failures::dsl as lf;
use crate::db::schema::logins::dsl as l;
use crate::db::schema::revoked_tokens::dsl as rt;
use crate::db::types::uid;
use crate::domain::{ApiClientId, LoginId};

/// A login's password hash and token generation.
pub fn password_of(conn: &mut DbConn, id: LoginId) -> QueryResult<Option<(String, i64)>> {
    native!(conn, |c| l::logins
        .filter(l::id.eq(id))
        .select((l::password_hash, l::token_generation))
        .first(c)
        .optional())
}

/// Sets a login's password and raises its token generation (K5), only if the stored hash
/// is still `expected` when one is given (a concurrent change is not overwritten). The
/// new generation, or none when nothing matched.
pub fn set_password(conn: &mut DbConn, id: LoginId, hash: &str, expected: Option<&str>) -> QueryResult<Option<i64>> {
    let changed = match expected {
        Some(old) => {
            native!(conn, |c| diesel::update(l::logins.filter(l::id.eq(id)).filter(l::password_hash.eq(old)))
                .set((l::password_hash.eq(hash), l::token_generation.eq(l::token_generation + 1)))
                .execute(c))?
        }
        None => native!(conn, |c| diesel::update(l::logins.filter(l::id.eq(id)))
            .set((l::password_hash.eq(hash), l::token_generation.eq(l::token_generation + 1)))
            .execute(c))?,
    };
    if changed == 0 {
        return Ok(None);
    }
    native!(conn, |c| l::logins.filter(l::id.eq(id)).select(l::token_generation).first(c)).map(Some)
}

/// Raises a login's token generation: every token issued to it so far is refused (K6).
pub fn revoke_all_of_login(conn: &mut DbConn, id: LoginId) -> QueryResult<()> {
    native!(conn, |c| diesel::update(l::logins.filter(l::id.eq(id)))
        .set(l::token_generation.eq(l::token_generation + 1))
        .execute(c))?;
    Ok(())
}

/// Raises an API client's token generation (K4 rotation, K6 for a client).
pub fn revoke_all_of_client(conn: &mut DbConn, id: ApiClientId) -> QueryResult<()> {
    native!(conn, |c| diesel::update(ac::api_clients.filter(ac::id.eq(id)))
        .set(ac::token_generation.eq(ac::token_generation + 1))
        .execute(c))?;
    Ok(())
}

/// Records a revoked token until it would expire (`expires_at`, unix seconds), and prunes
/// the records of tokens that have expired since: a record need not outlive its token.
/// Revoking a token twice is no error.
pub fn revoke(conn: &mut DbConn, jti: &str, expires_at: i64, now: i64) -> QueryResult<()> {
    native!(conn, |c| diesel::delete(rt::revoked_tokens.filter(rt::expires_at.lt(now))).execute(c))?;
    let exists: bool =
        native!(conn, |c| diesel::select(diesel::dsl::exists(rt::revoked_tokens.filter(rt::jti.eq(jti))))
            .get_result(c))?;
    if !exists {
        native!(conn, |c| diesel::insert_into(rt::revoked_tokens)
            .values((rt::jti.eq(jti), rt::expires_at.eq(expires_at)))
            .execute(c))?;
    }
    Ok(())
}

/// How many revocation records are kept (tests check the pruning).
pub fn revoked_count(conn: &mut DbConn) -> QueryResult<i64> {
    native!(conn, |c| rt::revoked_tokens.count().get_result(c))
}

/// K7's facts: the times of the failures of `username` from `address`, and of every
/// failure from `address`, after `since`, newest first, at most `limits` of each.
pub fn recent_failures(
    conn: &mut DbConn,
    username: &str,
    address: &str,
    since: i64,
    (user_limit, address_limit): (i64, i64),
) -> QueryResult<(Vec<i64>, Vec<i64>)> {
    let user = native!(conn, |c| lf::login_failures
        .filter(lf::username.eq(username))
        .filter(lf::address.eq(address))
        .filter(lf::at.gt(since))
        .order(lf::at.desc())
        .limit(user_limit)
        .select(lf::at)
        .load(c))?;
    let addr = native!(conn, |c| lf::login_failures
        .filter(lf::address.eq(address))
        .filter(lf::at.gt(since))
        .order(lf::at.desc())
        .limit(address_limit)
        .select(lf::at)
        .load(c))?;
    Ok((user, addr))
}

/// Records a failed login, and forgets failures older than `prune_before`.
pub fn record_failure(conn: &mut DbConn, username: &str, address: &str, at: i64, prune_before: i64) -> QueryResult<()> {
    native!(conn, |c| diesel::delete(lf::login_failures.filter(lf::at.lt(prune_before))).execute(c))?;
    native!(conn, |c| diesel::insert_into(lf::login_failures)
        .values((lf::id.eq(uid(Uuid::now_v7())), lf::username.eq(username), lf::address.eq(address), lf::at.eq(at)))
        .execute(c))?;
    Ok(())
}

/// Forgets the failures of `username` from `address` after it logged in.
pub fn clear_failures(conn: &mut DbConn, username: &str, address: &str) -> QueryResult<()> {
    native!(conn, |c| diesel::delete(
        lf::login_failures.filter(lf::username.eq(username)).filter(lf::address.eq(address))
    )
    .execute(c))?;
    Ok(())
}
