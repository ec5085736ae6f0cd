//! Strong ETags on single resources, `If-None-Match` → 304, `If-Match` → 412, checked in
//! the write's transaction so racing writes with one tag give one 200 and one 412.

use awc::http::Method;
use awc::http::header::HeaderValue;
use serde_json::{Value, json};

use crate::helpers::*;

async fn send(
    app: &TestApp,
    method: Method,
    token: &str,
    path: &str,
    header: (&str, &str),
    body: Option<Value>,
) -> Res {
    let req = app
        .client
        .request(method, app.url(path))
        .insert_header(("Authorization", format!("Bearer {token}")))
        .insert_header((header.0, HeaderValue::from_str(header.1).unwrap()));
    let mut res = match body {
        Some(b) => req.send_json(&b).await,
        None => req.send().await,
    }
    .unwrap();
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let bytes = res.body().await.unwrap();
    Res { status, body: serde_json::from_slice(&bytes).unwrap_or(Value::Null), headers }
}

fn etag(res: &Res) -> String {
    res.headers.get("etag").unwrap_or_else(|| panic!("no ETag: {res:?}")).to_str().unwrap().to_owned()
}

#[actix_web::test]
async fn a_single_resource_carries_a_strong_etag_and_if_none_match_with_it_answers_304() {
    let app = spawn_app().await;
    let sp = app.sp("modify").await;
    let path = format!("/v1/service-providers/{}", sp.id);
    let first = app.get(&sp.token, &path).await;
    let tag = etag(&first);
    assert!(tag.starts_with('"') && !tag.starts_with("W/"), "{tag}");
    assert_eq!(etag(&app.get(&sp.token, &path).await), tag, "the same bytes, the same tag");
    let cached = send(&app, Method::GET, &sp.token, &path, ("If-None-Match", &tag), None).await;
    assert_eq!(cached.status, 304);
    assert_eq!(cached.body, Value::Null);
    assert_eq!(etag(&cached), tag);
    let patched = app.patch(&sp.token, &path, json!({"name": "Renamed"})).await;
    patched.assert(200);
    let new_tag = etag(&patched);
    assert_ne!(new_tag, tag);
    assert_eq!(etag(&app.get(&sp.token, &path).await), new_tag, "a PATCH answers the tag a GET then gives");
    send(&app, Method::GET, &sp.token, &path, ("If-None-Match", &tag), None).await.assert(200);
    for path in ["/v1/me".to_owned(), format!("/v1/service-providers/{}/organizations", sp.id)] {
        etag(&app.get(&sp.token, &path).await);
    }
}

#[actix_web::test]
async fn if_match_with_the_current_tag_writes_and_with_a_stale_one_is_412() {
    let app = spawn_app().await;
    let sp = app.sp("modify").await;
    let org = app.org(&sp, "modify").await;
    let path = format!("/v1/organizations/{}", org.id);
    let tag = etag(&app.get(&sp.token, &path).await);
    let ok = send(&app, Method::PATCH, &sp.token, &path, ("If-Match", &tag), Some(json!({"name": "One"}))).await;
    ok.assert(200);
    let stale = send(&app, Method::PATCH, &sp.token, &path, ("If-Match", &tag), Some(json!({"name": "Two"}))).await;
    assert_eq!((stale.status, stale.code()), (412, "precondition_failed"));
    assert_eq!(app.get(&sp.token, &path).await.body["name"], "One", "the stale write changed nothing");
    send(&app, Method::PATCH, &sp.token, &path, ("If-Match", "*"), Some(json!({"name": "Any"}))).await.assert(200);
    for (bad, why) in
        [(format!("W/{tag}"), "weak"), ("abc".to_owned(), "unquoted"), ("\"a\" \"b\"".to_owned(), "no comma")]
    {
        let res = send(&app, Method::PATCH, &sp.token, &path, ("If-Match", &bad), Some(json!({"name": "X"}))).await;
        assert_eq!((res.status, res.code()), (400, "invalid_if_match"), "{why}");
    }
    let stale = send(&app, Method::DELETE, &sp.token, &path, ("If-Match", &tag), None).await;
    assert_eq!((stale.status, stale.code()), (412, "precondition_failed"));
    let current = etag(&app.get(&sp.token, &path).await);
    send(&app, Method::DELETE, &sp.token, &path, ("If-Match", &current), None).await.assert(204);
    // A resource the caller may not read is 404 whatever the tag.
    let stranger = app.sp("modify").await;
    let res = send(
        &app,
        Method::PATCH,
        &stranger.token,
        &format!("/v1/service-providers/{}", sp.id),
        ("If-Match", "*"),
        Some(json!({"name": "X"})),
    )
    .await;
    res.assert(404);
}

