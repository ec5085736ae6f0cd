//! Accounts (telephone numbers) and their owners and administrators lists (A1–A7).

use actix_web::{HttpResponse, delete, get, patch, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use super::extract::{ApiJson, PageQuery, double_option, non_null, set_text};
use super::{Member, MemberInput, Page, clean, listable_login, member_response};
use crate::auth::{Principal, password};
use crate::authz;
use crate::authz::accounts::{AccountFacts, List};
use crate::db::repo::accounts::{ADMINISTRATOR, AccountRecord, OWNER};
use crate::db::repo::{Lock, Locked};
use crate::db::{self, DbConn, now, repo, write_tx};
use crate::domain::validate::{Errors, is_email, is_pin};
use crate::domain::{NodeKind, NodeRef, PhoneNumber};
use crate::error::{ApiError, Problem};
use crate::startup::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(create_account)
        .service(list_accounts)
        .service(get_account)
        .service(patch_account)
        .service(delete_account)
        .service(list_account_owners)
        .service(add_account_owner)
        .service(remove_account_owner)
        .service(list_account_administrators)
        .service(add_account_administrator)
        .service(remove_account_administrator);
}

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
    pub id: Uuid,
    /// The user the account belongs to.
    pub user_id: Uuid,
    /// E.164 (`+` and 8–15 digits) or an extension of 2–8 digits.
    pub number: String,
    pub display_name: Option<String>,
    /// The user location, used for emergency calls.
    pub location: Option<String>,
    pub voicemail: VoicemailView,
    pub created_at: String,
    pub updated_at: String,
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
            created_at: a.created_at,
            updated_at: a.updated_at,
        }
    }
}

/// Voicemail settings; every field optional, `null` clears `pin` and `email`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VoicemailInput {
    #[serde(default, deserialize_with = "non_null")]
    pub enabled: Option<bool>,
    /// 4–10 digits; write-only, stored hashed.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub pin: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub email: Option<Option<String>>,
    #[serde(default, deserialize_with = "non_null")]
    pub attach_audio: Option<bool>,
}

/// Body to create an account.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAccount {
    pub number: String,
    pub display_name: Option<String>,
    pub location: Option<String>,
    pub voicemail: Option<VoicemailInput>,
}

/// Body of an account `PATCH`; `null` clears `display_name` and `location`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchAccount {
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub display_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub location: Option<Option<String>>,
    #[serde(default, deserialize_with = "non_null")]
    pub voicemail: Option<VoicemailInput>,
}

fn validate_settings(
    display_name: Option<&str>,
    location: Option<&str>,
    vm: Option<&VoicemailInput>,
) -> Result<(), ApiError> {
    let mut errors = Errors::default();
    if let Some(d) = display_name {
        errors.text("display_name", d, 200);
    }
    if let Some(l) = location {
        errors.text("location", l, 500);
    }
    if let Some(vm) = vm {
        if let Some(Some(pin)) = &vm.pin
            && !is_pin(pin)
        {
            errors.add("voicemail.pin", "invalid_pin", "a PIN is 4 to 10 digits");
        }
        if let Some(Some(email)) = &vm.email
            && !is_email(email)
        {
            errors.add("voicemail.email", "invalid_email", "not an e-mail address");
        }
    }
    if errors.is_empty() { Ok(()) } else { Err(ApiError::invalid(errors.into_vec())) }
}

/// Voicemail changes with the PIN already hashed: argon2 runs before the write
/// transaction, not while it holds the lock.
struct VoicemailChange {
    enabled: Option<bool>,
    pin_hash: Option<Option<String>>,
    email: Option<Option<String>>,
    attach_audio: Option<bool>,
}

