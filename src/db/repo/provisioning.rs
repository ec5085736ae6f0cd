//! What phone provisioning reads and writes (F3–F9): a device's provisioning login and
//! last fetch, the data its files are rendered from, and failed authentications per
//! client address.

use diesel::prelude::*;

use super::nodes::{SipRow, sip_of};
use crate::db::DbConn;
use crate::db::schema::{
    accounts, device_lines as dl, device_logins as lg, devices as d, nodes, provisioning_failures as pf,
};
use crate::domain::sip::SipService;
use crate::domain::{AccountId, DeviceId, Timestamp};

/// A device's provisioning login and last fetch, as stored.
#[derive(Clone, Debug, Default, Queryable)]
pub struct DeviceLogin {
    /// `Verifiers::to_stored` of the current password; none until one is issued.
    pub verifiers: Option<String>,
    pub previous_verifiers: Option<String>,
    /// Until when (seconds since the Unix epoch) the previous password still works (F3).
    pub previous_until: Option<i64>,
    pub last_fetch_at: Option<Timestamp>,
    pub last_fetch_address: Option<String>,
    pub last_user_agent: Option<String>,
}

/// The columns of a [`DeviceLogin`], for queries that join it to a device.
pub type LoginColumns = (
    lg::verifiers,
    lg::previous_verifiers,
    lg::previous_until,
    lg::last_fetch_at,
    lg::last_fetch_address,
    lg::last_user_agent,
);
pub const LOGIN_COLUMNS: LoginColumns = (
    lg::verifiers,
    lg::previous_verifiers,
    lg::previous_until,
    lg::last_fetch_at,
    lg::last_fetch_address,
    lg::last_user_agent,
);

/// A device's login row, or none.
pub fn login_of(conn: &mut DbConn, id: DeviceId) -> QueryResult<Option<DeviceLogin>> {
    native!(conn, |c| lg::table.filter(lg::device_id.eq(id)).select(LOGIN_COLUMNS).first(c).optional())
}

/// Makes sure the device has a login row, so the writes below are plain updates.
fn ensure_row(conn: &mut DbConn, id: DeviceId) -> QueryResult<()> {
    let exists: bool =
        native!(conn, |c| diesel::select(diesel::dsl::exists(lg::table.filter(lg::device_id.eq(id)))).get_result(c))?;
    if !exists {
        native!(conn, |c| diesel::insert_into(lg::table).values(lg::device_id.eq(id)).execute(c))?;
    }
    Ok(())
}

/// Issues a provisioning password (F3): its verifiers become current; the ones they
/// replace (if any) keep working until `previous_until`.
pub fn set_verifiers(
    conn: &mut DbConn,
    id: DeviceId,
    current: &str,
    previous: Option<&str>,
    previous_until: Option<i64>,
) -> QueryResult<()> {
    ensure_row(conn, id)?;
    native!(conn, |c| diesel::update(lg::table.filter(lg::device_id.eq(id)))
        .set((
            lg::verifiers.eq(Some(current)),
            lg::previous_verifiers.eq(previous),
            lg::previous_until.eq(previous_until),
        ))
        .execute(c))?;
    Ok(())
}

/// Ends a device's provisioning login (F9: its MAC changed): no password works any more.
pub fn end_login(conn: &mut DbConn, id: DeviceId) -> QueryResult<()> {
    native!(conn, |c| diesel::update(lg::table.filter(lg::device_id.eq(id)))
        .set((
            lg::verifiers.eq(None::<String>),
            lg::previous_verifiers.eq(None::<String>),
            lg::previous_until.eq(None::<i64>),
        ))
        .execute(c))?;
    Ok(())
}

/// What the phone side needs about the device with `mac`: its id, vendor and login to
/// authenticate it (F4), and what its files are rendered from (F6). One query; on
/// PostgreSQL it carries the lines too (one round trip), on SQLite they are read by
/// [`render_lines`] once the phone is authenticated and asks for its own file.
#[derive(Clone, Debug)]
pub struct Phone {
    pub id: DeviceId,
    /// 12 lowercase hex digits: the username it authenticates with.
    pub mac: String,
    pub vendor: Option<String>,
    pub login: Option<DeviceLogin>,
    pub missed_calls: bool,
    pub mwi_enabled: bool,
    pub mwi_account_id: Option<AccountId>,
    pub sip: Option<SipService>,
    /// PostgreSQL: the lines as [`RenderLinesJson`] aggregated them.
    pub lines_json: Option<String>,
}

impl Phone {
    /// The render data, given its lines.
    pub fn render_data(&self, lines: Vec<RenderLine>) -> RenderData {
        RenderData {
            mac: self.mac.clone(),
            vendor: self.vendor.clone(),
            missed_calls: self.missed_calls,
            mwi_enabled: self.mwi_enabled,
            mwi_account_id: self.mwi_account_id,
            sip: self.sip.clone(),
            lines,
        }
    }
}

