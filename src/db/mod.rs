//! One binary, two backends: the URL scheme picks SQLite (embedded, the default) or
//! PostgreSQL. Everything above this module sees one connection type, [`DbConn`].

/// Runs `$body` on the connection's own backend (`$c` is the `SqliteConnection` or the
/// `PgConnection`), compiled once for each. The multi-backend connection serializes a
/// query's whole SQL text on every execution, even when its prepared statement is cached;
/// on the backend's own connection a cached statement is only bound and stepped, which is
/// what keeps a read at a few microseconds.
macro_rules! native {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::DbConn::Sqlite($c) => $body,
            $crate::db::DbConn::Postgresql($c) => $body,
        }
    };
}

mod inline;
pub mod repo;
pub mod schema;
mod tx;
pub mod types;

pub use inline::InlineReads;
pub use tx::write_tx;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use diesel::Connection;
use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::r2d2::{self, ManageConnection};
use diesel::sqlite::SqliteConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::error::{ApiError, Unavailable};

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Postgresql(PgConnection),
    Sqlite(SqliteConnection),
}

/// Where the data lives, parsed from the database URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Backend {
    /// A file path (everything after `sqlite://`).
    Sqlite(String),
    /// A libpq URL, kept whole.
    Postgres(String),
}

impl Backend {
    /// `sqlite://PATH` or `postgres://…`/`postgresql://…`; anything else is refused here
    /// rather than "tried" (SQLite would happily open a file named like a URL).
    pub fn from_url(url: &str) -> Result<Backend, String> {
        if let Some(path) = url.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err("sqlite:// URL has no file path (e.g. sqlite://data/siprov.db)".into());
            }
            Ok(Backend::Sqlite(path.to_owned()))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres(url.to_owned()))
        } else {
            let scheme = url.split("://").next().filter(|_| url.contains("://")).unwrap_or(url);
            Err(format!("unsupported database URL scheme {scheme:?}: use sqlite://PATH or postgres://..."))
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }
}

/// An r2d2 manager that connects to exactly the backend of the URL and reports its real
/// error (diesel's own multi-connection `establish` hides it behind "Invalid connection url").
#[derive(Clone, Debug)]
pub struct Manager {
    backend: Backend,
    sqlite_busy_timeout: Duration,
    /// For [`InlineReads`]' connections: after set-up, statements never wait for a lock
    /// and never write.
    inline: bool,
    losses: Arc<AtomicU64>,
}

/// How long a SQLite statement waits for a lock held elsewhere (another process, a backup)
/// before it fails with "database is locked", answered 503.
pub const DEFAULT_SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);

impl Manager {
    pub fn new(backend: Backend) -> Manager {
        Manager::with_busy_timeout(backend, DEFAULT_SQLITE_BUSY_TIMEOUT)
    }

    pub fn with_busy_timeout(backend: Backend, sqlite_busy_timeout: Duration) -> Manager {
        Manager { backend, sqlite_busy_timeout, inline: false, losses: Arc::new(AtomicU64::new(0)) }
    }

    fn establish(&self) -> Result<DbConn, diesel::ConnectionError> {
        match &self.backend {
            Backend::Postgres(url) => {
                let mut conn = PgConnection::establish(url)?;
                // Every statement is prepared once per connection and, with this, planned
                // once. Left to choose, PostgreSQL re-plans a list query at every execution
                // (its custom plan looks cheaper than the generic one), and at a million
                // devices that planning costs 2-3 ms, three times the query: an SP's first
                // page of 50 ran at 625 req/s, and at 2,424 with generic plans. The list
                // queries are written so that their generic plan is their index range
                // (`tests/api/plans.rs`); the one that is not asks for custom plans
                // (`repo::with_custom_plans`).
                conn.batch_execute("SET plan_cache_mode = force_generic_plan")
                    .map_err(|e| diesel::ConnectionError::BadConnection(e.to_string()))?;
                Ok(DbConn::Postgresql(conn))
            }
            Backend::Sqlite(path) => {
                let mut conn = SqliteConnection::establish(path)?;
                // busy_timeout first: the other PRAGMAs may themselves wait for a lock.
                conn.batch_execute(&format!(
                    "PRAGMA busy_timeout = {}; PRAGMA journal_mode = WAL; \
                     PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;",
                    self.sqlite_busy_timeout.as_millis()
                ))
                .map_err(|e| diesel::ConnectionError::BadConnection(e.to_string()))?;
                if self.inline {
                    conn.batch_execute("PRAGMA busy_timeout = 0; PRAGMA query_only = 1;")
                        .map_err(|e| diesel::ConnectionError::BadConnection(e.to_string()))?;
                }
                Ok(DbConn::Sqlite(conn))
            }
        }
    }
}

