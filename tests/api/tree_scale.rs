//! D4's fact ("is there any node with modify below this SP/Org?") and "is X below C" must
//! not scan the tree. With 100,000 nodes under one service provider, the query plan must
//! use the partial indexes of modify nodes (PostgreSQL: the prepared statement's generic
//! plan too); the answer must be right both ways.

#[path = "../../benches/support/tree.rs"]
mod tree;

use diesel::{QueryableByName, RunQueryDsl, sql_query, sql_types::Text};
use siprov::db::{DbConn, connect_and_migrate, repo};
use siprov::domain::NodeRef;

use crate::helpers::TestDb;

struct PlanLine {
    line: String,
}

/// The plan of the statement `repo::nodes::modify_below` sends for `node`, taken from the
/// query builder itself (`repo::nodes::modify_below_sql`), one text line per step. On
/// PostgreSQL it is the generic plan of the prepared statement, which is what a pooled
/// connection runs after a few executions: the id is a parameter, not a literal.
fn plan(conn: &mut DbConn, node: &NodeRef) -> String {
    let sql = repo::nodes::modify_below_sql(node).expect("an SP or Org asks D4");
    let id = node.id.to_string();
    let lines: Vec<PlanLine> = match conn {
        DbConn::Sqlite(_) => {
            // The binds of the statement are the node id, twice.
            assert_eq!(sql.sqlite.matches('?').count(), 2, "{}", sql.sqlite);
            sql_query(format!("EXPLAIN QUERY PLAN {}", sql.sqlite))
                .bind::<Text, _>(&id)
                .bind::<Text, _>(&id)
                .load::<SqlitePlan>(conn)
                .map(|v| v.into_iter().map(|p| PlanLine { line: p.detail }).collect())
        }
        DbConn::Postgresql(_) => {
            use diesel::connection::SimpleConnection;
            assert!(sql.postgres.contains("$2") && !sql.postgres.contains("$3"), "{}", sql.postgres);
            conn.batch_execute(&format!("SET plan_cache_mode = force_generic_plan; PREPARE d4 AS {}", sql.postgres))
                .expect("prepare");
            let plan = sql_query(format!("EXPLAIN EXECUTE d4('{id}', '{id}')"))
                .load::<PgPlan>(conn)
                .map(|v| v.into_iter().map(|p| PlanLine { line: p.query_plan }).collect());
            conn.batch_execute("DEALLOCATE d4; RESET plan_cache_mode").expect("reset");
            plan
        }
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
    repo::nodes::find_ref(conn, id).expect("query").expect("node")
}

#[actix_web::test]
async fn with_100000_nodes_under_one_sp_the_d4_question_is_answered_from_an_index() {
    let (_db, backend) = TestDb::create();
    let pool = connect_and_migrate(&backend).expect("db");
    let mut conn = pool.get().expect("conn");
    let t = tree::build(&mut conn, 400, 249);
    assert_eq!(t.nodes, 100_001);
    // Another tenant with 20,000 modify nodes, so the partial indexes are not empty and the
    // planner has to pick the right one.
    tree::build_at(&mut conn, 100, 199, "modify");

    let sp = node(&mut conn, t.sp);
    let org = node(&mut conn, t.first_org);
    let sp_plan = plan(&mut conn, &sp);
    let org_plan = plan(&mut conn, &org);
    for (name, p) in [("sp", &sp_plan), ("org", &org_plan)] {
        // SQLite: `SEARCH nodes USING INDEX nodes_sp_… (sp_id=? …)`; PostgreSQL (generic
        // plan): `Index Scan using nodes_sp_modify … Index Cond: (sp_id = $1)`.
        let column = if name == "sp" { "sp_id" } else { "org_id" };
        let searched =
            p.contains(&format!("USING INDEX nodes_{name}_")) || p.contains(&format!("Index Cond: ({column} = $1)"));
        assert!(searched, "{name}: the plan does not look {column} up in an index:\n{p}");
        assert!(
            !p.contains("SCAN nodes\n") && !p.ends_with("SCAN nodes") && !p.contains("Seq Scan"),
            "{name}: scans:\n{p}"
        );
    }

    assert!(!repo::nodes::modify_below(&mut conn, &sp).unwrap());
    tree::set_level(&mut conn, t.last_user, "modify");
    assert!(repo::nodes::modify_below(&mut conn, &sp).unwrap());
    assert!(!repo::nodes::modify_below(&mut conn, &org).unwrap(), "the modify user is in another org");
    let last = node(&mut conn, t.last_user);
    assert!(last.is_strictly_below(&sp) && !last.is_strictly_below(&org));
    eprintln!("D4 plan ({}):\n{sp_plan}\n{org_plan}", backend.name());
}
