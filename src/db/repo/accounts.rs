use diesel::dsl::exists;
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::schema::{account_members as m, accounts::dsl as a, device_lines as dl, devices, logins};
use crate::db::{DbConn, now};
use crate::error::{ApiError, is_unique_violation};

#[derive(Clone, Debug)]
pub struct AccountRecord {
    pub id: Uuid,
    pub user_id: Uuid,
    pub number: String,
    pub display_name: Option<String>,
    pub location: Option<String>,
    pub vm_enabled: bool,
    /// argon2 hash of the voicemail PIN; the PIN itself is never stored or returned.
    pub vm_pin_hash: Option<String>,
    pub vm_email: Option<String>,
    pub vm_attach_audio: bool,
    pub created_at: String,
    pub updated_at: String,
}

type Row = (
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    bool,
    Option<String>,
    Option<String>,
    bool,
    String,
    String,
);

const COLUMNS: (
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
) = (
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
);

fn from_row(r: Row) -> Result<AccountRecord, ApiError> {
    let (
        id,
        user_id,
        number,
        display_name,
        location,
        vm_enabled,
        vm_pin_hash,
        vm_email,
        vm_attach_audio,
        created_at,
        updated_at,
    ) = r;
    Ok(AccountRecord {
        id: super::uuid(&id)?,
        user_id: super::uuid(&user_id)?,
        number,
        display_name,
        location,
        vm_enabled,
        vm_pin_hash,
        vm_email,
        vm_attach_audio,
        created_at,
        updated_at,
    })
}

pub fn find(conn: &mut DbConn, id: Uuid) -> Result<Option<AccountRecord>, ApiError> {
    a::accounts
        .filter(a::id.eq(id.to_string()))
        .select(COLUMNS)
        .first::<Row>(conn)
        .optional()?
        .map(from_row)
        .transpose()
}

pub fn list_for_user(
    conn: &mut DbConn,
    user_id: Uuid,
    after: Option<Uuid>,
    limit: i64,
) -> Result<(Vec<AccountRecord>, Option<Uuid>), ApiError> {
    let mut q = a::accounts
        .filter(a::user_id.eq(user_id.to_string()))
        .select(COLUMNS)
        .order(a::id.asc())
        .limit(limit + 1)
        .into_boxed();
    if let Some(after) = after {
        q = q.filter(a::id.gt(after.to_string()));
    }
    let rows = q.load::<Row>(conn)?.into_iter().map(from_row).collect::<Result<Vec<_>, _>>()?;
    Ok(super::page(rows, limit, |r| r.id))
}

/// Inserts or updates the whole row; a taken number is 409 `number_in_use`, settled by the
/// unique index.
pub fn save(conn: &mut DbConn, acc: &AccountRecord, is_new: bool) -> Result<(), ApiError> {
    let values = (
        a::number.eq(&acc.number),
        a::display_name.eq(&acc.display_name),
        a::location.eq(&acc.location),
        a::vm_enabled.eq(acc.vm_enabled),
        a::vm_pin_hash.eq(&acc.vm_pin_hash),
        a::vm_email.eq(&acc.vm_email),
        a::vm_attach_audio.eq(acc.vm_attach_audio),
        a::updated_at.eq(&acc.updated_at),
    );
    let res = if is_new {
        diesel::insert_into(a::accounts)
            .values((
                a::id.eq(acc.id.to_string()),
                a::user_id.eq(acc.user_id.to_string()),
                a::created_at.eq(&acc.created_at),
                values,
            ))
            .execute(conn)
    } else {
        diesel::update(a::accounts.filter(a::id.eq(acc.id.to_string()))).set(values).execute(conn)
    };
    match res {
        Ok(_) => Ok(()),
        Err(e) if is_unique_violation(&e) => {
            Err(ApiError::conflict("number_in_use", format!("the number {} is already in use", acc.number)))
        }
        Err(e) => Err(e.into()),
    }
}

pub fn delete(conn: &mut DbConn, id: Uuid) -> Result<(), ApiError> {
    let id = id.to_string();
    diesel::delete(m::table.filter(m::account_id.eq(&id))).execute(conn)?;
    diesel::delete(a::accounts.filter(a::id.eq(&id))).execute(conn)?;
    Ok(())
}

/// Whether the account is on any device line (then it cannot be deleted).
pub fn on_a_line(conn: &mut DbConn, id: Uuid) -> Result<bool, ApiError> {
    Ok(diesel::select(exists(dl::table.filter(dl::account_id.eq(id.to_string())))).get_result(conn)?)
}

/// Clears the MWI account of every device that pointed at a line being removed.
pub fn clear_mwi(conn: &mut DbConn, device_id: Uuid, account_id: Uuid) -> Result<(), ApiError> {
    diesel::update(
        devices::table
            .filter(devices::id.eq(device_id.to_string()))
            .filter(devices::mwi_account_id.eq(account_id.to_string())),
    )
    .set(devices::mwi_account_id.eq(None::<String>))
    .execute(conn)?;
    Ok(())
}