/// A pooled connection and whether it has failed in a way that makes it useless (the
/// server went away, the backend was terminated): such a connection is discarded when it
/// goes back to the pool instead of being handed to the next request.
///
/// When one connection is lost, its siblings in the pool usually are too (a server restart
/// ends them all), so a loss is counted for the whole pool: a connection that has not
/// answered since the last loss is checked with a trivial query before a request uses it.
pub struct Conn {
    conn: DbConn,
    broken: bool,
    /// The pool's loss count when this connection last proved alive.
    alive_at: u64,
    losses: Arc<AtomicU64>,
}

impl Conn {
    /// Marks the connection as lost, so the pool drops it, and makes every other idle
    /// connection prove itself before its next use.
    pub fn mark_broken(&mut self) {
        if !self.broken {
            self.broken = true;
            self.losses.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Whether a loss happened in the pool since this connection last answered.
    fn suspect(&self) -> bool {
        self.alive_at < self.losses.load(Ordering::Relaxed)
    }

    /// A trivial query; false (and the connection marked lost) when it does not answer.
    fn prove_alive(&mut self) -> bool {
        let seen = self.losses.load(Ordering::Relaxed);
        if self.conn.batch_execute("SELECT 1").is_ok() {
            self.alive_at = seen;
            true
        } else {
            self.mark_broken();
            false
        }
    }
}

impl std::ops::Deref for Conn {
    type Target = DbConn;
    fn deref(&self) -> &DbConn {
        &self.conn
    }
}

impl std::ops::DerefMut for Conn {
    fn deref_mut(&mut self) -> &mut DbConn {
        &mut self.conn
    }
}

impl ManageConnection for Manager {
    type Connection = Conn;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<Conn, r2d2::Error> {
        let alive_at = self.losses.load(Ordering::Relaxed);
        self.establish()
            .map(|conn| Conn { conn, broken: false, alive_at, losses: Arc::clone(&self.losses) })
            .map_err(r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut Conn) -> Result<(), r2d2::Error> {
        conn.conn.batch_execute("SELECT 1").map_err(r2d2::Error::QueryError)
    }

    /// A connection whose last error said it is gone, or whose transaction state is broken
    /// (a transaction left open or failed), is not reused.
    fn has_broken(&self, conn: &mut Conn) -> bool {
        use diesel::r2d2::R2D2Connection;
        conn.broken || std::thread::panicking() || conn.conn.is_broken()
    }
}

pub type Pool = r2d2::Pool<Manager>;
pub type PooledConn = r2d2::PooledConnection<Manager>;

/// Connects once (to report the real error at start-up), runs the backend's migrations,
/// then builds the pool.
pub fn connect_and_migrate(backend: &Backend) -> Result<Pool, String> {
    connect_and_migrate_with(backend, DEFAULT_SQLITE_BUSY_TIMEOUT)
}

/// [`connect_and_migrate`] with SQLite's busy timeout as the operator set it.
pub fn connect_and_migrate_with(backend: &Backend, sqlite_busy_timeout: Duration) -> Result<Pool, String> {
    if let Backend::Sqlite(path) = backend {
        create_private_file(std::path::Path::new(path))?;
    }
    let manager = Manager::with_busy_timeout(backend.clone(), sqlite_busy_timeout);
    let mut conn =
        manager.establish().map_err(|e| format!("cannot connect to the {} database: {e}", backend.name()))?;
    let migrated = match &mut conn {
        DbConn::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|_| ()),
        DbConn::Postgresql(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS).map(|_| ()),
    };
    migrated.map_err(|e| format!("database migrations failed: {e}"))?;
    drop(conn);
    let max_size = match backend {
        Backend::Sqlite(_) => 8,
        Backend::Postgres(_) => 4,
    };
    // No test query on every checkout: a connection that fails is marked broken by the
    // request that saw it fail (see `Session::run`) and dropped when it returns; after a
    // loss, the others are tested once before their next use (`Conn::suspect`).
    r2d2::Pool::builder()
        .max_size(max_size)
        .min_idle(Some(1))
        .test_on_check_out(false)
        .connection_timeout(Duration::from_secs(5))
        .build(manager)
        .map_err(|e| format!("cannot open the {} connection pool: {e}", backend.name()))
}

/// Creates a new SQLite file (and its missing directories) readable by its owner only: it
/// holds the generated signing secret and password hashes. SQLite gives the `-wal` and
/// `-shm` files the main file's mode. An existing file is left as it is; `:memory:` and
/// `file:` URIs are SQLite's business.
fn create_private_file(path: &std::path::Path) -> Result<(), String> {
    if path.as_os_str() == ":memory:" || path.to_string_lossy().starts_with("file:") {
        return Ok(());
    }
    let mut dirs = std::fs::DirBuilder::new();
    let mut file = std::fs::OpenOptions::new();
    file.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
        dirs.mode(0o700);
        file.mode(0o600);
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty() && !d.exists()) {
        dirs.recursive(true).create(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    match file.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            warn_if_readable_by_others(path);
            Ok(())
        }
        Err(e) => Err(format!("cannot create {}: {e}", path.display())),
    }
}

/// A database file made before files were created private (or copied since) may still be
/// readable by others: said once at start, for the operator to `chmod 600` it. Its mode is
/// the operator's to change, not the service's.
fn warn_if_readable_by_others(path: &std::path::Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(mode) = std::fs::metadata(path).map(|m| m.permissions().mode() & 0o777)
            && mode & 0o077 != 0
        {
            tracing::warn!(
                file = %path.display(),
                mode = format!("{mode:04o}"),
                "the database file, which holds password hashes and the generated signing secret, \
                 is readable by other users: chmod 600 it"
            );
        }
    }
}

