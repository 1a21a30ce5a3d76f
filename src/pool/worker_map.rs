//! The pooled workers by key, read without a lock: changed under a mutex,
//! each change published as a copy (`arc_swap`) that every request reads.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use arc_swap::ArcSwap;

/// Keyed by app (`name@version[#instance]`): every request looks its worker
/// up here, and foldhash is several times cheaper than SipHash on such keys.
/// Only apps that exist on disk are ever inserted.
pub(super) type WorkerMap<W> = HashMap<String, Arc<W>, foldhash::fast::RandomState>;

/// The pooled workers by key. Changed under the lock; each change is
/// published as a copy that the request path reads without locking (shared
/// by every thread, the lock would otherwise be taken by every request).
pub(super) struct Workers<W> {
  map: Mutex<WorkerMap<W>>,
  published: ArcSwap<WorkerMap<W>>,
}

impl<W> Workers<W> {
  pub(super) fn new() -> Self {
    Self {
      map: Mutex::new(WorkerMap::default()),
      published: ArcSwap::from_pointee(WorkerMap::default()),
    }
  }

  pub(super) fn lock(&self) -> WorkersGuard<'_, W> {
    WorkersGuard {
      map: self.map.lock().unwrap(),
      published: &self.published,
      changed: false,
    }
  }

  /// The map as of its last change, without locking.
  pub(super) fn snapshot(&self) -> arc_swap::Guard<Arc<WorkerMap<W>>> {
    self.published.load()
  }
}

/// The locked map; publishes a copy on release if it was changed.
pub(super) struct WorkersGuard<'a, W> {
  map: MutexGuard<'a, WorkerMap<W>>,
  published: &'a ArcSwap<WorkerMap<W>>,
  changed: bool,
}

impl<W> WorkersGuard<'_, W> {
  /// `HashMap::retain`, counted as a change only when it removed one (the
  /// sweep runs it every tick, mostly removing nothing).
  pub(super) fn retain(&mut self, keep: impl FnMut(&String, &mut Arc<W>) -> bool) {
    let before = self.map.len();
    self.map.retain(keep);
    self.changed |= self.map.len() != before;
  }
}

impl<W> std::ops::Deref for WorkersGuard<'_, W> {
  type Target = WorkerMap<W>;

  fn deref(&self) -> &WorkerMap<W> {
    &self.map
  }
}

impl<W> std::ops::DerefMut for WorkersGuard<'_, W> {
  fn deref_mut(&mut self) -> &mut WorkerMap<W> {
    self.changed = true;
    &mut self.map
  }
}

impl<W> Drop for WorkersGuard<'_, W> {
  fn drop(&mut self) {
    if self.changed {
      self.published.store(Arc::new(self.map.clone()));
    }
  }
}
