//! Accounts: telephone numbers of users, with their voicemail settings.

use diesel::dsl::exists;
use diesel::prelude::*;
use uuid::Uuid;

use super::members::{ADMINISTRATOR, OWNER};
use super::nodes::{REF_COLUMNS, RefRow, to_ref};
use crate::db::schema::{account_members as m, accounts::dsl as a, device_lines as dl, nodes};
use crate::db::types::uid;
use crate::db::{DbConn, now};
use crate::domain::{AccountId, LoginId, NodeRef, Timestamp};

#[derive(Clone, Debug, Queryable)]
pub struct AccountRecord {
    pub id: AccountId,
    pub user_id: Uuid,
    pub number: String,
    pub display_name: Option<String>,
    pub location: Option<String>,
    pub vm_enabled: bool,
    /// argon2 hash of the voicemail PIN; the PIN itself is never stored or returned.
    pub vm_pin_hash: Option<String>,
    pub vm_email: Option<String>,
    pub vm_attach_audio: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// The service provider the account lies under (its SIP user name is unique there).
    pub sp_id: Uuid,
    pub sip_username: String,
    /// Kept as the phone needs it: it is written into the phone's configuration (F6), so it
    /// cannot be a one-way hash. Never returned by a read (F1).
    pub sip_password: String,
}

type Columns = (
    a::id,
    a::user_id,
    a::number,
    a::display_name,
    a::location,
    a::vm_enabled,
    a::vm_pin_hash,
    a::vm_email,
    a::vm_attach_audio,
    a::created_at,
    a::updated_at,
    a::sp_id,
    a::sip_username,
    a::sip_password,
);

const COLUMNS: Columns = (
    a::id,
    a::user_id,
    a::number,
    a::display_name,
    a::location,
    a::vm_enabled,
    a::vm_pin_hash,
    a::vm_email,
    a::vm_attach_audio,
    a::created_at,
    a::updated_at,
    a::sp_id,
    a::sip_username,
    a::sip_password,
);

/// An account with what the rules need to decide about it: its User's place in the tree
/// and the caller's roles on its lists, read in one query.
pub struct AccountWithFacts {
    pub account: AccountRecord,
    pub user: NodeRef,
    pub caller_is_owner: bool,
    pub caller_is_administrator: bool,
}

pub fn find_with_facts(conn: &mut DbConn, id: AccountId, caller: LoginId) -> QueryResult<Option<AccountWithFacts>> {
    let on = |role: &'static str| {
        exists(m::table.filter(m::account_id.eq(id)).filter(m::role.eq(role)).filter(m::login_id.eq(caller)))
    };
    let row: Option<(AccountRecord, RefRow, bool, bool)> = native!(conn, |c| a::accounts
        .inner_join(nodes::table.on(nodes::id.eq(a::user_id)))
        .filter(a::id.eq(id))
        .select((COLUMNS, REF_COLUMNS, on(OWNER), on(ADMINISTRATOR)))
        .first(c)
        .optional())?;
    Ok(row.map(|(account, user, caller_is_owner, caller_is_administrator)| AccountWithFacts {
        account,
        user: to_ref(user),
        caller_is_owner,
        caller_is_administrator,
    }))
}

/// The one builder of a page of a User's accounts: `accounts_user_id` (user_id, id).
macro_rules! list_query {
    ($user_id:expr, $after:expr, $limit:expr) => {
        a::accounts
            .filter(super::KeyIs::new(a::user_id, $user_id))
            .filter(a::id.gt(uid($after.unwrap_or(Uuid::nil()))))
            .select(COLUMNS)
            .order((a::user_id.asc(), a::id.asc()))
            .limit($limit + 1)
    };
}

/// One page of a User's accounts in id order (`limit + 1` rows).
pub fn list_for_user(
    conn: &mut DbConn,
    user_id: Uuid,
    after: Option<Uuid>,
    limit: i64,
) -> QueryResult<Vec<AccountRecord>> {
    native!(conn, |c| list_query!(user_id, after, limit).load(c))
}

