//! The command line and the settings. Each setting is defined once, as a flag with its
//! environment variable as fallback; nothing set runs on defaults. A refused value names the
//! setting the operator actually used (the flag, the variable, or `DATABASE_URL`), and
//! secrets are wrapped so that `Debug` never prints them and `--help` never shows them.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use clap::parser::ValueSource;
use clap::{ArgMatches, Args, CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::db::Backend;

mod urls;

use urls::{origin, public_url};

const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
const DEFAULT_DATABASE_URL: &str = "sqlite://data/siprov.db";
const DEFAULT_ADMIN_USERNAME: &str = "admin";
const DEFAULT_TOKEN_TTL: &str = "900";
const DEFAULT_LOG_FORMAT: &str = "text";
const DEFAULT_LOG_FILTER: &str = "info";
const DEFAULT_SQLITE_BUSY_TIMEOUT: &str = "10000";
const DEFAULT_PROVISIONING_GRACE: &str = "86400";
/// A year: a grace longer than that is a password that never stops working.
const MAX_PROVISIONING_GRACE_SECS: u64 = 31_536_000;
/// A minute: past that, a write would better be answered 503 and retried by the client.
const MAX_SQLITE_BUSY_TIMEOUT_MS: u64 = 60_000;
/// Far above what 2..64 cores use; a typo like 10000 must not start ten thousand threads.
const MAX_WORKERS: usize = 1024;

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

/// What the process runs with. A plain struct: tests take [`Settings::from_lookup`]'s
/// defaults and change fields.
#[derive(Clone, Debug)]
pub struct Settings {
    pub listen: SocketAddr,
    pub database: Backend,
    pub bootstrap_admin_username: String,
    pub bootstrap_admin_password: Option<Secret>,
    pub jwt_secret: Option<Secret>,
    /// Secrets that signed earlier: their tokens still verify (key rotation).
    pub jwt_previous_secrets: Vec<Secret>,
    pub token_ttl_secs: u64,
    pub log_format: LogFormat,
    /// A `tracing-subscriber` filter, already checked to parse.
    pub log_filter: String,
    pub workers: usize,
    /// Origins (`scheme://host[:port]`, lowercase) a browser front-end may call from; empty
    /// means no CORS headers at all.
    pub cors_origins: Vec<String>,
    /// How long a SQLite statement waits for a lock held elsewhere before the request is
    /// answered 503.
    pub sqlite_busy_timeout: Duration,
    /// L4 relaxed: webhooks may use `http` and loopback or private addresses (tests, closed
    /// networks).
    pub webhook_allow_insecure: bool,
    /// The base URL clients and phones use, without a trailing slash; the provisioning
    /// `url` given with a device's password is built from it.
    pub public_url: String,
    /// How long a rotated provisioning password still works (F3).
    pub provisioning_grace: Duration,
    /// Peers whose `X-Forwarded-For` is believed (F7 and K7 throttle the client address
    /// behind them); empty: the peer is the client.
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

/// siprov: a multi-tenant SIP provisioning API (service providers, organizations, users,
/// their telephone numbers and SIP phones).
///
/// Every option falls back to the environment variable shown with it.
#[derive(Parser, Debug)]
#[command(name = "siprov", version, disable_help_subcommand = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    settings: SettingsArgs,
}

#[derive(Subcommand, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// Serve the API until SIGINT or SIGTERM (the default)
    Serve,
    /// Run the database migrations and exit (for deploy pipelines)
    Migrate,
    /// Print the OpenAPI document
    Openapi,
}

/// The definition of every setting: flag, variable, help. Read through [`ArgMatches`] by id
/// (the field name) so that a refusal can name where the value came from.
#[derive(Args, Debug)]
struct SettingsArgs {
    /// Address to serve on
    #[arg(long, env = "SIPROV_LISTEN", value_name = "ADDR", default_value = DEFAULT_LISTEN, global = true)]
    listen: Option<String>,

