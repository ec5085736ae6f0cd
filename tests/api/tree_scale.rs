//! D4's fact ("is there any node with modify below this SP/Org?") and "is X below C" must
//! not scan the tree. With 100,000 nodes under one service provider, the query plan must
//! use the `(sp_id|org_id, device_provisioning)` indexes; the answer must be right both ways.

#[path = "../../benches/support/tree.rs"]
mod tree;

use diesel::{QueryableByName, RunQueryDsl, sql_query, sql_types::Text};
use siprov::db::{DbConn, connect_and_migrate, repo};
use siprov::domain::NodeRef;

use crate::helpers::TestDb;

struct PlanLine {
    line: String,
}

/// The plan of the statement `repo::nodes::modify_below` sends, one text line per step.
fn plan(conn: &mut DbConn, column: &str, id: &str) -> String {
    let probe = format!(
        "SELECT EXISTS (SELECT 1 FROM nodes WHERE {column} = '{id}' AND device_provisioning = 'modify' AND id <> '{id}')"
    );
    let lines: Vec<PlanLine> = match conn {
        DbConn::Sqlite(_) => sql_query(format!("EXPLAIN QUERY PLAN {probe}"))
            .load::<SqlitePlan>(conn)
            .map(|v| v.into_iter().map(|p| PlanLine { line: p.detail }).collect()),
        DbConn::Postgresql(_) => sql_query(format!("EXPLAIN {probe}"))
            .load::<PgPlan>(conn)
            .map(|v| v.into_iter().map(|p| PlanLine { line: p.query_plan }).collect()),
    }
    .expect("explain");
    lines.into_iter().map(|l| l.line).collect::<Vec<_>>().join("\n")
}

#[derive(QueryableByName)]
struct SqlitePlan {
    #[diesel(sql_type = Text)]
    detail: String,
}

#[derive(QueryableByName)]
struct PgPlan {
    #[diesel(sql_type = Text, column_name = "QUERY PLAN")]
    query_plan: String,
}

fn node(conn: &mut DbConn, id: uuid::Uuid) -> NodeRef {
    repo::nodes::find_raw(conn, id).expect("query").expect("node")
}

#[actix_web::test]
async fn with_100000_nodes_under_one_sp_the_d4_question_is_answered_from_an_index() {
    let (_db, backend) = TestDb::create();
    let pool = connect_and_migrate(&backend).expect("db");
    let mut conn = pool.get().expect("conn");
    let t = tree::build(&mut conn, 400, 249);
    assert_eq!(t.nodes, 100_001);

    let sp_plan = plan(&mut conn, "sp_id", &t.sp.to_string());
    let org_plan = plan(&mut conn, "org_id", &t.first_org.to_string());
    for (name, p) in [("sp", &sp_plan), ("org", &org_plan)] {
        assert!(p.contains("nodes_sp_level") || p.contains("nodes_org_level"), "{name}: no index in plan:\n{p}");
        assert!(
            !p.contains("SCAN nodes\n") && !p.ends_with("SCAN nodes") && !p.contains("Seq Scan"),
            "{name}: scans:\n{p}"
        );
    }

    let sp = node(&mut conn, t.sp);
    let org = node(&mut conn, t.first_org);
    assert!(!repo::nodes::modify_below(&mut conn, &sp).unwrap());
    tree::set_level(&mut conn, t.last_user, "modify");
    assert!(repo::nodes::modify_below(&mut conn, &sp).unwrap());
    assert!(!repo::nodes::modify_below(&mut conn, &org).unwrap(), "the modify user is in another org");
    let last = node(&mut conn, t.last_user);
    assert!(last.is_strictly_below(&sp) && !last.is_strictly_below(&org));
    eprintln!("D4 plan ({}):\n{sp_plan}\n{org_plan}", backend.name());
}
