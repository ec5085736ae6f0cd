//! The three membership lists (A1, A6): an account's owners and administrators
//! (`account_members`, by role) and a device's owners (`device_owners`). One interface for
//! all three, so the use cases are written once; and, the other way round, the lists one
//! login stands on (M1, [`of_login`]).

use diesel::dsl::exists;
use diesel::prelude::*;
use diesel::sql_types::{Nullable, Text};
use uuid::Uuid;

use crate::db::schema::{account_members as am, accounts, device_owners as dwn, devices, logins};
use crate::db::types::uid;
use crate::db::{DbConn, now};
use crate::domain::{AccountId, DeviceId, LoginId, Timestamp};

/// One list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListRef {
    AccountOwners(AccountId),
    AccountAdministrators(AccountId),
    DeviceOwners(DeviceId),
}

pub const OWNER: &str = "owner";
pub const ADMINISTRATOR: &str = "administrator";

/// A member: login id, username, when it was added.
#[derive(Clone, Debug, Queryable)]
pub struct MemberRow {
    pub login_id: Uuid,
    pub username: String,
    pub added_at: Timestamp,
}

impl ListRef {
    /// The `role` value of an account list in `account_members`.
    fn role(self) -> &'static str {
        match self {
            ListRef::AccountOwners(_) | ListRef::DeviceOwners(_) => OWNER,
            ListRef::AccountAdministrators(_) => ADMINISTRATOR,
        }
    }
}

/// Expands `$body` once per table, with `$sel` the rows of the list, `$login` its login
/// column and `$added` its time column.
macro_rules! per_list {
    ($list:expr, |$login:ident, $added:ident, $sel:ident| $body:expr) => {
        match $list {
            ListRef::AccountOwners(a) | ListRef::AccountAdministrators(a) => {
                let $sel = am::table.filter(am::account_id.eq(a)).filter(am::role.eq($list.role()));
                let ($login, $added) = (am::login_id, am::created_at);
                $body
            }
            ListRef::DeviceOwners(d) => {
                let $sel = dwn::table.filter(dwn::device_id.eq(d));
                let ($login, $added) = (dwn::login_id, dwn::created_at);
                $body
            }
        }
    };
}

/// The one builder of a page of a list: the list's range of its primary key
/// (account_id, role, login_id) or (device_id, login_id), in that order. A list is a few
/// rows of one account or device: plain equalities let the planner see that.
macro_rules! page_query {
    ($list:expr, $after:expr, $limit:expr, |$q:ident| $body:expr) => {{
        let after = uid($after.unwrap_or(Uuid::nil()));
        match $list {
            ListRef::AccountOwners(a) | ListRef::AccountAdministrators(a) => {
                let $q = am::table
                    .inner_join(logins::table)
                    .filter(am::account_id.eq(a))
                    .filter(am::role.eq($list.role()))
                    .filter(am::login_id.gt(after))
                    .select((am::login_id, logins::username, am::created_at))
                    .order((am::account_id.asc(), am::role.asc(), am::login_id.asc()))
                    .limit($limit + 1);
                $body
            }
            ListRef::DeviceOwners(d) => {
                let $q = dwn::table
                    .inner_join(logins::table)
                    .filter(dwn::device_id.eq(d))
                    .filter(dwn::login_id.gt(after))
                    .select((dwn::login_id, logins::username, dwn::created_at))
                    .order((dwn::device_id.asc(), dwn::login_id.asc()))
                    .limit($limit + 1);
                $body
            }
        }
    }};
}

pub fn contains(conn: &mut DbConn, list: ListRef, login: LoginId) -> QueryResult<bool> {
    per_list!(list, |login_col, _added, sel| native!(conn, |c| diesel::select(exists(sel.filter(login_col.eq(login))))
        .get_result(c)))
}

/// One page of a list in login-id order (`limit + 1` rows).
pub fn page(conn: &mut DbConn, list: ListRef, after: Option<Uuid>, limit: i64) -> QueryResult<Vec<MemberRow>> {
    page_query!(list, after, limit, |q| native!(conn, |c| q.load(c)))
}

/// How the backend runs [`page`]'s query for the same arguments.
pub fn explain_page(conn: &mut DbConn, list: ListRef, after: Option<Uuid>, limit: i64) -> QueryResult<super::Plan> {
    page_query!(list, after, limit, |q| explain!(conn, q))
}

/// One member, if on the list.
pub fn member(conn: &mut DbConn, list: ListRef, login: LoginId) -> QueryResult<Option<MemberRow>> {
    per_list!(list, |login_col, added, sel| native!(conn, |c| sel
        .inner_join(logins::table)
        .filter(login_col.eq(login))
        .select((login_col, logins::username, added))
        .first(c)
        .optional()))
}

