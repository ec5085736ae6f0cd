//! The authorization layer: every rule of `docs/domain.md` is decided here and nowhere else.
//!
//! The service layer gathers facts (the caller's role context, the target node, the
//! assignee, list memberships) and calls one pure `can_*` function; a [`Decision::Deny`]
//! carries a [`Refusal`]: the rule id, the stable error code, how it reaches the client and
//! the sentence that explains it. Nothing here does I/O, so every rule is unit-tested by its
//! id below each function.
//!
//! Three rules are about data rather than permission, and are enforced where data is: D9
//! (one canonical MAC, unique: `domain::MacAddress` and a unique index, whose violation is
//! [`Refusal::MacInUse`]), A1's unknown username (422, a lookup) and A4's starting owners
//! (decided here by `first_owner` functions, written with the account or device).
//!
//! Phone provisioning (F1–F9) is in [`provisioning`]: who issues which secret and sees which
//! configuration, and what an authenticated phone may fetch. How a phone's credentials are
//! checked (F4) is the pure `crate::provisioning::digest`; what its verdict allows is here.

pub mod access;
pub mod accounts;
pub mod audit;
pub mod devices;
pub mod nodes;
pub mod provisioning;

use std::fmt;

/// Rule ids of `docs/domain.md`; they appear in 403 bodies as `"rule"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    N1,
    N2,
    N3,
    N4,
    N5,
    N6,
    P1,
    P2,
    P3,
    P4,
    D0,
    D1,
    D2,
    D3,
    D4,
    D5,
    D6,
    D7,
    D8,
    D9,
    A1,
    A2,
    A3,
    A4,
    A5,
    A6,
    A7,
    M1,
    L1,
    L2,
    L3,
    L4,
    F1,
    F2,
    F3,
    F4,
    F5,
    F6,
    F7,
    F8,
    F9,
    K1,
    K2,
    K3,
    K4,
    K5,
    K6,
    K7,
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// How a refusal reaches the client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// 404, indistinguishable from a resource that does not exist (N5).
    NotFound,
    /// 403 with `code` and `rule`.
    Forbidden,
    /// 422: the request is allowed in principle but its values cannot be (D4 `assignment_required`).
    Unprocessable,
    /// 409: the state forbids it (N4 `node_not_empty`, `account_in_use`, D9 `mac_in_use`).
    Conflict,
}

/// Every refusal a rule can give: its rule id, stable code, outcome and explanation live
/// together, so a code cannot exist without its rule and its text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// N5: outside what the caller may read, exactly as if it did not exist.
    Hidden,
    CreateNotAllowed,
    CannotDeleteSelf,
    NodeNotEmpty,
    NotParent,
    LevelExceedsOwn,
    SipDevicesAreaHidden,
    AssigneeLacksModify,
    AssignmentRequired,
    ContextLacksModify,
    ViewOnly,
    AssignToSelfOnly,
    NotOwnAccount,
    ProvisioningNotAllowed,
    MacInUse,
    NotAccountManager,
    OwnersOnly,
    TreeOnly,
    AccountInUse,
    AccountNotManaged,
    SipPasswordNotAllowed,
    ProvisioningLoginNotAllowed,
    InsufficientScope,
    NotAPerson,
    NotAnAncestor,
}

impl Refusal {
    /// Every refusal, for documentation (the OpenAPI enum of problem codes) and tests.
    pub const ALL: [Refusal; 25] = [
        Refusal::Hidden,
        Refusal::CreateNotAllowed,
        Refusal::CannotDeleteSelf,
        Refusal::NodeNotEmpty,
        Refusal::NotParent,
        Refusal::LevelExceedsOwn,
        Refusal::SipDevicesAreaHidden,
        Refusal::AssigneeLacksModify,
        Refusal::AssignmentRequired,
        Refusal::ContextLacksModify,
        Refusal::ViewOnly,
        Refusal::AssignToSelfOnly,
        Refusal::NotOwnAccount,
        Refusal::ProvisioningNotAllowed,
        Refusal::MacInUse,
        Refusal::NotAccountManager,
        Refusal::OwnersOnly,
        Refusal::TreeOnly,
        Refusal::AccountInUse,
        Refusal::AccountNotManaged,
        Refusal::SipPasswordNotAllowed,
        Refusal::ProvisioningLoginNotAllowed,
        Refusal::InsufficientScope,
        Refusal::NotAPerson,
        Refusal::NotAnAncestor,
    ];

