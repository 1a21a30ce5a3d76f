//! Tells the connections served on worker and proxy threads that the server
//! is closing, so each finishes its request in flight and closes.
//!
//! A connection's task checks for the signal every time it wakes, which is
//! at least once per request. A `watch` channel shared by every connection
//! took a lock shared by all threads on each of those checks (~640
//! instructions per request, counted with `benches/instructions.sh`); here a
//! check reads the connection's own flag and registers the task's waker
//! with it (cloned only when it changed). Only subscribing, leaving and
//! closing take the shared lock.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use futures::task::AtomicWaker;

/// The server-wide signal: [`ShutdownSignal::close`] wakes every listener.
#[derive(Default)]
pub struct ShutdownSignal {
  listeners: Mutex<Listeners>,
}

#[derive(Default)]
struct Listeners {
  closed: bool,
  next_id: u64,
  by_id: HashMap<u64, Arc<Flag>, foldhash::fast::RandomState>,
}

/// One connection's copy of the signal.
#[derive(Default)]
struct Flag {
  closed: AtomicBool,
  waker: AtomicWaker,
}

impl ShutdownSignal {
  /// A future that completes once the server closes (at once if it has).
  pub fn listen(self: &Arc<Self>) -> Closed {
    let flag = Arc::new(Flag::default());
    let mut listeners = self
      .listeners
      .lock()
      .unwrap_or_else(|poison| poison.into_inner());
    flag.closed.store(listeners.closed, Ordering::Relaxed);
    let id = listeners.next_id;
    listeners.next_id += 1;
    listeners.by_id.insert(id, flag.clone());
    Closed {
      signal: self.clone(),
      flag,
      id,
    }
  }

  /// Closes: every listener's future completes, now and from now on.
  pub fn close(&self) {
    let mut listeners = self
      .listeners
      .lock()
      .unwrap_or_else(|poison| poison.into_inner());
    listeners.closed = true;
    for flag in listeners.by_id.values() {
      flag.closed.store(true, Ordering::Release);
      flag.waker.wake();
    }
  }
}

/// Completes when the server closes; leaves the signal's list when dropped.
pub struct Closed {
  signal: Arc<ShutdownSignal>,
  flag: Arc<Flag>,
  id: u64,
}

impl Future for Closed {
  type Output = ();

  fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
    if self.flag.closed.load(Ordering::Acquire) {
      return Poll::Ready(());
    }
    self.flag.waker.register(cx.waker());
    // Closed between the first check and the registration: its wake found
    // no waker (or the old one), so look again.
    if self.flag.closed.load(Ordering::Acquire) {
      Poll::Ready(())
    } else {
      Poll::Pending
    }
  }
}

impl Drop for Closed {
  fn drop(&mut self) {
    let mut listeners = self
      .signal
      .listeners
      .lock()
      .unwrap_or_else(|poison| poison.into_inner());
    listeners.by_id.remove(&self.id);
  }
}
