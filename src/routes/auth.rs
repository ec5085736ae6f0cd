use actix_web::{HttpRequest, HttpResponse, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::extract::content_type;
use crate::domain::code::Code;
use crate::error::{ApiError, Problem};
use crate::service::{self, Input};
use crate::state::AppState;

/// What a token request carries, read leniently (OAuth 2.0 ignores unknown parameters and
/// answers missing ones with `invalid_request`, not 422).
#[derive(Deserialize)]
pub struct TokenRequest {
    pub grant_type: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
}

/// The grant types this server offers.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GrantType {
    Password,
}

/// OAuth 2.0 resource-owner password grant (RFC 6749 §4.3), as an
/// `application/x-www-form-urlencoded` body.
#[derive(Serialize, ToSchema)]
pub struct PasswordGrantForm {
    pub grant_type: GrantType,
    #[schema(min_length = 1)]
    pub username: String,
    #[schema(min_length = 1)]
    pub password: String,
}

/// The token types this server issues.
#[derive(Serialize, ToSchema)]
pub enum TokenType {
    Bearer,
}

#[derive(Serialize, ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: TokenType,
    /// Seconds until the token expires.
    #[schema(minimum = 1)]
    pub expires_in: u64,
}

/// Exchange a username and password for an access token.
///
/// The body is OAuth 2.0's form (RFC 6749 §4.3), which every OAuth client speaks; the same
/// fields are also accepted as a JSON object (`Content-Type: application/json`), for
/// scripts. Wrong credentials answer 401 `invalid_grant`, taking the same time whether or
/// not the username exists.
#[utoipa::path(
    tag = "auth",
    request_body(content((PasswordGrantForm = "application/x-www-form-urlencoded"))),
    responses(
        (status = 200, body = TokenResponse),
        (status = 400, body = Problem, content_type = "application/problem+json", description = "`invalid_request`, `unsupported_grant_type` or malformed body"),
        (status = 401, body = Problem, content_type = "application/problem+json", description = "`invalid_grant`"),
    )
)]
#[post("/token")]
pub async fn token(state: web::Data<AppState>, req: HttpRequest, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    let request: TokenRequest = match content_type(&req).as_deref() {
        Some("application/x-www-form-urlencoded") => serde_urlencoded::from_bytes(&body)
            .map_err(|_| ApiError::bad_request(Code::InvalidRequest, "the form body could not be parsed"))?,
        Some("application/json") => Input::from_slice(&body).and_then(Input::parse).map_err(|e| match e {
            ApiError::Validation { .. } => {
                ApiError::bad_request(Code::InvalidRequest, "grant_type, username and password must be strings")
            }
            other => other,
        })?,
        _ => return Err(ApiError::UnsupportedMediaType),
    };
    let (Some(grant_type), Some(username), Some(password)) = (request.grant_type, request.username, request.password)
    else {
        return Err(ApiError::bad_request(Code::InvalidRequest, "grant_type, username and password are required"));
    };
    if grant_type != "password" {
        return Err(ApiError::bad_request(Code::UnsupportedGrantType, "only grant_type=password is supported"));
    }
    let login_id = service::identity::login(&state.pool, &state.hasher, username, password).await?;
    let (access_token, expires_in) =
        state.tokens.issue(login_id).map_err(|e| ApiError::internal(format!("token signing failed: {e}")))?;
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(TokenResponse {
        access_token,
        token_type: TokenType::Bearer,
        expires_in,
    }))
}
