//! SIP device rules D0–D8 (domain.md §2) and the device side of A6/A7 (§3).
//!
//! One decision per action: list, read, add, change, delete, lines, owners list. Adding is
//! the core (`can_add`); D8 defines the rights to change or delete a device as the rights
//! that adding it, in its context and with its (new) assignee, would need.

use super::{Decision, Outcome, Refusal};
use crate::domain::{Actor, Level, NodeKind, NodeRef};

/// Facts about a device that is being added, or that a change would produce.
#[derive(Clone, Copy, Debug)]
pub struct Placement<'a> {
    /// The node in whose context the device lives.
    pub context: &'a NodeRef,
    /// Its assignee, already checked to fit below the context.
    pub assignee: Option<&'a NodeRef>,
    /// Whether any node strictly below the context has `modify` (D4).
    pub modify_below_context: bool,
}

/// Facts about an existing device as the caller sees it.
#[derive(Clone, Copy, Debug)]
pub struct DeviceFacts<'a> {
    pub context: &'a NodeRef,
    pub assigned_to: Option<&'a NodeRef>,
    /// The caller's login is on the device's owners list (A6).
    pub caller_is_owner: bool,
}

/// D1: level `none` hides the SIP devices area.
fn area(c: &NodeRef) -> Decision {
    if c.level == Level::None { Decision::Deny(Refusal::SipDevicesAreaHidden) } else { Decision::Allow }
}

/// D1 as `GET /v1/me` reports it: is the SIP devices area shown at all?
pub fn sip_devices_area(actor: &Actor) -> bool {
    match actor {
        Actor::SystemAdmin => true,
        Actor::Node(c) => area(c).is_allowed(),
    }
}

/// D0/D1/D2: listing devices of a context and below.
pub fn can_list(actor: &Actor, context: &NodeRef) -> Decision {
    match actor {
        Actor::SystemAdmin => Decision::Allow,
        Actor::Node(c) if !context.is_at_or_below(c) => Decision::HIDDEN,
        Actor::Node(c) => area(c),
    }
}

/// D2: a User listing its own context also sees the devices assigned to it from above.
pub fn lists_assigned_devices(actor: &Actor, context: &NodeRef) -> bool {
    actor.node().is_some_and(|c| c.kind == NodeKind::User && c.id == context.id)
}

/// True when the device is in the caller's part of the tree: its context is the caller's
/// node or below, or (D2) the caller is the User it is assigned to.
fn in_callers_tree(c: &NodeRef, device: &DeviceFacts) -> bool {
    device.context.is_at_or_below(c) || (c.kind == NodeKind::User && device.assigned_to.is_some_and(|a| a.id == c.id))
}

/// D0/D1/D2 and A6: reading one device.
pub fn can_read(actor: &Actor, device: &DeviceFacts) -> Decision {
    match actor {
        Actor::SystemAdmin => Decision::Allow,
        _ if device.caller_is_owner => Decision::Allow,
        Actor::Node(c) if in_callers_tree(c, device) => area(c),
        Actor::Node(_) => Decision::HIDDEN,
    }
}

/// D0, D1, D3, D5, D6, D7: whether the caller may add devices in `context` at all, for
/// some assignee. A caller refused here is refused whatever the request says (its MAC,
/// its assignee), so the use cases ask this before they look at the values.
pub fn can_add_in(actor: &Actor, context: &NodeRef) -> Decision {
    let c = match actor {
        Actor::SystemAdmin => return Decision::Allow, // D0
        Actor::Node(c) => c,
    };
    if !context.is_at_or_below(c) {
        return Decision::HIDDEN;
    }
    area(c).and(|| match (c.kind, c.level) {
        (NodeKind::User, Level::View) => Decision::Deny(Refusal::ViewOnly),
        // D7: a User's context is only ever itself, and a device there is assigned only to it.
        (NodeKind::User, _) => Decision::Allow,
        // D3: SP or Org with modify, anywhere below, to anyone below.
        (_, Level::Modify) => Decision::Allow,
        // D4: own context with view; which assignees it may use is decided by `can_add`.
        _ if context.id == c.id => Decision::Allow,
        // D5: a descendant's context with view; then X's own rules (D3/D7), which allow
        // every assignee that fits below X.
        _ if context.level == Level::Modify => Decision::Allow,
        _ => Decision::Deny(Refusal::ContextLacksModify),
    })
}

