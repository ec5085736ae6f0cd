//! The use cases. Each is one function that takes a connection, the caller and domain
//! input; it loads the facts, asks `authz`, writes through `db::repo` in one transaction
//! and returns records (or, when it must hash a secret first, a [`Step`]). Nothing here
//! knows HTTP: handlers extract, call one function and render what it returns.
//!
//! The order inside every use case is the same: the caller's rights that do not depend on
//! the request's values first (a caller refused whatever it sends gets the refusal, and
//! costs nothing: no hashing, no validation), then the values, then the rules that depend
//! on them, then the hashing, then the writes.

pub mod accounts;
pub mod api_clients;
pub mod audit;
pub mod devices;
pub mod identity;
pub mod input;
pub mod me;
pub mod members;
pub mod nodes;
mod objects_only;
pub mod provisioning;
pub mod sessions;

use uuid::Uuid;

pub use crate::db::Session;
pub use input::Input;

use crate::auth::Principal;
use crate::db::DbConn;
use crate::domain::code::Code;
use crate::error::ApiError;

/// What a use case that may hash a secret (a password, a PIN) answers after its first
/// database step. That step decides the caller's rights and checks the values, so a
/// refused or invalid request never reaches the hash. The hash then runs with no
/// connection held, on the hashing threads (`auth::hashing`), and [`Step::Hash`]'s
/// continuation writes on a connection of its own, with the caller's role context read
/// again and the rules asked again inside the write transaction.
pub enum Step<T> {
    /// Nothing to hash: the use case is done.
    Done(T),
    /// Hash this secret, then write with its hash.
    Hash(String, Then<T>),
}

/// The write that follows a hash: the connection, the caller (read again) and the hash.
pub type Then<T> = Box<dyn FnOnce(&mut DbConn, &Principal, String) -> Result<T, ApiError> + Send>;

impl<T> Step<T> {
    pub fn hash(
        secret: String,
        then: impl FnOnce(&mut DbConn, &Principal, String) -> Result<T, ApiError> + Send + 'static,
    ) -> Step<T> {
        Step::Hash(secret, Box::new(then))
    }
}

/// A page request: `limit` rows after the id `after`.
#[derive(Clone, Copy, Debug)]
pub struct PageRequest {
    pub after: Option<Uuid>,
    pub limit: i64,
}

impl PageRequest {
    /// `limit` (1 to 500, default 50) and `cursor` as a client sent them: a limit out of
    /// range is 422, a cursor this API did not issue 400.
    pub fn parse(limit: Option<i64>, cursor: Option<&str>) -> Result<PageRequest, ApiError> {
        let limit = limit.unwrap_or(50);
        if !(1..=500).contains(&limit) {
            return Err(ApiError::field("limit", Code::InvalidLimit, "limit must be from 1 to 500"));
        }
        let after = cursor
            .map(|c| {
                crate::domain::ids::parse_uuid(c)
                    .ok_or_else(|| ApiError::bad_request(Code::InvalidCursor, "the cursor is not one this API issued"))
            })
            .transpose()?;
        Ok(PageRequest { after, limit })
    }
}

/// One page of records and the cursor of the next page (none on the last).
#[derive(Debug)]
pub struct Paged<T> {
    pub items: Vec<T>,
    pub next: Option<Uuid>,
}

impl<T> Paged<T> {
    /// The page out of `limit + 1` rows in id order.
    pub fn from_rows(rows: Vec<T>, req: PageRequest, id_of: impl Fn(&T) -> Uuid) -> Paged<T> {
        let (items, next) = crate::db::repo::page(rows, req.limit, id_of);
        Paged { items, next }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Paged<U> {
        Paged { items: self.items.into_iter().map(f).collect(), next: self.next }
    }
}

/// Trims a free-text field; blank becomes absent.
pub fn clean(s: Option<String>) -> Option<String> {
    s.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// A unique-index violation as the conflict the use case names; any other error as is.
pub fn unique_or(e: diesel::result::Error, conflict: impl FnOnce() -> ApiError) -> ApiError {
    if crate::db::is_unique_violation(&e) { conflict() } else { e.into() }
}
