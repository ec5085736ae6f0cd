//! SIP devices over HTTP (domain.md §2 D0, D1, D8, D9; §3 A4; §4 M1; api.md): what the
//! matrix in `authz_devices_matrix.rs` does not walk: changing and deleting, MAC addresses,
//! tenants, listings and the representation.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};

use futures_util::future::join;
use serde_json::{Value, json};

use crate::helpers::*;

/// MAC addresses unique across this module's apps.
static NEXT_MAC: AtomicU64 = AtomicU64::new(1);

fn mac() -> String {
    format!("0b{:010x}", NEXT_MAC.fetch_add(1, Ordering::Relaxed))
}

fn sp_devices(n: &Node) -> String {
    format!("/v1/service-providers/{}/devices", n.id)
}

fn org_devices(n: &Node) -> String {
    format!("/v1/organizations/{}/devices", n.id)
}

fn user_devices(n: &Node) -> String {
    format!("/v1/users/{}/devices", n.id)
}

fn device(id: &str) -> String {
    format!("/v1/devices/{id}")
}

fn to_user(n: &Node) -> Value {
    json!({"type": "user", "id": n.id})
}

fn to_org(n: &Node) -> Value {
    json!({"type": "organization", "id": n.id})
}

/// The ids of a listing's page, in order.
fn ids(res: &Res) -> Vec<String> {
    res.body["items"]
        .as_array()
        .unwrap_or_else(|| panic!("not a listing: {}", res.body))
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_owned())
        .collect()
}

fn set(ids: Vec<String>) -> BTreeSet<String> {
    ids.into_iter().collect()
}

/// Adds a device as the system admin and returns its id.
async fn admin_adds(app: &TestApp, path: &str, body: Value) -> String {
    let res = app.post(&app.admin, path, body).await;
    res.assert(201);
    res.id()
}

/// Asserts a 422 `invalid_mac` on `mac_address`, at the top and in `errors`.
#[track_caller]
fn assert_invalid_mac(res: &Res, what: &str) {
    assert_eq!((res.status, res.code()), (422, "invalid_mac"), "{what}: {}", res.body);
    assert_eq!(res.body["errors"][0]["code"], "invalid_mac", "{what}: {}", res.body);
    assert_eq!(res.body["errors"][0]["field"], "mac_address", "{what}: {}", res.body);
}

/// Asserts a 422 `invalid_assignee` on `assigned_to`.
#[track_caller]
fn assert_invalid_assignee(res: &Res, what: &str) {
    assert_eq!((res.status, res.code()), (422, "invalid_assignee"), "{what}: {}", res.body);
    assert_eq!(res.body["errors"][0]["field"], "assigned_to", "{what}: {}", res.body);
}

// --- D0 -----------------------------------------------------------------------------------

#[actix_web::test]
async fn a_system_admin_adds_reads_changes_and_deletes_devices_in_every_context_whatever_the_levels() {
    let app = spawn_app().await;
    let sp = app.sp("none").await;
    let org = app.org(&sp, "none").await;
    let user = app.user(&org, "none").await;
    let other_user = app.user(&org, "modify").await;
    // In every context, assigned to nodes at none, and unassigned while a node below has modify.
    let bodies = [
        (sp_devices(&sp), json!({"mac_address": mac(), "assigned_to": to_org(&org)})),
        (sp_devices(&sp), json!({"mac_address": mac(), "assigned_to": to_user(&user)})),
        (sp_devices(&sp), json!({"mac_address": mac()})),
        (org_devices(&org), json!({"mac_address": mac(), "assigned_to": to_user(&user)})),
        (org_devices(&org), json!({"mac_address": mac()})),
        (user_devices(&user), json!({"mac_address": mac(), "assigned_to": to_user(&user)})),
    ];
    let mut created = Vec::new();
    for (path, body) in bodies {
        // The device is then moved to a modify User: any other User of the Org, but in a
        // User's context only that User fits.
        let target = if path == user_devices(&user) { &user } else { &other_user };
        created.push((admin_adds(&app, &path, body).await, target));
    }
    let all = app.get(&app.admin, &format!("{}?limit=500", sp_devices(&sp))).await;
    all.assert(200);
    let created_ids = created.iter().map(|(id, _)| id.clone()).collect();
    assert_eq!(set(ids(&all)), set(created_ids), "the SP listing shows every device of its tree");
    for (id, target) in &created {
        app.get(&app.admin, &device(id)).await.assert(200);
        let changed =
            app.patch(&app.admin, &device(id), json!({"label": "admin", "assigned_to": to_user(target)})).await;
        changed.assert(200);
        assert_eq!(changed.body["assigned_to"], to_user(target));
        let unassigned = app.patch(&app.admin, &device(id), json!({"mac_address": mac(), "assigned_to": null})).await;
        unassigned.assert(200);
        assert_eq!(unassigned.body["assigned_to"], Value::Null);
        app.delete(&app.admin, &device(id)).await.assert(204);
        app.get(&app.admin, &device(id)).await.assert(404);
    }
}

// --- D1 -----------------------------------------------------------------------------------

