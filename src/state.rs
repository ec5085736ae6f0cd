//! What every handler shares: the connection pool, the token keys, the hashing threads and
//! the phone side's settings. Imported by the HTTP layer; imports neither it nor start-up.

use std::net::IpAddr;

use crate::auth::hashing::Hasher;
use crate::auth::token::Tokens;
use crate::db::{InlineReads, Pool};
use crate::provisioning::digest::PhoneAuth;

pub struct AppState {
    pub pool: Pool,
    /// SQLite's connections for reads on the async workers (`None` on PostgreSQL).
    pub inline_reads: Option<InlineReads>,
    pub tokens: Tokens,
    pub hasher: Hasher,
    pub phones: Phones,
    /// L4 relaxed by the operator (`SIPROV_WEBHOOK_ALLOW_INSECURE`).
    pub webhook_allow_insecure: bool,
}

/// Phone provisioning (F3–F8): how phones authenticate, where they are sent, how long a
/// rotated password lasts, and whose `X-Forwarded-For` is believed (for K7's login throttle
/// too).
pub struct Phones {
    pub auth: PhoneAuth,
    /// The public base URL, without a trailing slash.
    pub public_url: String,
    pub grace_secs: i64,
    pub trusted_proxies: Vec<IpAddr>,
}

impl Phones {
    /// What a phone is given as its provisioning URL.
    pub fn provisioning_url(&self) -> String {
        format!("{}/provisioning/", self.public_url)
    }
}
