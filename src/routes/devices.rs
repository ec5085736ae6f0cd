//! SIP devices (D0–D9), their lines and owners list (A4, A6, A7).

use actix_web::http::header;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use super::extract::{Body, Db, IfMatchHeader, PageQuery, Precondition};
use super::{DevicePage, MemberPage, member_response};
use crate::db::repo::Locked;
use crate::domain::{AccountId, DeviceId, NodeKind};
use crate::error::{ApiError, Problem};
use crate::service::devices::{self, CreateDevice, DeviceQuery, DeviceView, LineInput, PatchDevice};
use crate::service::members::{self, ListRef, Member, MemberInput};
use crate::service::provisioning::{self, IssuedLogin};
use crate::state::AppState;

/// The routes under `/v1/service-providers`.
pub fn under_service_providers(cfg: &mut ServiceConfig) {
    cfg.service(add_sp_device).service(list_sp_devices);
}

/// The routes under `/v1/organizations`.
pub fn under_organizations(cfg: &mut ServiceConfig) {
    cfg.service(add_org_device).service(list_org_devices);
}

/// The routes under `/v1/users`.
pub fn under_users(cfg: &mut ServiceConfig) {
    cfg.service(add_user_device).service(list_user_devices);
}

/// The routes under `/v1/devices`.
pub fn under_devices(cfg: &mut ServiceConfig) {
    cfg.service(get_device)
        .service(patch_device)
        .service(delete_device)
        .service(add_line)
        .service(remove_line)
        .service(list_owners)
        .service(add_owner)
        .service(remove_owner)
        .service(issue_provisioning_password)
        .service(device_config);
}

async fn add(db: Db, context: (Uuid, NodeKind), b: Body<CreateDevice>) -> Result<HttpResponse, ApiError> {
    let view = db.run(move |s, p| devices::add(s.conn()?, p, context, b.0)).await?;
    Ok(super::created(format!("/v1/devices/{}", view.id)).json(view))
}

async fn list(db: Db, context: (Uuid, NodeKind), q: DeviceQuery) -> Result<HttpResponse, ApiError> {
    let page = db.read(move |s, p| devices::list(s.conn()?, p, context, &q)).await?;
    Ok(super::page::<_, DevicePage>(page))
}

const SP: NodeKind = NodeKind::ServiceProvider;
const ORG: NodeKind = NodeKind::Organization;
const USER: NodeKind = NodeKind::User;

/// Add a SIP device in a service provider's context (D0–D5).
#[utoipa::path(tag = "devices", params(("id" = Uuid, Path, description = "service provider id")), request_body = CreateDevice, responses(
    (status = 201, body = DeviceView),
    (status = 403, body = Problem, content_type = "application/problem+json", description = "D1 `sip_devices_area_hidden`, D4 `assignee_lacks_modify`, D5 `context_lacks_modify`"),
    (status = 409, body = Problem, content_type = "application/problem+json", description = "D9 `mac_in_use`"),
    (status = 422, body = Problem, content_type = "application/problem+json", description = "D9 `invalid_mac`, D4 `assignment_required`, `invalid_assignee`"),
))]
#[post("/{id}/devices")]
pub async fn add_sp_device(db: Db, id: web::Path<Uuid>, b: Body<CreateDevice>) -> Result<HttpResponse, ApiError> {
    add(db, (*id, SP), b).await
}

/// List the devices of a service provider's context and everything below it (D2).
#[utoipa::path(tag = "devices", params(("id" = Uuid, Path, description = "service provider id"), DeviceQuery), responses(
    (status = 200, body = DevicePage),
    (status = 403, body = Problem, content_type = "application/problem+json", description = "D1 `sip_devices_area_hidden`"),
))]
#[get("/{id}/devices")]
pub async fn list_sp_devices(
    db: Db,
    id: web::Path<Uuid>,
    q: web::Query<DeviceQuery>,
) -> Result<HttpResponse, ApiError> {
    list(db, (*id, SP), q.into_inner()).await
}

