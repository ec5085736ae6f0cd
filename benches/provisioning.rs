//! Authenticated phone fetches per second (HTTP Digest, MD5, `qop=auth`) against `GET
//! /healthz`, in the same run, by the same client: the ratio says what authentication,
//! the device's lookup, its rendering and the fetch record cost over a route that does
//! nothing. The device has 4 lines (a Yealink `{mac}.cfg`). Reported, never asserted.
//!
//! `cargo bench --bench provisioning` (SQLite temp file). `SIPROV_BENCH_DATABASE_URL` points
//! it at a PostgreSQL server where it may create a database; `SIPROV_BENCH_SECONDS` (default
//! 5) and `SIPROV_BENCH_CONNECTIONS` (default 32) set the run.
//!
//! The server runs in this process with 2 workers; the client is plain keep-alive HTTP/1.1
//! over `std::net`, one thread per connection. Each phone connection gets a nonce from one
//! 401 and then answers it with a fresh `cnonce` and the next `nc` on every request, as a
//! phone fetching several files in a row does; each request's response is computed here.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use md5::{Digest, Md5};
use serde_json::{Value, json};
use siprov::config::{Secret, Settings};
use siprov::db::Backend;
use siprov::startup::Application;

const PASSWORD: &str = "bench-password-1";

/// One keep-alive connection.
struct Conn {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Conn {
    fn open(port: u16) -> Conn {
        let s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        s.set_nodelay(true).expect("nodelay");
        Conn { reader: BufReader::new(s.try_clone().expect("clone")), writer: s }
    }

    fn request(&mut self, method: &str, path: &str, headers: &[(&str, &str)], body: Option<&str>) -> Answer {
        let mut req = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        for (k, v) in headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        match body {
            Some(b) => {
                req.push_str(&format!("Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{b}", b.len()))
            }
            None => req.push_str("\r\n"),
        }
        self.writer.write_all(req.as_bytes()).expect("write");
        let mut line = String::new();
        self.reader.read_line(&mut line).expect("status line");
        let status: u16 = line.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("status");
        let mut headers = Vec::new();
        let mut length = 0usize;
        loop {
            line.clear();
            self.reader.read_line(&mut line).expect("header");
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':') {
                let (k, v) = (k.trim().to_ascii_lowercase(), v.trim().to_owned());
                if k == "content-length" {
                    length = v.parse().expect("length");
                }
                headers.push((k, v));
            }
        }
        let mut body = vec![0; length];
        self.reader.read_exact(&mut body).expect("body");
        Answer { status, headers, body }
    }

