//! Bearer token → the caller. Wraps the authenticated `/v1` scope only: which routes need
//! a token is decided by scope, never by a list of paths. A token that is missing,
//! malformed, expired or wrongly signed is refused here, before anything else runs; the
//! role context behind a valid one is read by `extract::Db` as the first statement of the
//! request's one database round trip, on the connection its use case then uses.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{HttpMessage, ResponseError, web};

use crate::error::ApiError;
use crate::routes::extract::Authenticated;
use crate::routes::fallback::RouteTable;
use crate::state::AppState;

pub async fn authenticate(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    // A request no route serves gets its 404 or 405 whether or not it carries a token.
    let routed =
        req.app_data::<web::Data<RouteTable>>().is_none_or(|table| table.serves(req.method().as_str(), req.path()));
    if !routed {
        return next.call(req).await.map(ServiceResponse::map_into_left_body);
    }
    match authenticated(&req) {
        Ok(caller) => {
            req.extensions_mut().insert(caller);
            next.call(req).await.map(ServiceResponse::map_into_left_body)
        }
        Err(e) => Ok(req.into_response(e.error_response()).map_into_right_body()),
    }
}

fn authenticated(req: &ServiceRequest) -> Result<Authenticated, ApiError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| ApiError::internal("application state missing"))?;
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or_else(|| ApiError::unauthorized("missing_token", "a Bearer token is required"))?;
    let token = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::unauthorized("invalid_token", "the Authorization header must be `Bearer <token>`"))?;
    let login_id = state
        .tokens
        .verify(token)
        .map_err(|_| ApiError::unauthorized("invalid_token", "the token is malformed, expired or wrongly signed"))?;
    Ok(Authenticated(login_id))
}
