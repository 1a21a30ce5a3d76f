//! Proxy rules against real upstream servers on loopback.

use std::time::Duration;

use axum::extract::ws::{Message, WebSocketUpgrade};
use axum::extract::Request;
use axum::response::IntoResponse;
use futures::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message as WsMessage;

use crate::harness::{Apps, Server};

/// An upstream that answers every request with what it received, and
/// echoes WebSocket frames on `/ws/...` (closing with 4000 on "bye").
pub async fn upstream() -> u16 {
  let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
  let port = listener.local_addr().unwrap().port();
  let app = axum::Router::new().fallback(|request: Request| async move {
    let is_ws = request.uri().path().starts_with("/ws/");
    if is_ws {
      let (mut parts, _) = request.into_parts();
      let upgrade = <WebSocketUpgrade as axum::extract::FromRequestParts<()>>::from_request_parts(
        &mut parts,
        &(),
      )
      .await
      .unwrap();
      let path = parts.uri.path().to_string();
      return upgrade
        .on_upgrade(move |mut socket| async move {
          let _ = socket
            .send(Message::text(format!("hello from {path}")))
            .await;
          while let Some(Ok(message)) = socket.next().await {
            match message {
              Message::Text(t) if t.as_str() == "bye" => {
                let frame = axum::extract::ws::CloseFrame {
                  code: 4000,
                  reason: "bye yourself".into(),
                };
                let _ = socket.send(Message::Close(Some(frame))).await;
                break;
              }
              Message::Close(_) => break,
              other => {
                if socket.send(other).await.is_err() {
                  break;
                }
              }
            }
          }
        })
        .into_response();
    }
    let (parts, body) = request.into_parts();
    let mut bytes = 0usize;
    let mut sum = 0u64;
    let mut body = body.into_data_stream();
    while let Some(chunk) = body.next().await {
      let chunk = chunk.unwrap();
      sum = chunk
        .iter()
        .fold(sum, |acc, b| (acc + *b as u64) % 1_000_003);
      bytes += chunk.len();
    }
    let headers: serde_json::Map<String, serde_json::Value> = parts
      .headers
      .iter()
      .map(|(k, v)| {
        (
          k.to_string(),
          serde_json::Value::String(v.to_str().unwrap_or("").to_string()),
        )
      })
      .collect();
    axum::Json(serde_json::json!({
      "method": parts.method.as_str(),
      "path": parts.uri.path(),
      "query": parts.uri.query(),
      "headers": headers,
      "bytes": bytes,
      "sum": sum,
    }))
    .into_response()
  });
  tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
  port
}

/// A loopback port nothing listens on.
fn closed_port() -> u16 {
  let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
  listener.local_addr().unwrap().port()
}

fn proxy_app(apps: &Apps, name: &str, config: &str) {
  apps
    .js(&format!("{name}/1.0.0"), "export default { fetch(req) { return new Response('worker ' + new URL(req.url).pathname) } }")
    .file(&format!("{name}/1.0.0/worker.config.json"), config);
}

#[tokio::test]
async fn object_rules_rewrite_with_groups_and_keep_the_query() {
  let port = upstream().await;
  let apps = Apps::new();
  let config = format!(
    r#"{{ "ttl": 60, "proxy": {{
      "^/api/v(\\d+)/(.*)$": {{ "target": "http://127.0.0.1:{port}", "rewrite": "/version/$1/$2" }},
      "^/api/(.*)$": {{ "target": "http://127.0.0.1:{port}", "rewrite": "/v1/$1" }},
      "^/static/": {{ "target": "http://127.0.0.1:{port}/base" }},
      "^/odd/(a)?(b)?$": {{ "target": "http://127.0.0.1:{port}", "rewrite": "/x$2-$1-$3-$$" }}
    }} }}"#
  );
  proxy_app(&apps, "gw", &config);
  let server = Server::start(&apps);
  let reply = server.get("/gw/api/users?page=2&q=a%20b").await.json();
  assert_eq!(reply["path"], "/v1/users");
  assert_eq!(reply["query"], "page=2&q=a%20b");
  assert_eq!(reply["method"], "GET");
  // First match wins: the versioned rule comes first.
  assert_eq!(
    server.get("/gw/api/v2/users").await.json()["path"],
    "/version/2/users"
  );
  // No rewrite: the path is kept (after the target's own path).
  assert_eq!(
    server.get("/gw/static/app.css").await.json()["path"],
    "/base/static/app.css"
  );
  // Missing groups become empty; $$ is a dollar sign.
  assert_eq!(server.get("/gw/odd/b").await.json()["path"], "/xb---$");
  // Not matched: the app's worker answers.
  assert_eq!(server.get("/gw/other").await.body, "worker /other");
}

