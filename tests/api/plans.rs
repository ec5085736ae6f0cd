//! Flat at any size: every list query the code runs reads one index range in id order and
//! stops after `limit + 1` rows, whatever the size of the tenant and of its neighbours.
//!
//! A multi-tenant estate (50,000 devices over 100 service providers, one of them ten times
//! the others) is loaded, and each list is explained as the repository builds it, with the
//! same builder and binds (`repo::*::explain_*`): on SQLite, `EXPLAIN QUERY PLAN` must
//! search the listed table through an index and never sort (`USE TEMP B-TREE FOR ORDER
//! BY`); on PostgreSQL, `EXPLAIN (ANALYZE, FORMAT JSON)` runs the query and must show no
//! Sort node and at most `limit + 1` rows read from the listed table.

#[path = "../../benches/support/estate.rs"]
mod estate;

use serde_json::Value;
use siprov::db::repo::devices::{Filters, ListScope};
use siprov::db::repo::members::ListRef;
use siprov::db::repo::{self, Plan};
use siprov::db::{DbConn, connect_and_migrate};
use siprov::domain::{AccountId, DeviceId, LoginId, NodeKind};

use crate::helpers::TestDb;

const LIMIT: i64 = 50;

/// How much of the listed table a plan may read.
#[derive(Clone, Copy, Debug)]
enum Bound {
    /// A page: at most `limit + 1` rows.
    Page,
    /// A filter on one User's devices, a login's whole memberships (GET /v1/me, not paged)
    /// or the list of every SP: it reads that range (a few rows, whatever the size of the
    /// tenants) and PostgreSQL may sort what it read.
    Sifted(u64),
}

/// Every node of a PostgreSQL JSON plan, depth first.
fn pg_nodes(plan: &Value, out: &mut Vec<Value>) {
    out.push(plan.clone());
    if let Some(children) = plan.get("Plans").and_then(Value::as_array) {
        for child in children {
            pg_nodes(child, out);
        }
    }
}

fn num(node: &Value, key: &str) -> u64 {
    node.get(key).and_then(Value::as_f64).unwrap_or(0.0) as u64
}

/// Checks one plan: `table` read through an index whose range is bounded by `key` (or one
/// of `a|b`: the planner picks the narrower), no sort,
/// and on PostgreSQL no more rows read than `bound`. A failure shows the SQL and the plan.
fn check(conn: &DbConn, name: &str, table: &str, key: &str, bound: Bound, plan: &Plan) {
    let show = || format!("{name}: {}\n{}", plan.sql, plan.text);
    match conn {
        DbConn::Sqlite(_) => {
            assert!(!plan.text.contains("USE TEMP B-TREE") || matches!(bound, Bound::Sifted(_)), "sorts:\n{}", show());
            let scans: Vec<&str> = plan
                .text
                .lines()
                .filter(|l| l.starts_with(&format!("SEARCH {table} ")) || l.starts_with(&format!("SCAN {table}")))
                .collect();
            assert!(!scans.is_empty(), "{table} not read:\n{}", show());
            assert!(
                scans.iter().all(|l| l.starts_with("SEARCH") && key.split('|').any(|k| l.contains(&format!("({k}=")))),
                "{table} not searched through an index on {key}:\n{}",
                show()
            );
        }
        DbConn::Postgresql(_) => {
            let json: Value = serde_json::from_str(&plan.text).unwrap();
            let mut nodes = Vec::new();
            pg_nodes(&json[0]["Plan"], &mut nodes);
            for n in &nodes {
                let kind = n["Node Type"].as_str().unwrap_or_default();
                assert!(!kind.contains("Sort") || matches!(bound, Bound::Sifted(_)), "sorts:\n{}", show());
            }
            let reads: Vec<&Value> = nodes.iter().filter(|n| n["Relation Name"].as_str() == Some(table)).collect();
            assert!(!reads.is_empty(), "{table} not read:\n{}", show());
            let max = match bound {
                Bound::Page => LIMIT as u64 + 1,
                Bound::Sifted(n) => n,
            };
            for n in reads {
                let kind = n["Node Type"].as_str().unwrap_or_default();
                let bitmap = kind == "Bitmap Heap Scan" && matches!(bound, Bound::Sifted(_));
                assert!(
                    kind == "Index Scan" || kind == "Index Only Scan" || bitmap,
                    "{table} read by {kind}:\n{}",
                    show()
                );
                let cond = n["Index Cond"].as_str().or(n["Recheck Cond"].as_str()).unwrap_or_default();
                let leads = |k: &str| {
                    [format!("(({k} >="), format!("(({k} ="), format!("({k} =")].iter().any(|p| cond.starts_with(p))
                };
                assert!(key.split('|').any(leads), "{table} not read by a range of {key}:\n{}", show());
                let read = (num(n, "Actual Rows") + num(n, "Rows Removed by Filter")) * num(n, "Actual Loops").max(1);
                assert!(read <= max, "{table}: {read} rows read, more than {max}:\n{}", show());
            }
        }
    }
}

