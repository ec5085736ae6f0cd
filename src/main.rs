//! `siprov [serve]` serves the API, `siprov migrate` migrates the database and exits,
//! `siprov openapi` prints the OpenAPI document; `siprov --help` lists every setting.

use std::io::Write;
use std::process::ExitCode;

use siprov::config::{Cli, Command, Settings};
use siprov::startup::Application;

fn main() -> ExitCode {
    let (command, matches) = Cli::parse_process();
    let run = match command {
        Command::Openapi => return print_openapi(),
        Command::Migrate => migrate,
        Command::Serve => serve,
    };
    let settings = match Settings::from_matches(&matches) {
        Ok(s) => s,
        Err(e) => return fail(&e),
    };
    siprov::telemetry::init(settings.log_format, &settings.log_filter);
    match run(&settings) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e),
    }
}

fn serve(settings: &Settings) -> Result<(), String> {
    actix_web::rt::System::new().block_on(async {
        let app = Application::build(settings)?;
        tracing::info!(
            listen = %settings.listen,
            port = app.port(),
            database = settings.database.name(),
            workers = settings.workers,
            "siprov serving"
        );
        app.run_until_signalled().await.map_err(|e| format!("server error: {e}"))
    })
}

/// Migrations only: nothing is served, no admin created, no secret generated.
fn migrate(settings: &Settings) -> Result<(), String> {
    siprov::db::connect_and_migrate(&settings.database)?;
    tracing::info!(database = settings.database.name(), "migrations applied");
    Ok(())
}

/// The document on standard output. A reader that stops early (`siprov openapi | head`) is
/// not an error: the broken pipe ends the output quietly.
fn print_openapi() -> ExitCode {
    let mut out = std::io::stdout().lock();
    match out.write_all(siprov::openapi::document_json().as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => fail(&format!("cannot write the OpenAPI document: {e}")),
    }
}

/// One line on standard error: libpq's messages span several lines.
fn fail(message: &str) -> ExitCode {
    let line = message.split_whitespace().collect::<Vec<_>>().join(" ");
    eprintln!("siprov: {line}");
    ExitCode::FAILURE
}
