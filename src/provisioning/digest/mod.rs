//! HTTP authentication of phones (rule F4): Digest (RFC 7616, MD5 and SHA-256, `qop=auth`)
//! and Basic (RFC 7617), with stored verifiers instead of passwords and stateless nonces.
//!
//! The flow the HTTP layer follows for every `/provisioning/` request:
//! 1. [`parse_authorization`] on the `Authorization` header (absent or malformed: `None`).
//! 2. If there are credentials, look up the device whose MAC is [`Credentials::username`]
//!    and load its current verifiers (and the previous ones while F3's grace lasts).
//! 3. [`PhoneAuth::verify`] with whatever was found, even nothing: it does the same work
//!    for a missing header, an unknown MAC and a wrong password, so the 401 they all get
//!    comes in the same time (F4). Only [`Verdict::Authenticated`] lets the request on.
//! 4. Otherwise answer 401 with one `WWW-Authenticate` header per value of
//!    [`PhoneAuth::challenges`], `stale` set when the verdict was [`Verdict::Stale`].
//!
//! Nonces are not stored anywhere: a nonce is its issue time and an HMAC of that time under
//! a key every instance on the database shares, so any instance verifies any other's
//! nonces, and a nonce older than [`NONCE_LIFETIME_SECS`] is stale. The price of being
//! stateless is that `nc` is not tracked: a captured request can be replayed until its
//! nonce is stale. The replay fetches the same bytes the capture already revealed, and the
//! provisioning URL is expected to be HTTPS, where nothing is captured.
//!
//! `qop=auth` is required. The RFC 2069 form without `qop` (no client nonce, no count) is
//! refused: every challenge here offers `qop="auth"`, and a client of RFC 2617 (1999) or
//! later must then use it; only a client older than that would answer without. `auth-int`,
//! the `-sess` algorithms and `userhash` are not offered, so a response using them is
//! refused.

mod parse;
mod verifiers;

use std::fmt;

pub use parse::parse_authorization;
pub use verifiers::Verifiers;
use verifiers::basic_verifier;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use md5::Md5;
use sha2::{Digest, Sha256};
use subtle::{Choice, ConstantTimeEq};

/// How long a nonce is accepted (F4: stale after 5 minutes).
pub const NONCE_LIFETIME_SECS: u64 = 300;
/// How far in the future a nonce's time may lie: instances sharing a database may have
/// clocks a little apart, and a nonce one of them issued must verify on the others.
pub const NONCE_CLOCK_SKEW_SECS: u64 = 30;
/// Longest `Authorization` value looked at. A real Digest header from a phone is ~400
/// bytes; anything past this is refused before parsing.
pub const MAX_AUTHORIZATION_LEN: usize = 4096;
/// Most auth-params a Digest header may carry (a real one has ten).
pub(super) const MAX_DIGEST_PARAMS: usize = 24;

/// The Digest algorithms siprov offers, strongest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Algorithm {
    Md5,
    Sha256,
}

impl Algorithm {
    /// Offered in this order (RFC 7616 §3.7: most preferred first).
    pub const OFFERED: [Algorithm; 2] = [Algorithm::Sha256, Algorithm::Md5];

    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Md5 => "MD5",
            Algorithm::Sha256 => "SHA-256",
        }
    }

    fn parse(s: &str) -> Option<Algorithm> {
        if s.eq_ignore_ascii_case("MD5") {
            Some(Algorithm::Md5)
        } else if s.eq_ignore_ascii_case("SHA-256") {
            Some(Algorithm::Sha256)
        } else {
            None
        }
    }

    fn hash(self, parts: &[&[u8]]) -> Vec<u8> {
        match self {
            Algorithm::Md5 => {
                let mut h = Md5::new();
                parts.iter().for_each(|p| h.update(p));
                h.finalize().to_vec()
            }
            Algorithm::Sha256 => {
                let mut h = Sha256::new();
                parts.iter().for_each(|p| h.update(p));
                h.finalize().to_vec()
            }
        }
    }

    fn output_len(self) -> usize {
        match self {
            Algorithm::Md5 => 16,
            Algorithm::Sha256 => 32,
        }
    }
}

