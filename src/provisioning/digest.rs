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

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
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
const MAX_DIGEST_PARAMS: usize = 24;

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

/// What siprov stores for a provisioning password instead of the password: enough to
/// check Digest (MD5 and SHA-256) and Basic, never enough to print the password.
///
/// The Digest verifiers are RFC 7616's H(A1) = H(username ":" realm ":" password). They are
/// password-equivalent for Digest in that realm (whoever reads them can answer a
/// challenge), which is inherent to Digest; they do not give the password back, so they
/// are useless for Basic and for any other realm. The realm is part of them: changing the
/// realm invalidates every stored verifier, so it is a fixed setting.
///
/// The Basic verifier is a single SHA-256 of the password, salted with the username and a
/// label. A slow password hash (argon2) protects passwords people choose; a provisioning
/// password is 128+ random bits from siprov (F1), so no guessing can find one whatever the
/// hash costs, and a fast hash keeps every provisioning request cheap.
#[derive(Clone, PartialEq, Eq)]
pub struct Verifiers {
    ha1_md5: [u8; 16],
    ha1_sha256: [u8; 32],
    basic: [u8; 32],
}

impl fmt::Debug for Verifiers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Verifiers(..)")
    }
}

/// Prefix of [`Verifiers::to_stored`], naming the format so that it can change later.
const STORED_PREFIX: &str = "v1$";

impl Verifiers {
    pub fn from_password(username: &str, realm: &str, password: &str) -> Verifiers {
        let a1: [&[u8]; 5] = [username.as_bytes(), b":", realm.as_bytes(), b":", password.as_bytes()];
        let mut ha1_md5 = [0u8; 16];
        ha1_md5.copy_from_slice(&Algorithm::Md5.hash(&a1));
        let mut ha1_sha256 = [0u8; 32];
        ha1_sha256.copy_from_slice(&Algorithm::Sha256.hash(&a1));
        Verifiers { ha1_md5, ha1_sha256, basic: basic_verifier(username, password) }
    }

    /// One text column's worth: `v1$` then the MD5 H(A1), the SHA-256 H(A1) and the Basic
    /// verifier in lowercase hex, separated by `$`.
    pub fn to_stored(&self) -> String {
        format!("{STORED_PREFIX}{}${}${}", hex(&self.ha1_md5), hex(&self.ha1_sha256), hex(&self.basic))
    }

    /// The inverse of [`Verifiers::to_stored`]; `None` for anything else.
    pub fn from_stored(s: &str) -> Option<Verifiers> {
        let mut parts = s.strip_prefix(STORED_PREFIX)?.split('$');
        let ha1_md5 = unhex(parts.next()?)?.try_into().ok()?;
        let ha1_sha256 = unhex(parts.next()?)?.try_into().ok()?;
        let basic = unhex(parts.next()?)?.try_into().ok()?;
        if parts.next().is_some() {
            return None;
        }
        Some(Verifiers { ha1_md5, ha1_sha256, basic })
    }

    fn ha1(&self, algorithm: Algorithm) -> &[u8] {
        match algorithm {
            Algorithm::Md5 => &self.ha1_md5,
            Algorithm::Sha256 => &self.ha1_sha256,
        }
    }
}

fn basic_verifier(username: &str, password: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"siprov basic verifier v1\0");
    h.update((username.len() as u64).to_be_bytes());
    h.update(username.as_bytes());
    h.update(password.as_bytes());
    h.finalize().into()
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

/// Parses an `Authorization` header value. Anything malformed, oversized, not UTF-8, of
/// another scheme, or using a Digest variant siprov does not offer is `None`: "not
/// authenticated", never an error and never a panic.
pub fn parse_authorization(value: &[u8]) -> Option<Credentials> {
    if value.len() > MAX_AUTHORIZATION_LEN {
        return None;
    }
    let value = std::str::from_utf8(value).ok()?.trim_matches(is_ows);
    let (scheme, rest) = value.split_once(is_ows).unwrap_or((value, ""));
    let rest = rest.trim_start_matches(is_ows);
    if scheme.eq_ignore_ascii_case("Digest") {
        parse_digest(rest).map(Credentials::Digest)
    } else if scheme.eq_ignore_ascii_case("Basic") {
        parse_basic(rest).map(Credentials::Basic)
    } else {
        None
    }
}

