//! API clients, passwords, token revocation and login throttling (K1–K7) over HTTP.

use awc::http::Method;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use crate::helpers::*;

/// A new API client of a node (`kind_path` like `organizations`), created by `token`.
pub async fn new_client(app: &TestApp, token: &str, kind_path: &str, node: &str, scope: &str) -> (String, String) {
    let res = app
        .post(token, &format!("/v1/{kind_path}/{node}/api-clients"), json!({"name": "Pipeline", "scope": scope}))
        .await;
    res.assert(201);
    let id = res.id();
    assert_eq!(res.body["client_id"], res.body["id"]);
    assert_eq!(
        res.headers.get("location").and_then(|v| v.to_str().ok()),
        Some(format!("/v1/api-clients/{id}").as_str())
    );
    (id, res.body["client_secret"].as_str().unwrap().to_owned())
}

/// A token request with a form body and, optionally, an Authorization header.
pub async fn token_request(app: &TestApp, authorization: Option<String>, form: &[(&str, &str)]) -> Res {
    let body = serde_urlencoded::to_string(form).unwrap();
    token_request_at(app, &app.base, authorization, body).await
}

pub async fn token_request_at(app: &TestApp, base: &str, authorization: Option<String>, body: String) -> Res {
    let mut req = app
        .client
        .request(Method::POST, format!("{base}/v1/auth/token"))
        .insert_header(("Content-Type", "application/x-www-form-urlencoded"));
    if let Some(a) = authorization {
        req = req.insert_header(("Authorization", a));
    }
    let mut res = req.send_body(body).await.unwrap();
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let bytes = res.body().await.unwrap();
    Res { status, body: serde_json::from_slice(&bytes).unwrap_or(Value::Null), headers }
}

pub fn basic(id: &str, secret: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")))
}

/// An API client's token, by HTTP Basic.
pub async fn client_token(app: &TestApp, id: &str, secret: &str) -> String {
    let res = token_request(app, Some(basic(id, secret)), &[("grant_type", "client_credentials")]).await;
    res.assert(200);
    res.body["access_token"].as_str().unwrap().to_owned()
}

#[actix_web::test]
async fn k1_a_node_its_ancestors_and_admins_create_clients_that_act_in_the_nodes_role_context() {
    let app = spawn_app().await;
    let sp = app.sp("modify").await;
    let org = app.org(&sp, "view").await;
    let user = app.user(&org, "modify").await;
    for creator in [&org.token, &sp.token, &app.admin] {
        new_client(&app, creator, "organizations", &org.id, "read").await;
    }
    let list = app.get(&sp.token, &format!("/v1/organizations/{}/api-clients", org.id)).await;
    list.assert(200);
    assert_eq!(list.body["items"].as_array().unwrap().len(), 3);
    assert!(list.body["items"][0].get("client_secret").is_none(), "a list never shows a secret");
    // A user below does not see its organization's clients (N5).
    let res = app
        .post(&user.token, &format!("/v1/organizations/{}/api-clients", org.id), json!({"name": "x", "scope": "read"}))
        .await;
    res.assert_refused(404, "not_found", "");
    app.get(&user.token, &format!("/v1/organizations/{}/api-clients", org.id)).await.assert(404);
    // The client is its node: /v1/me says so, and it reads what the organization reads.
    let (id, secret) = new_client(&app, &org.token, "organizations", &org.id, "write").await;
    let t = client_token(&app, &id, &secret).await;
    let me = app.get(&t, "/v1/me").await;
    me.assert(200);
    assert_eq!(me.body["role"], "organization");
    assert_eq!(me.body["username"], org.username.as_str());
    assert_eq!(me.body["node"]["id"], org.id.as_str());
    assert_eq!(me.body["device_provisioning"], "view");
    assert_eq!(me.body["api_client"], json!({"id": id, "name": "Pipeline", "scope": "write"}));
    let person = app.get(&org.token, "/v1/me").await;
    assert_eq!(person.body["api_client"], Value::Null);
    app.get(&t, &format!("/v1/users/{}", user.id)).await.assert(200);
    // Never above its node: the service provider stays hidden, and the org's own level
    // rules apply (an org with view cannot give a user modify).
    app.get(&t, &format!("/v1/service-providers/{}", sp.id)).await.assert(404);
    app.patch(&t, &format!("/v1/users/{}", user.id), json!({"device_provisioning": "modify"})).await.assert(200);
    app.set_level("users", &user.id, "none").await;
    app.patch(&t, &format!("/v1/users/{}", user.id), json!({"device_provisioning": "modify"})).await.assert_refused(
        403,
        "level_exceeds_own",
        "P2",
    );
}

