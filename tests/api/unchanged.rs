//! N6: a field written with the value it already has is not changed. The rules about
//! changing it (P1, P2, D8) do not apply, and a PATCH that changes nothing writes nothing:
//! `updated_at` stays. A front-end that sends a whole object back with one field edited is
//! judged on that field alone.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::*;

/// Long enough that a write would show in `updated_at` (microseconds).
async fn pause() {
    actix_web::rt::time::sleep(Duration::from_millis(5)).await;
}

/// A representation without `updated_at`, to compare what a change may move.
fn without_updated_at(v: &Value) -> Value {
    let mut v = v.clone();
    v.as_object_mut().unwrap().remove("updated_at");
    v
}

#[actix_web::test]
async fn n6_an_owner_sending_its_own_level_back_with_a_rename_is_a_rename_not_a_p1_refusal() {
    let app = spawn_app().await;
    let sp = app.sp("view").await;
    let org = app.org(&sp, "view").await;
    let path = format!("/v1/organizations/{}", org.id);
    // domain.md's example: the Org's owner renames itself with its level, as it has it.
    let res = app.patch(&org.token, &path, json!({"name": "Sales EMEA", "device_provisioning": "view"})).await;
    res.assert(200);
    assert_eq!((&res.body["name"], &res.body["device_provisioning"]), (&json!("Sales EMEA"), &json!("view")));
    // Another level is a change of its own level: P1 as before, and nothing is kept.
    let res = app.patch(&org.token, &path, json!({"name": "Sales APAC", "device_provisioning": "none"})).await;
    res.assert_refused(403, "not_parent", "P1");
    assert_eq!(app.get(&app.admin, &path).await.body["name"], "Sales EMEA");
}

#[actix_web::test]
async fn n6_a_grandparent_or_a_parent_below_the_childs_level_may_send_that_level_back_unchanged() {
    let app = spawn_app().await;
    let sp = app.sp("view").await;
    let org = app.org(&sp, "modify").await;
    let user = app.user(&org, "modify").await;
    // The SP is the user's grandparent (P1 would refuse a level), and has view while the
    // organization has modify (P2 would refuse modify): both send the level as it is.
    let res = app
        .patch(
            &sp.token,
            &format!("/v1/users/{}", user.id),
            json!({"name": "Renamed", "device_provisioning": "modify"}),
        )
        .await;
    res.assert(200);
    assert_eq!((&res.body["name"], &res.body["device_provisioning"]), (&json!("Renamed"), &json!("modify")));
    let res =
        app.patch(&sp.token, &format!("/v1/organizations/{}", org.id), json!({"device_provisioning": "modify"})).await;
    res.assert(200);
    assert_eq!(res.body["device_provisioning"], "modify");
    // Changing it is refused as ever.
    let res = app.patch(&sp.token, &format!("/v1/users/{}", user.id), json!({"device_provisioning": "view"})).await;
    res.assert_refused(403, "not_parent", "P1");
}

#[actix_web::test]
async fn n6_a_node_patch_that_changes_nothing_keeps_updated_at_and_a_real_change_moves_it() {
    let app = spawn_app().await;
    let sp = app.sp("modify").await;
    let org = app.org(&sp, "view").await;
    let path = format!("/v1/organizations/{}", org.id);
    let before = app.get(&app.admin, &path).await.body;
    pause().await;
    for (who, token) in [("its SP owner", &sp.token), ("the org itself", &org.token), ("a system admin", &app.admin)] {
        let res = app.patch(token, &path, json!({"name": before["name"], "device_provisioning": "view"})).await;
        res.assert(200);
        assert_eq!(res.body, before, "{who}: nothing changed, nothing moved");
    }
    assert_eq!(app.get(&app.admin, &path).await.body, before);
    let res = app.patch(&sp.token, &path, json!({"name": "Other"})).await;
    res.assert(200);
    assert!(res.body["updated_at"].as_str() > before["updated_at"].as_str(), "a rename moves updated_at");
}

