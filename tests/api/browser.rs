//! What browsers and the machines in front of the API see: CORS for configured origins,
//! `nosniff` and `Cache-Control` on every answer, and `HEAD` wherever `GET` is served.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use awc::http::Method;
use awc::http::header::HeaderMap;
use serde_json::json;

use crate::helpers::*;

const PORTAL: &str = "https://portal.example.com";

/// What came back: status, headers and the raw body.
struct Answer {
    status: u16,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// A comma-separated header as a lowercase set.
    fn list(&self, name: &str) -> Vec<String> {
        let mut items: Vec<String> =
            self.header(name).unwrap_or("").split(',').map(|s| s.trim().to_ascii_lowercase()).collect();
        items.retain(|s| !s.is_empty());
        items.sort();
        items
    }

    /// The headers to compare between `GET` and `HEAD`: all but those that differ per answer.
    fn comparable_headers(&self) -> Vec<(String, String)> {
        let mut h: Vec<(String, String)> = self
            .headers
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "date" | "x-request-id"))
            .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
            .collect();
        h.sort();
        h
    }
}

async fn send(app: &TestApp, method: Method, path: &str, headers: &[(&str, &str)]) -> Answer {
    let mut req = app.client.request(method, app.url(path));
    for (k, v) in headers {
        req = req.insert_header((*k, *v));
    }
    let mut res = req.send().await.expect("request sent");
    let body = res.body().limit(16 * 1024 * 1024).await.expect("body").to_vec();
    Answer { status: res.status().as_u16(), headers: res.headers().clone(), body }
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

async fn spawn_with_portal() -> TestApp {
    spawn_app_with(|s| s.cors_origins = vec![PORTAL.to_owned(), "http://localhost:3000".to_owned()]).await
}

fn preflight<'a>(origin: &'a str, method: &'a str, headers: &'a str) -> [(&'a str, &'a str); 3] {
    [("Origin", origin), ("Access-Control-Request-Method", method), ("Access-Control-Request-Headers", headers)]
}

#[actix_web::test]
async fn a_preflight_from_a_listed_origin_is_answered_before_routing_with_what_the_api_allows() {
    let app = spawn_with_portal().await;
    for (path, method) in [("/v1/me", "GET"), ("/v1/service-providers", "POST"), ("/v1/devices/x", "DELETE")] {
        let res = send(
            &app,
            Method::OPTIONS,
            path,
            &preflight(PORTAL, method, "authorization, content-type, if-match, idempotency-key"),
        )
        .await;
        assert_eq!(res.status, 200, "{path}: {}", String::from_utf8_lossy(&res.body));
        assert_eq!(res.header("access-control-allow-origin"), Some(PORTAL));
        assert_eq!(res.list("access-control-allow-methods"), ["delete", "get", "head", "patch", "post", "put"]);
        assert_eq!(
            res.list("access-control-allow-headers"),
            ["authorization", "content-type", "idempotency-key", "if-match", "if-none-match", "x-request-id"]
        );
        assert!(res.header("access-control-max-age").is_some());
        assert_eq!(res.header("access-control-allow-credentials"), None, "tokens are not cookies");
        assert!(res.list("vary").contains(&"origin".to_owned()));
    }
}

#[actix_web::test]
async fn a_preflight_from_an_unlisted_origin_or_for_an_unlisted_header_gets_no_allow_headers() {
    let app = spawn_with_portal().await;
    for headers in [
        preflight("https://evil.example.com", "GET", "authorization"),
        preflight("https://portal.example.com.evil.example", "GET", "authorization"),
        preflight("http://portal.example.com", "GET", "authorization"),
        preflight(PORTAL, "GET", "x-evil"),
        preflight(PORTAL, "TRACE", "authorization"),
    ] {
        let res = send(&app, Method::OPTIONS, "/v1/me", &headers).await;
        assert_ne!(res.status, 200, "{headers:?}");
        for allow in ["access-control-allow-origin", "access-control-allow-methods", "access-control-allow-headers"] {
            assert_eq!(res.header(allow), None, "{headers:?}: {allow}");
        }
        assert_eq!(res.header("content-type"), Some("application/problem+json"), "{headers:?}");
        assert_eq!(res.header("x-content-type-options"), Some("nosniff"));
    }
}

