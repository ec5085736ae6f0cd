//! SIP devices (D0–D9) and their lines (A6, D7).

mod lines;
mod views;

pub use lines::{add_line, remove_line};
pub use views::{
    CreateDevice, DeviceQuery, DeviceSettings, DeviceView, LineInput, LineView, Mwi, MwiInput, PatchDevice,
    SettingsInput,
};

use uuid::Uuid;

use super::input::set_text;
use super::{Input, PageRequest, Paged, clean, unique_or};
use crate::auth::Principal;
use crate::authz;
use crate::authz::Refusal;
use crate::authz::devices::{Change, DeviceFacts, Placement, ProvisioningFields, SettingsFields};
use crate::db::repo::devices::{DeviceRecord, DeviceWithFacts, Filters, Line, ListScope, Scope};
use crate::db::repo::members::ListRef;
use crate::db::repo::{Lock, Locked};
use crate::db::{DbConn, now, repo, write_tx};
use crate::domain::audit::{ResourceType, Verb};
use crate::domain::code::Code;
use crate::domain::validate::{self, Errors};
use crate::domain::{AccountId, Actor, DeviceId, MacAddress, NodeKind, NodeLink, NodeRef, assignment_fits};
use crate::error::ApiError;
use crate::service::audit::{self, Changes, Event, Under};

fn parse_mac(field: &str, raw: &str) -> Result<MacAddress, ApiError> {
    MacAddress::parse(raw).ok_or_else(|| {
        ApiError::field(
            field,
            Code::InvalidMac,
            "a MAC address is 00:04:F2:AB:CD:EF, 00-04-f2-ab-cd-ef, 0004.f2ab.cdef or 0004f2abcdef (rule D9)",
        )
    })
}

fn check_texts(vendor: Option<&str>, model: Option<&str>, label: Option<&str>) -> Result<(), ApiError> {
    let mut errors = Errors::default();
    for (field, value, rule) in
        [("vendor", vendor, &validate::VENDOR), ("model", model, &validate::MODEL), ("label", label, &validate::LABEL)]
    {
        if let Some(v) = value {
            errors.check(field, rule, v);
        }
    }
    if errors.is_empty() { Ok(()) } else { Err(ApiError::invalid(errors.into_vec())) }
}

/// An assignee must exist, be of the named kind and fit below the context (or D7 refuses
/// first, for a User in its own context). Its row is locked for the rest of the write, so it
/// is not deleted under the device.
fn resolve_assignee(conn: &mut DbConn, actor: &Actor, context: &NodeRef, link: &NodeLink) -> Result<NodeRef, ApiError> {
    let invalid = || {
        ApiError::field(
            "assigned_to",
            Code::InvalidAssignee,
            "assigned_to must be an organization or user below the device's context, or the context user itself",
        )
    };
    let node = repo::nodes::find_ref_for_share(conn, link.id)?;
    match node {
        Some(n) if n.kind == link.kind && assignment_fits(context, &n) => Ok(n),
        _ => {
            authz::devices::can_assign_outside_context(actor, context).check()?;
            Err(invalid())
        }
    }
}

pub(crate) fn facts<'a>(l: &'a DeviceWithFacts) -> DeviceFacts<'a> {
    DeviceFacts { context: &l.context, assigned_to: l.assignee.as_ref(), caller_is_owner: l.caller_is_owner }
}

/// A device and its facts, if it exists (else 404).
pub(crate) fn load(conn: &mut DbConn, caller: &Principal, id: DeviceId) -> Result<DeviceWithFacts, ApiError> {
    repo::devices::find_with_facts(conn, id, caller.login_id)?.ok_or(ApiError::NotFound)
}

/// A device the caller may read (else 404 or D1), with its facts.
pub(crate) fn load_readable(conn: &mut DbConn, caller: &Principal, id: DeviceId) -> Result<DeviceWithFacts, ApiError> {
    let l = load(conn, caller, id)?;
    authz::devices::can_read(&caller.actor, &facts(&l)).check()?;
    Ok(l)
}

