//! The client address of a request (F7 throttles per client address, F8 records it).
//!
//! Behind a reverse proxy every request comes from the proxy, so the client is named by
//! `X-Forwarded-For`, which anyone can write. It is believed only when the peer is one of
//! the operator's trusted proxies, and then read from the right: the last address that is
//! not itself a trusted proxy is the client (addresses further left were written by the
//! client and prove nothing).

use std::net::IpAddr;

/// The client address: the peer's, or behind trusted proxies the one they name.
pub fn client_address(peer: Option<IpAddr>, forwarded_for: Option<&str>, trusted: &[IpAddr]) -> Option<IpAddr> {
    let peer = peer?;
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    let Some(header) = forwarded_for else { return Some(peer) };
    let mut client = peer;
    for hop in header.rsplit(',') {
        match hop.trim().parse::<IpAddr>() {
            Ok(addr) if trusted.contains(&addr) => client = addr,
            Ok(addr) => return Some(addr),
            // A malformed hop: nothing left of it can be trusted; the last good hop stands.
            Err(_) => return Some(client),
        }
    }
    Some(client)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn the_peer_is_the_client_unless_it_is_a_trusted_proxy() {
        let trusted = [ip("10.0.0.1")];
        assert_eq!(client_address(Some(ip("203.0.113.9")), Some("198.51.100.1"), &trusted), Some(ip("203.0.113.9")));
        assert_eq!(client_address(Some(ip("10.0.0.1")), Some("198.51.100.1"), &trusted), Some(ip("198.51.100.1")));
        assert_eq!(client_address(Some(ip("10.0.0.1")), None, &trusted), Some(ip("10.0.0.1")));
        assert_eq!(client_address(None, None, &trusted), None);
    }

    #[test]
    fn forwarded_for_is_read_from_the_right_past_trusted_proxies_only() {
        let trusted = [ip("10.0.0.1"), ip("10.0.0.2")];
        // The client wrote a fake first hop; the proxies appended the real one.
        let h = "1.2.3.4, 198.51.100.7, 10.0.0.2";
        assert_eq!(client_address(Some(ip("10.0.0.1")), Some(h), &trusted), Some(ip("198.51.100.7")));
        assert_eq!(client_address(Some(ip("10.0.0.1")), Some("garbage, 10.0.0.2"), &trusted), Some(ip("10.0.0.2")));
        assert_eq!(client_address(Some(ip("10.0.0.1")), Some("2001:db8::7"), &trusted), Some(ip("2001:db8::7")));
    }
}