#[actix_web::test]
async fn k1_clients_are_read_renamed_rescoped_and_listed_in_pages() {
    let app = spawn_app().await;
    let sp = app.sp("modify").await;
    let (id, _) = new_client(&app, &sp.token, "service-providers", &sp.id, "read").await;
    let one = app.get(&sp.token, &format!("/v1/api-clients/{id}")).await;
    one.assert(200);
    assert_eq!(one.body["node"], json!({"type": "service_provider", "id": sp.id}));
    assert!(one.body.get("client_secret").is_none());
    let patched = app.patch(&sp.token, &format!("/v1/api-clients/{id}"), json!({"name": "CI", "scope": "write"})).await;
    patched.assert(200);
    assert_eq!((patched.body["name"].as_str(), patched.body["scope"].as_str()), (Some("CI"), Some("write")));
    app.patch(&sp.token, &format!("/v1/api-clients/{id}"), json!({"scope": "admin"})).await.assert(422);
    app.patch(&sp.token, &format!("/v1/api-clients/{id}"), json!({"name": ""})).await.assert(422);
    app.post(&sp.token, &format!("/v1/service-providers/{}/api-clients", sp.id), json!({"name": "x"}))
        .await
        .assert(422);
    new_client(&app, &sp.token, "service-providers", &sp.id, "read").await;
    let page = app.get(&sp.token, &format!("/v1/service-providers/{}/api-clients?limit=1", sp.id)).await;
    page.assert(200);
    let next = page.body["next_cursor"].as_str().unwrap().to_owned();
    let rest = app.get(&sp.token, &format!("/v1/service-providers/{}/api-clients?cursor={next}", sp.id)).await;
    assert_eq!(rest.body["items"].as_array().unwrap().len(), 1);
    let stranger = app.sp("modify").await;
    app.get(&stranger.token, &format!("/v1/api-clients/{id}")).await.assert(404);
}

#[actix_web::test]
async fn k2_a_read_client_lists_devices_and_gets_insufficient_scope_on_every_other_method() {
    let app = spawn_app().await;
    let sp = app.sp("modify").await;
    let org = app.org(&sp, "modify").await;
    let (id, secret) = new_client(&app, &org.token, "organizations", &org.id, "read").await;
    let t = client_token(&app, &id, &secret).await;
    app.get(&t, &format!("/v1/organizations/{}/devices", org.id)).await.assert(200);
    let post =
        app.post(&t, &format!("/v1/organizations/{}/devices", org.id), json!({"mac_address": "0004f2000001"})).await;
    post.assert_refused(403, "insufficient_scope", "K2");
    app.patch(&t, &format!("/v1/organizations/{}", org.id), json!({"name": "x"})).await.assert_refused(
        403,
        "insufficient_scope",
        "K2",
    );
    app.delete(&t, "/v1/me/tokens").await.assert_refused(403, "insufficient_scope", "K2");
    // Rescoped to write, the same token may write from the next request on.
    app.patch(&org.token, &format!("/v1/api-clients/{id}"), json!({"scope": "write"})).await.assert(200);
    app.post(&t, &format!("/v1/organizations/{}/devices", org.id), json!({"mac_address": "0004f2000001"}))
        .await
        .assert(201);
}

