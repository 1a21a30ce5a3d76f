//! Isolates made ahead of requests: standbys (an isolate with no app yet)
//! and primed workers (the next worker of a recently requested `ttl: 0`
//! app, its app already loaded).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::worker::{Standby, WorkerHandle, WorkerSpec};

/// Isolates created ahead of time, so a `ttl: 0` request or an app's first
/// request does not wait for isolate creation.
pub(super) struct Standbys {
  pub(super) target: usize,
  pub(super) heap_limit_bytes: usize,
  pub(super) ready: Mutex<Vec<Standby>>,
}

impl Standbys {
  /// A standby whose isolate exists, if any (one still being created would
  /// not save time over a new one).
  pub(super) fn take(&self, heap_limit_bytes: usize) -> Option<Standby> {
    if heap_limit_bytes != self.heap_limit_bytes {
      return None;
    }
    let mut ready = self.ready.lock().unwrap();
    let index = ready.iter().position(Standby::is_ready)?;
    Some(ready.swap_remove(index))
  }

  /// Starts as many standbys as are missing, each on its own thread.
  pub(super) fn refill(&self) {
    let mut ready = self.ready.lock().unwrap();
    while ready.len() < self.target {
      match Standby::start(self.heap_limit_bytes) {
        Ok(standby) => ready.push(standby),
        Err(err) => {
          tracing::error!("cannot pre-start a worker: {err}");
          break;
        }
      }
    }
  }
}

/// How long a primed worker waits for its request before it is dropped.
const PRIMED_MAX_WAIT: Duration = Duration::from_secs(60);
/// After a primed worker was found dead (its app fails to load), its app is
/// not primed again for this long: a broken app would otherwise load twice
/// per request.
const PRIME_BACKOFF: Duration = Duration::from_secs(5);

/// The next worker of each recently requested `ttl: 0` app, started with
/// the app loaded before the request that will use it arrives. Each request
/// still gets an isolate of its own, whose app was loaded for it alone; only
/// the loading happens earlier, off the request's path.
pub(super) struct Primed {
  /// Most primed workers (0: none).
  pub(super) limit: usize,
  pub(super) ready: Mutex<HashMap<String, PrimedWorker>>,
}

pub(super) struct PrimedWorker {
  pub(super) spec: Arc<WorkerSpec>,
  /// `None` while it is being started, or while its app backs off after a
  /// primed worker was found dead.
  pub(super) handle: Option<WorkerHandle>,
  pub(super) since: Instant,
}

impl Primed {
  /// The primed worker for `spec`, if one was loaded from the same spec
  /// (a stale one, whose config changed, is dropped).
  pub(super) fn take(&self, spec: &Arc<WorkerSpec>) -> Option<WorkerHandle> {
    let mut ready = self.ready.lock().unwrap();
    let primed = ready.get_mut(&spec.key)?;
    if !(Arc::ptr_eq(&primed.spec, spec) || *primed.spec == **spec) {
      ready.remove(&spec.key);
      return None;
    }
    let handle = primed.handle.take()?;
    ready.remove(&spec.key);
    Some(handle)
  }

  /// Whether a worker for `spec` should be primed now: none is (or is
  /// backing off), and there is room (the least recently primed other app
  /// makes room).
  pub(super) fn claim(&self, spec: &Arc<WorkerSpec>, now: Instant) -> bool {
    if self.limit == 0 {
      return false;
    }
    let mut ready = self.ready.lock().unwrap();
    if let Some(primed) = ready.get(&spec.key) {
      if primed.handle.is_some() || now.duration_since(primed.since) < PRIME_BACKOFF {
        return false;
      }
      ready.remove(&spec.key);
    }
    while ready.len() >= self.limit {
      let oldest = ready
        .iter()
        .min_by_key(|(_, p)| p.since)
        .map(|(key, _)| key.clone());
      match oldest {
        Some(key) => ready.remove(&key),
        None => break,
      };
    }
    // Holds the place (as a backoff would) while the worker is started, so
    // a concurrent request does not prime a second one.
    ready.insert(
      spec.key.clone(),
      PrimedWorker {
        spec: spec.clone(),
        handle: None,
        since: now,
      },
    );
    true
  }

  pub(super) fn put(&self, spec: &Arc<WorkerSpec>, handle: Option<WorkerHandle>) {
    let primed = PrimedWorker {
      spec: spec.clone(),
      handle,
      since: Instant::now(),
    };
    self.ready.lock().unwrap().insert(spec.key.clone(), primed);
  }

  /// Drops primed workers that waited too long (their app is no longer
  /// being requested) and ended backoffs.
  pub(super) fn expire(&self, now: Instant) {
    self.ready.lock().unwrap().retain(|_, p| {
      let limit = if p.handle.is_some() {
        PRIMED_MAX_WAIT
      } else {
        PRIME_BACKOFF
      };
      now.duration_since(p.since) < limit
    });
  }

  pub(super) fn forget_app(&self, prefix: &str) {
    self
      .ready
      .lock()
      .unwrap()
      .retain(|key, _| !key.starts_with(prefix));
  }
}
