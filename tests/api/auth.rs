//! `POST /v1/auth/token` and Bearer token validation on `/v1/me` (api.md § Authentication).

use std::time::{SystemTime, UNIX_EPOCH};

use awc::http::Method;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use siprov::config::Secret;

use crate::helpers::*;
use crate::nodes::assert_problem;

/// The signing secret of the apps that forge tokens.
const SECRET: &str = "integration-test-signing-secret-0123456789";

async fn spawn_with_known_secret() -> TestApp {
    spawn_app_with(|s| s.jwt_secret = Some(Secret::new(SECRET))).await
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).expect("clock after 1970").as_secs()
}

/// The login id inside a token the app issued.
fn subject_of(token: &str) -> String {
    let claims: Value = jsonwebtoken::dangerous::insecure_decode_claims(token).expect("the app issues JWTs");
    claims["sub"].as_str().expect("sub is a string").to_owned()
}

/// Claims the app would accept for `sub`, valid for five more minutes.
fn valid_claims(sub: &str) -> Value {
    let now = now();
    json!({
        "iss": "siprov",
        "aud": "siprov-api",
        "sub": sub,
        "exp": now + 300,
        "iat": now,
        "jti": uuid::Uuid::new_v4().to_string(),
    })
}

/// A token as the app makes them: `kid` names the key of `secret`.
fn sign(alg: Algorithm, claims: &Value, secret: &str) -> String {
    let mut header = Header::new(alg);
    header.kid = Some(siprov::auth::token::key_id(secret.as_bytes()));
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_secret(secret.as_bytes())).expect("sign")
}

/// Unpadded base64url, for a hand-made `alg: none` token.
fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

async fn token_request(app: &TestApp, body: Value) -> Res {
    app.call(Method::POST, "/v1/auth/token", None, Some(body)).await
}

async fn form_token_request(app: &TestApp, form: &str) -> Res {
    app.send_raw(Method::POST, "/v1/auth/token", None, "application/x-www-form-urlencoded", form.as_bytes().to_vec())
        .await
}

/// `GET /v1/me` with a raw `Authorization` header value (or none).
async fn me_with_header(app: &TestApp, authorization: Option<&str>) -> Res {
    let mut req = app.client.get(app.url("/v1/me"));
    if let Some(value) = authorization {
        req = req.insert_header(("Authorization", value));
    }
    let mut res = req.send().await.expect("request sent");
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let bytes = res.body().await.expect("body");
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Res { status, body, headers }
}

/// A 401 problem carrying a `WWW-Authenticate: Bearer ...` challenge.
#[track_caller]
fn assert_bearer_challenge(res: &Res, what: &str) {
    assert_eq!(res.status, 401, "{what}: expected 401, body: {}", res.body);
    assert_problem(res, 401);
    let challenge = res
        .headers
        .get("www-authenticate")
        .unwrap_or_else(|| panic!("{what}: 401 without WWW-Authenticate"))
        .to_str()
        .expect("ascii header");
    assert!(challenge.starts_with("Bearer"), "{what}: WWW-Authenticate is {challenge:?}");
}

#[actix_web::test]
async fn a_json_password_grant_returns_a_bearer_token_valid_for_900_seconds() {
    let app = spawn_app().await;
    let res = token_request(&app, json!({"grant_type": "password", "username": ADMIN, "password": PASSWORD})).await;
    res.assert(200);
    assert_eq!(res.body["token_type"], "Bearer");
    assert_eq!(res.body["expires_in"], 900);
    let token = res.body["access_token"].as_str().expect("access_token is a string");
    assert_eq!(
        res.headers.get("cache-control").and_then(|v| v.to_str().ok()),
        Some("no-store"),
        "token responses must not be cached (RFC 6749 §5.1)"
    );
    let me = app.get(token, "/v1/me").await;
    me.assert(200);
    assert_eq!(me.body["username"], ADMIN);
    assert_eq!(me.body["role"], "system_admin");
}

