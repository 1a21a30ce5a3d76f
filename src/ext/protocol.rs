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
}

pub struct RequestJob {
  pub method: http::Method,
  /// Absolute URL as the app sees it (prefix removed, query kept).
  pub url: String,
  pub headers: HeaderMap,
  /// The client's socket address, when the listener knows it.
  pub remote: Option<std::net::SocketAddr>,
  /// `None` when the request has no body (GET, or an empty POST).
  pub body: Option<RequestBody>,
  pub reply: oneshot::Sender<Reply>,
  /// When the front end gives up waiting for the reply (`None`: never);
  /// the app moves it with `server.timeout(req, seconds)`.
  pub deadline: tokio::sync::watch::Sender<Option<std::time::Instant>>,
}

pub enum Reply {
  Response(ResponseHead),
  /// The app failed this request; the front end answers JSON.
  Failed {
    status: u16,
    message: String,
  },
}

pub struct ResponseHead {
  pub status: u16,
  pub headers: HeaderMap,
  pub body: ResponseBody,
}

pub enum ResponseBody {
  Full(Bytes),
  Stream(mpsc::Receiver<Bytes>),
}
