//! Node rules N1–N5 and provisioning-level rules P1–P4 (domain.md §1).

use super::{Decision, Refusal};
use crate::domain::{Actor, Level, NodeKind, NodeRef};

/// N2/N5: a node is readable by its own login and every ancestor's; system admins read all.
pub fn can_read(actor: &Actor, target: &NodeRef) -> Decision {
    match actor {
        Actor::SystemAdmin => Decision::Allow,
        Actor::Node(c) if target.is_at_or_below(c) => Decision::Allow,
        Actor::Node(_) => Decision::HIDDEN,
    }
}

/// Which service providers `GET /v1/service-providers` shows a caller (N2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProviderScope {
    /// System admins: every service provider.
    All,
    /// An SP owner: its own.
    Own(uuid::Uuid),
    /// Owners below an SP read none.
    None,
}

/// N2 for the collection of service providers.
pub fn readable_providers(actor: &Actor) -> ProviderScope {
    match actor {
        Actor::SystemAdmin => ProviderScope::All,
        Actor::Node(c) if c.kind == NodeKind::ServiceProvider => ProviderScope::Own(c.id),
        Actor::Node(_) => ProviderScope::None,
    }
}

/// P4: a node created without a level gets `none`; provisioning is granted explicitly.
pub fn initial_level(requested: Option<Level>) -> Level {
    requested.unwrap_or(Level::None)
}

/// N1 (who creates what where), with P1/P2 for a level given on create.
///
/// `parent` is `None` for a service provider. A level given explicitly is a setting of the
/// new node's level, so only the parent's owner (or a system admin) may give it (P1), and
/// never above its own (P2).
pub fn can_create(actor: &Actor, kind: NodeKind, parent: Option<&NodeRef>, level: Option<Level>) -> Decision {
    let c = match actor {
        Actor::SystemAdmin => return Decision::Allow,
        Actor::Node(c) => c,
    };
    let Some(parent) = parent else {
        return Decision::Deny(Refusal::CreateNotAllowed);
    };
    if !parent.is_at_or_below(c) {
        return Decision::HIDDEN;
    }
    let fits = matches!(
        (parent.kind, kind),
        (NodeKind::ServiceProvider, NodeKind::Organization) | (NodeKind::Organization, NodeKind::User)
    );
    if !fits {
        return Decision::Deny(Refusal::CreateNotAllowed);
    }
    match level {
        None => Decision::Allow,
        Some(level) => set_level(c, parent.id, level),
    }
}

/// P1 and P2 for a caller node `c` setting the level of a child of `parent_id`.
fn set_level(c: &NodeRef, parent_id: uuid::Uuid, level: Level) -> Decision {
    if c.id != parent_id {
        Decision::Deny(Refusal::NotParent)
    } else if level > c.level {
        Decision::Deny(Refusal::LevelExceedsOwn)
    } else {
        Decision::Allow
    }
}

/// N3 (name by self or ancestors), P1/P2 (level only by the parent, not above its own).
/// P3 needs no code of its own: it is P2 applied to a later raise. N6: writing the level
/// the node already has is no level change, so P1 and P2 do not apply to it.
pub fn can_update(actor: &Actor, target: &NodeRef, new_level: Option<Level>) -> Decision {
    let new_level = super::change(&target.level, new_level);
    can_read(actor, target).and(|| match (actor, new_level) {
        (_, None) | (Actor::SystemAdmin, _) => Decision::Allow,
        (Actor::Node(c), Some(level)) => match target.parent_id() {
            Some(parent_id) => set_level(c, parent_id, level),
            None => Decision::Deny(Refusal::NotParent),
        },
    })
}

/// What a node still holds; N4 refuses to delete a node that holds anything.
#[derive(Clone, Copy, Debug, Default)]
pub struct NodeContents {
    pub children: bool,
    pub accounts: bool,
    pub devices: bool,
}

