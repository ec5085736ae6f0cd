//! Refusals cost nothing (OWASP API4): on every write route that takes a body, a caller
//! without the rights gets its refusal whatever the body's values are (never a 422 that
//! would tell it about them), and no password or PIN of a refused request is hashed.

use awc::http::Method;
use serde_json::{Value, json};

use crate::helpers::*;

/// One tenant with every kind of caller the rows need.
struct World {
    sp: Node,
    /// An organization with `modify`, its user with `modify`, the user's account and a
    /// device in the organization's context assigned to the user.
    org: Node,
    user: Node,
    account: String,
    device: String,
    /// A webhook of the organization.
    webhook: String,
    /// Another user of the organization: an administrator of the account.
    admin_of_account: Node,
    /// A user with `view`, and one with `none` (its SIP devices area is hidden, D1).
    viewer: Node,
    blind: Node,
    /// A service provider with `none`, and one with `view` whose organization has `view`.
    blind_sp: Node,
    view_sp: Node,
    view_org: Node,
    /// The owner of another service provider.
    stranger: Node,
    /// A `write` API client of the organization (K3: no password or client management).
    client: Node,
    /// The id of that client.
    client_id: String,
}

async fn world(app: &TestApp) -> World {
    let sp = app.sp("modify").await;
    let org = app.org(&sp, "modify").await;
    let user = app.user(&org, "modify").await;
    let admin_of_account = app.user(&org, "modify").await;
    let viewer = app.user(&org, "view").await;
    let blind = app.user(&org, "none").await;
    let account =
        app.post(&org.token, &format!("/v1/users/{}/accounts", user.id), json!({"number": "+4930555100"})).await;
    account.assert(201);
    let account = account.id();
    app.post(
        &org.token,
        &format!("/v1/accounts/{account}/administrators"),
        json!({"username": admin_of_account.username}),
    )
    .await
    .assert(201);
    let device = app
        .post(
            &org.token,
            &format!("/v1/organizations/{}/devices", org.id),
            json!({"mac_address": "0004f2aa0001", "assigned_to": {"type": "user", "id": user.id}}),
        )
        .await;
    device.assert(201);
    let webhook = app
        .post(
            &sp.token,
            &format!("/v1/organizations/{}/webhooks", org.id),
            json!({"url": "https://hooks.example.com/siprov", "events": ["device.*"]}),
        )
        .await;
    webhook.assert(201);
    let blind_sp = app.sp("none").await;
    let view_sp = app.sp("view").await;
    let view_org = app.org(&view_sp, "view").await;
    let stranger = app.sp("modify").await;
    let (client_id, secret) = crate::access::new_client(app, &org.token, "organizations", &org.id, "write").await;
    let client = Node {
        id: org.id.clone(),
        username: org.username.clone(),
        token: crate::access::client_token(app, &client_id, &secret).await,
    };
    World {
        client,
        client_id,
        sp,
        org,
        user,
        account,
        device: device.id(),
        webhook: webhook.id(),
        admin_of_account,
        viewer,
        blind,
        blind_sp,
        view_sp,
        view_org,
        stranger,
    }
}

/// A write, by whom, with what body, and the refusal it must get: `(status, code, rule)`,
/// the rule empty for a 404.
struct Row {
    what: &'static str,
    token: String,
    method: Method,
    path: String,
    body: Value,
    expect: (u16, &'static str, &'static str),
}

const HIDDEN: (u16, &str, &str) = (404, "not_found", "");

fn row(
    what: &'static str,
    who: &Node,
    method: Method,
    path: String,
    body: Value,
    expect: (u16, &'static str, &'static str),
) -> Row {
    Row { what, token: who.token.clone(), method, path, body, expect }
}

