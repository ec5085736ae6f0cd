//! Pure domain types and validation: no actix, no diesel. Everything here is cheap to test
//! and shared by the authorization layer, the repositories and the HTTP layer.

pub mod audit;
pub mod code;
pub mod ids;
mod mac;
mod number;
pub mod sip;
pub mod time;
pub mod validate;

pub use ids::{AccountId, ApiClientId, DeviceId, LoginId, NodeId};
pub use mac::MacAddress;
pub use number::PhoneNumber;
pub use time::Timestamp;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// "Allow to provision devices" (domain.md §1). The derived order is the rule book's
/// `modify > view > none`, which P2 compares with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    None,
    View,
    Modify,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::None => "none",
            Level::View => "view",
            Level::Modify => "modify",
        }
    }

    pub fn parse(s: &str) -> Option<Level> {
        match s {
            "none" => Some(Level::None),
            "view" => Some(Level::View),
            "modify" => Some(Level::Modify),
            _ => None,
        }
    }
}

/// What an API client may do (K2): `read` is GET only, `write` whatever its node may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    Read,
    Write,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Write => "write",
        }
    }

    pub fn parse(s: &str) -> Option<Scope> {
        match s {
            "read" => Some(Scope::Read),
            "write" => Some(Scope::Write),
            _ => None,
        }
    }
}

/// The three kinds of node of the tenant tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    ServiceProvider,
    Organization,
    User,
}

impl NodeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NodeKind::ServiceProvider => "service_provider",
            NodeKind::Organization => "organization",
            NodeKind::User => "user",
        }
    }

    pub fn parse(s: &str) -> Option<NodeKind> {
        match s {
            "service_provider" => Some(NodeKind::ServiceProvider),
            "organization" => Some(NodeKind::Organization),
            "user" => Some(NodeKind::User),
            _ => None,
        }
    }
}

/// A reference to a node as the API shows it: `{"type": "organization", "id": "…"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NodeLink {
    #[serde(rename = "type")]
    pub kind: NodeKind,
    pub id: Uuid,
}

/// A node's place in the tree and its level: every fact the rules need about a node.
///
/// The tree has a fixed depth (SP → Org → User), so each node carries its SP and Org ids;
/// "is X below C" is then a comparison, never a walk, and the same two columns are what
/// the database indexes for the "any `modify` below" question of D4.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeRef {
    pub id: Uuid,
    pub kind: NodeKind,
    /// The service provider this node belongs to (itself for an SP).
    pub sp_id: Uuid,
    /// The organization this node belongs to (itself for an Org, none for an SP).
    pub org_id: Option<Uuid>,
    pub level: Level,
}

impl NodeRef {
    /// True when `self` lies strictly below `ancestor`.
    pub fn is_strictly_below(&self, ancestor: &NodeRef) -> bool {
        match ancestor.kind {
            NodeKind::ServiceProvider => self.id != ancestor.id && self.sp_id == ancestor.id,
            NodeKind::Organization => self.kind == NodeKind::User && self.org_id == Some(ancestor.id),
            NodeKind::User => false,
        }
    }

    /// True when `self` is `ancestor` or lies below it.
    pub fn is_at_or_below(&self, ancestor: &NodeRef) -> bool {
        self.id == ancestor.id || self.is_strictly_below(ancestor)
    }

    pub fn link(&self) -> NodeLink {
        NodeLink { kind: self.kind, id: self.id }
    }

    /// The parent node's id: none for an SP.
    pub fn parent_id(&self) -> Option<Uuid> {
        match self.kind {
            NodeKind::ServiceProvider => None,
            NodeKind::Organization => Some(self.sp_id),
            NodeKind::User => self.org_id,
        }
    }
}

/// Who a caller acts as: its role context (domain.md §1), read from the database on every
/// request so that a change of level or a deleted login counts at once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Actor {
    SystemAdmin,
    Node(NodeRef),
}

