//! argon2id password and PIN hashing. Hashing is slow on purpose: callers run it on the
//! blocking pool.

use std::sync::LazyLock;

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

use crate::error::ApiError;

pub fn hash(secret: &str) -> Result<String, ApiError> {
    Argon2::default()
        .hash_password(secret.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| ApiError::internal(format!("argon2: {e}")))
}

pub fn verify(secret: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => Argon2::default().verify_password(secret.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

/// A real hash of nothing anyone knows: an unknown username is verified against it so that
/// it costs the same time as a wrong password.
static DUMMY: LazyLock<String> = LazyLock::new(|| hash("siprov-timing-equaliser").unwrap_or_default());

pub fn burn_time(secret: &str) {
    let _ = verify(secret, &DUMMY);
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_hash_verifies_its_secret_and_nothing_else() {
        let h = super::hash("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(super::verify("correct horse battery", &h));
        assert!(!super::verify("correct horse batterY", &h));
        assert!(!super::verify("x", "not a hash"));
    }
}
