//! The audit trail (L1) and what it feeds: the events' reader (L2, `trail`) and webhooks
//! (L3, L4: `webhooks`, `delivery`).
//!
//! Every write use case ends its transaction with one call, [`record`]: the event goes in
//! with the change or not at all, so a refused or failed request leaves none, and the
//! webhook deliveries it causes are written with it (a transactional outbox: no event is
//! lost to a crash between the commit and the send).

pub mod delivery;
pub mod send;
pub mod trail;
pub mod webhooks;

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::auth::Principal;
use crate::authz;
use crate::authz::audit::EventPlace;
use crate::db::repo::audit::EventRow;
use crate::db::{DbConn, now, repo};
use crate::domain::audit::{Action, ActionPattern, ResourceType, Verb};
use crate::domain::{Actor, NodeKind, NodeRef};
use crate::error::ApiError;

/// What a secret reads in `changes` (F1: never in an audit event).
pub const REDACTED: &str = "<redacted>";

/// The SP, Org and User an event lies under: who reads it (L2), kept on the event so it
/// outlives its resource.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Under {
    pub sp_id: Option<Uuid>,
    pub org_id: Option<Uuid>,
    pub user_id: Option<Uuid>,
}

impl Under {
    /// At a node: its own id and its ancestors'.
    pub fn node(n: &NodeRef) -> Under {
        Under { sp_id: Some(n.sp_id), org_id: n.org_id, user_id: (n.kind == NodeKind::User).then_some(n.id) }
    }

    /// A device: under its assignee when it has one (which lies below its context), else
    /// under its context.
    pub fn device(context: &NodeRef, assignee: Option<&NodeRef>) -> Under {
        Under::node(assignee.unwrap_or(context))
    }
}

/// `{field: {"from", "to"}}`; nested objects are named by their path (`voicemail.email`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Changes(BTreeMap<String, (Value, Value)>);

/// Fields every representation carries that are no change of their own.
const NOT_CHANGES: [&str; 3] = ["id", "created_at", "updated_at"];

impl Changes {
    /// The fields that differ between two representations of one resource.
    pub fn diff(before: &impl Serialize, after: &impl Serialize) -> Changes {
        let mut c = Changes::default();
        c.add_diff("", &to_value(before), &to_value(after));
        c
    }

    /// A new resource: every field from null.
    pub fn created(after: &impl Serialize) -> Changes {
        let mut c = Changes::default();
        c.add_diff("", &Value::Object(Map::new()), &to_value(after));
        c
    }

    /// A deleted resource: every field to null.
    pub fn deleted(before: &impl Serialize) -> Changes {
        let mut c = Changes::default();
        c.add_diff("", &to_value(before), &Value::Object(Map::new()));
        c
    }

    /// One field.
    pub fn set(mut self, field: &str, from: impl Serialize, to: impl Serialize) -> Changes {
        self.0.insert(field.to_owned(), (to_value(&from), to_value(&to)));
        self
    }

    /// A secret that was set (`had` tells whether it had a value before): both sides read
    /// [`REDACTED`] (or null for the side that had none).
    pub fn secret(self, field: &str, had: bool) -> Changes {
        let from = if had { Value::from(REDACTED) } else { Value::Null };
        self.set(field, from, REDACTED)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn to_json(&self) -> Value {
        Value::Object(
            self.0.iter().map(|(k, (from, to))| (k.clone(), serde_json::json!({"from": from, "to": to}))).collect(),
        )
    }

    fn add_diff(&mut self, prefix: &str, before: &Value, after: &Value) {
        match (before, after) {
            (Value::Object(b), Value::Object(a)) => {
                let keys: std::collections::BTreeSet<&String> = b.keys().chain(a.keys()).collect();
                for k in keys {
                    if prefix.is_empty() && NOT_CHANGES.contains(&k.as_str()) {
                        continue;
                    }
                    let path = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                    let (bv, av) = (b.get(k).unwrap_or(&Value::Null), a.get(k).unwrap_or(&Value::Null));
                    self.add_diff(&path, bv, av);
                }
            }
            (Value::Object(b), Value::Null) if !prefix.is_empty() => {
                self.add_diff(prefix, &Value::Object(b.clone()), &Value::Object(Map::new()))
            }
            (Value::Null, Value::Object(a)) if !prefix.is_empty() => {
                self.add_diff(prefix, &Value::Object(Map::new()), &Value::Object(a.clone()))
            }
            (b, a) if b != a => {
                self.0.insert(prefix.to_owned(), (b.clone(), a.clone()));
            }
            _ => {}
        }
    }
}

fn to_value(v: &impl Serialize) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// One event, as a use case describes it.
#[derive(Clone, Debug)]
pub struct Event {
    pub resource: ResourceType,
    pub verb: Verb,
    pub resource_id: Uuid,
    pub under: Under,
    pub changes: Changes,
}

impl Event {
    pub fn new(resource: ResourceType, verb: Verb, resource_id: Uuid, under: Under, changes: Changes) -> Event {
        Event { resource, verb, resource_id, under, changes }
    }