/// How the backend runs [`list_for_user`]'s query for the same arguments.
pub fn explain_list_for_user(
    conn: &mut DbConn,
    user_id: Uuid,
    after: Option<Uuid>,
    limit: i64,
) -> QueryResult<super::Plan> {
    explain!(conn, list_query!(user_id, after, limit))
}

/// The columns written by both insert and update.
macro_rules! values {
    ($acc:expr) => {
        (
            a::number.eq(&$acc.number),
            a::display_name.eq(&$acc.display_name),
            a::location.eq(&$acc.location),
            a::vm_enabled.eq($acc.vm_enabled),
            a::vm_pin_hash.eq(&$acc.vm_pin_hash),
            a::vm_email.eq(&$acc.vm_email),
            a::vm_attach_audio.eq($acc.vm_attach_audio),
            a::updated_at.eq($acc.updated_at),
            a::sip_username.eq(&$acc.sip_username),
            a::sip_password.eq(&$acc.sip_password),
        )
    };
}

/// Inserts an account; a taken number is a unique violation (the caller answers 409).
pub fn insert(conn: &mut DbConn, acc: &AccountRecord) -> QueryResult<()> {
    native!(conn, |c| diesel::insert_into(a::accounts)
        .values((
            a::id.eq(acc.id),
            a::user_id.eq(uid(acc.user_id)),
            a::sp_id.eq(uid(acc.sp_id)),
            a::created_at.eq(acc.created_at),
            values!(acc),
        ))
        .execute(c))?;
    Ok(())
}

pub fn update(conn: &mut DbConn, acc: &AccountRecord) -> QueryResult<()> {
    native!(conn, |c| diesel::update(a::accounts.filter(a::id.eq(acc.id))).set(values!(acc)).execute(c))?;
    Ok(())
}

pub fn delete(conn: &mut DbConn, id: AccountId) -> QueryResult<()> {
    native!(conn, |c| diesel::delete(m::table.filter(m::account_id.eq(id))).execute(c))?;
    native!(conn, |c| diesel::delete(a::accounts.filter(a::id.eq(id))).execute(c))?;
    Ok(())
}

/// Replaces an account's SIP password (F2).
pub fn set_sip_password(conn: &mut DbConn, id: AccountId, password: &str, at: Timestamp) -> QueryResult<()> {
    native!(conn, |c| diesel::update(a::accounts.filter(a::id.eq(id)))
        .set((a::sip_password.eq(password), a::updated_at.eq(at)))
        .execute(c))?;
    Ok(())
}

/// Whether a unique-index violation is the SIP user name's (409 `sip_username_taken`)
/// rather than the number's.
pub fn is_sip_username_conflict(e: &diesel::result::Error) -> bool {
    match e {
        diesel::result::Error::DatabaseError(_, info) => {
            info.constraint_name().is_some_and(|c| c.contains("sip_username"))
                || info.message().contains("sip_username")
        }
        _ => false,
    }
}

/// Whether a number is taken (checked before an insert, so that a number taken is named
/// as such rather than as the SIP user name derived from it).
pub fn number_taken(conn: &mut DbConn, number: &str) -> QueryResult<bool> {
    native!(conn, |c| diesel::select(exists(a::accounts.filter(a::number.eq(number)))).get_result(c))
}

/// Whether the account is on any device line (then it cannot be deleted).
pub fn on_a_line(conn: &mut DbConn, id: AccountId) -> QueryResult<bool> {
    native!(conn, |c| diesel::select(exists(dl::table.filter(dl::account_id.eq(id)))).get_result(c))
}

/// A new account's record, not yet written.
pub fn new_record(user: &NodeRef, number: String, sip_username: String, sip_password: String) -> AccountRecord {
    let ts = now();
    AccountRecord {
        id: AccountId(Uuid::now_v7()),
        user_id: user.id,
        sp_id: user.sp_id,
        sip_username,
        sip_password,
        number,
        display_name: None,
        location: None,
        vm_enabled: false,
        vm_pin_hash: None,
        vm_email: None,
        vm_attach_audio: false,
        created_at: ts,
        updated_at: ts,
    }
}