/// A device whose lines and owners the caller may change (A6, D8).
pub(super) fn load_manageable(
    conn: &mut DbConn,
    caller: &Principal,
    id: DeviceId,
) -> Result<DeviceWithFacts, ApiError> {
    let l = load(conn, caller, id)?;
    authz::devices::can_manage(&caller.actor, &facts(&l), &standing(&l)).check()?;
    Ok(l)
}

/// The device's placement as it stands, for D8 decisions that do not move it (D4's
/// "must be assigned" clause does not apply to a device that is already there).
pub(crate) fn standing(l: &DeviceWithFacts) -> Placement<'_> {
    Placement { context: &l.context, assignee: l.assignee.as_ref(), modify_below_context: false }
}

/// The placement a device would have, with D4's fact looked up only when it matters.
fn placement<'a>(
    conn: &mut DbConn,
    actor: &Actor,
    context: &'a NodeRef,
    assignee: Option<&'a NodeRef>,
) -> Result<Placement<'a>, ApiError> {
    let modify_below_context = if authz::devices::needs_modify_below(actor, context, assignee) {
        repo::nodes::modify_below(conn, context)?
    } else {
        false
    };
    Ok(Placement { context, assignee, modify_below_context })
}

fn view_of(l: DeviceWithFacts) -> DeviceView {
    DeviceView::new(l.device, l.context.kind, l.assignee.map(|a| a.kind), l.lines, l.login)
}

/// `settings.mwi.account_id` must name one of the device's lines.
fn check_mwi(lines: &[Line], account_id: Option<AccountId>) -> Result<(), ApiError> {
    match account_id {
        Some(a) if !lines.iter().any(|l| l.account_id == a) => Err(ApiError::field(
            "settings.mwi.account_id",
            Code::MwiNotALine,
            "the MWI account must be one of the device's lines",
        )),
        _ => Ok(()),
    }
}

fn apply_settings(d: &mut DeviceRecord, s: Option<SettingsInput>) {
    let Some(s) = s else { return };
    if let Some(m) = s.missed_calls {
        d.missed_calls = m;
    }
    if let Some(mwi) = s.mwi {
        if let Some(e) = mwi.enabled {
            d.mwi_enabled = e;
        }
        if let Some(a) = mwi.account_id {
            d.mwi_account_id = a;
        }
    }
}

fn fields(d: &DeviceRecord) -> (ProvisioningFields<'_>, SettingsFields) {
    (
        ProvisioningFields {
            mac_address: &d.mac_address,
            vendor: d.vendor.as_deref(),
            model: d.model.as_deref(),
            label: d.label.as_deref(),
            assigned_to: d.assigned_to_id,
        },
        SettingsFields { missed_calls: d.missed_calls, mwi_enabled: d.mwi_enabled, mwi_account: d.mwi_account_id },
    )
}

fn mac_in_use(e: diesel::result::Error) -> ApiError {
    unique_or(e, || ApiError::Denied(Refusal::MacInUse))
}

