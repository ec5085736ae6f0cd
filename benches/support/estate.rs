//! A multi-tenant estate loaded with plain multi-row INSERTs (the same SQL on both
//! backends), for the plan tests (`tests/api/plans.rs`) and the load benchmark
//! (`benches/estate.rs`). Service providers, Orgs and Users, each with its login; devices
//! in every kind of context, some assigned, with lines and owners; accounts with their
//! owners. Service provider 0 is the big tenant: a tenth of all devices, half of those in
//! its Org 0, so it grows with the estate while its neighbours grow in number.

#![allow(dead_code, reason = "the plan tests and the loader each use a different part")]

use std::time::Instant;

use diesel::connection::SimpleConnection;
use siprov::db::DbConn;
use uuid::Uuid;

/// How big an estate is.
#[derive(Clone, Copy, Debug)]
pub struct Size {
    pub sps: usize,
    pub orgs_per_sp: usize,
    pub users_per_org: usize,
    pub devices: usize,
    pub accounts_per_user: usize,
    /// User 0 of Org 0 (the "big User") holds half of that Org's devices, so that its pages
    /// are pages of 50 at 10k devices too (every other User has about 40 there).
    pub big_user_holds_half: bool,
}

impl Size {
    /// 1,000 SPs, 10,000 Orgs, 100,000 Users and 1,000,000 devices and accounts at
    /// `devices = 1_000_000`; the same proportions at any other count.
    pub fn scaled(devices: usize) -> Size {
        Size {
            sps: (devices / 1000).max(2),
            orgs_per_sp: 10,
            users_per_org: 10,
            devices,
            accounts_per_user: 10,
            big_user_holds_half: true,
        }
    }
}

/// The ids a benchmark or a test addresses the estate by. Usernames are `sp{i}`, `org{i}_{j}`
/// and `user{i}_{j}_{k}`; every login's password is the one given to [`build`].
#[derive(Clone, Debug, Default)]
pub struct Estate {
    pub big_sp: Uuid,
    pub big_org: Uuid,
    /// A User of the big Org with devices in its context and assigned to it.
    pub big_user: Uuid,
    pub big_user_login: Uuid,
    /// One of the big User's accounts, and a device with lines and owners.
    pub account: Uuid,
    pub device: Uuid,
    /// Ids half-way through the big SP's, the big Org's and the big User's device lists
    /// (cursors of deep pages).
    pub sp_middle: Uuid,
    pub org_middle: Uuid,
    pub user_middle: Uuid,
    pub devices: usize,
    pub nodes: usize,
    pub accounts: usize,
}

const TS: &str = "2026-01-01T00:00:00.000000Z";
const BATCH: usize = 1000;

/// Rows of one table, flushed as one INSERT of up to [`BATCH`] rows.
struct Rows<'a> {
    head: &'static str,
    rows: Vec<String>,
    conn: &'a mut DbConn,
}

impl Rows<'_> {
    fn push(&mut self, row: String) {
        self.rows.push(row);
        if self.rows.len() >= BATCH {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if !self.rows.is_empty() {
            let sql = format!("INSERT INTO {} VALUES {};", self.head, self.rows.join(","));
            self.conn.batch_execute(&sql).expect("insert");
            self.rows.clear();
        }
    }
}

fn rows<'a>(conn: &'a mut DbConn, head: &'static str) -> Rows<'a> {
    Rows { head, rows: Vec::with_capacity(BATCH), conn }
}

/// A progress bar on stderr, redrawn at most every 100 ms.
pub struct Progress {
    what: &'static str,
    total: usize,
    done: usize,
    start: Instant,
    last: Instant,
    shown: bool,
}

impl Progress {
    pub fn new(what: &'static str, total: usize, shown: bool) -> Progress {
        let now = Instant::now();
        Progress { what, total, done: 0, start: now, last: now, shown }
    }

