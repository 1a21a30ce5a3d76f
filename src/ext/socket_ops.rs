//! Ops behind Bun-style WebSocket apps (`server.upgrade(req)` and the
//! app's `websocket` handlers): the socket lives in the worker that
//! accepted it; frames cross to the front end's relay over channels.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use deno_core::{op2, ByteString, OpState, ToJsBuffer};
use deno_error::JsErrorBox;
use http::header::{HeaderName, HeaderValue};
use http::HeaderMap;
use serde::Serialize;
use tokio::sync::mpsc;

use super::exchange_ops::InFlight;
use super::protocol::{Reply, SocketIn, SocketInbox, SocketLink, SocketOut};

/// Above this many queued bytes `ws.send` answers -1 (Bun's backpressure
/// signal): the message that crosses the limit is queued, and nothing more
/// is until the client has taken enough (`drain` tells the app when).
const BACKPRESSURE_LIMIT: usize = 16 << 20;

/// Payload bytes one `op_socket_events` batch takes beyond its first
/// event: what JS holds at once stays bounded whatever the sockets send.
const EVENT_BATCH_BYTES: usize = 1 << 20;

/// Open sockets of this worker; shared with the pool, which keeps a worker
/// with open sockets as its app's worker.
#[derive(Clone, Default)]
pub struct OpenSockets(pub Arc<AtomicUsize>);

struct Socket {
  to_client: mpsc::UnboundedSender<SocketOut>,
  queued: Arc<AtomicUsize>,
  /// Client bytes on their way to JS (see [`SocketInbox::pending`]).
  pending: Arc<AtomicUsize>,
  /// `send` reported backpressure; `drain` is due once the queue empties.
  backpressured: Arc<AtomicBool>,
}

pub struct Sockets {
  next_id: u32,
  open: HashMap<u32, Socket>,
  /// Every socket's events, tagged with its id (see [`SocketInbox`]).
  events_tx: mpsc::UnboundedSender<(u32, SocketIn)>,
  events_rx: Rc<RefCell<mpsc::UnboundedReceiver<(u32, SocketIn)>>>,
}

impl Default for Sockets {
  fn default() -> Self {
    let (events_tx, events_rx) = mpsc::unbounded_channel();
    Self {
      next_id: 0,
      open: HashMap::new(),
      events_tx,
      events_rx: Rc::new(RefCell::new(events_rx)),
    }
  }
}

/// Accepts the WebSocket handshake of request `id`; 0 when the request is
/// not an upgradable one (or was already answered).
#[op2]
pub fn op_socket_upgrade(
  state: &mut OpState,
  #[smi] id: u32,
  #[serde] headers: Vec<(ByteString, ByteString)>,
) -> Result<u32, JsErrorBox> {
  let Some(reply) = state.borrow_mut::<InFlight>().take_upgradable(id) else {
    return Ok(0);
  };
  let mut extra = HeaderMap::new();
  for (name, value) in headers {
    let name = HeaderName::from_bytes(&name)
      .map_err(|_| JsErrorBox::type_error("invalid header name in server.upgrade()"))?;
    let value = HeaderValue::from_bytes(&value)
      .map_err(|_| JsErrorBox::type_error("invalid header value in server.upgrade()"))?;
    extra.append(name, value);
  }
  let sockets = state.borrow_mut::<Sockets>();
  sockets.next_id = sockets.next_id.wrapping_add(1).max(1);
  let sid = sockets.next_id;
  let (to_client_tx, to_client_rx) = mpsc::unbounded_channel();
  let queued = Arc::new(AtomicUsize::new(0));
  let pending = Arc::new(AtomicUsize::new(0));
  let backpressured = Arc::new(AtomicBool::new(false));
  let link = SocketLink {
    headers: extra,
    to_client: to_client_rx,
    from_client: SocketInbox {
      sid,
      tx: sockets.events_tx.clone(),
      pending: pending.clone(),
    },
    queued: queued.clone(),
    backpressured: backpressured.clone(),
  };
  if reply.send(Reply::Upgrade(link)).is_err() {
    // The client left before the handshake completed.
    return Ok(0);
  }
  sockets.open.insert(
    sid,
    Socket {
      to_client: to_client_tx,
      queued,
      pending,
      backpressured,
    },
  );
  state
    .borrow::<OpenSockets>()
    .0
    .fetch_add(1, Ordering::AcqRel);
  Ok(sid)
}

/// One field of a socket event as it crosses to JS.
#[derive(Serialize)]
#[serde(untagged)]
pub enum EventField {
  Number(u32),
  Text(String),
  Bytes(ToJsBuffer),
  Null,
}

/// Most events handed to JS at once.
const EVENT_BATCH: usize = 1024;

