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
