//! The authorization layer: every rule of `docs/domain.md` is decided here and nowhere else.
//!
//! Handlers gather facts (the caller's role context, the target node, the assignee, list
//! memberships) and call one pure `can_*` function; a [`Decision::Deny`] carries the rule
//! id and the stable error code that the HTTP layer turns into problem+json. Nothing here
//! does I/O, so every rule is unit-tested by its id below each function.
//!
//! Three rules are about data rather than permission, and are enforced where data is: D9
//! (one canonical MAC, unique: `domain::MacAddress` and a unique index), A1's unknown
//! username (422, a lookup) and A4's starting owners (written with the account or device).
//! Their unit tests by id are here all the same, next to the rules they serve.

pub mod accounts;
pub mod devices;
pub mod nodes;

use std::fmt;

/// Rule ids of `docs/domain.md`; they appear in 403 bodies as `"rule"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    N1,
    N2,
    N3,
    N4,
    N5,
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
    /// 409: the state forbids it (N4 `node_not_empty`, `account_in_use`).
    Conflict,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Denial {
    pub rule: Rule,
    pub code: &'static str,
    pub outcome: Outcome,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub enum Decision {
    Allow,
    Deny(Denial),
}

impl Decision {
    /// N5: outside what the caller may read, exactly as if it did not exist.
    pub const HIDDEN: Decision =
        Decision::Deny(Denial { rule: Rule::N5, code: "not_found", outcome: Outcome::NotFound });

    pub const fn forbidden(rule: Rule, code: &'static str) -> Decision {
        Decision::Deny(Denial { rule, code, outcome: Outcome::Forbidden })
    }

    pub const fn unprocessable(rule: Rule, code: &'static str) -> Decision {
        Decision::Deny(Denial { rule, code, outcome: Outcome::Unprocessable })
    }

    pub const fn conflict(rule: Rule, code: &'static str) -> Decision {
        Decision::Deny(Denial { rule, code, outcome: Outcome::Conflict })
    }

    pub fn is_allowed(self) -> bool {
        matches!(self, Decision::Allow)
    }

    pub fn is_hidden(self) -> bool {
        matches!(self, Decision::Deny(Denial { outcome: Outcome::NotFound, .. }))
    }

    /// The first refusal of two decisions, or Allow.
    pub fn and(self, next: impl FnOnce() -> Decision) -> Decision {
        match self {
            Decision::Allow => next(),
            deny => deny,
        }
    }

    /// For `?` in handlers: `authz::...(...).check()?`.
    pub fn check(self) -> Result<(), Denial> {
        match self {
            Decision::Allow => Ok(()),
            Decision::Deny(d) => Err(d),
        }
    }
}

#[cfg(test)]
pub(crate) mod testing {
    use super::{Decision, Outcome, Rule};

    #[track_caller]
    pub fn assert_denied(d: Decision, rule: Rule, code: &str) {
        match d {
            Decision::Deny(den) => {
                assert_eq!((den.rule, den.code), (rule, code), "wrong refusal: {den:?}");
                assert_ne!(den.outcome, Outcome::NotFound, "expected a visible refusal");
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