/// Adds a device in the context of `context` (D0–D7, D9, A4).
pub fn add(
    conn: &mut DbConn,
    caller: &Principal,
    context: (Uuid, NodeKind),
    body: Input<CreateDevice>,
) -> Result<DeviceView, ApiError> {
    let actor = &caller.actor;
    write_tx(conn, |conn| {
        let ctx = repo::nodes::find_ref_kind_for_share(conn, context.0, context.1)?.ok_or(ApiError::NotFound)?;
        authz::nodes::can_read(actor, &ctx).check()?;
        authz::devices::can_add_in(actor, &ctx).check()?;
        let body = body.parse()?;
        let mac = parse_mac("mac_address", &body.mac_address)?;
        check_texts(body.vendor.as_deref(), body.model.as_deref(), body.label.as_deref())?;
        let assignee = match &body.assigned_to {
            Some(link) => Some(resolve_assignee(conn, actor, &ctx, link)?),
            None => None,
        };
        let place = placement(conn, actor, &ctx, assignee.as_ref())?;
        authz::devices::can_add(actor, &place).check()?;
        let ts = now();
        let mut device = DeviceRecord {
            id: DeviceId(Uuid::now_v7()),
            mac_address: mac.to_string(),
            vendor: clean(body.vendor),
            model: clean(body.model),
            label: clean(body.label),
            context_id: ctx.id,
            assigned_to_id: assignee.as_ref().map(|a| a.id),
            missed_calls: true,
            mwi_enabled: false,
            mwi_account_id: None,
            created_at: ts,
            updated_at: ts,
        };
        apply_settings(&mut device, body.settings.map(SettingsInput::from));
        check_mwi(&[], device.mwi_account_id)?;
        repo::devices::insert(conn, &device, Scope::of(&ctx, assignee.as_ref())).map_err(mac_in_use)?;
        if let Some(user) = authz::devices::first_owner(assignee.as_ref()) {
            let login = repo::logins::id_of_node(conn, user)?;
            repo::members::insert_first(conn, ListRef::DeviceOwners(device.id), login)?;
        }
        let under = Under::device(&ctx, assignee.as_ref());
        let view = DeviceView::new(device, ctx.kind, assignee.map(|a| a.kind), vec![], None);
        audit::record(conn, caller, device_event(view.id.0, Verb::Created, under, Changes::created(&view)))?;
        Ok(view)
    })
}

/// The devices of a context and below (D2), filtered, one page: one query, lines included.
pub fn list(
    conn: &mut DbConn,
    caller: &Principal,
    context: (Uuid, NodeKind),
    q: &DeviceQuery,
) -> Result<Paged<DeviceView>, ApiError> {
    let ctx = repo::nodes::find_ref_kind(conn, context.0, context.1)?.ok_or(ApiError::NotFound)?;
    authz::devices::can_list(&caller.actor, &ctx).check()?;
    let page = PageRequest::parse(q.limit, q.cursor.as_deref())?;
    for (value, rule) in [(&q.vendor, &validate::VENDOR), (&q.model, &validate::MODEL)] {
        if value.as_deref().is_some_and(|v| !rule.is_valid(v)) {
            return Err(ApiError::bad_request(
                Code::InvalidQuery,
                "vendor and model filters are at most 100 characters, without control characters",
            ));
        }
    }
    let filters = Filters {
        mac_address: q.mac_address.as_deref().map(|m| parse_mac("mac_address", m)).transpose()?.map(|m| m.to_string()),
        assigned_to: q
            .assigned_to
            .as_deref()
            .map(|a| {
                crate::domain::ids::parse_uuid(a)
                    .ok_or_else(|| ApiError::bad_request(Code::InvalidQuery, "assigned_to must be a node id"))
            })
            .transpose()?,
        vendor: q.vendor.clone(),
        model: q.model.clone(),
    };
    let include_assigned = authz::devices::lists_assigned_devices(&caller.actor, &ctx);
    let rows = repo::devices::list(conn, ListScope::of(&ctx, include_assigned), &filters, page.after, page.limit)?;
    let paged = Paged::from_rows(rows, page, |(d, _, _, _, _)| d.id.0);
    Ok(paged
        .map(|(d, ctx_kind, assignee_kind, lines, login)| DeviceView::new(d, ctx_kind, assignee_kind, lines, login)))
}

/// One device (D2; device owners too, A6): one query for the device, its facts and its
/// lines.
pub fn get(conn: &mut DbConn, caller: &Principal, id: DeviceId) -> Result<DeviceView, ApiError> {
    load_readable(conn, caller, id).map(view_of)
}