impl VoicemailChange {
    fn hash(vm: Option<VoicemailInput>) -> Result<Option<VoicemailChange>, ApiError> {
        let Some(vm) = vm else { return Ok(None) };
        let pin_hash = vm.pin.map(|pin| pin.map(|p| password::hash(&p)).transpose()).transpose()?;
        Ok(Some(VoicemailChange { enabled: vm.enabled, pin_hash, email: vm.email, attach_audio: vm.attach_audio }))
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

/// An account with the facts the rules need.
struct Loaded {
    account: AccountRecord,
    user: NodeRef,
    owner: bool,
    admin: bool,
}

impl Loaded {
    fn facts(&self) -> AccountFacts<'_> {
        AccountFacts { user: &self.user, caller_is_owner: self.owner, caller_is_administrator: self.admin }
    }
}

fn load(conn: &mut DbConn, caller: &Principal, id: Uuid) -> Result<Loaded, ApiError> {
    let account = repo::accounts::find(conn, id)?.ok_or(ApiError::NotFound)?;
    let user = repo::nodes::find(conn, account.user_id)?
        .ok_or_else(|| ApiError::internal("account user vanished"))?
        .node_ref();
    let (owner, admin) = repo::accounts::roles(conn, id, caller.login_id)?;
    Ok(Loaded { account, user, owner, admin })
}

/// Create a telephone number for a user, through the tree only (A5). The user's login
/// starts on its owners list (A4).
#[utoipa::path(tag = "accounts", params(("id" = Uuid, Path, description = "user id")), request_body = CreateAccount, responses(
    (status = 201, body = AccountView),
    (status = 403, body = Problem, content_type = "application/problem+json", description = "A5 `tree_only`"),
    (status = 409, body = Problem, content_type = "application/problem+json", description = "`number_in_use`"),
    (status = 422, body = Problem, content_type = "application/problem+json", description = "`invalid_number`, `invalid_pin`, `invalid_email`"),
))]
#[post("/users/{id}/accounts")]
pub async fn create_account(
    s: web::Data<AppState>,
    p: Principal,
    id: web::Path<Uuid>,
    b: ApiJson<CreateAccount>,
) -> Result<HttpResponse, ApiError> {
    let (user_id, body) = (*id, b.0);
    let number = PhoneNumber::parse(&body.number).ok_or_else(|| {
        ApiError::field(
            "number",
            "invalid_number",
            "a number is E.164 (+ and 8 to 15 digits) or an extension of 2 to 8 digits",
        )
    })?;
    validate_settings(body.display_name.as_deref(), body.location.as_deref(), body.voicemail.as_ref())?;
    let view = db::run(&s.pool, move |conn| {
        let mut account = repo::accounts::new_record(user_id, number.to_string());
        account.display_name = clean(body.display_name);
        account.location = clean(body.location);
        if let Some(vm) = VoicemailChange::hash(body.voicemail)? {
            vm.apply(&mut account);
        }
        write_tx(conn, |conn| {
            repo::lock(conn, Locked::Nodes, user_id, Lock::Share)?;
            let user = repo::nodes::find_kind(conn, user_id, NodeKind::User)?.ok_or(ApiError::NotFound)?.node_ref();
            authz::accounts::can_create(&p.actor, &user).check()?;
            repo::accounts::save(conn, &account, true)?;
            let login = repo::logins::by_node(conn, user.id)?;
            repo::accounts::add_member(conn, account.id, OWNER, login.id)?;
            Ok(AccountView::from(account))
        })
    })
    .await?;
    Ok(HttpResponse::Created().json(view))
}

/// A user's accounts (the user itself and its ancestors, N2).
#[utoipa::path(tag = "accounts", params(("id" = Uuid, Path, description = "user id"), PageQuery), responses((status = 200, body = Page<AccountView>)))]
#[get("/users/{id}/accounts")]
pub async fn list_accounts(
    s: web::Data<AppState>,
    p: Principal,
    id: web::Path<Uuid>,
    q: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let user_id = *id;
    let (after, limit) = q.resolve()?;
    let (rows, next) = db::run(&s.pool, move |conn| {
        let user = repo::nodes::find_kind(conn, user_id, NodeKind::User)?.ok_or(ApiError::NotFound)?.node_ref();
        authz::accounts::can_list(&p.actor, &user).check()?;
        repo::accounts::list_for_user(conn, user_id, after, limit)
    })
    .await?;
    Ok(HttpResponse::Ok().json(Page::new(rows.into_iter().map(AccountView::from).collect(), next)))
}

/// One account (owners, administrators, the tree, and its own user: A2, A3, A5).
#[utoipa::path(tag = "accounts", params(("id" = Uuid, Path)), responses((status = 200, body = AccountView)))]
#[get("/accounts/{id}")]
pub async fn get_account(s: web::Data<AppState>, p: Principal, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    let id = *id;
    let account = db::run(&s.pool, move |conn| {
        let l = load(conn, &p, id)?;
        authz::accounts::can_read(&p.actor, &l.facts()).check()?;
        Ok(l.account)
    })
    .await?;
    Ok(HttpResponse::Ok().json(AccountView::from(account)))
}

