//! What every handler shares: the connection pool, the token keys and the hashing
//! threads. Imported by the HTTP layer; imports neither it nor start-up.

use crate::auth::hashing::Hasher;
use crate::auth::token::Tokens;
use crate::db::Pool;

pub struct AppState {
    pub pool: Pool,
    pub tokens: Tokens,
    pub hasher: Hasher,
    /// L4 relaxed by the operator (`SIPROV_WEBHOOK_ALLOW_INSECURE`).
    pub webhook_allow_insecure: bool,
}
