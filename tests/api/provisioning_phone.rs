//! The phone side's rules over HTTP: F3's rotation grace, F4's one answer, F5's isolation,
//! F6's ETag, F7's throttle, F8's record, F9's end of a login, and bad input.

use awc::http::Method;
use serde_json::json;

use crate::helpers::*;
use crate::phone::*;

async fn get(app: &TestApp, file: &str, auth: Auth, user: &str, password: &str) -> Fetched {
    app.phone_fetch(Method::GET, file, auth, user, password, &[]).await
}

#[actix_web::test]
async fn f3_after_a_rotation_the_old_password_works_until_the_first_fetch_with_the_new_one() {
    let app = spawn_app().await;
    let p = provisioned(&app, "yealink", 1).await;
    let file = format!("{}.cfg", p.mac);
    assert_eq!(get(&app, &file, Auth::DigestSha256, &p.mac, &p.password).await.status, 200);
    let rotated = app.post_empty(&p.org.token, &format!("/v1/devices/{}/provisioning-password", p.device)).await;
    rotated.assert(200);
    let new = rotated.body["password"].as_str().unwrap().to_owned();
    assert_ne!(new, p.password);
    // The phone has not seen the new password yet: the old one still works, as often as needed.
    for auth in [Auth::DigestMd5, Auth::Basic] {
        assert_eq!(get(&app, &file, auth, &p.mac, &p.password).await.status, 200, "{auth:?}");
    }
    assert_eq!(get(&app, &file, Auth::DigestSha256, &p.mac, &new).await.status, 200);
    // The first fetch with the new one ended the old one's grace.
    for auth in [Auth::DigestSha256, Auth::Basic] {
        assert_eq!(get(&app, &file, auth, &p.mac, &p.password).await.status, 401, "{auth:?}");
    }
    assert_eq!(get(&app, &file, Auth::Basic, &p.mac, &new).await.status, 200);
}

#[actix_web::test]
async fn f3_without_a_grace_period_the_old_password_stops_at_once() {
    let app = spawn_app_with(|s| s.provisioning_grace = std::time::Duration::ZERO).await;
    let p = provisioned(&app, "yealink", 1).await;
    let rotated = app.post_empty(&p.org.token, &format!("/v1/devices/{}/provisioning-password", p.device)).await;
    rotated.assert(200);
    let file = format!("{}.cfg", p.mac);
    assert_eq!(get(&app, &file, Auth::Basic, &p.mac, &p.password).await.status, 401);
    assert_eq!(get(&app, &file, Auth::Basic, &p.mac, rotated.body["password"].as_str().unwrap()).await.status, 200);
}

#[actix_web::test]
async fn f4_unknown_mac_wrong_password_and_no_credentials_get_the_same_401() {
    let app = spawn_app().await;
    let p = provisioned(&app, "polycom", 1).await;
    let file = format!("{}.cfg", p.mac);
    let answers = [
        get(&app, &file, Auth::Basic, &p.mac, "not-the-password").await,
        get(&app, &file, Auth::Basic, &unique_mac(), &p.password).await,
        get(&app, &file, Auth::DigestSha256, &p.mac, "not-the-password").await,
        get(&app, &file, Auth::DigestMd5, &unique_mac(), &p.password).await,
        app.phone_request(Method::GET, &format!("/provisioning/{file}"), &[]).await,
    ];
    let first = &answers[0];
    for a in &answers {
        assert_eq!(a.status, 401);
        assert_eq!(a.body, first.body, "one body for all");
        assert_eq!(a.code(), "invalid_credentials");
        let challenges = a.challenges();
        assert_eq!(challenges.len(), 3, "{challenges:?}");
        assert!(challenges[0].starts_with("Digest ") && challenges[0].contains("algorithm=SHA-256"));
        assert!(challenges[1].starts_with("Digest ") && challenges[1].contains("algorithm=MD5"));
        assert!(challenges[2].starts_with("Basic "), "Digest is offered first");
        assert!(!challenges[0].contains("stale"));
    }
}

