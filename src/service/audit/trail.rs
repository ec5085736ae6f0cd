//! Reading the audit trail (L2): the events of what the caller may read in the tree,
//! oldest first, filtered, in cursor pages that stay stable while writes go on.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Principal;
use crate::authz;
use crate::db::repo::audit::{EventRow, Filters};
use crate::db::{DbConn, repo};
use crate::domain::Timestamp;
use crate::domain::audit::{Action, ResourceType};
use crate::domain::code::Code;
use crate::domain::validate::Errors;
use crate::error::ApiError;
use crate::service::{PageRequest, Paged};

/// Who made a change.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct EventActor {
    /// The login that made it (an API client's node login for a client).
    pub username: String,
    /// The API client that made it, or null for a person.
    pub api_client_id: Option<Uuid>,
}

/// What an event is about.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct EventResource {
    #[serde(rename = "type")]
    pub kind: ResourceType,
    pub id: Uuid,
}

/// One field's change.
#[derive(ToSchema)]
#[expect(dead_code, reason = "documents the shape of `changes` entries; built as JSON")]
pub struct FieldChange {
    /// The value before (null when there was none); a secret reads `"<redacted>"`.
    from: Value,
    /// The value after (null when there is none); a secret reads `"<redacted>"`.
    to: Value,
}

/// An audit event (L1): who changed what, when, in which request. Webhooks receive it as
/// their body.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AuditEvent {
    /// Time-ordered (UUIDv7).
    pub id: Uuid,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    pub actor: EventActor,
    /// The `x-request-id` the request that made the change was answered with.
    pub request_id: String,
    /// `{type}.{verb}`, e.g. `device.updated`.
    pub action: String,
    pub resource: EventResource,
    /// The service provider the resource lies under (null for none).
    pub service_provider_id: Option<Uuid>,
    /// The organization the resource lies under.
    pub organization_id: Option<Uuid>,
    /// The user the resource lies under.
    pub user_id: Option<Uuid>,
    /// `{field: {"from", "to"}}`; nested fields are named by their path (`voicemail.email`).
    #[schema(value_type = std::collections::HashMap<String, FieldChange>)]
    pub changes: Value,
}

impl From<EventRow> for AuditEvent {
    fn from(r: EventRow) -> AuditEvent {
        AuditEvent {
            id: r.id,
            at: r.at,
            actor: EventActor { username: r.actor_username, api_client_id: r.actor_client_id },
            request_id: r.request_id,
            action: r.action,
            resource: EventResource {
                kind: ResourceType::parse(&r.resource_type).unwrap_or(ResourceType::Device),
                id: r.resource_id,
            },
            service_provider_id: r.sp_id,
            organization_id: r.org_id,
            user_id: r.user_id,
            changes: serde_json::from_str(&r.changes).unwrap_or(Value::Null),
        }
    }
}

/// The filters of `GET /v1/audit-events`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Events about one kind of resource.
    #[param(value_type = Option<ResourceType>)]
    pub resource_type: Option<String>,
    /// Events about one resource.
    #[param(value_type = Option<Uuid>)]
    pub resource_id: Option<String>,
    /// One action, e.g. `device.updated`.
    #[param(schema_with = Action::schema)]
    pub action: Option<String>,
    /// The username that made the change.
    pub actor: Option<String>,
    /// Events at or after this time (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    pub since: Option<String>,
    /// Events before this time (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    pub until: Option<String>,
    /// Page size, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    #[param(value_type = Option<Uuid>)]
    pub cursor: Option<String>,
}

/// The filters as values, each checked (422 names every wrong one).
fn filters(q: &AuditQuery) -> Result<Filters, ApiError> {
    let mut errors = Errors::default();
    let mut f = Filters::default();
    if let Some(t) = &q.resource_type {
        match ResourceType::parse(t) {
            Some(t) => f.resource_type = Some(t.as_str().to_owned()),
            None => errors.add("resource_type", Code::UnknownResourceType, "not a resource type of the audit trail"),
        }
    }
    if let Some(id) = &q.resource_id {
        match crate::domain::ids::parse_uuid(id) {
            Some(id) => f.resource_id = Some(id),
            None => errors.add("resource_id", Code::InvalidValue, "resource_id must be a UUID"),
        }
    }
    if let Some(a) = &q.action {
        match Action::parse(a) {
            Some(a) => f.action = Some(a.to_string()),
            None => errors.add("action", Code::UnknownAction, "not an action of the audit trail (L1)"),
        }
    }
    f.actor = q.actor.clone();
    for (field, value, slot) in [("since", &q.since, &mut f.since), ("until", &q.until, &mut f.until)] {
        if let Some(v) = value {
            match Timestamp::parse(v) {
                Some(t) => *slot = Some(t),
                None => errors.add(field, Code::InvalidTime, "a time is RFC 3339, e.g. 2026-12-03T10:00:00Z"),
            }
        }
    }
    if errors.is_empty() { Ok(f) } else { Err(ApiError::invalid(errors.into_vec())) }
}

/// L2: one page of the events the caller reads, oldest first.
pub fn list(conn: &mut DbConn, caller: &Principal, q: &AuditQuery) -> Result<Paged<AuditEvent>, ApiError> {
    let scope = authz::audit::readable_events(&caller.actor);
    let filters = filters(q)?;
    let page = PageRequest::parse(q.limit, q.cursor.as_deref())?;
    let after = match page.after {
        Some(id) => Some(
            repo::audit::seq_of(conn, id)?
                .ok_or_else(|| ApiError::bad_request(Code::InvalidCursor, "the cursor is not one this API issued"))?,
        ),
        None => None,
    };
    let rows = repo::audit::list(conn, scope, &filters, after, page.limit)?;
    Ok(Paged::from_rows(rows, page, |r| r.id).map(AuditEvent::from))
}