/// The database side of one request: at most one pooled connection, checked out when
/// first needed and kept for the rest of the request (the caller's role context and the
/// use case share it). Slow work that needs none (hashing) runs between two sessions.
pub struct Session {
    pool: Pool,
    conn: Option<PooledConn>,
}

impl Session {
    pub fn new(pool: Pool) -> Session {
        Session { pool, conn: None }
    }

    /// The session's connection, checked out on first use. A connection that has not
    /// answered since another one of the pool was lost is tried first; one that fails is
    /// dropped and another taken, so a request does not inherit a dead connection.
    pub fn conn(&mut self) -> Result<&mut DbConn, ApiError> {
        let conn = match self.conn.take() {
            Some(c) => c,
            None => self.checkout()?,
        };
        Ok(&mut **self.conn.insert(conn))
    }

    fn checkout(&self) -> Result<PooledConn, ApiError> {
        // Every connection in the pool, then one the pool opens afresh.
        for _ in 0..=self.pool.max_size() {
            let mut conn = self.pool.get()?;
            if !conn.suspect() || conn.prove_alive() {
                return Ok(conn);
            }
        }
        Err(ApiError::unavailable(Unavailable::ConnectionLost, "no pooled connection answers"))
    }

    /// After `e`: a connection that `e` says is lost is marked so the pool drops it, and
    /// given back; true when that happened (the work may be tried again on another).
    fn discard_if_lost(&mut self, e: &ApiError) -> bool {
        match self.conn.take() {
            Some(mut conn) if e.means_connection_lost() => {
                conn.mark_broken();
                true
            }
            kept => {
                self.conn = kept;
                false
            }
        }
    }

    /// Runs `f` with this session on the blocking thread pool, where it may wait (for a
    /// lock, a connection, the network) without stalling an async worker; only SQLite reads
    /// that need no wait run on the worker itself ([`InlineReads`]). A connection that
    /// failed as lost is marked so the pool drops it.
    pub async fn run<T, F>(mut self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Session) -> Result<T, ApiError> + Send + 'static,
    {
        let span = tracing::Span::current();
        actix_web::web::block(move || {
            let _entered = span.enter();
            let result = f(&mut self);
            if let Err(e) = &result {
                self.discard_if_lost(e);
            }
            result
        })
        .await
        .map_err(|e| ApiError::internal(format!("blocking task failed: {e}")))?
    }