/// Changes a device: provisioning fields need the rights of adding it with the new
/// assignee (D8); settings also suit device owners (A6); unchanged values are no change.
pub fn update(
    conn: &mut DbConn,
    caller: &Principal,
    id: DeviceId,
    body: Input<PatchDevice>,
) -> Result<DeviceView, ApiError> {
    let actor = &caller.actor;
    write_tx(conn, |conn| {
        repo::lock(conn, Locked::Devices, id.0, Lock::Update)?;
        let l = load(conn, caller, id)?;
        authz::devices::can_read(actor, &facts(&l)).check()?;
        let body = body.parse()?;
        // What the body asks, values as sent: an unparsable MAC is a change like any other.
        let mut asked = l.device.clone();
        if let Some(raw) = &body.mac_address {
            asked.mac_address = MacAddress::parse(raw).map_or_else(|| raw.clone(), |m| m.to_string());
        }
        for (field, value) in
            [(&mut asked.vendor, &body.vendor), (&mut asked.model, &body.model), (&mut asked.label, &body.label)]
        {
            if let Some(v) = value {
                *field = clean(v.clone());
            }
        }
        match &body.assigned_to {
            None => {}
            Some(None) => asked.assigned_to_id = None,
            Some(Some(link)) => asked.assigned_to_id = Some(link.id),
        }
        apply_settings(&mut asked, body.settings);
        let change = Change::between(fields(&l.device), fields(&asked));
        authz::devices::can_change_at_all(actor, &facts(&l), change).check()?;
        // The values.
        if let Some(raw) = &body.mac_address {
            parse_mac("mac_address", raw)?;
        }
        check_texts(set_text(&body.vendor), set_text(&body.model), set_text(&body.label))?;
        let assignee = match &body.assigned_to {
            None => l.assignee.clone(),
            Some(None) => None,
            Some(Some(link))
                if Some(link.id) == l.device.assigned_to_id
                    && Some(link.kind) == l.assignee.as_ref().map(|a| a.kind) =>
            {
                l.assignee.clone()
            }
            Some(Some(link)) => Some(resolve_assignee(conn, actor, &l.context, link)?),
        };
        let lines = l.lines.clone();
        check_mwi(&lines, asked.mwi_account_id)?;
        // The rules that depend on them.
        let place = placement(conn, actor, &l.context, assignee.as_ref())?;
        authz::devices::can_change(actor, &facts(&l), change, &place).check()?;
        let assignee_kind = assignee.as_ref().map(|a| a.kind);
        let mut login = l.login;
        let before = DeviceView::new(
            l.device.clone(),
            l.context.kind,
            l.assignee.as_ref().map(|a| a.kind),
            lines.clone(),
            login.clone(),
        );
        if change.provisioning || change.settings {
            asked.updated_at = now();
            repo::devices::update(conn, &asked, Scope::of(&l.context, assignee.as_ref())).map_err(mac_in_use)?;
            // F9: the phone's username is its MAC; a new MAC ends the login at once.
            if !authz::provisioning::login_survives(asked.mac_address != l.device.mac_address) {
                repo::provisioning::end_login(conn, id)?;
                if let Some(login) = login.as_mut() {
                    login.verifiers = None;
                    login.previous_verifiers = None;
                    login.previous_until = None;
                }
            }
            let after = DeviceView::new(asked.clone(), l.context.kind, assignee_kind, lines.clone(), login.clone());
            let under = Under::device(&l.context, assignee.as_ref());
            audit::record(conn, caller, device_event(id.0, Verb::Updated, under, Changes::diff(&before, &after)))?;
        }
        Ok(DeviceView::new(asked, l.context.kind, assignee_kind, lines, login))
    })
}

/// Deletes a device: the rights of adding it where it is (D8).
pub fn delete(conn: &mut DbConn, caller: &Principal, id: DeviceId) -> Result<(), ApiError> {
    write_tx(conn, |conn| {
        repo::lock(conn, Locked::Devices, id.0, Lock::Update)?;
        let l = load(conn, caller, id)?;
        authz::devices::can_delete(&caller.actor, &facts(&l), &standing(&l)).check()?;
        repo::devices::delete(conn, id)?;
        let under = Under::device(&l.context, l.assignee.as_ref());
        let changes = Changes::deleted(&view_of(l));
        audit::record(conn, caller, device_event(id.0, Verb::Deleted, under, changes))
    })
}

/// An event about a device (L1).
pub(super) fn device_event(id: Uuid, verb: Verb, under: Under, changes: Changes) -> Event {
    Event::new(ResourceType::Device, verb, id, under, changes)
}
