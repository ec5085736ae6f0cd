//! The database failing under the service: backends terminated under concurrent writes
//! (PostgreSQL), the write lock held elsewhere past the busy timeout (SQLite). A fault is
//! a 503 with `Retry-After`, never a 500; nothing acknowledged is lost; the service
//! recovers by itself.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use diesel::Connection;
use diesel::connection::SimpleConnection;
use futures_util::future::join_all;
use serde_json::json;
use siprov::db::Backend;

use crate::helpers::*;

/// A 503 as the API promises it: problem+json `service_unavailable` with `Retry-After`.
#[track_caller]
fn assert_unavailable(res: &Res, what: &str) {
    assert_eq!((res.status, res.code()), (503, "service_unavailable"), "{what}: {}", res.body);
    assert_eq!(
        res.headers.get("retry-after").and_then(|v| v.to_str().ok()),
        Some("1"),
        "{what}: 503 without Retry-After"
    );
    let content_type = res.headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("");
    assert!(content_type.starts_with("application/problem+json"), "{what}: {content_type}");
}

fn mac(n: u64) -> String {
    format!("0004f2{n:06x}")
}

#[actix_web::test]
async fn writes_while_postgresql_backends_are_terminated_get_503_never_500_and_nothing_acknowledged_is_lost() {
    let app = spawn_app().await;
    // Terminating a backend needs a server; an embedded SQLite has none.
    let Some((admin_url, name)) = app.postgres_database() else { return };
    let sp = app.sp("modify").await;
    let org = app.org(&sp, "modify").await;
    let user = app.user(&org, "modify").await;
    let devices = format!("/v1/organizations/{}/devices", org.id);

    // A terminator on a thread of its own: every few milliseconds, every backend of the
    // app's database goes.
    let stop = Arc::new(AtomicBool::new(false));
    let terminated = Arc::new(AtomicU64::new(0));
    let killer = {
        let (stop, terminated) = (Arc::clone(&stop), Arc::clone(&terminated));
        std::thread::spawn(move || {
            let mut conn = diesel::PgConnection::establish(&admin_url).unwrap();
            let query = format!(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE datname = '{name}' AND pid <> pg_backend_pid()"
            );
            while !stop.load(Ordering::Relaxed) {
                let n = diesel::RunQueryDsl::execute(diesel::sql_query(&query), &mut conn).unwrap();
                terminated.fetch_add(n as u64, Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(15));
            }
        })
    };

    // Eight writers, thirty writes each: devices (no hashing) and accounts.
    let writers = (0..8u64).map(|w| {
        let (app, devices, user, org) = (&app, &devices, &user, &org);
        async move {
            let mut results = vec![];
            for i in 0..30u64 {
                let n = w * 1000 + i;
                let res = if i % 3 == 0 {
                    let number = format!("+49301{n:07}");
                    app.post(&org.token, &format!("/v1/users/{}/accounts", user.id), json!({"number": number})).await
                } else {
                    app.post(&org.token, devices, json!({"mac_address": mac(n)})).await
                };
                results.push(res);
            }
            results
        }
    });
    let results: Vec<Res> = join_all(writers).await.into_iter().flatten().collect();
    stop.store(true, Ordering::Relaxed);
    killer.join().unwrap();

    let (mut created, mut unavailable) = (vec![], 0);
    for res in &results {
        match res.status {
            201 => created.push(res.body.clone()),
            503 => {
                assert_unavailable(res, "a write during the terminations");
                unavailable += 1;
            }
            other => panic!("a write during the terminations answered {other}: {}", res.body),
        }
    }
    assert!(terminated.load(Ordering::Relaxed) > 0, "no backend was terminated: the test proved nothing");
    assert!(!created.is_empty(), "no write succeeded among {} ({unavailable} unavailable)", results.len());

    // The service is back without a restart: the first read and the first write after the
    // storm succeed (their connections may be dead ones: a read is retried, a write's
    // first statement too).
    let listed = app.get(&org.token, &format!("{devices}?limit=500")).await;
    listed.assert(200);
    app.post(&org.token, &devices, json!({"mac_address": mac(999_999)})).await.assert(201);

    // Every acknowledged write is there, as acknowledged.
    for body in &created {
        let path = match body.get("mac_address") {
            Some(_) => format!("/v1/devices/{}", body["id"].as_str().unwrap()),
            None => format!("/v1/accounts/{}", body["id"].as_str().unwrap()),
        };
        let stored = app.get(&app.admin, &path).await;
        assert_eq!(stored.status, 200, "{path} was acknowledged, then lost: {}", stored.body);
        for field in ["mac_address", "number"] {
            assert_eq!(stored.body.get(field), body.get(field), "{path}: {field}");
        }
    }
}

#[actix_web::test]
async fn a_write_that_waits_for_sqlites_write_lock_past_the_busy_timeout_is_503_with_retry_after() {
    let app = spawn_app_with(|s| s.sqlite_busy_timeout = Duration::from_millis(200)).await;
    // The lock of an embedded SQLite file; PostgreSQL has no such lock.
    let Backend::Sqlite(path) = app.settings.database.clone() else { return };
    let sp = app.sp("modify").await;
    let org = app.org(&sp, "modify").await;
    let devices = format!("/v1/organizations/{}/devices", org.id);

    // Another process (here: another connection) holds the write lock.
    let mut other = diesel::SqliteConnection::establish(&path).unwrap();
    other.batch_execute("BEGIN IMMEDIATE").unwrap();
    let started = std::time::Instant::now();
    let res = app.post(&org.token, &devices, json!({"mac_address": mac(1)})).await;
    assert_unavailable(&res, "a write while another holds the lock");
    assert!(started.elapsed() >= Duration::from_millis(200), "answered before the busy timeout ran out");
    let res = app.patch(&org.token, &format!("/v1/organizations/{}", org.id), json!({"name": "Renamed"})).await;
    assert_unavailable(&res, "a rename while another holds the lock");
    // Reads go on (write-ahead log): only writes wait for the lock.
    app.get(&org.token, &devices).await.assert(200);
    assert_eq!(app.get(&org.token, &format!("/v1/organizations/{}", org.id)).await.body["name"], "Org");

    other.batch_execute("ROLLBACK").unwrap();
    app.post(&org.token, &devices, json!({"mac_address": mac(1)})).await.assert(201);
    app.patch(&org.token, &format!("/v1/organizations/{}", org.id), json!({"name": "Renamed"})).await.assert(200);
}
