//! Ops behind `runtime-js/30_serve.js`: the worker's inbox, requests in,
//! responses out, and the per-isolate state they share.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;

use bytes::Bytes;
use deno_core::{op2, ByteString, JsBuffer, OpState};
use deno_error::JsErrorBox;
use http::header::{HeaderName, HeaderValue, CONTENT_TYPE};
use http::HeaderMap;
use http_body_util::BodyExt;
use tokio::sync::{mpsc, oneshot, Notify};

use super::incoming::{method_code, IncomingMessage};
use super::protocol::{
  Failure, Reply, RequestBody, RequestJob, ResponseBody, ResponseHead, WorkerMessage,
  RESPONSE_CHUNK_BUFFER,
};

/// Per-isolate facts the ops need, put into `OpState` when the worker starts.
pub struct WorkerContext {
  /// `name@version`, for logs.
  pub app_key: String,
  /// Canonical app folder: nothing outside it is ever read.
  pub app_root: PathBuf,
  /// Canonical folder of a static app's entrypoint; files are served from it.
  pub static_root: PathBuf,
}

/// Set when the server stops this worker (a timeout it did not return
/// from, the heap limit): long-running Rust work (an SQLite query) checks
/// it and gives up, since V8's termination cannot reach native code.
#[derive(Clone, Default)]
pub struct StopFlag(pub Arc<std::sync::atomic::AtomicBool>);

impl StopFlag {
  pub fn is_set(&self) -> bool {
    self.0.load(std::sync::atomic::Ordering::Acquire)
  }
}

/// The worker's inbox. Borrowed only while polled, never across an await,
/// so the worker can close and drain it while the serve loop waits on it.
#[derive(Clone)]
pub struct Inbox(
  pub Rc<RefCell<mpsc::UnboundedReceiver<WorkerMessage>>>,
  /// The worker's stop flag, read with every batch.
  pub StopFlag,
);

/// Starts serving a client connection on this worker's thread.
#[derive(Clone)]
pub struct ConnectionHost(pub Rc<dyn Fn(super::protocol::ConnectionTask)>);

/// Signalled by JS once the inbox is closed and every in-flight request has
/// finished, so the thread can stop even if the app left timers running.
#[derive(Clone, Default)]
pub struct DoneSignal(pub Rc<Notify>);

/// Requests handed to JS and not yet answered, by id. (foldhash: each
/// request looks its slot up several times, and SipHash is made for keys a
/// client picks; these are sequential numbers of our own.)
#[derive(Default)]
pub struct InFlight {
  next_id: u32,
  slots: HashMap<u32, Slot, foldhash::fast::RandomState>,
  /// The request ids of the latest requests, by `id % RECENT`: a log line
  /// written after its request was answered still finds its id.
  recent: Vec<(u32, Option<HeaderValue>)>,
}

const RECENT: usize = 64;

#[derive(Default)]
struct Slot {
  body: Option<RequestBody>,
  reply: Option<oneshot::Sender<Reply>>,
  /// A streamed answer's chunks, and the flag that cuts it short when it
  /// fails (see [`ResponseBody::Stream`]).
  stream: Option<(mpsc::Sender<Bytes>, Arc<std::sync::atomic::AtomicBool>)>,
  deadline: Option<std::sync::Arc<super::protocol::Deadline>>,
  upgradable: bool,
  /// The request's headers until JS asks for them: most handlers never
  /// read one, so they do not cross into V8 unless read.
  headers: Option<HeaderMap>,
  /// `x-base`, added to the headers when JS reads them.
  base: Option<HeaderValue>,
  /// `x-request-id`, the same.
  request_id: Option<HeaderValue>,
  remote: Option<std::net::SocketAddr>,
}

impl Slot {
  /// A streamed body that started is cut short, not ended.
  fn abort_stream(&self) {
    if let Some((_, aborted)) = &self.stream {
      aborted.store(true, std::sync::atomic::Ordering::Release);
    }
  }
}

impl InFlight {
  /// The request id of request `id`, while it is among the latest.
  pub fn request_id_of(&self, id: u32) -> Option<HeaderValue> {
    match self.recent.get(id as usize % RECENT) {
      Some((recorded, value)) if *recorded == id => value.clone(),
      _ => None,
    }
  }

