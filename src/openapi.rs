//! The OpenAPI document: built from the same route configuration the server runs, so a
//! route cannot exist without its entry; the committed `openapi/openapi.json` is compared
//! with it by a test.
//!
//! Handlers document what is particular to them (their success answer, the rules that can
//! refuse them); what every operation of a kind shares is added here once, from the same
//! facts the server acts on: an authenticated operation can answer 401, one with a path id
//! 404, one with a body 400/413/415/422, every one that touches the database 503.

use actix_web::App;
use utoipa::openapi::link::LinkBuilder;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::schema::{Schema, SchemaType, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::AppExt;

use crate::authz::Refusal;
use crate::domain::code::Code;
use crate::error::Problem;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "siprov",
        description = "Multi-tenant SIP provisioning API: service providers, organizations, users, \
                       accounts and SIP devices, with every authorization decision named by its \
                       rule id. The rules are in the repository's docs/domain.md; a refusal's \
                       `rule` field names one.",
        license(name = "Apache-2.0", identifier = "Apache-2.0")
    ),
    servers((url = "/", description = "this server")),
    components(schemas(Problem)),
    modifiers(&Conventions),
    tags(
        (name = "auth", description = "Access tokens"),
        (name = "me", description = "The caller (M1)"),
        (name = "service providers", description = "The tenants at the top of the tree (N1–N5, P1–P4)"),
        (name = "organizations", description = "Organizations of a service provider (N1–N5, P1–P4)"),
        (name = "users", description = "Users of an organization (N1–N5, P1–P4)"),
        (name = "devices", description = "SIP devices (D0–D9, A6)"),
        (name = "accounts", description = "Telephone numbers and their lists (A1–A7)"),
        (name = "audit", description = "Who changed what, when (L1, L2)"),
        (name = "webhooks", description = "Audit events sent to partners as they happen (L3, L4)"),
        (name = "provisioning", description = "What phones fetch, authenticated as their MAC (F4–F8)"),
        (name = "api clients", description = "Machine logins of a node, for pipelines and partners (K1–K4)"),
        (name = "health", description = "Liveness and readiness probes")
    )
)]
pub struct ApiDoc;

/// The bearer scheme, the shared error answers, the problem codes and the links, added
/// once here instead of on each handler.
struct Conventions;

