//! HS256 access tokens with `iss`, `aud`, `sub`, `exp`, `iat` and `jti`, all validated with
//! the algorithm pinned and at most 60 s of leeway.

use std::time::{SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::LoginId;

pub const ISSUER: &str = "siprov";
pub const AUDIENCE: &str = "siprov-api";

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    pub sub: String,
    pub exp: u64,
    pub iat: u64,
    pub jti: String,
}

/// Signs and verifies tokens with one secret.
#[derive(Clone)]
pub struct Tokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl_secs: u64,
}

impl Tokens {
    /// Builds the keys and proves they work by signing and verifying once: a crypto backend
    /// problem stops start-up instead of the first login.
    pub fn new(secret: &[u8], ttl_secs: u64) -> Result<Tokens, String> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 60;
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        validation.validate_exp = true;
        let tokens = Tokens {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            ttl_secs,
        };
        let probe = LoginId(Uuid::nil());
        let (token, _) = tokens.issue(probe).map_err(|e| format!("token self-test (sign) failed: {e}"))?;
        match tokens.verify(&token) {
            Ok(sub) if sub == probe => Ok(tokens),
            Ok(_) => Err("token self-test returned the wrong subject".into()),
            Err(e) => Err(format!("token self-test (verify) failed: {e}")),
        }
    }

    /// A new token for a login: `(token, expires_in)`.
    pub fn issue(&self, login_id: LoginId) -> Result<(String, u64), jsonwebtoken::errors::Error> {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        let claims = Claims {
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            sub: login_id.to_string(),
            exp: now + self.ttl_secs,
            iat: now,
            jti: Uuid::new_v4().to_string(),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)?;
        Ok((token, self.ttl_secs))
    }

    /// The login id of a valid token.
    pub fn verify(&self, token: &str) -> Result<LoginId, String> {
        let data =
            jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation).map_err(|e| e.to_string())?;
        Uuid::parse_str(&data.claims.sub).map(LoginId).map_err(|_| "subject is not a login id".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_verifies_with_its_secret_only() {
        let a = Tokens::new(&[7u8; 32], 900).unwrap();
        let b = Tokens::new(&[8u8; 32], 900).unwrap();
        let id = LoginId(Uuid::new_v4());
        let (t, ttl) = a.issue(id).unwrap();
        assert_eq!(ttl, 900);
        assert_eq!(a.verify(&t).unwrap(), id);
        assert!(b.verify(&t).is_err());
        assert!(a.verify("not.a.token").is_err());
    }

    #[test]
    fn expired_tokens_and_other_algorithms_are_refused() {
        let secret = [9u8; 32];
        let tokens = Tokens::new(&secret, 900).unwrap();
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
        let claims = |exp: u64| Claims {
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            sub: Uuid::new_v4().to_string(),
            exp,
            iat: now - 1000,
            jti: "x".into(),
        };
        let key = EncodingKey::from_secret(&secret);
        let expired = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims(now - 120), &key).unwrap();
        assert!(tokens.verify(&expired).is_err());
        let within_leeway = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims(now - 30), &key).unwrap();
        assert!(tokens.verify(&within_leeway).is_ok());
        let hs512 = jsonwebtoken::encode(&Header::new(Algorithm::HS512), &claims(now + 100), &key).unwrap();
        assert!(tokens.verify(&hs512).is_err());
    }
}
