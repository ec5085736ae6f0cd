//! Rendering a phone's files from its record (rule F6) with one template per vendor.
//!
//! The templates (`templates/yealink.cfg`, `templates/polycom.xml`,
//! `templates/grandstream.xml`) are compiled into the binary and hold every vendor
//! parameter name and code; this module only prepares vendor-neutral values (lines in
//! order, passwords or their redaction, which lines subscribe to MWI, whether the
//! registrar needs an outbound proxy) and escapes every value for the file's format:
//! XML escaping for Polycom and Grandstream, and for Yealink's line-based `key = value`
//! files a refusal of any value that could end a line. Control characters are refused in
//! both formats even though inputs are validated without them: a template must not be
//! the place where a bad value becomes a second setting.
//!
//! Output is deterministic (no time, no map iteration order), so the strong [`ETag`] of
//! the same record is the same on every instance and `If-None-Match` works (F6).
//!
//! [`ETag`]: Rendered::etag

use std::sync::LazyLock;

use minijinja::value::{Value, ValueKind};
use minijinja::{AutoEscape, Environment, ErrorKind, Output, State, UndefinedBehavior, context};
use sha2::{Digest, Sha256};

use super::digest::hex;
use super::files::{DeviceFileKind, SharedFile, Vendor, device_file_name};
use crate::domain::MacAddress;

/// What `GET /v1/devices/{id}/config` shows instead of each secret.
pub const REDACTED: &str = "<redacted>";

/// Accounts each template can configure. A device with more lines is refused, never
/// truncated: a phone that silently lacks a line is worse than an error an operator sees.
/// Yealink: `account.X` goes to 16 (T54/T48/T46 families); Polycom: `reg.x` goes to 34;
/// Grandstream: the template knows the P-values of accounts 1 to 6 (GXP21xx, GRP26xx).
pub const fn max_lines(vendor: Vendor) -> usize {
    match vendor {
        Vendor::Yealink => 16,
        Vendor::Polycom => 34,
        Vendor::Grandstream => 6,
    }
}

pub use crate::domain::sip::Transport;

/// Where the SP's phones register (§5: `sip.registrar`).
#[derive(Clone, Copy, Debug)]
pub struct Registrar<'a> {
    pub host: &'a str,
    pub port: u16,
    pub transport: Transport,
}

/// The SP's SIP service (§5: `sip`). When the registrar's host is not the domain, phones
/// keep the domain in their addresses and send through the registrar as outbound proxy
/// (Polycom takes the domain in `reg.x.address` and the registrar as its server instead).
#[derive(Clone, Copy, Debug)]
pub struct SipService<'a> {
    pub domain: &'a str,
    pub registrar: Registrar<'a>,
}

/// One line of a device, in position order: the account's SIP credentials and names.
#[derive(Clone, Copy)]
pub struct Line<'a> {
    pub sip_username: &'a str,
    pub sip_password: &'a str,
    /// The account's `display_name`; the phone shows the number when there is none.
    pub display_name: Option<&'a str>,
    pub number: &'a str,
}

impl std::fmt::Debug for Line<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Line")
            .field("sip_username", &self.sip_username)
            .field("number", &self.number)
            .finish_non_exhaustive()
    }
}

/// The message waiting light (§3 device settings).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Mwi {
    pub enabled: bool,
    /// 1-based position of the line whose account lights it; `None`: every line's account.
    pub line: Option<usize>,
}

/// What of a device record its files are rendered from.
#[derive(Clone, Copy, Debug)]
pub struct Device<'a> {
    pub mac: &'a MacAddress,
    pub vendor: Vendor,
    pub missed_calls: bool,
    pub mwi: Mwi,
    pub lines: &'a [Line<'a>],
}

/// Whether SIP passwords are written out (for the phone) or replaced by [`REDACTED`] (for
/// `GET /v1/devices/{id}/config`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Secrets {
    Include,
    Redact,
}

/// A rendered file.
#[derive(Clone, PartialEq, Eq)]
pub struct Rendered {
    pub body: Vec<u8>,
    /// Strong ETag, quotes included: the first 16 bytes of the body's SHA-256 in hex.
    pub etag: String,
    pub content_type: &'static str,
}

