//! What every handler shares: the connection pool, the token keys and the hashing
//! threads. Imported by the HTTP layer; imports neither it nor start-up.

use crate::auth::hashing::Hasher;
use crate::auth::token::Tokens;
use crate::db::Pool;

pub struct AppState {
    pub pool: Pool,
    pub tokens: Tokens,
    pub hasher: Hasher,
    /// Whether a client's address is read from `X-Forwarded-For` (K7).
    pub trust_forwarded_for: bool,
}
