//! Webhooks (L3, L4): a node's subscriptions to its audit events, managed like its API
//! clients (K1), with their delivery log and a manual retry.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{Changes, Event, Under};
use crate::auth::Principal;
use crate::authz;
use crate::authz::audit::UrlRefusal;
use crate::db::repo::audit::deliveries::{AttemptRow, DeliveryRow};
use crate::db::repo::audit::webhooks::WebhookRow;
use crate::db::repo::{Lock, Locked};
use crate::db::{DbConn, now, repo, write_tx};
use crate::domain::audit::{ActionPattern, ResourceType, Verb};
use crate::domain::code::Code;
use crate::domain::validate::{self, Errors};
use crate::domain::{NodeKind, NodeLink, NodeRef, Timestamp};
use crate::error::ApiError;
use crate::service::{Input, PageRequest, Paged};

/// The most filters one webhook has.
const MAX_PATTERNS: usize = 50;
/// The longest URL accepted.
const MAX_URL: usize = 2000;

/// A webhook (L3).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct WebhookView {
    pub id: Uuid,
    /// The node it belongs to: it receives the events that node reads (L2).
    pub node: NodeLink,
    /// Where events are sent (`https`, a public address: L4).
    pub url: String,
    #[schema(schema_with = ActionPattern::list_schema)]
    pub events: Vec<String>,
    pub description: Option<String>,
    /// False after 20 consecutive failed deliveries, until the webhook is changed.
    pub enabled: bool,
    pub consecutive_failures: i32,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

impl WebhookView {
    fn new(h: WebhookRow, kind: NodeKind) -> WebhookView {
        WebhookView {
            id: h.id,
            node: NodeLink { kind, id: h.node_id },
            url: h.url,
            events: serde_json::from_str(&h.events).unwrap_or_default(),
            description: h.description,
            enabled: h.enabled,
            consecutive_failures: h.consecutive_failures,
            created_at: h.created_at,
            updated_at: h.updated_at,
        }
    }
}

/// A new webhook and its signing secret, shown this once.
#[derive(Serialize, ToSchema)]
pub struct CreatedWebhook {
    #[serde(flatten)]
    pub webhook: WebhookView,
    /// `whsec_` and the base64 of 32 random bytes: the key of the Standard Webhooks
    /// signature (`webhook-signature`). Shown once.
    pub secret: String,
}

/// Body to create a webhook.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhook {
    /// `https` URL of a public address (L4).
    #[schema(max_length = 2000)]
    pub url: String,
    #[schema(schema_with = ActionPattern::list_schema)]
    pub events: Vec<String>,
    #[schema(schema_with = crate::domain::validate::schemas::nullable_label)]
    pub description: Option<String>,
}

/// Body of a webhook `PATCH`; a changed `url` or `enabled: true` enables it again and
/// starts its failure count afresh.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchWebhook {
    #[serde(default, deserialize_with = "crate::service::input::non_null")]
    #[schema(max_length = 2000, nullable = false)]
    pub url: Option<String>,
    #[serde(default, deserialize_with = "crate::service::input::non_null")]
    #[schema(schema_with = ActionPattern::list_schema)]
    pub events: Option<Vec<String>>,
    #[serde(default, deserialize_with = "crate::service::input::double_option")]
    #[schema(schema_with = crate::domain::validate::schemas::nullable_label)]
    pub description: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::service::input::non_null")]
    #[schema(nullable = false)]
    pub enabled: Option<bool>,
}

/// One attempt to deliver an event.
#[derive(Serialize, ToSchema)]
pub struct AttemptView {
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    /// The receiver's HTTP status, null when none came (timeout, refused address, TLS).
    pub status: Option<i32>,
    pub duration_ms: i32,
    /// Why it failed, null when it succeeded.
    pub error: Option<String>,
}

/// One event's delivery to a webhook, with every attempt.
#[derive(Serialize, ToSchema)]
pub struct DeliveryView {
    pub id: Uuid,
    pub event_id: Uuid,
    pub action: String,
    /// `pending` or `delivered`.
    pub state: String,
    /// Attempts so far.
    pub attempts: i32,
    /// When it is tried next (while pending).
    #[schema(value_type = String, format = DateTime)]
    pub next_attempt_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub delivered_at: Option<Timestamp>,
    pub attempt_log: Vec<AttemptView>,
}

fn delivery_view(d: DeliveryRow, log: Vec<AttemptRow>) -> DeliveryView {
    DeliveryView {
        id: d.id,
        event_id: d.event_id,
        action: d.action,
        state: d.state,
        attempts: d.attempts,
        next_attempt_at: d.next_attempt_at,
        created_at: d.created_at,
        delivered_at: d.delivered_at,
        attempt_log: log
            .into_iter()
            .map(|a| AttemptView { at: a.at, status: a.status, duration_ms: a.duration_ms, error: a.error })
            .collect(),
    }
}