/// Add a SIP device in an organization's context (D0–D5).
#[utoipa::path(tag = "devices", params(("id" = Uuid, Path, description = "organization id")), request_body = CreateDevice, responses(
    (status = 201, body = DeviceView),
    (status = 403, body = Problem, content_type = "application/problem+json", description = "D1 `sip_devices_area_hidden`, D4 `assignee_lacks_modify`, D5 `context_lacks_modify`"),
    (status = 409, body = Problem, content_type = "application/problem+json", description = "D9 `mac_in_use`"),
    (status = 422, body = Problem, content_type = "application/problem+json", description = "D9 `invalid_mac`, D4 `assignment_required`, `invalid_assignee`"),
))]
#[post("/{id}/devices")]
pub async fn add_org_device(db: Db, id: web::Path<Uuid>, b: Body<CreateDevice>) -> Result<HttpResponse, ApiError> {
    add(db, (*id, ORG), b).await
}

/// List the devices of an organization's context and its users' (D2).
#[utoipa::path(tag = "devices", params(("id" = Uuid, Path, description = "organization id"), DeviceQuery), responses(
    (status = 200, body = DevicePage),
    (status = 403, body = Problem, content_type = "application/problem+json", description = "D1 `sip_devices_area_hidden`"),
))]
#[get("/{id}/devices")]
pub async fn list_org_devices(
    db: Db,
    id: web::Path<Uuid>,
    q: web::Query<DeviceQuery>,
) -> Result<HttpResponse, ApiError> {
    list(db, (*id, ORG), q.into_inner()).await
}

/// Add a SIP device in a user's context (D0, D3, D5, D6, D7).
#[utoipa::path(tag = "devices", params(("id" = Uuid, Path, description = "user id")), request_body = CreateDevice, responses(
    (status = 201, body = DeviceView),
    (status = 403, body = Problem, content_type = "application/problem+json", description = "D1 `sip_devices_area_hidden`, D5 `context_lacks_modify`, D6 `view_only`, D7 `assign_to_self_only`"),
    (status = 409, body = Problem, content_type = "application/problem+json", description = "D9 `mac_in_use`"),
    (status = 422, body = Problem, content_type = "application/problem+json", description = "D9 `invalid_mac`, `invalid_assignee`"),
))]
#[post("/{id}/devices")]
pub async fn add_user_device(db: Db, id: web::Path<Uuid>, b: Body<CreateDevice>) -> Result<HttpResponse, ApiError> {
    add(db, (*id, USER), b).await
}

/// List the devices of a user's context; for the user itself, also those assigned to it (D2).
#[utoipa::path(tag = "devices", params(("id" = Uuid, Path, description = "user id"), DeviceQuery), responses(
    (status = 200, body = DevicePage),
    (status = 403, body = Problem, content_type = "application/problem+json", description = "D1 `sip_devices_area_hidden`"),
))]
#[get("/{id}/devices")]
pub async fn list_user_devices(
    db: Db,
    id: web::Path<Uuid>,
    q: web::Query<DeviceQuery>,
) -> Result<HttpResponse, ApiError> {
    list(db, (*id, USER), q.into_inner()).await
}

/// A device write's `If-Match`, checked against the device as `GET` shows it.
fn precondition(h: IfMatchHeader, id: DeviceId) -> Option<Precondition> {
    Precondition::new(h, (Locked::Devices, id.uuid()), move |c, p| devices::get(c, p, id))
}