/// The key nonces are signed with. Every instance on one database must hold the same key,
/// or a phone's nonce from one instance fails on the next.
#[derive(Clone)]
pub struct NonceKey([u8; 32]);

impl fmt::Debug for NonceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NonceKey(..)")
    }
}

impl NonceKey {
    pub fn from_bytes(key: [u8; 32]) -> NonceKey {
        NonceKey(key)
    }

    /// Derives the nonce key from a secret the instances already share (the server's
    /// signing secret), under a label of its own so the two uses never meet.
    pub fn derive(secret: &[u8]) -> NonceKey {
        NonceKey(hmac_sha256(secret, &[b"siprov provisioning digest nonce key v1"]))
    }
}

/// Parsed `Authorization` credentials.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Credentials {
    Digest(DigestCredentials),
    Basic(BasicCredentials),
}

impl Credentials {
    /// The username to look the device up by (its MAC, if the phone is configured right).
    pub fn username(&self) -> &str {
        match self {
            Credentials::Digest(d) => &d.username,
            Credentials::Basic(b) => &b.username,
        }
    }
}

/// A Digest response with `qop=auth`, syntactically complete; nothing in it is checked
/// against the server yet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DigestCredentials {
    pub username: String,
    pub realm: String,
    pub nonce: String,
    pub uri: String,
    pub algorithm: Algorithm,
    /// As sent (`auth` in any case): it enters the hash verbatim.
    pub qop: String,
    pub nc: String,
    pub cnonce: String,
    response: Vec<u8>,
}

#[derive(Clone, PartialEq, Eq)]
pub struct BasicCredentials {
    pub username: String,
    password: String,
}

impl fmt::Debug for BasicCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BasicCredentials").field("username", &self.username).finish_non_exhaustive()
    }
}

/// The verifiers a request may match: the current password's, and during F3's grace the
/// previous one's. `None` slots (no such device, no previous password) are checked against
/// dummies so the work is the same, and never match.
#[derive(Clone, Copy, Debug, Default)]
pub struct Candidates<'a> {
    pub current: Option<&'a Verifiers>,
    pub previous: Option<&'a Verifiers>,
}

impl<'a> Candidates<'a> {
    /// No device has this username.
    pub const NONE: Candidates<'static> = Candidates { current: None, previous: None };

    pub fn current(verifiers: &'a Verifiers) -> Candidates<'a> {
        Candidates { current: Some(verifiers), previous: None }
    }

    pub fn with_previous(self, previous: Option<&'a Verifiers>) -> Candidates<'a> {
        Candidates { previous, ..self }
    }
}

/// Which password a request proved knowledge of. F3: the first [`Matched::Current`] ends
/// the previous password's grace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Matched {
    Current,
    Previous,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Authenticated(Matched),
    /// Right password for a nonce siprov signed, but the nonce is too old: answer 401 with
    /// `stale=true` so the phone retries at once with a fresh nonce (RFC 7616 §3.3).
    Stale,
    Denied,
}

/// What a nonce says about itself once its signature is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum NonceState {
    Fresh,
    Expired,
    Invalid,
}

/// The realm is printed in quoted-strings of response headers and is part of every
/// verifier: it must be printable ASCII without `"` or `\`, and not empty.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the provisioning realm must be 1 to 128 printable ASCII characters without '\"' or '\\\\'")]
pub struct InvalidRealm;

/// Phone authentication for one realm under one nonce key.
#[derive(Clone, Debug)]
pub struct PhoneAuth {
    realm: String,
    key: NonceKey,
    /// Stand-ins for a missing device or a missing previous password.
    dummy: Verifiers,
    /// Stand-in for a request without credentials.
    dummy_digest: DigestCredentials,
}