#[actix_web::test]
async fn n6_an_account_patch_that_changes_nothing_keeps_updated_at_and_a_pin_is_always_a_change() {
    let app = spawn_app().await;
    let sp = app.sp("modify").await;
    let org = app.org(&sp, "modify").await;
    let user = app.user(&org, "modify").await;
    let res = app
        .post(
            &org.token,
            &format!("/v1/users/{}/accounts", user.id),
            json!({"number": "+4930555200", "display_name": "Desk", "location": "Room 1",
                   "voicemail": {"enabled": true, "email": "desk@example.com"}}),
        )
        .await;
    res.assert(201);
    let path = format!("/v1/accounts/{}", res.id());
    let before = app.get(&user.token, &path).await.body;
    pause().await;
    let same = json!({"display_name": "Desk", "location": "Room 1",
                      "voicemail": {"enabled": true, "email": "desk@example.com", "attach_audio": false, "pin": null}});
    let res = app.patch(&user.token, &path, same).await;
    res.assert(200);
    assert_eq!(res.body, before, "the same values: nothing moved");
    assert_eq!(app.get(&user.token, &path).await.body, before);
    // A PIN is stored only as a fresh hash: sending one is a change.
    let res = app.patch(&user.token, &path, json!({"voicemail": {"pin": "2468"}})).await;
    res.assert(200);
    assert!(res.body["updated_at"].as_str() > before["updated_at"].as_str());
    assert_eq!(without_updated_at(&res.body)["voicemail"]["pin_set"], true);
}

#[actix_web::test]
async fn n6_a_device_patch_that_sends_the_whole_device_back_changes_nothing_and_needs_no_d8_rights() {
    let app = spawn_app().await;
    let sp = app.sp("modify").await;
    let org = app.org(&sp, "modify").await;
    let user = app.user(&org, "none").await;
    let res = app
        .post(
            &org.token,
            &format!("/v1/organizations/{}/devices", org.id),
            json!({"mac_address": "0004f2bb0001", "vendor": "Yealink", "label": "Desk",
                   "assigned_to": {"type": "user", "id": user.id}}),
        )
        .await;
    res.assert(201);
    let path = format!("/v1/devices/{}", res.id());
    let before = app.get(&org.token, &path).await.body;
    pause().await;
    // The user (none: no provisioning rights, D1/D8) is the device's owner (A4, A6): it
    // sends everything back with the MWI switched on.
    let whole = json!({"mac_address": "00:04:F2:BB:00:01", "vendor": "Yealink", "model": null, "label": "Desk",
                       "assigned_to": {"type": "user", "id": user.id},
                       "settings": {"missed_calls": true, "mwi": {"enabled": true, "account_id": null}}});
    let res = app.patch(&user.token, &path, whole.clone()).await;
    res.assert(200);
    assert_eq!(res.body["settings"]["mwi"]["enabled"], true);
    let after = res.body.clone();
    // The same again: nothing moves.
    pause().await;
    let res = app.patch(&user.token, &path, whole).await;
    res.assert(200);
    assert_eq!(res.body, after, "the same values: nothing moved");
    assert!(after["updated_at"].as_str() > before["updated_at"].as_str(), "the MWI change moved updated_at");
    // A provisioning field that does change still needs D8's rights.
    let res = app.patch(&user.token, &path, json!({"label": "Mine"})).await;
    res.assert_refused(403, "provisioning_not_allowed", "D8");
}

#[actix_web::test]
async fn n6_an_api_client_written_back_as_it_is_writes_nothing_and_keeps_its_etag() {
    let app = spawn_app().await;
    let sp = app.sp("modify").await;
    let created = app
        .post(
            &sp.token,
            &format!("/v1/service-providers/{}/api-clients", sp.id),
            json!({"name": "CI", "scope": "read"}),
        )
        .await;
    created.assert(201);
    let path = format!("/v1/api-clients/{}", created.id());
    let before = app.get(&sp.token, &path).await;
    pause().await;
    let res = app.patch(&sp.token, &path, json!({"name": "CI", "scope": "read"})).await;
    res.assert(200);
    assert_eq!(res.body, before.body, "nothing changed, not even updated_at");
    assert_eq!(res.headers.get("etag"), before.headers.get("etag"));
    let renamed = app.patch(&sp.token, &path, json!({"name": "CD", "scope": "read"})).await;
    assert_eq!(without_updated_at(&renamed.body)["name"], "CD");
    assert_ne!(renamed.body["updated_at"], before.body["updated_at"]);
}