/// One device (D2; device owners too, A6).
#[utoipa::path(tag = "devices", params(("id" = Uuid, Path)), responses(
    (status = 200, body = DeviceView),
    (status = 403, body = Problem, content_type = "application/problem+json", description = "D1 `sip_devices_area_hidden`"),
))]
#[get("/{id}")]
pub async fn get_device(db: Db, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    let id = DeviceId(*id);
    let view = db.read(move |s, p| devices::get(s.conn()?, p, id)).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Change a device: provisioning fields need the rights of adding it with the new
/// assignee (D8); settings also suit device owners (A6).
#[utoipa::path(tag = "devices", params(("id" = Uuid, Path)), request_body = PatchDevice, responses(
    (status = 200, body = DeviceView),
    (status = 403, body = Problem, content_type = "application/problem+json", description = "D1, D4, D5, D6, D7, D8 `provisioning_not_allowed`"),
    (status = 409, body = Problem, content_type = "application/problem+json", description = "D9 `mac_in_use`"),
    (status = 422, body = Problem, content_type = "application/problem+json", description = "D9 `invalid_mac`, D4 `assignment_required`, `invalid_assignee`, `mwi_not_a_line`"),
))]
#[patch("/{id}")]
pub async fn patch_device(
    db: Db,
    id: web::Path<Uuid>,
    h: IfMatchHeader,
    b: Body<PatchDevice>,
) -> Result<HttpResponse, ApiError> {
    let id = DeviceId(*id);
    let view = db.run_if(precondition(h, id), move |s, p| devices::update(s.conn()?, p, id, b.0)).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Delete a device: the rights of adding it where it is (D8).
#[utoipa::path(tag = "devices", params(("id" = Uuid, Path)), responses(
    (status = 204),
    (status = 403, body = Problem, content_type = "application/problem+json", description = "D1, D4, D5, D6, D8 `provisioning_not_allowed`"),
))]
#[delete("/{id}")]
pub async fn delete_device(db: Db, id: web::Path<Uuid>, h: IfMatchHeader) -> Result<HttpResponse, ApiError> {
    let id = DeviceId(*id);
    db.run_if(precondition(h, id), move |s, p| devices::delete(s.conn()?, p, id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Put an account on the device (A6: device owners or provisioners, and only numbers the
/// caller manages; D7).
#[utoipa::path(tag = "devices", params(("id" = Uuid, Path)), request_body = LineInput, responses(
    (status = 201, body = DeviceView),
    (status = 403, body = Problem, content_type = "application/problem+json", description = "A6 `account_not_managed`, D7 `not_own_account`, D1/D8"),
    (status = 409, body = Problem, content_type = "application/problem+json", description = "`line_conflict`: the account is already on this device"),
))]
#[post("/{id}/lines")]
pub async fn add_line(db: Db, id: web::Path<Uuid>, b: Body<LineInput>) -> Result<HttpResponse, ApiError> {
    let id = DeviceId(*id);
    let account = b.0.peek("account_id").and_then(|v| v.as_str()).and_then(crate::domain::ids::parse_uuid);
    let view = db.run(move |s, p| devices::add_line(s.conn()?, p, id, b.0)).await?;
    // The new line lives at the device's lines under its account (where it is removed).
    let location = match account {
        Some(account) => format!("/v1/devices/{id}/lines/{account}"),
        None => format!("/v1/devices/{id}"),
    };
    Ok(super::created(location).json(view))
}

/// Take an account off the device; an MWI pointing at it is cleared and the remaining
/// lines are renumbered 1..N.
#[utoipa::path(tag = "devices", params(("id" = Uuid, Path), ("account_id" = Uuid, Path)), responses(
    (status = 204),
    (status = 403, body = Problem, content_type = "application/problem+json", description = "D1/D8: not a device owner or provisioner"),
))]
#[delete("/{id}/lines/{account_id}")]
pub async fn remove_line(db: Db, path: web::Path<(Uuid, Uuid)>) -> Result<HttpResponse, ApiError> {
    let (id, account_id) = path.into_inner();
    db.run(move |s, p| devices::remove_line(s.conn()?, p, DeviceId(id), AccountId(account_id))).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The device's owners list.
#[utoipa::path(tag = "devices", params(("id" = Uuid, Path), PageQuery), responses((status = 200, body = MemberPage)))]
#[get("/{id}/owners")]
pub async fn list_owners(db: Db, id: web::Path<Uuid>, q: web::Query<PageQuery>) -> Result<HttpResponse, ApiError> {
    let list = ListRef::DeviceOwners(DeviceId(*id));
    let page = db.read(move |s, p| members::list(s.conn()?, p, list, q.limit, q.cursor.as_deref())).await?;
    Ok(super::page::<_, MemberPage>(page))
}

/// Add a device owner (A6). 201 when added, 200 when already on the list. The username
/// must be a login of the device's service provider (else 422 `unknown_username`, A1).
#[utoipa::path(tag = "devices", params(("id" = Uuid, Path)), request_body = MemberInput, responses(
    (status = 201, body = Member, description = "added"),
    (status = 200, body = Member, description = "already on the list"),
    (status = 403, body = Problem, content_type = "application/problem+json", description = "D1/D8: not a device owner or provisioner"),
    (status = 422, body = Problem, content_type = "application/problem+json", description = "A1 `unknown_username`"),
))]
#[post("/{id}/owners")]
pub async fn add_owner(db: Db, id: web::Path<Uuid>, b: Body<MemberInput>) -> Result<HttpResponse, ApiError> {
    let list = ListRef::DeviceOwners(DeviceId(*id));
    let path = format!("/v1/devices/{}/owners", *id);
    Ok(member_response(&path, db.run(move |s, p| members::add(s.conn()?, p, list, b.0)).await?))
}

