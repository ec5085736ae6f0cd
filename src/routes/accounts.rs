//! Accounts (telephone numbers) and their owners and administrators lists (A1–A7).

use actix_web::{HttpResponse, delete, get, patch, post, web};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use super::extract::{Body, Db, IfMatchHeader, PageQuery, Precondition};
use super::{AccountPage, MemberPage, member_response};
use crate::db::repo::Locked;
use crate::domain::AccountId;
use crate::error::{ApiError, Problem};
use crate::service::accounts::{self, AccountView, CreateAccount, NewAccountView, PatchAccount, SipCredentials};
use crate::service::members::{self, ListRef, Member, MemberInput};

/// The routes under `/v1/users`.
pub fn under_users(cfg: &mut ServiceConfig) {
    cfg.service(create_account).service(list_accounts);
}

/// The routes under `/v1/accounts`.
pub fn under_accounts(cfg: &mut ServiceConfig) {
    cfg.service(get_account)
        .service(patch_account)
        .service(delete_account)
        .service(rotate_sip_password)
        .service(list_account_owners)
        .service(add_account_owner)
        .service(remove_account_owner)
        .service(list_account_administrators)
        .service(add_account_administrator)
        .service(remove_account_administrator);
}

/// Create a telephone number for a user, through the tree only (A5). The user's login
/// starts on its owners list (A4). The generated SIP password is in this answer only (F1).
#[utoipa::path(tag = "accounts", params(("id" = Uuid, Path, description = "user id")), request_body = CreateAccount, responses(
    (status = 201, body = NewAccountView),
    (status = 403, body = Problem, content_type = "application/problem+json", description = "A5 `tree_only`"),
    (status = 409, body = Problem, content_type = "application/problem+json", description = "`number_in_use`, `sip_username_taken`"),
    (status = 422, body = Problem, content_type = "application/problem+json", description = "`invalid_number`, `invalid_pin`, `invalid_email`, `invalid_sip_username`"),
))]
#[post("/{id}/accounts")]
pub async fn create_account(db: Db, id: web::Path<Uuid>, b: Body<CreateAccount>) -> Result<HttpResponse, ApiError> {
    let user = *id;
    let view = db.run_hashing(move |s, p| accounts::create(s.conn()?, p, user, b.0)).await?;
    Ok(super::created(format!("/v1/accounts/{}", view.account.id)).json(view))
}

/// Rotate an account's SIP password (F2): by whoever may change its settings; the old one
/// stops working at once. The new password is in this answer only (F1).
#[utoipa::path(tag = "accounts", params(("id" = Uuid, Path)), responses(
    (status = 200, body = SipCredentials),
    (status = 403, body = Problem, content_type = "application/problem+json", description = "F2 `not_account_manager`"),
))]
#[post("/{id}/sip-password")]
pub async fn rotate_sip_password(db: Db, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    let id = AccountId(*id);
    let creds = db.run(move |s, p| accounts::rotate_sip_password(s.conn()?, p, id)).await?;
    Ok(HttpResponse::Ok().json(creds))
}

/// A user's accounts (the user itself and its ancestors, N2).
#[utoipa::path(tag = "accounts", params(("id" = Uuid, Path, description = "user id"), PageQuery), responses((status = 200, body = AccountPage)))]
#[get("/{id}/accounts")]
pub async fn list_accounts(db: Db, id: web::Path<Uuid>, q: web::Query<PageQuery>) -> Result<HttpResponse, ApiError> {
    let user = *id;
    let page = db.read(move |s, p| accounts::list(s.conn()?, p, user, q.limit, q.cursor.as_deref())).await?;
    Ok(super::page::<_, AccountPage>(page))
}

/// An account write's `If-Match`, checked against the account as `GET` shows it.
fn precondition(h: IfMatchHeader, id: AccountId) -> Option<Precondition> {
    Precondition::new(h, (Locked::Accounts, id.uuid()), move |c, p| accounts::get(c, p, id))
}

