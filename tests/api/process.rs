//! The real binary as a user runs it: the command line, start-up failures, the request log,
//! secrets (passwords, PINs, the signing key) never reaching a log line, signals, and the
//! files it creates.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use siprov::db::Backend;

use crate::helpers::{PASSWORD, TestDb, unique};

const BIN: &str = env!("CARGO_BIN_EXE_siprov");

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("free port")
}

/// A fresh, empty working directory, removed afterwards.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Scratch {
        let dir = std::env::temp_dir().join(format!("siprov-cwd-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir(&dir).expect("create scratch dir");
        Scratch(dir)
    }

    fn entries(&self) -> Vec<String> {
        std::fs::read_dir(&self.0)
            .expect("read scratch dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The binary in `dir` with an empty environment: nothing the test runner inherited
/// (RUST_LOG, NO_COLOR, DATABASE_URL, a data/ folder) changes what it does.
fn siprov(dir: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_clear().current_dir(dir).stdin(Stdio::null());
    cmd
}

/// Runs the binary with `args` and `env` in a scratch directory until it exits; returns
/// (exit code, stdout, stderr).
fn run(args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String, String) {
    let dir = Scratch::new();
    let out =
        siprov(&dir.0).args(args).env("SIPROV_LISTEN", "127.0.0.1:0").envs(env.iter().copied()).output().expect("run");
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.code(), text(&out.stdout), text(&out.stderr))
}

/// Runs the binary with `env` until it exits; returns (exit code, stderr).
fn run_to_exit(env: &[(&str, &str)]) -> (Option<i32>, String) {
    let (code, _, stderr) = run(&[], env);
    (code, stderr)
}

/// The stderr lines that are not blank.
fn lines(stderr: &str) -> Vec<&str> {
    stderr.lines().filter(|l| !l.trim().is_empty()).collect()
}

fn url_of(backend: &Backend) -> String {
    match backend {
        Backend::Sqlite(path) => format!("sqlite://{path}"),
        Backend::Postgres(url) => url.clone(),
    }
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
        let lines = lines(&stderr);
        assert_eq!(lines.len(), 1, "{env:?} printed {stderr:?}");
        assert!(lines[0].starts_with("siprov: "), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[actix_web::test]
async fn zero_or_many_workers_and_a_bad_log_filter_are_refused_with_one_line_naming_the_setting() {
    /// Arguments, variables, and how the one line on stderr starts.
    type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str);
    let cases: [Case; 6] = [
        (&[], &[("SIPROV_WORKERS", "0")], "siprov: SIPROV_WORKERS=\"0\""),
        (&[], &[("SIPROV_WORKERS", "many")], "siprov: SIPROV_WORKERS=\"many\""),
        (&[], &[("RUST_LOG", "siprov=loud")], "siprov: RUST_LOG=\"siprov=loud\""),
        (&["--workers", "0"], &[("SIPROV_WORKERS", "2")], "siprov: --workers=\"0\""),
        (&["serve", "--token-ttl=5"], &[], "siprov: --token-ttl=\"5\""),
        (&["migrate"], &[("SIPROV_LISTEN", "nowhere")], "siprov: SIPROV_LISTEN=\"nowhere\""),
    ];
    for (args, env, start) in cases {
        let (code, _, stderr) = run(args, env);
        assert_eq!(code, Some(1), "{args:?} {env:?}: {stderr}");
        let lines = lines(&stderr);
        assert_eq!(lines.len(), 1, "{args:?} {env:?} printed {stderr:?}");
        assert!(lines[0].starts_with(start), "{args:?} {env:?}: {stderr}");
    }
}

#[actix_web::test]
async fn a_bad_database_url_from_database_url_names_database_url_and_not_its_password() {
    let (code, _, stderr) = run(&[], &[("DATABASE_URL", "mysql://app:hunter2-secret@db/siprov")]);
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(lines(&stderr).len(), 1, "{stderr}");
    assert!(stderr.starts_with("siprov: DATABASE_URL: "), "{stderr}");
    assert!(!stderr.contains("hunter2"), "{stderr}");
    let (_, _, stderr) = run(&[], &[("SIPROV_DATABASE_URL", "mysql://db/x"), ("DATABASE_URL", "sqlite://x.db")]);
    assert!(stderr.starts_with("siprov: SIPROV_DATABASE_URL: "), "{stderr}");
}

#[actix_web::test]
async fn help_lists_every_setting_with_its_flag_and_variable_and_shows_no_secret() {
    let secrets = [
        ("SIPROV_JWT_SECRET", "jwt-secret-Hq3-0123456789abcdef0123456789"),
        ("SIPROV_JWT_PREVIOUS_SECRETS", "jwt-previous-Kr8-0123456789abcdef0123456789"),
        ("SIPROV_BOOTSTRAP_ADMIN_PASSWORD", "admin-password-Pw7"),
        ("SIPROV_DATABASE_URL", "postgres://app:db-password-Dz9@db/siprov"),
        ("DATABASE_URL", "postgres://app:db-password-Fb2@db/siprov"),
    ];
    let (code, help, stderr) = run(&["--help"], &secrets);
    assert_eq!(code, Some(0), "{stderr}");
    for (flag, var) in [
        ("--listen", "SIPROV_LISTEN"),
        ("--database-url", "SIPROV_DATABASE_URL"),
        ("--bootstrap-admin-username", "SIPROV_BOOTSTRAP_ADMIN_USERNAME"),
        ("--bootstrap-admin-password", "SIPROV_BOOTSTRAP_ADMIN_PASSWORD"),
        ("--jwt-secret", "SIPROV_JWT_SECRET"),
        ("--token-ttl", "SIPROV_TOKEN_TTL"),
        ("--log-format", "SIPROV_LOG_FORMAT"),
        ("--log-filter", "RUST_LOG"),
        ("--workers", "SIPROV_WORKERS"),
        ("--cors-origins", "SIPROV_CORS_ORIGINS"),
        ("--jwt-previous-secrets", "SIPROV_JWT_PREVIOUS_SECRETS"),
        ("--sqlite-busy-timeout", "SIPROV_SQLITE_BUSY_TIMEOUT"),
    ] {
        assert!(help.contains(flag) && help.contains(&format!("[env: {var}")), "{flag} / {var} missing:\n{help}");
    }
    for command in ["serve", "migrate", "openapi"] {
        assert!(help.contains(command), "{command} missing:\n{help}");
    }
    for (_, secret) in secrets {
        let password = secret.rsplit(':').next().unwrap_or(secret);
        assert!(!help.contains(password), "{password:?} shown in:\n{help}");
    }
}

#[actix_web::test]
async fn version_prints_the_name_and_version() {
    let (code, out, _) = run(&["--version"], &[]);
    assert_eq!(code, Some(0));
    assert_eq!(out.trim(), format!("siprov {}", env!("CARGO_PKG_VERSION")));
}

#[actix_web::test]
async fn an_unknown_argument_or_subcommand_is_a_usage_error_that_touches_nothing() {
    for args in [&["--bogus"][..], &["bogus"], &["serve", "--nope"], &["migrate", "extra"], &["--listen"]] {
        let dir = Scratch::new();
        let port = free_port();
        let out = siprov(&dir.0).args(args).env("SIPROV_LISTEN", format!("127.0.0.1:{port}")).output().expect("run");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.starts_with("error: "), "{args:?}: {stderr}");
        assert!(dir.entries().is_empty(), "{args:?} created {:?}", dir.entries());
        assert!(std::net::TcpListener::bind(("127.0.0.1", port)).is_ok(), "{args:?}: port still bound");
    }
}

#[actix_web::test]
async fn migrate_applies_the_migrations_and_exits_0_without_serving_or_creating_an_admin() {
    let (db, backend) = TestDb::create();
    let port = free_port();
    let dir = Scratch::new();
    let out = siprov(&dir.0)
        .arg("migrate")
        .env("SIPROV_DATABASE_URL", url_of(&backend))
        .env("SIPROV_LISTEN", format!("127.0.0.1:{port}"))
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("migrations applied") && !stderr.contains("serving"), "{stderr}");
    assert!(std::net::TcpListener::bind(("127.0.0.1", port)).is_ok(), "migrate bound its port");
    let count = |table: &str| -> i64 {
        use diesel::{Connection, RunQueryDsl};
        let query =
            diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(&format!("(SELECT count(*) FROM {table})")));
        match &backend {
            Backend::Sqlite(path) => {
                query.get_result(&mut diesel::SqliteConnection::establish(path).expect("open")).expect("count")
            }
            Backend::Postgres(url) => {
                query.get_result(&mut diesel::PgConnection::establish(url).expect("connect")).expect("count")
            }
        }
    };
    let migrations = std::fs::read_dir("migrations/sqlite").expect("migrations").count();
    assert_eq!(count("__diesel_schema_migrations"), migrations as i64);
    assert_eq!(count("logins"), 0, "migrate must not create the bootstrap admin");
    // Idempotent: a second run finds nothing to do.
    let again = siprov(&dir.0).arg("migrate").env("SIPROV_DATABASE_URL", url_of(&backend)).output().expect("run");
    assert_eq!(again.status.code(), Some(0));
    drop(db);
}