  /// Hands every unanswered reply to `fail` and forgets all requests.
  pub fn fail_all(&mut self, mut fail: impl FnMut(oneshot::Sender<Reply>)) {
    for (_, slot) in self.slots.drain() {
      slot.abort_stream();
      if let Some(reply) = slot.reply {
        fail(reply);
      }
    }
  }

  fn slot(&mut self, id: u32) -> Result<&mut Slot, JsErrorBox> {
    self
      .slots
      .get_mut(&id)
      .ok_or_else(|| JsErrorBox::type_error(format!("request {id} is already answered")))
  }

  /// The reply channel of a WebSocket handshake request, for
  /// `server.upgrade`; the request is then done as far as HTTP goes.
  pub(super) fn take_upgradable(&mut self, id: u32) -> Option<oneshot::Sender<Reply>> {
    let slot = self.slots.get_mut(&id)?;
    if !slot.upgradable {
      return None;
    }
    let reply = slot.reply.take()?;
    self.slots.remove(&id);
    Some(reply)
  }

  /// The request's headers while they wait here (JS took none of them).
  pub(super) fn headers_of(&self, id: u32) -> Option<&HeaderMap> {
    self.slots.get(&id).and_then(|slot| slot.headers.as_ref())
  }

  /// Sends the reply once; a client that went away is not an error here.
  pub(super) fn reply(&mut self, id: u32, reply: Reply) -> Result<(), JsErrorBox> {
    let slot = self.slot(id)?;
    let sender = slot
      .reply
      .take()
      .ok_or_else(|| JsErrorBox::type_error(format!("request {id} is already answered")))?;
    let _ = sender.send(reply);
    if slot.stream.is_none() {
      self.slots.remove(&id);
    }
    Ok(())
  }
}

/// Messages one `op_exchange_next` call hands over at most.
const BATCH: usize = 64;

/// The next messages for JS, in order: waits for one, then takes whatever
/// else is already queued (several connections' requests arrive between
/// two turns of the event loop; one op completion serves them all).
#[op2]
pub async fn op_exchange_next(
  state: Rc<RefCell<OpState>>,
) -> Result<Vec<IncomingMessage>, JsErrorBox> {
  let inbox = state.borrow().borrow::<Inbox>().clone();
  let stopped = inbox.1.is_set();
  let mut batch = Vec::new();
  // A stopped worker takes nothing more: what is queued is failed when
  // its thread ends (V8's termination may be spent by then, on the native
  // call it interrupted).
  if stopped {
    inbox.0.borrow_mut().close();
    batch.push(IncomingMessage::bare(2));
    return Ok(batch);
  }
  while batch.len() < BATCH {
    // Waits while JS has nothing yet; then takes only what is queued.
    let message = if batch.is_empty() {
      std::future::poll_fn(|cx| inbox.0.borrow_mut().poll_recv(cx)).await
    } else {
      let next = inbox.0.borrow_mut().try_recv();
      match next {
        Ok(next) => Some(next),
        Err(mpsc::error::TryRecvError::Disconnected) => None,
        Err(mpsc::error::TryRecvError::Empty) => break,
      }
    };
    match message {
      None => {
        batch.push(IncomingMessage::bare(2));
        break;
      }
      Some(WorkerMessage::Idle) => batch.push(IncomingMessage::bare(1)),
      Some(WorkerMessage::GoingAway) => batch.push(IncomingMessage::bare(3)),
      Some(WorkerMessage::Request(job)) => batch.push(take_request(&state, *job)),
      // Not for JS: its requests arrive here like any others.
      Some(WorkerMessage::Connection(task)) => {
        let host = state.borrow().try_borrow::<ConnectionHost>().cloned();
        if let Some(host) = host {
          (host.0)(task);
        }
      }
    }
  }
  Ok(batch)
}