#[actix_web::test]
async fn a_caller_at_none_is_refused_listing_reading_adding_changing_and_deleting_with_d1() {
    let app = spawn_app().await;
    let sp = app.sp("none").await;
    let org = app.org(&sp, "none").await;
    let user = app.user(&org, "none").await;
    let in_sp = admin_adds(&app, &sp_devices(&sp), json!({"mac_address": mac()})).await;
    let in_org = admin_adds(&app, &org_devices(&org), json!({"mac_address": mac()})).await;
    // Unassigned: the User is not a device owner (A4), so only its level speaks.
    let in_user = admin_adds(&app, &user_devices(&user), json!({"mac_address": mac()})).await;
    let cases = [
        ("SP", &sp, sp_devices(&sp), vec![&in_sp, &in_org, &in_user]),
        ("Org", &org, org_devices(&org), vec![&in_org, &in_user]),
        ("User", &user, user_devices(&user), vec![&in_user]),
    ];
    for (who, caller, own, devices) in cases {
        let refused = |res: Res, what: &str| {
            assert_eq!(
                (res.status, res.code(), res.rule()),
                (403, "sip_devices_area_hidden", "D1"),
                "{who} at none {what}: {}",
                res.body
            );
        };
        refused(app.get(&caller.token, &own).await, "lists its context");
        refused(app.post(&caller.token, &own, json!({"mac_address": mac()})).await, "adds in its context");
        for id in devices {
            refused(app.get(&caller.token, &device(id)).await, "reads a device");
            refused(app.patch(&caller.token, &device(id), json!({"label": "x"})).await, "changes a label");
            refused(app.patch(&caller.token, &device(id), json!({"mac_address": mac()})).await, "changes a MAC");
            let settings = json!({"settings": {"missed_calls": false}});
            refused(app.patch(&caller.token, &device(id), settings).await, "changes settings");
            refused(app.delete(&caller.token, &device(id)).await, "deletes a device");
        }
    }
    let all = app.get(&app.admin, &sp_devices(&sp)).await;
    assert_eq!(all.body["items"].as_array().map(Vec::len), Some(3), "nothing was added or deleted");
    for id in [&in_sp, &in_org, &in_user] {
        assert_eq!(app.get(&app.admin, &device(id)).await.body["label"], Value::Null, "nothing was changed");
    }
}

#[actix_web::test]
async fn a_device_owner_at_none_still_reads_its_device_and_changes_its_settings_but_not_its_provisioning() {
    let app = spawn_app().await;
    let sp = app.sp("modify").await;
    let org = app.org(&sp, "modify").await;
    let user = app.user(&org, "none").await;
    let res =
        app.post(&org.token, &org_devices(&org), json!({"mac_address": mac(), "assigned_to": to_user(&user)})).await;
    res.assert(201);
    let id = res.id();
    app.get(&user.token, &device(&id)).await.assert(200);
    let changed = app.patch(&user.token, &device(&id), json!({"settings": {"missed_calls": false}})).await;
    changed.assert(200);
    assert_eq!(changed.body["settings"]["missed_calls"], false);
    let label = app.patch(&user.token, &device(&id), json!({"label": "mine"})).await;
    assert_eq!(label.status, 403, "an owner without provisioning rights changes a label: {}", label.body);
    assert!(["D1", "D8"].contains(&label.rule()), "{}", label.body);
    let deleted = app.delete(&user.token, &device(&id)).await;
    assert_eq!(deleted.status, 403, "an owner without provisioning rights deletes: {}", deleted.body);
    // With the area shown (view), the refusal is D8's: adding in the Org's context is not its.
    app.set_level("users", &user.id, "view").await;
    app.patch(&user.token, &device(&id), json!({"label": "mine"})).await.assert_refused(
        403,
        "provisioning_not_allowed",
        "D8",
    );
    app.delete(&user.token, &device(&id)).await.assert_refused(403, "provisioning_not_allowed", "D8");
    app.get(&app.admin, &device(&id)).await.assert(200);
}

// --- D8 -----------------------------------------------------------------------------------

/// SP (modify) → Org (view) → a modify User and a view User.
struct ViewOrg {
    app: TestApp,
    sp: Node,
    org: Node,
    user_m: Node,
    user_v: Node,
}

async fn view_org() -> ViewOrg {
    let app = spawn_app().await;
    let sp = app.sp("modify").await;
    let org = app.org(&sp, "view").await;
    let user_m = app.user(&org, "modify").await;
    let user_v = app.user(&org, "view").await;
    ViewOrg { app, sp, org, user_m, user_v }
}

#[actix_web::test]
async fn an_org_with_view_cannot_reassign_a_device_from_a_modify_user_to_a_view_user() {
    let t = view_org().await;
    let res = t
        .app
        .post(&t.org.token, &org_devices(&t.org), json!({"mac_address": mac(), "assigned_to": to_user(&t.user_m)}))
        .await;
    res.assert(201);
    let id = res.id();
    t.app.patch(&t.org.token, &device(&id), json!({"assigned_to": to_user(&t.user_v)})).await.assert_refused(
        403,
        "assignee_lacks_modify",
        "D4",
    );
    assert_eq!(t.app.get(&t.org.token, &device(&id)).await.body["assigned_to"], to_user(&t.user_m), "unchanged");
    // Back and forth between modify nodes is fine.
    let user_m2 = t.app.user(&t.org, "modify").await;
    let moved = t.app.patch(&t.org.token, &device(&id), json!({"assigned_to": to_user(&user_m2)})).await;
    moved.assert(200);
    assert_eq!(moved.body["assigned_to"], to_user(&user_m2));
}

#[actix_web::test]
async fn an_org_with_view_cannot_unassign_a_device_while_a_user_below_has_modify() {
    let t = view_org().await;
    let res = t
        .app
        .post(&t.org.token, &org_devices(&t.org), json!({"mac_address": mac(), "assigned_to": to_user(&t.user_m)}))
        .await;
    res.assert(201);
    let id = res.id();
    t.app.patch(&t.org.token, &device(&id), json!({"assigned_to": null})).await.assert_refused(
        422,
        "assignment_required",
        "D4",
    );
    // Once no User below has modify, unassigning is what adding unassigned would allow.
    t.app.set_level("users", &t.user_m.id, "view").await;
    let res = t.app.patch(&t.org.token, &device(&id), json!({"assigned_to": null})).await;
    res.assert(200);
    assert_eq!(res.body["assigned_to"], Value::Null);
}

