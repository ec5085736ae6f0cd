//! P1–P4 over HTTP, table-driven: every actor × actor level × target × new level, with the
//! expected outcome computed by a small oracle written from domain.md §1, independently of
//! `src/authz`.
//!
//! One app per test and one tree per actor level keep the tables fast: between rows the
//! system admin puts the actor's and the target's levels back to the row's starting point.

use std::fmt;

use serde_json::{Value, json};

use crate::helpers::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Level {
    None,
    View,
    Modify,
}

const LEVELS: [Level; 3] = [Level::None, Level::View, Level::Modify];

impl Level {
    fn as_str(self) -> &'static str {
        match self {
            Level::None => "none",
            Level::View => "view",
            Level::Modify => "modify",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    ServiceProvider,
    Organization,
    User,
}

impl Kind {
    /// The collection segment: `/v1/{segment}/{id}`.
    fn segment(self) -> &'static str {
        match self {
            Kind::ServiceProvider => "service-providers",
            Kind::Organization => "organizations",
            Kind::User => "users",
        }
    }

    fn path(self, id: &str) -> String {
        format!("/v1/{}/{id}", self.segment())
    }

    /// The collection where children of a node of this kind are created.
    fn children(self, id: &str) -> String {
        match self {
            Kind::ServiceProvider => format!("/v1/service-providers/{id}/organizations"),
            Kind::Organization => format!("/v1/organizations/{id}/users"),
            Kind::User => panic!("users have no child nodes"),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Kind::ServiceProvider => "service provider",
            Kind::Organization => "organization",
            Kind::User => "user",
        }
    }
}

/// Who calls.
#[derive(Clone, Copy, Debug)]
enum Actor {
    Admin,
    Owner(Kind, Level),
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Actor::Admin => f.write_str("system admin"),
            Actor::Owner(kind, level) => write!(f, "{} owner ({})", kind.name(), level.as_str()),
        }
    }
}

/// Where the target sits relative to the actor's node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Relation {
    Own,
    Child,
    Grandchild,
    Parent,
    Grandparent,
    Sibling,
    OtherTenant,
    /// For a system admin, which stands above every node.
    AnyNode,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    Allowed,
    Refused { code: &'static str, rule: &'static str },
    NotFound,
}

impl fmt::Display for Expect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expect::Allowed => f.write_str("allowed"),
            Expect::Refused { code, rule } => write!(f, "403 {rule} {code}"),
            Expect::NotFound => f.write_str("404"),
        }
    }
}

/// The rules, as domain.md states them, for setting the level of a node related to the actor
/// by `relation` to `new`: an existing node whose level is `current`, or (none) one being
/// created.
fn oracle(actor: Actor, relation: Relation, current: Option<Level>, new: Level) -> Expect {
    let own = match actor {
        // P1, P2: system admins set any value on any node.
        Actor::Admin => return Expect::Allowed,
        Actor::Owner(_, own) => own,
    };
    match relation {
        // N2/N5: above or beside the actor, or in another tenant: it does not exist for it.
        Relation::Parent | Relation::Grandparent | Relation::Sibling | Relation::OtherTenant => Expect::NotFound,
        // N6: the level the node already has is no change, so P1 and P2 do not apply.
        _ if current == Some(new) => Expect::Allowed,
        // P1: a node cannot change its own level; a grandparent cannot change it.
        Relation::Own | Relation::Grandchild => Expect::Refused { code: "not_parent", rule: "P1" },
        // P2 (and P3, which follows from it): the parent sets at most its own level.
        Relation::Child if new <= own => Expect::Allowed,
        Relation::Child => Expect::Refused { code: "level_exceeds_own", rule: "P2" },
        Relation::AnyNode => unreachable!("only system admins stand above any node"),
    }
}

/// A node of the test trees.
#[derive(Clone, Debug)]
struct Target {
    kind: Kind,
    node: Node,
    /// Where it sits, for the row's name.
    label: String,
}

impl Target {
    fn path(&self) -> String {
        self.kind.path(&self.node.id)
    }
}

/// One tree whose three owners all have `level`, with a sibling organization and user.
struct Tree {
    sp: Target,
    org: Target,
    user: Target,
    sibling_org: Target,
    sibling_user: Target,
}

