//! The order of appends on PostgreSQL, where writers append side by side: a reader must not
//! show an event while one with a lower `seq` is still to commit. SQLite has one writer, so
//! the case cannot arise there; this test needs `SIPROV_TEST_DATABASE_URL`.

use std::sync::mpsc;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel_migrations::MigrationHarness;
use uuid::Uuid;

use super::{EventRow, Filters, append, list};
use crate::authz::audit::EventScope;
use crate::db::DbConn;
use crate::domain::Timestamp;

fn event() -> EventRow {
    EventRow {
        seq: 0,
        id: Uuid::now_v7(),
        at: Timestamp::now(),
        actor_username: "admin".into(),
        actor_client_id: None,
        request_id: "r".into(),
        action: "service_provider.created".into(),
        resource_type: "service_provider".into(),
        resource_id: Uuid::now_v7(),
        sp_id: None,
        org_id: None,
        user_id: None,
        changes: "{}".into(),
    }
}

fn exec(conn: &mut DbConn, sql: &str) {
    native!(conn, |c| c.batch_execute(sql)).unwrap();
}

#[test]
fn a_reader_waits_for_an_append_in_flight_rather_than_show_a_later_one_first() {
    let Some(url) = std::env::var("SIPROV_TEST_DATABASE_URL").ok().filter(|u| !u.is_empty()) else {
        return;
    };
    let name = format!("siprov_audit_{}", Uuid::new_v4().simple());
    let mut admin = PgConnection::establish(&url).unwrap();
    diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut admin).unwrap();
    let db_url = format!("{}/{name}", url.rsplit_once('/').map_or(url.as_str(), |(b, _)| b));
    let connect = || DbConn::Postgresql(PgConnection::establish(&db_url).unwrap());
    let mut slow = connect();
    if let DbConn::Postgresql(pg) = &mut slow {
        pg.run_pending_migrations(crate::db::POSTGRES_MIGRATIONS).unwrap();
    }

    // The first writer draws its seq and stays open.
    exec(&mut slow, "BEGIN");
    let mut first = event();
    append(&mut slow, &mut first).unwrap();
    // A second writer draws the next seq and commits.
    let mut fast = connect();
    let mut second = event();
    exec(&mut fast, "BEGIN");
    append(&mut fast, &mut second).unwrap();
    exec(&mut fast, "COMMIT");
    assert!(second.seq > first.seq);

    let (tx, rx) = mpsc::channel();
    let reader = std::thread::spawn({
        let mut conn = connect();
        move || {
            let rows = list(&mut conn, EventScope::All, &Filters::default(), None, 10).unwrap();
            tx.send(rows.into_iter().map(|r| r.id).collect::<Vec<_>>()).unwrap();
        }
    });
    // The reader waits while the first append is in flight…
    assert!(rx.recv_timeout(Duration::from_millis(300)).is_err(), "the reader did not wait for the open append");
    exec(&mut slow, "COMMIT");
    // …and then shows both, in seq order.
    assert_eq!(rx.recv_timeout(Duration::from_secs(10)).unwrap(), vec![first.id, second.id]);
    reader.join().unwrap();
    drop((slow, fast));
    diesel::sql_query(format!("DROP DATABASE {name} WITH (FORCE)")).execute(&mut admin).unwrap();
}