#[actix_web::test]
async fn a_listed_origin_may_read_the_answer_and_its_exposed_headers_and_others_are_served_without_them() {
    let app = spawn_with_portal().await;
    let auth = bearer(&app.admin);
    let res = send(&app, Method::GET, "/v1/me", &[("Origin", PORTAL), ("Authorization", &auth)]).await;
    assert_eq!(res.status, 200);
    assert_eq!(res.header("access-control-allow-origin"), Some(PORTAL));
    assert_eq!(res.list("access-control-expose-headers"), ["etag", "location", "retry-after", "x-request-id"]);
    // An error is readable too, or the front-end could not show why.
    let res = send(&app, Method::GET, "/v1/me", &[("Origin", PORTAL)]).await;
    assert_eq!((res.status, res.header("access-control-allow-origin")), (401, Some(PORTAL)));
    // Another origin (or this server's own Swagger UI) is served, without the allow header:
    // the browser keeps the answer from another site's script.
    let res =
        send(&app, Method::GET, "/v1/me", &[("Origin", "https://evil.example.com"), ("Authorization", &auth)]).await;
    assert_eq!(res.status, 200);
    assert_eq!(res.header("access-control-allow-origin"), None);
}

#[actix_web::test]
async fn without_configured_origins_no_cors_header_is_ever_sent_and_a_preflight_is_405() {
    let app = spawn_app().await;
    let res = send(&app, Method::OPTIONS, "/v1/me", &preflight(PORTAL, "GET", "authorization")).await;
    assert_eq!(res.status, 405);
    assert_eq!(res.header("allow"), Some("GET, HEAD"));
    let res = send(&app, Method::GET, "/v1/me", &[("Origin", PORTAL), ("Authorization", &bearer(&app.admin))]).await;
    assert_eq!(res.status, 200);
    let cors: Vec<&str> = res.headers.keys().map(|k| k.as_str()).filter(|k| k.starts_with("access-control-")).collect();
    assert!(cors.is_empty(), "{cors:?}");
}

#[actix_web::test]
async fn every_answer_carries_nosniff_errors_and_swagger_ui_included() {
    let app = spawn_app().await;
    let auth = bearer(&app.admin);
    for (method, path, headers, status) in [
        (Method::GET, "/healthz", vec![], 200),
        (Method::GET, "/no-such-page", vec![], 404),
        (Method::GET, "/docs/", vec![], 200),
        (Method::GET, "/docs/no-such-file.js", vec![], 404),
        (Method::GET, "/openapi.json", vec![], 200),
        (Method::GET, "/v1/me", vec![], 401),
        (Method::GET, "/v1/me", vec![("Authorization", auth.as_str())], 200),
        (Method::PUT, "/v1/me", vec![("Authorization", auth.as_str())], 405),
        (Method::POST, "/v1/auth/token", vec![("Content-Type", "text/plain")], 415),
    ] {
        let res = send(&app, method.clone(), path, &headers).await;
        assert_eq!(res.status, status, "{method} {path}");
        assert_eq!(res.header("x-content-type-options"), Some("nosniff"), "{method} {path}");
    }
}