#[actix_web::test]
async fn a_form_encoded_password_grant_returns_a_token_like_oauth_clients_send_it() {
    let app = spawn_app().await;
    let sp = app.sp("view").await;
    let res =
        form_token_request(&app, &format!("grant_type=password&username={}&password={PASSWORD}", sp.username)).await;
    res.assert(200);
    assert_eq!(res.body["token_type"], "Bearer");
    assert_eq!(res.body["expires_in"], 900);
    let me = app.get(res.body["access_token"].as_str().expect("token"), "/v1/me").await;
    me.assert(200);
    assert_eq!(me.body["username"], sp.username.as_str());
    assert_eq!(me.body["role"], "service_provider");
}

#[actix_web::test]
async fn a_wrong_password_and_an_unknown_user_are_both_401_invalid_grant_and_look_the_same() {
    let app = spawn_app().await;
    let wrong_password =
        token_request(&app, json!({"grant_type": "password", "username": ADMIN, "password": "not-the-password"})).await;
    let unknown_user =
        token_request(&app, json!({"grant_type": "password", "username": "nobody-here", "password": PASSWORD})).await;
    for (what, res) in [("wrong password", &wrong_password), ("unknown user", &unknown_user)] {
        assert_eq!(res.status, 401, "{what}: {}", res.body);
        assert_problem(res, 401);
        assert_eq!(res.code(), "invalid_grant", "{what}");
        assert!(
            res.headers.get("www-authenticate").is_some_and(|v| v.to_str().is_ok_and(|v| v.starts_with("Bearer"))),
            "{what}: 401 without a Bearer challenge"
        );
    }
    assert_eq!(wrong_password.body, unknown_user.body, "the answer must not tell whether the username exists");
    let form = form_token_request(&app, "grant_type=password&username=admin&password=not-the-password").await;
    assert_eq!((form.status, form.code()), (401, "invalid_grant"), "form body: {}", form.body);
}

#[actix_web::test]
async fn a_token_request_missing_a_field_is_400_invalid_request() {
    let app = spawn_app().await;
    for body in [
        json!({"username": ADMIN, "password": PASSWORD}),
        json!({"grant_type": "password", "password": PASSWORD}),
        json!({"grant_type": "password", "username": ADMIN}),
        json!({}),
        json!({"grant_type": "password", "username": 7, "password": PASSWORD}),
    ] {
        let res = token_request(&app, body.clone()).await;
        assert_eq!((res.status, res.code()), (400, "invalid_request"), "for {body}: {}", res.body);
        assert_problem(&res, 400);
    }
    for form in ["username=admin&password=x", "grant_type=password&username=admin", ""] {
        let res = form_token_request(&app, form).await;
        assert_eq!((res.status, res.code()), (400, "invalid_request"), "for form {form:?}: {}", res.body);
        assert_problem(&res, 400);
    }
}

#[actix_web::test]
async fn a_grant_type_other_than_password_or_client_credentials_is_400_unsupported_grant_type() {
    let app = spawn_app().await;
    for grant in ["authorization_code", "refresh_token", "PASSWORD", "CLIENT_CREDENTIALS"] {
        let res = token_request(&app, json!({"grant_type": grant, "username": ADMIN, "password": PASSWORD})).await;
        assert_eq!((res.status, res.code()), (400, "unsupported_grant_type"), "for {grant}: {}", res.body);
        assert_problem(&res, 400);
    }
    let form = form_token_request(&app, &format!("grant_type=implicit&username=admin&password={PASSWORD}")).await;
    assert_eq!((form.status, form.code()), (400, "unsupported_grant_type"), "form body: {}", form.body);
    // client_credentials is an API client's grant (K3): a username and password are no
    // client credentials.
    let res =
        token_request(&app, json!({"grant_type": "client_credentials", "username": ADMIN, "password": PASSWORD})).await;
    assert_eq!((res.status, res.code()), (400, "invalid_request"), "{}", res.body);
}

#[actix_web::test]
async fn me_without_a_token_is_401_with_a_bearer_challenge() {
    let app = spawn_app().await;
    let res = me_with_header(&app, None).await;
    assert_bearer_challenge(&res, "no Authorization header");
}