    /// sqlite://PATH (created on first start; sqlite:///abs/path for an absolute path) or
    /// postgres://user:pass@host:5432/db. Falls back to DATABASE_URL
    #[arg(
        long,
        env = "SIPROV_DATABASE_URL",
        value_name = "URL",
        default_value = DEFAULT_DATABASE_URL,
        hide_env_values = true,
        global = true
    )]
    database_url: Option<String>,

    /// First system admin, created only when no system admin exists
    #[arg(
        long,
        env = "SIPROV_BOOTSTRAP_ADMIN_USERNAME",
        value_name = "NAME",
        default_value = DEFAULT_ADMIN_USERNAME,
        global = true
    )]
    bootstrap_admin_username: Option<String>,

    /// Password of the first system admin (at least 12 characters), used on first start only;
    /// generated and printed once when unset. Prefer the variable: a command line is visible
    /// to every user
    #[arg(
        long,
        env = "SIPROV_BOOTSTRAP_ADMIN_PASSWORD",
        value_name = "PASSWORD",
        hide_env_values = true,
        global = true
    )]
    bootstrap_admin_password: Option<String>,

    /// HS256 signing secret, at least 32 bytes; generated on first start and stored in the
    /// database when unset. Prefer the variable: a command line is visible to every user
    #[arg(long, env = "SIPROV_JWT_SECRET", value_name = "SECRET", hide_env_values = true, global = true)]
    jwt_secret: Option<String>,

    /// Comma-separated secrets that signed tokens before the current one (each at least 32
    /// bytes, no commas): their tokens stay valid until they expire. Prefer the variable
    #[arg(long, env = "SIPROV_JWT_PREVIOUS_SECRETS", value_name = "SECRETS", hide_env_values = true, global = true)]
    jwt_previous_secrets: Option<String>,

    /// Access-token lifetime in seconds (30 to 86400)
    #[arg(long, env = "SIPROV_TOKEN_TTL", value_name = "SECONDS", default_value = DEFAULT_TOKEN_TTL, global = true)]
    token_ttl: Option<String>,

    /// Log format: text, or json (one object per line)
    #[arg(long, env = "SIPROV_LOG_FORMAT", value_name = "FORMAT", default_value = DEFAULT_LOG_FORMAT, global = true)]
    log_format: Option<String>,

    /// Log filter, tracing-subscriber syntax (e.g. info,siprov=debug)
    #[arg(long, env = "RUST_LOG", value_name = "FILTER", default_value = DEFAULT_LOG_FILTER, global = true)]
    log_filter: Option<String>,

    /// HTTP worker threads [default: number of cores]
    #[arg(long, env = "SIPROV_WORKERS", value_name = "N", global = true)]
    workers: Option<String>,

    /// Comma-separated origins a browser front-end may call from
    /// (e.g. https://portal.example.com) [default: none, no CORS headers]
    #[arg(long, env = "SIPROV_CORS_ORIGINS", value_name = "ORIGINS", global = true)]
    cors_origins: Option<String>,

    /// Milliseconds a SQLite write waits for a lock held by another process before it is
    /// answered 503 (0 to 60000)
    #[arg(
        long,
        env = "SIPROV_SQLITE_BUSY_TIMEOUT",
        value_name = "MS",
        default_value = DEFAULT_SQLITE_BUSY_TIMEOUT,
        global = true
    )]
    sqlite_busy_timeout: Option<String>,

    /// true lets webhooks use http and loopback, private or link-local addresses (rule L4:
    /// for tests and closed networks) [default: false]
    #[arg(long, env = "SIPROV_WEBHOOK_ALLOW_INSECURE", value_name = "BOOL", global = true)]
    webhook_allow_insecure: Option<String>,

    /// The base URL clients and phones use (http or https, no query) [default: http:// and
    /// the listen address]; phones are given <URL>/provisioning/
    #[arg(long, env = "SIPROV_PUBLIC_URL", value_name = "URL", global = true)]
    public_url: Option<String>,

    /// Seconds a rotated provisioning password still works, until the phone first uses the
    /// new one (0 to 31536000)
    #[arg(
        long,
        env = "SIPROV_PROVISIONING_GRACE",
        value_name = "SECONDS",
        default_value = DEFAULT_PROVISIONING_GRACE,
        global = true
    )]
    provisioning_grace: Option<String>,

    /// Comma-separated IP addresses of reverse proxies whose X-Forwarded-For names the
    /// client [default: none, the peer is the client]
    #[arg(long, env = "SIPROV_TRUSTED_PROXIES", value_name = "ADDRS", global = true)]
    trusted_proxies: Option<String>,
}

