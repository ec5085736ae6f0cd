//! What handlers extract: the caller, the request's database session and JSON bodies, each
//! with the API's error rules (a body that is not JSON 415, over `error::BODY_LIMIT` 413,
//! malformed 400; its values are judged later, by the use case, after the caller's rights).

use std::future::{Future, Ready, ready};
use std::pin::Pin;
use std::sync::Arc;

use actix_web::http::{StatusCode, header};
use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload, web};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::auth::Principal;
use crate::auth::token::Verified;
use crate::authz;
use crate::db::DbConn;
use crate::db::repo::{self, Lock, Locked};
use crate::domain::code::Code;
use crate::error::ApiError;
use crate::http::etag::{BadIfMatch, IfMatch, tag_of};
use crate::http::request_id::RequestId;
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
    /// The request's `x-request-id`, for the audit events its writes record.
    request_id: String,
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
        let (token, safe, request_id) = (self.token, self.safe, self.request_id);
        Session::new(self.state.pool.clone())
            .run(move |s| {
                let caller = s.retry_once_if_lost(|s| caller(s, &token, safe, &request_id))?;
                f(s, &caller)
            })
            .await
    }

    /// As [`Db::run`], for a use case that only reads: when its connection is lost, the
    /// whole read runs once more on a connection that answers. On SQLite, a read that
    /// needs no wait runs here on the async worker, with no thread hand-off
    /// ([`InlineReads`](crate::db::InlineReads)).
    pub async fn read<T, F>(self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: Fn(&mut Session, &Principal) -> Result<T, ApiError> + Send + 'static,
    {
        let (token, safe, request_id) = (self.token, self.safe, self.request_id);
        let read = move |s: &mut Session| {
            let caller = caller(s, &token, safe, &request_id)?;
            f(s, &caller)
        };
        if let Some(answer) = self.state.inline_reads.as_ref().and_then(|inline| inline.try_read(&read)) {
            return answer;
        }
        Session::new(self.state.pool.clone()).run_read(read).await
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

    /// As [`Db::run`], under the request's `If-Match` when it sent one: the resource's row
    /// is locked, its current representation's tag compared, and the use case run, all in
    /// one write transaction, so of two writes sent with the same tag one succeeds and the
    /// other gets 412 `precondition_failed`.
    pub async fn run_if<T, F>(self, pre: Option<Precondition>, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Session, &Principal) -> Result<T, ApiError> + Send + 'static,
    {
        self.run(move |s, caller| match pre {
            None => f(s, caller),
            Some(pre) => s.write_tx(|s| {
                pre.check(s.conn()?, caller)?;
                f(s, caller)
            }),
        })
        .await
    }

    /// As [`Db::run_hashing`], under `If-Match`: checked before the hash (so a stale write
    /// costs none) and again in the write transaction.
    pub async fn run_hashing_if<T, F>(self, pre: Option<Precondition>, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Session, &Principal) -> Result<Step<T>, ApiError> + Send + 'static,
    {
        let again = self.clone();
        let first = pre.clone();
        match self.run_if(first, f).await? {
            Step::Done(value) => Ok(value),
            Step::Hash(secret, then) => {
                let hash = again.state.hasher.hash(secret).await?;
                again.run_if(pre, move |s, caller| then(s.conn()?, caller, hash)).await
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
fn caller(s: &mut Session, token: &Verified, safe: bool, request_id: &str) -> Result<Principal, ApiError> {
    let mut caller = service::identity::principal(s.conn()?, token)?.ok_or_else(|| {
        ApiError::unauthorized(
            Code::InvalidToken,
            "the token was revoked, or its login or API client changed or is gone",
        )
    })?;
    authz::access::within_scope(caller.client.as_ref().map(|c| c.scope), safe).check()?;
    caller.request_id = request_id.to_owned();
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
        let request_id = req.extensions().get::<RequestId>().map(|r| r.0.clone()).unwrap_or_default();
        ready(
            req.app_data::<web::Data<AppState>>()
                .map(|state| Db {
                    state: state.clone(),
                    token,
                    safe: matches!(*req.method(), actix_web::http::Method::GET | actix_web::http::Method::HEAD),
                    request_id,
                })
                .ok_or_else(|| ApiError::internal("application state missing")),
        )
    }
}

/// The `If-Match` a request sent, if any: `*` or strong tags. A weak or malformed one is
/// 400 `invalid_if_match`.
pub struct IfMatchHeader(pub Option<IfMatch>);

impl FromRequest for IfMatchHeader {
    type Error = ApiError;
    type Future = Ready<Result<IfMatchHeader, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(match req.headers().get(header::IF_MATCH) {
            None => Ok(IfMatchHeader(None)),
            Some(v) => IfMatch::parse(v.as_bytes()).map(|m| IfMatchHeader(Some(m))).map_err(|why| {
                ApiError::bad_request(
                    Code::InvalidIfMatch,
                    match why {
                        BadIfMatch::Weak => "If-Match takes strong tags (the ETag as sent), not weak W/ tags",
                        BadIfMatch::Malformed => "If-Match must be * or a comma-separated list of quoted ETags",
                    },
                )
            }),
        })
    }
}

/// The current representation of a resource, as its `GET` renders it.
type Current = Arc<dyn Fn(&mut DbConn, &Principal) -> Result<Vec<u8>, ApiError> + Send + Sync>;

/// A write's `If-Match`, with how to lock and read the resource it is about.
#[derive(Clone)]
pub struct Precondition {
    if_match: IfMatch,
    lock: (Locked, Uuid),
    current: Current,
}

impl Precondition {
    /// None when the request sent no `If-Match`. `current` reads the resource as its `GET`
    /// answers it (404 when the caller may not read it).
    pub fn new<V: serde::Serialize>(
        header: IfMatchHeader,
        lock: (Locked, Uuid),
        current: impl Fn(&mut DbConn, &Principal) -> Result<V, ApiError> + Send + Sync + 'static,
    ) -> Option<Precondition> {
        let if_match = header.0?;
        let current: Current = Arc::new(move |conn, caller| {
            let view = current(conn, caller)?;
            serde_json::to_vec(&view).map_err(|e| ApiError::internal(format!("rendering for If-Match: {e}")))
        });
        Some(Precondition { if_match, lock, current })
    }

    fn check(&self, conn: &mut DbConn, caller: &Principal) -> Result<(), ApiError> {
        repo::lock(conn, self.lock.0, self.lock.1, Lock::Update)?;
        let body = (self.current)(conn, caller)?;
        if self.if_match.matches(&tag_of(&body)) { Ok(()) } else { Err(ApiError::PreconditionFailed) }
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
