//! Findings of the rule-book review, each pinned by a test: paged membership lists, field
//! codes on 422, control characters, nulls in PATCH, and racing list writes.

use futures_util::future::join;
use serde_json::json;

use crate::helpers::*;

/// A service provider → org → user chain with an account for the user.
async fn account_setup(app: &TestApp) -> (Node, Node, String) {
    let sp = app.sp("modify").await;
    let org = app.org(&sp, "modify").await;
    let user = app.user(&org, "modify").await;
    let acc = app.post(&org.token, &format!("/v1/users/{}/accounts", user.id), json!({"number": "+4930555000"})).await;
    acc.assert(201);
    (org, user, acc.id())
}

#[actix_web::test]
async fn membership_lists_are_pages_like_every_other_collection() {
    let app = spawn_app().await;
    let (org, _user, account) = account_setup(&app).await;
    // Three more logins of the same org become administrators.
    let mut added = vec![];
    for _ in 0..3 {
        let u = app.user(&org, "none").await;
        app.post(&org.token, &format!("/v1/accounts/{account}/administrators"), json!({"username": u.username}))
            .await
            .assert(201);
        added.push(u.username);
    }
    let path = format!("/v1/accounts/{account}/administrators");
    let (mut seen, mut cursor) = (vec![], None::<String>);
    loop {
        let page = match &cursor {
            Some(c) => app.get(&org.token, &format!("{path}?limit=1&cursor={c}")).await,
            None => app.get(&org.token, &format!("{path}?limit=1")).await,
        };
        page.assert(200);
        let items = page.body["items"].as_array().unwrap();
        assert!(items.len() <= 1);
        seen.extend(items.iter().map(|m| m["username"].as_str().unwrap().to_owned()));
        match page.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    seen.sort();
    added.sort();
    assert_eq!(seen, added, "every member once");
    app.get(&org.token, &format!("{path}?limit=0")).await.assert(422);
    app.get(&org.token, &format!("/v1/accounts/{account}/owners?cursor=nope")).await.assert(400);
}

#[actix_web::test]
async fn a_422_with_one_field_at_fault_carries_that_fields_code_and_several_carry_validation_failed() {
    let app = spawn_app().await;
    let (org, _user, account) = account_setup(&app).await;
    let one = app.patch(&org.token, &format!("/v1/accounts/{account}"), json!({"voicemail": {"pin": "98a65"}})).await;
    assert_eq!((one.status, one.code()), (422, "invalid_pin"), "{}", one.body);
    assert_eq!(one.body["errors"][0]["field"], "voicemail.pin");
    let two = app
        .patch(&org.token, &format!("/v1/accounts/{account}"), json!({"voicemail": {"pin": "1", "email": "nope"}}))
        .await;
    assert_eq!((two.status, two.code()), (422, "validation_failed"), "{}", two.body);
    assert_eq!(two.body["errors"].as_array().unwrap().len(), 2);
}

#[actix_web::test]
async fn control_characters_are_refused_as_input_never_reaching_the_database() {
    let app = spawn_app().await;
    let sp = app.sp("modify").await;
    let org = app.org(&sp, "modify").await;
    let res = app.patch(&app.admin, &format!("/v1/organizations/{}", org.id), json!({"name": "Sales\u{0}"})).await;
    assert_eq!((res.status, res.code()), (422, "invalid_name"), "{}", res.body);
    let res = app
        .post(
            &org.token,
            &format!("/v1/organizations/{}/devices", org.id),
            json!({"mac_address": "0004f2000001", "label": "desk\u{0}"}),
        )
        .await;
    assert_eq!((res.status, res.code()), (422, "control_character"), "{}", res.body);
    let res = app.get(&org.token, &format!("/v1/organizations/{}/devices?vendor=a%00b", org.id)).await;
    assert_eq!((res.status, res.code()), (400, "invalid_query"), "{}", res.body);
    let res = app
        .call(
            awc::http::Method::POST,
            "/v1/auth/token",
            None,
            Some(json!({"grant_type": "password", "username": "ad\u{0}min", "password": PASSWORD})),
        )
        .await;
    assert_eq!((res.status, res.code()), (401, "invalid_grant"), "{}", res.body);
    let res = app.delete(&app.admin, &format!("/v1/devices/{}/owners/a%00b", uuid::Uuid::new_v4())).await;
    res.assert(404);
    // Line breaks are text.
    let res = app
        .post(
            &org.token,
            &format!("/v1/organizations/{}/devices", org.id),
            json!({"mac_address": "0004f2000002", "label": "desk\n2"}),
        )
        .await;
    res.assert(201);
}

#[actix_web::test]
async fn null_for_a_field_that_cannot_be_null_is_422_not_a_silent_no_op() {
    let app = spawn_app().await;
    let sp = app.sp("modify").await;
    let org = app.org(&sp, "modify").await;
    for body in [json!({"name": null}), json!({"device_provisioning": null})] {
        let res = app.patch(&app.admin, &format!("/v1/organizations/{}", org.id), body.clone()).await;
        assert_eq!(res.status, 422, "{body}: {}", res.body);
    }
    let dev = app
        .post(&org.token, &format!("/v1/organizations/{}/devices", org.id), json!({"mac_address": "0004f2000003"}))
        .await;
    dev.assert(201);
    for body in [json!({"mac_address": null}), json!({"settings": {"missed_calls": null}}), json!({"settings": null})] {
        let res = app.patch(&org.token, &format!("/v1/devices/{}", dev.id()), body.clone()).await;
        assert_eq!(res.status, 422, "{body}: {}", res.body);
    }
    // Nullable ones clear.
    let res = app.patch(&org.token, &format!("/v1/devices/{}", dev.id()), json!({"label": null})).await;
    res.assert(200);
}

#[actix_web::test]
async fn two_identical_list_additions_at_once_give_one_201_and_one_200_never_a_500() {
    let app = spawn_app().await;
    let (org, user, account) = account_setup(&app).await;
    let other = app.user(&org, "none").await;
    for list in ["owners", "administrators"] {
        let path = format!("/v1/accounts/{account}/{list}");
        let body = json!({"username": other.username});
        let (a, b) = join(app.post(&org.token, &path, body.clone()), app.post(&org.token, &path, body)).await;
        let mut statuses = [a.status, b.status];
        statuses.sort();
        assert_eq!(statuses, [200, 201], "{list}: {} / {}", a.body, b.body);
    }
    let dev = app
        .post(
            &org.token,
            &format!("/v1/organizations/{}/devices", org.id),
            json!({"mac_address": "0004f2000004", "assigned_to": {"type": "user", "id": user.id}}),
        )
        .await;
    dev.assert(201);
    let path = format!("/v1/devices/{}/owners", dev.id());
    let body = json!({"username": other.username});
    let (a, b) = join(app.post(&org.token, &path, body.clone()), app.post(&org.token, &path, body)).await;
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [200, 201], "device owners: {} / {}", a.body, b.body);
}

#[actix_web::test]
async fn an_e164_number_is_a_plus_and_8_to_15_digits_whatever_the_first_digit() {
    let app = spawn_app().await;
    let (org, user, _) = account_setup(&app).await;
    let res = app.post(&org.token, &format!("/v1/users/{}/accounts", user.id), json!({"number": "+0123456789"})).await;
    res.assert(201);
}
