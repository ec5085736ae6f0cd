//! The three tables of `shared/seeds/voipnow-device-provisioning-permissions.txt`, walked row by
//! row over HTTP (domain.md §2: D0–D7 for adding, D1/D2 for reading).
//!
//! The tenant tree of every app is one chain SP → Org → User. A row says who calls (a system
//! admin or the owner of one node of the chain), in whose context it adds a device (its own,
//! a descendant's, or, to check N5, an ancestor's), to whom the device is assigned (nobody, or
//! a node below the context, or the context User itself) and the level of every node of the
//! chain. The levels of the nodes the row does not name are walked too (`none` or `modify`),
//! because they decide D4's "no node below has `modify`".
//!
//! The expected answer comes from [`oracle`], written from domain.md alone: the service's
//! code is never consulted. A row that answers otherwise is reported by its description.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{Value, json};

use crate::helpers::*;

/// A node of the chain SP → Org → User; the derived order is the depth.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Sp,
    Org,
    User,
}

const KINDS: [Kind; 3] = [Kind::Sp, Kind::Org, Kind::User];

impl Kind {
    fn depth(self) -> usize {
        self as usize
    }

    fn path(self) -> &'static str {
        match self {
            Kind::Sp => "service-providers",
            Kind::Org => "organizations",
            Kind::User => "users",
        }
    }

    fn json_type(self) -> &'static str {
        match self {
            Kind::Sp => "service_provider",
            Kind::Org => "organization",
            Kind::User => "user",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Sp => "SP",
            Kind::Org => "Org",
            Kind::User => "User",
        }
    }
}

/// "Allow to provision devices".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Level {
    Modify,
    View,
    None,
}

const LEVELS: [Level; 3] = [Level::Modify, Level::View, Level::None];
/// The levels walked for nodes a row does not name: only `modify` matters to D4.
const FILLERS: [Level; 2] = [Level::None, Level::Modify];

impl Level {
    fn as_str(self) -> &'static str {
        match self {
            Level::Modify => "modify",
            Level::View => "view",
            Level::None => "none",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Caller {
    Admin,
    Owner(Kind),
}

/// One situation of the matrix.
#[derive(Clone, Copy, Debug)]
struct Row {
    caller: Caller,
    /// Where the device is added (`POST /v1/{context}/{id}/devices`).
    context: Kind,
    /// Its assignee; `Some(User)` in a User context is the context User itself.
    assignee: Option<Kind>,
    /// The level of each chain node, by depth.
    levels: [Level; 3],
}

impl Row {
    fn level(&self, k: Kind) -> Level {
        self.levels[k.depth()]
    }

    /// Whether a node strictly below `k` has `modify`.
    fn modify_below(&self, k: Kind) -> bool {
        KINDS.iter().any(|&n| n > k && self.level(n) == Level::Modify)
    }
}

impl fmt::Display for Row {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let node = |k: Kind| format!("{}({})", k.name(), self.level(k).as_str());
        match self.caller {
            Caller::Admin => write!(f, "system admin adds in {}'s context", node(self.context))?,
            Caller::Owner(c) if c == self.context => write!(f, "{} owner adds in its own context", node(c))?,
            Caller::Owner(c) => write!(f, "{} owner adds in {}'s context", node(c), node(self.context))?,
        }
        match self.assignee {
            None => write!(f, ", unassigned")?,
            Some(a) if a == self.context => write!(f, ", assigned to that User itself")?,
            Some(a) => write!(f, ", assigned to {}", node(a))?,
        }
        let tree: Vec<String> = KINDS.iter().map(|&k| node(k)).collect();
        write!(f, " | tree {}", tree.join(" > "))
    }
}

/// What the service must answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verdict {
    /// 201, the device placed as asked.
    Created,
    /// A refusal with its `code` and `rule`.
    Refused { status: u16, code: &'static str, rule: &'static str },
    /// 404, exactly like a node that does not exist (N5).
    Hidden,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Created => write!(f, "201"),
            Verdict::Refused { status, code, rule } => write!(f, "{status} {code} {rule}"),
            Verdict::Hidden => write!(f, "404 (as if absent)"),
        }
    }
}

