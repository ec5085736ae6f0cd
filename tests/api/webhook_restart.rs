//! L3 across a crash: the real binary killed with SIGKILL while deliveries are in flight,
//! then started again on the same database, delivers every event at least once.

use std::process::{Child, Command, Stdio};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use siprov::db::Backend;

use crate::helpers::{PASSWORD, TestDb};
use crate::webhooks::{Receiver, verify};

const BIN: &str = env!("CARGO_BIN_EXE_siprov");
const SECRET: &str = "webhook-restart-test-signing-secret-0123456789";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).unwrap()
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn start(db_url: &str, port: u16) -> Server {
    let child = Command::new(BIN)
        .env_clear()
        .env("SIPROV_DATABASE_URL", db_url)
        .env("SIPROV_LISTEN", format!("127.0.0.1:{port}"))
        .env("SIPROV_BOOTSTRAP_ADMIN_PASSWORD", PASSWORD)
        .env("SIPROV_JWT_SECRET", SECRET)
        .env("SIPROV_WEBHOOK_ALLOW_INSECURE", "true")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let server = Server(child);
    let client = awc::Client::default();
    for _ in 0..200 {
        if client.get(format!("http://127.0.0.1:{port}/healthz")).send().await.is_ok_and(|r| r.status().is_success()) {
            return server;
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("siprov did not start");
}

async fn call(client: &awc::Client, port: u16, method: &str, path: &str, token: Option<&str>, body: Value) -> Value {
    let mut req = client.request(method.parse().unwrap(), format!("http://127.0.0.1:{port}{path}"));
    if let Some(t) = token {
        req = req.insert_header(("Authorization", format!("Bearer {t}")));
    }
    let mut res = if method == "GET" { req.send().await.unwrap() } else { req.send_json(&body).await.unwrap() };
    assert!(res.status().is_success(), "{method} {path}: {}", res.status());
    res.json::<Value>().limit(1 << 22).await.unwrap_or(Value::Null)
}

#[actix_web::test]
async fn killed_with_sigkill_mid_delivery_and_restarted_it_delivers_every_event_at_least_once() {
    let (db, backend) = TestDb::create();
    let url = match &backend {
        Backend::Sqlite(path) => format!("sqlite://{path}"),
        Backend::Postgres(url) => url.clone(),
    };
    let receiver = Receiver::start();
    receiver.delay_ms.store(3000, Ordering::SeqCst);
    let port = free_port();
    let mut server = start(&url, port).await;
    let client = awc::Client::builder().timeout(Duration::from_secs(30)).finish();
    let login = json!({"grant_type": "password", "username": "admin", "password": PASSWORD});
    let admin =
        call(&client, port, "POST", "/v1/auth/token", None, login).await["access_token"].as_str().unwrap().to_owned();
    let owner = json!({"username": crate::helpers::unique("sp"), "password": PASSWORD});
    let sp = call(
        &client,
        port,
        "POST",
        "/v1/service-providers",
        Some(&admin),
        json!({"name": "SP", "device_provisioning": "modify", "owner": owner}),
    )
    .await;
    let sp_id = sp["id"].as_str().unwrap().to_owned();
    let hook = json!({"url": receiver.url, "events": ["device.created"]});
    let created =
        call(&client, port, "POST", &format!("/v1/service-providers/{sp_id}/webhooks"), Some(&admin), hook).await;
    let secret = created["secret"].as_str().unwrap().to_owned();
    for i in 0..10 {
        let body = json!({"mac_address": format!("0004f2{:06x}", 0xf000 + i)});
        call(&client, port, "POST", &format!("/v1/service-providers/{sp_id}/devices"), Some(&admin), body).await;
    }
    let started = Instant::now();
    while receiver.arrived.load(Ordering::SeqCst) == 0 {
        assert!(started.elapsed() < Duration::from_secs(15), "no delivery started");
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
    // SIGKILL while the receiver holds the requests: nothing is answered, nothing recorded.
    server.0.kill().unwrap();
    server.0.wait().unwrap();
    assert!(receiver.received().is_empty(), "answered before the kill");
    // What was in flight reaches the receiver's log when its delay ends; only what the
    // restarted process sends counts.
    actix_web::rt::time::sleep(Duration::from_millis(3500)).await;
    receiver.got.lock().unwrap().clear();
    receiver.delay_ms.store(0, Ordering::SeqCst);

    let _restarted = start(&url, port).await;
    drop(server);
    let events = call(&client, port, "GET", "/v1/audit-events?action=device.created", Some(&admin), Value::Null).await;
    let ids: Vec<String> =
        events["items"].as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(ids.len(), 10);
    // Claims of the killed process expire after their lease; then the restarted one sends.
    let got = receiver.wait_for(Duration::from_secs(60), |g| ids.iter().all(|id| g.iter().any(|r| &r.id == id))).await;
    assert!(got.iter().all(|r| verify(&secret, r)));
    drop(db);
}
