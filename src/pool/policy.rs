//! When a pooled worker may take the next request, when it is retired and
//! when it looks stuck: pure functions of what was observed and of `now`,
//! so the rules are tested with made-up clocks instead of sleeps.

use std::time::{Duration, Instant};

use crate::apps::config::AppConfig;

/// A worker as the policy sees it at one instant.
#[derive(Clone, Copy, Debug, Default)]
pub struct Observed {
  /// Its thread ended or its inbox closed.
  pub closed: bool,
  pub age: Duration,
  /// Since a request last entered or left it.
  pub idle: Duration,
  pub requests: u64,
  pub in_flight: usize,
  pub open_sockets: usize,
}

impl Observed {
  /// Requests in flight or WebSockets open: never retired or evicted.
  pub fn is_busy(&self) -> bool {
    self.in_flight > 0 || self.open_sockets > 0
  }

  /// Holds sockets and is older than the hard cap on such workers.
  pub fn past_socket_cap(&self, cap: Option<Duration>) -> bool {
    cap.is_some_and(|cap| self.age >= cap) && self.open_sockets > 0
  }

  /// Within `ttl`, `idleTimeout` and `maxRequests`.
  fn within_limits(&self, config: &AppConfig) -> bool {
    self.age < config.ttl && self.idle < config.idle_timeout && self.requests < config.max_requests
  }
}

/// Whether the next request may go to this worker. One holding open
/// WebSockets stays its app's worker past `ttl`, `idleTimeout` and
/// `maxRequests`, so `publish` reaches every socket of the app.
pub fn reusable(worker: &Observed, config: &AppConfig, socket_cap: Option<Duration>) -> bool {
  if worker.closed {
    return false;
  }
  if worker.open_sockets > 0 {
    return !worker.past_socket_cap(socket_cap);
  }
  worker.within_limits(config)
}

/// Whether the sweeper should retire it now: closed, past the socket cap,
/// or idle and past one of its limits.
pub fn expired(worker: &Observed, config: &AppConfig, socket_cap: Option<Duration>) -> bool {
  worker.closed
    || worker.past_socket_cap(socket_cap)
    || (!worker.is_busy() && !worker.within_limits(config))
}

/// Event-loop ticks at the last check, and since when they are unchanged.
#[derive(Debug)]
pub struct Progress {
  ticks: u64,
  since: Instant,
}

impl Progress {
  pub fn new(now: Instant) -> Self {
    Self {
      ticks: 0,
      since: now,
    }
  }

  /// Whether a busy worker's event loop (`ticks`) has not turned for
  /// `timeout`. Answers true once per silent stretch.
  pub fn silent_too_long(
    &mut self,
    ticks: u64,
    busy: bool,
    now: Instant,
    timeout: Duration,
  ) -> bool {
    if ticks != self.ticks || !busy {
      *self = Self { ticks, since: now };
      return false;
    }
    if now.saturating_duration_since(self.since) < timeout {
      return false;
    }
    self.since = now;
    true
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  const SECOND: Duration = Duration::from_secs(1);

  fn config() -> AppConfig {
    AppConfig {
      ttl: 60 * SECOND,
      idle_timeout: 10 * SECOND,
      max_requests: 100,
      ..Default::default()
    }
  }

  #[test]
  fn a_worker_is_reused_within_its_limits_only() {
    let config = config();
    let fresh = Observed {
      age: SECOND,
      ..Default::default()
    };
    assert!(reusable(&fresh, &config, None));
    for past in [
      Observed {
        age: 60 * SECOND,
        ..fresh
      },
      Observed {
        idle: 10 * SECOND,
        ..fresh
      },
      Observed {
        requests: 100,
        ..fresh
      },
      Observed {
        closed: true,
        ..fresh
      },
    ] {
      assert!(!reusable(&past, &config, None), "{past:?}");
      assert!(expired(&past, &config, None), "{past:?}");
    }
    assert!(!expired(&fresh, &config, None));
  }

  #[test]
  fn busy_workers_outlive_their_limits_until_the_socket_cap() {
    let config = config();
    let old = Observed {
      age: 120 * SECOND,
      idle: 30 * SECOND,
      requests: 500,
      ..Default::default()
    };
    let serving = Observed {
      in_flight: 1,
      ..old
    };
    assert!(
      !expired(&serving, &config, None),
      "a request in flight finishes"
    );
    assert!(!reusable(&serving, &config, None), "but takes no new one");
    let sockets = Observed {
      open_sockets: 2,
      ..old
    };
    assert!(
      reusable(&sockets, &config, None),
      "publish reaches every socket"
    );
    assert!(!expired(&sockets, &config, None));
    let cap = Some(100 * SECOND);
    assert!(!reusable(&sockets, &config, cap));
    assert!(expired(&sockets, &config, cap));
    assert!(reusable(&sockets, &config, Some(200 * SECOND)));
  }

  #[test]
  fn a_busy_worker_whose_loop_stands_still_is_reported_once_per_timeout() {
    let start = Instant::now();
    let timeout = 5 * SECOND;
    let mut progress = Progress::new(start);
    assert!(!progress.silent_too_long(0, true, start + 4 * SECOND, timeout));
    assert!(progress.silent_too_long(0, true, start + 5 * SECOND, timeout));
    // Reported: the next report needs another whole timeout.
    assert!(!progress.silent_too_long(0, true, start + 6 * SECOND, timeout));
    assert!(progress.silent_too_long(0, true, start + 10 * SECOND, timeout));
    // Ticks moved, or nothing is in flight: the clock starts again.
    assert!(!progress.silent_too_long(1, true, start + 20 * SECOND, timeout));
    assert!(!progress.silent_too_long(1, true, start + 24 * SECOND, timeout));
    assert!(!progress.silent_too_long(1, false, start + 40 * SECOND, timeout));
    assert!(!progress.silent_too_long(1, true, start + 44 * SECOND, timeout));
    assert!(progress.silent_too_long(1, true, start + 45 * SECOND, timeout));
  }
}