#[actix_web::test]
async fn an_org_with_view_changes_mac_label_vendor_and_model_only_of_devices_it_could_add_as_they_are() {
    let t = view_org().await;
    let to_m = t
        .app
        .post(&t.org.token, &org_devices(&t.org), json!({"mac_address": mac(), "assigned_to": to_user(&t.user_m)}))
        .await;
    to_m.assert(201);
    // A device assigned to the view User could only have come from above.
    let to_v =
        admin_adds(&t.app, &org_devices(&t.org), json!({"mac_address": mac(), "assigned_to": to_user(&t.user_v)}))
            .await;
    let changes = [
        json!({"label": "desk"}),
        json!({"vendor": "Yealink"}),
        json!({"model": "T46U"}),
        json!({"mac_address": mac()}),
    ];
    for change in &changes {
        t.app.patch(&t.org.token, &device(&to_m.id()), change.clone()).await.assert(200);
        let res = t.app.patch(&t.org.token, &device(&to_v), change.clone()).await;
        assert_eq!(
            (res.status, res.code(), res.rule()),
            (403, "assignee_lacks_modify", "D4"),
            "changing {change} of a device assigned to a view User: {}",
            res.body
        );
    }
    // Moving it to a modify User is allowed: D8 asks about the new assignee.
    let moved =
        t.app.patch(&t.org.token, &device(&to_v), json!({"assigned_to": to_user(&t.user_m), "label": "moved"})).await;
    moved.assert(200);
    assert_eq!((&moved.body["assigned_to"], &moved.body["label"]), (&to_user(&t.user_m), &json!("moved")));
    // A level change counts on the very next request.
    t.app.set_level("users", &t.user_m.id, "view").await;
    t.app.patch(&t.org.token, &device(&to_m.id()), json!({"label": "late"})).await.assert_refused(
        403,
        "assignee_lacks_modify",
        "D4",
    );
}

#[actix_web::test]
async fn an_org_with_view_deletes_a_device_only_where_it_could_provision_it() {
    let t = view_org().await;
    let add = |path: String, body: Value| {
        let app = &t.app;
        async move { admin_adds(app, &path, body).await }
    };
    let to_m = add(org_devices(&t.org), json!({"mac_address": mac(), "assigned_to": to_user(&t.user_m)})).await;
    let to_v = add(org_devices(&t.org), json!({"mac_address": mac(), "assigned_to": to_user(&t.user_v)})).await;
    let unassigned = add(org_devices(&t.org), json!({"mac_address": mac()})).await;
    let in_v = add(user_devices(&t.user_v), json!({"mac_address": mac()})).await;
    let in_m = add(user_devices(&t.user_m), json!({"mac_address": mac()})).await;
    let org = &t.org.token;
    t.app.delete(org, &device(&to_v)).await.assert_refused(403, "assignee_lacks_modify", "D4");
    t.app.delete(org, &device(&in_v)).await.assert_refused(403, "context_lacks_modify", "D5");
    // D4's "assign it while a node below has modify" says where new devices go; it does not
    // keep an unassigned device that is already there from being removed.
    t.app.delete(org, &device(&unassigned)).await.assert(204);
    for id in [&to_v, &in_v] {
        t.app.get(org, &device(id)).await.assert(200);
    }
    t.app.delete(org, &device(&to_m)).await.assert(204);
    t.app.delete(org, &device(&in_m)).await.assert(204);
    t.app.get(org, &device(&to_m)).await.assert(404);
    t.app.get(org, &device(&in_m)).await.assert(404);
}

#[actix_web::test]
async fn a_service_provider_with_view_changes_devices_in_an_orgs_context_only_while_the_org_has_modify() {
    let t = view_org().await;
    t.app.set_level("service-providers", &t.sp.id, "view").await;
    let id = admin_adds(&t.app, &org_devices(&t.org), json!({"mac_address": mac()})).await;
    t.app.patch(&t.sp.token, &device(&id), json!({"label": "x"})).await.assert_refused(
        403,
        "context_lacks_modify",
        "D5",
    );
    t.app.delete(&t.sp.token, &device(&id)).await.assert_refused(403, "context_lacks_modify", "D5");
    t.app.set_level("organizations", &t.org.id, "modify").await;
    // The Org's own rules (D3) then allow any assignee below it, even one at view.
    let res = t.app.patch(&t.sp.token, &device(&id), json!({"label": "x", "assigned_to": to_user(&t.user_v)})).await;
    res.assert(200);
    t.app.delete(&t.sp.token, &device(&id)).await.assert(204);
}

#[actix_web::test]
async fn a_user_with_view_cannot_change_or_delete_a_device_of_its_own_context_but_with_modify_it_can() {
    let app = spawn_app().await;
    let sp = app.sp("modify").await;
    let org = app.org(&sp, "modify").await;
    let user = app.user(&org, "view").await;
    let id = admin_adds(&app, &user_devices(&user), json!({"mac_address": mac()})).await;
    app.patch(&user.token, &device(&id), json!({"label": "x"})).await.assert_refused(403, "view_only", "D6");
    app.patch(&user.token, &device(&id), json!({"assigned_to": to_user(&user)})).await.assert_refused(
        403,
        "view_only",
        "D6",
    );
    app.delete(&user.token, &device(&id)).await.assert_refused(403, "view_only", "D6");
    app.set_level("users", &user.id, "modify").await;
    let res = app.patch(&user.token, &device(&id), json!({"label": "x", "assigned_to": to_user(&user)})).await;
    res.assert(200);
    assert_eq!(res.body["assigned_to"], to_user(&user));
    app.delete(&user.token, &device(&id)).await.assert(204);
}

// --- invalid assignees --------------------------------------------------------------------

