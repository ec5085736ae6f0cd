//! Accounts (telephone numbers), their owners and administrators lists, device lines and
//! device owners: domain.md §3 (A1–A7, with D7/D8 where they touch lines) and §4 (M1).

use serde_json::{Value, json};

use crate::helpers::*;

/// A service provider and an organization with `modify`, and one user of it.
struct Tenant {
    sp: Node,
    org: Node,
    user: Node,
}

async fn tenant(app: &TestApp, user_level: &str) -> Tenant {
    let sp = app.sp("modify").await;
    let org = app.org(&sp, "modify").await;
    let user = app.user(&org, user_level).await;
    Tenant { sp, org, user }
}

fn account_path(id: &str) -> String {
    format!("/v1/accounts/{id}")
}

fn accounts_of(user: &Node) -> String {
    format!("/v1/users/{}/accounts", user.id)
}

fn device_path(id: &str) -> String {
    format!("/v1/devices/{id}")
}

/// Creates an account for `user` as `token` and returns its id.
async fn create_account(app: &TestApp, token: &str, user: &Node, number: &str) -> String {
    let res = app.post(token, &accounts_of(user), json!({"number": number})).await;
    res.assert(201);
    res.id()
}

/// Adds a device in `org`'s context as its owner, optionally assigned to a user.
async fn org_device(app: &TestApp, org: &Node, mac: &str, assignee: Option<&Node>) -> String {
    let mut body = json!({"mac_address": mac});
    if let Some(u) = assignee {
        body["assigned_to"] = json!({"type": "user", "id": u.id});
    }
    let res = app.post(&org.token, &format!("/v1/organizations/{}/devices", org.id), body).await;
    res.assert(201);
    res.id()
}

/// Puts an account on a device's lines and returns the device view.
async fn add_line(app: &TestApp, token: &str, device: &str, account: &str, position: Option<i64>) -> Res {
    let mut body = json!({"account_id": account});
    if let Some(p) = position {
        body["position"] = json!(p);
    }
    app.post(token, &format!("/v1/devices/{device}/lines"), body).await
}

/// The usernames of an owners or administrators list (one page), sorted.
fn usernames(res: &Res) -> Vec<String> {
    res.assert(200);
    assert!(res.body["next_cursor"].is_null(), "one page expected: {}", res.body);
    let mut names: Vec<String> = res.body["items"]
        .as_array()
        .unwrap_or_else(|| panic!("a list, got {}", res.body))
        .iter()
        .map(|m| m["username"].as_str().expect("username").to_owned())
        .collect();
    names.sort();
    names
}

fn sorted<S: AsRef<str>>(names: &[S]) -> Vec<String> {
    let mut v: Vec<String> = names.iter().map(|s| s.as_ref().to_owned()).collect();
    v.sort();
    v
}

/// `(account_id, position)` of a device view's lines, in the order given.
fn lines(device: &Value) -> Vec<(String, i64)> {
    device["lines"]
        .as_array()
        .unwrap_or_else(|| panic!("lines in {device}"))
        .iter()
        .map(|l| (l["account_id"].as_str().expect("account_id").to_owned(), l["position"].as_i64().expect("position")))
        .collect()
}

/// `(field, code)` of every field error of a 422.
fn field_errors(res: &Res) -> Vec<(String, String)> {
    res.body["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("errors in {}", res.body))
        .iter()
        .map(|e| (e["field"].as_str().unwrap_or("").to_owned(), e["code"].as_str().unwrap_or("").to_owned()))
        .collect()
}

#[track_caller]
fn assert_not_found(res: &Res) {
    assert_eq!((res.status, res.code()), (404, "not_found"), "body: {}", res.body);
}

/// The entry of `GET /v1/me` `accounts` for one account.
fn my_account<'a>(me: &'a Res, id: &str) -> Option<&'a Value> {
    me.body["accounts"].as_array().expect("accounts in /me").iter().find(|a| a["id"] == id)
}

fn roles_of(entry: &Value) -> Vec<String> {
    let mut roles: Vec<String> =
        entry["roles"].as_array().expect("roles").iter().map(|r| r.as_str().expect("role").to_owned()).collect();
    roles.sort();
    roles
}

// A1 -------------------------------------------------------------------------------------

#[actix_web::test]
async fn every_account_has_an_owners_and_an_administrators_list_and_every_device_an_owners_list() {
    let app = spawn_app().await;
    let t = tenant(&app, "none").await;
    let colleague = app.user(&t.org, "none").await;
    let account = create_account(&app, &t.org.token, &t.user, "1001").await;
    let device = org_device(&app, &t.org, "00:04:f2:00:00:01", None).await;

    assert_eq!(
        usernames(&app.get(&t.org.token, &format!("/v1/accounts/{account}/owners")).await),
        sorted(&[&t.user.username])
    );
    assert!(usernames(&app.get(&t.org.token, &format!("/v1/accounts/{account}/administrators")).await).is_empty());
    assert!(usernames(&app.get(&t.org.token, &format!("/v1/devices/{device}/owners")).await).is_empty());

    for list in [
        format!("/v1/accounts/{account}/owners"),
        format!("/v1/accounts/{account}/administrators"),
        format!("/v1/devices/{device}/owners"),
    ] {
        let added = app.post(&t.org.token, &list, json!({"username": colleague.username})).await;
        added.assert(201);
        assert_eq!(added.body["username"], colleague.username.as_str());
        // Adding again is idempotent: 200, still one entry.
        app.post(&t.org.token, &list, json!({"username": colleague.username})).await.assert(200);
        assert_eq!(
            usernames(&app.get(&t.org.token, &list).await).iter().filter(|u| **u == colleague.username).count(),
            1
        );

        let unknown = app.post(&t.org.token, &list, json!({"username": "nobody-by-that-name"})).await;
        assert_eq!((unknown.status, unknown.code()), (422, "unknown_username"), "{list}: {}", unknown.body);
    }
}

// A2 -------------------------------------------------------------------------------------

/// A tenant, one account of its user and a colleague (level `none`) made administrator of it.
async fn with_administrator(app: &TestApp) -> (Tenant, String, Node) {
    let t = tenant(app, "none").await;
    let account = create_account(app, &t.org.token, &t.user, "2001").await;
    let admin = app.user(&t.org, "none").await;
    app.post(&t.org.token, &format!("/v1/accounts/{account}/administrators"), json!({"username": admin.username}))
        .await
        .assert(201);
    (t, account, admin)
}

