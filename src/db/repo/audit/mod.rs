//! The audit trail (L1, L2): events appended in the write transaction of the change they
//! record, read oldest first by `seq`.
//!
//! A reader must never see an event while one with a lower `seq` is still to commit: it
//! would page past it and never see it. SQLite has one writer, which gives `seq` in commit
//! order. PostgreSQL's writers append side by side, `seq` from a sequence, each holding a
//! shared advisory lock from before it draws its `seq` to its commit; a reader takes that
//! lock exclusively for a moment — every append in flight has then ended — notes the highest
//! `seq` committed, lets go, and reads no further than it. Writers never wait for each other,
//! only for the instant a reader holds the lock.
pub mod deliveries;
pub mod webhooks;

use diesel::prelude::*;
use uuid::Uuid;

use crate::authz::audit::EventScope;
use crate::db::DbConn;
use crate::db::schema::audit_events::dsl as e;
use crate::db::types::{opt_uid, uid};
use crate::domain::{NodeKind, Timestamp};

/// The advisory lock key of audit appends on PostgreSQL ("siprov audit" in ASCII).
const APPEND_LOCK: i64 = 0x7369_7072_6f76_6175;

/// An event as stored.
#[derive(Clone, Debug, Queryable)]
pub struct EventRow {
    pub seq: i64,
    pub id: Uuid,
    pub at: Timestamp,
    pub actor_username: String,
    pub actor_client_id: Option<Uuid>,
    pub request_id: String,
    pub action: String,
    pub resource_type: String,
    pub resource_id: Uuid,
    pub sp_id: Option<Uuid>,
    pub org_id: Option<Uuid>,
    pub user_id: Option<Uuid>,
    pub changes: String,
}

type Columns = (
    e::seq,
    e::id,
    e::at,
    e::actor_username,
    e::actor_client_id,
    e::request_id,
    e::action,
    e::resource_type,
    e::resource_id,
    e::sp_id,
    e::org_id,
    e::user_id,
    e::changes,
);

const COLUMNS: Columns = (
    e::seq,
    e::id,
    e::at,
    e::actor_username,
    e::actor_client_id,
    e::request_id,
    e::action,
    e::resource_type,
    e::resource_id,
    e::sp_id,
    e::org_id,
    e::user_id,
    e::changes,
);

/// Appends an event; its `seq` is given here. Call it late in the write transaction: the
/// shared lock it takes on PostgreSQL is held until commit.
pub fn append(conn: &mut DbConn, ev: &mut EventRow) -> QueryResult<()> {
    let seq = match conn {
        DbConn::Sqlite(c) => {
            // The writer is alone (BEGIN IMMEDIATE): the next number is in commit order.
            let last: Option<i64> = e::audit_events.select(diesel::dsl::max(e::seq)).first(c)?;
            last.unwrap_or(0) + 1
        }
        DbConn::Postgresql(c) => {
            lock_appends(c)?;
            diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>("nextval('audit_events_seq')"))
                .get_result(c)?
        }
    };
    ev.seq = seq;
    native!(conn, |c| diesel::insert_into(e::audit_events)
        .values((
            e::seq.eq(ev.seq),
            e::id.eq(uid(ev.id)),
            e::at.eq(ev.at),
            e::actor_username.eq(&ev.actor_username),
            e::actor_client_id.eq(opt_uid(ev.actor_client_id)),
            e::request_id.eq(&ev.request_id),
            e::action.eq(&ev.action),
            e::resource_type.eq(&ev.resource_type),
            e::resource_id.eq(uid(ev.resource_id)),
            e::sp_id.eq(opt_uid(ev.sp_id)),
            e::org_id.eq(opt_uid(ev.org_id)),
            e::user_id.eq(opt_uid(ev.user_id)),
            e::changes.eq(&ev.changes),
        ))
        .execute(c))?;
    Ok(())
}

