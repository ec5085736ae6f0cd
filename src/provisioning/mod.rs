//! Phone provisioning (rules F1–F9): what a SIP phone fetches from `/provisioning/`.
//! Pure: no HTTP, no database, no clock.

pub mod files;
