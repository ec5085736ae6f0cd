//! Reads served on the async worker itself, SQLite only.
//!
//! A read on the blocking pool costs two thread hand-offs: the worker wakes a blocking
//! thread, which wakes the worker again with the answer. On SQLite the read itself takes
//! microseconds (the database is a local file, mostly in memory), so the hand-offs and their
//! context switches cost as much as the query: at 64 connections the server spent about
//! 40 % of its time in the kernel, most of it waking threads. A read that can be served
//! without waiting is therefore run where the request already is, on connections of its
//! own that never wait:
//! - they are taken with `try_get`, which never blocks: when none is idle, the read goes to
//!   the blocking pool as before;
//! - `busy_timeout = 0`: a statement that would wait for a lock (a WAL reset, a backup)
//!   fails at once, and the read goes to the blocking pool, where it waits as it always has;
//! - `query_only = 1`: SQLite itself refuses any write on them, so only reads run here.
//!
//! PostgreSQL reads cross the network and stay on the blocking pool.

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::r2d2;

use super::{Backend, Manager, Pool, Session};
use crate::error::ApiError;

/// The SQLite connections on which the async workers serve reads.
#[derive(Clone)]
pub struct InlineReads {
    pool: Pool,
}

impl InlineReads {
    /// One connection per async worker (a worker runs one read at a time); `None` for
    /// PostgreSQL. The database is migrated already.
    pub fn open(backend: &Backend, workers: usize) -> Result<Option<InlineReads>, String> {
        if !matches!(backend, Backend::Sqlite(_)) {
            return Ok(None);
        }
        let slots = u32::try_from(workers.max(1)).unwrap_or(u32::MAX);
        // The set-up PRAGMAs may wait for a lock like any connection; only then does the
        // connection stop waiting (`Manager::establish`).
        let mut manager = Manager::with_busy_timeout(backend.clone(), super::DEFAULT_SQLITE_BUSY_TIMEOUT);
        manager.inline = true;
        r2d2::Pool::builder()
            .max_size(slots)
            .min_idle(Some(slots))
            .test_on_check_out(false)
            .connection_timeout(Duration::from_secs(5))
            .build(manager)
            .map(|pool| Some(InlineReads { pool }))
            .map_err(|e| format!("cannot open the sqlite read connections: {e}"))
    }

    /// Runs the read `f` here and now, when a connection is idle and the read needs no
    /// wait; `None` when it must go to the blocking pool instead (no idle connection, a
    /// lock held, any other unavailability, which the blocking pool's own retry and waits
    /// handle). `f` only reads, so running it again there is safe.
    ///
    /// The read runs in one read transaction: it sees one snapshot of the database, and
    /// takes SQLite's WAL read lock once rather than once per statement. That lock is a
    /// mutex shared by every connection of the process, and a `fcntl` call; taken per
    /// statement, concurrent readers queued on it (two thirds of a device read's futex calls).
    pub fn try_read<T>(&self, f: impl Fn(&mut Session) -> Result<T, ApiError>) -> Option<Result<T, ApiError>> {
        let mut conn = self.pool.try_get()?;
        conn.batch_execute("BEGIN").ok()?;
        let mut session = Session { pool: self.pool.clone(), conn: Some(conn) };
        let answer = f(&mut session);
        if let Some(conn) = session.conn.as_mut()
            && conn.batch_execute("COMMIT").is_err()
        {
            // Not given back with a transaction open.
            conn.mark_broken();
        }
        match answer {
            Err(e @ ApiError::Unavailable { .. }) => {
                session.discard_if_lost(&e);
                None
            }
            answer => Some(answer),
        }
    }
}

#[cfg(test)]
mod tests {
    use diesel::connection::SimpleConnection;
    use diesel::sql_types::BigInt;
    use diesel::{QueryableByName, RunQueryDsl};

    use super::InlineReads;
    use crate::db::{Backend, Pool, Session, connect_and_migrate};
    use crate::error::{ApiError, Unavailable};

    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }

    /// A migrated SQLite file with a table `t`, its pool and one inline connection.
    fn setup() -> (std::path::PathBuf, Pool, InlineReads) {
        let path = std::env::temp_dir().join(format!("siprov-inline-{}.db", uuid::Uuid::new_v4().simple()));
        let backend = Backend::Sqlite(path.to_string_lossy().into_owned());
        let pool = connect_and_migrate(&backend).unwrap();
        pool.get().unwrap().batch_execute("CREATE TABLE t (x INTEGER)").unwrap();
        let inline = InlineReads::open(&backend, 1).unwrap().unwrap();
        (path, pool, inline)
    }

    fn count(s: &mut Session) -> Result<i64, ApiError> {
        Ok(native!(s.conn()?, |c| diesel::sql_query("SELECT count(*) AS n FROM t").get_result::<Count>(c))?.n)
    }

    fn cleanup(path: std::path::PathBuf) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }

    #[test]
    fn postgresql_has_no_inline_reads() {
        let backend = Backend::Postgres("postgres://nobody@127.0.0.1:1/none".into());
        assert!(InlineReads::open(&backend, 2).unwrap().is_none());
    }

    #[test]
    fn an_inline_read_ends_its_transaction_so_the_next_sees_later_writes() {
        let (path, pool, inline) = setup();
        assert_eq!(inline.try_read(count).unwrap().unwrap(), 0);
        pool.get().unwrap().batch_execute("INSERT INTO t VALUES (1)").unwrap();
        // The same (only) connection: had its read transaction stayed open, it would still
        // see the old snapshot, and the write above could not have been checkpointed.
        assert_eq!(inline.try_read(count).unwrap().unwrap(), 1);
        cleanup(path);
    }

    #[test]
    fn sqlite_refuses_a_write_on_an_inline_connection() {
        let (path, pool, inline) = setup();
        let wrote = inline.try_read(|s| Ok(s.conn()?.batch_execute("INSERT INTO t VALUES (1)")?));
        assert!(matches!(wrote, Some(Err(_))), "query_only must refuse the insert");
        let mut s = Session::new(pool);
        assert_eq!(count(&mut s).unwrap(), 0);
        cleanup(path);
    }

    #[test]
    fn a_read_that_finds_the_database_unavailable_goes_to_the_blocking_pool() {
        let (path, _pool, inline) = setup();
        let busy = inline.try_read(|_| -> Result<(), ApiError> {
            Err(ApiError::unavailable(Unavailable::DatabaseBusy, "database is locked"))
        });
        assert!(busy.is_none(), "an unavailable database must not be answered inline");
        // Any other answer, an error included, is the read's own.
        assert!(matches!(inline.try_read(|_| -> Result<(), ApiError> { Err(ApiError::NotFound) }), Some(Err(_))));
        assert_eq!(inline.try_read(count).unwrap().unwrap(), 0, "the connection is usable again");
        cleanup(path);
    }

    #[test]
    fn a_read_with_no_idle_inline_connection_goes_to_the_blocking_pool() {
        let (path, _pool, inline) = setup();
        let nested = inline.try_read(|_| Ok(inline.try_read(count).is_none())).unwrap().unwrap();
        assert!(nested, "the one connection is in use: the inner read must not wait for it");
        cleanup(path);
    }
}
