//! Account rules A1–A7 and what `GET /v1/me` reports (M1): domain.md §3 and §4.
//!
//! Rights over an account come from two places: the tree (the owner of an ancestor of the
//! account's User, or a system admin: A5) and the account's own lists (owners and
//! administrators: A2/A3). The account's User, while on no list, may still read it (it is
//! part of its node, N2) but no longer manage it (A7).

use super::{Decision, Refusal};
use crate::domain::{Actor, NodeRef};

/// The two lists of an account (A1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum List {
    Owners,
    Administrators,
}

/// Facts about an account as the caller sees it.
#[derive(Clone, Copy, Debug)]
pub struct AccountFacts<'a> {
    /// The User the account belongs to.
    pub user: &'a NodeRef,
    pub caller_is_owner: bool,
    pub caller_is_administrator: bool,
}

/// A5: tree rights, held by system admins and the owners of the User's ancestors.
fn holds_tree_rights(actor: &Actor, user: &NodeRef) -> bool {
    match actor {
        Actor::SystemAdmin => true,
        Actor::Node(c) => user.is_strictly_below(c),
    }
}

fn is_the_user(actor: &Actor, user: &NodeRef) -> bool {
    actor.node().is_some_and(|c| c.id == user.id)
}

/// A5: accounts are created through the tree only.
pub fn can_create(actor: &Actor, user: &NodeRef) -> Decision {
    if holds_tree_rights(actor, user) {
        Decision::Allow
    } else if is_the_user(actor, user) {
        Decision::Deny(Refusal::TreeOnly)
    } else {
        Decision::HIDDEN
    }
}

/// N2 for a User's accounts collection: the User itself and its ancestors.
pub fn can_list(actor: &Actor, user: &NodeRef) -> Decision {
    if holds_tree_rights(actor, user) || is_the_user(actor, user) { Decision::Allow } else { Decision::HIDDEN }
}

/// A2/A3/A5: who reads an account.
pub fn can_read(actor: &Actor, a: &AccountFacts) -> Decision {
    if holds_tree_rights(actor, a.user) || a.caller_is_owner || a.caller_is_administrator || is_the_user(actor, a.user)
    {
        Decision::Allow
    } else {
        Decision::HIDDEN
    }
}

/// A2/A3/A5: settings (display name, location, voicemail) are changed by administrators,
/// owners and the tree.
pub fn can_change_settings(actor: &Actor, a: &AccountFacts) -> Decision {
    can_read(actor, a).and(|| manages(actor, a))
}

/// Owner, administrator or tree rights: "manages" the account (A2, A3, A5, A6).
fn manages(actor: &Actor, a: &AccountFacts) -> Decision {
    if holds_tree_rights(actor, a.user) || a.caller_is_owner || a.caller_is_administrator {
        Decision::Allow
    } else {
        Decision::Deny(Refusal::NotAccountManager)
    }
}

/// A5: deleting through the tree only; an account still on a device line is kept (409).
pub fn can_delete(actor: &Actor, a: &AccountFacts, on_a_line: bool) -> Decision {
    can_read(actor, a)
        .and(|| if holds_tree_rights(actor, a.user) { Decision::Allow } else { Decision::Deny(Refusal::TreeOnly) })
        .and(|| if on_a_line { Decision::Deny(Refusal::AccountInUse) } else { Decision::Allow })
}

/// A2/A3: administrators manage the administrators list; only owners (and the tree)
/// manage the owners list.
pub fn can_add_member(actor: &Actor, a: &AccountFacts, list: List) -> Decision {
    can_read(actor, a).and(|| match list {
        List::Administrators => manages(actor, a),
        List::Owners if holds_tree_rights(actor, a.user) || a.caller_is_owner => Decision::Allow,
        List::Owners if a.caller_is_administrator => Decision::Deny(Refusal::OwnersOnly),
        List::Owners => Decision::Deny(Refusal::NotAccountManager),
    })
}

/// A7: anyone on a list may take themselves off it; otherwise as [`can_add_member`].
pub fn can_remove_member(actor: &Actor, a: &AccountFacts, list: List, removing_self: bool) -> Decision {
    let on_that_list = match list {
        List::Owners => a.caller_is_owner,
        List::Administrators => a.caller_is_administrator,
    };
    if removing_self && on_that_list { Decision::Allow } else { can_add_member(actor, a, list) }
}

/// A6 (account side): nobody puts a number they do not manage on a phone.
pub fn can_put_on_line(actor: &Actor, a: &AccountFacts) -> Decision {
    can_read(actor, a).and(|| match manages(actor, a) {
        Decision::Allow => Decision::Allow,
        Decision::Deny(_) => Decision::Deny(Refusal::AccountNotManaged),
    })
}

/// A4: a new account starts with its own User's login on its owners list.
pub fn first_owner(user: &NodeRef) -> uuid::Uuid {
    user.id
}

/// A3/M1: the user web interface is for account owners.
pub fn portal_access(caller_is_owner: bool) -> bool {
    caller_is_owner
}

