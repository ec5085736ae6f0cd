//! The webhook outbox (L3): one delivery per (webhook, event), written with the event,
//! claimed by one worker at a time with a lease, and its attempts.

use diesel::prelude::*;
use uuid::Uuid;

use crate::db::DbConn;
use crate::db::repo::InJsonArray;
use crate::db::schema::{audit_events, webhook_attempts::dsl as a, webhook_deliveries::dsl as d, webhooks};
use crate::db::types::uid;
use crate::domain::Timestamp;

pub const PENDING: &str = "pending";
pub const DELIVERED: &str = "delivered";

/// A delivery as its webhook's log shows it, with the action of its event.
#[derive(Clone, Debug, Queryable)]
pub struct DeliveryRow {
    pub id: Uuid,
    pub webhook_id: Uuid,
    pub event_id: Uuid,
    pub action: String,
    pub state: String,
    pub attempts: i32,
    pub next_attempt_at: Timestamp,
    pub created_at: Timestamp,
    pub delivered_at: Option<Timestamp>,
}

/// One attempt to deliver.
#[derive(Clone, Debug, Queryable)]
pub struct AttemptRow {
    pub delivery_id: Uuid,
    pub at: Timestamp,
    pub status: Option<i32>,
    pub duration_ms: i32,
    pub error: Option<String>,
}

/// What a worker needs to send one delivery.
#[derive(Clone, Debug, Queryable)]
pub struct Job {
    pub delivery_id: Uuid,
    pub webhook_id: Uuid,
    pub event_id: Uuid,
    pub attempts: i32,
    pub url: String,
    pub secret: String,
}

pub fn insert(conn: &mut DbConn, id: Uuid, webhook_id: Uuid, event_id: Uuid, at: Timestamp) -> QueryResult<()> {
    native!(conn, |c| diesel::insert_into(d::webhook_deliveries)
        .values((
            d::id.eq(uid(id)),
            d::webhook_id.eq(uid(webhook_id)),
            d::event_id.eq(uid(event_id)),
            d::state.eq(PENDING),
            d::attempts.eq(0),
            d::next_attempt_at.eq(at),
            d::created_at.eq(at),
        ))
        .execute(c))?;
    Ok(())
}

/// Claims up to `limit` due deliveries of enabled webhooks until `lease_until`: another
/// worker skips them (PostgreSQL: `FOR UPDATE SKIP LOCKED` while claiming, the lease after)
/// until the lease ends, so a worker that dies mid-delivery leaves them to the next. Run it
/// in a write transaction.
pub fn claim(conn: &mut DbConn, now: Timestamp, lease_until: Timestamp, limit: i64) -> QueryResult<Vec<Job>> {
    let enabled = webhooks::table.filter(webhooks::enabled.eq(true)).select(webhooks::id);
    let due = d::webhook_deliveries
        .filter(d::state.eq(PENDING))
        .filter(d::next_attempt_at.le(now))
        .filter(d::leased_until.is_null().or(d::leased_until.le(now)))
        .filter(d::webhook_id.eq_any(enabled))
        .order(d::next_attempt_at.asc())
        .limit(limit)
        .select(d::id);
    let ids: Vec<Uuid> = match conn {
        DbConn::Postgresql(c) => due.for_update().skip_locked().load(c)?,
        DbConn::Sqlite(c) => due.load(c)?,
    };
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let claimed = || InJsonArray::new(d::id, ids.iter().copied());
    native!(conn, |c| diesel::update(d::webhook_deliveries.filter(claimed()))
        .set(d::leased_until.eq(Some(lease_until)))
        .execute(c))?;
    native!(conn, |c| d::webhook_deliveries
        .inner_join(webhooks::table)
        .filter(claimed())
        .select((d::id, d::webhook_id, d::event_id, d::attempts, webhooks::url, webhooks::secret))
        .order(d::next_attempt_at.asc())
        .load(c))
}

/// Whether any delivery is due, read before claiming so an idle worker does not write.
pub fn any_due(conn: &mut DbConn, now: Timestamp) -> QueryResult<bool> {
    let q = d::webhook_deliveries
        .filter(d::state.eq(PENDING))
        .filter(d::next_attempt_at.le(now))
        .filter(d::leased_until.is_null().or(d::leased_until.le(now)))
        .select(d::id);
    native!(conn, |c| diesel::select(diesel::dsl::exists(q)).get_result::<bool>(c))
}