    /// An event about a node (created, updated, level changed, deleted, password set).
    pub fn node(n: &NodeRef, verb: Verb, changes: Changes) -> Event {
        Event::new(ResourceType::of_node(n.kind), verb, n.id, Under::node(n), changes)
    }
}

/// L1: appends the event in the caller's write transaction, with the webhook deliveries it
/// causes (L3). Call it last in the transaction.
pub fn record(conn: &mut DbConn, caller: &Principal, event: Event) -> Result<(), ApiError> {
    let action = Action::new(event.resource, event.verb)
        .ok_or_else(|| ApiError::internal(format!("{}.{} is not an action", event.resource, event.verb.as_str())))?;
    let mut row = EventRow {
        seq: 0,
        id: Uuid::now_v7(),
        at: now(),
        actor_username: caller.username.clone(),
        actor_client_id: caller.client.as_ref().map(|c| c.id.0),
        request_id: caller.request_id.clone(),
        action: action.to_string(),
        resource_type: event.resource.as_str().to_owned(),
        resource_id: event.resource_id,
        sp_id: event.under.sp_id,
        org_id: event.under.org_id,
        user_id: event.under.user_id,
        changes: event.changes.to_json().to_string(),
    };
    repo::audit::append(conn, &mut row)?;
    let place = EventPlace {
        resource: event.resource,
        sp_id: event.under.sp_id,
        org_id: event.under.org_id,
        user_id: event.under.user_id,
    };
    let under = [place.sp_id, place.org_id, place.user_id];
    for (webhook, patterns, node) in repo::audit::webhooks::enabled_of(conn, under)? {
        let wants = patterns_of(&patterns).iter().any(|p| p.matches(action));
        if wants && authz::audit::can_read_event(&Actor::Node(node), &place) {
            repo::audit::deliveries::insert(conn, Uuid::now_v7(), webhook, row.id, row.at)?;
        }
    }
    Ok(())
}

/// A webhook's stored filters.
pub(crate) fn patterns_of(stored: &str) -> Vec<ActionPattern> {
    serde_json::from_str::<Vec<String>>(stored)
        .unwrap_or_default()
        .iter()
        .filter_map(|p| ActionPattern::parse(p))
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn l1_changes_name_each_changed_field_by_its_path_with_from_and_to() {
        let before = json!({"id": 1, "name": "a", "voicemail": {"enabled": false, "email": null}, "updated_at": "x"});
        let after = json!({"id": 1, "name": "b", "voicemail": {"enabled": true, "email": null}, "updated_at": "y"});
        assert_eq!(
            Changes::diff(&before, &after).to_json(),
            json!({"name": {"from": "a", "to": "b"}, "voicemail.enabled": {"from": false, "to": true}})
        );
    }

    #[test]
    fn l1_a_create_lists_every_set_field_and_a_delete_every_field_it_had() {
        let v = json!({"id": 1, "name": "a", "label": null, "assigned_to": {"type": "user", "id": "u"}});
        assert_eq!(
            Changes::created(&v).to_json(),
            json!({"name": {"from": null, "to": "a"}, "assigned_to.type": {"from": null, "to": "user"},
                   "assigned_to.id": {"from": null, "to": "u"}})
        );
        assert_eq!(Changes::deleted(&v).to_json()["name"], json!({"from": "a", "to": null}));
    }

    #[test]
    fn l1_secrets_read_redacted() {
        let c = Changes::default().secret("password", false).secret("voicemail.pin", true);
        assert_eq!(
            c.to_json(),
            json!({"password": {"from": null, "to": REDACTED}, "voicemail.pin": {"from": REDACTED, "to": REDACTED}})
        );
    }
}
