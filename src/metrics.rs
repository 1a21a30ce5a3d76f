//! Request and pool figures for `/_/metrics`, `/_/stats`, `/_/sse` and the
//! Prometheus exposition.

use std::collections::HashMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::{json, Value};

/// Upper bounds (seconds) of the per-app latency histogram.
const BUCKETS: [f64; 11] = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];
/// `avgResponseTimeMs` covers this many recent requests.
const RECENT: usize = 100;

/// One app's counters. Atomics only: recording a request takes no lock
/// shared with other apps or workers.
#[derive(Default)]
pub struct AppFigures {
  /// Per status class: 2xx … 5xx (index 0 = 1xx). Their sum is the
  /// request count.
  by_class: [AtomicU64; 5],
  /// Requests per bucket: each counts in the first bucket that holds it
  /// (one atomic add per request); the exposition sums them up.
  buckets: [AtomicU64; BUCKETS.len()],
  micros: AtomicU64,
}

impl AppFigures {
  fn requests(&self) -> u64 {
    self
      .by_class
      .iter()
      .map(|c| c.load(Ordering::Relaxed))
      .sum()
  }
}

pub struct Metrics {
  started: Instant,
  total_requests: AtomicU64,
  /// Latencies of the last [`RECENT`] requests in microseconds, a ring
  /// indexed by `total_requests`.
  recent: [AtomicU64; RECENT],
  /// Written once per app; requests go through the `Arc` a loaded app
  /// keeps (see [`Metrics::app`]).
  apps: RwLock<HashMap<String, Arc<AppFigures>>>,
}

impl Default for Metrics {
  fn default() -> Self {
    Self {
      started: Instant::now(),
      total_requests: AtomicU64::new(0),
      recent: std::array::from_fn(|_| AtomicU64::new(0)),
      apps: RwLock::new(HashMap::new()),
    }
  }
}

/// Resident memory of the whole process, in bytes.
pub fn rss_bytes() -> u64 {
  let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
  let pages: u64 = statm
    .split_whitespace()
    .nth(1)
    .and_then(|p| p.parse().ok())
    .unwrap_or(0);
  pages * 4096
}

impl Metrics {
  /// The counters of app `key`, made on first use.
  pub fn app(&self, key: &str) -> Arc<AppFigures> {
    if let Some(figures) = self.apps.read().unwrap().get(key) {
      return figures.clone();
    }
    self
      .apps
      .write()
      .unwrap()
      .entry(key.to_string())
      .or_default()
      .clone()
  }

  /// One answered request of the app whose counters are `figures`.
  pub fn record_for(&self, figures: &AppFigures, status: u16, elapsed: Duration) {
    let n = self.total_requests.fetch_add(1, Ordering::Relaxed);
    let micros = elapsed.as_micros().min(u64::MAX as u128) as u64;
    self.recent[(n % RECENT as u64) as usize].store(micros, Ordering::Relaxed);
    figures.by_class[(status / 100).clamp(1, 5) as usize - 1].fetch_add(1, Ordering::Relaxed);
    figures.micros.fetch_add(micros, Ordering::Relaxed);
    let seconds = elapsed.as_secs_f64();
    if let Some(first) = BUCKETS.iter().position(|bound| seconds <= *bound) {
      figures.buckets[first].fetch_add(1, Ordering::Relaxed);
    }
  }

  pub fn uptime(&self) -> Duration {
    self.started.elapsed()
  }

  /// The contract's pool metrics (`GET /_/metrics`).
  pub fn pool_json(&self, pool: &PoolStats) -> Value {
    let total = self.total_requests.load(Ordering::Relaxed);
    let uptime = self.uptime();
    let filled = (total as usize).min(RECENT);
    let avg = if filled == 0 {
      0.0
    } else {
      let sum: u64 = self.recent[..filled]
        .iter()
        .map(|v| v.load(Ordering::Relaxed))
        .sum();
      sum as f64 / 1e3 / filled as f64
    };
    let lookups = pool.hits + pool.misses;
    let hit_rate = if lookups == 0 {
      0.0
    } else {
      pool.hits as f64 * 100.0 / lookups as f64
    };
    let round2 = |v: f64| (v * 100.0).round() / 100.0;
    json!({
      "activeWorkers": pool.active_workers,
      "avgResponseTimeMs": round2(avg),
      "evictions": pool.evictions,
      "freshQueued": pool.fresh_queued,
      "freshRejected": pool.fresh_rejected,
      "freshWorkers": pool.fresh_workers,
      "hitRate": round2(hit_rate),
      "logMessagesDropped": crate::ext::app_log::dropped_total(),
      "hits": pool.hits,
      "memoryUsageMB": round2(rss_bytes() as f64 / (1024.0 * 1024.0)),
      "misses": pool.misses,
      "queueSize": pool.queue_size,
      "requestsPerSecond": round2(total as f64 / uptime.as_secs_f64().max(1e-3)),
      "totalRequests": total,
      "totalWorkersCreated": pool.total_workers_created,
      "totalWorkersFailed": pool.total_workers_failed,
      "uptimeMs": uptime.as_millis() as u64,
    })
  }

