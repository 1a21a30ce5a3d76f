//! The front end's half of an app's WebSocket: relays frames between the
//! client and the worker that accepted it (`server.upgrade(req)`), enforces
//! the size and idle limits, and tells the app when its queue drained.

use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures::{SinkExt, StreamExt};

use crate::ext::protocol::{SocketIn, SocketLink, SocketOut};

/// How long a client has to answer the app's close frame.
const CLOSE_ANSWER_WAIT: Duration = Duration::from_secs(5);

/// A paused client (see `relay`) is looked at this often, and closed with
/// 1008 once it has been paused this long.
const RECEIVE_POLL: Duration = Duration::from_millis(10);
const RECEIVE_PAUSE_MAX: Duration = Duration::from_secs(5);

pub struct Limits {
  pub max_payload: usize,
  pub idle: Duration,
}

fn close(code: u16, reason: &str) -> Message {
  Message::Close(Some(CloseFrame {
    code,
    reason: reason.into(),
  }))
}

pub async fn relay(socket: WebSocket, link: SocketLink, limits: Limits) {
  // On a worker thread (a connection it adopted), the thread outlives the
  // isolate until the socket is done.
  let _hold = crate::worker::ThreadHold::take();
  let SocketLink {
    mut to_client,
    from_client,
    queued,
    backpressured,
    ..
  } = link;
  let (mut sink, mut stream) = socket.split();
  // The app's close code once it closed; the client's answer ends the relay.
  let mut app_closed: Option<(u16, String)> = None;
  // A client sending faster than the app takes its messages is not read
  // (TCP pushes back) while this much waits for the app; one that stays
  // ahead past RECEIVE_PAUSE_MAX is closed.
  let receive_limit = limits.max_payload.saturating_mul(2);
  let mut paused_since: Option<tokio::time::Instant> = None;
  loop {
    if paused_since.is_none() && from_client.pending() > receive_limit {
      paused_since = Some(tokio::time::Instant::now());
    }
    tokio::select! {
      () = tokio::time::sleep(RECEIVE_POLL), if paused_since.is_some() => {
        if from_client.pending() <= receive_limit / 2 {
          paused_since = None;
        } else if paused_since.is_some_and(|at| at.elapsed() >= RECEIVE_PAUSE_MAX) {
          let reason = "the app is not keeping up with this client";
          let _ = sink.send(close(1008, reason)).await;
          let _ = from_client.send(SocketIn::Close(1008, reason.into()));
          break;
        }
      }
      out = to_client.recv() => {
        let Some(out) = out else {
          // The worker is gone (crashed, killed): tell the client why.
          let _ = sink.send(close(1011, "app worker stopped")).await;
          break;
        };
        // Everything the app queued so far goes out with one flush.
        let mut sent = Ok(());
        let mut written = 0;
        let mut next = Some(out);
        while let Some(out) = next.take() {
          let (message, len) = match out {
            SocketOut::Text(text) => { let len = text.len(); (Message::Text(text.into()), len) }
            SocketOut::Binary(data) => { let len = data.len(); (Message::Binary(data), len) }
            SocketOut::Ping(data) => { let len = data.len(); (Message::Ping(data), len) }
            SocketOut::Pong(data) => { let len = data.len(); (Message::Pong(data), len) }
            SocketOut::Close(code, reason) => {
              app_closed = Some((code, reason.clone()));
              (close(code, &reason), 0)
            }
          };
          written += len;
          sent = sink.feed(message).await;
          if sent.is_err() || app_closed.is_some() {
            break;
          }
          next = to_client.try_recv().ok();
        }
        if sent.is_ok() {
          sent = sink.flush().await;
        }
        let left = queued.fetch_sub(written, Ordering::AcqRel) - written;
        if sent.is_err() {
          let _ = from_client.send(SocketIn::Close(1006, String::new()));
          break;
        }
        if left == 0 && backpressured.swap(false, Ordering::AcqRel) {
          let _ = from_client.send(SocketIn::Drain);
        }
      }
      incoming = tokio::time::timeout(
        if app_closed.is_some() { CLOSE_ANSWER_WAIT } else { limits.idle },
        stream.next(),
      ), if paused_since.is_none() => {
        let event = match incoming {
          // The app closed and the client never answered: done anyway.
          Err(_) if app_closed.is_some() => {
            let (code, reason) = app_closed.take().unwrap_or((1000, String::new()));
            SocketIn::Close(code, reason)
          }
          Err(_) => {
            let _ = sink.send(close(1001, "idle timeout")).await;
            SocketIn::Close(1001, "idle timeout".into())
          }
          Ok(None) => SocketIn::Close(1006, String::new()),
          Ok(Some(Err(_))) => {
            // axum reports an over-size message as an error (its limit is
            // set above ours, so this is a broken connection).
            SocketIn::Close(1006, String::new())
          }
          Ok(Some(Ok(message))) => match message {
            Message::Text(text) if text.len() > limits.max_payload => too_big(&mut sink).await,
            Message::Binary(data) if data.len() > limits.max_payload => too_big(&mut sink).await,
            Message::Text(text) => SocketIn::Text(text.to_string()),
            Message::Binary(data) => SocketIn::Binary(data),
            Message::Ping(data) => SocketIn::Ping(data),
            Message::Pong(data) => SocketIn::Pong(data),
            Message::Close(frame) => {
              let (code, reason) = frame
                .map(|f| (f.code, f.reason.to_string()))
                .or(app_closed.take())
                .unwrap_or((1005, String::new()));
              SocketIn::Close(code, reason)
            }
          },
        };
        let last = matches!(event, SocketIn::Close(..));
        let _ = from_client.send(event);
        if last {
          break;
        }
      }
    }
  }
  let _ = sink.close().await;
}

async fn too_big(sink: &mut futures::stream::SplitSink<WebSocket, Message>) -> SocketIn {
  let _ = sink.send(close(1009, "message too big")).await;
  SocketIn::Close(1009, "message too big".into())
}
