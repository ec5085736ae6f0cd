use super::*;

fn with(pairs: &[(&str, &str)]) -> Result<Settings, String> {
    let map: std::collections::HashMap<String, String> =
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    Settings::from_lookup(|k| map.get(k).cloned())
}

/// Parses a command line without reading the process environment: every variable is
/// taken off the definitions first.
fn args(argv: &[&str]) -> Result<Settings, String> {
    let cmd = Cli::command().mut_args(|a| a.env(None::<&str>));
    let matches = cmd.try_get_matches_from(argv).map_err(|e| e.to_string())?;
    Settings::from_matches(&matches)
}

#[test]
fn the_command_line_definition_is_consistent() {
    Cli::command().debug_assert();
}

#[test]
fn nothing_set_runs_on_sqlite_on_localhost_8080() {
    let s = with(&[]).unwrap();
    assert_eq!(s.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(s.database, Backend::Sqlite("data/siprov.db".into()));
    assert_eq!(s.bootstrap_admin_username, "admin");
    assert_eq!(s.token_ttl_secs, 900);
    assert_eq!(s.log_format, LogFormat::Text);
    assert_eq!(s.log_filter, "info");
    assert!(s.workers >= 1);
    assert!(s.cors_origins.is_empty());
    assert!(s.jwt_previous_secrets.is_empty());
    assert_eq!(s.sqlite_busy_timeout, Duration::from_secs(10));
}

#[test]
fn the_defaults_of_the_command_line_are_the_same() {
    let s = args(&["siprov"]).unwrap();
    let d = with(&[]).unwrap();
    assert_eq!((s.listen, &s.database, s.token_ttl_secs), (d.listen, &d.database, d.token_ttl_secs));
    assert_eq!(
        (s.bootstrap_admin_username, s.log_format, s.log_filter),
        (d.bootstrap_admin_username, d.log_format, d.log_filter)
    );
}

#[test]
fn every_setting_is_read_from_its_variable() {
    let s = with(&[
        ("SIPROV_LISTEN", "0.0.0.0:9000"),
        ("SIPROV_DATABASE_URL", "postgres://u@h/d"),
        ("SIPROV_BOOTSTRAP_ADMIN_USERNAME", "root"),
        ("SIPROV_BOOTSTRAP_ADMIN_PASSWORD", "twelve-chars-ok"),
        ("SIPROV_JWT_SECRET", "0123456789abcdef0123456789abcdef"),
        ("SIPROV_TOKEN_TTL", "60"),
        ("SIPROV_LOG_FORMAT", "json"),
        ("RUST_LOG", "warn,siprov=debug"),
        ("SIPROV_WORKERS", "3"),
        ("SIPROV_CORS_ORIGINS", "https://Portal.example.com, http://localhost:3000"),
        ("SIPROV_JWT_PREVIOUS_SECRETS", "previous-one-0123456789abcdef012345,previous-two-0123456789abcdef012345"),
        ("SIPROV_SQLITE_BUSY_TIMEOUT", "250"),
    ])
    .unwrap();
    assert_eq!(s.listen.to_string(), "0.0.0.0:9000");
    assert_eq!(s.database, Backend::Postgres("postgres://u@h/d".into()));
    assert_eq!(s.bootstrap_admin_username, "root");
    assert_eq!(s.bootstrap_admin_password.as_ref().map(Secret::expose), Some("twelve-chars-ok"));
    assert!(s.jwt_secret.is_some());
    assert_eq!(
        (s.token_ttl_secs, s.log_format, s.log_filter.as_str(), s.workers),
        (60, LogFormat::Json, "warn,siprov=debug", 3)
    );
    assert_eq!(s.cors_origins, ["https://portal.example.com", "http://localhost:3000"]);
    let previous: Vec<&str> = s.jwt_previous_secrets.iter().map(Secret::expose).collect();
    assert_eq!(previous, ["previous-one-0123456789abcdef012345", "previous-two-0123456789abcdef012345"]);
    assert_eq!(s.sqlite_busy_timeout, Duration::from_millis(250));
}

#[test]
fn bad_settings_are_refused_with_the_setting_named() {
    assert!(with(&[("SIPROV_LISTEN", "nowhere")]).unwrap_err().contains("SIPROV_LISTEN"));
    assert!(with(&[("SIPROV_DATABASE_URL", "mysql://x")]).unwrap_err().contains("scheme"));
    assert!(with(&[("SIPROV_JWT_SECRET", "short")]).unwrap_err().contains("32 bytes"));
    assert!(with(&[("SIPROV_TOKEN_TTL", "soon")]).unwrap_err().contains("SIPROV_TOKEN_TTL"));
    assert!(with(&[("SIPROV_TOKEN_TTL", "29")]).unwrap_err().contains("SIPROV_TOKEN_TTL"));
    assert!(with(&[("SIPROV_LOG_FORMAT", "xml")]).unwrap_err().contains("SIPROV_LOG_FORMAT"));
    assert!(with(&[("SIPROV_BOOTSTRAP_ADMIN_PASSWORD", "short")]).unwrap_err().contains("12"));
    assert!(with(&[("SIPROV_BOOTSTRAP_ADMIN_USERNAME", "No Way")]).unwrap_err().contains("USERNAME"));
    assert!(with(&[("SIPROV_WORKERS", "0")]).unwrap_err().starts_with("SIPROV_WORKERS=\"0\""));
    assert!(with(&[("SIPROV_WORKERS", "many")]).unwrap_err().starts_with("SIPROV_WORKERS=\"many\""));
    assert!(with(&[("RUST_LOG", "siprov=loud")]).unwrap_err().starts_with("RUST_LOG="));
    let e = with(&[("SIPROV_JWT_PREVIOUS_SECRETS", "long-enough-0123456789abcdef0123456,short-hunter2")]).unwrap_err();
    assert!(e.starts_with("SIPROV_JWT_PREVIOUS_SECRETS: secret 2 must be at least 32 bytes"), "{e}");
    assert!(!e.contains("hunter2"), "{e}");
    for ms in ["60001", "-1", "soon"] {
        let e = with(&[("SIPROV_SQLITE_BUSY_TIMEOUT", ms)]).unwrap_err();
        assert!(e.starts_with("SIPROV_SQLITE_BUSY_TIMEOUT="), "{ms}: {e}");
    }
    for origin in ["*", "portal.example.com", "https://portal.example.com/", "https://a.example/x", "ftp://a.example"] {
        let e = with(&[("SIPROV_CORS_ORIGINS", origin)]).unwrap_err();
        assert!(e.starts_with("SIPROV_CORS_ORIGINS"), "{origin}: {e}");
    }
}

#[test]
fn a_refusal_names_the_flag_when_the_value_came_from_the_command_line() {
    assert!(args(&["siprov", "--workers", "0"]).unwrap_err().starts_with("--workers=\"0\""));
    assert!(args(&["siprov", "migrate", "--listen=nowhere"]).unwrap_err().starts_with("--listen="));
    assert!(args(&["siprov", "--database-url", "mysql://x"]).unwrap_err().starts_with("--database-url:"));
    assert!(args(&["siprov", "--jwt-secret", "x"]).unwrap_err().starts_with("--jwt-secret must"));
}

#[test]
fn database_url_falls_back_to_database_url_and_is_named_when_it_is_the_source() {
    let s = with(&[("DATABASE_URL", "postgres://u@h/d")]).unwrap();
    assert_eq!(s.database, Backend::Postgres("postgres://u@h/d".into()));
    let e = with(&[("DATABASE_URL", "mysql://u:hunter2@h/d")]).unwrap_err();
    assert!(e.starts_with("DATABASE_URL: "), "{e}");
    assert!(!e.contains("hunter2"), "{e}");
    let s = with(&[("DATABASE_URL", "mysql://x"), ("SIPROV_DATABASE_URL", "sqlite://a.db")]).unwrap();
    assert_eq!(s.database, Backend::Sqlite("a.db".into()));
}

#[test]
fn an_empty_value_counts_as_unset() {
    let s = with(&[("SIPROV_LISTEN", ""), ("SIPROV_WORKERS", ""), ("SIPROV_JWT_SECRET", "")]).unwrap();
    assert_eq!(s.listen.to_string(), "127.0.0.1:8080");
    assert!(s.jwt_secret.is_none());
}

#[test]
fn secrets_never_print_in_debug() {
    let s = with(&[
        ("SIPROV_JWT_SECRET", "0123456789abcdef0123456789abcdef-top"),
        ("SIPROV_BOOTSTRAP_ADMIN_PASSWORD", "password-bottom"),
        ("SIPROV_JWT_PREVIOUS_SECRETS", "0123456789abcdef0123456789abcdef-middle"),
    ])
    .unwrap();
    let debug = format!("{s:?}");
    assert!(!debug.contains("top") && !debug.contains("bottom") && !debug.contains("middle"), "{debug}");
}

#[test]
fn provisioning_settings_default_to_the_listen_address_a_day_of_grace_and_no_proxies() {
    let s = with(&[("SIPROV_LISTEN", "0.0.0.0:9000")]).unwrap();
    assert_eq!(s.public_url, "http://0.0.0.0:9000");
    assert_eq!(s.provisioning_grace, Duration::from_secs(86_400));
    assert!(s.trusted_proxies.is_empty());
    let s = with(&[
        ("SIPROV_PUBLIC_URL", "https://prov.example.com/base/"),
        ("SIPROV_PROVISIONING_GRACE", "60"),
        ("SIPROV_TRUSTED_PROXIES", "10.0.0.1, ::1"),
    ])
    .unwrap();
    assert_eq!(s.public_url, "https://prov.example.com/base");
    assert_eq!(s.provisioning_grace, Duration::from_secs(60));
    assert_eq!(s.trusted_proxies.len(), 2);
}

#[test]
fn bad_provisioning_settings_are_refused_with_the_setting_named() {
    for url in ["prov.example.com", "ftp://x", "https://u@x", "https://x/?a=1", "https://x/a\"b"] {
        let e = with(&[("SIPROV_PUBLIC_URL", url)]).unwrap_err();
        assert!(e.starts_with("SIPROV_PUBLIC_URL="), "{url}: {e}");
    }
    for grace in ["-1", "soon", "31536001"] {
        let e = with(&[("SIPROV_PROVISIONING_GRACE", grace)]).unwrap_err();
        assert!(e.starts_with("SIPROV_PROVISIONING_GRACE="), "{grace}: {e}");
    }
    assert!(with(&[("SIPROV_TRUSTED_PROXIES", "10.0.0.1,proxy")]).unwrap_err().starts_with("SIPROV_TRUSTED_PROXIES"));
}
