//! Two siprov instances on one PostgreSQL database: what one of them revokes, deletes or
//! changes is refused by the other from the next request on, and the login throttle
//! counts attempts made through both (K4–K7). SQLite is one process's file: skipped there.

use awc::http::Method;
use serde_json::json;

use crate::access::{basic, client_token, new_client, token_request_at};
use crate::helpers::*;

#[actix_web::test]
async fn a_revocation_a_client_deletion_and_a_password_change_through_one_instance_bind_the_other() {
    let app = spawn_app().await;
    if app.postgres_database().is_none() {
        eprintln!("skipped: two instances share a database on PostgreSQL only");
        return;
    }
    let other = app.spawn_twin();
    let sp = app.sp("modify").await;
    let get_me = |base: String, token: String| {
        let app = &app;
        async move { app.call_at(&base, Method::GET, "/v1/me", Some(&token), None).await }
    };
    // K6: revoked through the first, refused by the second.
    let t = app.login(&sp.username, PASSWORD).await;
    get_me(other.clone(), t.clone()).await.assert(200);
    app.send_raw(
        Method::POST,
        "/v1/auth/revoke",
        None,
        "application/x-www-form-urlencoded",
        format!("token={t}").into_bytes(),
    )
    .await
    .assert(200);
    get_me(other.clone(), t.clone()).await.assert_refused(401, "invalid_token", "");
    // K4: a client deleted through the first is refused by the second.
    let (id, secret) = new_client(&app, &sp.token, "service-providers", &sp.id, "read").await;
    let ct = client_token(&app, &id, &secret).await;
    get_me(other.clone(), ct.clone()).await.assert(200);
    app.delete(&sp.token, &format!("/v1/api-clients/{id}")).await.assert(204);
    get_me(other.clone(), ct).await.assert_refused(401, "invalid_token", "");
    let body = "grant_type=client_credentials".to_owned();
    let res = token_request_at(&app, &other, Some(basic(&id, &secret)), body).await;
    assert_eq!((res.status, res.code()), (401, "invalid_client"));
    // K5: a password changed through the second refuses the old tokens on the first.
    let changed = app
        .call_at(
            &other,
            Method::POST,
            "/v1/me/password",
            Some(&sp.token),
            Some(json!({"current_password": PASSWORD, "new_password": "changed-elsewhere-1"})),
        )
        .await;
    changed.assert(200);
    app.get(&sp.token, "/v1/me").await.assert_refused(401, "invalid_token", "");
    app.get(changed.body["access_token"].as_str().unwrap(), "/v1/me").await.assert(200);
}

#[actix_web::test]
async fn the_login_throttle_counts_failures_made_through_both_instances() {
    let app = spawn_app().await;
    if app.postgres_database().is_none() {
        eprintln!("skipped: two instances share a database on PostgreSQL only");
        return;
    }
    let other = app.spawn_twin();
    let sp = app.sp("modify").await;
    let form = |password: &str| {
        serde_urlencoded::to_string([
            ("grant_type", "password"),
            ("username", sp.username.as_str()),
            ("password", password),
        ])
        .unwrap()
    };
    for i in 0..5 {
        let base = if i % 2 == 0 { app.base.clone() } else { other.clone() };
        let res = token_request_at(&app, &base, None, form("wrong-password!")).await;
        assert_eq!((res.status, res.code()), (401, "invalid_grant"));
    }
    for base in [app.base.clone(), other.clone()] {
        let res = token_request_at(&app, &base, None, form(PASSWORD)).await;
        assert_eq!((res.status, res.code()), (429, "too_many_attempts"), "{base}");
    }
}
