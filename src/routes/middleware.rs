//! Bearer token → the caller. Wraps the authenticated `/v1` scope only: which routes need
//! a token is decided by scope, never by a list of paths. The token is checked here, before
//! anything else runs; the verdict travels in the request to [`extract::Db`], which every
//! authenticated handler takes first: a missing, malformed, expired or wrongly signed
//! token is refused there with 401, and the role context behind a valid one is read as the
//! first statement of the request's one database round trip. A request that no route
//! serves never asks, so it gets its 404 or 405 whether or not it carries a token.
//!
//! [`extract::Db`]: super::extract::Db

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};

use crate::domain::code::Code;
use crate::error::ApiError;
use crate::http::etag;
use crate::routes::extract::Authenticated;
use crate::state::AppState;

/// The token check, then what every authenticated answer shares, done here rather than as
/// layers of their own (each layer costs every request): a `POST` with an
/// `Idempotency-Key` goes through [`idempotency`], and a `GET` or `PATCH` answer gets its
/// `ETag` ([`etag`]).
///
/// [`idempotency`]: super::idempotency
/// [`etag`]: crate::http::etag
pub async fn authenticate(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let verdict = authenticated(&req);
    req.extensions_mut().insert(verdict);
    let method = req.method().clone();
    if method == Method::POST && req.headers().contains_key(super::idempotency::HEADER) {
        return super::idempotency::idempotent(req, next).await;
    }
    if !etag::tagged(&method) {
        return next.call(req).await.map(ServiceResponse::map_into_boxed_body);
    }
    let if_none_match = req.headers().get(header::IF_NONE_MATCH).cloned();
    let res = next.call(req).await?;
    etag::tag(&method, if_none_match.as_ref().map(|v| v.as_bytes()), res).await
}

fn authenticated(req: &ServiceRequest) -> Result<Authenticated, ApiError> {
    let state = req.app_data::<web::Data<AppState>>().ok_or_else(|| ApiError::internal("application state missing"))?;
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or_else(|| ApiError::unauthorized(Code::MissingToken, "a Bearer token is required"))?;
    let token = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            ApiError::unauthorized(Code::InvalidToken, "the Authorization header must be `Bearer <token>`")
        })?;
    let verified = state
        .tokens
        .verify(token)
        .map_err(|_| ApiError::unauthorized(Code::InvalidToken, "the token is malformed, expired or wrongly signed"))?;
    Ok(Authenticated(verified))
}
