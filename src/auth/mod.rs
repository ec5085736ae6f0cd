//! Identity: passwords (argon2id), tokens (HS256 JWTs) and who the caller is. Nothing here
//! knows HTTP; the middleware that turns a Bearer token into a [`Principal`] is in
//! `routes::middleware`.

pub mod hashing;
pub mod password;
pub mod token;

use crate::domain::{Actor, LoginId};

/// The authenticated caller: who it is and the role context it acts in, read from the
/// database on every request.
#[derive(Clone, Debug)]
pub struct Principal {
    pub login_id: LoginId,
    pub username: String,
    pub actor: Actor,
    /// The request's `x-request-id`, which its audit events carry (L1); empty outside a
    /// request.
    pub request_id: String,
}
