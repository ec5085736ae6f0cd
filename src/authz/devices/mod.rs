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
mod tests;