  /// `GET /_/stats`: the pool figures plus one entry per live worker.
  pub fn stats_json(&self, pool: &PoolStats) -> Value {
    let workers: serde_json::Map<String, Value> = pool
      .workers
      .iter()
      .map(|(key, stats)| {
        (
          key.clone(),
          serde_json::to_value(stats).unwrap_or(Value::Null),
        )
      })
      .collect();
    json!({ "pool": self.pool_json(pool), "workers": workers })
  }

  /// Prometheus text exposition (version 0.0.4) of the same figures.
  pub fn prometheus(&self, pool: &PoolStats) -> String {
    let mut out = String::new();
    let mut metric = |name: &str, kind: &str, help: &str, value: f64| {
      let _ = writeln!(
        out,
        "# HELP buntime_{name} {help}\n# TYPE buntime_{name} {kind}\nbuntime_{name} {value}"
      );
    };
    metric(
      "uptime_seconds",
      "gauge",
      "Seconds since the server started.",
      self.uptime().as_secs_f64(),
    );
    metric(
      "requests_total",
      "counter",
      "App requests answered.",
      self.total_requests.load(Ordering::Relaxed) as f64,
    );
    metric(
      "fresh_workers",
      "gauge",
      "ttl: 0 workers running.",
      pool.fresh_workers as f64,
    );
    metric(
      "fresh_rejected_total",
      "counter",
      "ttl: 0 requests refused (503): no worker place before their timeout.",
      pool.fresh_rejected as f64,
    );
    metric(
      "log_messages_dropped_total",
      "counter",
      "App console messages dropped over the log rate.",
      crate::ext::app_log::dropped_total() as f64,
    );
    metric(
      "workers_active",
      "gauge",
      "Pooled workers alive.",
      pool.active_workers as f64,
    );
    metric(
      "queue_size",
      "gauge",
      "Requests waiting for a worker slot.",
      pool.queue_size as f64,
    );
    metric(
      "pool_hits_total",
      "counter",
      "Requests served by a reused worker.",
      pool.hits as f64,
    );
    metric(
      "pool_misses_total",
      "counter",
      "Requests that needed a new worker.",
      pool.misses as f64,
    );
    metric(
      "pool_evictions_total",
      "counter",
      "Workers evicted to make room.",
      pool.evictions as f64,
    );
    metric(
      "workers_created_total",
      "counter",
      "Workers started.",
      pool.total_workers_created as f64,
    );
    metric(
      "workers_failed_total",
      "counter",
      "Workers that failed to load or crashed.",
      pool.total_workers_failed as f64,
    );
    metric(
      "connections_adopted_total",
      "counter",
      "Client connections served on the thread of the app worker they were for.",
      pool.adopted_connections as f64,
    );
    metric(
      "connections_proxy_threads_total",
      "counter",
      "Client connections served on a proxy thread (their first request went to a proxy rule).",
      crate::proxy::threads::connections_served() as f64,
    );
    metric(
      "resident_memory_bytes",
      "gauge",
      "Resident memory of the process.",
      rss_bytes() as f64,
    );

    let apps = self.apps.read().unwrap().clone();
    let mut keys: Vec<&String> = apps.keys().collect();
    keys.sort();
    let _ = writeln!(
      out,
      "# HELP buntime_app_requests_total App requests by status class."
    );
    let _ = writeln!(out, "# TYPE buntime_app_requests_total counter");
    for key in &keys {
      for (i, count) in apps[*key].by_class.iter().enumerate() {
        let count = count.load(Ordering::Relaxed);
        if count > 0 {
          let _ = writeln!(
            out,
            "buntime_app_requests_total{{app=\"{}\",class=\"{}xx\"}} {count}",
            escape(key),
            i + 1
          );
        }
      }
    }
    let _ = writeln!(
      out,
      "# HELP buntime_app_request_duration_seconds App request latency."
    );
    let _ = writeln!(out, "# TYPE buntime_app_request_duration_seconds histogram");
    for key in &keys {
      let figures = &apps[*key];
      let app = escape(key);
      let requests = figures.requests();
      let mut count = 0;
      for (bound, bucket) in BUCKETS.iter().zip(&figures.buckets) {
        // Prometheus buckets are cumulative.
        count += bucket.load(Ordering::Relaxed);
        let _ = writeln!(
          out,
          "buntime_app_request_duration_seconds_bucket{{app=\"{app}\",le=\"{bound}\"}} {count}"
        );
      }
      let _ = writeln!(
        out,
        "buntime_app_request_duration_seconds_bucket{{app=\"{app}\",le=\"+Inf\"}} {requests}"
      );
      let _ = writeln!(
        out,
        "buntime_app_request_duration_seconds_sum{{app=\"{app}\"}} {}",
        figures.micros.load(Ordering::Relaxed) as f64 / 1e6
      );
      let _ = writeln!(
        out,
        "buntime_app_request_duration_seconds_count{{app=\"{app}\"}} {requests}"
      );
    }
    out
  }
}

/// Label values escape backslash, quote and newline.
fn escape(value: &str) -> String {
  value
    .replace('\\', "\\\\")
    .replace('"', "\\\"")
    .replace('\n', "\\n")
}

/// What the pool reports of itself (made by `pool::Pool::stats`).
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
