//! L3, L4: webhooks managed like API clients, their URLs checked, events delivered signed
//! to a real receiver on 127.0.0.1, failures logged and retried, one delivery per event
//! however many instances share the database.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU16, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::{TestApp, spawn_app, spawn_app_with};

/// One request a receiver got.
#[derive(Clone, Debug)]
pub struct Received {
    pub id: String,
    pub timestamp: String,
    pub signature: String,
    pub body: Vec<u8>,
}

/// A webhook receiver on 127.0.0.1: records what it gets, answers `status` after `delay_ms`.
#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    /// Requests that arrived, counted before the delay (in flight or answered).
    pub arrived: Arc<AtomicU64>,
    pub got: Arc<Mutex<Vec<Received>>>,
    pub status: Arc<AtomicU16>,
    pub delay_ms: Arc<AtomicU64>,
    /// The size of the body it answers with (none by default).
    pub body_bytes: Arc<AtomicU64>,
}

struct Shared {
    arrived: Arc<AtomicU64>,
    got: Arc<Mutex<Vec<Received>>>,
    status: Arc<AtomicU16>,
    delay_ms: Arc<AtomicU64>,
    body_bytes: Arc<AtomicU64>,
}

async fn receive(req: HttpRequest, body: web::Bytes, s: web::Data<Shared>) -> HttpResponse {
    let header = |n: &str| req.headers().get(n).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    s.arrived.fetch_add(1, Ordering::SeqCst);
    let delay = s.delay_ms.load(Ordering::SeqCst);
    if delay > 0 {
        actix_web::rt::time::sleep(Duration::from_millis(delay)).await;
    }
    s.got.lock().unwrap().push(Received {
        id: header("webhook-id"),
        timestamp: header("webhook-timestamp"),
        signature: header("webhook-signature"),
        body: body.to_vec(),
    });
    let body = vec![b'x'; s.body_bytes.load(Ordering::SeqCst) as usize];
    match s.status.load(Ordering::SeqCst) {
        302 => HttpResponse::Found().insert_header(("location", "http://127.0.0.1:1/elsewhere")).finish(),
        code => HttpResponse::build(actix_web::http::StatusCode::from_u16(code).unwrap()).body(body),
    }
}

impl Receiver {
    pub fn start() -> Receiver {
        let got = Arc::new(Mutex::new(Vec::new()));
        let status = Arc::new(AtomicU16::new(200));
        let delay_ms = Arc::new(AtomicU64::new(0));
        let arrived = Arc::new(AtomicU64::new(0));
        let body_bytes = Arc::new(AtomicU64::new(0));
        let shared = web::Data::new(Shared {
            arrived: arrived.clone(),
            got: got.clone(),
            status: status.clone(),
            delay_ms: delay_ms.clone(),
            body_bytes: body_bytes.clone(),
        });
        let server = HttpServer::new(move || App::new().app_data(shared.clone()).default_service(web::to(receive)))
            .workers(1)
            .disable_signals()
            .bind("127.0.0.1:0")
            .unwrap();
        let port = server.addrs()[0].port();
        actix_web::rt::spawn(server.run());
        Receiver { url: format!("http://127.0.0.1:{port}/hook"), arrived, got, status, delay_ms, body_bytes }
    }

