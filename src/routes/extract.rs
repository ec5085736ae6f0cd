//! Request extraction with the API's own error rules: malformed JSON 400, invalid values
//! (wrong types, unknown or missing fields) 422 with the field named, bodies over
//! [`BODY_LIMIT`] 413, anything but JSON 415.

use std::future::Future;
use std::pin::Pin;

use actix_web::http::{StatusCode, header};
use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::error::ApiError;

/// Request bodies are small JSON documents; anything larger is refused before parsing.
pub const BODY_LIMIT: usize = 64 * 1024;

/// A JSON body, parsed with the API's error rules.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for ApiJson<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<ApiJson<T>, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_json = content_type(req).is_some_and(|ct| ct == "application/json" || ct.ends_with("+json"));
        let body = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            if !is_json {
                return Err(ApiError::UnsupportedMediaType);
            }
            let bytes = body.await.map_err(payload_error)?;
            parse_json(&bytes).map(ApiJson)
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
        ApiError::bad_request("invalid_body", "the request body could not be read")
    }
}

/// Parses JSON, telling syntax errors (400) from values that do not fit (422). The whole
/// body is checked for syntax first, so trailing garbage is 400 whatever the object holds.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request("malformed_json", "the request body is empty; send a JSON object"));
    }
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::bad_request("malformed_json", format!("malformed JSON: {e}")))?;
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let msg = scrub(&e.into_inner().to_string());
        let field = if path == "." || path.is_empty() { backticked(&msg).unwrap_or("body".into()) } else { path };
        let code = if msg.starts_with("unknown field") {
            "unknown_field"
        } else if msg.starts_with("missing field") {
            "missing_field"
        } else {
            "invalid_value"
        };
        ApiError::invalid(vec![crate::domain::validate::FieldError { field, code: code.into(), message: msg }])
    })
}

/// serde's messages quote the rejected value ("invalid type: integer `4928`, …"); a
/// mistyped password or PIN must not come back in the response, so only what was expected
/// is kept. Unknown and missing field messages name fields, never values.
fn scrub(msg: &str) -> String {
    if msg.starts_with("unknown field") || msg.starts_with("missing field") {
        return msg.to_owned();
    }
    match msg.find("expected") {
        Some(i) => format!("invalid value: {}", &msg[i..]),
        None => "invalid value".to_owned(),
    }
}

fn backticked(msg: &str) -> Option<String> {
    let start = msg.find('`')? + 1;
    let len = msg[start..].find('`')?;
    Some(msg[start..start + len].to_owned())
}

/// `limit` and `cursor` of every collection.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl PageQuery {
    /// `(after, limit)`; an unparseable cursor is 400, a limit out of range 422.
    pub fn resolve(&self) -> Result<(Option<Uuid>, i64), ApiError> {
        let limit = self.limit.unwrap_or(50);
        if !(1..=500).contains(&limit) {
            return Err(ApiError::field("limit", "invalid_limit", "limit must be from 1 to 500"));
        }
        let after = match &self.cursor {
            None => None,
            Some(c) => Some(
                Uuid::parse_str(c)
                    .map_err(|_| ApiError::bad_request("invalid_cursor", "the cursor is not one this API issued"))?,
            ),
        };
        Ok((after, limit))
    }
}

/// Deserialises an optional field that may be absent but not null: `{"name": null}` in a
/// PATCH is a mistake to report (422), not a silent no-op.
pub fn non_null<'de, T, D>(de: D) -> Result<Option<T>, D::Error>
where
    T: Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    T::deserialize(de).map(Some)
}

/// The text a nullable PATCH field sets, for validation: none when absent or null.
pub fn set_text(v: &Option<Option<String>>) -> Option<&str> {
    v.as_ref().and_then(|x| x.as_deref())
}

/// Deserialises a field that may be absent (`None`), null (`Some(None)`) or a value.
pub fn double_option<'de, T, D>(de: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    Option::<T>::deserialize(de).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[expect(dead_code, reason = "fields exist to be parsed")]
    struct Body {
        name: String,
        n: Option<i32>,
    }

    #[test]
    fn syntax_errors_are_400_and_value_errors_are_422_with_the_field() {
        assert!(matches!(parse_json::<Body>(b"{\"name\": "), Err(ApiError::BadRequest { .. })));
        assert!(matches!(parse_json::<Body>(b"{\"name\":\"x\"} trailing"), Err(ApiError::BadRequest { .. })));
        match parse_json::<Body>(b"{\"name\":\"x\",\"nme\":1}") {
            Err(ApiError::Validation(errors)) => assert_eq!(errors[0].field, "nme"),
            other => panic!("{other:?}"),
        }
        match parse_json::<Body>(b"{}") {
            Err(ApiError::Validation(errors)) => assert_eq!(errors[0].field, "name"),
            other => panic!("{other:?}"),
        }
        match parse_json::<Body>(b"{\"name\":\"x\",\"n\":\"seven\"}") {
            Err(ApiError::Validation(errors)) => {
                assert_eq!(errors[0].field, "n");
                assert!(!errors[0].message.contains("seven"), "the rejected value is echoed: {}", errors[0].message);
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(parse_json::<Body>(b"{} trailing"), Err(ApiError::BadRequest { .. })));
    }
}