#[actix_web::test]
async fn assigning_a_device_to_a_node_outside_its_context_is_refused_as_an_invalid_assignee() {
    let app = spawn_app().await;
    let sp = app.sp("modify").await;
    let org = app.org(&sp, "modify").await;
    let user = app.user(&org, "modify").await;
    let other_org = app.org(&sp, "modify").await;
    let other_orgs_user = app.user(&other_org, "modify").await;
    let other_sp = app.sp("modify").await;
    let foreign_org = app.org(&other_sp, "modify").await;
    let foreign_user = app.user(&foreign_org, "modify").await;
    let id = admin_adds(&app, &org_devices(&org), json!({"mac_address": mac(), "assigned_to": to_user(&user)})).await;
    let outside = [
        ("a User of a sibling Org", to_user(&other_orgs_user)),
        ("a sibling Org", to_org(&other_org)),
        ("the context Org itself", to_org(&org)),
        ("the SP above the context", json!({"type": "service_provider", "id": sp.id})),
        ("another tenant's User", to_user(&foreign_user)),
        ("another tenant's Org", to_org(&foreign_org)),
        ("a node that does not exist", json!({"type": "user", "id": uuid::Uuid::new_v4()})),
        ("a User named as an organization", json!({"type": "organization", "id": user.id})),
    ];
    for caller in [&sp.token, &org.token, &app.admin] {
        for (what, link) in &outside {
            let res = app.patch(caller, &device(&id), json!({"assigned_to": link})).await;
            assert_invalid_assignee(&res, &format!("PATCH to {what}"));
            let res = app.post(caller, &org_devices(&org), json!({"mac_address": mac(), "assigned_to": link})).await;
            assert_invalid_assignee(&res, &format!("POST assigned to {what}"));
        }
    }
    assert_eq!(app.get(&app.admin, &device(&id)).await.body["assigned_to"], to_user(&user), "unchanged");
    // D7: a User assigns only to itself; anyone else is the rule's refusal, not bad input.
    let sibling = app.user(&org, "modify").await;
    let res = app
        .post(&user.token, &user_devices(&user), json!({"mac_address": mac(), "assigned_to": to_user(&sibling)}))
        .await;
    res.assert_refused(403, "assign_to_self_only", "D7");
    let res =
        app.post(&user.token, &user_devices(&user), json!({"mac_address": mac(), "assigned_to": to_org(&org)})).await;
    res.assert_refused(403, "assign_to_self_only", "D7");
    // With view, D6 refuses first.
    app.set_level("users", &user.id, "view").await;
    let res = app
        .post(&user.token, &user_devices(&user), json!({"mac_address": mac(), "assigned_to": to_user(&sibling)}))
        .await;
    res.assert_refused(403, "view_only", "D6");
}

// --- D9 -----------------------------------------------------------------------------------

const FORMS: [&str; 4] = ["00:04:F2:AB:CD:EF", "00-04-f2-ab-cd-ef", "0004.f2ab.cdef", "0004f2abcdef"];

#[actix_web::test]
async fn every_accepted_mac_form_is_stored_and_returned_as_twelve_lowercase_hex_digits() {
    let app = spawn_app().await;
    let sp = app.sp("modify").await;
    for form in FORMS {
        let res = app.post(&sp.token, &sp_devices(&sp), json!({"mac_address": form})).await;
        res.assert(201);
        assert_eq!(res.body["mac_address"], "0004f2abcdef", "{form}");
        let id = res.id();
        assert_eq!(app.get(&sp.token, &device(&id)).await.body["mac_address"], "0004f2abcdef", "{form}");
        for filter in FORMS.iter().chain(&["0004F2ABCDEF"]) {
            let found = app.get(&sp.token, &format!("{}?mac_address={}", sp_devices(&sp), filter)).await;
            found.assert(200);
            assert_eq!(ids(&found), vec![id.clone()], "created as {form}, filtered as {filter}");
        }
        // A MAC freed by a delete can be used again, in any form.
        app.delete(&sp.token, &device(&id)).await.assert(204);
    }
    let res = app.post(&sp.token, &sp_devices(&sp), json!({"mac_address": "0004f2abcdef"})).await;
    res.assert(201);
    let id = res.id();
    for form in ["AA:BB:CC:DD:EE:FF", "aa-bb-cc-dd-ee-00", "AABB.CCDD.EE01", "AABBCCDDEE02"] {
        let changed = app.patch(&sp.token, &device(&id), json!({"mac_address": form})).await;
        changed.assert(200);
        let want = form.replace([':', '-', '.'], "").to_lowercase();
        assert_eq!(changed.body["mac_address"], want, "PATCH to {form}");
    }
}

#[actix_web::test]
async fn a_mac_in_use_is_refused_in_any_form_and_context_with_mac_in_use_also_on_patch() {
    let app = spawn_app().await;
    let sp = app.sp("modify").await;
    let org = app.org(&sp, "modify").await;
    let user = app.user(&org, "modify").await;
    let other_sp = app.sp("modify").await;
    let first = app.post(&sp.token, &sp_devices(&sp), json!({"mac_address": FORMS[0]})).await;
    first.assert(201);
    let tries = [
        (&sp.token, sp_devices(&sp)),
        (&org.token, org_devices(&org)),
        (&user.token, user_devices(&user)),
        (&other_sp.token, sp_devices(&other_sp)),
    ];
    for form in FORMS.iter().chain(&["0004F2ABCDEF", "00:04:f2:ab:cd:ef"]) {
        for (token, path) in &tries {
            let res = app.post(token, path, json!({"mac_address": form})).await;
            assert_eq!(
                (res.status, res.code(), res.rule()),
                (409, "mac_in_use", "D9"),
                "{form} at {path}: {}",
                res.body
            );
        }
    }
    // PATCH: onto the MAC of another device (even another tenant's) is 409; onto its own MAC
    // in another form is no conflict.
    let second = app.post(&org.token, &org_devices(&org), json!({"mac_address": mac()})).await;
    second.assert(201);
    let foreign = app.post(&other_sp.token, &sp_devices(&other_sp), json!({"mac_address": "0004.f2ab.0001"})).await;
    foreign.assert(201);
    for taken in ["00-04-F2-AB-CD-EF", "0004f2ab0001"] {
        let res = app.patch(&org.token, &device(&second.id()), json!({"mac_address": taken})).await;
        assert_eq!((res.status, res.code(), res.rule()), (409, "mac_in_use", "D9"), "PATCH to {taken}: {}", res.body);
    }
    assert_eq!(app.get(&org.token, &device(&second.id())).await.body["mac_address"], second.body["mac_address"]);
    let own =
        app.patch(&sp.token, &device(&first.id()), json!({"mac_address": "0004.F2AB.CDEF", "label": "same"})).await;
    own.assert(200);
    assert_eq!(own.body["mac_address"], "0004f2abcdef");
    let listed = app.get(&app.admin, &format!("{}?mac_address=0004f2abcdef", sp_devices(&sp))).await;
    assert_eq!(ids(&listed), vec![first.id()]);
}

