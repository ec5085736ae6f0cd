//! SIP devices (D0–D9), their lines and owners list (A4, A6, A7).

use actix_web::{HttpResponse, delete, get, patch, post, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use super::extract::{ApiJson, PageQuery, double_option, non_null, set_text};
use super::{Member, MemberInput, NodeLink, Page, clean, listable_login, member_response};
use crate::auth::Principal;
use crate::authz;
use crate::authz::accounts::AccountFacts;
use crate::authz::devices::{Change, DeviceFacts, Placement};
use crate::db::repo::devices::{DeviceRecord, Filters};
use crate::db::repo::{Lock, Locked};
use crate::db::{self, DbConn, now, repo, write_tx};
use crate::domain::validate::Errors;
use crate::domain::{Actor, MacAddress, NodeKind, NodeRef, assignment_fits};
use crate::error::{ApiError, Problem};
use crate::startup::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(add_sp_device)
        .service(list_sp_devices)
        .service(add_org_device)
        .service(list_org_devices)
        .service(add_user_device)
        .service(list_user_devices)
        .service(get_device)
        .service(patch_device)
        .service(delete_device)
        .service(add_line)
        .service(remove_line)
        .service(list_owners)
        .service(add_owner)
        .service(remove_owner);
}

/// The message waiting light.
#[derive(Serialize, ToSchema)]
pub struct Mwi {
    pub enabled: bool,
    /// The line account whose voicemail lights it; one of the device's lines.
    pub account_id: Option<Uuid>,
}

#[derive(Serialize, ToSchema)]
pub struct DeviceSettings {
    pub missed_calls: bool,
    pub mwi: Mwi,
}

#[derive(Serialize, ToSchema)]
pub struct LineView {
    pub account_id: Uuid,
    pub number: String,
    /// 1..N, unique per device.
    pub position: i32,
}

/// A SIP device.
#[derive(Serialize, ToSchema)]
pub struct DeviceView {
    pub id: Uuid,
    /// 12 lowercase hex digits (D9).
    pub mac_address: String,
    pub vendor: Option<String>,
    pub model: Option<String>,
    pub label: Option<String>,
    /// Where the device was added.
    pub context: NodeLink,
    pub assigned_to: Option<NodeLink>,
    pub settings: DeviceSettings,
    pub lines: Vec<LineView>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MwiInput {
    #[serde(default, deserialize_with = "non_null")]
    pub enabled: Option<bool>,
    /// An account on one of the device's lines, or null.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub account_id: Option<Option<Uuid>>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsInput {
    #[serde(default, deserialize_with = "non_null")]
    pub missed_calls: Option<bool>,
    #[serde(default, deserialize_with = "non_null")]
    pub mwi: Option<MwiInput>,
}

/// Body to add a device.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateDevice {
    /// `00:04:F2:AB:CD:EF`, `00-04-f2-ab-cd-ef`, `0004.f2ab.cdef` or `0004f2abcdef`.
    pub mac_address: String,
    pub vendor: Option<String>,
    pub model: Option<String>,
    pub label: Option<String>,
    /// An organization or user below the context (or the context user itself).
    pub assigned_to: Option<NodeLink>,
    pub settings: Option<SettingsInput>,
}

/// Body of a device `PATCH`: every field optional; `null` clears `vendor`, `model`,
/// `label` and `assigned_to`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchDevice {
    #[serde(default, deserialize_with = "non_null")]
    pub mac_address: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub vendor: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub model: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub label: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<NodeLink>)]
    pub assigned_to: Option<Option<NodeLink>>,
    #[serde(default, deserialize_with = "non_null")]
    pub settings: Option<SettingsInput>,
}

/// Filters of a device listing, with the page parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeviceQuery {
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Any accepted MAC form.
    pub mac_address: Option<String>,
    /// A node id: devices assigned to it.
    pub assigned_to: Option<String>,
    pub vendor: Option<String>,
    pub model: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineInput {
    pub account_id: Uuid,
    /// 1..N+1; defaults to the end. Lines at or after it move down one.
    pub position: Option<i32>,
}

fn parse_mac(field: &str, raw: &str) -> Result<MacAddress, ApiError> {
    MacAddress::parse(raw).ok_or_else(|| {
        ApiError::field(
            field,
            "invalid_mac",
            "a MAC address is 00:04:F2:AB:CD:EF, 00-04-f2-ab-cd-ef, 0004.f2ab.cdef or 0004f2abcdef (rule D9)",
        )
    })
}

