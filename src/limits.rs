//! Guards against hostile clients: request bodies that stall or grow past
//! the limit, and the process's open-files limit.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use tokio::time::Sleep;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Set by a guarded body when it gives up, so the handler can answer for
/// the client (408, 413) whatever the app made of the failed read.
#[derive(Clone, Default)]
pub struct Tripped(Arc<AtomicBool>);

impl Tripped {
  pub fn is_set(&self) -> bool {
    self.0.load(Ordering::Relaxed)
  }

  fn set(&self) {
    self.0.store(true, Ordering::Relaxed)
  }
}

/// A request body that fails when the client sends nothing for `idle`
/// while it is being read (slow-body attacks). The clock starts at the
/// first read, so time spent queued for a worker does not count. A body
/// the client framed wrongly (a bad chunk size) sets `malformed`.
pub struct ReadTimeoutBody<B> {
  inner: B,
  idle: Duration,
  timer: Option<Pin<Box<Sleep>>>,
  tripped: Tripped,
  malformed: Tripped,
}

impl<B> ReadTimeoutBody<B> {
  pub fn new(inner: B, idle: Duration, tripped: Tripped, malformed: Tripped) -> Self {
    Self {
      inner,
      idle,
      timer: None,
      tripped,
      malformed,
    }
  }
}

impl<B> Body for ReadTimeoutBody<B>
where
  B: Body<Data = Bytes> + Unpin,
  B::Error: Into<BoxError>,
{
  type Data = Bytes;
  type Error = BoxError;

  fn poll_frame(
    mut self: Pin<&mut Self>,
    cx: &mut Context<'_>,
  ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
    let this = &mut *self;
    if this.tripped.is_set() {
      return Poll::Ready(None);
    }
    match Pin::new(&mut this.inner).poll_frame(cx) {
      Poll::Ready(frame) => {
        this.timer = None;
        if matches!(frame, Some(Err(_))) {
          this.malformed.set();
        }
        Poll::Ready(frame.map(|f| f.map_err(Into::into)))
      }
      Poll::Pending => {
        let idle = this.idle;
        let timer = this
          .timer
          .get_or_insert_with(|| Box::pin(tokio::time::sleep(idle)));
        match timer.as_mut().poll(cx) {
          Poll::Ready(()) => {
            this.tripped.set();
            Poll::Ready(Some(Err(
              format!("request body: nothing received for {}s", idle.as_secs()).into(),
            )))
          }
          Poll::Pending => Poll::Pending,
        }
      }
    }
  }

  fn is_end_stream(&self) -> bool {
    self.inner.is_end_stream()
  }

  fn size_hint(&self) -> SizeHint {
    self.inner.size_hint()
  }
}

/// A request body that fails once more than `limit` bytes have arrived,
/// so an oversize upload is refused while it streams, never buffered.
pub struct LimitedBody<B> {
  inner: B,
  remaining: u64,
  tripped: Tripped,
}

impl<B> LimitedBody<B> {
  pub fn new(inner: B, limit: u64, tripped: Tripped) -> Self {
    Self {
      inner,
      remaining: limit,
      tripped,
    }
  }
}

impl<B> Body for LimitedBody<B>
where
  B: Body<Data = Bytes> + Unpin,
  B::Error: Into<BoxError>,
{
  type Data = Bytes;
  type Error = BoxError;

  fn poll_frame(
    mut self: Pin<&mut Self>,
    cx: &mut Context<'_>,
  ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
    let this = &mut *self;
    if this.tripped.is_set() {
      return Poll::Ready(None);
    }
    match Pin::new(&mut this.inner).poll_frame(cx) {
      Poll::Ready(Some(Ok(frame))) => {
        let size = frame.data_ref().map_or(0, |d| d.len() as u64);
        if size > this.remaining {
          this.tripped.set();
          return Poll::Ready(Some(Err("request body too large".into())));
        }
        this.remaining -= size;
        Poll::Ready(Some(Ok(frame)))
      }
      Poll::Ready(other) => Poll::Ready(other.map(|f| f.map_err(Into::into))),
      Poll::Pending => Poll::Pending,
    }
  }

  fn is_end_stream(&self) -> bool {
    self.inner.is_end_stream()
  }

  fn size_hint(&self) -> SizeHint {
    self.inner.size_hint()
  }
}

/// Raises the soft open-files limit to the hard one (every connection and
/// every worker's files take descriptors; distributions default the soft
/// limit to 1024). Returns the limit now in force.
pub fn raise_open_files_limit() -> Option<u64> {
  let mut limit = libc::rlimit {
    rlim_cur: 0,
    rlim_max: 0,
  };
  // SAFETY: getrlimit/setrlimit only read and write the struct passed in.
  unsafe {
    if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
      return None;
    }
    if limit.rlim_cur < limit.rlim_max {
      let raised = libc::rlimit {
        rlim_cur: limit.rlim_max,
        rlim_max: limit.rlim_max,
      };
      if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
        return Some(raised.rlim_cur);
      }
    }
  }
  Some(limit.rlim_cur)
}