#[actix_web::test]
async fn malformed_mac_addresses_are_refused_with_invalid_mac_on_add_change_and_filter() {
    let app = spawn_app().await;
    let sp = app.sp("modify").await;
    let id = admin_adds(&app, &sp_devices(&sp), json!({"mac_address": mac()})).await;
    let bad = [
        "",
        "0004f2abcde",
        "0004f2abcdef0",
        "0004f2abcdeg",
        "00:04:F2:AB:CD",
        "00:04:F2:AB:CD:EF:01",
        "00:04-F2:AB:CD:EF",
        "00-04-f2-ab-cd:ef",
        "0004.f2ab-cdef",
        "0004.f2ab.cde",
        "000.4f2ab.cdef",
        "00:4:F2:AB:CD:EFF",
        "00 04 f2 ab cd ef",
        "zz:04:f2:ab:cd:ef",
        "0x0004f2abcdef",
        "00:04:f2:ab:cd:éf",
    ];
    for form in bad {
        assert_invalid_mac(
            &app.post(&sp.token, &sp_devices(&sp), json!({"mac_address": form})).await,
            &format!("POST {form:?}"),
        );
        assert_invalid_mac(
            &app.patch(&sp.token, &device(&id), json!({"mac_address": form})).await,
            &format!("PATCH {form:?}"),
        );
    }
    let filtered = app.get(&sp.token, &format!("{}?mac_address=00:04:F2:AB:CD", sp_devices(&sp))).await;
    assert_invalid_mac(&filtered, "filter");
    let all = app.get(&sp.token, &sp_devices(&sp)).await;
    assert_eq!(ids(&all), vec![id.clone()], "no device was added");
    let wrong_type = app.post(&sp.token, &sp_devices(&sp), json!({"mac_address": 4242})).await;
    assert_eq!(wrong_type.status, 422, "{}", wrong_type.body);
    let missing = app.post(&sp.token, &sp_devices(&sp), json!({"label": "no mac"})).await;
    assert_eq!(missing.status, 422, "{}", missing.body);
}

#[actix_web::test]
async fn two_concurrent_creates_of_the_same_mac_give_one_device_and_one_mac_in_use() {
    let app = spawn_app().await;
    let sp = app.sp("modify").await;
    let org = app.org(&sp, "modify").await;
    for round in 0..5 {
        let m = mac();
        let dotted = format!("{}.{}.{}", &m[0..4], &m[4..8], &m[8..12]);
        let (a, b) = join(
            app.post(&sp.token, &sp_devices(&sp), json!({"mac_address": m})),
            app.post(&org.token, &org_devices(&org), json!({"mac_address": dotted.to_uppercase()})),
        )
        .await;
        let mut statuses = [a.status, b.status];
        statuses.sort();
        assert_eq!(statuses, [201, 409], "round {round}: {} / {}", a.body, b.body);
        let conflict = if a.status == 409 { &a } else { &b };
        assert_eq!(conflict.code(), "mac_in_use", "round {round}: {}", conflict.body);
        let listed = app.get(&app.admin, &format!("{}?mac_address={m}", sp_devices(&sp))).await;
        listed.assert(200);
        assert_eq!(listed.body["items"].as_array().map(Vec::len), Some(1), "round {round}: {}", listed.body);
    }
    let all = app.get(&app.admin, &sp_devices(&sp)).await;
    assert_eq!(all.body["items"].as_array().map(Vec::len), Some(5));
}

// --- tenants ------------------------------------------------------------------------------

#[actix_web::test]
async fn devices_and_contexts_of_another_tenant_answer_404_as_if_they_did_not_exist() {
    let app = spawn_app().await;
    let sp = app.sp("modify").await;
    let org = app.org(&sp, "modify").await;
    let user = app.user(&org, "modify").await;
    let sibling_org = app.org(&sp, "modify").await;
    let sibling_user = app.user(&sibling_org, "modify").await;
    let other_sp = app.sp("modify").await;
    let other_org = app.org(&other_sp, "modify").await;
    let other_user = app.user(&other_org, "modify").await;
    let absent = app.get(&sp.token, &device(&uuid::Uuid::new_v4().to_string())).await;
    absent.assert(404);
    // (caller, contexts it must not see)
    let cases: [(&str, &Node, Vec<String>); 3] = [
        ("SP", &sp, vec![sp_devices(&other_sp), org_devices(&other_org), user_devices(&other_user)]),
        (
            "Org",
            &org,
            vec![sp_devices(&sp), org_devices(&sibling_org), user_devices(&sibling_user), org_devices(&other_org)],
        ),
        (
            "User",
            &user,
            vec![org_devices(&org), org_devices(&sibling_org), user_devices(&sibling_user), user_devices(&other_user)],
        ),
    ];
    for (who, caller, contexts) in cases {
        for path in contexts {
            let id = admin_adds(&app, &path, json!({"mac_address": mac(), "label": "theirs"})).await;
            let hidden = |res: Res, what: &str| {
                assert_eq!(
                    (res.status, res.code(), res.rule()),
                    (404, absent.code(), ""),
                    "{who} {what} at {path}: {}",
                    res.body
                );
            };
            hidden(app.get(&caller.token, &device(&id)).await, "GET device");
            hidden(app.patch(&caller.token, &device(&id), json!({"label": "mine"})).await, "PATCH device");
            hidden(app.delete(&caller.token, &device(&id)).await, "DELETE device");
            hidden(app.get(&caller.token, &path).await, "lists a context");
            hidden(app.post(&caller.token, &path, json!({"mac_address": mac()})).await, "adds in a context");
            let still = app.get(&app.admin, &device(&id)).await;
            still.assert(200);
            assert_eq!(still.body["label"], "theirs", "{who} changed another tenant's device");
        }
    }
    // A context path naming a node of another kind names nothing, even for a system admin.
    for path in [
        format!("/v1/organizations/{}/devices", user.id),
        format!("/v1/users/{}/devices", org.id),
        format!("/v1/service-providers/{}/devices", org.id),
        format!("/v1/organizations/{}/devices", sp.id),
    ] {
        let res = app.post(&app.admin, &path, json!({"mac_address": mac()})).await;
        assert_eq!((res.status, res.code()), (404, absent.code()), "POST {path}: {}", res.body);
        let res = app.get(&app.admin, &path).await;
        assert_eq!((res.status, res.code()), (404, absent.code()), "GET {path}: {}", res.body);
    }
}

