use super::*;
use crate::authz::Rule;
use crate::authz::testing::*;
use crate::domain::fixtures::*;
use crate::domain::{Level, NodeRef};
use crate::provisioning::files::{DeviceFile, DeviceFileKind, SharedFile};

fn node(n: &NodeRef) -> Actor {
    Actor::Node(n.clone())
}

fn account(user: &NodeRef, owner: bool, admin: bool) -> AccountFacts<'_> {
    AccountFacts { user, caller_is_owner: owner, caller_is_administrator: admin }
}

fn device<'a>(context: &'a NodeRef, assignee: Option<&'a NodeRef>, owner: bool) -> DeviceFacts<'a> {
    DeviceFacts { context, assigned_to: assignee, caller_is_owner: owner }
}

fn place<'a>(context: &'a NodeRef, assignee: Option<&'a NodeRef>) -> Placement<'a> {
    Placement { context, assignee, modify_below_context: false }
}

fn mac(s: &str) -> MacAddress {
    MacAddress::parse(s).unwrap()
}

#[test]
fn f1_a_generated_secret_shows_in_the_answer_that_issued_it_only() {
    assert!(shows_secret(Answer::Issued));
    assert!(!shows_secret(Answer::Read));
}

#[test]
fn f2_the_sip_password_is_rotated_by_who_changes_the_accounts_settings() {
    let t = tree();
    for (who, facts) in [
        (Actor::SystemAdmin, account(&t.user1, false, false)),
        (node(&t.sp1), account(&t.user1, false, false)),
        (node(&t.org1), account(&t.user1, false, false)),
        (node(&t.user1), account(&t.user1, true, false)),
        (node(&t.user2), account(&t.user1, false, true)),
    ] {
        assert_allowed(can_rotate_sip_password(&who, &facts));
    }
    // The account's own User, taken off its lists, still reads it but rotates nothing.
    assert_denied(
        can_rotate_sip_password(&node(&t.user1), &account(&t.user1, false, false)),
        Rule::F2,
        "not_account_manager",
    );
    assert_hidden(can_rotate_sip_password(&node(&t.user1b), &account(&t.user1, false, false)));
    assert_hidden(can_rotate_sip_password(&node(&t.sp2), &account(&t.user1, false, false)));
}

#[test]
fn f3_the_provisioning_password_needs_d8_rights_and_an_owner_without_them_is_refused_under_f3() {
    let t = tree();
    let d = device(&t.org1, Some(&t.user1), false);
    let p = place(&t.org1, Some(&t.user1));
    for who in [Actor::SystemAdmin, node(&t.sp1), node(&t.org1)] {
        assert_allowed(can_issue_provisioning_password(&who, &d, &p));
    }
    // The assigned User owns the phone but provisions nothing in its organization's context.
    let owned = device(&t.org1, Some(&t.user1), true);
    assert_denied(can_issue_provisioning_password(&node(&t.user1), &owned, &p), Rule::F3, "provisioning_not_allowed");
    // An owner whose level is none: the same refusal, not D1 (it reads the device as owner).
    let blind = with(&t.user1, Level::None);
    assert_denied(can_issue_provisioning_password(&node(&blind), &owned, &p), Rule::F3, "provisioning_not_allowed");
    // In its own context a User with modify provisions its own phone.
    let own_ctx = device(&t.user1, Some(&t.user1), true);
    assert_allowed(can_issue_provisioning_password(&node(&t.user1), &own_ctx, &place(&t.user1, Some(&t.user1))));
    // A User with view may not (D6), and nobody outside the tree sees the device.
    let viewer = with(&t.user1, Level::View);
    let d6 = can_issue_provisioning_password(&node(&viewer), &device(&t.user1, None, false), &place(&t.user1, None));
    assert_denied(d6, Rule::D6, "view_only");
    assert_hidden(can_issue_provisioning_password(&node(&t.org2), &d, &p));
}

#[test]
fn f3_the_previous_password_counts_until_its_grace_ends_or_the_new_one_is_used() {
    assert!(previous_password_counts(Some(1_000), 999));
    assert!(!previous_password_counts(Some(1_000), 1_000));
    assert!(!previous_password_counts(None, 0));
    assert!(ends_grace(Matched::Current));
    assert!(!ends_grace(Matched::Previous));
}

