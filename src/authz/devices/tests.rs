//! Unit tests of the device rules, one or more per rule id.
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
