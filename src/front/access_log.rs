//! The access log (`ACCESS_LOG`): one JSON line per request, written when
//! its response body ends (or the client goes away), so duration and bytes
//! are what the client got.
//!
//! Lines go through a bounded channel to one writer thread: a slow disk
//! never blocks a request, and when the channel is full lines are dropped
//! and counted (the count is written as its own line once there is room).

use std::io::Write;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::{Instant, SystemTime};

use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use http_body::{Frame, SizeHint};
use serde::Serialize;

use crate::apps::catalog::Target;

/// Lines waiting for the writer before new ones are dropped.
const QUEUE_LINES: usize = 16 * 1024;

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

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Line<'a> {
  time: String,
  app: Option<&'a str>,
  version: Option<String>,
  method: &'a str,
  path: &'a str,
  status: u16,
  duration_ms: f64,
  bytes: u64,
  request_id: Option<&'a str>,
  client: String,
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
    let counter = dropped.clone();
    std::thread::Builder::new()
      .name("access-log".into())
      .spawn(move || write_lines(receiver, out, counter))?;
    Ok(Some(Self {
      lines,
      dropped,
      with_query,
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
      .and_then(|v| v.to_str().ok())
      .map(str::to_owned);
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
}

/// The writer thread: flushes whenever the queue is empty, so lines reach
/// the file promptly when traffic is light and in batches when heavy.
fn write_lines(receiver: Receiver<String>, out: Box<dyn Write + Send>, dropped: Arc<AtomicU64>) {
  let mut out = std::io::BufWriter::with_capacity(64 * 1024, out);
  while let Ok(first) = receiver.recv() {
    let mut next = Some(first);
    while let Some(line) = next {
      let _ = out.write_all(line.as_bytes());
      next = receiver.try_recv().ok();
    }
    let lost = dropped.swap(0, Relaxed);
    if lost > 0 {
      let _ = writeln!(out, "{{\"droppedLines\":{lost}}}");
    }
    let _ = out.flush();
  }
}

/// One request's line, written when dropped (body ended or abandoned).
struct Entry {
  log: Arc<AccessLog>,
  pending: Pending,
  served_by: Option<ServedBy>,
  request_id: Option<String>,
  status: u16,
  bytes: u64,
}

impl Drop for Entry {
  fn drop(&mut self) {
    let target = self.served_by.as_ref().map(|s| &s.0);
    let time = chrono::DateTime::<chrono::Utc>::from(SystemTime::now())
      .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let line = Line {
      time,
      app: target.map(|t| t.name.as_str()),
      version: target
        .and_then(|t| t.resolved.as_ref())
        .map(|(resolved, _)| resolved.version.to_string()),
      method: self.pending.method.as_str(),
      path: &self.pending.path,
      status: self.status,
      duration_ms: (self.pending.started.elapsed().as_micros() as f64) / 1000.0,
      bytes: self.bytes,
      request_id: self.request_id.as_deref(),
      client: self.pending.remote.to_string(),
    };
    if let Ok(mut json) = serde_json::to_string(&line) {
      json.push('\n');
      self.log.send(json);
    }
  }
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
