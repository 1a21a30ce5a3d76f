//! What a worker's reply becomes for the client: waiting for it under the
//! request's deadline, the response built from its head and body (hop
//! headers stripped, `<base href>` injected into HTML, no 1xx), and the
//! answers for a pool that could not take the request.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures::StreamExt;
use tokio::sync::oneshot;
use tokio_stream::wrappers::ReceiverStream;

use crate::ext::protocol::{Deadline, Reply, ResponseBody, ResponseHead};
use crate::front::html_base::inject_base;
use crate::http_error::HttpError;
use crate::pool::{Dispatched, PoolError};
use crate::proxy;

pub(crate) fn pool_error(key: &str, err: PoolError) -> Response {
  match err {
    err @ (PoolError::Full(_) | PoolError::FreshFull(_)) => HttpError::server_busy(err),
    err => HttpError::worker_unavailable(&err).logged(key, err),
  }
  .into_response()
}

/// The worker's reply, or `Err` once the request's deadline (which the app
/// may move with `server.timeout`) passes.
pub(crate) async fn wait_for_reply(
  mut reply_rx: oneshot::Receiver<Reply>,
  deadline: &Arc<Deadline>,
) -> Result<Result<Reply, oneshot::error::RecvError>, ()> {
  let received = if crate::coarse_timer::enabled_on_this_thread() {
    // The thread's coarse table reads the deadline as it moves.
    let expiry = crate::coarse_timer::CoarseSleep::watch(deadline.clone());
    tokio::select! {
      // The reply first: no random branch order to draw per request.
      biased;
      received = &mut reply_rx => received,
      () = expiry => return Err(()),
    }
  } else {
    // Boxed: tokio's timer entries are large, and this future is part of
    // every request's.
    Box::pin(wait_with_tokio_timer(reply_rx, deadline)).await?
  };
  // A worker stuck past the deadline on this very thread (a connection it
  // adopted) fails its requests once it is stopped: that is still a
  // timeout. (Its other late answers are caught in `answer`.)
  let failed = matches!(received, Ok(Reply::Failed { .. }));
  if failed && deadline.get().is_some_and(|at| Instant::now() >= at) {
    return Err(());
  }
  Ok(received)
}

/// [`wait_for_reply`] on the front end's runtime, which has no coarse table.
async fn wait_with_tokio_timer(
  mut reply_rx: oneshot::Receiver<Reply>,
  deadline: &Deadline,
) -> Result<Result<Reply, oneshot::error::RecvError>, ()> {
  loop {
    let at = deadline.get();
    let expiry = async {
      match at {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
      }
    };
    tokio::select! {
      biased;
      received = &mut reply_rx => return Ok(received),
      () = expiry => {
        // Moved later meanwhile: wait on.
        if deadline.get() == at {
          return Err(());
        }
      }
      () = deadline.moved() => {}
    }
  }
}

/// Builds the client's response. `dispatched` is held until the body has
/// been sent, so a streaming worker counts as busy until then.
pub(crate) fn into_response(
  head: ResponseHead,
  base: &str,
  is_head: bool,
  dispatched: Dispatched,
) -> Response {
  let ResponseHead {
    status,
    mut headers,
    body,
  } = head;
  // Connection-level headers belong to each hop, never to the app's answer.
  proxy::strip_hop_by_hop(&mut headers);
  let is_html = headers
    .get(header::CONTENT_TYPE)
    .and_then(|v| v.to_str().ok())
    .and_then(|v| v.trim_start().as_bytes().get(..9))
    .is_some_and(|prefix| prefix.eq_ignore_ascii_case(b"text/html"));
  let body = match body {
    ResponseBody::Full(bytes) => {
      let bytes = if is_html {
        match inject_base(&bytes, base) {
          Some(html) => {
            headers.remove(header::CONTENT_LENGTH);
            Bytes::from(html)
          }
          None => bytes,
        }
      } else {
        bytes
      };
      if is_head {
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
        Body::empty()
      } else {
        headers.remove(header::CONTENT_LENGTH);
        Body::from(bytes)
      }
    }
    ResponseBody::Stream { chunks, aborted } => {
      let chunks = ReceiverStream::new(chunks).map(move |chunk| {
        let _busy = &dispatched;
        Ok::<_, std::io::Error>(chunk)
      });
      // Once the chunks end: an error if the app's stream failed, which
      // makes hyper cut the body (no last chunk) instead of ending it.
      let cut =
        futures::stream::once(async move { aborted.load(std::sync::atomic::Ordering::Acquire) })
          .filter_map(|aborted| {
            std::future::ready(
              aborted.then(|| Err(std::io::Error::other("the app's stream failed"))),
            )
          });
      Body::from_stream(chunks.chain(cut))
    }
  };
  let mut response = Response::new(body);
  // An informational status (101 above all) on an ordinary response would
  // hand the connection to a protocol nobody speaks: only the WebSocket
  // upgrade path may answer 1xx.
  *response.status_mut() = StatusCode::from_u16(status)
    .ok()
    .filter(|status| !status.is_informational())
    .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
  *response.headers_mut() = headers;
  response
}

/// What a client may see of a failure the worker reported (an app's
/// exception, a load error): the message, and with `app_stack` (the app
/// runs with `NODE_ENV=development`) the stack frames in the app's own
/// files, as `index.js:1:7`. Never the server's frames; the log keeps all.
pub(crate) fn public_message(message: &str, app_stack: bool) -> String {
  const APP_URL: &str = "file:///app/";
  // A syntax error's position is part of what it says, not a stack.
  let app_stack = app_stack
    || message
      .lines()
      .next()
      .is_some_and(|first| first.contains("SyntaxError"));
  message
    .lines()
    .map(|line| line.replace(APP_URL, ""))
    .filter(|line| {
      let frame = line.trim_start().starts_with("at ");
      // What still names a URL after the app's own are shortened is the
      // server's (`ext:`, `node:`) or outside the app.
      let internal = ["ext:", "node:", "file://"]
        .iter()
        .any(|p| line.contains(p));
      !frame || (app_stack && !internal)
    })
    .collect::<Vec<_>>()
    .join("\n")
}

#[cfg(test)]
mod tests {
  use super::public_message;

  #[test]
  fn public_messages_keep_app_frames_only_in_development() {
    let message = "Error: boom\n    at fetch (file:///app/index.js:5:11)\n    at handle (ext:buntime/30_serve.js:1:2)\n    at x (node:internal/y:1:1)";
    assert_eq!(public_message(message, false), "Error: boom");
    assert_eq!(
      public_message(message, true),
      "Error: boom\n    at fetch (index.js:5:11)"
    );
    assert_eq!(
      public_message("SyntaxError: x\n    at file:///app/a.ts:4:3", false),
      "SyntaxError: x\n    at a.ts:4:3"
    );
    // A message line (not a frame) stays, with the app's URLs shortened.
    assert_eq!(
      public_message("SyntaxError at file:///app/a.ts:4:3", false),
      "SyntaxError at a.ts:4:3"
    );
  }
}
