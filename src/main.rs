//! `siprov` serves the API; `siprov openapi` prints the OpenAPI document.

use std::process::ExitCode;

use siprov::config::Settings;
use siprov::startup::Application;

fn main() -> ExitCode {
    if std::env::args().nth(1).as_deref() == Some("openapi") {
        print!("{}", siprov::openapi::document_json());
        return ExitCode::SUCCESS;
    }
    let settings = match Settings::from_env() {
        Ok(s) => s,
        Err(e) => return fail(&e),
    };
    siprov::telemetry::init(settings.log_format);
    let result = actix_web::rt::System::new().block_on(async {
        let app = Application::build(&settings)?;
        tracing::info!(listen = %settings.listen, port = app.port(), database = settings.database.name(), "siprov serving");
        app.run_until_stopped().await.map_err(|e| format!("server error: {e}"))
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e),
    }
}

/// One line on standard error: libpq's messages span several lines.
fn fail(message: &str) -> ExitCode {
    let line = message.split_whitespace().collect::<Vec<_>>().join(" ");
    eprintln!("siprov: {line}");
    ExitCode::FAILURE
}