const fn refused(status: u16, code: &'static str, rule: &'static str) -> Verdict {
    Verdict::Refused { status, code, rule }
}

/// The source sentence a row exercises: one cell of the seed's tables (plus D0 and N5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Clause {
    Admin,
    SpModify,
    SpViewOwnAssigned,
    SpViewOwnUnassigned,
    SpViewOrgContext,
    SpViewUserContext,
    SpNone,
    OrgModify,
    OrgViewOwnAssigned,
    OrgViewOwnUnassigned,
    OrgViewUserContext,
    OrgNone,
    UserModify,
    UserView,
    UserNone,
    /// Not a seed sentence: a context above the caller is not its to see (N5).
    OutsideSubtree,
}

/// Every seed sentence and whether it is conditional (then rows must show both outcomes).
const SEED: [(Clause, bool, &str); 15] = [
    (
        Clause::Admin,
        false,
        "System admins can add SIP devices in any context regardless of the provisioning permissions",
    ),
    (Clause::SpModify, false, "SP Modify: can add in his own context and his Organizations' and Users', regardless"),
    (Clause::SpViewOwnAssigned, true, "SP View: own context, only Orgs and Users with Modify may be assigned"),
    (Clause::SpViewOwnUnassigned, true, "SP View: own context unassigned while no Org or User has Modify"),
    (Clause::SpViewOrgContext, true, "SP View: in an Organization context if the Organization has Modify"),
    (Clause::SpViewUserContext, true, "SP View: in a User context if the User has Modify, otherwise he can't"),
    (Clause::SpNone, false, "SP None: cannot access the SIP Devices area"),
    (Clause::OrgModify, false, "Org Modify: can add in his own context and his Users', regardless"),
    (Clause::OrgViewOwnAssigned, true, "Org View: own context, can only assign to Users with Modify"),
    (Clause::OrgViewOwnUnassigned, true, "Org View: own context unassigned while no User has Modify"),
    (Clause::OrgViewUserContext, true, "Org View: in a User context if the User has Modify, otherwise he can't"),
    (Clause::OrgNone, false, "Org None: cannot access the SIP Devices area"),
    (Clause::UserModify, false, "User Modify: can add SIP devices, assigned only to his own extensions"),
    (Clause::UserView, false, "User View: cannot add any SIP device"),
    (Clause::UserNone, false, "User None: cannot access the SIP Devices area"),
];

/// The expected answer to a row, from domain.md §2 (and N5 for contexts above the caller).
fn oracle(row: &Row) -> (Verdict, Clause) {
    // D0: system admins add anywhere, whatever the levels.
    let Caller::Owner(c) = row.caller else { return (Verdict::Created, Clause::Admin) };
    // N5: a context that is not the caller's node or below it does not exist for the caller.
    if row.context < c {
        return (Verdict::Hidden, Clause::OutsideSubtree);
    }
    let own = row.context == c;
    let level = row.level(c);
    let verdict = match (c, level) {
        // D1: the area is not displayed at all.
        (_, Level::None) => refused(403, "sip_devices_area_hidden", "D1"),
        // D6: a view User adds nothing.
        (Kind::User, Level::View) => refused(403, "view_only", "D6"),
        // D7: a modify User adds in its own context (the only one it has), for itself.
        (Kind::User, Level::Modify) => Verdict::Created,
        // D3: a modify SP or Org adds anywhere below, to anyone below, whatever their levels.
        (_, Level::Modify) => Verdict::Created,
        // D4: a view SP or Org in its own context.
        (_, Level::View) if own => match row.assignee {
            Some(a) if row.level(a) == Level::Modify => Verdict::Created,
            Some(_) => refused(403, "assignee_lacks_modify", "D4"),
            None if row.modify_below(c) => refused(422, "assignment_required", "D4"),
            None => Verdict::Created,
        },
        // D5: a view SP or Org in a descendant X's context needs X at modify; then X's own
        // rules apply: D3 for a modify Org (anyone below it), D7 for a modify User (itself).
        (_, Level::View) if row.level(row.context) == Level::Modify => Verdict::Created,
        (_, Level::View) => refused(403, "context_lacks_modify", "D5"),
    };
    let clause = match (c, level, row.context) {
        (Kind::Sp, Level::Modify, _) => Clause::SpModify,
        (Kind::Sp, Level::View, Kind::Sp) if row.assignee.is_some() => Clause::SpViewOwnAssigned,
        (Kind::Sp, Level::View, Kind::Sp) => Clause::SpViewOwnUnassigned,
        (Kind::Sp, Level::View, Kind::Org) => Clause::SpViewOrgContext,
        (Kind::Sp, Level::View, Kind::User) => Clause::SpViewUserContext,
        (Kind::Sp, Level::None, _) => Clause::SpNone,
        (Kind::Org, Level::Modify, _) => Clause::OrgModify,
        (Kind::Org, Level::View, Kind::Org) if row.assignee.is_some() => Clause::OrgViewOwnAssigned,
        (Kind::Org, Level::View, Kind::Org) => Clause::OrgViewOwnUnassigned,
        (Kind::Org, Level::View, _) => Clause::OrgViewUserContext,
        (Kind::Org, Level::None, _) => Clause::OrgNone,
        (Kind::User, Level::Modify, _) => Clause::UserModify,
        (Kind::User, Level::View, _) => Clause::UserView,
        (Kind::User, Level::None, _) => Clause::UserNone,
    };
    (verdict, clause)
}

