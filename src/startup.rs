//! Builds the application: settings → database (migrated) → bootstrap admin → signing
//! secret → HTTP server. Tests call the same code with port 0.

use std::net::TcpListener;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::{Condition, Next, from_fn};
use actix_web::{App, HttpMessage, HttpResponse, HttpServer, web};
use tracing::Instrument;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::auth::hashing::{Hasher, Stats};
use crate::auth::password;
use crate::auth::token::Tokens;
use crate::config::Settings;
use crate::db::{self, repo};
use crate::domain::code::Code;
use crate::error::BODY_LIMIT;
use crate::http;
use crate::provisioning::digest::{NonceKey, PhoneAuth};
use crate::routes::fallback::{self, RouteTable};
use crate::state::{AppState, Phones};

/// The realm phones authenticate in (F4). It is part of every stored verifier, so it is
/// fixed: changing it would end every provisioning login.
pub const REALM: &str = "siprov";

pub struct Application {
    port: u16,
    server: Server,
    hashing: Stats,
    /// What the webhook delivery worker needs (L3): it runs while the server does.
    worker: (db::Pool, bool),
}

impl Application {
    /// Everything up to a bound, not yet running server. Any failure is one clear line.
    pub fn build(settings: &Settings) -> Result<Application, String> {
        let pool = db::connect_and_migrate_with(&settings.database, settings.sqlite_busy_timeout)?;
        let mut conn = pool.get().map_err(|e| format!("database: {e}"))?;
        bootstrap_admin(&mut conn, settings)?;
        let secret = signing_secret(&mut conn, settings)?;
        drop(conn);
        let previous: Vec<&[u8]> = settings.jwt_previous_secrets.iter().map(|s| s.expose().as_bytes()).collect();
        let tokens = Tokens::new(&secret, &previous, settings.token_ttl_secs)?;
        let hasher = Hasher::start(std::thread::available_parallelism().map_or(1, usize::from))?;
        let hashing = hasher.stats();
        let listener =
            TcpListener::bind(settings.listen).map_err(|e| format!("cannot listen on {}: {e}", settings.listen))?;
        let port = listener.local_addr().map_err(|e| e.to_string())?.port();
        let blocking_threads = (pool.max_size() as usize).div_ceil(settings.workers).max(1);
        let worker = (pool.clone(), settings.webhook_allow_insecure);
        let phones = Phones {
            auth: PhoneAuth::new(REALM, NonceKey::derive(&secret)).map_err(|e| e.to_string())?,
            public_url: settings.public_url.clone(),
            grace_secs: i64::try_from(settings.provisioning_grace.as_secs()).unwrap_or(i64::MAX),
            trusted_proxies: settings.trusted_proxies.clone(),
        };
        let inline_reads = db::InlineReads::open(&settings.database, settings.workers)?;
        let state = web::Data::new(AppState {
            pool,
            inline_reads,
            tokens,
            hasher,
            phones,
            webhook_allow_insecure: settings.webhook_allow_insecure,
        });
        let doc = crate::openapi::document();
        let routes = web::Data::new(RouteTable::from_openapi(&doc));
        let cors_origins = settings.cors_origins.clone();
        let server = HttpServer::new(move || {
            App::new()
                .into_utoipa_app()
                .app_data(state.clone())
                .app_data(routes.clone())
                .app_data(web::PayloadConfig::new(BODY_LIMIT))
                .app_data(web::QueryConfig::default().error_handler(|e, _| {
                    crate::error::ApiError::bad_request(Code::InvalidQuery, format!("invalid query: {e}")).into()
                }))
                .app_data(web::PathConfig::default().error_handler(|_, _| crate::error::ApiError::NotFound.into()))
                .configure(crate::routes::configure)
                .into_app()
                .service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", doc.clone()))
                .route(
                    "/docs",
                    web::get().to(|| async {
                        HttpResponse::PermanentRedirect().insert_header(("Location", "/docs/")).finish()
                    }),
                )
                .default_service(web::to(fallback::not_found))
                // Innermost first. CORS answers preflights before routing (the fallback would
                // say 405); problem_json renders CORS refusals and keeps CORS headers on the
                // errors it rewrites; the security headers go on every answer; HEAD is routed
                // as GET, and the log outside keeps the method as sent.
                .wrap(Condition::new(!cors_origins.is_empty(), http::cors::cors(&cors_origins)))
                .wrap(from_fn(fallback::problem_json))
                .wrap(from_fn(http::headers::security_headers))
                .wrap(from_fn(http::head::head_as_get))
                .wrap(from_fn(request_log))
        })
        .workers(settings.workers)
        // Every database call but SQLite's waitless reads (`db::InlineReads`) runs on a
        // blocking thread and takes its connection there, never across an await; more
        // blocking threads than connections would only queue on the pool's lock and wake
        // each other. Beyond these, calls wait in the runtime's queue.
        .worker_max_blocking_threads(blocking_threads)
        // Signals are the binary's business (`run_until_signalled`); tests stop by dropping.
        .disable_signals()
        .shutdown_timeout(SHUTDOWN_TIMEOUT_SECS)
        .listen(listener)
        .map_err(|e| format!("cannot serve: {e}"))?
        .run();
        Ok(Application { port, server, hashing, worker })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// What the password-hashing threads have done (tests count hashes with it).
    pub fn hashing(&self) -> Stats {
        self.hashing.clone()
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let worker = self.start_worker();
        let result = self.server.await;
        worker.abort();
        result
    }

    /// The webhook delivery worker of this process, on the current runtime.
    fn start_worker(&self) -> actix_web::rt::task::JoinHandle<()> {
        let (pool, allow_insecure) = self.worker.clone();
        actix_web::rt::spawn(crate::service::audit::delivery::run(pool, allow_insecure))
    }

    /// Serves until SIGINT or SIGTERM, then drains: no new connections, idle ones closed,
    /// requests in flight given up to [`SHUTDOWN_TIMEOUT_SECS`] to finish. Either signal is
    /// graceful (actix's own handling would make SIGINT a forced stop).
    pub async fn run_until_signalled(self) -> std::io::Result<()> {
        let stop = shutdown_signal()?;
        let worker = self.start_worker();
        let handle = self.server.handle();
        actix_web::rt::spawn(async move {
            let signal = stop.await;
            tracing::info!(signal, timeout_secs = SHUTDOWN_TIMEOUT_SECS, "stopping: draining requests in flight");
            handle.stop(true).await;
        });
        self.server.await?;
        worker.abort();
        tracing::info!("stopped");
        Ok(())
    }
}

/// How long requests in flight may take to finish after a stop signal.
pub const SHUTDOWN_TIMEOUT_SECS: u64 = 10;

/// Resolves with the name of the first SIGINT or SIGTERM. The handlers are installed here,
/// at once, so a failure to install them stops start-up instead of leaving a server that
/// cannot be stopped gracefully.
#[cfg(unix)]
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = &'static str>> {
    use std::task::Poll;