#[actix_web::test]
async fn an_administrator_reads_the_account_and_changes_its_settings() {
    let app = spawn_app().await;
    let (_t, account, admin) = with_administrator(&app).await;

    let read = app.get(&admin.token, &account_path(&account)).await;
    read.assert(200);
    assert_eq!(read.body["number"], "2001");

    let changed = app
        .patch(
            &admin.token,
            &account_path(&account),
            json!({
                "display_name": "Front desk",
                "location": "Building 7, room 101",
                "voicemail": {"enabled": true, "pin": "2468", "email": "desk@example.org", "attach_audio": true}
            }),
        )
        .await;
    changed.assert(200);
    assert_eq!(changed.body["display_name"], "Front desk");
    assert_eq!(changed.body["location"], "Building 7, room 101");
    assert_eq!(
        changed.body["voicemail"],
        json!({"enabled": true, "pin_set": true, "email": "desk@example.org", "attach_audio": true})
    );
    let again = app.get(&admin.token, &account_path(&account)).await;
    assert_eq!(again.body["display_name"], "Front desk");
    assert_eq!(again.body["voicemail"]["pin_set"], true);
}

#[actix_web::test]
async fn an_administrator_adds_and_removes_administrators() {
    let app = spawn_app().await;
    let (t, account, admin) = with_administrator(&app).await;
    let helper = app.user(&t.org, "none").await;
    let list = format!("/v1/accounts/{account}/administrators");

    app.post(&admin.token, &list, json!({"username": helper.username})).await.assert(201);
    assert_eq!(usernames(&app.get(&admin.token, &list).await), sorted(&[&admin.username, &helper.username]));
    // The new administrator holds the rights at once.
    app.get(&helper.token, &account_path(&account)).await.assert(200);

    app.delete(&admin.token, &format!("{list}/{}", helper.username)).await.assert(204);
    assert_eq!(usernames(&app.get(&admin.token, &list).await), sorted(&[&admin.username]));
    assert_not_found(&app.get(&helper.token, &account_path(&account)).await);
    // Reading the owners list is part of reading the account.
    assert_eq!(
        usernames(&app.get(&admin.token, &format!("/v1/accounts/{account}/owners")).await),
        sorted(&[&t.user.username])
    );
}

#[actix_web::test]
async fn an_administrator_cannot_add_or_remove_owners() {
    let app = spawn_app().await;
    let (t, account, admin) = with_administrator(&app).await;
    let owners = format!("/v1/accounts/{account}/owners");

    app.post(&admin.token, &owners, json!({"username": admin.username})).await.assert_refused(403, "owners_only", "A3");
    app.delete(&admin.token, &format!("{owners}/{}", t.user.username)).await.assert_refused(403, "owners_only", "A3");
    // Not on the owners list: naming itself there is no self-removal (A7).
    app.delete(&admin.token, &format!("{owners}/{}", admin.username)).await.assert_refused(403, "owners_only", "A3");
    assert_eq!(usernames(&app.get(&t.org.token, &owners).await), sorted(&[&t.user.username]));
}

#[actix_web::test]
async fn an_administrator_cannot_delete_the_account() {
    let app = spawn_app().await;
    let (t, account, admin) = with_administrator(&app).await;
    app.delete(&admin.token, &account_path(&account)).await.assert_refused(403, "tree_only", "A5");
    app.get(&t.org.token, &account_path(&account)).await.assert(200);
}

// A3 -------------------------------------------------------------------------------------

#[actix_web::test]
async fn an_owner_manages_the_owners_list() {
    let app = spawn_app().await;
    let t = tenant(&app, "none").await;
    let partner = app.user(&t.org, "none").await;
    let account = create_account(&app, &t.org.token, &t.user, "3001").await;
    let owners = format!("/v1/accounts/{account}/owners");

    // The account's own user, an owner since creation, adds a second owner ...
    app.post(&t.user.token, &owners, json!({"username": partner.username})).await.assert(201);
    assert_eq!(usernames(&app.get(&t.user.token, &owners).await), sorted(&[&t.user.username, &partner.username]));
    // ... who, as an owner, may take another owner off and put it back.
    app.delete(&partner.token, &format!("{owners}/{}", t.user.username)).await.assert(204);
    assert_eq!(usernames(&app.get(&partner.token, &owners).await), sorted(&[&partner.username]));
    app.post(&partner.token, &owners, json!({"username": t.user.username})).await.assert(201);
    // Owners hold every administrator right too.
    app.post(&partner.token, &format!("/v1/accounts/{account}/administrators"), json!({"username": t.org.username}))
        .await
        .assert(201);
    app.patch(&partner.token, &account_path(&account), json!({"display_name": "Shared line"})).await.assert(200);
}

#[actix_web::test]
async fn an_owner_has_portal_access_and_an_administrator_does_not() {
    let app = spawn_app().await;
    let (t, account, admin) = with_administrator(&app).await;

    let owner_me = app.get(&t.user.token, "/v1/me").await;
    owner_me.assert(200);
    let entry = my_account(&owner_me, &account).expect("the owner sees its account in /me");
    assert_eq!(entry["portal_access"], true);
    assert_eq!(roles_of(entry), ["owner"]);

    let admin_me = app.get(&admin.token, "/v1/me").await;
    let entry = my_account(&admin_me, &account).expect("the administrator sees the account in /me");
    assert_eq!(entry["portal_access"], false);
    assert_eq!(roles_of(entry), ["administrator"]);
}

// A4 -------------------------------------------------------------------------------------

#[actix_web::test]
async fn the_accounts_user_is_on_its_owners_list_from_creation() {
    let app = spawn_app().await;
    let t = tenant(&app, "none").await;
    // Whoever creates it through the tree, the User is the starting owner, not the creator.
    for (creator, number) in [(&app.admin, "4001"), (&t.sp.token, "4002"), (&t.org.token, "4003")] {
        let account = create_account(&app, creator, &t.user, number).await;
        let owners = app.get(creator, &format!("/v1/accounts/{account}/owners")).await;
        assert_eq!(usernames(&owners), sorted(&[&t.user.username]), "created by the holder of {number}");
        assert!(usernames(&app.get(creator, &format!("/v1/accounts/{account}/administrators")).await).is_empty());
    }
}

#[actix_web::test]
async fn a_device_assigned_to_a_user_at_creation_has_that_user_on_its_owners_list() {
    let app = spawn_app().await;
    let t = tenant(&app, "none").await;
    let assigned = org_device(&app, &t.org, "00:04:f2:00:04:01", Some(&t.user)).await;
    let unassigned = org_device(&app, &t.org, "00:04:f2:00:04:02", None).await;

    assert_eq!(
        usernames(&app.get(&t.org.token, &format!("/v1/devices/{assigned}/owners")).await),
        sorted(&[&t.user.username])
    );
    assert!(usernames(&app.get(&t.org.token, &format!("/v1/devices/{unassigned}/owners")).await).is_empty());
    // The owner reads it although level `none` hides the SIP devices area from it.
    app.get(&t.user.token, &device_path(&assigned)).await.assert(200);
}

// A5 -------------------------------------------------------------------------------------

