//! Spawning the app, per-test databases, an HTTP client and tenant-tree builders.

#![allow(dead_code, reason = "each test module uses a different part of the harness")]

use std::path::PathBuf;
use std::sync::Once;

use awc::http::Method;
use diesel::{Connection, RunQueryDsl, pg::PgConnection};
use serde_json::{Value, json};
use siprov::config::{LogFormat, Secret, Settings};
use siprov::db::Backend;
use siprov::startup::Application;
use uuid::Uuid;

pub const PASSWORD: &str = "correct-horse-battery";
pub const ADMIN: &str = "admin";

/// A database that exists for one test and is removed after it.
pub enum TestDb {
    Sqlite(PathBuf),
    Postgres { admin_url: String, name: String },
}

impl TestDb {
    pub fn create() -> (TestDb, Backend) {
        match std::env::var("SIPROV_TEST_DATABASE_URL").ok().filter(|u| !u.is_empty()) {
            Some(admin_url) => {
                let name = format!("siprov_test_{}", Uuid::new_v4().simple());
                let mut conn = PgConnection::establish(&admin_url).expect("connect to SIPROV_TEST_DATABASE_URL");
                diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut conn).expect("create test database");
                let url = with_database(&admin_url, &name);
                (TestDb::Postgres { admin_url, name }, Backend::Postgres(url))
            }
            None => {
                let path = std::env::temp_dir().join(format!("siprov-test-{}.db", Uuid::new_v4().simple()));
                let backend = Backend::Sqlite(path.to_string_lossy().into_owned());
                (TestDb::Sqlite(path), backend)
            }
        }
    }
}

/// The same URL pointing at another database.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let base = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    format!("{base}/{name}{query}")
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match self {
            TestDb::Sqlite(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let mut p = path.clone().into_os_string();
                    p.push(suffix);
                    let _ = std::fs::remove_file(p);
                }
            }
            TestDb::Postgres { admin_url, name } => {
                if let Ok(mut conn) = PgConnection::establish(admin_url) {
                    let _ =
                        diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut conn);
                }
            }
        }
    }
}

/// A running app with its own database and a system admin token.
pub struct TestApp {
    pub base: String,
    pub client: awc::Client,
    pub admin: String,
    pub settings: Settings,
    /// What the app's password-hashing threads have done.
    pub hashing: siprov::auth::hashing::Stats,
    _db: TestDb,
}

/// An HTTP answer: status and parsed JSON body (`Value::Null` when empty).
#[derive(Debug)]
pub struct Res {
    pub status: u16,
    pub body: Value,
    pub headers: awc::http::header::HeaderMap,
}

impl Res {
    /// The body's `code`, for refusals.
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }

    pub fn rule(&self) -> &str {
        self.body["rule"].as_str().unwrap_or("")
    }

    pub fn id(&self) -> String {
        self.body["id"].as_str().unwrap_or_else(|| panic!("no id in {self:?}")).to_owned()
    }

    #[track_caller]
    pub fn assert(&self, status: u16) -> &Res {
        assert_eq!(self.status, status, "unexpected status, body: {}", self.body);
        self
    }

    /// Asserts a refusal: status, `code` and (for 403) `rule`.
    #[track_caller]
    pub fn assert_refused(&self, status: u16, code: &str, rule: &str) {
        assert_eq!((self.status, self.code(), self.rule()), (status, code, rule), "body: {}", self.body);
    }
}

static QUIET: Once = Once::new();

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Spawns the app after letting the test adjust its settings.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    QUIET.call_once(|| {
        if std::env::var("TEST_LOG").is_ok() {
            let filter = std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into());
            siprov::telemetry::init(LogFormat::Text, &filter);
        }
    });
    let (db, backend) = TestDb::create();
    let mut settings = Settings::from_lookup(|_| None).expect("default settings");
    settings.listen = "127.0.0.1:0".parse().expect("addr");
    settings.database = backend;
    settings.bootstrap_admin_password = Some(Secret::new(PASSWORD));
    adjust(&mut settings);
    let app = Application::build(&settings).expect("build app");
    let base = format!("http://127.0.0.1:{}", app.port());
    let hashing = app.hashing();
    actix_web::rt::spawn(app.run_until_stopped());
    let client = awc::Client::builder().timeout(std::time::Duration::from_secs(30)).finish();
    let mut test = TestApp { base, client, admin: String::new(), settings, hashing, _db: db };
    test.admin = test.login(ADMIN, PASSWORD).await;
    test
}

