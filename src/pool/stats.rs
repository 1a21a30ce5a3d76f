//! The pool's figures as `metrics` reports them (`/_/metrics`, `/_/stats`,
//! the dashboard).

use std::sync::atomic::Ordering;
use std::time::Instant;

use super::Pool;
use crate::metrics::{PoolStats, WorkerStats};
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
