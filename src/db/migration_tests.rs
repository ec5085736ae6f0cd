//! Migration 000004 on a database that already holds accounts: each gets its SP, a SIP user
//! name from its number's digits (made unique within the SP) and a generated SIP password.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::Text;
use diesel_migrations::MigrationHarness;

#[derive(QueryableByName, Debug)]
struct Row {
    #[diesel(sql_type = Text)]
    number: String,
    #[diesel(sql_type = Text)]
    sp_id: String,
    #[diesel(sql_type = Text)]
    sip_username: String,
    #[diesel(sql_type = Text)]
    sip_password: String,
}

// Ids and times in the forms 000001 stored (PostgreSQL's 000003 converts them to its own
// types before 000004 runs).
const SEED: &str = "
INSERT INTO nodes (id, kind, name, parent_id, sp_id, org_id, device_provisioning, created_at, updated_at)
VALUES ('5b000000-0000-4000-8000-000000000001', 'service_provider', 'SP', NULL, '5b000000-0000-4000-8000-000000000001', NULL, 'none', '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z'),
       ('0a000000-0000-4000-8000-000000000002', 'organization', 'Org', '5b000000-0000-4000-8000-000000000001', '5b000000-0000-4000-8000-000000000001', '0a000000-0000-4000-8000-000000000002', 'none', '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z'),
       ('ee000000-0000-4000-8000-000000000003', 'user', 'U', '0a000000-0000-4000-8000-000000000002', '5b000000-0000-4000-8000-000000000001', '0a000000-0000-4000-8000-000000000002', 'none', '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z');
INSERT INTO accounts (id, user_id, number, created_at, updated_at)
VALUES ('a1a1a1a1-0000-4000-8000-0000000000a1', 'ee000000-0000-4000-8000-000000000003', '+4930555100', '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z'),
       ('a2a2a2a2-0000-4000-8000-0000000000a2', 'ee000000-0000-4000-8000-000000000003', '12345678', '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z'),
       ('a3a3a3a3-0000-4000-8000-0000000000a3', 'ee000000-0000-4000-8000-000000000003', '+12345678', '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z');
";

fn check(rows: Vec<Row>) {
    assert_eq!(rows.len(), 3);
    let by = |n: &str| rows.iter().find(|r| r.number == n).unwrap();
    assert_eq!(by("+4930555100").sip_username, "4930555100");
    assert_eq!(by("12345678").sip_username, "12345678");
    assert_eq!(by("+12345678").sip_username, "12345678-a3a3a3a3");
    assert!(rows.iter().all(|r| r.sp_id == "5b000000-0000-4000-8000-000000000001" && r.sip_password.len() >= 32));
    assert_ne!(rows[0].sip_password, rows[1].sip_password);
}

const QUERY: &str = "SELECT number, CAST(sp_id AS TEXT) AS sp_id, sip_username, sip_password FROM accounts ORDER BY id";

#[test]
fn migration_000004_gives_existing_accounts_sip_credentials() {
    let path = std::env::temp_dir().join(format!("siprov-migration-{}.db", uuid::Uuid::new_v4().simple()));
    let mut c = SqliteConnection::establish(&path.to_string_lossy()).unwrap();
    c.run_next_migration(super::SQLITE_MIGRATIONS).unwrap();
    c.run_next_migration(super::SQLITE_MIGRATIONS).unwrap();
    c.batch_execute(SEED).unwrap();
    c.run_pending_migrations(super::SQLITE_MIGRATIONS).unwrap();
    check(diesel::sql_query(QUERY).load(&mut c).unwrap());
    drop(c);
    let _ = std::fs::remove_file(&path);

    if let Some(url) = std::env::var("SIPROV_TEST_DATABASE_URL").ok().filter(|u| !u.is_empty()) {
        let name = format!("siprov_migration_{}", uuid::Uuid::new_v4().simple());
        let mut admin = PgConnection::establish(&url).unwrap();
        diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut admin).unwrap();
        let base = url.rsplit_once('/').map_or(url.as_str(), |(b, _)| b);
        let mut c = PgConnection::establish(&format!("{base}/{name}")).unwrap();
        c.run_next_migration(super::POSTGRES_MIGRATIONS).unwrap();
        c.run_next_migration(super::POSTGRES_MIGRATIONS).unwrap();
        c.batch_execute(SEED).unwrap();
        c.run_pending_migrations(super::POSTGRES_MIGRATIONS).unwrap();
        check(diesel::sql_query(QUERY).load(&mut c).unwrap());
        drop(c);
        diesel::sql_query(format!("DROP DATABASE {name} WITH (FORCE)")).execute(&mut admin).unwrap();
    }
}
