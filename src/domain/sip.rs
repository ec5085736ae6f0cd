//! A service provider's SIP service (domain.md §5): the domain its phones register in and
//! the registrar they send to. One shape for what a client writes and what it reads.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// How phones reach the registrar.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Transport {
    Udp,
    Tcp,
    Tls,
}

impl Transport {
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Udp => "udp",
            Transport::Tcp => "tcp",
            Transport::Tls => "tls",
        }
    }

    pub fn parse(s: &str) -> Option<Transport> {
        match s {
            "udp" => Some(Transport::Udp),
            "tcp" => Some(Transport::Tcp),
            "tls" => Some(Transport::Tls),
            _ => None,
        }
    }
}

/// Where the phones of a service provider register.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Registrar {
    #[schema(schema_with = crate::domain::validate::schemas::sip_host)]
    pub host: String,
    /// 1 to 65535.
    #[schema(minimum = 1, maximum = 65535)]
    pub port: i64,
    pub transport: Transport,
}

/// A service provider's SIP service. Until it is set, its phones get 404 for their
/// per-device files: there is nothing to register to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SipService {
    #[schema(schema_with = crate::domain::validate::schemas::sip_domain)]
    pub domain: String,
    pub registrar: Registrar,
}

impl SipService {
    /// Every invalid field of a written SIP service, named under `field` (e.g. `sip`).
    pub fn check(&self, field: &str, errors: &mut super::validate::Errors) {
        errors.check(&format!("{field}.domain"), &super::validate::SIP_DOMAIN, &self.domain);
        errors.check(&format!("{field}.registrar.host"), &super::validate::SIP_HOST, &self.registrar.host);
        if u16::try_from(self.registrar.port).map_or(true, |p| p == 0) {
            errors.add(&format!("{field}.registrar.port"), super::code::Code::InvalidPort, "must be from 1 to 65535");
        }
    }

    /// The port, once [`SipService::check`] passed.
    pub fn port(&self) -> u16 {
        u16::try_from(self.registrar.port).unwrap_or(5060)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::validate::Errors;

    fn sip(domain: &str, host: &str, port: i64) -> SipService {
        SipService {
            domain: domain.into(),
            registrar: Registrar { host: host.into(), port, transport: Transport::Tls },
        }
    }

    #[test]
    fn a_sip_service_needs_a_host_name_domain_a_host_or_ip_registrar_and_a_port() {
        for ok in [
            sip("voice.example.net", "sbc.example.net", 5061),
            sip("a", "192.0.2.1", 1),
            sip("a", "2001:db8::1", 65535),
        ] {
            let mut e = Errors::default();
            ok.check("sip", &mut e);
            assert!(e.is_empty(), "{ok:?}: {e:?}");
        }
        for (bad, field) in [
            (sip("", "h", 5060), "sip.domain"),
            (sip("bad domain", "h", 5060), "sip.domain"),
            (sip("d", "[2001:db8::1]", 5060), "sip.registrar.host"),
            (sip("d", "h", 0), "sip.registrar.port"),
            (sip("d", "h", 65536), "sip.registrar.port"),
            (sip("d", "h", -1), "sip.registrar.port"),
        ] {
            let mut e = Errors::default();
            bad.check("sip", &mut e);
            let v = e.into_vec();
            assert_eq!(v.len(), 1, "{bad:?}");
            assert_eq!(v[0].field, field);
        }
    }
}
