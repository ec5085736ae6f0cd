//! The tenant tree over HTTP: CRUD of service providers, organizations and users, the
//! representation, validation, pagination, the node rules N1–N5 and the API conventions
//! every endpoint shares (problem+json, request ids, 400/404/405/413/415/422).

use std::collections::HashSet;

use awc::http::Method;
use serde_json::{Value, json};

use crate::helpers::*;

/// Asserts that `res` is an RFC 9457 problem with `status` and every member api.md names,
/// and that it carries a request id like every response.
#[track_caller]
pub fn assert_problem(res: &Res, status: u16) {
    assert_eq!(res.status, status, "unexpected status, body: {}", res.body);
    let content_type = res.headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("");
    assert!(
        content_type.starts_with("application/problem+json"),
        "a {status} must be application/problem+json, got {content_type:?}; body: {}",
        res.body
    );
    for member in ["type", "title", "detail", "code"] {
        let value = res.body[member].as_str().unwrap_or("");
        assert!(!value.is_empty(), "problem member {member:?} missing or empty in {}", res.body);
    }
    assert_eq!(res.body["status"], status, "problem `status` member: {}", res.body);
    let code = res.code();
    assert!(
        code.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
        "code {code:?} is not snake_case"
    );
    assert_request_id(res);
}

/// Asserts a problem with its `code` (and, for refusals, its `rule`).
#[track_caller]
pub fn assert_error(res: &Res, status: u16, code: &str) {
    assert_problem(res, status);
    assert_eq!(res.code(), code, "body: {}", res.body);
}

#[track_caller]
fn assert_request_id(res: &Res) {
    let id = res.headers.get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("");
    assert!(!id.is_empty(), "response {} without x-request-id; body: {}", res.status, res.body);
}

/// The `errors[].field` values of a 422.
fn error_fields(res: &Res) -> HashSet<String> {
    res.body["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("a 422 lists its field errors under `errors`: {}", res.body))
        .iter()
        .map(|e| e["field"].as_str().expect("errors[].field is a string").to_owned())
        .collect()
}

#[track_caller]
fn assert_invalid_fields(res: &Res, fields: &[&str]) {
    assert_problem(res, 422);
    let expected: HashSet<String> = fields.iter().map(|f| f.to_string()).collect();
    assert_eq!(error_fields(res), expected, "body: {}", res.body);
}

#[track_caller]
fn assert_timestamp(value: &Value) {
    let s = value.as_str().unwrap_or_else(|| panic!("timestamp is not a string: {value}"));
    let t = chrono::DateTime::parse_from_rfc3339(s).unwrap_or_else(|e| panic!("{s:?} is not RFC 3339: {e}"));
    assert_eq!(t.offset().local_minus_utc(), 0, "{s:?} is not UTC");
}

fn sp_path(id: &str) -> String {
    format!("/v1/service-providers/{id}")
}

fn org_path(id: &str) -> String {
    format!("/v1/organizations/{id}")
}

fn user_path(id: &str) -> String {
    format!("/v1/users/{id}")
}

fn orgs_of(sp: &str) -> String {
    format!("/v1/service-providers/{sp}/organizations")
}

fn users_of(org: &str) -> String {
    format!("/v1/organizations/{org}/users")
}

fn tenant_body(username: &str) -> Value {
    json!({"name": "Tenant", "owner": {"username": username, "password": PASSWORD}})
}

fn user_body(username: &str) -> Value {
    json!({"name": "Person", "username": username, "password": PASSWORD})
}

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("a list has `items`: {page}"))
        .iter()
        .map(|n| n["id"].as_str().expect("item id").to_owned())
        .collect()
}

/// Every id of a collection, walking `next_cursor` with pages of `limit`.
async fn walk(app: &TestApp, token: &str, path: &str, limit: usize) -> Vec<String> {
    let mut all = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..1000 {
        let url = match &cursor {
            Some(c) => format!("{path}?limit={limit}&cursor={c}"),
            None => format!("{path}?limit={limit}"),
        };
        let page = app.get(token, &url).await;
        page.assert(200);
        let items = ids(&page.body);
        assert!(items.len() <= limit, "a page of limit {limit} has {} items", items.len());
        all.extend(items);
        match page.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => {
                assert!(page.body["next_cursor"].is_null(), "next_cursor is a string or null: {}", page.body);
                return all;
            }
        }
    }
    panic!("{path}: next_cursor never ended");
}

/// A tree: one SP with two orgs, two users in the first and one in the second.
struct Tree {
    sp: Node,
    org: Node,
    user: Node,
    sibling_user: Node,
    sibling_org: Node,
    cousin_user: Node,
}

async fn tree(app: &TestApp) -> Tree {
    let sp = app.sp("modify").await;
    let org = app.org(&sp, "modify").await;
    let user = app.user(&org, "modify").await;
    let sibling_user = app.user(&org, "view").await;
    let sibling_org = app.org(&sp, "view").await;
    let cousin_user = app.user(&sibling_org, "none").await;
    Tree { sp, org, user, sibling_user, sibling_org, cousin_user }
}

// ---------------------------------------------------------------------------------------
// Representation and creation
// ---------------------------------------------------------------------------------------

#[actix_web::test]
async fn a_service_provider_is_created_by_a_system_admin_with_the_documented_representation() {
    let app = spawn_app().await;
    let username = unique("acme");
    let res = app
        .post(
            &app.admin,
            "/v1/service-providers",
            json!({"name": "Acme Telecom", "device_provisioning": "view", "owner": {"username": username, "password": PASSWORD}}),
        )
        .await;
    res.assert(201);
    assert_request_id(&res);
    let sp = &res.body;
    assert!(uuid::Uuid::parse_str(sp["id"].as_str().expect("id")).is_ok(), "id is a UUID: {sp}");
    assert_eq!(sp["type"], "service_provider");
    assert_eq!(sp["name"], "Acme Telecom");
    assert_eq!(sp["device_provisioning"], "view");
    assert!(sp["parent_id"].is_null(), "a service provider has no parent: {sp}");
    assert_eq!(sp["owner"]["username"], username.as_str());
    assert_timestamp(&sp["created_at"]);
    assert_timestamp(&sp["updated_at"]);
    assert!(!sp.to_string().contains(PASSWORD), "the password must never be returned: {sp}");

    let fetched = app.get(&app.admin, &sp_path(&res.id())).await;
    fetched.assert(200);
    assert_eq!(&fetched.body, sp, "GET returns what POST returned");
    // The owner logs in with the password it was created with.
    let token = app.login(&username, PASSWORD).await;
    let me = app.get(&token, "/v1/me").await;
    assert_eq!(me.body["node"], json!({"type": "service_provider", "id": res.id()}));
    assert_eq!(me.body["device_provisioning"], "view");
}

