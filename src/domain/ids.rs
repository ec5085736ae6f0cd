//! Ids that functions take side by side get types of their own, so a device id can never
//! be passed where a login id is expected (`is_owner(device, login)` had two `Uuid`s).

use std::fmt;

use uuid::Uuid;

/// A UUID in the one form the API documents (`format: uuid`): 36 characters, hyphenated,
/// any case. The braced, URN and unhyphenated forms the `uuid` crate also reads are not ids
/// a client was given, and a request that sends them is invalid by the document.
pub fn parse_uuid(s: &str) -> Option<Uuid> {
    if s.len() != 36 || s.as_bytes().get(8) != Some(&b'-') {
        return None;
    }
    Uuid::try_parse(s).ok()
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            pub fn uuid(self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl From<Uuid> for $name {
            fn from(id: Uuid) -> $name {
                $name(id)
            }
        }
    };
}

id_type!(
    /// A service provider, organization or user.
    NodeId
);
id_type!(
    /// A login: a node's, or a system admin's.
    LoginId
);
id_type!(
    /// A SIP device.
    DeviceId
);
id_type!(
    /// An account (telephone number).
    AccountId
);
id_type!(
    /// An API client (K1); its `client_id` is this id.
    ApiClientId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_hyphenated_form_is_an_id() {
        let id = Uuid::new_v4();
        assert_eq!(parse_uuid(&id.hyphenated().to_string()), Some(id));
        assert_eq!(parse_uuid(&id.hyphenated().to_string().to_uppercase()), Some(id));
        assert_eq!(parse_uuid(&id.simple().to_string()), None);
        assert_eq!(parse_uuid(&id.braced().to_string()), None);
        assert_eq!(parse_uuid(&id.urn().to_string()), None);
        assert_eq!(parse_uuid("not-a-uuid-but-36-characters-long!!"), None);
    }
}