#[actix_web::test]
async fn the_org_owner_the_sp_owner_and_a_system_admin_create_and_delete_accounts_and_hold_every_right() {
    let app = spawn_app().await;
    let t = tenant(&app, "none").await;
    let colleague = app.user(&t.org, "none").await;
    for (who, token, number) in [
        ("system admin", &app.admin, "+4930123401"),
        ("sp owner", &t.sp.token, "+4930123402"),
        ("org owner", &t.org.token, "+4930123403"),
    ] {
        let created = app
            .post(token, &accounts_of(&t.user), json!({"number": number, "display_name": who, "location": "Lab"}))
            .await;
        created.assert(201);
        assert_eq!(created.body["number"], number, "{who}");
        assert_eq!(created.body["user_id"], t.user.id.as_str(), "{who}");
        let account = created.id();
        let listed = app.get(token, &accounts_of(&t.user)).await;
        listed.assert(200);
        assert!(listed.body["items"].as_array().expect("items").iter().any(|a| a["id"] == account.as_str()), "{who}");

        app.get(token, &account_path(&account)).await.assert(200);
        app.patch(token, &account_path(&account), json!({"voicemail": {"enabled": true}})).await.assert(200);
        for list in ["owners", "administrators"] {
            let path = format!("/v1/accounts/{account}/{list}");
            app.post(token, &path, json!({"username": colleague.username})).await.assert(201);
            app.delete(token, &format!("{path}/{}", colleague.username)).await.assert(204);
        }
        app.delete(token, &format!("/v1/accounts/{account}/owners/{}", t.user.username)).await.assert(204);
        app.delete(token, &account_path(&account)).await.assert(204);
        assert_not_found(&app.get(token, &account_path(&account)).await);
    }
    // A deleted account's number is free again.
    create_account(&app, &t.org.token, &t.user, "+4930123401").await;
}

#[actix_web::test]
async fn the_user_itself_cannot_create_or_delete_its_accounts_even_as_owner() {
    let app = spawn_app().await;
    let t = tenant(&app, "modify").await;
    app.post(&t.user.token, &accounts_of(&t.user), json!({"number": "5001"})).await.assert_refused(
        403,
        "tree_only",
        "A5",
    );
    let account = create_account(&app, &t.org.token, &t.user, "5002").await;
    app.post(&t.user.token, &format!("/v1/accounts/{account}/administrators"), json!({"username": t.user.username}))
        .await
        .assert(201);
    // Owner and administrator at once, and still no deletion: list membership never does it.
    app.delete(&t.user.token, &account_path(&account)).await.assert_refused(403, "tree_only", "A5");
    app.get(&t.user.token, &account_path(&account)).await.assert(200);
    // It still lists its own accounts (N2).
    let listed = app.get(&t.user.token, &accounts_of(&t.user)).await;
    listed.assert(200);
    assert_eq!(listed.body["items"].as_array().expect("items").len(), 1);
}

#[actix_web::test]
async fn another_tenant_gets_404_for_accounts_it_cannot_see() {
    let app = spawn_app().await;
    let t = tenant(&app, "modify").await;
    let account = create_account(&app, &t.org.token, &t.user, "6001").await;
    let other_sp = app.sp("modify").await;
    let other_org_same_sp = app.org(&t.sp, "modify").await;
    let sibling_user = app.user(&t.org, "modify").await;

    for (who, token) in [
        ("another sp", &other_sp.token),
        ("another org", &other_org_same_sp.token),
        ("a sibling user", &sibling_user.token),
    ] {
        let checks = [
            app.post(token, &accounts_of(&t.user), json!({"number": "6002"})).await,
            app.get(token, &accounts_of(&t.user)).await,
            app.get(token, &account_path(&account)).await,
            app.patch(token, &account_path(&account), json!({"display_name": "x"})).await,
            app.delete(token, &account_path(&account)).await,
            app.get(token, &format!("/v1/accounts/{account}/owners")).await,
            app.post(token, &format!("/v1/accounts/{account}/administrators"), json!({"username": t.user.username}))
                .await,
            app.delete(token, &format!("/v1/accounts/{account}/owners/{}", t.user.username)).await,
        ];
        for (i, res) in checks.iter().enumerate() {
            assert_eq!((res.status, res.code()), (404, "not_found"), "{who}, check {i}: {}", res.body);
        }
    }
    let kept = app.get(&t.org.token, &account_path(&account)).await;
    kept.assert(200);
    assert_eq!(kept.body["display_name"], Value::Null);
}

// A6 -------------------------------------------------------------------------------------

#[actix_web::test]
async fn a_level_none_device_owner_changes_settings_lines_and_owners() {
    let app = spawn_app().await;
    let t = tenant(&app, "none").await;
    let colleague = app.user(&t.org, "none").await;
    let account = create_account(&app, &t.org.token, &t.user, "7001").await;
    let device = org_device(&app, &t.org, "00:04:f2:00:07:01", Some(&t.user)).await;

    // The area stays hidden (D1), the device it owns does not (A6).
    app.get(&t.user.token, &format!("/v1/users/{}/devices", t.user.id)).await.assert_refused(
        403,
        "sip_devices_area_hidden",
        "D1",
    );
    app.get(&t.user.token, &device_path(&device)).await.assert(200);

    let off = app.patch(&t.user.token, &device_path(&device), json!({"settings": {"missed_calls": false}})).await;
    off.assert(200);
    assert_eq!(off.body["settings"]["missed_calls"], false);

    let with_line = add_line(&app, &t.user.token, &device, &account, None).await;
    with_line.assert(201);
    assert_eq!(lines(&with_line.body), [(account.clone(), 1)]);
    assert_eq!(with_line.body["lines"][0]["number"], "7001");

    let mwi = app
        .patch(
            &t.user.token,
            &device_path(&device),
            json!({"settings": {"mwi": {"enabled": true, "account_id": account}}}),
        )
        .await;
    mwi.assert(200);
    assert_eq!(mwi.body["settings"]["mwi"], json!({"enabled": true, "account_id": account}));

    let owners = format!("/v1/devices/{device}/owners");
    app.post(&t.user.token, &owners, json!({"username": colleague.username})).await.assert(201);
    assert_eq!(usernames(&app.get(&t.user.token, &owners).await), sorted(&[&t.user.username, &colleague.username]));
    app.delete(&t.user.token, &format!("{owners}/{}", colleague.username)).await.assert(204);

    app.delete(&t.user.token, &format!("/v1/devices/{device}/lines/{account}")).await.assert(204);
    let after = app.get(&t.user.token, &device_path(&device)).await;
    assert!(lines(&after.body).is_empty());
}

