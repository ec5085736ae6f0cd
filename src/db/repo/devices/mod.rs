//! SIP devices, their lines and what the rules need to know about them.

use diesel::dsl::exists;
use diesel::prelude::*;
use uuid::Uuid;

mod lines;

pub use lines::*;

use super::nodes::{REF_COLUMNS, RefRow, to_ref};
use super::provisioning::{DeviceLogin, LOGIN_COLUMNS};
use super::{KeyIs, with_custom_plans};
use crate::db::DbConn;
use crate::db::schema::{device_lines as dl, device_logins as lg, device_owners as dwn, devices::dsl as d, nodes};
use crate::db::types::{opt_uid, uid};
use crate::domain::{AccountId, DeviceId, LoginId, NodeKind, NodeRef, Timestamp};

diesel::alias!(crate::db::schema::nodes as assignee: AssigneeNodes);

#[derive(Clone, Debug, Queryable)]
pub struct DeviceRecord {
    pub id: DeviceId,
    pub mac_address: String,
    pub vendor: Option<String>,
    pub model: Option<String>,
    pub label: Option<String>,
    pub context_id: Uuid,
    pub assigned_to_id: Option<Uuid>,
    pub missed_calls: bool,
    pub mwi_enabled: bool,
    pub mwi_account_id: Option<AccountId>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Clone, Debug, Queryable)]
pub struct Line {
    pub account_id: AccountId,
    pub number: String,
    pub position: i32,
}

type Columns = (
    d::id,
    d::mac_address,
    d::vendor,
    d::model,
    d::label,
    d::context_id,
    d::assigned_to_id,
    d::missed_calls,
    d::mwi_enabled,
    d::mwi_account_id,
    d::created_at,
    d::updated_at,
);

const COLUMNS: Columns = (
    d::id,
    d::mac_address,
    d::vendor,
    d::model,
    d::label,
    d::context_id,
    d::assigned_to_id,
    d::missed_calls,
    d::mwi_enabled,
    d::mwi_account_id,
    d::created_at,
    d::updated_at,
);

/// A fixed piece of SQL over a `devices` row, selected like a column of type `$ty`: a unit
/// struct, so diesel keeps the statement prepared (it does not keep one with a `sql()`
/// literal), and the same text on both backends.
macro_rules! row_expression {
    ($(#[$doc:meta])* $name:ident: $ty:ty = $sql:expr) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, diesel::query_builder::QueryId, diesel::expression::ValidGrouping)]
        pub struct $name;

        impl diesel::Expression for $name {
            type SqlType = $ty;
        }

        impl<DB: diesel::backend::Backend> diesel::query_builder::QueryFragment<DB> for $name {
            fn walk_ast<'b>(&'b self, mut out: diesel::query_builder::AstPass<'_, 'b, DB>) -> QueryResult<()> {
                out.push_sql($sql);
                Ok(())
            }
        }

        impl<QS> diesel::AppearsOnTable<QS> for $name {}
        impl<QS> diesel::SelectableExpression<QS> for $name {}
    };
}

row_expression! {
    /// A device's lines as one value of its row: `position,account_id,number` per line,
    /// joined by `;`, NULL when it has none. Aggregated in the query that reads the device,
    /// so a device and its lines (or a page and theirs) are one statement and, on
    /// PostgreSQL, one round trip. The parts cannot hold a separator: a position is digits,
    /// an id hex and hyphens, a number (`PhoneNumber`) `+` and digits. Plain text, not JSON:
    /// SQLite builds and serde parses JSON per row at a measurable cost, and `string_agg` is
    /// the same on both backends. The order of the aggregate is not the query's to promise,
    /// so [`parse_lines`] sorts.
    LinesPacked: diesel::sql_types::Nullable<diesel::sql_types::Text> =
        "(SELECT string_agg(l.position || ',' || l.account_id || ',' || a.number, ';') \
         FROM device_lines l JOIN accounts a ON a.id = l.account_id WHERE l.device_id = devices.id)"
}

row_expression! {
    /// The kind of a device's context, read off its own row rather than joined from `nodes`:
    /// a row carries the SP and the Org of its context (`sp_id`, `org_id`), so its context
    /// is the SP when it is `sp_id`, the Org when it is `org_id`, and a User otherwise.
    ContextKind: diesel::sql_types::Text =
        "CASE WHEN devices.context_id = devices.sp_id THEN 'service_provider' \
         WHEN devices.context_id = devices.org_id THEN 'organization' ELSE 'user' END"
}