/// L4 on a URL as sent: absolute, `https` (unless allowed), a host that is not a private
/// address.
fn check_url(errors: &mut Errors, field: &str, url: &str, allow_insecure: bool) {
    let uri = url.parse::<actix_web::http::Uri>().ok().filter(|_| url.len() <= MAX_URL);
    let parts = uri.as_ref().and_then(|u| {
        let authority = u.authority()?;
        let host = authority.host().trim_start_matches('[').trim_end_matches(']');
        (!authority.as_str().contains('@') && !host.is_empty()).then(|| (u.scheme_str().unwrap_or(""), host))
    });
    let Some((scheme, host)) = parts else {
        errors.add(field, Code::InvalidUrl, "url must be an absolute URL like https://hooks.example.com/siprov");
        return;
    };
    match authz::audit::url_allowed(scheme, host, allow_insecure) {
        Ok(()) => {}
        Err(UrlRefusal::Scheme) => errors.add(field, Code::InsecureUrl, "a webhook URL must be https (rule L4)"),
        Err(UrlRefusal::Address) => errors.add(
            field,
            Code::InsecureUrl,
            "a webhook URL may not name a loopback, private or link-local address (rule L4)",
        ),
    }
}

fn check_patterns(errors: &mut Errors, patterns: &[String]) {
    if patterns.is_empty() || patterns.len() > MAX_PATTERNS {
        errors.add("events", Code::InvalidActionPattern, "events lists 1 to 50 action patterns");
    }
    for (i, p) in patterns.iter().enumerate() {
        if ActionPattern::parse(p).is_none() {
            errors.add(
                &format!("events[{i}]"),
                Code::InvalidActionPattern,
                "an action pattern is `*`, `{type}.*` (e.g. `device.*`) or an action (e.g. `account.updated`)",
            );
        }
    }
}

fn check_description(errors: &mut Errors, d: Option<&str>) {
    if let Some(d) = d {
        errors.check("description", &validate::LABEL, d);
    }
}

/// `whsec_` and the base64 of 32 bytes from the OS's CSPRNG.
fn new_secret() -> Result<String, ApiError> {
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).map_err(|e| ApiError::internal(format!("no randomness: {e}")))?;
    Ok(format!("whsec_{}", STANDARD.encode(key)))
}

fn event(h: &WebhookView, verb: Verb, node: &NodeRef, changes: Changes) -> Event {
    Event::new(ResourceType::Webhook, verb, h.id, Under::node(node), changes)
}

/// A node the caller may manage webhooks of (else 404).
fn manageable_node(conn: &mut DbConn, caller: &Principal, id: Uuid, kind: NodeKind) -> Result<NodeRef, ApiError> {
    let node = repo::nodes::find_ref_kind(conn, id, kind)?.ok_or(ApiError::NotFound)?;
    authz::audit::can_manage_webhooks(&caller.actor, &node).check()?;
    Ok(node)
}

/// A webhook the caller may manage (else 404), with its node.
fn manageable(conn: &mut DbConn, caller: &Principal, id: Uuid) -> Result<(WebhookRow, NodeRef), ApiError> {
    let (h, node) = repo::audit::webhooks::find(conn, id)?.ok_or(ApiError::NotFound)?;
    authz::audit::can_manage_webhooks(&caller.actor, &node).check()?;
    Ok((h, node))
}

/// Subscribes a node to its events (L3); the secret is answered once.
pub fn create(
    conn: &mut DbConn,
    caller: &Principal,
    node: (Uuid, NodeKind),
    body: Input<CreateWebhook>,
    allow_insecure: bool,
) -> Result<CreatedWebhook, ApiError> {
    write_tx(conn, |conn| {
        repo::lock(conn, Locked::Nodes, node.0, Lock::Share)?;
        let owner = manageable_node(conn, caller, node.0, node.1)?;
        let b = body.parse()?;
        let mut errors = Errors::default();
        check_url(&mut errors, "url", &b.url, allow_insecure);
        check_patterns(&mut errors, &b.events);
        check_description(&mut errors, b.description.as_deref());
        if !errors.is_empty() {
            return Err(ApiError::invalid(errors.into_vec()));
        }
        let secret = new_secret()?;
        let ts = now();
        let row = WebhookRow {
            id: Uuid::now_v7(),
            node_id: owner.id,
            url: b.url,
            events: serde_json::to_string(&b.events).map_err(|e| ApiError::internal(e.to_string()))?,
            description: crate::service::clean(b.description),
            secret: secret.clone(),
            enabled: true,
            consecutive_failures: 0,
            created_at: ts,
            updated_at: ts,
        };
        repo::audit::webhooks::insert(conn, &row)?;
        let view = WebhookView::new(row, owner.kind);
        let changes = Changes::created(&view).secret("secret", false);
        super::record(conn, caller, event(&view, Verb::Created, &owner, changes))?;
        Ok(CreatedWebhook { webhook: view, secret })
    })
}

