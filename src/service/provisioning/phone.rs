//! The phone's side of provisioning: one `/provisioning/{file}` request, from the client
//! address's throttle (F7) through authentication (F4), the file (F5), the rendering (F6)
//! and the fetch record (F8).
//!
//! F4's "same answer in the same time": a request with credentials reads the throttle row,
//! looks the device up by the username it names (whatever that username is, so an unknown
//! MAC costs the same query as a known one), runs the same hashes against the device's
//! verifiers or stand-ins, and on failure counts it. A wrong password and an unknown MAC
//! differ in nothing. A request without credentials does the same work except the count:
//! every phone's first request carries none (it waits for the challenge), so counting
//! those would throttle phones, not guessers.

use crate::authz::provisioning::{self as rules, Fetch, Throttle};
use crate::db::repo::provisioning::Phone;
use crate::db::{DbConn, now, repo, write_tx};
use crate::domain::MacAddress;
use crate::error::ApiError;
use crate::provisioning::digest::{Candidates, Matched, PhoneAuth, Verdict, Verifiers, parse_authorization};
use crate::provisioning::files::{ProvisioningFile, Vendor};
use crate::provisioning::render::{self, Rendered, Secrets};

/// A phone's request, as the HTTP layer read it.
#[derive(Debug)]
pub struct PhoneRequest {
    /// The method the phone sent (`HEAD` too: Digest signs it).
    pub method: String,
    /// The request-target as received (path and query), which Digest's `uri` must equal.
    pub target: String,
    /// The last path segment exactly as received: never decoded.
    pub file: String,
    pub authorization: Option<Vec<u8>>,
    /// The client address (F7, F8).
    pub address: String,
    pub user_agent: Option<String>,
    pub if_none_match: Option<String>,
    /// Seconds since the Unix epoch.
    pub now: u64,
}

/// What the phone gets.
#[derive(Debug)]
pub enum PhoneAnswer {
    /// 401 with the challenges; `stale` after a right answer to an expired nonce.
    Challenge {
        stale: bool,
    },
    /// 429 with `Retry-After` (F7).
    Throttled {
        retry_after_secs: i64,
    },
    /// 404: no such file, another phone's file, or nothing to render yet.
    NotFound,
    /// 405: a log upload fetched, or a file uploaded.
    MethodNotAllowed {
        allow: &'static str,
    },
    /// 204: a log upload, accepted and not kept.
    LogAccepted,
    /// 304: the phone's copy is current (F6).
    NotModified {
        etag: String,
    },
    File(Rendered),
    /// 409: the record cannot be rendered (more lines than the template holds).
    NotRenderable(String),
}

/// Longest username looked up; a MAC has 12 characters.
const MAX_USERNAME_LEN: usize = 64;

/// Answers one `/provisioning/` request.
pub fn fetch(conn: &mut DbConn, auth: &PhoneAuth, base_url: &str, req: &PhoneRequest) -> Result<PhoneAnswer, ApiError> {
    let now = i64::try_from(req.now).unwrap_or(i64::MAX);
    if let Some((start, failures)) = repo::provisioning::failures_of(conn, &req.address)?
        && let Throttle::Closed { retry_after_secs } = rules::throttle(i64::from(failures), start, now)
    {
        return Ok(PhoneAnswer::Throttled { retry_after_secs });
    }
    let credentials = req.authorization.as_deref().and_then(parse_authorization);
    let username = credentials.as_ref().map_or("", |c| c.username());
    let username = if username.len() <= MAX_USERNAME_LEN { username } else { "" };
    let phone = repo::provisioning::phone_by_mac(conn, username)?;
    let login = phone.as_ref().and_then(|p| p.login.as_ref());
    let current = login.and_then(|l| l.verifiers.as_deref()).and_then(Verifiers::from_stored);
    let previous = login
        .filter(|l| rules::previous_password_counts(l.previous_until, now))
        .and_then(|l| l.previous_verifiers.as_deref())
        .and_then(Verifiers::from_stored);
    let candidates = Candidates { current: current.as_ref(), previous: previous.as_ref() };
    let verdict = auth.verify(credentials.as_ref(), &req.method, &req.target, candidates, req.now);
    let (phone, matched) = match (verdict, phone) {
        (Verdict::Authenticated(m), Some(p)) => (p, m),
        (Verdict::Stale, _) => return Ok(PhoneAnswer::Challenge { stale: true }),
        _ => {
            if credentials.is_some() {
                write_tx(conn, |conn| {
                    repo::provisioning::record_failure(conn, &req.address, now, rules::FAILURE_WINDOW_SECS)?;
                    // Windows that have ended decide nothing: the table holds only live ones.
                    repo::provisioning::forget_failures_before(conn, now - rules::FAILURE_WINDOW_SECS)?;
                    Ok(())
                })?;
            }
            return Ok(PhoneAnswer::Challenge { stale: false });
        }
    };
    let answer = serve(conn, &phone, base_url, req)?;
    if !matches!(answer, PhoneAnswer::NotFound | PhoneAnswer::MethodNotAllowed { .. }) {
        record(conn, &phone, matched, req)?;
    }
    Ok(answer)
}

