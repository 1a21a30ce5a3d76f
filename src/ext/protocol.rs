//! What travels between the front end and a worker thread. Everything here is
//! `Send`: it crosses from the multi-thread front end into the worker's own
//! current-thread runtime.

use bytes::Bytes;
use http::HeaderMap;
use tokio::sync::{mpsc, oneshot};

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The client's request body, read by the worker frame by frame so an upload
/// never sits whole in memory.
pub type RequestBody = http_body_util::combinators::UnsyncBoxBody<Bytes, BoxError>;

/// How many response chunks may wait between the isolate and the client: a
/// slow client applies backpressure to the app's stream.
pub const RESPONSE_CHUNK_BUFFER: usize = 8;

pub enum WorkerMessage {
  Request(Box<RequestJob>),
  /// The worker crossed its idle threshold: run the app's `onIdle()`.
  Idle,
  /// The worker is being retired for good (shutdown, new code, or it held
  /// sockets past `WS_WORKER_MAX_AGE`): close its WebSockets with 1001.
  GoingAway,
  /// A client connection whose requests are for this worker's app: served
  /// on the worker's own thread, so they never cross threads.
  Connection(ConnectionTask),
}

/// Called on the worker's thread, returns the future that serves a client
/// connection there (until the client closes it or the server shuts down;
/// the thread outlives its isolate for as long).
pub type ConnectionTask =
  Box<dyn FnOnce() -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> + Send>;

pub struct RequestJob {
  pub method: http::Method,
  /// Absolute URL as the app sees it (prefix removed, query kept).
  pub url: String,
  pub headers: HeaderMap,
  /// `x-base: /<app>[@range]`, added when the app reads the headers.
  pub base: Option<http::HeaderValue>,
  /// The client's socket address, when the listener knows it.
  pub remote: Option<std::net::SocketAddr>,
  /// `None` when the request has no body (GET, or an empty POST) or it
  /// came whole in `full_body`.
  pub body: Option<RequestBody>,
  /// A small body with a declared length, read by the front end before
  /// dispatch: the app gets it without a stream round trip per chunk.
  pub full_body: Option<Bytes>,
  pub reply: oneshot::Sender<Reply>,
  /// When the front end gives up waiting for the reply; the app moves it
  /// with `server.timeout(req, seconds)`.
  pub deadline: std::sync::Arc<Deadline>,
  /// A WebSocket handshake the app may accept with `server.upgrade(req)`.
  pub upgradable: bool,
  /// `x-request-id`, for the app's log lines.
  pub request_id: Option<http::HeaderValue>,
}

/// A request's deadline, shared by the front end (which waits for it) and
/// the worker (which may move it). Cheaper per request than a watch channel.
pub struct Deadline {
  at: std::sync::Mutex<Option<std::time::Instant>>,
  moved: tokio::sync::Notify,
}

impl Deadline {
  pub fn new(at: Option<std::time::Instant>) -> std::sync::Arc<Self> {
    std::sync::Arc::new(Self {
      at: std::sync::Mutex::new(at),
      moved: tokio::sync::Notify::new(),
    })
  }

  /// `None`: no limit.
  pub fn get(&self) -> Option<std::time::Instant> {
    *self.at.lock().unwrap()
  }

  pub fn set(&self, at: Option<std::time::Instant>) {
    *self.at.lock().unwrap() = at;
    // Stores a permit if the front end is not waiting yet.
    self.moved.notify_one();
  }

  /// Resolves after the next `set`.
  pub async fn moved(&self) {
    self.moved.notified().await;
  }
}

pub enum Reply {
  Response(ResponseHead),
  /// The app accepted the WebSocket handshake: the front end completes it
  /// and relays frames through these channels.
  Upgrade(SocketLink),
  /// The app failed this request; the front end answers JSON, with the
  /// status the kind calls for.
  Failed {
    kind: Failure,
    message: String,
  },
}

/// Why a worker could not answer a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
  /// The request cannot be served as asked (bad percent-encoding, a
  /// method the app's server does not take).
  BadRequest,
  MethodNotAllowed,
  /// A path that leaves the app's folder.
  Forbidden,
  NotFound,
  /// The app threw, or did not load.
  AppError,
  /// The worker was stopped (memory limit, a request past its timeout).
  Stopped,
}

impl Failure {
  /// The kind as `runtime-js/` names it; unknown names are app errors.
  pub fn from_name(name: &str) -> Self {
    match name {
      "bad_request" => Self::BadRequest,
      "method_not_allowed" => Self::MethodNotAllowed,
      "forbidden" => Self::Forbidden,
      "not_found" => Self::NotFound,
      "stopped" => Self::Stopped,
      _ => Self::AppError,
    }
  }
}

pub struct ResponseHead {
  pub status: u16,
  pub headers: HeaderMap,
  pub body: ResponseBody,
}

pub enum ResponseBody {
  Full(Bytes),
  /// Chunks as the app writes them; `aborted` is set when the app's
  /// stream failed (or its worker stopped) before it ended, so the client
  /// sees a cut body rather than a complete-looking one.
  Stream {
    chunks: mpsc::Receiver<Bytes>,
    aborted: std::sync::Arc<std::sync::atomic::AtomicBool>,
  },
}

/// The front end's half of an app's WebSocket.
pub struct SocketLink {
  /// Extra response headers from `server.upgrade(req, { headers })`.
  pub headers: HeaderMap,
  pub to_client: mpsc::UnboundedReceiver<SocketOut>,
  pub from_client: SocketInbox,
  /// Bytes the app queued that the client has not taken yet: `ws.send`
  /// reports backpressure above a limit, and `drain` fires when it empties.
  pub queued: std::sync::Arc<std::sync::atomic::AtomicUsize>,
  /// Set when `ws.send` reported backpressure: the relay sends
  /// [`SocketIn::Drain`] once `queued` is back to zero.
  pub backpressured: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

/// Where a relay sends its socket's events: one channel per worker, each
/// event tagged with its socket's id, so the worker takes the events of all
/// its sockets in one batch.
#[derive(Clone)]
pub struct SocketInbox {
  pub sid: u32,
  pub tx: mpsc::UnboundedSender<(u32, SocketIn)>,
  /// Payload bytes sent and not yet taken by JS: the relay stops reading
  /// the client while this is over its limit.
  pub pending: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl SocketInbox {
  /// False when the worker is gone.
  pub fn send(&self, event: SocketIn) -> bool {
    self
      .pending
      .fetch_add(event.payload_len(), std::sync::atomic::Ordering::AcqRel);
    self.tx.send((self.sid, event)).is_ok()
  }

  pub fn pending(&self) -> usize {
    self.pending.load(std::sync::atomic::Ordering::Acquire)
  }
}

/// From the app to the client.
pub enum SocketOut {
  Text(String),
  Binary(Bytes),
  Ping(Bytes),
  Pong(Bytes),
  Close(u16, String),
}

/// From the client (or the relay) to the app.
pub enum SocketIn {
  Text(String),
  Binary(Bytes),
  Ping(Bytes),
  Pong(Bytes),
  /// The socket ended: the client's close code and reason, 1006 when the
  /// connection dropped, 1009 for a message over the size limit.
  Close(u16, String),
  /// The client took everything queued after `ws.send` reported -1.
  Drain,
}

impl SocketIn {
  pub fn payload_len(&self) -> usize {
    match self {
      SocketIn::Text(text) => text.len(),
      SocketIn::Binary(data) | SocketIn::Ping(data) | SocketIn::Pong(data) => data.len(),
      SocketIn::Close(..) | SocketIn::Drain => 0,
    }
  }
}