async fn tree(app: &TestApp, level: Level, name: &str) -> Tree {
    let l = level.as_str();
    let sp = app.sp(l).await;
    let org = app.org(&sp, l).await;
    let user = app.user(&org, l).await;
    let sibling_org = app.org(&sp, l).await;
    let sibling_user = app.user(&org, l).await;
    let t = |kind, node, what: &str| Target { kind, node, label: format!("{what} of tree {name}") };
    Tree {
        sp: t(Kind::ServiceProvider, sp, "the service provider"),
        org: t(Kind::Organization, org, "the organization"),
        user: t(Kind::User, user, "the user"),
        sibling_org: t(Kind::Organization, sibling_org, "the sibling organization"),
        sibling_user: t(Kind::User, sibling_user, "the sibling user"),
    }
}

/// The actor's node, and every target with its relation to it.
fn targets_of(actor: Actor, tree: &Tree, other: &Tree) -> (Option<Target>, Vec<(Relation, Target)>) {
    let foreign = || {
        vec![
            (Relation::OtherTenant, other.sp.clone()),
            (Relation::OtherTenant, other.org.clone()),
            (Relation::OtherTenant, other.user.clone()),
        ]
    };
    match actor {
        Actor::Admin => (
            None,
            vec![
                (Relation::AnyNode, other.sp.clone()),
                (Relation::AnyNode, other.org.clone()),
                (Relation::AnyNode, other.user.clone()),
            ],
        ),
        Actor::Owner(Kind::ServiceProvider, _) => {
            let mut t = vec![
                (Relation::Own, tree.sp.clone()),
                (Relation::Child, tree.org.clone()),
                (Relation::Child, tree.sibling_org.clone()),
                (Relation::Grandchild, tree.user.clone()),
            ];
            t.extend(foreign());
            (Some(tree.sp.clone()), t)
        }
        Actor::Owner(Kind::Organization, _) => {
            let mut t = vec![
                (Relation::Own, tree.org.clone()),
                (Relation::Child, tree.user.clone()),
                (Relation::Child, tree.sibling_user.clone()),
                (Relation::Parent, tree.sp.clone()),
                (Relation::Sibling, tree.sibling_org.clone()),
            ];
            t.extend(foreign());
            (Some(tree.org.clone()), t)
        }
        Actor::Owner(Kind::User, _) => {
            let mut t = vec![
                (Relation::Own, tree.user.clone()),
                (Relation::Parent, tree.org.clone()),
                (Relation::Grandparent, tree.sp.clone()),
                (Relation::Sibling, tree.sibling_user.clone()),
            ];
            t.extend(foreign());
            (Some(tree.user.clone()), t)
        }
    }
}

fn actors() -> Vec<Actor> {
    let mut all = vec![Actor::Admin];
    for kind in [Kind::ServiceProvider, Kind::Organization, Kind::User] {
        for level in LEVELS {
            all.push(Actor::Owner(kind, level));
        }
    }
    all
}

/// The level a target starts a row with: never the row's new level, so that an allowed
/// change is visible and a refused one provably changed nothing. (The actor's own node
/// starts at the actor's level, so its rows with that level are N6's.)
fn start_level(new: Level) -> Level {
    if new == Level::None { Level::Modify } else { Level::None }
}

/// Checks an answer against the expectation; `None` when it matches, else what went wrong.
fn judge(res: &Res, expect: Expect, success_status: u16) -> Option<String> {
    let content_type = res.headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("");
    let got = format!("got {} {}", res.status, res.body);
    match expect {
        Expect::Allowed if res.status == success_status => None,
        Expect::Refused { code, rule }
            if (res.status, res.code(), res.rule()) == (403, code, rule)
                && content_type.starts_with("application/problem+json") =>
        {
            None
        }
        Expect::NotFound
            if res.status == 404
                && res.code() == "not_found"
                && res.body.get("rule").is_none()
                && content_type.starts_with("application/problem+json") =>
        {
            None
        }
        _ => Some(got),
    }
}

async fn level_of(app: &TestApp, target: &Target) -> String {
    let res = app.get(&app.admin, &target.path()).await;
    res.assert(200);
    res.body["device_provisioning"].as_str().expect("level").to_owned()
}

#[track_caller]
fn report(failures: Vec<String>, rows: usize) {
    assert!(rows > 0, "the table is empty");
    assert!(failures.is_empty(), "{} of {rows} rows failed:\n{}", failures.len(), failures.join("\n"));
}