// --- listing ------------------------------------------------------------------------------

#[actix_web::test]
async fn device_listings_filter_by_mac_assignee_vendor_and_model_and_page_with_a_cursor() {
    let app = spawn_app().await;
    let sp = app.sp("modify").await;
    let org = app.org(&sp, "modify").await;
    let user = app.user(&org, "modify").await;
    let other = app.user(&org, "modify").await;
    // (context, vendor, model, assignee)
    let specs = [
        (sp_devices(&sp), "Yealink", "T46U", Some(to_org(&org))),
        (sp_devices(&sp), "Polycom", "VVX450", None),
        (org_devices(&org), "Yealink", "T54W", Some(to_user(&user))),
        (org_devices(&org), "Yealink", "T46U", Some(to_user(&user))),
        (org_devices(&org), "Polycom", "VVX450", Some(to_user(&other))),
        (user_devices(&user), "Snom", "D785", Some(to_user(&user))),
        (user_devices(&other), "Yealink", "T46U", None),
    ];
    let mut all = Vec::new();
    for (path, vendor, model, assignee) in &specs {
        let mut body = json!({"mac_address": mac(), "vendor": vendor, "model": model});
        if let Some(a) = assignee {
            body["assigned_to"] = a.clone();
        }
        let res = app.post(&sp.token, path, body).await;
        res.assert(201);
        all.push((res.id(), res.body["mac_address"].as_str().unwrap().to_owned()));
    }
    let id = |i: usize| all[i].0.clone();
    let some = |picked: &[usize]| picked.iter().map(|&i| id(i)).collect::<BTreeSet<_>>();
    // A filtered listing of the SP's context, as a set: the order is only promised stable.
    let listing = |query: String| {
        let (app, token) = (&app, sp.token.clone());
        let path = format!("{}?{query}", sp_devices(&sp));
        async move {
            let res = app.get(&token, &path).await;
            res.assert(200);
            set(ids(&res))
        }
    };
    let unpaged = app.get(&sp.token, &format!("{}?limit=500", sp_devices(&sp))).await;
    let everything = ids(&unpaged);
    assert_eq!(set(everything.clone()), some(&[0, 1, 2, 3, 4, 5, 6]));
    let m = &all[4].1;
    let dashed = format!("{}-{}-{}-{}-{}-{}", &m[0..2], &m[2..4], &m[4..6], &m[6..8], &m[8..10], &m[10..12]);
    assert_eq!(listing(format!("mac_address={}", dashed.to_uppercase())).await, some(&[4]));
    assert_eq!(listing(format!("mac_address={m}")).await, some(&[4]));
    assert_eq!(listing(format!("assigned_to={}", user.id)).await, some(&[2, 3, 5]));
    assert_eq!(listing(format!("assigned_to={}", org.id)).await, some(&[0]));
    assert_eq!(listing("vendor=Yealink".into()).await, some(&[0, 2, 3, 6]));
    assert_eq!(listing("model=VVX450".into()).await, some(&[1, 4]));
    assert_eq!(listing("vendor=Yealink&model=T46U".into()).await, some(&[0, 3, 6]));
    assert_eq!(listing(format!("vendor=Yealink&assigned_to={}", user.id)).await, some(&[2, 3]));
    assert_eq!(listing("vendor=Gigaset".into()).await, some(&[]));
    // A context's listing holds its devices and those below it, filters included.
    let org_listing = app.get(&org.token, &format!("{}?vendor=Yealink", org_devices(&org))).await;
    assert_eq!(set(ids(&org_listing)), some(&[2, 3, 6]));

    // Pages of 3: 3 + 3 + 1, each cursor continuing where the last stopped, in the same order.
    let mut paged = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let query = match &cursor {
            Some(c) => format!("limit=3&cursor={c}"),
            None => "limit=3".to_owned(),
        };
        let res = app.get(&sp.token, &format!("{}?{query}", sp_devices(&sp))).await;
        res.assert(200);
        pages += 1;
        let page = ids(&res);
        assert!(page.len() <= 3, "page {pages} holds {} items", page.len());
        paged.extend(page);
        match res.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => {
                assert_eq!(res.body["next_cursor"], Value::Null);
                break;
            }
        }
        assert!(pages < 10, "the cursor never ends");
    }
    assert_eq!(paged, everything, "paging loses, repeats or reorders devices");
    assert_eq!(pages, 3);
    // Paging with a filter.
    let yealink = app.get(&sp.token, &format!("{}?vendor=Yealink", sp_devices(&sp))).await;
    let first = app.get(&sp.token, &format!("{}?vendor=Yealink&limit=2", sp_devices(&sp))).await;
    let cursor = first.body["next_cursor"].as_str().expect("a second page").to_owned();
    let second = app.get(&sp.token, &format!("{}?vendor=Yealink&limit=2&cursor={cursor}", sp_devices(&sp))).await;
    assert_eq!([ids(&first), ids(&second)].concat(), ids(&yealink));
    let last = second.body["next_cursor"].as_str().map(str::to_owned);
    if let Some(c) = last {
        let third = app.get(&sp.token, &format!("{}?vendor=Yealink&limit=2&cursor={c}", sp_devices(&sp))).await;
        assert_eq!(ids(&third), Vec::<String>::new(), "nothing after the last Yealink");
    }
    // Out-of-range limits and a foreign cursor.
    for limit in ["0", "501"] {
        let res = app.get(&sp.token, &format!("{}?limit={limit}", sp_devices(&sp))).await;
        assert_eq!(res.status, 422, "limit={limit}: {}", res.body);
    }
    app.get(&sp.token, &format!("{}?limit=500", sp_devices(&sp))).await.assert(200);
    let res = app.get(&sp.token, &format!("{}?cursor=not-a-cursor", sp_devices(&sp))).await;
    assert_eq!(res.status, 400, "{}", res.body);
}

