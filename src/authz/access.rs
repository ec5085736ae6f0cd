//! API clients and sessions, K1–K7 (domain.md §6): who manages API clients and passwords,
//! what a client's scope lets through, and when failed logins are throttled.
//!
//! K4 (deleting a client or rotating its secret refuses its tokens), K5's "refuses every
//! token issued before" and K6 (revoking a token, or every token of a login) are decided by
//! [`token_honoured`] from what the one query that loads the caller's role context reads
//! (`db::repo::identity`): the stored generation and whether the token was revoked; a
//! deleted client or login reads as nothing at all. Anyone holding a token may revoke it,
//! and every login or client may revoke all of its own (K6): nothing to decide there.

use super::{Decision, Refusal, nodes};
use crate::domain::{Actor, NodeRef, Scope};

/// K1/K3: API clients of a node are created, listed, read, changed, rotated and deleted by
/// the node's login, its ancestors' logins and system admins (the callers that may read
/// the node, N2), never by an API client (K3). Outside what the caller reads: 404 (N5).
pub fn can_manage_clients(actor: &Actor, via_client: bool, node: &NodeRef) -> Decision {
    person_only(via_client).and(|| nodes::can_read(actor, node))
}

/// K2: a `read` client sends GET (and HEAD) only.
pub fn within_scope(scope: Option<Scope>, safe_method: bool) -> Decision {
    match scope {
        Some(Scope::Read) if !safe_method => Decision::Deny(Refusal::InsufficientScope),
        _ => Decision::Allow,
    }
}

/// K3: what only a person's login may do (its own password, API clients).
pub fn person_only(via_client: bool) -> Decision {
    if via_client { Decision::Deny(Refusal::NotAPerson) } else { Decision::Allow }
}

/// K5: a node's login password is set without the current one by the owner of an ancestor
/// node or a system admin; a login changes its own with the current one
/// (`POST /v1/me/password`), never here.
pub fn can_set_password(actor: &Actor, via_client: bool, node: &NodeRef) -> Decision {
    person_only(via_client).and(|| nodes::can_read(actor, node)).and(|| match actor {
        Actor::Node(c) if c.id == node.id => Decision::Deny(Refusal::NotAnAncestor),
        _ => Decision::Allow,
    })
}

/// K4/K5/K6: whether a token is still honoured. Every token carries the generation of its
/// login (or client) when it was issued; a password change (K5), a secret rotation (K4) or
/// "revoke all" (K6) raises the stored one, so only tokens issued since match it. A token
/// revoked by itself (K6) is refused whatever its generation.
pub fn token_honoured(stored_generation: i64, token_generation: i64, revoked: bool) -> bool {
    !revoked && stored_generation == token_generation
}

/// K7: the window failed logins are counted in, in seconds.
pub const THROTTLE_WINDOW_SECS: i64 = 15 * 60;
/// K7: failures of one username from one address within the window before 429.
pub const USERNAME_LIMIT: usize = 5;
/// K7: failures from one address (any usernames) within the window before 429.
pub const ADDRESS_LIMIT: usize = 50;

