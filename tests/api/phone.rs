//! A phone as a test client: HTTP Digest (RFC 7616, computed here independently of the
//! server's code, with the `md-5` and `sha2` crates directly) and Basic, and a provisioned
//! phone's world: an SP with a SIP service, a user with numbers, a device with lines and a
//! provisioning password.

use awc::http::Method;
use base64::Engine;
use md5::Md5;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::*;

/// How a phone authenticates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Auth {
    Basic,
    DigestMd5,
    DigestSha256,
}

/// A phone's answer: status, headers and body as text.
#[derive(Debug)]
pub struct Fetched {
    pub status: u16,
    pub headers: awc::http::header::HeaderMap,
    pub body: String,
}

impl Fetched {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Every `WWW-Authenticate` value, in order.
    pub fn challenges(&self) -> Vec<String> {
        self.headers.get_all("www-authenticate").filter_map(|v| v.to_str().ok()).map(str::to_owned).collect()
    }

    pub fn code(&self) -> String {
        serde_json::from_str::<Value>(&self.body)
            .ok()
            .and_then(|v| v["code"].as_str().map(str::to_owned))
            .unwrap_or_default()
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn h(algorithm: &str, data: &str) -> String {
    match algorithm {
        "MD5" => hex(&Md5::digest(data.as_bytes())),
        _ => hex(&Sha256::digest(data.as_bytes())),
    }
}

/// A parameter of a challenge: `name="value"` or `name=token`.
pub fn param(challenge: &str, name: &str) -> Option<String> {
    let at = challenge.find(&format!("{name}="))? + name.len() + 1;
    let rest = &challenge[at..];
    Some(match rest.strip_prefix('"') {
        Some(q) => q[..q.find('"')?].to_owned(),
        None => rest.split([',', ' ']).next()?.to_owned(),
    })
}

/// RFC 7616 §3.4 with `qop=auth`, for `method uri`.
#[expect(clippy::too_many_arguments, reason = "each is one field of the Authorization header")]
pub fn digest_authorization(
    algorithm: &str,
    username: &str,
    password: &str,
    realm: &str,
    nonce: &str,
    method: &str,
    uri: &str,
    nc: u32,
) -> String {
    let cnonce = format!("{:016x}", rand_u64());
    let nc = format!("{nc:08x}");
    let ha1 = h(algorithm, &format!("{username}:{realm}:{password}"));
    let ha2 = h(algorithm, &format!("{method}:{uri}"));
    let response = h(algorithm, &format!("{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}"));
    format!(
        "Digest username=\"{username}\", realm=\"{realm}\", nonce=\"{nonce}\", uri=\"{uri}\", \
         algorithm={algorithm}, qop=auth, nc={nc}, cnonce=\"{cnonce}\", response=\"{response}\""
    )
}

fn rand_u64() -> u64 {
    u64::from_le_bytes(uuid::Uuid::new_v4().as_bytes()[..8].try_into().unwrap())
}

pub fn basic_authorization(username: &str, password: &str) -> String {
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}")))
}

impl TestApp {
    /// One raw request to a phone path with the given headers.
    pub async fn phone_request(&self, method: Method, path: &str, headers: &[(&str, String)]) -> Fetched {
        let mut req = self.client.request(method, self.url(path));
        for (name, value) in headers {
            req = req.insert_header((*name, value.clone()));
        }
        let mut res = req.send().await.expect("request sent");
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let body = res.body().limit(1 << 20).await.expect("body");
        Fetched { status, headers, body: String::from_utf8_lossy(&body).into_owned() }
    }

    /// Fetches `file` as a phone does: for Digest, first without credentials, then with
    /// the answer to the challenge of the chosen algorithm; Basic sends its credentials at
    /// once. `extra` headers go on the authenticated request.
    pub async fn phone_fetch(
        &self,
        method: Method,
        file: &str,
        auth: Auth,
        username: &str,
        password: &str,
        extra: &[(&str, String)],
    ) -> Fetched {
        let path = format!("/provisioning/{file}");
        let mut headers: Vec<(&str, String)> = extra.to_vec();
        match auth {
            Auth::Basic => headers.push(("Authorization", basic_authorization(username, password))),
            Auth::DigestMd5 | Auth::DigestSha256 => {
                let algorithm = if auth == Auth::DigestMd5 { "MD5" } else { "SHA-256" };
                let first = self.phone_request(method.clone(), &path, extra).await;
                if first.status != 401 {
                    return first;
                }
                let challenge = first
                    .challenges()
                    .into_iter()
                    .find(|c| c.starts_with("Digest") && c.contains(&format!("algorithm={algorithm}")))
                    .expect("a Digest challenge of the algorithm");
                let realm = param(&challenge, "realm").unwrap();
                let nonce = param(&challenge, "nonce").unwrap();
                headers.push((
                    "Authorization",
                    digest_authorization(algorithm, username, password, &realm, &nonce, method.as_str(), &path, 1),
                ));
            }
        }
        self.phone_request(method, &path, &headers).await
    }

