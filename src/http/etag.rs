//! Strong entity tags: every successful `GET` (and `PATCH`, whose answer is the resource as
//! a `GET` would now show it) carries `ETag`, the digest of its exact bytes, so two answers
//! have one tag exactly when they are byte for byte the same. `If-None-Match` with the
//! current tag answers 304 with no body. `If-Match` is parsed here and checked by the write
//! itself, inside its transaction (`routes::extract::Precondition`).

use actix_web::body::{BoxBody, MessageBody, to_bytes};
use actix_web::dev::ServiceResponse;
use actix_web::http::{Method, StatusCode, header};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// The strong tag of a representation: a quoted digest of its bytes.
pub fn tag_of(body: &[u8]) -> String {
    let digest = Sha256::digest(body);
    format!("\"{}\"", URL_SAFE_NO_PAD.encode(&digest[..18]))
}

/// What `If-Match` asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IfMatch {
    /// `*`: the resource exists.
    Any,
    /// One of these strong tags (quoted, as sent).
    Tags(Vec<String>),
}

/// Why an `If-Match` cannot be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BadIfMatch {
    /// `W/"…"`: a weak tag cannot be compared strongly, as `If-Match` requires.
    Weak,
    /// Not `*` nor a list of quoted tags.
    Malformed,
}

impl IfMatch {
    /// `*` or a comma-separated list of strong tags (RFC 9110 §13.1.1).
    pub fn parse(value: &[u8]) -> Result<IfMatch, BadIfMatch> {
        let text = std::str::from_utf8(value).map_err(|_| BadIfMatch::Malformed)?.trim();
        if text == "*" {
            return Ok(IfMatch::Any);
        }
        let mut tags = Vec::new();
        for part in text.split(',').map(str::trim) {
            if part.starts_with("W/") {
                return Err(BadIfMatch::Weak);
            }
            let inner = part.strip_prefix('"').and_then(|p| p.strip_suffix('"')).ok_or(BadIfMatch::Malformed)?;
            if inner.bytes().any(|b| b == b'"' || !(0x21..=0x7e).contains(&b)) {
                return Err(BadIfMatch::Malformed);
            }
            tags.push(part.to_owned());
        }
        if tags.is_empty() { Err(BadIfMatch::Malformed) } else { Ok(IfMatch::Tags(tags)) }
    }

    /// Whether the resource whose current tag is `current` satisfies the condition.
    pub fn matches(&self, current: &str) -> bool {
        match self {
            IfMatch::Any => true,
            IfMatch::Tags(tags) => tags.iter().any(|t| t == current),
        }
    }
}

/// Whether `If-None-Match` names `current` (weak comparison, as RFC 9110 §13.1.2 asks).
fn none_match_hits(value: &[u8], current: &str) -> bool {
    let Ok(text) = std::str::from_utf8(value) else { return false };
    text.trim() == "*" || text.split(',').map(|t| t.trim().trim_start_matches("W/")).any(|t| t == current)
}

/// Whether a request's answer gets a tag: `GET` and `PATCH`.
pub fn tagged(method: &Method) -> bool {
    method == Method::GET || method == Method::PATCH
}

/// Adds `ETag` to a successful answer of a [`tagged`] request, and answers a `GET` whose
/// `If-None-Match` (as sent) names the current tag with 304. Called by the token
/// middleware of `/v1` rather than wrapped as a layer of its own: one layer less on every
/// request.
pub async fn tag(
    method: &Method,
    if_none_match: Option<&[u8]>,
    res: ServiceResponse<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if res.status() != StatusCode::OK {
        return Ok(res.map_into_boxed_body());
    }
    let (req, res) = res.into_parts();
    let (mut head, body) = res.into_parts();
    let bytes = match body.try_into_bytes() {
        Ok(bytes) => bytes,
        Err(body) => {
            to_bytes(body).await.map_err(|_| crate::error::ApiError::internal("an answer's body could not be read"))?
        }
    };
    let tag = tag_of(&bytes);
    if let Ok(value) = header::HeaderValue::from_str(&tag) {
        head.headers_mut().insert(header::ETAG, value);
    }
    if method == Method::GET && if_none_match.is_some_and(|v| none_match_hits(v, &tag)) {
        head.headers_mut().remove(header::CONTENT_TYPE);
        let mut not_modified = head.set_body(BoxBody::new(()));
        *not_modified.status_mut() = StatusCode::NOT_MODIFIED;
        return Ok(ServiceResponse::new(req, not_modified));
    }
    Ok(ServiceResponse::new(req, head.set_body(BoxBody::new(bytes))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tag_is_strong_quoted_and_changes_with_every_byte() {
        let a = tag_of(br#"{"name":"a"}"#);
        assert!(a.starts_with('"') && a.ends_with('"') && !a.starts_with("W/"));
        assert_eq!(a, tag_of(br#"{"name":"a"}"#));
        assert_ne!(a, tag_of(br#"{"name":"b"}"#));
    }

    #[test]
    fn if_match_takes_star_or_strong_tags_and_refuses_weak_or_malformed_ones() {
        assert_eq!(IfMatch::parse(b"*"), Ok(IfMatch::Any));
        let tags = IfMatch::parse(br#""abc", "def""#).unwrap();
        assert!(tags.matches("\"def\"") && !tags.matches("\"xyz\""));
        assert_eq!(IfMatch::parse(br#"W/"abc""#), Err(BadIfMatch::Weak));
        assert_eq!(IfMatch::parse(br#""abc", W/"def""#), Err(BadIfMatch::Weak));
        for bad in [&b""[..], b"abc", b"\"abc", b"\"a\"b\"", b"\xff", b"\"a b\""] {
            assert_eq!(IfMatch::parse(bad), Err(BadIfMatch::Malformed), "{bad:?}");
        }
    }

    #[test]
    fn if_none_match_compares_weakly() {
        assert!(none_match_hits(br#"W/"abc""#, "\"abc\""));
        assert!(none_match_hits(br#""x", "abc""#, "\"abc\""));
        assert!(none_match_hits(b"*", "\"abc\""));
        assert!(!none_match_hits(br#""x""#, "\"abc\""));
    }
}