impl PhoneAuth {
    pub fn new(realm: &str, key: NonceKey) -> Result<PhoneAuth, InvalidRealm> {
        if realm.is_empty()
            || realm.len() > 128
            || !realm.bytes().all(|b| (0x20..=0x7e).contains(&b) && b != b'"' && b != b'\\')
        {
            return Err(InvalidRealm);
        }
        let dummy = Verifiers::from_password("000000000000", realm, "no device has this password");
        let dummy_digest = DigestCredentials {
            username: "000000000000".to_owned(),
            realm: realm.to_owned(),
            nonce: "A".repeat(NONCE_LEN),
            uri: "/".to_owned(),
            algorithm: Algorithm::Sha256,
            qop: "auth".to_owned(),
            nc: "00000001".to_owned(),
            cnonce: "dummy".to_owned(),
            response: vec![0; Algorithm::Sha256.output_len()],
        };
        Ok(PhoneAuth { realm: realm.to_owned(), key, dummy, dummy_digest })
    }

    pub fn realm(&self) -> &str {
        &self.realm
    }

    /// The verifiers to store when a provisioning password is issued (F3).
    pub fn verifiers(&self, username: &str, password: &str) -> Verifiers {
        Verifiers::from_password(username, &self.realm, password)
    }

    /// A nonce issued at `now` (seconds since the Unix epoch).
    pub fn nonce(&self, now: u64) -> String {
        let time = now.to_be_bytes();
        let tag = self.nonce_tag(&time);
        let mut raw = [0u8; 24];
        raw[..8].copy_from_slice(&time);
        raw[8..].copy_from_slice(&tag);
        URL_SAFE_NO_PAD.encode(raw)
    }

    fn nonce_tag(&self, time: &[u8; 8]) -> [u8; 16] {
        let mac = hmac_sha256(&self.key.0, &[b"siprov nonce v1\0", time, self.realm.as_bytes()]);
        let mut tag = [0u8; 16];
        tag.copy_from_slice(&mac[..16]);
        tag
    }

    fn nonce_state(&self, nonce: &str, now: u64) -> NonceState {
        let mut raw = [0u8; 24];
        let decoded = nonce.len() == NONCE_LEN && URL_SAFE_NO_PAD.decode_slice(nonce, &mut raw).ok() == Some(24);
        let mut time = [0u8; 8];
        time.copy_from_slice(&raw[..8]);
        // Computed even for a nonce that did not decode, so the work does not depend on it.
        let signed = self.nonce_tag(&time).ct_eq(&raw[8..]);
        if !(decoded && bool::from(signed)) {
            return NonceState::Invalid;
        }
        let issued = u64::from_be_bytes(time);
        if issued > now.saturating_add(NONCE_CLOCK_SKEW_SECS) {
            NonceState::Invalid
        } else if now.saturating_sub(issued) > NONCE_LIFETIME_SECS {
            NonceState::Expired
        } else {
            NonceState::Fresh
        }
    }

    /// The `WWW-Authenticate` values of a 401, one header each, in order: Digest SHA-256,
    /// Digest MD5, Basic. `stale` marks the Digest challenges after a [`Verdict::Stale`].
    /// SHA-256 comes first because RFC 7616 §3.7 has clients take the first challenge they
    /// support; a client that only ever reads the first one and knows only MD5 fails here,
    /// and [`Algorithm::OFFERED`] is the one place to change that.
    pub fn challenges(&self, now: u64, stale: bool) -> Vec<String> {
        let nonce = self.nonce(now);
        let stale = if stale { ", stale=true" } else { "" };
        let mut out: Vec<String> = Algorithm::OFFERED
            .iter()
            .map(|a| {
                format!(
                    "Digest realm=\"{}\", qop=\"auth\", algorithm={}, nonce=\"{nonce}\"{stale}",
                    self.realm,
                    a.as_str()
                )
            })
            .collect();
        out.push(format!("Basic realm=\"{}\", charset=\"UTF-8\"", self.realm));
        out
    }

    /// Checks credentials against the candidates for a request with this `method` and
    /// request-target `uri` (path and query exactly as received). The same hashes are
    /// computed whether the credentials are missing, the username unknown or the password
    /// wrong; only the outcome differs.
    pub fn verify(
        &self,
        credentials: Option<&Credentials>,
        method: &str,
        uri: &str,
        candidates: Candidates<'_>,
        now: u64,
    ) -> Verdict {
        match credentials {
            Some(Credentials::Digest(d)) => self.verify_digest(d, method, uri, candidates, now),
            Some(Credentials::Basic(b)) => self.verify_basic(b, candidates),
            None => {
                std::hint::black_box(self.verify_digest(&self.dummy_digest, method, uri, Candidates::NONE, now));
                Verdict::Denied
            }
        }
    }