impl Actor {
    pub fn role(&self) -> &'static str {
        match self {
            Actor::SystemAdmin => "system_admin",
            Actor::Node(n) => n.kind.as_str(),
        }
    }

    pub fn node(&self) -> Option<&NodeRef> {
        match self {
            Actor::SystemAdmin => None,
            Actor::Node(n) => Some(n),
        }
    }
}

/// Where a device may be assigned, given where it lives: an Org or User strictly below its
/// context, or the context User itself (domain.md §2, preamble). This is the shape of the
/// data, not a permission: a device assigned elsewhere is invalid input for everyone.
pub fn assignment_fits(context: &NodeRef, assignee: &NodeRef) -> bool {
    match assignee.kind {
        NodeKind::ServiceProvider => false,
        NodeKind::Organization => assignee.is_strictly_below(context),
        NodeKind::User => assignee.is_at_or_below(context),
    }
}

#[cfg(test)]
pub(crate) mod fixtures {
    use super::*;

    /// A small tree: sp1 → org1 → user1, user1b; sp1 → org2 → user2; sp2 → org3 → user3.
    pub struct Tree {
        pub sp1: NodeRef,
        pub org1: NodeRef,
        pub user1: NodeRef,
        pub user1b: NodeRef,
        pub org2: NodeRef,
        pub user2: NodeRef,
        pub sp2: NodeRef,
        pub org3: NodeRef,
        pub user3: NodeRef,
    }

    pub fn sp(level: Level) -> NodeRef {
        let id = Uuid::new_v4();
        NodeRef { id, kind: NodeKind::ServiceProvider, sp_id: id, org_id: None, level }
    }

    pub fn org(sp: &NodeRef, level: Level) -> NodeRef {
        let id = Uuid::new_v4();
        NodeRef { id, kind: NodeKind::Organization, sp_id: sp.id, org_id: Some(id), level }
    }

    pub fn user(org: &NodeRef, level: Level) -> NodeRef {
        NodeRef { id: Uuid::new_v4(), kind: NodeKind::User, sp_id: org.sp_id, org_id: org.org_id, level }
    }

    pub fn tree() -> Tree {
        let sp1 = sp(Level::Modify);
        let org1 = org(&sp1, Level::Modify);
        let user1 = user(&org1, Level::Modify);
        let user1b = user(&org1, Level::Modify);
        let org2 = org(&sp1, Level::Modify);
        let user2 = user(&org2, Level::Modify);
        let sp2 = sp(Level::Modify);
        let org3 = org(&sp2, Level::Modify);
        let user3 = user(&org3, Level::Modify);
        Tree { sp1, org1, user1, user1b, org2, user2, sp2, org3, user3 }
    }

    pub fn with(n: &NodeRef, level: Level) -> NodeRef {
        NodeRef { level, ..n.clone() }
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::*;
    use super::*;

    #[test]
    fn levels_order_as_modify_above_view_above_none() {
        assert!(Level::Modify > Level::View && Level::View > Level::None);
    }

    #[test]
    fn below_is_strict_and_follows_the_tree() {
        let t = tree();
        assert!(t.org1.is_strictly_below(&t.sp1));
        assert!(t.user1.is_strictly_below(&t.sp1));
        assert!(t.user1.is_strictly_below(&t.org1));
        assert!(!t.user2.is_strictly_below(&t.org1));
        assert!(!t.sp1.is_strictly_below(&t.sp1));
        assert!(t.sp1.is_at_or_below(&t.sp1));
        assert!(!t.user3.is_at_or_below(&t.sp1));
        assert!(!t.user1b.is_at_or_below(&t.user1));
    }

    #[test]
    fn a_device_is_assigned_only_below_its_context_or_to_its_context_user() {
        let t = tree();
        assert!(assignment_fits(&t.sp1, &t.org1));
        assert!(assignment_fits(&t.sp1, &t.user1));
        assert!(!assignment_fits(&t.sp1, &t.sp1));
        assert!(!assignment_fits(&t.org1, &t.org1));
        assert!(assignment_fits(&t.user1, &t.user1));
        assert!(!assignment_fits(&t.org1, &t.user2));
        assert!(!assignment_fits(&t.user1, &t.user1b));
    }
}
