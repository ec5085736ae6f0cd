//! The file names phones ask for under `GET /provisioning/{file}` (and the two log files
//! Polycom phones `PUT` there), parsed strictly.
//!
//! A name is either a vendor's **shared** file (boot, model-common, default master: no
//! secret, the same bytes for every phone, served to any authenticated phone, rule F5) or a
//! **per-device** file that names one MAC (served only to the phone that authenticated with
//! that MAC, and only if the device's vendor uses that file). Anything that is not exactly
//! one of these names is "no such file": the parser never panics, never normalises (no
//! upper-case hex, no colons, no percent-decoding, no path segments), so a name that reaches
//! the database lookup is always a canonical MAC.

use std::fmt;

use crate::domain::MacAddress;

/// Longer names are refused before any other work: the longest real name,
/// `{mac}-siprov.cfg`, has 23 characters.
pub const MAX_FILE_NAME_LEN: usize = 64;

/// The phone vendors siprov renders configuration for (F6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Vendor {
    Yealink,
    Polycom,
    Grandstream,
}

/// A device's `vendor` that siprov has no template for; the HTTP layer answers 404 (F6).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("no provisioning template for vendor {0:?}")]
pub struct UnknownVendor(pub String);

impl Vendor {
    /// Case-insensitive, as device records store whatever case the client sent (F6).
    pub fn parse(name: &str) -> Result<Vendor, UnknownVendor> {
        if name.eq_ignore_ascii_case("yealink") {
            Ok(Vendor::Yealink)
        } else if name.eq_ignore_ascii_case("polycom") {
            Ok(Vendor::Polycom)
        } else if name.eq_ignore_ascii_case("grandstream") {
            Ok(Vendor::Grandstream)
        } else {
            Err(UnknownVendor(name.to_owned()))
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Vendor::Yealink => "yealink",
            Vendor::Polycom => "polycom",
            Vendor::Grandstream => "grandstream",
        }
    }

    /// The per-device file that carries this vendor's SIP registrations: what a phone
    /// ends up reading, and what `GET /v1/devices/{id}/config` shows (redacted).
    pub fn settings_file(self) -> DeviceFileKind {
        match self {
            Vendor::Yealink => DeviceFileKind::MacCfg,
            Vendor::Polycom => DeviceFileKind::PolycomSettings,
            Vendor::Grandstream => DeviceFileKind::GrandstreamCfg,
        }
    }
}

impl fmt::Display for Vendor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A file that is the same for every phone of its vendor and carries no secret (F5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SharedFile {
    /// `y000000000000.boot`: what a Yealink phone reads when it finds no `{mac}.boot`.
    YealinkCommonBoot,
    /// `y000000000NNN.cfg`: a Yealink model family's common configuration, which phones
    /// without a boot file fetch before `{mac}.cfg`. `code` is Yealink's hardware code
    /// (1..=999; e.g. 66 for the T46S, 108 for the T46U), written with 12 digits.
    YealinkModelCommon { code: u16 },
    /// `000000000000.cfg`: Polycom's default master configuration, for phones that find
    /// no `{mac}.cfg`.
    PolycomDefaultMaster,
}

impl SharedFile {
    pub fn vendor(self) -> Vendor {
        match self {
            SharedFile::YealinkCommonBoot | SharedFile::YealinkModelCommon { .. } => Vendor::Yealink,
            SharedFile::PolycomDefaultMaster => Vendor::Polycom,
        }
    }
}

/// What a per-device file is; the MAC it names travels beside it in [`DeviceFile`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DeviceFileKind {
    /// `{mac}.boot`: Yealink's per-device boot file, naming `{mac}.cfg`.
    YealinkBoot,
    /// `{mac}.cfg`: Yealink's per-device configuration **or** Polycom's per-phone master
    /// configuration. The name alone cannot tell; the device's vendor decides.
    MacCfg,
    /// `{mac}-siprov.cfg`: the Polycom settings file that the master names in CONFIG_FILES.
    PolycomSettings,
    /// `{mac}-app.log`: Polycom's application log upload (`PUT`; accepted, not kept).
    PolycomAppLog,
    /// `{mac}-boot.log`: Polycom's boot log upload (`PUT`; accepted, not kept).
    PolycomBootLog,
    /// `cfg{mac}.xml`: Grandstream's per-device configuration.
    GrandstreamCfg,
}