#[actix_web::test]
async fn me_with_a_malformed_authorization_header_is_401_with_a_bearer_challenge() {
    let app = spawn_app().await;
    let basic = "Basic YWRtaW46Y29ycmVjdC1ob3JzZS1iYXR0ZXJ5";
    let token_without_scheme = app.admin.clone();
    let glued = format!("Bearer{}", app.admin);
    let other_scheme = format!("Token {}", app.admin);
    for header in ["Bearer", "Bearer ", "Bearer    ", basic, &token_without_scheme, &glued, &other_scheme] {
        let res = me_with_header(&app, Some(header)).await;
        assert_bearer_challenge(&res, &format!("Authorization: {header:?}"));
    }
    // The same token, well formed, is accepted: the refusals above are about the header.
    me_with_header(&app, Some(&format!("Bearer {}", app.admin))).await.assert(200);
}

#[actix_web::test]
async fn me_with_a_garbage_token_is_401_with_a_bearer_challenge() {
    let app = spawn_app().await;
    let mut truncated = app.admin.clone();
    truncated.truncate(app.admin.len() - 5);
    // Flip the first character of the signature: all six of its bits are significant.
    let signature_start = app.admin.rfind('.').expect("a JWT has three parts") + 1;
    let mut tampered = app.admin.clone();
    let first = if app.admin[signature_start..].starts_with('A') { "B" } else { "A" };
    tampered.replace_range(signature_start..=signature_start, first);
    for token in ["garbage", "a.b.c", "eyJhbGciOiJIUzI1NiJ9.e30.", &truncated, &tampered] {
        let res = app.get(token, "/v1/me").await;
        assert_bearer_challenge(&res, &format!("token {token:?}"));
    }
}

#[actix_web::test]
async fn a_token_forged_with_the_right_secret_is_accepted_which_proves_the_refusals_below_are_about_the_claims() {
    let app = spawn_with_known_secret().await;
    let sub = subject_of(&app.admin);
    let token = sign(Algorithm::HS256, &valid_claims(&sub), SECRET);
    let me = app.get(&token, "/v1/me").await;
    me.assert(200);
    assert_eq!(me.body["username"], ADMIN);
}

#[actix_web::test]
async fn a_token_signed_with_another_secret_is_401() {
    let app = spawn_with_known_secret().await;
    let sub = subject_of(&app.admin);
    let token = sign(Algorithm::HS256, &valid_claims(&sub), "another-secret-of-at-least-32-bytes-long!");
    assert_bearer_challenge(&app.get(&token, "/v1/me").await, "foreign secret");
}

#[actix_web::test]
async fn an_expired_token_beyond_the_leeway_is_401() {
    let app = spawn_with_known_secret().await;
    let sub = subject_of(&app.admin);
    let mut claims = valid_claims(&sub);
    claims["iat"] = json!(now() - 1500);
    claims["exp"] = json!(now() - 600);
    let token = sign(Algorithm::HS256, &claims, SECRET);
    assert_bearer_challenge(&app.get(&token, "/v1/me").await, "expired ten minutes ago");
}

#[actix_web::test]
async fn a_token_for_another_audience_or_from_another_issuer_is_401() {
    let app = spawn_with_known_secret().await;
    let sub = subject_of(&app.admin);
    for (field, value) in [("aud", "another-api"), ("iss", "someone-else"), ("aud", ""), ("iss", "")] {
        let mut claims = valid_claims(&sub);
        claims[field] = json!(value);
        let token = sign(Algorithm::HS256, &claims, SECRET);
        assert_bearer_challenge(&app.get(&token, "/v1/me").await, &format!("{field} = {value:?}"));
    }
    for missing in ["aud", "iss", "exp", "sub"] {
        let mut claims = valid_claims(&sub);
        claims.as_object_mut().expect("object").remove(missing);
        let token = sign(Algorithm::HS256, &claims, SECRET);
        assert_bearer_challenge(&app.get(&token, "/v1/me").await, &format!("without {missing}"));
    }
}