    /// As [`Session::run`], for work that only reads: when its connection turns out to be
    /// lost (a restarted server, a terminated backend), it runs once more on a connection
    /// that answers, so a read does not fail for a fault the client has no part in.
    pub async fn run_read<T, F>(self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: Fn(&mut Session) -> Result<T, ApiError> + Send + 'static,
    {
        self.run(move |s| s.retry_once_if_lost(|s| f(s))).await
    }

    /// `f`, and once more on another connection if its connection was lost. For reads
    /// only: a write may have reached the database before its connection went away.
    pub fn retry_once_if_lost<T>(
        &mut self,
        mut f: impl FnMut(&mut Session) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        match f(self) {
            Err(e) if self.discard_if_lost(&e) => {
                tracing::info!(cause = %e, "connection lost during a read; retrying on another connection");
                f(self)
            }
            other => other,
        }
    }
}

/// Runs `f` on a connection of its own on the blocking thread pool, for work outside a
/// request (start-up, tests).
pub async fn run<T, F>(pool: &Pool, f: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&mut DbConn) -> Result<T, ApiError> + Send + 'static,
{
    Session::new(pool.clone()).run(move |s| f(s.conn()?)).await
}

/// Whether the database answers, for `/readyz`.
pub fn ping(pool: &Pool) -> bool {
    match pool.get_timeout(Duration::from_secs(2)) {
        Ok(mut conn) => conn.prove_alive(),
        Err(_) => false,
    }
}

/// Whether a database error is a unique-index violation: the one way uniqueness races
/// (MAC, number, username) are settled, so two racing requests give one 201 and one 409.
pub fn is_unique_violation(e: &diesel::result::Error) -> bool {
    matches!(e, diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _))
}

/// The time a write records.
pub fn now() -> crate::domain::Timestamp {
    crate::domain::Timestamp::now()
}

#[cfg(test)]
mod migration_tests;

#[cfg(test)]
mod tests {
    use super::Backend;

    #[test]
    fn database_urls_pick_the_backend_by_scheme_and_refuse_the_rest() {
        assert_eq!(Backend::from_url("sqlite://data/siprov.db"), Ok(Backend::Sqlite("data/siprov.db".into())));
        assert_eq!(Backend::from_url("sqlite:///var/lib/x.db"), Ok(Backend::Sqlite("/var/lib/x.db".into())));
        assert!(matches!(Backend::from_url("postgres://u@h/db"), Ok(Backend::Postgres(_))));
        assert!(matches!(Backend::from_url("postgresql://u@h/db"), Ok(Backend::Postgres(_))));
        assert!(Backend::from_url("mysql://h/db").unwrap_err().contains("\"mysql\""));
        assert!(Backend::from_url("sqlite://").is_err());
        assert!(Backend::from_url("data.db").is_err());
    }

    #[derive(diesel::QueryableByName)]
    struct CompileOption {
        #[diesel(sql_type = diesel::sql_types::Text)]
        compile_options: String,
    }

    /// `.cargo/config.toml` builds the bundled SQLite with these; a build that lost them (a
    /// Docker layer without `.cargo`, say) would still pass every other test, only slower.
    #[test]
    fn the_bundled_sqlite_is_built_with_the_server_flags() {
        use diesel::{Connection, RunQueryDsl, SqliteConnection};
        let mut c = SqliteConnection::establish(":memory:").unwrap();
        let options: Vec<String> = diesel::sql_query("PRAGMA compile_options")
            .load::<CompileOption>(&mut c)
            .unwrap()
            .into_iter()
            .map(|o| o.compile_options)
            .collect();
        for wanted in ["ENABLE_QPSG", "DEFAULT_MEMSTATUS=0", "THREADSAFE=2"] {
            assert!(options.iter().any(|o| o == wanted), "{wanted} missing from {options:?}");
        }
        assert!(
            !options.iter().any(|o| o == "ENABLE_MEMORY_MANAGEMENT"),
            "one page cache behind one mutex for every connection: {options:?}"
        );
    }
}