#[actix_web::test]
async fn organizations_and_users_carry_their_parent_their_service_provider_and_their_login() {
    let app = spawn_app().await;
    let sp = app.sp("modify").await;
    let org_owner = unique("org-owner");
    let org = app
        .post(
            &sp.token,
            &orgs_of(&sp.id),
            json!({"name": "Branch", "device_provisioning": "modify", "owner": {"username": org_owner, "password": PASSWORD}}),
        )
        .await;
    org.assert(201);
    let o = &org.body;
    assert_eq!(o["type"], "organization");
    assert_eq!(o["name"], "Branch");
    assert_eq!(o["device_provisioning"], "modify");
    assert_eq!(o["parent_id"], sp.id.as_str());
    assert_eq!(o["service_provider_id"], sp.id.as_str());
    assert_eq!(o["owner"]["username"], org_owner.as_str());
    assert_timestamp(&o["created_at"]);
    assert_timestamp(&o["updated_at"]);

    let org_token = app.login(&org_owner, PASSWORD).await;
    let username = unique("alice");
    let user = app
        .post(
            &org_token,
            &users_of(&org.id()),
            json!({"name": "Alice", "username": username, "password": PASSWORD, "device_provisioning": "view"}),
        )
        .await;
    user.assert(201);
    let u = &user.body;
    assert_eq!(u["type"], "user");
    assert_eq!(u["name"], "Alice");
    assert_eq!(u["device_provisioning"], "view");
    assert_eq!(u["parent_id"], org.id().as_str());
    assert_eq!(u["organization_id"], org.id().as_str());
    assert_eq!(u["service_provider_id"], sp.id.as_str());
    assert_eq!(u["username"], username.as_str());
    assert_timestamp(&u["created_at"]);
    assert_timestamp(&u["updated_at"]);
    assert!(!u.to_string().contains(PASSWORD), "the password must never be returned: {u}");

    assert_eq!(&app.get(&sp.token, &org_path(&org.id())).await.body, o);
    assert_eq!(&app.get(&sp.token, &user_path(&user.id())).await.body, u);
}

#[actix_web::test]
async fn a_node_created_without_a_level_gets_none() {
    let app = spawn_app().await;
    let sp = app.post(&app.admin, "/v1/service-providers", tenant_body(&unique("sp"))).await;
    sp.assert(201);
    assert_eq!(sp.body["device_provisioning"], "none", "P4 for a service provider");

    let parent = app.sp("modify").await;
    let org_owner = unique("org");
    let org = app.post(&parent.token, &orgs_of(&parent.id), tenant_body(&org_owner)).await;
    org.assert(201);
    assert_eq!(org.body["device_provisioning"], "none", "P4 for an organization made by its SP owner");

    let org_token = app.login(&org_owner, PASSWORD).await;
    let user = app.post(&org_token, &users_of(&org.id()), user_body(&unique("user"))).await;
    user.assert(201);
    assert_eq!(user.body["device_provisioning"], "none", "P4 for a user made by its org owner");

    let by_admin = app.post(&app.admin, &users_of(&org.id()), user_body(&unique("user"))).await;
    by_admin.assert(201);
    assert_eq!(by_admin.body["device_provisioning"], "none", "P4 for a user made by a system admin");
}

#[actix_web::test]
async fn a_username_is_unique_across_every_kind_of_node_and_the_admins() {
    let app = spawn_app().await;
    let sp = app.sp("modify").await;
    let org = app.org(&sp, "modify").await;
    let user = app.user(&org, "none").await;
    for taken in [&sp.username, &org.username, &user.username, &ADMIN.to_owned()] {
        let as_sp = app.post(&app.admin, "/v1/service-providers", tenant_body(taken)).await;
        assert_error(&as_sp, 409, "username_taken");
        let as_org = app.post(&app.admin, &orgs_of(&sp.id), tenant_body(taken)).await;
        assert_error(&as_org, 409, "username_taken");
        let as_user = app.post(&org.token, &users_of(&org.id), user_body(taken)).await;
        assert_error(&as_user, 409, "username_taken");
    }
    // Nothing half-made was left behind by the refused creates.
    assert_eq!(ids(&app.get(&app.admin, "/v1/service-providers").await.body), vec![sp.id.clone()]);
    assert_eq!(ids(&app.get(&app.admin, &orgs_of(&sp.id)).await.body), vec![org.id.clone()]);
    assert_eq!(ids(&app.get(&app.admin, &users_of(&org.id)).await.body), vec![user.id.clone()]);
}

#[actix_web::test]
async fn two_concurrent_creates_of_the_same_username_give_exactly_one_201_and_one_409() {
    let app = spawn_app().await;
    let sp = app.sp("modify").await;
    let org = app.org(&sp, "modify").await;
    for round in 0..3 {
        let username = unique("race");
        let (a, b) = futures_util::future::join(
            app.post(&app.admin, "/v1/service-providers", tenant_body(&username)),
            app.post(&app.admin, &orgs_of(&sp.id), tenant_body(&username)),
        )
        .await;
        let mut statuses = [a.status, b.status];
        statuses.sort();
        assert_eq!(statuses, [201, 409], "round {round}: {} / {}", a.body, b.body);
        let loser = if a.status == 409 { &a } else { &b };
        assert_error(loser, 409, "username_taken");

        let username = unique("race-user");
        let (a, b) = futures_util::future::join(
            app.post(&app.admin, &users_of(&org.id), user_body(&username)),
            app.post(&org.token, &users_of(&org.id), user_body(&username)),
        )
        .await;
        let mut statuses = [a.status, b.status];
        statuses.sort();
        assert_eq!(statuses, [201, 409], "round {round} (users): {} / {}", a.body, b.body);
    }
    // Exactly the winners exist: besides the first SP and org, one SP or org per round, and
    // one user per round.
    let sps = walk(&app, &app.admin, "/v1/service-providers", 500).await.len();
    let orgs = walk(&app, &app.admin, &orgs_of(&sp.id), 500).await.len();
    assert_eq!(sps + orgs, 2 + 3, "{sps} service providers and {orgs} organizations");
    assert_eq!(walk(&app, &app.admin, &users_of(&org.id), 500).await.len(), 3);
}

