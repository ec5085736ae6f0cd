//! Tracing set up once: human-readable by default, JSON lines with `SIPROV_LOG_FORMAT=json`.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Installs the global subscriber with `filter` (checked by the settings; tests pass their
/// own); a second call (tests start many apps) is a no-op. Colours only on a terminal, and
/// not when `NO_COLOR` is set: escape codes in a log file or a collector are noise.
pub fn init(format: LogFormat, filter: &str) {
    let filter = EnvFilter::builder().parse_lossy(filter);
    let ansi = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).with_current_span(true).with_span_list(false).try_init(),
    };
}