    use actix_web::rt::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    Ok(std::future::poll_fn(move |cx| {
        if interrupt.poll_recv(cx).is_ready() {
            Poll::Ready("SIGINT")
        } else if terminate.poll_recv(cx).is_ready() {
            Poll::Ready("SIGTERM")
        } else {
            Poll::Pending
        }
    }))
}

#[cfg(not(unix))]
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = &'static str>> {
    Ok(async {
        let _ = actix_web::rt::signal::ctrl_c().await;
        "Ctrl-C"
    })
}

/// Creates the first system admin when none exists. A generated password is printed once
/// to standard error, outside the structured log, and never again.
fn bootstrap_admin(conn: &mut db::DbConn, settings: &Settings) -> Result<(), String> {
    let err = |e: diesel::result::Error| format!("bootstrap admin: {e}");
    if repo::logins::any_system_admin(conn).map_err(err)? {
        if settings.bootstrap_admin_password.is_some() {
            tracing::warn!(
                "SIPROV_BOOTSTRAP_ADMIN_PASSWORD ignored: a system admin already exists \
                 (the bootstrap password applies on first start only)"
            );
        }
        return Ok(());
    }
    let (password, generated) = match &settings.bootstrap_admin_password {
        Some(p) => (p.expose().to_owned(), false),
        None => (random_hex(16)?, true),
    };
    let hash = password::hash(&password).map_err(|e| format!("bootstrap admin: {e}"))?;
    repo::logins::insert(conn, &settings.bootstrap_admin_username, &hash, None).map_err(err)?;
    tracing::info!(username = %settings.bootstrap_admin_username, "created the bootstrap system admin");
    if generated {
        eprintln!(
            "\n  siprov: bootstrap system admin created\n    username: {}\n    password: {}\n  (shown once; set SIPROV_BOOTSTRAP_ADMIN_PASSWORD to choose it)\n",
            settings.bootstrap_admin_username, password
        );
    }
    Ok(())
}

/// The HS256 secret: from the environment, or generated once and kept in the database so
/// tokens survive restarts and every instance on one database shares it.
fn signing_secret(conn: &mut db::DbConn, settings: &Settings) -> Result<Vec<u8>, String> {
    if let Some(s) = &settings.jwt_secret {
        return Ok(s.expose().as_bytes().to_vec());
    }
    let fresh = random_hex(32)?;
    let stored =
        repo::settings::get_or_insert(conn, "jwt_secret", &fresh).map_err(|e| format!("signing secret: {e}"))?;
    Ok(stored.into_bytes())
}

fn random_hex(bytes: usize) -> Result<String, String> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(|e| format!("no randomness: {e}"))?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

/// Logs every request once (method, path, status, latency, request id) and returns the
/// request id as `x-request-id`.
async fn request_log(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let request_id = http::request_id::of(&req);
    req.extensions_mut().insert(http::request_id::RequestId(request_id.clone()));
    let method = req.method().to_string();
    let path = req.path().to_owned();
    let span = tracing::info_span!("request", request_id = %request_id, method = %method, path = %path);
    let started = Instant::now();
    let result = next.call(req).instrument(span.clone()).await;
    // Whole microseconds over 1000: the nearest double to a 3-decimal value, which prints
    // as that value (0.033, not 0.033111999999999996) in text and JSON alike.
    let latency_ms = started.elapsed().as_micros() as f64 / 1000.0;
    let _entered = span.enter();
    match result {
        Ok(mut res) => {
            let status = res.status().as_u16();
            tracing::info!(status, latency_ms, "request");
            if let Ok(v) = HeaderValue::from_str(&request_id) {
                res.headers_mut().insert(HeaderName::from_static(http::request_id::HEADER), v);
            }
            Ok(res)
        }
        Err(e) => {
            let status = e.as_response_error().status_code().as_u16();
            tracing::info!(status, latency_ms, "request");
            Err(e)
        }
    }
}