#[actix_web::test]
async fn openapi_into_a_reader_that_stops_after_one_line_exits_quietly() {
    let dir = Scratch::new();
    let mut child = siprov(&dir.0)
        .arg("openapi")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn siprov openapi");
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut first).expect("read");
    // The reader is gone now, with most of the 160 KB document unread.
    let status = child.wait().expect("wait");
    let mut stderr = String::new();
    child.stderr.take().expect("stderr").read_to_string(&mut stderr).expect("stderr");
    assert_eq!(first.trim(), "{");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(dir.entries().is_empty(), "openapi created {:?}", dir.entries());
}

struct Running {
    child: Child,
    base: String,
    port: u16,
    _db: Option<TestDb>,
}

impl Running {
    /// Stops the server and returns everything it logged.
    fn stop(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.log()
    }

    fn log(&mut self) -> String {
        let mut log = String::new();
        if let Some(mut err) = self.child.stderr.take() {
            let _ = err.read_to_string(&mut log);
        }
        log
    }

    /// Sends `signal` (`INT`, `TERM`) the way an operator or an orchestrator does.
    fn signal(&self, signal: &str) {
        let status =
            Command::new("kill").args(["-s", signal, &self.child.id().to_string()]).status().expect("run kill");
        assert!(status.success(), "kill -s {signal} failed");
    }