    pub fn rule(self) -> Rule {
        use Refusal::*;
        match self {
            Hidden => Rule::N5,
            CreateNotAllowed => Rule::N1,
            CannotDeleteSelf | NodeNotEmpty => Rule::N4,
            NotParent => Rule::P1,
            LevelExceedsOwn => Rule::P2,
            SipDevicesAreaHidden => Rule::D1,
            AssigneeLacksModify | AssignmentRequired => Rule::D4,
            ContextLacksModify => Rule::D5,
            ViewOnly => Rule::D6,
            AssignToSelfOnly | NotOwnAccount => Rule::D7,
            ProvisioningNotAllowed => Rule::D8,
            MacInUse => Rule::D9,
            NotAccountManager => Rule::A2,
            OwnersOnly => Rule::A3,
            TreeOnly | AccountInUse => Rule::A5,
            AccountNotManaged => Rule::A6,
            SipPasswordNotAllowed => Rule::F2,
            ProvisioningLoginNotAllowed => Rule::F3,
            InsufficientScope => Rule::K2,
            NotAPerson => Rule::K3,
            NotAnAncestor => Rule::K5,
        }
    }

    pub fn code(self) -> &'static str {
        use Refusal::*;
        match self {
            Hidden => "not_found",
            CreateNotAllowed => "create_not_allowed",
            CannotDeleteSelf => "cannot_delete_self",
            NodeNotEmpty => "node_not_empty",
            NotParent => "not_parent",
            LevelExceedsOwn => "level_exceeds_own",
            SipDevicesAreaHidden => "sip_devices_area_hidden",
            AssigneeLacksModify => "assignee_lacks_modify",
            AssignmentRequired => "assignment_required",
            ContextLacksModify => "context_lacks_modify",
            ViewOnly => "view_only",
            AssignToSelfOnly => "assign_to_self_only",
            NotOwnAccount => "not_own_account",
            ProvisioningNotAllowed => "provisioning_not_allowed",
            MacInUse => "mac_in_use",
            NotAccountManager => "not_account_manager",
            OwnersOnly => "owners_only",
            TreeOnly => "tree_only",
            AccountInUse => "account_in_use",
            AccountNotManaged => "account_not_managed",
            // The same refusals as A2's and D8's, named under the F rules that apply them.
            SipPasswordNotAllowed => "not_account_manager",
            ProvisioningLoginNotAllowed => "provisioning_not_allowed",
            InsufficientScope => "insufficient_scope",
            NotAPerson => "not_a_person",
            NotAnAncestor => "not_an_ancestor",
        }
    }

    pub fn outcome(self) -> Outcome {
        use Refusal::*;
        match self {
            Hidden => Outcome::NotFound,
            AssignmentRequired => Outcome::Unprocessable,
            NodeNotEmpty | AccountInUse | MacInUse => Outcome::Conflict,
            _ => Outcome::Forbidden,
        }
    }

    /// What the client reads in `detail`.
    pub fn detail(self) -> &'static str {
        use Refusal::*;
        match self {
            Hidden => "no such resource",
            CreateNotAllowed => "the caller may not create this kind of node here",
            CannotDeleteSelf => "a node is deleted by an ancestor, never by itself",
            NodeNotEmpty => "the node still has children, accounts or devices; remove them first",
            NotParent => "only the parent node's owner or a system admin sets a node's device_provisioning",
            LevelExceedsOwn => "a parent may set a child's device_provisioning at most to its own level",
            SipDevicesAreaHidden => "the caller's device_provisioning is none: the SIP devices area is not available",
            AssigneeLacksModify => {
                "with view, devices in the caller's own context may only be assigned to nodes with modify"
            }
            AssignmentRequired => "a node below has modify: the device must be assigned to one of those nodes",
            ContextLacksModify => "with view, devices may be added in a descendant's context only when it has modify",
            ViewOnly => "a user with view may not add or change devices",
            AssignToSelfOnly => "a user provisions devices for itself only: assigned_to must be the user",
            NotOwnAccount => "a user provisions its own phones with its own accounts only",
            ProvisioningNotAllowed => {
                "changing the MAC, vendor, model, label or assignment, or deleting, needs provisioning rights in the device's context"
            }
            MacInUse => "a device with this MAC address already exists",
            NotAccountManager => "only the account's owners, administrators and tree owners change it",
            OwnersOnly => "only account owners change the owners list",
            TreeOnly => "accounts are created and deleted by the owners of the user's organization or service provider",
            AccountInUse => "the account is still on a device line; take it off the device first",
            AccountNotManaged => "only numbers the caller manages (owner, administrator or tree) can go on a line",
            SipPasswordNotAllowed => {
                "an account's SIP password is rotated by its owners, administrators and tree owners"
            }
            ProvisioningLoginNotAllowed => {
                "a device's provisioning password is issued by those with provisioning rights in its context"
            }
            InsufficientScope => "this API client's scope is read: it may only send GET requests",
            NotAPerson => "API clients cannot manage API clients or passwords; a person's login must do it",
            NotAnAncestor => {
                "a login changes its own password with POST /v1/me/password and its current password; \
                 this route is for the owners of ancestor nodes and system admins"
            }
        }
    }

    /// The request field a value refusal is about (a 422 names its field).
    pub fn field(self) -> Option<&'static str> {
        match self {
            Refusal::AssignmentRequired => Some("assigned_to"),
            _ => None,
        }
    }
}

