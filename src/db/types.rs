//! The two column types that differ between the backends, behind one Rust type each:
//! [`DbUuid`] holds a [`Uuid`] and [`DbTime`] a [`Timestamp`]. PostgreSQL keeps them in its
//! own `uuid` (16 bytes) and `timestamptz` (microseconds since 2000), sent and read in
//! binary; SQLite keeps both as text (a UUID's hyphenated form; a fixed-width RFC 3339
//! time, so text order is time order). Both orders agree with the Rust types' order.
//! Repositories bind and read `Uuid` and `Timestamp` directly; no code above this module
//! formats an id or a time for the database.

use std::io::Write;

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, Queryable};
use diesel::expression::AsExpression;
use diesel::internal::derives::as_expression::Bound;
use diesel::pg::Pg;
use diesel::serialize::{self, IsNull, Output, ToSql};
use diesel::sql_types::{HasSqlType, Nullable, SqlType, Text};
use diesel::sqlite::Sqlite;
use uuid::Uuid;

use super::MultiBackend;
use crate::domain::Timestamp;

/// An id column: `uuid` on PostgreSQL (oid 2950, its array 2951).
#[derive(Clone, Copy, Debug, Default, SqlType, diesel::query_builder::QueryId)]
#[diesel(postgres_type(oid = 2950, array_oid = 2951))]
#[diesel(sqlite_type(name = "Text"))]
pub struct DbUuid;

/// A time column: `timestamptz` on PostgreSQL (oid 1184, its array 1185).
#[derive(Clone, Copy, Debug, Default, SqlType, diesel::query_builder::QueryId)]
#[diesel(postgres_type(oid = 1184, array_oid = 1185))]
#[diesel(sqlite_type(name = "Text"))]
pub struct DbTime;

fn corrupt(what: &str, value: &str) -> Box<dyn std::error::Error + Send + Sync> {
    format!("stored {what} {value:?} is malformed").into()
}

// --- DbUuid ---------------------------------------------------------------------------

impl ToSql<DbUuid, Sqlite> for Uuid {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        out.set_value(self.hyphenated().to_string());
        Ok(IsNull::No)
    }
}

/// Read in place: every id of every row read passes here, and a `String` per id was one
/// allocation and one free each.
impl FromSql<DbUuid, Sqlite> for Uuid {
    fn from_sql(mut value: <Sqlite as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        let s = value.read_text();
        Uuid::parse_str(s).map_err(|_| corrupt("id", s))
    }
}

impl ToSql<DbUuid, Pg> for Uuid {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        out.write_all(self.as_bytes())?;
        Ok(IsNull::No)
    }
}

impl FromSql<DbUuid, Pg> for Uuid {
    fn from_sql(value: <Pg as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        let bytes = value.as_bytes();
        Uuid::from_slice(bytes).map_err(|_| corrupt("id", &format!("{bytes:?}")))
    }
}

// --- DbTime ---------------------------------------------------------------------------

impl ToSql<DbTime, Sqlite> for Timestamp {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        out.set_value(self.to_string());
        Ok(IsNull::No)
    }
}

/// Read in place, as ids are.
impl FromSql<DbTime, Sqlite> for Timestamp {
    fn from_sql(mut value: <Sqlite as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        let s = value.read_text();
        Timestamp::parse(s).ok_or_else(|| corrupt("time", s))
    }
}

/// Microseconds from the Unix epoch to PostgreSQL's, 2000-01-01T00:00:00Z.
const PG_EPOCH_MICROS: i64 = 946_684_800_000_000;

impl ToSql<DbTime, Pg> for Timestamp {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        let micros = self.datetime().timestamp_micros() - PG_EPOCH_MICROS;
        out.write_all(&micros.to_be_bytes())?;
        Ok(IsNull::No)
    }
}

impl FromSql<DbTime, Pg> for Timestamp {
    fn from_sql(value: <Pg as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        let bytes: [u8; 8] = value.as_bytes().try_into().map_err(|_| corrupt("time", "of the wrong size"))?;
        let micros = i64::from_be_bytes(bytes).saturating_add(PG_EPOCH_MICROS);
        chrono::DateTime::from_timestamp_micros(micros)
            .map(Timestamp::from_datetime)
            .ok_or_else(|| corrupt("time", &micros.to_string()))
    }
}

// --- both types through the multi-backend connection ----------------------------------

macro_rules! multi_backend {
    ($sql:ident, $rust:ty) => {
        impl HasSqlType<$sql> for MultiBackend {
            fn metadata(lookup: &mut Self::MetadataLookup) -> Self::TypeMetadata {
                MultiBackend::lookup_sql_type::<$sql>(lookup)
            }
        }

        impl FromSql<$sql, MultiBackend> for $rust {
            fn from_sql(bytes: <MultiBackend as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
                bytes.from_sql::<$rust, $sql>()
            }
        }

        impl ToSql<$sql, MultiBackend> for $rust {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, MultiBackend>) -> serialize::Result {
                out.set_value(($sql, self));
                Ok(IsNull::No)
            }
        }

        impl<DB: Backend> Queryable<$sql, DB> for $rust
        where
            $rust: FromSql<$sql, DB>,
        {
            type Row = $rust;
            fn build(row: $rust) -> deserialize::Result<Self> {
                Ok(row)
            }
        }
    };
}

