//! The real binary as a user runs it: start-up failures, the request log, and secrets
//! (passwords, PINs, the signing key) never reaching a log line.

use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{TestDb, unique};

const BIN: &str = env!("CARGO_BIN_EXE_siprov");

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("free port")
}

/// Runs the binary with `env` until it exits; returns (exit code, stderr).
fn run_to_exit(env: &[(&str, &str)]) -> (Option<i32>, String) {
    let out = Command::new(BIN).envs(env.iter().copied()).env("SIPROV_LISTEN", "127.0.0.1:0").output().expect("run");
    (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[actix_web::test]
async fn a_bad_setting_or_database_url_stops_start_up_with_one_line_and_status_1() {
    for env in [
        vec![("SIPROV_DATABASE_URL", "mysql://localhost/x")],
        vec![("SIPROV_DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")],
        vec![("SIPROV_TOKEN_TTL", "soon")],
        vec![("SIPROV_LOG_FORMAT", "xml")],
        vec![("SIPROV_JWT_SECRET", "too-short")],
    ] {
        let (code, stderr) = run_to_exit(&env);
        assert_eq!(code, Some(1), "{env:?}: {stderr}");
        let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(lines.len(), 1, "{env:?} printed {stderr:?}");
        assert!(lines[0].starts_with("siprov: "), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

struct Running {
    child: Child,
    base: String,
    _db: TestDb,
}

impl Running {
    /// Stops the server and returns everything it logged.
    fn stop(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let mut log = String::new();
        if let Some(mut err) = self.child.stderr.take() {
            let _ = err.read_to_string(&mut log);
        }
        log
    }
}

async fn start(password: &str, secret: &str) -> Running {
    let (db, backend) = TestDb::create();
    let url = match &backend {
        siprov::db::Backend::Sqlite(path) => format!("sqlite://{path}"),
        siprov::db::Backend::Postgres(url) => url.clone(),
    };
    let port = free_port();
    let mut child = Command::new(BIN)
        .env("SIPROV_LISTEN", format!("127.0.0.1:{port}"))
        .env("SIPROV_DATABASE_URL", url)
        .env("SIPROV_BOOTSTRAP_ADMIN_PASSWORD", password)
        .env("SIPROV_JWT_SECRET", secret)
        .env("SIPROV_LOG_FORMAT", "json")
        .env("RUST_LOG", "debug")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn siprov");
    let base = format!("http://127.0.0.1:{port}");
    let client = awc::Client::default();
    for _ in 0..100 {
        if client.get(format!("{base}/healthz")).send().await.is_ok_and(|r| r.status().is_success()) {
            return Running { child, base, _db: db };
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("siprov did not start");
}

async fn send(client: &awc::Client, base: &str, method: &str, path: &str, token: Option<&str>, body: Value) -> Value {
    let mut req = client.request(method.parse().expect("method"), format!("{base}{path}"));
    if let Some(t) = token {
        req = req.insert_header(("Authorization", format!("Bearer {t}")));
    }
    let mut res = req.send_json(&body).await.expect("send");
    res.json::<Value>().limit(1 << 20).await.unwrap_or(Value::Null)
}

#[actix_web::test]
async fn every_request_is_logged_with_its_fields_and_no_password_pin_or_key_ever_is() {
    let admin_password = "admin-secret-Zq81";
    let user_password = "user-secret-Xk42";
    let pin = "9081726354";
    let secret = "signing-key-Yv55-0123456789abcdef0123456789";
    let server = start(admin_password, secret).await;
    let (c, b) = (awc::Client::default(), server.base.clone());
    let token = send(
        &c,
        &b,
        "POST",
        "/v1/auth/token",
        None,
        json!({"grant_type": "password", "username": "admin", "password": admin_password}),
    )
    .await["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    let t = Some(token.as_str());
    let sp = send(&c, &b, "POST", "/v1/service-providers", t, json!({"name": "S", "device_provisioning": "modify", "owner": {"username": unique("s"), "password": user_password}})).await;
    let org = send(
        &c,
        &b,
        "POST",
        &format!("/v1/service-providers/{}/organizations", sp["id"].as_str().unwrap()),
        t,
        json!({"name": "O", "owner": {"username": unique("o"), "password": user_password}}),
    )
    .await;
    let user = send(
        &c,
        &b,
        "POST",
        &format!("/v1/organizations/{}/users", org["id"].as_str().unwrap()),
        t,
        json!({"name": "U", "username": unique("u"), "password": user_password}),
    )
    .await;
    let acc = send(
        &c,
        &b,
        "POST",
        &format!("/v1/users/{}/accounts", user["id"].as_str().unwrap()),
        t,
        json!({"number": "+4930123456", "voicemail": {"pin": pin}}),
    )
    .await;
    let acc_path = format!("/v1/accounts/{}", acc["id"].as_str().unwrap());
    send(&c, &b, "PATCH", &acc_path, t, json!({"voicemail": {"pin": pin}})).await;
    send(&c, &b, "PATCH", &acc_path, t, json!({"voicemail": {"pin": pin.parse::<u64>().unwrap()}})).await;
    send(&c, &b, "PATCH", &acc_path, t, json!({"voicemail": {"pin": "12"}})).await;
    send(
        &c,
        &b,
        "POST",
        "/v1/auth/token",
        None,
        json!({"grant_type": "password", "username": "admin", "password": "wrong-but-secret-Qq9"}),
    )
    .await;
    let log = server.stop();

    for secret_text in [admin_password, user_password, pin, secret, "wrong-but-secret-Qq9", token.as_str()] {
        assert!(!log.contains(secret_text), "{secret_text:?} leaked into the log");
    }
    let requests: Vec<Value> = log
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["message"] == "request")
        .collect();
    assert!(requests.len() >= 10, "only {} request lines in:\n{log}", requests.len());
    for r in &requests {
        let span = &r["span"];
        assert!(span["method"].is_string() && span["path"].is_string() && span["request_id"].is_string(), "{r}");
        assert!(r["status"].is_u64() && r["latency_ms"].is_number(), "{r}");
    }
    assert!(requests.iter().any(|r| r["status"] == 401), "the failed login is logged");
}

/// `/readyz` follows the database: 200 while it answers, 503 problem+json once it is gone,
/// while `/healthz` stays 200. Taking a database away under a running server is only
/// possible on PostgreSQL (an open SQLite file outlives its deletion), so on SQLite this
/// checks the ready half only.
#[actix_web::test]
async fn readyz_answers_503_when_the_database_goes_away_and_healthz_stays_200() {
    let app = crate::helpers::spawn_app().await;
    let ready = app.call(awc::http::Method::GET, "/readyz", None, None).await;
    ready.assert(200);
    let Some((admin_url, name)) = app.postgres_database() else { return };
    let mut conn = <diesel::PgConnection as diesel::Connection>::establish(&admin_url).expect("admin connection");
    diesel::RunQueryDsl::execute(diesel::sql_query(format!("DROP DATABASE {name} WITH (FORCE)")), &mut conn)
        .expect("drop the app's database");
    let down = app.call(awc::http::Method::GET, "/readyz", None, None).await;
    down.assert(503);
    assert_eq!(down.code(), "service_unavailable");
    assert_eq!(down.headers.get("content-type").and_then(|v| v.to_str().ok()), Some("application/problem+json"));
    app.call(awc::http::Method::GET, "/healthz", None, None).await.assert(200);
}
