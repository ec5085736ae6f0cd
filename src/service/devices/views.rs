//! What a device looks like to clients, and the bodies that add and change one.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::db::repo::devices::{DeviceRecord, Line};
use crate::db::repo::provisioning::DeviceLogin;
use crate::domain::{AccountId, DeviceId, NodeKind, NodeLink, Timestamp};
use crate::service::input::{double_option, non_null};

/// The message waiting light.
#[derive(Serialize, ToSchema)]
pub struct Mwi {
    pub enabled: bool,
    /// The line account whose voicemail lights it; one of the device's lines.
    #[schema(value_type = Option<Uuid>)]
    pub account_id: Option<AccountId>,
}

#[derive(Serialize, ToSchema)]
pub struct DeviceSettings {
    pub missed_calls: bool,
    pub mwi: Mwi,
}

#[derive(Serialize, ToSchema)]
pub struct LineView {
    #[schema(value_type = Uuid)]
    pub account_id: AccountId,
    pub number: String,
    /// 1..N, unique per device.
    pub position: i32,
}

/// The phone's provisioning login and last fetch (F3, F8). The password is never shown
/// here: only whether one is set.
#[derive(Serialize, ToSchema)]
pub struct ProvisioningView {
    /// What the phone authenticates as: its MAC, 12 lowercase hex digits (F4).
    pub username: String,
    /// Whether a provisioning password was issued (and not ended by a MAC change, F9).
    pub password_set: bool,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_fetch_at: Option<Timestamp>,
    /// The client address of the last successful fetch.
    pub last_fetch_address: Option<String>,
    pub last_user_agent: Option<String>,
}

/// A SIP device.
#[derive(Serialize, ToSchema)]
pub struct DeviceView {
    #[schema(value_type = Uuid)]
    pub id: DeviceId,
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
    pub provisioning: ProvisioningView,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

impl DeviceView {
    pub(super) fn new(
        d: DeviceRecord,
        context: NodeKind,
        assignee: Option<NodeKind>,
        lines: Vec<Line>,
        login: Option<DeviceLogin>,
    ) -> DeviceView {
        let login = login.unwrap_or_default();
        DeviceView {
            provisioning: ProvisioningView {
                username: d.mac_address.clone(),
                password_set: login.verifiers.is_some(),
                last_fetch_at: login.last_fetch_at,
                last_fetch_address: login.last_fetch_address,
                last_user_agent: login.last_user_agent,
            },
            id: d.id,
            mac_address: d.mac_address,
            vendor: d.vendor,
            model: d.model,
            label: d.label,
            context: NodeLink { kind: context, id: d.context_id },
            assigned_to: d.assigned_to_id.zip(assignee).map(|(id, kind)| NodeLink { kind, id }),
            settings: DeviceSettings {
                missed_calls: d.missed_calls,
                mwi: Mwi { enabled: d.mwi_enabled, account_id: d.mwi_account_id },
            },
            lines: lines
                .into_iter()
                .map(|l| LineView { account_id: l.account_id, number: l.number, position: l.position })
                .collect(),
            created_at: d.created_at,
            updated_at: d.updated_at,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MwiInput {
    #[serde(default, deserialize_with = "non_null")]
    #[schema(nullable = false)]
    pub enabled: Option<bool>,
    /// An account on one of the device's lines, or null.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub account_id: Option<Option<AccountId>>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsInput {
    #[serde(default, deserialize_with = "non_null")]
    #[schema(nullable = false)]
    pub missed_calls: Option<bool>,
    #[serde(default, deserialize_with = "non_null")]
    #[schema(nullable = false)]
    pub mwi: Option<MwiInput>,
}

/// The message waiting light of a new device: it has no lines yet, so no line's account
/// can light it; that is set once lines are on it.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMwiInput {
    #[serde(default, deserialize_with = "non_null")]
    #[schema(nullable = false)]
    pub enabled: Option<bool>,
    /// Only null: a new device has no lines, and the MWI account must be one of them
    /// (422 `mwi_not_a_line`).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(schema_with = null_only)]
    pub account_id: Option<Option<AccountId>>,
}

fn null_only() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    utoipa::openapi::schema::ObjectBuilder::new().schema_type(utoipa::openapi::schema::Type::Null).into()
}

/// Settings of a new device.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSettingsInput {
    #[serde(default, deserialize_with = "non_null")]
    #[schema(nullable = false)]
    pub missed_calls: Option<bool>,
    #[serde(default, deserialize_with = "non_null")]
    #[schema(nullable = false)]
    pub mwi: Option<NewMwiInput>,
}

impl From<NewSettingsInput> for SettingsInput {
    fn from(s: NewSettingsInput) -> SettingsInput {
        SettingsInput {
            missed_calls: s.missed_calls,
            mwi: s.mwi.map(|m| MwiInput { enabled: m.enabled, account_id: m.account_id }),
        }
    }
}

/// Body to add a device.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateDevice {
    /// `00:04:F2:AB:CD:EF`, `00-04-f2-ab-cd-ef`, `0004.f2ab.cdef` or `0004f2abcdef`.
    #[schema(schema_with = crate::domain::validate::schemas::mac)]
    pub mac_address: String,
    #[schema(schema_with = crate::domain::validate::schemas::nullable_vendor)]
    pub vendor: Option<String>,
    #[schema(schema_with = crate::domain::validate::schemas::nullable_model)]
    pub model: Option<String>,
    #[schema(schema_with = crate::domain::validate::schemas::nullable_label)]
    pub label: Option<String>,
    /// An organization or user below the context (or the context user itself).
    pub assigned_to: Option<NodeLink>,
    pub settings: Option<NewSettingsInput>,
}

/// Body of a device `PATCH`: every field optional; `null` clears `vendor`, `model`,
/// `label` and `assigned_to`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchDevice {
    #[serde(default, deserialize_with = "non_null")]
    #[schema(schema_with = crate::domain::validate::schemas::mac)]
    pub mac_address: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(schema_with = crate::domain::validate::schemas::nullable_vendor)]
    pub vendor: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(schema_with = crate::domain::validate::schemas::nullable_model)]
    pub model: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(schema_with = crate::domain::validate::schemas::nullable_label)]
    pub label: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<NodeLink>)]
    pub assigned_to: Option<Option<NodeLink>>,
    #[serde(default, deserialize_with = "non_null")]
    #[schema(nullable = false)]
    pub settings: Option<SettingsInput>,
}

/// Filters of a device listing, with the page parameters, as the query string gives them.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeviceQuery {
    /// Page size, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    #[param(value_type = Option<Uuid>)]
    pub cursor: Option<String>,
    /// Any accepted MAC form.
    #[param(schema_with = crate::domain::validate::schemas::mac)]
    pub mac_address: Option<String>,
    /// A node id: devices assigned to it.
    #[param(value_type = Option<Uuid>)]
    pub assigned_to: Option<String>,
    /// Devices of this vendor (exact match).
    #[param(schema_with = crate::domain::validate::schemas::vendor)]
    pub vendor: Option<String>,
    /// Devices of this model (exact match).
    #[param(schema_with = crate::domain::validate::schemas::model)]
    pub model: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineInput {
    #[schema(value_type = Uuid)]
    pub account_id: AccountId,
    /// 1..N+1; defaults to the end. Lines at or after it move down one.
    #[schema(minimum = 1)]
    pub position: Option<i32>,
}
