//! The people's side of provisioning over HTTP: the SP's SIP service, accounts' SIP
//! credentials (F1, F2), devices' provisioning passwords (F3) and configuration view (F6),
//! and the matrix of who may do which.

use serde_json::{Value, json};

use crate::helpers::*;
use crate::phone::*;

#[actix_web::test]
async fn an_sp_sets_its_sip_service_like_its_name_and_invalid_values_are_422() {
    let app = spawn_app().await;
    let sp = app.sp("modify").await;
    let got = app.get(&sp.token, &format!("/v1/service-providers/{}", sp.id)).await;
    assert!(got.body["sip"].is_null() && got.body.as_object().unwrap().contains_key("sip"));
    let set = app.set_sip(&sp.token, &sp.id, SIP()).await;
    set.assert(200);
    assert_eq!(set.body["sip"], SIP());
    assert_eq!(app.get(&app.admin, &format!("/v1/service-providers/{}", sp.id)).await.body["sip"], SIP());
    // N6: the same value again changes nothing.
    let again = app.set_sip(&sp.token, &sp.id, SIP()).await;
    assert_eq!(again.body["updated_at"], set.body["updated_at"]);
    let v6 =
        json!({"domain": "voice.example.net", "registrar": {"host": "2001:db8::5", "port": 5060, "transport": "udp"}});
    app.set_sip(&sp.token, &sp.id, v6.clone()).await.assert(200);
    for (bad, field) in [
        (json!({"domain": "bad domain", "registrar": {"host": "h", "port": 5060, "transport": "udp"}}), "sip.domain"),
        (
            json!({"domain": "d", "registrar": {"host": "[::1]", "port": 5060, "transport": "udp"}}),
            "sip.registrar.host",
        ),
        (json!({"domain": "d", "registrar": {"host": "h", "port": 0, "transport": "udp"}}), "sip.registrar.port"),
        (json!({"domain": "d", "registrar": {"host": "h", "port": 65536, "transport": "udp"}}), "sip.registrar.port"),
    ] {
        let res = app.set_sip(&sp.token, &sp.id, bad).await;
        res.assert(422);
        assert_eq!(res.body["errors"][0]["field"], field);
    }
    for bad in [
        json!({"domain": "d", "registrar": {"host": "h", "port": 5060, "transport": "sctp"}}),
        json!({"domain": "d", "registrar": {"host": "h", "port": 5060}}),
        json!({"domain": "d", "registrar": {"host": "h", "port": 5060, "transport": "udp", "x": 1}}),
    ] {
        assert_eq!(app.set_sip(&sp.token, &sp.id, bad).await.status, 422);
    }
    // Organizations and users have no SIP service: the field is unknown there.
    let org = app.org(&sp, "modify").await;
    app.patch(&org.token, &format!("/v1/organizations/{}", org.id), json!({"sip": SIP()})).await.assert(422);
    // Another SP's owner does not see this one (N5); the org's owner may not change its SP (N3).
    let other = app.sp("modify").await;
    app.set_sip(&other.token, &sp.id, SIP()).await.assert(404);
    assert_eq!(app.set_sip(&org.token, &sp.id, SIP()).await.status, 404);
    app.set_sip(&sp.token, &sp.id, Value::Null).await.assert(200);
    assert!(app.get(&sp.token, &format!("/v1/service-providers/{}", sp.id)).await.body["sip"].is_null());
}