/// D0–D7: adding a device in a context with an optional assignee.
pub fn can_add(actor: &Actor, p: &Placement) -> Decision {
    can_add_in(actor, p.context).and(|| match actor {
        // D4: an SP or Org with view, in its own context.
        Actor::Node(c) if c.kind != NodeKind::User && c.level == Level::View && p.context.id == c.id => {
            match p.assignee {
                Some(a) if a.level == Level::Modify => Decision::Allow,
                Some(_) => Decision::Deny(Refusal::AssigneeLacksModify),
                None if p.modify_below_context => Decision::Deny(Refusal::AssignmentRequired),
                None => Decision::Allow,
            }
        }
        _ => Decision::Allow,
    })
}

/// An assignee that does not fit below the context is invalid input (422) for everyone,
/// with one exception: a User adding in its own context is refused by its rules first
/// (D1, D6), and with `modify` by D7, "assign them only to itself". `Allow` here means no
/// rule refuses, and the caller answers 422 `invalid_assignee`.
pub fn can_assign_outside_context(actor: &Actor, context: &NodeRef) -> Decision {
    match actor {
        Actor::Node(c) if c.kind == NodeKind::User && c.id == context.id => area(c).and(|| match c.level {
            Level::View => Decision::Deny(Refusal::ViewOnly),
            _ => Decision::Deny(Refusal::AssignToSelfOnly),
        }),
        _ => Decision::Allow,
    }
}

/// What a change touches.
#[derive(Clone, Copy, Debug, Default)]
pub struct Change {
    /// MAC, vendor, model, label or assignment (D8).
    pub provisioning: bool,
    /// `settings` (A6: device owners may change them).
    pub settings: bool,
}

/// The fields of a device that D8 calls provisioning: where and what the phone is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProvisioningFields<'a> {
    pub mac_address: &'a str,
    pub vendor: Option<&'a str>,
    pub model: Option<&'a str>,
    pub label: Option<&'a str>,
    pub assigned_to: Option<uuid::Uuid>,
}

/// The settings of a device (A6): what its owners may change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SettingsFields {
    pub missed_calls: bool,
    pub mwi_enabled: bool,
    pub mwi_account: Option<crate::domain::AccountId>,
}

impl Change {
    /// What a change from `before` to `after` touches. A field written with the value it
    /// already has is no change (N6), so it never needs D8's rights.
    pub fn between(
        before: (ProvisioningFields, SettingsFields),
        after: (ProvisioningFields, SettingsFields),
    ) -> Change {
        Change { provisioning: before.0 != after.0, settings: before.1 != after.1 }
    }
}

/// D4's fact "does any node below the context have modify" matters only to a caller with
/// `view` adding in its own SP or Org context without an assignee; everyone else's
/// decision is the same either way, so the fact need not be looked up for them.
pub fn needs_modify_below(actor: &Actor, context: &NodeRef, assignee: Option<&NodeRef>) -> bool {
    match actor {
        Actor::Node(c) => {
            assignee.is_none() && c.id == context.id && c.kind != NodeKind::User && c.level == Level::View
        }
        Actor::SystemAdmin => false,
    }
}

/// A4: a device assigned to a User when it is added starts with that User's login on its
/// owners list ("a user is a device owner for his own phones"). Assigned to an Org, or to
/// nobody, it starts with an empty list.
pub fn first_owner(assignee: Option<&NodeRef>) -> Option<uuid::Uuid> {
    assignee.filter(|a| a.kind == NodeKind::User).map(|a| a.id)
}

/// The tree rights over a device (D8): those of adding it as `after` describes. A device
/// owner without them is told so by D8 (it is an owner, but provisioning is the tree's);
/// a caller who sees the device only as an owner gets a visible refusal, not a 404.
fn tree_rights(actor: &Actor, device: &DeviceFacts, after: &Placement) -> Decision {
    as_d8(device, can_add(actor, after))
}

/// An add-refusal as D8 words it for an existing device: hidden (the caller sees the
/// device only as an owner) or refused to an owner is `provisioning_not_allowed`.
fn as_d8(device: &DeviceFacts, d: Decision) -> Decision {
    match d {
        Decision::Deny(r)
            if r.outcome() == Outcome::NotFound || (device.caller_is_owner && r.outcome() == Outcome::Forbidden) =>
        {
            Decision::Deny(Refusal::ProvisioningNotAllowed)
        }
        d => d,
    }
}

