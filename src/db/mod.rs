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

pub mod repo;
pub mod schema;
pub mod types;

use std::time::Duration;

use diesel::Connection;
use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::r2d2::{self, ManageConnection};
use diesel::sqlite::SqliteConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::error::ApiError;

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
}

impl Manager {
    pub fn new(backend: Backend) -> Manager {
        Manager { backend }
    }

    fn establish(&self) -> Result<DbConn, diesel::ConnectionError> {
        match &self.backend {
            Backend::Postgres(url) => PgConnection::establish(url).map(DbConn::Postgresql),
            Backend::Sqlite(path) => {
                let mut conn = SqliteConnection::establish(path)?;
                // busy_timeout first: the other PRAGMAs may themselves wait for a lock.
                conn.batch_execute(
                    "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; \
                     PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;",
                )
                .map_err(|e| diesel::ConnectionError::BadConnection(e.to_string()))?;
                Ok(DbConn::Sqlite(conn))
            }
        }
    }
}

/// A pooled connection and whether it has failed in a way that makes it useless (the
/// server went away, the backend was terminated): such a connection is discarded when it
/// goes back to the pool instead of being handed to the next request.
pub struct Conn {
    conn: DbConn,
    broken: bool,
}

impl Conn {
    /// Marks the connection as lost, so the pool drops it.
    pub fn mark_broken(&mut self) {
        self.broken = true;
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
        self.establish().map(|conn| Conn { conn, broken: false }).map_err(r2d2::Error::ConnectionError)
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
    if let Backend::Sqlite(path) = backend {
        create_private_file(std::path::Path::new(path))?;
    }
    let manager = Manager::new(backend.clone());
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
    // request that saw it fail (see `Session::run`) and dropped when it returns.
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
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(format!("cannot create {}: {e}", path.display())),
    }
}

/// The database side of one request: at most one pooled connection, checked out when
/// first needed and kept for the rest of the request (the caller's role context and the
/// use case share it), unless given back for slow work that needs none.
pub struct Session {
    pool: Pool,
    conn: Option<PooledConn>,
}

impl Session {
    pub fn new(pool: Pool) -> Session {
        Session { pool, conn: None }
    }

    /// The session's connection, checked out on first use.
    pub fn conn(&mut self) -> Result<&mut DbConn, ApiError> {
        let conn = match self.conn.take() {
            Some(c) => c,
            None => self.pool.get()?,
        };
        Ok(&mut **self.conn.insert(conn))
    }

    /// Gives the connection back to the pool, for work that needs none (password hashing):
    /// a slow step must not hold one of the few connections.
    pub fn release(&mut self) {
        self.conn = None;
    }

    /// Runs `f` with this session on the blocking thread pool: diesel never runs on an
    /// async worker. A connection that failed as lost is marked so the pool drops it.
    pub async fn run<T, F>(mut self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Session) -> Result<T, ApiError> + Send + 'static,
    {
        let span = tracing::Span::current();
        actix_web::web::block(move || {
            let _entered = span.enter();
            let result = f(&mut self);
            if let (Err(e), Some(conn)) = (&result, self.conn.as_mut())
                && e.means_connection_lost()
            {
                conn.mark_broken();
            }
            result
        })
        .await
        .map_err(|e| ApiError::internal(format!("blocking task failed: {e}")))?
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

/// One SQLite write transaction at a time in this process (see [`write_tx`]).
static SQLITE_WRITER: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Runs `f` in one write transaction; any error rolls everything back, so a failed request
/// leaves no partial rows. On SQLite the transaction is `BEGIN IMMEDIATE`: it takes the
/// write lock up front, so two racing writers queue on `busy_timeout` instead of one
/// failing with "database is locked" when it upgrades a read lock.
pub fn write_tx<T, F>(conn: &mut DbConn, f: F) -> Result<T, ApiError>
where
    F: FnOnce(&mut DbConn) -> Result<T, ApiError>,
{
    match conn {
        DbConn::Postgresql(_) => conn.transaction(f),
        DbConn::Sqlite(_) => {
            // Writers of this process queue here, in order, instead of in SQLite's busy
            // handler, which sleeps 1 to 100 ms between tries: under load that sleep, not
            // the work, would set the tail latency of every write.
            let _writer = SQLITE_WRITER.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            conn.batch_execute("BEGIN IMMEDIATE")?;
            match f(conn) {
                Ok(value) => match conn.batch_execute("COMMIT") {
                    Ok(()) => Ok(value),
                    Err(e) => {
                        let _ = conn.batch_execute("ROLLBACK");
                        Err(e.into())
                    }
                },
                Err(e) => {
                    if let Err(rollback) = conn.batch_execute("ROLLBACK") {
                        tracing::error!(error = %rollback, "rollback failed");
                    }
                    Err(e)
                }
            }
        }
    }
}

/// Whether the database answers, for `/readyz`.
pub fn ping(pool: &Pool) -> bool {
    match pool.get_timeout(Duration::from_secs(2)) {
        Ok(mut conn) => {
            let ok = conn.batch_execute("SELECT 1").is_ok();
            if !ok {
                conn.mark_broken();
            }
            ok
        }
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
}
