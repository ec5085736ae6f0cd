//! The vocabulary of the audit trail (L1): what an event is about and what happened to it.
//! Actions are `{type}.{verb}`; only the pairs the rule book lists exist, so a webhook
//! filter or a query naming another is refused rather than silently matching nothing.

use std::fmt;

use serde::Serialize;
use utoipa::ToSchema;

/// The kind of resource an event is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ResourceType {
    ServiceProvider,
    Organization,
    User,
    Account,
    Device,
    ApiClient,
    Webhook,
}

impl ResourceType {
    pub const ALL: [ResourceType; 7] = [
        ResourceType::ServiceProvider,
        ResourceType::Organization,
        ResourceType::User,
        ResourceType::Account,
        ResourceType::Device,
        ResourceType::ApiClient,
        ResourceType::Webhook,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ResourceType::ServiceProvider => "service_provider",
            ResourceType::Organization => "organization",
            ResourceType::User => "user",
            ResourceType::Account => "account",
            ResourceType::Device => "device",
            ResourceType::ApiClient => "api_client",
            ResourceType::Webhook => "webhook",
        }
    }

    pub fn parse(s: &str) -> Option<ResourceType> {
        ResourceType::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// The resource type of a node kind.
    pub fn of_node(kind: super::NodeKind) -> ResourceType {
        match kind {
            super::NodeKind::ServiceProvider => ResourceType::ServiceProvider,
            super::NodeKind::Organization => ResourceType::Organization,
            super::NodeKind::User => ResourceType::User,
        }
    }
}

impl fmt::Display for ResourceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What happened to the resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Verb {
    Created,
    Updated,
    Deleted,
    LevelChanged,
    OwnerAdded,
    OwnerRemoved,
    AdministratorAdded,
    AdministratorRemoved,
    LineAdded,
    LineRemoved,
    SipPasswordRotated,
    ProvisioningPasswordRotated,
    SecretRotated,
    PasswordSet,
}

impl Verb {
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Created => "created",
            Verb::Updated => "updated",
            Verb::Deleted => "deleted",
            Verb::LevelChanged => "level_changed",
            Verb::OwnerAdded => "owner_added",
            Verb::OwnerRemoved => "owner_removed",
            Verb::AdministratorAdded => "administrator_added",
            Verb::AdministratorRemoved => "administrator_removed",
            Verb::LineAdded => "line_added",
            Verb::LineRemoved => "line_removed",
            Verb::SipPasswordRotated => "sip_password_rotated",
            Verb::ProvisioningPasswordRotated => "provisioning_password_rotated",
            Verb::SecretRotated => "secret_rotated",
            Verb::PasswordSet => "password_set",
        }
    }

    const ALL: [Verb; 14] = [
        Verb::Created,
        Verb::Updated,
        Verb::Deleted,
        Verb::LevelChanged,
        Verb::OwnerAdded,
        Verb::OwnerRemoved,
        Verb::AdministratorAdded,
        Verb::AdministratorRemoved,
        Verb::LineAdded,
        Verb::LineRemoved,
        Verb::SipPasswordRotated,
        Verb::ProvisioningPasswordRotated,
        Verb::SecretRotated,
        Verb::PasswordSet,
    ];
}

/// One action of the rule book's list (L1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Action {
    pub resource: ResourceType,
    pub verb: Verb,
}

impl Action {
    /// The action, if L1 lists it.
    pub fn new(resource: ResourceType, verb: Verb) -> Option<Action> {
        use ResourceType as R;
        use Verb as V;
        let exists = match verb {
            V::Created | V::Updated | V::Deleted => true,
            V::LevelChanged | V::PasswordSet => {
                matches!(resource, R::ServiceProvider | R::Organization | R::User)
            }
            V::OwnerAdded | V::OwnerRemoved => matches!(resource, R::Account | R::Device),
            V::AdministratorAdded | V::AdministratorRemoved | V::SipPasswordRotated => resource == R::Account,
            V::LineAdded | V::LineRemoved | V::ProvisioningPasswordRotated => resource == R::Device,
            V::SecretRotated => resource == R::ApiClient,
        };
        exists.then_some(Action { resource, verb })
    }

    /// Every action, in the rule book's order.
    pub fn all() -> impl Iterator<Item = Action> {
        ResourceType::ALL.into_iter().flat_map(|r| Verb::ALL.into_iter().filter_map(move |v| Action::new(r, v)))
    }