    fn json(&mut self, method: &str, path: &str, token: &str, body: Value) -> Value {
        let auth = format!("Bearer {token}");
        let a = self.request(method, path, &[("Authorization", &auth)], Some(&body.to_string()));
        assert!(a.status < 300, "{method} {path}: {} {}", a.status, String::from_utf8_lossy(&a.body));
        if a.body.is_empty() { Value::Null } else { serde_json::from_slice(&a.body).expect("json") }
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn md5(s: &str) -> String {
    hex(&Md5::digest(s.as_bytes()))
}

/// The phone's provisioning login and the file it fetches, after seeding through the API.
fn seed(port: u16) -> (String, String, String) {
    let mut c = Conn::open(port);
    let admin = token(port);
    let sp = c.json(
        "POST",
        "/v1/service-providers",
        &admin,
        json!({"name": "b", "device_provisioning": "modify", "owner": {"username": "bsp", "password": PASSWORD}}),
    );
    let sp = sp["id"].as_str().expect("id").to_owned();
    c.json("PATCH", &format!("/v1/service-providers/{sp}"), &admin, json!({"sip": {"domain": "voice.example.net", "registrar": {"host": "sbc.example.net", "port": 5061, "transport": "tls"}}}));
    let org = c.json(
        "POST",
        &format!("/v1/service-providers/{sp}/organizations"),
        &admin,
        json!({"name": "o", "device_provisioning": "modify", "owner": {"username": "borg", "password": PASSWORD}}),
    );
    let org = org["id"].as_str().expect("id").to_owned();
    let user = c.json(
        "POST",
        &format!("/v1/organizations/{org}/users"),
        &admin,
        json!({"name": "Alice", "username": "alice", "password": PASSWORD, "device_provisioning": "modify"}),
    );
    let user = user["id"].as_str().expect("id").to_owned();
    let mac = "0015651234ab";
    let dev = c.json(
        "POST",
        &format!("/v1/organizations/{org}/devices"),
        &admin,
        json!({"mac_address": mac, "vendor": "yealink", "assigned_to": {"type": "user", "id": user}}),
    );
    let dev = dev["id"].as_str().expect("id").to_owned();
    for i in 0..4 {
        let acc = c.json(
            "POST",
            &format!("/v1/users/{user}/accounts"),
            &admin,
            json!({"number": format!("+4930555010{i}"), "display_name": format!("Alice {i}")}),
        );
        c.json("POST", &format!("/v1/devices/{dev}/lines"), &admin, json!({"account_id": acc["id"]}));
    }
    let issued = c.json("POST", &format!("/v1/devices/{dev}/provisioning-password"), &admin, json!({}));
    (mac.to_owned(), issued["password"].as_str().expect("password").to_owned(), format!("/provisioning/{mac}.cfg"))
}

fn token(port: u16) -> String {
    let mut c = Conn::open(port);
    let body = json!({"grant_type": "password", "username": "admin", "password": PASSWORD}).to_string();
    let a = c.request("POST", "/v1/auth/token", &[], Some(&body));
    assert_eq!(a.status, 200, "{}", String::from_utf8_lossy(&a.body));
    let v: Value = serde_json::from_slice(&a.body).expect("json");
    v["access_token"].as_str().expect("token").to_owned()
}

/// Runs `conns` client threads for `secs`; each calls `step` in a loop on its connection.
fn load<F>(port: u16, conns: usize, secs: u64, step: F) -> f64
where
    F: Fn(&mut Conn, u64) + Send + Sync + 'static,
{
    let step = Arc::new(step);
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let threads: Vec<_> = (0..conns)
        .map(|_| {
            let (step, stop, done) = (step.clone(), stop.clone(), done.clone());
            std::thread::spawn(move || {
                let mut c = Conn::open(port);
                let mut n = 0u64;
                step(&mut c, 0); // warm-up: the Digest client gets its nonce here
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    step(&mut c, n);
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    let start_count = done.load(Ordering::Relaxed);
    let start = Instant::now();
    std::thread::sleep(Duration::from_secs(secs));
    let count = done.load(Ordering::Relaxed) - start_count;
    let elapsed = start.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().expect("client thread");
    }
    count as f64 / elapsed
}

fn main() {
    let secs: u64 = std::env::var("SIPROV_BENCH_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(5);
    let conns: usize = std::env::var("SIPROV_BENCH_CONNECTIONS").ok().and_then(|s| s.parse().ok()).unwrap_or(32);
    let dir = std::env::temp_dir().join(format!("siprov-bench-{}", uuid::Uuid::new_v4().simple()));
    let (backend, pg) = match std::env::var("SIPROV_BENCH_DATABASE_URL") {
        Ok(url) => {
            use diesel::{Connection, RunQueryDsl};
            let name = format!("siprov_bench_{}", uuid::Uuid::new_v4().simple());
            let mut admin = diesel::pg::PgConnection::establish(&url).expect("postgres");
            diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut admin).expect("create database");
            let base = url.rsplit_once('/').map_or(url.as_str(), |(b, _)| b).to_owned();
            (Backend::Postgres(format!("{base}/{name}")), Some((url, name)))
        }
        Err(_) => (Backend::Sqlite(dir.join("bench.db").to_string_lossy().into_owned()), None),
    };
    let mut settings = Settings::from_lookup(|_| None).expect("settings");
    settings.listen = "127.0.0.1:0".parse().expect("addr");
    settings.database = backend.clone();
    settings.bootstrap_admin_password = Some(Secret::new(PASSWORD));
    settings.workers = 2;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let app = Application::build(&settings).expect("build");
            tx.send(app.port()).expect("port");
            app.run_until_stopped().await.expect("serve");
        })
    });
    let port = rx.recv().expect("server started");
    let (mac, password, path) = seed(port);

    let healthz = load(port, conns, secs, |c, _| {
        let a = c.request("GET", "/healthz", &[], None);
        assert_eq!(a.status, 200);
    });

    let ha1 = md5(&format!("{mac}:siprov:{password}"));
    let ha2 = md5(&format!("GET:{path}"));
    let nonce = Arc::new(std::sync::Mutex::new(std::collections::HashMap::<std::thread::ThreadId, String>::new()));
    let fetch_path = path.clone();
    let fetches = load(port, conns, secs, move |c, n| {
        let id = std::thread::current().id();
        let known = nonce.lock().map(|m| m.get(&id).cloned()).unwrap_or(None);
        let nonce_value = match known {
            Some(v) => v,
            None => {
                let a = c.request("GET", &fetch_path, &[], None);
                assert_eq!(a.status, 401);
                let challenge = a
                    .headers
                    .iter()
                    .find(|(k, v)| k == "www-authenticate" && v.contains("algorithm=MD5"))
                    .map(|(_, v)| v.clone())
                    .expect("MD5 challenge");
                let v = challenge.split("nonce=\"").nth(1).and_then(|r| r.split('"').next()).expect("nonce").to_owned();
                if let Ok(mut m) = nonce.lock() {
                    m.insert(id, v.clone());
                }
                v
            }
        };
        let nc = format!("{:08x}", n + 1);
        let cnonce = format!("{:016x}", n.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let response = md5(&format!("{ha1}:{nonce_value}:{nc}:{cnonce}:auth:{ha2}"));
        let auth = format!(
            "Digest username=\"{mac}\", realm=\"siprov\", nonce=\"{nonce_value}\", uri=\"{fetch_path}\", \
             algorithm=MD5, qop=auth, nc={nc}, cnonce=\"{cnonce}\", response=\"{response}\""
        );
        let a = c.request("GET", &fetch_path, &[("Authorization", &auth), ("User-Agent", "Yealink SIP-T46U")], None);
        assert_eq!(a.status, 200, "{}", String::from_utf8_lossy(&a.body));
        assert!(a.body.len() > 1000);
    });

    println!(
        "siprov provisioning benchmark: {}, {secs}s per route, {conns} connections, 2 server workers",
        backend.name()
    );
    println!("GET /healthz (baseline)                        {healthz:>10.0} req/s");
    println!(
        "GET /provisioning/{{mac}}.cfg, Digest MD5, 4 lines {fetches:>10.0} req/s  ratio {:.3} (target >= 0.15)",
        fetches / healthz
    );
    if let Some((url, name)) = pg {
        use diesel::{Connection, RunQueryDsl};
        if let Ok(mut admin) = diesel::pg::PgConnection::establish(&url) {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut admin);
        }
    }
    let _ = std::fs::remove_dir_all(dir);
}