#[actix_web::test]
async fn a_level_none_device_owner_cannot_change_the_provisioning_fields_nor_delete_the_device() {
    let app = spawn_app().await;
    let t = tenant(&app, "none").await;
    let device = org_device(&app, &t.org, "00:04:f2:00:07:02", Some(&t.user)).await;
    let path = device_path(&device);

    for body in [
        json!({"mac_address": "00:04:f2:00:07:99"}),
        json!({"assigned_to": null}),
        json!({"assigned_to": {"type": "user", "id": t.user.id}, "mac_address": "00:04:f2:00:07:98"}),
        json!({"label": "Reception"}),
        json!({"settings": {"missed_calls": false}, "mac_address": "00:04:f2:00:07:97"}),
    ] {
        let res = app.patch(&t.user.token, &path, body.clone()).await;
        assert_eq!(
            (res.status, res.code(), res.rule()),
            (403, "provisioning_not_allowed", "D8"),
            "{body}: {}",
            res.body
        );
    }
    app.delete(&t.user.token, &path).await.assert_refused(403, "provisioning_not_allowed", "D8");

    let kept = app.get(&t.org.token, &path).await;
    kept.assert(200);
    assert_eq!(kept.body["mac_address"], "0004f2000702");
    assert_eq!(kept.body["assigned_to"], json!({"type": "user", "id": t.user.id}));
    assert_eq!(kept.body["settings"]["missed_calls"], true);
}

#[actix_web::test]
async fn a_device_owner_cannot_put_a_number_it_does_not_manage_on_the_phone() {
    let app = spawn_app().await;
    let t = tenant(&app, "none").await;
    let neighbour = app.user(&t.org, "none").await;
    let own = create_account(&app, &t.org.token, &t.user, "7101").await;
    let foreign = create_account(&app, &t.org.token, &neighbour, "7102").await;
    let device = org_device(&app, &t.org, "00:04:f2:00:07:11", Some(&t.user)).await;

    // An account it cannot see at all answers as if it did not exist.
    assert_not_found(&add_line(&app, &t.user.token, &device, &foreign, None).await);
    assert_not_found(&add_line(&app, &t.user.token, &device, &uuid::Uuid::new_v4().to_string(), None).await);

    // Its own account, once it is on neither list, is visible (N2) but no longer managed.
    app.delete(&t.user.token, &format!("/v1/accounts/{own}/owners/{}", t.user.username)).await.assert(204);
    app.get(&t.user.token, &account_path(&own)).await.assert(200);
    add_line(&app, &t.user.token, &device, &own, None).await.assert_refused(403, "account_not_managed", "A6");

    let device_now = app.get(&t.org.token, &device_path(&device)).await;
    assert!(lines(&device_now.body).is_empty());
}

#[actix_web::test]
async fn a_device_owner_puts_an_account_it_administers_on_its_phone() {
    let app = spawn_app().await;
    let t = tenant(&app, "none").await;
    let boss = app.user(&t.org, "none").await;
    let boss_line = create_account(&app, &t.org.token, &boss, "7201").await;
    let device = org_device(&app, &t.org, "00:04:f2:00:07:21", Some(&t.user)).await;

    add_line(&app, &t.user.token, &device, &boss_line, None).await.assert(404);
    app.post(&boss.token, &format!("/v1/accounts/{boss_line}/administrators"), json!({"username": t.user.username}))
        .await
        .assert(201);
    let res = add_line(&app, &t.user.token, &device, &boss_line, None).await;
    res.assert(201);
    assert_eq!(lines(&res.body), [(boss_line, 1)]);
}

#[actix_web::test]
async fn a_modify_user_provisioning_its_own_unowned_device_puts_only_its_own_accounts_on_lines() {
    let app = spawn_app().await;
    let t = tenant(&app, "modify").await;
    let neighbour = app.user(&t.org, "none").await;
    let own = create_account(&app, &t.org.token, &t.user, "7301").await;
    let foreign = create_account(&app, &t.org.token, &neighbour, "7302").await;
    app.post(&t.org.token, &format!("/v1/accounts/{foreign}/administrators"), json!({"username": t.user.username}))
        .await
        .assert(201);
    // Added in its own context without an assignee: the user is no device owner of it.
    let added = app
        .post(&t.user.token, &format!("/v1/users/{}/devices", t.user.id), json!({"mac_address": "0004f2000731"}))
        .await;
    added.assert(201);
    let device = added.id();
    assert!(usernames(&app.get(&t.user.token, &format!("/v1/devices/{device}/owners")).await).is_empty());

    add_line(&app, &t.user.token, &device, &foreign, None).await.assert_refused(403, "not_own_account", "D7");
    add_line(&app, &t.user.token, &device, &own, None).await.assert(201);
}

#[actix_web::test]
async fn one_account_can_be_a_shared_line_on_two_devices() {
    let app = spawn_app().await;
    let t = tenant(&app, "none").await;
    let account = create_account(&app, &t.org.token, &t.user, "7401").await;
    let desk = org_device(&app, &t.org, "00:04:f2:00:07:41", Some(&t.user)).await;
    let lobby = org_device(&app, &t.org, "00:04:f2:00:07:42", None).await;

    add_line(&app, &t.user.token, &desk, &account, None).await.assert(201);
    add_line(&app, &t.org.token, &lobby, &account, None).await.assert(201);
    for device in [&desk, &lobby] {
        let view = app.get(&t.org.token, &device_path(device)).await;
        assert_eq!(lines(&view.body), [(account.clone(), 1)], "device {device}");
        assert_eq!(view.body["lines"][0]["number"], "7401");
    }
    // Twice on the same device is a conflict.
    assert_eq!(add_line(&app, &t.org.token, &desk, &account, None).await.status, 409);

    // While on any line, the account is kept.
    let in_use = app.delete(&t.org.token, &account_path(&account)).await;
    assert_eq!((in_use.status, in_use.code()), (409, "account_in_use"), "{}", in_use.body);
    app.delete(&t.org.token, &format!("/v1/devices/{desk}/lines/{account}")).await.assert(204);
    assert_eq!(app.delete(&t.org.token, &account_path(&account)).await.code(), "account_in_use");
    app.delete(&t.org.token, &format!("/v1/devices/{lobby}/lines/{account}")).await.assert(204);
    app.delete(&t.org.token, &account_path(&account)).await.assert(204);
}

