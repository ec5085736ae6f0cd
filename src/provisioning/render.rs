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

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    Udp,
    Tcp,
    Tls,
}

impl Transport {
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Udp => "udp",
            Transport::Tcp => "tcp",
            Transport::Tls => "tls",
        }
    }

    pub fn parse(s: &str) -> Option<Transport> {
        match s {
            "udp" => Some(Transport::Udp),
            "tcp" => Some(Transport::Tcp),
            "tls" => Some(Transport::Tls),
            _ => None,
        }
    }
}

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
    env.add_template(YEALINK, include_str!("templates/yealink.cfg")).map_err(|e| e.to_string())?;
    env.add_template(POLYCOM, include_str!("templates/polycom.xml")).map_err(|e| e.to_string())?;
    env.add_template(GRANDSTREAM, include_str!("templates/grandstream.xml")).map_err(|e| e.to_string())?;
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
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn mac() -> MacAddress {
        MacAddress::parse("0015651234ab").unwrap()
    }

    const LINES: [Line<'static>; 4] = [
        Line {
            sip_username: "4930100",
            sip_password: "pw-one-aaaaaaaaaaaaaaaa",
            display_name: Some("Alice"),
            number: "+4930100",
        },
        Line {
            sip_username: "4930101",
            sip_password: "pw-two-bbbbbbbbbbbbbbbb",
            display_name: None,
            number: "+4930101",
        },
        Line {
            sip_username: "4930102",
            sip_password: "pw-three-cccccccccccccc",
            display_name: Some("Carol"),
            number: "+4930102",
        },
        Line {
            sip_username: "4930103",
            sip_password: "pw-four-ddddddddddddddd",
            display_name: Some("Dave"),
            number: "+4930103",
        },
    ];

    const SIP: SipService<'static> = SipService {
        domain: "voice.example.net",
        registrar: Registrar { host: "sbc.example.net", port: 5061, transport: Transport::Tls },
    };

    const SAME_HOST: SipService<'static> = SipService {
        domain: "voice.example.net",
        registrar: Registrar { host: "voice.example.net", port: 5060, transport: Transport::Udp },
    };

    const BASE: &str = "https://prov.example.net/provisioning/";

    /// Missed calls logged, MWI lit by line 2 (or by every line when there is no line 2).
    fn device<'a>(vendor: Vendor, mac: &'a MacAddress, lines: &'a [Line<'a>]) -> Device<'a> {
        let mwi = Mwi { enabled: true, line: (lines.len() >= 2).then_some(2) };
        Device { mac, vendor, missed_calls: true, mwi, lines }
    }

    fn settings(device: &Device<'_>, sip: &SipService<'_>, secrets: Secrets) -> String {
        let r = render_settings(device, sip, BASE, secrets).unwrap();
        String::from_utf8(r.body).unwrap()
    }

    /// Yealink `key = value` lines as a map; comments and blank lines skipped, the header
    /// line checked first.
    fn yealink_keys(text: &str) -> BTreeMap<String, String> {
        assert!(text.starts_with("#!version:1.0.0.1\n"), "{text}");
        let mut map = BTreeMap::new();
        for line in text.lines().filter(|l| !l.is_empty() && !l.starts_with('#')) {
            let (k, v) = line.split_once(" = ").unwrap_or_else(|| panic!("not key = value: {line:?}"));
            assert!(map.insert(k.to_owned(), v.to_owned()).is_none(), "{k} twice");
        }
        map
    }

    /// Every attribute of every element, for Polycom's attribute-per-setting files.
    fn xml_attributes(text: &str) -> BTreeMap<String, String> {
        let doc = roxmltree::Document::parse(text).unwrap();
        let mut map = BTreeMap::new();
        for node in doc.descendants().filter(|n| n.is_element()) {
            for a in node.attributes() {
                assert!(map.insert(a.name().to_owned(), a.value().to_owned()).is_none(), "{} twice", a.name());
            }
        }
        map
    }

    /// Grandstream's `<config>` children as P-value -> text.
    fn grandstream_values(text: &str) -> BTreeMap<String, String> {
        let doc = roxmltree::Document::parse(text).unwrap();
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "gs_provision");
        let config = root.children().find(|n| n.has_tag_name("config")).unwrap();
        let mut map = BTreeMap::new();
        for node in config.children().filter(|n| n.is_element()) {
            let name = node.tag_name().name().to_owned();
            assert!(map.insert(name.clone(), node.text().unwrap_or("").to_owned()).is_none(), "{name} twice");
        }
        map
    }

    fn get<'m>(map: &'m BTreeMap<String, String>, key: &str) -> &'m str {
        map.get(key).map(String::as_str).unwrap_or_else(|| panic!("{key} missing"))
    }

    #[test]
    fn f6_yealink_registers_each_line_in_order_through_the_registrar() {
        let mac = mac();
        let text = settings(&device(Vendor::Yealink, &mac, &LINES), &SIP, Secrets::Include);
        let keys = yealink_keys(&text);
        for (i, line) in LINES.iter().enumerate() {
            let n = i + 1;
            let k = |s: &str| format!("account.{n}.{s}");
            assert_eq!(get(&keys, &k("enable")), "1");
            assert_eq!(get(&keys, &k("label")), line.number);
            assert_eq!(get(&keys, &k("display_name")), line.display_name.unwrap_or(line.number));
            assert_eq!(get(&keys, &k("auth_name")), line.sip_username);
            assert_eq!(get(&keys, &k("user_name")), line.sip_username);
            assert_eq!(get(&keys, &k("password")), line.sip_password);
            assert_eq!(get(&keys, &k("sip_server.1.address")), "voice.example.net");
            assert_eq!(get(&keys, &k("sip_server.1.port")), "5061");
            assert_eq!(get(&keys, &k("sip_server.1.transport_type")), "2");
            assert_eq!(get(&keys, &k("outbound_proxy_enable")), "1");
            assert_eq!(get(&keys, &k("outbound_proxy.1.address")), "sbc.example.net");
            assert_eq!(get(&keys, &k("outbound_proxy.1.port")), "5061");
            assert_eq!(get(&keys, &k("subscribe_mwi")), if n == 2 { "1" } else { "0" });
            assert_eq!(get(&keys, &k("subscribe_mwi_to_vm")), "0");
            assert_eq!(get(&keys, &k("missed_calllog")), "1");
        }
        // F9: the slots without a line are switched off and emptied.
        for n in 5..=16 {
            assert_eq!(get(&keys, &format!("account.{n}.enable")), "0");
            assert_eq!(get(&keys, &format!("account.{n}.password")), "%NULL%");
            assert_eq!(get(&keys, &format!("account.{n}.user_name")), "%NULL%");
        }
        assert!(!keys.contains_key("account.17.enable"));
    }

    #[test]
    fn yealink_uses_no_outbound_proxy_when_the_registrar_is_the_domain() {
        let mac = mac();
        let keys = yealink_keys(&settings(&device(Vendor::Yealink, &mac, &LINES[..1]), &SAME_HOST, Secrets::Include));
        assert_eq!(get(&keys, "account.1.sip_server.1.address"), "voice.example.net");
        assert_eq!(get(&keys, "account.1.sip_server.1.port"), "5060");
        assert_eq!(get(&keys, "account.1.sip_server.1.transport_type"), "0");
        assert_eq!(get(&keys, "account.1.outbound_proxy_enable"), "0");
        assert!(!keys.contains_key("account.1.outbound_proxy.1.address"));
    }

    #[test]
    fn transports_map_to_each_vendors_codes() {
        let mac = mac();
        for (transport, yealink, polycom, grandstream) in [
            (Transport::Udp, "0", "UDPOnly", "0"),
            (Transport::Tcp, "1", "TCPOnly", "1"),
            (Transport::Tls, "2", "TLS", "2"),
        ] {
            let sip = SipService { registrar: Registrar { transport, ..SIP.registrar }, ..SIP };
            let y = yealink_keys(&settings(&device(Vendor::Yealink, &mac, &LINES[..1]), &sip, Secrets::Include));
            assert_eq!(get(&y, "account.1.sip_server.1.transport_type"), yealink);
            let p = xml_attributes(&settings(&device(Vendor::Polycom, &mac, &LINES[..1]), &sip, Secrets::Include));
            assert_eq!(get(&p, "reg.1.server.1.transport"), polycom);
            let g =
                grandstream_values(&settings(&device(Vendor::Grandstream, &mac, &LINES[..1]), &sip, Secrets::Include));
            assert_eq!(get(&g, "P130"), grandstream);
        }
    }

    #[test]
    fn f6_polycom_registers_each_line_in_order_at_the_registrar() {
        let mac = mac();
        let text = settings(&device(Vendor::Polycom, &mac, &LINES), &SIP, Secrets::Include);
        let attrs = xml_attributes(&text);
        for (i, line) in LINES.iter().enumerate() {
            let n = i + 1;
            let k = |s: &str| format!("reg.{n}.{s}");
            assert_eq!(get(&attrs, &k("address")), format!("{}@voice.example.net", line.sip_username));
            assert_eq!(get(&attrs, &k("auth.userId")), line.sip_username);
            assert_eq!(get(&attrs, &k("auth.password")), line.sip_password);
            assert_eq!(get(&attrs, &k("displayName")), line.display_name.unwrap_or(line.number));
            assert_eq!(get(&attrs, &k("label")), line.number);
            assert_eq!(get(&attrs, &k("server.1.address")), "sbc.example.net");
            assert_eq!(get(&attrs, &k("server.1.port")), "5061");
            assert_eq!(get(&attrs, &k("server.1.transport")), "TLS");
            let mwi = if n == 2 { format!("{}@voice.example.net", line.sip_username) } else { String::new() };
            assert_eq!(get(&attrs, &format!("msg.mwi.{n}.subscribe")), mwi);
            assert_eq!(
                get(&attrs, &format!("msg.mwi.{n}.callBackMode")),
                if n == 2 { "registration" } else { "disabled" }
            );
            assert_eq!(get(&attrs, &format!("call.missedCallTracking.{n}.enabled")), "1");
        }
        assert!(!attrs.contains_key("reg.5.address"));
    }

    #[test]
    fn polycom_masters_name_the_settings_file() {
        let mac = mac();
        let d = device(Vendor::Polycom, &mac, &LINES);
        let master = render_device_file(DeviceFileKind::MacCfg, &d, &SIP, BASE, Secrets::Include).unwrap();
        let master = String::from_utf8(master.body).unwrap();
        let attrs = xml_attributes(&master);
        assert_eq!(get(&attrs, "CONFIG_FILES"), "0015651234ab-siprov.cfg");
        assert_eq!(get(&attrs, "APP_FILE_PATH"), "sip.ld");
        assert!(!master.contains("pw-"));
        let default = String::from_utf8(render_shared_file(SharedFile::PolycomDefaultMaster).unwrap().body).unwrap();
        let attrs = xml_attributes(&default);
        let named = get(&attrs, "CONFIG_FILES").replace("[PHONE_MAC_ADDRESS]", "0015651234ab");
        assert_eq!(
            crate::provisioning::files::ProvisioningFile::parse(&named),
            Some(crate::provisioning::files::ProvisioningFile::Device(crate::provisioning::files::DeviceFile {
                kind: DeviceFileKind::PolycomSettings,
                mac: mac.clone(),
            }))
        );
    }

    #[test]
    fn f6_grandstream_registers_each_line_in_its_accounts_p_values() {
        let mac = mac();
        let text = settings(&device(Vendor::Grandstream, &mac, &LINES), &SIP, Secrets::Include);
        let doc = roxmltree::Document::parse(&text).unwrap();
        let mac_node = doc.root_element().children().find(|n| n.has_tag_name("mac")).unwrap();
        assert_eq!(mac_node.text(), Some("0015651234ab"));
        let p = grandstream_values(&text);
        // account: active, name, server, proxy, user id, auth id, password, display name,
        // transport, MWI, call log, registration
        let table = [
            ["P271", "P270", "P47", "P48", "P35", "P36", "P34", "P3", "P130", "P99", "P182", "P31"],
            ["P401", "P417", "P402", "P403", "P404", "P405", "P406", "P407", "P448", "P415", "P442", "P410"],
            ["P501", "P517", "P502", "P503", "P504", "P505", "P506", "P507", "P548", "P515", "P542", "P510"],
            ["P601", "P617", "P602", "P603", "P604", "P605", "P606", "P607", "P648", "P615", "P642", "P610"],
        ];
        for (i, (line, keys)) in LINES.iter().zip(table).enumerate() {
            let [active, name, server, proxy, user, auth, password, display, transport, mwi, log, reg] = keys;
            assert_eq!(get(&p, active), "1");
            assert_eq!(get(&p, name), line.number);
            assert_eq!(get(&p, server), "voice.example.net:5061");
            assert_eq!(get(&p, proxy), "sbc.example.net:5061");
            assert_eq!(get(&p, user), line.sip_username);
            assert_eq!(get(&p, auth), line.sip_username);
            assert_eq!(get(&p, password), line.sip_password);
            assert_eq!(get(&p, display), line.display_name.unwrap_or(line.number));
            assert_eq!(get(&p, transport), "2");
            assert_eq!(get(&p, mwi), if i == 1 { "1" } else { "0" });
            assert_eq!(get(&p, log), "0");
            assert_eq!(get(&p, reg), "1");
        }
        // F9: accounts 5 and 6 are switched off and emptied.
        for (active, password, user) in [("P1701", "P1706", "P1704"), ("P1801", "P1806", "P1804")] {
            assert_eq!(get(&p, active), "0");
            assert_eq!(get(&p, password), "");
            assert_eq!(get(&p, user), "");
        }
    }

    #[test]
    fn grandstream_without_outbound_proxy_sends_to_the_registrar_directly() {
        let mac = mac();
        let ipv6 = SipService {
            domain: "2001:db8::5",
            registrar: Registrar { host: "2001:db8::5", port: 5060, transport: Transport::Udp },
        };
        let p = grandstream_values(&settings(
            &device(Vendor::Grandstream, &mac, &LINES[..1]),
            &SAME_HOST,
            Secrets::Include,
        ));
        assert_eq!(get(&p, "P47"), "voice.example.net:5060");
        assert_eq!(get(&p, "P48"), "");
        let p = grandstream_values(&settings(&device(Vendor::Grandstream, &mac, &LINES[..1]), &ipv6, Secrets::Include));
        assert_eq!(get(&p, "P47"), "[2001:db8::5]:5060");
    }

    #[test]
    fn every_vendor_renders_as_many_lines_as_its_template_knows_and_refuses_one_more() {
        let mac = mac();
        for vendor in [Vendor::Yealink, Vendor::Polycom, Vendor::Grandstream] {
            let max = max_lines(vendor);
            let many: Vec<Line<'_>> = (0..=max).map(|i| LINES[i % 4]).collect();
            let d = Device { mwi: Mwi { enabled: true, line: Some(max) }, ..device(vendor, &mac, &many[..max]) };
            let text = settings(&d, &SIP, Secrets::Include);
            assert!(text.contains(LINES[0].sip_password), "{vendor}");
            let d = device(vendor, &mac, &many);
            assert_eq!(
                render_settings(&d, &SIP, BASE, Secrets::Include),
                Err(RenderError::TooManyLines { vendor, max, lines: max + 1 })
            );
        }
        // Grandstream's last known account is 6: P1801..P1848.
        let six: Vec<Line<'_>> = (0..6).map(|i| LINES[i % 4]).collect();
        let p = grandstream_values(&settings(&device(Vendor::Grandstream, &mac, &six), &SIP, Secrets::Include));
        assert_eq!(get(&p, "P1801"), "1");
        assert_eq!(get(&p, "P1804"), LINES[1].sip_username);
        assert_eq!(get(&p, "P1848"), "2");
    }

    #[test]
    fn mwi_and_missed_call_switches_follow_the_device_settings() {
        let mac = mac();
        let cases = [
            (Mwi { enabled: false, line: Some(2) }, [false, false, false, false]),
            (Mwi { enabled: false, line: None }, [false, false, false, false]),
            (Mwi { enabled: true, line: None }, [true, true, true, true]),
            (Mwi { enabled: true, line: Some(4) }, [false, false, false, true]),
        ];
        for missed_calls in [true, false] {
            for (mwi, subscribed) in cases {
                let y = Device { missed_calls, mwi, ..device(Vendor::Yealink, &mac, &LINES) };
                let p = Device { vendor: Vendor::Polycom, ..y };
                let g = Device { vendor: Vendor::Grandstream, ..y };
                let y = yealink_keys(&settings(&y, &SIP, Secrets::Include));
                let p = xml_attributes(&settings(&p, &SIP, Secrets::Include));
                let g = grandstream_values(&settings(&g, &SIP, Secrets::Include));
                for (i, (on, (g_mwi, g_log))) in subscribed
                    .iter()
                    .zip([("P99", "P182"), ("P415", "P442"), ("P515", "P542"), ("P615", "P642")])
                    .enumerate()
                {
                    let n = i + 1;
                    let bit = |b: bool| if b { "1" } else { "0" };
                    assert_eq!(get(&y, &format!("account.{n}.subscribe_mwi")), bit(*on), "{mwi:?} line {n}");
                    assert_eq!(get(&y, &format!("account.{n}.missed_calllog")), bit(missed_calls));
                    assert_eq!(get(&p, &format!("msg.mwi.{n}.subscribe")).is_empty(), !on, "{mwi:?} line {n}");
                    assert_eq!(get(&p, &format!("call.missedCallTracking.{n}.enabled")), bit(missed_calls));
                    assert_eq!(get(&g, g_mwi), bit(*on), "{mwi:?} line {n}");
                    assert_eq!(get(&g, g_log), if missed_calls { "0" } else { "1" });
                }
            }
        }
    }

    #[test]
    fn an_mwi_line_that_is_not_a_line_is_refused() {
        let mac = mac();
        for line in [0, 5] {
            let d = Device { mwi: Mwi { enabled: true, line: Some(line) }, ..device(Vendor::Yealink, &mac, &LINES) };
            assert_eq!(
                render_settings(&d, &SIP, BASE, Secrets::Include),
                Err(RenderError::MwiLineOutOfRange { line, lines: 4 })
            );
        }
    }

    #[test]
    fn rendering_is_deterministic_and_the_etag_follows_the_bytes() {
        let mac = mac();
        for vendor in [Vendor::Yealink, Vendor::Polycom, Vendor::Grandstream] {
            let d = device(vendor, &mac, &LINES);
            let a = render_settings(&d, &SIP, BASE, Secrets::Include).unwrap();
            let b = render_settings(&d, &SIP, BASE, Secrets::Include).unwrap();
            assert_eq!(a, b);
            assert_eq!(a.etag.len(), 34);
            assert!(a.etag.starts_with('"') && a.etag.ends_with('"'));
            assert_eq!(&a.etag[1..33], hex(&Sha256::digest(&a.body)[..16]));
            let fewer = render_settings(&device(vendor, &mac, &LINES[..3]), &SIP, BASE, Secrets::Include).unwrap();
            assert_ne!(a.etag, fewer.etag, "{vendor}: a removed line changes the ETag");
        }
    }

    #[test]
    fn redaction_replaces_every_sip_password_and_nothing_else() {
        let mac = mac();
        for vendor in [Vendor::Yealink, Vendor::Polycom, Vendor::Grandstream] {
            let d = device(vendor, &mac, &LINES);
            let clear = settings(&d, &SIP, Secrets::Include);
            let redacted = settings(&d, &SIP, Secrets::Redact);
            for line in &LINES {
                assert!(clear.contains(line.sip_password));
                assert!(!redacted.contains(line.sip_password), "{vendor}");
                assert!(redacted.contains(line.sip_username));
            }
            let passwords: Vec<String> = match vendor {
                Vendor::Yealink => {
                    let k = yealink_keys(&redacted);
                    (1..=4).map(|n| get(&k, &format!("account.{n}.password")).to_owned()).collect()
                }
                Vendor::Polycom => {
                    let a = xml_attributes(&redacted);
                    (1..=4).map(|n| get(&a, &format!("reg.{n}.auth.password")).to_owned()).collect()
                }
                Vendor::Grandstream => {
                    let p = grandstream_values(&redacted);
                    ["P34", "P406", "P506", "P606"].iter().map(|k| get(&p, k).to_owned()).collect()
                }
            };
            assert_eq!(passwords, vec![REDACTED; 4], "{vendor}");
            // Only the password lines differ.
            let differing = clear.lines().zip(redacted.lines()).filter(|(a, b)| a != b).count();
            assert_eq!(differing, 4, "{vendor}");
        }
    }

    #[test]
    fn markup_characters_in_a_display_name_are_escaped_for_xml_and_kept_for_yealink() {
        let mac = mac();
        let name = r#"R&D <"Lab's"> & more"#;
        let lines = [Line { display_name: Some(name), ..LINES[0] }];
        let y = yealink_keys(&settings(&device(Vendor::Yealink, &mac, &lines), &SIP, Secrets::Include));
        assert_eq!(get(&y, "account.1.display_name"), name);
        let text = settings(&device(Vendor::Polycom, &mac, &lines), &SIP, Secrets::Include);
        assert!(text.contains("R&amp;D &lt;&quot;Lab&apos;s&quot;&gt; &amp; more"));
        assert_eq!(get(&xml_attributes(&text), "reg.1.displayName"), name);
        let text = settings(&device(Vendor::Grandstream, &mac, &lines), &SIP, Secrets::Include);
        assert_eq!(get(&grandstream_values(&text), "P3"), name);
    }

    #[test]
    fn a_value_that_would_break_a_line_or_the_xml_is_refused() {
        let mac = mac();
        for bad in
            ["Alice\naccount.1.password = x", "Alice\r", "tab\there", "nul\0", "del\u{7f}", "ls\u{2028}", "\u{85}"]
        {
            let lines = [Line { display_name: Some(bad), ..LINES[0] }];
            for vendor in [Vendor::Yealink, Vendor::Polycom, Vendor::Grandstream] {
                let result = render_settings(&device(vendor, &mac, &lines), &SIP, BASE, Secrets::Include);
                let Err(RenderError::Unrenderable(message)) = result else {
                    panic!("{vendor} must refuse {bad:?}, got {result:?}");
                };
                assert!(!message.contains(bad), "the error must not echo the value");
            }
        }
        let domain = SipService { domain: "evil\nexample.net", ..SIP };
        let result = render_settings(&device(Vendor::Yealink, &mac, &LINES), &domain, BASE, Secrets::Include);
        assert!(matches!(result, Err(RenderError::Unrenderable(_))));
    }

    #[test]
    fn f5_shared_files_carry_no_secret_and_no_device_data() {
        for file in [
            SharedFile::YealinkCommonBoot,
            SharedFile::YealinkModelCommon { code: 66 },
            SharedFile::YealinkModelCommon { code: 108 },
            SharedFile::PolycomDefaultMaster,
        ] {
            let r = render_shared_file(file).unwrap();
            let text = String::from_utf8(r.body.clone()).unwrap();
            for word in ["password", "pw-", "0015651234ab", "account.", "reg.", "4930100"] {
                assert!(!text.contains(word), "{file:?} contains {word:?}");
            }
            assert_eq!(r, render_shared_file(file).unwrap());
            match file.vendor() {
                Vendor::Yealink => assert!(yealink_keys(&text).is_empty(), "{text}"),
                _ => drop(xml_attributes(&text)),
            }
        }
    }

    #[test]
    fn yealink_boot_files_name_the_next_file_by_its_url() {
        let mac = mac();
        let d = device(Vendor::Yealink, &mac, &LINES);
        let boot = render_device_file(DeviceFileKind::YealinkBoot, &d, &SIP, BASE, Secrets::Include).unwrap();
        let text = String::from_utf8(boot.body).unwrap();
        assert!(text.starts_with("#!version:1.0.0.1\n"));
        assert!(
            text.contains("\ninclude:config \"https://prov.example.net/provisioning/0015651234ab.cfg\"\n"),
            "{text}"
        );
        assert!(text.contains("\noverwrite_mode = 1\n"));
        assert!(!text.contains("pw-"));
        let common = String::from_utf8(render_shared_file(SharedFile::YealinkCommonBoot).unwrap().body).unwrap();
        assert!(common.starts_with("#!version:1.0.0.1\n"));
        assert!(!common.contains("include:"));
    }

    #[test]
    fn a_base_url_that_is_not_a_plain_http_url_is_refused() {
        let mac = mac();
        let d = device(Vendor::Yealink, &mac, &LINES);
        for bad in ["", "prov.example.net", "ftp://x", "https://", "https://a b", "https://x/\"y", "https://x/\n"] {
            assert_eq!(
                render_device_file(DeviceFileKind::YealinkBoot, &d, &SIP, bad, Secrets::Include),
                Err(RenderError::InvalidBaseUrl),
                "{bad:?}"
            );
        }
        for good in ["http://10.0.0.1:8080/provisioning", "https://prov.example.net/provisioning/"] {
            assert!(render_device_file(DeviceFileKind::YealinkBoot, &d, &SIP, good, Secrets::Include).is_ok());
        }
    }

    #[test]
    fn a_file_of_another_vendor_or_an_upload_is_not_rendered() {
        let mac = mac();
        for (kind, vendor) in [
            (DeviceFileKind::YealinkBoot, Vendor::Polycom),
            (DeviceFileKind::MacCfg, Vendor::Grandstream),
            (DeviceFileKind::PolycomSettings, Vendor::Yealink),
            (DeviceFileKind::GrandstreamCfg, Vendor::Yealink),
            (DeviceFileKind::PolycomAppLog, Vendor::Polycom),
            (DeviceFileKind::PolycomBootLog, Vendor::Polycom),
        ] {
            assert_eq!(
                render_device_file(kind, &device(vendor, &mac, &LINES), &SIP, BASE, Secrets::Include),
                Err(RenderError::NotServed { kind, vendor })
            );
        }
    }

    #[test]
    fn a_device_without_lines_renders_every_account_switched_off() {
        let mac = mac();
        let y = yealink_keys(&settings(&device(Vendor::Yealink, &mac, &[]), &SIP, Secrets::Include));
        assert!((1..=16).all(|n| get(&y, &format!("account.{n}.enable")) == "0"));
        let g = grandstream_values(&settings(&device(Vendor::Grandstream, &mac, &[]), &SIP, Secrets::Include));
        assert!(["P271", "P401", "P501", "P601", "P1701", "P1801"].iter().all(|k| get(&g, k) == "0"));
        let p = xml_attributes(&settings(&device(Vendor::Polycom, &mac, &[]), &SIP, Secrets::Include));
        assert!(p.keys().all(|k| !k.starts_with("reg.")));
    }

    #[test]
    fn the_vendor_content_types_match_the_formats() {
        let mac = mac();
        let r = render_settings(&device(Vendor::Yealink, &mac, &LINES), &SIP, BASE, Secrets::Include).unwrap();
        assert_eq!(r.content_type, "text/plain; charset=utf-8");
        let r = render_settings(&device(Vendor::Polycom, &mac, &LINES), &SIP, BASE, Secrets::Include).unwrap();
        assert_eq!(r.content_type, "application/xml; charset=utf-8");
    }

    /// Not a benchmark and asserts nothing about time: prints what rendering a 4-line
    /// device costs here (`cargo test --release --lib -- --ignored --nocapture`).
    #[test]
    #[ignore = "prints timings only"]
    fn print_the_cost_of_a_four_line_render() {
        let mac = mac();
        let n = 10_000;
        for vendor in [Vendor::Yealink, Vendor::Polycom, Vendor::Grandstream] {
            let d = device(vendor, &mac, &LINES);
            let start = std::time::Instant::now();
            for _ in 0..n {
                std::hint::black_box(render_settings(std::hint::black_box(&d), &SIP, BASE, Secrets::Include).ok());
            }
            println!("{vendor}: {:?} per 4-line render", start.elapsed() / n);
        }
    }
}
