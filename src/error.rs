//! One error type for the whole API, rendered as RFC 9457 problem+json with a stable
//! snake_case `code` (and the rule id for refusals). Causes of 5xx are logged, never sent.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::authz::{Outcome, Refusal};
use crate::domain::code::Code;
use crate::domain::validate::FieldError;

/// The problem+json body of every error.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the problem type: `urn:siprov:problem:<code>`.
    #[serde(rename = "type")]
    pub type_: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Stable snake_case error code; for a refusal, what the rule refused.
    pub code: String,
    /// For refusals: the rule id of `docs/domain.md` that decided (e.g. `P2`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// For 422: every invalid field.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

/// Request bodies are small JSON documents; anything larger is refused before parsing.
pub const BODY_LIMIT: usize = 64 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("bad request: {detail}")]
    BadRequest { code: Code, detail: String },
    #[error("unauthorized: {detail}")]
    Unauthorized { code: Code, detail: String },
    #[error("refused by {}: {}", .0.rule(), .0.code())]
    Denied(Refusal),
    #[error("not found")]
    NotFound,
    #[error("method not allowed")]
    MethodNotAllowed { allow: String },
    #[error("conflict: {code}")]
    Conflict { code: Code, detail: String },
    /// `If-Match` no longer holds: the resource changed since the caller read it.
    #[error("precondition failed")]
    PreconditionFailed,
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    #[error("unsupported media type")]
    UnsupportedMediaType,
    #[error("payload too large")]
    PayloadTooLarge,
    /// K7: too many failed logins; try again after `retry_after` seconds.
    #[error("throttled for {retry_after} s")]
    Throttled { retry_after: u64 },
    #[error("unavailable ({why:?}): {cause}")]
    Unavailable { why: Unavailable, cause: String },
    #[error("internal error: {0}")]
    Internal(String),
}

/// Why a request is answered 503: each is "not now", never "wrong", and the client may
/// retry after `Retry-After`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unavailable {
    /// The connection or the server went away (a terminated backend, a restart): the
    /// connection is discarded, and a read is retried once on a fresh one.
    ConnectionLost,
    /// The database is there but cannot take the request now: SQLite locked past its busy
    /// timeout or full, a serialization failure or deadlock, no pooled connection in time.
    DatabaseBusy,
    /// Every password-hashing slot stayed taken for the whole wait.
    HashingBusy,
}

impl ApiError {
    /// True when the database connection this request used is gone: the pool must drop it
    /// rather than hand it to the next request, and a read may be retried on another.
    pub fn means_connection_lost(&self) -> bool {
        matches!(self, ApiError::Unavailable { why: Unavailable::ConnectionLost, .. })
    }

    pub fn unavailable(why: Unavailable, cause: impl Into<String>) -> ApiError {
        ApiError::Unavailable { why, cause: cause.into() }
    }

    pub fn internal(cause: impl Into<String>) -> ApiError {
        ApiError::Internal(cause.into())
    }

    pub fn bad_request(code: Code, detail: impl Into<String>) -> ApiError {
        ApiError::BadRequest { code, detail: detail.into() }
    }

    pub fn conflict(code: Code, detail: impl Into<String>) -> ApiError {
        ApiError::Conflict { code, detail: detail.into() }
    }

    /// A 422 for one field.
    pub fn field(field: &str, code: Code, message: impl Into<String>) -> ApiError {
        ApiError::Validation(vec![FieldError::new(field, code, message)])
    }

    /// A 422 listing invalid fields. With one field at fault its code is also the problem's
    /// `code` (D9's `invalid_mac`, `invalid_pin`, …); with several, `validation_failed`.
    pub fn invalid(errors: Vec<FieldError>) -> ApiError {
        ApiError::Validation(errors)
    }

    pub fn unauthorized(code: Code, detail: impl Into<String>) -> ApiError {
        ApiError::Unauthorized { code, detail: detail.into() }
    }

