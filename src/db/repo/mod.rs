//! The only code that knows SQL. Functions take a connection (so callers compose them in
//! one transaction) and return domain-shaped records.

pub mod accounts;
pub mod devices;
pub mod logins;
pub mod nodes;
pub mod settings;

use uuid::Uuid;

use crate::error::ApiError;

/// Parses an id read from the database; a malformed one is corruption, hence 500.
pub fn uuid(s: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(s).map_err(|e| ApiError::internal(format!("stored id {s:?} is not a UUID: {e}")))
}

pub fn opt_uuid(s: Option<&str>) -> Result<Option<Uuid>, ApiError> {
    s.map(uuid).transpose()
}

/// One page of a collection ordered by id (UUIDv7, so roughly creation order): the caller
/// fetched `limit + 1` rows; the extra one only tells whether a next page exists.
pub fn page<T>(mut rows: Vec<T>, limit: i64, id_of: impl Fn(&T) -> Uuid) -> (Vec<T>, Option<Uuid>) {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    if rows.len() > limit {
        rows.truncate(limit);
        let next = rows.last().map(&id_of);
        (rows, next)
    } else {
        (rows, None)
    }
}
