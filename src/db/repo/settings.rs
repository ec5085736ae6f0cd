use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::app_settings::dsl as s;
use crate::error::{ApiError, is_unique_violation};

pub fn get(conn: &mut DbConn, key: &str) -> Result<Option<String>, ApiError> {
    Ok(s::app_settings.filter(s::key.eq(key)).select(s::value).first::<String>(conn).optional()?)
}

/// Stores `value` unless the key already exists, and returns what is stored: two instances
/// starting together on one database agree on one value.
pub fn get_or_insert(conn: &mut DbConn, key: &str, value: &str) -> Result<String, ApiError> {
    if let Some(v) = get(conn, key)? {
        return Ok(v);
    }
    match diesel::insert_into(s::app_settings).values((s::key.eq(key), s::value.eq(value))).execute(conn) {
        Ok(_) => Ok(value.to_owned()),
        Err(e) if is_unique_violation(&e) => get(conn, key)?.ok_or_else(|| ApiError::internal("setting vanished")),
        Err(e) => Err(e.into()),
    }
}
