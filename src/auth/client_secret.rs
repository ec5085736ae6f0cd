//! API client secrets (K3): 256 bits from the OS's CSPRNG, shown once, stored as a
//! SHA-256 digest.
//!
//! Why not argon2, as for passwords: argon2's cost protects secrets a person chose, which
//! can be guessed from a stolen hash in a few billion tries. A 256-bit random secret
//! cannot be guessed from its digest whatever the hash costs, so a slow hash would only
//! make every `client_credentials` request cost ~26 ms of CPU and 19 MiB, and queue
//! pipelines behind people's logins on the bounded hashing threads. The digest is compared
//! in constant time.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::ApiError;

/// Every secret starts with this, so secret scanners and people recognise one.
pub const PREFIX: &str = "siprov_cs_";

/// A fresh secret: the prefix and 32 random bytes in base64url (43 characters).
pub fn generate() -> Result<String, ApiError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| ApiError::internal(format!("no randomness for a secret: {e}")))?;
    Ok(format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes)))
}

/// What is stored of a secret: `sha256:` and the hex digest.
pub fn digest(secret: &str) -> String {
    let d = Sha256::new().chain_update(b"siprov-api-client-secret\0").chain_update(secret.as_bytes()).finalize();
    let hex: String = d.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// Whether `secret` is the one `stored` was made from, in constant time.
pub fn matches(secret: &str, stored: &str) -> bool {
    bool::from(digest(secret).as_bytes().ct_eq(stored.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn k3_a_secret_is_random_long_and_only_its_digest_matches_it() {
        let a = generate().unwrap();
        let b = generate().unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with(PREFIX) && a.len() == PREFIX.len() + 43, "{a}");
        let stored = digest(&a);
        assert!(!stored.contains(&a[PREFIX.len()..]), "the digest does not contain the secret");
        assert!(matches(&a, &stored));
        assert!(!matches(&b, &stored));
        assert!(!matches("", &stored));
        assert!(!matches(&a, "not a digest"));
    }
}