#[actix_web::test]
async fn a_token_signed_with_another_algorithm_or_none_is_401() {
    let app = spawn_with_known_secret().await;
    let sub = subject_of(&app.admin);
    let claims = valid_claims(&sub);
    for alg in [Algorithm::HS512, Algorithm::HS384] {
        let token = sign(alg, &claims, SECRET);
        assert_bearer_challenge(&app.get(&token, "/v1/me").await, &format!("{alg:?}"));
    }
    let header = base64url(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = base64url(claims.to_string().as_bytes());
    let unsigned = format!("{header}.{payload}.");
    assert_bearer_challenge(&app.get(&unsigned, "/v1/me").await, "alg none");
}

#[actix_web::test]
async fn a_well_signed_token_for_a_login_that_does_not_exist_is_401() {
    let app = spawn_with_known_secret().await;
    for sub in [uuid::Uuid::new_v4().to_string(), "not-a-uuid".to_owned()] {
        let token = sign(Algorithm::HS256, &valid_claims(&sub), SECRET);
        assert_bearer_challenge(&app.get(&token, "/v1/me").await, &format!("sub {sub:?}"));
    }
}

#[actix_web::test]
async fn the_token_of_a_deleted_login_is_401_on_the_very_next_request() {
    let app = spawn_app().await;
    let sp = app.sp("modify").await;
    let org = app.org(&sp, "modify").await;
    let user = app.user(&org, "modify").await;
    let token = app.login(&user.username, PASSWORD).await;
    app.get(&token, "/v1/me").await.assert(200);
    app.delete(&app.admin, &format!("/v1/users/{}", user.id)).await.assert(204);
    assert_bearer_challenge(&app.get(&token, "/v1/me").await, "deleted login");
    assert_bearer_challenge(&app.get(&user.token, "/v1/me").await, "deleted login, first token");
    let again =
        token_request(&app, json!({"grant_type": "password", "username": user.username, "password": PASSWORD})).await;
    assert_eq!((again.status, again.code()), (401, "invalid_grant"), "body: {}", again.body);
}

// ---------------------------------------------------------------------------------------
// Strict tokens (RFC 8725): the leeway, the header, the key ids, rotation
// ---------------------------------------------------------------------------------------

/// A token with exactly this header and these claims, HMAC-SHA256-signed with `secret`.
fn forge(header: &Value, claims: &Value, secret: &str) -> String {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use hmac::{Hmac, Mac};
    let input =
        format!("{}.{}", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(claims.to_string()));
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
}

/// The header the app writes: HS256, JWT, and the key id of `secret`.
fn header_for(secret: &str) -> Value {
    json!({"alg": "HS256", "typ": "JWT", "kid": siprov::auth::token::key_id(secret.as_bytes())})
}

#[actix_web::test]
async fn tokens_carry_the_key_id_of_the_signing_secret_and_a_header_of_alg_typ_and_kid_only() {
    let app = spawn_with_known_secret().await;
    let header = jsonwebtoken::decode_header(&app.admin).unwrap();
    assert_eq!(header.alg, Algorithm::HS256);
    assert_eq!(header.kid, Some(siprov::auth::token::key_id(SECRET.as_bytes())));
    let raw: Value = {
        use base64::Engine;
        let first = app.admin.split('.').next().unwrap();
        serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(first).unwrap()).unwrap()
    };
    let mut names: Vec<&String> = raw.as_object().unwrap().keys().collect();
    names.sort();
    assert_eq!(names, ["alg", "kid", "typ"]);
    // A hand-made token of that shape is accepted: the refusals below are about what differs.
    let sub = subject_of(&app.admin);
    app.get(&forge(&header_for(SECRET), &valid_claims(&sub), SECRET), "/v1/me").await.assert(200);
}

