//! Each vendor's registrations, line by line.

use super::*;

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
        let g = grandstream_values(&settings(&device(Vendor::Grandstream, &mac, &LINES[..1]), &sip, Secrets::Include));
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
        assert_eq!(get(&attrs, &format!("msg.mwi.{n}.callBackMode")), if n == 2 { "registration" } else { "disabled" });
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
    let p =
        grandstream_values(&settings(&device(Vendor::Grandstream, &mac, &LINES[..1]), &SAME_HOST, Secrets::Include));
    assert_eq!(get(&p, "P47"), "voice.example.net:5060");
    assert_eq!(get(&p, "P48"), "");
    let p = grandstream_values(&settings(&device(Vendor::Grandstream, &mac, &LINES[..1]), &ipv6, Secrets::Include));
    assert_eq!(get(&p, "P47"), "[2001:db8::5]:5060");
}