#[test]
fn f4_a_phone_is_the_device_whose_mac_it_authenticated_as() {
    // F4's verification itself is `provisioning::digest` (tested there); what it yields is
    // one MAC, and every decision about files starts from that MAC only.
    let me = mac("0015651234ab");
    let file = ProvisioningFile::Device(DeviceFile { kind: DeviceFileKind::MacCfg, mac: me.clone() });
    assert_eq!(can_fetch(&me, Some(Vendor::Yealink), &file), Fetch::Own);
    assert_eq!(can_fetch(&mac("0015651234ac"), Some(Vendor::Yealink), &file), Fetch::NotFound);
}

#[test]
fn f5_a_phone_reads_its_own_files_and_shared_ones_only() {
    let me = mac("0015651234ab");
    let other = mac("0015651234ac");
    let own = |kind| ProvisioningFile::Device(DeviceFile { kind, mac: me.clone() });
    assert_eq!(
        can_fetch(&me, Some(Vendor::Polycom), &ProvisioningFile::Shared(SharedFile::PolycomDefaultMaster)),
        Fetch::Shared
    );
    assert_eq!(
        can_fetch(&other, None, &ProvisioningFile::Shared(SharedFile::YealinkModelCommon { code: 66 })),
        Fetch::Shared
    );
    assert_eq!(can_fetch(&me, Some(Vendor::Polycom), &own(DeviceFileKind::PolycomSettings)), Fetch::Own);
    assert_eq!(can_fetch(&other, Some(Vendor::Polycom), &own(DeviceFileKind::PolycomSettings)), Fetch::NotFound);
    // Its own MAC in a file its vendor does not use: no such file.
    assert_eq!(can_fetch(&me, Some(Vendor::Grandstream), &own(DeviceFileKind::YealinkBoot)), Fetch::NotFound);
}

#[test]
fn f6_the_config_is_shown_to_d8_rights_and_an_unknown_vendor_has_no_file() {
    let t = tree();
    let d = device(&t.org1, Some(&t.user1), false);
    let p = place(&t.org1, Some(&t.user1));
    assert_allowed(can_view_config(&node(&t.org1), &d, &p));
    let owned = device(&t.org1, Some(&t.user1), true);
    assert_denied(can_view_config(&node(&t.user1), &owned, &p), Rule::D8, "provisioning_not_allowed");
    let me = mac("0015651234ab");
    let file = ProvisioningFile::Device(DeviceFile { kind: DeviceFileKind::MacCfg, mac: me.clone() });
    assert_eq!(can_fetch(&me, None, &file), Fetch::NotFound);
}

#[test]
fn f7_ten_failures_within_five_minutes_close_the_address_until_the_window_ends() {
    let start = 10_000;
    assert_eq!(throttle(MAX_FAILURES - 1, start, start + 10), Throttle::Open);
    assert_eq!(throttle(MAX_FAILURES, start, start + 10), Throttle::Closed { retry_after_secs: 290 });
    assert_eq!(
        throttle(MAX_FAILURES + 5, start, start + FAILURE_WINDOW_SECS - 1),
        Throttle::Closed { retry_after_secs: 1 }
    );
    assert_eq!(throttle(MAX_FAILURES, start, start + FAILURE_WINDOW_SECS), Throttle::Open);
    assert!(failure_in_window(start, start + FAILURE_WINDOW_SECS - 1));
    assert!(!failure_in_window(start, start + FAILURE_WINDOW_SECS));
}

#[test]
fn f8_the_fetch_record_is_read_with_the_device() {
    let t = tree();
    let owned = device(&t.org1, Some(&t.user1), true);
    assert_allowed(can_read_fetch_record(&node(&t.user1), &owned));
    assert_allowed(can_read_fetch_record(&node(&t.org1), &device(&t.org1, None, false)));
    assert_hidden(can_read_fetch_record(&node(&t.org2), &device(&t.org1, None, false)));
}

#[test]
fn f9_a_new_mac_ends_the_provisioning_login_other_changes_keep_it() {
    assert!(!login_survives(true));
    assert!(login_survives(false));
}