/// Keeps a request's head, body and reply channel in a new slot; returns
/// what JS gets of it.
fn take_request(state: &RefCell<OpState>, job: RequestJob) -> IncomingMessage {
  let mut state = state.borrow_mut();
  let in_flight = state.borrow_mut::<InFlight>();
  let id = in_flight.next_id;
  in_flight.next_id = in_flight.next_id.wrapping_add(1);
  if in_flight.recent.is_empty() {
    in_flight.recent.resize(RECENT, (u32::MAX, None));
  }
  in_flight.recent[id as usize % RECENT] = (id, job.request_id.clone());
  let flags =
    u8::from(job.body.is_some() || job.full_body.is_some()) | u8::from(job.upgradable) << 1;
  in_flight.slots.insert(
    id,
    Slot {
      body: job.body,
      reply: Some(job.reply),
      stream: None,
      deadline: Some(job.deadline),
      upgradable: job.upgradable,
      headers: Some(job.headers),
      base: job.base,
      request_id: job.request_id,
      remote: job.remote,
    },
  );
  IncomingMessage(
    0,
    id,
    method_code(&job.method),
    job.url,
    flags,
    job.full_body,
  )
}

/// The request's headers as a flat `[name, value, ...]` list, with
/// `x-base` and `x-request-id` last (a client's own are dropped). Read once: JS keeps
/// them. `None` once the request has been answered.
#[op2]
#[serde]
pub fn op_exchange_headers(state: &mut OpState, #[smi] id: u32) -> Option<Vec<ByteString>> {
  let slot = state.borrow_mut::<InFlight>().slots.get_mut(&id)?;
  let headers = slot.headers.take()?;
  let request_id = slot.request_id.take();
  let mut flat = Vec::with_capacity(headers.len() * 2 + 4);
  for (name, value) in headers.iter() {
    if name == "x-base" || (name == "x-request-id" && request_id.is_some()) {
      continue;
    }
    flat.push(ByteString::from(name.as_str()));
    flat.push(ByteString::from(value.as_bytes()));
  }
  if let Some(base) = &slot.base {
    flat.push(ByteString::from("x-base"));
    flat.push(ByteString::from(base.as_bytes()));
  }
  // The front end's id (the client's own when sane) replaces the client's.
  if let Some(request_id) = request_id {
    flat.push(ByteString::from("x-request-id"));
    flat.push(ByteString::from(request_id.as_bytes()));
  }
  Some(flat)
}

/// The client's address and port, when known and the request is still
/// being answered.
#[op2]
#[serde]
pub fn op_exchange_remote(state: &mut OpState, #[smi] id: u32) -> Option<(String, u16)> {
  let remote = state.borrow::<InFlight>().slots.get(&id)?.remote?;
  Some((remote.ip().to_string(), remote.port()))
}

/// `server.timeout(req, seconds)`: the front end now waits `seconds` from
/// now for this request's answer (0: no limit).
#[op2(fast)]
pub fn op_exchange_set_timeout(state: &mut OpState, #[smi] id: u32, seconds: f64) {
  let in_flight = state.borrow_mut::<InFlight>();
  let Some(slot) = in_flight.slots.get_mut(&id) else {
    return;
  };
  if let Some(deadline) = &slot.deadline {
    let limit = (seconds > 0.0)
      .then(|| std::time::Instant::now() + std::time::Duration::from_secs_f64(seconds.min(1e9)));
    deadline.set(limit);
  }
}

/// Next chunk of the request body; an empty buffer means the body ended.
#[op2]
#[buffer]
pub async fn op_exchange_body_read(
  state: Rc<RefCell<OpState>>,
  #[smi] id: u32,
) -> Result<Vec<u8>, JsErrorBox> {
  let body = state
    .borrow_mut()
    .borrow_mut::<InFlight>()
    .slot(id)?
    .body
    .take();
  let Some(mut body) = body else {
    return Ok(Vec::new());
  };
  loop {
    match body.frame().await {
      None => return Ok(Vec::new()),
      Some(Err(err)) => {
        return Err(JsErrorBox::type_error(format!(
          "request body failed: {err}"
        )));
      }
      Some(Ok(frame)) => {
        if let Ok(data) = frame.into_data() {
          if data.is_empty() {
            continue;
          }
          // Put the body back for the next read (the slot may be gone if the
          // request was answered meanwhile; then the rest is dropped).
          if let Ok(slot) = state.borrow_mut().borrow_mut::<InFlight>().slot(id) {
            slot.body = Some(body);
          }
          return Ok(data.to_vec());
        }
      }
    }
  }
}

