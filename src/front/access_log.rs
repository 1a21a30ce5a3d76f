//! The access log (`ACCESS_LOG`): one JSON line per request, written when
//! its response body ends (or the client goes away), so duration and bytes
//! are what the client got.
//!
//! Lines go through a bounded channel to one writer thread: a slow disk
//! never blocks a request, and when the channel is full lines are dropped
//! and counted (the count is written as its own line once there is room).
//! The writer wakes on its own every [`WRITE_EVERY`] rather than at each
//! line: waking a sleeping thread per request cost more than the line.

use std::fmt::Write as _;
use std::io::Write;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime};

use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use http_body::{Frame, SizeHint};

use crate::apps::catalog::Target;

/// Lines waiting for the writer before new ones are dropped.
const QUEUE_LINES: usize = 16 * 1024;

/// How long a line may wait in the queue before it is written.
const WRITE_EVERY: Duration = Duration::from_millis(100);

/// Where access lines go, from `ACCESS_LOG`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Destination {
  Off,
  Stdout,
  File(std::path::PathBuf),
}

impl Destination {
  /// `off` (or empty), `stdout`, or a file path (appended to).
  pub fn parse(value: &str) -> Self {
    match value.trim() {
      "" | "off" | "false" | "0" => Self::Off,
      "stdout" | "-" => Self::Stdout,
      path => Self::File(path.into()),
    }
  }
}

/// The running access log; `None` in [`AccessLog::open`]'s result when off.
pub struct AccessLog {
  lines: SyncSender<String>,
  dropped: Arc<AtomicU64>,
  with_query: bool,
  writer: std::thread::Thread,
  /// Set by [`Self::flush`]; the writer clears it once all is written.
  flushing: Arc<AtomicBool>,
}

/// Which app answered: set on the response by the pipeline when the
/// access log is on.
#[derive(Clone)]
pub struct ServedBy(pub Arc<Target>);

/// What the front end knows of a request before it is served.
pub struct Pending {
  started: Instant,
  method: http::Method,
  path: String,
  remote: SocketAddr,
}

impl AccessLog {
  /// Opens the destination and starts the writer thread; `Ok(None)` when
  /// the log is off. Fails when the file cannot be opened for appending.
  pub fn open(destination: &Destination, with_query: bool) -> std::io::Result<Option<Self>> {
    let out: Box<dyn Write + Send> = match destination {
      Destination::Off => return Ok(None),
      Destination::Stdout => Box::new(std::io::stdout()),
      Destination::File(path) => Box::new(
        std::fs::OpenOptions::new()
          .create(true)
          .append(true)
          .open(path)?,
      ),
    };
    let (lines, receiver) = sync_channel(QUEUE_LINES);
    let dropped = Arc::new(AtomicU64::new(0));
    let flushing = Arc::new(AtomicBool::new(false));
    let writer = Writer {
      receiver,
      out: std::io::BufWriter::with_capacity(64 * 1024, out),
      dropped: dropped.clone(),
      flushing: flushing.clone(),
    };
    let writer = std::thread::Builder::new()
      .name("access-log".into())
      .spawn(move || writer.run())?;
    Ok(Some(Self {
      lines,
      dropped,
      with_query,
      writer: writer.thread().clone(),
      flushing,
    }))
  }

  /// Notes the request's start; the line is written by [`Self::finish`].
  pub fn begin(&self, method: &http::Method, uri: &http::Uri, remote: SocketAddr) -> Pending {
    let path = match (self.with_query, uri.query()) {
      (true, Some(query)) => format!("{}?{query}", uri.path()),
      _ => uri.path().to_owned(),
    };
    Pending {
      started: Instant::now(),
      method: method.clone(),
      path,
      remote,
    }
  }

  /// Wraps the response's body so the line is written when it ends.
  pub fn finish(self: &Arc<Self>, pending: Pending, response: Response) -> Response {
    let served_by = response.extensions().get::<ServedBy>().cloned();
    let request_id = response
      .headers()
      .get(&super::request_id::X_REQUEST_ID)
      .cloned();
    let status = response.status().as_u16();
    let entry = Entry {
      log: self.clone(),
      pending,
      served_by,
      request_id,
      status,
      bytes: 0,
    };
    response.map(|inner| Body::new(Counted { inner, entry }))
  }

  fn send(&self, line: String) {
    match self.lines.try_send(line) {
      Ok(()) => {}
      Err(TrySendError::Full(_)) => {
        self.dropped.fetch_add(1, Relaxed);
      }
      Err(TrySendError::Disconnected(_)) => {}
    }
  }

  /// Writes out what is queued (at shutdown), waiting at most a second.
  pub fn flush(&self) {
    self.flushing.store(true, Relaxed);
    self.writer.unpark();
    let deadline = Instant::now() + Duration::from_secs(1);
    while self.flushing.load(Relaxed) && Instant::now() < deadline {
      std::thread::sleep(Duration::from_millis(5));
    }
  }
}

/// The writer thread's end of the queue.
struct Writer {
  receiver: Receiver<String>,
  out: std::io::BufWriter<Box<dyn Write + Send>>,
  dropped: Arc<AtomicU64>,
  flushing: Arc<AtomicBool>,
}

impl Writer {
  fn run(mut self) {
    loop {
      std::thread::park_timeout(WRITE_EVERY);
      let open = self.write_queued();
      let lost = self.dropped.swap(0, Relaxed);
      if lost > 0 {
        let _ = writeln!(self.out, "{{\"droppedLines\":{lost}}}");
      }
      let _ = self.out.flush();
      self.flushing.store(false, Relaxed);
      if !open {
        return;
      }
    }
  }

