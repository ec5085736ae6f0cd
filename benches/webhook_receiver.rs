//! A webhook receiver for `benches/webhook_load.sh`: answers every `POST` 204 at once,
//! counts the distinct `webhook-id`s it got, and tells the count on `GET`. It stands in for a
//! partner's server, which would run elsewhere; written in Rust with one worker so that, on
//! the benchmark's shared machine, it takes little of the CPU siprov is measured on.
//!
//! `cargo run --release --example webhook_receiver -- PORT`

use std::collections::HashSet;
use std::sync::Mutex;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};

struct Seen(Mutex<HashSet<String>>);

async fn receive(req: HttpRequest, _body: web::Bytes, seen: web::Data<Seen>) -> HttpResponse {
    let id = req.headers().get("webhook-id").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    seen.0.lock().map(|mut s| s.insert(id)).ok();
    HttpResponse::NoContent().finish()
}

async fn count(seen: web::Data<Seen>) -> HttpResponse {
    let n = seen.0.lock().map(|s| s.len()).unwrap_or(0);
    HttpResponse::Ok().body(n.to_string())
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let port: u16 = std::env::args().nth(1).and_then(|p| p.parse().ok()).unwrap_or(18183);
    let seen = web::Data::new(Seen(Mutex::new(HashSet::new())));
    HttpServer::new(move || {
        App::new()
            .app_data(seen.clone())
            .route("/{tail:.*}", web::post().to(receive))
            .route("/{tail:.*}", web::get().to(count))
    })
    .workers(1)
    .bind(("127.0.0.1", port))?
    .run()
    .await
}
