//! `Idempotency-Key` on POST: one execution per caller and key, the first answer replayed,
//! another body refused, a request still running answered 409, secrets never replayed.

use awc::http::Method;
use awc::http::header::HeaderValue;
use serde_json::{Value, json};

use crate::helpers::*;

/// Sends a JSON POST with an `Idempotency-Key` header (raw bytes).
pub async fn post_with_key(app: &TestApp, token: &str, path: &str, key: &[u8], body: Value) -> Res {
    let mut res = app
        .client
        .request(Method::POST, app.url(path))
        .insert_header(("Authorization", format!("Bearer {token}")))
        .insert_header(("Idempotency-Key", HeaderValue::from_bytes(key).unwrap()))
        .send_json(&body)
        .await
        .unwrap();
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let bytes = res.body().await.unwrap();
    Res { status, body: serde_json::from_slice(&bytes).unwrap_or(Value::Null), headers }
}

fn replayed(res: &Res) -> bool {
    res.headers.get("idempotent-replayed").is_some_and(|v| v == "true")
}

#[actix_web::test]
async fn a_retried_post_with_the_same_key_and_body_gets_the_first_answer_and_runs_once() {
    let app = spawn_app().await;
    let sp = app.sp("modify").await;
    let org = app.org(&sp, "modify").await;
    let path = format!("/v1/organizations/{}/devices", org.id);
    let body = json!({"mac_address": "0004f2000101", "label": "Desk"});
    let first = post_with_key(&app, &org.token, &path, b"create-desk-phone", body.clone()).await;
    first.assert(201);
    assert!(!replayed(&first));
    let again = post_with_key(&app, &org.token, &path, b"create-desk-phone", body.clone()).await;
    again.assert(201);
    assert!(replayed(&again));
    assert_eq!(again.body, first.body);
    assert_eq!(again.headers.get("location"), first.headers.get("location"));
    let list = app.get(&org.token, &path).await;
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1, "one execution");
    // Another body with the same key: refused, nothing written.
    let other =
        post_with_key(&app, &org.token, &path, b"create-desk-phone", json!({"mac_address": "0004f2000102"})).await;
    assert_eq!((other.status, other.code()), (422, "idempotency_key_reused"));
    // Without a key, a repeat is a new request (409 for the same MAC).
    app.post(&org.token, &path, body).await.assert(409);
    // Refusals are replayed too: the same refused request gets the same answer.
    let refused = post_with_key(&app, &org.token, &path, b"dup", json!({"mac_address": "0004f2000101"})).await;
    refused.assert(409);
    let refused_again = post_with_key(&app, &org.token, &path, b"dup", json!({"mac_address": "0004f2000101"})).await;
    assert!(replayed(&refused_again) && refused_again.status == 409);
}

#[actix_web::test]
async fn keys_are_scoped_per_login() {
    let app = spawn_app().await;
    let sp = app.sp("modify").await;
    let a = app.org(&sp, "modify").await;
    let b = app.org(&sp, "modify").await;
    let key = b"same-key-for-both";
    post_with_key(
        &app,
        &a.token,
        &format!("/v1/organizations/{}/devices", a.id),
        key,
        json!({"mac_address": "0004f2000201"}),
    )
    .await
    .assert(201);
    let res = post_with_key(
        &app,
        &b.token,
        &format!("/v1/organizations/{}/devices", b.id),
        key,
        json!({"mac_address": "0004f2000202"}),
    )
    .await;
    res.assert(201);
    assert!(!replayed(&res));
}

#[actix_web::test]
async fn a_key_that_is_empty_too_long_or_not_visible_ascii_is_a_400() {
    let app = spawn_app().await;
    let long = vec![b'k'; 256];
    for key in [&b""[..], &long, b"caf\xe9", b"two words"] {
        let res = post_with_key(&app, &app.admin, "/v1/service-providers", key, json!({})).await;
        assert_eq!((res.status, res.code()), (400, "invalid_idempotency_key"), "{key:?}: {}", res.body);
    }
    let ok = vec![b'k'; 255];
    let res = post_with_key(&app, &app.admin, "/v1/service-providers", &ok, json!({"name": ""})).await;
    res.assert(422);
}

#[actix_web::test]
async fn a_replayed_answer_never_repeats_a_secret() {
    let app = spawn_app().await;
    let sp = app.sp("modify").await;
    let path = format!("/v1/service-providers/{}/api-clients", sp.id);
    let body = json!({"name": "CI", "scope": "read"});
    let first = post_with_key(&app, &sp.token, &path, b"new-ci-client", body.clone()).await;
    first.assert(201);
    assert!(first.body["client_secret"].as_str().unwrap().starts_with("siprov_cs_"));
    let again = post_with_key(&app, &sp.token, &path, b"new-ci-client", body).await;
    again.assert(201);
    assert!(replayed(&again));
    assert_eq!(again.body["client_secret"], "<redacted>");
    assert_eq!(again.body["id"], first.body["id"]);
}

#[actix_web::test]
async fn racing_requests_with_one_key_run_once() {
    let app = spawn_app().await;
    let make = |i: usize| {
        let app = &app;
        async move {
            let _ = i;
            post_with_key(
                app,
                &app.admin,
                "/v1/service-providers",
                b"race-key",
                json!({"name": "Racer", "owner": {"username": "racer-sp", "password": PASSWORD}}),
            )
            .await
        }
    };
    let results = futures_util::future::join_all((0..6).map(make)).await;
    let created = results.iter().filter(|r| r.status == 201 && !replayed(r)).count();
    assert_eq!(created, 1, "{:?}", results.iter().map(|r| (r.status, r.code().to_owned())).collect::<Vec<_>>());
    for r in &results {
        assert!(
            (r.status == 201 && (replayed(r) || r.body["owner"]["username"] == "racer-sp"))
                || (r.status, r.code()) == (409, "idempotency_key_in_flight"),
            "{} {}",
            r.status,
            r.body
        );
    }
    let list = app.get(&app.admin, "/v1/service-providers").await;
    let racers = list.body["items"].as_array().unwrap().iter().filter(|n| n["name"] == "Racer").count();
    assert_eq!(racers, 1);
}