/// Puts a login on a list; the member and whether it is new (false when it was there).
pub fn add(conn: &mut DbConn, list: ListRef, login: LoginId) -> QueryResult<(bool, Option<MemberRow>)> {
    if let Some(m) = member(conn, list, login)? {
        return Ok((false, Some(m)));
    }
    let ts = now();
    match list {
        ListRef::AccountOwners(a) | ListRef::AccountAdministrators(a) => {
            native!(conn, |c| diesel::insert_into(am::table)
                .values((am::account_id.eq(a), am::role.eq(list.role()), am::login_id.eq(login), am::created_at.eq(ts)))
                .execute(c))?;
        }
        ListRef::DeviceOwners(d) => {
            native!(conn, |c| diesel::insert_into(dwn::table)
                .values((dwn::device_id.eq(d), dwn::login_id.eq(login), dwn::created_at.eq(ts)))
                .execute(c))?;
        }
    }
    Ok((true, member(conn, list, login)?))
}

/// Puts the first member on the list of a resource created in the same transaction (A4):
/// nobody can be on it yet, so nothing is read before or after.
pub fn insert_first(conn: &mut DbConn, list: ListRef, login: LoginId) -> QueryResult<()> {
    let ts = now();
    match list {
        ListRef::AccountOwners(a) | ListRef::AccountAdministrators(a) => {
            native!(conn, |c| diesel::insert_into(am::table)
                .values((am::account_id.eq(a), am::role.eq(list.role()), am::login_id.eq(login), am::created_at.eq(ts)))
                .execute(c))?;
        }
        ListRef::DeviceOwners(d) => {
            native!(conn, |c| diesel::insert_into(dwn::table)
                .values((dwn::device_id.eq(d), dwn::login_id.eq(login), dwn::created_at.eq(ts)))
                .execute(c))?;
        }
    }
    Ok(())
}

/// Takes a login off a list; false when it was not there.
pub fn remove(conn: &mut DbConn, list: ListRef, login: LoginId) -> QueryResult<bool> {
    let n = match list {
        ListRef::AccountOwners(a) | ListRef::AccountAdministrators(a) => native!(conn, |c| diesel::delete(
            am::table.filter(am::account_id.eq(a)).filter(am::role.eq(list.role())).filter(am::login_id.eq(login)),
        )
        .execute(c))?,
        ListRef::DeviceOwners(d) => {
            native!(conn, |c| diesel::delete(dwn::table.filter(dwn::device_id.eq(d)).filter(dwn::login_id.eq(login)))
                .execute(c))?
        }
    };
    Ok(n > 0)
}

/// The lists a login stands on (M1).
#[derive(Clone, Debug)]
pub struct Memberships {
    /// `(account, number, roles)` in account order, each account's roles in name order.
    pub accounts: Vec<(AccountId, String, Vec<&'static str>)>,
    /// `(device, mac_address)` in device order.
    pub devices: Vec<(DeviceId, String)>,
}

/// The builder of [`of_login`]'s query: the login's range of `account_members_login` and its
/// range of `device_owners_login`, as one statement (`GET /v1/me` reads both on every call,
/// and a statement has a fixed cost of its own). A device's row has no role.
macro_rules! of_login_query {
    ($login:expr) => {
        am::table
            .inner_join(accounts::table)
            .filter(am::login_id.eq($login))
            .select((accounts::id, accounts::number, am::role.nullable()))
            .union_all(dwn::table.inner_join(devices::table).filter(dwn::login_id.eq($login)).select((
                devices::id,
                devices::mac_address,
                None::<String>.into_sql::<Nullable<Text>>(),
            )))
    };
}

/// The accounts on whose owners or administrators list a login stands, with its roles, and
/// the devices on whose owners list it stands: one query. The order is made here, so the
/// statement needs no sort.
pub fn of_login(conn: &mut DbConn, login: LoginId) -> QueryResult<Memberships> {
    let rows: Vec<(Uuid, String, Option<String>)> = native!(conn, |c| of_login_query!(login).load(c))?;
    // One entry per (account, role): `(account, role, number)`.
    let mut on_accounts: Vec<(AccountId, &'static str, String)> = Vec::new();
    let mut devices = Vec::new();
    for (id, text, role) in rows {
        match role.as_deref() {
            None => devices.push((DeviceId(id), text)),
            Some(OWNER) => on_accounts.push((AccountId(id), OWNER, text)),
            Some(ADMINISTRATOR) => on_accounts.push((AccountId(id), ADMINISTRATOR, text)),
            Some(other) => {
                return Err(diesel::result::Error::DeserializationError(
                    format!("stored account role {other:?} is unknown").into(),
                ));
            }
        }
    }
    on_accounts.sort_unstable_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    devices.sort_unstable_by_key(|d| d.0);
    let mut accounts: Vec<(AccountId, String, Vec<&'static str>)> = Vec::new();
    for (id, role, number) in on_accounts {
        match accounts.last_mut() {
            Some((last, _, roles)) if *last == id => roles.push(role),
            _ => accounts.push((id, number, vec![role])),
        }
    }
    Ok(Memberships { accounts, devices })
}

/// How the backend runs [`of_login`]'s query.
pub fn explain_of_login(conn: &mut DbConn, login: LoginId) -> QueryResult<super::Plan> {
    explain!(conn, of_login_query!(login))
}
