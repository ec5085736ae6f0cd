//! Password and PIN hashing for requests, bounded: a few threads of its own (one per core),
//! each keeping the 19 MiB argon2 needs for all its hashes, and a slot per thread. A
//! request waits for a slot asynchronously, without holding a database connection or one
//! of the runtime's blocking threads; when no slot frees up within [`WAIT`], it is
//! answered 503 with `Retry-After`. However many logins or creates arrive at once, argon2
//! never holds more than `threads × 19 MiB`, and reads are never queued behind hashes.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};

use super::password;
use crate::error::{ApiError, Unavailable};

/// How long a request waits for a hashing slot before it is answered 503. Long enough to
/// absorb a burst (a slot frees every few tens of milliseconds per core), short enough
/// that a flood is refused rather than queued without end.
pub const WAIT: Duration = Duration::from_secs(2);

/// The hashing threads and their slots. Cloned into every worker; the threads end when
/// the last clone is dropped.
#[derive(Clone)]
pub struct Hasher {
    slots: Arc<Semaphore>,
    jobs: SyncSender<Job>,
    stats: Stats,
    wait: Duration,
}

/// What the hashing threads have done, for tests and operators.
#[derive(Clone, Default)]
pub struct Stats(Arc<Counters>);

#[derive(Default)]
struct Counters {
    computed: AtomicU64,
    refused: AtomicU64,
}

impl Stats {
    /// argon2 computations so far (hashes and verifications alike).
    pub fn computed(&self) -> u64 {
        self.0.computed.load(Ordering::Relaxed)
    }

    /// Requests answered 503 because no slot freed up in time.
    pub fn refused(&self) -> u64 {
        self.0.refused.load(Ordering::Relaxed)
    }
}

enum Work {
    Hash(String),
    /// Verify a secret against a stored hash, or (none) against [`password::DUMMY`] so that
    /// an unknown username costs what a wrong password costs.
    Verify(String, Option<String>),
}

enum Done {
    Hashed(Result<String, ApiError>),
    Verified(bool),
}

struct Job {
    work: Work,
    reply: oneshot::Sender<Done>,
    /// Held until the work is done, even when the request that asked has gone away, so
    /// that the slots count the hashes really running.
    _slot: OwnedSemaphorePermit,
}

impl Hasher {
    /// Starts `threads` hashing threads (at least one). Their memory is taken on their
    /// first hash and kept.
    pub fn start(threads: usize) -> Result<Hasher, String> {
        Hasher::with_wait(threads, WAIT)
    }

    /// [`Hasher::start`] with another wait for a slot.
    pub fn with_wait(threads: usize, wait: Duration) -> Result<Hasher, String> {
        let threads = threads.max(1);
        // Never more jobs than slots, so the queue never blocks a sender.
        let (jobs, queue) = sync_channel(threads);
        let queue = Arc::new(Mutex::new(queue));
        let stats = Stats::default();
        for i in 0..threads {
            let queue = Arc::clone(&queue);
            let stats = stats.clone();
            std::thread::Builder::new()
                .name(format!("siprov-hash-{i}"))
                .spawn(move || work(&queue, &stats))
                .map_err(|e| format!("cannot start a hashing thread: {e}"))?;
        }
        Ok(Hasher { slots: Arc::new(Semaphore::new(threads)), jobs, stats, wait })
    }

    pub fn stats(&self) -> Stats {
        self.stats.clone()
    }

    /// A fresh argon2id hash of `secret`.
    pub async fn hash(&self, secret: String) -> Result<String, ApiError> {
        match self.run(Work::Hash(secret)).await? {
            Done::Hashed(result) => result,
            Done::Verified(_) => Err(ApiError::internal("the hashing thread answered another question")),
        }
    }

    /// Whether `secret` matches `stored`; with no stored hash, false after the same work.
    pub async fn verify(&self, secret: String, stored: Option<String>) -> Result<bool, ApiError> {
        match self.run(Work::Verify(secret, stored)).await? {
            Done::Verified(ok) => Ok(ok),
            Done::Hashed(_) => Err(ApiError::internal("the hashing thread answered another question")),
        }
    }

    async fn run(&self, work: Work) -> Result<Done, ApiError> {
        let slot = match actix_web::rt::time::timeout(self.wait, Arc::clone(&self.slots).acquire_owned()).await {
            Ok(Ok(slot)) => slot,
            Ok(Err(_closed)) => return Err(ApiError::internal("the hashing slots are closed")),
            Err(_elapsed) => {
                self.stats.0.refused.fetch_add(1, Ordering::Relaxed);
                return Err(ApiError::unavailable(
                    Unavailable::HashingBusy,
                    format!("no password-hashing slot free within {:?}", self.wait),
                ));
            }
        };
        let (reply, answer) = oneshot::channel();
        self.jobs
            .try_send(Job { work, reply, _slot: slot })
            .map_err(|e| ApiError::internal(format!("the hashing threads took no job: {e}")))?;
        answer.await.map_err(|_| ApiError::internal("a hashing thread stopped without an answer"))
    }
}

/// One hashing thread: takes jobs until every [`Hasher`] is gone.
fn work(queue: &Mutex<Receiver<Job>>, stats: &Stats) {
    let mut memory = Vec::new();
    loop {
        let job = {
            let queue = queue.lock().unwrap_or_else(PoisonError::into_inner);
            match queue.recv() {
                Ok(job) => job,
                Err(_) => return,
            }
        };
        if memory.is_empty() {
            memory = password::memory();
        }
        let done = match &job.work {
            Work::Hash(secret) => Done::Hashed(password::hash_with(secret, &mut memory)),
            Work::Verify(secret, stored) => Done::Verified(
                password::verify_with(secret, stored.as_deref().unwrap_or(password::DUMMY), &mut memory)
                    && stored.is_some(),
            ),
        };
        stats.0.computed.fetch_add(1, Ordering::Relaxed);
        // The request may have gone away; the work is done either way.
        let _ = job.reply.send(done);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[actix_web::test]
    async fn hashes_verify_and_an_unknown_user_costs_one_computation_like_a_known_one() {
        let hasher = Hasher::start(2).unwrap();
        let stored = hasher.hash("a secret of twelve".into()).await.unwrap();
        assert!(hasher.verify("a secret of twelve".into(), Some(stored.clone())).await.unwrap());
        assert!(!hasher.verify("another secret".into(), Some(stored)).await.unwrap());
        assert!(!hasher.verify("a secret of twelve".into(), None).await.unwrap());
        assert_eq!(hasher.stats().computed(), 4);
    }

    #[actix_web::test]
    async fn beyond_the_slots_a_request_waits_at_most_the_limit_then_gets_503() {
        let hasher = Hasher::with_wait(1, Duration::from_millis(1)).unwrap();
        let many = (0..8).map(|i| hasher.hash(format!("secret number {i}")));
        let results = futures_util::future::join_all(many).await;
        let busy = results
            .iter()
            .filter(|r| matches!(r, Err(ApiError::Unavailable { why: Unavailable::HashingBusy, .. })))
            .count();
        assert!(busy >= 1, "one slot, eight at once, no wait: some must be refused");
        assert_eq!(results.iter().filter(|r| r.is_ok()).count() + busy, 8, "nothing else went wrong");
        assert_eq!(hasher.stats().refused(), busy as u64);
        assert_eq!(hasher.stats().computed(), 8 - busy as u64, "a refused request computes nothing");
    }
}