/// The next events of this worker's sockets: waits for one, then takes
/// whatever else is queued. Flat, five fields per event: `sid, kind,
/// payload, code, reason`; kind 0 text, 1 binary, 2 ping, 3 pong, 4 drain,
/// 5 close (the socket's last event).
#[op2]
#[serde]
pub async fn op_socket_events(state: Rc<RefCell<OpState>>) -> Vec<EventField> {
  let receiver = state.borrow().borrow::<Sockets>().events_rx.clone();
  let mut events = Vec::new();
  let first = std::future::poll_fn(|cx| receiver.borrow_mut().poll_recv(cx)).await;
  let Some(first) = first else {
    return events;
  };
  let mut next = Some(first);
  let mut taken = 0;
  let mut bytes = 0;
  while let Some((sid, event)) = next.take() {
    let len = event.payload_len();
    bytes += len;
    if let Some(socket) = state.borrow().borrow::<Sockets>().open.get(&sid) {
      socket.pending.fetch_sub(len, Ordering::AcqRel);
    }
    let (kind, payload, code, reason) = match event {
      SocketIn::Text(text) => (0, EventField::Text(text), 0, String::new()),
      SocketIn::Binary(data) => (1, EventField::Bytes(data.to_vec().into()), 0, String::new()),
      SocketIn::Ping(data) => (2, EventField::Bytes(data.to_vec().into()), 0, String::new()),
      SocketIn::Pong(data) => (3, EventField::Bytes(data.to_vec().into()), 0, String::new()),
      SocketIn::Drain => (4, EventField::Null, 0, String::new()),
      SocketIn::Close(code, reason) => (5, EventField::Null, code, reason),
    };
    events.push(EventField::Number(sid));
    events.push(EventField::Number(kind));
    events.push(payload);
    events.push(EventField::Number(u32::from(code)));
    events.push(EventField::Text(reason));
    taken += 1;
    if taken < EVENT_BATCH && bytes < EVENT_BATCH_BYTES {
      next = receiver.borrow_mut().try_recv().ok();
    }
  }
  events
}

fn queue(state: &mut OpState, sid: u32, message: SocketOut, len: usize) -> i32 {
  let Some(socket) = state.borrow::<Sockets>().open.get(&sid) else {
    return 0;
  };
  // Already over the limit: the app was told (-1) and should wait for
  // `drain`; queueing more would grow without bound.
  if socket.queued.load(Ordering::Acquire) >= BACKPRESSURE_LIMIT {
    socket.backpressured.store(true, Ordering::Release);
    return -1;
  }
  let before = socket.queued.fetch_add(len, Ordering::AcqRel);
  if socket.to_client.send(message).is_err() {
    return 0;
  }
  if before + len > BACKPRESSURE_LIMIT {
    socket.backpressured.store(true, Ordering::Release);
    return -1;
  }
  i32::try_from(len).unwrap_or(i32::MAX)
}

/// `ws.send(text)`: bytes queued, -1 under backpressure (queued if this
/// message crossed the limit, dropped if the queue was over it already),
/// 0 when closed.
#[op2(fast)]
pub fn op_socket_send_text(state: &mut OpState, #[smi] sid: u32, #[string] text: String) -> i32 {
  let len = text.len();
  queue(state, sid, SocketOut::Text(text), len)
}

#[op2(fast)]
pub fn op_socket_send_binary(
  state: &mut OpState,
  #[smi] sid: u32,
  #[buffer(copy)] data: Vec<u8>,
) -> i32 {
  let len = data.len();
  queue(state, sid, SocketOut::Binary(Bytes::from(data)), len)
}

/// `ws.ping(data)` / `ws.pong(data)`.
#[op2(fast)]
pub fn op_socket_control(
  state: &mut OpState,
  #[smi] sid: u32,
  pong: bool,
  #[buffer(copy)] data: Vec<u8>,
) -> i32 {
  let len = data.len();
  let data = Bytes::from(data);
  let message = if pong {
    SocketOut::Pong(data)
  } else {
    SocketOut::Ping(data)
  };
  queue(state, sid, message, len)
}

/// `ws.close(code, reason)`: starts the closing handshake; the "close"
/// event follows when the client answers.
#[op2(fast)]
pub fn op_socket_close(
  state: &mut OpState,
  #[smi] sid: u32,
  #[smi] code: u32,
  #[string] reason: String,
) {
  if let Some(socket) = state.borrow::<Sockets>().open.get(&sid) {
    let code = u16::try_from(code).unwrap_or(1000);
    let _ = socket.to_client.send(SocketOut::Close(code, reason));
  }
}

/// After the "close" event: the socket is gone.
#[op2(fast)]
pub fn op_socket_forget(state: &mut OpState, #[smi] sid: u32) {
  if state.borrow_mut::<Sockets>().open.remove(&sid).is_some() {
    state
      .borrow::<OpenSockets>()
      .0
      .fetch_sub(1, Ordering::AcqRel);
  }
}

/// Bytes waiting for the client (`ws.getBufferedAmount()`).
#[op2(fast)]
#[number]
pub fn op_socket_buffered(state: &mut OpState, #[smi] sid: u32) -> u64 {
  state
    .borrow::<Sockets>()
    .open
    .get(&sid)
    .map_or(0, |s| s.queued.load(Ordering::Acquire) as u64)
}
