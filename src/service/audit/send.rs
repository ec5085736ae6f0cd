//! Sending one webhook request (L3, L4): the body signed per the Standard Webhooks
//! specification, to an address checked when it is resolved, with every request's time
//! bounded, no redirect followed and no response body read.

use std::error::Error as StdError;
use std::future::Future;
use std::net::{SocketAddr, ToSocketAddrs};
use std::pin::Pin;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::authz;

/// The whole request: connection, TLS, sending, and the receiver's answer head.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Connecting and the TLS handshake.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// `v1,` and the base64 HMAC-SHA256 of `{id}.{timestamp}.{body}` keyed with the secret's
/// bytes (the base64 after `whsec_`), as the Standard Webhooks specification signs.
pub fn signature(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> Option<String> {
    let key = STANDARD.decode(secret.strip_prefix("whsec_")?).ok()?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).ok()?;
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    Some(format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes())))
}

/// Resolves a webhook's host and keeps only the addresses L4 allows, so a name that
/// resolves to a private address is refused at delivery even when it was public at
/// subscription; the connection goes to an address checked here, never to a second lookup.
struct Guarded {
    allow_insecure: bool,
}

type Lookup<'a> = Pin<Box<dyn Future<Output = Result<Vec<SocketAddr>, Box<dyn StdError>>> + 'a>>;

impl actix_tls::connect::Resolve for Guarded {
    fn lookup<'a>(&'a self, host: &'a str, port: u16) -> Lookup<'a> {
        let name = host.to_owned();
        let allow_insecure = self.allow_insecure;
        Box::pin(async move {
            let addrs = actix_web::rt::task::spawn_blocking(move || {
                (name.as_str(), port).to_socket_addrs().map(Iterator::collect::<Vec<_>>)
            })
            .await??;
            let allowed: Vec<SocketAddr> =
                addrs.into_iter().filter(|a| allow_insecure || authz::audit::is_public(a.ip())).collect();
            if allowed.is_empty() {
                return Err("the host resolves to no public address (rule L4)".into());
            }
            Ok(allowed)
        })
    }
}

/// The client of one delivery worker.
pub fn client(allow_insecure: bool) -> awc::Client {
    let tcp =
        actix_tls::connect::Connector::new(actix_tls::connect::Resolver::custom(Guarded { allow_insecure })).service();
    let connector = awc::Connector::new().connector(tcp).timeout(CONNECT_TIMEOUT);
    awc::Client::builder()
        .connector(connector)
        .timeout(REQUEST_TIMEOUT)
        .disable_redirects()
        .add_default_header(("user-agent", concat!("siprov-webhooks/", env!("CARGO_PKG_VERSION"))))
        .finish()
}

/// What one attempt came to.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub status: Option<u16>,
    pub duration: Duration,
    pub error: Option<String>,
}

impl Outcome {
    pub fn delivered(&self) -> bool {
        self.error.is_none()
    }
}

/// Sends `body` to `url`, signed: a 2xx answer delivers it; anything else (another
/// status, a redirect, a timeout, a refused address) is a failed attempt.
pub async fn send(
    client: &awc::Client,
    allow_insecure: bool,
    url: &str,
    secret: &str,
    id: &str,
    body: Vec<u8>,
) -> Outcome {
    let started = Instant::now();
    let failed =
        |status: Option<u16>, error: String| Outcome { status, duration: started.elapsed(), error: Some(error) };
    if let Err(why) = address_allowed(url, allow_insecure) {
        return failed(None, why.to_owned());
    }
    let timestamp = chrono::Utc::now().timestamp();
    let Some(signature) = signature(secret, id, timestamp, &body) else {
        return failed(None, "the webhook's secret is unusable".to_owned());
    };
    let sent = client
        .post(url)
        .insert_header(("content-type", "application/json"))
        .insert_header(("webhook-id", id))
        .insert_header(("webhook-timestamp", timestamp.to_string()))
        .insert_header(("webhook-signature", signature))
        .send_body(body)
        .await;
    match sent {
        Ok(res) if res.status().is_success() => {
            Outcome { status: Some(res.status().as_u16()), duration: started.elapsed(), error: None }
        }
        Ok(res) => failed(Some(res.status().as_u16()), format!("the receiver answered {}", res.status())),
        Err(e) => failed(None, e.to_string()),
    }
}

/// L4 again at delivery for what the resolver does not see: the scheme, and a host that
/// is an address literal.
fn address_allowed(url: &str, allow_insecure: bool) -> Result<(), &'static str> {
    let uri: actix_web::http::Uri = url.parse().map_err(|_| "the webhook's URL no longer parses")?;
    let host = uri.host().unwrap_or("").trim_start_matches('[').trim_end_matches(']');
    authz::audit::url_allowed(uri.scheme_str().unwrap_or(""), host, allow_insecure)
        .map_err(|_| "the webhook's URL is refused by rule L4")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn l3_signatures_follow_the_standard_webhooks_example() {
        // The example of the Standard Webhooks specification's reference libraries.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            signature(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body).as_deref(),
            Some("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        );
        assert!(signature("not-a-secret", "id", 1, b"").is_none());
    }
}
