//! Accounts (telephone numbers): created and deleted through the tree (A5), their settings
//! changed by their owners, administrators and the tree (A2, A3).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::input::{double_option, non_null, set_text};
use super::{Input, PageRequest, Paged, Step, clean, unique_or};
use crate::auth::Principal;
use crate::authz;
use crate::authz::accounts::AccountFacts;
use crate::db::repo::accounts::{AccountRecord, AccountWithFacts};
use crate::db::repo::members::ListRef;
use crate::db::repo::{Lock, Locked};
use crate::db::{DbConn, now, repo, write_tx};
use crate::domain::audit::{ResourceType, Verb};
use crate::domain::code::Code;
use crate::domain::validate::{self, Errors};
use crate::domain::{AccountId, NodeKind, NodeRef, PhoneNumber, Timestamp};
use crate::error::ApiError;
use crate::service::audit::{self, Changes, Event, Under};

#[derive(Serialize, ToSchema)]
pub struct VoicemailView {
    pub enabled: bool,
    /// Whether a PIN is set; the PIN itself is write-only.
    pub pin_set: bool,
    pub email: Option<String>,
    /// Attach the recording to the notification e-mail.
    pub attach_audio: bool,
}

/// A telephone number of a user.
#[derive(Serialize, ToSchema)]
pub struct AccountView {
    #[schema(value_type = Uuid)]
    pub id: AccountId,
    /// The user the account belongs to.
    pub user_id: Uuid,
    /// E.164 (`+` and 8–15 digits) or an extension of 2–8 digits.
    pub number: String,
    pub display_name: Option<String>,
    /// The user location, used for emergency calls.
    pub location: Option<String>,
    pub voicemail: VoicemailView,
    /// The SIP user name phones register with, unique within the service provider.
    pub sip_username: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

impl From<AccountRecord> for AccountView {
    fn from(a: AccountRecord) -> AccountView {
        AccountView {
            id: a.id,
            user_id: a.user_id,
            number: a.number,
            display_name: a.display_name,
            location: a.location,
            voicemail: VoicemailView {
                enabled: a.vm_enabled,
                pin_set: a.vm_pin_hash.is_some(),
                email: a.vm_email,
                attach_audio: a.vm_attach_audio,
            },
            sip_username: a.sip_username,
            created_at: a.created_at,
            updated_at: a.updated_at,
        }
    }
}

/// A new account, with its generated SIP password: shown in this answer only (F1).
#[derive(Serialize, ToSchema)]
pub struct NewAccountView {
    #[serde(flatten)]
    pub account: AccountView,
    /// Generated (F1); shown once, here. Rotate it with `POST /v1/accounts/{id}/sip-password`.
    pub sip_password: String,
}

/// An account's SIP credentials after a rotation (F2): the password is shown once, here.
#[derive(Serialize, ToSchema)]
pub struct SipCredentials {
    pub sip_username: String,
    pub sip_password: String,
}

/// Voicemail settings; every field optional, `null` clears `pin` and `email`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VoicemailInput {
    #[serde(default, deserialize_with = "non_null")]
    #[schema(nullable = false)]
    pub enabled: Option<bool>,
    /// 4–10 digits; write-only, stored hashed.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(schema_with = crate::domain::validate::schemas::nullable_pin)]
    pub pin: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(schema_with = crate::domain::validate::schemas::nullable_email)]
    pub email: Option<Option<String>>,
    #[serde(default, deserialize_with = "non_null")]
    #[schema(nullable = false)]
    pub attach_audio: Option<bool>,
}

/// Body to create an account.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAccount {
    #[schema(schema_with = crate::domain::validate::schemas::number)]
    pub number: String,
    #[schema(schema_with = crate::domain::validate::schemas::nullable_display_name)]
    pub display_name: Option<String>,
    #[schema(schema_with = crate::domain::validate::schemas::nullable_location)]
    pub location: Option<String>,
    pub voicemail: Option<VoicemailInput>,
    /// Defaults to the number's digits without `+`.
    #[schema(schema_with = crate::domain::validate::schemas::nullable_sip_username)]
    pub sip_username: Option<String>,
}

/// Body of an account `PATCH`; `null` clears `display_name` and `location`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchAccount {
    #[serde(default, deserialize_with = "double_option")]
    #[schema(schema_with = crate::domain::validate::schemas::nullable_display_name)]
    pub display_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(schema_with = crate::domain::validate::schemas::nullable_location)]
    pub location: Option<Option<String>>,
    #[serde(default, deserialize_with = "non_null")]
    #[schema(nullable = false)]
    pub voicemail: Option<VoicemailInput>,
}

