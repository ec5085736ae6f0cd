//! Who reads which audit events (L2), which events a webhook receives (L3) and who manages
//! webhooks (L3 by K1). An event carries the ids of the SP, Org and User it lies under,
//! fixed when it is written, so these decisions need no lookup of the resource, which may
//! be gone: an event of a deleted device stays readable by the same callers.

use std::net::IpAddr;

use uuid::Uuid;

use super::Decision;
use crate::domain::audit::ResourceType;
use crate::domain::{Actor, Level, NodeKind, NodeRef};

/// Where an event lies in the tree, and what it is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventPlace {
    pub resource: ResourceType,
    pub sp_id: Option<Uuid>,
    pub org_id: Option<Uuid>,
    pub user_id: Option<Uuid>,
}

/// The events a caller reads, as a filter the repository applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventScope {
    /// System admins: every event.
    All,
    /// The events under one node (`sp_id`, `org_id` or `user_id` equal to `node`), without
    /// device events when the node's level hides the SIP devices area (D1).
    Under { kind: NodeKind, node: Uuid, devices: bool },
}

/// L2: a system admin reads every event; an SP or Org owner (or its API clients) the
/// events under its node; a User those about its own node, accounts and devices. Device
/// events follow D1: a caller whose level is `none` has no SIP devices area, so it does not
/// read what happens there either.
pub fn readable_events(actor: &Actor) -> EventScope {
    match actor {
        Actor::SystemAdmin => EventScope::All,
        Actor::Node(n) => EventScope::Under { kind: n.kind, node: n.id, devices: n.level != Level::None },
    }
}

/// L2 for one event (and L3: a webhook receives what its node reads).
pub fn can_read_event(actor: &Actor, place: &EventPlace) -> bool {
    match readable_events(actor) {
        EventScope::All => true,
        EventScope::Under { kind, node, devices } => {
            let under = match kind {
                NodeKind::ServiceProvider => place.sp_id == Some(node),
                NodeKind::Organization => place.org_id == Some(node),
                NodeKind::User => place.user_id == Some(node),
            };
            under && (devices || place.resource != ResourceType::Device)
        }
    }
}

/// L3 by K1: a node's webhooks are created, listed, changed and deleted by its own login,
/// its ancestors' logins and system admins, exactly those who read the node (N2); anyone
/// else gets 404 (N5).
pub fn can_manage_webhooks(actor: &Actor, node: &NodeRef) -> Decision {
    super::nodes::can_read(actor, node)
}

/// Why a webhook URL is refused (L4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UrlRefusal {
    /// Not `https` (or `http` where the operator allows it).
    Scheme,
    /// A loopback, private, link-local or otherwise non-public address, or `localhost`.
    Address,
}

/// L4: a webhook's URL is `https` and its host is not a loopback, private or link-local
/// address (nor a name that is one by definition, `localhost`), unless the operator's
/// settings allow it. `host` is the URL's host without IPv6 brackets. A name is checked
/// again at each delivery, on the addresses it then resolves to ([`is_public`]).
pub fn url_allowed(scheme: &str, host: &str, allow_insecure: bool) -> Result<(), UrlRefusal> {
    if allow_insecure {
        return if matches!(scheme, "https" | "http") { Ok(()) } else { Err(UrlRefusal::Scheme) };
    }
    if scheme != "https" {
        return Err(UrlRefusal::Scheme);
    }
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if host == "localhost" || host.ends_with(".localhost") {
        return Err(UrlRefusal::Address);
    }
    match host.parse::<IpAddr>() {
        Ok(ip) if !is_public(ip) => Err(UrlRefusal::Address),
        _ => Ok(()),
    }
}