impl TestApp {
    /// On PostgreSQL: the admin URL and the name of this app's database.
    pub fn postgres_database(&self) -> Option<(String, String)> {
        match &self._db {
            TestDb::Postgres { admin_url, name } => Some((admin_url.clone(), name.clone())),
            TestDb::Sqlite(_) => None,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Sends a request; `body` as JSON when given.
    pub async fn call(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Res {
        let mut req = self.client.request(method, self.url(path));
        if let Some(t) = token {
            req = req.insert_header(("Authorization", format!("Bearer {t}")));
        }
        let mut res = match body {
            Some(b) => req.send_json(&b).await,
            None => req.send().await,
        }
        .expect("request sent");
        raw_res(&mut res).await
    }

    /// Sends raw bytes with a content type.
    pub async fn send_raw(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        content_type: &str,
        body: Vec<u8>,
    ) -> Res {
        let mut req = self.client.request(method, self.url(path)).insert_header(("Content-Type", content_type));
        if let Some(t) = token {
            req = req.insert_header(("Authorization", format!("Bearer {t}")));
        }
        let mut res = req.send_body(body).await.expect("request sent");
        raw_res(&mut res).await
    }

    pub async fn get(&self, token: &str, path: &str) -> Res {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, token: &str, path: &str, body: Value) -> Res {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }

    pub async fn patch(&self, token: &str, path: &str, body: Value) -> Res {
        self.call(Method::PATCH, path, Some(token), Some(body)).await
    }

    pub async fn delete(&self, token: &str, path: &str) -> Res {
        self.call(Method::DELETE, path, Some(token), None).await
    }

    pub async fn login(&self, username: &str, password: &str) -> String {
        let res = self
            .call(
                Method::POST,
                "/v1/auth/token",
                None,
                Some(json!({"grant_type": "password", "username": username, "password": password})),
            )
            .await;
        assert_eq!(res.status, 200, "login of {username} failed: {}", res.body);
        res.body["access_token"].as_str().expect("token").to_owned()
    }

    /// A service provider created by the system admin, with its owner's token.
    pub async fn sp(&self, level: &str) -> Node {
        let username = unique("sp");
        let res = self
            .post(
                &self.admin,
                "/v1/service-providers",
                json!({"name": "SP", "device_provisioning": level, "owner": {"username": username, "password": PASSWORD}}),
            )
            .await;
        res.assert(201);
        self.node(res.id(), username).await
    }

    /// An organization under `sp`, created by the system admin (who may set any level).
    pub async fn org(&self, sp: &Node, level: &str) -> Node {
        let username = unique("org");
        let res = self
            .post(
                &self.admin,
                &format!("/v1/service-providers/{}/organizations", sp.id),
                json!({"name": "Org", "device_provisioning": level, "owner": {"username": username, "password": PASSWORD}}),
            )
            .await;
        res.assert(201);
        self.node(res.id(), username).await
    }

    /// A user under `org`, created by the system admin.
    pub async fn user(&self, org: &Node, level: &str) -> Node {
        let username = unique("user");
        let res = self
            .post(
                &self.admin,
                &format!("/v1/organizations/{}/users", org.id),
                json!({"name": "User", "device_provisioning": level, "username": username, "password": PASSWORD}),
            )
            .await;
        res.assert(201);
        self.node(res.id(), username).await
    }

    async fn node(&self, id: String, username: String) -> Node {
        let token = self.login(&username, PASSWORD).await;
        Node { id, username, token }
    }

    /// Sets a node's level as the system admin.
    pub async fn set_level(&self, kind_path: &str, id: &str, level: &str) {
        self.patch(&self.admin, &format!("/v1/{kind_path}/{id}"), json!({"device_provisioning": level}))
            .await
            .assert(200);
    }
}

async fn raw_res<S>(res: &mut awc::ClientResponse<S>) -> Res
where
    S: futures_util::Stream<Item = Result<actix_web::web::Bytes, awc::error::PayloadError>> + Unpin,
{
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let bytes = res.body().limit(16 * 1024 * 1024).await.expect("body");
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
    };
    Res { status, body, headers }
}

/// A created node and its login's token.
#[derive(Clone, Debug)]
pub struct Node {
    pub id: String,
    pub username: String,
    pub token: String,
}

/// A unique username with a readable prefix.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", &Uuid::new_v4().simple().to_string()[..12])
}

impl TestApp {
    /// A second instance of the application on this app's database (as a second process
    /// would be), serving on a port of its own: its base URL.
    pub fn spawn_twin(&self) -> String {
        let mut settings = self.settings.clone();
        settings.listen = "127.0.0.1:0".parse().expect("addr");
        let twin = Application::build(&settings).expect("build the second instance");
        let base = format!("http://127.0.0.1:{}", twin.port());
        actix_web::rt::spawn(twin.run_until_stopped());
        base
    }

    /// Sends a request to another instance (`base`), as [`TestApp::call`] does.
    pub async fn call_at(
        &self,
        base: &str,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Res {
        let mut req = self.client.request(method, format!("{base}{path}"));
        if let Some(t) = token {
            req = req.insert_header(("Authorization", format!("Bearer {t}")));
        }
        let mut res = match body {
            Some(b) => req.send_json(&b).await,
            None => req.send().await,
        }
        .expect("request sent");
        raw_res(&mut res).await
    }
}