/// N4 under a race: a DELETE of an empty organization and a POST of a user into it, sent
/// together, settle one way or the other (the user is created and the delete refused, or
/// the organization is gone and the create finds nothing), never with an error or an orphan.
/// The second request starts a little later each round, so the two meet at every stage.
#[actix_web::test]
async fn deleting_an_organization_while_a_user_is_created_in_it_gives_201_and_409_or_404_and_204() {
    let app = spawn_app().await;
    let sp = app.sp("modify").await;
    let mut wrong = Vec::new();
    for round in 0..32u64 {
        let org = app.org(&sp, "modify").await;
        let username = unique("racer");
        let offset = std::time::Duration::from_millis(round);
        let (created, deleted) =
            futures_util::future::join(app.post(&app.admin, &users_of(&org.id), user_body(&username)), async {
                actix_web::rt::time::sleep(offset).await;
                app.delete(&app.admin, &org_path(&org.id)).await
            })
            .await;
        let outcome = (created.status, created.code().to_owned(), deleted.status, deleted.code().to_owned());
        let settled = match outcome {
            (201, _, 409, ref code) if code == "node_not_empty" => {
                app.get(&app.admin, &user_path(&created.id())).await.status == 200
                    && app.get(&app.admin, &org_path(&org.id)).await.status == 200
            }
            (404, ref code, 204, _) if code == "not_found" => {
                app.get(&app.admin, &org_path(&org.id)).await.status == 404
            }
            _ => false,
        };
        if !settled {
            wrong.push(format!(
                "round {round}: create {} {} / delete {} {}",
                created.status, created.body, deleted.status, deleted.body
            ));
        }
    }
    assert!(wrong.is_empty(), "{} of 32 races did not settle cleanly:\n{}", wrong.len(), wrong.join("\n"));
}

// ---------------------------------------------------------------------------------------
// Validation and the shared error conventions
// ---------------------------------------------------------------------------------------

#[actix_web::test]
async fn bad_usernames_short_passwords_and_empty_names_are_422_naming_every_field() {
    let app = spawn_app().await;
    let sp = app.sp("modify").await;
    let org = app.org(&sp, "modify").await;

    let all_bad = json!({"name": "", "owner": {"username": "Not Valid", "password": "short"}});
    let res = app.post(&app.admin, "/v1/service-providers", all_bad.clone()).await;
    assert_invalid_fields(&res, &["name", "owner.username", "owner.password"]);
    let res = app.post(&sp.token, &orgs_of(&sp.id), all_bad).await;
    assert_invalid_fields(&res, &["name", "owner.username", "owner.password"]);
    let res = app
        .post(&org.token, &users_of(&org.id), json!({"name": "   ", "username": "ab", "password": "elevenchars"}))
        .await;
    assert_invalid_fields(&res, &["name", "username", "password"]);

    let long_name = "n".repeat(201);
    let too_long = "u".repeat(65);
    for bad in ["ab", "UPPER", "with space", "ünïcode", "semi;colon", too_long.as_str(), ""] {
        let res = app.post(&org.token, &users_of(&org.id), user_body(bad)).await;
        assert_invalid_fields(&res, &["username"]);
        let res = app.post(&app.admin, "/v1/service-providers", tenant_body(bad)).await;
        assert_invalid_fields(&res, &["owner.username"]);
    }
    // The bounds themselves are valid: 3 and 64 characters, a 12-character password.
    let shortest = "a.b".to_owned();
    let longest = format!("{}{}", unique("l"), "x".repeat(64 - 14));
    assert_eq!((shortest.len(), longest.len()), (3, 64));
    for username in [shortest, longest] {
        let res = app
            .post(
                &org.token,
                &users_of(&org.id),
                json!({"name": "N", "username": username, "password": "twelve-chars"}),
            )
            .await;
        res.assert(201);
        app.login(&username, "twelve-chars").await;
    }
    let res = app
        .post(
            &app.admin,
            &orgs_of(&sp.id),
            json!({"name": long_name, "owner": {"username": unique("o"), "password": PASSWORD}}),
        )
        .await;
    assert_invalid_fields(&res, &["name"]);
    // The same checks hold on PATCH.
    for name in ["", "   ", long_name.as_str()] {
        let res = app.patch(&app.admin, &org_path(&org.id), json!({ "name": name })).await;
        assert_invalid_fields(&res, &["name"]);
    }
    // Nothing was created or changed by the refusals.
    assert_eq!(ids(&app.get(&app.admin, "/v1/service-providers").await.body), vec![sp.id.clone()]);
    assert_eq!(ids(&app.get(&app.admin, &users_of(&org.id)).await.body).len(), 2, "only the two valid users");
    assert_eq!(app.get(&app.admin, &org_path(&org.id)).await.body["name"], "Org");
}

#[actix_web::test]
async fn unknown_fields_and_values_of_the_wrong_type_are_422_naming_the_field() {
    let app = spawn_app().await;
    let sp = app.sp("modify").await;
    let org = app.org(&sp, "modify").await;
    let user = app.user(&org, "none").await;

    let mut body = tenant_body(&unique("sp"));
    body["colour"] = json!("blue");
    let res = app.post(&app.admin, "/v1/service-providers", body).await;
    assert_invalid_fields(&res, &["colour"]);

    let mut body = user_body(&unique("user"));
    body["device_provisoning"] = json!("view");
    let res = app.post(&org.token, &users_of(&org.id), body).await;
    assert_invalid_fields(&res, &["device_provisoning"]);

    let res = app.patch(&app.admin, &user_path(&user.id), json!({"nmae": "typo"})).await;
    assert_invalid_fields(&res, &["nmae"]);

    let res = app.patch(&app.admin, &user_path(&user.id), json!({"device_provisioning": "admin"})).await;
    assert_invalid_fields(&res, &["device_provisioning"]);
    let res = app.patch(&app.admin, &user_path(&user.id), json!({"name": 42})).await;
    assert_invalid_fields(&res, &["name"]);
    let res = app.post(&org.token, &users_of(&org.id), json!({"name": "No login"})).await;
    assert_problem(&res, 422);

    let after = app.get(&app.admin, &user_path(&user.id)).await;
    assert_eq!((after.body["name"].as_str(), after.body["device_provisioning"].as_str()), (Some("User"), Some("none")));
    assert_eq!(ids(&app.get(&app.admin, &users_of(&org.id)).await.body), vec![user.id.clone()]);
}