#[actix_web::test]
async fn patching_device_provisioning_follows_p1_and_p2_for_every_actor_level_target_and_new_level() {
    let app = spawn_app().await;
    let trees =
        [tree(&app, Level::None, "N").await, tree(&app, Level::View, "V").await, tree(&app, Level::Modify, "M").await];
    let other = tree(&app, Level::Modify, "X (another tenant)").await;

    let mut failures = Vec::new();
    let mut rows = 0;
    for actor in actors() {
        let (tree, token) = match actor {
            Actor::Admin => (&other, app.admin.clone()),
            Actor::Owner(kind, level) => {
                let tree = &trees[LEVELS.iter().position(|l| *l == level).expect("level")];
                let node = match kind {
                    Kind::ServiceProvider => &tree.sp,
                    Kind::Organization => &tree.org,
                    Kind::User => &tree.user,
                };
                (tree, node.node.token.clone())
            }
        };
        let (own, targets) = targets_of(actor, tree, &other);
        for (relation, target) in targets {
            for new in LEVELS {
                rows += 1;
                let row = format!("row {rows}: {actor} sets {} ({relation:?}) to {}", target.label, new.as_str());
                // Back to the row's starting point: the actor at its level, the target elsewhere.
                let start = match (&own, actor) {
                    (Some(own), Actor::Owner(_, level)) => {
                        app.set_level(own.kind.segment(), &own.node.id, level.as_str()).await;
                        if relation == Relation::Own { level } else { start_level(new) }
                    }
                    _ => start_level(new),
                };
                let expect = oracle(actor, relation, Some(start), new);
                if relation != Relation::Own {
                    app.set_level(target.kind.segment(), &target.node.id, start.as_str()).await;
                }
                let res = app.patch(&token, &target.path(), json!({"device_provisioning": new.as_str()})).await;
                if let Some(got) = judge(&res, expect, 200) {
                    failures.push(format!("{row}: expected {expect}, {got}"));
                    continue;
                }
                if expect == Expect::Allowed && res.body["device_provisioning"] != new.as_str() {
                    failures.push(format!("{row}: 200 but the answer says {}", res.body["device_provisioning"]));
                }
                let stored = level_of(&app, &target).await;
                let wanted = if expect == Expect::Allowed { new } else { start };
                if stored != wanted.as_str() {
                    failures
                        .push(format!("{row}: expected {expect}; stored level is {stored}, not {}", wanted.as_str()));
                }
            }
        }
    }
    report(failures, rows);
}