/// `flat`: name, value, name, value, … (one flat array crosses from V8
/// cheaper than an array of pairs).
fn header_map(status: u16, flat: Vec<ByteString>) -> Result<HeaderMap, JsErrorBox> {
  if !flat.len().is_multiple_of(2) {
    return Err(JsErrorBox::type_error(
      "response headers must come in name/value pairs",
    ));
  }
  // Room for what the front end adds: content-length, x-request-id.
  let mut headers = HeaderMap::with_capacity(flat.len() / 2 + 2);
  for pair in flat.chunks_exact(2) {
    let (name, value) = (&pair[0], &pair[1]);
    let name = HeaderName::from_bytes(name).map_err(|_| {
      JsErrorBox::type_error(format!(
        "invalid header name {:?}",
        String::from_utf8_lossy(name)
      ))
    })?;
    let value = HeaderValue::from_bytes(value)
      .map_err(|_| JsErrorBox::type_error(format!("invalid value for header {name}")))?;
    headers.append(name, value);
  }
  default_content_type(&mut headers, status);
  Ok(headers)
}

/// The contract: a response without a content type is plain UTF-8 text.
/// Null-body statuses carry no content, so no type either.
fn default_content_type(headers: &mut HeaderMap, status: u16) {
  if !headers.contains_key(CONTENT_TYPE) && !matches!(status, 101 | 204 | 205 | 304) {
    headers.insert(
      CONTENT_TYPE,
      HeaderValue::from_static("text/plain; charset=utf-8"),
    );
  }
}

fn check_status(status: u32) -> Result<u16, JsErrorBox> {
  match u16::try_from(status) {
    Ok(s @ 200..=599) | Ok(s @ 101) => Ok(s),
    _ => Err(JsErrorBox::range_error(format!(
      "invalid response status {status}"
    ))),
  }
}

fn respond_full(
  state: &mut OpState,
  id: u32,
  status: u32,
  headers: Vec<ByteString>,
  body: Bytes,
) -> Result<(), JsErrorBox> {
  let status = check_status(status)?;
  let headers = header_map(status, headers)?;
  reply_full(state, id, status, headers, body)
}

fn reply_full(
  state: &mut OpState,
  id: u32,
  status: u16,
  headers: HeaderMap,
  body: Bytes,
) -> Result<(), JsErrorBox> {
  let head = ResponseHead {
    status,
    headers,
    body: ResponseBody::Full(body),
  };
  state
    .borrow_mut::<InFlight>()
    .reply(id, Reply::Response(head))
}

#[op2]
pub fn op_exchange_respond_text(
  state: &mut OpState,
  #[smi] id: u32,
  #[smi] status: u32,
  #[serde] headers: Vec<ByteString>,
  #[string] body: String,
) -> Result<(), JsErrorBox> {
  respond_full(state, id, status, headers, Bytes::from(body))
}

/// The types `new Response(text)`, `Response.json()` and the usual
/// frameworks set, without copying them per response.
fn content_type_value(content_type: &str) -> Result<HeaderValue, JsErrorBox> {
  const KNOWN: [&str; 6] = [
    "text/plain;charset=UTF-8",
    "application/json",
    "text/html;charset=UTF-8",
    "text/plain; charset=UTF-8",
    "application/json; charset=UTF-8",
    "text/html; charset=UTF-8",
  ];
  if let Some(known) = KNOWN.iter().find(|known| **known == content_type) {
    return Ok(HeaderValue::from_static(known));
  }
  HeaderValue::from_str(content_type)
    .map_err(|_| JsErrorBox::type_error("invalid value for header content-type"))
}