/// Take a login off the device owners list (A6; anyone may take itself off, A7).
#[utoipa::path(tag = "devices", params(("id" = Uuid, Path), ("username" = String, Path)), responses(
    (status = 204),
    (status = 403, body = Problem, content_type = "application/problem+json", description = "D1/D8: not a device owner or provisioner"),
))]
#[delete("/{id}/owners/{username}")]
pub async fn remove_owner(db: Db, path: web::Path<(Uuid, String)>) -> Result<HttpResponse, ApiError> {
    let (id, username) = path.into_inner();
    let list = ListRef::DeviceOwners(DeviceId(id));
    db.run(move |s, p| members::remove(s.conn()?, p, list, &username)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Issue or rotate the phone's provisioning password (F3): with the rights of D8. The
/// answer shows it once (F1) with the phone's username (its MAC) and provisioning URL; the
/// previous password works until the phone first uses the new one, or for the grace period.
#[utoipa::path(tag = "devices", params(("id" = Uuid, Path)), responses(
    (status = 200, body = IssuedLogin),
    (status = 403, body = Problem, content_type = "application/problem+json", description = "F3 `provisioning_not_allowed`, D1, D5, D6"),
))]
#[post("/{id}/provisioning-password")]
pub async fn issue_provisioning_password(
    db: Db,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = DeviceId(*id);
    let url = state.phones.provisioning_url();
    let grace = state.phones.grace_secs;
    let now = chrono::Utc::now().timestamp();
    let issued =
        db.run(move |s, p| provisioning::issue_password(s.conn()?, p, id, &state.phones.auth, grace, url, now)).await?;
    Ok(HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "no-store")).json(issued))
}

/// The phone's configuration as it would get it (its vendor's settings file), every SIP
/// password shown as `<redacted>` (F6): for those with D8's rights over the device.
#[utoipa::path(tag = "devices", params(("id" = Uuid, Path)), responses(
    (status = 200, description = "the rendered file, secrets redacted", content((String = "text/plain"), (String = "application/xml"))),
    (status = 403, body = Problem, content_type = "application/problem+json", description = "D8 `provisioning_not_allowed`, D1"),
    (status = 409, body = Problem, content_type = "application/problem+json", description = "`sip_service_not_set`, `config_not_renderable`"),
))]
#[get("/{id}/config")]
pub async fn device_config(db: Db, state: web::Data<AppState>, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    let id = DeviceId(*id);
    let base = state.phones.provisioning_url();
    let r = db.read(move |s, p| provisioning::config(s.conn()?, p, id, &base)).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, r.content_type))
        .insert_header((header::ETAG, r.etag))
        .body(r.body))
}
