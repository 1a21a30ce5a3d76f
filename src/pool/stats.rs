//! What the pool reports: `/_/metrics`, `/_/stats` and the dashboard.

use std::sync::atomic::Ordering;
use std::time::Instant;

use serde::Serialize;

use super::Pool;
use crate::worker;

impl Pool {
  pub fn stats(&self) -> PoolStats {
    let now = Instant::now();
    let workers = self.workers.lock();
    let c = &self.counters;
    PoolStats {
      active_workers: workers.len(),
      queue_size: c.queued.load(Ordering::Relaxed),
      hits: c.hits.load(Ordering::Relaxed),
      misses: c.misses.load(Ordering::Relaxed),
      evictions: c.evictions.load(Ordering::Relaxed),
      total_workers_created: c.created.load(Ordering::Relaxed),
      total_workers_failed: worker::failed_workers(),
      adopted_connections: c.adopted.load(Ordering::Relaxed),
      fresh_workers: self.fresh.running(),
      fresh_queued: self.fresh.queued(),
      fresh_rejected: self.fresh.rejected(),
      workers: workers
        .iter()
        .map(|(key, w)| {
          let stats = WorkerStats {
            age: now.duration_since(w.handle.started_at).as_millis() as u64,
            idle: w.idle_for(now).as_millis() as u64,
            request_count: w.requests.load(Ordering::Relaxed),
            sockets: w.control().open_sockets(),
            status: if w.handle.is_closed() {
              "stopped"
            } else if w.is_busy() {
              "active"
            } else {
              "idle"
            },
          };
          (key.clone(), stats)
        })
        .collect(),
    }
  }
}

pub struct PoolStats {
  pub active_workers: usize,
  pub queue_size: usize,
  pub hits: u64,
  pub misses: u64,
  pub evictions: u64,
  pub total_workers_created: u64,
  pub total_workers_failed: u64,
  /// Client connections handed to a worker's thread (connection affinity).
  pub adopted_connections: u64,
  /// `ttl: 0` workers running, requests waiting for one, and requests
  /// refused (503) because none came in time.
  pub fresh_workers: usize,
  pub fresh_queued: usize,
  pub fresh_rejected: u64,
  pub workers: Vec<(String, WorkerStats)>,
}

#[derive(Serialize, Clone)]
#[serde(rename_all = "camelCase")]
pub struct WorkerStats {
  /// Milliseconds since the worker started.
  pub age: u64,
  /// Milliseconds since its last request.
  pub idle: u64,
  pub request_count: u64,
  /// "active" (serving), "idle" or "stopped".
  pub status: &'static str,
  /// WebSockets open on this worker.
  pub sockets: usize,
}
