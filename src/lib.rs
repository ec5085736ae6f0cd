//! siprov: a multi-tenant SIP provisioning API. See `README.md` and `docs/domain.md`.

pub mod auth;
pub mod authz;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod http;
pub mod openapi;
pub mod provisioning;
pub mod routes;
pub mod service;
pub mod startup;
pub mod state;
pub mod telemetry;
