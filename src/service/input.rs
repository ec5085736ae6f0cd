//! A request body whose JSON syntax has been checked but whose values have not: use cases
//! decide the caller's rights first and only then [`Input::parse`] it, so a caller refused
//! whatever it sends learns nothing from a 422 about its values.

use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::domain::code::Code;
use crate::domain::validate::FieldError;
use crate::error::ApiError;

/// A JSON body not yet turned into `T`.
#[derive(Debug)]
pub struct Input<T> {
    value: serde_json::Value,
    _of: PhantomData<fn() -> T>,
}

impl<T: DeserializeOwned> Input<T> {
    /// Checks JSON syntax only (400 when malformed): the whole body is checked, so trailing
    /// garbage is 400 whatever the object holds.
    pub fn from_slice(bytes: &[u8]) -> Result<Input<T>, ApiError> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError::bad_request(Code::MalformedJson, "the request body is empty; send a JSON object"));
        }
        let value = serde_json::from_slice(bytes)
            .map_err(|e| ApiError::bad_request(Code::MalformedJson, format!("malformed JSON: {e}")))?;
        Ok(Input::from_value(value))
    }

    /// A top-level field as sent, unjudged: for what the HTTP layer names in a header once
    /// the use case has accepted the body (a new line's account in `Location`).
    pub fn peek(&self, field: &str) -> Option<&serde_json::Value> {
        self.value.get(field)
    }

    pub fn from_value(value: serde_json::Value) -> Input<T> {
        Input { value, _of: PhantomData }
    }

    /// The values as `T`: a wrong type, an unknown or a missing field is 422 naming the
    /// field, and the message never echoes the rejected value (a mistyped password or PIN
    /// must not come back in the response).
    pub fn parse(self) -> Result<T, ApiError> {
        // Every body of this API is an object; serde would also read a struct from an array
        // of its fields in order, which no client means.
        if !self.value.is_object() {
            return Err(ApiError::field("body", Code::InvalidValue, "invalid value: expected an object"));
        }
        serde_path_to_error::deserialize(super::objects_only::ObjectsOnly(self.value)).map_err(|e| {
            let path = e.path().to_string();
            let msg = scrub(&e.into_inner().to_string());
            let field = if path == "." || path.is_empty() { backticked(&msg).unwrap_or("body".into()) } else { path };
            let code = if msg.starts_with("unknown field") {
                Code::UnknownField
            } else if msg.starts_with("missing field") {
                Code::MissingField
            } else {
                Code::InvalidValue
            };
            ApiError::invalid(vec![FieldError::new(&field, code, msg)])
        })
    }
}

/// Deserialises an optional field that may be absent but not null: `{"name": null}` in a
/// PATCH is a mistake to report (422), not a silent no-op.
pub fn non_null<'de, T, D>(de: D) -> Result<Option<T>, D::Error>
where
    T: serde::Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    T::deserialize(de).map(Some)
}

/// Deserialises a field that may be absent (`None`), null (`Some(None)`) or a value.
pub fn double_option<'de, T, D>(de: D) -> Result<Option<Option<T>>, D::Error>
where
    T: serde::Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    Option::<T>::deserialize(de).map(Some)
}

/// The text a nullable PATCH field sets, for validation: none when absent or null.
pub fn set_text(v: &Option<Option<String>>) -> Option<&str> {
    v.as_ref().and_then(|x| x.as_deref())
}

/// serde's messages quote the rejected value ("invalid type: integer `4928`, …"); only what
/// was expected is kept, in the API's terms (JSON types, never Rust's). Unknown and
/// missing field messages name fields, never values.
fn scrub(msg: &str) -> String {
    if msg.starts_with("unknown field") || msg.starts_with("missing field") {
        return msg.to_owned();
    }
    match msg.find("expected") {
        Some(i) => format!("invalid value: expected {}", in_api_terms(msg[i + "expected".len()..].trim())),
        None => "invalid value".to_owned(),
    }
}

/// What serde says it expected, as a JSON type: `struct SettingsInput` is an object, `i32`
/// an integer, `enum Level` one of the documented values.
fn in_api_terms(expected: &str) -> String {
    let first = expected.split_whitespace().next().unwrap_or("");
    let integer = ["i8", "i16", "i32", "i64", "i128", "isize", "u8", "u16", "u32", "u64", "u128", "usize"];
    if first == "struct" || first == "map" || expected.starts_with("a map") {
        "an object".to_owned()
    } else if first == "enum" {
        "one of the documented values".to_owned()
    } else if integer.iter().any(|t| first.trim_end_matches(|c: char| !c.is_alphanumeric()) == *t) {
        "an integer".to_owned()
    } else if first == "f32" || first == "f64" {
        "a number".to_owned()
    } else if expected.starts_with("a sequence") || first == "tuple" {
        "an array".to_owned()
    } else if expected.contains("UUID") || expected.contains("uuid") {
        "a UUID string".to_owned()
    } else {
        expected.to_owned()
    }
}

fn backticked(msg: &str) -> Option<String> {
    let start = msg.find('`')? + 1;
    let len = msg[start..].find('`')?;
    Some(msg[start..start + len].to_owned())
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

    fn parse(bytes: &[u8]) -> Result<Body, ApiError> {
        Input::<Body>::from_slice(bytes)?.parse()
    }

    #[test]
    fn syntax_errors_are_400_and_value_errors_are_422_with_the_field() {
        assert!(matches!(parse(b"{\"name\": "), Err(ApiError::BadRequest { .. })));
        assert!(matches!(parse(b"{\"name\":\"x\"} trailing"), Err(ApiError::BadRequest { .. })));
        match parse(b"{\"name\":\"x\",\"nme\":1}") {
            Err(ApiError::Validation(errors)) => assert_eq!(errors[0].field, "nme"),
            other => panic!("{other:?}"),
        }
        match parse(b"{}") {
            Err(ApiError::Validation(errors)) => assert_eq!(errors[0].field, "name"),
            other => panic!("{other:?}"),
        }
        match parse(b"{\"name\":\"x\",\"n\":\"seven\"}") {
            Err(ApiError::Validation(errors)) => {
                assert_eq!(errors[0].field, "n");
                assert!(!errors[0].message.contains("seven"), "the rejected value is echoed: {}", errors[0].message);
                assert_eq!(errors[0].message, "invalid value: expected an integer");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(parse(b"{} trailing"), Err(ApiError::BadRequest { .. })));
        #[derive(Debug, Deserialize)]
        #[serde(deny_unknown_fields)]
        #[expect(dead_code, reason = "fields exist to be parsed")]
        struct Outer {
            inner: Option<Body>,
        }
        match Input::<Outer>::from_slice(b"{\"inner\": [\"x\", 1]}").unwrap().parse() {
            Err(ApiError::Validation(errors)) => assert_eq!(errors[0].field, "inner"),
            other => panic!("an array read as a struct: {other:?}"),
        }
        assert!(Input::<Outer>::from_slice(b"{\"inner\": {\"name\": \"x\"}}").unwrap().parse().is_ok());
        assert!(Input::<Outer>::from_slice(b"{\"inner\": null}").unwrap().parse().is_ok());
        for not_an_object in [&b"[]"[..], b"[\"x\", 1]", b"\"x\"", b"7", b"null"] {
            match parse(not_an_object) {
                Err(ApiError::Validation(errors)) => assert_eq!(errors[0].field, "body"),
                other => panic!("{other:?}"),
            }
        }
    }
}