#[actix_web::test]
async fn k3_client_credentials_by_basic_or_body_and_every_bad_credential_is_a_clear_problem() {
    let app = spawn_app().await;
    let sp = app.sp("modify").await;
    let (id, secret) = new_client(&app, &sp.token, "service-providers", &sp.id, "read").await;
    assert!(secret.starts_with("siprov_cs_"));
    let by_body = token_request(
        &app,
        None,
        &[("grant_type", "client_credentials"), ("client_id", &id), ("client_secret", &secret)],
    )
    .await;
    by_body.assert(200);
    assert_eq!(by_body.body["token_type"], "Bearer");
    let json_body = app
        .call(
            Method::POST,
            "/v1/auth/token",
            None,
            Some(json!({"grant_type": "client_credentials", "client_id": id, "client_secret": secret})),
        )
        .await;
    json_body.assert(200);
    client_token(&app, &id, &secret).await;
    let cc = [("grant_type", "client_credentials")];
    let wrong = token_request(&app, Some(basic(&id, "siprov_cs_wrong")), &cc).await;
    assert_eq!((wrong.status, wrong.code()), (401, "invalid_client"));
    assert_eq!(wrong.headers.get("www-authenticate").unwrap().to_str().unwrap(), "Basic realm=\"siprov\"");
    let unknown = token_request(&app, Some(basic(&uuid::Uuid::new_v4().to_string(), &secret)), &cc).await;
    assert_eq!((unknown.status, unknown.code()), (401, "invalid_client"));
    let not_an_id = token_request(&app, Some(basic("pipeline", &secret)), &cc).await;
    assert_eq!((not_an_id.status, not_an_id.code()), (401, "invalid_client"));
    for malformed in ["Basic", "Basic !!!!", &format!("Basic {}", STANDARD.encode("no-colon")), "Bearer x", "Basic %%"]
    {
        let res = token_request(&app, Some(malformed.to_owned()), &cc).await;
        assert_eq!((res.status, res.code()), (400, "invalid_request"), "{malformed}: {}", res.body);
    }
    let twice =
        token_request(&app, Some(basic(&id, &secret)), &[("grant_type", "client_credentials"), ("client_id", &id)])
            .await;
    assert_eq!((twice.status, twice.code()), (400, "invalid_request"));
    let missing = token_request(&app, None, &[("grant_type", "client_credentials"), ("client_id", &id)]).await;
    assert_eq!((missing.status, missing.code()), (400, "invalid_request"));
    let mixed = token_request(
        &app,
        Some(basic(&id, &secret)),
        &[("grant_type", "client_credentials"), ("username", "admin"), ("password", PASSWORD)],
    )
    .await;
    assert_eq!((mixed.status, mixed.code()), (400, "invalid_request"), "a person's fields on a client's grant");
    let mixed = token_request(
        &app,
        None,
        &[("grant_type", "password"), ("username", ADMIN), ("password", PASSWORD), ("client_id", "null")],
    )
    .await;
    assert_eq!((mixed.status, mixed.code()), (400, "invalid_request"), "a client's fields on a person's grant");
    let other = token_request(&app, None, &[("grant_type", "authorization_code")]).await;
    assert_eq!((other.status, other.code()), (400, "unsupported_grant_type"));
}

#[actix_web::test]
async fn k3_a_client_token_is_refused_where_a_person_is_needed() {
    let app = spawn_app().await;
    let sp = app.sp("modify").await;
    let org = app.org(&sp, "modify").await;
    let user = app.user(&org, "modify").await;
    let (id, secret) = new_client(&app, &org.token, "organizations", &org.id, "write").await;
    let t = client_token(&app, &id, &secret).await;
    let not_a_person = |res: Res| res.assert_refused(403, "not_a_person", "K3");
    not_a_person(
        app.post(&t, &format!("/v1/organizations/{}/api-clients", org.id), json!({"name": "x", "scope": "read"})).await,
    );
    not_a_person(app.get(&t, &format!("/v1/organizations/{}/api-clients", org.id)).await);
    not_a_person(app.get(&t, &format!("/v1/api-clients/{id}")).await);
    not_a_person(app.post(&t, &format!("/v1/api-clients/{id}/secret"), json!({})).await);
    not_a_person(app.delete(&t, &format!("/v1/api-clients/{id}")).await);
    not_a_person(app.post(&t, "/v1/me/password", json!({"current_password": "x", "new_password": "y"})).await);
    not_a_person(
        app.call(
            Method::PUT,
            &format!("/v1/users/{}/password", user.id),
            Some(&t),
            Some(json!({"password": PASSWORD})),
        )
        .await,
    );
    // The client still works: refusals change nothing.
    app.get(&t, "/v1/me").await.assert(200);
}