/// The placement of a device that already exists. D4's "without an assignee only while no
/// node below has modify" tells where a *new* device must go; it does not keep anyone from
/// deleting, or changing the settings or lines of, a device that is already there.
fn standing<'a>(p: &Placement<'a>) -> Placement<'a> {
    Placement { modify_below_context: false, ..*p }
}

/// D8 and A6: changing a device. `after` is the placement the change would produce (the
/// current one when the assignment does not change).
pub fn can_change(actor: &Actor, device: &DeviceFacts, change: Change, after: &Placement) -> Decision {
    can_read(actor, device).and(|| {
        if change.provisioning {
            tree_rights(actor, device, after)
        } else if change.settings && !device.caller_is_owner {
            tree_rights(actor, device, &standing(after))
        } else {
            Decision::Allow
        }
    })
}

/// The rights a change needs that no value of the request can give: reading the device,
/// and for a change of provisioning fields (or of settings by a non-owner) provisioning
/// rights in its context for some assignee (D1, D5, D6, D8). Asked before the values are
/// validated; [`can_change`] decides with them.
pub fn can_change_at_all(actor: &Actor, device: &DeviceFacts, change: Change) -> Decision {
    can_read(actor, device).and(|| {
        if change.provisioning || (change.settings && !device.caller_is_owner) {
            as_d8(device, can_add_in(actor, device.context))
        } else {
            Decision::Allow
        }
    })
}

/// D8: deleting a device needs the rights of adding it where it is.
pub fn can_delete(actor: &Actor, device: &DeviceFacts, current: &Placement) -> Decision {
    can_read(actor, device).and(|| tree_rights(actor, device, &standing(current)))
}

/// A6 (device side): lines and the owners list are changed by device owners, whatever
/// their level, and by whoever holds the tree rights of D8.
pub fn can_manage(actor: &Actor, device: &DeviceFacts, current: &Placement) -> Decision {
    can_read(actor, device)
        .and(|| if device.caller_is_owner { Decision::Allow } else { tree_rights(actor, device, &standing(current)) })
}

/// A7: anyone on the owners list may take themselves off it; otherwise as [`can_manage`].
pub fn can_remove_owner(actor: &Actor, device: &DeviceFacts, current: &Placement, removing_self: bool) -> Decision {
    if removing_self && device.caller_is_owner { Decision::Allow } else { can_manage(actor, device, current) }
}

