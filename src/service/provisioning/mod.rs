//! Phone provisioning (F1–F9), the people's side: issuing a device's provisioning password
//! and showing its configuration as the phone gets it. The phone's side is [`phone`].

pub mod phone;

use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Principal;
use crate::authz;
use crate::db::repo::provisioning::RenderData;
use crate::db::repo::{Lock, Locked};
use crate::db::{DbConn, repo, write_tx};
use crate::domain::audit::{ResourceType, Verb};
use crate::domain::code::Code;
use crate::domain::{DeviceId, MacAddress};
use crate::error::ApiError;
use crate::provisioning::digest::PhoneAuth;
use crate::provisioning::files::{DeviceFileKind, Vendor};
use crate::provisioning::render::{self, Line, Mwi, Registrar, RenderError, Rendered, Secrets, SipService};
use crate::service::audit::{self, Changes, Event, Under};
use crate::service::devices::{facts, load, standing};

/// A device's provisioning login, as issued: shown once, here (F1).
#[derive(Serialize, ToSchema)]
pub struct IssuedLogin {
    /// The device's MAC, 12 lowercase hex digits: the phone's username (F4).
    pub username: String,
    /// Generated (F1). The previous password keeps working until the phone first uses this
    /// one, or for the grace period (F3).
    pub password: String,
    /// Where the phone fetches its files: the public URL and `/provisioning/`.
    pub url: String,
}

/// Issues or rotates a device's provisioning password (F3): D8's rights over the device;
/// the password it replaces stays valid for `grace_secs` or until the phone first
/// authenticates with the new one. Only the verifiers are stored, never the password.
pub fn issue_password(
    conn: &mut DbConn,
    caller: &Principal,
    id: DeviceId,
    auth: &PhoneAuth,
    grace_secs: i64,
    url: String,
    now: i64,
) -> Result<IssuedLogin, ApiError> {
    write_tx(conn, |conn| {
        repo::lock(conn, Locked::Devices, id.0, Lock::Update)?;
        let l = load(conn, caller, id)?;
        authz::provisioning::can_issue_provisioning_password(&caller.actor, &facts(&l), &standing(&l)).check()?;
        let password =
            crate::provisioning::generate_secret().map_err(|e| ApiError::internal(format!("no randomness: {e}")))?;
        let username = l.device.mac_address.clone();
        let current = auth.verifiers(&username, &password).to_stored();
        let had = l.login.as_ref().is_some_and(|login| login.verifiers.is_some());
        let previous = l.login.and_then(|login| login.verifiers).filter(|_| grace_secs > 0);
        let until = previous.as_ref().map(|_| now.saturating_add(grace_secs));
        repo::provisioning::set_verifiers(conn, id, &current, previous.as_deref(), until)?;
        let changes = Changes::default().secret("provisioning.password", had);
        let under = Under::device(&l.context, l.assignee.as_ref());
        let event = Event::new(ResourceType::Device, Verb::ProvisioningPasswordRotated, id.0, under, changes);
        audit::record(conn, caller, event)?;
        Ok(IssuedLogin { username, password, url })
    })
}

/// The configuration a phone would get (its vendor's settings file), with every secret
/// shown as `<redacted>` (F6): for those with D8's rights over the device.
pub fn config(conn: &mut DbConn, caller: &Principal, id: DeviceId, base_url: &str) -> Result<Rendered, ApiError> {
    let l = load(conn, caller, id)?;
    authz::provisioning::can_view_config(&caller.actor, &facts(&l), &standing(&l)).check()?;
    let data = repo::provisioning::render_data(conn, id)?.ok_or(ApiError::NotFound)?;
    let vendor = vendor_of(&data).ok_or_else(|| {
        ApiError::conflict(
            Code::ConfigNotRenderable,
            "there is no template for the device's vendor: set vendor to yealink, polycom or grandstream",
        )
    })?;
    render_file(&data, vendor, vendor.settings_file(), base_url, Secrets::Redact).map_err(|e| match e {
        Unrenderable::NoSipService => ApiError::conflict(
            Code::SipServiceNotSet,
            "the device's service provider has no SIP service (sip) yet: there is nothing to register to",
        ),
        Unrenderable::Render(e) => ApiError::conflict(Code::ConfigNotRenderable, e.to_string()),
    })
}

/// The template of the device's vendor (F6: case-insensitive), if there is one.
pub(crate) fn vendor_of(data: &RenderData) -> Option<Vendor> {
    data.vendor.as_deref().and_then(|v| Vendor::parse(v).ok())
}

/// Why a device file cannot be rendered.
pub(crate) enum Unrenderable {
    /// The SP has no SIP service: nothing to register to (404 to the phone, §5).
    NoSipService,
    Render(RenderError),
}

/// Renders one of the device's own files from its record (F6).
pub(crate) fn render_file(
    data: &RenderData,
    vendor: Vendor,
    kind: DeviceFileKind,
    base_url: &str,
    secrets: Secrets,
) -> Result<Rendered, Unrenderable> {
    let sip = data.sip.as_ref().ok_or(Unrenderable::NoSipService)?;
    let mac =
        MacAddress::parse(&data.mac).ok_or(Unrenderable::Render(RenderError::Unrenderable("stored MAC".into())))?;
    // Line breaks and tabs are allowed in a display name but cannot stand in a phone's
    // setting: they are written as spaces.
    let display_names: Vec<Option<String>> =
        data.lines.iter().map(|l| l.display_name.as_ref().map(|d| d.replace(['\r', '\n', '\t'], " "))).collect();
    let lines: Vec<Line<'_>> = data
        .lines
        .iter()
        .zip(&display_names)
        .map(|(l, d)| Line {
            sip_username: &l.sip_username,
            sip_password: &l.sip_password,
            display_name: d.as_deref(),
            number: &l.number,
        })
        .collect();
    let mwi_line = data.mwi_account_id.and_then(|a| data.lines.iter().position(|l| l.account_id == a).map(|i| i + 1));
    let device = render::Device {
        mac: &mac,
        vendor,
        missed_calls: data.missed_calls,
        mwi: Mwi { enabled: data.mwi_enabled, line: mwi_line },
        lines: &lines,
    };
    let sip = SipService {
        domain: &sip.domain,
        registrar: Registrar { host: &sip.registrar.host, port: sip.port(), transport: sip.registrar.transport },
    };
    render::render_device_file(kind, &device, &sip, base_url, secrets).map_err(Unrenderable::Render)
}