impl DeviceFileKind {
    /// Whether a device of `vendor` uses this file. A Polycom phone asking for a Yealink
    /// boot file with its own MAC gets 404, like any other file that does not exist.
    pub fn served_for(self, vendor: Vendor) -> bool {
        match self {
            DeviceFileKind::YealinkBoot => vendor == Vendor::Yealink,
            DeviceFileKind::MacCfg => matches!(vendor, Vendor::Yealink | Vendor::Polycom),
            DeviceFileKind::PolycomSettings | DeviceFileKind::PolycomAppLog | DeviceFileKind::PolycomBootLog => {
                vendor == Vendor::Polycom
            }
            DeviceFileKind::GrandstreamCfg => vendor == Vendor::Grandstream,
        }
    }

    /// Log files are uploaded with `PUT` (answered 204 and dropped); every other file is
    /// fetched with `GET`. The HTTP layer answers 405 for the other method.
    pub fn is_log_upload(self) -> bool {
        matches!(self, DeviceFileKind::PolycomAppLog | DeviceFileKind::PolycomBootLog)
    }
}

/// A per-device file and the MAC its name carries (F5: served only to that MAC).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DeviceFile {
    pub kind: DeviceFileKind,
    pub mac: MacAddress,
}

/// A name under `/provisioning/` that siprov knows.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ProvisioningFile {
    Shared(SharedFile),
    Device(DeviceFile),
}

impl ProvisioningFile {
    /// Parses the last path segment exactly as the phone sent it (the HTTP layer must pass
    /// the raw, undecoded segment). `None` is "no such file".
    pub fn parse(name: &str) -> Option<ProvisioningFile> {
        if name.len() > MAX_FILE_NAME_LEN {
            return None;
        }
        match name {
            "y000000000000.boot" => return Some(ProvisioningFile::Shared(SharedFile::YealinkCommonBoot)),
            "000000000000.cfg" => return Some(ProvisioningFile::Shared(SharedFile::PolycomDefaultMaster)),
            _ => {}
        }
        if let Some(code) = yealink_model_code(name) {
            return Some(ProvisioningFile::Shared(SharedFile::YealinkModelCommon { code }));
        }
        let device = |kind, mac: &str| {
            let mac = canonical_mac(mac)?;
            Some(ProvisioningFile::Device(DeviceFile { kind, mac }))
        };
        if let Some(mac) = name.strip_prefix("cfg").and_then(|rest| rest.strip_suffix(".xml")) {
            return device(DeviceFileKind::GrandstreamCfg, mac);
        }
        // Every other per-device name is the MAC followed by a fixed suffix.
        let (mac, suffix) = name.split_at_checked(12)?;
        let kind = match suffix {
            ".boot" => DeviceFileKind::YealinkBoot,
            ".cfg" => DeviceFileKind::MacCfg,
            "-siprov.cfg" => DeviceFileKind::PolycomSettings,
            "-app.log" => DeviceFileKind::PolycomAppLog,
            "-boot.log" => DeviceFileKind::PolycomBootLog,
            _ => return None,
        };
        device(kind, mac)
    }

    /// The name this file is fetched under: the inverse of [`ProvisioningFile::parse`].
    pub fn name(&self) -> String {
        match self {
            ProvisioningFile::Shared(SharedFile::YealinkCommonBoot) => "y000000000000.boot".to_owned(),
            ProvisioningFile::Shared(SharedFile::YealinkModelCommon { code }) => format!("y{code:012}.cfg"),
            ProvisioningFile::Shared(SharedFile::PolycomDefaultMaster) => "000000000000.cfg".to_owned(),
            ProvisioningFile::Device(DeviceFile { kind, mac }) => device_file_name(*kind, mac),
        }
    }
}

/// The name of `kind` for the device with `mac` (used by templates that name the next file).
pub fn device_file_name(kind: DeviceFileKind, mac: &MacAddress) -> String {
    match kind {
        DeviceFileKind::YealinkBoot => format!("{mac}.boot"),
        DeviceFileKind::MacCfg => format!("{mac}.cfg"),
        DeviceFileKind::PolycomSettings => format!("{mac}-siprov.cfg"),
        DeviceFileKind::PolycomAppLog => format!("{mac}-app.log"),
        DeviceFileKind::PolycomBootLog => format!("{mac}-boot.log"),
        DeviceFileKind::GrandstreamCfg => format!("cfg{mac}.xml"),
    }
}

