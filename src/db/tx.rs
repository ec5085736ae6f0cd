//! Write transactions: one at a time per SQLite file in this process (`BEGIN IMMEDIATE`),
//! an ordinary transaction on PostgreSQL, and a use case's own `write_tx` joining one that
//! is already open on its thread (a write checked against `If-Match` runs the check and
//! the use case in one transaction).

use diesel::Connection;
use diesel::connection::SimpleConnection;

use super::{DbConn, Session};
use crate::error::ApiError;

/// One SQLite write transaction at a time in this process (see [`write_tx`]).
static SQLITE_WRITER: std::sync::Mutex<()> = std::sync::Mutex::new(());

thread_local! {
    /// Whether this thread is inside a write transaction that [`write_tx`] or
    /// [`Session::write_tx`] opened: a use case's own `write_tx` then joins it (a request
    /// whose `If-Match` is checked runs the check and the use case in one transaction).
    static IN_WRITE_TX: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f` in one write transaction; any error rolls everything back, so a failed request
/// leaves no partial rows. On SQLite the transaction is `BEGIN IMMEDIATE`: it takes the
/// write lock up front, so two racing writers queue on `busy_timeout` instead of one
/// failing with "database is locked" when it upgrades a read lock. Inside a write
/// transaction already open on this thread, `f` joins it.
pub fn write_tx<T, F>(conn: &mut DbConn, f: F) -> Result<T, ApiError>
where
    F: FnOnce(&mut DbConn) -> Result<T, ApiError>,
{
    if IN_WRITE_TX.get() {
        return f(conn);
    }
    let writer = begin_write(conn)?;
    let result = {
        let _inside = Inside::enter();
        f(conn)
    };
    end_write(conn, writer, result)
}

/// Marks this thread as inside a write transaction until dropped (a panic included, so a
/// blocking thread never carries the mark into its next request).
struct Inside;

impl Inside {
    fn enter() -> Inside {
        IN_WRITE_TX.set(true);
        Inside
    }
}

impl Drop for Inside {
    fn drop(&mut self) {
        IN_WRITE_TX.set(false);
    }
}

/// The SQLite writer's turn, held from `BEGIN IMMEDIATE` to the commit (none on PostgreSQL).
type Writer = Option<std::sync::MutexGuard<'static, ()>>;

fn begin_write(conn: &mut DbConn) -> Result<Writer, ApiError> {
    use diesel::connection::TransactionManager;
    match conn {
        DbConn::Postgresql(_) => {
            <DbConn as Connection>::TransactionManager::begin_transaction(conn)?;
            Ok(None)
        }
        DbConn::Sqlite(_) => {
            // Writers of this process queue here, in order, instead of in SQLite's busy
            // handler, which sleeps 1 to 100 ms between tries: under load that sleep, not
            // the work, would set the tail latency of every write.
            let writer = SQLITE_WRITER.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            conn.batch_execute("BEGIN IMMEDIATE")?;
            Ok(Some(writer))
        }
    }
}

fn end_write<T>(conn: &mut DbConn, _writer: Writer, result: Result<T, ApiError>) -> Result<T, ApiError> {
    use diesel::connection::TransactionManager;
    match conn {
        DbConn::Postgresql(_) => match result {
            Ok(value) => {
                <DbConn as Connection>::TransactionManager::commit_transaction(conn)?;
                Ok(value)
            }
            Err(e) => {
                if let Err(rollback) = <DbConn as Connection>::TransactionManager::rollback_transaction(conn) {
                    tracing::error!(error = %rollback, "rollback failed");
                }
                Err(e)
            }
        },
        DbConn::Sqlite(_) => match result {
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
        },
    }
}

impl Session {
    /// [`write_tx`] around work that takes the session: every `write_tx` inside joins it.
    pub fn write_tx<T>(&mut self, f: impl FnOnce(&mut Session) -> Result<T, ApiError>) -> Result<T, ApiError> {
        if IN_WRITE_TX.get() {
            return f(self);
        }
        let writer = begin_write(self.conn()?)?;
        let result = {
            let _inside = Inside::enter();
            f(self)
        };
        end_write(self.conn()?, writer, result)
    }
}
