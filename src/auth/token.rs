//! HS256 access tokens, validated as RFC 8725 asks: HS256 only, a header of `alg`, `typ`
//! and `kid` and nothing else, a `kid` naming one of the keys configured here (never a
//! path or a URL to fetch), `iss` and `aud` required and exact, `exp`, `nbf` and `iat`
//! checked with at most [`LEEWAY_SECS`] of clock skew.
//!
//! Key rotation: one secret signs, and every token carries its key id; previous secrets
//! still verify the tokens they signed until those expire. An unknown key id is refused.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::domain::{ApiClientId, LoginId};

pub const ISSUER: &str = "siprov";
pub const AUDIENCE: &str = "siprov-api";
/// The clock skew tolerated on `exp`, `nbf` and `iat`.
pub const LEEWAY_SECS: u64 = 5;

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    pub sub: String,
    pub exp: u64,
    pub iat: u64,
    pub jti: String,
    /// The generation of the login (or API client) when the token was issued: a password
    /// change, a secret rotation or "revoke all" raises the stored one, and a token whose
    /// generation is older is refused (K4, K5, K6). Tokens issued before generations existed
    /// read as 0, the column's default.
    #[serde(default, rename = "gen")]
    pub generation: i64,
    /// True for an API client's token, whose `sub` is then the client's id (K3).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cli: bool,
}

/// Whom a token was issued to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Subject {
    Login(LoginId),
    Client(ApiClientId),
}

/// What a valid token says: whom it was issued to, at which generation, its id (for
/// revocation, K6) and when it expires (unix seconds).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    pub subject: Subject,
    pub generation: i64,
    pub jti: String,
    pub exp: u64,
}

/// The id of the key a secret makes: a digest that names the secret without revealing it,
/// the same on every instance and across restarts.
pub fn key_id(secret: &[u8]) -> String {
    let digest = Sha256::new().chain_update(b"siprov-jwt-key-id\0").chain_update(secret).finalize();
    URL_SAFE_NO_PAD.encode(&digest[..12])
}

#[derive(Clone)]
struct Key {
    id: String,
    decoding: DecodingKey,
}

/// Signs with one secret and verifies with it and the previous ones.
#[derive(Clone)]
pub struct Tokens {
    signing: EncodingKey,
    signing_id: String,
    /// The signing key first, then the previous ones.
    keys: Vec<Key>,
    validation: Validation,
    ttl_secs: u64,
    /// Shared by the clones, so by every worker.
    verified: Arc<Memo>,
}

/// How many verified tokens [`Memo`] keeps.
const MEMO_CAPACITY: usize = 4096;

/// Tokens this process has verified, by their exact text, with what they said. A token's
/// signature, header and claims are a pure function of its text and of the keys, which are
/// fixed for the life of a [`Tokens`]; only the clock changes the verdict, so a remembered
/// token is answered again only while its `exp` (with the leeway) has not passed. A
/// remembered token is still only half of being let in: whether its login or client exists
/// at its generation and whether it was revoked is asked of the database on every request,
/// as before (K4, K6). Only tokens that verified are kept; a map keyed by a random SipHash
/// seed gives a caller no way to aim lookups at a kept one. Bounded: when full, the
/// expired entries go, and if that frees nothing, all of them.
#[derive(Default)]
struct Memo(Mutex<HashMap<Box<str>, Verified>>);

impl Memo {
    fn get(&self, token: &str, now: u64) -> Option<Verified> {
        let map = self.0.lock().ok()?;
        map.get(token).filter(|v| !expired(v.exp, now)).cloned()
    }

    fn put(&self, token: &str, verified: &Verified, now: u64) {
        let Ok(mut map) = self.0.lock() else { return };
        if map.len() >= MEMO_CAPACITY {
            map.retain(|_, v| !expired(v.exp, now));
            if map.len() >= MEMO_CAPACITY {
                map.clear();
            }
        }
        map.insert(token.into(), verified.clone());
    }
}

