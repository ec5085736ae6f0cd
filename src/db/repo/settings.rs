//! Process-wide values every instance on one database must share (the generated signing
//! secret).

use diesel::prelude::*;

use crate::db::schema::app_settings::dsl as s;
use crate::db::{DbConn, is_unique_violation};

pub fn get(conn: &mut DbConn, key: &str) -> QueryResult<Option<String>> {
    native!(conn, |c| s::app_settings.filter(s::key.eq(key)).select(s::value).first::<String>(c).optional())
}

/// Stores `value` unless the key already exists, and returns what is stored: two instances
/// starting together on one database agree on one value.
pub fn get_or_insert(conn: &mut DbConn, key: &str, value: &str) -> QueryResult<String> {
    if let Some(v) = get(conn, key)? {
        return Ok(v);
    }
    match native!(conn, |c| diesel::insert_into(s::app_settings)
        .values((s::key.eq(key), s::value.eq(value)))
        .execute(c))
    {
        Ok(_) => Ok(value.to_owned()),
        Err(e) if is_unique_violation(&e) => get(conn, key)?.ok_or(diesel::result::Error::NotFound),
        Err(e) => Err(e),
    }
}