#[actix_web::test]
async fn f4_an_unknown_mac_and_a_wrong_password_take_the_same_time() {
    // Behind a trusted proxy each guess comes from its own address, so F7 stays out of it.
    let app = spawn_app_with(|s| s.trusted_proxies = vec!["127.0.0.1".parse().unwrap()]).await;
    let p = provisioned(&app, "yealink", 1).await;
    let file = format!("/provisioning/{}.cfg", p.mac);
    let mut times: [Vec<u128>; 2] = [vec![], vec![]];
    for i in 0..40u32 {
        let user = if i % 2 == 0 { p.mac.clone() } else { unique_mac() };
        let headers = [
            ("Authorization", basic_authorization(&user, "wrong-password-000000")),
            ("X-Forwarded-For", format!("198.51.{}.{}", i / 200, i % 200 + 1)),
        ];
        let started = std::time::Instant::now();
        let res = app.phone_request(Method::GET, &file, &headers).await;
        assert_eq!(res.status, 401);
        times[(i % 2) as usize].push(started.elapsed().as_micros());
    }
    let median = |v: &mut Vec<u128>| {
        v.sort_unstable();
        v[v.len() / 2] as f64
    };
    let (known, unknown) = (median(&mut times[0]), median(&mut times[1]));
    let ratio = known / unknown;
    assert!((0.5..2.0).contains(&ratio), "known MAC {known} µs, unknown {unknown} µs");
}

#[actix_web::test]
async fn f4_an_expired_nonce_with_the_right_password_is_answered_stale() {
    let secret = "stale-nonce-test-secret-0123456789abcdef";
    let app = spawn_app_with(|s| s.jwt_secret = Some(siprov::config::Secret::new(secret))).await;
    let p = provisioned(&app, "yealink", 1).await;
    let auth = siprov::provisioning::digest::PhoneAuth::new(
        siprov::startup::REALM,
        siprov::provisioning::digest::NonceKey::derive(secret.as_bytes()),
    )
    .unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let old = auth.nonce(now - 400);
    let path = format!("/provisioning/{}.cfg", p.mac);
    let header = digest_authorization("SHA-256", &p.mac, &p.password, "siprov", &old, "GET", &path, 1);
    let res = app.phone_request(Method::GET, &path, &[("Authorization", header)]).await;
    assert_eq!(res.status, 401);
    assert!(res.challenges()[0].ends_with("stale=true"), "{:?}", res.challenges());
    // A nonce of this instance's key from a minute ago is fine (stateless nonces).
    let fresh = auth.nonce(now - 60);
    let header = digest_authorization("SHA-256", &p.mac, &p.password, "siprov", &fresh, "GET", &path, 7);
    assert_eq!(app.phone_request(Method::GET, &path, &[("Authorization", header)]).await.status, 200);
}

#[actix_web::test]
async fn f5_a_second_phones_credentials_are_refused_for_the_first_phones_file() {
    let app = spawn_app().await;
    let a = provisioned(&app, "yealink", 2).await;
    let b = provisioned(&app, "yealink", 1).await;
    for auth in [Auth::DigestSha256, Auth::DigestMd5, Auth::Basic] {
        for file in [format!("{}.cfg", a.mac), format!("{}.boot", a.mac)] {
            let res = get(&app, &file, auth, &b.mac, &b.password).await;
            assert_eq!(res.status, 404, "{auth:?} {file}");
            assert!(!res.body.contains(&a.lines[0].sip_password));
        }
        // B's password under A's MAC is no password of A's.
        assert_eq!(get(&app, &format!("{}.cfg", a.mac), auth, &a.mac, &b.password).await.status, 401);
        // Shared files are served to any authenticated phone.
        assert_eq!(get(&app, "y000000000000.boot", auth, &b.mac, &b.password).await.status, 200);
    }
}

#[actix_web::test]
async fn f6_the_same_record_gives_the_same_etag_and_if_none_match_gets_304() {
    let app = spawn_app().await;
    let p = provisioned(&app, "grandstream", 2).await;
    let file = format!("cfg{}.xml", p.mac);
    let first = get(&app, &file, Auth::Basic, &p.mac, &p.password).await;
    let again = get(&app, &file, Auth::DigestSha256, &p.mac, &p.password).await;
    assert_eq!(first.body, again.body);
    let etag = first.header("etag").unwrap().to_owned();
    assert_eq!(again.header("etag"), Some(etag.as_str()));
    let cached =
        app.phone_fetch(Method::GET, &file, Auth::Basic, &p.mac, &p.password, &[("If-None-Match", etag.clone())]).await;
    assert_eq!((cached.status, cached.body.as_str()), (304, ""));
    // A change of the record changes the bytes and the tag.
    app.patch(&p.org.token, &format!("/v1/devices/{}", p.device), json!({"settings": {"missed_calls": false}}))
        .await
        .assert(200);
    let changed =
        app.phone_fetch(Method::GET, &file, Auth::Basic, &p.mac, &p.password, &[("If-None-Match", etag.clone())]).await;
    assert_eq!(changed.status, 200);
    assert_ne!(changed.header("etag"), Some(etag.as_str()));
}