/// Every write route with a body, each with values that are wrong in every way the route
/// checks, sent by a caller who may not make that write at all.
fn invalid_rows(w: &World) -> Vec<Row> {
    let bad_tenant =
        json!({"name": "", "device_provisioning": "total", "owner": {"username": "No Way", "password": "short"}});
    let bad_user = json!({"name": "\u{0}", "username": "?", "password": "1", "device_provisioning": 7});
    let bad_patch = json!({"name": "", "device_provisioning": "total", "colour": "red"});
    let bad_account = json!({"number": "call me", "voicemail": {"pin": "1", "email": "nope"}, "extra": true});
    let bad_device =
        json!({"mac_address": "zz", "vendor": "\u{0}", "assigned_to": {"type": "user", "id": uuid::Uuid::new_v4()}});
    let random = uuid::Uuid::new_v4();
    let bad_webhook = json!({"url": "http://127.0.0.1/", "events": ["device"], "secret": "mine"});
    let (sp, org, user, account, device) = (&w.sp.id, &w.org.id, &w.user.id, &w.account, &w.device);
    vec![
        row(
            "a service provider's owner creates a service provider",
            &w.sp,
            Method::POST,
            "/v1/service-providers".into(),
            bad_tenant.clone(),
            (403, "create_not_allowed", "N1"),
        ),
        row(
            "another tenant renames a service provider",
            &w.stranger,
            Method::PATCH,
            format!("/v1/service-providers/{sp}"),
            bad_patch.clone(),
            HIDDEN,
        ),
        row(
            "an organization's owner creates a sibling organization",
            &w.org,
            Method::POST,
            format!("/v1/service-providers/{sp}/organizations"),
            bad_tenant.clone(),
            HIDDEN,
        ),
        row(
            "a user renames its organization",
            &w.user,
            Method::PATCH,
            format!("/v1/organizations/{org}"),
            bad_patch.clone(),
            HIDDEN,
        ),
        row(
            "a user creates a user in its organization",
            &w.user,
            Method::POST,
            format!("/v1/organizations/{org}/users"),
            bad_user.clone(),
            HIDDEN,
        ),
        row(
            "a user renames a sibling",
            &w.viewer,
            Method::PATCH,
            format!("/v1/users/{user}"),
            bad_patch.clone(),
            HIDDEN,
        ),
        row(
            "a grandparent gives a user a level (P1), with an invalid name",
            &w.sp,
            Method::PATCH,
            format!("/v1/users/{user}"),
            json!({"name": "", "device_provisioning": "none"}),
            (403, "not_parent", "P1"),
        ),
        row(
            "a grandparent creates a user with a level (P1), with invalid values",
            &w.sp,
            Method::POST,
            format!("/v1/organizations/{org}/users"),
            json!({"name": "", "username": "?", "password": "1", "device_provisioning": "view"}),
            (403, "not_parent", "P1"),
        ),
        row(
            "a user gives itself a level (P1), with an invalid name",
            &w.user,
            Method::PATCH,
            format!("/v1/users/{user}"),
            json!({"name": "\u{0}", "device_provisioning": "none"}),
            (403, "not_parent", "P1"),
        ),
        row(
            "a user creates its own account (A5)",
            &w.user,
            Method::POST,
            format!("/v1/users/{user}/accounts"),
            bad_account.clone(),
            (403, "tree_only", "A5"),
        ),
        row(
            "another tenant changes an account",
            &w.stranger,
            Method::PATCH,
            format!("/v1/accounts/{account}"),
            json!({"voicemail": {"pin": "1"}, "display_name": 5}),
            HIDDEN,
        ),
        row(
            "an administrator adds an owner (A3)",
            &w.admin_of_account,
            Method::POST,
            format!("/v1/accounts/{account}/owners"),
            json!({"username": 42, "role": "boss"}),
            (403, "owners_only", "A3"),
        ),
        row(
            "another tenant adds an administrator",
            &w.stranger,
            Method::POST,
            format!("/v1/accounts/{account}/administrators"),
            json!({"username": ""}),
            HIDDEN,
        ),
        row(
            "a service provider with none adds a device (D1)",
            &w.blind_sp,
            Method::POST,
            format!("/v1/service-providers/{}/devices", w.blind_sp.id),
            bad_device.clone(),
            (403, "sip_devices_area_hidden", "D1"),
        ),
        row(
            "a view service provider adds in a view organization's context (D5)",
            &w.view_sp,
            Method::POST,
            format!("/v1/organizations/{}/devices", w.view_org.id),
            bad_device.clone(),
            (403, "context_lacks_modify", "D5"),
        ),
        row(
            "a user with none adds a device in its context (D1)",
            &w.blind,
            Method::POST,
            format!("/v1/users/{}/devices", w.blind.id),
            bad_device.clone(),
            (403, "sip_devices_area_hidden", "D1"),
        ),
        row(
            "a user with view adds a device in its context (D6)",
            &w.viewer,
            Method::POST,
            format!("/v1/users/{}/devices", w.viewer.id),
            bad_device.clone(),
            (403, "view_only", "D6"),
        ),
        row(
            "another tenant adds a device in a user's context",
            &w.stranger,
            Method::POST,
            format!("/v1/users/{user}/devices"),
            bad_device.clone(),
            HIDDEN,
        ),
        row(
            "another tenant changes a device",
            &w.stranger,
            Method::PATCH,
            format!("/v1/devices/{device}"),
            json!({"mac_address": "zz", "settings": {"mwi": {"account_id": random}}}),
            HIDDEN,
        ),
        row(
            "another tenant puts a line on a device",
            &w.stranger,
            Method::POST,
            format!("/v1/devices/{device}/lines"),
            json!({"account_id": "nope", "position": -1}),
            HIDDEN,
        ),
        row(
            "an organization's owner sets its service provider's SIP service, with invalid values",
            &w.org,
            Method::PATCH,
            format!("/v1/service-providers/{sp}"),
            json!({"sip": {"domain": "bad domain", "registrar": {"host": "[x]", "port": 0, "transport": "sctp"}}}),
            HIDDEN,
        ),
        row(
            "a device owner without D8 rights issues its provisioning password (F3)",
            &w.user,
            Method::POST,
            format!("/v1/devices/{device}/provisioning-password"),
            json!({"password": "chosen"}),
            (403, "provisioning_not_allowed", "F3"),
        ),
        row(
            "a sibling rotates an account's SIP password",
            &w.viewer,
            Method::POST,
            format!("/v1/accounts/{account}/sip-password"),
            json!({"sip_password": "chosen"}),
            HIDDEN,
        ),
        row(
            "an API client creates an API client (K3)",
            &w.client,
            Method::POST,
            format!("/v1/organizations/{org}/api-clients"),
            json!({"name": "", "scope": "root"}),
            (403, "not_a_person", "K3"),
        ),
        row(
            "another tenant creates an API client of a service provider",
            &w.stranger,
            Method::POST,
            format!("/v1/service-providers/{sp}/api-clients"),
            json!({"name": "", "scope": "root"}),
            HIDDEN,
        ),
        row(
            "a user creates an API client of a sibling",
            &w.viewer,
            Method::POST,
            format!("/v1/users/{user}/api-clients"),
            json!({"name": 5}),
            HIDDEN,
        ),
        row(
            "another tenant changes an API client",
            &w.stranger,
            Method::PATCH,
            format!("/v1/api-clients/{}", w.client_id),
            json!({"name": "", "scope": "root"}),
            HIDDEN,
        ),
        row(
            "an API client changes a password (K3)",
            &w.client,
            Method::POST,
            "/v1/me/password".into(),
            json!({"current_password": 1, "new_password": "short"}),
            (403, "not_a_person", "K3"),
        ),
        row(
            "a user sets its own password without the current one (K5)",
            &w.user,
            Method::PUT,
            format!("/v1/users/{user}/password"),
            json!({"password": "short", "extra": 1}),
            (403, "not_an_ancestor", "K5"),
        ),
        row(
            "a user sets its organization's password",
            &w.user,
            Method::PUT,
            format!("/v1/organizations/{org}/password"),
            json!({"password": 7}),
            HIDDEN,
        ),
        row(
            "another tenant sets a service provider's password",
            &w.stranger,
            Method::PUT,
            format!("/v1/service-providers/{sp}/password"),
            json!({"password": ""}),
            HIDDEN,
        ),
        row(
            "another tenant adds a device owner",
            &w.stranger,
            Method::POST,
            format!("/v1/devices/{device}/owners"),
            json!({"username": 1}),
            HIDDEN,
        ),
        row(
            "another tenant subscribes a service provider (L3)",
            &w.stranger,
            Method::POST,
            format!("/v1/service-providers/{sp}/webhooks"),
            bad_webhook.clone(),
            HIDDEN,
        ),
        row(
            "a user subscribes its organization (L3)",
            &w.user,
            Method::POST,
            format!("/v1/organizations/{org}/webhooks"),
            bad_webhook.clone(),
            HIDDEN,
        ),
        row(
            "a sibling subscribes a user (L3)",
            &w.viewer,
            Method::POST,
            format!("/v1/users/{user}/webhooks"),
            bad_webhook.clone(),
            HIDDEN,
        ),
        row(
            "a user changes its organization's webhook (L3)",
            &w.user,
            Method::PATCH,
            format!("/v1/webhooks/{}", w.webhook),
            bad_webhook,
            HIDDEN,
        ),
    ]
}

