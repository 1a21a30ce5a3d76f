//! Client connections whose first request goes to a proxy rule are served
//! on one of a few single-threaded runtimes (one per core), each with its
//! own pooled upstream client. A proxied request then stays on one thread
//! from the client's socket to the upstream's and back; on the shared
//! multi-threaded front end, the pooled upstream connection usually lives
//! on another thread, and every request pays two cross-thread wake-ups.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use tokio::sync::mpsc;

use crate::ext::protocol::ConnectionTask;

pub struct ProxyThreads {
  inboxes: Vec<mpsc::UnboundedSender<ConnectionTask>>,
  next: AtomicUsize,
}

/// Connections handed to proxy threads so far.
static SERVED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

pub fn connections_served() -> u64 {
  SERVED.load(Ordering::Relaxed)
}

thread_local! {
  static ON_PROXY_THREAD: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether this thread is a proxy thread (its upstream clients are its own).
pub fn on_proxy_thread() -> bool {
  ON_PROXY_THREAD.with(|on| on.get())
}

impl ProxyThreads {
  /// The threads, started on first use.
  pub fn get() -> &'static ProxyThreads {
    static THREADS: OnceLock<ProxyThreads> = OnceLock::new();
    THREADS.get_or_init(|| {
      let count = std::thread::available_parallelism().map_or(1, |n| n.get());
      let inboxes = (0..count).filter_map(start_thread).collect();
      ProxyThreads {
        inboxes,
        next: AtomicUsize::new(0),
      }
    })
  }

  /// Hands a connection to the next thread; gives it back if none runs.
  pub fn serve(&self, task: ConnectionTask) -> Result<(), ConnectionTask> {
    if self.inboxes.is_empty() {
      return Err(task);
    }
    let index = self.next.fetch_add(1, Ordering::Relaxed) % self.inboxes.len();
    self.inboxes[index].send(task).map_err(|err| err.0)?;
    SERVED.fetch_add(1, Ordering::Relaxed);
    Ok(())
  }
}

fn start_thread(index: usize) -> Option<mpsc::UnboundedSender<ConnectionTask>> {
  let (inbox, mut tasks) = mpsc::unbounded_channel::<ConnectionTask>();
  let runtime = tokio::runtime::Builder::new_current_thread()
    .enable_all()
    .build()
    .map_err(|err| tracing::error!("cannot start a proxy runtime: {err}"))
    .ok()?;
  std::thread::Builder::new()
    .name(format!("buntime-proxy-{index}"))
    .spawn(move || {
      ON_PROXY_THREAD.with(|on| on.set(true));
      runtime.block_on(async move {
        crate::coarse_timer::enable_on_this_thread();
        while let Some(task) = tasks.recv().await {
          tokio::spawn(task());
        }
      });
    })
    .map_err(|err| tracing::error!("cannot start a proxy thread: {err}"))
    .ok()?;
  Some(inbox)
}
