//! The only code that knows SQL. Functions take a connection (so callers compose them in
//! one transaction) and return records or database errors; what an error means to a client
//! is decided once, in `error.rs`, or by the use case that knows (a taken MAC is D9).
//!
//! Every list is built in one place (a `*_query!` macro next to its function) and read in
//! id order from one index range, `limit + 1` rows; the same builder gives
//! [`explain!`]'s plan to the plan tests, so they explain the query the code runs.

/// The plan of `$query` on the connection's backend ([`Plan`]): the query is built in each
/// arm, as with `native!`, with its real binds.
macro_rules! explain {
    ($conn:expr, $query:expr) => {
        match $conn {
            $crate::db::DbConn::Sqlite(c) => $crate::db::repo::explain_sqlite($query, c),
            $crate::db::DbConn::Postgresql(c) => $crate::db::repo::explain_postgres($query, c),
        }
    };
}

pub mod accounts;
pub mod api_clients;
pub mod audit;
pub mod devices;
pub mod idempotency;
pub mod identity;
pub mod logins;
pub mod members;
pub mod nodes;
pub mod provisioning;
pub mod sessions;
pub mod settings;

use diesel::pg::Pg;
use diesel::query_builder::{QueryFragment, QueryId};
use diesel::sqlite::Sqlite;
use diesel::{QueryResult, RunQueryDsl};
use uuid::Uuid;

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
    ApiClients,
    Webhooks,
}

/// Locks one row on PostgreSQL; a no-op on SQLite, where every write transaction is
/// `BEGIN IMMEDIATE` and so already runs alone. A missing row is not an error: the
/// caller's next read finds nothing and answers 404.
pub fn lock(conn: &mut crate::db::DbConn, table: Locked, id: Uuid, mode: Lock) -> QueryResult<()> {
    let crate::db::DbConn::Postgresql(pg) = conn else { return Ok(()) };
    let table = match table {
        Locked::Nodes => "nodes",
        Locked::Devices => "devices",
        Locked::Accounts => "accounts",
        Locked::ApiClients => "api_clients",
        Locked::Webhooks => "webhooks",
    };
    let mode = match mode {
        Lock::Share => "FOR SHARE",
        Lock::Update => "FOR UPDATE",
    };
    diesel::sql_query(format!("SELECT id FROM {table} WHERE id = $1 {mode}"))
        .bind::<crate::db::types::DbUuid, _>(id)
        .execute(pg)?;
    Ok(())
}

/// One page of a collection in id order (UUIDv7, so creation order): the caller fetched
/// `limit + 1` rows; the extra one only tells whether a next page exists.
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

/// The SQL a query sends on each backend, placeholders in place of its binds, taken from
/// the query builder itself with `debug_query` so that plan tests explain the real query.
#[derive(Clone, Debug)]
pub struct QueryText {
    pub sqlite: String,
    pub postgres: String,
}

impl QueryText {
    pub fn of<Q>(query: &Q) -> QueryText
    where
        Q: QueryFragment<Sqlite> + QueryFragment<Pg> + QueryId,
    {
        let sql = |text: String| text.split(" -- binds:").next().unwrap_or_default().to_owned();
        QueryText {
            sqlite: sql(diesel::debug_query::<Sqlite, _>(query).to_string()),
            postgres: sql(diesel::debug_query::<Pg, _>(query).to_string()),
        }
    }
}

/// How a backend runs a list query, for the plan tests.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The query as sent, from diesel's `debug_query` (binds listed at its end).
    pub sql: String,
    /// SQLite: the `detail` lines of `EXPLAIN QUERY PLAN`; PostgreSQL: the JSON of
    /// `EXPLAIN (ANALYZE, FORMAT JSON)`, which runs the query.
    pub text: String,
}

/// `EXPLAIN QUERY PLAN` before a query, its binds kept.
#[derive(Debug)]
pub struct ExplainSqlite<Q>(Q);

/// `EXPLAIN (ANALYZE, FORMAT JSON)` before a query, its binds kept.
#[derive(Debug)]
pub struct ExplainPostgres<Q>(Q);

impl<Q: QueryFragment<Sqlite>> QueryFragment<Sqlite> for ExplainSqlite<Q> {
    fn walk_ast<'b>(&'b self, mut out: diesel::query_builder::AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        out.unsafe_to_cache_prepared();
        out.push_sql("EXPLAIN QUERY PLAN ");
        self.0.walk_ast(out.reborrow())
    }
}

impl<Q: QueryFragment<Pg>> QueryFragment<Pg> for ExplainPostgres<Q> {
    fn walk_ast<'b>(&'b self, mut out: diesel::query_builder::AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.unsafe_to_cache_prepared();
        out.push_sql("EXPLAIN (ANALYZE, FORMAT JSON) ");
        self.0.walk_ast(out.reborrow())
    }
}

