use std::collections::HashMap;

use diesel::dsl::exists;
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::schema::{accounts, device_lines as dl, device_owners as dwn, devices::dsl as d, logins, nodes};
use crate::db::{DbConn, now};
use crate::domain::{NodeKind, NodeRef};
use crate::error::{ApiError, is_unique_violation};

#[derive(Clone, Debug)]
pub struct DeviceRecord {
    pub id: Uuid,
    pub mac_address: String,
    pub vendor: Option<String>,
    pub model: Option<String>,
    pub label: Option<String>,
    pub context_id: Uuid,
    pub assigned_to_id: Option<Uuid>,
    pub missed_calls: bool,
    pub mwi_enabled: bool,
    pub mwi_account_id: Option<Uuid>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Clone, Debug)]
pub struct Line {
    pub account_id: Uuid,
    pub number: String,
    pub position: i32,
}

type Row = (
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    Option<String>,
    bool,
    bool,
    Option<String>,
    String,
    String,
);

const COLUMNS: (
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
) = (
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

fn from_row(r: Row) -> Result<DeviceRecord, ApiError> {
    let (
        id,
        mac_address,
        vendor,
        model,
        label,
        context_id,
        assigned_to_id,
        missed_calls,
        mwi_enabled,
        mwi_account_id,
        created_at,
        updated_at,
    ) = r;
    Ok(DeviceRecord {
        id: super::uuid(&id)?,
        mac_address,
        vendor,
        model,
        label,
        context_id: super::uuid(&context_id)?,
        assigned_to_id: super::opt_uuid(assigned_to_id.as_deref())?,
        missed_calls,
        mwi_enabled,
        mwi_account_id: super::opt_uuid(mwi_account_id.as_deref())?,
        created_at,
        updated_at,
    })
}

pub fn find(conn: &mut DbConn, id: Uuid) -> Result<Option<DeviceRecord>, ApiError> {
    d::devices.filter(d::id.eq(id.to_string())).select(COLUMNS).first::<Row>(conn).optional()?.map(from_row).transpose()
}

/// Inserts or updates the whole row; a taken MAC is 409 `mac_in_use` (D9), settled by the
/// unique index so that racing requests never both succeed.
pub fn save(conn: &mut DbConn, dev: &DeviceRecord, is_new: bool) -> Result<(), ApiError> {
    let values = (
        d::mac_address.eq(&dev.mac_address),
        d::vendor.eq(&dev.vendor),
        d::model.eq(&dev.model),
        d::label.eq(&dev.label),
        d::context_id.eq(dev.context_id.to_string()),
        d::assigned_to_id.eq(dev.assigned_to_id.map(|a| a.to_string())),
        d::missed_calls.eq(dev.missed_calls),
        d::mwi_enabled.eq(dev.mwi_enabled),
        d::mwi_account_id.eq(dev.mwi_account_id.map(|a| a.to_string())),
        d::updated_at.eq(&dev.updated_at),
    );
    let res = if is_new {
        diesel::insert_into(d::devices)
            .values((d::id.eq(dev.id.to_string()), d::created_at.eq(&dev.created_at), values))
            .execute(conn)
    } else {
        diesel::update(d::devices.filter(d::id.eq(dev.id.to_string()))).set(values).execute(conn)
    };
    match res {
        Ok(_) => Ok(()),
        Err(e) if is_unique_violation(&e) => Err(ApiError::conflict(
            "mac_in_use",
            format!("a device with MAC address {} already exists (rule D9)", dev.mac_address),
        )),
        Err(e) => Err(e.into()),
    }
}

pub fn delete(conn: &mut DbConn, id: Uuid) -> Result<(), ApiError> {
    let id = id.to_string();
    diesel::delete(dl::table.filter(dl::device_id.eq(&id))).execute(conn)?;
    diesel::delete(dwn::table.filter(dwn::device_id.eq(&id))).execute(conn)?;
    diesel::delete(d::devices.filter(d::id.eq(&id))).execute(conn)?;
    Ok(())
}

#[derive(Clone, Debug, Default)]
pub struct Filters {
    pub mac_address: Option<String>,
    pub assigned_to: Option<Uuid>,
    pub vendor: Option<String>,
    pub model: Option<String>,
}

/// One page of the devices whose context is `context` or below it; with
/// `include_assigned`, also those assigned to it (a User's own view, D2).
pub fn list(
    conn: &mut DbConn,
    context: &NodeRef,
    include_assigned: bool,
    f: &Filters,
    after: Option<Uuid>,
    limit: i64,
) -> Result<(Vec<DeviceRecord>, Option<Uuid>), ApiError> {
    let id = context.id.to_string();
    let mut q = d::devices
        .inner_join(nodes::table.on(nodes::id.eq(d::context_id)))
        .select(COLUMNS)
        .order(d::id.asc())
        .limit(limit + 1)
        .into_boxed();
    q = match context.kind {
        NodeKind::ServiceProvider => q.filter(nodes::sp_id.eq(id)),
        NodeKind::Organization => q.filter(nodes::org_id.eq(id)),
        NodeKind::User if include_assigned => q.filter(d::context_id.eq(id.clone()).or(d::assigned_to_id.eq(id))),
        NodeKind::User => q.filter(d::context_id.eq(id)),
    };
    if let Some(mac) = &f.mac_address {
        q = q.filter(d::mac_address.eq(mac.clone()));
    }
    if let Some(a) = f.assigned_to {
        q = q.filter(d::assigned_to_id.eq(a.to_string()));
    }
    if let Some(v) = &f.vendor {
        q = q.filter(d::vendor.eq(v.clone()));
    }
    if let Some(m) = &f.model {
        q = q.filter(d::model.eq(m.clone()));
    }
    if let Some(a) = after {
        q = q.filter(d::id.gt(a.to_string()));
    }
    let rows = q.load::<Row>(conn)?.into_iter().map(from_row).collect::<Result<Vec<_>, _>>()?;
    Ok(super::page(rows, limit, |r| r.id))
}

/// The lines of several devices at once, by device id, ordered by position.
pub fn lines(conn: &mut DbConn, device_ids: &[Uuid]) -> Result<HashMap<Uuid, Vec<Line>>, ApiError> {
    let ids: Vec<String> = device_ids.iter().map(Uuid::to_string).collect();
    let rows: Vec<(String, String, String, i32)> = dl::table
        .inner_join(accounts::table)
        .filter(dl::device_id.eq_any(&ids))
        .select((dl::device_id, dl::account_id, accounts::number, dl::position))
        .order((dl::device_id, dl::position))
        .load(conn)?;
    let mut map: HashMap<Uuid, Vec<Line>> = HashMap::new();
    for (device_id, account_id, number, position) in rows {
        map.entry(super::uuid(&device_id)?).or_default().push(Line {
            account_id: super::uuid(&account_id)?,
            number,
            position,
        });
    }
    Ok(map)
}

/// Makes room at `position` by moving every line at or after it one down. Updated from the
/// last line backwards, so the `(device_id, position)` unique index never sees a duplicate.
pub fn shift_from(conn: &mut DbConn, device_id: Uuid, position: i32) -> Result<(), ApiError> {
    let rows: Vec<(String, i32)> = dl::table
        .filter(dl::device_id.eq(device_id.to_string()))
        .filter(dl::position.ge(position))
        .select((dl::account_id, dl::position))
        .order(dl::position.desc())
        .load(conn)?;
    for (account_id, pos) in rows {
        diesel::update(dl::table.filter(dl::device_id.eq(device_id.to_string())).filter(dl::account_id.eq(account_id)))
            .set(dl::position.eq(pos + 1))
            .execute(conn)?;
    }
    Ok(())
}

/// Renumbers a device's lines 1..N after a removal, from the first line onwards.
pub fn compact(conn: &mut DbConn, device_id: Uuid) -> Result<(), ApiError> {
    let rows: Vec<(String, i32)> = dl::table
        .filter(dl::device_id.eq(device_id.to_string()))
        .select((dl::account_id, dl::position))
        .order(dl::position.asc())
        .load(conn)?;
    for (want, (account_id, pos)) in (1..).zip(rows) {
        if pos != want {
            diesel::update(
                dl::table.filter(dl::device_id.eq(device_id.to_string())).filter(dl::account_id.eq(account_id)),
            )
            .set(dl::position.eq(want))
            .execute(conn)?;
        }
    }
    Ok(())
}

/// Bumps `updated_at` after a change to the device's lines or owners.
pub fn touch(conn: &mut DbConn, device_id: Uuid) -> Result<(), ApiError> {
    diesel::update(d::devices.filter(d::id.eq(device_id.to_string()))).set(d::updated_at.eq(now())).execute(conn)?;
    Ok(())
}

pub fn add_line(conn: &mut DbConn, device_id: Uuid, account_id: Uuid, position: i32) -> Result<(), ApiError> {
    let res = diesel::insert_into(dl::table)
        .values((
            dl::device_id.eq(device_id.to_string()),
            dl::account_id.eq(account_id.to_string()),
            dl::position.eq(position),
        ))
        .execute(conn);
    match res {
        Ok(_) => Ok(()),
        Err(e) if is_unique_violation(&e) => {
            Err(ApiError::conflict("line_conflict", "that account or position is already on this device"))
        }
        Err(e) => Err(e.into()),
    }
}

/// Removes a line; false when the account was not on the device.
pub fn remove_line(conn: &mut DbConn, device_id: Uuid, account_id: Uuid) -> Result<bool, ApiError> {
    let n = diesel::delete(
        dl::table.filter(dl::device_id.eq(device_id.to_string())).filter(dl::account_id.eq(account_id.to_string())),
    )
    .execute(conn)?;
    Ok(n > 0)
}

pub fn is_owner(conn: &mut DbConn, device_id: Uuid, login_id: Uuid) -> Result<bool, ApiError> {
    Ok(diesel::select(exists(
        dwn::table.filter(dwn::device_id.eq(device_id.to_string())).filter(dwn::login_id.eq(login_id.to_string())),
    ))
    .get_result(conn)?)
}

/// One page of the owners list, ordered by login id.
pub fn owners(
    conn: &mut DbConn,
    device_id: Uuid,
    after: Option<Uuid>,
    limit: i64,
) -> Result<(Vec<super::accounts::MemberRow>, Option<Uuid>), ApiError> {
    let mut q = dwn::table
        .inner_join(logins::table)
        .filter(dwn::device_id.eq(device_id.to_string()))
        .select((dwn::login_id, logins::username, dwn::created_at))
        .order(dwn::login_id.asc())
        .limit(limit + 1)
        .into_boxed();
    if let Some(a) = after {
        q = q.filter(dwn::login_id.gt(a.to_string()));
    }
    let rows: Vec<(String, String, String)> = q.load(conn)?;
    let rows =
        rows.into_iter().map(|(id, u, at)| Ok((super::uuid(&id)?, u, at))).collect::<Result<Vec<_>, ApiError>>()?;
    Ok(super::page(rows, limit, |r| r.0))
}

/// One owner, if there.
pub fn owner(
    conn: &mut DbConn,
    device_id: Uuid,
    login_id: Uuid,
) -> Result<Option<super::accounts::MemberRow>, ApiError> {
    let row: Option<(String, String)> = dwn::table
        .inner_join(logins::table)
        .filter(dwn::device_id.eq(device_id.to_string()))
        .filter(dwn::login_id.eq(login_id.to_string()))
        .select((logins::username, dwn::created_at))
        .first(conn)
        .optional()?;
    Ok(row.map(|(u, at)| (login_id, u, at)))
}

/// Adds a login to the owners list; false when it was there already.
pub fn add_owner(conn: &mut DbConn, device_id: Uuid, login_id: Uuid) -> Result<bool, ApiError> {
    if is_owner(conn, device_id, login_id)? {
        return Ok(false);
    }
    diesel::insert_into(dwn::table)
        .values((
            dwn::device_id.eq(device_id.to_string()),
            dwn::login_id.eq(login_id.to_string()),
            dwn::created_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(true)
}

pub fn remove_owner(conn: &mut DbConn, device_id: Uuid, login_id: Uuid) -> Result<bool, ApiError> {
    let n = diesel::delete(
        dwn::table.filter(dwn::device_id.eq(device_id.to_string())).filter(dwn::login_id.eq(login_id.to_string())),
    )
    .execute(conn)?;
    Ok(n > 0)
}

/// Devices on whose owners list a login stands (M1): `(id, mac_address)`.
pub fn owned_by(conn: &mut DbConn, login_id: Uuid) -> Result<Vec<(Uuid, String)>, ApiError> {
    let rows: Vec<(String, String)> = dwn::table
        .inner_join(d::devices)
        .filter(dwn::login_id.eq(login_id.to_string()))
        .select((d::id, d::mac_address))
        .order(d::id)
        .load(conn)?;
    rows.into_iter().map(|(id, mac)| Ok((super::uuid(&id)?, mac))).collect()
}
