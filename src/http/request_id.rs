//! The request id every answer carries as `x-request-id`, and every log line and audit
//! event of the request with it: the caller's own when it sent a usable one, so a client
//! can follow its request through our logs, else a fresh one.

use std::cell::Cell;

use actix_web::dev::ServiceRequest;

pub const HEADER: &str = "x-request-id";

/// The request's id, put in the request's extensions by the request log so that handlers
/// (and the audit events of their writes) carry the id the caller gets back.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

/// The caller's `x-request-id` when it is 1 to 64 characters of `A-Za-z0-9-_.`, else a new
/// one.
pub fn of(req: &ServiceRequest) -> String {
    req.headers().get(HEADER).and_then(|v| v.to_str().ok()).filter(|v| is_valid(v)).map_or_else(generate, str::to_owned)
}

pub fn is_valid(id: &str) -> bool {
    (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

thread_local! {
    /// A per-thread generator seeded once from the OS: request ids need to be unique, not
    /// secret, and a system call per request would cost more than the rest of the id.
    static STATE: Cell<u64> = Cell::new(seed());
}

fn seed() -> u64 {
    let mut bytes = [0u8; 8];
    // Without OS randomness, the time still keeps threads and restarts apart.
    if getrandom::fill(&mut bytes).is_err() {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        bytes = (nanos as u64).to_le_bytes();
    }
    u64::from_le_bytes(bytes)
}

/// splitmix64: two 64-bit outputs make a 128-bit id, printed as 32 hex digits.
fn next() -> u64 {
    STATE.with(|s| {
        let x = s.get().wrapping_add(0x9E37_79B9_7F4A_7C15);
        s.set(x);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    })
}

fn generate() -> String {
    format!("{:016x}{:016x}", next(), next())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_are_32_hex_digits_and_differ() {
        let a = generate();
        let b = generate();
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
        assert!(is_valid(&a));
    }

    #[test]
    fn a_callers_id_is_kept_only_in_the_documented_alphabet_and_length() {
        assert!(is_valid("abc-DEF_1.2"));
        assert!(!is_valid(""));
        assert!(!is_valid(&"a".repeat(65)));
        assert!(!is_valid("has space"));
        assert!(!is_valid("quote\""));
    }
}