impl<Q> QueryId for ExplainSqlite<Q> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q> QueryId for ExplainPostgres<Q> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q> diesel::query_builder::Query for ExplainSqlite<Q> {
    type SqlType =
        (diesel::sql_types::Integer, diesel::sql_types::Integer, diesel::sql_types::Integer, diesel::sql_types::Text);
}

impl<Q> diesel::query_builder::Query for ExplainPostgres<Q> {
    type SqlType = diesel::sql_types::Text;
}

impl<Q, C> RunQueryDsl<C> for ExplainSqlite<Q> {}
impl<Q, C> RunQueryDsl<C> for ExplainPostgres<Q> {}

/// The plan SQLite makes for `query`.
pub fn explain_sqlite<Q>(query: Q, conn: &mut diesel::SqliteConnection) -> QueryResult<Plan>
where
    Q: QueryFragment<Sqlite> + QueryId,
{
    let sql = diesel::debug_query::<Sqlite, _>(&query).to_string();
    let rows: Vec<(i32, i32, i32, String)> = ExplainSqlite(query).load(conn)?;
    Ok(Plan { sql, text: rows.into_iter().map(|r| r.3).collect::<Vec<_>>().join("\n") })
}

/// Runs `f` with PostgreSQL planning each of its statements for the values bound (a custom
/// plan), in a transaction of its own (a savepoint inside one), for a query whose best plan
/// depends on how many rows one value has: an assignee with none, a few or thousands of
/// devices. Connections otherwise plan each statement once, generically (`db::Manager`).
/// SQLite plans every statement for its values anyway.
pub fn with_custom_plans<T>(
    conn: &mut crate::db::DbConn,
    f: impl FnOnce(&mut crate::db::DbConn) -> QueryResult<T>,
) -> QueryResult<T> {
    use diesel::Connection;
    use diesel::connection::SimpleConnection;
    match conn {
        crate::db::DbConn::Sqlite(_) => f(conn),
        crate::db::DbConn::Postgresql(_) => conn.transaction(|c| {
            c.batch_execute("SET LOCAL plan_cache_mode = force_custom_plan")?;
            f(c)
        }),
    }
}

/// The plan PostgreSQL runs for `query`, with what each step read.
pub fn explain_postgres<Q>(query: Q, conn: &mut diesel::PgConnection) -> QueryResult<Plan>
where
    Q: QueryFragment<Pg> + QueryId,
{
    let sql = diesel::debug_query::<Pg, _>(&query).to_string();
    let text: String = ExplainPostgres(query).get_result(conn)?;
    Ok(Plan { sql, text })
}

/// `column = id` for a list's key column (the scope of an index range the list reads in
/// order), written for each backend so that its planner reads that range and nothing else.
/// SQLite gets the equality. PostgreSQL gets `column >= id AND column <= id`: the same rows,
/// but the planner does not take the column for a constant, so the list's `ORDER BY column,
/// id` is only given by the (column, id) index, read from (id, after) and stopped after
/// `limit + 1` rows. With a plain equality it would reduce the order to `id` and, for a
/// tenant holding a large share of the table, walk the primary key in id order and filter
/// every other tenant's rows out, as many as lie between two of this tenant's.
#[derive(Clone, Debug)]
pub struct KeyIs<C, ST, V> {
    column: C,
    value: V,
    sql_type: std::marker::PhantomData<ST>,
}

impl<C> KeyIs<C, crate::db::types::DbUuid, Uuid> {
    /// An id column.
    pub fn new(column: C, id: Uuid) -> Self {
        KeyIs { column, value: id, sql_type: std::marker::PhantomData }
    }
}

impl<C: diesel::Expression, ST, V> diesel::Expression for KeyIs<C, ST, V> {
    type SqlType = diesel::sql_types::Bool;
}

impl<C: QueryId, ST: 'static, V> QueryId for KeyIs<C, ST, V> {
    type QueryId = KeyIs<C::QueryId, ST, ()>;
    const HAS_STATIC_QUERY_ID: bool = C::HAS_STATIC_QUERY_ID;
}

impl<C, ST, V> QueryFragment<Sqlite> for KeyIs<C, ST, V>
where
    C: QueryFragment<Sqlite>,
    Sqlite: diesel::sql_types::HasSqlType<ST>,
    V: diesel::serialize::ToSql<ST, Sqlite>,
{
    fn walk_ast<'b>(&'b self, mut out: diesel::query_builder::AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        self.column.walk_ast(out.reborrow())?;
        out.push_sql(" = ");
        out.push_bind_param::<ST, V>(&self.value)
    }
}