fn check_texts(errors: &mut Errors, vendor: Option<&str>, model: Option<&str>, label: Option<&str>) {
    for (field, value, max) in [("vendor", vendor, 100), ("model", model, 100), ("label", label, 200)] {
        if let Some(v) = value {
            errors.text(field, v, max);
        }
    }
}

/// An assignee must exist, be of the named kind and fit below the context (or D7 refuses
/// first, for a User in its own context).
fn resolve_assignee(conn: &mut DbConn, actor: &Actor, context: &NodeRef, link: &NodeLink) -> Result<NodeRef, ApiError> {
    let invalid = || {
        ApiError::field(
            "assigned_to",
            "invalid_assignee",
            "assigned_to must be an organization or user below the device's context, or the context user itself",
        )
    };
    let node = repo::nodes::find(conn, link.id)?.ok_or_else(invalid)?.node_ref();
    if node.kind != link.kind || !assignment_fits(context, &node) {
        authz::devices::can_assign_outside_context(actor, context).check()?;
        return Err(invalid());
    }
    Ok(node)
}

/// A device with the facts the rules need about it.
struct Loaded {
    device: DeviceRecord,
    context: NodeRef,
    assignee: Option<NodeRef>,
    caller_is_owner: bool,
}

impl Loaded {
    fn facts(&self) -> DeviceFacts<'_> {
        DeviceFacts {
            context: &self.context,
            assigned_to: self.assignee.as_ref(),
            caller_is_owner: self.caller_is_owner,
        }
    }
}

fn load(conn: &mut DbConn, caller: &Principal, id: Uuid) -> Result<Loaded, ApiError> {
    let device = repo::devices::find(conn, id)?.ok_or(ApiError::NotFound)?;
    let node = |conn: &mut DbConn, id: Uuid| -> Result<NodeRef, ApiError> {
        Ok(repo::nodes::find(conn, id)?.ok_or_else(|| ApiError::internal("device node vanished"))?.node_ref())
    };
    let context = node(conn, device.context_id)?;
    let assignee = device.assigned_to_id.map(|a| node(conn, a)).transpose()?;
    let caller_is_owner = repo::devices::is_owner(conn, id, caller.login_id)?;
    Ok(Loaded { device, context, assignee, caller_is_owner })
}

/// Loads a device the caller may see at all (else 404, N5).
fn load_visible(conn: &mut DbConn, caller: &Principal, id: Uuid) -> Result<Loaded, ApiError> {
    let l = load(conn, caller, id)?;
    if authz::devices::can_read(&caller.actor, &l.facts()).is_hidden() {
        return Err(ApiError::NotFound);
    }
    Ok(l)
}

/// The device's placement as it stands, for D8 decisions.
fn current_placement<'a>(conn: &mut DbConn, l: &'a Loaded) -> Result<Placement<'a>, ApiError> {
    Ok(Placement {
        context: &l.context,
        assignee: l.assignee.as_ref(),
        modify_below_context: repo::nodes::modify_below(conn, &l.context)?,
    })
}

fn views(conn: &mut DbConn, devices: Vec<DeviceRecord>) -> Result<Vec<DeviceView>, ApiError> {
    let ids: Vec<Uuid> = devices.iter().map(|d| d.id).collect();
    let mut lines = repo::devices::lines(conn, &ids)?;
    let node_ids: Vec<Uuid> =
        devices.iter().flat_map(|d| std::iter::once(d.context_id).chain(d.assigned_to_id)).collect();
    let kinds = repo::nodes::kinds(conn, &node_ids)?;
    let link = |id: Uuid| -> Result<NodeLink, ApiError> {
        let kind = *kinds.get(&id).ok_or_else(|| ApiError::internal("device node vanished"))?;
        Ok(NodeLink { kind, id })
    };
    devices
        .into_iter()
        .map(|d| {
            Ok(DeviceView {
                id: d.id,
                mac_address: d.mac_address,
                vendor: d.vendor,
                model: d.model,
                label: d.label,
                context: link(d.context_id)?,
                assigned_to: d.assigned_to_id.map(link).transpose()?,
                settings: DeviceSettings {
                    missed_calls: d.missed_calls,
                    mwi: Mwi { enabled: d.mwi_enabled, account_id: d.mwi_account_id },
                },
                lines: lines
                    .remove(&d.id)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|l| LineView { account_id: l.account_id, number: l.number, position: l.position })
                    .collect(),
                created_at: d.created_at,
                updated_at: d.updated_at,
            })
        })
        .collect()
}

