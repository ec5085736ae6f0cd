//! What phones fetch (F4–F8), over HTTP, each vendor's real sequence of files with Digest
//! (SHA-256 and MD5) and Basic, checked line by line against the database.

use std::collections::BTreeMap;

use awc::http::Method;

use crate::helpers::*;
use crate::phone::*;

fn yealink_keys(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter(|l| !l.starts_with('#') && l.contains(" = "))
        .map(|l| {
            let (k, v) = l.split_once(" = ").unwrap();
            (k.trim().to_owned(), v.trim().to_owned())
        })
        .collect()
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&apos;", "'").replace("&amp;", "&")
}

fn polycom_attributes(text: &str) -> BTreeMap<String, String> {
    let re = regex::Regex::new(r#"([A-Za-z0-9_.]+)="([^"]*)""#).unwrap();
    re.captures_iter(text).map(|c| (c[1].to_owned(), unescape(&c[2]))).collect()
}

fn grandstream_values(text: &str) -> BTreeMap<String, String> {
    let doc = roxmltree::Document::parse(text).unwrap();
    doc.descendants()
        .filter(|n| n.is_element() && n.tag_name().name().starts_with('P'))
        .map(|n| (n.tag_name().name().to_owned(), n.text().unwrap_or("").to_owned()))
        .collect()
}

/// Each line of the phone, in line order, with its credentials as the database holds them:
/// (sip_username, sip_password, shown name).
fn expected_lines(app: &TestApp, p: &Provisioned) -> Vec<(String, String, String)> {
    let db = app.db_accounts();
    p.lines
        .iter()
        .map(|l| {
            let (user, password, display) = db[&l.id].clone();
            assert_eq!(
                (&user, &password),
                (&l.sip_username, &l.sip_password),
                "the create answer shows what is stored"
            );
            assert_eq!(display, l.display_name);
            (user, password, display.unwrap_or_else(|| l.number.clone()))
        })
        .collect()
}

async fn ok(app: &TestApp, p: &Provisioned, auth: Auth, file: &str) -> Fetched {
    let f = app.phone_fetch(Method::GET, file, auth, &p.mac, &p.password, &[]).await;
    assert_eq!(f.status, 200, "{file} with {auth:?}: {}", f.body);
    assert!(f.header("etag").is_some_and(|e| e.starts_with('"')), "strong ETag on {file}");
    f
}

async fn yealink_sequence(auth: Auth) {
    let app = spawn_app().await;
    let p = provisioned(&app, "Yealink", 4).await;
    let boot = ok(&app, &p, auth, "y000000000000.boot").await;
    assert!(!boot.body.contains(&p.lines[0].sip_password));
    let own_boot = ok(&app, &p, auth, &format!("{}.boot", p.mac)).await;
    assert!(own_boot.body.contains(&format!("include:config \"{}{}.cfg\"", p.url, p.mac)), "{}", own_boot.body);
    let common = ok(&app, &p, auth, "y000000000066.cfg").await;
    assert!(!common.body.contains("password"), "shared files carry no secret (F5)");
    let cfg = ok(&app, &p, auth, &format!("{}.cfg", p.mac)).await;
    let keys = yealink_keys(&cfg.body);
    for (i, (user, password, display)) in expected_lines(&app, &p).iter().enumerate() {
        let n = i + 1;
        let k = |name: &str| keys.get(&format!("account.{n}.{name}")).cloned().unwrap_or_default();
        assert_eq!(k("enable"), "1");
        assert_eq!(k("auth_name"), *user);
        assert_eq!(k("user_name"), *user);
        assert_eq!(k("password"), *password);
        assert_eq!(k("display_name"), *display);
        assert_eq!(k("label"), p.lines[i].number);
        assert_eq!(k("sip_server.1.address"), "voice.example.net");
        assert_eq!(k("sip_server.1.port"), "5061");
        assert_eq!(k("sip_server.1.transport_type"), "2");
        assert_eq!(k("outbound_proxy_enable"), "1");
        assert_eq!(k("outbound_proxy.1.address"), "sbc.example.net");
        assert_eq!(k("missed_calllog"), "1");
    }
    assert_eq!(keys["account.5.enable"], "0", "slots without a line are switched off");
}

#[actix_web::test]
async fn a_yealink_fetches_its_boot_and_config_files_with_digest_sha256() {
    yealink_sequence(Auth::DigestSha256).await;
}

#[actix_web::test]
async fn a_yealink_fetches_its_boot_and_config_files_with_digest_md5() {
    yealink_sequence(Auth::DigestMd5).await;
}

#[actix_web::test]
async fn a_yealink_fetches_its_boot_and_config_files_with_basic() {
    yealink_sequence(Auth::Basic).await;
}

async fn polycom_sequence(auth: Auth) {
    let app = spawn_app().await;
    let p = provisioned(&app, "polycom", 4).await;
    let master = ok(&app, &p, auth, &format!("{}.cfg", p.mac)).await;
    assert!(master.body.contains(&format!("CONFIG_FILES=\"{}-siprov.cfg\"", p.mac)), "{}", master.body);
    let settings = ok(&app, &p, auth, &format!("{}-siprov.cfg", p.mac)).await;
    let attrs = polycom_attributes(&settings.body);
    for (i, (user, password, display)) in expected_lines(&app, &p).iter().enumerate() {
        let n = i + 1;
        let a = |name: &str| attrs.get(&format!("reg.{n}.{name}")).cloned().unwrap_or_default();
        assert_eq!(a("address"), format!("{user}@voice.example.net"));
        assert_eq!(a("auth.userId"), *user);
        assert_eq!(a("auth.password"), *password);
        assert_eq!(a("displayName"), *display);
        assert_eq!(a("server.1.address"), "sbc.example.net");
        assert_eq!(a("server.1.port"), "5061");
        assert_eq!(a("server.1.transport"), "TLS");
        assert_eq!(attrs[&format!("call.missedCallTracking.{n}.enabled")], "1");
    }
    assert!(!attrs.contains_key("reg.5.address"));
    let log = app.phone_fetch(Method::PUT, &format!("{}-boot.log", p.mac), auth, &p.mac, &p.password, &[]).await;
    assert_eq!(log.status, 204, "{}", log.body);
    // The shared default master names the settings file by the phone's own MAC.
    let default = ok(&app, &p, auth, "000000000000.cfg").await;
    assert!(default.body.contains("[PHONE_MAC_ADDRESS]-siprov.cfg"));
}

#[actix_web::test]
async fn a_polycom_fetches_its_master_and_settings_and_uploads_its_log_with_digest_sha256() {
    polycom_sequence(Auth::DigestSha256).await;
}

#[actix_web::test]
async fn a_polycom_fetches_its_master_and_settings_and_uploads_its_log_with_digest_md5() {
    polycom_sequence(Auth::DigestMd5).await;
}

#[actix_web::test]
async fn a_polycom_fetches_its_master_and_settings_and_uploads_its_log_with_basic() {
    polycom_sequence(Auth::Basic).await;
}

async fn grandstream_sequence(auth: Auth) {
    let app = spawn_app().await;
    let p = provisioned(&app, "GrandStream", 4).await;
    let cfg = ok(&app, &p, auth, &format!("cfg{}.xml", p.mac)).await;
    let v = grandstream_values(&cfg.body);
    let slots = [
        ("P271", "P47", "P48", "P35", "P36", "P34", "P3", "P130"),
        ("P401", "P402", "P403", "P404", "P405", "P406", "P407", "P448"),
        ("P501", "P502", "P503", "P504", "P505", "P506", "P507", "P548"),
        ("P601", "P602", "P603", "P604", "P605", "P606", "P607", "P648"),
    ];
    for ((user, password, display), (active, server, proxy, uid, auth_id, pw, name, transport)) in
        expected_lines(&app, &p).iter().zip(slots)
    {
        assert_eq!(v[active], "1");
        assert_eq!(v[server], "voice.example.net:5061");
        assert_eq!(v[proxy], "sbc.example.net:5061");
        assert_eq!(v[uid], *user);
        assert_eq!(v[auth_id], *user);
        assert_eq!(v[pw], *password);
        assert_eq!(v[name], *display);
        assert_eq!(v[transport], "2");
    }
    assert_eq!(v["P1701"], "0", "slot 5 is switched off");
}

#[actix_web::test]
async fn a_grandstream_fetches_its_config_with_digest_sha256() {
    grandstream_sequence(Auth::DigestSha256).await;
}

#[actix_web::test]
async fn a_grandstream_fetches_its_config_with_digest_md5() {
    grandstream_sequence(Auth::DigestMd5).await;
}

#[actix_web::test]
async fn a_grandstream_fetches_its_config_with_basic() {
    grandstream_sequence(Auth::Basic).await;
}
