//! What phones fetch: `GET /provisioning/{file}` (and Polycom's log uploads, `PUT`), outside
//! `/v1` and outside the token middleware: phones authenticate with HTTP Digest or Basic
//! (F4), decided in `service::provisioning::phone`.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, ResponseError, get, put, web};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::db::Session;
use crate::domain::code::Code;
use crate::error::{ApiError, Problem};
use crate::http::client_address::client_address;
use crate::http::head::method_as_sent;
use crate::service::provisioning::phone::{self, PhoneAnswer, PhoneRequest};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(fetch_file).service(upload_log);
}

/// A file a phone fetches (F4–F8). Yealink: `y000000000000.boot`, `y0000000000NN.cfg`,
/// `{mac}.boot`, `{mac}.cfg`; Polycom: `000000000000.cfg`, `{mac}.cfg`, `{mac}-siprov.cfg`;
/// Grandstream: `cfg{mac}.xml`. `{mac}` is 12 lowercase hex digits. The phone
/// authenticates with Digest (SHA-256 or MD5, `qop=auth`) or Basic as its MAC and its
/// provisioning password; it gets its own files and the shared ones only.
#[utoipa::path(tag = "provisioning", params(("file" = String, Path, description = "the file name, as the phone asks for it")),
    security(("phone_digest" = []), ("phone_basic" = [])),
    responses(
    (status = 200, description = "the file, in its vendor's format, with a strong `ETag`", content((String = "text/plain"), (String = "application/xml"))),
    (status = 304, description = "`If-None-Match` named the current `ETag` (F6)"),
    (status = 401, body = Problem, content_type = "application/problem+json", description = "`invalid_credentials`: missing or wrong credentials or an unknown MAC, one answer for all (F4); `WWW-Authenticate` offers Digest SHA-256, Digest MD5, then Basic"),
    (status = 404, body = Problem, content_type = "application/problem+json", description = "`not_found`: no such file, another phone's file (F5), an unknown vendor (F6), or no SIP service yet"),
    (status = 405, body = Problem, content_type = "application/problem+json", description = "`method_not_allowed`: a log file is uploaded, not fetched"),
    (status = 409, body = Problem, content_type = "application/problem+json", description = "`config_not_renderable`: more lines than the vendor's template configures"),
    (status = 429, body = Problem, content_type = "application/problem+json", description = "`too_many_attempts`: 10 failed authentications from this address within 5 minutes (F7); `Retry-After`"),
))]
#[get("/provisioning/{file}")]
pub async fn fetch_file(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    answer(req, state).await
}

/// Polycom's log uploads (`{mac}-app.log`, `{mac}-boot.log`): authenticated like a fetch,
/// accepted and not kept.
#[utoipa::path(tag = "provisioning", params(("file" = String, Path, description = "`{mac}-app.log` or `{mac}-boot.log`")),
    security(("phone_digest" = []), ("phone_basic" = [])),
    responses(
    (status = 204, description = "accepted, not kept"),
    (status = 401, body = Problem, content_type = "application/problem+json", description = "`invalid_credentials` (F4)"),
    (status = 404, body = Problem, content_type = "application/problem+json", description = "`not_found`: not this phone's log file (F5)"),
    (status = 405, body = Problem, content_type = "application/problem+json", description = "`method_not_allowed`: only log files are uploaded"),
    (status = 429, body = Problem, content_type = "application/problem+json", description = "`too_many_attempts` (F7)"),
))]
#[put("/provisioning/{file}")]
pub async fn upload_log(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    answer(req, state).await
}

async fn answer(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let phones = &state.phones;
    let header = |name: header::HeaderName| req.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let address = client_address(
        req.peer_addr().map(|a| a.ip()),
        req.headers().get("x-forwarded-for").and_then(|v| v.to_str().ok()),
        &phones.trusted_proxies,
    )
    .map_or_else(|| "unknown".to_owned(), |a| a.to_string());
    let target = req.uri().path_and_query().map_or_else(|| req.uri().path().to_owned(), |p| p.as_str().to_owned());
    let file = req.uri().path().strip_prefix("/provisioning/").unwrap_or_default().to_owned();
    let request = PhoneRequest {
        method: method_as_sent(&req).to_string(),
        target,
        file,
        authorization: req.headers().get(header::AUTHORIZATION).map(|v| v.as_bytes().to_vec()),
        address,
        user_agent: header(header::USER_AGENT).filter(|ua| ua.len() <= 512),
        if_none_match: header(header::IF_NONE_MATCH),
        now: std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs()),
    };
    let now = request.now;
    let state2 = state.clone();
    let base_url = phones.provisioning_url();
    let answer = Session::new(state.pool.clone())
        .run(move |s| phone::fetch(s.conn()?, &state2.phones.auth, &base_url, &request))
        .await?;
    Ok(match answer {
        PhoneAnswer::Challenge { stale } => {
            let mut res = problem(
                StatusCode::UNAUTHORIZED,
                Code::InvalidCredentials,
                "authenticate as the phone's MAC with its provisioning password",
            );
            for challenge in phones.auth.challenges(now, stale) {
                if let Ok(v) = HeaderValue::from_str(&challenge) {
                    res.headers_mut().append(header::WWW_AUTHENTICATE, v);
                }
            }
            res
        }
        PhoneAnswer::Throttled { retry_after_secs } => {
            let mut res = problem(
                StatusCode::TOO_MANY_REQUESTS,
                Code::TooManyAttempts,
                "too many failed authentications from this address (rule F7); retry after Retry-After seconds",
            );
            res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
            res
        }
        PhoneAnswer::NotFound => ApiError::NotFound.error_response(),
        PhoneAnswer::MethodNotAllowed { allow } => {
            ApiError::MethodNotAllowed { allow: allow.to_owned() }.error_response()
        }
        PhoneAnswer::LogAccepted => HttpResponse::NoContent().finish(),
        PhoneAnswer::NotModified { etag } => HttpResponse::NotModified().insert_header((header::ETAG, etag)).finish(),
        PhoneAnswer::NotRenderable(detail) => ApiError::conflict(Code::ConfigNotRenderable, detail).error_response(),
        PhoneAnswer::File(r) => HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, r.content_type))
            .insert_header((header::ETAG, r.etag))
            .insert_header((header::CACHE_CONTROL, "private, no-cache"))
            .body(r.body),
    })
}

/// A problem+json answer this route writes itself (401 and 429 carry their own headers).
fn problem(status: StatusCode, code: Code, detail: &str) -> HttpResponse {
    let body = Problem {
        type_: format!("urn:siprov:problem:{code}"),
        title: status.canonical_reason().unwrap_or("Error").to_owned(),
        status: status.as_u16(),
        detail: detail.to_owned(),
        code: code.as_str().to_owned(),
        rule: None,
        errors: vec![],
    };
    HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, "application/problem+json"))
        .body(serde_json::to_vec(&body).unwrap_or_default())
}