fn validate_settings(
    display_name: Option<&str>,
    location: Option<&str>,
    vm: Option<&VoicemailInput>,
) -> Result<(), ApiError> {
    let mut errors = Errors::default();
    if let Some(d) = display_name {
        errors.check("display_name", &validate::DISPLAY_NAME, d);
    }
    if let Some(l) = location {
        errors.check("location", &validate::LOCATION, l);
    }
    if let Some(vm) = vm {
        if let Some(Some(pin)) = &vm.pin {
            errors.check("voicemail.pin", &validate::PIN, pin);
        }
        if let Some(Some(email)) = &vm.email {
            errors.check("voicemail.email", &validate::EMAIL, email);
        }
    }
    if errors.is_empty() { Ok(()) } else { Err(ApiError::invalid(errors.into_vec())) }
}

/// Voicemail changes, the PIN as its hash: argon2 runs between the checks and the write,
/// with no connection held and outside the write transaction.
struct VoicemailChange {
    enabled: Option<bool>,
    pin_hash: Option<Option<String>>,
    email: Option<Option<String>>,
    attach_audio: Option<bool>,
}

impl VoicemailChange {
    /// The change, and the PIN it sets (to hash before the change is applied).
    fn of(vm: Option<VoicemailInput>) -> (Option<VoicemailChange>, Option<String>) {
        let Some(vm) = vm else { return (None, None) };
        let (pin_hash, pin) = match vm.pin {
            None => (None, None),
            Some(None) => (Some(None), None),
            Some(Some(pin)) => (None, Some(pin)),
        };
        (Some(VoicemailChange { enabled: vm.enabled, pin_hash, email: vm.email, attach_audio: vm.attach_audio }), pin)
    }

    fn apply(self, a: &mut AccountRecord) {
        if let Some(e) = self.enabled {
            a.vm_enabled = e;
        }
        if let Some(h) = self.pin_hash {
            a.vm_pin_hash = h;
        }
        if let Some(email) = self.email {
            a.vm_email = clean(email);
        }
        if let Some(at) = self.attach_audio {
            a.vm_attach_audio = at;
        }
    }
}

/// `f` now, or after the PIN is hashed (with the hash set in the voicemail change).
fn with_pin<T: 'static>(
    conn: &mut DbConn,
    caller: &Principal,
    mut voicemail: Option<VoicemailChange>,
    pin: Option<String>,
    f: impl FnOnce(&mut DbConn, &Principal, Option<VoicemailChange>) -> Result<T, ApiError> + Send + 'static,
) -> Result<Step<T>, ApiError> {
    match pin {
        None => f(conn, caller, voicemail).map(Step::Done),
        Some(pin) => Ok(Step::hash(pin, move |conn, caller, hash| {
            if let Some(vm) = voicemail.as_mut() {
                vm.pin_hash = Some(Some(hash));
            }
            f(conn, caller, voicemail)
        })),
    }
}

/// The settings a PATCH may change, to tell a change from a write of the same values (N6).
fn settings_of(a: &AccountRecord) -> impl PartialEq + use<'_> {
    (&a.display_name, &a.location, a.vm_enabled, &a.vm_pin_hash, &a.vm_email, a.vm_attach_audio)
}

fn facts(a: &AccountWithFacts) -> AccountFacts<'_> {
    AccountFacts {
        user: &a.user,
        caller_is_owner: a.caller_is_owner,
        caller_is_administrator: a.caller_is_administrator,
    }
}

fn load(conn: &mut DbConn, caller: &Principal, id: AccountId) -> Result<AccountWithFacts, ApiError> {
    repo::accounts::find_with_facts(conn, id, caller.login_id)?.ok_or(ApiError::NotFound)
}

/// The User an account is created for, if the caller may create one there (A5).
fn creatable_for(conn: &mut DbConn, caller: &Principal, user_id: Uuid) -> Result<NodeRef, ApiError> {
    let user = repo::nodes::find_ref_kind(conn, user_id, NodeKind::User)?.ok_or(ApiError::NotFound)?;
    authz::accounts::can_create(&caller.actor, &user).check()?;
    Ok(user)
}