row_expression! {
    /// The kind of a device's assignee, NULL when it has none, off its own row as for
    /// [`ContextKind`]. An assignee is an Org or a User below the context, or the context
    /// User itself (`invalid_assignee` otherwise), and `user_id` is the assignee whenever
    /// that is a User: so a User when it is `user_id`, an Org otherwise.
    AssigneeKind: diesel::sql_types::Nullable<diesel::sql_types::Text> =
        "CASE WHEN devices.assigned_to_id IS NULL THEN NULL \
         WHEN devices.assigned_to_id = devices.user_id THEN 'user' ELSE 'organization' END"
}

/// The lines [`LinesPacked`] read, in position order.
fn parse_lines(packed: Option<&str>) -> QueryResult<Vec<Line>> {
    let Some(packed) = packed else { return Ok(Vec::new()) };
    let bad = || diesel::result::Error::DeserializationError(format!("device lines: {packed:?}").into());
    let mut lines = packed
        .split(';')
        .map(|line| {
            let mut part = line.splitn(3, ',');
            let position = part.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
            let account_id = part.next().and_then(|a| Uuid::parse_str(a).ok()).ok_or_else(bad)?;
            let number = part.next().ok_or_else(bad)?.to_owned();
            Ok(Line { account_id: AccountId(account_id), number, position })
        })
        .collect::<QueryResult<Vec<Line>>>()?;
    lines.sort_unstable_by_key(|l| l.position);
    Ok(lines)
}

/// A device with what the rules need: its context's and assignee's places in the tree,
/// and whether the caller is on its owners list; and its lines. One query.
#[derive(Clone, Debug)]
pub struct DeviceWithFacts {
    pub device: DeviceRecord,
    pub context: NodeRef,
    pub assignee: Option<NodeRef>,
    pub caller_is_owner: bool,
    pub lines: Vec<Line>,
    /// Its provisioning login and last fetch (F3, F8), once there is one.
    pub login: Option<DeviceLogin>,
}

/// A device, its context and assignee nodes, the caller's owner flag, its packed lines, its
/// provisioning login.
type FactsRow = (DeviceRecord, RefRow, Option<RefRow>, bool, Option<String>, Option<DeviceLogin>);

pub fn find_with_facts(conn: &mut DbConn, id: DeviceId, caller: LoginId) -> QueryResult<Option<DeviceWithFacts>> {
    let owner = exists(dwn::table.filter(dwn::device_id.eq(id)).filter(dwn::login_id.eq(caller)));
    let row: Option<FactsRow> = native!(conn, |c| d::devices
        .inner_join(nodes::table.on(nodes::id.eq(d::context_id)))
        .left_join(assignee.on(assignee.field(nodes::id).nullable().eq(d::assigned_to_id)))
        .left_join(lg::table)
        .filter(d::id.eq(id))
        .select((
            COLUMNS,
            REF_COLUMNS,
            assignee.fields(REF_COLUMNS).nullable(),
            owner,
            LinesPacked,
            LOGIN_COLUMNS.nullable()
        ))
        .first(c)
        .optional())?;
    let Some((device, context, assignee_row, caller_is_owner, lines, login)) = row else { return Ok(None) };
    let lines = parse_lines(lines.as_deref())?;
    Ok(Some(DeviceWithFacts {
        device,
        context: to_ref(context),
        assignee: assignee_row.map(to_ref),
        caller_is_owner,
        lines,
        login,
    }))
}

/// A device, the kinds of its context and assignee, its lines and its provisioning login,
/// as a listing shows it.
pub type Listed = (DeviceRecord, NodeKind, Option<NodeKind>, Vec<Line>, Option<DeviceLogin>);

/// Where a device's row places it for the lists: the SP and Org of its context (fixed, as
/// the context is) and the User whose own view shows it (its context when that is a User,
/// else its assignee when that is a User), which follows the assignment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scope {
    pub sp_id: Uuid,
    pub org_id: Option<Uuid>,
    pub user_id: Option<Uuid>,
}

impl Scope {
    pub fn of(context: &NodeRef, assigned_to: Option<&NodeRef>) -> Scope {
        let user_id = match (context.kind, assigned_to) {
            (NodeKind::User, _) => Some(context.id),
            (_, Some(a)) if a.kind == NodeKind::User => Some(a.id),
            _ => None,
        };
        Scope { sp_id: context.sp_id, org_id: context.org_id, user_id }
    }
}