#[actix_web::test]
async fn malformed_json_is_400() {
    let app = spawn_app().await;
    let sp = app.sp("modify").await;
    for raw in ["{\"name\": ", "not json at all", "", "   ", "{'name': 'x'}"] {
        let res =
            app.send_raw(Method::POST, "/v1/service-providers", Some(&app.admin), "application/json", raw.into()).await;
        assert_problem(&res, 400);
        let res = app.send_raw(Method::PATCH, &sp_path(&sp.id), Some(&app.admin), "application/json", raw.into()).await;
        assert_problem(&res, 400);
    }
    assert_eq!(app.get(&app.admin, &sp_path(&sp.id)).await.body["name"], "SP", "no malformed PATCH got through");
}

/// A document that is not JSON is malformed, whatever its first value would have meant:
/// its syntax is judged before its values (400, not 422).
#[actix_web::test]
async fn a_body_that_is_not_well_formed_json_is_400_even_when_its_first_value_is_already_invalid() {
    let app = spawn_app().await;
    let sp = app.sp("modify").await;
    let mut wrong = Vec::new();
    for (method, path, raw) in [
        (Method::POST, "/v1/service-providers".to_owned(), "{\"name\": \"x\"} trailing"),
        (Method::POST, orgs_of(&sp.id), "{} }"),
        (Method::POST, orgs_of(&sp.id), "{\"name\": 5} {"),
        (Method::POST, orgs_of(&sp.id), "[1,"),
        (Method::PATCH, sp_path(&sp.id), "[\"x\", "),
    ] {
        let res = app.send_raw(method.clone(), &path, Some(&app.admin), "application/json", raw.into()).await;
        if res.status != 400 {
            wrong.push(format!("{method} {path} with {raw:?}: {} {}", res.status, res.body));
        } else {
            assert_problem(&res, 400);
        }
    }
    assert!(wrong.is_empty(), "malformed JSON must be 400:\n{}", wrong.join("\n"));
}

#[actix_web::test]
async fn a_body_over_64_kib_is_413_and_a_smaller_one_is_read() {
    let app = spawn_app().await;
    let sp = app.sp("modify").await;
    let big = json!({"name": "x".repeat(65 * 1024), "owner": {"username": unique("big"), "password": PASSWORD}});
    let res = app
        .send_raw(Method::POST, "/v1/service-providers", Some(&app.admin), "application/json", big.to_string().into())
        .await;
    assert_problem(&res, 413);
    let res = app
        .send_raw(Method::PATCH, &sp_path(&sp.id), Some(&app.admin), "application/json", big.to_string().into())
        .await;
    assert_problem(&res, 413);
    // Under the limit, the body is parsed and judged on its values.
    let smaller = json!({"name": "x".repeat(60 * 1024)});
    let res = app.patch(&app.admin, &sp_path(&sp.id), smaller).await;
    assert_invalid_fields(&res, &["name"]);
}

#[actix_web::test]
async fn a_body_that_is_not_json_is_415() {
    let app = spawn_app().await;
    let sp = app.sp("modify").await;
    let json_text = tenant_body(&unique("sp")).to_string();
    for content_type in ["text/plain", "application/xml", "application/x-www-form-urlencoded", "multipart/form-data"] {
        let res = app
            .send_raw(Method::POST, "/v1/service-providers", Some(&app.admin), content_type, json_text.clone().into())
            .await;
        assert_problem(&res, 415);
        let res = app
            .send_raw(Method::PATCH, &sp_path(&sp.id), Some(&app.admin), content_type, b"{\"name\":\"x\"}".to_vec())
            .await;
        assert_problem(&res, 415);
    }
    assert_eq!(ids(&app.get(&app.admin, "/v1/service-providers").await.body), vec![sp.id.clone()]);
    // A charset parameter does not make JSON anything else.
    let res = app
        .send_raw(
            Method::PATCH,
            &sp_path(&sp.id),
            Some(&app.admin),
            "application/json; charset=utf-8",
            b"{\"name\":\"Renamed\"}".to_vec(),
        )
        .await;
    res.assert(200);
}

#[actix_web::test]
async fn an_unknown_route_is_a_404_problem() {
    let app = spawn_app().await;
    let sp = app.sp("modify").await;
    for path in ["/v1/nope", "/nope", "/v1/service-providers/x/y/z", &format!("{}/gadgets", sp_path(&sp.id)), "/v2/me"]
    {
        let res = app.get(&app.admin, path).await;
        assert_error(&res, 404, "not_found");
    }
}

#[actix_web::test]
async fn a_wrong_method_on_a_known_path_is_405_with_an_allow_header() {
    let app = spawn_app().await;
    let sp = app.sp("modify").await;
    let org = app.org(&sp, "modify").await;
    let cases: Vec<(Method, String, &[&str])> = vec![
        (Method::PUT, sp_path(&sp.id), &["GET", "HEAD", "PATCH", "DELETE"]),
        (Method::POST, sp_path(&sp.id), &["GET", "HEAD", "PATCH", "DELETE"]),
        (Method::DELETE, "/v1/service-providers".into(), &["GET", "HEAD", "POST"]),
        (Method::PATCH, orgs_of(&sp.id), &["GET", "HEAD", "POST"]),
        (Method::PUT, org_path(&org.id), &["GET", "HEAD", "PATCH", "DELETE"]),
        (Method::DELETE, users_of(&org.id), &["GET", "HEAD", "POST"]),
        (Method::POST, "/v1/me".into(), &["GET", "HEAD"]),
        (Method::GET, "/v1/auth/token".into(), &["POST"]),
    ];
    for (method, path, allowed) in cases {
        let res = app.call(method.clone(), &path, Some(&app.admin), None).await;
        assert_eq!(res.status, 405, "{method} {path}: {}", res.body);
        assert_problem(&res, 405);
        let allow = res
            .headers
            .get("allow")
            .unwrap_or_else(|| panic!("{method} {path}: 405 without Allow"))
            .to_str()
            .expect("ascii");
        let got: HashSet<&str> = allow.split(',').map(str::trim).collect();
        let want: HashSet<&str> = allowed.iter().copied().collect();
        assert_eq!(got, want, "{method} {path}: Allow {allow:?}");
    }
}

