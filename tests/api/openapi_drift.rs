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

#[actix_web::test]
async fn every_v1_operation_documents_the_bearer_scheme_and_its_errors() {
    let doc: serde_json::Value = serde_json::from_str(&siprov::openapi::document_json()).unwrap();
    let mut operations = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            operations += 1;
            let responses = op["responses"].as_object().unwrap();
            assert!(responses.contains_key("500"), "{method} {path} lacks 500");
            if path.starts_with("/v1/") && !path.starts_with("/v1/auth/") {
                assert_eq!(op["security"][0]["bearer"], serde_json::json!([]), "{method} {path}");
                assert!(responses.contains_key("401"), "{method} {path} lacks 401");
            }
        }
    }
    assert!(operations >= 40, "only {operations} operations documented");
    assert!(doc["components"]["schemas"]["Problem"].is_object());
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
