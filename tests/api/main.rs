//! Black-box HTTP tests against the real application on a random port, each on its own
//! database: a temp SQLite file by default, a fresh PostgreSQL database when
//! `SIPROV_TEST_DATABASE_URL` is set.

#![expect(
    clippy::unwrap_used,
    reason = "a test states what it expects by unwrapping; the helpers outside #[test] functions too"
)]

mod hardening;
mod helpers;

mod access;
mod access_instances;
mod access_matrix;
mod accounts;
mod audit;
mod auth;
mod authz_devices_matrix;
mod authz_nodes_matrix;
mod browser;
mod devices;
mod etags;
mod faults;
mod idempotency;
mod nodes;
mod openapi_drift;
mod phone;
mod plans;
mod process;
mod provisioning;
mod provisioning_people;
mod provisioning_phone;
mod refusals;
mod smoke;
mod tree_scale;
mod unchanged;
mod webhook_restart;
mod webhooks;