#[actix_web::test]
async fn k4_rotating_a_secret_or_deleting_a_client_refuses_its_tokens_from_the_next_request() {
    let app = spawn_app().await;
    let sp = app.sp("modify").await;
    let (id, secret) = new_client(&app, &sp.token, "service-providers", &sp.id, "write").await;
    let t = client_token(&app, &id, &secret).await;
    app.get(&t, "/v1/me").await.assert(200);
    let rotated = app.post(&sp.token, &format!("/v1/api-clients/{id}/secret"), json!({})).await;
    rotated.assert(200);
    let new_secret = rotated.body["client_secret"].as_str().unwrap().to_owned();
    assert_ne!(new_secret, secret);
    app.get(&t, "/v1/me").await.assert_refused(401, "invalid_token", "");
    let old = token_request(&app, Some(basic(&id, &secret)), &[("grant_type", "client_credentials")]).await;
    assert_eq!((old.status, old.code()), (401, "invalid_client"));
    let t2 = client_token(&app, &id, &new_secret).await;
    app.get(&t2, "/v1/me").await.assert(200);
    app.delete(&sp.token, &format!("/v1/api-clients/{id}")).await.assert(204);
    app.get(&t2, "/v1/me").await.assert_refused(401, "invalid_token", "");
    app.get(&sp.token, &format!("/v1/api-clients/{id}")).await.assert(404);
    let gone = token_request(&app, Some(basic(&id, &new_secret)), &[("grant_type", "client_credentials")]).await;
    assert_eq!((gone.status, gone.code()), (401, "invalid_client"));
}

#[actix_web::test]
async fn k5_a_login_changes_its_password_with_the_current_one_and_its_older_tokens_stop() {
    let app = spawn_app().await;
    let sp = app.sp("modify").await;
    let org = app.org(&sp, "modify").await;
    let other = app.login(&org.username, PASSWORD).await;
    let path = "/v1/me/password";
    let wrong = app
        .post(&org.token, path, json!({"current_password": "not-the-password", "new_password": "a-new-password-1"}))
        .await;
    wrong.assert(422);
    assert_eq!((wrong.code(), wrong.body["errors"][0]["field"].as_str()), ("wrong_password", Some("current_password")));
    let short = app.post(&org.token, path, json!({"current_password": PASSWORD, "new_password": "short"})).await;
    assert_eq!((short.status, short.code()), (422, "password_too_short"));
    app.post(&org.token, path, json!({"current_password": PASSWORD})).await.assert(422);
    let changed =
        app.post(&org.token, path, json!({"current_password": PASSWORD, "new_password": "a-new-password-1"})).await;
    changed.assert(200);
    let fresh = changed.body["access_token"].as_str().unwrap().to_owned();
    for old in [&org.token, &other] {
        app.get(old, "/v1/me").await.assert_refused(401, "invalid_token", "");
    }
    app.get(&fresh, "/v1/me").await.assert(200);
    app.login(&org.username, "a-new-password-1").await;
    let res = app
        .call(
            Method::POST,
            "/v1/auth/token",
            None,
            Some(json!({"grant_type": "password", "username": org.username, "password": PASSWORD})),
        )
        .await;
    assert_eq!((res.status, res.code()), (401, "invalid_grant"));
}

