//! Phone provisioning (rules F1–F9): what a SIP phone fetches from `/provisioning/`, how it
//! proves who it is, and the bytes it gets. Pure: no HTTP, no database, no clock; the HTTP
//! layer brings the request, the device record and the time.
//!
//! A request goes through the parts in this order:
//! 1. [`files`]: the file name → a vendor's shared file, or a per-device file and the MAC
//!    it names. Anything else is 404 before any lookup.
//! 2. [`digest`]: the `Authorization` header → the phone's username (its MAC) → the
//!    device's stored verifiers → a verdict; 401 with the challenges otherwise. Digest
//!    nonces are signed and timed rather than stored, so every instance accepts them.
//! 3. F5: a per-device file is served only when its MAC is the authenticated one and the
//!    device's vendor uses that file ([`files::DeviceFileKind::served_for`]).
//! 4. [`render`]: the device record, its lines and the SP's SIP service → the vendor's
//!    template → bytes and a strong ETag.
//!
//! Why authenticate at all: a MAC is printed on the box and sent in clear on the LAN, so a
//! phone that could fetch a configuration by naming a MAC would hand every SIP password to
//! anyone who can guess or read one. Here a MAC only says which verifiers to check; what
//! proves the phone is the provisioning password siprov issued to that device (F3), and
//! that password is never stored, only [`digest::Verifiers`] derived from it.

pub mod digest;
pub mod files;
pub mod render;

/// A generated secret (F1): 144 bits from the operating system's CSPRNG, as 24 characters
/// of base64url, which every phone's configuration format and keypad can carry.
pub fn generate_secret() -> Result<String, getrandom::Error> {
    use base64::Engine;
    let mut bytes = [0u8; 18];
    getrandom::fill(&mut bytes)?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

#[cfg(test)]
mod tests {
    #[test]
    fn f1_generated_secrets_carry_144_bits_in_24_plain_characters_and_differ() {
        let a = super::generate_secret().unwrap();
        let b = super::generate_secret().unwrap();
        assert_eq!(a.len(), 24);
        assert!(a.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
        assert_ne!(a, b);
    }
}
