//! One error type for the whole API, rendered as RFC 9457 problem+json with a stable
//! snake_case `code` (and the rule id for refusals). Causes of 5xx are logged, never sent.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::authz::{Denial, Outcome};
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

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("bad request: {detail}")]
    BadRequest { code: &'static str, detail: String },
    #[error("unauthorized: {detail}")]
    Unauthorized { code: &'static str, detail: String },
    #[error("refused by {}: {}", .0.rule, .0.code)]
    Denied(Denial),
    #[error("not found")]
    NotFound,
    #[error("method not allowed")]
    MethodNotAllowed { allow: String },
    #[error("conflict: {code}")]
    Conflict { code: &'static str, detail: String },
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    #[error("unsupported media type")]
    UnsupportedMediaType,
    #[error("payload too large")]
    PayloadTooLarge,
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn internal(cause: impl Into<String>) -> ApiError {
        ApiError::Internal(cause.into())
    }

    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> ApiError {
        ApiError::BadRequest { code, detail: detail.into() }
    }

    pub fn conflict(code: &'static str, detail: impl Into<String>) -> ApiError {
        ApiError::Conflict { code, detail: detail.into() }
    }

    /// A 422 for one field.
    pub fn field(field: &str, code: &str, message: impl Into<String>) -> ApiError {
        ApiError::Validation(vec![FieldError { field: field.into(), code: code.into(), message: message.into() }])
    }

    /// A 422 listing invalid fields. With one field at fault its code is also the problem's
    /// `code` (D9's `invalid_mac`, `invalid_pin`, …); with several, `validation_failed`.
    pub fn invalid(errors: Vec<FieldError>) -> ApiError {
        ApiError::Validation(errors)
    }

    pub fn unauthorized(code: &'static str, detail: impl Into<String>) -> ApiError {
        ApiError::Unauthorized { code, detail: detail.into() }
    }

    fn problem(&self) -> Problem {
        let (status, code, detail, rule, errors) = match self {
            ApiError::BadRequest { code, detail } => {
                (StatusCode::BAD_REQUEST, (*code).to_owned(), detail.clone(), None, vec![])
            }
            ApiError::Unauthorized { code, detail } => {
                (StatusCode::UNAUTHORIZED, (*code).to_owned(), detail.clone(), None, vec![])
            }
            ApiError::Denied(d) if d.outcome == Outcome::NotFound => not_found(),
            ApiError::Denied(d) => {
                let status = match d.outcome {
                    Outcome::Forbidden | Outcome::NotFound => StatusCode::FORBIDDEN,
                    Outcome::Unprocessable => StatusCode::UNPROCESSABLE_ENTITY,
                    Outcome::Conflict => StatusCode::CONFLICT,
                };
                let detail = format!("{} (rule {})", refusal_detail(d.code), d.rule);
                // A D4 `assignment_required` is about one field: say which.
                let errors = if d.outcome == Outcome::Unprocessable && d.code == "assignment_required" {
                    vec![FieldError {
                        field: "assigned_to".into(),
                        code: d.code.into(),
                        message: refusal_detail(d.code).into(),
                    }]
                } else {
                    vec![]
                };
                (status, d.code.to_owned(), detail, Some(d.rule.to_string()), errors)
            }
            ApiError::NotFound => not_found(),
            ApiError::MethodNotAllowed { allow } => (
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed".to_owned(),
                format!("this resource accepts {allow}"),
                None,
                vec![],
            ),
            ApiError::Conflict { code, detail } => {
                (StatusCode::CONFLICT, (*code).to_owned(), detail.clone(), None, vec![])
            }
            ApiError::Validation(errors) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                match errors.as_slice() {
                    [one] => one.code.clone(),
                    _ => "validation_failed".to_owned(),
                },
                "the request has invalid values; see `errors`".to_owned(),
                None,
                errors.clone(),
            ),
            ApiError::UnsupportedMediaType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type".to_owned(),
                "send the body as application/json".to_owned(),
                None,
                vec![],
            ),
            ApiError::PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large".to_owned(),
                format!("request bodies are limited to {} bytes", crate::routes::extract::BODY_LIMIT),
                None,
                vec![],
            ),
            ApiError::Unavailable(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "service_unavailable".to_owned(),
                "the service cannot reach its database; try again shortly".to_owned(),
                None,
                vec![],
            ),
            ApiError::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error".to_owned(),
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
            code,
            rule,
            errors,
        }
    }
}

