//! What a worker thread knows about itself: the tasks that keep it alive
//! past its isolate, the client sockets it serves, and the panic guard
//! that stops only this worker when one of its ops panics.

use std::cell::RefCell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use super::WorkerControl;

thread_local! {
  /// On a worker thread: how many tasks (adopted connections, relayed
  /// sockets) keep the thread running after its isolate is gone.
  pub(super) static THREAD_HOLDS: RefCell<Option<Arc<AtomicUsize>>> = const { RefCell::new(None) };
  /// On a worker thread: its worker, for the panic guard.
  pub(super) static THREAD_CONTROL: RefCell<Option<Arc<WorkerControl>>> = const { RefCell::new(None) };
  /// Client sockets this thread serves (adopted connections), so the panic
  /// guard can close them rather than leave their clients hanging.
  static THREAD_SOCKETS: RefCell<Vec<i32>> = const { RefCell::new(Vec::new()) };
}

/// An adopted client socket, known to the panic guard while it is served.
pub struct AdoptedSocket(i32);

impl AdoptedSocket {
  pub fn register(fd: i32) -> Self {
    THREAD_SOCKETS.with(|s| s.borrow_mut().push(fd));
    Self(fd)
  }
}

impl Drop for AdoptedSocket {
  fn drop(&mut self) {
    THREAD_SOCKETS.with(|s| s.borrow_mut().retain(|fd| *fd != self.0));
  }
}

/// A panic on a worker thread must not take the process down: inside an
/// op it is in an `extern "C"` frame V8 called, where Rust aborts rather
/// than unwind. The hook runs before that: it reports the panic, marks the
/// worker stopped (requests go to a fresh one; its own time out) and parks
/// the thread for good, so the abort never comes. The thread and its
/// isolate are leaked: a bug's cost, paid once per panic.
pub fn install_panic_guard() {
  let default = std::panic::take_hook();
  std::panic::set_hook(Box::new(move |info| {
    let control = THREAD_CONTROL.with(|c| c.try_borrow().ok().and_then(|c| c.clone()));
    let Some(control) = control else {
      return default(info);
    };
    super::FAILED.fetch_add(1, Ordering::Relaxed);
    tracing::error!("a worker thread panicked ({info}): its worker is stopped, the server goes on");
    control.panicked.store(true, Ordering::Release);
    control.terminate();
    // The connections this thread serves can never be answered now: end
    // them, so their clients see a closed connection instead of waiting.
    THREAD_SOCKETS.with(|sockets| {
      if let Ok(sockets) = sockets.try_borrow() {
        for fd in sockets.iter() {
          // SAFETY: shutdown on a descriptor this thread's runtime owns
          // (and never uses again): no memory is touched.
          unsafe { libc::shutdown(*fd, libc::SHUT_RDWR) };
        }
      }
    });
    loop {
      std::thread::park();
    }
  }));
}

/// Keeps the current worker thread (if this is one) running until dropped:
/// taken by tasks that live on its runtime beyond the isolate.
pub struct ThreadHold(Option<Arc<AtomicUsize>>);

impl ThreadHold {
  pub fn take() -> Self {
    let holds = THREAD_HOLDS.with(|h| h.borrow().clone());
    if let Some(holds) = &holds {
      holds.fetch_add(1, Ordering::AcqRel);
    }
    Self(holds)
  }
}

impl Drop for ThreadHold {
  fn drop(&mut self) {
    if let Some(holds) = &self.0 {
      holds.fetch_sub(1, Ordering::AcqRel);
    }
  }
}

/// Whether this is a worker thread (its runtime serves adopted connections).
pub fn on_worker_thread() -> bool {
  THREAD_HOLDS.with(|h| h.borrow().is_some())
}
