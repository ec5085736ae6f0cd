//! Phone provisioning rules F1–F9 (domain.md §5): who may issue which secret, who sees a
//! device's configuration, which file a phone gets, and when a client address is throttled.
//!
//! The people's side (F2, F3, F6, F8) is decided on the same facts as the account and
//! device rules it builds on. The phone's side (F4, F5, F7, F9) is decided on what the
//! phone proved and named: pure functions of the verdict, the file and the clock.

use super::accounts::{self, AccountFacts};
use super::devices::{self, DeviceFacts, Placement};
use super::{Decision, Refusal};
use crate::domain::{Actor, MacAddress};
use crate::provisioning::digest::Matched;
use crate::provisioning::files::{ProvisioningFile, Vendor};

/// Where a secret could appear (F1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// The answer of the request that generated the secret (create, rotate).
    Issued,
    /// Any read: a GET, a list, a log line, an audit event.
    Read,
}

/// F1: a generated secret is shown once, in the answer that issued it, and nowhere else.
pub fn shows_secret(answer: Answer) -> bool {
    answer == Answer::Issued
}

/// F2: an account's SIP password is rotated by whoever may change the account's settings
/// (A2, A3, A5); a reader who does not manage it is refused under F2.
pub fn can_rotate_sip_password(actor: &Actor, account: &AccountFacts) -> Decision {
    match accounts::can_change_settings(actor, account) {
        Decision::Deny(Refusal::NotAccountManager) => Decision::Deny(Refusal::SipPasswordNotAllowed),
        d => d,
    }
}

/// F3: a device's provisioning password is issued or rotated with D8's rights over the
/// device as it stands; a device owner without them is refused under F3.
pub fn can_issue_provisioning_password(actor: &Actor, device: &DeviceFacts, current: &Placement) -> Decision {
    match devices::can_delete(actor, device, current) {
        Decision::Deny(Refusal::ProvisioningNotAllowed) => Decision::Deny(Refusal::ProvisioningLoginNotAllowed),
        d => d,
    }
}

/// F3: the previous provisioning password still counts while its grace lasts (`until`, in
/// seconds since the Unix epoch, is cleared by the first fetch with the new one).
pub fn previous_password_counts(until: Option<i64>, now: i64) -> bool {
    until.is_some_and(|u| now < u)
}

/// F3: a fetch with the new password ends the previous one's grace at once.
pub fn ends_grace(matched: Matched) -> bool {
    matched == Matched::Current
}

/// F6: the rendered configuration (secrets redacted) is shown to whoever holds D8's
/// rights over the device, those of adding it where it is.
pub fn can_view_config(actor: &Actor, device: &DeviceFacts, current: &Placement) -> Decision {
    devices::can_delete(actor, device, current)
}

/// F8: the last fetch is part of the device, read by whoever may read the device.
pub fn can_read_fetch_record(actor: &Actor, device: &DeviceFacts) -> Decision {
    devices::can_read(actor, device)
}

/// What a phone's request for a file gets, once the phone is authenticated (F4) as the
/// device with `mac` of `vendor` (`None`: no template for its vendor).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fetch {
    /// A vendor's shared file: the same bytes for every phone, no secret (F5).
    Shared,
    /// The authenticated device's own file.
    Own,
    /// 404: another device's file, a file its vendor does not use, or no template (F5, F6).
    NotFound,
}

/// F5 (and F6's unknown vendor): a phone reads only its own files and shared ones.
pub fn can_fetch(authenticated: &MacAddress, vendor: Option<Vendor>, file: &ProvisioningFile) -> Fetch {
    match file {
        ProvisioningFile::Shared(_) => Fetch::Shared,
        ProvisioningFile::Device(f) if f.mac != *authenticated => Fetch::NotFound,
        ProvisioningFile::Device(f) => match vendor {
            Some(v) if f.kind.served_for(v) => Fetch::Own,
            _ => Fetch::NotFound,
        },
    }
}

/// F7: failed authentications from one address before it is throttled.
pub const MAX_FAILURES: i64 = 10;
/// F7: the window those failures are counted in, seconds.
pub const FAILURE_WINDOW_SECS: i64 = 300;

/// F7's verdict for a client address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Throttle {
    Open,
    /// 429 with `Retry-After` (seconds until the window ends, at least 1).
    Closed {
        retry_after_secs: i64,
    },
}

/// F7: after [`MAX_FAILURES`] failures within [`FAILURE_WINDOW_SECS`] of the first,
/// every request from the address is refused until that window ends.
pub fn throttle(failures: i64, window_start: i64, now: i64) -> Throttle {
    let ends = window_start.saturating_add(FAILURE_WINDOW_SECS);
    if failures >= MAX_FAILURES && now < ends {
        Throttle::Closed { retry_after_secs: (ends - now).max(1) }
    } else {
        Throttle::Open
    }
}

/// F7: whether a failure at `now` still counts in the window that started at
/// `window_start`, or starts a new one.
pub fn failure_in_window(window_start: i64, now: i64) -> bool {
    now < window_start.saturating_add(FAILURE_WINDOW_SECS)
}

/// F9: a change of MAC ends the provisioning login (the phone's username is its MAC, and
/// the verifiers were derived from it); any other change keeps it.
pub fn login_survives(mac_changed: bool) -> bool {
    !mac_changed
}

#[cfg(test)]
mod tests;