    /// A `POST` without a body.
    pub async fn post_empty(&self, token: &str, path: &str) -> Res {
        self.call(Method::POST, path, Some(token), None).await
    }

    /// The SIP credentials and display name of accounts as the database holds them, by id.
    pub fn db_accounts(&self) -> std::collections::HashMap<String, (String, String, Option<String>)> {
        use diesel::prelude::*;
        use siprov::db::schema::accounts as a;
        let pool = siprov::db::connect_and_migrate(&self.settings.database).unwrap();
        let mut conn = pool.get().unwrap();
        let rows: Vec<(uuid::Uuid, String, String, Option<String>)> =
            a::table.select((a::id, a::sip_username, a::sip_password, a::display_name)).load(&mut **conn).unwrap();
        rows.into_iter().map(|(id, u, p, d)| (id.to_string(), (u, p, d))).collect()
    }

    /// Sets an SP's SIP service as its owner would.
    pub async fn set_sip(&self, token: &str, sp: &str, sip: Value) -> Res {
        self.patch(token, &format!("/v1/service-providers/{sp}"), json!({ "sip": sip })).await
    }
}

/// An account created for a phone line, with its credentials as created.
#[derive(Clone, Debug)]
pub struct LineAccount {
    pub id: String,
    pub number: String,
    pub display_name: Option<String>,
    pub sip_username: String,
    pub sip_password: String,
}

/// A provisioned phone: its tenant, its device and lines, its provisioning login.
pub struct Provisioned {
    pub sp: Node,
    pub org: Node,
    pub user: Node,
    pub device: String,
    pub mac: String,
    pub password: String,
    pub url: String,
    pub lines: Vec<LineAccount>,
}

pub const SIP: fn() -> Value = || json!({"domain": "voice.example.net", "registrar": {"host": "sbc.example.net", "port": 5061, "transport": "tls"}});

/// A unique MAC in 12 lowercase hex digits.
pub fn unique_mac() -> String {
    format!("0004f2{}", &uuid::Uuid::new_v4().simple().to_string()[..6])
}

/// A phone of `vendor` with `lines` numbers of its user, its SP's SIP service set, and a
/// provisioning password issued by the organization's owner.
pub async fn provisioned(app: &TestApp, vendor: &str, lines: usize) -> Provisioned {
    let sp = app.sp("modify").await;
    provisioned_in(app, sp, vendor, lines).await
}

pub async fn provisioned_in(app: &TestApp, sp: Node, vendor: &str, lines: usize) -> Provisioned {
    app.set_sip(&sp.token, &sp.id, SIP()).await.assert(200);
    let org = app.org(&sp, "modify").await;
    let user = app.user(&org, "modify").await;
    let mac = unique_mac();
    let device = app
        .post(
            &org.token,
            &format!("/v1/organizations/{}/devices", org.id),
            json!({"mac_address": mac, "vendor": vendor, "assigned_to": {"type": "user", "id": user.id}}),
        )
        .await;
    device.assert(201);
    let device = device.id();
    let mut accounts = Vec::new();
    for i in 0..lines {
        let number = format!(
            "+49301{}{i}",
            &uuid::Uuid::new_v4()
                .simple()
                .to_string()
                .chars()
                .filter(char::is_ascii_digit)
                .chain("0000000".chars())
                .take(6)
                .collect::<String>()
        );
        let display_name = (i % 2 == 0).then(|| format!("Line & <{i}>"));
        let a = app
            .post(
                &org.token,
                &format!("/v1/users/{}/accounts", user.id),
                json!({"number": number, "display_name": display_name}),
            )
            .await;
        a.assert(201);
        app.post(&org.token, &format!("/v1/devices/{device}/lines"), json!({"account_id": a.id()})).await.assert(201);
        accounts.push(LineAccount {
            id: a.id(),
            number: a.body["number"].as_str().unwrap().to_owned(),
            display_name,
            sip_username: a.body["sip_username"].as_str().unwrap().to_owned(),
            sip_password: a.body["sip_password"].as_str().unwrap().to_owned(),
        });
    }
    let issued = app.post_empty(&org.token, &format!("/v1/devices/{device}/provisioning-password")).await;
    issued.assert(200);
    Provisioned {
        sp,
        org,
        user,
        device,
        mac,
        password: issued.body["password"].as_str().unwrap().to_owned(),
        url: issued.body["url"].as_str().unwrap().to_owned(),
        lines: accounts,
    }
}
