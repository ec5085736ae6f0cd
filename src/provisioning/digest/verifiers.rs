//! What siprov stores for a provisioning password (F3): Digest H(A1) per algorithm and a
//! Basic verifier, never the password.

use std::fmt;

use sha2::{Digest, Sha256};

use super::{Algorithm, hex, unhex};

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
    pub(super) ha1_md5: [u8; 16],
    pub(super) ha1_sha256: [u8; 32],
    pub(super) basic: [u8; 32],
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

    pub(super) fn ha1(&self, algorithm: Algorithm) -> &[u8] {
        match algorithm {
            Algorithm::Md5 => &self.ha1_md5,
            Algorithm::Sha256 => &self.ha1_sha256,
        }
    }
}

pub(super) fn basic_verifier(username: &str, password: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"siprov basic verifier v1\0");
    h.update((username.len() as u64).to_be_bytes());
    h.update(username.as_bytes());
    h.update(password.as_bytes());
    h.finalize().into()
}
