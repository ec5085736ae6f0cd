//! `/v1/auth`: tokens for people (password grant) and API clients (client credentials,
//! K3), and revocation (K6). Open to anyone: these are how a caller gets a token.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, post, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::extract::content_type;
use crate::auth::token::Subject;
use crate::domain::ApiClientId;
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
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
}

/// The grants this server offers: a person's password (RFC 6749 §4.3) or an API client's
/// credentials (§4.4, K3).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GrantType {
    Password,
    ClientCredentials,
}

/// A token request, as OAuth 2.0's form. `password`: `username` and `password`.
/// `client_credentials`: `client_id` and `client_secret` here, or as `Authorization: Basic`
/// (`client_id:client_secret`), not both. The other grant's fields are refused (400
/// `invalid_request`). One object for both grants, so that generated
/// clients, which handle one form schema, can send either.
#[derive(Serialize, ToSchema)]
pub struct TokenForm {
    pub grant_type: GrantType,
    /// For `password`.
    #[schema(min_length = 1)]
    pub username: Option<String>,
    /// For `password`.
    #[schema(min_length = 1)]
    pub password: Option<String>,
    /// For `client_credentials` without Basic authentication.
    #[schema(value_type = Option<Uuid>)]
    pub client_id: Option<String>,
    /// For `client_credentials` without Basic authentication.
    #[schema(min_length = 1)]
    pub client_secret: Option<String>,
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

/// A form or JSON body read leniently, as OAuth 2.0 asks.
fn oauth_body<T: DeserializeOwned>(req: &HttpRequest, body: &[u8], fields: &str) -> Result<T, ApiError> {
    match content_type(req).as_deref() {
        Some("application/x-www-form-urlencoded") => serde_urlencoded::from_bytes(body)
            .map_err(|_| ApiError::bad_request(Code::InvalidRequest, "the form body could not be parsed")),
        Some("application/json") => Input::from_slice(body).and_then(Input::parse).map_err(|e| match e {
            ApiError::Validation { .. } => {
                ApiError::bad_request(Code::InvalidRequest, format!("{fields} must be strings"))
            }
            other => other,
        }),
        _ => Err(ApiError::UnsupportedMediaType),
    }
}

/// Exchange a username and password, or an API client's credentials, for an access token.
///
/// The body is OAuth 2.0's form (RFC 6749 §4.3 and §4.4), which every OAuth client speaks;
/// the same fields are also accepted as a JSON object (`Content-Type: application/json`),
/// for scripts. An API client may instead send its credentials as `Authorization: Basic`.
/// Wrong credentials answer 401 `invalid_grant` (a person, taking the same time whether or
/// not the username exists) or `invalid_client` (an API client). Failed logins are
/// throttled (K7): 429 `too_many_attempts` with `Retry-After`.
#[utoipa::path(
    tag = "auth",
    request_body(content((TokenForm = "application/x-www-form-urlencoded"))),
    responses(
        (status = 200, body = TokenResponse),
        (status = 400, body = Problem, content_type = "application/problem+json", description = "`invalid_request` (missing fields, malformed Basic credentials, credentials sent twice), `unsupported_grant_type` or malformed body"),
        (status = 401, body = Problem, content_type = "application/problem+json", description = "`invalid_grant` (person) or `invalid_client` (API client)"),
        (status = 429, body = Problem, content_type = "application/problem+json", description = "K7 `too_many_attempts`: too many failed logins; see `Retry-After`"),
    )
)]
#[post("/token")]
pub async fn token(state: web::Data<AppState>, req: HttpRequest, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    let request: TokenRequest = oauth_body(&req, &body, "grant_type, username, password, client_id and client_secret")?;
    let (subject, generation) = match request.grant_type.as_deref() {
        None => return Err(ApiError::bad_request(Code::InvalidRequest, "grant_type is required")),
        Some("password") => {
            if request.client_id.is_some() || request.client_secret.is_some() {
                return Err(ApiError::bad_request(
                    Code::InvalidRequest,
                    "client_id and client_secret go with grant_type=client_credentials, not password",
                ));
            }
            let (Some(username), Some(password)) = (request.username, request.password) else {
                return Err(ApiError::bad_request(Code::InvalidRequest, "username and password are required"));
            };
            let address = client_address(&req, &state.phones.trusted_proxies);
            let (id, generation) =
                service::identity::login(&state.pool, &state.hasher, username, password, address).await?;
            (Subject::Login(id), generation)
        }
        Some("client_credentials") => {
            if request.username.is_some() || request.password.is_some() {
                return Err(ApiError::bad_request(
                    Code::InvalidRequest,
                    "username and password go with grant_type=password, not client_credentials",
                ));
            }
            let (id, secret) = client_credentials(&req, request.client_id, request.client_secret)?;
            let Some(id) = crate::domain::ids::parse_uuid(&id).map(ApiClientId) else {
                return Err(ApiError::unauthorized(Code::InvalidClient, "the client_id or client_secret is wrong"));
            };
            let (id, generation) = service::identity::client(&state.pool, id, secret).await?;
            (Subject::Client(id), generation)
        }
        Some(_) => {
            return Err(ApiError::bad_request(
                Code::UnsupportedGrantType,
                "grant_type must be password or client_credentials",
            ));
        }
    };
    let (access_token, expires_in) = state
        .tokens
        .issue(subject, generation)
        .map_err(|e| ApiError::internal(format!("token signing failed: {e}")))?;
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(TokenResponse {
        access_token,
        token_type: TokenType::Bearer,
        expires_in,
    }))
}

