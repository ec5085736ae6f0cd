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

const SEED: &str = "
INSERT INTO nodes (id, kind, name, parent_id, sp_id, org_id, device_provisioning, created_at, updated_at)
VALUES ('sp1', 'service_provider', 'SP', NULL, 'sp1', NULL, 'none', 't', 't'),
       ('org1', 'organization', 'Org', 'sp1', 'sp1', 'org1', 'none', 't', 't'),
       ('u1', 'user', 'U', 'org1', 'sp1', 'org1', 'none', 't', 't');
INSERT INTO accounts (id, user_id, number, created_at, updated_at)
VALUES ('a1', 'u1', '+4930555100', 't', 't'), ('a2', 'u1', '12345678', 't', 't'),
       ('a3', 'u1', '+12345678', 't', 't');
";

fn check(rows: Vec<Row>) {
    assert_eq!(rows.len(), 3);
    let by = |n: &str| rows.iter().find(|r| r.number == n).unwrap();
    assert_eq!(by("+4930555100").sip_username, "4930555100");
    assert_eq!(by("12345678").sip_username, "12345678");
    assert_eq!(by("+12345678").sip_username, "12345678-a3");
    assert!(rows.iter().all(|r| r.sp_id == "sp1" && r.sip_password.len() >= 32));
    assert_ne!(rows[0].sip_password, rows[1].sip_password);
}

const QUERY: &str = "SELECT number, sp_id, sip_username, sip_password FROM accounts ORDER BY id";

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
