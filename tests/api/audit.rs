//! L1, L2: every change writes one event in its transaction, with its changes, its actor
//! and the request id the caller got; refusals and failures write none; callers read the
//! events of their part of the tree only, deleted resources included.

use awc::http::Method;
use serde_json::{Value, json};

use crate::helpers::{Node, PASSWORD, TestApp, spawn_app, unique};

/// Every event the system admin reads after `cursor` (all pages).
pub async fn events_after(app: &TestApp, token: &str, cursor: Option<&str>) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor = cursor.map(str::to_owned);
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/audit-events?limit=500&cursor={c}"),
            None => "/v1/audit-events?limit=500".to_owned(),
        };
        let res = app.get(token, &path).await;
        res.assert(200);
        out.extend(res.body["items"].as_array().unwrap().iter().cloned());
        match res.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return out,
        }
    }
}

/// Watches the trail: each `step` must add exactly one event, which it returns.
struct Trail<'a> {
    app: &'a TestApp,
    last: Option<String>,
}

impl<'a> Trail<'a> {
    async fn new(app: &'a TestApp) -> Trail<'a> {
        let all = events_after(app, &app.admin, None).await;
        Trail { app, last: all.last().map(|e| e["id"].as_str().unwrap().to_owned()) }
    }

    /// The events since the last look.
    async fn new_events(&mut self) -> Vec<Value> {
        let events = events_after(self.app, &self.app.admin, self.last.as_deref()).await;
        if let Some(e) = events.last() {
            self.last = Some(e["id"].as_str().unwrap().to_owned());
        }
        events
    }

    /// Exactly one new event, with `action`.
    async fn one(&mut self, action: &str) -> Value {
        let events = self.new_events().await;
        assert_eq!(events.len(), 1, "expected one {action} event, got {events:#?}");
        let e = events.into_iter().next().unwrap();
        assert_eq!(e["action"], action, "{e:#}");
        e
    }

    async fn none(&mut self, what: &str) {
        let events = self.new_events().await;
        assert!(events.is_empty(), "{what} wrote events: {events:#?}");
    }
}

/// A request with an `x-request-id` of the test's choosing.
async fn call_with_id(app: &TestApp, method: Method, path: &str, token: &str, body: Option<Value>, id: &str) -> Value {
    let mut req = app
        .client
        .request(method, app.url(path))
        .insert_header(("Authorization", format!("Bearer {token}")))
        .insert_header(("x-request-id", id));
    if body.is_some() {
        req = req.insert_header(("content-type", "application/json"));
    }
    let mut res = match body {
        Some(b) => req.send_body(b.to_string()).await.unwrap(),
        None => req.send().await.unwrap(),
    };
    assert!(
        res.status().is_success(),
        "{} {path}: {}",
        res.status(),
        String::from_utf8_lossy(&res.body().await.unwrap())
    );
    assert_eq!(res.headers().get("x-request-id").unwrap(), id);
    let bytes = res.body().await.unwrap();
    serde_json::from_slice(&bytes).unwrap_or(Value::Null)
}

#[actix_web::test]
async fn every_kind_of_change_writes_exactly_one_event_with_its_changes_actor_and_request_id() {
    let app = spawn_app().await;
    let a = &app.admin;
    let mut trail = Trail::new(&app).await;

    let owner = unique("sp");
    let body = json!({"name": "SP", "owner": {"username": owner, "password": PASSWORD}});
    let sp = call_with_id(&app, Method::POST, "/v1/service-providers", a, Some(body), "req-sp-1").await;
    let sp_id = sp["id"].as_str().unwrap().to_owned();
    let e = trail.one("service_provider.created").await;
    assert_eq!(e["request_id"], "req-sp-1");
    assert_eq!(e["actor"], json!({"username": "admin", "api_client_id": null}));
    assert_eq!(e["resource"], json!({"type": "service_provider", "id": sp_id}));
    assert_eq!(e["service_provider_id"], sp_id.as_str());
    assert_eq!(e["changes"]["name"], json!({"from": null, "to": "SP"}));
    assert_eq!(e["changes"]["password"], json!({"from": null, "to": "<redacted>"}));
    assert!(!e.to_string().contains(PASSWORD), "a password in an event: {e}");

    app.patch(a, &format!("/v1/service-providers/{sp_id}"), json!({"name": "SP 2"})).await.assert(200);
    let e = trail.one("service_provider.updated").await;
    assert_eq!(e["changes"], json!({"name": {"from": "SP", "to": "SP 2"}}));

    app.patch(a, &format!("/v1/service-providers/{sp_id}"), json!({"device_provisioning": "modify"})).await.assert(200);
    let e = trail.one("service_provider.level_changed").await;
    assert_eq!(e["changes"], json!({"device_provisioning": {"from": "none", "to": "modify"}}));
    let sip = json!({"domain": "voice.example.com", "registrar": {"host": "sbc.example.com", "port": 5060, "transport": "udp"}});
    app.patch(a, &format!("/v1/service-providers/{sp_id}"), json!({"sip": sip})).await.assert(200);
    let e = trail.one("service_provider.updated").await;
    assert_eq!(e["changes"]["sip.domain"], json!({"from": null, "to": "voice.example.com"}), "{e:#}");

    let sp_node = Node { id: sp_id.clone(), username: owner.clone(), token: app.login(&owner, PASSWORD).await };
    let org = app.org(&sp_node, "modify").await;
    trail.one("organization.created").await;
    let user = app.user(&org, "modify").await;
    let e = trail.one("user.created").await;
    assert_eq!(e["organization_id"], org.id.as_str());
    assert_eq!(e["user_id"], user.id.as_str());

    // API clients and passwords (K1, K4, K5).
    let res = app
        .post(&org.token, &format!("/v1/organizations/{}/api-clients", org.id), json!({"name": "CRM", "scope": "read"}))
        .await;
    res.assert(201);
    let client = res.id();
    let e = trail.one("api_client.created").await;
    assert_eq!(e["changes"]["client_secret"], json!({"from": null, "to": "<redacted>"}));
    assert!(!e.to_string().contains(res.body["client_secret"].as_str().unwrap()));
    app.patch(&org.token, &format!("/v1/api-clients/{client}"), json!({"scope": "write"})).await.assert(200);
    let e = trail.one("api_client.updated").await;
    assert_eq!(e["changes"], json!({"scope": {"from": "read", "to": "write"}}));
    app.post(&org.token, &format!("/v1/api-clients/{client}/secret"), json!({})).await.assert(200);
    trail.one("api_client.secret_rotated").await;
    app.delete(&org.token, &format!("/v1/api-clients/{client}")).await.assert(204);
    trail.one("api_client.deleted").await;
    let res = app
        .call(
            Method::PUT,
            &format!("/v1/users/{}/password", user.id),
            Some(&org.token),
            Some(json!({"password": "another-long-password"})),
        )
        .await;
    assert!(res.status < 300, "{}", res.body);
    let e = trail.one("user.password_set").await;
    assert_eq!(e["changes"], json!({"password": {"from": "<redacted>", "to": "<redacted>"}}));
    let user = Node { token: app.login(&user.username, "another-long-password").await, ..user };
    // The login changes its own password: the same event, the login itself the actor.
    let res = app
        .post(
            &user.token,
            "/v1/me/password",
            json!({"current_password": "another-long-password", "new_password": "a-third-long-password"}),
        )
        .await;
    assert!(res.status < 300, "{}", res.body);
    let e = trail.one("user.password_set").await;
    assert_eq!(e["actor"]["username"], user.username.as_str());
    assert_eq!(e["changes"], json!({"password": {"from": "<redacted>", "to": "<redacted>"}}));
    let user = Node { token: app.login(&user.username, "a-third-long-password").await, ..user };

    // Accounts: create with a PIN, change it, lists.
    let res = app
        .post(
            &org.token,
            &format!("/v1/users/{}/accounts", user.id),
            json!({"number": "+4930123456", "voicemail": {"pin": "1234"}}),
        )
        .await;
    res.assert(201);
    let account = res.id();
    let e = trail.one("account.created").await;
    assert_eq!(e["actor"]["username"], org.username.as_str());
    assert_eq!(e["changes"]["number"], json!({"from": null, "to": "+4930123456"}));
    assert_eq!(e["changes"]["voicemail.pin"], json!({"from": null, "to": "<redacted>"}));
    assert!(!e.to_string().contains("1234\""), "a PIN in an event: {e}");
    assert_eq!(e["changes"]["sip_password"], json!({"from": null, "to": "<redacted>"}));
    assert!(!e.to_string().contains(res.body["sip_password"].as_str().unwrap()), "a SIP password in an event");
    let rotated = app.post(&org.token, &format!("/v1/accounts/{account}/sip-password"), json!({})).await;
    rotated.assert(200);
    let e = trail.one("account.sip_password_rotated").await;
    assert_eq!(e["changes"], json!({"sip_password": {"from": "<redacted>", "to": "<redacted>"}}));
    assert!(!e.to_string().contains(rotated.body["sip_password"].as_str().unwrap()));
    let path = format!("/v1/accounts/{account}");
    app.patch(&user.token, &path, json!({"display_name": "Desk", "voicemail": {"pin": "98765"}})).await.assert(200);
    let e = trail.one("account.updated").await;
    assert_eq!(e["changes"]["display_name"], json!({"from": null, "to": "Desk"}));
    assert_eq!(e["changes"]["voicemail.pin"], json!({"from": "<redacted>", "to": "<redacted>"}));
    app.post(&org.token, &format!("{path}/administrators"), json!({"username": org.username})).await.assert(201);
    let e = trail.one("account.administrator_added").await;
    assert_eq!(e["changes"], json!({"username": {"from": null, "to": org.username}}));
    app.delete(&org.token, &format!("{path}/administrators/{}", org.username)).await.assert(204);
    trail.one("account.administrator_removed").await;
    app.post(&org.token, &format!("{path}/owners"), json!({"username": org.username})).await.assert(201);
    trail.one("account.owner_added").await;
    app.delete(&org.token, &format!("{path}/owners/{}", org.username)).await.assert(204);
    trail.one("account.owner_removed").await;

    // Devices: create, change, lines, owners, delete.
    let body = json!({"mac_address": "00:04:F2:AB:CD:01", "assigned_to": {"type": "user", "id": user.id}});
    let res = app.post(&org.token, &format!("/v1/organizations/{}/devices", org.id), body).await;
    res.assert(201);
    let device = res.id();
    let e = trail.one("device.created").await;
    assert_eq!(e["changes"]["mac_address"], json!({"from": null, "to": "0004f2abcd01"}));
    assert_eq!(e["user_id"], user.id.as_str(), "a device lies under its assignee");
    let dpath = format!("/v1/devices/{device}");
    app.patch(&org.token, &dpath, json!({"label": "Reception", "settings": {"missed_calls": false}})).await.assert(200);
    let e = trail.one("device.updated").await;
    assert_eq!(
        e["changes"],
        json!({"label": {"from": null, "to": "Reception"}, "settings.missed_calls": {"from": true, "to": false}})
    );
    let issued = app.post(&org.token, &format!("{dpath}/provisioning-password"), json!({})).await;
    assert!(issued.status < 300, "{}", issued.body);
    let e = trail.one("device.provisioning_password_rotated").await;
    assert_eq!(e["changes"], json!({"provisioning.password": {"from": null, "to": "<redacted>"}}));
    assert!(!e.to_string().contains(issued.body["password"].as_str().unwrap()));
    app.post(&org.token, &format!("{dpath}/lines"), json!({"account_id": account})).await.assert(201);
    let e = trail.one("device.line_added").await;
    assert_eq!(e["changes"]["lines"]["to"][0]["account_id"], account.as_str());
    app.delete(&org.token, &format!("{dpath}/lines/{account}")).await.assert(204);
    let e = trail.one("device.line_removed").await;
    assert_eq!(e["changes"]["lines"]["to"], json!([]));
    app.post(&org.token, &format!("{dpath}/owners"), json!({"username": org.username})).await.assert(201);
    trail.one("device.owner_added").await;
    app.delete(&org.token, &format!("{dpath}/owners/{}", org.username)).await.assert(204);
    trail.one("device.owner_removed").await;
    app.delete(&org.token, &dpath).await.assert(204);
    let e = trail.one("device.deleted").await;
    assert_eq!(e["changes"]["mac_address"], json!({"from": "0004f2abcd01", "to": null}));

    app.delete(&org.token, &path).await.assert(204);
    trail.one("account.deleted").await;
    app.delete(&org.token, &format!("/v1/users/{}", user.id)).await.assert(204);
    let e = trail.one("user.deleted").await;
    assert_eq!(e["changes"]["name"], json!({"from": "User", "to": null}));
}

#[actix_web::test]
async fn refused_invalid_conflicting_and_unchanged_requests_write_no_event() {
    let app = spawn_app().await;
    let sp = app.sp("view").await;
    let org = app.org(&sp, "view").await;
    let user = app.user(&org, "view").await;
    let mut trail = Trail::new(&app).await;

    // Refused (P1: a node cannot set its own level; D6: a user with view adds no device).
    app.patch(&org.token, &format!("/v1/organizations/{}", org.id), json!({"device_provisioning": "none"}))
        .await
        .assert(403);
    app.post(&user.token, &format!("/v1/users/{}/devices", user.id), json!({"mac_address": "0004f2000001"}))
        .await
        .assert(403);
    // Invalid, conflicting, unchanged (N6), missing.
    app.post(&app.admin, &format!("/v1/organizations/{}/users", org.id), json!({"name": ""})).await.assert(422);
    let body = json!({"name": "U", "username": user.username, "password": PASSWORD});
    app.post(&app.admin, &format!("/v1/organizations/{}/users", org.id), body).await.assert(409);
    app.patch(&app.admin, &format!("/v1/users/{}", user.id), json!({"name": "User"})).await.assert(200);
    app.delete(&app.admin, &format!("/v1/users/{}", uuid::Uuid::now_v7())).await.assert(404);
    app.delete(&app.admin, &format!("/v1/organizations/{}", org.id)).await.assert(409);
    trail.none("refusals and failures").await;
}

/// A tenant with one resource of every kind, and the owners' tokens.
struct Tenant {
    sp: Node,
    org: Node,
    user: Node,
}

async fn tenant(app: &TestApp, mac: &str, number: &str) -> Tenant {
    let sp = app.sp("modify").await;
    let org = app.org(&sp, "modify").await;
    let user = app.user(&org, "modify").await;
    app.post(&org.token, &format!("/v1/users/{}/accounts", user.id), json!({"number": number})).await.assert(201);
    let body = json!({"mac_address": mac, "assigned_to": {"type": "user", "id": user.id}});
    app.post(&org.token, &format!("/v1/organizations/{}/devices", org.id), body).await.assert(201);
    let hook = json!({"url": "https://hooks.example.com/a", "events": ["device.*"]});
    app.post(&sp.token, &format!("/v1/service-providers/{}/webhooks", sp.id), hook).await.assert(201);
    Tenant { sp, org, user }
}

#[actix_web::test]
async fn each_role_reads_its_own_tenants_events_of_every_kind_and_none_of_another_tenants() {
    let app = spawn_app().await;
    let a = tenant(&app, "0004f2000a01", "+4930000001").await;
    let b = tenant(&app, "0004f2000b01", "+4930000002").await;
    let kinds = ["service_provider", "organization", "user", "account", "device", "webhook"];
    for (me, other) in [(&a, &b), (&b, &a)] {
        let roles: [(&str, &Node, &[&str]); 3] = [
            ("sp", &me.sp, &kinds),
            ("org", &me.org, &["organization", "user", "account", "device"]),
            ("user", &me.user, &["user", "account", "device"]),
        ];
        for (role, node, own_kinds) in roles {
            let events = events_after(&app, &node.token, None).await;
            for kind in own_kinds.iter() {
                assert!(
                    events.iter().any(|e| e["resource"]["type"] == *kind),
                    "{role} reads no {kind} event of its own tenant: {events:#?}"
                );
            }
            for e in &events {
                assert_ne!(e["service_provider_id"], other.sp.id.as_str(), "{role} reads another tenant's {e:#}");
                if role != "sp" {
                    assert_eq!(e["organization_id"], me.org.id.as_str(), "{role} reads above its node: {e:#}");
                }
                if role == "user" {
                    assert_eq!(e["user_id"], me.user.id.as_str(), "{role} reads another user's {e:#}");
                }
            }
            // Filters cannot widen the scope.
            let res = app.get(&node.token, &format!("/v1/audit-events?resource_id={}", other.user.id)).await;
            res.assert(200);
            assert_eq!(res.body["items"], json!([]), "{role}");
        }
    }
}

#[actix_web::test]
async fn events_of_a_deleted_resource_stay_readable_by_the_same_callers() {
    let app = spawn_app().await;
    let sp = app.sp("modify").await;
    let org = app.org(&sp, "modify").await;
    let user = app.user(&org, "modify").await;
    let body = json!({"mac_address": "0004f2000c01", "assigned_to": {"type": "user", "id": user.id}});
    let device = app.post(&org.token, &format!("/v1/organizations/{}/devices", org.id), body).await.id();
    app.delete(&org.token, &format!("/v1/devices/{device}")).await.assert(204);
    for token in [&app.admin, &sp.token, &org.token, &user.token] {
        let res = app.get(token, &format!("/v1/audit-events?resource_id={device}")).await;
        res.assert(200);
        let actions: Vec<&str> =
            res.body["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert_eq!(actions, ["device.created", "device.deleted"]);
    }
    // D1: an organization whose level becomes none reads no device events.
    app.set_level("organizations", &org.id, "none").await;
    let res = app.get(&org.token, &format!("/v1/audit-events?resource_id={device}")).await;
    assert_eq!(res.body["items"], json!([]));
}

#[actix_web::test]
async fn filters_are_validated_and_pages_are_oldest_first_without_gaps_or_repeats() {
    let app = spawn_app().await;
    let sp = app.sp("modify").await;
    for bad in [
        "since=yesterday",
        "until=2026-13-01T00:00:00Z",
        "resource_type=phone",
        "action=device.exploded",
        "resource_id=nope",
    ] {
        let res = app.get(&app.admin, &format!("/v1/audit-events?{bad}")).await;
        assert_eq!(res.status, 422, "{bad}: {}", res.body);
    }
    let res = app.get(&app.admin, "/v1/audit-events?limit=0").await;
    assert_eq!(res.status, 422);
    let res = app.get(&app.admin, &format!("/v1/audit-events?cursor={}", uuid::Uuid::now_v7())).await;
    assert_eq!(res.status, 400);

    for i in 0..5 {
        app.patch(&app.admin, &format!("/v1/service-providers/{}", sp.id), json!({"name": format!("SP {i}")}))
            .await
            .assert(200);
    }
    let all = events_after(&app, &sp.token, None).await;
    let mut paged = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let q = cursor.as_ref().map_or(String::new(), |c| format!("&cursor={c}"));
        let res = app.get(&sp.token, &format!("/v1/audit-events?limit=2{q}")).await;
        paged.extend(res.body["items"].as_array().unwrap().iter().cloned());
        match res.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(paged, all);
    let times: Vec<&str> = all.iter().map(|e| e["at"].as_str().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "oldest first: {times:?}");
    let res = app.get(&sp.token, "/v1/audit-events?action=service_provider.updated&actor=admin").await;
    assert_eq!(res.body["items"].as_array().unwrap().len(), 5);
    let since = all[2]["at"].as_str().unwrap();
    let res = app.get(&sp.token, &format!("/v1/audit-events?since={}", since.replace('+', "%2B"))).await;
    assert_eq!(res.body["items"].as_array().unwrap().len(), all.len() - 2);
    let res = app.get(&sp.token, "/v1/audit-events?resource_type=device").await;
    assert_eq!(res.body["items"], json!([]));
}

#[actix_web::test]
async fn a_reader_paging_while_writes_go_on_sees_every_event_once_in_order() {
    let app = spawn_app().await;
    let sp = app.sp("modify").await;
    // Each writer changes its own organization, so on PostgreSQL their appends run side by
    // side (one resource would queue them on its row lock).
    let mut orgs = Vec::new();
    for _ in 0..8 {
        orgs.push(app.org(&sp, "modify").await.id);
    }
    let writers: Vec<_> = orgs
        .into_iter()
        .enumerate()
        .map(|(w, id)| {
            let (client, base, token) = (app.client.clone(), app.base.clone(), app.admin.clone());
            actix_web::rt::spawn(async move {
                for i in 0..10 {
                    let res = client
                        .patch(format!("{base}/v1/organizations/{id}"))
                        .insert_header(("Authorization", format!("Bearer {token}")))
                        .send_json(&json!({"name": format!("Org {w}-{i}")}))
                        .await
                        .unwrap();
                    assert_eq!(res.status(), 200);
                }
            })
        })
        .collect();
    let mut seen: Vec<String> = Vec::new();
    let mut cursor: Option<String> = None;
    let mut done = false;
    while !done {
        done = writers.iter().all(|w| w.is_finished());
        loop {
            let q = cursor.as_ref().map_or(String::new(), |c| format!("&cursor={c}"));
            let res = app.get(&sp.token, &format!("/v1/audit-events?limit=2{q}")).await;
            for e in res.body["items"].as_array().unwrap() {
                seen.push(e["id"].as_str().unwrap().to_owned());
                cursor = Some(e["id"].as_str().unwrap().to_owned());
            }
            if res.body["next_cursor"].is_null() {
                break;
            }
        }
    }
    for w in writers {
        w.await.unwrap();
    }
    let all: Vec<String> =
        events_after(&app, &sp.token, None).await.iter().map(|e| e["id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(seen, all, "the paging reader skipped or repeated events");
    assert_eq!(all.len(), 1 + 8 + 80);
}
