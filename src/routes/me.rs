//! `GET /v1/me` (M1).

use actix_web::{HttpResponse, get};

use super::extract::Db;
use crate::error::ApiError;
use crate::service;
use crate::service::me::Me;

/// The caller's role context, level, SIP devices area and list memberships (M1).
#[utoipa::path(tag = "me", responses((status = 200, body = Me)))]
#[get("/me")]
pub async fn me(db: Db) -> Result<HttpResponse, ApiError> {
    let me = db.read(move |s, p| service::me::me(s.conn()?, p)).await?;
    Ok(HttpResponse::Ok().json(me))
}