#[actix_web::test]
async fn an_authenticated_answer_is_private_and_the_token_answer_stays_no_store() {
    let app = spawn_app().await;
    let auth = bearer(&app.admin);
    let sp = app.sp("modify").await;
    for (path, status) in [
        ("/v1/me".to_owned(), 200),
        (format!("/v1/service-providers/{}", sp.id), 200),
        ("/v1/service-providers".to_owned(), 200),
        ("/v1/no-such-thing".to_owned(), 404),
    ] {
        let res = send(&app, Method::GET, &path, &[("Authorization", &auth)]).await;
        assert_eq!(res.status, status, "{path}");
        assert_eq!(res.header("cache-control"), Some("private"), "{path}");
    }
    // A token that does not verify is still a caller's credential: its 401 is private too.
    let res = send(&app, Method::GET, "/v1/me", &[("Authorization", "Bearer not-a-token")]).await;
    assert_eq!((res.status, res.header("cache-control")), (401, Some("private")));
    // The token answer carries a secret: no-store, as the handler set it, with or without
    // an Authorization header on the request.
    let body = json!({"grant_type": "password", "username": ADMIN, "password": PASSWORD});
    for auth in [None, Some(auth.as_str())] {
        let mut req = app.client.post(app.url("/v1/auth/token"));
        if let Some(a) = auth {
            req = req.insert_header(("Authorization", a));
        }
        let res = req.send_json(&body).await.expect("send");
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers().get("cache-control").and_then(|v| v.to_str().ok()), Some("no-store"), "{auth:?}");
    }
    // Public answers are left to the handler.
    let res = send(&app, Method::GET, "/healthz", &[]).await;
    assert_eq!(res.header("cache-control"), None);
}

#[actix_web::test]
async fn head_answers_with_the_status_and_headers_of_get_and_no_body() {
    let app = spawn_app().await;
    let sp = app.sp("modify").await;
    let auth = bearer(&app.admin);
    let sp_path = format!("/v1/service-providers/{}", sp.id);
    for (path, headers, status) in [
        ("/healthz", vec![], 200),
        ("/readyz", vec![], 200),
        ("/openapi.json", vec![], 200),
        ("/docs/", vec![], 200),
        ("/v1/me", vec![("Authorization", auth.as_str())], 200),
        (sp_path.as_str(), vec![("Authorization", auth.as_str())], 200),
        ("/v1/service-providers?limit=1", vec![("Authorization", auth.as_str())], 200),
        ("/v1/me", vec![], 401),
        ("/v1/service-providers/not-a-uuid", vec![("Authorization", auth.as_str())], 404),
        ("/no-such-page", vec![], 404),
        ("/v1/no-such-thing", vec![("Authorization", auth.as_str())], 404),
        ("/v1/auth/token", vec![], 405),
    ] {
        let get = send(&app, Method::GET, path, &headers).await;
        let head = send(&app, Method::HEAD, path, &headers).await;
        assert_eq!(get.status, status, "GET {path}");
        assert_eq!(head.status, status, "HEAD {path}");
        assert_eq!(head.comparable_headers(), get.comparable_headers(), "HEAD {path}");
        assert!(head.body.is_empty(), "HEAD {path} sent a body");
        assert!(head.header("x-request-id").is_some(), "HEAD {path}");
    }
}

/// On the wire: `Content-Length` is the length of the `GET` body, and no byte of it follows.
#[actix_web::test]
async fn head_on_the_wire_sends_the_get_content_length_and_not_one_body_byte() {
    let app = spawn_app().await;
    let get = send(&app, Method::GET, "/openapi.json", &[]).await;
    let port = app.base.rsplit(':').next().expect("port").to_owned();
    let mut stream = TcpStream::connect(format!("127.0.0.1:{port}")).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
    stream.write_all(b"HEAD /openapi.json HTTP/1.1\r\nHost: siprov\r\nConnection: close\r\n\r\n").expect("write");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read until the server closes");
    let text = String::from_utf8_lossy(&raw);
    let (head, rest) = text.split_once("\r\n\r\n").expect("a complete header block");
    assert!(head.starts_with("HTTP/1.1 200 OK"), "{head}");
    assert!(head.contains(&format!("content-length: {}", get.body.len())), "{head}");
    assert!(get.body.len() > 1000);
    assert_eq!(rest, "", "bytes after the HEAD answer's headers");
}
