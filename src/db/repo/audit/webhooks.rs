//! Webhooks (L3): a node's subscriptions to the audit trail.

use diesel::prelude::*;
use uuid::Uuid;

use crate::db::DbConn;
use crate::db::repo::nodes::{REF_COLUMNS, RefRow, to_ref};
use crate::db::schema::{nodes, webhooks::dsl as w};
use crate::db::types::uid;
use crate::domain::{NodeRef, Timestamp};

/// A webhook as stored; `events` is a JSON array of action patterns.
#[derive(Clone, Debug, Queryable)]
pub struct WebhookRow {
    pub id: Uuid,
    pub node_id: Uuid,
    pub url: String,
    pub events: String,
    pub description: Option<String>,
    pub secret: String,
    pub enabled: bool,
    pub consecutive_failures: i32,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

type Columns = (
    w::id,
    w::node_id,
    w::url,
    w::events,
    w::description,
    w::secret,
    w::enabled,
    w::consecutive_failures,
    w::created_at,
    w::updated_at,
);

const COLUMNS: Columns = (
    w::id,
    w::node_id,
    w::url,
    w::events,
    w::description,
    w::secret,
    w::enabled,
    w::consecutive_failures,
    w::created_at,
    w::updated_at,
);

pub fn insert(conn: &mut DbConn, h: &WebhookRow) -> QueryResult<()> {
    native!(conn, |c| diesel::insert_into(w::webhooks)
        .values((
            w::id.eq(uid(h.id)),
            w::node_id.eq(uid(h.node_id)),
            w::url.eq(&h.url),
            w::events.eq(&h.events),
            w::description.eq(&h.description),
            w::secret.eq(&h.secret),
            w::enabled.eq(h.enabled),
            w::consecutive_failures.eq(h.consecutive_failures),
            w::created_at.eq(h.created_at),
            w::updated_at.eq(h.updated_at),
        ))
        .execute(c))?;
    Ok(())
}

/// Writes every changeable column.
pub fn update(conn: &mut DbConn, h: &WebhookRow) -> QueryResult<()> {
    native!(conn, |c| diesel::update(w::webhooks.filter(w::id.eq(uid(h.id))))
        .set((
            w::url.eq(&h.url),
            w::events.eq(&h.events),
            w::description.eq(&h.description),
            w::enabled.eq(h.enabled),
            w::consecutive_failures.eq(h.consecutive_failures),
            w::updated_at.eq(h.updated_at),
        ))
        .execute(c))?;
    Ok(())
}

pub fn delete(conn: &mut DbConn, id: Uuid) -> QueryResult<()> {
    native!(conn, |c| diesel::delete(w::webhooks.filter(w::id.eq(uid(id)))).execute(c))?;
    Ok(())
}

/// A webhook and its node's tree facts.
pub fn find(conn: &mut DbConn, id: Uuid) -> QueryResult<Option<(WebhookRow, NodeRef)>> {
    let row: Option<(WebhookRow, RefRow)> = native!(conn, |c| w::webhooks
        .inner_join(nodes::table)
        .filter(w::id.eq(uid(id)))
        .select((COLUMNS, REF_COLUMNS))
        .first(c)
        .optional())?;
    Ok(row.map(|(h, n)| (h, to_ref(n))))
}

/// A node's webhooks, in id order.
pub fn list(conn: &mut DbConn, node: Uuid, after: Option<Uuid>, limit: i64) -> QueryResult<Vec<WebhookRow>> {
    native!(conn, |c| {
        let mut q = w::webhooks.filter(w::node_id.eq(uid(node))).select(COLUMNS).into_boxed();
        if let Some(a) = after {
            q = q.filter(w::id.gt(uid(a)));
        }
        q.order(w::id.asc()).limit(limit + 1).load::<WebhookRow>(c)
    })
}

/// The enabled webhooks of the nodes an event lies under (its SP, Org and User, each where
/// it has one), with their nodes' facts: the only ones that can receive it (L3). One query,
/// of one shape whatever the number of nodes (a missing one repeats another), so its
/// statement is prepared once per connection; every write that records an event runs it.
pub fn enabled_of(conn: &mut DbConn, under: [Option<Uuid>; 3]) -> QueryResult<Vec<(Uuid, String, NodeRef)>> {
    let mut ids = under.into_iter().flatten();
    let Some(first) = ids.next() else { return Ok(Vec::new()) };
    let second = ids.next().unwrap_or(first);
    let third = ids.next().unwrap_or(second);
    let rows: Vec<(Uuid, String, bool, RefRow)> = native!(conn, |c| w::webhooks
        .inner_join(nodes::table)
        .select((w::id, w::events, w::enabled, REF_COLUMNS))
        .filter(w::node_id.eq(uid(first)).or(w::node_id.eq(uid(second))).or(w::node_id.eq(uid(third))))
        .load(c))?;
    Ok(rows.into_iter().filter(|r| r.2).map(|(id, events, _, n)| (id, events, to_ref(n))).collect())
}

/// A batch of attempts to one webhook, in order: `reset` when one was delivered, then
/// `failures` failed after the last delivered one. The count of consecutive failures
/// follows, and the webhook is disabled at `limit`.
pub fn tally(conn: &mut DbConn, id: Uuid, reset: bool, failures: i32, limit: i32) -> QueryResult<()> {
    let this = || w::webhooks.filter(w::id.eq(uid(id)));
    if reset {
        // Written only when it changes: a healthy webhook's row is not rewritten per batch.
        native!(conn, |c| diesel::update(this().filter(w::consecutive_failures.ne(failures)))
            .set(w::consecutive_failures.eq(failures))
            .execute(c))?;
    } else if failures > 0 {
        native!(conn, |c| diesel::update(this())
            .set(w::consecutive_failures.eq(w::consecutive_failures + failures))
            .execute(c))?;
    }
    if failures > 0 {
        native!(conn, |c| diesel::update(this().filter(w::consecutive_failures.ge(limit)))
            .set(w::enabled.eq(false))
            .execute(c))?;
    }
    Ok(())
}