fn view(conn: &mut DbConn, id: Uuid) -> Result<DeviceView, ApiError> {
    let device = repo::devices::find(conn, id)?.ok_or(ApiError::NotFound)?;
    views(conn, vec![device])?.pop().ok_or_else(|| ApiError::internal("device view"))
}

/// `settings.mwi.account_id` must name one of the device's lines.
fn check_mwi(conn: &mut DbConn, device_id: Uuid, account_id: Option<Uuid>) -> Result<(), ApiError> {
    let Some(account_id) = account_id else { return Ok(()) };
    let lines = repo::devices::lines(conn, &[device_id])?.remove(&device_id).unwrap_or_default();
    if lines.iter().any(|l| l.account_id == account_id) {
        Ok(())
    } else {
        Err(ApiError::field(
            "settings.mwi.account_id",
            "mwi_not_a_line",
            "the MWI account must be one of the device's lines",
        ))
    }
}

fn apply_settings(d: &mut DeviceRecord, s: Option<SettingsInput>) {
    let Some(s) = s else { return };
    if let Some(m) = s.missed_calls {
        d.missed_calls = m;
    }
    if let Some(mwi) = s.mwi {
        if let Some(e) = mwi.enabled {
            d.mwi_enabled = e;
        }
        if let Some(a) = mwi.account_id {
            d.mwi_account_id = a;
        }
    }
}

async fn add(
    state: &AppState,
    caller: Principal,
    context: (Uuid, NodeKind),
    body: CreateDevice,
) -> Result<HttpResponse, ApiError> {
    let mac = parse_mac("mac_address", &body.mac_address)?;
    let mut errors = Errors::default();
    check_texts(&mut errors, body.vendor.as_deref(), body.model.as_deref(), body.label.as_deref());
    if !errors.is_empty() {
        return Err(ApiError::invalid(errors.into_vec()));
    }
    let view = db::run(&state.pool, move |conn| {
        write_tx(conn, |conn| {
            repo::lock(conn, Locked::Nodes, context.0, Lock::Share)?;
            if let Some(link) = &body.assigned_to {
                repo::lock(conn, Locked::Nodes, link.id, Lock::Share)?;
            }
            let ctx = repo::nodes::find_kind(conn, context.0, context.1)?.ok_or(ApiError::NotFound)?.node_ref();
            authz::nodes::can_read(&caller.actor, &ctx).check()?;
            let assignee =
                body.assigned_to.as_ref().map(|l| resolve_assignee(conn, &caller.actor, &ctx, l)).transpose()?;
            let placement = Placement {
                context: &ctx,
                assignee: assignee.as_ref(),
                modify_below_context: repo::nodes::modify_below(conn, &ctx)?,
            };
            authz::devices::can_add(&caller.actor, &placement).check()?;
            let ts = now();
            let mut device = DeviceRecord {
                id: Uuid::now_v7(),
                mac_address: mac.to_string(),
                vendor: clean(body.vendor),
                model: clean(body.model),
                label: clean(body.label),
                context_id: ctx.id,
                assigned_to_id: assignee.as_ref().map(|a| a.id),
                missed_calls: true,
                mwi_enabled: false,
                mwi_account_id: None,
                created_at: ts.clone(),
                updated_at: ts,
            };
            apply_settings(&mut device, body.settings);
            check_mwi(conn, device.id, device.mwi_account_id)?;
            repo::devices::save(conn, &device, true)?;
            // A4: a device assigned to a User at creation starts with that User as owner.
            if let Some(a) = assignee.as_ref().filter(|a| a.kind == NodeKind::User) {
                let login = repo::logins::by_node(conn, a.id)?;
                repo::devices::add_owner(conn, device.id, login.id)?;
            }
            view(conn, device.id)
        })
    })
    .await?;
    Ok(HttpResponse::Created().json(view))
}