/// Change an account's settings (administrators, owners, the tree: A2, A3, A5).
#[utoipa::path(tag = "accounts", params(("id" = Uuid, Path)), request_body = PatchAccount, responses(
    (status = 200, body = AccountView),
    (status = 403, body = Problem, content_type = "application/problem+json", description = "A2 `not_account_manager`"),
    (status = 422, body = Problem, content_type = "application/problem+json", description = "`invalid_pin`, `invalid_email`, too long"),
))]
#[patch("/accounts/{id}")]
pub async fn patch_account(
    s: web::Data<AppState>,
    p: Principal,
    id: web::Path<Uuid>,
    b: ApiJson<PatchAccount>,
) -> Result<HttpResponse, ApiError> {
    let (id, body) = (*id, b.0);
    validate_settings(set_text(&body.display_name), set_text(&body.location), body.voicemail.as_ref())?;
    let account = db::run(&s.pool, move |conn| {
        let voicemail = VoicemailChange::hash(body.voicemail)?;
        write_tx(conn, |conn| {
            repo::lock(conn, Locked::Accounts, id, Lock::Update)?;
            let l = load(conn, &p, id)?;
            authz::accounts::can_change_settings(&p.actor, &l.facts()).check()?;
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
            a.updated_at = now();
            repo::accounts::save(conn, &a, false)?;
            Ok(a)
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(AccountView::from(account)))
}

/// Delete an account, through the tree only (A5); 409 `account_in_use` while it is on a
/// device line.
#[utoipa::path(tag = "accounts", params(("id" = Uuid, Path)), responses(
    (status = 204),
    (status = 403, body = Problem, content_type = "application/problem+json", description = "A5 `tree_only`"),
    (status = 409, body = Problem, content_type = "application/problem+json", description = "A5 `account_in_use`"),
))]
#[delete("/accounts/{id}")]
pub async fn delete_account(
    s: web::Data<AppState>,
    p: Principal,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = *id;
    db::run(&s.pool, move |conn| {
        write_tx(conn, |conn| {
            repo::lock(conn, Locked::Accounts, id, Lock::Update)?;
            let l = load(conn, &p, id)?;
            let on_a_line = repo::accounts::on_a_line(conn, id)?;
            authz::accounts::can_delete(&p.actor, &l.facts(), on_a_line).check()?;
            repo::accounts::delete(conn, id)
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

fn role_of(list: List) -> &'static str {
    match list {
        List::Owners => OWNER,
        List::Administrators => ADMINISTRATOR,
    }
}

async fn list_members(
    s: &AppState,
    p: Principal,
    id: Uuid,
    list: List,
    q: PageQuery,
) -> Result<HttpResponse, ApiError> {
    let (after, limit) = q.resolve()?;
    let (rows, next) = db::run(&s.pool, move |conn| {
        let l = load(conn, &p, id)?;
        authz::accounts::can_read(&p.actor, &l.facts()).check()?;
        repo::accounts::members(conn, id, role_of(list), after, limit)
    })
    .await?;
    Ok(HttpResponse::Ok().json(Page::new(rows.into_iter().map(Member::from).collect(), next)))
}

async fn add_member(
    s: &AppState,
    p: Principal,
    id: Uuid,
    list: List,
    username: String,
) -> Result<HttpResponse, ApiError> {
    let (added, member) = db::run(&s.pool, move |conn| {
        write_tx(conn, |conn| {
            repo::lock(conn, Locked::Accounts, id, Lock::Update)?;
            let l = load(conn, &p, id)?;
            authz::accounts::can_add_member(&p.actor, &l.facts(), list).check()?;
            let login = listable_login(conn, &username, l.user.sp_id)?;
            let added = repo::accounts::add_member(conn, id, role_of(list), login.id)?;
            let row = repo::accounts::member(conn, id, role_of(list), login.id)?.ok_or(ApiError::NotFound)?;
            Ok((added, Member::from(row)))
        })
    })
    .await?;
    Ok(member_response(added, member))
}

async fn remove_member(
    s: &AppState,
    p: Principal,
    id: Uuid,
    list: List,
    username: String,
) -> Result<HttpResponse, ApiError> {
    db::run(&s.pool, move |conn| {
        write_tx(conn, |conn| {
            repo::lock(conn, Locked::Accounts, id, Lock::Update)?;
            let l = load(conn, &p, id)?;
            let login = repo::logins::by_username(conn, &username)?;
            let removing_self = login.as_ref().is_some_and(|x| x.id == p.login_id);
            authz::accounts::can_remove_member(&p.actor, &l.facts(), list, removing_self).check()?;
            let login = login.ok_or(ApiError::NotFound)?;
            if !repo::accounts::remove_member(conn, id, role_of(list), login.id)? {
                return Err(ApiError::NotFound);
            }
            Ok(())
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The account's owners list.
#[utoipa::path(tag = "accounts", params(("id" = Uuid, Path), PageQuery), responses((status = 200, body = Page<Member>)))]
#[get("/accounts/{id}/owners")]
pub async fn list_account_owners(
    s: web::Data<AppState>,
    p: Principal,
    id: web::Path<Uuid>,
    q: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    list_members(&s, p, *id, List::Owners, q.into_inner()).await
}

/// Add an account owner (owners and the tree, A3). 201 when added, 200 when already on the
/// list; the username must be a login of the account's service provider (else 422).
#[utoipa::path(tag = "accounts", params(("id" = Uuid, Path)), request_body = MemberInput, responses(
    (status = 201, body = Member, description = "added"),
    (status = 200, body = Member, description = "already on the list"),
    (status = 403, body = Problem, content_type = "application/problem+json", description = "A3 `owners_only`, A2 `not_account_manager`"),
    (status = 422, body = Problem, content_type = "application/problem+json", description = "A1 `unknown_username`"),
))]
#[post("/accounts/{id}/owners")]
pub async fn add_account_owner(
    s: web::Data<AppState>,
    p: Principal,
    id: web::Path<Uuid>,
    b: ApiJson<MemberInput>,
) -> Result<HttpResponse, ApiError> {
    add_member(&s, p, *id, List::Owners, b.0.username).await
}

/// Take a login off the owners list (owners and the tree; anyone may take itself off, A7).
#[utoipa::path(tag = "accounts", params(("id" = Uuid, Path), ("username" = String, Path)), responses(
    (status = 204),
    (status = 403, body = Problem, content_type = "application/problem+json", description = "A3 `owners_only`, A2 `not_account_manager`"),
))]
#[delete("/accounts/{id}/owners/{username}")]
pub async fn remove_account_owner(
    s: web::Data<AppState>,
    p: Principal,
    path: web::Path<(Uuid, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, username) = path.into_inner();
    remove_member(&s, p, id, List::Owners, username).await
}

/// The account's administrators list.
#[utoipa::path(tag = "accounts", params(("id" = Uuid, Path), PageQuery), responses((status = 200, body = Page<Member>)))]
#[get("/accounts/{id}/administrators")]
pub async fn list_account_administrators(
    s: web::Data<AppState>,
    p: Principal,
    id: web::Path<Uuid>,
    q: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    list_members(&s, p, *id, List::Administrators, q.into_inner()).await
}

/// Add an account administrator (administrators, owners and the tree, A2). 201 when added,
/// 200 when already on the list.
#[utoipa::path(tag = "accounts", params(("id" = Uuid, Path)), request_body = MemberInput, responses(
    (status = 201, body = Member, description = "added"),
    (status = 200, body = Member, description = "already on the list"),
    (status = 403, body = Problem, content_type = "application/problem+json", description = "A2 `not_account_manager`"),
    (status = 422, body = Problem, content_type = "application/problem+json", description = "A1 `unknown_username`"),
))]
#[post("/accounts/{id}/administrators")]
pub async fn add_account_administrator(
    s: web::Data<AppState>,
    p: Principal,
    id: web::Path<Uuid>,
    b: ApiJson<MemberInput>,
) -> Result<HttpResponse, ApiError> {
    add_member(&s, p, *id, List::Administrators, b.0.username).await
}

/// Take a login off the administrators list (A2; anyone may take itself off, A7).
#[utoipa::path(tag = "accounts", params(("id" = Uuid, Path), ("username" = String, Path)), responses(
    (status = 204),
    (status = 403, body = Problem, content_type = "application/problem+json", description = "A2 `not_account_manager`"),
))]
#[delete("/accounts/{id}/administrators/{username}")]
pub async fn remove_account_administrator(
    s: web::Data<AppState>,
    p: Principal,
    path: web::Path<(Uuid, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, username) = path.into_inner();
    remove_member(&s, p, id, List::Administrators, username).await
}
