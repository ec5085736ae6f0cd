//! K1, K3 and K5 as tables: every kind of caller against API clients and passwords of every
//! kind of node.

use awc::http::Method;
use serde_json::json;

use crate::access::{client_token, new_client};
use crate::helpers::*;

#[actix_web::test]
async fn k1_k3_k5_who_manages_clients_and_sets_passwords_of_which_node() {
    let app = spawn_app().await;
    let sp = app.sp("modify").await;
    let org = app.org(&sp, "modify").await;
    let user = app.user(&org, "modify").await;
    let stranger = app.sp("modify").await;
    let (cid, secret) = new_client(&app, &sp.token, "service-providers", &sp.id, "write").await;
    let client = client_token(&app, &cid, &secret).await;
    let targets = [("service-providers", &sp.id), ("organizations", &org.id), ("users", &user.id)];
    // Expected (create a client, set the password) per caller, for the targets in order.
    const OK: (u16, u16) = (201, 204);
    const HIDDEN: (u16, u16) = (404, 404);
    // A password set (even to the same value) refuses the login's earlier tokens (K5), so
    // each caller logs in afresh; the client's token is its own.
    type Row<'a> = (&'a str, Option<&'a str>, [(u16, u16); 3]);
    let table: [Row; 6] = [
        ("system admin", Some(ADMIN), [OK, OK, OK]),
        ("service provider", Some(&sp.username), [(201, 403), OK, OK]),
        ("organization", Some(&org.username), [HIDDEN, (201, 403), OK]),
        ("user", Some(&user.username), [HIDDEN, HIDDEN, (201, 403)]),
        ("another tenant", Some(&stranger.username), [HIDDEN, HIDDEN, HIDDEN]),
        ("the SP's API client", None, [(403, 403), (403, 403), (403, 403)]),
    ];
    let mut failures = vec![];
    for (who, username, expected) in table {
        for ((kind, id), (create, password)) in targets.iter().zip(expected) {
            let token = match username {
                Some(u) => app.login(u, PASSWORD).await,
                None => client.clone(),
            };
            let token = token.as_str();
            let res =
                app.post(token, &format!("/v1/{kind}/{id}/api-clients"), json!({"name": "m", "scope": "read"})).await;
            if res.status != create {
                failures.push(format!("{who} creates a client of {kind}: {} {}", res.status, res.body));
            }
            let res = app
                .call(
                    Method::PUT,
                    &format!("/v1/{kind}/{id}/password"),
                    Some(token),
                    Some(json!({"password": PASSWORD})),
                )
                .await;
            if res.status != password {
                failures.push(format!("{who} sets the password of {kind}: {} {}", res.status, res.body));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