fn is_ows(c: char) -> bool {
    c == ' ' || c == '\t'
}

fn parse_basic(token68: &str) -> Option<BasicCredentials> {
    let decoded = STANDARD.decode(token68).ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (username, password) = decoded.split_once(':')?;
    Some(BasicCredentials { username: username.to_owned(), password: password.to_owned() })
}

fn parse_digest(params: &str) -> Option<DigestCredentials> {
    let params = parse_auth_params(params)?;
    let get = |name: &str| params.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
    if get("username*").is_some() || get("userhash").is_some_and(|v| !v.eq_ignore_ascii_case("false")) {
        return None;
    }
    let algorithm = match get("algorithm") {
        None => Algorithm::Md5,
        Some(a) => Algorithm::parse(a)?,
    };
    let qop = get("qop")?;
    let nc = get("nc")?;
    let cnonce = get("cnonce")?;
    if !qop.eq_ignore_ascii_case("auth")
        || nc.len() != 8
        || !nc.bytes().all(|b| b.is_ascii_hexdigit())
        || cnonce.is_empty()
    {
        return None;
    }
    let response = unhex(get("response")?)?;
    if response.len() != algorithm.output_len() {
        return None;
    }
    Some(DigestCredentials {
        username: get("username")?.to_owned(),
        realm: get("realm")?.to_owned(),
        nonce: get("nonce")?.to_owned(),
        uri: get("uri")?.to_owned(),
        algorithm,
        qop: qop.to_owned(),
        nc: nc.to_owned(),
        cnonce: cnonce.to_owned(),
        response,
    })
}

/// RFC 7235 `#auth-param`: `name = token / quoted-string`, comma-separated, optional
/// whitespace around `=` and commas, empty list elements allowed. Names are returned
/// lower-cased; a name given twice makes the whole header invalid, since which one a
/// server honours is exactly what a confused-deputy attack plays on.
fn parse_auth_params(s: &str) -> Option<Vec<(String, String)>> {
    let b = s.as_bytes();
    let mut i = 0;
    let mut out: Vec<(String, String)> = Vec::new();
    let skip_ows = |i: &mut usize| {
        while *i < b.len() && (b[*i] == b' ' || b[*i] == b'\t') {
            *i += 1;
        }
    };
    loop {
        while i < b.len() && (b[i] == b' ' || b[i] == b'\t' || b[i] == b',') {
            i += 1;
        }
        if i == b.len() {
            break;
        }
        let start = i;
        while i < b.len() && is_tchar(b[i]) {
            i += 1;
        }
        if i == start {
            return None;
        }
        let name = s[start..i].to_ascii_lowercase();
        skip_ows(&mut i);
        if b.get(i) != Some(&b'=') {
            return None;
        }
        i += 1;
        skip_ows(&mut i);
        let value = if b.get(i) == Some(&b'"') {
            i += 1;
            let mut v = Vec::new();
            loop {
                let c = *b.get(i)?;
                i += 1;
                match c {
                    b'"' => break,
                    b'\\' => {
                        let escaped = *b.get(i)?;
                        if !is_quoted_pair_char(escaped) {
                            return None;
                        }
                        v.push(escaped);
                        i += 1;
                    }
                    c if is_qdtext(c) => v.push(c),
                    _ => return None,
                }
            }
            String::from_utf8(v).ok()?
        } else {
            let start = i;
            while i < b.len() && is_tchar(b[i]) {
                i += 1;
            }
            if i == start {
                return None;
            }
            s[start..i].to_owned()
        };
        skip_ows(&mut i);
        if i < b.len() && b[i] != b',' {
            return None;
        }
        if out.iter().any(|(n, _)| *n == name) || out.len() == MAX_DIGEST_PARAMS {
            return None;
        }
        out.push((name, value));
    }
    Some(out)
}

