//! `/v1/me`: the caller (M1), its password (K5) and its tokens (K6).

use actix_web::{HttpResponse, delete, get, post};

use super::auth::{TokenResponse, TokenType};
use super::extract::{Body, Db};
use crate::auth::token::Subject;
use crate::error::{ApiError, Problem};
use crate::service;
use crate::service::me::Me;
use crate::service::sessions::{self, ChangeOwnPassword};

/// The caller's role context, level, SIP devices area and list memberships (M1); for an
/// API client, also which client it is (K1).
#[utoipa::path(tag = "me", responses((status = 200, body = Me)))]
#[get("/me")]
pub async fn me(db: Db) -> Result<HttpResponse, ApiError> {
    let me = db.read(move |s, p| service::me::me(s.conn()?, p)).await?;
    Ok(HttpResponse::Ok().json(me))
}

/// Change the caller's own password, giving the current one (K5).
///
/// Every token issued to the login before the change is refused from the next request on,
/// this one included; the answer carries a fresh token. The new password follows the
/// rules of creation. API clients have no password: 403 `not_a_person` (K3).
#[utoipa::path(tag = "me", request_body = ChangeOwnPassword, responses(
    (status = 200, body = TokenResponse),
    (status = 403, body = Problem, content_type = "application/problem+json", description = "K3 `not_a_person`, K2 `insufficient_scope`"),
    (status = 409, body = Problem, content_type = "application/problem+json", description = "`concurrent_change`: the password changed meanwhile"),
    (status = 422, body = Problem, content_type = "application/problem+json", description = "`wrong_password` (current_password), or the new password's own errors"),
))]
#[post("/me/password")]
pub async fn change_password(db: Db, b: Body<ChangeOwnPassword>) -> Result<HttpResponse, ApiError> {
    let again = db.clone();
    let change = db.run(move |s, p| sessions::start_own_change(s.conn()?, p, b.0)).await?;
    let state = again.state();
    if !state.hasher.verify(change.current.clone(), Some(change.stored.clone())).await? {
        return Err(sessions::wrong_current_password());
    }
    let hash = state.hasher.hash(change.new.clone()).await?;
    let login = change.login_id;
    let tokens = state.tokens.clone();
    let generation = again.run(move |s, p| sessions::finish_own_change(s.conn()?, p, &change, &hash)).await?;
    let (access_token, expires_in) = tokens
        .issue(Subject::Login(login), generation)
        .map_err(|e| ApiError::internal(format!("token signing failed: {e}")))?;
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(TokenResponse {
        access_token,
        token_type: TokenType::Bearer,
        expires_in,
    }))
}

/// Revoke every token of the caller's login (K6); for an API client, every token of the
/// client. Refused from the next request on, on every instance.
#[utoipa::path(tag = "me", responses(
    (status = 204),
    (status = 403, body = Problem, content_type = "application/problem+json", description = "K2 `insufficient_scope`"),
))]
#[delete("/me/tokens")]
pub async fn revoke_tokens(db: Db) -> Result<HttpResponse, ApiError> {
    db.run(move |s, p| sessions::revoke_all(s.conn()?, p)).await?;
    Ok(HttpResponse::NoContent().finish())
}