#[actix_web::test]
async fn f1_an_accounts_sip_password_is_shown_on_create_only_and_its_username_defaults_to_the_digits() {
    let app = spawn_app().await;
    let sp = app.sp("modify").await;
    let org = app.org(&sp, "modify").await;
    let user = app.user(&org, "modify").await;
    let created =
        app.post(&org.token, &format!("/v1/users/{}/accounts", user.id), json!({"number": "+4930555777"})).await;
    created.assert(201);
    assert_eq!(created.body["sip_username"], "4930555777");
    let password = created.body["sip_password"].as_str().unwrap().to_owned();
    assert!(password.len() >= 22, "at least 128 bits");
    let id = created.id();
    for res in [
        app.get(&org.token, &format!("/v1/accounts/{id}")).await,
        app.get(&org.token, &format!("/v1/users/{}/accounts", user.id)).await,
        app.get(&user.token, "/v1/me").await,
    ] {
        res.assert(200);
        assert!(!res.body.to_string().contains(&password), "F1: {}", res.body);
        assert!(res.body.get("sip_password").is_none());
    }
    // A client never chooses it.
    let chosen = app
        .post(
            &org.token,
            &format!("/v1/users/{}/accounts", user.id),
            json!({"number": "+4930555778", "sip_password": "mine"}),
        )
        .await;
    chosen.assert(422);
    let ext = app.post(&org.token, &format!("/v1/users/{}/accounts", user.id), json!({"number": "204"})).await;
    assert_eq!(ext.body["sip_username"], "204");
}

async fn create(app: &TestApp, p: &Provisioned, number: &str, name: &str) -> Res {
    let body = json!({"number": number, "sip_username": name});
    app.post(&p.org.token, &format!("/v1/users/{}/accounts", p.user.id), body).await
}

#[actix_web::test]
async fn a_sip_username_is_unique_within_its_sp_only() {
    let app = spawn_app().await;
    let a = provisioned(&app, "yealink", 0).await;
    let b = provisioned(&app, "yealink", 0).await;
    create(&app, &a, "+4930111001", "alice").await.assert(201);
    let taken = create(&app, &a, "+4930111002", "alice").await;
    assert_eq!((taken.status, taken.code()), (409, "sip_username_taken"));
    create(&app, &b, "+4930111003", "alice").await.assert(201);
    let bad = create(&app, &a, "+4930111004", "al ice").await;
    assert_eq!((bad.status, bad.code()), (422, "invalid_sip_username"));
    let number = create(&app, &a, "+4930111001", "bob").await;
    assert_eq!((number.status, number.code()), (409, "number_in_use"));
}

#[actix_web::test]
async fn f2_rotating_a_sip_password_shows_the_new_one_once_and_the_phone_gets_it_at_once() {
    let app = spawn_app().await;
    let p = provisioned(&app, "yealink", 1).await;
    let line = &p.lines[0];
    let rotated = app.post_empty(&p.user.token, &format!("/v1/accounts/{}/sip-password", line.id)).await;
    rotated.assert(200);
    assert_eq!(rotated.body["sip_username"], line.sip_username.as_str());
    let new = rotated.body["sip_password"].as_str().unwrap();
    assert_ne!(new, line.sip_password);
    let cfg =
        app.phone_fetch(awc::http::Method::GET, &format!("{}.cfg", p.mac), Auth::Basic, &p.mac, &p.password, &[]).await;
    assert!(cfg.body.contains(&format!("account.1.password = {new}")));
    assert!(!cfg.body.contains(&line.sip_password), "the old one stops at once");
    assert!(!app.get(&p.org.token, &format!("/v1/accounts/{}", line.id)).await.body.to_string().contains(new));
}