/// K7: whether a login attempt is refused, and for how many seconds. `for_username` are
/// the times (unix seconds) of this username's failures from this address, and
/// `from_address` those of every failure from the address, each within the window and
/// newest first (the repository reads at most the limit of each). A failure of the same
/// username from another address is in neither list, so its owner logging in from
/// elsewhere is not locked out. The lock lasts until the failure that reached the limit
/// leaves the window.
pub fn login_throttle(for_username: &[i64], from_address: &[i64], now: i64) -> Option<u64> {
    let until = |failures: &[i64], limit: usize| {
        failures.get(limit - 1).map(|&t| t + THROTTLE_WINDOW_SECS).filter(|&end| end > now)
    };
    let end = until(for_username, USERNAME_LIMIT).max(until(from_address, ADDRESS_LIMIT))?;
    u64::try_from(end - now).ok().map(|s| s.max(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authz::Rule;
    use crate::authz::testing::*;
    use crate::domain::fixtures::*;

    fn node(n: &NodeRef) -> Actor {
        Actor::Node(n.clone())
    }

    #[test]
    fn k1_a_nodes_own_login_its_ancestors_and_system_admins_manage_its_clients() {
        let t = tree();
        assert_allowed(can_manage_clients(&node(&t.org1), false, &t.org1));
        assert_allowed(can_manage_clients(&node(&t.sp1), false, &t.org1));
        assert_allowed(can_manage_clients(&node(&t.sp1), false, &t.user1));
        assert_allowed(can_manage_clients(&Actor::SystemAdmin, false, &t.user1));
        assert_allowed(can_manage_clients(&node(&t.user1), false, &t.user1));
    }

    #[test]
    fn k1_a_descendant_or_another_tenant_does_not_see_a_nodes_clients() {
        let t = tree();
        assert_hidden(can_manage_clients(&node(&t.user1), false, &t.org1));
        assert_hidden(can_manage_clients(&node(&t.org1), false, &t.sp1));
        assert_hidden(can_manage_clients(&node(&t.sp2), false, &t.org1));
    }

    #[test]
    fn k2_a_read_client_sends_only_safe_methods_and_a_write_client_anything() {
        assert_allowed(within_scope(Some(Scope::Read), true));
        assert_denied(within_scope(Some(Scope::Read), false), Rule::K2, "insufficient_scope");
        assert_allowed(within_scope(Some(Scope::Write), false));
        assert_allowed(within_scope(None, false));
    }

    #[test]
    fn k3_a_client_manages_no_clients_and_no_passwords_even_of_its_own_node() {
        let t = tree();
        assert_denied(can_manage_clients(&node(&t.org1), true, &t.org1), Rule::K3, "not_a_person");
        assert_denied(can_set_password(&node(&t.sp1), true, &t.user1), Rule::K3, "not_a_person");
        assert_denied(person_only(true), Rule::K3, "not_a_person");
        assert_allowed(person_only(false));
    }

    #[test]
    fn k4_a_rotated_secret_refuses_the_tokens_issued_before_it() {
        assert!(token_honoured(0, 0, false));
        assert!(!token_honoured(1, 0, false), "issued before the rotation");
        assert!(token_honoured(1, 1, false), "issued with the new secret");
    }

    #[test]
    fn k5_a_password_change_refuses_every_token_issued_before_it() {
        assert!(!token_honoured(3, 2, false));
        assert!(token_honoured(3, 3, false));
    }

    #[test]
    fn k6_a_revoked_token_is_refused_and_revoking_all_refuses_every_earlier_one() {
        assert!(!token_honoured(0, 0, true), "this token was revoked");
        assert!(!token_honoured(5, 4, false), "revoke all raised the generation");
        assert!(token_honoured(5, 5, false), "a token issued after");
    }

    #[test]
    fn k5_ancestors_and_system_admins_set_a_password_and_a_login_never_its_own_here() {
        let t = tree();
        assert_allowed(can_set_password(&node(&t.org1), false, &t.user1));
        assert_allowed(can_set_password(&node(&t.sp1), false, &t.user1));
        assert_allowed(can_set_password(&Actor::SystemAdmin, false, &t.sp1));
        assert_denied(can_set_password(&node(&t.user1), false, &t.user1), Rule::K5, "not_an_ancestor");
        assert_denied(can_set_password(&node(&t.org1), false, &t.org1), Rule::K5, "not_an_ancestor");
        assert_hidden(can_set_password(&node(&t.user1), false, &t.org1));
        assert_hidden(can_set_password(&node(&t.sp2), false, &t.user1));
    }

    #[test]
    fn k7_five_failures_of_one_username_from_one_address_lock_it_until_the_window_ends() {
        let now = 10_000;
        let four = [now - 10, now - 20, now - 30, now - 40];
        assert_eq!(login_throttle(&four, &four, now), None);
        let five = [now - 10, now - 20, now - 30, now - 40, now - 50];
        assert_eq!(login_throttle(&five, &five, now), Some((THROTTLE_WINDOW_SECS - 50) as u64));
        // The fifth newest failure leaving the window lifts the lock.
        let old = [now - 10, now - 20, now - 30, now - 40, now - THROTTLE_WINDOW_SECS - 1];
        assert_eq!(login_throttle(&old, &old, now), None);
    }

    #[test]
    fn k7_the_same_username_from_another_address_is_not_locked_out() {
        // Five failures of the username from address A are not among the failures of the
        // username from address B, which is what a login from B is judged by.
        let now = 10_000;
        assert_eq!(login_throttle(&[], &[], now), None);
        assert_eq!(login_throttle(&[now - 1], &[now - 1], now), None);
    }

    #[test]
    fn k7_fifty_failures_from_one_address_lock_every_username_from_it() {
        let now = 10_000;
        let many: Vec<i64> = (0..50).map(|i| now - 1 - i).collect();
        assert_eq!(login_throttle(&[], &many[..49], now), None);
        assert_eq!(login_throttle(&[], &many, now), Some((THROTTLE_WINDOW_SECS - 50) as u64));
        assert!(login_throttle(&[], &many, now).unwrap() >= 1);
    }
}