impl Cli {
    /// Parses the process's arguments (each falling back to its variable). Help, version and
    /// usage errors are printed by clap, which then exits: 0, or 2 for a usage error, before
    /// anything is opened or bound.
    pub fn parse_process() -> (Command, ArgMatches) {
        let matches = Cli::command().get_matches();
        let command = match Cli::from_arg_matches(&matches) {
            Ok(cli) => cli.command.unwrap_or(Command::Serve),
            Err(e) => e.exit(),
        };
        (command, matches)
    }
}

/// A setting's text and the name it was given under, for refusals.
struct Given {
    value: String,
    name: String,
}

impl Given {
    /// `NAME="value"`, for settings that are not secret.
    fn shown(&self) -> String {
        format!("{}={:?}", self.name, self.value)
    }
}

impl Settings {
    /// From parsed arguments, clap having fallen back to the environment.
    pub fn from_matches(matches: &ArgMatches) -> Result<Settings, String> {
        let cmd = Cli::command();
        let given = |id: &str| {
            let value = matches.try_get_one::<String>(id).ok().flatten()?.clone();
            let name = match matches.value_source(id)? {
                ValueSource::CommandLine => format!("--{}", arg_of(&cmd, id)?.get_long()?),
                ValueSource::EnvVariable => arg_of(&cmd, id)?.get_env()?.to_string_lossy().into_owned(),
                // The code's default applies (and DATABASE_URL may come first).
                _ => return None,
            };
            Some(Given { value, name })
        };
        Settings::resolve(given, |k| std::env::var(k).ok())
    }

