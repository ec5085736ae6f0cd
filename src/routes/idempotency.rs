//! Safe retries of `POST`: a request sent with `Idempotency-Key` runs once per caller and
//! key; the same key with the same request within 24 hours gets the first answer again
//! (marked `Idempotent-Replayed: true`), with another request 422
//! `idempotency_key_reused`, and while the first still runs 409
//! `idempotency_key_in_flight`. Keys live in the database, so a retry that reaches another
//! instance is answered the same.
//!
//! What is kept of an answer never holds a secret: a generated secret or token in it
//! (`client_secret`, `access_token`, …) is kept and replayed as `"<redacted>"`. A client
//! that lost the first answer rotates the secret rather than reading it from a store.

use actix_web::body::{BoxBody, MessageBody, to_bytes};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse, web};
use sha2::{Digest, Sha256};

use super::extract::{Authenticated, payload_error};
use crate::auth::token::Subject;
use crate::db::repo::idempotency::{Begin, Stored};
use crate::db::{Session, repo, write_tx};
use crate::domain::code::Code;
use crate::error::ApiError;
use crate::service;
use crate::state::AppState;

pub const HEADER: &str = "idempotency-key";
/// How long a key's answer is kept, in seconds.
pub const KEEP_SECS: i64 = 24 * 60 * 60;
/// A key whose request has run this long without an answer was abandoned (its process
/// stopped); a retry may run it again.
pub const ABANDONED_SECS: i64 = 5 * 60;
/// Fields whose values are secrets, never kept.
const SECRET_FIELDS: [&str; 6] = ["client_secret", "access_token", "password", "sip_password", "secret", "token"];

/// A key as the contract states it: 1 to 255 visible ASCII characters.
pub fn parse_key(value: &[u8]) -> Result<String, ApiError> {
    let bad = |why: &str| ApiError::bad_request(Code::InvalidIdempotencyKey, format!("Idempotency-Key {why}"));
    if value.is_empty() {
        return Err(bad("is empty; send 1 to 255 visible ASCII characters"));
    }
    if value.len() > 255 {
        return Err(bad("is longer than 255 characters"));
    }
    if !value.iter().all(|b| (0x21..=0x7e).contains(b)) {
        return Err(bad("must be visible ASCII characters only (no spaces, no other characters)"));
    }
    String::from_utf8(value.to_vec()).map_err(|_| bad("is not ASCII"))
}

/// A `POST` with an `Idempotency-Key`, after the token check (whose verdict it reads), from
/// `routes::middleware::authenticate`.
pub async fn idempotent(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let raw = match req.headers().get(HEADER) {
        Some(v) if req.method() == Method::POST => v.as_bytes().to_vec(),
        _ => return next.call(req).await.map(ServiceResponse::map_into_boxed_body),
    };
    let key = match parse_key(&raw) {
        Ok(k) => k,
        Err(e) => return Ok(req.error_response(e)),
    };
    let verdict = req.extensions().get::<Result<Authenticated, ApiError>>().and_then(|v| v.as_ref().ok().cloned());
    let Some(Authenticated(token)) = verdict else {
        // No valid token: the handler answers 401, and nothing is kept.
        return next.call(req).await.map(ServiceResponse::map_into_boxed_body);
    };
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(req.error_response(ApiError::internal("application state missing")));
    };
    let body = match req.extract::<web::Bytes>().await {
        Ok(b) => b,
        Err(e) => return Ok(req.error_response(payload_error(e))),
    };
    req.set_payload(actix_web::dev::Payload::from(body.clone()));
    let caller = match token.subject {
        Subject::Login(id) => format!("login:{id}"),
        Subject::Client(id) => format!("client:{id}"),
    };
    let hash = request_hash(&req, &body);
    let now = service::identity::unix_now();
    let (who, k) = (caller.clone(), key.clone());
    let begun = Session::new(state.pool.clone())
        .run(move |s| {
            let conn = s.conn()?;
            // A token no longer honoured replays nothing: the handler refuses it.
            if service::identity::principal(conn, &token)?.is_none() {
                return Ok(None);
            }
            let limits = (now - KEEP_SECS, now - ABANDONED_SECS);
            let begun = write_tx(conn, |conn| {
                repo::idempotency::begin(conn, &who, &k, &hash, now, limits).map_err(|e| {
                    // Another request claimed the key between the read and the insert.
                    if crate::db::is_unique_violation(&e) { in_flight() } else { e.into() }
                })
            });
            match begun {
                Err(ApiError::Conflict { code: Code::IdempotencyKeyInFlight, .. }) => Ok(Some(Begin::InFlight)),
                other => other.map(Some),
            }
        })
        .await;
    match begun {
        Err(e) => Ok(req.error_response(e)),
        Ok(None) => next.call(req).await.map(ServiceResponse::map_into_boxed_body),
        Ok(Some(Begin::Mismatch)) => Ok(req.error_response(ApiError::field(
            "Idempotency-Key",
            Code::IdempotencyKeyReused,
            "this key was used with another request; use a new key for a new request",
        ))),
        Ok(Some(Begin::InFlight)) => Ok(req.error_response(in_flight())),
        Ok(Some(Begin::Replay(stored))) => Ok(req.into_response(replay(stored))),
        Ok(Some(Begin::Started)) => {
            let res = next.call(req).await?;
            keep(&state, caller, key, res).await
        }
    }
}

