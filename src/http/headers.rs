//! Headers on every answer, errors included.

use std::fmt;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, ResponseError};

/// `X-Content-Type-Options: nosniff` on every answer, so a browser never runs a JSON or
/// problem body as something else; and for any request that carried `Authorization`,
/// `Cache-Control: private` at least, so no shared cache keeps one caller's answer for
/// another. An error that reaches this layer unrendered is wrapped so that its rendering
/// gets the headers too (the request cannot be kept to render it here: routing needs the
/// only reference to it).
pub async fn security_headers<B: MessageBody + 'static>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<B>, actix_web::Error> {
    let authenticated = req.headers().contains_key(header::AUTHORIZATION);
    match next.call(req).await {
        Ok(mut res) => {
            add(res.headers_mut(), authenticated);
            Ok(res)
        }
        Err(error) => Err(WithHeaders { error, authenticated }.into()),
    }
}

fn add(headers: &mut HeaderMap, authenticated: bool) {
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if authenticated {
        make_private(headers);
    }
}

/// An error rendered as it would be, plus the headers.
#[derive(Debug)]
struct WithHeaders {
    error: actix_web::Error,
    authenticated: bool,
}

impl fmt::Display for WithHeaders {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.error.fmt(f)
    }
}

impl ResponseError for WithHeaders {
    fn status_code(&self) -> StatusCode {
        self.error.as_response_error().status_code()
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = self.error.error_response();
        add(res.headers_mut(), self.authenticated);
        res
    }
}

/// Adds `private` to the answer's `Cache-Control` (dropping `public`), unless it already
/// says `private` or `no-store` (the token endpoint's, kept as the handler set it).
fn make_private(headers: &mut HeaderMap) {
    let current = headers.get(header::CACHE_CONTROL).and_then(|v| v.to_str().ok()).unwrap_or("");
    let directives: Vec<&str> = current.split(',').map(str::trim).filter(|d| !d.is_empty()).collect();
    let is = |d: &str, name: &str| d.split('=').next().is_some_and(|n| n.trim().eq_ignore_ascii_case(name));
    if directives.iter().any(|d| is(d, "private") || is(d, "no-store")) {
        return;
    }
    let value =
        std::iter::once("private").chain(directives.into_iter().filter(|d| !is(d, "public"))).collect::<Vec<_>>();
    if let Ok(v) = HeaderValue::from_str(&value.join(", ")) {
        headers.insert(header::CACHE_CONTROL, v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn private(current: Option<&str>) -> String {
        let mut h = HeaderMap::new();
        if let Some(c) = current {
            h.insert(header::CACHE_CONTROL, HeaderValue::from_str(c).unwrap());
        }
        make_private(&mut h);
        h.get(header::CACHE_CONTROL).unwrap().to_str().unwrap().to_owned()
    }

    #[test]
    fn an_authenticated_answer_becomes_private_and_keeps_a_stricter_directive() {
        assert_eq!(private(None), "private");
        assert_eq!(private(Some("no-store")), "no-store");
        assert_eq!(private(Some("private, max-age=60")), "private, max-age=60");
        assert_eq!(private(Some("public, max-age=60")), "private, max-age=60");
        assert_eq!(private(Some("max-age=0, must-revalidate")), "private, max-age=0, must-revalidate");
    }
}
