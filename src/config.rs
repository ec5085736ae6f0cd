//! Settings from the environment (`SIPROV_*`), with defaults that run with nothing set.
//! Secrets are wrapped so that `Debug` never prints them.

use std::fmt;
use std::net::SocketAddr;

use crate::db::Backend;

/// A secret string: its `Debug` says `[redacted]`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(s.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Clone, Debug)]
pub struct Settings {
    pub listen: SocketAddr,
    pub database: Backend,
    pub bootstrap_admin_username: String,
    pub bootstrap_admin_password: Option<Secret>,
    pub jwt_secret: Option<Secret>,
    pub token_ttl_secs: u64,
    pub log_format: LogFormat,
}

impl Settings {
    pub fn from_env() -> Result<Settings, String> {
        Settings::from_lookup(|k| std::env::var(k).ok())
    }

    /// Reads settings through `get`, so tests can pass a map instead of the environment.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Settings, String> {
        let get = |k: &str| get(k).filter(|v| !v.is_empty());
        let listen_raw = get("SIPROV_LISTEN").unwrap_or_else(|| "127.0.0.1:8080".into());
        let listen = listen_raw
            .parse()
            .map_err(|_| format!("SIPROV_LISTEN={listen_raw:?} is not an address like 127.0.0.1:8080"))?;
        let url = get("SIPROV_DATABASE_URL")
            .or_else(|| get("DATABASE_URL"))
            .unwrap_or_else(|| "sqlite://data/siprov.db".into());
        let database = Backend::from_url(&url).map_err(|e| format!("SIPROV_DATABASE_URL: {e}"))?;
        let bootstrap_admin_username = get("SIPROV_BOOTSTRAP_ADMIN_USERNAME").unwrap_or_else(|| "admin".into());
        let mut errors = crate::domain::validate::Errors::default();
        errors.username("SIPROV_BOOTSTRAP_ADMIN_USERNAME", &bootstrap_admin_username);
        let bootstrap_admin_password = get("SIPROV_BOOTSTRAP_ADMIN_PASSWORD").map(Secret::new);
        if let Some(p) = &bootstrap_admin_password {
            errors.password("SIPROV_BOOTSTRAP_ADMIN_PASSWORD", p.expose());
        }
        if let Some(e) = errors.into_vec().into_iter().next() {
            return Err(format!("{}: {}", e.field, e.message));
        }
        let jwt_secret = get("SIPROV_JWT_SECRET").map(Secret::new);
        if jwt_secret.as_ref().is_some_and(|s| s.expose().len() < 32) {
            return Err("SIPROV_JWT_SECRET must be at least 32 bytes".into());
        }
        let ttl_raw = get("SIPROV_TOKEN_TTL").unwrap_or_else(|| "900".into());
        let token_ttl_secs = ttl_raw
            .parse::<u64>()
            .ok()
            .filter(|t| (30..=86_400).contains(t))
            .ok_or_else(|| format!("SIPROV_TOKEN_TTL={ttl_raw:?} must be a number of seconds from 30 to 86400"))?;
        let log_format = match get("SIPROV_LOG_FORMAT").as_deref() {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => return Err(format!("SIPROV_LOG_FORMAT={other:?} must be text or json")),
        };
        Ok(Settings {
            listen,
            database,
            bootstrap_admin_username,
            bootstrap_admin_password,
            jwt_secret,
            token_ttl_secs,
            log_format,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(pairs: &[(&str, &str)]) -> Result<Settings, String> {
        let map: std::collections::HashMap<String, String> =
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Settings::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn nothing_set_runs_on_sqlite_on_localhost_8080() {
        let s = with(&[]).unwrap();
        assert_eq!(s.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(s.database, Backend::Sqlite("data/siprov.db".into()));
        assert_eq!(s.bootstrap_admin_username, "admin");
        assert_eq!(s.token_ttl_secs, 900);
        assert_eq!(s.log_format, LogFormat::Text);
    }

    #[test]
    fn bad_settings_are_refused_with_the_setting_named() {
        assert!(with(&[("SIPROV_LISTEN", "nowhere")]).unwrap_err().contains("SIPROV_LISTEN"));
        assert!(with(&[("SIPROV_DATABASE_URL", "mysql://x")]).unwrap_err().contains("scheme"));
        assert!(with(&[("SIPROV_JWT_SECRET", "short")]).unwrap_err().contains("32 bytes"));
        assert!(with(&[("SIPROV_TOKEN_TTL", "soon")]).unwrap_err().contains("SIPROV_TOKEN_TTL"));
        assert!(with(&[("SIPROV_LOG_FORMAT", "xml")]).unwrap_err().contains("SIPROV_LOG_FORMAT"));
        assert!(with(&[("SIPROV_BOOTSTRAP_ADMIN_PASSWORD", "short")]).unwrap_err().contains("12"));
    }

    #[test]
    fn database_url_falls_back_to_database_url() {
        let s = with(&[("DATABASE_URL", "postgres://u@h/d")]).unwrap();
        assert_eq!(s.database, Backend::Postgres("postgres://u@h/d".into()));
    }

    #[test]
    fn secrets_never_print_in_debug() {
        let s = with(&[("SIPROV_JWT_SECRET", "0123456789abcdef0123456789abcdef-top")]).unwrap();
        assert!(!format!("{s:?}").contains("top"));
    }
}