#[actix_web::test]
async fn an_id_that_is_not_a_uuid_or_of_another_kind_is_404() {
    let app = spawn_app().await;
    let sp = app.sp("modify").await;
    let org = app.org(&sp, "modify").await;
    let user = app.user(&org, "modify").await;
    for bad in ["not-a-uuid", "123", "00000000-0000-0000-0000-00000000000g"] {
        for path in [sp_path(bad), org_path(bad), user_path(bad), orgs_of(bad), users_of(bad)] {
            assert_error(&app.get(&app.admin, &path).await, 404, "not_found");
        }
        for path in [sp_path(bad), org_path(bad), user_path(bad)] {
            assert_error(&app.patch(&app.admin, &path, json!({"name": "x"})).await, 404, "not_found");
            assert_error(&app.delete(&app.admin, &path).await, 404, "not_found");
        }
        assert_error(&app.post(&app.admin, &orgs_of(bad), tenant_body(&unique("o"))).await, 404, "not_found");
        assert_error(&app.post(&app.admin, &users_of(bad), user_body(&unique("u"))).await, 404, "not_found");
    }
    // A real id under the path of another kind does not exist there.
    for path in [
        sp_path(&org.id),
        sp_path(&user.id),
        org_path(&sp.id),
        org_path(&user.id),
        user_path(&sp.id),
        user_path(&org.id),
        orgs_of(&org.id),
        users_of(&sp.id),
        users_of(&user.id),
    ] {
        assert_error(&app.get(&app.admin, &path).await, 404, "not_found");
    }
    assert_error(&app.delete(&app.admin, &org_path(&user.id)).await, 404, "not_found");
    assert_error(&app.patch(&app.admin, &sp_path(&org.id), json!({"name": "x"})).await, 404, "not_found");
    assert_error(&app.post(&app.admin, &users_of(&sp.id), user_body(&unique("u"))).await, 404, "not_found");
    assert_error(&app.post(&app.admin, &orgs_of(&org.id), tenant_body(&unique("o"))).await, 404, "not_found");
    app.get(&app.admin, &user_path(&user.id)).await.assert(200);
    app.get(&app.admin, &org_path(&org.id)).await.assert(200);
}

// ---------------------------------------------------------------------------------------
// Pagination
// ---------------------------------------------------------------------------------------

#[actix_web::test]
async fn a_list_limit_is_1_to_500_and_a_bad_limit_or_cursor_is_refused() {
    let app = spawn_app().await;
    let sp = app.sp("modify").await;
    for path in ["/v1/service-providers".to_owned(), orgs_of(&sp.id)] {
        for limit in ["0", "501", "-1", "100000"] {
            let res = app.get(&app.admin, &format!("{path}?limit={limit}")).await;
            assert_invalid_fields(&res, &["limit"]);
        }
        for limit in ["abc", "1.5", ""] {
            let res = app.get(&app.admin, &format!("{path}?limit={limit}")).await;
            assert_problem(&res, 400);
        }
        for cursor in ["garbage", "not-a-cursor", "1"] {
            let res = app.get(&app.admin, &format!("{path}?cursor={cursor}")).await;
            assert_problem(&res, 400);
        }
        for limit in ["1", "500"] {
            app.get(&app.admin, &format!("{path}?limit={limit}")).await.assert(200);
        }
    }
}

#[actix_web::test]
async fn walking_pages_with_next_cursor_returns_every_item_once_in_a_stable_order() {
    let app = spawn_app().await;
    let sp = app.sp("modify").await;
    let mut created = HashSet::new();
    for _ in 0..7 {
        created.insert(app.org(&sp, "none").await.id);
    }
    let full = app.get(&sp.token, &format!("{}?limit=500", orgs_of(&sp.id))).await;
    full.assert(200);
    assert!(full.body["next_cursor"].is_null(), "one page holds all: {}", full.body);
    let order = ids(&full.body);
    assert_eq!(order.iter().cloned().collect::<HashSet<_>>(), created);
    for limit in [1, 2, 3, 6, 7, 8] {
        let walked = walk(&app, &sp.token, &orgs_of(&sp.id), limit).await;
        assert_eq!(walked, order, "pages of {limit} list every item once, in the same order");
    }
    // The first page of 3 announces a next page; the page of the last 1 does not.
    let first = app.get(&sp.token, &format!("{}?limit=3", orgs_of(&sp.id))).await;
    assert_eq!(ids(&first.body).len(), 3);
    assert!(first.body["next_cursor"].is_string());
    // The same for the service providers of a system admin.
    let mut sps = vec![sp.id.clone()];
    for _ in 0..4 {
        sps.push(app.sp("none").await.id);
    }
    let walked = walk(&app, &app.admin, "/v1/service-providers", 2).await;
    assert_eq!(walked.iter().cloned().collect::<HashSet<_>>(), sps.into_iter().collect());
    assert_eq!(walked.len(), 5);
    assert_eq!(walk(&app, &app.admin, "/v1/service-providers", 2).await, walked, "stable order");
}

#[actix_web::test]
async fn a_list_without_a_limit_returns_pages_of_50() {
    let app = spawn_app().await;
    let sp = app.sp("modify").await;
    let org = app.org(&sp, "modify").await;
    for i in 0..51 {
        app.post(&app.admin, &users_of(&org.id), user_body(&format!("person-{i:02}-{}", unique("p"))))
            .await
            .assert(201);
    }
    let first = app.get(&org.token, &users_of(&org.id)).await;
    first.assert(200);
    assert_eq!(ids(&first.body).len(), 50);
    let cursor = first.body["next_cursor"].as_str().expect("a next page exists");
    let second = app.get(&org.token, &format!("{}?cursor={cursor}", users_of(&org.id))).await;
    second.assert(200);
    assert_eq!(ids(&second.body).len(), 1);
    assert!(second.body["next_cursor"].is_null());
}

// ---------------------------------------------------------------------------------------
// N1: who creates what
// ---------------------------------------------------------------------------------------