/// Whether a token expiring at `exp` is refused at `now`, as `jsonwebtoken` decides it with
/// [`LEEWAY_SECS`].
fn expired(exp: u64, now: u64) -> bool {
    exp < now.saturating_sub(LEEWAY_SECS)
}

impl Tokens {
    /// Keys from the signing secret and the previous ones, proven to work by signing and
    /// verifying once: a crypto backend problem stops start-up instead of the first login.
    pub fn new(secret: &[u8], previous: &[&[u8]], ttl_secs: u64) -> Result<Tokens, String> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = LEEWAY_SECS;
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.validate_exp = true;
        validation.validate_nbf = true;
        let mut keys: Vec<Key> = Vec::new();
        for s in std::iter::once(secret).chain(previous.iter().copied()) {
            let id = key_id(s);
            if !keys.iter().any(|k| k.id == id) {
                keys.push(Key { id, decoding: DecodingKey::from_secret(s) });
            }
        }
        let tokens = Tokens {
            signing: EncodingKey::from_secret(secret),
            signing_id: key_id(secret),
            keys,
            validation,
            ttl_secs,
            verified: Arc::default(),
        };
        let probe = Subject::Login(LoginId(Uuid::nil()));
        let (token, _) = tokens.issue(probe, 0).map_err(|e| format!("token self-test (sign) failed: {e}"))?;
        match tokens.verify(&token) {
            Ok(v) if v.subject == probe => Ok(tokens),
            Ok(_) => Err("token self-test returned the wrong subject".into()),
            Err(e) => Err(format!("token self-test (verify) failed: {e}")),
        }
    }

    /// The id of the signing key, which every new token carries as `kid`.
    pub fn signing_key_id(&self) -> &str {
        &self.signing_id
    }

    /// A new token for a login or an API client at its current generation:
    /// `(token, expires_in)`.
    pub fn issue(&self, subject: Subject, generation: i64) -> Result<(String, u64), jsonwebtoken::errors::Error> {
        let now = now();
        let (sub, cli) = match subject {
            Subject::Login(id) => (id.to_string(), false),
            Subject::Client(id) => (id.to_string(), true),
        };
        let claims = Claims {
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            sub,
            exp: now + self.ttl_secs,
            iat: now,
            jti: Uuid::new_v4().to_string(),
            generation,
            cli,
        };
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(self.signing_id.clone());
        let token = jsonwebtoken::encode(&header, &claims, &self.signing)?;
        Ok((token, self.ttl_secs))
    }

    /// What a valid token says. Whether it is still honoured (its login or client exists
    /// at its generation, it was not revoked) is for the database to say.
    pub fn verify(&self, token: &str) -> Result<Verified, String> {
        let now = now();
        if let Some(known) = self.verified.get(token, now) {
            return Ok(known);
        }
        let verified = self.verify_text(token)?;
        self.verified.put(token, &verified, now);
        Ok(verified)
    }

    /// [`Tokens::verify`] from the token's text alone: header, signature and claims.
    fn verify_text(&self, token: &str) -> Result<Verified, String> {
        let key = self.key_of(token)?;
        let data = jsonwebtoken::decode::<Claims>(token, &key.decoding, &self.validation).map_err(|e| e.to_string())?;
        let c = data.claims;
        if c.iat > now() + LEEWAY_SECS {
            return Err("issued in the future".into());
        }
        let id = Uuid::parse_str(&c.sub).map_err(|_| "subject is not an id".to_owned())?;
        let subject = if c.cli { Subject::Client(ApiClientId(id)) } else { Subject::Login(LoginId(id)) };
        Ok(Verified { subject, generation: c.generation, jti: c.jti, exp: c.exp })
    }

    /// The key the token's header names, after checking that the header holds nothing but
    /// `alg` (HS256), `typ` (JWT) and `kid` (one of ours). Parameters that point elsewhere
    /// for a key (`jku`, `jwk`, `x5u`, …) or change how the token is read (`crit`, `cty`,
    /// `b64`) are refused, not ignored.
    fn key_of(&self, token: &str) -> Result<&Key, String> {
        let encoded = token.split('.').next().ok_or("not a JWT")?;
        let bytes = URL_SAFE_NO_PAD.decode(encoded).map_err(|_| "header is not base64url")?;
        let header: serde_json::Map<String, serde_json::Value> =
            serde_json::from_slice(&bytes).map_err(|_| "header is not a JSON object")?;
        if let Some(name) = header.keys().find(|k| !matches!(k.as_str(), "alg" | "typ" | "kid")) {
            return Err(format!("header parameter {name:?} is not accepted"));
        }
        if header.get("alg").and_then(|v| v.as_str()) != Some("HS256") {
            return Err("alg must be HS256".into());
        }
        match header.get("typ") {
            None => {}
            Some(serde_json::Value::String(t)) if t.eq_ignore_ascii_case("JWT") => {}
            Some(_) => return Err("typ must be JWT".into()),
        }
        let kid = header.get("kid").and_then(|v| v.as_str()).ok_or("no kid")?;
        self.keys.iter().find(|k| k.id == kid).ok_or_else(|| "unknown kid".to_owned())
    }
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    const SECRET: &[u8] = &[9u8; 32];

    fn claims(sub: Uuid) -> Value {
        let now = now();
        json!({"iss": ISSUER, "aud": AUDIENCE, "sub": sub.to_string(), "exp": now + 300, "iat": now, "jti": "x"})
    }

    /// A token with exactly this header and these claims, signed with HMAC-SHA256.
    fn forge(header: &Value, claims: &Value, secret: &[u8]) -> String {
        use hmac::{Hmac, Mac};
        let signing_input =
            format!("{}.{}", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(claims.to_string()));
        let mut mac = Hmac::<Sha256>::new_from_slice(secret).unwrap();
        mac.update(signing_input.as_bytes());
        format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
    }

    fn header() -> Value {
        json!({"alg": "HS256", "typ": "JWT", "kid": key_id(SECRET)})
    }

    #[test]
    fn a_token_verifies_with_its_secret_only_and_carries_its_key_id() {
        let a = Tokens::new(&[7u8; 32], &[], 900).unwrap();
        let b = Tokens::new(&[8u8; 32], &[], 900).unwrap();
        let id = Subject::Login(LoginId(Uuid::new_v4()));
        let (t, ttl) = a.issue(id, 3).unwrap();
        assert_eq!(ttl, 900);
        assert_eq!(a.verify(&t).unwrap().subject, id);
        assert_eq!(a.verify(&t).unwrap().generation, 3);
        let client = Subject::Client(ApiClientId(Uuid::new_v4()));
        let (ct, _) = a.issue(client, 0).unwrap();
        assert_eq!(a.verify(&ct).unwrap().subject, client, "a client token names the client");
        assert!(b.verify(&t).is_err());
        assert!(a.verify("not.a.token").is_err());
        assert_eq!(jsonwebtoken::decode_header(&t).unwrap().kid.as_deref(), Some(a.signing_key_id()));
        assert_ne!(a.signing_key_id(), b.signing_key_id());
        assert_eq!(key_id(&[7u8; 32]), a.signing_key_id(), "the id depends on the secret alone");
    }

    #[test]
    fn a_remembered_token_is_answered_again_only_until_it_expires() {
        let tokens = Tokens::new(SECRET, &[], 900).unwrap();
        let now = now();
        let mut c = claims(Uuid::new_v4());
        c["exp"] = json!(now + 1);
        let t = forge(&header(), &c, SECRET);
        let first = tokens.verify(&t).unwrap();
        assert_eq!(tokens.verified.get(&t, now), Some(first.clone()), "kept once verified");
        assert_eq!(tokens.verify(&t).unwrap(), first);
        assert_eq!(tokens.verified.get(&t, now + 1 + LEEWAY_SECS), Some(first), "still within the leeway");
        assert_eq!(tokens.verified.get(&t, now + 2 + LEEWAY_SECS), None, "refused once past exp and the leeway");
    }

    #[test]
    fn only_tokens_that_verify_are_remembered_and_only_by_their_own_keys() {
        let a = Tokens::new(&[7u8; 32], &[], 900).unwrap();
        let b = Tokens::new(&[8u8; 32], &[], 900).unwrap();
        let (t, _) = a.issue(Subject::Login(LoginId(Uuid::new_v4())), 0).unwrap();
        assert!(a.verify(&t).is_ok());
        assert!(b.verify(&t).is_err(), "another secret's memo does not hold it");
        let mut tampered = t.clone();
        tampered.push('A');
        assert!(a.verify(&tampered).is_err(), "one character more is another text, verified afresh");
        assert!(a.verified.get(&tampered, now()).is_none() && b.verified.get(&t, now()).is_none());
    }

    #[test]
    fn the_memo_stays_within_its_capacity() {
        let memo = Memo::default();
        let now = now();
        let v = |exp| Verified { subject: Subject::Login(LoginId(Uuid::nil())), generation: 0, jti: "j".into(), exp };
        for i in 0..MEMO_CAPACITY {
            memo.put(&format!("expired {i}"), &v(now - 60), now);
        }
        memo.put("live", &v(now + 60), now);
        assert_eq!(memo.0.lock().unwrap().len(), 1, "the expired entries made room");
        for i in 0..2 * MEMO_CAPACITY {
            memo.put(&format!("live {i}"), &v(now + 60), now);
        }
        assert!(memo.0.lock().unwrap().len() <= MEMO_CAPACITY);
    }

    #[test]
    fn a_hand_made_token_with_the_strict_header_is_accepted() {
        let tokens = Tokens::new(SECRET, &[], 900).unwrap();
        let sub = Uuid::new_v4();
        let v = tokens.verify(&forge(&header(), &claims(sub), SECRET)).unwrap();
        assert_eq!(v.subject, Subject::Login(LoginId(sub)));
        assert_eq!(v.generation, 0, "a token without a generation is of generation 0");
        let without_typ = json!({"alg": "HS256", "kid": key_id(SECRET)});
        assert!(tokens.verify(&forge(&without_typ, &claims(sub), SECRET)).is_ok());
    }

    #[test]
    fn exp_nbf_and_iat_allow_five_seconds_of_skew_and_no_more() {
        let tokens = Tokens::new(SECRET, &[], 900).unwrap();
        let now = now();
        let with = |field: &str, value: u64| {
            let mut c = claims(Uuid::new_v4());
            c[field] = json!(value);
            tokens.verify(&forge(&header(), &c, SECRET))
        };
        assert!(with("exp", now - 2).is_ok(), "expired 2 s ago: within the leeway");
        assert!(with("exp", now - 8).is_err(), "expired 8 s ago");
        assert!(with("exp", now - 61).is_err(), "expired a minute ago (the old leeway)");
        assert!(with("nbf", now + 2).is_ok(), "valid in 2 s: within the leeway");
        assert!(with("nbf", now + 30).is_err(), "not valid before 30 s from now");
        assert!(with("nbf", now - 30).is_ok());
        assert!(with("iat", now + 2).is_ok(), "issued 2 s ahead: within the leeway");
        assert!(with("iat", now + 30).is_err(), "issued in the future");
    }

    #[test]
    fn iss_aud_exp_iat_and_sub_are_required_and_iss_and_aud_exact() {
        let tokens = Tokens::new(SECRET, &[], 900).unwrap();
        for missing in ["iss", "aud", "exp", "iat", "sub"] {
            let mut c = claims(Uuid::new_v4());
            c.as_object_mut().unwrap().remove(missing);
            assert!(tokens.verify(&forge(&header(), &c, SECRET)).is_err(), "without {missing}");
        }
        for (field, value) in [("iss", "siprov2"), ("aud", "siprov"), ("aud", "")] {
            let mut c = claims(Uuid::new_v4());
            c[field] = json!(value);
            assert!(tokens.verify(&forge(&header(), &c, SECRET)).is_err(), "{field} = {value:?}");
        }
    }

    #[test]
    fn only_hs256_is_accepted() {
        let tokens = Tokens::new(SECRET, &[], 900).unwrap();
        let c = claims(Uuid::new_v4());
        for alg in [Algorithm::HS384, Algorithm::HS512] {
            let mut h = Header::new(alg);
            h.kid = Some(key_id(SECRET));
            let t = jsonwebtoken::encode(&h, &c, &EncodingKey::from_secret(SECRET)).unwrap();
            assert!(tokens.verify(&t).is_err(), "{alg:?}");
        }
        for alg in ["none", "hs256", "RS256"] {
            let h = json!({"alg": alg, "typ": "JWT", "kid": key_id(SECRET)});
            assert!(tokens.verify(&forge(&h, &c, SECRET)).is_err(), "alg {alg}");
        }
    }

    #[test]
    fn a_header_parameter_other_than_alg_typ_and_kid_is_refused() {
        let tokens = Tokens::new(SECRET, &[], 900).unwrap();
        let c = claims(Uuid::new_v4());
        for (name, value) in [
            ("jku", json!("https://attacker.example/keys.json")),
            ("x5u", json!("https://attacker.example/cert.pem")),
            ("jwk", json!({"kty": "oct", "k": "AAAA"})),
            ("x5c", json!(["MIIB"])),
            ("crit", json!(["exp"])),
            ("cty", json!("JWT")),
            ("b64", json!(false)),
            ("zip", json!("DEF")),
        ] {
            let mut h = header();
            h[name] = value;
            assert!(tokens.verify(&forge(&h, &c, SECRET)).is_err(), "header with {name}");
        }
        let mut other_typ = header();
        other_typ["typ"] = json!("at+jwt");
        assert!(tokens.verify(&forge(&other_typ, &c, SECRET)).is_err(), "typ at+jwt");
    }

    #[test]
    fn a_kid_that_names_no_configured_key_is_refused_even_when_the_signature_is_right() {
        let tokens = Tokens::new(SECRET, &[], 900).unwrap();
        let c = claims(Uuid::new_v4());
        for kid in [json!("../../../../dev/null"), json!("/etc/passwd"), json!(""), json!(7), json!(null)] {
            let h = json!({"alg": "HS256", "typ": "JWT", "kid": kid});
            assert!(tokens.verify(&forge(&h, &c, SECRET)).is_err(), "kid {kid}");
        }
        let no_kid = json!({"alg": "HS256", "typ": "JWT"});
        assert!(tokens.verify(&forge(&no_kid, &c, SECRET)).is_err(), "no kid");
    }

    #[test]
    fn previous_secrets_verify_their_own_tokens_and_only_the_signing_secret_signs() {
        let old = [1u8; 32];
        let new = [2u8; 32];
        let before = Tokens::new(&old, &[], 900).unwrap();
        let (old_token, _) = before.issue(Subject::Login(LoginId(Uuid::new_v4())), 0).unwrap();
        let rotated = Tokens::new(&new, &[&old], 900).unwrap();
        assert!(rotated.verify(&old_token).is_ok(), "a previous secret still verifies");
        let (new_token, _) = rotated.issue(Subject::Login(LoginId(Uuid::new_v4())), 0).unwrap();
        assert_eq!(jsonwebtoken::decode_header(&new_token).unwrap().kid, Some(key_id(&new)));
        assert!(before.verify(&new_token).is_err(), "the old configuration does not know the new key");
        let dropped = Tokens::new(&new, &[], 900).unwrap();
        assert!(dropped.verify(&old_token).is_err(), "once removed, a previous secret verifies nothing");
        // A token signed with the old secret but naming the new key id is refused.
        let mut h = header();
        h["kid"] = json!(key_id(&new));
        assert!(rotated.verify(&forge(&h, &claims(Uuid::new_v4()), &old)).is_err());
    }
}
