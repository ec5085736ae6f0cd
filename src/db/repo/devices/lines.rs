//! A device's lines: moved, added and removed, one device at a time (the device's row is
//! locked by the caller's transaction). They are read with the device (`LinesPacked`).

use diesel::prelude::*;

use crate::db::schema::{device_lines as dl, devices::dsl as d};
use crate::db::{DbConn, now};
use crate::domain::{AccountId, DeviceId, Timestamp};

/// Makes room at `position` by moving every line at or after it one down. Updated from the
/// last line backwards, so the `(device_id, position)` unique index never sees a duplicate.
pub fn shift_from(conn: &mut DbConn, device_id: DeviceId, position: i32) -> QueryResult<()> {
    let rows: Vec<(AccountId, i32)> = native!(conn, |c| dl::table
        .filter(dl::device_id.eq(device_id))
        .filter(dl::position.ge(position))
        .select((dl::account_id, dl::position))
        .order(dl::position.desc())
        .load(c))?;
    for (account_id, pos) in rows {
        native!(conn, |c| diesel::update(
            dl::table.filter(dl::device_id.eq(device_id)).filter(dl::account_id.eq(account_id))
        )
        .set(dl::position.eq(pos + 1))
        .execute(c))?;
    }
    Ok(())
}

/// Renumbers a device's lines 1..N after a removal, from the first line onwards.
pub fn compact(conn: &mut DbConn, device_id: DeviceId) -> QueryResult<()> {
    let rows: Vec<(AccountId, i32)> = native!(conn, |c| dl::table
        .filter(dl::device_id.eq(device_id))
        .select((dl::account_id, dl::position))
        .order(dl::position.asc())
        .load(c))?;
    for (want, (account_id, pos)) in (1..).zip(rows) {
        if pos != want {
            native!(conn, |c| diesel::update(
                dl::table.filter(dl::device_id.eq(device_id)).filter(dl::account_id.eq(account_id))
            )
            .set(dl::position.eq(want))
            .execute(c))?;
        }
    }
    Ok(())
}

/// Bumps `updated_at` after a change to the device's lines or owners.
pub fn touch(conn: &mut DbConn, device_id: DeviceId) -> QueryResult<Timestamp> {
    let ts = now();
    native!(conn, |c| diesel::update(d::devices.filter(d::id.eq(device_id))).set(d::updated_at.eq(ts)).execute(c))?;
    Ok(ts)
}

/// Puts an account on a line; a taken account or position is a unique violation.
pub fn add_line(conn: &mut DbConn, device_id: DeviceId, account_id: AccountId, position: i32) -> QueryResult<()> {
    native!(conn, |c| diesel::insert_into(dl::table)
        .values((dl::device_id.eq(device_id), dl::account_id.eq(account_id), dl::position.eq(position)))
        .execute(c))?;
    Ok(())
}

/// Removes a line; false when the account was not on the device.
pub fn remove_line(conn: &mut DbConn, device_id: DeviceId, account_id: AccountId) -> QueryResult<bool> {
    let n = native!(conn, |c| diesel::delete(
        dl::table.filter(dl::device_id.eq(device_id)).filter(dl::account_id.eq(account_id))
    )
    .execute(c))?;
    Ok(n > 0)
}

/// Clears the MWI account of a device that pointed at a line being removed.
pub fn clear_mwi(conn: &mut DbConn, device_id: DeviceId, account_id: AccountId) -> QueryResult<()> {
    native!(conn, |c| diesel::update(d::devices.filter(d::id.eq(device_id)).filter(d::mwi_account_id.eq(account_id)))
        .set(d::mwi_account_id.eq(None::<AccountId>))
        .execute(c))?;
    Ok(())
}