    pub fn parse(s: &str) -> Option<Action> {
        Action::all().find(|a| a.to_string() == s)
    }

    /// The OpenAPI schema of an action: an enum of every action L1 lists, so a client (or
    /// a schema-driven tool) knows which a filter takes.
    pub fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some("One action, `{type}.{verb}`, e.g. `device.updated`."))
            .enum_values(Some(Action::all().map(|a| a.to_string())))
            .into()
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.resource.as_str(), self.verb.as_str())
    }
}

/// A webhook's filter: `*` (every action), `{type}.*` (every action on a type) or one
/// action of the list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ActionPattern {
    Any,
    Type(ResourceType),
    Exact(Action),
}

impl ActionPattern {
    pub fn parse(s: &str) -> Option<ActionPattern> {
        if s == "*" {
            return Some(ActionPattern::Any);
        }
        if let Some(t) = s.strip_suffix(".*") {
            return ResourceType::parse(t).map(ActionPattern::Type);
        }
        Action::parse(s).map(ActionPattern::Exact)
    }

    /// Every pattern there is: `*`, `{type}.*` for each type, and each action.
    pub fn all() -> impl Iterator<Item = String> {
        std::iter::once("*".to_owned())
            .chain(ResourceType::ALL.into_iter().map(|t| format!("{}.*", t.as_str())))
            .chain(Action::all().map(|a| a.to_string()))
    }

    /// The OpenAPI schema of a webhook's `events`: 1 to 50 patterns, each one of [`all`].
    ///
    /// [`all`]: ActionPattern::all
    pub fn list_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
        let item = ObjectBuilder::new().schema_type(Type::String).enum_values(Some(ActionPattern::all()));
        ArrayBuilder::new()
            .items(item)
            .min_items(Some(1))
            .max_items(Some(50))
            .description(Some(
                "1 to 50 action patterns: `*`, `{type}.*` (e.g. `device.*`) or an action (e.g. `account.updated`).",
            ))
            .into()
    }

    pub fn matches(&self, action: Action) -> bool {
        match self {
            ActionPattern::Any => true,
            ActionPattern::Type(t) => action.resource == *t,
            ActionPattern::Exact(a) => *a == action,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pattern_the_schema_lists_parses_and_nothing_else_of_its_shape_does() {
        let all: Vec<String> = ActionPattern::all().collect();
        assert_eq!(all.len(), 1 + ResourceType::ALL.len() + Action::all().count());
        assert!(all.iter().all(|p| ActionPattern::parse(p).is_some()), "{all:?}");
        for bad in ["", "**", "device", "device.", "phone.*", "device.exploded", "Device.*", " device.*"] {
            assert!(ActionPattern::parse(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn the_action_list_is_the_rule_books() {
        let all: Vec<String> = Action::all().map(|a| a.to_string()).collect();
        for a in [
            "service_provider.level_changed",
            "user.password_set",
            "account.owner_added",
            "account.administrator_removed",
            "device.owner_removed",
            "device.line_added",
            "account.sip_password_rotated",
            "device.provisioning_password_rotated",
            "api_client.secret_rotated",
            "webhook.deleted",
        ] {
            assert!(all.contains(&a.to_owned()), "{a} missing");
        }
        assert!(Action::parse("device.level_changed").is_none());
        assert!(Action::parse("webhook.password_set").is_none());
        assert_eq!(all.len(), 7 * 3 + 3 * 2 + 2 * 2 + 2 + 1 + 2 + 1 + 1);
    }

    #[test]
    fn patterns_are_star_a_type_star_or_one_action() {
        let device_updated = Action::parse("device.updated").unwrap();
        assert!(ActionPattern::parse("*").unwrap().matches(device_updated));
        assert!(ActionPattern::parse("device.*").unwrap().matches(device_updated));
        assert!(!ActionPattern::parse("account.*").unwrap().matches(device_updated));
        assert!(ActionPattern::parse("device.updated").unwrap().matches(device_updated));
        for bad in ["", "device", "device.", "*.created", "phone.*", "device.exploded", "device.**"] {
            assert!(ActionPattern::parse(bad).is_none(), "{bad:?} accepted");
        }
    }
}
