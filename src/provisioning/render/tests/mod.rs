use std::collections::BTreeMap;

pub(super) use super::*;

pub(super) fn mac() -> MacAddress {
    MacAddress::parse("0015651234ab").unwrap()
}

pub(super) const LINES: [Line<'static>; 4] = [
    Line {
        sip_username: "4930100",
        sip_password: "pw-one-aaaaaaaaaaaaaaaa",
        display_name: Some("Alice"),
        number: "+4930100",
    },
    Line { sip_username: "4930101", sip_password: "pw-two-bbbbbbbbbbbbbbbb", display_name: None, number: "+4930101" },
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

pub(super) const SIP: SipService<'static> = SipService {
    domain: "voice.example.net",
    registrar: Registrar { host: "sbc.example.net", port: 5061, transport: Transport::Tls },
};

pub(super) const SAME_HOST: SipService<'static> = SipService {
    domain: "voice.example.net",
    registrar: Registrar { host: "voice.example.net", port: 5060, transport: Transport::Udp },
};

pub(super) const BASE: &str = "https://prov.example.net/provisioning/";

/// Missed calls logged, MWI lit by line 2 (or by every line when there is no line 2).
pub(super) fn device<'a>(vendor: Vendor, mac: &'a MacAddress, lines: &'a [Line<'a>]) -> Device<'a> {
    let mwi = Mwi { enabled: true, line: (lines.len() >= 2).then_some(2) };
    Device { mac, vendor, missed_calls: true, mwi, lines }
}

pub(super) fn settings(device: &Device<'_>, sip: &SipService<'_>, secrets: Secrets) -> String {
    let r = render_settings(device, sip, BASE, secrets).unwrap();
    String::from_utf8(r.body).unwrap()
}

/// Yealink `key = value` lines as a map; comments and blank lines skipped, the header
/// line checked first.
pub(super) fn yealink_keys(text: &str) -> BTreeMap<String, String> {
    assert!(text.starts_with("#!version:1.0.0.1\n"), "{text}");
    let mut map = BTreeMap::new();
    for line in text.lines().filter(|l| !l.is_empty() && !l.starts_with('#')) {
        let (k, v) = line.split_once(" = ").unwrap_or_else(|| panic!("not key = value: {line:?}"));
        assert!(map.insert(k.to_owned(), v.to_owned()).is_none(), "{k} twice");
    }
    map
}

/// Every attribute of every element, for Polycom's attribute-per-setting files.
pub(super) fn xml_attributes(text: &str) -> BTreeMap<String, String> {
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
pub(super) fn grandstream_values(text: &str) -> BTreeMap<String, String> {
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

pub(super) fn get<'m>(map: &'m BTreeMap<String, String>, key: &str) -> &'m str {
    map.get(key).map(String::as_str).unwrap_or_else(|| panic!("{key} missing"))
}

mod vendors;

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
    for bad in ["Alice\naccount.1.password = x", "Alice\r", "tab\there", "nul\0", "del\u{7f}", "ls\u{2028}", "\u{85}"] {
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
    assert!(text.contains("\ninclude:config \"https://prov.example.net/provisioning/0015651234ab.cfg\"\n"), "{text}");
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