/// One account (owners, administrators, the tree, and its own user: A2, A3, A5).
#[utoipa::path(tag = "accounts", params(("id" = Uuid, Path)), responses((status = 200, body = AccountView)))]
#[get("/{id}")]
pub async fn get_account(db: Db, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    let id = AccountId(*id);
    let view = db.read(move |s, p| accounts::get(s.conn()?, p, id)).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Change an account's settings (administrators, owners, the tree: A2, A3, A5).
#[utoipa::path(tag = "accounts", params(("id" = Uuid, Path)), request_body = PatchAccount, responses(
    (status = 200, body = AccountView),
    (status = 403, body = Problem, content_type = "application/problem+json", description = "A2 `not_account_manager`"),
    (status = 422, body = Problem, content_type = "application/problem+json", description = "`invalid_pin`, `invalid_email`, too long"),
))]
#[patch("/{id}")]
pub async fn patch_account(
    db: Db,
    id: web::Path<Uuid>,
    h: IfMatchHeader,
    b: Body<PatchAccount>,
) -> Result<HttpResponse, ApiError> {
    let id = AccountId(*id);
    let view = db.run_hashing_if(precondition(h, id), move |s, p| accounts::update(s.conn()?, p, id, b.0)).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Delete an account, through the tree only (A5); 409 `account_in_use` while it is on a
/// device line.
#[utoipa::path(tag = "accounts", params(("id" = Uuid, Path)), responses(
    (status = 204),
    (status = 403, body = Problem, content_type = "application/problem+json", description = "A5 `tree_only`"),
    (status = 409, body = Problem, content_type = "application/problem+json", description = "A5 `account_in_use`"),
))]
#[delete("/{id}")]
pub async fn delete_account(db: Db, id: web::Path<Uuid>, h: IfMatchHeader) -> Result<HttpResponse, ApiError> {
    let id = AccountId(*id);
    db.run_if(precondition(h, id), move |s, p| accounts::delete(s.conn()?, p, id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The two lists of an account (A1).
#[derive(Clone, Copy)]
enum List {
    Owners,
    Administrators,
}

fn account_list(id: Uuid, list: List) -> ListRef {
    match list {
        List::Owners => ListRef::AccountOwners(AccountId(id)),
        List::Administrators => ListRef::AccountAdministrators(AccountId(id)),
    }
}

async fn list_members(db: Db, id: Uuid, list: List, q: PageQuery) -> Result<HttpResponse, ApiError> {
    let list = account_list(id, list);
    let page = db.read(move |s, p| members::list(s.conn()?, p, list, q.limit, q.cursor.as_deref())).await?;
    Ok(super::page::<_, MemberPage>(page))
}

async fn add_member(db: Db, id: Uuid, list: List, b: Body<MemberInput>) -> Result<HttpResponse, ApiError> {
    let path = match list {
        List::Owners => format!("/v1/accounts/{id}/owners"),
        List::Administrators => format!("/v1/accounts/{id}/administrators"),
    };
    let list = account_list(id, list);
    Ok(member_response(&path, db.run(move |s, p| members::add(s.conn()?, p, list, b.0)).await?))
}

async fn remove_member(db: Db, id: Uuid, list: List, username: String) -> Result<HttpResponse, ApiError> {
    let list = account_list(id, list);
    db.run(move |s, p| members::remove(s.conn()?, p, list, &username)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The account's owners list.
#[utoipa::path(tag = "accounts", params(("id" = Uuid, Path), PageQuery), responses((status = 200, body = MemberPage)))]
#[get("/{id}/owners")]
pub async fn list_account_owners(
    db: Db,
    id: web::Path<Uuid>,
    q: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    list_members(db, *id, List::Owners, q.into_inner()).await
}

/// Add an account owner (owners and the tree, A3). 201 when added, 200 when already on the
/// list; the username must be a login of the account's service provider (else 422).
#[utoipa::path(tag = "accounts", params(("id" = Uuid, Path)), request_body = MemberInput, responses(
    (status = 201, body = Member, description = "added"),
    (status = 200, body = Member, description = "already on the list"),
    (status = 403, body = Problem, content_type = "application/problem+json", description = "A3 `owners_only`, A2 `not_account_manager`"),
    (status = 422, body = Problem, content_type = "application/problem+json", description = "A1 `unknown_username`"),
))]
#[post("/{id}/owners")]
pub async fn add_account_owner(db: Db, id: web::Path<Uuid>, b: Body<MemberInput>) -> Result<HttpResponse, ApiError> {
    add_member(db, *id, List::Owners, b).await
}

/// Take a login off the owners list (owners and the tree; anyone may take itself off, A7).
#[utoipa::path(tag = "accounts", params(("id" = Uuid, Path), ("username" = String, Path)), responses(
    (status = 204),
    (status = 403, body = Problem, content_type = "application/problem+json", description = "A3 `owners_only`, A2 `not_account_manager`"),
))]
#[delete("/{id}/owners/{username}")]
pub async fn remove_account_owner(db: Db, path: web::Path<(Uuid, String)>) -> Result<HttpResponse, ApiError> {
    let (id, username) = path.into_inner();
    remove_member(db, id, List::Owners, username).await
}

/// The account's administrators list.
#[utoipa::path(tag = "accounts", params(("id" = Uuid, Path), PageQuery), responses((status = 200, body = MemberPage)))]
#[get("/{id}/administrators")]
pub async fn list_account_administrators(
    db: Db,
    id: web::Path<Uuid>,
    q: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    list_members(db, *id, List::Administrators, q.into_inner()).await
}

/// Add an account administrator (administrators, owners and the tree, A2). 201 when added,
/// 200 when already on the list.
#[utoipa::path(tag = "accounts", params(("id" = Uuid, Path)), request_body = MemberInput, responses(
    (status = 201, body = Member, description = "added"),
    (status = 200, body = Member, description = "already on the list"),
    (status = 403, body = Problem, content_type = "application/problem+json", description = "A2 `not_account_manager`"),
    (status = 422, body = Problem, content_type = "application/problem+json", description = "A1 `unknown_username`"),
))]
#[post("/{id}/administrators")]
pub async fn add_account_administrator(
    db: Db,
    id: web::Path<Uuid>,
    b: Body<MemberInput>,
) -> Result<HttpResponse, ApiError> {
    add_member(db, *id, List::Administrators, b).await
}

/// Take a login off the administrators list (A2; anyone may take itself off, A7).
#[utoipa::path(tag = "accounts", params(("id" = Uuid, Path), ("username" = String, Path)), responses(
    (status = 204),
    (status = 403, body = Problem, content_type = "application/problem+json", description = "A2 `not_account_manager`"),
))]
#[delete("/{id}/administrators/{username}")]
pub async fn remove_account_administrator(db: Db, path: web::Path<(Uuid, String)>) -> Result<HttpResponse, ApiError> {
    let (id, username) = path.into_inner();
    remove_member(db, id, List::Administrators, username).await
}