    /// Waits for the process to exit by itself, at most `limit`; returns its status and log.
    fn exit_within(mut self, limit: Duration) -> (ExitStatus, String) {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return (status, self.log());
            }
            if started.elapsed() > limit {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!("still running {limit:?} after the signal; log:\n{}", self.log());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Starts `cmd` (a `siprov` with its settings) on a free port with its log piped; returns
/// once `/healthz` answers.
async fn serve(mut cmd: Command, db: Option<TestDb>) -> Running {
    let port = free_port();
    let mut child = cmd
        .env("SIPROV_LISTEN", format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn siprov");
    let base = format!("http://127.0.0.1:{port}");
    let client = awc::Client::default();
    for _ in 0..200 {
        if client.get(format!("{base}/healthz")).send().await.is_ok_and(|r| r.status().is_success()) {
            return Running { child, base, port, _db: db };
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    let mut log = String::new();
    if let Some(mut err) = child.stderr.take() {
        let _ = err.read_to_string(&mut log);
    }
    panic!("siprov did not start:\n{log}");
}

/// A server on a fresh test database with the given admin password and extra settings.
async fn start_with(password: &str, env: &[(&str, &str)]) -> Running {
    let (db, backend) = TestDb::create();
    let mut cmd = siprov(&std::env::temp_dir());
    cmd.env("SIPROV_DATABASE_URL", url_of(&backend))
        .env("SIPROV_BOOTSTRAP_ADMIN_PASSWORD", password)
        .envs(env.iter().copied());
    serve(cmd, Some(db)).await
}

async fn start(password: &str, secret: &str) -> Running {
    start_with(password, &[("SIPROV_JWT_SECRET", secret), ("SIPROV_LOG_FORMAT", "json"), ("RUST_LOG", "debug")]).await
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
    for l in latency_texts(&log) {
        assert!(l.split_once('.').is_none_or(|(_, d)| d.len() <= 3), "latency {l:?} in\n{log}");
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

/// The decimals of every `latency_ms` value in `log` (text `latency_ms=0.033` or JSON
/// `"latency_ms":0.033`), as written.
fn latency_texts(log: &str) -> Vec<String> {
    log.split("latency_ms")
        .skip(1)
        .map(|rest| {
            let value = rest.trim_start_matches(['=', '"', ':']);
            value.chars().take_while(|c| c.is_ascii_digit() || *c == '.' || *c == 'e' || *c == '-').collect()
        })
        .collect()
}

#[actix_web::test]
async fn the_text_log_on_a_pipe_has_no_colour_and_latencies_with_at_most_three_decimals() {
    let server = start_with(PASSWORD, &[]).await;
    let client = awc::Client::default();
    for path in ["/healthz", "/readyz", "/nope", "/v1/me", "/openapi.json"] {
        let _ = client.get(format!("{}{path}", server.base)).send().await.expect("send");
    }
    let log = server.stop();
    assert!(!log.contains('\u{1b}'), "escape codes in a piped log:\n{log}");
    let latencies = latency_texts(&log);
    assert!(latencies.len() >= 5, "{log}");
    for l in latencies {
        let (whole, decimals) = l.split_once('.').unwrap_or((&l, ""));
        assert!(!whole.is_empty() && whole.bytes().all(|b| b.is_ascii_digit()), "latency {l:?} in\n{log}");
        assert!(decimals.len() <= 3 && decimals.bytes().all(|b| b.is_ascii_digit()), "latency {l:?} in\n{log}");
    }
}

#[actix_web::test]
async fn a_bootstrap_password_given_once_an_admin_exists_is_ignored_with_a_warning() {
    let (db, backend) = TestDb::create();
    let url = url_of(&backend);
    let launch = |password: &str| {
        let mut cmd = siprov(&std::env::temp_dir());
        cmd.env("SIPROV_DATABASE_URL", &url).env("SIPROV_BOOTSTRAP_ADMIN_PASSWORD", password);
        cmd
    };
    let first = serve(launch("first-password-1"), None).await;
    first.signal("TERM");
    let (status, log) = first.exit_within(Duration::from_secs(15));
    assert!(status.success(), "{log}");
    assert!(log.contains("created the bootstrap system admin") && !log.contains("ignored"), "{log}");

    let second = serve(launch("second-password-2"), None).await;
    let client = awc::Client::default();
    let login = |password: &'static str| {
        client
            .post(format!("{}/v1/auth/token", second.base))
            .send_json(&json!({"grant_type": "password", "username": "admin", "password": password}))
    };
    assert_eq!(login("second-password-2").await.expect("send").status(), 401);
    assert_eq!(login("first-password-1").await.expect("send").status(), 200);
    let log = second.stop();
    let warning: Vec<&str> = log.lines().filter(|l| l.contains("SIPROV_BOOTSTRAP_ADMIN_PASSWORD ignored")).collect();
    assert_eq!(warning.len(), 1, "{log}");
    assert!(warning[0].contains("WARN"), "{log}");
    assert!(!log.contains("second-password-2"), "{log}");
    drop(db);
}

/// A request whose body is still arriving when the signal comes is answered in full, then
/// the process exits 0: both signals drain (actix by itself stops at once on SIGINT).
#[actix_web::test]
async fn sigint_and_sigterm_finish_the_request_in_flight_and_exit_0() {
    for signal in ["INT", "TERM"] {
        let server = start_with(PASSWORD, &[]).await;
        let body = json!({"grant_type": "password", "username": "admin", "password": PASSWORD}).to_string();
        let mut stream = TcpStream::connect(("127.0.0.1", server.port)).expect("connect");
        stream.set_read_timeout(Some(Duration::from_secs(15))).expect("timeout");
        write!(
            stream,
            "POST /v1/auth/token HTTP/1.1\r\nHost: siprov\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\n\r\n{}",
            body.len(),
            &body[..10]
        )
        .expect("write head");
        std::thread::sleep(Duration::from_millis(300));
        server.signal(signal);
        std::thread::sleep(Duration::from_millis(500));
        stream.write_all(&body.as_bytes()[10..]).expect("write the rest of the body");
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer);
        assert!(answer.starts_with("HTTP/1.1 200 OK"), "SIG{signal}: the request in flight got {answer:?}");
        assert!(answer.contains("access_token"), "SIG{signal}: {answer}");
        let port = server.port;
        let (status, log) = server.exit_within(Duration::from_secs(15));
        assert_eq!(status.code(), Some(0), "SIG{signal}:\n{log}");
        assert!(log.contains(&format!("signal=\"SIG{signal}\"")) && log.contains("draining"), "{log}");
        assert!(std::net::TcpListener::bind(("127.0.0.1", port)).is_ok(), "SIG{signal}: port still bound");
    }
}

#[cfg(unix)]
#[actix_web::test]
async fn a_fresh_sqlite_database_and_its_directory_are_readable_by_the_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = Scratch::new();
    // The default database URL, sqlite://data/siprov.db, relative to the working directory.
    let server = serve(siprov(&dir.0), None).await;
    let mode = |name: &str| std::fs::metadata(dir.0.join(name)).map(|m| m.permissions().mode() & 0o777);
    assert_eq!(mode("data").expect("data/"), 0o700);
    assert_eq!(mode("data/siprov.db").expect("data/siprov.db"), 0o600);
    // The pool holds connections open, so the WAL files exist now; SQLite gives them the
    // database file's mode.
    for side in ["data/siprov.db-wal", "data/siprov.db-shm"] {
        assert_eq!(mode(side).unwrap_or_else(|e| panic!("{side}: {e}")), 0o600, "{side}");
    }
    server.stop();
}

/// Status of `GET /v1/me` with `token`.
async fn me_status(client: &awc::Client, base: &str, token: &str) -> u16 {
    client
        .get(format!("{base}/v1/me"))
        .insert_header(("Authorization", format!("Bearer {token}")))
        .send()
        .await
        .expect("send")
        .status()
        .as_u16()
}

async fn admin_token(client: &awc::Client, base: &str) -> String {
    let body = json!({"grant_type": "password", "username": "admin", "password": PASSWORD});
    send(client, base, "POST", "/v1/auth/token", None, body).await["access_token"].as_str().expect("a token").to_owned()
}

/// The key id in a token's header.
fn kid_of(token: &str) -> Option<String> {
    jsonwebtoken::decode_header(token).expect("a JWT").kid
}

/// Key rotation as the README tells it, across real restarts on one database: the new
/// secret signs, the previous one verifies its tokens while it is configured, and no
/// longer once it is removed.
#[actix_web::test]
async fn after_a_restart_with_a_new_secret_the_previous_secrets_tokens_verify_until_it_is_removed() {
    const OLD: &str = "rotation-old-secret-0123456789abcdef0123";
    const NEW: &str = "rotation-new-secret-0123456789abcdef0123";
    let (db, backend) = TestDb::create();
    let url = url_of(&backend);
    let launch = |env: &[(&str, &str)]| {
        let mut cmd = siprov(&std::env::temp_dir());
        cmd.env("SIPROV_DATABASE_URL", &url).env("SIPROV_BOOTSTRAP_ADMIN_PASSWORD", PASSWORD).envs(env.iter().copied());
        cmd
    };
    let client = awc::Client::default();
    let restart = |server: Running| {
        server.signal("TERM");
        let (status, log) = server.exit_within(Duration::from_secs(15));
        assert!(status.success(), "{log}");
    };

    let first = serve(launch(&[("SIPROV_JWT_SECRET", OLD)]), None).await;
    let old_token = admin_token(&client, &first.base).await;
    assert_eq!(kid_of(&old_token), Some(siprov::auth::token::key_id(OLD.as_bytes())));
    restart(first);

    let second = serve(launch(&[("SIPROV_JWT_SECRET", NEW), ("SIPROV_JWT_PREVIOUS_SECRETS", OLD)]), None).await;
    assert_eq!(me_status(&client, &second.base, &old_token).await, 200, "the previous secret still verifies");
    let new_token = admin_token(&client, &second.base).await;
    assert_eq!(kid_of(&new_token), Some(siprov::auth::token::key_id(NEW.as_bytes())), "the new secret signs");
    restart(second);

    let third = serve(launch(&[("SIPROV_JWT_SECRET", NEW)]), None).await;
    assert_eq!(me_status(&client, &third.base, &old_token).await, 401, "a removed secret verifies nothing");
    assert_eq!(me_status(&client, &third.base, &new_token).await, 200);
    third.stop();
    drop(db);
}

/// With no secret configured, the one generated on first start is kept in the database:
/// tokens survive a restart, as before key ids.
#[actix_web::test]
async fn without_a_configured_secret_the_generated_one_signs_and_its_tokens_survive_a_restart() {
    let (db, backend) = TestDb::create();
    let url = url_of(&backend);
    let launch = || {
        let mut cmd = siprov(&std::env::temp_dir());
        cmd.env("SIPROV_DATABASE_URL", &url).env("SIPROV_BOOTSTRAP_ADMIN_PASSWORD", PASSWORD);
        cmd
    };
    let client = awc::Client::default();
    let first = serve(launch(), None).await;
    let token = admin_token(&client, &first.base).await;
    assert!(kid_of(&token).is_some(), "the generated secret's tokens carry its key id too");
    first.signal("TERM");
    assert!(first.exit_within(Duration::from_secs(15)).0.success());
    let second = serve(launch(), None).await;
    assert_eq!(me_status(&client, &second.base, &token).await, 200);
    second.stop();
    drop(db);
}

/// A figure of `/proc/<pid>/status` in KiB (`VmRSS`, `VmHWM`: the peak).
#[cfg(target_os = "linux")]
fn memory_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("read /proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no {field} in {status}"))
}

/// The memory bound the README states for a flood of logins: argon2 holds 19 MiB per
/// hashing thread (one per core) and nothing more however many logins wait, so the peak
/// grows by less than that per core, plus 32 MiB of connections and buffers.
#[cfg(target_os = "linux")]
fn login_flood_bound_mib() -> u64 {
    let cores = std::thread::available_parallelism().map_or(1, usize::from) as u64;
    cores * 19 + 32
}

#[cfg(target_os = "linux")]
#[actix_web::test]
async fn two_hundred_concurrent_logins_keep_the_process_within_its_memory_bound() {
    // Each login comes from an address of its own (through a trusted proxy): from one address,
    // K7 locks `admin` after its fifth wrong password, and whether later logins meet that lock
    // depends on how fast the hashes finish, which is not what this test measures.
    let mut server = start_with(PASSWORD, &[("SIPROV_TRUSTED_PROXIES", "127.0.0.1")]).await;
    let pid = server.child.id();
    // The log is read as it is written: a pipe nobody reads fills up and stalls the server.
    let mut stderr = server.child.stderr.take().expect("piped stderr");
    let log = std::thread::spawn(move || {
        let mut log = String::new();
        let _ = stderr.read_to_string(&mut log);
        log
    });
    let client =
        awc::Client::builder().connector(awc::Connector::new().limit(0)).timeout(Duration::from_secs(60)).finish();
    // One login first: the process as it serves, before the flood.
    admin_token(&client, &server.base).await;
    let before = memory_kib(pid, "VmRSS");
    let logins = (0..200).map(|i| {
        // Right and wrong passwords, known and unknown usernames: the same work each.
        let (username, password) = match i % 4 {
            0 | 1 => ("admin", PASSWORD),
            2 => ("admin", "a-wrong-password"),
            _ => ("nobody-by-that-name", PASSWORD),
        };
        let body = json!({"grant_type": "password", "username": username, "password": password});
        let request = client
            .post(format!("{}/v1/auth/token", server.base))
            .insert_header(("X-Forwarded-For", format!("10.1.{}.{}", i / 250, i % 250 + 1)))
            .send_json(&body);
        async move { request.await.map(|r| (r.status().as_u16(), r.headers().get("retry-after").cloned())) }
    });
    let answers = futures_util::future::join_all(logins).await;
    let peak = memory_kib(pid, "VmHWM");
    let mut count = std::collections::BTreeMap::new();
    for answer in &answers {
        let (status, retry_after) = answer.as_ref().expect("every login is answered");
        assert!(matches!(status, 200 | 401 | 503), "a login answered {status}");
        if *status == 503 {
            assert!(retry_after.is_some(), "503 without Retry-After");
        }
        *count.entry(*status).or_insert(0) += 1;
    }
    server.stop();
    let log = log.join().expect("log reader");
    assert!(count.get(&200).is_some_and(|n| *n > 0), "no login succeeded: {count:?}\n{log}");
    let grown_mib = peak.saturating_sub(before) / 1024;
    eprintln!("200 concurrent logins: {count:?}; resident {before} KiB before, peak {peak} KiB (+{grown_mib} MiB)");
    let bound = login_flood_bound_mib();
    assert!(
        grown_mib < bound,
        "the peak grew {grown_mib} MiB over {before} KiB under 200 concurrent logins (bound {bound} MiB): {count:?}"
    );
}

/// A database file from before files were made private keeps its mode (the operator's to
/// change), and the start says so.
#[cfg(unix)]
#[actix_web::test]
async fn an_existing_sqlite_database_readable_by_others_is_named_in_a_warning_at_start() {
    use std::os::unix::fs::PermissionsExt;
    let dir = Scratch::new();
    std::fs::create_dir(dir.0.join("data")).unwrap();
    let file = dir.0.join("data/siprov.db");
    std::fs::write(&file, b"").unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let log = serve(siprov(&dir.0), None).await.stop();
    let warning: Vec<&str> = log.lines().filter(|l| l.contains("chmod 600")).collect();
    assert_eq!(warning.len(), 1, "{log}");
    assert!(warning[0].contains("WARN") && warning[0].contains("0644"), "{log}");
    assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o644, "the mode is left alone");

    // A private file starts without the warning.
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let log = serve(siprov(&dir.0), None).await.stop();
    assert!(!log.contains("chmod 600"), "{log}");
}