#[actix_web::test]
async fn creating_a_node_with_a_level_follows_p1_and_p2_for_every_actor_level_parent_and_new_level() {
    let app = spawn_app().await;
    let trees =
        [tree(&app, Level::None, "N").await, tree(&app, Level::View, "V").await, tree(&app, Level::Modify, "M").await];
    let other = tree(&app, Level::Modify, "X (another tenant)").await;

    // (parent of the new node, relation of the new node to the actor)
    let plan = |actor: Actor, tree: &Tree| -> Vec<(Target, Relation)> {
        let foreign = vec![(other.sp.clone(), Relation::OtherTenant), (other.org.clone(), Relation::OtherTenant)];
        let mine = match actor {
            Actor::Admin => {
                return vec![(other.sp.clone(), Relation::AnyNode), (other.org.clone(), Relation::AnyNode)];
            }
            Actor::Owner(Kind::ServiceProvider, _) => {
                vec![(tree.sp.clone(), Relation::Child), (tree.org.clone(), Relation::Grandchild)]
            }
            Actor::Owner(Kind::Organization, _) => {
                vec![(tree.org.clone(), Relation::Child), (tree.sp.clone(), Relation::Sibling)]
            }
            Actor::Owner(Kind::User, _) => {
                vec![(tree.org.clone(), Relation::Sibling), (tree.sp.clone(), Relation::Parent)]
            }
        };
        mine.into_iter().chain(foreign).collect()
    };

    let mut failures = Vec::new();
    let mut rows = 0;
    for actor in actors() {
        let (tree, token) = match actor {
            Actor::Admin => (&other, app.admin.clone()),
            Actor::Owner(kind, level) => {
                let tree = &trees[LEVELS.iter().position(|l| *l == level).expect("level")];
                let node = match kind {
                    Kind::ServiceProvider => &tree.sp,
                    Kind::Organization => &tree.org,
                    Kind::User => &tree.user,
                };
                (tree, node.node.token.clone())
            }
        };
        for (parent, relation) in plan(actor, tree) {
            for new in LEVELS {
                rows += 1;
                let expect = oracle(actor, relation, None, new);
                let child_kind = if parent.kind == Kind::ServiceProvider { "an organization" } else { "a user" };
                let row = format!(
                    "row {rows}: {actor} creates {child_kind} ({relation:?} to it) under {} with {}",
                    parent.label,
                    new.as_str()
                );
                let username = unique("made");
                let body: Value = if parent.kind == Kind::ServiceProvider {
                    json!({"name": "New", "device_provisioning": new.as_str(), "owner": {"username": username, "password": PASSWORD}})
                } else {
                    json!({"name": "New", "device_provisioning": new.as_str(), "username": username, "password": PASSWORD})
                };
                let collection = parent.kind.children(&parent.node.id);
                let res = app.post(&token, &collection, body).await;
                if let Some(got) = judge(&res, expect, 201) {
                    failures.push(format!("{row}: expected {expect}, {got}"));
                    continue;
                }
                if expect == Expect::Allowed && res.body["device_provisioning"] != new.as_str() {
                    failures.push(format!("{row}: 201 but the new node has {}", res.body["device_provisioning"]));
                }
                let listed = app.get(&app.admin, &format!("{collection}?limit=500")).await;
                let exists = listed.body["items"]
                    .as_array()
                    .expect("items")
                    .iter()
                    .any(|n| n["username"] == username.as_str() || n["owner"]["username"] == username.as_str());
                if exists != (expect == Expect::Allowed) {
                    failures.push(format!("{row}: expected {expect}, but the new node exists: {exists}"));
                }
            }
        }
    }
    // A system admin also creates service providers with any level.
    for new in LEVELS {
        rows += 1;
        let body = json!({"name": "New", "device_provisioning": new.as_str(), "owner": {"username": unique("sp"), "password": PASSWORD}});
        let res = app.post(&app.admin, "/v1/service-providers", body).await;
        if res.status != 201 || res.body["device_provisioning"] != new.as_str() {
            failures.push(format!("row {rows}: system admin creates a service provider with {new:?}: {}", res.body));
        }
    }
    report(failures, rows);
}

#[actix_web::test]
async fn a_view_parent_lowers_a_modify_child_to_view_and_then_cannot_raise_it_back() {
    let app = spawn_app().await;
    let sp = app.sp("view").await;
    let org = app.org(&sp, "modify").await;
    let org_path = format!("/v1/organizations/{}", org.id);
    let boss = app.org(&sp, "view").await;
    let user = app.user(&boss, "modify").await;
    let user_path = format!("/v1/users/{}", user.id);

    for (who, parent, path) in [("SP owner", &sp, &org_path), ("org owner", &boss, &user_path)] {
        let lowered = app.patch(&parent.token, path, json!({"device_provisioning": "view"})).await;
        assert_eq!(lowered.status, 200, "{who} (view) lowers modify to view: {}", lowered.body);
        assert_eq!(lowered.body["device_provisioning"], "view");

        let raised = app.patch(&parent.token, path, json!({"device_provisioning": "modify"})).await;
        raised.assert_refused(403, "level_exceeds_own", "P2");
        assert_eq!(app.get(&app.admin, path).await.body["device_provisioning"], "view", "{who}: still view");

        // Within its own level it still moves the child freely.
        app.patch(&parent.token, path, json!({"device_provisioning": "none"})).await.assert(200);
        app.patch(&parent.token, path, json!({"device_provisioning": "view"})).await.assert(200);
        let again = app.patch(&parent.token, path, json!({"device_provisioning": "modify"})).await;
        again.assert_refused(403, "level_exceeds_own", "P2");
    }
    // Only a system admin gives modify back.
    app.set_level("organizations", &org.id, "modify").await;
    app.set_level("users", &user.id, "modify").await;
    assert_eq!(app.get(&org.token, "/v1/me").await.body["device_provisioning"], "modify");
    assert_eq!(app.get(&user.token, "/v1/me").await.body["device_provisioning"], "modify");
}