#[actix_web::test]
async fn only_system_admins_create_service_providers() {
    let app = spawn_app().await;
    let sp = app.sp("modify").await;
    let org = app.org(&sp, "modify").await;
    let user = app.user(&org, "modify").await;
    for (who, token) in [("SP owner", &sp.token), ("org owner", &org.token), ("user", &user.token)] {
        let res = app.post(token, "/v1/service-providers", tenant_body(&unique("sp"))).await;
        assert_problem(&res, 403);
        res.assert_refused(403, "create_not_allowed", "N1");
        assert_eq!(res.body["rule"], "N1", "{who}");
    }
    assert_eq!(ids(&app.get(&app.admin, "/v1/service-providers").await.body), vec![sp.id.clone()]);
}

#[actix_web::test]
async fn a_service_provider_owner_creates_organizations_and_users_directly_in_its_organizations() {
    let app = spawn_app().await;
    let sp = app.sp("modify").await;
    let org_owner = unique("org");
    let org = app.post(&sp.token, &orgs_of(&sp.id), tenant_body(&org_owner)).await;
    org.assert(201);
    let username = unique("direct");
    let user = app.post(&sp.token, &users_of(&org.id()), user_body(&username)).await;
    user.assert(201);
    assert_eq!(user.body["parent_id"], org.id().as_str());
    assert_eq!(user.body["service_provider_id"], sp.id.as_str());
    assert_eq!(user.body["device_provisioning"], "none");
    // Both logins work and see themselves in the tree.
    let me = app.get(&app.login(&username, PASSWORD).await, "/v1/me").await;
    assert_eq!(me.body["node"], json!({"type": "user", "id": user.id()}));
    let org_token = app.login(&org_owner, PASSWORD).await;
    assert_eq!(ids(&app.get(&org_token, &users_of(&org.id())).await.body), vec![user.id()]);
}

#[actix_web::test]
async fn an_organization_owner_creates_users_in_its_own_organization_only() {
    let app = spawn_app().await;
    let t = tree(&app).await;
    app.post(&t.org.token, &users_of(&t.org.id), user_body(&unique("u"))).await.assert(201);
    // Outside what it may read, the parent does not exist for it (N5).
    assert_error(
        &app.post(&t.org.token, &users_of(&t.sibling_org.id), user_body(&unique("u"))).await,
        404,
        "not_found",
    );
    assert_error(&app.post(&t.org.token, &orgs_of(&t.sp.id), tenant_body(&unique("o"))).await, 404, "not_found");
    // A user creates nothing: its organization is not visible to it.
    assert_error(&app.post(&t.user.token, &users_of(&t.org.id), user_body(&unique("u"))).await, 404, "not_found");
    assert_error(&app.post(&t.user.token, &orgs_of(&t.sp.id), tenant_body(&unique("o"))).await, 404, "not_found");
    assert_eq!(walk(&app, &app.admin, &users_of(&t.org.id), 500).await.len(), 3);
    assert_eq!(walk(&app, &app.admin, &users_of(&t.sibling_org.id), 500).await, vec![t.cousin_user.id.clone()]);
    assert_eq!(walk(&app, &app.admin, &orgs_of(&t.sp.id), 500).await.len(), 2);
}

// ---------------------------------------------------------------------------------------
// N2 / N5: visibility
// ---------------------------------------------------------------------------------------

#[actix_web::test]
async fn a_user_sees_only_itself() {
    let app = spawn_app().await;
    let t = tree(&app).await;
    let me = app.get(&t.user.token, &user_path(&t.user.id)).await;
    me.assert(200);
    assert_eq!(me.body["username"], t.user.username.as_str());
    for path in [
        org_path(&t.org.id),
        sp_path(&t.sp.id),
        user_path(&t.sibling_user.id),
        user_path(&t.cousin_user.id),
        org_path(&t.sibling_org.id),
        users_of(&t.org.id),
        orgs_of(&t.sp.id),
    ] {
        assert_error(&app.get(&t.user.token, &path).await, 404, "not_found");
    }
    let sps = app.get(&t.user.token, "/v1/service-providers").await;
    sps.assert(200);
    assert_eq!(ids(&sps.body), Vec::<String>::new());
}

#[actix_web::test]
async fn an_organization_owner_sees_its_organization_and_its_users_only() {
    let app = spawn_app().await;
    let t = tree(&app).await;
    app.get(&t.org.token, &org_path(&t.org.id)).await.assert(200);
    app.get(&t.org.token, &user_path(&t.user.id)).await.assert(200);
    app.get(&t.org.token, &user_path(&t.sibling_user.id)).await.assert(200);
    let users: HashSet<String> = walk(&app, &t.org.token, &users_of(&t.org.id), 500).await.into_iter().collect();
    assert_eq!(users, [t.user.id.clone(), t.sibling_user.id.clone()].into_iter().collect());
    for path in [
        sp_path(&t.sp.id),
        org_path(&t.sibling_org.id),
        user_path(&t.cousin_user.id),
        users_of(&t.sibling_org.id),
        orgs_of(&t.sp.id),
    ] {
        assert_error(&app.get(&t.org.token, &path).await, 404, "not_found");
    }
    assert_eq!(ids(&app.get(&t.org.token, "/v1/service-providers").await.body), Vec::<String>::new());
}

#[actix_web::test]
async fn a_service_provider_owner_sees_its_service_provider_its_organizations_and_their_users() {
    let app = spawn_app().await;
    let t = tree(&app).await;
    let other = app.sp("modify").await;
    let other_org = app.org(&other, "modify").await;
    for path in [
        sp_path(&t.sp.id),
        org_path(&t.org.id),
        org_path(&t.sibling_org.id),
        user_path(&t.user.id),
        user_path(&t.cousin_user.id),
    ] {
        app.get(&t.sp.token, &path).await.assert(200);
    }
    assert_eq!(walk(&app, &t.sp.token, "/v1/service-providers", 500).await, vec![t.sp.id.clone()]);
    let orgs: HashSet<String> = walk(&app, &t.sp.token, &orgs_of(&t.sp.id), 500).await.into_iter().collect();
    assert_eq!(orgs, [t.org.id.clone(), t.sibling_org.id.clone()].into_iter().collect());
    assert_eq!(walk(&app, &t.sp.token, &users_of(&t.sibling_org.id), 500).await, vec![t.cousin_user.id.clone()]);
    for path in [sp_path(&other.id), org_path(&other_org.id), orgs_of(&other.id), users_of(&other_org.id)] {
        assert_error(&app.get(&t.sp.token, &path).await, 404, "not_found");
    }
}

