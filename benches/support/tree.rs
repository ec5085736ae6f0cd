//! Builds a large tenant tree with plain SQL (hundreds of rows per statement), for the
//! D4 scale test and benchmark. Shared by `tests/api/tree_scale.rs` and `benches/d4_query.rs`.

use diesel::connection::SimpleConnection;
use siprov::db::DbConn;
use uuid::Uuid;

/// The ids a built tree is addressed by.
pub struct BigTree {
    pub sp: Uuid,
    pub first_org: Uuid,
    pub last_user: Uuid,
    pub nodes: usize,
}

/// One SP with `orgs` organizations of `users_per_org` users each, every level `view`.
pub fn build(conn: &mut DbConn, orgs: usize, users_per_org: usize) -> BigTree {
    build_at(conn, orgs, users_per_org, "view")
}

/// The same with every node at `level` (another tenant full of `modify` nodes makes the
/// planner's statistics realistic).
pub fn build_at(conn: &mut DbConn, orgs: usize, users_per_org: usize, level: &str) -> BigTree {
    let ts = "2026-01-01T00:00:00.000000Z";
    let sp = Uuid::now_v7();
    let mut sql = format!(
        "INSERT INTO nodes (id, kind, name, parent_id, sp_id, org_id, device_provisioning, created_at, updated_at) \
         VALUES ('{sp}', 'service_provider', 'big', NULL, '{sp}', NULL, '{level}', '{ts}', '{ts}');"
    );
    conn.batch_execute(&sql).expect("insert sp");
    let mut first_org = None;
    let mut last_user = sp;
    let mut rows = Vec::with_capacity(1000);
    let mut flush = |rows: &mut Vec<String>, conn: &mut DbConn| {
        if rows.is_empty() {
            return;
        }
        sql = format!(
            "INSERT INTO nodes (id, kind, name, parent_id, sp_id, org_id, device_provisioning, created_at, updated_at) VALUES {};",
            rows.join(",")
        );
        conn.batch_execute(&sql).expect("insert nodes");
        rows.clear();
    };
    for _ in 0..orgs {
        let org = Uuid::now_v7();
        first_org.get_or_insert(org);
        rows.push(format!("('{org}','organization','o','{sp}','{sp}','{org}','{level}','{ts}','{ts}')"));
        for _ in 0..users_per_org {
            let user = Uuid::now_v7();
            last_user = user;
            rows.push(format!("('{user}','user','u','{org}','{sp}','{org}','{level}','{ts}','{ts}')"));
            if rows.len() >= 500 {
                flush(&mut rows, conn);
            }
        }
    }
    flush(&mut rows, conn);
    if matches!(conn, DbConn::Postgresql(_)) {
        conn.batch_execute("ANALYZE nodes").expect("analyze");
    } else {
        conn.batch_execute("ANALYZE").expect("analyze");
    }
    BigTree { sp, first_org: first_org.unwrap_or(sp), last_user, nodes: 1 + orgs * (1 + users_per_org) }
}

/// Sets one node's level directly.
pub fn set_level(conn: &mut DbConn, id: Uuid, level: &str) {
    conn.batch_execute(&format!("UPDATE nodes SET device_provisioning = '{level}' WHERE id = '{id}'"))
        .expect("update level");
}