    fn verify_digest(
        &self,
        d: &DigestCredentials,
        method: &str,
        uri: &str,
        candidates: Candidates<'_>,
        now: u64,
    ) -> Verdict {
        let nonce = self.nonce_state(&d.nonce, now);
        let ha2 = hex(&d.algorithm.hash(&[method.as_bytes(), b":", d.uri.as_bytes()]));
        let matches = |slot: Option<&Verifiers>| -> Choice {
            let verifiers = slot.unwrap_or(&self.dummy);
            let expected = digest_response(d.algorithm, verifiers.ha1(d.algorithm), d, &ha2);
            Choice::from(u8::from(slot.is_some())) & expected.ct_eq(&d.response)
        };
        let current = matches(candidates.current);
        let previous = matches(candidates.previous);
        let request_ok = d.realm == self.realm && d.uri == uri;
        match (nonce, request_ok, bool::from(current), bool::from(previous)) {
            (_, false, _, _) | (NonceState::Invalid, ..) | (_, _, false, false) => Verdict::Denied,
            (NonceState::Expired, ..) => Verdict::Stale,
            (NonceState::Fresh, _, true, _) => Verdict::Authenticated(Matched::Current),
            (NonceState::Fresh, _, false, true) => Verdict::Authenticated(Matched::Previous),
        }
    }

    fn verify_basic(&self, b: &BasicCredentials, candidates: Candidates<'_>) -> Verdict {
        let given = basic_verifier(&b.username, &b.password);
        let matches = |slot: Option<&Verifiers>| -> Choice {
            Choice::from(u8::from(slot.is_some())) & given.ct_eq(&slot.unwrap_or(&self.dummy).basic)
        };
        let current = matches(candidates.current);
        let previous = matches(candidates.previous);
        if bool::from(current) {
            Verdict::Authenticated(Matched::Current)
        } else if bool::from(previous) {
            Verdict::Authenticated(Matched::Previous)
        } else {
            Verdict::Denied
        }
    }
}

/// Characters of a nonce: base64url of 8 bytes of time and 16 of tag.
const NONCE_LEN: usize = 32;

/// RFC 7616 §3.4.1 with `qop=auth`:
/// `H(hex(HA1) ":" nonce ":" nc ":" cnonce ":" qop ":" hex(H(method ":" uri)))`.
fn digest_response(algorithm: Algorithm, ha1: &[u8], d: &DigestCredentials, ha2_hex: &str) -> Vec<u8> {
    algorithm.hash(&[
        hex(ha1).as_bytes(),
        b":",
        d.nonce.as_bytes(),
        b":",
        d.nc.as_bytes(),
        b":",
        d.cnonce.as_bytes(),
        b":",
        d.qop.as_bytes(),
        b":",
        ha2_hex.as_bytes(),
    ])
}

/// HMAC-SHA256 (RFC 2104) of the concatenated `parts`. The key block is built here as
/// RFC 2104 does (hash a key longer than a block, zero-pad to the block), so the
/// infallible block-sized constructor serves every key length.
fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut block = [0u8; 64];
    if key.len() > block.len() {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let mut mac = <Hmac<Sha256> as KeyInit>::new(&block.into());
    parts.iter().for_each(|p| mac.update(p));
    mac.finalize().into_bytes().into()
}

/// Lowercase hex, as Digest writes hashes (and as ETags are written).
pub(super) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    s
}

/// Hex of either case, even length; `None` otherwise.
fn unhex(s: &str) -> Option<Vec<u8>> {
    fn nibble(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    }
    if s.len() % 2 != 0 {
        return None;
    }
    s.as_bytes().chunks(2).map(|p| Some(nibble(p[0])? << 4 | nibble(p[1])?)).collect()
}

#[cfg(test)]
mod tests;