#[actix_web::test]
async fn what_a_caller_may_not_read_is_404_for_every_method_exactly_like_a_missing_node() {
    let app = spawn_app().await;
    let t = tree(&app).await;
    let other = app.sp("modify").await;
    let other_org = app.org(&other, "modify").await;
    let other_user = app.user(&other_org, "modify").await;
    let absent = app.get(&app.admin, &user_path(&uuid::Uuid::new_v4().to_string())).await;
    assert_error(&absent, 404, "not_found");

    // (caller, target path, and the child collection below it with a body to create there)
    /// A child collection below a target, with a body to create there.
    type Child = Option<(String, Value)>;
    let mut cases: Vec<(&str, &Node, String, Child)> = Vec::new();
    for (who, caller) in [("SP owner", &t.sp), ("org owner", &t.org), ("user", &t.user)] {
        cases.push((who, caller, sp_path(&other.id), Some((orgs_of(&other.id), tenant_body(&unique("o"))))));
        cases.push((who, caller, org_path(&other_org.id), Some((users_of(&other_org.id), user_body(&unique("u"))))));
        cases.push((who, caller, user_path(&other_user.id), None));
    }
    let org_owner_hidden = [
        (sp_path(&t.sp.id), Some((orgs_of(&t.sp.id), tenant_body(&unique("o"))))),
        (org_path(&t.sibling_org.id), Some((users_of(&t.sibling_org.id), user_body(&unique("u"))))),
        (user_path(&t.cousin_user.id), None),
    ];
    for (path, child) in org_owner_hidden {
        cases.push(("org owner", &t.org, path, child));
    }
    let user_hidden = [
        (sp_path(&t.sp.id), Some((orgs_of(&t.sp.id), tenant_body(&unique("o"))))),
        (org_path(&t.org.id), Some((users_of(&t.org.id), user_body(&unique("u"))))),
        (user_path(&t.sibling_user.id), None),
        (org_path(&t.sibling_org.id), None),
    ];
    for (path, child) in user_hidden {
        cases.push(("user", &t.user, path, child));
    }

    let mut before = Vec::new();
    for (_, _, path, _) in &cases {
        before.push((path.clone(), app.get(&app.admin, path).await.body));
    }
    for (who, caller, path, child) in &cases {
        let answers = [
            ("GET", app.get(&caller.token, path).await),
            ("PATCH name", app.patch(&caller.token, path, json!({"name": "Hijacked"})).await),
            ("PATCH level", app.patch(&caller.token, path, json!({"device_provisioning": "none"})).await),
            ("DELETE", app.delete(&caller.token, path).await),
        ];
        for (method, res) in &answers {
            assert_eq!(res.status, 404, "{who} {method} {path}: {}", res.body);
            assert_eq!(res.body, absent.body, "{who} {method} {path} must look like a missing node");
            assert_problem(res, 404);
        }
        if let Some((collection, body)) = child {
            let created = app.post(&caller.token, collection, body.clone()).await;
            assert_eq!(created.status, 404, "{who} POST {collection}: {}", created.body);
            assert_eq!(created.body, absent.body, "{who} POST {collection}");
            let listed = app.get(&caller.token, collection).await;
            assert_eq!(listed.body, absent.body, "{who} GET {collection}");
        }
    }
    // Nothing was changed, deleted or created by any of these.
    for (path, body) in &before {
        let after = app.get(&app.admin, path).await;
        after.assert(200);
        assert_eq!(&after.body, body, "{path} was changed");
    }
    assert_eq!(walk(&app, &app.admin, &orgs_of(&other.id), 500).await, vec![other_org.id.clone()]);
    assert_eq!(walk(&app, &app.admin, &users_of(&other_org.id), 500).await, vec![other_user.id.clone()]);
    assert_eq!(walk(&app, &app.admin, &orgs_of(&t.sp.id), 500).await.len(), 2);
    assert_eq!(walk(&app, &app.admin, &users_of(&t.org.id), 500).await.len(), 2);
    assert_eq!(walk(&app, &app.admin, &users_of(&t.sibling_org.id), 500).await.len(), 1);
}

// ---------------------------------------------------------------------------------------
// N3: renaming
// ---------------------------------------------------------------------------------------

#[actix_web::test]
async fn a_node_renames_itself_and_every_ancestor_renames_it() {
    let app = spawn_app().await;
    let t = tree(&app).await;
    let cases = [
        ("the user itself", &t.user.token, user_path(&t.user.id)),
        ("its org owner", &t.org.token, user_path(&t.user.id)),
        ("its SP owner", &t.sp.token, user_path(&t.user.id)),
        ("a system admin", &app.admin, user_path(&t.user.id)),
        ("the org itself", &t.org.token, org_path(&t.org.id)),
        ("its SP owner", &t.sp.token, org_path(&t.org.id)),
        ("the SP itself", &t.sp.token, sp_path(&t.sp.id)),
        ("a system admin", &app.admin, sp_path(&t.sp.id)),
    ];
    for (i, (who, token, path)) in cases.iter().enumerate() {
        let before = app.get(&app.admin, path).await.body;
        let name = format!("Renamed {i}");
        let res = app.patch(token, path, json!({ "name": name })).await;
        assert_eq!(res.status, 200, "{who} renames {path}: {}", res.body);
        assert_eq!(res.body["name"], name.as_str());
        assert_eq!(res.body["device_provisioning"], before["device_provisioning"], "a rename keeps the level");
        assert_eq!(res.body["created_at"], before["created_at"]);
        assert!(
            res.body["updated_at"].as_str() > before["updated_at"].as_str(),
            "updated_at moves on a change: {} -> {}",
            before["updated_at"],
            res.body["updated_at"]
        );
        assert_eq!(app.get(&app.admin, path).await.body, res.body, "the rename is stored");
    }
    // A rename that comes with a level the caller may not set is refused as a whole.
    let before = app.get(&app.admin, &user_path(&t.user.id)).await.body;
    let res =
        app.patch(&t.sp.token, &user_path(&t.user.id), json!({"name": "Both", "device_provisioning": "none"})).await;
    res.assert_refused(403, "not_parent", "P1");
    assert_eq!(app.get(&app.admin, &user_path(&t.user.id)).await.body, before, "nothing of a refused PATCH is kept");
    // Upwards and sideways, there is nothing to rename (N5).
    for (token, path) in [
        (&t.user.token, org_path(&t.org.id)),
        (&t.user.token, user_path(&t.sibling_user.id)),
        (&t.org.token, sp_path(&t.sp.id)),
        (&t.org.token, org_path(&t.sibling_org.id)),
    ] {
        assert_error(&app.patch(token, &path, json!({"name": "Nope"})).await, 404, "not_found");
    }
}