impl std::fmt::Debug for Rendered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rendered").field("etag", &self.etag).field("len", &self.body.len()).finish_non_exhaustive()
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    /// The device's vendor does not use this file (or it is an upload): 404.
    #[error("{vendor} phones have no {kind:?} file")]
    NotServed { kind: DeviceFileKind, vendor: Vendor },
    #[error("{vendor} template configures at most {max} lines; the device has {lines}")]
    TooManyLines { vendor: Vendor, max: usize, lines: usize },
    #[error("the MWI line {line} is not one of the device's {lines} lines")]
    MwiLineOutOfRange { line: usize, lines: usize },
    #[error("the provisioning base URL must be an absolute http(s) URL of printable characters")]
    InvalidBaseUrl,
    /// A value the format cannot carry safely, or a template fault. The message names the
    /// template and line, never the value.
    #[error("cannot render: {0}")]
    Unrenderable(String),
}

impl From<minijinja::Error> for RenderError {
    fn from(e: minijinja::Error) -> RenderError {
        RenderError::Unrenderable(e.to_string())
    }
}

const YEALINK: &str = "yealink";
const POLYCOM: &str = "polycom";
const GRANDSTREAM: &str = "grandstream";

/// Escape modes, chosen per template by name.
const ESCAPE_XML: &str = "xml";
const ESCAPE_LINE: &str = "line";

static TEMPLATES: LazyLock<Result<Environment<'static>, String>> = LazyLock::new(|| {
    let mut env = Environment::empty();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    let syntax = minijinja::syntax::SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .keep_trailing_newline(true)
        .build()
        .map_err(|e| e.to_string())?;
    env.set_syntax(syntax);
    env.set_auto_escape_callback(|name| match name {
        YEALINK => AutoEscape::Custom(ESCAPE_LINE.into()),
        _ => AutoEscape::Custom(ESCAPE_XML.into()),
    });
    env.set_formatter(format_value);
    env.add_template(YEALINK, include_str!("../templates/yealink.cfg")).map_err(|e| e.to_string())?;
    env.add_template(POLYCOM, include_str!("../templates/polycom.xml")).map_err(|e| e.to_string())?;
    env.add_template(GRANDSTREAM, include_str!("../templates/grandstream.xml")).map_err(|e| e.to_string())?;
    Ok(env)
});

/// Writes `{{ value }}`: only strings and integers may be printed (a template printing
/// anything else is a template bug), escaped for the template's format.
fn format_value(out: &mut Output, state: &mut State, value: &Value) -> Result<(), minijinja::Error> {
    let refuse = |what: &str| Err(minijinja::Error::new(ErrorKind::InvalidOperation, what.to_owned()));
    let text = match value.kind() {
        ValueKind::String => value.as_str().unwrap_or_default().to_owned(),
        ValueKind::Number if value.as_i64().is_some() => value.to_string(),
        _ => return refuse("only strings and integers are printed"),
    };
    if text.chars().any(|c| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{fffe}' | '\u{ffff}')) {
        return refuse("a value contains a control or line-breaking character");
    }
    let escaped = match state.auto_escape() {
        AutoEscape::Custom(mode) if mode == ESCAPE_XML => escape_xml(&text),
        AutoEscape::Custom(mode) if mode == ESCAPE_LINE => text,
        _ => return refuse("template has no escape mode"),
    };
    out.write_str(&escaped).map_err(|_| minijinja::Error::new(ErrorKind::WriteFailure, "write failed"))
}

fn escape_xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

fn template_name(vendor: Vendor) -> &'static str {
    match vendor {
        Vendor::Yealink => YEALINK,
        Vendor::Polycom => POLYCOM,
        Vendor::Grandstream => GRANDSTREAM,
    }
}

fn content_type(vendor: Vendor) -> &'static str {
    match vendor {
        Vendor::Yealink => "text/plain; charset=utf-8",
        Vendor::Polycom | Vendor::Grandstream => "application/xml; charset=utf-8",
    }
}

fn render(vendor: Vendor, ctx: Value) -> Result<Rendered, RenderError> {
    let env = TEMPLATES.as_ref().map_err(|e| RenderError::Unrenderable(e.clone()))?;
    let body = env.get_template(template_name(vendor))?.render(ctx)?.into_bytes();
    let digest = Sha256::digest(&body);
    Ok(Rendered { etag: format!("\"{}\"", hex(&digest[..16])), content_type: content_type(vendor), body })
}

/// A vendor's shared file: no device input at all, so it cannot carry anyone's data (F5).
pub fn render_shared_file(file: SharedFile) -> Result<Rendered, RenderError> {
    let ctx = match file {
        SharedFile::YealinkCommonBoot => context! { file => "common_boot" },
        SharedFile::YealinkModelCommon { code } => context! { file => "model_common", code => code },
        SharedFile::PolycomDefaultMaster => context! { file => "default_master" },
    };
    render(file.vendor(), ctx)
}