async fn list(
    state: &AppState,
    caller: Principal,
    context: (Uuid, NodeKind),
    q: DeviceQuery,
) -> Result<HttpResponse, ApiError> {
    let (after, limit) = PageQuery { limit: q.limit, cursor: q.cursor }.resolve()?;
    if [&q.vendor, &q.model].into_iter().flatten().any(|v| !crate::domain::validate::is_text(v)) {
        return Err(ApiError::bad_request(
            "invalid_query",
            "vendor and model filters must not contain control characters",
        ));
    }
    let filters = Filters {
        mac_address: q.mac_address.as_deref().map(|m| parse_mac("mac_address", m)).transpose()?.map(|m| m.to_string()),
        assigned_to: q
            .assigned_to
            .as_deref()
            .map(|a| {
                Uuid::parse_str(a).map_err(|_| ApiError::bad_request("invalid_query", "assigned_to must be a node id"))
            })
            .transpose()?,
        vendor: q.vendor,
        model: q.model,
    };
    let (items, next) = db::run(&state.pool, move |conn| {
        let ctx = repo::nodes::find_kind(conn, context.0, context.1)?.ok_or(ApiError::NotFound)?.node_ref();
        authz::devices::can_list(&caller.actor, &ctx).check()?;
        let include_assigned = authz::devices::lists_assigned_devices(&caller.actor, &ctx);
        let (rows, next) = repo::devices::list(conn, &ctx, include_assigned, &filters, after, limit)?;
        Ok((views(conn, rows)?, next))
    })
    .await?;
    Ok(HttpResponse::Ok().json(Page::new(items, next)))
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
#[post("/service-providers/{id}/devices")]
pub async fn add_sp_device(
    s: web::Data<AppState>,
    p: Principal,
    id: web::Path<Uuid>,
    b: ApiJson<CreateDevice>,
) -> Result<HttpResponse, ApiError> {
    add(&s, p, (*id, SP), b.0).await
}

/// List the devices of a service provider's context and everything below it (D2).
#[utoipa::path(tag = "devices", params(("id" = Uuid, Path, description = "service provider id"), DeviceQuery), responses(
    (status = 200, body = Page<DeviceView>),
    (status = 403, body = Problem, content_type = "application/problem+json", description = "D1 `sip_devices_area_hidden`"),
))]
#[get("/service-providers/{id}/devices")]
pub async fn list_sp_devices(
    s: web::Data<AppState>,
    p: Principal,
    id: web::Path<Uuid>,
    q: web::Query<DeviceQuery>,
) -> Result<HttpResponse, ApiError> {
    list(&s, p, (*id, SP), q.into_inner()).await
}

/// Add a SIP device in an organization's context (D0–D5).
#[utoipa::path(tag = "devices", params(("id" = Uuid, Path, description = "organization id")), request_body = CreateDevice, responses(
    (status = 201, body = DeviceView),
    (status = 403, body = Problem, content_type = "application/problem+json", description = "D1 `sip_devices_area_hidden`, D4 `assignee_lacks_modify`, D5 `context_lacks_modify`"),
    (status = 409, body = Problem, content_type = "application/problem+json", description = "D9 `mac_in_use`"),
    (status = 422, body = Problem, content_type = "application/problem+json", description = "D9 `invalid_mac`, D4 `assignment_required`, `invalid_assignee`"),
))]
#[post("/organizations/{id}/devices")]
pub async fn add_org_device(
    s: web::Data<AppState>,
    p: Principal,
    id: web::Path<Uuid>,
    b: ApiJson<CreateDevice>,
) -> Result<HttpResponse, ApiError> {
    add(&s, p, (*id, ORG), b.0).await
}

/// List the devices of an organization's context and its users' (D2).
#[utoipa::path(tag = "devices", params(("id" = Uuid, Path, description = "organization id"), DeviceQuery), responses(
    (status = 200, body = Page<DeviceView>),
    (status = 403, body = Problem, content_type = "application/problem+json", description = "D1 `sip_devices_area_hidden`"),
))]
#[get("/organizations/{id}/devices")]
pub async fn list_org_devices(
    s: web::Data<AppState>,
    p: Principal,
    id: web::Path<Uuid>,
    q: web::Query<DeviceQuery>,
) -> Result<HttpResponse, ApiError> {
    list(&s, p, (*id, ORG), q.into_inner()).await
}