    /// Reads the settings' variables through `get` alone: tests pass `|_| None` for the
    /// defaults, or a map, and never depend on the process environment.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Settings, String> {
        let cmd = Cli::command();
        let given = |id: &str| {
            let name = arg_of(&cmd, id)?.get_env()?.to_string_lossy().into_owned();
            get(&name).map(|value| Given { value, name })
        };
        Settings::resolve(given, &get)
    }

    /// Checks every setting; `given` answers by argument id, `env` is asked for
    /// `DATABASE_URL` only. An empty value counts as unset (compose files write `X: ""`).
    fn resolve(
        given: impl Fn(&str) -> Option<Given>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Settings, String> {
        let given = |id: &str| given(id).filter(|g| !g.value.is_empty());

        let listen = match given("listen") {
            Some(g) => g.value.parse().map_err(|_| format!("{} is not an address like 127.0.0.1:8080", g.shown()))?,
            None => DEFAULT_LISTEN.parse().map_err(|_| "bad default listen address".to_owned())?,
        };

        // The URL may hold a password: never echoed, only its scheme is.
        let database = match given("database_url").or_else(|| {
            env("DATABASE_URL").filter(|v| !v.is_empty()).map(|value| Given { value, name: "DATABASE_URL".into() })
        }) {
            Some(g) => Backend::from_url(&g.value).map_err(|e| format!("{}: {e}", g.name))?,
            None => Backend::from_url(DEFAULT_DATABASE_URL)?,
        };

        let mut errors = crate::domain::validate::Errors::default();
        let username = given("bootstrap_admin_username");
        let bootstrap_admin_username = username.as_ref().map_or(DEFAULT_ADMIN_USERNAME.to_owned(), |g| g.value.clone());
        if let Some(g) = &username {
            errors.check(&g.name, &crate::domain::validate::USERNAME, &g.value);
        }
        let password = given("bootstrap_admin_password");
        if let Some(g) = &password {
            errors.check(&g.name, &crate::domain::validate::PASSWORD, &g.value);
        }
        if let Some(e) = errors.into_vec().into_iter().next() {
            return Err(format!("{}: {}", e.field, e.message));
        }
        let bootstrap_admin_password = password.map(|g| Secret::new(g.value));

        let jwt_secret = match given("jwt_secret") {
            Some(g) if g.value.len() < 32 => return Err(format!("{} must be at least 32 bytes", g.name)),
            g => g.map(|g| Secret::new(g.value)),
        };

        // Never echoed: only the position of a refused secret is named.
        let jwt_previous_secrets = match given("jwt_previous_secrets") {
            Some(g) => g
                .value
                .split(',')
                .enumerate()
                .map(|(i, s)| {
                    if s.len() < 32 {
                        Err(format!("{}: secret {} must be at least 32 bytes", g.name, i + 1))
                    } else {
                        Ok(Secret::new(s))
                    }
                })
                .collect::<Result<Vec<_>, _>>()?,
            None => Vec::new(),
        };

        let token_ttl_secs = match given("token_ttl") {
            Some(g) => g
                .value
                .parse::<u64>()
                .ok()
                .filter(|t| (30..=86_400).contains(t))
                .ok_or_else(|| format!("{} must be a number of seconds from 30 to 86400", g.shown()))?,
            None => DEFAULT_TOKEN_TTL.parse().map_err(|_| "bad default token lifetime".to_owned())?,
        };

        let log_format = match given("log_format") {
            None => LogFormat::Text,
            Some(g) if g.value == "text" => LogFormat::Text,
            Some(g) if g.value == "json" => LogFormat::Json,
            Some(g) => return Err(format!("{} must be text or json", g.shown())),
        };

        let log_filter = match given("log_filter") {
            Some(g) => {
                tracing_subscriber::EnvFilter::builder()
                    .parse(&g.value)
                    .map_err(|e| format!("{} is not a log filter: {e}", g.shown()))?;
                g.value
            }
            None => DEFAULT_LOG_FILTER.to_owned(),
        };

        let workers = match given("workers") {
            Some(g) => g
                .value
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=MAX_WORKERS).contains(n))
                .ok_or_else(|| format!("{} must be a whole number from 1 to {MAX_WORKERS}", g.shown()))?,
            None => std::thread::available_parallelism().map_or(2, usize::from),
        };

        let cors_origins = match given("cors_origins") {
            Some(g) => g
                .value
                .split(',')
                .map(str::trim)
                .filter(|o| !o.is_empty())
                .map(|o| origin(o).map_err(|why| format!("{}: {o:?} {why}", g.name)))
                .collect::<Result<Vec<_>, _>>()?,
            None => Vec::new(),
        };

        let sqlite_busy_timeout = match given("sqlite_busy_timeout") {
            Some(g) => g
                .value
                .parse::<u64>()
                .ok()
                .filter(|ms| *ms <= MAX_SQLITE_BUSY_TIMEOUT_MS)
                .map(Duration::from_millis)
                .ok_or_else(|| {
                    format!("{} must be a number of milliseconds from 0 to {MAX_SQLITE_BUSY_TIMEOUT_MS}", g.shown())
                })?,
            None => Duration::from_millis(
                DEFAULT_SQLITE_BUSY_TIMEOUT.parse().map_err(|_| "bad default busy timeout".to_owned())?,
            ),
        };

        let webhook_allow_insecure = match given("webhook_allow_insecure") {
            None => false,
            Some(g) if matches!(g.value.as_str(), "true" | "1") => true,
            Some(g) if matches!(g.value.as_str(), "false" | "0") => false,
            Some(g) => return Err(format!("{} must be true or false", g.shown())),
        };

        let public_url = match given("public_url") {
            Some(g) => public_url(&g.value).map_err(|why| format!("{} {why}", g.shown()))?,
            None => format!("http://{listen}"),
        };

        let provisioning_grace = match given("provisioning_grace") {
            Some(g) => g
                .value
                .parse::<u64>()
                .ok()
                .filter(|s| *s <= MAX_PROVISIONING_GRACE_SECS)
                .map(Duration::from_secs)
                .ok_or_else(|| {
                    format!("{} must be a number of seconds from 0 to {MAX_PROVISIONING_GRACE_SECS}", g.shown())
                })?,
            None => Duration::from_secs(
                DEFAULT_PROVISIONING_GRACE.parse().map_err(|_| "bad default provisioning grace".to_owned())?,
            ),
        };

        let trusted_proxies = match given("trusted_proxies") {
            Some(g) => g
                .value
                .split(',')
                .map(str::trim)
                .filter(|a| !a.is_empty())
                .map(|a| a.parse().map_err(|_| format!("{}: {a:?} is not an IP address", g.name)))
                .collect::<Result<Vec<_>, _>>()?,
            None => Vec::new(),
        };

        Ok(Settings {
            listen,
            database,
            bootstrap_admin_username,
            bootstrap_admin_password,
            jwt_secret,
            jwt_previous_secrets,
            token_ttl_secs,
            log_format,
            log_filter,
            workers,
            cors_origins,
            sqlite_busy_timeout,
            webhook_allow_insecure,
            public_url,
            provisioning_grace,
            trusted_proxies,
        })
    }
}

fn arg_of<'a>(cmd: &'a clap::Command, id: &str) -> Option<&'a clap::Arg> {
    cmd.get_arguments().find(|a| a.get_id() == id)
}

#[cfg(test)]
mod tests;