#[actix_web::test]
async fn line_positions_run_from_one_and_are_renumbered_after_a_removal() {
    let app = spawn_app().await;
    let t = tenant(&app, "none").await;
    let a = create_account(&app, &t.org.token, &t.user, "7501").await;
    let b = create_account(&app, &t.org.token, &t.user, "7502").await;
    let c = create_account(&app, &t.org.token, &t.user, "7503").await;
    let d = create_account(&app, &t.org.token, &t.user, "7504").await;
    let device = org_device(&app, &t.org, "00:04:f2:00:07:51", Some(&t.user)).await;
    let tok = &t.user.token;

    assert_eq!(lines(&add_line(&app, tok, &device, &a, None).await.body), [(a.clone(), 1)]);
    assert_eq!(lines(&add_line(&app, tok, &device, &b, None).await.body), [(a.clone(), 1), (b.clone(), 2)]);
    // Inserting at a position moves the lines at and after it down one.
    let res = add_line(&app, tok, &device, &c, Some(1)).await;
    res.assert(201);
    assert_eq!(lines(&res.body), [(c.clone(), 1), (a.clone(), 2), (b.clone(), 3)]);
    // Positions outside 1..=N+1 are refused.
    for bad in [0, -1, 5] {
        let res = add_line(&app, tok, &device, &d, Some(bad)).await;
        assert_eq!(res.status, 422, "position {bad}: {}", res.body);
    }
    let res = add_line(&app, tok, &device, &d, Some(4)).await;
    assert_eq!(lines(&res.body), [(c.clone(), 1), (a.clone(), 2), (b.clone(), 3), (d.clone(), 4)]);

    app.delete(tok, &format!("/v1/devices/{device}/lines/{a}")).await.assert(204);
    let view = app.get(tok, &device_path(&device)).await;
    assert_eq!(lines(&view.body), [(c.clone(), 1), (b.clone(), 2), (d.clone(), 3)]);
    app.delete(tok, &format!("/v1/devices/{device}/lines/{c}")).await.assert(204);
    let view = app.get(tok, &device_path(&device)).await;
    assert_eq!(lines(&view.body), [(b.clone(), 1), (d.clone(), 2)]);
    // A line the device does not have is not found.
    assert_eq!(app.delete(tok, &format!("/v1/devices/{device}/lines/{a}")).await.status, 404);
}

#[actix_web::test]
async fn the_mwi_account_must_be_one_of_the_devices_lines() {
    let app = spawn_app().await;
    let t = tenant(&app, "none").await;
    let on_line = create_account(&app, &t.org.token, &t.user, "7601").await;
    let elsewhere = create_account(&app, &t.org.token, &t.user, "7602").await;
    let device = org_device(&app, &t.org, "00:04:f2:00:07:61", Some(&t.user)).await;
    add_line(&app, &t.user.token, &device, &on_line, None).await.assert(201);

    for account in [elsewhere.clone(), uuid::Uuid::new_v4().to_string()] {
        let res = app
            .patch(&t.user.token, &device_path(&device), json!({"settings": {"mwi": {"account_id": account}}}))
            .await;
        assert_eq!((res.status, res.code()), (422, "mwi_not_a_line"), "{}", res.body);
    }
    // Also when the device is added with settings: it has no lines yet.
    let res = app
        .post(
            &t.org.token,
            &format!("/v1/organizations/{}/devices", t.org.id),
            json!({"mac_address": "00:04:f2:00:07:62", "settings": {"mwi": {"enabled": true, "account_id": on_line}}}),
        )
        .await;
    assert_eq!((res.status, res.code()), (422, "mwi_not_a_line"), "{}", res.body);

    let res = app
        .patch(
            &t.user.token,
            &device_path(&device),
            json!({"settings": {"mwi": {"enabled": true, "account_id": on_line}}}),
        )
        .await;
    res.assert(200);
    assert_eq!(res.body["settings"]["mwi"]["account_id"], on_line.as_str());
    let res = app.patch(&t.user.token, &device_path(&device), json!({"settings": {"mwi": {"account_id": null}}})).await;
    res.assert(200);
    assert_eq!(res.body["settings"]["mwi"], json!({"enabled": true, "account_id": null}));
}

#[actix_web::test]
async fn removing_the_mwi_line_clears_the_mwi_account() {
    let app = spawn_app().await;
    let t = tenant(&app, "none").await;
    let first = create_account(&app, &t.org.token, &t.user, "7701").await;
    let second = create_account(&app, &t.org.token, &t.user, "7702").await;
    let device = org_device(&app, &t.org, "00:04:f2:00:07:71", Some(&t.user)).await;
    let other = org_device(&app, &t.org, "00:04:f2:00:07:72", Some(&t.user)).await;
    for d in [&device, &other] {
        add_line(&app, &t.user.token, d, &first, None).await.assert(201);
        app.patch(&t.user.token, &device_path(d), json!({"settings": {"mwi": {"enabled": true, "account_id": first}}}))
            .await
            .assert(200);
    }
    add_line(&app, &t.user.token, &device, &second, None).await.assert(201);

    // Removing another line leaves the MWI alone.
    app.delete(&t.user.token, &format!("/v1/devices/{device}/lines/{second}")).await.assert(204);
    let view = app.get(&t.user.token, &device_path(&device)).await;
    assert_eq!(view.body["settings"]["mwi"]["account_id"], first.as_str());

    app.delete(&t.user.token, &format!("/v1/devices/{device}/lines/{first}")).await.assert(204);
    let view = app.get(&t.user.token, &device_path(&device)).await;
    assert_eq!(view.body["settings"]["mwi"]["account_id"], Value::Null);
    assert!(lines(&view.body).is_empty());
    // The other device, still carrying the line, keeps its MWI.
    let view = app.get(&t.user.token, &device_path(&other)).await;
    assert_eq!(view.body["settings"]["mwi"]["account_id"], first.as_str());
}

// A7 -------------------------------------------------------------------------------------

#[actix_web::test]
async fn an_administrator_who_removes_itself_is_refused_on_the_very_next_request() {
    let app = spawn_app().await;
    let (_t, account, admin) = with_administrator(&app).await;
    app.patch(&admin.token, &account_path(&account), json!({"display_name": "Before"})).await.assert(200);
    app.delete(&admin.token, &format!("/v1/accounts/{account}/administrators/{}", admin.username)).await.assert(204);
    // Outside the tree and off every list, the account is no longer visible to it (N5).
    assert_not_found(&app.patch(&admin.token, &account_path(&account), json!({"display_name": "After"})).await);
    assert_not_found(&app.get(&admin.token, &account_path(&account)).await);
    assert!(my_account(&app.get(&admin.token, "/v1/me").await, &account).is_none());
}

#[actix_web::test]
async fn the_accounts_own_user_who_leaves_the_owners_list_can_no_longer_manage_it() {
    let app = spawn_app().await;
    let t = tenant(&app, "none").await;
    let account = create_account(&app, &t.org.token, &t.user, "8001").await;
    app.delete(&t.user.token, &format!("/v1/accounts/{account}/owners/{}", t.user.username)).await.assert(204);

    app.patch(&t.user.token, &account_path(&account), json!({"display_name": "Mine?"})).await.assert_refused(
        403,
        "not_account_manager",
        "A2",
    );
    app.post(&t.user.token, &format!("/v1/accounts/{account}/administrators"), json!({"username": t.user.username}))
        .await
        .assert_refused(403, "not_account_manager", "A2");
    app.post(&t.user.token, &format!("/v1/accounts/{account}/owners"), json!({"username": t.user.username}))
        .await
        .assert_refused(403, "not_account_manager", "A2");
    assert!(my_account(&app.get(&t.user.token, "/v1/me").await, &account).is_none());
}

