//! Phone provisioning (rules F1–F9): what a SIP phone fetches from `/provisioning/`, and
//! how it proves who it is. Pure: no HTTP, no database, no clock.

pub mod digest;
pub mod files;
