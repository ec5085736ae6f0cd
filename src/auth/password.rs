//! argon2id for passwords and PINs (19 MiB, 2 passes, 1 lane: argon2's defaults, OWASP's
//! minimum). Requests hash through [`super::hashing::Hasher`], whose threads each keep one
//! memory area for every hash they compute; the allocating [`hash`] is for start-up.

use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use subtle::ConstantTimeEq;

use crate::error::ApiError;

/// Bytes of salt per hash (the PHC recommendation) and of output.
const SALT_LEN: usize = 16;
const OUTPUT_LEN: usize = 32;

/// The memory one hash with siprov's parameters needs: 19 MiB, written in full by every
/// hash, so it is reused as it is, never cleared or given back between hashes.
pub fn memory() -> Vec<Block> {
    vec![Block::default(); Params::default().block_count()]
}

/// A fresh argon2id hash (PHC string) of `secret`, computed in `memory` (see [`memory`]).
pub fn hash_with(secret: &str, memory: &mut [Block]) -> Result<String, ApiError> {
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::default());
    let mut salt = [0u8; SALT_LEN];
    getrandom::fill(&mut salt).map_err(|e| ApiError::internal(format!("no randomness for a salt: {e}")))?;
    let mut out = [0u8; OUTPUT_LEN];
    let fail = |e: &dyn std::fmt::Display| ApiError::internal(format!("argon2: {e}"));
    argon2.hash_password_into_with_memory(secret.as_bytes(), &salt, &mut out, memory).map_err(|e| fail(&e))?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(argon2.params()).map_err(|e| fail(&e))?,
        salt: Some(Salt::new(&salt).map_err(|e| fail(&e))?),
        hash: Some(Output::new(&out).map_err(|e| fail(&e))?),
    };
    Ok(phc.to_string())
}

/// Whether `secret` is the one `stored` (a PHC string) was made from, computed in `memory`
/// when the stored parameters fit in it (every hash siprov writes does), in fresh memory
/// otherwise. Anything unparsable verifies nothing.
pub fn verify_with(secret: &str, stored: &str, memory: &mut [Block]) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else { return false };
    let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else { return false };
    let Ok(algorithm) = Algorithm::try_from(parsed.algorithm.as_str()) else { return false };
    let Ok(version) = parsed.version.map_or(Ok(Version::default()), Version::try_from) else { return false };
    let Ok(params) = Params::try_from(&parsed) else { return false };
    let argon2 = Argon2::new(algorithm, version, params);
    let mut out = vec![0u8; expected.len()];
    let computed = match memory.get_mut(..argon2.params().block_count()) {
        Some(blocks) => argon2.hash_password_into_with_memory(secret.as_bytes(), salt.as_ref(), &mut out, blocks),
        None => argon2.hash_password_into(secret.as_bytes(), salt.as_ref(), &mut out),
    };
    computed.is_ok() && bool::from(out.as_slice().ct_eq(expected.as_bytes()))
}

/// A hash computed in its own memory: for start-up (the bootstrap admin), not requests.
pub fn hash(secret: &str) -> Result<String, ApiError> {
    hash_with(secret, &mut memory())
}

/// [`verify_with`] in its own memory.
pub fn verify(secret: &str, stored: &str) -> bool {
    verify_with(secret, stored, &mut memory())
}

/// A real hash, with siprov's parameters, of a random secret nobody kept: an unknown
/// username is checked against it, so that it costs what a wrong password costs.
pub const DUMMY: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$NDjD3rtnUM/OlZyMgpKGeg$txcNQrdIK4R5xxsFCOlHRtKc60qrnkqSXctHm1IS57I";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_secret_and_nothing_else() {
        let h = hash("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify("correct horse battery", &h));
        assert!(!verify("correct horse batterY", &h));
        assert!(!verify("x", "not a hash"));
    }

    #[test]
    fn reused_memory_gives_the_same_answers_and_reads_hashes_of_the_argon2_crate() {
        use argon2::password_hash::PasswordHasher;
        let mut memory = memory();
        let a = hash_with("first secret", &mut memory).unwrap();
        let b = hash_with("second secret", &mut memory).unwrap();
        assert_ne!(a, b);
        assert!(verify_with("first secret", &a, &mut memory));
        assert!(verify_with("second secret", &b, &mut memory));
        assert!(!verify_with("second secret", &a, &mut memory));
        // Hashes written before, by the crate's own allocating API, still verify.
        let crate_made = Argon2::default().hash_password(b"older secret").unwrap().to_string();
        assert!(verify_with("older secret", &crate_made, &mut memory));
        // Parameters larger than the memory at hand are computed in memory of their own.
        let bigger = Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(32 * 1024, 1, 1, None).unwrap())
            .hash_password(b"big")
            .unwrap()
            .to_string();
        assert!(verify_with("big", &bigger, &mut memory));
    }

    #[test]
    fn the_timing_equaliser_is_a_hash_with_the_same_parameters() {
        let parsed = PasswordHash::new(DUMMY).unwrap();
        assert_eq!(Params::try_from(&parsed).unwrap().block_count(), Params::default().block_count());
        assert!(!verify("", DUMMY));
    }
}