/// A new secret from the OS's CSPRNG (F1).
fn new_sip_password() -> Result<String, ApiError> {
    crate::provisioning::generate_secret().map_err(|e| ApiError::internal(format!("no randomness: {e}")))
}

/// 409 for a number or a SIP user name that is taken. A new account can break both unique
/// indexes at once (its default SIP user name is its number's digits); the number is
/// named then, as it is the cause.
fn taken(e: diesel::result::Error, account: &AccountRecord, named_username: bool) -> ApiError {
    if named_username && repo::accounts::is_sip_username_conflict(&e) {
        ApiError::conflict(
            Code::SipUsernameTaken,
            format!("the SIP user name {} is taken in this service provider", account.sip_username),
        )
    } else {
        unique_or(e, || {
            ApiError::conflict(Code::NumberInUse, format!("the number {} is already in use", account.number))
        })
    }
}

/// Creates a telephone number for a user, through the tree only (A5). The user's login
/// starts on its owners list (A4). Its SIP password is generated and shown in this answer
/// only (F1); its SIP user name defaults to the number's digits.
pub fn create(
    conn: &mut DbConn,
    caller: &Principal,
    user_id: Uuid,
    body: Input<CreateAccount>,
) -> Result<Step<NewAccountView>, ApiError> {
    let user = creatable_for(conn, caller, user_id)?;
    let body = body.parse()?;
    let number = PhoneNumber::parse(&body.number).ok_or_else(|| {
        ApiError::field(
            "number",
            Code::InvalidNumber,
            "a number is E.164 (+ and 8 to 15 digits) or an extension of 2 to 8 digits",
        )
    })?;
    validate_settings(body.display_name.as_deref(), body.location.as_deref(), body.voicemail.as_ref())?;
    if let Some(u) = &body.sip_username {
        let mut errors = Errors::default();
        errors.check("sip_username", &validate::SIP_USERNAME, u);
        if !errors.is_empty() {
            return Err(ApiError::invalid(errors.into_vec()));
        }
    }
    let number = number.to_string();
    let named_username = body.sip_username.is_some();
    let sip_username = body.sip_username.unwrap_or_else(|| number.trim_start_matches('+').to_owned());
    let mut account = repo::accounts::new_record(&user, number, sip_username, new_sip_password()?);
    account.display_name = clean(body.display_name);
    account.location = clean(body.location);
    let (voicemail, pin) = VoicemailChange::of(body.voicemail);
    with_pin(conn, caller, voicemail, pin, move |conn, caller, voicemail| {
        if let Some(vm) = voicemail {
            vm.apply(&mut account);
        }
        write_tx(conn, |conn| {
            repo::lock(conn, Locked::Nodes, user_id, Lock::Share)?;
            let user = creatable_for(conn, caller, user_id)?;
            if repo::accounts::number_taken(conn, &account.number)? {
                return Err(ApiError::conflict(
                    Code::NumberInUse,
                    format!("the number {} is already in use", account.number),
                ));
            }
            repo::accounts::insert(conn, &account).map_err(|e| taken(e, &account, named_username))?;
            let login = repo::logins::id_of_node(conn, authz::accounts::first_owner(&user))?;
            repo::members::insert_first(conn, ListRef::AccountOwners(account.id), login)?;
            let pin_set = account.vm_pin_hash.is_some();
            let sip_password = account.sip_password.clone();
            let view = AccountView::from(account);
            let mut changes = Changes::created(&view).secret("sip_password", false);
            if pin_set {
                changes = changes.secret("voicemail.pin", false);
            }
            audit::record(conn, caller, account_event(view.id, Verb::Created, &user, changes))?;
            Ok(NewAccountView { account: view, sip_password })
        })
    })
}

/// Rotates an account's SIP password (F2): whoever may change the account's settings; the
/// old password stops working at once (the next rendering of every phone carries the new
/// one). The new password is shown in this answer only (F1).
pub fn rotate_sip_password(conn: &mut DbConn, caller: &Principal, id: AccountId) -> Result<SipCredentials, ApiError> {
    write_tx(conn, |conn| {
        repo::lock(conn, Locked::Accounts, id.0, Lock::Update)?;
        let a = load(conn, caller, id)?;
        authz::provisioning::can_rotate_sip_password(&caller.actor, &facts(&a)).check()?;
        let sip_password = new_sip_password()?;
        repo::accounts::set_sip_password(conn, id, &sip_password, now())?;
        let changes = Changes::default().secret("sip_password", true);
        audit::record(conn, caller, account_event(id, Verb::SipPasswordRotated, &a.user, changes))?;
        Ok(SipCredentials { sip_username: a.account.sip_username, sip_password })
    })
}

