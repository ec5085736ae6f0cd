//! Identity: passwords (argon2id), tokens (HS256 JWTs) and who the caller is. Nothing here
//! knows HTTP; the middleware that turns a Bearer token into a [`Principal`] is in
//! `routes::middleware`.

pub mod client_secret;
pub mod hashing;
pub mod password;
pub mod token;

use crate::domain::{Actor, ApiClientId, LoginId, Scope};

/// The authenticated caller: who it is and the role context it acts in, read from the
/// database on every request. An API client acts as its node's login (K1): `login_id`,
/// `username` and `actor` are that login's, and `client` says which client it is.
#[derive(Clone, Debug)]
pub struct Principal {
    pub login_id: LoginId,
    pub username: String,
    pub actor: Actor,
    pub client: Option<ClientCaller>,
    /// The request's `x-request-id`, which its audit events carry (L1); empty outside a
    /// request.
    pub request_id: String,
}

/// The API client behind a request (K1–K3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientCaller {
    pub id: ApiClientId,
    pub name: String,
    pub scope: Scope,
}

impl Principal {
    /// True for an API client's token (K3: no password or client management).
    pub fn is_client(&self) -> bool {
        self.client.is_some()
    }
}
