//! The delivery worker (L3): every siprov process runs one. It claims due deliveries from
//! the outbox with a lease (PostgreSQL: `FOR UPDATE SKIP LOCKED`, so two processes never
//! claim the same one), sends them, and records each attempt: delivered, or due again
//! after an exponential backoff with jitter. A process that dies mid-delivery leaves its
//! claims to expire: another process, or itself restarted, sends them within
//! [`LEASE`] + [`POLL`]. Delivery is at least once; receivers deduplicate by `webhook-id`.

use std::time::Duration;

use super::send::{self, Outcome};
use super::trail::AuditEvent;
use crate::db::repo::audit::deliveries::{AttemptRow, Job};
use crate::db::{self, Pool, now, repo, write_tx};
use crate::domain::Timestamp;
use crate::error::ApiError;

/// How often an idle worker looks for due deliveries.
pub const POLL: Duration = Duration::from_millis(500);
/// How long a claim keeps other workers off a delivery: longer than a request may take.
pub const LEASE: Duration = Duration::from_secs(20);
/// Deliveries claimed at once.
const BATCH: i64 = 128;
/// How long a busy worker gathers work between two rounds of recording and claiming.
const TICK: Duration = Duration::from_millis(100);
/// Consecutive failures after which a webhook is disabled (L3).
pub const DISABLE_AFTER: i32 = 20;
/// The longest wait between two attempts (L3).
const MAX_BACKOFF_SECS: f64 = 3600.0;

/// The wait before the next attempt after `failures` failed ones: 10 s doubled per
/// failure, capped at an hour, then scaled by `jitter` (0.5 to 1), so the first retry
/// comes within 10 s and receivers coming back are not hit by every sender at once.
pub fn backoff(failures: i32, jitter: f64) -> Duration {
    let exp = f64::from(failures.clamp(1, 30) - 1);
    let base = (10.0 * 2f64.powf(exp)).min(MAX_BACKOFF_SECS);
    Duration::from_secs_f64(base * jitter.clamp(0.5, 1.0))
}

/// A jitter factor from 0.5 to 1.
fn jitter() -> f64 {
    let mut b = [0u8; 2];
    let r = if getrandom::fill(&mut b).is_ok() { u16::from_le_bytes(b) } else { 0 };
    0.5 + f64::from(r) / f64::from(u16::MAX) / 2.0
}

fn later(t: Timestamp, d: Duration) -> Timestamp {
    let d = chrono::Duration::from_std(d).unwrap_or(chrono::Duration::zero());
    Timestamp::from_datetime(t.datetime() + d)
}

/// Deliveries in flight at once: a receiver that hangs holds one of these for at most
/// [`send::REQUEST_TIMEOUT`] while the others go on.
const MAX_IN_FLIGHT: usize = 256;

/// A finished attempt, waiting to be recorded.
type Finished = (Job, Outcome, Timestamp);

/// Runs the worker until its task is dropped. Sends run concurrently, each on its own
/// task; finished attempts are recorded together, and new deliveries claimed while others
/// are still in flight, so one slow receiver holds up nobody else's events.
pub async fn run(pool: Pool, allow_insecure: bool) {
    let client = send::client(allow_insecure);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Finished>();
    let mut in_flight = 0usize;
    let mut done: Vec<Finished> = Vec::new();
    loop {
        while let Ok(f) = rx.try_recv() {
            done.push(f);
        }
        if !done.is_empty() {
            in_flight = in_flight.saturating_sub(done.len());
            let batch = std::mem::take(&mut done);
            // Unrecorded attempts are sent again once their claims expire: at least once.
            if let Err(e) = record(&pool, batch).await {
                tracing::warn!(error = %e, "webhook delivery: attempts not recorded; they will be sent again");
            }
        }
        let room = MAX_IN_FLIGHT.saturating_sub(in_flight);
        let claimed = if room == 0 {
            0
        } else {
            match claim(&pool, i64::try_from(room).unwrap_or(BATCH).min(BATCH)).await {
                Ok(jobs) => {
                    let n = jobs.len();
                    for (job, body) in jobs {
                        in_flight += 1;
                        let (client, tx) = (client.clone(), tx.clone());
                        actix_web::rt::spawn(async move {
                            let id = job.event_id.to_string();
                            let outcome = send::send(&client, allow_insecure, &job.url, &job.secret, &id, body).await;
                            log_attempt(&job, &outcome);
                            let _ = tx.send((job, outcome, now()));
                        });
                    }
                    n
                }
                Err(e) => {
                    tracing::warn!(error = %e, "webhook delivery: database unavailable, trying again");
                    actix_web::rt::time::sleep(POLL * 4).await;
                    0
                }
            }
        };
        if claimed == 0 && in_flight == 0 {
            if let Ok(Some(f)) = actix_web::rt::time::timeout(POLL, rx.recv()).await {
                done.push(f);
            }
        } else if claimed < usize::try_from(BATCH).unwrap_or(usize::MAX) {
            // Busy but not behind: let a tick's worth of finished attempts and new events
            // gather, so recording and claiming cost one write each per tick rather than
            // one per event (on SQLite every write queues behind the API's own).
            actix_web::rt::time::sleep(TICK).await;
        }
    }
}

