use crate::helpers::*;

/// The committed document is what clients generate code from; it must be exactly what the
/// code serves. Regenerate with `cargo run -q -- openapi > openapi/openapi.json`.
#[actix_web::test]
async fn the_committed_openapi_document_equals_the_served_one() {
    let app = spawn_app().await;
    let served = app.call(awc::http::Method::GET, "/openapi.json", None, None).await;
    served.assert(200);
    let committed: serde_json::Value =
        serde_json::from_str(include_str!("../../openapi/openapi.json")).expect("openapi/openapi.json is JSON");
    assert!(
        served.body == committed,
        "openapi/openapi.json is stale: regenerate it with `cargo run -q -- openapi > openapi/openapi.json`"
    );
    assert_eq!(siprov::openapi::document_json(), include_str!("../../openapi/openapi.json"));
}

/// What the document says about authentication is what the server does: every operation
/// is called without a token (ids filled with fresh UUIDs, a JSON body when it takes one),
/// and it answers 401 with `WWW-Authenticate: Bearer` exactly when the document lists the
/// bearer scheme and a 401 for it; then again with a garbage token.
#[actix_web::test]
async fn every_operation_that_documents_the_bearer_scheme_refuses_a_missing_token_and_no_other_does() {
    let app = spawn_app().await;
    let doc: serde_json::Value = serde_json::from_str(&siprov::openapi::document_json()).unwrap();
    let mut secured = 0;
    let mut open = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        let concrete: String = path
            .split('/')
            .map(|seg| if seg.starts_with('{') { uuid::Uuid::new_v4().to_string() } else { seg.to_owned() })
            .collect::<Vec<_>>()
            .join("/");
        for (method, op) in item.as_object().unwrap() {
            let documents_bearer =
                op["security"].as_array().is_some_and(|s| s.iter().any(|r| r.get("bearer").is_some()));
            let documents_phone =
                op["security"].as_array().is_some_and(|s| s.iter().any(|r| r.get("phone_digest").is_some()));
            let method: awc::http::Method = method.to_uppercase().parse().unwrap();
            let body = op.get("requestBody").map(|_| serde_json::json!({}));
            for token in [None, Some("not-a-token")] {
                let res = app.call(method.clone(), &concrete, token, body.clone()).await;
                if documents_phone {
                    // Phones (F4): Digest is offered first; a Bearer token is no credential.
                    assert_eq!(res.status, 401, "{method} {path} with {token:?}: {}", res.body);
                    let challenge = res.headers.get("www-authenticate").and_then(|v| v.to_str().ok()).unwrap_or("");
                    assert!(challenge.starts_with("Digest"), "{method} {path}: {challenge:?}");
                    assert!(op["responses"].get("401").is_some(), "{method} {path} does not document its 401");
                } else if documents_bearer {
                    assert_eq!(res.status, 401, "{method} {path} with {token:?}: {}", res.body);
                    let challenge = res.headers.get("www-authenticate").and_then(|v| v.to_str().ok()).unwrap_or("");
                    assert!(challenge.starts_with("Bearer"), "{method} {path}: {challenge:?}");
                    assert!(
                        op["responses"].get("401").is_some(),
                        "{method} {path} answers 401 but does not document it"
                    );
                } else {
                    assert_ne!(res.status, 401, "{method} {path} answers 401 but documents no security: {}", res.body);
                }
            }
            if documents_bearer { secured += 1 } else { open += 1 }
        }
    }
    assert!(secured >= 40 && open >= 3, "{secured} secured and {open} open operations");
}

#[actix_web::test]
async fn swagger_ui_is_served_offline_under_docs() {
    let app = spawn_app().await;
    let ui = app.call(awc::http::Method::GET, "/docs/", None, None).await;
    ui.assert(200);
    assert!(ui.body.as_str().unwrap_or("").contains("swagger"), "not the Swagger UI page");
    // The client follows the redirect from `/docs` to `/docs/`.
    let redirected = app.call(awc::http::Method::GET, "/docs", None, None).await;
    redirected.assert(200);
    assert!(redirected.body.as_str().unwrap_or("").contains("swagger"));
}