/// D7: a User who provisions through its own level (not as a device owner) puts only its
/// own accounts on lines. The account side (A6 `account_not_managed`) is decided in
/// [`super::accounts::can_put_on_line`].
pub fn can_use_account_on_line(actor: &Actor, device: &DeviceFacts, account_user: &NodeRef) -> Decision {
    match actor {
        Actor::Node(c) if c.kind == NodeKind::User && !device.caller_is_owner && account_user.id != c.id => {
            Decision::Deny(Refusal::NotOwnAccount)
        }
        _ => Decision::Allow,
    }
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

    fn place<'a>(context: &'a NodeRef, assignee: Option<&'a NodeRef>, modify_below: bool) -> Placement<'a> {
        Placement { context, assignee, modify_below_context: modify_below }
    }

    fn facts<'a>(context: &'a NodeRef, assigned_to: Option<&'a NodeRef>, owner: bool) -> DeviceFacts<'a> {
        DeviceFacts { context, assigned_to, caller_is_owner: owner }
    }

    #[test]
    fn d0_system_admins_add_anywhere_whatever_the_levels() {
        let t = tree();
        let org = with(&t.org1, NO);
        let user = with(&t.user1, NO);
        assert_allowed(can_add(&Actor::SystemAdmin, &place(&org, Some(&user), false)));
        assert_allowed(can_add(&Actor::SystemAdmin, &place(&t.sp1, None, true)));
        assert_allowed(can_list(&Actor::SystemAdmin, &org));
        assert_allowed(can_delete(&Actor::SystemAdmin, &facts(&org, None, false), &place(&org, None, true)));
    }

    #[test]
    fn d1_level_none_hides_the_whole_area() {
        let t = tree();
        for c in [with(&t.sp1, NO), with(&t.org1, NO), with(&t.user1, NO)] {
            let a = node(&c);
            assert!(!sip_devices_area(&a));
            assert_denied(can_list(&a, &c), Rule::D1, "sip_devices_area_hidden");
            assert_denied(can_add(&a, &place(&c, None, false)), Rule::D1, "sip_devices_area_hidden");
            assert_denied(can_read(&a, &facts(&c, None, false)), Rule::D1, "sip_devices_area_hidden");
            let p = place(&c, None, false);
            assert_denied(can_delete(&a, &facts(&c, None, false), &p), Rule::D1, "sip_devices_area_hidden");
        }
        assert!(sip_devices_area(&Actor::SystemAdmin));
        assert!(sip_devices_area(&node(&with(&t.user1, View))));
    }

    #[test]
    fn d2_view_or_modify_lists_and_reads_its_context_and_below_and_a_user_its_assigned_devices() {
        let t = tree();
        let sp = with(&t.sp1, View);
        assert_allowed(can_list(&node(&sp), &t.user1));
        assert_allowed(can_read(&node(&sp), &facts(&t.org1, None, false)));
        assert_hidden(can_list(&node(&with(&t.org1, View)), &t.sp1));
        assert_hidden(can_read(&node(&with(&t.org1, View)), &facts(&t.sp1, Some(&t.org1), false)));
        let u = with(&t.user1, View);
        assert_allowed(can_read(&node(&u), &facts(&t.org1, Some(&t.user1), false)));
        assert_allowed(can_read(&node(&u), &facts(&t.sp1, Some(&t.user1), false)));
        assert_hidden(can_read(&node(&u), &facts(&t.org1, Some(&t.user1b), false)));
        assert_hidden(can_read(&node(&u), &facts(&t.org1, None, false)));
        assert!(lists_assigned_devices(&node(&u), &u));
        assert!(!lists_assigned_devices(&node(&t.org1), &t.user1));
        assert!(!lists_assigned_devices(&Actor::SystemAdmin, &t.user1));
    }

    #[test]
    fn d3_modify_sp_or_org_adds_anywhere_below_whatever_their_levels() {
        let t = tree();
        let org_none = with(&t.org1, NO);
        let user_none = with(&t.user1, NO);
        for c in [&t.sp1, &t.org1] {
            let a = node(c);
            assert_allowed(can_add(&a, &place(c, None, true)));
            assert_allowed(can_add(&a, &place(c, Some(&user_none), true)));
            assert_allowed(can_add(&a, &place(&user_none, Some(&user_none), false)));
        }
        assert_allowed(can_add(&node(&t.sp1), &place(&org_none, Some(&user_none), false)));
        assert_allowed(can_add(&node(&t.sp1), &place(&t.sp1, Some(&org_none), false)));
        assert_hidden(can_add(&node(&t.org1), &place(&t.org2, None, false)));
    }

    #[test]
    fn d4_view_in_its_own_context_assigns_only_to_modify_nodes_or_to_nobody_while_none_has_modify() {
        let t = tree();
        for c in [with(&t.sp1, View), with(&t.org1, View)] {
            let a = node(&c);
            let user_m = with(&t.user1, Modify);
            let user_v = with(&t.user1, View);
            let user_n = with(&t.user1, NO);
            assert_allowed(can_add(&a, &place(&c, Some(&user_m), true)));
            assert_denied(can_add(&a, &place(&c, Some(&user_v), true)), Rule::D4, "assignee_lacks_modify");
            assert_denied(can_add(&a, &place(&c, Some(&user_n), false)), Rule::D4, "assignee_lacks_modify");
            assert_allowed(can_add(&a, &place(&c, None, false)));
            let d = can_add(&a, &place(&c, None, true));
            assert_eq!(d, Decision::Deny(Refusal::AssignmentRequired));
        }
        let sp = with(&t.sp1, View);
        assert_allowed(can_add(&node(&sp), &place(&sp, Some(&with(&t.org1, Modify)), true)));
        assert_denied(
            can_add(&node(&sp), &place(&sp, Some(&with(&t.org1, View)), true)),
            Rule::D4,
            "assignee_lacks_modify",
        );
    }

    #[test]
    fn d5_view_adds_in_a_descendants_context_only_when_it_has_modify() {
        let t = tree();
        let sp = with(&t.sp1, View);
        let org_m = with(&t.org1, Modify);
        let user_n = with(&t.user1, NO);
        assert_allowed(can_add(&node(&sp), &place(&org_m, None, false)));
        assert_allowed(can_add(&node(&sp), &place(&org_m, Some(&user_n), false)));
        assert_allowed(can_add(&node(&sp), &place(&with(&t.user1, Modify), Some(&with(&t.user1, Modify)), false)));
        for lvl in [View, NO] {
            let org = with(&t.org1, lvl);
            assert_denied(can_add(&node(&sp), &place(&org, None, false)), Rule::D5, "context_lacks_modify");
            let user = with(&t.user1, lvl);
            assert_denied(can_add(&node(&sp), &place(&user, Some(&user), false)), Rule::D5, "context_lacks_modify");
            let org_v = with(&t.org1, View);
            assert_denied(can_add(&node(&org_v), &place(&user, None, false)), Rule::D5, "context_lacks_modify");
        }
    }

    #[test]
    fn d6_a_view_user_adds_nothing() {
        let t = tree();
        let u = with(&t.user1, View);
        assert_denied(can_add(&node(&u), &place(&u, None, false)), Rule::D6, "view_only");
        assert_denied(can_add(&node(&u), &place(&u, Some(&u), false)), Rule::D6, "view_only");
    }

    #[test]
    fn d7_a_modify_user_adds_in_its_own_context_only_and_lines_only_its_own_accounts() {
        let t = tree();
        let u = with(&t.user1, Modify);
        assert_allowed(can_add(&node(&u), &place(&u, Some(&u), false)));
        assert_allowed(can_add(&node(&u), &place(&u, None, false)));
        assert_hidden(can_add(&node(&u), &place(&t.user1b, None, false)));
        assert_hidden(can_add(&node(&u), &place(&t.org1, Some(&u), false)));
        let dev = facts(&u, Some(&u), false);
        assert_allowed(can_use_account_on_line(&node(&u), &dev, &u));
        assert_denied(can_use_account_on_line(&node(&u), &dev, &t.user1b), Rule::D7, "not_own_account");
        assert_allowed(can_use_account_on_line(&node(&u), &facts(&u, Some(&u), true), &t.user1b));
        // Assigning to anyone else, from its own context: D7 (D6/D1 first at lower levels).
        assert_denied(can_assign_outside_context(&node(&u), &u), Rule::D7, "assign_to_self_only");
        let v = with(&t.user1, View);
        assert_denied(can_assign_outside_context(&node(&v), &v), Rule::D6, "view_only");
        let n = with(&t.user1, NO);
        assert_denied(can_assign_outside_context(&node(&n), &n), Rule::D1, "sip_devices_area_hidden");
        // Everyone else gets plain invalid input (422) for a misfit.
        assert_allowed(can_assign_outside_context(&node(&t.org1), &t.org1));
        assert_allowed(can_assign_outside_context(&Actor::SystemAdmin, &u));
    }

    #[test]
    fn d8_changing_provisioning_fields_or_deleting_needs_the_rights_of_adding_with_the_new_assignee() {
        let t = tree();
        let org = with(&t.org1, View);
        let user_m = with(&t.user1, Modify);
        let user_v = with(&t.user1b, View);
        let dev = facts(&org, Some(&user_m), false);
        let prov = Change { provisioning: true, settings: false };
        assert_allowed(can_change(&node(&org), &dev, prov, &place(&org, Some(&user_m), true)));
        assert_denied(
            can_change(&node(&org), &dev, prov, &place(&org, Some(&user_v), true)),
            Rule::D4,
            "assignee_lacks_modify",
        );
        assert_eq!(
            can_change(&node(&org), &dev, prov, &place(&org, None, true)),
            Decision::Deny(Refusal::AssignmentRequired)
        );
        assert_allowed(can_delete(&node(&org), &dev, &place(&org, Some(&user_m), true)));
        // An unassigned device that D4 would not let one add today may still be deleted,
        // and its settings changed: D4's clause is about where new devices go.
        let unassigned = facts(&org, None, false);
        assert_allowed(can_delete(&node(&org), &unassigned, &place(&org, None, true)));
        let settings = Change { provisioning: false, settings: true };
        assert_allowed(can_change(&node(&org), &unassigned, settings, &place(&org, None, true)));
        let dev_v = facts(&org, Some(&user_v), false);
        assert_denied(
            can_delete(&node(&org), &dev_v, &place(&org, Some(&user_v), true)),
            Rule::D4,
            "assignee_lacks_modify",
        );
        // A user with view cannot delete a device of its own context.
        let u = with(&t.user1, View);
        assert_denied(
            can_delete(&node(&u), &facts(&u, Some(&u), false), &place(&u, Some(&u), false)),
            Rule::D6,
            "view_only",
        );
    }

    #[test]
    fn d8_only_mac_vendor_model_label_and_assignment_are_provisioning_and_unchanged_values_are_no_change() {
        let p = ProvisioningFields {
            mac_address: "0004f2abcdef",
            vendor: Some("Polycom"),
            model: None,
            label: None,
            assigned_to: None,
        };
        let s = SettingsFields { missed_calls: true, mwi_enabled: false, mwi_account: None };
        let same = Change::between((p, s), (p, s));
        assert!(!same.provisioning && !same.settings);
        let relabel = Change::between((p, s), (ProvisioningFields { label: Some("desk"), ..p }, s));
        assert!(relabel.provisioning && !relabel.settings);
        let assign = Change::between((p, s), (ProvisioningFields { assigned_to: Some(uuid::Uuid::nil()), ..p }, s));
        assert!(assign.provisioning);
        let mwi = Change::between((p, s), (p, SettingsFields { mwi_enabled: true, ..s }));
        assert!(!mwi.provisioning && mwi.settings);
    }

    #[test]
    fn d4_the_modify_below_fact_is_needed_only_by_view_in_its_own_context_without_assignee() {
        let t = tree();
        let sp_v = with(&t.sp1, View);
        assert!(needs_modify_below(&node(&sp_v), &sp_v, None));
        assert!(!needs_modify_below(&node(&sp_v), &sp_v, Some(&t.user1)));
        assert!(!needs_modify_below(&node(&t.sp1), &t.sp1, None));
        assert!(!needs_modify_below(&node(&sp_v), &t.org1, None));
        assert!(!needs_modify_below(&Actor::SystemAdmin, &t.sp1, None));
        let u = with(&t.user1, View);
        assert!(!needs_modify_below(&node(&u), &u, None));
    }

    #[test]
    fn a4_a_device_assigned_to_a_user_at_creation_starts_with_that_user_as_owner() {
        let t = tree();
        assert_eq!(first_owner(Some(&t.user1)), Some(t.user1.id));
        assert_eq!(first_owner(Some(&t.org1)), None);
        assert_eq!(first_owner(None), None);
    }

    #[test]
    fn d9_every_spelling_of_a_mac_is_one_address_so_the_unique_index_sees_one_device() {
        // D9 is a data rule: `MacAddress::parse` canonicalises, the unique index on the
        // canonical form refuses the second device (409 `mac_in_use`, tested over HTTP).
        use crate::domain::MacAddress;
        let forms = ["00:04:F2:AB:CD:EF", "00-04-f2-ab-cd-ef", "0004.f2ab.cdef", "0004f2abcdef"];
        let canonical: Vec<String> = forms.iter().filter_map(|f| MacAddress::parse(f)).map(|m| m.to_string()).collect();
        assert_eq!(canonical, vec!["0004f2abcdef"; 4]);
        assert!(MacAddress::parse("00:04:F2:AB:CD").is_none());
    }

    #[test]
    fn a6_device_owners_change_settings_lines_and_owners_whatever_their_level_but_not_provisioning() {
        let t = tree();
        let u = with(&t.user1, NO);
        let dev = facts(&t.org1, Some(&u), true);
        let current = place(&t.org1, Some(&u), false);
        let settings = Change { provisioning: false, settings: true };
        assert_allowed(can_read(&node(&u), &dev));
        assert_allowed(can_change(&node(&u), &dev, settings, &current));
        assert_allowed(can_manage(&node(&u), &dev, &current));
        let prov = Change { provisioning: true, settings: false };
        assert_denied(
            can_change(&node(&u), &dev, prov, &place(&t.org1, None, false)),
            Rule::D8,
            "provisioning_not_allowed",
        );
        assert_denied(can_delete(&node(&u), &dev, &current), Rule::D8, "provisioning_not_allowed");
        // An owner from elsewhere in the tree, same story.
        let other = with(&t.user2, Modify);
        assert_allowed(can_manage(&node(&other), &dev, &current));
        assert_denied(can_delete(&node(&other), &dev, &current), Rule::D8, "provisioning_not_allowed");
        // Not an owner: nothing beyond the tree.
        let not_owner = facts(&t.org1, Some(&u), false);
        assert_denied(can_manage(&node(&u), &not_owner, &current), Rule::D1, "sip_devices_area_hidden");
        assert_hidden(can_manage(&node(&other), &not_owner, &current));
    }

    #[test]
    fn a7_a_device_owner_may_take_itself_off_the_list_and_then_loses_the_device() {
        let t = tree();
        let other = with(&t.user2, Modify);
        let current = place(&t.org1, None, false);
        assert_allowed(can_remove_owner(&node(&other), &facts(&t.org1, None, true), &current, true));
        assert_hidden(can_read(&node(&other), &facts(&t.org1, None, false)));
    }
}