/// Claims up to `limit` due deliveries, each with its event's body.
async fn claim(pool: &Pool, limit: i64) -> Result<Vec<(Job, Vec<u8>)>, ApiError> {
    db::run(pool, move |conn| {
        let at = now();
        if !repo::audit::deliveries::any_due(conn, at)? {
            return Ok(Vec::new());
        }
        let claimed = write_tx(conn, |conn| Ok(repo::audit::deliveries::claim(conn, at, later(at, LEASE), limit)?))?;
        let events = repo::audit::find_many(conn, claimed.iter().map(|j| j.event_id))?;
        let mut jobs = Vec::with_capacity(claimed.len());
        for job in claimed {
            // One event may go to several webhooks in a batch: each job renders its own body.
            match events.get(&job.event_id) {
                Some(event) => {
                    let body = serde_json::to_vec(&AuditEvent::from(event.clone())).unwrap_or_default();
                    jobs.push((job, body));
                }
                None => tracing::error!(delivery = %job.delivery_id, "a delivery's event is missing"),
            }
        }
        Ok(jobs)
    })
    .await
}

/// Records finished attempts in one transaction: the attempts, then each webhook's count
/// of consecutive failures, once per webhook.
async fn record(pool: &Pool, finished: Vec<Finished>) -> Result<(), ApiError> {
    db::run(pool, move |conn| {
        write_tx(conn, |conn| {
            let attempts: Vec<_> = finished.iter().map(|(job, o, at)| attempt_of(job, o, *at)).collect();
            repo::audit::deliveries::attempted(conn, &attempts)?;
            for (webhook, (reset, failures)) in tallies(&finished) {
                repo::audit::webhooks::tally(conn, webhook, reset, failures, DISABLE_AFTER)?;
            }
            Ok(())
        })
    })
    .await
}

/// Per webhook, in the order attempts finished: whether one was delivered, and how many
/// failed after the last delivered one.
fn tallies(finished: &[Finished]) -> std::collections::HashMap<uuid::Uuid, (bool, i32)> {
    let mut by_hook = std::collections::HashMap::new();
    for (job, outcome, _) in finished {
        let (reset, failures) = by_hook.entry(job.webhook_id).or_insert((false, 0));
        if outcome.delivered() {
            (*reset, *failures) = (true, 0);
        } else {
            *failures += 1;
        }
    }
    by_hook
}

fn log_attempt(job: &Job, o: &Outcome) {
    let ms = u64::try_from(o.duration.as_millis()).unwrap_or(u64::MAX);
    match &o.error {
        None => {
            tracing::info!(webhook = %job.webhook_id, delivery = %job.delivery_id, status = o.status, duration_ms = ms, "webhook delivered")
        }
        Some(e) => {
            tracing::warn!(webhook = %job.webhook_id, delivery = %job.delivery_id, status = o.status, duration_ms = ms, error = %e, "webhook delivery failed")
        }
    }
}

/// The attempt as logged, whether it delivered, and when a failed one is due again.
fn attempt_of(job: &Job, o: &Outcome, at: Timestamp) -> (AttemptRow, bool, Timestamp) {
    let attempt = AttemptRow {
        delivery_id: job.delivery_id,
        at,
        status: o.status.map(i32::from),
        duration_ms: i32::try_from(o.duration.as_millis()).unwrap_or(i32::MAX),
        error: o.error.as_ref().map(|e| e.chars().take(500).collect()),
    };
    (attempt, o.delivered(), later(at, backoff(job.attempts + 1, jitter())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn l3_the_first_retry_comes_within_30_seconds_and_later_ones_back_off_to_an_hour() {
        assert!(backoff(1, 1.0) <= Duration::from_secs(30));
        assert!(backoff(1, 0.5) >= Duration::from_secs(5));
        assert!(backoff(2, 1.0) > backoff(1, 1.0));
        assert_eq!(backoff(20, 1.0), Duration::from_secs(3600));
        assert_eq!(backoff(20, 0.5), Duration::from_secs(1800));
        let j = jitter();
        assert!((0.5..=1.0).contains(&j));
    }
}