#[actix_web::test]
async fn f6_an_unknown_vendor_or_an_sp_without_sip_service_has_no_device_file() {
    let app = spawn_app().await;
    let p = provisioned(&app, "snom", 1).await;
    assert_eq!(get(&app, &format!("{}.cfg", p.mac), Auth::Basic, &p.mac, &p.password).await.status, 404);
    let q = provisioned(&app, "yealink", 1).await;
    app.set_sip(&q.sp.token, &q.sp.id, serde_json::Value::Null).await.assert(200);
    assert_eq!(get(&app, &format!("{}.cfg", q.mac), Auth::Basic, &q.mac, &q.password).await.status, 404);
    assert_eq!(get(&app, "y000000000000.boot", Auth::Basic, &q.mac, &q.password).await.status, 200);
}

#[actix_web::test]
async fn f7_ten_failures_from_an_address_answer_429_until_the_window_ends_even_for_right_credentials() {
    let app = spawn_app().await;
    let p = provisioned(&app, "yealink", 1).await;
    let file = format!("{}.cfg", p.mac);
    for _ in 0..10 {
        assert_eq!(get(&app, &file, Auth::Basic, &unique_mac(), "guess-guess-guess").await.status, 401);
    }
    let refused = get(&app, &file, Auth::Basic, &p.mac, &p.password).await;
    assert_eq!(refused.status, 429, "{}", refused.body);
    assert_eq!(refused.code(), "too_many_attempts");
    let retry: i64 = refused.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=300).contains(&retry), "{retry}");
    // The window is kept in the database: another instance on it refuses too.
    let other = app.phone_request(Method::GET, &format!("/provisioning/{file}"), &[]).await;
    assert_eq!(other.status, 429);
}

#[actix_web::test]
async fn f7_behind_a_trusted_proxy_the_forwarded_client_is_throttled_not_the_proxy() {
    let app = spawn_app_with(|s| s.trusted_proxies = vec!["127.0.0.1".parse().unwrap()]).await;
    let p = provisioned(&app, "yealink", 1).await;
    let path = format!("/provisioning/{}.cfg", p.mac);
    let from = |client: &str, password: &str| {
        vec![("Authorization", basic_authorization(&p.mac, password)), ("X-Forwarded-For", client.to_owned())]
    };
    for _ in 0..10 {
        assert_eq!(app.phone_request(Method::GET, &path, &from("203.0.113.66", "guess-guess")).await.status, 401);
    }
    assert_eq!(app.phone_request(Method::GET, &path, &from("203.0.113.66", &p.password)).await.status, 429);
    assert_eq!(app.phone_request(Method::GET, &path, &from("203.0.113.7", &p.password)).await.status, 200);
    // A hop the client wrote itself, left of the one the proxy appended, changes nothing:
    // the rightmost address that is not a trusted proxy is the client.
    let spoofed = vec![
        ("Authorization", basic_authorization(&p.mac, &p.password)),
        ("X-Forwarded-For", "203.0.113.7, 203.0.113.66".to_owned()),
    ];
    assert_eq!(app.phone_request(Method::GET, &path, &spoofed).await.status, 429);
}

#[actix_web::test]
async fn f8_a_successful_fetch_is_recorded_on_the_device() {
    let app = spawn_app().await;
    let p = provisioned(&app, "yealink", 1).await;
    let before = app.get(&p.org.token, &format!("/v1/devices/{}", p.device)).await;
    assert_eq!(before.body["provisioning"]["username"], p.mac.as_str());
    assert_eq!(before.body["provisioning"]["password_set"], true);
    assert!(before.body["provisioning"]["last_fetch_at"].is_null());
    let f = app
        .phone_fetch(
            Method::GET,
            &format!("{}.cfg", p.mac),
            Auth::DigestSha256,
            &p.mac,
            &p.password,
            &[("User-Agent", "Yealink SIP-T46U 108.86.0.20".to_owned())],
        )
        .await;
    assert_eq!(f.status, 200);
    // Readable by whoever reads the device: here its owner, the assigned user.
    let after = app.get(&p.user.token, &format!("/v1/devices/{}", p.device)).await;
    after.assert(200);
    let prov = &after.body["provisioning"];
    assert!(prov["last_fetch_at"].is_string());
    assert_eq!(prov["last_fetch_address"], "127.0.0.1");
    assert_eq!(prov["last_user_agent"], "Yealink SIP-T46U 108.86.0.20");
    assert!(!after.body.to_string().contains(&p.password), "F1");
}