/// N6: a field written with the value it already has is not changed, so the rules about
/// changing that field do not apply to it and nothing of it is written. The value a write
/// changes a field to: none when the field is absent from the write or already has it.
pub fn change<T: PartialEq>(current: &T, written: Option<T>) -> Option<T> {
    written.filter(|w| w != current)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub enum Decision {
    Allow,
    Deny(Refusal),
}

impl Decision {
    /// N5: outside what the caller may read, exactly as if it did not exist.
    pub const HIDDEN: Decision = Decision::Deny(Refusal::Hidden);

    pub fn is_allowed(self) -> bool {
        matches!(self, Decision::Allow)
    }

    pub fn is_hidden(self) -> bool {
        matches!(self, Decision::Deny(r) if r.outcome() == Outcome::NotFound)
    }

    /// The first refusal of two decisions, or Allow.
    pub fn and(self, next: impl FnOnce() -> Decision) -> Decision {
        match self {
            Decision::Allow => next(),
            deny => deny,
        }
    }

    /// For `?` in the service layer: `authz::...(...).check()?`.
    pub fn check(self) -> Result<(), Refusal> {
        match self {
            Decision::Allow => Ok(()),
            Decision::Deny(r) => Err(r),
        }
    }
}

#[cfg(test)]
pub(crate) mod testing {
    use super::{Decision, Outcome, Rule};

    #[track_caller]
    pub fn assert_denied(d: Decision, rule: Rule, code: &str) {
        match d {
            Decision::Deny(r) => {
                assert_eq!((r.rule(), r.code()), (rule, code), "wrong refusal: {r:?}");
                assert_ne!(r.outcome(), Outcome::NotFound, "expected a visible refusal");
            }
            Decision::Allow => panic!("expected {rule} {code}, got Allow"),
        }
    }

    #[track_caller]
    pub fn assert_hidden(d: Decision) {
        assert!(d.is_hidden(), "expected 404 (N5), got {d:?}");
    }

    #[track_caller]
    pub fn assert_allowed(d: Decision) {
        assert_eq!(d, Decision::Allow);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_refusal_code_is_unique_per_rule_snake_case_and_explained() {
        // A code may be given under several rules (F2 applies A2's refusal), never twice
        // under one rule.
        let mut codes: Vec<(&str, Rule)> = Refusal::ALL.iter().map(|r| (r.code(), r.rule())).collect();
        for r in Refusal::ALL {
            assert!(r.code().bytes().all(|b| b.is_ascii_lowercase() || b == b'_'), "{r:?}");
            assert!(!r.detail().is_empty(), "{r:?}");
        }
        codes.sort_unstable_by_key(|(c, r)| (*c, r.to_string()));
        codes.dedup();
        assert_eq!(codes.len(), Refusal::ALL.len());
    }

    #[test]
    fn n6_a_value_written_as_it_already_is_is_no_change() {
        assert_eq!(change(&"Sales", Some("Sales")), None);
        assert_eq!(change(&"Sales", Some("Sales EMEA")), Some("Sales EMEA"));
        assert_eq!(change(&"Sales", None), None);
        assert_eq!(change(&crate::domain::Level::View, Some(crate::domain::Level::View)), None);
    }
}