async fn send(app: &TestApp, r: &Row) -> Res {
    app.call(r.method.clone(), &r.path, Some(&r.token), Some(r.body.clone())).await
}

#[actix_web::test]
async fn on_every_write_route_a_caller_without_rights_gets_its_refusal_whatever_the_values() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let rows = invalid_rows(&w);
    let mut failures = vec![];
    for r in &rows {
        let res = send(&app, r).await;
        let got = (res.status, res.code(), res.rule());
        if got != r.expect {
            failures.push(format!(
                "{} ({} {}): expected {:?}, got {} {}",
                r.what, r.method, r.path, r.expect, res.status, res.body
            ));
        }
    }
    assert!(failures.is_empty(), "{} of {} rows:\n{}", failures.len(), rows.len(), failures.join("\n"));
    // The routes above are every write route with a body (the token request aside).
    let doc: Value = serde_json::from_str(&siprov::openapi::document_json()).unwrap();
    let mut with_body: Vec<String> = vec![];
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if op.get("requestBody").is_some() && !path.starts_with("/v1/auth/") {
                with_body.push(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    for route in &with_body {
        let (method, path) = route.split_once(' ').unwrap();
        let template = siprov_path_pattern(path);
        assert!(rows.iter().any(|r| r.method.as_str() == method && template.is_match(&r.path)), "no row for {route}");
    }
}

/// A documented path (`/v1/users/{id}/accounts`) as a pattern for concrete paths.
fn siprov_path_pattern(template: &str) -> actix_web::dev::ResourceDef {
    actix_web::dev::ResourceDef::new(template)
}

#[actix_web::test]
async fn a_refused_request_with_a_valid_password_or_pin_hashes_nothing_and_an_allowed_one_does() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let owner = |name: &str| json!({"name": "New", "owner": {"username": unique(name), "password": PASSWORD}});
    let refused = [
        row(
            "a service provider's owner creates a service provider",
            &w.sp,
            Method::POST,
            "/v1/service-providers".into(),
            owner("sp"),
            (403, "create_not_allowed", "N1"),
        ),
        row(
            "another tenant creates an organization",
            &w.stranger,
            Method::POST,
            format!("/v1/service-providers/{}/organizations", w.sp.id),
            owner("org"),
            HIDDEN,
        ),
        row(
            "a user creates a user",
            &w.user,
            Method::POST,
            format!("/v1/organizations/{}/users", w.org.id),
            json!({"name": "U", "username": unique("u"), "password": PASSWORD}),
            HIDDEN,
        ),
        row(
            "a grandparent creates a user with a level",
            &w.sp,
            Method::POST,
            format!("/v1/organizations/{}/users", w.org.id),
            json!({"name": "U", "username": unique("u"), "password": PASSWORD, "device_provisioning": "none"}),
            (403, "not_parent", "P1"),
        ),
        row(
            "a user creates its own account with a PIN",
            &w.user,
            Method::POST,
            format!("/v1/users/{}/accounts", w.user.id),
            json!({"number": "+4930555101", "voicemail": {"pin": "2468"}}),
            (403, "tree_only", "A5"),
        ),
        row(
            "another tenant sets an account's PIN",
            &w.stranger,
            Method::PATCH,
            format!("/v1/accounts/{}", w.account),
            json!({"voicemail": {"pin": "2468"}}),
            HIDDEN,
        ),
        row(
            "a user sets its own password without the current one",
            &w.user,
            Method::PUT,
            format!("/v1/users/{}/password", w.user.id),
            json!({"password": PASSWORD}),
            (403, "not_an_ancestor", "K5"),
        ),
        row(
            "an API client sets a user's password",
            &w.client,
            Method::PUT,
            format!("/v1/users/{}/password", w.user.id),
            json!({"password": PASSWORD}),
            (403, "not_a_person", "K3"),
        ),
        row(
            "a sibling sets an account's PIN",
            &w.viewer,
            Method::PATCH,
            format!("/v1/accounts/{}", w.account),
            json!({"voicemail": {"pin": "2468"}}),
            HIDDEN,
        ),
    ];
    let before = app.hashing.computed();
    for r in &refused {
        let res = send(&app, r).await;
        assert_eq!((res.status, res.code(), res.rule()), r.expect, "{}: {}", r.what, res.body);
    }
    assert_eq!(app.hashing.computed(), before, "a refused request hashed something");

    // The same requests by callers who may make them do hash: the counter counts.
    let allowed = [
        (&app.admin, "/v1/service-providers".to_owned(), Method::POST, owner("sp2"), 201),
        (
            &w.user.token,
            format!("/v1/accounts/{}", w.account),
            Method::PATCH,
            json!({"voicemail": {"pin": "2468"}}),
            200,
        ),
    ];
    for (i, (token, path, method, body, status)) in allowed.into_iter().enumerate() {
        let res = app.call(method, &path, Some(token), Some(body)).await;
        res.assert(status);
        assert_eq!(app.hashing.computed(), before + i as u64 + 1, "{path}: one hash");
    }
}