  /// Writes every queued line; false once no sender is left.
  fn write_queued(&mut self) -> bool {
    loop {
      match self.receiver.try_recv() {
        Ok(line) => {
          let _ = self.out.write_all(line.as_bytes());
        }
        Err(std::sync::mpsc::TryRecvError::Empty) => return true,
        Err(std::sync::mpsc::TryRecvError::Disconnected) => return false,
      }
    }
  }
}

/// One request's line, written when dropped (body ended or abandoned).
struct Entry {
  log: Arc<AccessLog>,
  pending: Pending,
  served_by: Option<ServedBy>,
  request_id: Option<http::HeaderValue>,
  status: u16,
  bytes: u64,
}

impl Drop for Entry {
  fn drop(&mut self) {
    let target = self.served_by.as_ref().map(|s| &s.0);
    let mut line = String::with_capacity(192 + self.pending.path.len());
    line.push_str("{\"time\":\"");
    push_time(&mut line, SystemTime::now());
    line.push_str("\",\"app\":");
    match target {
      Some(target) => push_json_str(&mut line, &target.name),
      None => line.push_str("null"),
    }
    line.push_str(",\"version\":");
    match target.and_then(|t| t.resolved.as_ref()) {
      Some((resolved, _)) => {
        let _ = write!(line, "\"{}\"", resolved.version);
      }
      None => line.push_str("null"),
    }
    line.push_str(",\"method\":");
    push_json_str(&mut line, self.pending.method.as_str());
    line.push_str(",\"path\":");
    push_json_str(&mut line, &self.pending.path);
    let micros = self.pending.started.elapsed().as_micros();
    let _ = write!(
      line,
      ",\"status\":{},\"durationMs\":{}.{:03},\"bytes\":{},\"requestId\":",
      self.status,
      micros / 1000,
      micros % 1000,
      self.bytes
    );
    match self.request_id.as_ref().and_then(|id| id.to_str().ok()) {
      Some(id) => push_json_str(&mut line, id),
      None => line.push_str("null"),
    }
    let _ = writeln!(line, ",\"client\":\"{}\"}}", self.pending.remote);
    self.log.send(line);
  }
}

/// `value` as a JSON string (escaped: paths and ids come from clients).
fn push_json_str(line: &mut String, value: &str) {
  if value
    .bytes()
    .all(|b| b >= 0x20 && b != b'"' && b != b'\\' && b < 0x7f)
  {
    line.push('"');
    line.push_str(value);
    line.push('"');
  } else if let Ok(json) = serde_json::to_string(value) {
    line.push_str(&json);
  }
}

/// RFC 3339 UTC with milliseconds; the part up to the second is formatted
/// once a second per thread.
fn push_time(line: &mut String, now: SystemTime) {
  use std::cell::RefCell;
  thread_local! {
    static SECOND: RefCell<(u64, String)> = const { RefCell::new((u64::MAX, String::new())) };
  }
  let since = now
    .duration_since(SystemTime::UNIX_EPOCH)
    .unwrap_or_default();
  SECOND.with_borrow_mut(|(second, text)| {
    if *second != since.as_secs() {
      *second = since.as_secs();
      *text = chrono::DateTime::<chrono::Utc>::from(now)
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string();
    }
    line.push_str(text);
  });
  let _ = write!(line, ".{:03}Z", since.subsec_millis());
}

/// The response body, counting what goes out.
struct Counted {
  inner: Body,
  entry: Entry,
}

impl http_body::Body for Counted {
  type Data = Bytes;
  type Error = axum::Error;

  fn poll_frame(
    mut self: Pin<&mut Self>,
    cx: &mut Context<'_>,
  ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
    let polled = Pin::new(&mut self.inner).poll_frame(cx);
    if let Poll::Ready(Some(Ok(frame))) = &polled {
      if let Some(data) = frame.data_ref() {
        self.entry.bytes += data.len() as u64;
      }
    }
    polled
  }

  fn is_end_stream(&self) -> bool {
    self.inner.is_end_stream()
  }

  fn size_hint(&self) -> SizeHint {
    self.inner.size_hint()
  }
}

/// The process's access log, set once at start (`None`: off).
pub static ACCESS_LOG: OnceLock<Option<Arc<AccessLog>>> = OnceLock::new();

/// The access log when it is on.
pub fn active() -> Option<&'static Arc<AccessLog>> {
  ACCESS_LOG.get().and_then(Option::as_ref)
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn strings_from_clients_stay_one_json_value() {
    for value in [
      "/plain/path",
      "/q\"uote",
      "/back\\slash",
      "/new\nline",
      "/\u{1}",
      "/ünï",
    ] {
      let mut line = String::new();
      push_json_str(&mut line, value);
      let parsed: String = serde_json::from_str(&line).unwrap();
      assert_eq!(parsed, value);
      assert!(!line.contains('\n'));
    }
  }

  #[test]
  fn times_are_rfc3339_with_milliseconds() {
    let at = SystemTime::UNIX_EPOCH + Duration::from_millis(1_764_815_832_045);
    let mut line = String::new();
    push_time(&mut line, at);
    assert_eq!(line, "2025-12-04T02:37:12.045Z");
    // The same second again, from the cached part.
    line.clear();
    push_time(&mut line, at + Duration::from_millis(900));
    assert_eq!(line, "2025-12-04T02:37:12.945Z");
  }

  #[test]
  fn destinations() {
    assert_eq!(Destination::parse("off"), Destination::Off);
    assert_eq!(Destination::parse(""), Destination::Off);
    assert_eq!(Destination::parse("stdout"), Destination::Stdout);
    assert_eq!(
      Destination::parse("/var/log/access.jsonl"),
      Destination::File("/var/log/access.jsonl".into())
    );
  }
}