    pub fn add(&mut self, n: usize) {
        self.done += n;
        if self.shown && (self.last.elapsed().as_millis() >= 100 || self.done >= self.total) {
            self.last = Instant::now();
            let frac = self.done as f64 / self.total.max(1) as f64;
            let bar = "#".repeat((frac * 40.0) as usize);
            let secs = self.start.elapsed().as_secs_f64();
            eprint!(
                "\r{:<16} [{bar:<40}] {:>9}/{:<9} {:>5.1}s {:>8.0} rows/s",
                self.what,
                self.done,
                self.total,
                secs,
                self.done as f64 / secs.max(0.001)
            );
            if self.done >= self.total {
                eprintln!();
            }
        }
    }
}

fn mac(i: usize) -> String {
    format!("0a{:010x}", i)
}

fn vendor(i: usize) -> (&'static str, &'static str) {
    match i % 3 {
        0 => ("Yealink", "T54W"),
        1 => ("Polycom", "VVX 450"),
        _ => ("Grandstream", "GRP2615"),
    }
}

/// Loads an estate of `size` into a migrated, empty database; every login's password hash
/// is `password_hash`. With `progress`, a bar per table on stderr.
pub fn build(conn: &mut DbConn, size: Size, password_hash: &str, progress: bool) -> Estate {
    // A schema before migration 000003 (the benchmark's "before" run) has no sp_id, org_id
    // and user_id on devices: the same estate without them.
    let flat = conn.batch_execute("SELECT sp_id FROM devices WHERE 1 = 0").is_ok();
    let sip = conn.batch_execute("SELECT sip_username FROM accounts WHERE 1 = 0").is_ok();
    let (sps, orgs_per_sp, users_per_org) = (size.sps, size.orgs_per_sp, size.users_per_org);
    let users_per_sp = orgs_per_sp * users_per_org;
    let n_nodes = sps * (1 + orgs_per_sp * (1 + users_per_org));
    let mut e = Estate::default();

    // The tree: ids in creation order, so each list's id order is the load order.
    let sp_ids: Vec<Uuid> = (0..sps).map(|_| Uuid::now_v7()).collect();
    let org_ids: Vec<Uuid> = (0..sps * orgs_per_sp).map(|_| Uuid::now_v7()).collect();
    let user_ids: Vec<Uuid> = (0..sps * users_per_sp).map(|_| Uuid::now_v7()).collect();
    let user_logins: Vec<Uuid> = (0..user_ids.len()).map(|_| Uuid::now_v7()).collect();
    conn.batch_execute("BEGIN").expect("begin");
    let mut bar = Progress::new("nodes+logins", n_nodes, progress);
    {
        let mut nodes =
            rows(conn, "nodes (id, kind, name, parent_id, sp_id, org_id, device_provisioning, created_at, updated_at)");
        for (i, sp) in sp_ids.iter().enumerate() {
            nodes.push(format!("('{sp}','service_provider','SP {i}',NULL,'{sp}',NULL,'modify','{TS}','{TS}')"));
            for j in 0..orgs_per_sp {
                let org = org_ids[i * orgs_per_sp + j];
                nodes.push(format!(
                    "('{org}','organization','Org {i}.{j}','{sp}','{sp}','{org}','modify','{TS}','{TS}')"
                ));
                for k in 0..users_per_org {
                    let user = user_ids[i * users_per_sp + j * users_per_org + k];
                    nodes.push(format!(
                        "('{user}','user','User {i}.{j}.{k}','{org}','{sp}','{org}','modify','{TS}','{TS}')"
                    ));
                }
                bar.add(1 + users_per_org);
            }
            bar.add(1);
        }
        nodes.flush();
    }
    {
        let mut logins = rows(conn, "logins (id, username, password_hash, node_id, created_at)");
        for (i, sp) in sp_ids.iter().enumerate() {
            logins.push(format!("('{}','sp{i}','{password_hash}','{sp}','{TS}')", Uuid::now_v7()));
            for j in 0..orgs_per_sp {
                let org = org_ids[i * orgs_per_sp + j];
                logins.push(format!("('{}','org{i}_{j}','{password_hash}','{org}','{TS}')", Uuid::now_v7()));
                for k in 0..users_per_org {
                    let u = i * users_per_sp + j * users_per_org + k;
                    logins.push(format!(
                        "('{}','user{i}_{j}_{k}','{password_hash}','{}','{TS}')",
                        user_logins[u], user_ids[u]
                    ));
                }
            }
        }
        logins.flush();
    }
    conn.batch_execute("COMMIT").expect("commit");

    // Accounts of every User, each with its User's login as owner (A4).
    let n_accounts = user_ids.len() * size.accounts_per_user;
    let account_ids: Vec<Uuid> = (0..n_accounts).map(|_| Uuid::now_v7()).collect();
    let mut bar = Progress::new("accounts", n_accounts, progress);
    for chunk in (0..n_accounts).collect::<Vec<_>>().chunks(50_000) {
        conn.batch_execute("BEGIN").expect("begin");
        {
            let mut accounts = rows(
                conn,
                if sip {
                    "accounts (id, user_id, number, display_name, location, vm_enabled, vm_pin_hash, vm_email, vm_attach_audio, created_at, updated_at, sp_id, sip_username, sip_password)"
                } else {
                    "accounts (id, user_id, number, display_name, location, vm_enabled, vm_pin_hash, vm_email, vm_attach_audio, created_at, updated_at)"
                },
            );
            for &a in chunk {
                let u = a / size.accounts_per_user;
                let user = user_ids[u];
                // SIP credentials (migration 000004) where the schema has them: the number's
                // digits as user name, unique within the SP as the number is.
                let sip_columns = if sip {
                    format!(",'{}','1{:010}','estate-sip-password-{a}'", sp_ids[u / users_per_sp], a)
                } else {
                    String::new()
                };
                accounts.push(format!(
                    "('{}','{user}','+1{:010}','Line {a}',NULL,FALSE,NULL,NULL,FALSE,'{TS}','{TS}'{sip_columns})",
                    account_ids[a], a
                ));
            }
            accounts.flush();
        }
        {
            let mut members = rows(conn, "account_members (account_id, role, login_id, created_at)");
            for &a in chunk {
                let login = user_logins[a / size.accounts_per_user];
                members.push(format!("('{}','owner','{login}','{TS}')", account_ids[a]));
            }
            members.flush();
        }
        conn.batch_execute("COMMIT").expect("commit");
        bar.add(chunk.len());
    }

    // Devices: a tenth in SP 0, the rest over the other SPs. Within an SP, one in ten in the
    // SP's context (assigned to one of its Orgs), three in an Org's context (every other one
    // assigned to a User of it, who owns it), six in a User's context with one of its
    // accounts on a line and the User as owner.
    let others = sps - 1;
    let mut per_sp = vec![0usize; sps];
    let mut bar = Progress::new("devices", size.devices, progress);
    let mut sp_devices: Vec<Uuid> = Vec::new();
    let mut org_devices: Vec<Uuid> = Vec::new();
    let mut user_devices: Vec<Uuid> = Vec::new();
    let ids: Vec<Uuid> = (0..size.devices).map(|_| Uuid::now_v7()).collect();
    for chunk in (0..size.devices).collect::<Vec<_>>().chunks(50_000) {
        conn.batch_execute("BEGIN").expect("begin");
        let mut lines = Vec::new();
        let mut owners = Vec::new();
        {
            let head = if flat {
                "devices (id, mac_address, vendor, model, label, context_id, assigned_to_id, missed_calls, mwi_enabled, mwi_account_id, created_at, updated_at, sp_id, org_id, user_id)"
            } else {
                "devices (id, mac_address, vendor, model, label, context_id, assigned_to_id, missed_calls, mwi_enabled, mwi_account_id, created_at, updated_at)"
            };
            let mut devices = rows(conn, head);
            for &i in chunk {
                let s = if i % 10 == 0 || others == 0 { 0 } else { 1 + i % others };
                let j = per_sp[s];
                per_sp[s] += 1;
                let sp = sp_ids[s];
                // In SP 0, every other device is in (or below) Org 0.
                let org_in_sp = match (s, j % 2) {
                    (0, 0) => 0,
                    (0, _) => 1 + (j / 10) % (orgs_per_sp - 1).max(1),
                    _ => (j / 10) % orgs_per_sp,
                };
                let org_n = s * orgs_per_sp + org_in_sp.min(orgs_per_sp - 1);
                let org = org_ids[org_n];
                let user_in_org = if size.big_user_holds_half && org_n == 0 && (j / 2) % 2 == 0 {
                    0
                } else {
                    (j / 100) % users_per_org
                };
                let user_n = org_n * users_per_org + user_in_org;
                let (user, login) = (user_ids[user_n], user_logins[user_n]);
                let (v, m) = vendor(i);
                let id = ids[i];
                let row = match j % 10 {
                    0 => format!("'{sp}','{org}',TRUE,FALSE,NULL,'{TS}','{TS}','{sp}',NULL,NULL"),
                    1..=3 if j % 2 == 0 => {
                        owners.push(format!("('{id}','{login}','{TS}')"));
                        format!("'{org}','{user}',TRUE,FALSE,NULL,'{TS}','{TS}','{sp}','{org}','{user}'")
                    }
                    1..=3 => format!("'{org}',NULL,TRUE,FALSE,NULL,'{TS}','{TS}','{sp}','{org}',NULL"),
                    _ => {
                        let account = account_ids[user_n * size.accounts_per_user + j % size.accounts_per_user];
                        lines.push(format!("('{id}','{account}',1)"));
                        owners.push(format!("('{id}','{login}','{TS}')"));
                        format!("'{user}','{user}',TRUE,TRUE,'{account}','{TS}','{TS}','{sp}','{org}','{user}'")
                    }
                };
                let row = if flat { row } else { row.rsplitn(4, ',').last().unwrap_or_default().to_owned() };
                devices.push(format!("('{id}','{}','{v}','{m}',NULL,{row})", mac(i)));
                if s == 0 {
                    sp_devices.push(id);
                    let in_org = j % 10 != 0;
                    let in_user_view = j % 10 >= 4 || (in_org && j % 2 == 0);
                    if in_org && org_n == 0 {
                        org_devices.push(id);
                    }
                    if in_user_view && user_n == 0 {
                        user_devices.push(id);
                        if j % 10 >= 4 && e.device.is_nil() {
                            e.device = id;
                        }
                    }
                }
            }
            devices.flush();
        }
        {
            let mut l = rows(conn, "device_lines (device_id, account_id, position)");
            lines.into_iter().for_each(|r| l.push(r));
            l.flush();
        }
        {
            let mut o = rows(conn, "device_owners (device_id, login_id, created_at)");
            owners.into_iter().for_each(|r| o.push(r));
            o.flush();
        }
        conn.batch_execute("COMMIT").expect("commit");
        bar.add(chunk.len());
    }
    conn.batch_execute("ANALYZE").expect("analyze");

    let middle = |v: &[Uuid]| v.get(v.len() / 2).copied().unwrap_or_default();
    e.big_sp = sp_ids[0];
    e.big_org = org_ids[0];
    e.big_user = user_ids[0];
    e.big_user_login = user_logins[0];
    e.account = account_ids[0];
    e.sp_middle = middle(&sp_devices);
    e.org_middle = middle(&org_devices);
    e.user_middle = middle(&user_devices);
    e.devices = size.devices;
    e.nodes = n_nodes;
    e.accounts = n_accounts;
    e
}