/// Valid assignees in a context: nobody, every chain node strictly below it, and in a User
/// context that User itself.
fn assignees(context: Kind) -> Vec<Option<Kind>> {
    let mut out = vec![None];
    out.extend(KINDS.iter().filter(|&&k| k > context).map(|&k| Some(k)));
    if context == Kind::User {
        out.push(Some(Kind::User));
    }
    out
}

/// Every level combination: `pinned` names the levels a position takes (the caller's own
/// level, or all three for a named context or assignee); other positions take `FILLERS`.
fn level_combinations(pinned: [Option<&[Level]>; 3]) -> Vec<[Level; 3]> {
    let choices: Vec<&[Level]> = pinned.iter().map(|p| p.unwrap_or(&FILLERS)).collect();
    let mut out = Vec::new();
    for &a in choices[0] {
        for &b in choices[1] {
            for &c in choices[2] {
                out.push([a, b, c]);
            }
        }
    }
    out
}

/// The rows of one caller's table.
fn rows_of(caller: Caller) -> Vec<Row> {
    let mut rows = Vec::new();
    match caller {
        Caller::Admin => {
            for context in KINDS {
                for assignee in assignees(context) {
                    for levels in level_combinations([Some(&LEVELS); 3]) {
                        rows.push(Row { caller, context, assignee, levels });
                    }
                }
            }
        }
        Caller::Owner(c) => {
            for caller_level in LEVELS {
                let own = [caller_level];
                for context in KINDS {
                    // Above the caller only the unassigned case is asked: it is a 404 anyway.
                    let options = if context < c { vec![None] } else { assignees(context) };
                    for assignee in options {
                        let mut pinned: [Option<&[Level]>; 3] = [None; 3];
                        for named in [Some(context), assignee].into_iter().flatten() {
                            pinned[named.depth()] = Some(&LEVELS);
                        }
                        pinned[c.depth()] = Some(&own);
                        for levels in level_combinations(pinned) {
                            rows.push(Row { caller, context, assignee, levels });
                        }
                    }
                }
            }
        }
    }
    rows
}

/// MAC addresses unique across every app of this module.
static NEXT_MAC: AtomicU64 = AtomicU64::new(1);

fn fresh_mac() -> String {
    format!("0a{:010x}", NEXT_MAC.fetch_add(1, Ordering::Relaxed))
}

/// An app whose tree is the chain SP → Org → User, with the levels currently set.
struct Rig {
    app: TestApp,
    chain: [Node; 3],
    levels: [Level; 3],
    /// A context that does not exist, to compare 404 answers with (N5).
    absent: Res,
}