#[actix_web::test]
async fn a_device_owner_who_removes_itself_loses_the_device_at_once() {
    let app = spawn_app().await;
    let t = tenant(&app, "none").await;
    let colleague = app.user(&t.org, "none").await;
    let device = org_device(&app, &t.org, "00:04:f2:00:08:01", Some(&t.user)).await;
    let owners = format!("/v1/devices/{device}/owners");
    app.post(&t.user.token, &owners, json!({"username": colleague.username})).await.assert(201);
    app.get(&colleague.token, &device_path(&device)).await.assert(200);

    app.delete(&colleague.token, &format!("{owners}/{}", colleague.username)).await.assert(204);
    assert_not_found(&app.get(&colleague.token, &device_path(&device)).await);
    assert_not_found(
        &app.patch(&colleague.token, &device_path(&device), json!({"settings": {"missed_calls": false}})).await,
    );

    // The assignee, at level `none`, loses it too: the SIP devices area stays hidden (D1).
    app.delete(&t.user.token, &format!("{owners}/{}", t.user.username)).await.assert(204);
    let refused = app.patch(&t.user.token, &device_path(&device), json!({"settings": {"missed_calls": false}})).await;
    assert!(matches!(refused.status, 403 | 404), "{}", refused.body);
    app.get(&t.user.token, &device_path(&device)).await.assert_refused(403, "sip_devices_area_hidden", "D1");
    assert!(app.get(&t.user.token, "/v1/me").await.body["devices"].as_array().expect("devices").is_empty());
}

#[actix_web::test]
async fn emptied_lists_leave_the_tree_in_control() {
    let app = spawn_app().await;
    let (t, account, admin) = with_administrator(&app).await;
    let device = org_device(&app, &t.org, "00:04:f2:00:08:11", Some(&t.user)).await;

    app.delete(&admin.token, &format!("/v1/accounts/{account}/administrators/{}", admin.username)).await.assert(204);
    app.delete(&t.user.token, &format!("/v1/accounts/{account}/owners/{}", t.user.username)).await.assert(204);
    app.delete(&t.user.token, &format!("/v1/devices/{device}/owners/{}", t.user.username)).await.assert(204);

    for token in [&t.org.token, &t.sp.token, &app.admin] {
        assert!(usernames(&app.get(token, &format!("/v1/accounts/{account}/owners")).await).is_empty());
        assert!(usernames(&app.get(token, &format!("/v1/accounts/{account}/administrators")).await).is_empty());
        assert!(usernames(&app.get(token, &format!("/v1/devices/{device}/owners")).await).is_empty());
        app.patch(token, &account_path(&account), json!({"location": "Room 1"})).await.assert(200);
    }
    add_line(&app, &t.org.token, &device, &account, None).await.assert(201);
    app.post(&t.org.token, &format!("/v1/accounts/{account}/owners"), json!({"username": t.user.username}))
        .await
        .assert(201);
    app.post(&t.org.token, &format!("/v1/devices/{device}/owners"), json!({"username": t.user.username}))
        .await
        .assert(201);
    app.patch(&t.user.token, &account_path(&account), json!({"location": "Room 2"})).await.assert(200);
}

// M1 -------------------------------------------------------------------------------------

#[actix_web::test]
async fn me_lists_each_account_and_device_with_the_callers_roles_and_portal_access() {
    let app = spawn_app().await;
    let t = tenant(&app, "none").await;
    let second = app.user(&t.org, "none").await;
    let theirs = create_account(&app, &t.org.token, &t.user, "9001").await;
    let mine = create_account(&app, &t.org.token, &second, "9002").await;
    for account in [&theirs, &mine] {
        app.post(&t.org.token, &format!("/v1/accounts/{account}/administrators"), json!({"username": second.username}))
            .await
            .assert(201);
    }
    let device = org_device(&app, &t.org, "00-04-F2-00-09-01", Some(&t.user)).await;

    let me = app.get(&second.token, "/v1/me").await;
    me.assert(200);
    assert_eq!(me.body["accounts"].as_array().expect("accounts").len(), 2, "{}", me.body);
    let a = my_account(&me, &theirs).expect("administered account");
    assert_eq!(
        (a["number"].as_str(), roles_of(a), &a["portal_access"]),
        (Some("9001"), sorted(&["administrator"]), &json!(false))
    );
    let b = my_account(&me, &mine).expect("owned account");
    assert_eq!(
        (b["number"].as_str(), roles_of(b), &b["portal_access"]),
        (Some("9002"), sorted(&["owner", "administrator"]), &json!(true))
    );
    assert!(me.body["devices"].as_array().expect("devices").is_empty());

    let me = app.get(&t.user.token, "/v1/me").await;
    let entry = my_account(&me, &theirs).expect("own account");
    assert_eq!((roles_of(entry), &entry["portal_access"]), (sorted(&["owner"]), &json!(true)));
    assert_eq!(me.body["devices"], json!([{"id": device, "mac_address": "0004f2000901", "roles": ["owner"]}]));

    // Tree rights are not list memberships.
    let me = app.get(&t.org.token, "/v1/me").await;
    assert!(me.body["accounts"].as_array().expect("accounts").is_empty());

    // A change of membership shows on the next call.
    app.delete(&t.org.token, &format!("/v1/accounts/{theirs}/administrators/{}", second.username)).await.assert(204);
    app.delete(&t.org.token, &format!("/v1/accounts/{mine}/owners/{}", second.username)).await.assert(204);
    let me = app.get(&second.token, "/v1/me").await;
    assert!(my_account(&me, &theirs).is_none());
    let b = my_account(&me, &mine).expect("still administrator");
    assert_eq!((roles_of(b), &b["portal_access"]), (sorted(&["administrator"]), &json!(false)));
}

/// The lists come back in a stable order whatever order the memberships were made in:
/// accounts and devices by id, an account's roles by name.
#[actix_web::test]
async fn me_lists_accounts_and_devices_in_id_order_and_roles_in_name_order() {
    let app = spawn_app().await;
    let t = tenant(&app, "none").await;
    let second = app.user(&t.org, "none").await;
    let mut accounts = Vec::new();
    for number in ["9011", "9012", "9013"] {
        let account = create_account(&app, &t.org.token, &second, number).await;
        // Administrator after owner: the roles' order is not the order they were given.
        app.post(&t.org.token, &format!("/v1/accounts/{account}/administrators"), json!({"username": second.username}))
            .await
            .assert(201);
        accounts.push(account);
    }
    let mut devices = Vec::new();
    for mac in ["00-04-F2-00-09-13", "00-04-F2-00-09-11", "00-04-F2-00-09-12"] {
        devices.push(org_device(&app, &t.org, mac, Some(&second)).await);
    }
    accounts.sort();
    devices.sort();

    let me = app.get(&second.token, "/v1/me").await;
    me.assert(200);
    let listed: Vec<(&str, Vec<&str>)> = me.body["accounts"]
        .as_array()
        .expect("accounts")
        .iter()
        .map(|a| {
            let roles = a["roles"].as_array().expect("roles").iter().map(|r| r.as_str().expect("role")).collect();
            (a["id"].as_str().expect("id"), roles)
        })
        .collect();
    let expected: Vec<(&str, Vec<&str>)> =
        accounts.iter().map(|a| (a.as_str(), vec!["administrator", "owner"])).collect();
    assert_eq!(listed, expected, "{}", me.body);
    let listed: Vec<&str> =
        me.body["devices"].as_array().expect("devices").iter().map(|d| d["id"].as_str().expect("id")).collect();
    assert_eq!(listed, devices.iter().map(String::as_str).collect::<Vec<_>>(), "{}", me.body);
}