fn in_flight() -> ApiError {
    ApiError::conflict(
        Code::IdempotencyKeyInFlight,
        "the first request with this key is still running; retry after it answers",
    )
}

/// What identifies a request besides its key: method, path and query, media type, body.
fn request_hash(req: &ServiceRequest, body: &[u8]) -> String {
    let content_type = req.headers().get(header::CONTENT_TYPE).map(|v| v.as_bytes()).unwrap_or_default();
    let d = Sha256::new()
        .chain_update(req.method().as_str())
        .chain_update(b"\0")
        .chain_update(req.uri().path_and_query().map(|p| p.as_str()).unwrap_or_default())
        .chain_update(b"\0")
        .chain_update(content_type)
        .chain_update(b"\0")
        .chain_update(body)
        .finalize();
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// Keeps the answer (secrets redacted) and sends it. An answer that says the request did
/// not really run (a fault, a refused or throttled token) is not kept: a retry runs again.
async fn keep(
    state: &AppState,
    caller: String,
    key: String,
    res: ServiceResponse<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let status = res.status();
    let (req, res) = res.into_parts();
    let (head, body) = res.into_parts();
    let bytes = to_bytes(body).await.map_err(|_| ApiError::internal("the answer's body could not be read"))?;
    let replayable =
        !(status.is_server_error() || status == StatusCode::UNAUTHORIZED || status == StatusCode::TOO_MANY_REQUESTS);
    let header_text = |name| head.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let stored = Stored {
        status: status.as_u16(),
        content_type: header_text(header::CONTENT_TYPE),
        location: header_text(header::LOCATION),
        body: (!bytes.is_empty()).then(|| redacted(&bytes)),
    };
    let kept = Session::new(state.pool.clone())
        .run(move |s| {
            write_tx(s.conn()?, |conn| {
                if replayable {
                    repo::idempotency::finish(conn, &caller, &key, &stored)?;
                } else {
                    repo::idempotency::forget(conn, &caller, &key)?;
                }
                Ok(())
            })
        })
        .await;
    if let Err(e) = kept {
        // The request ran and its answer goes out; a retry within the abandonment delay
        // gets 409, after it the request may run again.
        tracing::warn!(cause = %e, "the answer to an idempotent request could not be kept");
    }
    Ok(ServiceResponse::new(req, head.set_body(BoxBody::new(bytes))))
}

/// The answer's body with every secret value replaced by `"<redacted>"`.
fn redacted(bytes: &[u8]) -> String {
    fn walk(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(map) => {
                for (name, value) in map.iter_mut() {
                    if SECRET_FIELDS.contains(&name.as_str()) && value.is_string() {
                        *value = serde_json::Value::from("<redacted>");
                    } else {
                        walk(value);
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    match serde_json::from_slice::<serde_json::Value>(bytes) {
        Ok(mut v) => {
            walk(&mut v);
            v.to_string()
        }
        Err(_) => String::from_utf8_lossy(bytes).into_owned(),
    }
}

/// The kept answer, again.
fn replay(stored: Stored) -> HttpResponse {
    let mut res = HttpResponse::build(StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK));
    res.insert_header(("Idempotent-Replayed", "true"));
    if let Some(ct) = stored.content_type {
        res.insert_header((header::CONTENT_TYPE, ct));
    }
    if let Some(location) = stored.location {
        res.insert_header((header::LOCATION, location));
    }
    match stored.body {
        Some(body) => res.body(body),
        None => res.finish(),
    }
}

#[cfg(test)]
mod tests {
    use actix_web::ResponseError;

    use super::*;

    #[test]
    fn a_key_is_one_to_255_visible_ascii_characters() {
        assert_eq!(parse_key(b"retry-7f3a").unwrap(), "retry-7f3a");
        assert!(parse_key(&[b'k'; 255]).is_ok());
        for bad in [&b""[..], &[b'k'; 256], b"with space", "caf\u{e9}".as_bytes(), b"tab\there"] {
            let e = parse_key(bad).unwrap_err();
            assert_eq!(e.status_code(), StatusCode::BAD_REQUEST, "{bad:?}");
        }
    }

    #[test]
    fn a_kept_answer_holds_no_secret() {
        let body = br#"{"id":"x","client_secret":"siprov_cs_abc","nested":{"password":"p"},"name":"n"}"#;
        let kept = redacted(body);
        assert!(!kept.contains("siprov_cs_abc") && !kept.contains("\"p\""), "{kept}");
        assert!(kept.contains("\"name\":\"n\""));
    }
}