    fn problem(&self) -> Problem {
        let (status, code, detail, rule, errors) = match self {
            ApiError::BadRequest { code, detail } => {
                (StatusCode::BAD_REQUEST, code.as_str(), detail.clone(), None, vec![])
            }
            ApiError::Unauthorized { code, detail } => {
                (StatusCode::UNAUTHORIZED, code.as_str(), detail.clone(), None, vec![])
            }
            ApiError::Denied(r) if r.outcome() == Outcome::NotFound => not_found(),
            ApiError::Denied(r) => {
                let status = match r.outcome() {
                    Outcome::Forbidden | Outcome::NotFound => StatusCode::FORBIDDEN,
                    Outcome::Unprocessable => StatusCode::UNPROCESSABLE_ENTITY,
                    Outcome::Conflict => StatusCode::CONFLICT,
                };
                let detail = format!("{} (rule {})", r.detail(), r.rule());
                let errors = r
                    .field()
                    .map(|field| FieldError { field: field.into(), code: r.code(), message: r.detail().into() })
                    .into_iter()
                    .collect();
                (status, r.code(), detail, Some(r.rule().to_string()), errors)
            }
            ApiError::NotFound => not_found(),
            ApiError::MethodNotAllowed { allow } => (
                StatusCode::METHOD_NOT_ALLOWED,
                Code::MethodNotAllowed.as_str(),
                format!("this resource accepts {allow}"),
                None,
                vec![],
            ),
            ApiError::PreconditionFailed => (
                StatusCode::PRECONDITION_FAILED,
                Code::PreconditionFailed.as_str(),
                "the resource changed since the ETag given in If-Match; read it again and retry".to_owned(),
                None,
                vec![],
            ),
            ApiError::Conflict { code, detail } => (StatusCode::CONFLICT, code.as_str(), detail.clone(), None, vec![]),
            ApiError::Validation(errors) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                match errors.as_slice() {
                    [one] => one.code,
                    _ => Code::ValidationFailed.as_str(),
                },
                "the request has invalid values; see `errors`".to_owned(),
                None,
                errors.clone(),
            ),
            ApiError::UnsupportedMediaType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                Code::UnsupportedMediaType.as_str(),
                "send the body as application/json".to_owned(),
                None,
                vec![],
            ),
            ApiError::PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                Code::PayloadTooLarge.as_str(),
                format!("request bodies are limited to {BODY_LIMIT} bytes"),
                None,
                vec![],
            ),
            ApiError::Throttled { retry_after } => (
                StatusCode::TOO_MANY_REQUESTS,
                Code::TooManyAttempts.as_str(),
                format!("too many failed logins; try again in {retry_after} s (rule K7)"),
                Some(crate::authz::Rule::K7.to_string()),
                vec![],
            ),
            ApiError::Unavailable { why, .. } => (
                StatusCode::SERVICE_UNAVAILABLE,
                Code::ServiceUnavailable.as_str(),
                match why {
                    Unavailable::ConnectionLost => "the service lost its database connection; try again shortly",
                    Unavailable::DatabaseBusy => "the database is busy; try again shortly",
                    Unavailable::HashingBusy => "the service is busy checking passwords; try again shortly",
                }
                .to_owned(),
                None,
                vec![],
            ),
            ApiError::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                Code::InternalError.as_str(),
                "an internal error occurred; it has been logged".to_owned(),
                None,
                vec![],
            ),
        };
        Problem {
            type_: format!("urn:siprov:problem:{code}"),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail,
            code: code.to_owned(),
            rule,
            errors,
        }
    }
}

