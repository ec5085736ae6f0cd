//! The three membership lists, written once: an account's owners and administrators
//! (A1–A3, A7) and a device's owners (A6, A7). Who may read and change each list is asked
//! of `authz` per kind of subject; listing, adding and removing are the same.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Input, PageRequest, Paged};
use crate::auth::Principal;
use crate::authz;
use crate::authz::accounts::{AccountFacts, List};
use crate::authz::devices::{DeviceFacts, Placement};
use crate::db::repo::accounts::AccountWithFacts;
use crate::db::repo::devices::DeviceWithFacts;
use crate::db::repo::logins::Login;
pub use crate::db::repo::members::ListRef;
use crate::db::repo::members::MemberRow;
use crate::db::repo::{Lock, Locked};
use crate::db::{DbConn, repo, write_tx};
use crate::domain::audit::{ResourceType, Verb};
use crate::domain::code::Code;
use crate::domain::{Actor, Timestamp};
use crate::error::ApiError;
use crate::service::audit::{self, Changes, Event, Under};

/// A member of an owners or administrators list.
#[derive(Serialize, ToSchema)]
pub struct Member {
    pub username: String,
    /// When the login was put on the list.
    #[schema(value_type = String, format = DateTime)]
    pub added_at: Timestamp,
}

impl From<MemberRow> for Member {
    fn from(r: MemberRow) -> Member {
        Member { username: r.username, added_at: r.added_at }
    }
}

/// Body of a list addition: `{"username": "…"}`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberInput {
    #[schema(schema_with = crate::domain::validate::schemas::username)]
    pub username: String,
}

/// The thing a list belongs to, with the facts its rules need.
enum Subject {
    Account(AccountWithFacts, List),
    Device(DeviceWithFacts),
}

impl Subject {
    fn load(conn: &mut DbConn, caller: &Principal, list: ListRef) -> Result<Subject, ApiError> {
        let subject = match list {
            ListRef::AccountOwners(id) | ListRef::AccountAdministrators(id) => {
                let which = if matches!(list, ListRef::AccountOwners(_)) { List::Owners } else { List::Administrators };
                let a = repo::accounts::find_with_facts(conn, id, caller.login_id)?.ok_or(ApiError::NotFound)?;
                Subject::Account(a, which)
            }
            ListRef::DeviceOwners(id) => {
                Subject::Device(repo::devices::find_with_facts(conn, id, caller.login_id)?.ok_or(ApiError::NotFound)?)
            }
        };
        Ok(subject)
    }

    /// The service provider whose logins may be listed (A1).
    fn sp_id(&self) -> uuid::Uuid {
        match self {
            Subject::Account(a, _) => a.user.sp_id,
            Subject::Device(d) => d.context.sp_id,
        }
    }

    /// The event of a change to `list` (L1): `username` from null when added, to null when
    /// removed.
    fn event(&self, list: ListRef, added: bool, username: &str) -> Event {
        let (resource, id, under) = match self {
            Subject::Account(a, _) => (ResourceType::Account, a.account.id.0, Under::node(&a.user)),
            Subject::Device(d) => (ResourceType::Device, d.device.id.0, Under::device(&d.context, d.assignee.as_ref())),
        };
        let verb = match (list, added) {
            (ListRef::AccountAdministrators(_), true) => Verb::AdministratorAdded,
            (ListRef::AccountAdministrators(_), false) => Verb::AdministratorRemoved,
            (_, true) => Verb::OwnerAdded,
            (_, false) => Verb::OwnerRemoved,
        };
        let changes = if added {
            Changes::default().set("username", None::<&str>, username)
        } else {
            Changes::default().set("username", username, None::<&str>)
        };
        Event::new(resource, verb, id, under, changes)
    }

    fn can_read(&self, actor: &Actor) -> authz::Decision {
        match self {
            Subject::Account(a, _) => authz::accounts::can_read(actor, &account_facts(a)),
            Subject::Device(d) => authz::devices::can_read(actor, &device_facts(d)),
        }
    }

    fn can_add(&self, actor: &Actor) -> authz::Decision {
        match self {
            Subject::Account(a, list) => authz::accounts::can_add_member(actor, &account_facts(a), *list),
            Subject::Device(d) => authz::devices::can_manage(actor, &device_facts(d), &standing(d)),
        }
    }