/// Inserts a device; a taken MAC is a unique violation (the caller answers 409, D9).
pub fn insert(conn: &mut DbConn, dev: &DeviceRecord, scope: Scope) -> QueryResult<()> {
    native!(conn, |c| diesel::insert_into(d::devices)
        .values((
            (
                d::id.eq(dev.id),
                d::mac_address.eq(&dev.mac_address),
                d::vendor.eq(&dev.vendor),
                d::model.eq(&dev.model),
                d::label.eq(&dev.label),
                d::context_id.eq(uid(dev.context_id)),
                d::assigned_to_id.eq(opt_uid(dev.assigned_to_id)),
                d::missed_calls.eq(dev.missed_calls),
                d::mwi_enabled.eq(dev.mwi_enabled),
                d::mwi_account_id.eq(dev.mwi_account_id),
                d::created_at.eq(dev.created_at),
                d::updated_at.eq(dev.updated_at),
            ),
            (d::sp_id.eq(uid(scope.sp_id)), d::org_id.eq(opt_uid(scope.org_id)), d::user_id.eq(opt_uid(scope.user_id))),
        ))
        .execute(c))?;
    Ok(())
}

/// Writes every changeable column of a device (its context never changes, so neither do
/// its SP and Org; the User whose view shows it follows the assignment).
pub fn update(conn: &mut DbConn, dev: &DeviceRecord, scope: Scope) -> QueryResult<()> {
    native!(conn, |c| diesel::update(d::devices.filter(d::id.eq(dev.id)))
        .set((
            d::mac_address.eq(&dev.mac_address),
            d::vendor.eq(&dev.vendor),
            d::model.eq(&dev.model),
            d::label.eq(&dev.label),
            d::assigned_to_id.eq(opt_uid(dev.assigned_to_id)),
            d::missed_calls.eq(dev.missed_calls),
            d::mwi_enabled.eq(dev.mwi_enabled),
            d::mwi_account_id.eq(dev.mwi_account_id),
            d::updated_at.eq(dev.updated_at),
            d::user_id.eq(opt_uid(scope.user_id)),
        ))
        .execute(c))?;
    Ok(())
}

pub fn delete(conn: &mut DbConn, id: DeviceId) -> QueryResult<()> {
    native!(conn, |c| diesel::delete(dl::table.filter(dl::device_id.eq(id))).execute(c))?;
    native!(conn, |c| diesel::delete(dwn::table.filter(dwn::device_id.eq(id))).execute(c))?;
    native!(conn, |c| diesel::delete(d::devices.filter(d::id.eq(id))).execute(c))?;
    Ok(())
}

#[derive(Clone, Debug, Default)]
pub struct Filters {
    pub mac_address: Option<String>,
    pub assigned_to: Option<Uuid>,
    pub vendor: Option<String>,
    pub model: Option<String>,
}

/// Which devices a list shows, each one index range in id order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListScope {
    /// Those whose context is the SP or below it: `devices_sp` (sp_id, id).
    ServiceProvider(Uuid),
    /// Those whose context is the Org or one of its Users: `devices_org` (org_id, id).
    Organization(Uuid),
    /// A User's own view (D2): its context's devices and those assigned to it:
    /// `devices_user` (user_id, id).
    UserOwn(Uuid),
    /// The devices of one context only: `devices_context` (context_id, id).
    Context(Uuid),
}

impl ListScope {
    /// The devices whose context is `context` or below it; with `include_assigned`, for a
    /// User, also those assigned to it (a User's own view, D2).
    pub fn of(context: &NodeRef, include_assigned: bool) -> ListScope {
        match context.kind {
            NodeKind::ServiceProvider => ListScope::ServiceProvider(context.id),
            NodeKind::Organization => ListScope::Organization(context.id),
            NodeKind::User if include_assigned => ListScope::UserOwn(context.id),
            NodeKind::User => ListScope::Context(context.id),
        }
    }
}

/// A list's scope as a plain filter, where another index drives the read.
macro_rules! scope_eq {
    ($q:expr, $scope:expr) => {
        match $scope {
            ListScope::ServiceProvider(id) => $q.filter(d::sp_id.eq(uid(id))),
            ListScope::Organization(id) => $q.filter(d::org_id.eq(opt_uid(Some(id)))),
            ListScope::UserOwn(id) => $q.filter(d::user_id.eq(opt_uid(Some(id)))),
            ListScope::Context(id) => $q.filter(d::context_id.eq(uid(id))),
        }
    };
}