#[actix_web::test]
async fn every_list_reads_one_index_range_and_stops_after_limit_plus_one_rows() {
    let (_db, backend) = TestDb::create();
    let pool = connect_and_migrate(&backend).expect("db");
    let mut conn = pool.get().expect("conn");
    // Devices spread evenly over the Users: with one User holding a large share of an SP's
    // devices, the SP's and Org's lists filtered by that assignee are read by walking the
    // primary key (about 30 rows read per row listed), which this test would refuse.
    let size = estate::Size {
        sps: 100,
        orgs_per_sp: 5,
        users_per_org: 10,
        devices: 50_000,
        accounts_per_user: 2,
        big_user_holds_half: false,
    };
    let e = estate::build(&mut conn, size, "not-a-hash", false);
    let conn: &mut DbConn = &mut conn;

    let mut cases: Vec<(String, &str, String, Bound, Plan)> = Vec::new();
    let user_view = 5_000; // more than the big User's devices, far fewer than the tenant's
    let device_lists = [
        ("SP", ListScope::ServiceProvider(e.big_sp), "sp_id", Some(e.sp_middle)),
        ("Org", ListScope::Organization(e.big_org), "org_id", Some(e.org_middle)),
        ("User", ListScope::UserOwn(e.big_user), "user_id", Some(e.user_middle)),
        ("User context", ListScope::Context(e.big_user), "context_id", Some(e.user_middle)),
    ];
    for (name, scope, key, middle) in device_lists {
        for (page, after) in [("first", None), ("deep", middle)] {
            let plan = repo::devices::explain_list(conn, scope, &Filters::default(), after, LIMIT).unwrap();
            cases.push((format!("devices of the {name}, {page} page"), "devices", key.to_owned(), Bound::Page, plan));
        }
        let filters = [
            ("vendor", Filters { vendor: Some("Polycom".into()), ..Filters::default() }),
            ("model", Filters { model: Some("T54W".into()), ..Filters::default() }),
            ("assigned_to", Filters { assigned_to: Some(e.big_user), ..Filters::default() }),
            ("mac_address", Filters { mac_address: Some("0a0000000010".into()), ..Filters::default() }),
        ];
        for (filter, f) in filters {
            // Filters sift a User's own devices (few, bounded by the User); on an SP's or an
            // Org's they are ranges of their own indexes.
            let bound = match (scope, filter) {
                (ListScope::UserOwn(_) | ListScope::Context(_), "vendor" | "model" | "assigned_to") => {
                    Bound::Sifted(user_view)
                }
                _ => Bound::Page,
            };
            // An assignee's devices are that assignee's range; a MAC is one row of its index.
            let key = match filter {
                "assigned_to" => format!("assigned_to_id|{key}"),
                "mac_address" => "mac_address".to_owned(),
                _ => key.to_owned(),
            };
            let plan = repo::devices::explain_list(conn, scope, &f, None, LIMIT).unwrap();
            cases.push((format!("devices of the {name} by {filter}"), "devices", key, bound, plan));
        }
    }
    // Every SP (a system admin's list): as many rows as there are SPs, which PostgreSQL
    // may read and sort while they are few.
    let sps = size.sps as u64;
    for (name, kind, parent, key, bound) in [
        ("service providers", NodeKind::ServiceProvider, None, "kind", Bound::Sifted(sps)),
        ("organizations of the SP", NodeKind::Organization, Some(e.big_sp), "parent_id", Bound::Page),
        ("users of the Org", NodeKind::User, Some(e.big_org), "parent_id", Bound::Page),
    ] {
        let plan = repo::nodes::explain_list(conn, kind, parent, None, LIMIT).unwrap();
        cases.push((name.to_owned(), "nodes", key.to_owned(), bound, plan));
    }
    let plan = repo::accounts::explain_list_for_user(conn, e.big_user, None, LIMIT).unwrap();
    cases.push(("accounts of the User".into(), "accounts", "user_id".into(), Bound::Page, plan));
    for (name, list, table, key) in [
        ("account owners", ListRef::AccountOwners(AccountId(e.account)), "account_members", "account_id"),
        (
            "account administrators",
            ListRef::AccountAdministrators(AccountId(e.account)),
            "account_members",
            "account_id",
        ),
        ("device owners", ListRef::DeviceOwners(DeviceId(e.device)), "device_owners", "device_id"),
    ] {
        let plan = repo::members::explain_page(conn, list, None, LIMIT).unwrap();
        cases.push((name.to_owned(), table, key.to_owned(), Bound::Page, plan));
    }
    let login = LoginId(e.big_user_login);
    // GET /v1/me reads both lists in one statement: each of its two ranges is checked.
    let plan = repo::members::explain_of_login(conn, login).unwrap();
    cases.push((
        "the User's accounts (GET /v1/me)".into(),
        "account_members",
        "login_id".into(),
        Bound::Sifted(user_view),
        plan.clone(),
    ));
    cases.push((
        "the User's devices (GET /v1/me)".into(),
        "device_owners",
        "login_id".into(),
        Bound::Sifted(user_view),
        plan,
    ));

    for (name, table, key, bound, plan) in &cases {
        check(conn, name, table, key, *bound, plan);
    }
    eprintln!("{} list queries explained on {} ({} devices)", cases.len(), backend.name(), e.devices);
}
