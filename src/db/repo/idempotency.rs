//! The first answer to a POST sent with an `Idempotency-Key`, per caller and key, so a
//! retried request is answered again instead of run again.

use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::idempotency_keys::dsl as k;

/// A stored answer.
#[derive(Clone, Debug)]
pub struct Stored {
    pub status: u16,
    pub content_type: Option<String>,
    pub location: Option<String>,
    pub body: Option<String>,
}

/// What a request with a key finds.
#[derive(Clone, Debug)]
pub enum Begin {
    /// The key is new (or its record expired): the request runs, and its answer is kept.
    Started,
    /// The same key and body answered before: that answer is replayed.
    Replay(Stored),
    /// The same key came with another request.
    Mismatch,
    /// The request with this key is still running.
    InFlight,
}

type Row = (String, Option<i32>, Option<String>, Option<String>, Option<String>, i64);

/// Claims `key` for `caller`, or says why not. Records older than `expired_before` are
/// forgotten first (and a record still running since before `abandoned_before` counts as
/// abandoned by a process that stopped). Runs in the caller's write transaction; a
/// concurrent claim of the same key loses on the primary key (the caller answers 409).
pub fn begin(
    conn: &mut DbConn,
    caller: &str,
    key: &str,
    request_hash: &str,
    now: i64,
    (expired_before, abandoned_before): (i64, i64),
) -> QueryResult<Begin> {
    native!(conn, |c| diesel::delete(k::idempotency_keys.filter(k::created_at.lt(expired_before))).execute(c))?;
    native!(conn, |c| diesel::delete(
        k::idempotency_keys
            .filter(k::caller.eq(caller))
            .filter(k::key.eq(key))
            .filter(k::status.is_null())
            .filter(k::created_at.lt(abandoned_before))
    )
    .execute(c))?;
    let row: Option<Row> = native!(conn, |c| k::idempotency_keys
        .filter(k::caller.eq(caller))
        .filter(k::key.eq(key))
        .select((k::request_hash, k::status, k::content_type, k::location, k::body, k::created_at))
        .first(c)
        .optional())?;
    match row {
        None => {
            native!(conn, |c| diesel::insert_into(k::idempotency_keys)
                .values(
                    (k::caller.eq(caller), k::key.eq(key), k::request_hash.eq(request_hash), k::created_at.eq(now),)
                )
                .execute(c))?;
            Ok(Begin::Started)
        }
        Some((hash, _, _, _, _, _)) if hash != request_hash => Ok(Begin::Mismatch),
        Some((_, None, _, _, _, _)) => Ok(Begin::InFlight),
        Some((_, Some(status), content_type, location, body, _)) => {
            Ok(Begin::Replay(Stored { status: u16::try_from(status).unwrap_or(500), content_type, location, body }))
        }
    }
}

/// Keeps the answer of a request that ran.
pub fn finish(conn: &mut DbConn, caller: &str, key: &str, answer: &Stored) -> QueryResult<()> {
    native!(conn, |c| diesel::update(k::idempotency_keys.filter(k::caller.eq(caller)).filter(k::key.eq(key)))
        .set((
            k::status.eq(Some(i32::from(answer.status))),
            k::content_type.eq(answer.content_type.as_deref()),
            k::location.eq(answer.location.as_deref()),
            k::body.eq(answer.body.as_deref()),
        ))
        .execute(c))?;
    Ok(())
}

/// Forgets a key whose request did not run to an answer worth replaying (a fault, a
/// refused token): a retry runs it again.
pub fn forget(conn: &mut DbConn, caller: &str, key: &str) -> QueryResult<()> {
    native!(conn, |c| diesel::delete(k::idempotency_keys.filter(k::caller.eq(caller)).filter(k::key.eq(key)))
        .execute(c))?;
    Ok(())
}