/// L4: whether a webhook may be sent to this address: not loopback, private (RFC 1918,
/// unique local), link-local, shared (CGNAT), unspecified, multicast, broadcast or reserved;
/// an IPv4 address mapped into IPv6 is judged as itself.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || a >= 240
                || (a == 100 && (64..128).contains(&b))
                || (a == 192 && b == 0))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || (first & 0xffc0) == 0xfec0
                || first == 0x2001 && v6.segments()[1] == 0x0db8)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authz::testing::{assert_allowed, assert_hidden};
    use crate::domain::fixtures::{tree, with};

    fn place(resource: ResourceType, n: &NodeRef) -> EventPlace {
        let user_id = (n.kind == NodeKind::User).then_some(n.id);
        EventPlace { resource, sp_id: Some(n.sp_id), org_id: n.org_id, user_id }
    }

    #[test]
    fn l2_system_admins_read_every_event() {
        let t = tree();
        assert_eq!(readable_events(&Actor::SystemAdmin), EventScope::All);
        assert!(can_read_event(&Actor::SystemAdmin, &place(ResourceType::Device, &t.user3)));
    }

    #[test]
    fn l2_owners_read_the_events_under_their_node_and_no_other_tenants() {
        let t = tree();
        let sp = Actor::Node(t.sp1.clone());
        let org = Actor::Node(t.org1.clone());
        let user = Actor::Node(t.user1.clone());
        for r in [ResourceType::Account, ResourceType::Device, ResourceType::User, ResourceType::Webhook] {
            assert!(can_read_event(&sp, &place(r, &t.user1)));
            assert!(can_read_event(&org, &place(r, &t.user1)));
            assert!(can_read_event(&user, &place(r, &t.user1)));
            assert!(!can_read_event(&sp, &place(r, &t.user3)), "another SP's event");
            assert!(!can_read_event(&org, &place(r, &t.user2)), "another Org's event");
            assert!(!can_read_event(&user, &place(r, &t.user1b)), "another User's event");
        }
        assert!(can_read_event(&sp, &place(ResourceType::ServiceProvider, &t.sp1)));
        assert!(!can_read_event(&org, &place(ResourceType::ServiceProvider, &t.sp1)), "the SP above");
        assert!(!can_read_event(&user, &place(ResourceType::Organization, &t.org1)), "the Org above");
    }

    #[test]
    fn l2_with_d1_a_caller_whose_level_is_none_reads_no_device_events() {
        let t = tree();
        let org = Actor::Node(with(&t.org1, Level::None));
        assert!(!can_read_event(&org, &place(ResourceType::Device, &t.user1)));
        assert!(can_read_event(&org, &place(ResourceType::Account, &t.user1)));
        assert_eq!(
            readable_events(&org),
            EventScope::Under { kind: NodeKind::Organization, node: t.org1.id, devices: false }
        );
    }

    #[test]
    fn l3_a_nodes_webhooks_are_managed_by_its_login_and_ancestors_only() {
        let t = tree();
        assert_allowed(can_manage_webhooks(&Actor::SystemAdmin, &t.user1));
        assert_allowed(can_manage_webhooks(&Actor::Node(t.sp1.clone()), &t.user1));
        assert_allowed(can_manage_webhooks(&Actor::Node(t.user1.clone()), &t.user1));
        assert_hidden(can_manage_webhooks(&Actor::Node(t.user1.clone()), &t.org1));
        assert_hidden(can_manage_webhooks(&Actor::Node(t.sp2.clone()), &t.user1));
    }

    #[test]
    fn l4_webhook_urls_are_https_to_public_addresses_unless_the_operator_allows_otherwise() {
        assert_eq!(url_allowed("https", "hooks.example.com", false), Ok(()));
        assert_eq!(url_allowed("https", "93.184.216.34", false), Ok(()));
        assert_eq!(url_allowed("http", "hooks.example.com", false), Err(UrlRefusal::Scheme));
        for host in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "0.0.0.0",
            "100.64.0.1",
            "localhost",
            "api.localhost",
            "LOCALHOST.",
        ] {
            assert_eq!(url_allowed("https", host, false), Err(UrlRefusal::Address), "{host}");
        }
        assert_eq!(url_allowed("http", "127.0.0.1", true), Ok(()));
        assert_eq!(url_allowed("ftp", "example.com", true), Err(UrlRefusal::Scheme));
    }

    #[test]
    fn l4_at_delivery_only_public_addresses_are_used() {
        assert!(is_public("8.8.8.8".parse().unwrap()));
        assert!(is_public("2606:4700::1111".parse().unwrap()));
        assert!(!is_public("127.0.0.53".parse().unwrap()));
        assert!(!is_public("::ffff:10.0.0.1".parse().unwrap()));
    }
}