/// The client's credentials from `Authorization: Basic` or the body (RFC 6749 §2.3.1),
/// never both.
fn client_credentials(
    req: &HttpRequest,
    id: Option<String>,
    secret: Option<String>,
) -> Result<(String, String), ApiError> {
    let basic = match req.headers().get(header::AUTHORIZATION) {
        None => None,
        Some(value) => Some(basic_credentials(value.as_bytes()).ok_or_else(|| {
            ApiError::bad_request(
                Code::InvalidRequest,
                "the Authorization header must be `Basic` and the base64 of client_id:client_secret",
            )
        })?),
    };
    match (basic, id, secret) {
        (Some(_), Some(_), _) | (Some(_), _, Some(_)) => Err(ApiError::bad_request(
            Code::InvalidRequest,
            "send the client credentials either as Basic authentication or in the body, not both",
        )),
        (Some(pair), None, None) => Ok(pair),
        (None, Some(id), Some(secret)) => Ok((id, secret)),
        (None, _, _) => Err(ApiError::bad_request(
            Code::InvalidRequest,
            "client_id and client_secret are required (in the body or as Basic authentication)",
        )),
    }
}

/// `Basic base64(urlencode(id):urlencode(secret))`; none when malformed.
fn basic_credentials(value: &[u8]) -> Option<(String, String)> {
    let value = std::str::from_utf8(value).ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((percent_decode(id)?, percent_decode(secret)?))
}

/// Form-urlencoding undone, as RFC 6749 §2.3.1 asks of Basic credentials.
fn percent_decode(s: &str) -> Option<String> {
    let mut out = Vec::with_capacity(s.len());
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        match b {
            b'%' => {
                let hex = [bytes.next()?, bytes.next()?];
                out.push(u8::from_str_radix(std::str::from_utf8(&hex).ok()?, 16).ok()?);
            }
            b'+' => out.push(b' '),
            b => out.push(b),
        }
    }
    String::from_utf8(out).ok()
}

/// The address failed logins are counted under (K7): the connection's peer, or behind the
/// operator's trusted reverse proxies (`SIPROV_TRUSTED_PROXIES`) the client they name, as
/// for phones (F7).
fn client_address(req: &HttpRequest, trusted: &[std::net::IpAddr]) -> String {
    let forwarded = req.headers().get("x-forwarded-for").and_then(|v| v.to_str().ok());
    crate::http::client_address::client_address(req.peer_addr().map(|a| a.ip()), forwarded, trusted)
        .map_or_else(|| "unknown".to_owned(), |ip| ip.to_string())
}

/// What a revocation request carries (RFC 7009 §2.1), read leniently.
#[derive(Deserialize)]
pub struct RevokeRequest {
    pub token: Option<String>,
}

/// RFC 7009 revocation request.
#[derive(Serialize, ToSchema)]
pub struct RevokeForm {
    /// The access token to revoke.
    #[schema(min_length = 1)]
    pub token: String,
    /// Ignored: this server issues access tokens only.
    pub token_type_hint: Option<String>,
}

/// Revoke an access token (K6, RFC 7009).
///
/// Holding a token is what entitles a caller to revoke it. From the next request on, on
/// every instance sharing the database, the token is refused with 401. The answer is 200
/// whether or not the token was valid, so it tells nothing about it.
#[utoipa::path(
    tag = "auth",
    request_body(content((RevokeForm = "application/x-www-form-urlencoded"))),
    responses(
        (status = 200, description = "Revoked, or not a token this server honours"),
        (status = 400, body = Problem, content_type = "application/problem+json", description = "`invalid_request`: no `token`, or malformed body"),
    )
)]
#[post("/revoke")]
pub async fn revoke(state: web::Data<AppState>, req: HttpRequest, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    let request: RevokeRequest = oauth_body(&req, &body, "token and token_type_hint")?;
    let Some(presented) = request.token.filter(|t| !t.is_empty()) else {
        return Err(ApiError::bad_request(Code::InvalidRequest, "token is required"));
    };
    if let Ok(verified) = state.tokens.verify(&presented) {
        service::sessions::revoke(&state.pool, verified).await?;
    }
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_base64_of_urlencoded_id_and_secret_and_anything_else_is_malformed() {
        let enc = |s: &str| format!("Basic {}", STANDARD.encode(s));
        assert_eq!(basic_credentials(enc("id:se%3Acret+x").as_bytes()), Some(("id".into(), "se:cret x".into())));
        assert_eq!(basic_credentials(enc("id:").as_bytes()), Some(("id".into(), String::new())));
        assert_eq!(basic_credentials(b"Basic !!!"), None, "not base64");
        assert_eq!(basic_credentials(enc("no colon").as_bytes()), None);
        assert_eq!(basic_credentials(b"Bearer abc"), None);
        assert_eq!(basic_credentials(enc("id:%zz").as_bytes()), None, "bad escape");
        assert_eq!(basic_credentials(format!("Basic {}", STANDARD.encode([0xff, b':', b'x'])).as_bytes()), None);
    }
}