type LoginRow = (Option<String>, Option<String>, Option<i64>, Option<Timestamp>, Option<String>, Option<String>);

/// A device's lines for rendering, as one value of its row on PostgreSQL (a JSON array of
/// `[account_id, number, display_name, sip_username, sip_password]` in position order);
/// NULL on SQLite, where a second statement costs no round trip.
#[derive(Clone, Copy, Debug, diesel::query_builder::QueryId, diesel::expression::ValidGrouping)]
pub struct RenderLinesJson;

impl diesel::Expression for RenderLinesJson {
    type SqlType = diesel::sql_types::Nullable<diesel::sql_types::Text>;
}

impl diesel::query_builder::QueryFragment<diesel::sqlite::Sqlite> for RenderLinesJson {
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, diesel::sqlite::Sqlite>,
    ) -> QueryResult<()> {
        out.push_sql("NULL");
        Ok(())
    }
}

impl diesel::query_builder::QueryFragment<diesel::pg::Pg> for RenderLinesJson {
    fn walk_ast<'b>(&'b self, mut out: diesel::query_builder::AstPass<'_, 'b, diesel::pg::Pg>) -> QueryResult<()> {
        out.push_sql(
            "(SELECT COALESCE(json_agg(json_build_array(a.id, a.number, a.display_name, a.sip_username, \
             a.sip_password) ORDER BY l.position), '[]')::text \
             FROM device_lines l JOIN accounts a ON a.id = l.account_id WHERE l.device_id = devices.id)",
        );
        Ok(())
    }
}

impl<QS> diesel::AppearsOnTable<QS> for RenderLinesJson {}
impl<QS> diesel::SelectableExpression<QS> for RenderLinesJson {}

/// The lines [`RenderLinesJson`] read.
pub fn parse_render_lines(json: &str) -> QueryResult<Vec<RenderLine>> {
    type Row = (AccountId, String, Option<String>, String, String);
    let rows: Vec<Row> = serde_json::from_str(json)
        .map_err(|e| diesel::result::Error::DeserializationError(format!("render lines: {e}").into()))?;
    Ok(rows
        .into_iter()
        .map(|(account_id, number, display_name, sip_username, sip_password)| RenderLine {
            account_id,
            number,
            display_name,
            sip_username,
            sip_password,
        })
        .collect())
}

type PhoneRow =
    (DeviceId, String, Option<String>, Option<LoginRow>, bool, bool, Option<AccountId>, SipRow, Option<String>);

pub fn phone_by_mac(conn: &mut DbConn, mac: &str) -> QueryResult<Option<Phone>> {
    let sp = diesel::alias!(crate::db::schema::nodes as sp);
    let row: Option<PhoneRow> = native!(conn, |c| d::table
        .left_join(lg::table)
        .inner_join(nodes::table.on(nodes::id.eq(d::context_id)))
        .inner_join(sp.on(sp.field(nodes::id).eq(nodes::sp_id)))
        .filter(d::mac_address.eq(mac))
        .select((
            d::id,
            d::mac_address,
            d::vendor,
            LOGIN_COLUMNS.nullable(),
            d::missed_calls,
            d::mwi_enabled,
            d::mwi_account_id,
            (
                sp.field(nodes::sip_domain),
                sp.field(nodes::sip_registrar_host),
                sp.field(nodes::sip_registrar_port),
                sp.field(nodes::sip_registrar_transport),
            ),
            RenderLinesJson,
        ))
        .first(c)
        .optional())?;
    Ok(row.map(|(id, mac, vendor, login, missed_calls, mwi_enabled, mwi_account_id, sip, lines_json)| Phone {
        id,
        mac,
        vendor,
        login: login.map(|(verifiers, previous_verifiers, previous_until, at, address, agent)| DeviceLogin {
            verifiers,
            previous_verifiers,
            previous_until,
            last_fetch_at: at,
            last_fetch_address: address,
            last_user_agent: agent,
        }),
        missed_calls,
        mwi_enabled,
        mwi_account_id,
        sip: sip_of(&sip),
        lines_json,
    }))
}

/// Records a successful fetch (F8); `end_grace` also forgets the previous password (F3).
pub fn record_fetch(
    conn: &mut DbConn,
    id: DeviceId,
    at: Timestamp,
    address: &str,
    user_agent: Option<&str>,
    end_grace: bool,
) -> QueryResult<()> {
    ensure_row(conn, id)?;
    native!(conn, |c| diesel::update(lg::table.filter(lg::device_id.eq(id)))
        .set((
            lg::last_fetch_at.eq(Some(at)),
            lg::last_fetch_address.eq(Some(address)),
            lg::last_user_agent.eq(user_agent)
        ))
        .execute(c))?;
    if end_grace {
        native!(conn, |c| diesel::update(lg::table.filter(lg::device_id.eq(id)))
            .set((lg::previous_verifiers.eq(None::<String>), lg::previous_until.eq(None::<i64>)))
            .execute(c))?;
    }
    Ok(())
}

