//! Ids that functions take side by side get types of their own, so a device id can never
//! be passed where a login id is expected (`is_owner(device, login)` had two `Uuid`s).

use std::fmt;

use uuid::Uuid;

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
