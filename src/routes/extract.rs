//! What handlers extract: the caller, the request's database session and JSON bodies, each
//! with the API's error rules (a body that is not JSON 415, over `error::BODY_LIMIT` 413,
//! malformed 400; its values are judged later, by the use case, after the caller's rights).

use std::future::{Future, Ready, ready};
use std::pin::Pin;

use actix_web::http::{StatusCode, header};
use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload, web};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use utoipa::IntoParams;

use crate::auth::Principal;
use crate::auth::token::Verified;
use crate::authz;
use crate::domain::code::Code;
use crate::error::ApiError;
use crate::service::{self, Input, Session, Step};
use crate::state::AppState;

/// Who the Bearer token says the caller is, put in the request by the authentication
/// middleware. The role context behind it is read by [`Db::run`], first thing on the
/// request's one connection.
#[derive(Clone, Debug)]
pub struct Authenticated(pub Verified);

/// The caller and the database side of an authenticated request. A handler that takes it
/// declares by its signature that it needs a caller (401 without one).
#[derive(Clone)]
pub struct Db {
    state: web::Data<AppState>,
    token: Verified,
    /// GET or HEAD: what a `read` API client may send (K2).
    safe: bool,
}

impl Db {
    /// Runs a use case that writes on the blocking pool, in the request's one round trip:
    /// the caller's role context is read fresh on the session's connection (a changed
    /// level, a removed login count at once), then the use case runs on the same
    /// connection with it. When that first read finds the connection lost, it is read
    /// again on another (nothing was written yet); the write itself is never repeated.
    pub async fn run<T, F>(self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Session, &Principal) -> Result<T, ApiError> + Send + 'static,
    {
        let (token, safe) = (self.token, self.safe);
        Session::new(self.state.pool.clone())
            .run(move |s| {
                let caller = s.retry_once_if_lost(|s| caller(s, &token, safe))?;
                f(s, &caller)
            })
            .await
    }

    /// As [`Db::run`], for a use case that only reads: when its connection is lost, the
    /// whole read runs once more on a connection that answers.
    pub async fn read<T, F>(self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: Fn(&mut Session, &Principal) -> Result<T, ApiError> + Send + 'static,
    {
        let (token, safe) = (self.token, self.safe);
        Session::new(self.state.pool.clone())
            .run_read(move |s| {
                let caller = caller(s, &token, safe)?;
                f(s, &caller)
            })
            .await
    }

    /// As [`Db::run`], for a use case that may hash a secret before it writes (a password,
    /// a PIN): the hash runs between two round trips, on the hashing threads, with no
    /// connection held and no blocking thread waiting; the write then reads the caller's
    /// role context again. A request its first step refuses never reaches the hash.
    pub async fn run_hashing<T, F>(self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Session, &Principal) -> Result<Step<T>, ApiError> + Send + 'static,
    {
        let again = self.clone();
        match self.run(f).await? {
            Step::Done(value) => Ok(value),
            Step::Hash(secret, then) => {
                let hash = again.state.hasher.hash(secret).await?;
                again.run(move |s, caller| then(s.conn()?, caller, hash)).await
            }
        }
    }

    /// The application state (token keys, hashing threads), for use cases that do more
    /// than one step.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// The token the request presented.
    pub fn token(&self) -> &Verified {
        &self.token
    }
}

/// The role context behind the token (401 when its login or client is gone, or the token
/// was revoked or issued before a password change or rotation: K4–K6), and K2's scope.
fn caller(s: &mut Session, token: &Verified, safe: bool) -> Result<Principal, ApiError> {
    let caller = service::identity::principal(s.conn()?, token)?.ok_or_else(|| {
        ApiError::unauthorized(
            Code::InvalidToken,
            "the token was revoked, or its login or API client changed or is gone",
        )
    })?;
    authz::access::within_scope(caller.client.as_ref().map(|c| c.scope), safe).check()?;
    Ok(caller)
}

impl FromRequest for Db {
    type Error = ApiError;
    type Future = Ready<Result<Db, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let verdict = req.extensions_mut().remove::<Result<Authenticated, ApiError>>();
        let token = match verdict {
            Some(Ok(Authenticated(token))) => token,
            Some(Err(refused)) => return ready(Err(refused)),
            None => return ready(Err(ApiError::unauthorized(Code::MissingToken, "a Bearer token is required"))),
        };
        ready(
            req.app_data::<web::Data<AppState>>()
                .map(|state| Db {
                    state: state.clone(),
                    token,
                    safe: matches!(*req.method(), actix_web::http::Method::GET | actix_web::http::Method::HEAD),
                })
                .ok_or_else(|| ApiError::internal("application state missing")),
        )
    }
}

/// A JSON body whose syntax is checked; its values are parsed by the use case.
pub struct Body<T>(pub Input<T>);

impl<T: DeserializeOwned + 'static> FromRequest for Body<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Body<T>, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_json = content_type(req).is_some_and(|ct| ct == "application/json" || ct.ends_with("+json"));
        let body = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            if !is_json {
                return Err(ApiError::UnsupportedMediaType);
            }
            let bytes = body.await.map_err(payload_error)?;
            Input::from_slice(&bytes).map(Body)
        })
    }
}

/// The media type of a request, lower-cased, without parameters.
pub fn content_type(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
}

pub fn payload_error(e: actix_web::Error) -> ApiError {
    if e.as_response_error().status_code() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::PayloadTooLarge
    } else {
        ApiError::bad_request(Code::InvalidBody, "the request body could not be read")
    }
}

/// `limit` and `cursor` of every collection.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page size, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    #[param(value_type = Option<Uuid>)]
    pub cursor: Option<String>,
}