/// The file an authenticated phone asked for (F5, F6).
fn serve(conn: &mut DbConn, phone: &Phone, base_url: &str, req: &PhoneRequest) -> Result<PhoneAnswer, ApiError> {
    let Some(file) = ProvisioningFile::parse(&req.file) else { return Ok(PhoneAnswer::NotFound) };
    let Some(mac) = MacAddress::parse(&phone.mac) else { return Ok(PhoneAnswer::NotFound) };
    let vendor = phone.vendor.as_deref().and_then(|v| Vendor::parse(v).ok());
    let upload = req.method == "PUT";
    let rendered = match (rules::can_fetch(&mac, vendor, &file), &file) {
        (Fetch::NotFound, _) => return Ok(PhoneAnswer::NotFound),
        (Fetch::Own, ProvisioningFile::Device(f)) if f.kind.is_log_upload() => {
            return Ok(if upload { PhoneAnswer::LogAccepted } else { PhoneAnswer::MethodNotAllowed { allow: "PUT" } });
        }
        _ if upload => return Ok(PhoneAnswer::MethodNotAllowed { allow: "GET, HEAD" }),
        (Fetch::Shared, ProvisioningFile::Shared(f)) => {
            render::render_shared_file(*f).map_err(|e| ApiError::internal(format!("shared file: {e}")))?
        }
        (Fetch::Own, ProvisioningFile::Device(f)) => {
            let Some(vendor) = vendor else { return Ok(PhoneAnswer::NotFound) };
            let lines = match &phone.lines_json {
                Some(json) => repo::provisioning::parse_render_lines(json)?,
                None => repo::provisioning::render_lines(conn, phone.id)?,
            };
            let data = phone.render_data(lines);
            match super::render_file(&data, vendor, f.kind, base_url, Secrets::Include) {
                Ok(r) => r,
                Err(super::Unrenderable::NoSipService) => return Ok(PhoneAnswer::NotFound),
                Err(super::Unrenderable::Render(e)) => return Ok(PhoneAnswer::NotRenderable(e.to_string())),
            }
        }
        _ => return Ok(PhoneAnswer::NotFound),
    };
    if req.if_none_match.as_deref().is_some_and(|h| etag_matches(h, &rendered.etag)) {
        return Ok(PhoneAnswer::NotModified { etag: rendered.etag });
    }
    Ok(PhoneAnswer::File(rendered))
}

/// `If-None-Match` (RFC 9110 §13.1.2, weak comparison): `*` or any listed tag.
fn etag_matches(header: &str, etag: &str) -> bool {
    header.split(',').map(str::trim).any(|t| t == "*" || t.trim_start_matches("W/") == etag)
}

/// F8 (and F3's end of grace): the fetch is recorded on the device. A fetch from the same
/// address and client within the second already recorded changes nothing and writes nothing.
fn record(conn: &mut DbConn, phone: &Phone, matched: Matched, req: &PhoneRequest) -> Result<(), ApiError> {
    let at = now();
    let login = phone.login.as_ref();
    let end_grace = rules::ends_grace(matched) && login.is_some_and(|l| l.previous_verifiers.is_some());
    let same = login.is_some_and(|l| {
        l.last_fetch_address.as_deref() == Some(req.address.as_str())
            && l.last_user_agent == req.user_agent
            && l.last_fetch_at.is_some_and(|t| t.datetime().timestamp() == at.datetime().timestamp())
    });
    if same && !end_grace {
        return Ok(());
    }
    write_tx(conn, |conn| {
        repo::provisioning::record_fetch(conn, phone.id, at, &req.address, req.user_agent.as_deref(), end_grace)?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::etag_matches;

    #[test]
    fn if_none_match_takes_any_listed_tag_weak_or_strong_and_the_star() {
        assert!(etag_matches("\"abc\"", "\"abc\""));
        assert!(etag_matches("\"x\", W/\"abc\"", "\"abc\""));
        assert!(etag_matches("*", "\"abc\""));
        assert!(!etag_matches("\"abd\"", "\"abc\""));
    }
}
