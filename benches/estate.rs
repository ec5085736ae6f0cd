//! Loads a multi-tenant estate for the load benchmark: at `--devices 1000000`, 1,000 SPs,
//! 10,000 Orgs, 100,000 Users, 1,000,000 devices (with lines and owners) and 1,000,000
//! accounts (with owners), on SQLite or PostgreSQL, with a progress bar per table.
//!
//!   cargo run --release --example estate -- --url sqlite:///tmp/estate.db --devices 1000000 --env /tmp/estate.env
//!   cargo run --release --example estate -- --url postgres://postgres@127.0.0.1:5432/bench --devices 10000
//!
//! The database is migrated first and must hold no estate yet. Every login's password is
//! `--password`; the ids the benchmark addresses (the big SP, Org and User, a device, deep
//! page cursors) go to `--env` as shell variables.

#[path = "support/estate.rs"]
mod estate;

use std::io::Write;
use std::time::Instant;

use clap::Parser;
use diesel::Connection;
use siprov::db::{Backend, DbConn, connect_and_migrate};

#[derive(Parser)]
struct Args {
    /// sqlite://PATH or postgres://…
    #[arg(long)]
    url: String,
    /// Devices (and accounts); SPs, Orgs and Users in proportion (1 SP per 1,000 devices).
    #[arg(long, default_value_t = 10_000)]
    devices: usize,
    /// The password of every login of the estate.
    #[arg(long, default_value = "bench-password-1")]
    password: String,
    /// Where to write the ids, as `NAME=value` lines.
    #[arg(long)]
    env: Option<std::path::PathBuf>,
    /// Load into the schema as it is, migrated by the server binary under test (`siprov
    /// migrate`), instead of migrating it to this build's schema first.
    #[arg(long)]
    no_migrate: bool,
}

fn main() -> Result<(), String> {
    let args = Args::parse();
    let backend = Backend::from_url(&args.url)?;
    if !args.no_migrate {
        drop(connect_and_migrate(&backend)?);
    }
    // A plain connection: the loader runs its own transactions.
    let mut conn = match &backend {
        Backend::Sqlite(path) => diesel::SqliteConnection::establish(path).map(DbConn::Sqlite),
        Backend::Postgres(url) => diesel::PgConnection::establish(url).map(DbConn::Postgresql),
    }
    .map_err(|e| e.to_string())?;
    if let DbConn::Sqlite(_) = conn {
        // A page cache that holds the indexes being written (SQLite's default is 2 MB).
        use diesel::connection::SimpleConnection;
        conn.batch_execute("PRAGMA cache_size = -262144; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL")
            .map_err(|e| e.to_string())?;
    }
    let hash = siprov::auth::password::hash(&args.password).map_err(|e| format!("{e:?}"))?;
    let size = estate::Size::scaled(args.devices);
    let start = Instant::now();
    let e = estate::build(&mut conn, size, &hash, true);
    eprintln!(
        "{}: {} nodes, {} accounts, {} devices in {:.1}s",
        backend.name(),
        e.nodes,
        e.accounts,
        e.devices,
        start.elapsed().as_secs_f64()
    );
    let vars = format!(
        "BIG_SP={}\nBIG_ORG={}\nBIG_USER={}\nDEVICE={}\nSP_MIDDLE={}\nORG_MIDDLE={}\nUSER_MIDDLE={}\n\
         SP_LOGIN=sp0\nORG_LOGIN=org0_0\nUSER_LOGIN=user0_0_0\n",
        e.big_sp, e.big_org, e.big_user, e.device, e.sp_middle, e.org_middle, e.user_middle
    );
    match args.env {
        Some(path) => std::fs::File::create(&path)
            .and_then(|mut f| f.write_all(vars.as_bytes()))
            .map_err(|err| format!("{}: {err}", path.display()))?,
        None => print!("{vars}"),
    }
    Ok(())
}
