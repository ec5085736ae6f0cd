//! The only code that knows SQL. Functions take a connection (so callers compose them in
//! one transaction) and return domain-shaped records.

pub mod accounts;
pub mod devices;
pub mod logins;
pub mod nodes;
pub mod settings;

use uuid::Uuid;

use crate::error::ApiError;

/// A row lock taken at the start of a write transaction, so that a delete and a write that
/// depends on the same row (a child under a node, a line on a device, a number on a line)
/// run one after the other instead of racing into a foreign-key error.
#[derive(Clone, Copy, Debug)]
pub enum Lock {
    /// Taken by writes that need the row to stay (creating below it).
    Share,
    /// Taken by the delete of the row.
    Update,
}

/// Tables whose rows are locked this way.
#[derive(Clone, Copy, Debug)]
pub enum Locked {
    Nodes,
    Devices,
    Accounts,
}

/// Locks one row on PostgreSQL; a no-op on SQLite, where every write transaction is
/// `BEGIN IMMEDIATE` and so already runs alone. A missing row is not an error: the
/// caller's next read finds nothing and answers 404.
pub fn lock(conn: &mut crate::db::DbConn, table: Locked, id: Uuid, mode: Lock) -> Result<(), ApiError> {
    use diesel::RunQueryDsl;
    let crate::db::DbConn::Postgresql(pg) = conn else { return Ok(()) };
    let table = match table {
        Locked::Nodes => "nodes",
        Locked::Devices => "devices",
        Locked::Accounts => "accounts",
    };
    let mode = match mode {
        Lock::Share => "FOR SHARE",
        Lock::Update => "FOR UPDATE",
    };
    diesel::sql_query(format!("SELECT id FROM {table} WHERE id = $1 {mode}"))
        .bind::<diesel::sql_types::Text, _>(id.to_string())
        .execute(pg)?;
    Ok(())
}

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
