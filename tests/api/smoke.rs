use serde_json::json;

use crate::helpers::*;

#[actix_web::test]
async fn the_bootstrap_admin_logs_in_and_sees_itself_as_system_admin() {
    let app = spawn_app().await;
    let me = app.get(&app.admin, "/v1/me").await;
    me.assert(200);
    assert_eq!(me.body["role"], "system_admin");
    assert_eq!(me.body["sip_devices_area"], true);
    let sp = app.sp("modify").await;
    let org = app.org(&sp, "view").await;
    let user = app.user(&org, "none").await;
    let me = app.get(&user.token, "/v1/me").await;
    assert_eq!(me.body["role"], "user");
    assert_eq!(me.body["node"], json!({"type": "user", "id": user.id}));
    assert_eq!(me.body["sip_devices_area"], false);
}

#[actix_web::test]
async fn an_unknown_route_or_method_is_404_or_405_with_or_without_a_token() {
    use awc::http::Method;
    let app = spawn_app().await;
    for token in [None, Some(app.admin.as_str())] {
        let res = app.call(Method::GET, "/v1/no-such-thing", token, None).await;
        assert_eq!((res.status, res.code()), (404, "not_found"), "{token:?}");
        let res = app.call(Method::PUT, "/v1/me", token, None).await;
        assert_eq!((res.status, res.code()), (405, "method_not_allowed"), "{token:?}");
        assert_eq!(res.headers.get("allow").and_then(|v| v.to_str().ok()), Some("GET, HEAD"));
    }
    // A real route still needs its token.
    app.call(Method::GET, "/v1/me", None, None).await.assert(401);
}