/// One line as its phone's file carries it.
#[derive(Clone, Debug, Queryable)]
pub struct RenderLine {
    pub account_id: AccountId,
    pub number: String,
    pub display_name: Option<String>,
    pub sip_username: String,
    pub sip_password: String,
}

/// Everything a device's files are rendered from (F6): its record's settings, its lines in
/// position order with their accounts' SIP credentials, and its SP's SIP service.
#[derive(Clone, Debug)]
pub struct RenderData {
    pub mac: String,
    pub vendor: Option<String>,
    pub missed_calls: bool,
    pub mwi_enabled: bool,
    pub mwi_account_id: Option<AccountId>,
    pub sip: Option<SipService>,
    pub lines: Vec<RenderLine>,
}

type DeviceRow = (String, Option<String>, bool, bool, Option<AccountId>, SipRow);

pub fn render_data(conn: &mut DbConn, id: DeviceId) -> QueryResult<Option<RenderData>> {
    let sp = diesel::alias!(crate::db::schema::nodes as sp);
    let row: Option<DeviceRow> = native!(conn, |c| d::table
        .inner_join(nodes::table.on(nodes::id.eq(d::context_id)))
        .inner_join(sp.on(sp.field(nodes::id).eq(nodes::sp_id)))
        .filter(d::id.eq(id))
        .select((
            d::mac_address,
            d::vendor,
            d::missed_calls,
            d::mwi_enabled,
            d::mwi_account_id,
            (
                sp.field(nodes::sip_domain),
                sp.field(nodes::sip_registrar_host),
                sp.field(nodes::sip_registrar_port),
                sp.field(nodes::sip_registrar_transport),
            ),
        ))
        .first(c)
        .optional())?;
    let Some((mac, vendor, missed_calls, mwi_enabled, mwi_account_id, sip)) = row else { return Ok(None) };
    let lines = render_lines(conn, id)?;
    Ok(Some(RenderData { mac, vendor, missed_calls, mwi_enabled, mwi_account_id, sip: sip_of(&sip), lines }))
}

/// A device's lines in position order, with their accounts' SIP credentials.
pub fn render_lines(conn: &mut DbConn, id: DeviceId) -> QueryResult<Vec<RenderLine>> {
    native!(conn, |c| dl::table
        .inner_join(accounts::table)
        .filter(dl::device_id.eq(id))
        .select((
            accounts::id,
            accounts::number,
            accounts::display_name,
            accounts::sip_username,
            accounts::sip_password,
        ))
        .order(dl::position)
        .load(c))
}

/// F7: failures counted for an address, as `(window_start, failures)`.
pub fn failures_of(conn: &mut DbConn, address: &str) -> QueryResult<Option<(i64, i32)>> {
    native!(conn, |c| pf::table
        .filter(pf::address.eq(address))
        .select((pf::window_start, pf::failures))
        .first(c)
        .optional())
}

/// F7: counts a failure at `now`: one more in the current window, or the first of a new
/// window when there is none or it has ended. One statement, so concurrent failures from
/// one address (on any instance) are all counted.
pub fn record_failure(conn: &mut DbConn, address: &str, now: i64, window_secs: i64) -> QueryResult<()> {
    let window_ends_before = now - window_secs;
    let sql = "INSERT INTO provisioning_failures (address, window_start, failures) VALUES ($1, $2, 1) \
               ON CONFLICT (address) DO UPDATE SET \
               failures = CASE WHEN provisioning_failures.window_start <= $3 THEN 1 \
                          ELSE provisioning_failures.failures + 1 END, \
               window_start = CASE WHEN provisioning_failures.window_start <= $3 THEN $2 \
                              ELSE provisioning_failures.window_start END";
    use diesel::sql_types::{BigInt, Text};
    match conn {
        DbConn::Sqlite(c) => diesel::sql_query(sql.replace('$', "?"))
            .bind::<Text, _>(address)
            .bind::<BigInt, _>(now)
            .bind::<BigInt, _>(window_ends_before)
            .execute(c)?,
        DbConn::Postgresql(c) => diesel::sql_query(sql)
            .bind::<Text, _>(address)
            .bind::<BigInt, _>(now)
            .bind::<BigInt, _>(window_ends_before)
            .execute(c)?,
    };
    Ok(())
}

/// F7: forgets windows that ended before `before` (they decide nothing any more).
pub fn forget_failures_before(conn: &mut DbConn, before: i64) -> QueryResult<usize> {
    native!(conn, |c| diesel::delete(pf::table.filter(pf::window_start.lt(before))).execute(c))
}