#[actix_web::test]
async fn k5_an_ancestors_owner_or_an_admin_sets_a_password_and_nobody_else_does() {
    let app = spawn_app().await;
    let sp = app.sp("modify").await;
    let org = app.org(&sp, "modify").await;
    let user = app.user(&org, "modify").await;
    let sibling = app.user(&org, "modify").await;
    let stranger = app.sp("modify").await;
    let put = |token: String, path: String, body: Value| {
        let app = &app;
        async move { app.call(Method::PUT, &path, Some(&token), Some(body)).await }
    };
    let user_path = format!("/v1/users/{}/password", user.id);
    put(user.token.clone(), user_path.clone(), json!({"password": "x"})).await.assert_refused(
        403,
        "not_an_ancestor",
        "K5",
    );
    put(sibling.token.clone(), user_path.clone(), json!({"password": "x"})).await.assert(404);
    put(stranger.token.clone(), user_path.clone(), json!({"password": "x"})).await.assert(404);
    put(user.token.clone(), format!("/v1/organizations/{}/password", org.id), json!({"password": "x"}))
        .await
        .assert(404);
    let short = put(org.token.clone(), user_path.clone(), json!({"password": "short"})).await;
    assert_eq!((short.status, short.code()), (422, "password_too_short"));
    put(org.token.clone(), user_path.clone(), json!({"password": "set-by-the-org-1"})).await.assert(204);
    app.get(&user.token, "/v1/me").await.assert_refused(401, "invalid_token", "");
    app.login(&user.username, "set-by-the-org-1").await;
    put(sp.token.clone(), user_path.clone(), json!({"password": "set-by-the-sp-12"})).await.assert(204);
    app.login(&user.username, "set-by-the-sp-12").await;
    put(
        app.admin.clone(),
        format!("/v1/service-providers/{}/password", sp.id),
        json!({"password": "set-by-admin-123"}),
    )
    .await
    .assert(204);
    app.get(&sp.token, "/v1/me").await.assert(401);
    app.login(&sp.username, "set-by-admin-123").await;
    // The organization's token was not touched.
    app.get(&org.token, "/v1/me").await.assert(200);
}

#[actix_web::test]
async fn k6_a_revoked_token_is_refused_and_revoking_anything_else_answers_200() {
    let app = spawn_app().await;
    let sp = app.sp("modify").await;
    let other = app.login(&sp.username, PASSWORD).await;
    let revoke = |body: String| {
        app.send_raw(Method::POST, "/v1/auth/revoke", None, "application/x-www-form-urlencoded", body.into_bytes())
    };
    revoke(format!("token={}", sp.token)).await.assert(200);
    app.get(&sp.token, "/v1/me").await.assert_refused(401, "invalid_token", "");
    app.get(&other, "/v1/me").await.assert(200);
    revoke(format!("token={}", sp.token)).await.assert(200);
    revoke("token=not-a-token".into()).await.assert(200);
    let json_body = app
        .call(Method::POST, "/v1/auth/revoke", None, Some(json!({"token": other, "token_type_hint": "access_token"})))
        .await;
    json_body.assert(200);
    app.get(&other, "/v1/me").await.assert(401);
    let missing = revoke(String::new()).await;
    assert_eq!((missing.status, missing.code()), (400, "invalid_request"));
}

#[actix_web::test]
async fn k6_deleting_my_tokens_refuses_every_token_of_the_login_and_a_new_login_works() {
    let app = spawn_app().await;
    let sp = app.sp("modify").await;
    let other = app.login(&sp.username, PASSWORD).await;
    app.delete(&sp.token, "/v1/me/tokens").await.assert(204);
    app.get(&sp.token, "/v1/me").await.assert(401);
    app.get(&other, "/v1/me").await.assert(401);
    let again = app.login(&sp.username, PASSWORD).await;
    app.get(&again, "/v1/me").await.assert(200);
    // A write client revokes its own tokens, not its node's login's.
    let (id, secret) = new_client(&app, &again, "service-providers", &sp.id, "write").await;
    let t = client_token(&app, &id, &secret).await;
    app.delete(&t, "/v1/me/tokens").await.assert(204);
    app.get(&t, "/v1/me").await.assert(401);
    app.get(&again, "/v1/me").await.assert(200);
    app.get(&client_token(&app, &id, &secret).await, "/v1/me").await.assert(200);
}

async fn password_login(app: &TestApp, base: &str, username: &str, password: &str, from: Option<&str>) -> Res {
    let body =
        serde_urlencoded::to_string([("grant_type", "password"), ("username", username), ("password", password)])
            .unwrap();
    let mut req = app
        .client
        .request(Method::POST, format!("{base}/v1/auth/token"))
        .insert_header(("Content-Type", "application/x-www-form-urlencoded"));
    if let Some(a) = from {
        req = req.insert_header(("X-Forwarded-For", format!("198.51.100.9, {a}")));
    }
    let mut res = req.send_body(body).await.unwrap();
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let bytes = res.body().await.unwrap();
    Res { status, body: serde_json::from_slice(&bytes).unwrap_or(Value::Null), headers }
}