impl Modify for Conventions {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()),
        );
        // Phones (F4): the username is the MAC, the password the device's provisioning password.
        components.add_security_scheme(
            "phone_digest",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Digest)
                    .description(Some("RFC 7616, SHA-256 or MD5, qop=auth; username: the MAC"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "phone_basic",
            SecurityScheme::Http(
                HttpBuilder::new().scheme(HttpAuthScheme::Basic).description(Some("username: the MAC")).build(),
            ),
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

fn has_parameter(op: &Operation, place: ParameterIn, name: Option<&str>) -> bool {
    op.parameters.as_ref().is_some_and(|ps| {
        ps.iter().any(|p| match p {
            RefOr::T(p) => p.parameter_in == place && name.is_none_or(|n| p.name == n),
            RefOr::Ref(_) => false,
        })
    })
}

/// The description an answer gets when its handler gave none.
fn default_description(status: &str) -> &'static str {
    match status {
        "200" => "OK",
        "201" => "Created",
        "204" => "Done; no content",
        "304" => "Not modified",
        _ => "See the problem body",
    }
}

/// Adds the shared answers and the security requirement to every operation.
fn apply_conventions(doc: &mut utoipa::openapi::OpenApi) {
    for (path, item) in doc.paths.paths.iter_mut() {
        let authenticated = path.starts_with("/v1/") && !path.starts_with("/v1/auth/");
        let phone = path.starts_with("/provisioning/");
        let uses_database = path.starts_with("/v1/") || path == "/readyz" || phone;
        let ops = [
            ("get", &mut item.get),
            ("post", &mut item.post),
            ("put", &mut item.put),
            ("patch", &mut item.patch),
            ("delete", &mut item.delete),
        ];
        for (method, op) in ops.into_iter().filter_map(|(m, o)| o.as_mut().map(|o| (m, o))) {
            for response in op.responses.responses.values_mut() {
                if let RefOr::T(r) = response
                    && r.description.is_empty()
                {
                    r.description = "OK".into();
                }
            }
            let statuses: Vec<String> = op.responses.responses.keys().cloned().collect();
            for status in statuses {
                if let Some(RefOr::T(r)) = op.responses.responses.get_mut(&status)
                    && (r.description.is_empty() || r.description == "OK")
                {
                    r.description = default_description(&status).into();
                }
            }
            if let Some(RefOr::T(body)) = op.request_body.as_mut() {
                // Every body this API takes is required: without one the request is malformed.
                body.required = Some(utoipa::openapi::Required::True);
            }
            let has_body = op.request_body.is_some();
            let has_query = has_parameter(op, ParameterIn::Query, None);
            let has_id = has_parameter(op, ParameterIn::Path, None);
            let token_endpoint = op.operation_id.as_deref() == Some("token");
            if phone {
                // Phones: the handler names Digest and Basic.
            } else if !authenticated {
                // Open to anyone: an empty requirement says so explicitly.
                op.security = Some(vec![SecurityRequirement::default()]);
            }
            if authenticated {
                op.security = Some(vec![SecurityRequirement::new("bearer", Vec::<String>::new())]);
                add_if_missing(
                    op,
                    "401",
                    "`missing_token` or `invalid_token`: no token, or one that is malformed, expired, \
                     wrongly signed or whose login is gone (`WWW-Authenticate: Bearer`)",
                );
            }
            if has_id {
                add_if_missing(op, "404", "`not_found`: absent, or not visible to the caller (N5)");
            }
            if has_body {
                add_if_missing(op, "400", "`malformed_json`: the body is not JSON");
                add_if_missing(op, "413", "`payload_too_large`: the body is over 64 KiB");
                add_if_missing(op, "415", "`unsupported_media_type`: the body is not JSON");
                if !token_endpoint {
                    add_if_missing(op, "422", "invalid values, each listed under `errors` with its field and code");
                }
            }
            if has_query {
                add_if_missing(op, "400", "`invalid_query` or `invalid_cursor`: a query parameter of the wrong form");
                if has_parameter(op, ParameterIn::Query, Some("limit")) {
                    add_if_missing(op, "422", "`invalid_limit`: `limit` out of 1..=500");
                }
            }
            if authenticated && method == "post" {
                add_idempotency_key(op);
            }
            let single = single_resource(path);
            if authenticated && method == "get" {
                add_header(
                    op,
                    "If-None-Match",
                    "An ETag of this answer: 304 with no body while it is still current",
                    None,
                );
                if !op.responses.responses.contains_key("304") {
                    let not_modified = ResponseBuilder::new().description("Not modified: the ETag given is current");
                    op.responses.responses.insert("304".into(), not_modified.build().into());
                }
            }
            if authenticated && single && (method == "patch" || method == "delete") {
                add_header(
                    op,
                    "If-Match",
                    "`*` or the ETag of the resource as read: the write happens only while it is current",
                    Some(
                        utoipa::openapi::schema::ObjectBuilder::new()
                            .schema_type(Type::String)
                            .pattern(Some(r#"^\s*(\*|"[!#-~]*"(\s*,\s*"[!#-~]*")*)\s*$"#)),
                    ),
                );
                add_if_missing(op, "412", "`precondition_failed`: the resource changed since the ETag in If-Match");
                add_if_missing(op, "400", "`invalid_if_match`: a weak or malformed If-Match");
            }
            if uses_database {
                add_if_missing(
                    op,
                    "503",
                    "`service_unavailable`: the database cannot be reached or is busy; retry after \
                     `Retry-After` seconds",
                );
            }
            add_if_missing(op, "500", "`internal_error`: a bug; the body reveals nothing, the log has the cause");
        }
    }
}

/// `/v1/{collection}/{id}`: a single resource with an ETag that `If-Match` may name.
fn single_resource(path: &str) -> bool {
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    matches!(parts.as_slice(), ["v1", _, "{id}"])
}

/// An optional request header parameter.
fn add_header(
    op: &mut Operation,
    name: &str,
    description: &str,
    schema: Option<utoipa::openapi::schema::ObjectBuilder>,
) {
    use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
    let schema = schema.unwrap_or_else(|| utoipa::openapi::schema::ObjectBuilder::new().schema_type(Type::String));
    let param = ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Header)
        .required(utoipa::openapi::Required::False)
        .description(Some(description))
        .schema(Some(schema))
        .build();
    op.parameters.get_or_insert_with(Vec::new).push(RefOr::T(param));
}

/// `Idempotency-Key` on every authenticated POST, and the answers it adds.
fn add_idempotency_key(op: &mut Operation) {
    let schema = utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .max_length(Some(255))
        .pattern(Some("^[!-~]+$"));
    add_header(
        op,
        "Idempotency-Key",
        "1 to 255 visible ASCII characters. The same key from the same login with the same request \
         within 24 h replays the first answer (`Idempotent-Replayed: true`, secrets read `<redacted>`)",
        Some(schema),
    );
    add_if_missing(op, "400", "`malformed_json`, or `invalid_idempotency_key`");
    add_if_missing(op, "409", "`idempotency_key_in_flight`: the first request with this key is still running");
    add_if_missing(op, "422", "`idempotency_key_reused`: the key came before with another request");
}

/// The problem `code` is one of a closed set: the refusals of `authz` and the codes of
/// `domain::code`, listed from those enums so the document cannot miss one.
fn problem_codes(doc: &mut utoipa::openapi::OpenApi) {
    let Some(components) = doc.components.as_mut() else { return };
    let Some(RefOr::T(Schema::Object(problem))) = components.schemas.get_mut("Problem") else { return };
    let mut codes: Vec<&'static str> =
        Code::ALL.iter().map(|c| c.as_str()).chain(Refusal::ALL.iter().map(|r| r.code())).collect();
    codes.sort_unstable();
    codes.dedup();
    if let Some(RefOr::T(Schema::Object(code))) = problem.properties.get_mut("code") {
        code.enum_values = Some(codes.iter().map(|c| serde_json::Value::from(*c)).collect());
    }
    // The refusals' rules, and K7, which throttled logins name (429, not a refusal).
    let rules: Vec<String> =
        Refusal::ALL.iter().map(|r| r.rule()).chain([crate::authz::Rule::K7]).map(|r| r.to_string()).collect();
    if let Some(RefOr::T(Schema::Object(rule))) = problem.properties.get_mut("rule") {
        let mut rules = rules;
        rules.sort();
        rules.dedup();
        rule.schema_type = SchemaType::from_iter([Type::String]);
        rule.enum_values = Some(rules.into_iter().map(serde_json::Value::from).collect());
    }
}

/// Where a created resource leads: each 201 answer names the operations that take the new
/// resource's id (and, for a list member or a line, what else identifies it), so clients
/// and stateful test tools can follow from a create to the resource.
/// A link's parameters: name and runtime expression.
type LinkParams = &'static [(&'static str, &'static str)];
/// The operations a create leads to, by operation id.
type Links = &'static [(&'static str, LinkParams)];