/// A string body whose only header is its content type (`new Response("hi")`,
/// `Response.json(...)`, `c.text()`): no header list crosses from V8.
/// Called from the snapshot's serve loop it is a V8 slow call all the same:
/// deno_core bakes every op's slow entry into snapshotted modules (a uprobe
/// on its fast entry: never reached). Taken from `core.ops` after deno_core
/// re-attaches the fast entries (its first load of a module from outside
/// the snapshot does that, for every op at once) it was a fast call, with
/// no CPU-per-request change beyond noise: not worth that pass at start-up.
#[op2(fast)]
pub fn op_exchange_respond_typed(
  state: &mut OpState,
  #[smi] id: u32,
  #[smi] status: u32,
  #[string] content_type: &str,
  #[string] body: &str,
) -> Result<(), JsErrorBox> {
  let status = check_status(status)?;
  // Content type, then the front end's content-length and x-request-id.
  let mut headers = HeaderMap::with_capacity(3);
  if content_type.is_empty() {
    default_content_type(&mut headers, status);
  } else {
    headers.insert(CONTENT_TYPE, content_type_value(content_type)?);
  }
  let body = Bytes::copy_from_slice(body.as_bytes());
  reply_full(state, id, status, headers, body)
}

#[op2]
pub fn op_exchange_respond_bytes(
  state: &mut OpState,
  #[smi] id: u32,
  #[smi] status: u32,
  #[serde] headers: Vec<ByteString>,
  #[buffer] body: JsBuffer,
) -> Result<(), JsErrorBox> {
  // No copy: deno_fetch made the body's bytes a private copy when the
  // `Response` was built, so nothing else writes to them.
  respond_full(state, id, status, headers, Bytes::from_owner(body))
}

/// Sends the head now; the body follows through `op_exchange_write`.
#[op2]
pub fn op_exchange_respond_stream(
  state: &mut OpState,
  #[smi] id: u32,
  #[smi] status: u32,
  #[serde] headers: Vec<ByteString>,
) -> Result<(), JsErrorBox> {
  let status = check_status(status)?;
  let headers = header_map(status, headers)?;
  let (tx, rx) = mpsc::channel(RESPONSE_CHUNK_BUFFER);
  let aborted = Arc::<std::sync::atomic::AtomicBool>::default();
  let in_flight = state.borrow_mut::<InFlight>();
  in_flight.slot(id)?.stream = Some((tx, aborted.clone()));
  let head = ResponseHead {
    status,
    headers,
    body: ResponseBody::Stream {
      chunks: rx,
      aborted,
    },
  };
  in_flight.reply(id, Reply::Response(head))
}

/// Writes one chunk; resolves `false` once the client has gone away, so the
/// app's stream can be cancelled (an endless SSE stream stops here).
#[op2]
pub async fn op_exchange_write(
  state: Rc<RefCell<OpState>>,
  #[smi] id: u32,
  #[buffer] chunk: JsBuffer,
) -> Result<bool, JsErrorBox> {
  let sender = state
    .borrow_mut()
    .borrow_mut::<InFlight>()
    .slot(id)?
    .stream
    .as_ref()
    .map(|(sender, _)| sender.clone());
  let Some(sender) = sender else {
    return Err(JsErrorBox::type_error(format!(
      "request {id} has no streaming body"
    )));
  };
  // The chunk's own memory, kept alive until hyper has written it (as
  // Deno.serve does): a stream of 64 KB chunks is not copied again here.
  Ok(sender.send(Bytes::from_owner(chunk)).await.is_ok())
}

#[op2(fast)]
pub fn op_exchange_end(state: &mut OpState, #[smi] id: u32) {
  state.borrow_mut::<InFlight>().slots.remove(&id);
}

/// The app failed this request (exception, bad return value): the front end
/// answers JSON. If a streamed body already started, it is cut short.
#[op2(fast)]
pub fn op_exchange_fail(
  state: &mut OpState,
  #[smi] id: u32,
  #[string] kind: &str,
  #[string] message: &str,
) {
  let in_flight = state.borrow_mut::<InFlight>();
  if let Some(slot) = in_flight.slots.get_mut(&id) {
    slot.abort_stream();
    if let Some(reply) = slot.reply.take() {
      let _ = reply.send(Reply::Failed {
        kind: Failure::from_name(kind),
        message: message.to_string(),
      });
    }
  }
  in_flight.slots.remove(&id);
}

#[op2(fast)]
pub fn op_exchange_done(state: &mut OpState) {
  state.borrow::<DoneSignal>().0.notify_one();
}