/// A1 (extension): who may be named on an account's or a device's lists: logins of nodes
/// of the same service provider. Anyone else is an unknown username (422), so no tenant
/// can probe another's usernames; system admins hold every right already.
pub fn can_be_listed(subject_sp: uuid::Uuid, candidate: Option<&NodeRef>) -> bool {
    candidate.is_some_and(|n| n.sp_id == subject_sp)
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

    fn facts(user: &NodeRef, owner: bool, admin: bool) -> AccountFacts<'_> {
        AccountFacts { user, caller_is_owner: owner, caller_is_administrator: admin }
    }

    #[test]
    fn a1_an_account_has_an_owners_and_an_administrators_list() {
        let t = tree();
        assert!(can_be_listed(t.sp1.id, Some(&t.user2)));
        assert!(!can_be_listed(t.sp1.id, Some(&t.user3)), "another tenant's login is unknown here");
        assert!(!can_be_listed(t.sp1.id, None), "system admins are not listed");
        let a = facts(&t.user1, false, true);
        assert_allowed(can_add_member(&node(&t.user2), &a, List::Administrators));
        assert_denied(can_add_member(&node(&t.user2), &a, List::Owners), Rule::A3, "owners_only");
    }

    #[test]
    fn a2_administrators_read_change_settings_and_manage_administrators() {
        let t = tree();
        let admin = node(&t.user2);
        let a = facts(&t.user1, false, true);
        assert_allowed(can_read(&admin, &a));
        assert_allowed(can_change_settings(&admin, &a));
        assert_allowed(can_add_member(&admin, &a, List::Administrators));
        assert_allowed(can_remove_member(&admin, &a, List::Administrators, false));
        assert_denied(can_delete(&admin, &a, false), Rule::A5, "tree_only");
        // The account's own User, on no list any more, reads but does not manage.
        let me = node(&t.user1);
        let mine = facts(&t.user1, false, false);
        assert_allowed(can_read(&me, &mine));
        assert_denied(can_change_settings(&me, &mine), Rule::A2, "not_account_manager");
        assert_hidden(can_read(&node(&t.user1b), &mine));
    }

    #[test]
    fn a3_owners_also_manage_owners_and_have_portal_access_administrators_do_not() {
        let t = tree();
        let owner = facts(&t.user1, true, false);
        let admin = facts(&t.user1, false, true);
        assert_allowed(can_add_member(&node(&t.user2), &owner, List::Owners));
        assert_allowed(can_remove_member(&node(&t.user2), &owner, List::Owners, false));
        assert_denied(can_add_member(&node(&t.user2), &admin, List::Owners), Rule::A3, "owners_only");
        assert_denied(can_remove_member(&node(&t.user2), &admin, List::Owners, false), Rule::A3, "owners_only");
        assert!(portal_access(owner.caller_is_owner));
        assert!(!portal_access(admin.caller_is_owner));
    }

    #[test]
    fn a4_a_new_account_starts_with_its_user_on_the_owners_list_with_every_owner_right() {
        let t = tree();
        assert_eq!(first_owner(&t.user1), t.user1.id);
        // That starting owner holds an owner's rights, portal access included.
        let a = facts(&t.user1, true, false);
        assert_allowed(can_change_settings(&node(&t.user1), &a));
        assert_allowed(can_add_member(&node(&t.user1), &a, List::Owners));
        assert!(portal_access(a.caller_is_owner));
    }

    #[test]
    fn a5_accounts_are_created_and_deleted_through_the_tree_only() {
        let t = tree();
        for c in [Actor::SystemAdmin, node(&t.sp1), node(&t.org1)] {
            assert_allowed(can_create(&c, &t.user1));
            assert_allowed(can_delete(&c, &facts(&t.user1, false, false), false));
            assert_allowed(can_add_member(&c, &facts(&t.user1, false, false), List::Owners));
        }
        assert_denied(can_create(&node(&t.user1), &t.user1), Rule::A5, "tree_only");
        assert_hidden(can_create(&node(&t.org2), &t.user1));
        assert_hidden(can_create(&node(&t.user1b), &t.user1));
        assert_denied(can_delete(&node(&t.user1), &facts(&t.user1, true, true), false), Rule::A5, "tree_only");
        let in_use = can_delete(&node(&t.org1), &facts(&t.user1, false, false), true);
        assert_eq!(in_use, Decision::Deny(Refusal::AccountInUse));
    }

    #[test]
    fn a6_a_number_goes_on_a_line_only_for_who_manages_it() {
        let t = tree();
        assert_allowed(can_put_on_line(&node(&t.user2), &facts(&t.user1, true, false)));
        assert_allowed(can_put_on_line(&node(&t.user2), &facts(&t.user1, false, true)));
        assert_allowed(can_put_on_line(&node(&t.org1), &facts(&t.user1, false, false)));
        assert_denied(
            can_put_on_line(&node(&t.user1), &facts(&t.user1, false, false)),
            Rule::A6,
            "account_not_managed",
        );
        assert_hidden(can_put_on_line(&node(&t.user2), &facts(&t.user1, false, false)));
    }

    #[test]
    fn a7_anyone_on_a_list_may_remove_themselves_and_loses_access_at_once() {
        let t = tree();
        let me = node(&t.user2);
        assert_allowed(can_remove_member(&me, &facts(&t.user1, false, true), List::Administrators, true));
        assert_allowed(can_remove_member(&me, &facts(&t.user1, true, false), List::Owners, true));
        // Not on the owners list: removing "self" there is no self-removal.
        assert_denied(
            can_remove_member(&me, &facts(&t.user1, false, true), List::Owners, true),
            Rule::A3,
            "owners_only",
        );
        // Next request, off the list: the account is gone from view.
        assert_hidden(can_read(&me, &facts(&t.user1, false, false)));
    }

    #[test]
    fn m1_portal_access_is_reported_for_owners_only() {
        assert!(portal_access(true));
        assert!(!portal_access(false));
    }
}