/// Exactly 12 lowercase hex digits: the only spelling a phone's file name may use. The
/// all-zero MAC is no device (it is Polycom's default master's name).
fn canonical_mac(s: &str) -> Option<MacAddress> {
    if s.len() != 12 || !s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) || s == "000000000000" {
        return None;
    }
    MacAddress::parse(s)
}

/// `y` + 12 decimal digits + `.cfg`, the number being a model code in 1..=999 (Yealink's
/// codes have grown past two digits: 108 is the T46U, 123 the T31G).
fn yealink_model_code(name: &str) -> Option<u16> {
    let digits = name.strip_prefix('y')?.strip_suffix(".cfg")?;
    let code = digits.strip_prefix("000000000")?;
    if digits.len() != 12 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let code: u16 = code.parse().ok()?;
    (code != 0).then_some(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAC: &str = "0015651234ab";

    fn device(name: &str) -> Option<(DeviceFileKind, String)> {
        match ProvisioningFile::parse(name)? {
            ProvisioningFile::Device(DeviceFile { kind, mac }) => Some((kind, mac.to_string())),
            ProvisioningFile::Shared(_) => None,
        }
    }

    #[test]
    fn every_per_device_name_parses_to_its_kind_and_mac() {
        for (name, kind) in [
            ("0015651234ab.boot", DeviceFileKind::YealinkBoot),
            ("0015651234ab.cfg", DeviceFileKind::MacCfg),
            ("0015651234ab-siprov.cfg", DeviceFileKind::PolycomSettings),
            ("0015651234ab-app.log", DeviceFileKind::PolycomAppLog),
            ("0015651234ab-boot.log", DeviceFileKind::PolycomBootLog),
            ("cfg0015651234ab.xml", DeviceFileKind::GrandstreamCfg),
        ] {
            assert_eq!(device(name), Some((kind, MAC.to_owned())), "{name}");
        }
    }

    #[test]
    fn every_shared_name_parses_to_its_file() {
        for (name, file) in [
            ("y000000000000.boot", SharedFile::YealinkCommonBoot),
            ("y000000000044.cfg", SharedFile::YealinkModelCommon { code: 44 }),
            ("y000000000066.cfg", SharedFile::YealinkModelCommon { code: 66 }),
            ("y000000000108.cfg", SharedFile::YealinkModelCommon { code: 108 }),
            ("000000000000.cfg", SharedFile::PolycomDefaultMaster),
        ] {
            assert_eq!(ProvisioningFile::parse(name), Some(ProvisioningFile::Shared(file)), "{name}");
        }
    }

    #[test]
    fn a_parsed_name_prints_back_to_itself() {
        for name in [
            "y000000000000.boot",
            "y000000000007.cfg",
            "y000000000123.cfg",
            "000000000000.cfg",
            "0015651234ab.boot",
            "0015651234ab.cfg",
            "0015651234ab-siprov.cfg",
            "0015651234ab-app.log",
            "0015651234ab-boot.log",
            "cfg0015651234ab.xml",
        ] {
            assert_eq!(ProvisioningFile::parse(name).map(|f| f.name()).as_deref(), Some(name));
        }
    }

    #[test]
    fn anything_else_is_no_such_file() {
        let long = format!("{}.cfg", "a".repeat(MAX_FILE_NAME_LEN));
        for bad in [
            "",
            ".cfg",
            "0015651234AB.cfg",
            "0015651234Ab.boot",
            "00:15:65:12:34:ab.cfg",
            "00-15-65-12-34-ab.cfg",
            "0015.6512.34ab.cfg",
            "0015651234a.cfg",
            "0015651234abc.cfg",
            "0015651234ag.cfg",
            "0015651234ab.CFG",
            "0015651234ab.cfg ",
            " 0015651234ab.cfg",
            "0015651234ab.cfg\0",
            "0015651234ab\0.cfg",
            "0015651234ab.xml",
            "0015651234ab-user.cfg",
            "0015651234ab-siprov.xml",
            "0015651234ab-app.txt",
            "cfg0015651234AB.xml",
            "cfg0015651234ab.cfg",
            "cfg0015651234ab",
            "cfg.xml",
            "CFG0015651234ab.xml",
            "000000000000.boot",
            "000000000000-siprov.cfg",
            "cfg000000000000.xml",
            "y000000000000.cfg",
            "y00000000044.cfg",
            "y0000000000044.cfg",
            "y000000001000.cfg",
            "y00000000004a.cfg",
            "Y000000000044.cfg",
            "y000000000044.boot",
            "y000000000001.boot",
            "../0015651234ab.cfg",
            "a/0015651234ab.cfg",
            "0015651234ab.cfg/..",
            "..",
            ".",
            "%30015651234ab.cfg",
            "0015651234ab%2ecfg",
            "0015651234ab.cfg%00",
            "0015651234ab.cfg?x=1",
            "００15651234ab.cfg",
            "0015651234ab.cfg\n",
            "é015651234ab.cfg",
            &long,
        ] {
            assert_eq!(ProvisioningFile::parse(bad), None, "{bad:?} must be no such file");
        }
    }

    #[test]
    fn a_multibyte_name_never_panics() {
        // split_at on a char boundary that is not byte 12 would panic; every prefix length
        // around the split must simply be refused.
        for n in 0..16 {
            let name = format!("{}é.cfg", "0".repeat(n));
            let _ = ProvisioningFile::parse(&name);
            let name = format!("{}ééé-siprov.cfg", "a".repeat(n));
            let _ = ProvisioningFile::parse(&name);
        }
    }

    #[test]
    fn mac_cfg_is_served_for_yealink_and_polycom_only() {
        assert!(DeviceFileKind::MacCfg.served_for(Vendor::Yealink));
        assert!(DeviceFileKind::MacCfg.served_for(Vendor::Polycom));
        assert!(!DeviceFileKind::MacCfg.served_for(Vendor::Grandstream));
    }

    #[test]
    fn each_vendor_specific_file_is_served_for_its_vendor_only() {
        let cases = [
            (DeviceFileKind::YealinkBoot, Vendor::Yealink),
            (DeviceFileKind::PolycomSettings, Vendor::Polycom),
            (DeviceFileKind::PolycomAppLog, Vendor::Polycom),
            (DeviceFileKind::PolycomBootLog, Vendor::Polycom),
            (DeviceFileKind::GrandstreamCfg, Vendor::Grandstream),
        ];
        for (kind, owner) in cases {
            for vendor in [Vendor::Yealink, Vendor::Polycom, Vendor::Grandstream] {
                assert_eq!(kind.served_for(vendor), vendor == owner, "{kind:?} for {vendor}");
            }
        }
    }

    #[test]
    fn each_vendor_settings_file_is_served_for_it() {
        for vendor in [Vendor::Yealink, Vendor::Polycom, Vendor::Grandstream] {
            assert!(vendor.settings_file().served_for(vendor));
            assert!(!vendor.settings_file().is_log_upload());
        }
    }

    #[test]
    fn only_polycom_logs_are_uploads() {
        assert!(DeviceFileKind::PolycomAppLog.is_log_upload());
        assert!(DeviceFileKind::PolycomBootLog.is_log_upload());
        assert!(!DeviceFileKind::MacCfg.is_log_upload());
        assert!(!DeviceFileKind::YealinkBoot.is_log_upload());
    }

    #[test]
    fn shared_files_belong_to_their_vendor() {
        assert_eq!(SharedFile::YealinkCommonBoot.vendor(), Vendor::Yealink);
        assert_eq!(SharedFile::YealinkModelCommon { code: 66 }.vendor(), Vendor::Yealink);
        assert_eq!(SharedFile::PolycomDefaultMaster.vendor(), Vendor::Polycom);
    }

    #[test]
    fn f6_vendor_names_are_case_insensitive_and_unknown_ones_are_an_error() {
        for (name, vendor) in
            [("yealink", Vendor::Yealink), ("Polycom", Vendor::Polycom), ("GRANDSTREAM", Vendor::Grandstream)]
        {
            assert_eq!(Vendor::parse(name), Ok(vendor));
        }
        for bad in ["", "snom", "yealink ", "poly", "grandstream\0"] {
            assert_eq!(Vendor::parse(bad), Err(UnknownVendor(bad.to_owned())));
        }
    }
}