const LINKS: &[(&str, Links)] = {
    const BY_ID: LinkParams = &[("id", "$response.body#/id")];
    const MEMBER: LinkParams = &[("id", "$request.path.id"), ("username", "$response.body#/username")];
    &[
        (
            "create_service_provider",
            &[
                ("get_service_provider", BY_ID),
                ("patch_service_provider", BY_ID),
                ("delete_service_provider", BY_ID),
                ("create_organization", BY_ID),
                ("list_organizations", BY_ID),
                ("add_sp_device", BY_ID),
                ("list_sp_devices", BY_ID),
            ],
        ),
        (
            "create_organization",
            &[
                ("get_organization", BY_ID),
                ("patch_organization", BY_ID),
                ("delete_organization", BY_ID),
                ("create_user", BY_ID),
                ("list_users", BY_ID),
                ("add_org_device", BY_ID),
                ("list_org_devices", BY_ID),
            ],
        ),
        (
            "create_user",
            &[
                ("get_user", BY_ID),
                ("patch_user", BY_ID),
                ("delete_user", BY_ID),
                ("create_account", BY_ID),
                ("list_accounts", BY_ID),
                ("add_user_device", BY_ID),
                ("list_user_devices", BY_ID),
            ],
        ),
        ("add_sp_device", DEVICE_LINKS),
        ("add_org_device", DEVICE_LINKS),
        ("add_user_device", DEVICE_LINKS),
        (
            "create_account",
            &[
                ("get_account", BY_ID),
                ("patch_account", BY_ID),
                ("delete_account", BY_ID),
                ("list_account_owners", BY_ID),
                ("add_account_owner", BY_ID),
                ("list_account_administrators", BY_ID),
                ("add_account_administrator", BY_ID),
            ],
        ),
        ("add_line", &[("remove_line", &[("id", "$response.body#/id"), ("account_id", "$request.body#/account_id")])]),
        ("add_owner", &[("remove_owner", MEMBER)]),
        ("add_account_owner", &[("remove_account_owner", MEMBER)]),
        ("add_account_administrator", &[("remove_account_administrator", MEMBER)]),
    ]
};

const DEVICE_LINKS: Links = &[
    ("get_device", &[("id", "$response.body#/id")]),
    ("patch_device", &[("id", "$response.body#/id")]),
    ("delete_device", &[("id", "$response.body#/id")]),
    ("add_line", &[("id", "$response.body#/id")]),
    ("list_owners", &[("id", "$response.body#/id")]),
    ("add_owner", &[("id", "$response.body#/id")]),
];

fn add_links(doc: &mut utoipa::openapi::OpenApi) {
    for item in doc.paths.paths.values_mut() {
        for op in [&mut item.post, &mut item.put, &mut item.patch].into_iter().flatten() {
            let Some(id) = op.operation_id.clone() else { continue };
            let Some((_, targets)) = LINKS.iter().find(|(source, _)| *source == id) else { continue };
            let Some(RefOr::T(created)) = op.responses.responses.get_mut("201") else { continue };
            for (target, params) in *targets {
                let mut link = LinkBuilder::new().operation_id(*target);
                for (name, expr) in *params {
                    link = link.parameter(*name, serde_json::Value::from(*expr));
                }
                created.links.insert(camel(target), RefOr::T(link.build()));
            }
        }
    }
}

/// `get_device` → `GetDevice`: link names are conventionally PascalCase.
fn camel(snake: &str) -> String {
    snake
        .split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
        })
        .collect()
}

/// The whole document, as served at `/openapi.json`.
pub fn document() -> utoipa::openapi::OpenApi {
    let (_, mut doc) =
        App::new().into_utoipa_app().openapi(ApiDoc::openapi()).configure(crate::routes::configure).split_for_parts();
    apply_conventions(&mut doc);
    problem_codes(&mut doc);
    add_links(&mut doc);
    doc
}

/// The document as committed in `openapi/openapi.json` (pretty, trailing newline).
pub fn document_json() -> String {
    let mut s = document().to_pretty_json().unwrap_or_default();
    s.push('\n');
    s
}
