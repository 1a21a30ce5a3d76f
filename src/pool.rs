//! Live workers keyed by `name@version`: reuse while within `ttl`,
//! `idleTimeout` and `maxRequests`, a fresh isolate per request for
//! `ttl: 0`, and at most `POOL_SIZE` workers (least recently used evicted).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::app_config::AppConfig;
use crate::ext::protocol::{RequestJob, WorkerMessage};
use crate::worker::{self, Standby, WorkerHandle, WorkerSpec};

struct PooledWorker {
  handle: WorkerHandle,
  config: AppConfig,
  last_used: Mutex<Instant>,
  requests: AtomicU64,
}

impl PooledWorker {
  /// Whether the next request may still go to this worker.
  fn reusable(&self, now: Instant) -> bool {
    !self.handle.is_closed()
      && now.duration_since(self.handle.started_at) < self.config.ttl
      && now.duration_since(*self.last_used.lock().unwrap()) < self.config.idle_timeout
      && self.requests.load(Ordering::Relaxed) < self.config.max_requests
  }
}

pub struct Pool {
  max_size: usize,
  workers: tokio::sync::Mutex<HashMap<String, Arc<PooledWorker>>>,
  standbys: Arc<Standbys>,
}

/// Isolates created ahead of time, so a `ttl: 0` request or an app's first
/// request does not wait for isolate creation.
struct Standbys {
  target: usize,
  heap_limit_bytes: usize,
  ready: Mutex<Vec<Standby>>,
  /// Standbys being created right now (counted toward `target`).
  starting: AtomicUsize,
}

impl Standbys {
  fn take(&self, heap_limit_bytes: usize) -> Option<Standby> {
    if heap_limit_bytes != self.heap_limit_bytes {
      return None;
    }
    self.ready.lock().unwrap().pop()
  }

  /// Starts as many standbys as are missing, each on its own thread.
  fn refill(self: &Arc<Self>) {
    let have = self.ready.lock().unwrap().len() + self.starting.load(Ordering::Relaxed);
    for _ in have..self.target {
      self.starting.fetch_add(1, Ordering::Relaxed);
      let standbys = self.clone();
      tokio::spawn(async move {
        match Standby::start(standbys.heap_limit_bytes).await {
          Ok(standby) => standbys.ready.lock().unwrap().push(standby),
          Err(err) => tracing::error!("cannot pre-start a worker: {err}"),
        }
        standbys.starting.fetch_sub(1, Ordering::Relaxed);
      });
    }
  }
}

#[derive(Debug, thiserror::Error)]
pub enum PoolError {
  #[error("cannot start a worker: {0}")]
  Spawn(#[from] std::io::Error),
}

impl Pool {
  /// `standbys` isolates with `heap_limit_bytes` are kept ready.
  pub fn new(max_size: usize, standbys: usize, heap_limit_bytes: usize) -> Self {
    let standbys = Arc::new(Standbys {
      target: standbys,
      heap_limit_bytes,
      ready: Mutex::new(Vec::new()),
      starting: AtomicUsize::new(0),
    });
    Self {
      max_size,
      workers: tokio::sync::Mutex::new(HashMap::new()),
      standbys,
    }
  }

  /// Creates the standby isolates (call from inside the tokio runtime).
  pub fn prestart(&self) {
    self.standbys.refill();
  }

  async fn start_worker(
    &self,
    spec: &Arc<WorkerSpec>,
    first: WorkerMessage,
  ) -> std::io::Result<WorkerHandle> {
    let standby = self.standbys.take(spec.heap_limit_bytes);
    self.standbys.refill();
    match standby {
      Some(standby) => Ok(standby.assign(spec.clone(), first)),
      None => worker::spawn(spec.clone(), first).await,
    }
  }

  /// Hands `job` to a worker for `spec.key`, starting one if needed.
  pub async fn dispatch(
    &self,
    spec: &Arc<WorkerSpec>,
    config: &AppConfig,
    job: RequestJob,
  ) -> Result<(), PoolError> {
    let mut message = WorkerMessage::Request(Box::new(job));
    if config.ttl.is_zero() {
      // One isolate, one request: dropping the handle closes the inbox
      // behind the job, so the worker stops once it has answered.
      self.start_worker(spec, message).await?;
      return Ok(());
    }

    let now = Instant::now();
    let mut workers = self.workers.lock().await;
    let current = workers
      .get(&spec.key)
      .filter(|w| w.reusable(now) && w.config == *config)
      .cloned();
    if let Some(worker) = current {
      *worker.last_used.lock().unwrap() = now;
      worker.requests.fetch_add(1, Ordering::Relaxed);
      match worker.handle.send(message) {
        Ok(()) => return Ok(()),
        // It stopped just now: fall through to a fresh one.
        Err(returned) => message = returned,
      }
    }
    // Retire the old one (its in-flight requests finish), then make room.
    workers.remove(&spec.key);
    while workers.len() >= self.max_size {
      let Some(lru) = workers
        .iter()
        .min_by_key(|(_, w)| *w.last_used.lock().unwrap())
        .map(|(key, _)| key.clone())
      else {
        break;
      };
      workers.remove(&lru);
    }
    let handle = self.start_worker(spec, message).await?;
    let worker = Arc::new(PooledWorker {
      handle,
      config: config.clone(),
      last_used: Mutex::new(now),
      requests: AtomicU64::new(1),
    });
    workers.insert(spec.key.clone(), worker);
    Ok(())
  }
}
