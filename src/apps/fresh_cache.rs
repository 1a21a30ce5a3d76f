//! A cache of what was read from disk, kept for [`LISTING_TTL`], where a
//! change notice always wins: a read that began before the notice and
//! finishes after it is not kept (else an edit could stay unseen for a
//! whole TTL, which is what a redeploy or a config edit must never do).

use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
use std::time::Instant;

use quick_cache::sync::Cache;
use quick_cache::Equivalent;

use super::resolver::LISTING_TTL;

pub struct FreshCache<K, V> {
  entries: Cache<K, (Instant, V)>,
  /// Bumped by every forget, before the entries go.
  generation: AtomicU64,
}

impl<K: Eq + Hash + Clone, V: Clone> FreshCache<K, V> {
  pub fn new(capacity: usize) -> Self {
    Self {
      entries: Cache::new(capacity),
      generation: AtomicU64::new(0),
    }
  }

  /// The value under `key` if read less than a TTL before `now`, else
  /// what `read` returns (kept unless something was forgotten meanwhile).
  pub fn get_or_read<Q>(&self, key: &Q, now: Instant, read: impl FnOnce() -> V) -> V
  where
    Q: Hash + Equivalent<K> + ToOwned<Owned = K> + ?Sized,
  {
    if let Some((at, value)) = self.entries.get(key) {
      if now.saturating_duration_since(at) < LISTING_TTL {
        return value;
      }
    }
    let generation = self.generation.load(SeqCst);
    let value = read();
    self
      .entries
      .insert(key.to_owned(), (Instant::now(), value.clone()));
    // Checked after the insert: a forget that came between the read and
    // here either sees the entry (and clears it) or bumped the count first.
    if self.generation.load(SeqCst) != generation {
      self.entries.remove(key);
    }
    value
  }

  pub fn forget<Q>(&self, key: &Q)
  where
    Q: Hash + Equivalent<K> + ?Sized,
  {
    self.generation.fetch_add(1, SeqCst);
    self.entries.remove(key);
  }

  pub fn clear(&self) {
    self.generation.fetch_add(1, SeqCst);
    self.entries.clear();
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn a_read_overtaken_by_a_forget_is_not_kept() {
    let cache: FreshCache<String, u32> = FreshCache::new(8);
    let now = Instant::now();
    let value = cache.get_or_read("a", now, || {
      cache.clear();
      1
    });
    assert_eq!(value, 1);
    assert_eq!(cache.get_or_read("a", now, || 2), 2);
    assert_eq!(cache.get_or_read("a", now, || 3), 2);
    cache.forget("a");
    assert_eq!(cache.get_or_read("a", now, || 4), 4);
  }

  #[test]
  fn entries_expire_after_the_ttl() {
    let cache: FreshCache<String, u32> = FreshCache::new(8);
    let now = Instant::now();
    assert_eq!(cache.get_or_read("a", now, || 1), 1);
    assert_eq!(cache.get_or_read("a", now, || 2), 1);
    let later = Instant::now() + LISTING_TTL;
    assert_eq!(cache.get_or_read("a", later, || 3), 3);
  }
}
