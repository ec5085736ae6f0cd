//! D4 at scale: how long "is there any node with modify below this SP/Org?" takes with
//! 100,000 nodes under one service provider, against the same question on a 10-node tree.
//! Reported as a ratio measured in one run (1.0 = size does not matter), never asserted.
//!
//! `cargo bench --bench d4_query` (SQLite temp file); with `SIPROV_BENCH_DATABASE_URL`
//! pointing at a PostgreSQL database that may be written, on PostgreSQL.

#[path = "support/tree.rs"]
mod tree;

use std::time::{Duration, Instant};

use siprov::db::{Backend, DbConn, connect_and_migrate, repo};

const ROUNDS: u32 = 2_000;

fn time(conn: &mut DbConn, node: &siprov::domain::NodeRef) -> Duration {
    for _ in 0..50 {
        let _ = repo::nodes::modify_below(conn, node);
    }
    let start = Instant::now();
    for _ in 0..ROUNDS {
        std::hint::black_box(repo::nodes::modify_below(conn, node).expect("query"));
    }
    start.elapsed() / ROUNDS
}

fn main() {
    let (backend, path) = match std::env::var("SIPROV_BENCH_DATABASE_URL") {
        Ok(url) => (Backend::from_url(&url).expect("url"), None),
        Err(_) => {
            let p = std::env::temp_dir().join(format!("siprov-bench-{}.db", uuid::Uuid::new_v4().simple()));
            (Backend::Sqlite(p.to_string_lossy().into_owned()), Some(p))
        }
    };
    let pool = connect_and_migrate(&backend).expect("database");
    let mut conn = pool.get().expect("connection");
    let small = tree::build(&mut conn, 3, 2);
    let big = tree::build(&mut conn, 400, 249);
    // Another tenant of 20,000 modify nodes: realistic statistics for the planner.
    tree::build_at(&mut conn, 100, 199, "modify");
    let find = |conn: &mut DbConn, id| repo::nodes::find_ref(conn, id).expect("query").expect("node");
    println!("backend: {}; big tree: {} nodes under one SP; {ROUNDS} rounds each", backend.name(), big.nodes);
    for (label, small_id, big_id) in [("SP", small.sp, big.sp), ("Org", small.first_org, big.first_org)] {
        let (s, b) = (find(&mut conn, small_id), find(&mut conn, big_id));
        let (ts, tb) = (time(&mut conn, &s), time(&mut conn, &b));
        println!(
            "modify_below({label}), none below: small {:>7.1} us  big {:>7.1} us  ratio big/small {:.2}",
            ts.as_secs_f64() * 1e6,
            tb.as_secs_f64() * 1e6,
            tb.as_secs_f64() / ts.as_secs_f64()
        );
    }
    tree::set_level(&mut conn, big.last_user, "modify");
    let b = find(&mut conn, big.sp);
    println!("modify_below(SP), one modify user at the far end: {:>7.1} us", time(&mut conn, &b).as_secs_f64() * 1e6);
    drop(conn);
    drop(pool);
    if let Some(p) = path {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", p.display()));
        }
    }
}
