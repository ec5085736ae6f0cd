//! A device's lines (A6, D7): numbers put on the phone, in order.

use super::{DeviceView, LineInput, load_manageable};
use crate::auth::Principal;
use crate::authz;
use crate::authz::accounts::AccountFacts;
use crate::db::repo::devices::Line;
use crate::db::repo::{Lock, Locked};
use crate::db::{DbConn, repo, write_tx};
use crate::domain::audit::Verb;
use crate::domain::code::Code;
use crate::domain::{AccountId, DeviceId};
use crate::error::ApiError;
use crate::service::audit::{self, Changes, Under};
use crate::service::{Input, unique_or};

/// Puts an account on the device (A6: device owners or provisioners, and only numbers the
/// caller manages; D7).
pub fn add_line(
    conn: &mut DbConn,
    caller: &Principal,
    id: DeviceId,
    body: Input<LineInput>,
) -> Result<DeviceView, ApiError> {
    let actor = &caller.actor;
    write_tx(conn, |conn| {
        repo::lock(conn, Locked::Devices, id.0, Lock::Update)?;
        let mut l = load_manageable(conn, caller, id)?;
        let body = body.parse()?;
        repo::lock(conn, Locked::Accounts, body.account_id.0, Lock::Share)?;
        let account =
            repo::accounts::find_with_facts(conn, body.account_id, caller.login_id)?.ok_or(ApiError::NotFound)?;
        let account_facts = AccountFacts {
            user: &account.user,
            caller_is_owner: account.caller_is_owner,
            caller_is_administrator: account.caller_is_administrator,
        };
        authz::accounts::can_put_on_line(actor, &account_facts).check()?;
        authz::devices::can_use_account_on_line(actor, &super::facts(&l), &account.user).check()?;
        let mut lines = std::mem::take(&mut l.lines);
        let before = lines_json(&lines);
        if lines.iter().any(|line| line.account_id == body.account_id) {
            return Err(ApiError::conflict(Code::LineConflict, "that account is already on this device"));
        }
        let end = i32::try_from(lines.len()).unwrap_or(i32::MAX).saturating_add(1);
        let position = body.position.unwrap_or(end);
        if !(1..=end).contains(&position) {
            return Err(ApiError::field(
                "position",
                Code::InvalidPosition,
                format!("position must be from 1 to {end}"),
            ));
        }
        repo::devices::shift_from(conn, id, position)?;
        repo::devices::add_line(conn, id, body.account_id, position).map_err(|e| {
            unique_or(e, || {
                ApiError::conflict(Code::LineConflict, "that account or position is already on this device")
            })
        })?;
        l.device.updated_at = repo::devices::touch(conn, id)?;
        for line in lines.iter_mut().filter(|line| line.position >= position) {
            line.position += 1;
        }
        let at = usize::try_from(position - 1).unwrap_or(0).min(lines.len());
        lines.insert(at, Line { account_id: body.account_id, number: account.account.number, position });
        let changes = Changes::default().set("lines", before, lines_json(&lines));
        let under = Under::device(&l.context, l.assignee.as_ref());
        audit::record(conn, caller, super::device_event(id.0, Verb::LineAdded, under, changes))?;
        Ok(DeviceView::new(l.device, l.context.kind, l.assignee.map(|a| a.kind), lines, l.login))
    })
}

/// Takes an account off the device; an MWI pointing at it is cleared and the remaining
/// lines are renumbered 1..N.
pub fn remove_line(conn: &mut DbConn, caller: &Principal, id: DeviceId, account_id: AccountId) -> Result<(), ApiError> {
    write_tx(conn, |conn| {
        repo::lock(conn, Locked::Devices, id.0, Lock::Update)?;
        let l = load_manageable(conn, caller, id)?;
        if !repo::devices::remove_line(conn, id, account_id)? {
            return Err(ApiError::NotFound);
        }
        repo::devices::clear_mwi(conn, id, account_id)?;
        repo::devices::compact(conn, id)?;
        repo::devices::touch(conn, id)?;
        let mut after: Vec<Line> = l.lines.iter().filter(|line| line.account_id != account_id).cloned().collect();
        for (i, line) in after.iter_mut().enumerate() {
            line.position = i32::try_from(i + 1).unwrap_or(i32::MAX);
        }
        let changes = Changes::default().set("lines", lines_json(&l.lines), lines_json(&after));
        let under = Under::device(&l.context, l.assignee.as_ref());
        audit::record(conn, caller, super::device_event(id.0, Verb::LineRemoved, under, changes))
    })
}

/// A device's lines as its representation shows them.
fn lines_json(lines: &[Line]) -> serde_json::Value {
    serde_json::Value::Array(
        lines
            .iter()
            .map(|l| serde_json::json!({"account_id": l.account_id, "number": l.number, "position": l.position}))
            .collect(),
    )
}
