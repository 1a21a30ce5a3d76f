//! WebSocket tunnels: a client handshake a proxy rule takes, relayed frame
//! by frame to an upstream WebSocket.

use axum::body::Body;
use axum::extract::ws::{CloseFrame, Message as ClientMessage, WebSocket, WebSocketUpgrade};
use axum::extract::FromRequestParts;
use std::net::SocketAddr;

use axum::http::{header, Request};
use axum::response::{IntoResponse, Response};
use futures::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame as UpstreamCloseFrame;
use tokio_tungstenite::tungstenite::Message as UpstreamMessage;

use super::forward::{proxy_error, tls_config};
use super::rules::ProxyRule;

/// Accepts the client's WebSocket, then connects upstream and relays
/// frames both ways. Frames the client sends before the upstream is open
/// wait in the socket; an upstream that fails closes the client with 1011.
pub(super) async fn tunnel_websocket(
  rule: &ProxyRule,
  url: String,
  request: Request<Body>,
) -> Response {
  let (mut parts, _body) = request.into_parts();
  let upgrade = match WebSocketUpgrade::from_request_parts(&mut parts, &()).await {
    Ok(upgrade) => upgrade.read_buffer_size(WS_READ_BUFFER),
    Err(rejection) => return rejection.into_response(),
  };
  let ws_url = url
    .replacen("https://", "wss://", 1)
    .replacen("http://", "ws://", 1);
  let mut upstream_request =
    match tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(&ws_url) {
      Ok(request) => request,
      Err(err) => return proxy_error(format!("bad upstream URL {ws_url}: {err}")),
    };
  let protocols: Vec<String> = parts
    .headers
    .get(header::SEC_WEBSOCKET_PROTOCOL)
    .and_then(|v| v.to_str().ok())
    .map(|v| {
      v.split(',')
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect()
    })
    .unwrap_or_default();
  {
    let headers = upstream_request.headers_mut();
    if let Some(value) = parts.headers.get(header::SEC_WEBSOCKET_PROTOCOL) {
      headers.insert(header::SEC_WEBSOCKET_PROTOCOL, value.clone());
    }
    for name in [header::COOKIE, header::AUTHORIZATION, header::USER_AGENT] {
      if let Some(value) = parts.headers.get(&name) {
        headers.insert(name, value.clone());
      }
    }
    if !rule.change_origin {
      if let Some(origin) = parts.headers.get(header::ORIGIN) {
        headers.insert(header::ORIGIN, origin.clone());
      }
    }
    for (name, value) in &rule.headers {
      headers.insert(name.clone(), value.clone());
    }
  }
  let tls = (!rule.secure).then(|| tokio_tungstenite::Connector::Rustls(tls_config(false)));
  upgrade
    .protocols(protocols)
    .on_upgrade(move |client| relay(client, upstream_request, tls, ws_url))
}

/// Read buffer of a WebSocket connection. tungstenite zeroes this much
/// before every socket read: its 128 KiB default made memset the largest
/// cost of relaying small messages.
pub const WS_READ_BUFFER: usize = 8 << 10;

fn ws_config() -> tokio_tungstenite::tungstenite::protocol::WebSocketConfig {
  tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default()
    .read_buffer_size(WS_READ_BUFFER)
}

/// Opens the upstream WebSocket on an address the private-address policy
/// allows (resolved here, so the check and the connection see one answer).
async fn connect_upstream_socket(
  request: tokio_tungstenite::tungstenite::handshake::client::Request,
  tls: Option<tokio_tungstenite::Connector>,
) -> Result<
  tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
  tokio_tungstenite::tungstenite::Error,
> {
  use tokio_tungstenite::tungstenite::Error;
  let uri = request.uri();
  let host = crate::ext::net_policy::bare_host(uri.host().unwrap_or(""));
  let port = uri
    .port_u16()
    .unwrap_or(if uri.scheme_str() == Some("wss") {
      443
    } else {
      80
    });
  let addrs: Vec<SocketAddr> = match host.parse::<std::net::IpAddr>() {
    Ok(ip) => vec![SocketAddr::new(ip, port)],
    Err(_) => crate::ext::net_policy::resolve_allowed(host.to_string(), true)
      .await
      .map_err(Error::Io)?
      .map(|addr| SocketAddr::new(addr.ip(), port))
      .collect(),
  };
  let stream = tokio::net::TcpStream::connect(&addrs[..])
    .await
    .map_err(Error::Io)?;
  let _ = stream.set_nodelay(true);
  tokio_tungstenite::client_async_tls_with_config(request, stream, Some(ws_config()), tls)
    .await
    .map(|(upstream, _)| upstream)
}

async fn relay(
  mut client: WebSocket,
  request: tokio_tungstenite::tungstenite::handshake::client::Request,
  tls: Option<tokio_tungstenite::Connector>,
  url: String,
) {
  // On a worker thread (a connection it adopted), the thread outlives the
  // isolate until the tunnel closes.
  let _hold = crate::worker::ThreadHold::take();
  let upstream = match connect_upstream_socket(request, tls).await {
    Ok(upstream) => upstream,
    Err(err) => {
      tracing::warn!("WebSocket proxy to {url} failed: {err}");
      let frame = CloseFrame {
        code: 1011,
        reason: "Proxy error: upstream unavailable".into(),
      };
      let _ = client.send(ClientMessage::Close(Some(frame))).await;
      return;
    }
  };
  let (mut upstream_tx, mut upstream_rx) = upstream.split();
  let (mut client_tx, mut client_rx) = client.split();
  let to_upstream = async {
    while let Some(Ok(message)) = client_rx.next().await {
      let closing = matches!(message, ClientMessage::Close(_));
      if upstream_tx
        .send(to_upstream_message(message))
        .await
        .is_err()
        || closing
      {
        break;
      }
    }
    let _ = upstream_tx.close().await;
  };
  let to_client = async {
    while let Some(Ok(message)) = upstream_rx.next().await {
      let Some(message) = to_client_message(message) else {
        continue;
      };
      let closing = matches!(message, ClientMessage::Close(_));
      if client_tx.send(message).await.is_err() || closing {
        break;
      }
    }
    let _ = client_tx.close().await;
  };
  // When either side ends, the other is closed too.
  tokio::select! {
    _ = to_upstream => {}
    _ = to_client => {}
  }
}

fn to_upstream_message(message: ClientMessage) -> UpstreamMessage {
  match message {
    ClientMessage::Text(text) => UpstreamMessage::text(text.as_str()),
    ClientMessage::Binary(bytes) => UpstreamMessage::Binary(bytes),
    ClientMessage::Ping(bytes) => UpstreamMessage::Ping(bytes),
    ClientMessage::Pong(bytes) => UpstreamMessage::Pong(bytes),
    ClientMessage::Close(frame) => UpstreamMessage::Close(frame.map(|f| UpstreamCloseFrame {
      code: CloseCode::from(f.code),
      reason: f.reason.as_str().into(),
    })),
  }
}

fn to_client_message(message: UpstreamMessage) -> Option<ClientMessage> {
  Some(match message {
    UpstreamMessage::Text(text) => ClientMessage::text(text.as_str()),
    UpstreamMessage::Binary(bytes) => ClientMessage::Binary(bytes),
    UpstreamMessage::Ping(bytes) => ClientMessage::Ping(bytes),
    UpstreamMessage::Pong(bytes) => ClientMessage::Pong(bytes),
    UpstreamMessage::Close(frame) => ClientMessage::Close(frame.map(|f| CloseFrame {
      code: f.code.into(),
      reason: f.reason.as_str().into(),
    })),
    UpstreamMessage::Frame(_) => return None,
  })
}