#[actix_web::test]
async fn k7_five_failures_lock_a_username_from_one_address_and_not_from_another() {
    let app = spawn_app_with(|s| s.trusted_proxies = vec!["127.0.0.1".parse().unwrap()]).await;
    let sp = app.sp("modify").await;
    let a = Some("203.0.113.1");
    for _ in 0..5 {
        let res = password_login(&app, &app.base, &sp.username, "wrong-password!", a).await;
        assert_eq!((res.status, res.code()), (401, "invalid_grant"));
    }
    let locked = password_login(&app, &app.base, &sp.username, PASSWORD, a).await;
    assert_eq!((locked.status, locked.code(), locked.rule()), (429, "too_many_attempts", "K7"), "{}", locked.body);
    let retry: u64 = locked.headers.get("retry-after").unwrap().to_str().unwrap().parse().unwrap();
    assert!((1..=900).contains(&retry), "{retry}");
    // The owner, from elsewhere, is not locked out; another username from the address neither.
    password_login(&app, &app.base, &sp.username, PASSWORD, Some("203.0.113.2")).await.assert(200);
    let org = app.org(&sp, "none").await;
    password_login(&app, &app.base, &org.username, PASSWORD, a).await.assert(200);
    // Unknown usernames count too.
    for _ in 0..5 {
        password_login(&app, &app.base, "nobody-here", "wrong-password!", Some("203.0.113.3")).await.assert(401);
    }
    password_login(&app, &app.base, "nobody-here", "wrong-password!", Some("203.0.113.3")).await.assert(429);
}

#[actix_web::test]
async fn k7_fifty_failures_from_one_address_lock_it_for_every_username() {
    let app = spawn_app_with(|s| s.trusted_proxies = vec!["127.0.0.1".parse().unwrap()]).await;
    let sp = app.sp("modify").await;
    let a = Some("203.0.113.7");
    for i in 0..50 {
        password_login(&app, &app.base, &format!("guess-{i}"), "wrong-password!", a).await.assert(401);
    }
    let res = password_login(&app, &app.base, &sp.username, PASSWORD, a).await;
    assert_eq!((res.status, res.code()), (429, "too_many_attempts"));
    password_login(&app, &app.base, &sp.username, PASSWORD, Some("203.0.113.8")).await.assert(200);
}

#[actix_web::test]
async fn k7_without_a_trusted_proxy_the_forwarded_address_is_ignored() {
    let app = spawn_app().await;
    let sp = app.sp("modify").await;
    for i in 0..5 {
        let from = format!("203.0.113.{i}");
        password_login(&app, &app.base, &sp.username, "wrong-password!", Some(&from)).await.assert(401);
    }
    let res = password_login(&app, &app.base, &sp.username, PASSWORD, Some("203.0.113.99")).await;
    assert_eq!((res.status, res.code()), (429, "too_many_attempts"), "the peer address counts, not the header");
}

#[actix_web::test]
async fn k6_a_revocation_record_is_pruned_once_its_token_would_have_expired() {
    let app = spawn_app().await;
    let pool = siprov::db::connect_and_migrate(&app.settings.database).unwrap();
    let mut conn = pool.get().unwrap();
    let now = siprov::service::identity::unix_now();
    use siprov::db::repo::sessions;
    // A token that expired a minute ago (recorded when it was still valid) ...
    sessions::revoke(&mut conn, "expired-jti", now - 60, now - 120).unwrap();
    sessions::revoke(&mut conn, "live-jti", now + 600, now - 120).unwrap();
    assert_eq!(sessions::revoked_count(&mut conn).unwrap(), 2);
    // ... is forgotten by the next revocation; a live one stays, and revoking twice is no error.
    sessions::revoke(&mut conn, "live-jti", now + 600, now).unwrap();
    assert_eq!(sessions::revoked_count(&mut conn).unwrap(), 1);
}