impl Rig {
    /// Builds the chain (all at `none`) and, around it, nodes at `modify` that must never
    /// count for D4: another tenant's SP → Org → User and, for Org and User callers, a
    /// sibling Org with its User and a sibling User.
    async fn new(caller: Caller) -> Rig {
        let app = spawn_app().await;
        let sp = app.sp("none").await;
        let org = app.org(&sp, "none").await;
        let user = app.user(&org, "none").await;
        let other_sp = app.sp("modify").await;
        let other_org = app.org(&other_sp, "modify").await;
        app.user(&other_org, "modify").await;
        if matches!(caller, Caller::Owner(Kind::Org | Kind::User)) {
            let sibling = app.org(&sp, "modify").await;
            app.user(&sibling, "modify").await;
        }
        if caller == Caller::Owner(Kind::User) {
            app.user(&org, "modify").await;
        }
        let absent = app
            .post(
                &app.admin,
                &format!("/v1/organizations/{}/devices", uuid::Uuid::new_v4()),
                json!({"mac_address": fresh_mac()}),
            )
            .await;
        assert_eq!(absent.status, 404, "an absent context: {}", absent.body);
        Rig { app, chain: [sp, org, user], levels: [Level::None; 3], absent }
    }

    fn node(&self, k: Kind) -> &Node {
        &self.chain[k.depth()]
    }

    fn token(&self, caller: Caller) -> &str {
        match caller {
            Caller::Admin => &self.app.admin,
            Caller::Owner(k) => &self.node(k).token,
        }
    }

    async fn set_levels(&mut self, levels: [Level; 3]) {
        for k in KINDS {
            let want = levels[k.depth()];
            if self.levels[k.depth()] != want {
                self.app.set_level(k.path(), &self.node(k).id, want.as_str()).await;
                self.levels[k.depth()] = want;
            }
        }
    }

    fn link(&self, k: Kind) -> Value {
        json!({"type": k.json_type(), "id": self.node(k).id})
    }

    /// Plays one row; `Err` describes how the answer differs from the verdict.
    async fn play(&mut self, row: &Row, verdict: Verdict) -> Result<(), String> {
        self.set_levels(row.levels).await;
        let mut body = json!({"mac_address": fresh_mac(), "vendor": "matrix"});
        if let Some(a) = row.assignee {
            body["assigned_to"] = self.link(a);
        }
        let path = format!("/v1/{}/{}/devices", row.context.path(), self.node(row.context).id);
        let res = self.app.post(self.token(row.caller), &path, body.clone()).await;
        let seen = format!("{} {} {}", res.status, res.code(), res.rule());
        match verdict {
            Verdict::Created => {
                let placed = (res.body["context"].clone(), res.body["assigned_to"].clone());
                let wanted = (self.link(row.context), row.assignee.map_or(Value::Null, |a| self.link(a)));
                if res.status != 201 || placed != wanted || res.body["mac_address"] != body["mac_address"] {
                    return Err(format!("expected 201 placed as {wanted:?}, got {seen}: {}", res.body));
                }
            }
            Verdict::Refused { status, code, rule } => {
                if (res.status, res.code(), res.rule()) != (status, code, rule) {
                    return Err(format!("expected {verdict}, got {seen}: {}", res.body));
                }
            }
            Verdict::Hidden => {
                if (res.status, res.code(), res.rule()) != (404, self.absent.code(), "") {
                    return Err(format!("expected {verdict} like {}, got {seen}: {}", self.absent.body, res.body));
                }
            }
        }
        Ok(())
    }
}

/// Plays every row of one caller's table on a fresh app and reports every row that fails.
async fn play_table(caller: Caller) {
    let rows = rows_of(caller);
    let mut rig = Rig::new(caller).await;
    let mut failures = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let (verdict, clause) = oracle(row);
        if let Err(why) = rig.play(row, verdict).await {
            failures.push(format!("row {i} [{row}] ({clause:?}): {why}"));
        }
    }
    assert!(failures.is_empty(), "{} of {} rows failed:\n{}", failures.len(), rows.len(), failures.join("\n"));
}