#[actix_web::test]
async fn a_listing_without_a_limit_holds_fifty_devices_and_a_cursor_to_the_rest() {
    let app = spawn_app().await;
    let sp = app.sp("modify").await;
    let mut created = Vec::new();
    for _ in 0..52 {
        created.push(admin_adds(&app, &sp_devices(&sp), json!({"mac_address": mac()})).await);
    }
    let first = app.get(&sp.token, &sp_devices(&sp)).await;
    first.assert(200);
    assert_eq!(ids(&first).len(), 50, "the default page size is 50");
    let cursor = first.body["next_cursor"].as_str().expect("a cursor to the rest").to_owned();
    let rest = app.get(&sp.token, &format!("{}?cursor={cursor}", sp_devices(&sp))).await;
    rest.assert(200);
    assert_eq!(ids(&rest).len(), 2);
    assert_eq!(rest.body["next_cursor"], Value::Null);
    assert_eq!(set([ids(&first), ids(&rest)].concat()), set(created));
}

// --- representation -----------------------------------------------------------------------

#[actix_web::test]
async fn a_device_carries_its_context_assignee_default_settings_no_lines_and_its_times() {
    let app = spawn_app().await;
    let sp = app.sp("modify").await;
    let org = app.org(&sp, "modify").await;
    let user = app.user(&org, "modify").await;
    let body = json!({
        "mac_address": "00:04:F2:00:00:01",
        "vendor": "Polycom",
        "model": "VVX450",
        "label": "Front desk",
        "assigned_to": to_user(&user),
    });
    let res = app.post(&org.token, &org_devices(&org), body).await;
    res.assert(201);
    let d = &res.body;
    let id = res.id();
    uuid::Uuid::parse_str(&id).expect("id is a UUID");
    assert_eq!(d["mac_address"], "0004f2000001");
    assert_eq!((&d["vendor"], &d["model"], &d["label"]), (&json!("Polycom"), &json!("VVX450"), &json!("Front desk")));
    assert_eq!(d["context"], json!({"type": "organization", "id": org.id}));
    assert_eq!(d["assigned_to"], json!({"type": "user", "id": user.id}));
    assert_eq!(d["settings"], json!({"missed_calls": true, "mwi": {"enabled": false, "account_id": null}}));
    assert_eq!(d["lines"], json!([]));
    let created =
        chrono::DateTime::parse_from_rfc3339(d["created_at"].as_str().expect("created_at")).expect("RFC 3339");
    let updated =
        chrono::DateTime::parse_from_rfc3339(d["updated_at"].as_str().expect("updated_at")).expect("RFC 3339");
    assert_eq!(created.offset().local_minus_utc(), 0, "times are UTC");
    assert!(updated >= created);
    assert_eq!(&app.get(&org.token, &device(&id)).await.body, d, "GET answers what POST answered");
    // Unassigned devices, and settings given at creation.
    let res = app
        .post(
            &sp.token,
            &sp_devices(&sp),
            json!({"mac_address": mac(), "settings": {"missed_calls": false, "mwi": {"enabled": true}}}),
        )
        .await;
    res.assert(201);
    assert_eq!(res.body["context"], json!({"type": "service_provider", "id": sp.id}));
    assert_eq!(res.body["assigned_to"], Value::Null);
    assert_eq!(
        (&res.body["vendor"], &res.body["model"], &res.body["label"]),
        (&Value::Null, &Value::Null, &Value::Null)
    );
    assert_eq!(res.body["settings"], json!({"missed_calls": false, "mwi": {"enabled": true, "account_id": null}}));
    // A change moves updated_at, never created_at.
    let changed = app.patch(&org.token, &device(&id), json!({"label": "Back office"})).await;
    changed.assert(200);
    assert_eq!(changed.body["label"], "Back office");
    assert_eq!(changed.body["created_at"], d["created_at"]);
    let after = chrono::DateTime::parse_from_rfc3339(changed.body["updated_at"].as_str().unwrap()).unwrap();
    assert!(after >= updated);
}

#[actix_web::test]
async fn an_unknown_field_in_a_device_body_is_refused_with_422_and_changes_nothing() {
    let app = spawn_app().await;
    let sp = app.sp("modify").await;
    let org = app.org(&sp, "modify").await;
    let bodies = [
        json!({"mac_address": mac(), "colour": "red"}),
        json!({"mac_address": mac(), "assigned_to": {"type": "organization", "id": org.id, "since": "today"}}),
        json!({"mac_address": mac(), "settings": {"missed_call": false}}),
        json!({"mac_address": mac(), "settings": {"mwi": {"enabeld": true}}}),
    ];
    for body in &bodies {
        let res = app.post(&sp.token, &sp_devices(&sp), body.clone()).await;
        assert_eq!(res.status, 422, "POST {body}: {}", res.body);
    }
    assert_eq!(ids(&app.get(&sp.token, &sp_devices(&sp)).await), Vec::<String>::new(), "nothing was added");
    let id = admin_adds(&app, &sp_devices(&sp), json!({"mac_address": mac()})).await;
    for body in [json!({"lable": "typo"}), json!({"label": "ok", "owner": "me"}), json!({"settings": {"lines": []}})] {
        let res = app.patch(&sp.token, &device(&id), body.clone()).await;
        assert_eq!(res.status, 422, "PATCH {body}: {}", res.body);
    }
    assert_eq!(app.get(&sp.token, &device(&id)).await.body["label"], Value::Null, "nothing was changed");
}

// --- A4 and M1 ----------------------------------------------------------------------------