    pub fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    /// Waits until `done` holds for what was received, at most `limit`.
    pub async fn wait_for(&self, limit: Duration, done: impl Fn(&[Received]) -> bool) -> Vec<Received> {
        let started = Instant::now();
        loop {
            let got = self.received();
            if done(&got) {
                return got;
            }
            assert!(started.elapsed() < limit, "the receiver got {} requests in {limit:?}: {got:#?}", got.len());
            actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// HMAC-SHA256 written out from its definition (RFC 2104), independent of the server's
/// `hmac` crate.
fn hmac_sha256(key: &[u8], message: &[u8]) -> Vec<u8> {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let inner_key: Vec<u8> = block.iter().map(|b| b ^ 0x36).collect();
    let outer_key: Vec<u8> = block.iter().map(|b| b ^ 0x5c).collect();
    let inner = Sha256::new().chain_update(&inner_key).chain_update(message).finalize();
    Sha256::new().chain_update(&outer_key).chain_update(inner).finalize().to_vec()
}

/// The Standard Webhooks check a receiver runs: `v1,` + base64 HMAC of `id.timestamp.body`
/// keyed with the secret's bytes.
pub fn verify(secret: &str, r: &Received) -> bool {
    let key = STANDARD.decode(secret.strip_prefix("whsec_").unwrap()).unwrap();
    let mut signed = format!("{}.{}.", r.id, r.timestamp).into_bytes();
    signed.extend_from_slice(&r.body);
    let expected = format!("v1,{}", STANDARD.encode(hmac_sha256(&key, &signed)));
    r.signature.split(' ').any(|s| s == expected)
}

pub async fn insecure_app() -> TestApp {
    spawn_app_with(|s| s.webhook_allow_insecure = true).await
}

/// Creates a webhook on a node; answers (id, secret).
pub async fn subscribe(app: &TestApp, token: &str, node_path: &str, url: &str, events: Value) -> (String, String) {
    let res = app.post(token, &format!("/v1/{node_path}/webhooks"), json!({"url": url, "events": events})).await;
    res.assert(201);
    (res.id(), res.body["secret"].as_str().unwrap().to_owned())
}

#[actix_web::test]
async fn webhooks_are_managed_by_their_node_and_ancestors_with_the_secret_shown_once() {
    let app = spawn_app().await;
    let sp = app.sp("modify").await;
    let org = app.org(&sp, "modify").await;
    let other = app.sp("modify").await;
    let path = format!("/v1/organizations/{}/webhooks", org.id);
    let body = json!({"url": "https://hooks.example.com/siprov", "events": ["device.*", "account.updated"], "description": "CRM"});
    let res = app.post(&sp.token, &path, body.clone()).await;
    res.assert(201);
    let id = res.id();
    let secret = res.body["secret"].as_str().unwrap();
    assert!(secret.starts_with("whsec_") && STANDARD.decode(&secret[6..]).unwrap().len() == 32, "{secret}");
    assert_eq!(res.body["node"], json!({"type": "organization", "id": org.id}));
    assert_eq!(res.body["enabled"], true);

    let got = app.get(&org.token, &format!("/v1/webhooks/{id}")).await;
    got.assert(200);
    assert!(got.body.get("secret").is_none(), "the secret again: {}", got.body);
    let list = app.get(&org.token, &path).await;
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
    assert!(!list.body.to_string().contains(secret));

    // Another tenant sees nothing; a user below cannot manage its organization's webhooks.
    app.get(&other.token, &format!("/v1/webhooks/{id}")).await.assert(404);
    app.post(&other.token, &path, body).await.assert(404);
    let user = app.user(&org, "modify").await;
    app.get(&user.token, &format!("/v1/webhooks/{id}")).await.assert(404);
    app.delete(&user.token, &format!("/v1/webhooks/{id}")).await.assert(404);

    let res = app.patch(&org.token, &format!("/v1/webhooks/{id}"), json!({"events": ["*"], "enabled": false})).await;
    res.assert(200);
    assert_eq!((res.body["events"].clone(), res.body["enabled"].clone()), (json!(["*"]), json!(false)));
    let events = app.get(&org.token, &format!("/v1/audit-events?resource_id={id}")).await;
    let items = events.body["items"].as_array().unwrap();
    assert_eq!(items[0]["action"], "webhook.created");
    assert_eq!(items[0]["changes"]["secret"], json!({"from": null, "to": "<redacted>"}));
    assert_eq!(items[1]["action"], "webhook.updated");
    assert!(!events.body.to_string().contains(secret), "the secret in an event");
    app.delete(&org.token, &format!("/v1/webhooks/{id}")).await.assert(204);
    app.get(&org.token, &format!("/v1/webhooks/{id}")).await.assert(404);
    let events = app.get(&sp.token, &format!("/v1/audit-events?resource_id={id}&action=webhook.deleted")).await;
    assert_eq!(events.body["items"].as_array().unwrap().len(), 1);
    // A node's webhooks go with it (they are not contents that N4 keeps).
    let (other_hook, _) = subscribe(
        &app,
        &other.token,
        &format!("service-providers/{}", other.id),
        "https://hooks.example.com/",
        json!(["*"]),
    )
    .await;
    app.delete(&app.admin, &format!("/v1/service-providers/{}", other.id)).await.assert(204);
    app.get(&app.admin, &format!("/v1/webhooks/{other_hook}")).await.assert(404);
}

#[actix_web::test]
async fn l4_http_private_addresses_and_malformed_patterns_are_refused_with_the_field() {
    let app = spawn_app().await;
    let sp = app.sp("modify").await;
    let path = format!("/v1/service-providers/{}/webhooks", sp.id);
    for (url, code) in [
        ("http://hooks.example.com/x", "insecure_url"),
        ("https://127.0.0.1/x", "insecure_url"),
        ("https://10.1.2.3/x", "insecure_url"),
        ("https://169.254.169.254/latest", "insecure_url"),
        ("https://[::1]:8443/x", "insecure_url"),
        ("https://localhost/x", "insecure_url"),
        ("not a url", "invalid_url"),
        ("https://user:pw@hooks.example.com/", "invalid_url"),
    ] {
        let res = app.post(&sp.token, &path, json!({"url": url, "events": ["*"]})).await;
        assert_eq!((res.status, res.body["errors"][0]["code"].as_str()), (422, Some(code)), "{url}: {}", res.body);
    }
    for events in [json!([]), json!(["device"]), json!(["*.created"]), json!(["device.exploded"]), json!(["phone.*"])] {
        let res = app.post(&sp.token, &path, json!({"url": "https://hooks.example.com/", "events": events})).await;
        assert_eq!(res.status, 422, "{events}: {}", res.body);
        assert_eq!(res.body["errors"][0]["code"], "invalid_action_pattern");
    }
    let res =
        app.post(&sp.token, &path, json!({"url": "https://hooks.example.com/", "events": ["*"], "secret": "x"})).await;
    assert_eq!(res.status, 422);
    let res = app.get(&app.admin, "/v1/audit-events?resource_type=webhook").await;
    assert_eq!(res.body["items"], json!([]), "refused subscriptions wrote events");
}

#[actix_web::test]
async fn events_are_delivered_signed_to_the_webhooks_whose_node_reads_them_and_match_their_filters() {
    let app = insecure_app().await;
    let receiver = Receiver::start();
    let sp = app.sp("modify").await;
    let org = app.org(&sp, "modify").await;
    let user = app.user(&org, "modify").await;
    let other_user = app.user(&org, "modify").await;
    let (_, secret) =
        subscribe(&app, &org.token, &format!("organizations/{}", org.id), &receiver.url, json!(["device.*"])).await;
    // A user's webhook receives only what the user reads (L3): nothing of another user's.
    let user_receiver = Receiver::start();
    subscribe(&app, &user.token, &format!("users/{}", user.id), &user_receiver.url, json!(["*"])).await;

    app.post(&org.token, &format!("/v1/users/{}/accounts", other_user.id), json!({"number": "+4930555555"}))
        .await
        .assert(201);
    let body = json!({"mac_address": "0004f2000d01", "assigned_to": {"type": "user", "id": other_user.id}});
    let device = app.post(&org.token, &format!("/v1/organizations/{}/devices", org.id), body).await.id();

    let got = receiver.wait_for(Duration::from_secs(15), |g| !g.is_empty()).await;
    actix_web::rt::time::sleep(Duration::from_millis(1500)).await;
    let got = if receiver.received().len() > got.len() { receiver.received() } else { got };
    assert_eq!(got.len(), 1, "only device.* events: {got:#?}");
    let r = &got[0];
    assert!(verify(&secret, r), "the signature does not verify: {r:?}");
    let sent: Value = serde_json::from_slice(&r.body).unwrap();
    let events = app.get(&org.token, &format!("/v1/audit-events?resource_id={device}")).await;
    assert_eq!(sent, events.body["items"][0], "the body is the audit event");
    assert_eq!(r.id, sent["id"].as_str().unwrap(), "webhook-id is the event's id");
    let age = chrono::Utc::now().timestamp() - r.timestamp.parse::<i64>().unwrap();
    assert!((0..60).contains(&age), "webhook-timestamp is the time of sending");
    let mut tampered = r.clone();
    tampered.body.push(b' ');
    assert!(!verify(&secret, &tampered));
    for r in user_receiver.received() {
        let e: Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(e["user_id"], user.id.as_str(), "a user's webhook got another user's event: {e:#}");
    }
}

#[actix_web::test]
async fn failed_deliveries_are_logged_retried_with_backoff_and_by_hand_and_redirects_are_not_followed() {
    let app = insecure_app().await;
    let receiver = Receiver::start();
    receiver.status.store(500, Ordering::SeqCst);
    let sp = app.sp("modify").await;
    let (hook, secret) = subscribe(
        &app,
        &sp.token,
        &format!("service-providers/{}", sp.id),
        &receiver.url,
        json!(["service_provider.*"]),
    )
    .await;
    app.patch(&sp.token, &format!("/v1/service-providers/{}", sp.id), json!({"name": "Renamed"})).await.assert(200);
    receiver.wait_for(Duration::from_secs(15), |g| !g.is_empty()).await;
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    let log = app.get(&sp.token, &format!("/v1/webhooks/{hook}/deliveries")).await;
    log.assert(200);
    let d = &log.body["items"][0];
    assert_eq!((d["state"].as_str(), d["action"].as_str()), (Some("pending"), Some("service_provider.updated")));
    assert_eq!(d["attempt_log"][0]["status"], 500);
    assert!(d["attempt_log"][0]["error"].as_str().unwrap().contains("500"));
    assert!(d["attempt_log"][0]["duration_ms"].is_number());
    let due_in = chrono::DateTime::parse_from_rfc3339(d["next_attempt_at"].as_str().unwrap()).unwrap().timestamp()
        - chrono::Utc::now().timestamp();
    assert!((1..=31).contains(&due_in), "the first retry comes within 30 s: {due_in}");
    let hooked = app.get(&sp.token, &format!("/v1/webhooks/{hook}")).await;
    assert_eq!(hooked.body["consecutive_failures"], 1);

    // A redirect is a failure, never followed.
    receiver.status.store(302, Ordering::SeqCst);
    let delivery = d["id"].as_str().unwrap().to_owned();
    let retry = format!("/v1/webhooks/{hook}/deliveries/{delivery}/retry");
    app.post(&sp.token, &retry, json!({})).await.assert(202);
    receiver.wait_for(Duration::from_secs(10), |g| g.len() >= 2).await;
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    let log = app.get(&sp.token, &format!("/v1/webhooks/{hook}/deliveries")).await;
    assert_eq!(log.body["items"][0]["attempt_log"][1]["status"], 302);
    assert_eq!(receiver.received().len(), 2, "the redirect was followed");

    // A manual retry once the receiver is back delivers it, signed the same way.
    receiver.status.store(200, Ordering::SeqCst);
    app.post(&sp.token, &retry, json!({})).await.assert(202);
    let got = receiver.wait_for(Duration::from_secs(10), |g| g.len() >= 3).await;
    assert!(verify(&secret, &got[2]));
    assert_eq!(got[0].id, got[2].id, "a retry keeps the webhook-id");
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    let log = app.get(&sp.token, &format!("/v1/webhooks/{hook}/deliveries")).await;
    assert_eq!(log.body["items"][0]["state"], "delivered");
    assert_eq!(log.body["items"][0]["attempts"], 3);
    let hooked = app.get(&sp.token, &format!("/v1/webhooks/{hook}")).await;
    assert_eq!(hooked.body["consecutive_failures"], 0);
    // Another tenant cannot retry it.
    let other = app.sp("modify").await;
    app.post(&other.token, &retry, json!({})).await.assert(404);
}

/// Waits until the first delivery of `hook` has `n` attempts on record.
async fn attempts_recorded(app: &TestApp, token: &str, hook: &str, n: usize) {
    let started = Instant::now();
    loop {
        let log = app.get(token, &format!("/v1/webhooks/{hook}/deliveries")).await;
        if log.body["items"][0]["attempts"].as_u64() == Some(n as u64) {
            return;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "attempt {n} not recorded: {}", log.body);
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
}

#[actix_web::test]
async fn a_webhook_is_disabled_after_20_consecutive_failures_until_it_is_changed() {
    let app = insecure_app().await;
    let receiver = Receiver::start();
    receiver.status.store(503, Ordering::SeqCst);
    let sp = app.sp("modify").await;
    let (hook, _) = subscribe(
        &app,
        &sp.token,
        &format!("service-providers/{}", sp.id),
        &receiver.url,
        json!(["service_provider.*"]),
    )
    .await;
    app.patch(&sp.token, &format!("/v1/service-providers/{}", sp.id), json!({"name": "Once"})).await.assert(200);
    receiver.wait_for(Duration::from_secs(15), |g| !g.is_empty()).await;
    let log = app.get(&sp.token, &format!("/v1/webhooks/{hook}/deliveries")).await;
    let delivery = log.body["items"][0]["id"].as_str().unwrap().to_owned();
    let retry = format!("/v1/webhooks/{hook}/deliveries/{delivery}/retry");
    for n in 1..=20 {
        if n > 1 {
            app.post(&sp.token, &retry, json!({})).await.assert(202);
        }
        receiver.wait_for(Duration::from_secs(10), |g| g.len() >= n).await;
        attempts_recorded(&app, &sp.token, &hook, n).await;
    }
    let hooked = app.get(&sp.token, &format!("/v1/webhooks/{hook}")).await;
    assert_eq!(
        (hooked.body["enabled"].clone(), hooked.body["consecutive_failures"].clone()),
        (json!(false), json!(20))
    );
    // Disabled: a retry is queued but not sent.
    app.post(&sp.token, &retry, json!({})).await.assert(202);
    actix_web::rt::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(receiver.received().len(), 20);
    // Changed (enabled again): the queued delivery goes out.
    receiver.status.store(200, Ordering::SeqCst);
    let res = app.patch(&sp.token, &format!("/v1/webhooks/{hook}"), json!({"enabled": true})).await;
    assert_eq!((res.body["enabled"].clone(), res.body["consecutive_failures"].clone()), (json!(true), json!(0)));
    receiver.wait_for(Duration::from_secs(10), |g| g.len() >= 21).await;
}

#[actix_web::test]
async fn two_instances_on_one_database_deliver_each_event_once() {
    let app = insecure_app().await;
    let second = siprov::startup::Application::build(&app.settings).expect("second instance");
    actix_web::rt::spawn(second.run_until_stopped());
    let receiver = Receiver::start();
    receiver.delay_ms.store(50, Ordering::SeqCst);
    let sp = app.sp("modify").await;
    let org = app.org(&sp, "modify").await;
    subscribe(&app, &org.token, &format!("organizations/{}", org.id), &receiver.url, json!(["device.created"])).await;
    for i in 0..30 {
        let body = json!({"mac_address": format!("0004f2{:06x}", 0xe000 + i)});
        app.post(&org.token, &format!("/v1/organizations/{}/devices", org.id), body).await.assert(201);
    }
    receiver.wait_for(Duration::from_secs(30), |g| g.len() >= 30).await;
    actix_web::rt::time::sleep(Duration::from_secs(2)).await;
    let mut counts: HashMap<String, usize> = HashMap::new();
    for r in receiver.received() {
        *counts.entry(r.id).or_default() += 1;
    }
    assert_eq!(counts.len(), 30);
    assert!(counts.values().all(|c| *c == 1), "an event delivered twice: {counts:?}");
}

/// A name the machine resolves to a loopback address without DNS (from /etc/hosts), other
/// than `localhost`, which subscription already refuses.
fn loopback_name() -> Option<String> {
    let hosts = std::fs::read_to_string("/etc/hosts").ok()?;
    hosts.lines().find_map(|line| {
        let mut words = line.split('#').next()?.split_whitespace();
        let ip: std::net::IpAddr = words.next()?.parse().ok()?;
        if !ip.is_loopback() {
            return None;
        }
        words.find(|n| !n.contains("localhost")).map(str::to_owned)
    })
}

#[actix_web::test]
async fn l4_a_name_that_resolves_to_a_private_address_is_refused_at_delivery_and_the_attempt_logged() {
    let Some(name) = loopback_name() else {
        eprintln!("skipped: no name in /etc/hosts resolves to a loopback address");
        return;
    };
    let app = spawn_app().await;
    let sp = app.sp("modify").await;
    let url = format!("https://{name}:1/hook");
    let (hook, _) = subscribe(&app, &sp.token, &format!("service-providers/{}", sp.id), &url, json!(["*"])).await;
    app.patch(&sp.token, &format!("/v1/service-providers/{}", sp.id), json!({"name": "Moved"})).await.assert(200);
    let started = Instant::now();
    loop {
        let log = app.get(&sp.token, &format!("/v1/webhooks/{hook}/deliveries")).await;
        let attempts = log.body["items"][0]["attempt_log"].as_array().cloned().unwrap_or_default();
        if let Some(a) = attempts.first() {
            assert_eq!(a["status"], Value::Null);
            assert!(a["error"].as_str().unwrap().contains("L4"), "{a}");
            assert_eq!(log.body["items"][0]["state"], "pending");
            return;
        }
        assert!(started.elapsed() < Duration::from_secs(15), "no attempt logged: {}", log.body);
        actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    }
}

#[actix_web::test]
async fn a_receiver_that_hangs_costs_one_attempt_cut_at_its_time_bound() {
    let app = insecure_app().await;
    let hanging = Receiver::start();
    hanging.delay_ms.store(15_000, Ordering::SeqCst);
    let sp = app.sp("modify").await;
    let (hook, _) =
        subscribe(&app, &sp.token, &format!("service-providers/{}", sp.id), &hanging.url, json!(["*"])).await;
    let started = Instant::now();
    let attempt = loop {
        let log = app.get(&sp.token, &format!("/v1/webhooks/{hook}/deliveries")).await;
        if let Some(a) = log.body["items"][0]["attempt_log"].get(0) {
            break a.clone();
        }
        assert!(started.elapsed() < Duration::from_secs(20), "no attempt logged: {}", log.body);
        actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(attempt["status"], Value::Null, "{attempt}");
    let ms = attempt["duration_ms"].as_i64().unwrap();
    assert!((9_000..=12_000).contains(&ms), "the request was not cut at its time bound: {attempt}");
    assert!(!attempt["error"].as_str().unwrap().is_empty());
}

#[actix_web::test]
async fn a_receiver_answering_10_mb_bodies_is_judged_by_its_status_and_the_worker_goes_on() {
    let app = insecure_app().await;
    let receiver = Receiver::start();
    receiver.status.store(500, Ordering::SeqCst);
    receiver.body_bytes.store(10 * 1024 * 1024, Ordering::SeqCst);
    let sp = app.sp("modify").await;
    let (hook, _) = subscribe(
        &app,
        &sp.token,
        &format!("service-providers/{}", sp.id),
        &receiver.url,
        json!(["service_provider.*"]),
    )
    .await;
    app.patch(&sp.token, &format!("/v1/service-providers/{}", sp.id), json!({"name": "Big"})).await.assert(200);
    attempts_recorded(&app, &sp.token, &hook, 1).await;
    let log = app.get(&sp.token, &format!("/v1/webhooks/{hook}/deliveries")).await;
    let first = &log.body["items"][0];
    assert_eq!((first["state"].as_str(), first["attempt_log"][0]["status"].as_u64()), (Some("pending"), Some(500)));
    let ms = first["attempt_log"][0]["duration_ms"].as_i64().unwrap();
    assert!(ms < 5_000, "the worker read the 10 MB body: {ms} ms");

    // The same body with a 2xx delivers: the status decides, the body is not read. The
    // worker is free for the next event too.
    receiver.status.store(200, Ordering::SeqCst);
    let delivery = first["id"].as_str().unwrap().to_owned();
    app.post(&sp.token, &format!("/v1/webhooks/{hook}/deliveries/{delivery}/retry"), json!({})).await.assert(202);
    app.patch(&sp.token, &format!("/v1/service-providers/{}", sp.id), json!({"name": "Bigger"})).await.assert(200);
    let started = Instant::now();
    loop {
        let log = app.get(&sp.token, &format!("/v1/webhooks/{hook}/deliveries")).await;
        let items = log.body["items"].as_array().unwrap().clone();
        if items.len() == 2 && items.iter().all(|d| d["state"] == "delivered") {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(15), "not delivered: {}", log.body);
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
}