/// RFC 9110 tchar.
fn is_tchar(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c)
}

/// RFC 9110 qdtext (bytes of a UTF-8 string: obs-text covers every non-ASCII byte).
fn is_qdtext(c: u8) -> bool {
    c == b'\t' || c == b' ' || c == 0x21 || (0x23..=0x5b).contains(&c) || (0x5d..=0x7e).contains(&c) || c >= 0x80
}

/// RFC 9110 quoted-pair's second character: HTAB, SP, VCHAR or obs-text.
fn is_quoted_pair_char(c: u8) -> bool {
    c == b'\t' || c == b' ' || (0x21..=0x7e).contains(&c) || c >= 0x80
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
mod tests {
    use super::*;

    const REALM: &str = "siprov";
    const MAC: &str = "0015651234ab";
    const PASSWORD: &str = "kq3Zr9yXb2Vw7Lp0aQeT1g";
    const NOW: u64 = 1_700_000_000;

    fn auth() -> PhoneAuth {
        PhoneAuth::new(REALM, NonceKey::from_bytes([7; 32])).unwrap()
    }

    /// What a phone sends for `method uri` after a challenge carrying `nonce`.
    fn digest_header(
        algorithm: Algorithm,
        username: &str,
        password: &str,
        nonce: &str,
        method: &str,
        uri: &str,
    ) -> String {
        let v = Verifiers::from_password(username, REALM, password);
        let d = DigestCredentials {
            username: username.to_owned(),
            realm: REALM.to_owned(),
            nonce: nonce.to_owned(),
            uri: uri.to_owned(),
            algorithm,
            qop: "auth".to_owned(),
            nc: "00000001".to_owned(),
            cnonce: "0a4f113b".to_owned(),
            response: Vec::new(),
        };
        let ha2 = hex(&algorithm.hash(&[method.as_bytes(), b":", uri.as_bytes()]));
        let response = hex(&digest_response(algorithm, v.ha1(algorithm), &d, &ha2));
        format!(
            "Digest username=\"{username}\", realm=\"{REALM}\", nonce=\"{nonce}\", uri=\"{uri}\", \
             algorithm={}, response=\"{response}\", qop=auth, nc=00000001, cnonce=\"0a4f113b\"",
            algorithm.as_str()
        )
    }

    fn verify_header(auth: &PhoneAuth, header: &str, uri: &str, candidates: Candidates<'_>, now: u64) -> Verdict {
        let creds = parse_authorization(header.as_bytes());
        auth.verify(creds.as_ref(), "GET", uri, candidates, now)
    }

    // RFC 7616 §3.9.1: the same request answered with MD5 and with SHA-256.
    const RFC_NONCE: &str = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
    const RFC_CNONCE: &str = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";

    fn rfc_header(algorithm: &str, response: &str) -> String {
        format!(
            "Digest username=\"Mufasa\",\t realm=\"http-auth@example.org\", uri=\"/dir/index.html\", \
             algorithm={algorithm}, nonce=\"{RFC_NONCE}\", nc=00000001, cnonce=\"{RFC_CNONCE}\", qop=auth, \
             response=\"{response}\", opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\""
        )
    }

    #[test]
    fn rfc7616_example_responses_are_reproduced_for_md5_and_sha256() {
        let verifiers = Verifiers::from_password("Mufasa", "http-auth@example.org", "Circle of Life");
        for (algorithm, name, response) in [
            (Algorithm::Md5, "MD5", "8ca523f5e9506fed4657c9700eebdbec"),
            (Algorithm::Sha256, "SHA-256", "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"),
        ] {
            let Some(Credentials::Digest(d)) = parse_authorization(rfc_header(name, response).as_bytes()) else {
                panic!("the RFC 7616 {name} example must parse");
            };
            assert_eq!(d.username, "Mufasa");
            assert_eq!(d.realm, "http-auth@example.org");
            assert_eq!(d.algorithm, algorithm);
            let ha2 = hex(&algorithm.hash(&[b"GET:/dir/index.html"]));
            let expected = digest_response(algorithm, verifiers.ha1(algorithm), &d, &ha2);
            assert_eq!(hex(&expected), response, "{name}");
            assert_eq!(d.response, expected);
        }
    }

    #[test]
    fn rfc7617_example_basic_credentials_parse() {
        let Some(Credentials::Basic(b)) = parse_authorization(b"Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==") else {
            panic!("the RFC 7617 example must parse");
        };
        assert_eq!(b.username, "Aladdin");
        assert_eq!(b.password, "open sesame");
    }

    #[test]
    fn rfc4231_hmac_vectors_hold_for_short_and_long_keys() {
        assert_eq!(
            hex(&hmac_sha256(&[0x0b; 20], &[b"Hi ", b"There"])),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
        assert_eq!(
            hex(&hmac_sha256(&[0xaa; 131], &[b"Test Using Larger Than Block-Size Key - Hash Key First"])),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn f4_a_fresh_digest_response_authenticates_with_either_algorithm() {
        let auth = auth();
        let v = auth.verifiers(MAC, PASSWORD);
        let nonce = auth.nonce(NOW);
        for algorithm in Algorithm::OFFERED {
            let header = digest_header(algorithm, MAC, PASSWORD, &nonce, "GET", "/provisioning/0015651234ab.cfg");
            let verdict = verify_header(&auth, &header, "/provisioning/0015651234ab.cfg", Candidates::current(&v), NOW);
            assert_eq!(verdict, Verdict::Authenticated(Matched::Current), "{algorithm:?}");
        }
    }

    #[test]
    fn f4_a_nonce_verifies_on_another_instance_with_the_same_key() {
        let issuer = PhoneAuth::new(REALM, NonceKey::derive(b"shared signing secret")).unwrap();
        let other = PhoneAuth::new(REALM, NonceKey::derive(b"shared signing secret")).unwrap();
        let stranger = PhoneAuth::new(REALM, NonceKey::derive(b"another secret")).unwrap();
        let v = issuer.verifiers(MAC, PASSWORD);
        let header = digest_header(Algorithm::Sha256, MAC, PASSWORD, &issuer.nonce(NOW), "GET", "/p/x");
        assert_eq!(
            verify_header(&other, &header, "/p/x", Candidates::current(&v), NOW + 10),
            Verdict::Authenticated(Matched::Current)
        );
        assert_eq!(verify_header(&stranger, &header, "/p/x", Candidates::current(&v), NOW + 10), Verdict::Denied);
    }

    #[test]
    fn f4_a_nonce_goes_stale_after_five_minutes_but_only_with_the_right_password() {
        let auth = auth();
        let v = auth.verifiers(MAC, PASSWORD);
        let nonce = auth.nonce(NOW);
        let right = digest_header(Algorithm::Md5, MAC, PASSWORD, &nonce, "GET", "/p/x");
        let wrong = digest_header(Algorithm::Md5, MAC, "guess", &nonce, "GET", "/p/x");
        let at = |now| verify_header(&auth, &right, "/p/x", Candidates::current(&v), now);
        assert_eq!(at(NOW + NONCE_LIFETIME_SECS), Verdict::Authenticated(Matched::Current));
        assert_eq!(at(NOW + NONCE_LIFETIME_SECS + 1), Verdict::Stale);
        assert_eq!(verify_header(&auth, &wrong, "/p/x", Candidates::current(&v), NOW + 3600), Verdict::Denied);
    }

    #[test]
    fn a_nonce_from_beyond_the_clock_skew_is_refused() {
        let auth = auth();
        let v = auth.verifiers(MAC, PASSWORD);
        let header = digest_header(Algorithm::Md5, MAC, PASSWORD, &auth.nonce(NOW), "GET", "/p/x");
        let at = |now| verify_header(&auth, &header, "/p/x", Candidates::current(&v), now);
        assert_eq!(at(NOW - NONCE_CLOCK_SKEW_SECS), Verdict::Authenticated(Matched::Current));
        assert_eq!(at(NOW - NONCE_CLOCK_SKEW_SECS - 1), Verdict::Denied);
    }

    #[test]
    fn a_tampered_or_foreign_nonce_is_refused() {
        let auth = auth();
        let v = auth.verifiers(MAC, PASSWORD);
        let nonce = auth.nonce(NOW);
        // Move the issue time forward without re-signing: the tag no longer matches.
        let mut raw = URL_SAFE_NO_PAD.decode(&nonce).unwrap();
        raw[7] ^= 1;
        let tampered = URL_SAFE_NO_PAD.encode(&raw);
        let mut flipped_tag = raw.clone();
        flipped_tag[7] ^= 1;
        flipped_tag[23] ^= 0x80;
        for bad in [tampered, URL_SAFE_NO_PAD.encode(&flipped_tag), RFC_NONCE.to_owned(), String::new(), "A".repeat(32)]
        {
            let header = digest_header(Algorithm::Sha256, MAC, PASSWORD, &bad, "GET", "/p/x");
            assert_eq!(verify_header(&auth, &header, "/p/x", Candidates::current(&v), NOW), Verdict::Denied, "{bad}");
        }
    }

    #[test]
    fn a_response_for_another_uri_or_method_or_realm_is_refused() {
        let auth = auth();
        let v = auth.verifiers(MAC, PASSWORD);
        let nonce = auth.nonce(NOW);
        let header = digest_header(Algorithm::Sha256, MAC, PASSWORD, &nonce, "GET", "/provisioning/0015651234ab.cfg");
        // The uri param names one file, the request fetched another.
        assert_eq!(
            verify_header(&auth, &header, "/provisioning/001565ffffff.cfg", Candidates::current(&v), NOW),
            Verdict::Denied
        );
        // Same target, other method: HA2 differs.
        let creds = parse_authorization(header.as_bytes());
        assert_eq!(
            auth.verify(creds.as_ref(), "PUT", "/provisioning/0015651234ab.cfg", Candidates::current(&v), NOW),
            Verdict::Denied
        );
        // A response computed for another realm.
        let other_realm = header.replace("realm=\"siprov\"", "realm=\"elsewhere\"");
        assert_eq!(
            verify_header(&auth, &other_realm, "/provisioning/0015651234ab.cfg", Candidates::current(&v), NOW),
            Verdict::Denied
        );
    }

    #[test]
    fn a_wrong_password_an_unknown_user_and_no_credentials_are_denied() {
        let auth = auth();
        let v = auth.verifiers(MAC, PASSWORD);
        let nonce = auth.nonce(NOW);
        let wrong = digest_header(Algorithm::Sha256, MAC, "not it", &nonce, "GET", "/p/x");
        assert_eq!(verify_header(&auth, &wrong, "/p/x", Candidates::current(&v), NOW), Verdict::Denied);
        let right = digest_header(Algorithm::Sha256, MAC, PASSWORD, &nonce, "GET", "/p/x");
        assert_eq!(verify_header(&auth, &right, "/p/x", Candidates::NONE, NOW), Verdict::Denied);
        assert_eq!(auth.verify(None, "GET", "/p/x", Candidates::current(&v), NOW), Verdict::Denied);
    }

    #[test]
    fn the_dummy_verifiers_never_authenticate_even_when_the_response_matches_them() {
        // Their inputs are in this source file; a response built from them must still fail.
        let auth = auth();
        let nonce = auth.nonce(NOW);
        let header =
            digest_header(Algorithm::Sha256, "000000000000", "no device has this password", &nonce, "GET", "/p/x");
        assert_eq!(verify_header(&auth, &header, "/p/x", Candidates::NONE, NOW), Verdict::Denied);
        let basic = format!("Basic {}", STANDARD.encode("000000000000:no device has this password"));
        assert_eq!(verify_header(&auth, &basic, "/p/x", Candidates::NONE, NOW), Verdict::Denied);
    }

    #[test]
    fn f3_the_previous_password_is_reported_as_such() {
        let auth = auth();
        let current = auth.verifiers(MAC, PASSWORD);
        let previous = auth.verifiers(MAC, "the old one");
        let candidates = Candidates::current(&current).with_previous(Some(&previous));
        let nonce = auth.nonce(NOW);
        let old = digest_header(Algorithm::Md5, MAC, "the old one", &nonce, "GET", "/p/x");
        assert_eq!(verify_header(&auth, &old, "/p/x", candidates, NOW), Verdict::Authenticated(Matched::Previous));
        let new = digest_header(Algorithm::Md5, MAC, PASSWORD, &nonce, "GET", "/p/x");
        assert_eq!(verify_header(&auth, &new, "/p/x", candidates, NOW), Verdict::Authenticated(Matched::Current));
        let old_basic = format!("Basic {}", STANDARD.encode(format!("{MAC}:the old one")));
        assert_eq!(
            verify_header(&auth, &old_basic, "/p/x", candidates, NOW),
            Verdict::Authenticated(Matched::Previous)
        );
        assert_eq!(verify_header(&auth, &old_basic, "/p/x", Candidates::current(&current), NOW), Verdict::Denied);
    }

    #[test]
    fn basic_authenticates_the_right_password_only() {
        let auth = auth();
        let v = auth.verifiers(MAC, PASSWORD);
        let basic = |user: &str, pw: &str| format!("Basic {}", STANDARD.encode(format!("{user}:{pw}")));
        let check = |h: String| verify_header(&auth, &h, "/p/x", Candidates::current(&v), NOW);
        assert_eq!(check(basic(MAC, PASSWORD)), Verdict::Authenticated(Matched::Current));
        assert_eq!(check(basic(MAC, "wrong")), Verdict::Denied);
        assert_eq!(check(basic(MAC, &format!("{PASSWORD}x"))), Verdict::Denied);
        assert_eq!(check(basic("0015651234ac", PASSWORD)), Verdict::Denied);
        assert_eq!(check(basic(MAC, "")), Verdict::Denied);
    }

    #[test]
    fn auth_scheme_and_param_names_are_case_insensitive_and_escapes_are_honoured() {
        let auth = auth();
        let v = auth.verifiers(MAC, PASSWORD);
        let nonce = auth.nonce(NOW);
        let header = digest_header(Algorithm::Sha256, MAC, PASSWORD, &nonce, "GET", "/p/x")
            .replacen("Digest", "dIgEsT", 1)
            .replace("username=", "UserName=")
            .replace("algorithm=SHA-256", "ALGORITHM=sha-256")
            .replace("uri=\"/p/x\"", "uri=\"/\\p/\\x\"");
        assert_eq!(
            verify_header(&auth, &header, "/p/x", Candidates::current(&v), NOW),
            Verdict::Authenticated(Matched::Current)
        );
        let basic = format!("bAsIc   {}", STANDARD.encode(format!("{MAC}:{PASSWORD}")));
        assert_eq!(
            verify_header(&auth, &basic, "/p/x", Candidates::current(&v), NOW),
            Verdict::Authenticated(Matched::Current)
        );
    }

    #[test]
    fn quoted_strings_unescape_and_tokens_stand_unquoted() {
        let params = parse_auth_params(r#"a="x\"y\\z", B=tok, ,c = "" ,d="é""#).unwrap();
        assert_eq!(
            params,
            vec![
                ("a".to_owned(), "x\"y\\z".to_owned()),
                ("b".to_owned(), "tok".to_owned()),
                ("c".to_owned(), String::new()),
                ("d".to_owned(), "é".to_owned()),
            ]
        );
    }

    #[test]
    fn malformed_headers_are_not_credentials() {
        let auth = auth();
        let good = digest_header(Algorithm::Sha256, MAC, PASSWORD, &auth.nonce(NOW), "GET", "/p/x");
        let without = |param: &str| {
            let start = good.find(&format!("{param}=")).unwrap();
            let end = good[start..].find(", ").map_or(good.len(), |e| start + e + 2);
            format!("{}{}", &good[..start], &good[end..])
        };
        let mut bad: Vec<String> = ["username", "realm", "nonce", "uri", "response", "qop", "nc", "cnonce"]
            .iter()
            .map(|p| without(p))
            .collect();
        bad.extend(
            [
                "",
                "Digest",
                "Digest ",
                "Bearer abc",
                "Digestusername=\"x\"",
                "Basic",
                "Basic !!!!",
                "Basic QWxhZGRpbg==",
                "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ",
                "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ== extra",
            ]
            .map(str::to_owned),
        );
        bad.extend([
            good.replace("qop=auth", "qop=auth-int"),
            good.replace("algorithm=SHA-256", "algorithm=SHA-256-sess"),
            good.replace("algorithm=SHA-256", "algorithm=SHA-512-256"),
            good.replace("nc=00000001", "nc=1"),
            good.replace("nc=00000001", "nc=0000000g"),
            good.replace("cnonce=\"0a4f113b\"", "cnonce=\"\""),
            good.replace("algorithm=SHA-256", "algorithm=MD5"),
            format!("{good}, username=\"{MAC}\""),
            format!("{good}, USERNAME=\"{MAC}\""),
            format!("{good}, userhash=true"),
            format!("{good}, username*=UTF-8''{MAC}"),
            format!("{good}, broken"),
            format!("{good}, x=\"unterminated"),
            format!("{good}, x=\"bad\\\u{1}escape\""),
            format!("{good}, x=\"ctl\u{7}\""),
            format!("{good}, x=a b"),
            format!("{good}, =\"noname\""),
            format!("{good}, x="),
            format!("{good}, {}", "p=1, ".repeat(MAX_DIGEST_PARAMS)),
            good.replace(", ", ",\r\n "),
            format!("{good}{}", " ".repeat(MAX_AUTHORIZATION_LEN)),
        ]);
        for header in &bad {
            assert_eq!(parse_authorization(header.as_bytes()), None, "{header:?}");
        }
        assert_eq!(parse_authorization(b"Digest username=\"\xff\""), None);
        assert_eq!(parse_authorization(&[0xff, 0xfe]), None);
    }

    #[test]
    fn parsing_arbitrary_bytes_never_panics() {
        // A cheap deterministic fuzz: every prefix of a real header, and bytes flipped in it.
        let auth = auth();
        let good = digest_header(Algorithm::Md5, MAC, PASSWORD, &auth.nonce(NOW), "GET", "/p/x");
        for end in 0..=good.len() {
            let _ = parse_authorization(&good.as_bytes()[..end]);
        }
        for i in 0..good.len() {
            for flip in [b'"', b'\\', b',', b'=', b' ', 0, 0x80, 0xc3] {
                let mut bytes = good.clone().into_bytes();
                bytes[i] = flip;
                if let Some(creds) = parse_authorization(&bytes) {
                    let _ = auth.verify(Some(&creds), "GET", "/p/x", Candidates::NONE, NOW);
                }
            }
        }
    }

    #[test]
    fn challenges_offer_digest_sha256_then_md5_then_basic() {
        let auth = auth();
        let nonce = auth.nonce(NOW);
        assert_eq!(
            auth.challenges(NOW, false),
            vec![
                format!("Digest realm=\"siprov\", qop=\"auth\", algorithm=SHA-256, nonce=\"{nonce}\""),
                format!("Digest realm=\"siprov\", qop=\"auth\", algorithm=MD5, nonce=\"{nonce}\""),
                "Basic realm=\"siprov\", charset=\"UTF-8\"".to_owned(),
            ]
        );
        let stale = auth.challenges(NOW, true);
        assert!(stale[0].ends_with(", stale=true") && stale[1].ends_with(", stale=true"));
        assert!(!stale[2].contains("stale"));
    }

    #[test]
    fn a_challenge_nonce_is_accepted_back_through_the_parser() {
        let auth = auth();
        let challenge = &auth.challenges(NOW, false)[0];
        let nonce = challenge.split("nonce=\"").nth(1).unwrap().trim_end_matches('"');
        let v = auth.verifiers(MAC, PASSWORD);
        let header = digest_header(Algorithm::Sha256, MAC, PASSWORD, nonce, "GET", "/p/x");
        assert_eq!(
            verify_header(&auth, &header, "/p/x", Candidates::current(&v), NOW + 1),
            Verdict::Authenticated(Matched::Current)
        );
    }

    #[test]
    fn realms_that_would_break_a_quoted_string_are_refused() {
        for bad in ["", "a\"b", "a\\b", "tab\there", "é", &"r".repeat(129)] {
            assert_eq!(PhoneAuth::new(bad, NonceKey::from_bytes([0; 32])).err(), Some(InvalidRealm), "{bad:?}");
        }
        assert!(PhoneAuth::new("siprov provisioning", NonceKey::from_bytes([0; 32])).is_ok());
    }

    #[test]
    fn stored_verifiers_round_trip_and_garbage_is_refused() {
        let v = Verifiers::from_password(MAC, REALM, PASSWORD);
        let stored = v.to_stored();
        assert!(stored.starts_with("v1$"));
        assert!(!stored.contains(PASSWORD));
        assert_eq!(Verifiers::from_stored(&stored), Some(v.clone()));
        for bad in [
            String::new(),
            "v1$".to_owned(),
            stored.replacen("v1$", "v2$", 1),
            format!("{stored}$00"),
            stored[..stored.len() - 2].to_owned(),
            stored.replacen('$', "$zz", 1),
        ] {
            assert_eq!(Verifiers::from_stored(&bad), None, "{bad}");
        }
        assert_eq!(format!("{v:?}"), "Verifiers(..)");
    }

    #[test]
    fn verifiers_depend_on_username_realm_and_password() {
        let base = Verifiers::from_password(MAC, REALM, PASSWORD);
        assert_ne!(base, Verifiers::from_password("0015651234ac", REALM, PASSWORD));
        assert_ne!(base, Verifiers::from_password(MAC, "other", PASSWORD));
        assert_ne!(base, Verifiers::from_password(MAC, REALM, "other"));
        assert_eq!(base.ha1_md5.to_vec(), Algorithm::Md5.hash(&[format!("{MAC}:{REALM}:{PASSWORD}").as_bytes()]));
    }

    #[test]
    fn secrets_stay_out_of_debug_output() {
        let creds = parse_authorization(format!("Basic {}", STANDARD.encode(format!("{MAC}:{PASSWORD}"))).as_bytes());
        let printed = format!("{creds:?}");
        assert!(printed.contains(MAC) && !printed.contains(PASSWORD), "{printed}");
        assert_eq!(format!("{:?}", NonceKey::from_bytes([1; 32])), "NonceKey(..)");
    }

    /// Not a benchmark and asserts nothing about time: prints what one verification costs
    /// on this machine, for the record (`cargo test --release --lib -- --ignored --nocapture`).
    #[test]
    #[ignore = "prints timings only"]
    fn print_the_cost_of_a_digest_verification() {
        let auth = auth();
        let v = auth.verifiers(MAC, PASSWORD);
        let header = digest_header(Algorithm::Sha256, MAC, PASSWORD, &auth.nonce(NOW), "GET", "/p/x");
        let wrong = digest_header(Algorithm::Sha256, MAC, "wrong", &auth.nonce(NOW), "GET", "/p/x");
        let n = 10_000;
        let time = |what: &str, f: &dyn Fn()| {
            let start = std::time::Instant::now();
            for _ in 0..n {
                f();
            }
            println!("{what}: {:?} each", start.elapsed() / n);
        };
        time("parse a Digest header", &|| {
            std::hint::black_box(parse_authorization(std::hint::black_box(header.as_bytes())));
        });
        let right = parse_authorization(header.as_bytes());
        let wrong = parse_authorization(wrong.as_bytes());
        let verify = |creds: Option<&Credentials>, candidates| {
            std::hint::black_box(auth.verify(std::hint::black_box(creds), "GET", "/p/x", candidates, NOW));
        };
        time("verify, right password", &|| verify(right.as_ref(), Candidates::current(&v)));
        time("verify, wrong password", &|| verify(wrong.as_ref(), Candidates::current(&v)));
        time("verify, unknown MAC", &|| verify(right.as_ref(), Candidates::NONE));
        time("verify, no credentials", &|| verify(None, Candidates::NONE));
    }
}
