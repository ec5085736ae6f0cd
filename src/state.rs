//! What every handler shares: the connection pool and the token keys. Imported by the HTTP
//! layer; imports neither it nor start-up.

use crate::auth::token::Tokens;
use crate::db::Pool;

pub struct AppState {
    pub pool: Pool,
    pub tokens: Tokens,
}