/// Marks this transaction as appending until it ends (a shared lock: appends do not wait for
/// each other).
fn lock_appends(pg: &mut diesel::PgConnection) -> QueryResult<()> {
    diesel::sql_query("SELECT pg_advisory_xact_lock_shared($1)")
        .bind::<diesel::sql_types::BigInt, _>(APPEND_LOCK)
        .execute(pg)?;
    Ok(())
}

/// The highest `seq` a reader may show: every event at or below it has committed (or never
/// will). On PostgreSQL this waits for the appends in flight; on SQLite a read sees every
/// commit in order, so there is no bound.
fn horizon(conn: &mut DbConn) -> QueryResult<Option<i64>> {
    let DbConn::Postgresql(pg) = conn else { return Ok(None) };
    pg.transaction(|c| {
        diesel::sql_query("SELECT pg_advisory_xact_lock($1)")
            .bind::<diesel::sql_types::BigInt, _>(APPEND_LOCK)
            .execute(c)?;
        // A new statement, so a new snapshot: it sees every append that held the lock.
        let last: Option<i64> = e::audit_events.select(diesel::dsl::max(e::seq)).first(c)?;
        Ok(Some(last.unwrap_or(0)))
    })
}

/// What a reader asks for, besides its scope.
#[derive(Clone, Debug, Default)]
pub struct Filters {
    pub resource_type: Option<String>,
    pub resource_id: Option<Uuid>,
    pub action: Option<String>,
    pub actor: Option<String>,
    pub since: Option<Timestamp>,
    pub until: Option<Timestamp>,
}

/// One page of the events in `scope` matching `filters`, oldest first, after `seq` `after`.
pub fn list(
    conn: &mut DbConn,
    scope: EventScope,
    filters: &Filters,
    after: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<EventRow>> {
    let horizon = horizon(conn)?;
    native!(conn, |c| {
        let mut q = e::audit_events.select(COLUMNS).into_boxed();
        if let EventScope::Under { kind, node, devices } = scope {
            q = match kind {
                NodeKind::ServiceProvider => q.filter(e::sp_id.eq(opt_uid(Some(node)))),
                NodeKind::Organization => q.filter(e::org_id.eq(opt_uid(Some(node)))),
                NodeKind::User => q.filter(e::user_id.eq(opt_uid(Some(node)))),
            };
            if !devices {
                q = q.filter(e::resource_type.ne("device"));
            }
        }
        if let Some(t) = &filters.resource_type {
            q = q.filter(e::resource_type.eq(t.clone()));
        }
        if let Some(id) = filters.resource_id {
            q = q.filter(e::resource_id.eq(uid(id)));
        }
        if let Some(a) = &filters.action {
            q = q.filter(e::action.eq(a.clone()));
        }
        if let Some(a) = &filters.actor {
            q = q.filter(e::actor_username.eq(a.clone()));
        }
        if let Some(t) = filters.since {
            q = q.filter(e::at.ge(t));
        }
        if let Some(t) = filters.until {
            q = q.filter(e::at.lt(t));
        }
        if let Some(s) = after {
            q = q.filter(e::seq.gt(s));
        }
        if let Some(h) = horizon {
            q = q.filter(e::seq.le(h));
        }
        q.order(e::seq.asc()).limit(limit + 1).load::<EventRow>(c)
    })
}

/// The `seq` of an event, to continue a page after it.
pub fn seq_of(conn: &mut DbConn, id: Uuid) -> QueryResult<Option<i64>> {
    native!(conn, |c| e::audit_events.filter(e::id.eq(uid(id))).select(e::seq).first::<i64>(c).optional())
}

/// The events of these ids, by id, in one query.
pub fn find_many(
    conn: &mut DbConn,
    ids: impl IntoIterator<Item = Uuid>,
) -> QueryResult<std::collections::HashMap<Uuid, EventRow>> {
    let ids = super::InJsonArray::new(e::id, ids);
    let rows: Vec<EventRow> = native!(conn, |c| e::audit_events.filter(ids.clone()).select(COLUMNS).load(c))?;
    Ok(rows.into_iter().map(|r| (r.id, r)).collect())
}

#[cfg(test)]
mod tests;