impl<C, ST, V> QueryFragment<Pg> for KeyIs<C, ST, V>
where
    C: QueryFragment<Pg>,
    Pg: diesel::sql_types::HasSqlType<ST>,
    V: diesel::serialize::ToSql<ST, Pg>,
{
    fn walk_ast<'b>(&'b self, mut out: diesel::query_builder::AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("(");
        self.column.walk_ast(out.reborrow())?;
        out.push_sql(" >= ");
        out.push_bind_param::<ST, V>(&self.value)?;
        out.push_sql(" AND ");
        self.column.walk_ast(out.reborrow())?;
        out.push_sql(" <= ");
        out.push_bind_param::<ST, V>(&self.value)?;
        out.push_sql(")");
        Ok(())
    }
}

impl<C: diesel::expression::ValidGrouping<()>, ST, V> diesel::expression::ValidGrouping<()> for KeyIs<C, ST, V> {
    type IsAggregate = C::IsAggregate;
}

impl<QS, C: diesel::AppearsOnTable<QS>, ST, V> diesel::AppearsOnTable<QS> for KeyIs<C, ST, V> {}
impl<QS, C: diesel::SelectableExpression<QS>, ST, V> diesel::SelectableExpression<QS> for KeyIs<C, ST, V> {}

/// A node has `modify` (`device_provisioning = 'modify'`), written into the SQL as a
/// literal: a prepared statement's generic plan on PostgreSQL can then prove that the
/// partial index of modify nodes applies, which it cannot for a bound value. Unlike diesel's
/// `sql()` literals, which are never kept as prepared statements, a query using this one is.
#[derive(Clone, Copy, Debug, diesel::query_builder::QueryId, diesel::expression::ValidGrouping)]
pub struct IsModify;

impl diesel::Expression for IsModify {
    type SqlType = diesel::sql_types::Bool;
}

impl<DB: diesel::backend::Backend> QueryFragment<DB> for IsModify {
    fn walk_ast<'b>(&'b self, mut out: diesel::query_builder::AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("device_provisioning = 'modify'");
        Ok(())
    }
}

impl diesel::AppearsOnTable<crate::db::schema::nodes::table> for IsModify {}
impl diesel::SelectableExpression<crate::db::schema::nodes::table> for IsModify {}

/// `column IN (SELECT value FROM json_each(?))`: membership in a list bound as one JSON
/// array, for SQLite, where diesel's `eq_any` binds one placeholder per element and so is
/// prepared anew for every list length. One placeholder keeps the statement cached.
#[derive(Clone, Debug)]
pub struct InJsonArray<C> {
    column: C,
    json: String,
}

impl<C> InJsonArray<C> {
    pub fn new(column: C, ids: impl IntoIterator<Item = Uuid>) -> InJsonArray<C> {
        let quoted: Vec<String> = ids.into_iter().map(|id| format!("\"{}\"", id.hyphenated())).collect();
        InJsonArray { column, json: format!("[{}]", quoted.join(",")) }
    }
}

impl<C: diesel::Expression> diesel::Expression for InJsonArray<C> {
    type SqlType = diesel::sql_types::Bool;
}

impl<C: QueryId> QueryId for InJsonArray<C> {
    type QueryId = InJsonArray<C::QueryId>;
    const HAS_STATIC_QUERY_ID: bool = C::HAS_STATIC_QUERY_ID;
}

impl<C: QueryFragment<Sqlite>> QueryFragment<Sqlite> for InJsonArray<C> {
    fn walk_ast<'b>(&'b self, mut out: diesel::query_builder::AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        self.column.walk_ast(out.reborrow())?;
        out.push_sql(" IN (SELECT value FROM json_each(");
        out.push_bind_param::<diesel::sql_types::Text, _>(&self.json)?;
        out.push_sql("))");
        Ok(())
    }
}

/// On PostgreSQL the same one parameter, for a `uuid` column.
impl<C: QueryFragment<diesel::pg::Pg>> QueryFragment<diesel::pg::Pg> for InJsonArray<C> {
    fn walk_ast<'b>(&'b self, mut out: diesel::query_builder::AstPass<'_, 'b, diesel::pg::Pg>) -> QueryResult<()> {
        self.column.walk_ast(out.reborrow())?;
        out.push_sql(" IN (SELECT CAST(value AS uuid) FROM json_array_elements_text(CAST(");
        out.push_bind_param::<diesel::sql_types::Text, _>(&self.json)?;
        out.push_sql(" AS json)))");
        Ok(())
    }
}

impl<C: diesel::expression::ValidGrouping<()>> diesel::expression::ValidGrouping<()> for InJsonArray<C> {
    type IsAggregate = C::IsAggregate;
}

impl<QS, C: diesel::AppearsOnTable<QS>> diesel::AppearsOnTable<QS> for InJsonArray<C> {}
impl<QS, C: diesel::SelectableExpression<QS>> diesel::SelectableExpression<QS> for InJsonArray<C> {}