pub const OWNER: &str = "owner";
pub const ADMINISTRATOR: &str = "administrator";

/// `(is_owner, is_administrator)` of a login on an account.
pub fn roles(conn: &mut DbConn, account_id: Uuid, login_id: Uuid) -> Result<(bool, bool), ApiError> {
    let roles: Vec<String> = m::table
        .filter(m::account_id.eq(account_id.to_string()))
        .filter(m::login_id.eq(login_id.to_string()))
        .select(m::role)
        .load(conn)?;
    Ok((roles.iter().any(|r| r == OWNER), roles.iter().any(|r| r == ADMINISTRATOR)))
}

/// A list member: login id, username, when it was added.
pub type MemberRow = (Uuid, String, String);

/// One page of one list of an account, ordered by login id.
pub fn members(
    conn: &mut DbConn,
    account_id: Uuid,
    role: &str,
    after: Option<Uuid>,
    limit: i64,
) -> Result<(Vec<MemberRow>, Option<Uuid>), ApiError> {
    let mut q = m::table
        .inner_join(logins::table)
        .filter(m::account_id.eq(account_id.to_string()))
        .filter(m::role.eq(role.to_owned()))
        .select((m::login_id, logins::username, m::created_at))
        .order(m::login_id.asc())
        .limit(limit + 1)
        .into_boxed();
    if let Some(a) = after {
        q = q.filter(m::login_id.gt(a.to_string()));
    }
    let rows: Vec<(String, String, String)> = q.load(conn)?;
    let rows =
        rows.into_iter().map(|(id, u, at)| Ok((super::uuid(&id)?, u, at))).collect::<Result<Vec<_>, ApiError>>()?;
    Ok(super::page(rows, limit, |r| r.0))
}

/// One member of one list, if there.
pub fn member(conn: &mut DbConn, account_id: Uuid, role: &str, login_id: Uuid) -> Result<Option<MemberRow>, ApiError> {
    let row: Option<(String, String)> = m::table
        .inner_join(logins::table)
        .filter(m::account_id.eq(account_id.to_string()))
        .filter(m::role.eq(role))
        .filter(m::login_id.eq(login_id.to_string()))
        .select((logins::username, m::created_at))
        .first(conn)
        .optional()?;
    Ok(row.map(|(u, at)| (login_id, u, at)))
}

/// Adds a login to a list; false when it was there already.
pub fn add_member(conn: &mut DbConn, account_id: Uuid, role: &str, login_id: Uuid) -> Result<bool, ApiError> {
    let present: bool = diesel::select(exists(
        m::table
            .filter(m::account_id.eq(account_id.to_string()))
            .filter(m::role.eq(role))
            .filter(m::login_id.eq(login_id.to_string())),
    ))
    .get_result(conn)?;
    if present {
        return Ok(false);
    }
    diesel::insert_into(m::table)
        .values((
            m::account_id.eq(account_id.to_string()),
            m::role.eq(role),
            m::login_id.eq(login_id.to_string()),
            m::created_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(true)
}

pub fn remove_member(conn: &mut DbConn, account_id: Uuid, role: &str, login_id: Uuid) -> Result<bool, ApiError> {
    let n = diesel::delete(
        m::table
            .filter(m::account_id.eq(account_id.to_string()))
            .filter(m::role.eq(role))
            .filter(m::login_id.eq(login_id.to_string())),
    )
    .execute(conn)?;
    Ok(n > 0)
}

/// The accounts on whose lists a login stands, with its roles (M1).
pub fn memberships_of(conn: &mut DbConn, login_id: Uuid) -> Result<Vec<(AccountRecord, Vec<String>)>, ApiError> {
    let rows: Vec<(String, String)> = m::table
        .filter(m::login_id.eq(login_id.to_string()))
        .select((m::account_id, m::role))
        .order((m::account_id, m::role))
        .load(conn)?;
    let mut out: Vec<(AccountRecord, Vec<String>)> = Vec::new();
    for (account_id, role) in rows {
        let id = super::uuid(&account_id)?;
        match out.last_mut() {
            Some((acc, roles)) if acc.id == id => roles.push(role),
            _ => {
                if let Some(acc) = find(conn, id)? {
                    out.push((acc, vec![role]));
                }
            }
        }
    }
    Ok(out)
}

pub fn new_record(user_id: Uuid, number: String) -> AccountRecord {
    let ts = now();
    AccountRecord {
        id: Uuid::now_v7(),
        user_id,
        number,
        display_name: None,
        location: None,
        vm_enabled: false,
        vm_pin_hash: None,
        vm_email: None,
        vm_attach_audio: false,
        created_at: ts.clone(),
        updated_at: ts,
    }
}