// Numbers ---------------------------------------------------------------------------------

#[actix_web::test]
async fn numbers_are_e164_or_short_extensions() {
    let app = spawn_app().await;
    let t = tenant(&app, "none").await;
    let valid = ["+14155550123", "+49301234", "+123456789012345", "12", "1001", "12345678"];
    for number in valid {
        let res = app.post(&t.org.token, &accounts_of(&t.user), json!({"number": number})).await;
        res.assert(201);
        assert_eq!(res.body["number"], number, "stored as given");
    }
    let invalid = [
        "",
        "1",
        "123456789",
        "+",
        "+1234567",
        "+1234567890123456",
        "12a4",
        "+1 415 555 0123",
        " 1234",
        "1234 ",
        "++14155550123",
        "14155550123+",
        "1001-2",
        "(617)2531",
        "١٢٣٤",
    ];
    for number in invalid {
        let res = app.post(&t.org.token, &accounts_of(&t.user), json!({"number": number})).await;
        assert_eq!((res.status, res.code()), (422, "invalid_number"), "{number:?}: {}", res.body);
        assert_eq!(field_errors(&res), [("number".to_owned(), "invalid_number".to_owned())], "{number:?}");
    }
    let listed = app.get(&t.org.token, &format!("{}?limit=500", accounts_of(&t.user))).await;
    assert_eq!(listed.body["items"].as_array().expect("items").len(), valid.len());
}

#[actix_web::test]
async fn a_number_in_use_is_refused_with_409() {
    let app = spawn_app().await;
    let t = tenant(&app, "none").await;
    let neighbour = app.user(&t.org, "none").await;
    let first = create_account(&app, &t.org.token, &t.user, "+16172531000").await;
    for user in [&t.user, &neighbour] {
        let res = app.post(&t.org.token, &accounts_of(user), json!({"number": "+16172531000"})).await;
        assert_eq!((res.status, res.code()), (409, "number_in_use"), "{}", res.body);
    }
    let listed = app.get(&t.org.token, &accounts_of(&neighbour)).await;
    assert!(listed.body["items"].as_array().expect("items").is_empty());
    app.delete(&t.org.token, &account_path(&first)).await.assert(204);
    create_account(&app, &t.org.token, &neighbour, "+16172531000").await;
}

#[actix_web::test]
async fn two_concurrent_creates_of_one_number_yield_one_201_and_one_409() {
    let app = spawn_app().await;
    let t = tenant(&app, "none").await;
    let neighbour = app.user(&t.org, "none").await;
    let body = json!({"number": "+16172532000", "voicemail": {"enabled": true, "pin": "1357"}});
    let (a, b) = futures_util::future::join(
        app.post(&t.org.token, &accounts_of(&t.user), body.clone()),
        app.post(&t.org.token, &accounts_of(&neighbour), body),
    )
    .await;
    let mut statuses = [a.status, b.status];
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 409], "{} / {}", a.body, b.body);
    let loser = if a.status == 409 { &a } else { &b };
    assert_eq!(loser.code(), "number_in_use");

    let mut total = 0;
    for user in [&t.user, &neighbour] {
        total += app.get(&t.org.token, &accounts_of(user)).await.body["items"].as_array().expect("items").len();
    }
    assert_eq!(total, 1);
}

// Voicemail and settings ------------------------------------------------------------------

#[actix_web::test]
async fn the_voicemail_pin_never_appears_in_a_response() {
    const PIN: &str = "4928173";
    const NEW_PIN: &str = "5550123";
    let app = spawn_app().await;
    let t = tenant(&app, "none").await;
    let mut seen: Vec<Res> = Vec::new();

    let created = app
        .post(
            &t.org.token,
            &accounts_of(&t.user),
            json!({"number": "+16172533000", "voicemail": {"enabled": true, "pin": PIN, "email": "vm@example.org"}}),
        )
        .await;
    created.assert(201);
    assert_eq!(created.body["voicemail"]["pin_set"], true);
    assert!(created.body["voicemail"].get("pin").is_none());
    let account = created.id();
    seen.push(created);

    seen.push(app.get(&t.user.token, &account_path(&account)).await);
    seen.push(app.get(&t.org.token, &accounts_of(&t.user)).await);
    seen.push(app.patch(&t.user.token, &account_path(&account), json!({"display_name": "Desk"})).await);
    seen.push(app.patch(&t.user.token, &account_path(&account), json!({"voicemail": {"pin": NEW_PIN}})).await);
    seen.push(app.get(&t.user.token, &account_path(&account)).await);
    // Refused requests carrying a PIN do not echo it either.
    seen.push(
        app.patch(&t.user.token, &account_path(&account), json!({"voicemail": {"pin": PIN, "email": "not-an-email"}}))
            .await,
    );
    seen.push(app.patch(&t.user.token, &account_path(&account), json!({"voicemail": {"pin": PIN, "pn": 1}})).await);
    seen.push(
        app.post(&t.org.token, &accounts_of(&t.user), json!({"number": "+16172533000", "voicemail": {"pin": PIN}}))
            .await,
    );
    seen.push(
        app.post(
            &t.org.token,
            &accounts_of(&t.user),
            json!({"number": "x", "voicemail": {"pin": format!("{PIN}99999")}}),
        )
        .await,
    );
    seen.push(app.get(&t.user.token, "/v1/me").await);
    seen.push(app.get(&t.user.token, &format!("/v1/accounts/{account}/owners")).await);

    let statuses: Vec<u16> = seen.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [201, 200, 200, 200, 200, 200, 422, 422, 409, 422, 200, 200]);
    for (i, res) in seen.iter().enumerate() {
        let text = res.body.to_string();
        assert!(!text.contains(PIN) && !text.contains(NEW_PIN), "response {i} carries the PIN: {text}");
    }
    assert_eq!(seen[5].body["voicemail"]["pin_set"], true);
}

#[actix_web::test]
async fn a_pin_sent_with_the_wrong_json_type_is_refused_without_being_echoed() {
    const PIN: &str = "4928173";
    let app = spawn_app().await;
    let t = tenant(&app, "none").await;
    let account = create_account(&app, &t.org.token, &t.user, "8101").await;
    let res = app.patch(&t.org.token, &account_path(&account), json!({"voicemail": {"pin": 4_928_173}})).await;
    assert_eq!(res.status, 422, "{}", res.body);
    assert!(!res.body.to_string().contains(PIN), "the 422 echoes the PIN: {}", res.body);
    let res =
        app.post(&t.org.token, &accounts_of(&t.user), json!({"number": "8102", "voicemail": {"pin": 4_928_173}})).await;
    assert_eq!(res.status, 422, "{}", res.body);
    assert!(!res.body.to_string().contains(PIN), "the 422 echoes the PIN: {}", res.body);
}