#[actix_web::test]
async fn f9_a_new_mac_or_a_deleted_device_ends_the_login_and_a_removed_line_is_gone() {
    let app = spawn_app().await;
    let p = provisioned(&app, "yealink", 2).await;
    let file = format!("{}.cfg", p.mac);
    app.delete(&p.org.token, &format!("/v1/devices/{}/lines/{}", p.device, p.lines[1].id)).await.assert(204);
    let cfg = get(&app, &file, Auth::Basic, &p.mac, &p.password).await;
    assert!(!cfg.body.contains(&p.lines[1].sip_password) && !cfg.body.contains(&p.lines[1].sip_username));
    assert!(cfg.body.contains("account.2.enable = 0"));
    let new_mac = unique_mac();
    let moved = app.patch(&p.org.token, &format!("/v1/devices/{}", p.device), json!({"mac_address": new_mac})).await;
    moved.assert(200);
    assert_eq!(moved.body["provisioning"]["password_set"], false);
    assert_eq!(get(&app, &file, Auth::Basic, &p.mac, &p.password).await.status, 401);
    assert_eq!(get(&app, &format!("{new_mac}.cfg"), Auth::Basic, &new_mac, &p.password).await.status, 401);
    let q = provisioned(&app, "polycom", 1).await;
    app.delete(&q.org.token, &format!("/v1/devices/{}/lines/{}", q.device, q.lines[0].id)).await.assert(204);
    app.delete(&q.org.token, &format!("/v1/devices/{}", q.device)).await.assert(204);
    assert_eq!(get(&app, &format!("{}.cfg", q.mac), Auth::DigestSha256, &q.mac, &q.password).await.status, 401);
}

#[actix_web::test]
async fn bad_file_names_and_methods_get_a_clear_4xx_and_never_another_phones_file() {
    let app = spawn_app().await;
    let p = provisioned(&app, "yealink", 1).await;
    let other = provisioned(&app, "yealink", 1).await;
    let upper = p.mac.to_uppercase();
    let colons: String =
        p.mac.as_bytes().chunks(2).map(|c| std::str::from_utf8(c).unwrap()).collect::<Vec<_>>().join(":");
    let names = [
        format!("{upper}.cfg"),
        format!("{colons}.cfg"),
        format!("{}.CFG", p.mac),
        format!("{}x.cfg", p.mac),
        format!("{}.cfg", &p.mac[..11]),
        "zzzzzzzzzzzz.cfg".to_owned(),
        format!("%2e%2e%2f{}.cfg", other.mac),
        format!("..%2f{}.cfg", other.mac),
        format!("{}%2f..%2f{}.cfg", p.mac, other.mac),
        format!("%30{}.cfg", &other.mac[1..]),
        "%2e%2e".to_owned(),
        "a".repeat(300),
        format!("{}.cfg%00", p.mac),
        format!("{}.cfg;x", p.mac),
    ];
    for name in &names {
        for auth in [Auth::Basic, Auth::DigestSha256] {
            let res = get(&app, name, auth, &p.mac, &p.password).await;
            assert!((400..500).contains(&res.status), "{name} {auth:?}: {}", res.status);
            assert_ne!(res.status, 401, "{name}: authenticated, so the name is what is refused");
            assert!(!res.body.contains(&other.lines[0].sip_password), "{name}");
        }
    }
    // Path segments never reach the parser: not a route.
    for path in [
        format!("/provisioning/../{}.cfg", other.mac),
        format!("/provisioning/x/{}.cfg", other.mac),
        "/provisioning/".to_owned(),
    ] {
        let res =
            app.phone_request(Method::GET, &path, &[("Authorization", basic_authorization(&p.mac, &p.password))]).await;
        assert!((400..500).contains(&res.status), "{path}: {}", res.status);
        assert!(!res.body.contains(&other.lines[0].sip_password));
    }
    // Methods: uploads only for logs, fetches only for the rest, nothing else at all.
    let cfg = format!("{}.cfg", p.mac);
    assert_eq!(app.phone_fetch(Method::PUT, &cfg, Auth::Basic, &p.mac, &p.password, &[]).await.status, 405);
    for m in [Method::POST, Method::DELETE, Method::PATCH] {
        let res = app.phone_fetch(m.clone(), &cfg, Auth::Basic, &p.mac, &p.password, &[]).await;
        assert_eq!(res.status, 405, "{m}");
        assert!(res.header("allow").is_some_and(|a| a.contains("GET") && a.contains("PUT")));
    }
    let head = app.phone_fetch(Method::HEAD, &cfg, Auth::DigestSha256, &p.mac, &p.password, &[]).await;
    assert_eq!((head.status, head.body.as_str()), (200, ""));
    // A Yealink has no Polycom log to upload.
    let log = app.phone_fetch(Method::PUT, &format!("{}-app.log", p.mac), Auth::Basic, &p.mac, &p.password, &[]).await;
    assert_eq!(log.status, 404);
}
