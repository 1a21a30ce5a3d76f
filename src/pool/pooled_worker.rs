//! One pooled worker as the pool keeps it: its handle, config and
//! counters, and the guard that marks a request in flight on it.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::policy::{self, Observed, Progress};
use super::Pool;
use crate::apps::config::AppConfig;
use crate::worker::{WorkerControl, WorkerHandle};

pub struct PooledWorker {
  pub(super) handle: WorkerHandle,
  /// Its isolate's heap limit, counted against the pool's heap budget.
  pub(super) heap_limit_bytes: usize,
  pub(super) config: AppConfig,
  /// When a request last entered or left it ([`Stamp`]): written twice per
  /// request, so an atomic rather than a lock.
  pub(super) last_used: Stamp,
  pub(super) requests: AtomicU64,
  pub(super) in_flight: AtomicUsize,
  /// Event-loop ticks at the last sweep, and since when they are unchanged.
  progress: Mutex<Progress>,
  /// A liveness probe is under way.
  pub(super) probing: Arc<std::sync::atomic::AtomicBool>,
}

impl PooledWorker {
  pub(super) fn new(handle: WorkerHandle, config: AppConfig, heap_limit_bytes: usize) -> Self {
    Self {
      handle,
      heap_limit_bytes,
      config,
      last_used: Stamp::new(Instant::now()),
      requests: AtomicU64::new(0),
      in_flight: AtomicUsize::new(0),
      progress: Mutex::new(Progress::new(Instant::now())),
      probing: Arc::default(),
    }
  }

  /// Whether it serves requests but its event loop has not turned for
  /// longer than the app's timeout: then it may be stuck in synchronous
  /// code on its own thread, where nothing else can notice (a connection
  /// it adopted waits on that same thread).
  pub(super) fn silent_too_long(&self, now: Instant) -> bool {
    let busy = self.in_flight.load(Ordering::Acquire) > 0;
    let ticks = self.control().ticks();
    self
      .progress
      .lock()
      .unwrap()
      .silent_too_long(ticks, busy, now, self.config.timeout)
  }

  /// What the retirement policy needs to know of it at `now`.
  fn observed(&self, now: Instant) -> Observed {
    Observed {
      closed: self.handle.is_closed(),
      age: now.saturating_duration_since(self.handle.started_at),
      idle: self.idle_for(now),
      requests: self.requests.load(Ordering::Relaxed),
      in_flight: self.in_flight.load(Ordering::Acquire),
      open_sockets: self.control().open_sockets(),
    }
  }

  pub fn control(&self) -> &Arc<WorkerControl> {
    &self.handle.control
  }

  pub(super) fn idle_for(&self, now: Instant) -> Duration {
    self.last_used.since(now)
  }

  /// Requests in flight or WebSockets open: never retired or evicted.
  pub(super) fn is_busy(&self) -> bool {
    self.in_flight.load(Ordering::Acquire) > 0 || self.control().open_sockets() > 0
  }

  /// Whether the next request may still go to this worker. One holding
  /// open WebSockets stays its app's worker past `ttl`, `idleTimeout` and
  /// `maxRequests`, so `publish` reaches every socket of the app.
  pub(super) fn reusable(
    &self,
    now: Instant,
    config: &AppConfig,
    socket_cap: Option<Duration>,
  ) -> bool {
    self.config == *config && policy::reusable(&self.observed(now), &self.config, socket_cap)
  }

  /// Holds sockets and is older than the hard cap on such workers.
  pub(super) fn past_socket_cap(&self, now: Instant, cap: Option<Duration>) -> bool {
    self.observed(now).past_socket_cap(cap)
  }

  /// Whether the sweeper should retire it now.
  pub(super) fn expired(&self, now: Instant, socket_cap: Option<Duration>) -> bool {
    policy::expired(&self.observed(now), &self.config, socket_cap)
  }
}

/// An instant kept in an atomic: nanoseconds since the first one made.
pub(super) struct Stamp(AtomicU64);

fn stamp_epoch() -> Instant {
  static EPOCH: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
  *EPOCH.get_or_init(Instant::now)
}

impl Stamp {
  fn new(at: Instant) -> Self {
    let stamp = Self(AtomicU64::new(0));
    stamp.set(at);
    stamp
  }

  pub(super) fn set(&self, at: Instant) {
    let nanos = at.saturating_duration_since(stamp_epoch()).as_nanos();
    self.0.store(nanos as u64, Ordering::Relaxed);
  }

  pub(super) fn get(&self) -> Instant {
    stamp_epoch() + Duration::from_nanos(self.0.load(Ordering::Relaxed))
  }

  /// `now` minus the stamp (zero if earlier), in integer arithmetic.
  fn since(&self, now: Instant) -> Duration {
    let now = now.saturating_duration_since(stamp_epoch()).as_nanos() as u64;
    Duration::from_nanos(now.saturating_sub(self.0.load(Ordering::Relaxed)))
  }
}

/// Marks one request in flight on a worker until dropped.
pub struct InFlightGuard {
  pub(super) worker: Arc<PooledWorker>,
  pub(super) pool: Arc<Pool>,
}

impl InFlightGuard {
  pub fn control(&self) -> &Arc<WorkerControl> {
    self.worker.control()
  }
}

impl Drop for InFlightGuard {
  fn drop(&mut self) {
    self.worker.last_used.set(Instant::now());
    if self.worker.in_flight.fetch_sub(1, Ordering::AcqRel) == 1 {
      // An idle worker can be evicted: a queued request may proceed.
      self.pool.slot_freed.notify_waiters();
    }
  }
}