#[tokio::test]
async fn array_rules_env_targets_headers_and_change_origin() {
  let port = upstream().await;
  let apps = Apps::new();
  let config = r#"{ "ttl": 60, "proxy": [
    { "pattern": "^/plain/(.*)$", "target": "http://${UPSTREAM}", "rewrite": "/$1" },
    { "pattern": "^/origin/(.*)$", "target": "http://${UPSTREAM}", "rewrite": "/$1", "changeOrigin": true,
      "headers": { "x-api-key": "k-${API_KEY}", "x-extra": "yes" } }
  ] }"#;
  proxy_app(&apps, "gw", config);
  let upstream = format!("127.0.0.1:{port}");
  let server = Server::start_with(
    &apps,
    &[
      ("UPSTREAM", &upstream),
      ("API_KEY", "123"),
      ("APP_ENV_ALLOW", "UPSTREAM,API_KEY"),
    ],
  );
  let plain = server
    .client
    .get(server.url("/gw/plain/a"))
    .header("origin", "http://example.test")
    .header("keep-alive", "timeout=5")
    .header("x-request-id", "bad id with spaces")
    .send()
    .await
    .unwrap();
  let request_id = plain.headers()["x-request-id"]
    .to_str()
    .unwrap()
    .to_string();
  let plain = plain.json::<serde_json::Value>().await.unwrap();
  // The upstream sees the id the client got back, not the client's bad one.
  assert_eq!(plain["headers"]["x-request-id"], request_id.as_str());
  assert_eq!(request_id.len(), 20);
  let host = server.base.trim_start_matches("http://").to_string();
  assert_eq!(plain["path"], "/a");
  assert_eq!(plain["headers"]["host"], host);
  assert_eq!(plain["headers"]["origin"], "http://example.test");
  assert_eq!(plain["headers"]["x-forwarded-for"], "127.0.0.1");
  assert_eq!(plain["headers"]["x-forwarded-proto"], "http");
  assert_eq!(plain["headers"]["x-forwarded-host"], host);
  assert!(plain["headers"].get("keep-alive").is_none(), "{plain}");
  let changed = server
    .client
    .get(server.url("/gw/origin/b"))
    .header("origin", "http://example.test")
    .send()
    .await
    .unwrap()
    .json::<serde_json::Value>()
    .await
    .unwrap();
  assert_eq!(changed["headers"]["host"], upstream);
  assert_eq!(changed["headers"]["origin"], format!("http://{upstream}"));
  assert_eq!(changed["headers"]["x-api-key"], "k-123");
  assert_eq!(changed["headers"]["x-extra"], "yes");
}

