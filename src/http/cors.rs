//! Cross-origin requests from the browser front-ends named in `SIPROV_CORS_ORIGINS`.

use actix_cors::Cors;
use actix_web::http::Method;
use actix_web::http::header::{self, HeaderName};

/// The request headers a front-end may send, beyond the CORS-safelisted ones.
const ALLOWED_HEADERS: [HeaderName; 6] = [
    header::AUTHORIZATION,
    header::CONTENT_TYPE,
    header::IF_MATCH,
    header::IF_NONE_MATCH,
    HeaderName::from_static("idempotency-key"),
    HeaderName::from_static("x-request-id"),
];

/// The answer headers a front-end's script may read.
const EXPOSED_HEADERS: [HeaderName; 4] =
    [header::ETAG, header::LOCATION, header::RETRY_AFTER, HeaderName::from_static("x-request-id")];

/// How long a browser may reuse a preflight answer, in seconds.
const PREFLIGHT_MAX_AGE: usize = 600;

/// CORS for exactly `origins` (already checked and lowercased by the settings). Preflights
/// from them are answered before routing (so not with 405); a preflight from any other
/// origin is refused without allow headers. A request from another origin is still served,
/// without CORS headers, so the browser withholds the answer from that origin's script while
/// same-origin pages (Swagger UI) and non-browser clients, which also send `Origin`, work.
/// Tokens travel in `Authorization`, never in cookies, so credentials stay off.
pub fn cors(origins: &[String]) -> Cors {
    let cors = Cors::default()
        .allowed_methods([Method::GET, Method::HEAD, Method::POST, Method::PUT, Method::PATCH, Method::DELETE])
        .allowed_headers(ALLOWED_HEADERS)
        .expose_headers(EXPOSED_HEADERS)
        .max_age(PREFLIGHT_MAX_AGE)
        .block_on_origin_mismatch(false);
    origins.iter().fold(cors, |cors, origin| cors.allowed_origin(origin))
}
