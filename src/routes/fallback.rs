//! What actix answers by itself, made problem+json: unknown routes 404, a known path with
//! the wrong method 405 (with `Allow`), and any plain-text error of a built-in extractor.

use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::{ResourceDef, ServiceRequest, ServiceResponse};
use actix_web::http::{StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};

use crate::domain::code::Code;
use crate::error::ApiError;

/// The documented paths and their methods, taken from the OpenAPI document: the same
/// source the router was built from. `HEAD` goes with `GET` (served by
/// `http::head::head_as_get`, not documented as an operation of its own).
pub struct RouteTable(Vec<(ResourceDef, String)>);

impl RouteTable {
    pub fn from_openapi(doc: &utoipa::openapi::OpenApi) -> RouteTable {
        let routes = doc
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let mut methods = Vec::new();
                let ops = [
                    ("GET", item.get.is_some()),
                    ("HEAD", item.get.is_some()),
                    ("POST", item.post.is_some()),
                    ("PUT", item.put.is_some()),
                    ("PATCH", item.patch.is_some()),
                    ("DELETE", item.delete.is_some()),
                ];
                for (m, present) in ops {
                    if present {
                        methods.push(m);
                    }
                }
                (ResourceDef::new(path.as_str()), methods.join(", "))
            })
            .collect();
        RouteTable(routes)
    }

    fn allowed(&self, path: &str) -> Option<&str> {
        self.0.iter().find(|(def, _)| def.is_match(path)).map(|(_, m)| m.as_str())
    }

    /// Whether a documented route serves this method on this path.
    pub fn serves(&self, method: &str, path: &str) -> bool {
        self.0.iter().any(|(def, methods)| def.is_match(path) && methods.split(", ").any(|m| m == method))
    }
}

/// The default service: 405 for a known path, else 404.
pub async fn not_found(req: HttpRequest, table: web::Data<RouteTable>) -> HttpResponse {
    match table.allowed(req.path()) {
        Some(allow) => ApiError::MethodNotAllowed { allow: allow.to_owned() }.error_response(),
        None => ApiError::NotFound.error_response(),
    }
}

/// Rewrites any error response that is not problem+json yet (actix's own extractors,
/// Swagger UI, CORS refusals) into one, keeping its status and its other headers (CORS,
/// `Allow`, `Vary`).
pub async fn problem_json(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<BoxBody>>, actix_web::Error> {
    let res = next.call(req).await?;
    let status = res.status();
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/problem+json"));
    if !(status.is_client_error() || status.is_server_error()) || is_problem {
        return Ok(res.map_body(|_, b| EitherBody::left(b.boxed())));
    }
    let error = match status {
        StatusCode::NOT_FOUND => ApiError::NotFound,
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::UnsupportedMediaType,
        StatusCode::METHOD_NOT_ALLOWED => ApiError::MethodNotAllowed { allow: String::new() },
        s if s.is_client_error() => ApiError::bad_request(Code::BadRequest, "the request could not be understood"),
        _ => ApiError::internal(format!("unstructured {status} response")),
    };
    let (req, original) = res.into_parts();
    let mut problem = error.error_response();
    let own: Vec<header::HeaderName> = problem.headers().keys().cloned().collect();
    for (name, value) in original.headers() {
        if !own.contains(name) && name != header::CONTENT_LENGTH {
            problem.headers_mut().append(name.clone(), value.clone());
        }
    }
    Ok(ServiceResponse::new(req, problem).map_into_right_body())
}