/// The one builder of a page of devices: [`list`] runs it, [`explain_list`] explains it.
/// The filters narrow the same range (vendor and model with their own (scope, value, id)
/// indexes on an SP's and an Org's devices; a MAC is one row of its unique index).
macro_rules! list_query {
    ($scope:expr, $f:expr, $after:expr, $limit:expr) => {{
        let mut q = d::devices
            .left_join(lg::table)
            .select((COLUMNS, ContextKind, AssigneeKind, LinesPacked, LOGIN_COLUMNS.nullable()))
            .filter(d::id.gt(uid($after.unwrap_or(Uuid::nil()))))
            .limit($limit + 1)
            .into_boxed();
        let f: &Filters = $f;
        // The index range the page is read from, in (key, id) order; the other filters
        // narrow it. A MAC is one row of its unique index; an assignee filter reads that
        // assignee's range (`devices_assigned`); both within the scope.
        q = match (&f.mac_address, f.assigned_to, $scope) {
            (Some(mac), _, _) => {
                // At most one row: nothing to order.
                let q = scope_eq!(q.filter(d::mac_address.eq(mac.clone())), $scope);
                match f.assigned_to {
                    Some(a) => q.filter(d::assigned_to_id.eq(opt_uid(Some(a)))),
                    None => q,
                }
            }
            // An equality: a range would let PostgreSQL estimate the assignee's rows from
            // the histogram, too few, and sort them all. Planned for its values
            // (`with_custom_plans`): generically, the equality lets the order reduce to `id`
            // and the plan walks the primary key, filtering.
            (None, Some(a), _) => scope_eq!(
                q.filter(d::assigned_to_id.eq(opt_uid(Some(a)))).order((d::assigned_to_id.asc(), d::id.asc())),
                $scope
            ),
            (None, None, ListScope::ServiceProvider(id)) => {
                q.filter(KeyIs::new(d::sp_id, id)).order((d::sp_id.asc(), d::id.asc()))
            }
            (None, None, ListScope::Organization(id)) => {
                q.filter(KeyIs::new(d::org_id, id)).order((d::org_id.asc(), d::id.asc()))
            }
            (None, None, ListScope::UserOwn(id)) => {
                q.filter(KeyIs::new(d::user_id, id)).order((d::user_id.asc(), d::id.asc()))
            }
            (None, None, ListScope::Context(id)) => {
                q.filter(KeyIs::new(d::context_id, id)).order((d::context_id.asc(), d::id.asc()))
            }
        };
        if let Some(v) = &f.vendor {
            q = q.filter(d::vendor.eq(v.clone()));
        }
        if let Some(m) = &f.model {
            q = q.filter(d::model.eq(m.clone()));
        }
        q
    }};
}

/// One page of the devices of `scope`, in id order (`limit + 1` rows).
pub fn list(
    conn: &mut DbConn,
    scope: ListScope,
    f: &Filters,
    after: Option<Uuid>,
    limit: i64,
) -> QueryResult<Vec<Listed>> {
    type Row = (DeviceRecord, NodeKind, Option<NodeKind>, Option<String>, Option<DeviceLogin>);
    let load = |conn: &mut DbConn| native!(conn, |c| list_query!(scope, f, after, limit).load::<Row>(c));
    let rows = planned(conn, f, load)?;
    rows.into_iter()
        .map(|(device, context, assignee_kind, lines, login)| {
            let lines = parse_lines(lines.as_deref())?;
            Ok((device, context, assignee_kind, lines, login))
        })
        .collect()
}

/// How the backend runs [`list`]'s query for the same arguments.
pub fn explain_list(
    conn: &mut DbConn,
    scope: ListScope,
    f: &Filters,
    after: Option<Uuid>,
    limit: i64,
) -> QueryResult<super::Plan> {
    planned(conn, f, |conn: &mut DbConn| explain!(conn, list_query!(scope, f, after, limit)))
}

/// Runs `op`, [`list`]'s query or its plan, as that query is planned for `f`: with an
/// assignee filter, for its values (see `list_query!`); otherwise once, generically.
fn planned<T>(conn: &mut DbConn, f: &Filters, op: impl FnOnce(&mut DbConn) -> QueryResult<T>) -> QueryResult<T> {
    if f.assigned_to.is_some() { with_custom_plans(conn, op) } else { op(conn) }
}