#[test]
fn the_matrix_exercises_every_sentence_of_the_three_seed_tables_with_both_outcomes_where_conditional() {
    let callers = [Caller::Admin, Caller::Owner(Kind::Sp), Caller::Owner(Kind::Org), Caller::Owner(Kind::User)];
    let mut seen: BTreeSet<(Clause, bool)> = BTreeSet::new();
    let mut total = 0;
    for caller in callers {
        for row in rows_of(caller) {
            let (verdict, clause) = oracle(&row);
            seen.insert((clause, verdict == Verdict::Created));
            total += 1;
        }
    }
    for (clause, conditional, says) in SEED {
        let allowed = seen.contains(&(clause, true));
        let refused = seen.contains(&(clause, false));
        assert!(allowed || refused, "no row exercises {clause:?}: {says}");
        if conditional {
            assert!(allowed && refused, "{clause:?} ({says}) needs rows on both sides of its condition");
        }
    }
    assert!(seen.contains(&(Clause::OutsideSubtree, false)));
    // Admin 7 placements x 27 level sets; SP 3 levels x 43; Org 3 x 28; User 3 x 20.
    assert_eq!(total, 189 + 129 + 84 + 60, "the matrix lost or gained rows");
}

#[actix_web::test]
async fn every_row_of_the_service_provider_table_answers_as_the_rule_book_says() {
    play_table(Caller::Owner(Kind::Sp)).await;
}

#[actix_web::test]
async fn every_row_of_the_organization_table_answers_as_the_rule_book_says() {
    play_table(Caller::Owner(Kind::Org)).await;
}

#[actix_web::test]
async fn every_row_of_the_user_table_answers_as_the_rule_book_says() {
    play_table(Caller::Owner(Kind::User)).await;
}

#[actix_web::test]
async fn a_system_admin_adds_in_every_context_to_every_assignee_whatever_the_levels() {
    play_table(Caller::Admin).await;
}

// ---------------------------------------------------------------------------------------
// D2: reading. Devices placed by the system admin around the chain; each caller at each
// level lists every context and reads every device.
// ---------------------------------------------------------------------------------------

/// A node of the reading tree, with the ids of itself and its ancestors.
#[derive(Clone)]
struct Place {
    name: &'static str,
    kind: Kind,
    node: Node,
    /// Its own id and every ancestor's.
    lineage: Vec<String>,
}

impl Place {
    fn is_at_or_below(&self, ancestor: &Place) -> bool {
        self.lineage.contains(&ancestor.node.id)
    }
}

struct Device {
    name: &'static str,
    id: String,
    context: usize,
    assigned_to: Option<usize>,
}

/// What reading answers, from D1/D2 and N5.
fn read_oracle(places: &[Place], caller: usize, level: Level, device: &Device) -> Verdict {
    let c = &places[caller];
    let in_tree =
        places[device.context].is_at_or_below(c) || (c.kind == Kind::User && device.assigned_to == Some(caller));
    match (in_tree, level) {
        (false, _) => Verdict::Hidden,
        (true, Level::None) => refused(403, "sip_devices_area_hidden", "D1"),
        (true, _) => Verdict::Created,
    }
}