type Parts = (StatusCode, String, String, Option<String>, Vec<FieldError>);

/// Every 404 looks the same, whether the resource is absent or hidden by N5.
fn not_found() -> Parts {
    (StatusCode::NOT_FOUND, "not_found".to_owned(), "no such resource".to_owned(), None, vec![])
}

/// Human text for each refusal code; the code itself is the stable part.
fn refusal_detail(code: &str) -> &'static str {
    match code {
        "create_not_allowed" => "the caller may not create this kind of node here",
        "not_parent" => "only the parent node's owner or a system admin sets a node's device_provisioning",
        "level_exceeds_own" => "a parent may set a child's device_provisioning at most to its own level",
        "cannot_delete_self" => "a node is deleted by an ancestor, never by itself",
        "node_not_empty" => "the node still has children, accounts or devices; remove them first",
        "sip_devices_area_hidden" => "the caller's device_provisioning is none: the SIP devices area is not available",
        "assignee_lacks_modify" => {
            "with view, devices in the caller's own context may only be assigned to nodes with modify"
        }
        "assignment_required" => "a node below has modify: the device must be assigned to one of those nodes",
        "context_lacks_modify" => "with view, devices may be added in a descendant's context only when it has modify",
        "view_only" => "a user with view may not add or change devices",
        "assign_to_self_only" => "a user provisions devices for itself only: assigned_to must be the user",
        "not_own_account" => "a user provisions its own phones with its own accounts only",
        "provisioning_not_allowed" => {
            "changing the MAC, vendor, model, label or assignment, or deleting, needs provisioning rights in the device's context"
        }
        "tree_only" => "accounts are created and deleted by the owners of the user's organization or service provider",
        "account_in_use" => "the account is still on a device line; take it off the device first",
        "not_account_manager" => "only the account's owners, administrators and tree owners change it",
        "owners_only" => "only account owners change the owners list",
        "account_not_managed" => "only numbers the caller manages (owner, administrator or tree) can go on a line",
        "not_device_owner" => "only device owners and provisioners change the device's lines and owners",
        _ => "the request is not allowed",
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.problem().status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            ApiError::Internal(cause) => tracing::error!(cause = %cause, "internal error"),
            ApiError::Unavailable(cause) => tracing::warn!(cause = %cause, "database unavailable"),
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
        if let ApiError::MethodNotAllowed { allow } = self
            && let Ok(v) = HeaderValue::from_str(allow)
        {
            res.insert_header((header::ALLOW, v));
        }
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        res.body(body)
    }
}

impl From<Denial> for ApiError {
    fn from(d: Denial) -> ApiError {
        ApiError::Denied(d)
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(e: diesel::result::Error) -> ApiError {
        match e {
            diesel::result::Error::NotFound => ApiError::NotFound,
            // A safety net behind the row locks of `repo::lock`: a concurrent change is a
            // conflict to retry, never a 500.
            diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::ForeignKeyViolation, _) => {
                ApiError::conflict(
                    "concurrent_change",
                    "a related resource was changed or removed at the same time; retry the request",
                )
            }
            other => ApiError::Internal(format!("database: {other}")),
        }
    }
}

impl From<diesel::r2d2::PoolError> for ApiError {
    fn from(e: diesel::r2d2::PoolError) -> ApiError {
        ApiError::Unavailable(e.to_string())
    }
}

/// Whether a database error is a unique-index violation: the one way uniqueness races
/// (MAC, number, username) are settled, so two racing requests give one 201 and one 409.
pub fn is_unique_violation(e: &diesel::result::Error) -> bool {
    matches!(e, diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _))
}