#[tokio::test]
async fn large_bodies_stream_through_the_proxy() {
  let port = upstream().await;
  let apps = Apps::new();
  proxy_app(
    &apps,
    "gw",
    &format!(r#"{{ "proxy": {{ "^/up": {{ "target": "http://127.0.0.1:{port}" }} }} }}"#),
  );
  let server = Server::start(&apps);
  let size = 10 * 1024 * 1024;
  let data: Vec<u8> = (0..size).map(|i| (i % 253) as u8).collect();
  let sum = data
    .iter()
    .fold(0u64, |acc, b| (acc + *b as u64) % 1_000_003);
  let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
    data.chunks(256 * 1024).map(|c| Ok(c.to_vec())).collect();
  let reply = server
    .client
    .post(server.url("/gw/upload?x=1"))
    .body(reqwest::Body::wrap_stream(futures::stream::iter(chunks)))
    .send()
    .await
    .unwrap();
  assert_eq!(reply.status(), 200);
  let json: serde_json::Value = reply.json().await.unwrap();
  assert_eq!(json["method"], "POST");
  assert_eq!(json["path"], "/upload");
  assert_eq!(json["bytes"], size);
  assert_eq!(json["sum"], sum);
}

#[tokio::test]
async fn upstream_failures_and_bad_rules_answer_json() {
  let closed = closed_port();
  let apps = Apps::new();
  proxy_app(
    &apps,
    "down",
    &format!(r#"{{ "proxy": {{ "^/api": {{ "target": "http://127.0.0.1:{closed}" }} }} }}"#),
  );
  proxy_app(
    &apps,
    "badre",
    r#"{ "proxy": { "^/api/(unclosed$": { "target": "http://127.0.0.1:1" } } }"#,
  );
  proxy_app(
    &apps,
    "noenv",
    r#"{ "proxy": { "^/api": { "target": "http://${NOT_SET_ANYWHERE}" } } }"#,
  );
  proxy_app(
    &apps,
    "notarget",
    r#"{ "proxy": [ { "pattern": "^/api" } ] }"#,
  );
  let server = Server::start(&apps);
  let down = server.get("/down/api/x").await;
  assert_eq!(down.status, 502);
  assert!(down.error().starts_with("Proxy error: "), "{}", down.body);
  let bad = server.get("/badre/api/x").await;
  assert_eq!(bad.status, 500);
  assert!(
    bad
      .error()
      .contains(r#"proxy pattern "^/api/(unclosed$" is not a valid regular expression"#),
    "{}",
    bad.body
  );
  assert!(server
    .get("/noenv/api")
    .await
    .error()
    .contains("environment variable NOT_SET_ANYWHERE is not set"));
  assert!(server
    .get("/notarget/api")
    .await
    .error()
    .contains("needs a \"target\" URL"));
}

#[tokio::test]
async fn a_proxy_only_app_needs_no_entrypoint() {
  let port = upstream().await;
  let apps = Apps::new();
  apps.file("edge/1.0.0/worker.config.json", format!(r#"{{ "proxy": {{ "^/(.*)$": {{ "target": "http://127.0.0.1:{port}", "rewrite": "/all/$1" }} }} }}"#));
  let server = Server::start(&apps);
  assert_eq!(server.get("/edge/x/y").await.json()["path"], "/all/x/y");
}

#[tokio::test]
async fn websockets_are_tunnelled_with_early_frames_and_close_codes() {
  let port = upstream().await;
  let apps = Apps::new();
  proxy_app(
    &apps,
    "gw",
    &format!(
      r#"{{ "proxy": {{ "^/live/(.*)$": {{ "target": "ws://127.0.0.1:{port}", "rewrite": "/ws/$1" }} }} }}"#
    ),
  );
  let server = Server::start(&apps);
  let url = format!(
    "{}/gw/live/room?x=1",
    server.base.replace("http://", "ws://")
  );
  let (mut socket, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
  // Sent before anything was read: must not be lost while the proxy
  // connects upstream.
  socket.send(WsMessage::text("early")).await.unwrap();
  socket
    .send(WsMessage::binary(vec![1u8, 2, 3]))
    .await
    .unwrap();
  for expected in [
    WsMessage::text("hello from /ws/room"),
    WsMessage::text("early"),
    WsMessage::binary(vec![1u8, 2, 3]),
  ] {
    let got = tokio::time::timeout(Duration::from_secs(5), socket.next()).await;
    assert_eq!(got.unwrap().unwrap().unwrap(), expected);
  }
  socket.send(WsMessage::text("bye")).await.unwrap();
  match tokio::time::timeout(Duration::from_secs(5), socket.next())
    .await
    .unwrap()
    .unwrap()
    .unwrap()
  {
    WsMessage::Close(Some(frame)) => {
      assert_eq!(frame.code, CloseCode::from(4000));
      assert_eq!(frame.reason.as_str(), "bye yourself");
    }
    other => panic!("expected a close frame, got {other:?}"),
  }
}

#[tokio::test]
async fn an_unreachable_websocket_upstream_closes_with_1011() {
  let closed = closed_port();
  let apps = Apps::new();
  proxy_app(
    &apps,
    "gw",
    &format!(r#"{{ "proxy": {{ "^/live": {{ "target": "ws://127.0.0.1:{closed}" }} }} }}"#),
  );
  let server = Server::start(&apps);
  let url = format!("{}/gw/live", server.base.replace("http://", "ws://"));
  let (mut socket, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
  match tokio::time::timeout(Duration::from_secs(5), socket.next())
    .await
    .unwrap()
    .unwrap()
    .unwrap()
  {
    WsMessage::Close(Some(frame)) => assert_eq!(frame.code, CloseCode::Error),
    other => panic!("expected close 1011, got {other:?}"),
  }
}
