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