// ---------------------------------------------------------------------------------------
// N4: deleting
// ---------------------------------------------------------------------------------------

#[actix_web::test]
async fn a_node_cannot_delete_itself() {
    let app = spawn_app().await;
    let sp = app.sp("modify").await;
    let org = app.org(&sp, "modify").await;
    let user = app.user(&org, "modify").await;
    let empty_org = app.org(&sp, "modify").await;
    let empty_sp = app.sp("modify").await;
    for (token, path) in [
        (&user.token, user_path(&user.id)),
        (&empty_org.token, org_path(&empty_org.id)),
        (&empty_sp.token, sp_path(&empty_sp.id)),
        (&org.token, org_path(&org.id)),
        (&sp.token, sp_path(&sp.id)),
    ] {
        let res = app.delete(token, &path).await;
        assert_problem(&res, 403);
        res.assert_refused(403, "cannot_delete_self", "N4");
        app.get(&app.admin, &path).await.assert(200);
    }
    // The login still works: nothing was taken away.
    app.get(&user.token, "/v1/me").await.assert(200);
}

#[actix_web::test]
async fn a_node_that_still_has_children_is_not_deleted_409_node_not_empty() {
    let app = spawn_app().await;
    let sp = app.sp("modify").await;
    let org = app.org(&sp, "modify").await;
    let user = app.user(&org, "modify").await;
    for (who, token, path) in [
        ("admin", &app.admin, sp_path(&sp.id)),
        ("admin", &app.admin, org_path(&org.id)),
        ("SP owner", &sp.token, org_path(&org.id)),
    ] {
        let res = app.delete(token, &path).await;
        assert_problem(&res, 409);
        assert_eq!((res.code(), res.rule()), ("node_not_empty", "N4"), "{who} DELETE {path}: {}", res.body);
        app.get(&app.admin, &path).await.assert(200);
    }
    // Emptied bottom-up, every level goes.
    app.delete(&org.token, &user_path(&user.id)).await.assert(204);
    app.delete(&sp.token, &org_path(&org.id)).await.assert(204);
    app.delete(&app.admin, &sp_path(&sp.id)).await.assert(204);
    for path in [user_path(&user.id), org_path(&org.id), sp_path(&sp.id)] {
        assert_error(&app.get(&app.admin, &path).await, 404, "not_found");
        assert_error(&app.delete(&app.admin, &path).await, 404, "not_found");
    }
}

#[actix_web::test]
async fn an_ancestor_deletes_a_node_and_its_login_can_no_longer_get_a_token() {
    let app = spawn_app().await;
    let t = tree(&app).await;
    app.delete(&t.sp.token, &user_path(&t.cousin_user.id)).await.assert(204);
    app.delete(&t.org.token, &user_path(&t.sibling_user.id)).await.assert(204);
    app.delete(&t.sp.token, &org_path(&t.sibling_org.id)).await.assert(204);
    for (username, path) in [
        (&t.cousin_user.username, user_path(&t.cousin_user.id)),
        (&t.sibling_user.username, user_path(&t.sibling_user.id)),
        (&t.sibling_org.username, org_path(&t.sibling_org.id)),
    ] {
        assert_error(&app.get(&app.admin, &path).await, 404, "not_found");
        let res = app
            .call(
                Method::POST,
                "/v1/auth/token",
                None,
                Some(json!({"grant_type": "password", "username": username, "password": PASSWORD})),
            )
            .await;
        assert_error(&res, 401, "invalid_grant");
    }
    // The rest of the tree is untouched.
    assert_eq!(walk(&app, &app.admin, &users_of(&t.org.id), 500).await, vec![t.user.id.clone()]);
    assert_eq!(walk(&app, &app.admin, &orgs_of(&t.sp.id), 500).await, vec![t.org.id.clone()]);
    app.get(&t.user.token, "/v1/me").await.assert(200);
}

// ---------------------------------------------------------------------------------------
// Conventions shared by every endpoint
// ---------------------------------------------------------------------------------------

#[actix_web::test]
async fn every_response_carries_an_x_request_id() {
    let app = spawn_app().await;
    let sp = app.sp("modify").await;
    let responses = [
        app.call(Method::GET, "/healthz", None, None).await,
        app.call(Method::GET, "/readyz", None, None).await,
        app.get(&app.admin, "/v1/me").await,
        app.call(Method::GET, "/v1/me", None, None).await,
        app.get(&app.admin, "/v1/nope").await,
        app.call(Method::PUT, &sp_path(&sp.id), Some(&app.admin), None).await,
        app.patch(&app.admin, &sp_path(&sp.id), json!({"bogus": 1})).await,
        app.send_raw(Method::PATCH, &sp_path(&sp.id), Some(&app.admin), "text/plain", b"x".to_vec()).await,
        app.post(&sp.token, "/v1/service-providers", tenant_body(&unique("x"))).await,
        app.delete(&app.admin, &sp_path(&uuid::Uuid::new_v4().to_string())).await,
        app.get(&app.admin, "/v1/service-providers?limit=abc").await,
    ];
    let mut seen = HashSet::new();
    for res in &responses {
        assert_request_id(res);
        let id = res.headers.get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        assert!(seen.insert(id.clone()), "request id {id} repeated");
        if res.status >= 400 {
            assert_problem(res, res.status);
        }
    }
}

#[actix_web::test]
async fn health_and_readiness_answer_200_without_a_token() {
    let app = spawn_app().await;
    let health = app.call(Method::GET, "/healthz", None, None).await;
    health.assert(200);
    assert_eq!(health.body["status"], "ok");
    let ready = app.call(Method::GET, "/readyz", None, None).await;
    ready.assert(200);
    assert_eq!(ready.body["status"], "ready");
}