/// A user's accounts (the user itself and its ancestors, N2).
pub fn list(
    conn: &mut DbConn,
    caller: &Principal,
    user_id: Uuid,
    limit: Option<i64>,
    cursor: Option<&str>,
) -> Result<Paged<AccountView>, ApiError> {
    let user = repo::nodes::find_ref_kind(conn, user_id, NodeKind::User)?.ok_or(ApiError::NotFound)?;
    authz::accounts::can_list(&caller.actor, &user).check()?;
    let page = PageRequest::parse(limit, cursor)?;
    let rows = repo::accounts::list_for_user(conn, user_id, page.after, page.limit)?;
    Ok(Paged::from_rows(rows, page, |r| r.id.0).map(AccountView::from))
}

/// One account (owners, administrators, the tree, and its own user: A2, A3, A5).
pub fn get(conn: &mut DbConn, caller: &Principal, id: AccountId) -> Result<AccountView, ApiError> {
    let a = load(conn, caller, id)?;
    authz::accounts::can_read(&caller.actor, &facts(&a)).check()?;
    Ok(AccountView::from(a.account))
}

/// Changes an account's settings (administrators, owners, the tree: A2, A3, A5). Values
/// written as they already are change nothing (N6): such a PATCH writes nothing and keeps
/// `updated_at`. A PIN sent is always a change: it is stored only as a fresh hash.
pub fn update(
    conn: &mut DbConn,
    caller: &Principal,
    id: AccountId,
    body: Input<PatchAccount>,
) -> Result<Step<AccountView>, ApiError> {
    let a = load(conn, caller, id)?;
    authz::accounts::can_change_settings(&caller.actor, &facts(&a)).check()?;
    let body = body.parse()?;
    validate_settings(set_text(&body.display_name), set_text(&body.location), body.voicemail.as_ref())?;
    let (voicemail, pin) = VoicemailChange::of(body.voicemail);
    with_pin(conn, caller, voicemail, pin, move |conn, caller, voicemail| {
        write_tx(conn, |conn| {
            repo::lock(conn, Locked::Accounts, id.0, Lock::Update)?;
            let l = load(conn, caller, id)?;
            authz::accounts::can_change_settings(&caller.actor, &facts(&l)).check()?;
            let before = l.account.clone();
            let mut a = l.account;
            if let Some(d) = body.display_name {
                a.display_name = clean(d);
            }
            if let Some(loc) = body.location {
                a.location = clean(loc);
            }
            if let Some(vm) = voicemail {
                vm.apply(&mut a);
            }
            if settings_of(&a) != settings_of(&before) {
                a.updated_at = now();
                repo::accounts::update(conn, &a)?;
                let mut changes = Changes::diff(&AccountView::from(before.clone()), &AccountView::from(a.clone()));
                if a.vm_pin_hash.is_some() && a.vm_pin_hash != before.vm_pin_hash {
                    changes = changes.secret("voicemail.pin", before.vm_pin_hash.is_some());
                }
                audit::record(conn, caller, account_event(id, Verb::Updated, &l.user, changes))?;
            }
            Ok(AccountView::from(a))
        })
    })
}

/// Deletes an account, through the tree only (A5); 409 `account_in_use` while it is on a
/// device line.
pub fn delete(conn: &mut DbConn, caller: &Principal, id: AccountId) -> Result<(), ApiError> {
    write_tx(conn, |conn| {
        repo::lock(conn, Locked::Accounts, id.0, Lock::Update)?;
        let a = load(conn, caller, id)?;
        let on_a_line = repo::accounts::on_a_line(conn, id)?;
        authz::accounts::can_delete(&caller.actor, &facts(&a), on_a_line).check()?;
        repo::accounts::delete(conn, id)?;
        let event = account_event(id, Verb::Deleted, &a.user, Changes::deleted(&AccountView::from(a.account)));
        audit::record(conn, caller, event)
    })
}

/// An event about an account (L1), under its user.
pub(crate) fn account_event(id: AccountId, verb: Verb, user: &NodeRef, changes: Changes) -> Event {
    Event::new(ResourceType::Account, verb, id.0, Under::node(user), changes)
}