type Parts = (StatusCode, &'static str, String, Option<String>, Vec<FieldError>);

/// Every 404 looks the same, whether the resource is absent or hidden by N5.
fn not_found() -> Parts {
    (StatusCode::NOT_FOUND, Code::NotFound.as_str(), "no such resource".to_owned(), None, vec![])
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.problem().status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            ApiError::Internal(cause) => tracing::error!(cause = %cause, "internal error"),
            ApiError::Unavailable { why, cause } => tracing::warn!(why = ?why, cause = %cause, "service unavailable"),
            _ => {}
        }
        let problem = self.problem();
        let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut res = HttpResponse::build(status);
        res.insert_header((header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json")));
        if status == StatusCode::UNAUTHORIZED {
            let code = problem.code.as_str();
            let value = if code == "invalid_grant" {
                "Bearer realm=\"siprov\"".to_owned()
            } else if code == "invalid_client" {
                "Basic realm=\"siprov\"".to_owned()
            } else {
                format!(
                    "Bearer realm=\"siprov\", error=\"{}\"",
                    if code == "missing_token" { "invalid_request" } else { "invalid_token" }
                )
            };
            if let Ok(v) = HeaderValue::from_str(&value) {
                res.insert_header((header::WWW_AUTHENTICATE, v));
            }
        }
        if status == StatusCode::SERVICE_UNAVAILABLE {
            res.insert_header((header::RETRY_AFTER, HeaderValue::from_static("1")));
        }
        if let ApiError::Throttled { retry_after } = self
            && let Ok(v) = HeaderValue::from_str(&retry_after.to_string())
        {
            res.insert_header((header::RETRY_AFTER, v));
        }
        if let ApiError::MethodNotAllowed { allow } = self
            && let Ok(v) = HeaderValue::from_str(allow)
        {
            res.insert_header((header::ALLOW, v));
        }
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        res.body(body)
    }
}

impl From<Refusal> for ApiError {
    fn from(r: Refusal) -> ApiError {
        ApiError::Denied(r)
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(e: diesel::result::Error) -> ApiError {
        use diesel::result::{DatabaseErrorKind as Kind, Error};
        match e {
            Error::NotFound => ApiError::NotFound,
            // A safety net behind the row locks of `repo::lock`: a concurrent change is a
            // conflict to retry, never a 500.
            Error::DatabaseError(Kind::ForeignKeyViolation, _) => ApiError::conflict(
                Code::ConcurrentChange,
                "a related resource was changed or removed at the same time; retry the request",
            ),
            ref other => match unavailable(other) {
                Some(why) => ApiError::unavailable(why, format!("database: {other}")),
                None => ApiError::Internal(format!("database: {other}")),
            },
        }
    }
}

/// Database errors that say "not now" rather than "wrong": the connection or the server
/// went away, a serialization failure or deadlock, SQLite busy past its timeout or out of
/// space. The request may succeed if retried, so it is a 503, never a 500.
fn unavailable(e: &diesel::result::Error) -> Option<Unavailable> {
    use diesel::result::{DatabaseErrorKind as Kind, Error};
    const LOST: [&str; 8] = [
        "terminating connection",
        "server closed the connection",
        "connection has been closed",
        "connection to server",
        "could not receive data",
        "could not send data",
        "no connection to the server",
        "the database system is",
    ];
    const BUSY: [&str; 7] = [
        "database is locked",
        "database table is locked",
        "database or disk is full",
        "disk i/o error",
        "could not serialize access",
        "deadlock detected",
        "canceling statement due to",
    ];
    match e {
        Error::DatabaseError(Kind::ClosedConnection | Kind::UnableToSendCommand, _) => {
            Some(Unavailable::ConnectionLost)
        }
        Error::DatabaseError(Kind::SerializationFailure, _) => Some(Unavailable::DatabaseBusy),
        Error::DatabaseError(_, info) => {
            let m = info.message().to_ascii_lowercase();
            if LOST.iter().any(|needle| m.contains(needle)) {
                Some(Unavailable::ConnectionLost)
            } else if BUSY.iter().any(|needle| m.contains(needle)) {
                Some(Unavailable::DatabaseBusy)
            } else {
                None
            }
        }
        // The commit (or the rollback after it) failed: judged by why the commit failed.
        Error::RollbackErrorOnCommit { commit_error, .. } => unavailable(commit_error),
        // A transaction that could not be rolled back: the connection is in no state to be
        // used again, as if it were lost.
        Error::BrokenTransactionManager => Some(Unavailable::ConnectionLost),
        _ => None,
    }
}

impl From<diesel::r2d2::PoolError> for ApiError {
    fn from(e: diesel::r2d2::PoolError) -> ApiError {
        ApiError::unavailable(Unavailable::DatabaseBusy, format!("no database connection: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use diesel::result::{DatabaseErrorInformation, DatabaseErrorKind as Kind, Error};

    use super::*;

    struct Info(&'static str);

    impl DatabaseErrorInformation for Info {
        fn message(&self) -> &str {
            self.0
        }
        fn details(&self) -> Option<&str> {
            None
        }
        fn hint(&self) -> Option<&str> {
            None
        }
        fn table_name(&self) -> Option<&str> {
            None
        }
        fn column_name(&self) -> Option<&str> {
            None
        }
        fn constraint_name(&self) -> Option<&str> {
            None
        }
        fn statement_position(&self) -> Option<i32> {
            None
        }
    }

    fn db(kind: Kind, message: &'static str) -> ApiError {
        ApiError::from(Error::DatabaseError(kind, Box::new(Info(message))))
    }

    fn why(e: &ApiError) -> Option<Unavailable> {
        match e {
            ApiError::Unavailable { why, .. } => Some(*why),
            _ => None,
        }
    }

    #[test]
    fn a_lost_connection_or_server_is_503_and_marks_the_connection_lost() {
        for e in [
            db(Kind::Unknown, "FATAL:  terminating connection due to administrator command"),
            db(Kind::Unknown, "server closed the connection unexpectedly"),
            db(Kind::Unknown, "SSL connection has been closed unexpectedly"),
            db(Kind::UnableToSendCommand, "no connection to the server"),
            db(Kind::ClosedConnection, "connection closed"),
            db(Kind::Unknown, "FATAL:  the database system is shutting down"),
            ApiError::from(Error::BrokenTransactionManager),
            ApiError::from(Error::RollbackErrorOnCommit {
                rollback_error: Box::new(Error::BrokenTransactionManager),
                commit_error: Box::new(Error::DatabaseError(
                    Kind::Unknown,
                    Box::new(Info("could not receive data from server: Connection reset by peer")),
                )),
            }),
        ] {
            assert_eq!(why(&e), Some(Unavailable::ConnectionLost), "{e:?}");
            assert!(e.means_connection_lost());
            assert_eq!(e.status_code(), StatusCode::SERVICE_UNAVAILABLE);
        }
    }

    #[test]
    fn sqlite_locked_or_full_and_serialization_failures_are_503_without_losing_the_connection() {
        for e in [
            db(Kind::Unknown, "database is locked"),
            db(Kind::Unknown, "database or disk is full"),
            db(Kind::SerializationFailure, "could not serialize access due to concurrent update"),
            db(Kind::Unknown, "deadlock detected"),
        ] {
            assert_eq!(why(&e), Some(Unavailable::DatabaseBusy), "{e:?}");
            assert!(!e.means_connection_lost());
        }
    }

    #[test]
    fn other_database_errors_stay_500_and_a_503_carries_retry_after() {
        let bug = db(Kind::Unknown, "syntax error at or near \"SELEC\"");
        assert!(matches!(bug, ApiError::Internal(_)), "{bug:?}");
        assert_eq!(bug.status_code(), StatusCode::INTERNAL_SERVER_ERROR);
        let res = ApiError::unavailable(Unavailable::HashingBusy, "test").error_response();
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(res.headers().get(header::RETRY_AFTER).and_then(|v| v.to_str().ok()), Some("1"));
    }
}
