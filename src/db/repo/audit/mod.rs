//! The audit trail (L1, L2): events appended in the write transaction of the change they
//! record, read oldest first by `seq`.
//!
//! `seq` is given under a lock held until the transaction commits (PostgreSQL: a
//! transaction-level advisory lock; SQLite: its one writer), so events become visible in
//! `seq` order: a reader that paged past `seq` n never finds a later commit below n.

pub mod deliveries;
pub mod webhooks;

use diesel::prelude::*;
use uuid::Uuid;

use crate::authz::audit::EventScope;
use crate::db::DbConn;
use crate::db::schema::audit_events::dsl as e;
use crate::db::types::{opt_uid, uid};
use crate::domain::{NodeKind, Timestamp};

/// The advisory lock key that orders appends on PostgreSQL ("siprov audit" in ASCII).
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

/// Appends an event (its `seq` is given here). Call it last in the write transaction: the
/// lock it takes on PostgreSQL is held until commit.
pub fn append(conn: &mut DbConn, ev: &mut EventRow) -> QueryResult<()> {
    lock_appends(conn)?;
    let last: Option<i64> =
        native!(conn, |c| e::audit_events.select(diesel::dsl::max(e::seq)).first::<Option<i64>>(c))?;
    ev.seq = last.unwrap_or(0) + 1;
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

/// Takes the append lock now (PostgreSQL; SQLite's writer is alone already), until the
/// transaction ends. A write that deletes webhooks takes it first: it would otherwise hold
/// their rows while waiting for it, and an append holding it waits for those rows (to
/// write a delivery), a deadlock.
pub fn lock_appends(conn: &mut DbConn) -> QueryResult<()> {
    if let DbConn::Postgresql(pg) = conn {
        diesel::sql_query("SELECT pg_advisory_xact_lock($1)")
            .bind::<diesel::sql_types::BigInt, _>(APPEND_LOCK)
            .execute(pg)?;
    }
    Ok(())
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
        q.order(e::seq.asc()).limit(limit + 1).load::<EventRow>(c)
    })
}

/// The `seq` of an event, to continue a page after it.
pub fn seq_of(conn: &mut DbConn, id: Uuid) -> QueryResult<Option<i64>> {
    native!(conn, |c| e::audit_events.filter(e::id.eq(uid(id))).select(e::seq).first::<i64>(c).optional())
}

pub fn find(conn: &mut DbConn, id: Uuid) -> QueryResult<Option<EventRow>> {
    native!(conn, |c| e::audit_events.filter(e::id.eq(uid(id))).select(COLUMNS).first::<EventRow>(c).optional())
}
