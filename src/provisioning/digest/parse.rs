//! Parsing `Authorization` header values (RFC 7235 auth-params, RFC 7616 Digest, RFC 7617
//! Basic): strict, bounded, never panicking. What parses is only syntactically complete;
//! nothing in it is checked against the server yet.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::{
    Algorithm, BasicCredentials, Credentials, DigestCredentials, MAX_AUTHORIZATION_LEN, MAX_DIGEST_PARAMS, unhex,
};

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
pub(super) fn parse_auth_params(s: &str) -> Option<Vec<(String, String)>> {
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