#[actix_web::test]
async fn patching_the_pin_to_null_clears_pin_set() {
    let app = spawn_app().await;
    let t = tenant(&app, "none").await;
    let res =
        app.post(&t.org.token, &accounts_of(&t.user), json!({"number": "8201", "voicemail": {"pin": "0000"}})).await;
    res.assert(201);
    assert_eq!(res.body["voicemail"]["pin_set"], true);
    let account = res.id();

    // Other voicemail changes keep the PIN.
    let res = app.patch(&t.user.token, &account_path(&account), json!({"voicemail": {"enabled": true}})).await;
    assert_eq!(
        (res.body["voicemail"]["pin_set"].clone(), res.body["voicemail"]["enabled"].clone()),
        (json!(true), json!(true))
    );
    let res = app.patch(&t.user.token, &account_path(&account), json!({"voicemail": {"pin": null}})).await;
    res.assert(200);
    assert_eq!(res.body["voicemail"]["pin_set"], false);
    assert_eq!(app.get(&t.user.token, &account_path(&account)).await.body["voicemail"]["pin_set"], false);
    let res = app.patch(&t.user.token, &account_path(&account), json!({"voicemail": {"pin": "123456"}})).await;
    assert_eq!(res.body["voicemail"]["pin_set"], true);
}

#[actix_web::test]
async fn voicemail_pins_and_emails_are_validated() {
    let app = spawn_app().await;
    let t = tenant(&app, "none").await;
    let account = create_account(&app, &t.org.token, &t.user, "8301").await;
    let path = account_path(&account);

    for pin in ["1234", "1234567890"] {
        app.patch(&t.org.token, &path, json!({"voicemail": {"pin": pin}})).await.assert(200);
    }
    for pin in ["", "123", "12345678901", "12a4", "12 34", "+1234"] {
        let res = app.patch(&t.org.token, &path, json!({"voicemail": {"pin": pin}})).await;
        res.assert(422);
        assert_eq!(field_errors(&res), [("voicemail.pin".to_owned(), "invalid_pin".to_owned())], "{pin:?}");
    }
    for email in ["vm@example.org", "first.last+tag@sub.example.co.uk"] {
        let res = app.patch(&t.org.token, &path, json!({"voicemail": {"email": email}})).await;
        res.assert(200);
        assert_eq!(res.body["voicemail"]["email"], email);
    }
    for email in ["not-an-email", "vm@example", "vm example@example.org", "@example.org", "vm@@example.org", "vm@.org"]
    {
        let res = app.patch(&t.org.token, &path, json!({"voicemail": {"email": email}})).await;
        res.assert(422);
        assert_eq!(field_errors(&res), [("voicemail.email".to_owned(), "invalid_email".to_owned())], "{email:?}");
    }
    let res =
        app.post(&t.org.token, &accounts_of(&t.user), json!({"number": "8302", "voicemail": {"email": "nope"}})).await;
    res.assert(422);
    assert_eq!(field_errors(&res), [("voicemail.email".to_owned(), "invalid_email".to_owned())]);
    let res = app.patch(&t.org.token, &path, json!({"voicemail": {"email": null}})).await;
    res.assert(200);
    assert_eq!(res.body["voicemail"]["email"], Value::Null);
}

#[actix_web::test]
async fn display_name_and_location_are_bounded_and_null_clears_them() {
    let app = spawn_app().await;
    let t = tenant(&app, "none").await;
    let account = create_account(&app, &t.org.token, &t.user, "8401").await;
    let path = account_path(&account);

    let long_location = "L".repeat(500);
    let res = app.patch(&t.org.token, &path, json!({"location": long_location, "display_name": "D".repeat(200)})).await;
    res.assert(200);
    assert_eq!(res.body["location"], long_location.as_str());
    for (field, value) in [("location", "L".repeat(501)), ("display_name", "D".repeat(501))] {
        let res = app.patch(&t.org.token, &path, json!({ field: value })).await;
        res.assert(422);
        assert_eq!(field_errors(&res), [(field.to_owned(), "too_long".to_owned())]);
        let res = app.post(&t.org.token, &accounts_of(&t.user), json!({"number": "8402", field: value})).await;
        res.assert(422);
    }
    let res = app.patch(&t.org.token, &path, json!({"location": null, "display_name": null})).await;
    res.assert(200);
    assert_eq!((res.body["location"].clone(), res.body["display_name"].clone()), (Value::Null, Value::Null));
}

#[actix_web::test]
async fn unknown_fields_are_refused_with_422() {
    let app = spawn_app().await;
    let t = tenant(&app, "none").await;
    let account = create_account(&app, &t.org.token, &t.user, "8501").await;
    let device = org_device(&app, &t.org, "00:04:f2:00:08:51", Some(&t.user)).await;

    let cases = [
        ("create", app.post(&t.org.token, &accounts_of(&t.user), json!({"number": "8502", "colour": "red"})).await),
        (
            "create voicemail",
            app.post(&t.org.token, &accounts_of(&t.user), json!({"number": "8503", "voicemail": {"pinn": "1234"}}))
                .await,
        ),
        // The number is fixed at creation: PATCH does not take it.
        ("patch number", app.patch(&t.org.token, &account_path(&account), json!({"number": "8504"})).await),
        (
            "patch voicemail",
            app.patch(&t.org.token, &account_path(&account), json!({"voicemail": {"attach": true}})).await,
        ),
        (
            "owners",
            app.post(
                &t.org.token,
                &format!("/v1/accounts/{account}/owners"),
                json!({"username": t.user.username, "role": "owner"}),
            )
            .await,
        ),
        (
            "administrators",
            app.post(&t.org.token, &format!("/v1/accounts/{account}/administrators"), json!({"user": t.user.username}))
                .await,
        ),
        (
            "device owners",
            app.post(
                &t.org.token,
                &format!("/v1/devices/{device}/owners"),
                json!({"username": t.user.username, "x": 1}),
            )
            .await,
        ),
        (
            "lines",
            app.post(&t.org.token, &format!("/v1/devices/{device}/lines"), json!({"account_id": account, "pos": 1}))
                .await,
        ),
    ];
    for (what, res) in &cases {
        assert_eq!(res.status, 422, "{what}: {}", res.body);
    }
    let kept = app.get(&t.org.token, &account_path(&account)).await;
    assert_eq!(kept.body["number"], "8501");
    assert_eq!(app.get(&t.org.token, &accounts_of(&t.user)).await.body["items"].as_array().expect("items").len(), 1);
    assert!(lines(&app.get(&t.org.token, &device_path(&device)).await.body).is_empty());
}