/// Add a SIP device in a user's context (D0, D3, D5, D6, D7).
#[utoipa::path(tag = "devices", params(("id" = Uuid, Path, description = "user id")), request_body = CreateDevice, responses(
    (status = 201, body = DeviceView),
    (status = 403, body = Problem, content_type = "application/problem+json", description = "D1 `sip_devices_area_hidden`, D5 `context_lacks_modify`, D6 `view_only`, D7 `assign_to_self_only`"),
    (status = 409, body = Problem, content_type = "application/problem+json", description = "D9 `mac_in_use`"),
    (status = 422, body = Problem, content_type = "application/problem+json", description = "D9 `invalid_mac`, `invalid_assignee`"),
))]
#[post("/users/{id}/devices")]
pub async fn add_user_device(
    s: web::Data<AppState>,
    p: Principal,
    id: web::Path<Uuid>,
    b: ApiJson<CreateDevice>,
) -> Result<HttpResponse, ApiError> {
    add(&s, p, (*id, USER), b.0).await
}

/// List the devices of a user's context; for the user itself, also those assigned to it (D2).
#[utoipa::path(tag = "devices", params(("id" = Uuid, Path, description = "user id"), DeviceQuery), responses(
    (status = 200, body = Page<DeviceView>),
    (status = 403, body = Problem, content_type = "application/problem+json", description = "D1 `sip_devices_area_hidden`"),
))]
#[get("/users/{id}/devices")]
pub async fn list_user_devices(
    s: web::Data<AppState>,
    p: Principal,
    id: web::Path<Uuid>,
    q: web::Query<DeviceQuery>,
) -> Result<HttpResponse, ApiError> {
    list(&s, p, (*id, USER), q.into_inner()).await
}