#[actix_web::test]
async fn devices_accounts_api_clients_and_webhooks_honour_if_match() {
    let app = spawn_app().await;
    let sp = app.sp("modify").await;
    let org = app.org(&sp, "modify").await;
    let user = app.user(&org, "modify").await;
    let device = app
        .post(&org.token, &format!("/v1/organizations/{}/devices", org.id), json!({"mac_address": "0004f2000301"}))
        .await;
    let account =
        app.post(&org.token, &format!("/v1/users/{}/accounts", user.id), json!({"number": "+4930555300"})).await;
    let client = app
        .post(&org.token, &format!("/v1/organizations/{}/api-clients", org.id), json!({"name": "c", "scope": "read"}))
        .await;
    let hook = app
        .post(
            &org.token,
            &format!("/v1/organizations/{}/webhooks", org.id),
            json!({"url": "https://hooks.example.com/siprov", "events": ["*"]}),
        )
        .await;
    for (path, body) in [
        (format!("/v1/devices/{}", device.id()), json!({"label": "L"})),
        (format!("/v1/accounts/{}", account.id()), json!({"display_name": "D", "voicemail": {"pin": "2468"}})),
        (format!("/v1/api-clients/{}", client.id()), json!({"name": "n"})),
        (format!("/v1/webhooks/{}", hook.id()), json!({"description": "CRM"})),
    ] {
        let tag = etag(&app.get(&org.token, &path).await);
        send(&app, Method::PATCH, &org.token, &path, ("If-Match", &tag), Some(body.clone())).await.assert(200);
        let stale = send(&app, Method::PATCH, &org.token, &path, ("If-Match", &tag), Some(body)).await;
        assert_eq!((stale.status, stale.code()), (412, "precondition_failed"), "{path}");
        let malformed = send(&app, Method::PATCH, &org.token, &path, ("If-Match", ""), Some(json!({}))).await;
        assert_eq!((malformed.status, malformed.code()), (400, "invalid_if_match"), "{path}");
        let gone = send(&app, Method::DELETE, &org.token, &path, ("If-Match", &tag), None).await;
        assert_eq!((gone.status, gone.code()), (412, "precondition_failed"), "{path}");
    }
}

#[actix_web::test]
async fn two_racing_patches_with_one_if_match_give_one_200_and_one_412() {
    let app = spawn_app().await;
    let sp = app.sp("modify").await;
    let org = app.org(&sp, "modify").await;
    let device = app
        .post(&org.token, &format!("/v1/organizations/{}/devices", org.id), json!({"mac_address": "0004f2000401"}))
        .await;
    for (path, field) in
        [(format!("/v1/organizations/{}", org.id), "name"), (format!("/v1/devices/{}", device.id()), "label")]
    {
        for round in 0..5 {
            let tag = etag(&app.get(&sp.token, &path).await);
            let a = send(
                &app,
                Method::PATCH,
                &sp.token,
                &path,
                ("If-Match", &tag),
                Some(json!({field: format!("a{round}")})),
            );
            let b = send(
                &app,
                Method::PATCH,
                &sp.token,
                &path,
                ("If-Match", &tag),
                Some(json!({field: format!("b{round}")})),
            );
            let (a, b) = futures_util::future::join(a, b).await;
            let mut statuses = [a.status, b.status];
            statuses.sort_unstable();
            assert_eq!(statuses, [200, 412], "{path} round {round}: {} / {}", a.body, b.body);
        }
    }
}

#[actix_web::test]
async fn every_create_answers_201_with_the_location_of_what_it_created() {
    let app = spawn_app().await;
    let loc = |res: &Res| res.headers.get("location").map(|v| v.to_str().unwrap().to_owned());
    let owner = |u: &str| json!({"name": "N", "owner": {"username": unique(u), "password": PASSWORD}});
    let sp = app.post(&app.admin, "/v1/service-providers", owner("sp")).await;
    assert_eq!(loc(&sp), Some(format!("/v1/service-providers/{}", sp.id())));
    let org = app.post(&app.admin, &format!("/v1/service-providers/{}/organizations", sp.id()), owner("org")).await;
    assert_eq!(loc(&org), Some(format!("/v1/organizations/{}", org.id())));
    let user = app
        .post(
            &app.admin,
            &format!("/v1/organizations/{}/users", org.id()),
            json!({"name": "U", "username": unique("u"), "password": PASSWORD}),
        )
        .await;
    assert_eq!(loc(&user), Some(format!("/v1/users/{}", user.id())));
    let account =
        app.post(&app.admin, &format!("/v1/users/{}/accounts", user.id()), json!({"number": "+4930555500"})).await;
    assert_eq!(loc(&account), Some(format!("/v1/accounts/{}", account.id())));
    let device = app
        .post(&app.admin, &format!("/v1/organizations/{}/devices", org.id()), json!({"mac_address": "0004f2000501"}))
        .await;
    assert_eq!(loc(&device), Some(format!("/v1/devices/{}", device.id())));
    let line =
        app.post(&app.admin, &format!("/v1/devices/{}/lines", device.id()), json!({"account_id": account.id()})).await;
    line.assert(201);
    assert_eq!(loc(&line), Some(format!("/v1/devices/{}/lines/{}", device.id(), account.id())));
    let name = user.body["username"].as_str().unwrap().to_owned();
    let owner_res =
        app.post(&app.admin, &format!("/v1/devices/{}/owners", device.id()), json!({"username": name})).await;
    owner_res.assert(201);
    assert_eq!(loc(&owner_res), Some(format!("/v1/devices/{}/owners/{name}", device.id())));
    let org_name = org.body["owner"]["username"].as_str().unwrap().to_owned();
    let admin_res = app
        .post(&app.admin, &format!("/v1/accounts/{}/administrators", account.id()), json!({"username": org_name}))
        .await;
    admin_res.assert(201);
    assert_eq!(loc(&admin_res), Some(format!("/v1/accounts/{}/administrators/{org_name}", account.id())));
    let client = app
        .post(&app.admin, &format!("/v1/users/{}/api-clients", user.id()), json!({"name": "c", "scope": "read"}))
        .await;
    assert_eq!(loc(&client), Some(format!("/v1/api-clients/{}", client.id())));
}
