//! The OpenAPI document: built from the same route configuration the server runs, so a
//! route cannot exist without its entry; the committed `openapi/openapi.json` is compared
//! with it by a test.

use actix_web::App;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::AppExt;

use crate::error::Problem;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "siprov",
        description = "Multi-tenant SIP provisioning API: service providers, organizations, users, \
                       accounts and SIP devices, with every authorization decision named by its \
                       rule id (see docs/domain.md).",
        license(name = "Apache-2.0")
    ),
    components(schemas(Problem)),
    modifiers(&Conventions),
    tags(
        (name = "auth", description = "Access tokens"),
        (name = "me", description = "The caller (M1)"),
        (name = "service providers"), (name = "organizations"), (name = "users"),
        (name = "devices", description = "SIP devices (D0–D9, A6)"),
        (name = "accounts", description = "Telephone numbers and their lists (A1–A7)"),
        (name = "health")
    )
)]
pub struct ApiDoc;

/// The bearer scheme, and the error responses every operation shares, added once here
/// instead of on each handler.
struct Conventions;

impl Modify for Conventions {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()),
        );
    }
}

fn problem(description: &str) -> utoipa::openapi::Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/problem+json",
            ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build(),
        )
        .build()
}

fn add_if_missing(op: &mut Operation, status: &str, description: &str) {
    if !op.responses.responses.contains_key(status) {
        op.responses.responses.insert(status.to_owned(), problem(description).into());
    }
}

/// Adds the shared error responses and the security requirement to every operation.
fn apply_conventions(doc: &mut utoipa::openapi::OpenApi) {
    for (path, item) in doc.paths.paths.iter_mut() {
        let authenticated = path.starts_with("/v1/") && !path.starts_with("/v1/auth/");
        let has_id = path.contains('{');
        let ops = [&mut item.get, &mut item.post, &mut item.put, &mut item.patch, &mut item.delete];
        for op in ops.into_iter().flatten() {
            let has_body = op.request_body.is_some();
            if authenticated {
                op.security = Some(vec![SecurityRequirement::new("bearer", Vec::<String>::new())]);
                add_if_missing(
                    op,
                    "401",
                    "missing, malformed, expired or wrongly signed token (`WWW-Authenticate: Bearer`)",
                );
                add_if_missing(op, "400", "malformed JSON or query");
            }
            if has_id {
                add_if_missing(op, "404", "absent, or not visible to the caller (N5)");
            }
            if has_body {
                add_if_missing(op, "413", "body over the size limit");
                add_if_missing(op, "415", "body is not JSON");
                add_if_missing(op, "422", "invalid values, listed under `errors`");
            } else if authenticated
                && op
                    .parameters
                    .as_ref()
                    .is_some_and(|p| p.iter().any(|p| matches!(p, utoipa::openapi::RefOr::T(p) if p.name == "limit")))
            {
                add_if_missing(op, "422", "`limit` out of range");
            }
            add_if_missing(op, "500", "internal error; the body reveals nothing");
        }
    }
}

/// The whole document, as served at `/openapi.json`.
pub fn document() -> utoipa::openapi::OpenApi {
    let (_, mut doc) =
        App::new().into_utoipa_app().openapi(ApiDoc::openapi()).configure(crate::routes::configure).split_for_parts();
    apply_conventions(&mut doc);
    doc
}

/// The document as committed in `openapi/openapi.json` (pretty, trailing newline).
pub fn document_json() -> String {
    let mut s = document().to_pretty_json().unwrap_or_default();
    s.push('\n');
    s
}