    fn can_remove(&self, actor: &Actor, removing_self: bool) -> authz::Decision {
        match self {
            Subject::Account(a, list) => {
                authz::accounts::can_remove_member(actor, &account_facts(a), *list, removing_self)
            }
            Subject::Device(d) => {
                authz::devices::can_remove_owner(actor, &device_facts(d), &standing(d), removing_self)
            }
        }
    }
}

fn account_facts(a: &AccountWithFacts) -> AccountFacts<'_> {
    AccountFacts {
        user: &a.user,
        caller_is_owner: a.caller_is_owner,
        caller_is_administrator: a.caller_is_administrator,
    }
}

fn device_facts(d: &DeviceWithFacts) -> DeviceFacts<'_> {
    DeviceFacts { context: &d.context, assigned_to: d.assignee.as_ref(), caller_is_owner: d.caller_is_owner }
}

fn standing(d: &DeviceWithFacts) -> Placement<'_> {
    Placement { context: &d.context, assignee: d.assignee.as_ref(), modify_below_context: false }
}

fn lock(conn: &mut DbConn, list: ListRef) -> Result<(), ApiError> {
    let (table, id) = match list {
        ListRef::AccountOwners(a) | ListRef::AccountAdministrators(a) => (Locked::Accounts, a.0),
        ListRef::DeviceOwners(d) => (Locked::Devices, d.0),
    };
    Ok(repo::lock(conn, table, id, Lock::Update)?)
}

/// One page of a list, for whoever may read its subject.
pub fn list(
    conn: &mut DbConn,
    caller: &Principal,
    list: ListRef,
    limit: Option<i64>,
    cursor: Option<&str>,
) -> Result<Paged<Member>, ApiError> {
    Subject::load(conn, caller, list)?.can_read(&caller.actor).check()?;
    let page = PageRequest::parse(limit, cursor)?;
    let rows = repo::members::page(conn, list, page.after, page.limit)?;
    Ok(Paged::from_rows(rows, page, |r| r.login_id).map(Member::from))
}

/// The login a list addition names, if it may be listed on `subject` (A1); else 422
/// `unknown_username`, whether the username is unknown or another tenant's.
fn listable_login(conn: &mut DbConn, username: &str, subject_sp: uuid::Uuid) -> Result<Login, ApiError> {
    match repo::logins::with_node_by_username(conn, username)? {
        Some((login, node)) if authz::accounts::can_be_listed(subject_sp, node.as_ref()) => Ok(login),
        _ => Err(ApiError::field(
            "username",
            Code::UnknownUsername,
            "no login with that username in this service provider (rule A1)",
        )),
    }
}

/// Puts a login on a list: the member, and whether it is new (adding is idempotent, so a
/// retried request does not fail).
pub fn add(
    conn: &mut DbConn,
    caller: &Principal,
    list: ListRef,
    body: Input<MemberInput>,
) -> Result<(bool, Member), ApiError> {
    write_tx(conn, |conn| {
        lock(conn, list)?;
        let subject = Subject::load(conn, caller, list)?;
        subject.can_add(&caller.actor).check()?;
        let username = body.parse()?.username;
        let login = listable_login(conn, &username, subject.sp_id())?;
        match repo::members::add(conn, list, login.id)? {
            (added, Some(row)) => {
                if added {
                    audit::record(conn, caller, subject.event(list, true, &row.username))?;
                }
                Ok((added, Member::from(row)))
            }
            (_, None) => Err(ApiError::internal("a list member vanished in its own transaction")),
        }
    })
}

/// Takes a login off a list (anyone may take itself off, A7).
pub fn remove(conn: &mut DbConn, caller: &Principal, list: ListRef, username: &str) -> Result<(), ApiError> {
    write_tx(conn, |conn| {
        lock(conn, list)?;
        let subject = Subject::load(conn, caller, list)?;
        let login = repo::logins::by_username(conn, username)?;
        let removing_self = login.as_ref().is_some_and(|l| l.id == caller.login_id);
        subject.can_remove(&caller.actor, removing_self).check()?;
        let login = login.ok_or(ApiError::NotFound)?;
        if !repo::members::remove(conn, list, login.id)? {
            return Err(ApiError::NotFound);
        }
        audit::record(conn, caller, subject.event(list, false, &login.username))
    })
}