/// One device (D2; device owners too, A6).
#[utoipa::path(tag = "devices", params(("id" = Uuid, Path)), responses(
    (status = 200, body = DeviceView),
    (status = 403, body = Problem, content_type = "application/problem+json", description = "D1 `sip_devices_area_hidden`"),
))]
#[get("/devices/{id}")]
pub async fn get_device(s: web::Data<AppState>, p: Principal, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    let id = *id;
    let view = db::run(&s.pool, move |conn| {
        let l = load(conn, &p, id)?;
        authz::devices::can_read(&p.actor, &l.facts()).check()?;
        view(conn, id)
    })
    .await?;
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
#[patch("/devices/{id}")]
pub async fn patch_device(
    s: web::Data<AppState>,
    p: Principal,
    id: web::Path<Uuid>,
    b: ApiJson<PatchDevice>,
) -> Result<HttpResponse, ApiError> {
    let (id, body) = (*id, b.0);
    let mac = body.mac_address.as_deref().map(|m| parse_mac("mac_address", m)).transpose()?;
    let mut errors = Errors::default();
    check_texts(&mut errors, set_text(&body.vendor), set_text(&body.model), set_text(&body.label));
    if !errors.is_empty() {
        return Err(ApiError::invalid(errors.into_vec()));
    }
    let view = db::run(&s.pool, move |conn| {
        write_tx(conn, |conn| {
            repo::lock(conn, Locked::Devices, id, Lock::Update)?;
            if let Some(Some(link)) = &body.assigned_to {
                repo::lock(conn, Locked::Nodes, link.id, Lock::Share)?;
            }
            let l = load_visible(conn, &p, id)?;
            let assignee = match &body.assigned_to {
                None => l.assignee.clone(),
                Some(None) => None,
                Some(Some(link)) => Some(resolve_assignee(conn, &p.actor, &l.context, link)?),
            };
            let before = l.device.clone();
            let mut after = l.device.clone();
            if let Some(mac) = &mac {
                after.mac_address = mac.to_string();
            }
            if let Some(v) = body.vendor {
                after.vendor = clean(v);
            }
            if let Some(v) = body.model {
                after.model = clean(v);
            }
            if let Some(v) = body.label {
                after.label = clean(v);
            }
            after.assigned_to_id = assignee.as_ref().map(|a| a.id);
            apply_settings(&mut after, body.settings);
            let change = Change {
                provisioning: (&after.mac_address, &after.vendor, &after.model, &after.label, after.assigned_to_id)
                    != (&before.mac_address, &before.vendor, &before.model, &before.label, before.assigned_to_id),
                settings: (after.missed_calls, after.mwi_enabled, after.mwi_account_id)
                    != (before.missed_calls, before.mwi_enabled, before.mwi_account_id),
            };
            let placement = Placement {
                context: &l.context,
                assignee: assignee.as_ref(),
                modify_below_context: repo::nodes::modify_below(conn, &l.context)?,
            };
            authz::devices::can_change(&p.actor, &l.facts(), change, &placement).check()?;
            check_mwi(conn, id, after.mwi_account_id)?;
            if change.provisioning || change.settings {
                after.updated_at = now();
                repo::devices::save(conn, &after, false)?;
            }
            view(conn, id)
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Delete a device: the rights of adding it where it is (D8).
#[utoipa::path(tag = "devices", params(("id" = Uuid, Path)), responses(
    (status = 204),
    (status = 403, body = Problem, content_type = "application/problem+json", description = "D1, D4, D5, D6, D8 `provisioning_not_allowed`"),
))]
#[delete("/devices/{id}")]
pub async fn delete_device(
    s: web::Data<AppState>,
    p: Principal,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = *id;
    db::run(&s.pool, move |conn| {
        write_tx(conn, |conn| {
            repo::lock(conn, Locked::Devices, id, Lock::Update)?;
            let l = load(conn, &p, id)?;
            let current = current_placement(conn, &l)?;
            authz::devices::can_delete(&p.actor, &l.facts(), &current).check()?;
            repo::devices::delete(conn, id)
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Put an account on the device (A6: device owners or provisioners, and only numbers the
/// caller manages; D7).
#[utoipa::path(tag = "devices", params(("id" = Uuid, Path)), request_body = LineInput, responses(
    (status = 201, body = DeviceView),
    (status = 403, body = Problem, content_type = "application/problem+json", description = "A6 `account_not_managed`, D7 `not_own_account`, D1/D8"),
    (status = 409, body = Problem, content_type = "application/problem+json", description = "`line_conflict`: the account is already on this device"),
))]
#[post("/devices/{id}/lines")]
pub async fn add_line(
    s: web::Data<AppState>,
    p: Principal,
    id: web::Path<Uuid>,
    b: ApiJson<LineInput>,
) -> Result<HttpResponse, ApiError> {
    let (id, body) = (*id, b.0);
    let view = db::run(&s.pool, move |conn| {
        write_tx(conn, |conn| {
            repo::lock(conn, Locked::Devices, id, Lock::Update)?;
            repo::lock(conn, Locked::Accounts, body.account_id, Lock::Share)?;
            let l = load(conn, &p, id)?;
            let current = current_placement(conn, &l)?;
            authz::devices::can_manage(&p.actor, &l.facts(), &current).check()?;
            let account = repo::accounts::find(conn, body.account_id)?.ok_or(ApiError::NotFound)?;
            let user = repo::nodes::find(conn, account.user_id)?.ok_or(ApiError::NotFound)?.node_ref();
            let (owner, admin) = repo::accounts::roles(conn, account.id, p.login_id)?;
            let facts = AccountFacts { user: &user, caller_is_owner: owner, caller_is_administrator: admin };
            authz::accounts::can_put_on_line(&p.actor, &facts).check()?;
            authz::devices::can_use_account_on_line(&p.actor, &l.facts(), &user).check()?;
            let lines = repo::devices::lines(conn, &[id])?.remove(&id).unwrap_or_default();
            if lines.iter().any(|line| line.account_id == account.id) {
                return Err(ApiError::conflict("line_conflict", "that account is already on this device"));
            }
            let end = i32::try_from(lines.len()).unwrap_or(i32::MAX).saturating_add(1);
            let position = body.position.unwrap_or(end);
            if !(1..=end).contains(&position) {
                return Err(ApiError::field(
                    "position",
                    "invalid_position",
                    format!("position must be from 1 to {end}"),
                ));
            }
            repo::devices::shift_from(conn, id, position)?;
            repo::devices::add_line(conn, id, account.id, position)?;
            repo::devices::touch(conn, id)?;
            view(conn, id)
        })
    })
    .await?;
    Ok(HttpResponse::Created().json(view))
}

/// Take an account off the device; an MWI pointing at it is cleared and the remaining
/// lines are renumbered 1..N.
#[utoipa::path(tag = "devices", params(("id" = Uuid, Path), ("account_id" = Uuid, Path)), responses(
    (status = 204),
    (status = 403, body = Problem, content_type = "application/problem+json", description = "D1/D8: not a device owner or provisioner"),
))]
#[delete("/devices/{id}/lines/{account_id}")]
pub async fn remove_line(
    s: web::Data<AppState>,
    p: Principal,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (id, account_id) = path.into_inner();
    db::run(&s.pool, move |conn| {
        write_tx(conn, |conn| {
            repo::lock(conn, Locked::Devices, id, Lock::Update)?;
            let l = load(conn, &p, id)?;
            let current = current_placement(conn, &l)?;
            authz::devices::can_manage(&p.actor, &l.facts(), &current).check()?;
            if !repo::devices::remove_line(conn, id, account_id)? {
                return Err(ApiError::NotFound);
            }
            repo::accounts::clear_mwi(conn, id, account_id)?;
            repo::devices::compact(conn, id)?;
            repo::devices::touch(conn, id)
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The device's owners list.
#[utoipa::path(tag = "devices", params(("id" = Uuid, Path), PageQuery), responses((status = 200, body = Page<Member>)))]
#[get("/devices/{id}/owners")]
pub async fn list_owners(
    s: web::Data<AppState>,
    p: Principal,
    id: web::Path<Uuid>,
    q: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = *id;
    let (after, limit) = q.resolve()?;
    let (rows, next) = db::run(&s.pool, move |conn| {
        let l = load(conn, &p, id)?;
        authz::devices::can_read(&p.actor, &l.facts()).check()?;
        repo::devices::owners(conn, id, after, limit)
    })
    .await?;
    Ok(HttpResponse::Ok().json(Page::new(rows.into_iter().map(Member::from).collect(), next)))
}

/// Add a device owner (A6). 201 when added, 200 when already on the list. The username
/// must be a login of the device's service provider (else 422 `unknown_username`, A1).
#[utoipa::path(tag = "devices", params(("id" = Uuid, Path)), request_body = MemberInput, responses(
    (status = 201, body = Member, description = "added"),
    (status = 200, body = Member, description = "already on the list"),
    (status = 403, body = Problem, content_type = "application/problem+json", description = "D1/D8: not a device owner or provisioner"),
    (status = 422, body = Problem, content_type = "application/problem+json", description = "A1 `unknown_username`"),
))]
#[post("/devices/{id}/owners")]
pub async fn add_owner(
    s: web::Data<AppState>,
    p: Principal,
    id: web::Path<Uuid>,
    b: ApiJson<MemberInput>,
) -> Result<HttpResponse, ApiError> {
    let (id, username) = (*id, b.0.username);
    let (added, member) = db::run(&s.pool, move |conn| {
        write_tx(conn, |conn| {
            repo::lock(conn, Locked::Devices, id, Lock::Update)?;
            let l = load(conn, &p, id)?;
            let current = current_placement(conn, &l)?;
            authz::devices::can_manage(&p.actor, &l.facts(), &current).check()?;
            let login = listable_login(conn, &username, l.context.sp_id)?;
            let added = repo::devices::add_owner(conn, id, login.id)?;
            let row = repo::devices::owner(conn, id, login.id)?.ok_or(ApiError::NotFound)?;
            Ok((added, Member::from(row)))
        })
    })
    .await?;
    Ok(member_response(added, member))
}

/// Take a login off the device owners list (A6; anyone may take itself off, A7).
#[utoipa::path(tag = "devices", params(("id" = Uuid, Path), ("username" = String, Path)), responses(
    (status = 204),
    (status = 403, body = Problem, content_type = "application/problem+json", description = "D1/D8: not a device owner or provisioner"),
))]
#[delete("/devices/{id}/owners/{username}")]
pub async fn remove_owner(
    s: web::Data<AppState>,
    p: Principal,
    path: web::Path<(Uuid, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, username) = path.into_inner();
    db::run(&s.pool, move |conn| {
        write_tx(conn, |conn| {
            repo::lock(conn, Locked::Devices, id, Lock::Update)?;
            let l = load(conn, &p, id)?;
            let current = current_placement(conn, &l)?;
            let login = repo::logins::by_username(conn, &username)?;
            let removing_self = login.as_ref().is_some_and(|x| x.id == p.login_id);
            authz::devices::can_remove_owner(&p.actor, &l.facts(), &current, removing_self).check()?;
            let login = login.ok_or(ApiError::NotFound)?;
            if !repo::devices::remove_owner(conn, id, login.id)? {
                return Err(ApiError::NotFound);
            }
            Ok(())
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