multi_backend!(DbUuid, Uuid);
multi_backend!(DbTime, Timestamp);

/// A UUID bound as an id column's value. `Uuid` is another crate's type, so it cannot be
/// given diesel's `AsExpression` itself; the typed ids (`NodeId`, `DeviceId`, …) can and
/// bind directly.
pub fn uid(id: Uuid) -> Bound<DbUuid, Uuid> {
    Bound::new(id)
}

/// An optional UUID bound as a nullable id column's value.
pub fn opt_uid(id: Option<Uuid>) -> Bound<Nullable<DbUuid>, Option<Uuid>> {
    Bound::new(id)
}

/// Binds, the way diesel's `AsExpression` derive does: by value, by reference, and into a
/// nullable column, with `ToSql` forwarded to the nullable type.
macro_rules! bindable {
    ($sql:ident, $rust:ty) => {
        impl AsExpression<$sql> for $rust {
            type Expression = Bound<$sql, $rust>;
            fn as_expression(self) -> Self::Expression {
                Bound::new(self)
            }
        }

        impl<'a> AsExpression<$sql> for &'a $rust {
            type Expression = Bound<$sql, &'a $rust>;
            fn as_expression(self) -> Self::Expression {
                Bound::new(self)
            }
        }

        impl AsExpression<Nullable<$sql>> for $rust {
            type Expression = Bound<Nullable<$sql>, $rust>;
            fn as_expression(self) -> Self::Expression {
                Bound::new(self)
            }
        }

        impl<'a> AsExpression<Nullable<$sql>> for &'a $rust {
            type Expression = Bound<Nullable<$sql>, &'a $rust>;
            fn as_expression(self) -> Self::Expression {
                Bound::new(self)
            }
        }

        impl<DB: Backend> ToSql<Nullable<$sql>, DB> for $rust
        where
            $rust: ToSql<$sql, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
                <$rust as ToSql<$sql, DB>>::to_sql(self, out)
            }
        }
    };
}

bindable!(DbTime, Timestamp);

// --- enums stored as their snake_case text --------------------------------------------

macro_rules! text_enum {
    ($rust:ty, $what:literal) => {
        impl<DB: Backend> FromSql<Text, DB> for $rust
        where
            String: FromSql<Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
                let s = <String as FromSql<Text, DB>>::from_sql(bytes)?;
                <$rust>::parse(&s).ok_or_else(|| corrupt($what, &s))
            }
        }

        impl ToSql<Text, MultiBackend> for $rust {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, MultiBackend>) -> serialize::Result {
                <str as ToSql<Text, MultiBackend>>::to_sql(self.as_str(), out)
            }
        }

        impl ToSql<Text, Pg> for $rust {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
                <str as ToSql<Text, Pg>>::to_sql(self.as_str(), out)
            }
        }

        impl ToSql<Text, Sqlite> for $rust {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
                <str as ToSql<Text, Sqlite>>::to_sql(self.as_str(), out)
            }
        }

        impl<DB: Backend> Queryable<Text, DB> for $rust
        where
            $rust: FromSql<Text, DB>,
        {
            type Row = $rust;
            fn build(row: $rust) -> deserialize::Result<Self> {
                Ok(row)
            }
        }
    };
}

text_enum!(crate::domain::Level, "level");
text_enum!(crate::domain::NodeKind, "node kind");
text_enum!(crate::domain::Scope, "scope");
bindable!(Text, crate::domain::Scope);
bindable!(Text, crate::domain::Level);
bindable!(Text, crate::domain::NodeKind);

// --- typed ids: a DbUuid column read and written as the id type -----------------------

macro_rules! typed_id {
    ($id:ty) => {
        impl<DB: Backend> FromSql<DbUuid, DB> for $id
        where
            Uuid: FromSql<DbUuid, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
                <Uuid as FromSql<DbUuid, DB>>::from_sql(bytes).map(<$id>::from)
            }
        }

        impl ToSql<DbUuid, MultiBackend> for $id {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, MultiBackend>) -> serialize::Result {
                out.set_value((DbUuid, &self.0));
                Ok(IsNull::No)
            }
        }

        impl ToSql<DbUuid, Pg> for $id {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
                <Uuid as ToSql<DbUuid, Pg>>::to_sql(&self.0, out)
            }
        }

        impl ToSql<DbUuid, Sqlite> for $id {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
                <Uuid as ToSql<DbUuid, Sqlite>>::to_sql(&self.0, out)
            }
        }

        impl<DB: Backend> Queryable<DbUuid, DB> for $id
        where
            $id: FromSql<DbUuid, DB>,
        {
            type Row = $id;
            fn build(row: $id) -> deserialize::Result<Self> {
                Ok(row)
            }
        }
    };
}

typed_id!(crate::domain::NodeId);
typed_id!(crate::domain::LoginId);
typed_id!(crate::domain::DeviceId);
typed_id!(crate::domain::AccountId);
typed_id!(crate::domain::ApiClientId);
bindable!(DbUuid, crate::domain::ApiClientId);
bindable!(DbUuid, crate::domain::NodeId);
bindable!(DbUuid, crate::domain::LoginId);
bindable!(DbUuid, crate::domain::DeviceId);
bindable!(DbUuid, crate::domain::AccountId);