#[actix_web::test]
async fn a_device_created_for_a_user_has_that_user_as_owner_and_in_its_me() {
    let app = spawn_app().await;
    let sp = app.sp("modify").await;
    let org = app.org(&sp, "modify").await;
    let user = app.user(&org, "view").await;
    let for_user =
        app.post(&org.token, &org_devices(&org), json!({"mac_address": mac(), "assigned_to": to_user(&user)})).await;
    for_user.assert(201);
    let for_org =
        app.post(&sp.token, &sp_devices(&sp), json!({"mac_address": mac(), "assigned_to": to_org(&org)})).await;
    for_org.assert(201);
    let unassigned = app.post(&org.token, &org_devices(&org), json!({"mac_address": mac()})).await;
    unassigned.assert(201);
    let owners = app.get(&org.token, &format!("/v1/devices/{}/owners", for_user.id())).await;
    owners.assert(200);
    let names: Vec<&str> =
        owners.body["items"].as_array().expect("a page").iter().filter_map(|m| m["username"].as_str()).collect();
    assert_eq!(names, vec![user.username.as_str()]);
    for other in [&for_org, &unassigned] {
        let owners = app.get(&app.admin, &format!("/v1/devices/{}/owners", other.id())).await;
        assert_eq!(owners.body, json!({"items": [], "next_cursor": null}), "only a User assignee becomes an owner");
    }
    let me = app.get(&user.token, "/v1/me").await;
    me.assert(200);
    assert_eq!(
        me.body["devices"],
        json!([{"id": for_user.id(), "mac_address": for_user.body["mac_address"], "roles": ["owner"]}])
    );
    let org_me = app.get(&org.token, "/v1/me").await;
    assert_eq!(org_me.body["devices"], json!([]), "the Org that added it is not an owner");
    // A deleted device leaves the owner's list with it.
    app.delete(&org.token, &device(&for_user.id())).await.assert(204);
    assert_eq!(app.get(&user.token, "/v1/me").await.body["devices"], json!([]));
}

#[actix_web::test]
async fn me_shows_the_sip_devices_area_exactly_when_the_level_is_not_none_and_echoes_the_level() {
    let app = spawn_app().await;
    let sp = app.sp("modify").await;
    let org = app.org(&sp, "modify").await;
    let user = app.user(&org, "modify").await;
    let nodes = [
        ("service-providers", "service_provider", &sp),
        ("organizations", "organization", &org),
        ("users", "user", &user),
    ];
    for (path, role, node) in nodes {
        for level in ["none", "view", "modify", "none"] {
            app.set_level(path, &node.id, level).await;
            let me = app.get(&node.token, "/v1/me").await;
            me.assert(200);
            assert_eq!(me.body["role"], role);
            assert_eq!(me.body["node"], json!({"type": role, "id": node.id}));
            assert_eq!(me.body["device_provisioning"], level, "{role}");
            assert_eq!(me.body["sip_devices_area"], level != "none", "{role} at {level}");
        }
    }
    let me = app.get(&app.admin, "/v1/me").await;
    assert_eq!(me.body["sip_devices_area"], true);
    assert_eq!(me.body["role"], "system_admin");
}

// --- Listings agree with reads ----------------------------------------------------------

/// A page reads each device's context and assignee kinds off the device's own row, and its
/// lines packed in the same query; a single read joins the nodes and is what the rules see.
/// Every combination the tree allows, a reassignment and lines out of order must list
/// exactly as they read.
#[actix_web::test]
async fn every_listing_shows_each_device_exactly_as_its_own_read_does() {
    let app = spawn_app().await;
    let sp = app.sp("modify").await;
    let org = app.org(&sp, "modify").await;
    let user = app.user(&org, "modify").await;
    let mut made = Vec::new();
    for (path, assignee) in [
        (sp_devices(&sp), Value::Null),
        (sp_devices(&sp), to_org(&org)),
        (sp_devices(&sp), to_user(&user)),
        (org_devices(&org), Value::Null),
        (org_devices(&org), to_user(&user)),
        (user_devices(&user), Value::Null),
        (user_devices(&user), to_user(&user)),
    ] {
        let mut body = json!({"mac_address": mac()});
        if !assignee.is_null() {
            body["assigned_to"] = assignee;
        }
        made.push(admin_adds(&app, &path, body).await);
    }
    // Reassigned after creation: from the Org to the User, from the User to none.
    app.patch(&app.admin, &device(&made[1]), json!({"assigned_to": to_user(&user)})).await.assert(200);
    app.patch(&app.admin, &device(&made[4]), json!({"assigned_to": null})).await.assert(200);
    // Three lines on one device, the last put first.
    for (number, position) in [("7101", None), ("7102", None), ("7103", Some(1))] {
        let account = app.post(&app.admin, &format!("/v1/users/{}/accounts", user.id), json!({"number": number})).await;
        account.assert(201);
        let body = match position {
            Some(p) => json!({"account_id": account.id(), "position": p}),
            None => json!({"account_id": account.id()}),
        };
        app.post(&app.admin, &format!("/v1/devices/{}/lines", made[2]), body).await.assert(201);
    }
    let read = app.get(&app.admin, &device(&made[2])).await;
    let numbers: Vec<&str> =
        read.body["lines"].as_array().unwrap().iter().map(|l| l["number"].as_str().unwrap()).collect();
    assert_eq!(numbers, ["7103", "7101", "7102"], "{}", read.body);

    let mut listed = 0;
    for (token, path) in [
        (&app.admin, sp_devices(&sp)),
        (&app.admin, org_devices(&org)),
        (&app.admin, user_devices(&user)),
        (&user.token, user_devices(&user)),
    ] {
        let page = app.get(token, &format!("{path}?limit=100")).await;
        page.assert(200);
        for item in page.body["items"].as_array().unwrap() {
            let own = app.get(&app.admin, &device(item["id"].as_str().unwrap())).await;
            assert_eq!(item, &own.body, "{path}");
            listed += 1;
        }
    }
    // The SP lists all 7; the Org its 2; the User (as the admin and as itself) its 2 and
    // the 2 of the SP's now assigned to it (the Org's was unassigned).
    assert_eq!(listed, 7 + 2 + 4 + 4);
}