/// A node's webhooks (L3 by K1).
pub fn list(
    conn: &mut DbConn,
    caller: &Principal,
    node: (Uuid, NodeKind),
    limit: Option<i64>,
    cursor: Option<&str>,
) -> Result<Paged<WebhookView>, ApiError> {
    let owner = manageable_node(conn, caller, node.0, node.1)?;
    let page = PageRequest::parse(limit, cursor)?;
    let rows = repo::audit::webhooks::list(conn, owner.id, page.after, page.limit)?;
    Ok(Paged::from_rows(rows, page, |r| r.id).map(|r| WebhookView::new(r, owner.kind)))
}

pub fn get(conn: &mut DbConn, caller: &Principal, id: Uuid) -> Result<WebhookView, ApiError> {
    let (h, node) = manageable(conn, caller, id)?;
    Ok(WebhookView::new(h, node.kind))
}

/// Changes a webhook; what is written as it is changes nothing (N6).
pub fn update(
    conn: &mut DbConn,
    caller: &Principal,
    id: Uuid,
    body: Input<PatchWebhook>,
    allow_insecure: bool,
) -> Result<WebhookView, ApiError> {
    write_tx(conn, |conn| {
        let (mut h, node) = manageable(conn, caller, id)?;
        let b = body.parse()?;
        let mut errors = Errors::default();
        if let Some(url) = &b.url {
            check_url(&mut errors, "url", url, allow_insecure);
        }
        if let Some(events) = &b.events {
            check_patterns(&mut errors, events);
        }
        if let Some(d) = &b.description {
            check_description(&mut errors, d.as_deref());
        }
        if !errors.is_empty() {
            return Err(ApiError::invalid(errors.into_vec()));
        }
        let before = WebhookView::new(h.clone(), node.kind);
        let url_changed = b.url.as_ref().is_some_and(|u| *u != h.url);
        if let Some(url) = b.url {
            h.url = url;
        }
        if let Some(events) = b.events {
            h.events = serde_json::to_string(&events).map_err(|e| ApiError::internal(e.to_string()))?;
        }
        if let Some(d) = b.description {
            h.description = crate::service::clean(d);
        }
        match b.enabled {
            Some(false) => h.enabled = false,
            Some(true) => {
                h.enabled = true;
                h.consecutive_failures = 0;
            }
            None if url_changed => {
                h.enabled = true;
                h.consecutive_failures = 0;
            }
            None => {}
        }
        let after = WebhookView::new(h.clone(), node.kind);
        let changes = Changes::diff(&before, &after);
        if changes.is_empty() {
            return Ok(before);
        }
        h.updated_at = now();
        repo::audit::webhooks::update(conn, &h)?;
        super::record(conn, caller, event(&after, Verb::Updated, &node, changes))?;
        Ok(WebhookView::new(h, node.kind))
    })
}

/// Deletes a webhook and its pending deliveries.
pub fn delete(conn: &mut DbConn, caller: &Principal, id: Uuid) -> Result<(), ApiError> {
    write_tx(conn, |conn| {
        let (h, node) = manageable(conn, caller, id)?;
        repo::audit::webhooks::delete(conn, id)?;
        let view = WebhookView::new(h, node.kind);
        super::record(conn, caller, event(&view, Verb::Deleted, &node, Changes::deleted(&view)))
    })
}

/// A webhook's deliveries, oldest first, each with its attempts.
pub fn deliveries(
    conn: &mut DbConn,
    caller: &Principal,
    id: Uuid,
    limit: Option<i64>,
    cursor: Option<&str>,
) -> Result<Paged<DeliveryView>, ApiError> {
    manageable(conn, caller, id)?;
    let page = PageRequest::parse(limit, cursor)?;
    let rows = repo::audit::deliveries::list(conn, id, page.after, page.limit)?;
    let paged = Paged::from_rows(rows, page, |r| r.id);
    let mut items = Vec::with_capacity(paged.items.len());
    for d in paged.items {
        let log = repo::audit::deliveries::attempts_of(conn, d.id)?;
        items.push(delivery_view(d, log));
    }
    Ok(Paged { items, next: paged.next })
}

/// A manual retry: the delivery is due at once (delivered again if it was delivered). It
/// changes no resource, so it records no audit event.
pub fn retry(conn: &mut DbConn, caller: &Principal, id: Uuid, delivery: Uuid) -> Result<DeliveryView, ApiError> {
    write_tx(conn, |conn| {
        manageable(conn, caller, id)?;
        repo::audit::deliveries::find(conn, id, delivery)?.ok_or(ApiError::NotFound)?;
        repo::audit::deliveries::retry_now(conn, delivery, now())?;
        let d = repo::audit::deliveries::find(conn, id, delivery)?.ok_or(ApiError::NotFound)?;
        let log = repo::audit::deliveries::attempts_of(conn, delivery)?;
        Ok(delivery_view(d, log))
    })
}
