//! Identity: passwords (argon2id), tokens (HS256 JWTs) and the middleware that turns a
//! Bearer token into the caller's [`Principal`], read from the database on every request.

pub mod middleware;
pub mod password;
pub mod token;

use std::future::{Ready, ready};

use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload};
use uuid::Uuid;

use crate::domain::Actor;
use crate::error::ApiError;

/// The authenticated caller: who it is and the role context it acts in.
#[derive(Clone, Debug)]
pub struct Principal {
    pub login_id: Uuid,
    pub username: String,
    pub actor: Actor,
}

/// A handler that takes a `Principal` declares by its signature that it needs a caller;
/// without one (a route outside the authenticated scope), 401.
impl FromRequest for Principal {
    type Error = ApiError;
    type Future = Ready<Result<Principal, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            req.extensions()
                .get::<Principal>()
                .cloned()
                .ok_or_else(|| ApiError::unauthorized("missing_token", "a Bearer token is required")),
        )
    }
}