/// N4: deleted by an ancestor, never by itself; never while it holds anything.
pub fn can_delete(actor: &Actor, target: &NodeRef, contents: NodeContents) -> Decision {
    can_read(actor, target)
        .and(|| match actor {
            Actor::Node(c) if c.id == target.id => Decision::Deny(Refusal::CannotDeleteSelf),
            _ => Decision::Allow,
        })
        .and(|| {
            if contents.children || contents.accounts || contents.devices {
                Decision::Deny(Refusal::NodeNotEmpty)
            } else {
                Decision::Allow
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authz::Rule;
    use crate::authz::testing::*;
    use crate::domain::Level::{Modify, View};
    use crate::domain::fixtures::*;
    const NO: Level = Level::None;

    fn node(n: &NodeRef) -> Actor {
        Actor::Node(n.clone())
    }

    #[test]
    fn n1_system_admins_create_service_providers_and_nobody_else_does() {
        let t = tree();
        assert_allowed(can_create(&Actor::SystemAdmin, NodeKind::ServiceProvider, None, Some(Modify)));
        assert_denied(can_create(&node(&t.sp1), NodeKind::ServiceProvider, None, None), Rule::N1, "create_not_allowed");
        assert_denied(
            can_create(&node(&t.user1), NodeKind::ServiceProvider, None, None),
            Rule::N1,
            "create_not_allowed",
        );
    }

    #[test]
    fn n1_owners_create_below_their_node_and_ancestors_may_create_further_down() {
        let t = tree();
        assert_allowed(can_create(&node(&t.sp1), NodeKind::Organization, Some(&t.sp1), None));
        assert_allowed(can_create(&node(&t.org1), NodeKind::User, Some(&t.org1), None));
        assert_allowed(can_create(&node(&t.sp1), NodeKind::User, Some(&t.org1), None));
        assert_allowed(can_create(&Actor::SystemAdmin, NodeKind::User, Some(&t.org3), None));
        assert_hidden(can_create(&node(&t.org1), NodeKind::Organization, Some(&t.sp1), None));
        assert_hidden(can_create(&node(&t.org1), NodeKind::User, Some(&t.org2), None));
        assert_hidden(can_create(&node(&t.sp1), NodeKind::User, Some(&t.org3), None));
    }

    #[test]
    fn n2_a_node_is_read_by_itself_and_its_ancestors_only() {
        let t = tree();
        assert_allowed(can_read(&node(&t.user1), &t.user1));
        assert_allowed(can_read(&node(&t.org1), &t.user1));
        assert_allowed(can_read(&node(&t.sp1), &t.user1));
        assert_allowed(can_read(&Actor::SystemAdmin, &t.user3));
        assert_hidden(can_read(&node(&t.user1), &t.org1));
        assert_hidden(can_read(&node(&t.user1), &t.user1b));
        assert_hidden(can_read(&node(&t.org1), &t.sp1));
    }

    #[test]
    fn n2_service_providers_are_listed_all_for_admins_own_for_sp_owners_none_below() {
        let t = tree();
        assert_eq!(readable_providers(&Actor::SystemAdmin), ProviderScope::All);
        assert_eq!(readable_providers(&node(&t.sp1)), ProviderScope::Own(t.sp1.id));
        assert_eq!(readable_providers(&node(&t.org1)), ProviderScope::None);
        assert_eq!(readable_providers(&node(&t.user1)), ProviderScope::None);
    }

    #[test]
    fn n3_names_are_changed_by_the_node_itself_and_its_ancestors() {
        let t = tree();
        assert_allowed(can_update(&node(&t.user1), &t.user1, None));
        assert_allowed(can_update(&node(&t.sp1), &t.user1, None));
        assert_hidden(can_update(&node(&t.user1b), &t.user1, None));
    }

    #[test]
    fn n4_a_node_is_deleted_by_an_ancestor_never_by_itself_and_only_when_empty() {
        let t = tree();
        let empty = NodeContents::default();
        assert_allowed(can_delete(&node(&t.org1), &t.user1, empty));
        assert_allowed(can_delete(&node(&t.sp1), &t.user1, empty));
        assert_denied(can_delete(&node(&t.user1), &t.user1, empty), Rule::N4, "cannot_delete_self");
        assert_denied(can_delete(&node(&t.sp1), &t.sp1, empty), Rule::N4, "cannot_delete_self");
        for contents in [
            NodeContents { children: true, ..empty },
            NodeContents { accounts: true, ..empty },
            NodeContents { devices: true, ..empty },
        ] {
            assert_denied(can_delete(&Actor::SystemAdmin, &t.org1, contents), Rule::N4, "node_not_empty");
        }
    }

    #[test]
    fn n5_what_the_caller_cannot_read_is_not_found_for_every_action() {
        let t = tree();
        let outsider = node(&t.sp2);
        assert_hidden(can_read(&outsider, &t.org1));
        assert_hidden(can_update(&outsider, &t.org1, Some(NO)));
        assert_hidden(can_delete(&outsider, &t.org1, NodeContents::default()));
        assert_hidden(can_create(&outsider, NodeKind::User, Some(&t.org1), None));
    }

    #[test]
    fn p1_only_the_parent_or_a_system_admin_sets_a_level() {
        let t = tree();
        assert_allowed(can_update(&node(&t.sp1), &t.org1, Some(View)));
        assert_allowed(can_update(&node(&t.org1), &t.user1, Some(View)));
        assert_allowed(can_update(&Actor::SystemAdmin, &t.sp1, Some(NO)));
        assert_allowed(can_update(&Actor::SystemAdmin, &t.user1, Some(Modify)));
        // A node cannot change its own level; a grandparent cannot change it.
        assert_denied(can_update(&node(&t.org1), &t.org1, Some(NO)), Rule::P1, "not_parent");
        assert_denied(can_update(&node(&t.sp1), &t.sp1, Some(NO)), Rule::P1, "not_parent");
        assert_denied(can_update(&node(&t.user1), &t.user1, Some(NO)), Rule::P1, "not_parent");
        assert_denied(can_update(&node(&t.sp1), &t.user1, Some(NO)), Rule::P1, "not_parent");
        // On create too: only the parent gives a level.
        assert_denied(can_create(&node(&t.sp1), NodeKind::User, Some(&t.org1), Some(View)), Rule::P1, "not_parent");
    }

    #[test]
    fn p2_a_parent_sets_a_level_at_most_its_own_and_admins_any() {
        let t = tree();
        for (own, wanted, ok) in [
            (Modify, Modify, true),
            (Modify, View, true),
            (Modify, NO, true),
            (View, Modify, false),
            (View, View, true),
            (View, NO, true),
            (NO, Modify, false),
            (NO, View, false),
            (NO, NO, true),
        ] {
            let sp = with(&t.sp1, own);
            let org = with(&t.org1, own);
            // The child starts at another level: writing the one it has is no change (N6).
            let from = if wanted == NO { Modify } else { NO };
            let on_update = [
                can_update(&node(&sp), &with(&t.org1, from), Some(wanted)),
                can_update(&node(&org), &with(&t.user1, from), Some(wanted)),
            ];
            let on_create = [
                can_create(&node(&sp), NodeKind::Organization, Some(&sp), Some(wanted)),
                can_create(&node(&org), NodeKind::User, Some(&org), Some(wanted)),
            ];
            for d in on_update.into_iter().chain(on_create) {
                if ok {
                    assert_allowed(d);
                } else {
                    assert_denied(d, Rule::P2, "level_exceeds_own");
                }
            }
        }
        assert_allowed(can_create(&Actor::SystemAdmin, NodeKind::ServiceProvider, None, Some(Modify)));
    }

    #[test]
    fn p3_a_view_parent_may_lower_a_modify_child_and_never_raise_it_back() {
        let t = tree();
        let sp = with(&t.sp1, View);
        let org = with(&t.org1, Modify);
        assert_allowed(can_update(&node(&sp), &org, Some(View)));
        let org = with(&org, View);
        assert_denied(can_update(&node(&sp), &org, Some(Modify)), Rule::P2, "level_exceeds_own");

        let org = with(&t.org1, View);
        let user = with(&t.user1, Modify);
        assert_allowed(can_update(&node(&org), &user, Some(View)));
        assert_denied(can_update(&node(&org), &with(&user, View), Some(Modify)), Rule::P2, "level_exceeds_own");
    }

    #[test]
    fn n6_writing_the_level_a_node_already_has_is_no_level_change_for_p1_and_p2() {
        let t = tree();
        // P1 would refuse each of these as a change of level: the node itself, a
        // grandparent, a parent above its own level (P2). The level is the one the node has.
        let org = with(&t.org1, View);
        assert_allowed(can_update(&node(&org), &org, Some(View)));
        assert_allowed(can_update(&node(&t.sp1), &t.user1, Some(Modify)));
        assert_allowed(can_update(&node(&with(&t.sp1, NO)), &with(&t.org1, Modify), Some(Modify)));
        // Any other level is a change, refused as before.
        assert_denied(can_update(&node(&org), &org, Some(Modify)), Rule::P1, "not_parent");
        assert_denied(can_update(&node(&t.sp1), &t.user1, Some(View)), Rule::P1, "not_parent");
        assert_denied(
            can_update(&node(&with(&t.sp1, NO)), &with(&t.org1, Modify), Some(View)),
            Rule::P2,
            "level_exceeds_own",
        );
        // N6 gives no reading rights: another tenant's node stays hidden.
        assert_hidden(can_update(&node(&t.sp2), &t.org1, Some(Modify)));
    }

    #[test]
    fn p4_a_node_created_without_a_level_gets_none() {
        assert_eq!(initial_level(None), NO);
        assert_eq!(initial_level(Some(View)), View);
    }
}