#[actix_web::test]
async fn f6_the_config_view_shows_the_phones_file_with_every_secret_redacted() {
    let app = spawn_app().await;
    let p = provisioned(&app, "polycom", 2).await;
    let res = app
        .client
        .get(app.url(&format!("/v1/devices/{}/config", p.device)))
        .insert_header(("Authorization", format!("Bearer {}", p.org.token)))
        .send()
        .await
        .unwrap();
    let mut res = res;
    assert_eq!(res.status().as_u16(), 200);
    let body = String::from_utf8(res.body().await.unwrap().to_vec()).unwrap();
    assert!(body.contains("reg.1.auth.password=\"&lt;redacted&gt;\""), "{body}");
    assert!(body.contains(&format!("reg.2.auth.userId=\"{}\"", p.lines[1].sip_username)));
    for l in &p.lines {
        assert!(!body.contains(&l.sip_password));
    }
    // The assigned user owns the phone but has no D8 rights in its organization's context.
    app.get(&p.user.token, &format!("/v1/devices/{}/config", p.device)).await.assert_refused(
        403,
        "provisioning_not_allowed",
        "D8",
    );
    app.set_sip(&p.sp.token, &p.sp.id, Value::Null).await.assert(200);
    let unset = app.get(&p.org.token, &format!("/v1/devices/{}/config", p.device)).await;
    assert_eq!((unset.status, unset.code()), (409, "sip_service_not_set"));
}

/// Who may rotate which secret and see which configuration: one row per caller, the
/// statuses of (rotate the account's SIP password, issue the device's provisioning
/// password, view the device's configuration).
#[actix_web::test]
async fn f2_f3_f6_matrix_of_callers_and_provisioning_actions() {
    let app = spawn_app().await;
    let p = provisioned(&app, "yealink", 1).await;
    let account = p.lines[0].id.clone();
    // An administrator of the account who is no device owner; a user with view; another SP.
    let admin = app.user(&p.org, "modify").await;
    app.post(&p.org.token, &format!("/v1/accounts/{account}/administrators"), json!({"username": admin.username}))
        .await
        .assert(201);
    let viewer = app.user(&p.org, "view").await;
    let stranger = app.sp("modify").await;
    let view_org_owner = app.org(&p.sp, "view").await;
    type Expect = (u16, &'static str, &'static str);
    let rows: Vec<(&str, String, [Expect; 3])> = vec![
        ("system admin", app.admin.clone(), [(200, "", ""), (200, "", ""), (200, "", "")]),
        ("sp owner", p.sp.token.clone(), [(200, "", ""), (200, "", ""), (200, "", "")]),
        ("org owner", p.org.token.clone(), [(200, "", ""), (200, "", ""), (200, "", "")]),
        (
            "assigned user (account and device owner)",
            p.user.token.clone(),
            [(200, "", ""), (403, "provisioning_not_allowed", "F3"), (403, "provisioning_not_allowed", "D8")],
        ),
        ("account administrator", admin.token.clone(), [(200, "", ""), (404, "not_found", ""), (404, "not_found", "")]),
        (
            "user with view",
            viewer.token.clone(),
            [(404, "not_found", ""), (404, "not_found", ""), (404, "not_found", "")],
        ),
        (
            "another org's owner",
            view_org_owner.token.clone(),
            [(404, "not_found", ""), (404, "not_found", ""), (404, "not_found", "")],
        ),
        (
            "another sp's owner",
            stranger.token.clone(),
            [(404, "not_found", ""), (404, "not_found", ""), (404, "not_found", "")],
        ),
    ];
    for (who, token, [sip, prov, config]) in rows {
        let answers = [
            app.post_empty(&token, &format!("/v1/accounts/{account}/sip-password")).await,
            app.post_empty(&token, &format!("/v1/devices/{}/provisioning-password", p.device)).await,
            app.get(&token, &format!("/v1/devices/{}/config", p.device)).await,
        ];
        for ((status, code, rule), res) in [sip, prov, config].into_iter().zip(&answers) {
            assert_eq!(res.status, status, "{who}: {}", res.body);
            if status != 200 {
                assert_eq!((res.code(), res.rule()), (code, rule), "{who}");
            }
        }
    }
    // The account's own User taken off its owners list reads it but rotates nothing (F2).
    app.delete(&p.user.token, &format!("/v1/accounts/{account}/owners/{}", p.user.username)).await.assert(204);
    app.post_empty(&p.user.token, &format!("/v1/accounts/{account}/sip-password")).await.assert_refused(
        403,
        "not_account_manager",
        "F2",
    );
}