/// The file that carries the device's registrations (what `GET /v1/devices/{id}/config`
/// shows, with [`Secrets::Redact`]).
pub fn render_settings(
    device: &Device<'_>,
    sip: &SipService<'_>,
    base_url: &str,
    secrets: Secrets,
) -> Result<Rendered, RenderError> {
    render_device_file(device.vendor.settings_file(), device, sip, base_url, secrets)
}

/// One of the device's own files. `base_url` is the public provisioning URL (the one phones
/// are given), for files that name the next file to fetch.
pub fn render_device_file(
    kind: DeviceFileKind,
    device: &Device<'_>,
    sip: &SipService<'_>,
    base_url: &str,
    secrets: Secrets,
) -> Result<Rendered, RenderError> {
    let vendor = device.vendor;
    if !kind.served_for(vendor) || kind.is_log_upload() {
        return Err(RenderError::NotServed { kind, vendor });
    }
    let mac = device.mac.to_string();
    let ctx = match (vendor, kind) {
        (Vendor::Yealink, DeviceFileKind::YealinkBoot) => context! {
            file => "device_boot",
            mac => &mac,
            config_url => format!("{}/{}", base_url_of(base_url)?, device_file_name(DeviceFileKind::MacCfg, device.mac)),
        },
        (Vendor::Polycom, DeviceFileKind::MacCfg) => context! {
            file => "master",
            mac => &mac,
            settings_file => device_file_name(DeviceFileKind::PolycomSettings, device.mac),
        },
        _ => {
            let file = match vendor {
                Vendor::Yealink => "device_cfg",
                Vendor::Polycom => "settings",
                Vendor::Grandstream => "device_cfg",
            };
            settings_context(file, device, sip, secrets)?
        }
    };
    render(vendor, ctx)
}

/// The public provisioning URL without its trailing slash, checked to be writable inside
/// a quoted include line.
fn base_url_of(base_url: &str) -> Result<&str, RenderError> {
    let url = base_url.trim_end_matches('/');
    let rest =
        url.strip_prefix("https://").or_else(|| url.strip_prefix("http://")).ok_or(RenderError::InvalidBaseUrl)?;
    if rest.is_empty() || !url.bytes().all(|b| (0x21..=0x7e).contains(&b) && !b"\"<>\\'`".contains(&b)) {
        return Err(RenderError::InvalidBaseUrl);
    }
    Ok(url)
}

fn settings_context(
    file: &str,
    device: &Device<'_>,
    sip: &SipService<'_>,
    secrets: Secrets,
) -> Result<Value, RenderError> {
    let vendor = device.vendor;
    let max = max_lines(vendor);
    let lines = device.lines.len();
    if lines > max {
        return Err(RenderError::TooManyLines { vendor, max, lines });
    }
    if let Some(line) = device.mwi.line {
        if line == 0 || line > lines {
            return Err(RenderError::MwiLineOutOfRange { line, lines });
        }
    }
    let line_values = device.lines.iter().enumerate().map(|(i, line)| {
        let mwi = device.mwi.enabled && device.mwi.line.is_none_or(|l| l == i + 1);
        context! {
            sip_username => line.sip_username,
            sip_password => match secrets {
                Secrets::Include => line.sip_password,
                Secrets::Redact => REDACTED,
            },
            display_name => line.display_name.unwrap_or(line.number),
            label => line.number,
            mwi => mwi,
        }
    });
    // Yealink and Grandstream keep settings a file no longer mentions, so their templates
    // also write every account slot without a line, switched off and emptied (F9: a line
    // removed from a device is gone from the phone). Polycom rebuilds its configuration
    // from the files at each boot, so it only gets the lines.
    let accounts: Value = match vendor {
        Vendor::Polycom => line_values.collect(),
        Vendor::Yealink | Vendor::Grandstream => {
            line_values.map(Some).chain(std::iter::repeat_n(None, max - lines)).collect()
        }
    };
    let r = sip.registrar;
    let host_port =
        if r.host.contains(':') { format!("[{}]:{}", r.host, r.port) } else { format!("{}:{}", r.host, r.port) };
    Ok(context! {
        file => file,
        mac => device.mac.to_string(),
        accounts => accounts,
        missed_calls => device.missed_calls,
        domain => sip.domain,
        registrar_host => r.host,
        registrar_port => r.port,
        registrar_host_port => host_port,
        transport => r.transport.as_str(),
        outbound_proxy => !r.host.eq_ignore_ascii_case(sip.domain),
    })
}

#[cfg(test)]
mod tests;