#[actix_web::test]
async fn exp_nbf_and_iat_are_checked_with_five_seconds_of_leeway_not_sixty() {
    let app = spawn_with_known_secret().await;
    let sub = subject_of(&app.admin);
    let now = now();
    for (field, value, accepted) in [
        ("exp", now - 2, true),
        ("exp", now - 10, false),
        ("exp", now - 59, false),
        ("nbf", now + 2, true),
        ("nbf", now + 10, false),
        ("nbf", now + 3600, false),
        ("iat", now + 2, true),
        ("iat", now + 10, false),
    ] {
        let mut claims = valid_claims(&sub);
        claims[field] = json!(value);
        let res = app.get(&forge(&header_for(SECRET), &claims, SECRET), "/v1/me").await;
        if accepted {
            assert_eq!(res.status, 200, "{field} {}s from now: {}", value as i64 - now as i64, res.body);
        } else {
            assert_bearer_challenge(&res, &format!("{field} {}s from now", value as i64 - now as i64));
        }
    }
    let mut claims = valid_claims(&sub);
    claims.as_object_mut().unwrap().remove("iat");
    assert_bearer_challenge(&app.get(&forge(&header_for(SECRET), &claims, SECRET), "/v1/me").await, "without iat");
}

#[actix_web::test]
async fn a_header_parameter_other_than_alg_typ_and_kid_is_401_even_on_a_well_signed_token() {
    let app = spawn_with_known_secret().await;
    let claims = valid_claims(&subject_of(&app.admin));
    for (name, value) in [
        ("jku", json!(format!("{}/v1/keys", app.base))),
        ("x5u", json!("https://attacker.example/cert.pem")),
        ("jwk", json!({"kty": "oct", "k": "c2VjcmV0"})),
        ("x5c", json!(["MIIBszCCAVmgAwIBAgIU"])),
        ("x5t", json!("dGh1bWI")),
        ("crit", json!(["exp"])),
        ("cty", json!("JWT")),
        ("b64", json!(false)),
    ] {
        let mut header = header_for(SECRET);
        header[name] = value;
        assert_bearer_challenge(&app.get(&forge(&header, &claims, SECRET), "/v1/me").await, &format!("header {name}"));
    }
    let mut header = header_for(SECRET);
    header["typ"] = json!("at+jwt");
    assert_bearer_challenge(&app.get(&forge(&header, &claims, SECRET), "/v1/me").await, "typ at+jwt");
}

#[actix_web::test]
async fn a_kid_that_names_no_configured_key_is_401_even_with_the_right_signature() {
    let app = spawn_with_known_secret().await;
    let claims = valid_claims(&subject_of(&app.admin));
    for kid in [json!("../../../../../../dev/null"), json!("/etc/passwd"), json!("0"), json!(""), json!(1)] {
        let header = json!({"alg": "HS256", "typ": "JWT", "kid": kid});
        assert_bearer_challenge(&app.get(&forge(&header, &claims, SECRET), "/v1/me").await, &format!("kid {kid}"));
    }
    let header = json!({"alg": "HS256", "typ": "JWT"});
    assert_bearer_challenge(&app.get(&forge(&header, &claims, SECRET), "/v1/me").await, "no kid");
}

#[actix_web::test]
async fn a_previous_secret_still_verifies_its_tokens_while_only_the_new_one_signs() {
    const NEW: &str = "the-next-signing-secret-0123456789abcdef";
    let app = spawn_app_with(|s| {
        s.jwt_secret = Some(Secret::new(NEW));
        s.jwt_previous_secrets = vec![Secret::new(SECRET)];
    })
    .await;
    let sub = subject_of(&app.admin);
    let old = forge(&header_for(SECRET), &valid_claims(&sub), SECRET);
    app.get(&old, "/v1/me").await.assert(200);
    assert_eq!(jsonwebtoken::decode_header(&app.admin).unwrap().kid, Some(siprov::auth::token::key_id(NEW.as_bytes())));
    app.get(&app.admin, "/v1/me").await.assert(200);
    // A token signed with the previous secret cannot claim the new key's id, nor the reverse.
    assert_bearer_challenge(
        &app.get(&forge(&header_for(NEW), &valid_claims(&sub), SECRET), "/v1/me").await,
        "old secret, new kid",
    );
    assert_bearer_challenge(
        &app.get(&forge(&header_for(SECRET), &valid_claims(&sub), NEW), "/v1/me").await,
        "new secret, old kid",
    );
}