/// Records finished attempts: each in the log; the delivered ones done, the failed ones
/// due again at their own `retry_at`. A few statements for the whole batch.
pub fn attempted(conn: &mut DbConn, attempts: &[(AttemptRow, bool, Timestamp)]) -> QueryResult<()> {
    if attempts.is_empty() {
        return Ok(());
    }
    let rows: Vec<_> = attempts
        .iter()
        .map(|(at, _, _)| {
            (
                a::id.eq(uid(Uuid::now_v7())),
                a::delivery_id.eq(uid(at.delivery_id)),
                a::at.eq(at.at),
                a::status.eq(at.status),
                a::duration_ms.eq(at.duration_ms),
                a::error.eq(at.error.clone()),
            )
        })
        .collect();
    native!(conn, |c| diesel::insert_into(a::webhook_attempts).values(rows.clone()).execute(c))?;
    let delivered: Vec<Uuid> = attempts.iter().filter(|(_, ok, _)| *ok).map(|(at, _, _)| at.delivery_id).collect();
    if !delivered.is_empty() {
        // Each delivery's time is that of its last attempt, just logged above.
        let last_attempt =
            a::webhook_attempts.filter(a::delivery_id.eq(d::id)).order(a::at.desc()).select(a::at).single_value();
        native!(conn, |c| diesel::update(
            d::webhook_deliveries.filter(InJsonArray::new(d::id, delivered.iter().copied()))
        )
        .set((
            d::state.eq(DELIVERED),
            d::attempts.eq(d::attempts + 1),
            d::leased_until.eq(None::<Timestamp>),
            d::delivered_at.eq(last_attempt),
        ))
        .execute(c))?;
    }
    for (attempt, _, retry_at) in attempts.iter().filter(|(_, ok, _)| !*ok) {
        native!(conn, |c| diesel::update(d::webhook_deliveries.filter(d::id.eq(uid(attempt.delivery_id))))
            .set((
                d::attempts.eq(d::attempts + 1),
                d::leased_until.eq(None::<Timestamp>),
                d::next_attempt_at.eq(*retry_at),
            ))
            .execute(c))?;
    }
    Ok(())
}

type Columns = (
    d::id,
    d::webhook_id,
    d::event_id,
    audit_events::action,
    d::state,
    d::attempts,
    d::next_attempt_at,
    d::created_at,
    d::delivered_at,
);

const COLUMNS: Columns = (
    d::id,
    d::webhook_id,
    d::event_id,
    audit_events::action,
    d::state,
    d::attempts,
    d::next_attempt_at,
    d::created_at,
    d::delivered_at,
);

/// A webhook's deliveries, in id order (oldest first).
pub fn list(conn: &mut DbConn, webhook: Uuid, after: Option<Uuid>, limit: i64) -> QueryResult<Vec<DeliveryRow>> {
    native!(conn, |c| {
        let mut q = d::webhook_deliveries
            .inner_join(audit_events::table)
            .filter(d::webhook_id.eq(uid(webhook)))
            .select(COLUMNS)
            .into_boxed();
        if let Some(after) = after {
            q = q.filter(d::id.gt(uid(after)));
        }
        q.order(d::id.asc()).limit(limit + 1).load::<DeliveryRow>(c)
    })
}

pub fn find(conn: &mut DbConn, webhook: Uuid, id: Uuid) -> QueryResult<Option<DeliveryRow>> {
    native!(conn, |c| d::webhook_deliveries
        .inner_join(audit_events::table)
        .filter(d::webhook_id.eq(uid(webhook)))
        .filter(d::id.eq(uid(id)))
        .select(COLUMNS)
        .first::<DeliveryRow>(c)
        .optional())
}

/// The attempts of one delivery, oldest first.
pub fn attempts_of(conn: &mut DbConn, delivery: Uuid) -> QueryResult<Vec<AttemptRow>> {
    native!(conn, |c| a::webhook_attempts
        .filter(a::delivery_id.eq(uid(delivery)))
        .select((a::delivery_id, a::at, a::status, a::duration_ms, a::error))
        .order(a::id.asc())
        .load::<AttemptRow>(c))
}

/// A manual retry: due now, whatever it was. A delivery in flight keeps its claim, so it is
/// not sent twice at once.
pub fn retry_now(conn: &mut DbConn, id: Uuid, now: Timestamp) -> QueryResult<()> {
    native!(conn, |c| diesel::update(d::webhook_deliveries.filter(d::id.eq(uid(id))))
        .set((d::state.eq(PENDING), d::next_attempt_at.eq(now)))
        .execute(c))?;
    Ok(())
}