#[actix_web::test]
async fn d2_every_caller_lists_and_reads_devices_of_its_context_and_below_and_nothing_else() {
    let app = spawn_app().await;
    let sp = app.sp("none").await;
    let org = app.org(&sp, "none").await;
    let user = app.user(&org, "none").await;
    let sibling_user = app.user(&org, "modify").await;
    let sibling_org = app.org(&sp, "modify").await;
    let other_sp = app.sp("modify").await;
    let lineage = |ids: &[&Node]| ids.iter().map(|n| n.id.clone()).collect::<Vec<_>>();
    let places = vec![
        Place { name: "SP", kind: Kind::Sp, node: sp.clone(), lineage: lineage(&[&sp]) },
        Place { name: "Org", kind: Kind::Org, node: org.clone(), lineage: lineage(&[&org, &sp]) },
        Place { name: "User", kind: Kind::User, node: user.clone(), lineage: lineage(&[&user, &org, &sp]) },
        Place {
            name: "sibling User",
            kind: Kind::User,
            node: sibling_user.clone(),
            lineage: lineage(&[&sibling_user, &org, &sp]),
        },
        Place {
            name: "sibling Org",
            kind: Kind::Org,
            node: sibling_org.clone(),
            lineage: lineage(&[&sibling_org, &sp]),
        },
        Place { name: "other tenant's SP", kind: Kind::Sp, node: other_sp.clone(), lineage: lineage(&[&other_sp]) },
    ];
    // (name, context, assignee): every device is created unassigned by the admin and then
    // assigned with PATCH, so that no User is a device owner (A4) and only D2 can let it read.
    let specs: [(&'static str, usize, Option<usize>); 8] = [
        ("in the SP's context", 0, None),
        ("in the Org's context", 1, None),
        ("in the Org's context, assigned to the User", 1, Some(2)),
        ("in the Org's context, assigned to the sibling User", 1, Some(3)),
        ("in the User's context", 2, None),
        ("in the sibling User's context", 3, None),
        ("in the sibling Org's context", 4, None),
        ("in the other tenant's context", 5, None),
    ];
    let mut devices = Vec::new();
    for (name, context, assigned_to) in specs {
        let p = &places[context];
        let res = app
            .post(
                &app.admin,
                &format!("/v1/{}/{}/devices", p.kind.path(), p.node.id),
                json!({"mac_address": fresh_mac()}),
            )
            .await;
        res.assert(201);
        let id = res.id();
        if let Some(a) = assigned_to {
            let link = json!({"type": places[a].kind.json_type(), "id": places[a].node.id});
            app.patch(&app.admin, &format!("/v1/devices/{id}"), json!({"assigned_to": link})).await.assert(200);
        }
        devices.push(Device { name, id, context, assigned_to });
    }
    let owners = app.get(&app.admin, &format!("/v1/devices/{}/owners", devices[2].id)).await;
    assert_eq!(
        owners.body,
        json!({"items": [], "next_cursor": null}),
        "assigning with PATCH must not make the User an owner (A4 is at creation)"
    );
    let absent = app.get(&app.admin, &format!("/v1/devices/{}", uuid::Uuid::new_v4())).await;
    absent.assert(404);

    let mut failures = Vec::new();
    let mut rows = 0;
    for caller in [0, 1, 2] {
        let c = &places[caller];
        for level in LEVELS {
            app.set_level(c.kind.path(), &c.node.id, level.as_str()).await;
            let who = format!("{} owner at {}", c.name, level.as_str());
            let check = |what: String, res: &Res, verdict: Verdict| -> Option<String> {
                let ok = match verdict {
                    Verdict::Created => res.status == 200,
                    Verdict::Refused { status, code, rule } => {
                        (res.status, res.code(), res.rule()) == (status, code, rule)
                    }
                    Verdict::Hidden => (res.status, res.code(), res.rule()) == (404, absent.code(), ""),
                };
                (!ok).then(|| format!("{who} {what}: expected {verdict}, got {} {}", res.status, res.body))
            };
            for device in &devices {
                rows += 1;
                let res = app.get(&c.node.token, &format!("/v1/devices/{}", device.id)).await;
                let verdict = read_oracle(&places, caller, level, device);
                failures.extend(check(format!("reads the device {}", device.name), &res, verdict));
                if res.status == 200 && res.body["id"] != json!(device.id) {
                    failures.push(format!("{who} reads the device {}: wrong body {}", device.name, res.body));
                }
            }
            for (i, p) in places.iter().enumerate() {
                rows += 1;
                let res =
                    app.get(&c.node.token, &format!("/v1/{}/{}/devices?limit=500", p.kind.path(), p.node.id)).await;
                let verdict = match (p.is_at_or_below(c), level) {
                    (false, _) => Verdict::Hidden,
                    (true, Level::None) => refused(403, "sip_devices_area_hidden", "D1"),
                    (true, _) => Verdict::Created,
                };
                let what = format!("lists the {}'s context", p.name);
                failures.extend(check(what.clone(), &res, verdict));
                if res.status != 200 {
                    continue;
                }
                // The context and below; a User's own listing may add what is assigned to it.
                let listed: BTreeSet<&str> =
                    res.body["items"].as_array().into_iter().flatten().filter_map(|d| d["id"].as_str()).collect();
                let below: BTreeSet<&str> =
                    devices.iter().filter(|d| places[d.context].is_at_or_below(p)).map(|d| d.id.as_str()).collect();
                let assigned_here: BTreeSet<&str> = devices
                    .iter()
                    .filter(|d| i == caller && p.kind == Kind::User && d.assigned_to == Some(i))
                    .map(|d| d.id.as_str())
                    .collect();
                let extra: Vec<&&str> = listed.difference(&below).filter(|d| !assigned_here.contains(*d)).collect();
                let missing: Vec<&&str> = below.difference(&listed).collect();
                if !extra.is_empty() || !missing.is_empty() {
                    failures.push(format!("{who} {what}: extra {extra:?}, missing {missing:?}"));
                }
            }
        }
        app.set_level(c.kind.path(), &c.node.id, "none").await;
    }
    assert!(failures.is_empty(), "{} of {rows} reads failed:\n{}", failures.len(), failures.join("\n"));
}

#[actix_web::test]
async fn a_user_reads_a_device_assigned_to_it_in_its_orgs_context_but_not_its_siblings_or_the_orgs_own() {
    let app = spawn_app().await;
    let sp = app.sp("modify").await;
    let org = app.org(&sp, "modify").await;
    let user = app.user(&org, "view").await;
    let sibling = app.user(&org, "view").await;
    let path = format!("/v1/organizations/{}/devices", org.id);
    let to = |u: &Node| json!({"type": "user", "id": u.id});
    let mine = app.post(&org.token, &path, json!({"mac_address": fresh_mac(), "assigned_to": to(&user)})).await;
    mine.assert(201);
    let theirs = app.post(&org.token, &path, json!({"mac_address": fresh_mac(), "assigned_to": to(&sibling)})).await;
    theirs.assert(201);
    let orgs = app.post(&org.token, &path, json!({"mac_address": fresh_mac()})).await;
    orgs.assert(201);
    let got = app.get(&user.token, &format!("/v1/devices/{}", mine.id())).await;
    got.assert(200);
    assert_eq!(got.body["context"], json!({"type": "organization", "id": org.id}));
    assert_eq!(got.body["assigned_to"], json!({"type": "user", "id": user.id}));
    app.get(&user.token, &format!("/v1/devices/{}", theirs.id())).await.assert(404);
    app.get(&user.token, &format!("/v1/devices/{}", orgs.id())).await.assert(404);
    app.get(&user.token, &format!("/v1/organizations/{}/devices", org.id)).await.assert(404);
}

#[actix_web::test]
async fn an_org_does_not_see_another_orgs_devices_even_with_modify() {
    let app = spawn_app().await;
    let sp = app.sp("modify").await;
    let org = app.org(&sp, "modify").await;
    let other = app.org(&sp, "modify").await;
    let other_user = app.user(&other, "modify").await;
    let in_other = app
        .post(&other.token, &format!("/v1/organizations/{}/devices", other.id), json!({"mac_address": fresh_mac()}))
        .await;
    in_other.assert(201);
    let in_other_user = app
        .post(&other.token, &format!("/v1/users/{}/devices", other_user.id), json!({"mac_address": fresh_mac()}))
        .await;
    in_other_user.assert(201);
    for id in [in_other.id(), in_other_user.id()] {
        app.get(&org.token, &format!("/v1/devices/{id}")).await.assert(404);
    }
    app.get(&org.token, &format!("/v1/organizations/{}/devices", other.id)).await.assert(404);
    app.get(&org.token, &format!("/v1/users/{}/devices", other_user.id)).await.assert(404);
    let own = app.get(&org.token, &format!("/v1/organizations/{}/devices", org.id)).await;
    own.assert(200);
    assert_eq!(own.body["items"], json!([]), "another Org's devices leak into this Org's listing");
    // Their SP sees both.
    let sps = app.get(&sp.token, &format!("/v1/service-providers/{}/devices", sp.id)).await;
    sps.assert(200);
    assert_eq!(sps.body["items"].as_array().map(Vec::len), Some(2));
}
