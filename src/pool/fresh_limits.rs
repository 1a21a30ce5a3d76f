//! How many `ttl: 0` workers may run at once: each such request gets an
//! isolate and a thread of its own, outside `POOL_SIZE`, so without a cap
//! a burst (or an app that fetches itself) makes hundreds. A global cap
//! and a per-app cap; a request over either waits for a permit until its
//! deadline, then answers 503.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::Notify;

pub struct FreshLimits {
  max_total: usize,
  max_per_app: usize,
  running: Mutex<Running>,
  freed: Notify,
  queued: AtomicUsize,
  rejected: AtomicU64,
}

#[derive(Default)]
struct Running {
  total: usize,
  per_app: HashMap<String, usize>,
}

/// One running `ttl: 0` worker's place; given back when dropped.
pub struct FreshPermit {
  limits: Arc<FreshLimits>,
  app: String,
}

impl Drop for FreshPermit {
  fn drop(&mut self) {
    {
      let mut running = self.limits.running.lock().unwrap();
      running.total = running.total.saturating_sub(1);
      if let Some(count) = running.per_app.get_mut(&self.app) {
        *count -= 1;
        if *count == 0 {
          running.per_app.remove(&self.app);
        }
      }
    }
    self.limits.freed.notify_waiters();
  }
}

impl FreshLimits {
  /// 0 for either cap means no cap.
  pub fn new(max_total: usize, max_per_app: usize) -> Arc<Self> {
    Arc::new(Self {
      max_total: if max_total == 0 {
        usize::MAX
      } else {
        max_total
      },
      max_per_app: if max_per_app == 0 {
        usize::MAX
      } else {
        max_per_app
      },
      running: Mutex::new(Running::default()),
      freed: Notify::new(),
      queued: AtomicUsize::new(0),
      rejected: AtomicU64::new(0),
    })
  }

  /// A permit for app `app` (its name: all its versions share the cap), if
  /// both caps allow one now.
  pub fn try_take(self: &Arc<Self>, app: &str) -> Option<FreshPermit> {
    let mut running = self.running.lock().unwrap();
    let for_app = running.per_app.get(app).copied().unwrap_or(0);
    if running.total >= self.max_total || for_app >= self.max_per_app {
      return None;
    }
    running.total += 1;
    *running.per_app.entry(app.to_string()).or_insert(0) += 1;
    Some(FreshPermit {
      limits: self.clone(),
      app: app.to_string(),
    })
  }

  /// Waits for a permit until `deadline`; `None` (counted as rejected) if
  /// none came.
  pub async fn take(
    self: &Arc<Self>,
    app: &str,
    deadline: tokio::time::Instant,
  ) -> Option<FreshPermit> {
    self.queued.fetch_add(1, Ordering::Relaxed);
    let permit = loop {
      // Registered before the attempt, so a permit freed right after it
      // is not missed.
      let freed = self.freed.notified();
      if let Some(permit) = self.try_take(app) {
        break Some(permit);
      }
      // Past the deadline a worker would start only to time out: refuse.
      if tokio::time::timeout_at(deadline, freed).await.is_err() {
        break None;
      }
    };
    self.queued.fetch_sub(1, Ordering::Relaxed);
    if permit.is_none() {
      self.rejected.fetch_add(1, Ordering::Relaxed);
    }
    permit
  }

  pub fn running(&self) -> usize {
    self.running.lock().unwrap().total
  }

  pub fn queued(&self) -> usize {
    self.queued.load(Ordering::Relaxed)
  }

  pub fn rejected(&self) -> u64 {
    self.rejected.load(Ordering::Relaxed)
  }

  pub fn max_total(&self) -> usize {
    self.max_total
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn both_caps_hold_and_permits_come_back() {
    let limits = FreshLimits::new(3, 2);
    let a1 = limits.try_take("a").unwrap();
    let _a2 = limits.try_take("a").unwrap();
    assert!(limits.try_take("a").is_none(), "per-app cap");
    let _b1 = limits.try_take("b").unwrap();
    assert!(limits.try_take("c").is_none(), "global cap");
    assert_eq!(limits.running(), 3);
    drop(a1);
    assert_eq!(limits.running(), 2);
    assert!(limits.try_take("a").is_some());
  }

  #[test]
  fn zero_means_no_cap() {
    let limits = FreshLimits::new(0, 0);
    let permits: Vec<_> = (0..1000).map(|_| limits.try_take("a").unwrap()).collect();
    assert_eq!(limits.running(), permits.len());
  }

  #[tokio::test]
  async fn a_waiter_gets_the_next_freed_permit_or_gives_up() {
    let limits = FreshLimits::new(1, 1);
    let held = limits.try_take("a").unwrap();
    let soon = tokio::time::Instant::now() + std::time::Duration::from_millis(20);
    assert!(limits.take("a", soon).await.is_none());
    assert_eq!(limits.rejected(), 1);
    let waiter = {
      let limits = limits.clone();
      tokio::spawn(async move {
        let later = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
        limits.take("a", later).await.is_some()
      })
    };
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    drop(held);
    assert!(waiter.await.unwrap());
  }
}
