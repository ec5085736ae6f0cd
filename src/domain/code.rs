//! Every `code` a problem+json body or a field error can carry, besides the refusals of
//! `authz::Refusal` (which carry their rule). Codes are part of the contract: clients
//! branch on them, and the OpenAPI document lists them as an enum generated from here, so
//! a code cannot be emitted without being documented.

use std::fmt;

macro_rules! codes {
    ($($(#[$doc:meta])* $variant:ident = $text:literal,)+) => {
        /// A stable snake_case error code.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Code {
            $($(#[$doc])* $variant,)+
        }

        impl Code {
            pub const ALL: &'static [Code] = &[$(Code::$variant,)+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $text,)+
                }
            }
        }
    };
}

codes! {
    // 400
    /// The body is not JSON (or not the JSON object expected).
    MalformedJson = "malformed_json",
    /// The body could not be read.
    InvalidBody = "invalid_body",
    /// A query parameter is not of its documented form.
    InvalidQuery = "invalid_query",
    /// A `cursor` this API did not issue.
    InvalidCursor = "invalid_cursor",
    /// A token request without its required fields (OAuth 2.0).
    InvalidRequest = "invalid_request",
    /// A token request with a grant type this server does not offer (OAuth 2.0).
    UnsupportedGrantType = "unsupported_grant_type",
    /// An `Idempotency-Key` that is empty, over 255 characters or not visible ASCII.
    InvalidIdempotencyKey = "invalid_idempotency_key",
    /// An `If-Match` that is not `*` or a list of strong tags (a weak tag cannot be
    /// compared strongly).
    InvalidIfMatch = "invalid_if_match",
    /// Any other request the server could not understand.
    BadRequest = "bad_request",
    // 401
    MissingToken = "missing_token",
    InvalidToken = "invalid_token",
    /// Wrong username or password (OAuth 2.0).
    InvalidGrant = "invalid_grant",
    /// A phone's credentials are missing or wrong, or its MAC unknown (F4: one answer for all).
    InvalidCredentials = "invalid_credentials",
    /// An unknown API client or a wrong client secret (OAuth 2.0, K3).
    InvalidClient = "invalid_client",
    // 404, 405
    NotFound = "not_found",
    MethodNotAllowed = "method_not_allowed",
    // 409
    UsernameTaken = "username_taken",
    NumberInUse = "number_in_use",
    LineConflict = "line_conflict",
    /// The SIP user name is taken by another account of the service provider.
    SipUsernameTaken = "sip_username_taken",
    /// The device's service provider has no SIP service set (`sip`): nothing to register to.
    SipServiceNotSet = "sip_service_not_set",
    /// The device's record cannot be rendered for its phone (no template for its vendor,
    /// more lines than the template configures).
    ConfigNotRenderable = "config_not_renderable",
    /// The first request with this `Idempotency-Key` is still running.
    IdempotencyKeyInFlight = "idempotency_key_in_flight",
    /// A related resource changed or went away during the request; retrying is safe.
    ConcurrentChange = "concurrent_change",
    // 412
    /// `If-Match` names a version the resource no longer has.
    PreconditionFailed = "precondition_failed",
    // 413, 415
    PayloadTooLarge = "payload_too_large",
    UnsupportedMediaType = "unsupported_media_type",
    // 422: the problem's own code when several fields are wrong, and each field's code
    ValidationFailed = "validation_failed",
    UnknownField = "unknown_field",
    MissingField = "missing_field",
    InvalidValue = "invalid_value",
    InvalidName = "invalid_name",
    InvalidUsername = "invalid_username",
    PasswordTooShort = "password_too_short",
    PasswordTooLong = "password_too_long",
    TooLong = "too_long",
    ControlCharacter = "control_character",
    InvalidPin = "invalid_pin",
    InvalidEmail = "invalid_email",
    InvalidNumber = "invalid_number",
    InvalidMac = "invalid_mac",
    InvalidAssignee = "invalid_assignee",
    MwiNotALine = "mwi_not_a_line",
    InvalidPosition = "invalid_position",
    InvalidLimit = "invalid_limit",
    UnknownUsername = "unknown_username",
    /// A time that is not RFC 3339 (audit filters `since`, `until`).
    InvalidTime = "invalid_time",
    /// A resource type the audit trail does not know (L1).
    UnknownResourceType = "unknown_resource_type",
    /// An action the audit trail does not know (L1).
    UnknownAction = "unknown_action",
    /// A webhook filter that is not `*`, `{type}.*` or an action (L3).
    InvalidActionPattern = "invalid_action_pattern",
    /// A webhook URL that is not an absolute http(s) URL.
    InvalidUrl = "invalid_url",
    /// A webhook URL that is not https, or names a loopback, private or link-local address (L4).
    InsecureUrl = "insecure_url",
    InvalidHost = "invalid_host",
    InvalidPort = "invalid_port",
    InvalidSipUsername = "invalid_sip_username",
    /// This `Idempotency-Key` came before with another request.
    IdempotencyKeyReused = "idempotency_key_reused",
    /// `current_password` is not the caller's password (K5).
    WrongPassword = "wrong_password",
    // 429
    /// Too many failed logins (K7) or phone authentications from one address (F7);
    /// `Retry-After` says when to try again.
    TooManyAttempts = "too_many_attempts",
    // 500, 503
    InternalError = "internal_error",
    ServiceUnavailable = "service_unavailable",
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_unique_snake_case() {
        let mut seen = std::collections::HashSet::new();
        for c in Code::ALL {
            assert!(c.as_str().bytes().all(|b| b.is_ascii_lowercase() || b == b'_'), "{c:?}");
            assert!(seen.insert(c.as_str()), "{c:?} twice");
        }
    }
}
