//! WebSocket apps in the Bun style: `server.upgrade(req, { data })` and a
//! `websocket` handler object; real clients over loopback.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;

use crate::harness::{Apps, Server};

type Client =
  tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

const CHAT: &str = r#"export default {
  fetch(req, server) {
    const url = new URL(req.url);
    if (url.pathname === "/chat") {
      const name = url.searchParams.get("name");
      if (server.upgrade(req, { data: { name }, headers: { "x-chat": "yes" } })) return;
      return new Response("expected a websocket", { status: 400 });
    }
    if (url.pathname === "/count") return Response.json({ room: server.subscriberCount("room"), open: server.pendingWebSockets });
    if (url.pathname === "/closes") return Response.json(globalThis.closes ?? []);
    if (url.pathname === "/announce") {
      server.publish("room", "announcement");
      return new Response("sent");
    }
    return new Response("chat server");
  },
  websocket: {
    open(ws) {
      ws.subscribe("room");
      ws.send(`welcome ${ws.data.name} from ${ws.remoteAddress}`);
      ws.publish("room", `${ws.data.name} joined`);
    },
    message(ws, message) {
      if (message === "bye") return ws.close(4001, "see you");
      if (typeof message !== "string") return ws.send(message.reverse());
      ws.publish("room", `${ws.data.name}: ${message}`);
    },
    close(ws, code, reason) {
      globalThis.closes = (globalThis.closes ?? []).concat(`${ws.data.name}:${code}:${reason}`);
      ws.publish("room", `${ws.data.name} left`);
    },
  },
};"#;

async fn connect(server: &Server, path: &str) -> Client {
  let url = format!("{}{}", server.base.replace("http://", "ws://"), path);
  let (socket, response) = tokio_tungstenite::connect_async(&url).await.unwrap();
  assert_eq!(response.headers()["x-chat"], "yes");
  socket
}

async fn next_text(socket: &mut Client) -> String {
  loop {
    let message = tokio::time::timeout(Duration::from_secs(10), socket.next())
      .await
      .expect("a message within 10 s")
      .expect("socket open")
      .unwrap();
    match message {
      Message::Text(text) => return text.to_string(),
      Message::Ping(_) | Message::Pong(_) => continue,
      other => panic!("expected text, got {other:?}"),
    }
  }
}

#[tokio::test]
async fn a_chat_app_fans_out_messages_and_sees_close_codes() {
  let apps = Apps::new();
  apps
    .js("chat/1.0.0", CHAT)
    .file("chat/1.0.0/worker.config.json", r#"{"ttl": 60}"#);
  let server = Server::start(&apps);

  let mut ada = connect(&server, "/chat/chat?name=ada").await;
  assert_eq!(next_text(&mut ada).await, "welcome ada from 127.0.0.1");
  let mut bob = connect(&server, "/chat/chat?name=bob").await;
  assert_eq!(next_text(&mut bob).await, "welcome bob from 127.0.0.1");
  assert_eq!(next_text(&mut ada).await, "bob joined");
  let mut cy = connect(&server, "/chat/chat?name=cy").await;
  assert_eq!(next_text(&mut cy).await, "welcome cy from 127.0.0.1");
  assert_eq!(next_text(&mut ada).await, "cy joined");
  assert_eq!(next_text(&mut bob).await, "cy joined");

  // publish skips the sender.
  ada.send(Message::text("hello all")).await.unwrap();
  assert_eq!(next_text(&mut bob).await, "ada: hello all");
  assert_eq!(next_text(&mut cy).await, "ada: hello all");
  // server.publish reaches everyone; counts are live.
  let count = server.get("/chat/count").await.json();
  assert_eq!(count, serde_json::json!({"room": 3, "open": 3}));
  assert_eq!(server.get("/chat/announce").await.body, "sent");
  for socket in [&mut ada, &mut bob, &mut cy] {
    assert_eq!(next_text(socket).await, "announcement");
  }
  // Binary frames arrive as bytes (a Buffer) and go back as bytes.
  bob.send(Message::binary(vec![1u8, 2, 3])).await.unwrap();
  loop {
    match bob.next().await.unwrap().unwrap() {
      Message::Binary(data) => {
        assert_eq!(data.as_ref(), [3, 2, 1]);
        break;
      }
      Message::Text(text) => panic!("unexpected {text}"),
      _ => {}
    }
  }
  // The app closes with its own code and reason.
  cy.send(Message::text("bye")).await.unwrap();
  loop {
    match cy.next().await {
      Some(Ok(Message::Close(Some(frame)))) => {
        assert_eq!(frame.code, CloseCode::from(4001));
        assert_eq!(frame.reason.as_str(), "see you");
        // Keep reading: the client library answers the close frame.
        while cy.next().await.is_some() {}
        break;
      }
      Some(Ok(_)) => continue,
      other => panic!("expected a close frame, got {other:?}"),
    }
  }
  assert_eq!(next_text(&mut ada).await, "cy left");
  // A client closes with its code: the app's close handler sees it.
  bob
    .close(Some(CloseFrame {
      code: CloseCode::from(4100),
      reason: "gone".into(),
    }))
    .await
    .unwrap();
  assert_eq!(next_text(&mut ada).await, "bob left");
  assert_eq!(
    server.get("/chat/closes").await.json(),
    serde_json::json!(["cy:4001:see you", "bob:4100:gone"])
  );
  let stats = server.get("/_/stats").await.json();
  assert_eq!(stats["workers"]["chat@1.0.0"]["sockets"], 1, "{stats}");
}

#[tokio::test]
async fn upgrade_limits_and_non_websocket_requests() {
  let apps = Apps::new();
  apps
    .js("chat/1.0.0", CHAT)
    .js(
      "plain/1.0.0",
      r#"export default { fetch(req, server) { return new Response(String(server.upgrade(req))) } };"#,
    )
    .js(
      "nohandlers/1.0.0",
      r#"export default { fetch(req, server) { try { server.upgrade(req); return new Response("no"); } catch (e) { return new Response(e.message, { status: 500 }); } } };"#,
    );
  let server = Server::start_with(&apps, &[("WS_MAX_PAYLOAD_MB", "1")]);
  // A plain request cannot be upgraded: upgrade() answers false.
  assert_eq!(server.get("/chat/chat?name=x").await.status, 400);
  assert_eq!(server.get("/plain").await.body, "false");
  // An app without `websocket` handlers gets a TypeError naming the fix.
  let url = format!("{}/nohandlers", server.base.replace("http://", "ws://"));
  let refused = tokio_tungstenite::connect_async(&url).await;
  assert!(refused.is_err());
  assert!(server.get("/nohandlers").await.body.contains("no"));
  // A message over WS_MAX_PAYLOAD_MB closes the socket with 1009.
  let mut big = connect(&server, "/chat/chat?name=big").await;
  assert!(next_text(&mut big).await.starts_with("welcome big"));
  big
    .send(Message::binary(vec![0u8; (1 << 20) + 10]))
    .await
    .unwrap();
  loop {
    match big.next().await {
      Some(Ok(Message::Close(Some(frame)))) => {
        assert_eq!(frame.code, CloseCode::Size);
        break;
      }
      Some(Ok(_)) => continue,
      other => panic!("expected close 1009, got {other:?}"),
    }
  }
  // Everything else keeps serving.
  assert_eq!(server.get("/chat/").await.body, "chat server");
}

#[tokio::test]
async fn a_ttl_zero_worker_lives_while_its_socket_is_open() {
  let apps = Apps::new();
  apps.js(
    "echo/1.0.0",
    r#"let n = 0;
export default {
  fetch(req, server) {
    if (server.upgrade(req, { headers: { "x-chat": "yes" } })) return;
    return new Response("http");
  },
  websocket: {
    message(ws, msg) { n += 1; ws.send(`${n}:${msg}`); },
  },
};"#,
  );
  let server = Server::start(&apps);
  let mut socket = connect(&server, "/echo").await;
  for i in 1..=3 {
    socket.send(Message::text(format!("m{i}"))).await.unwrap();
    // One isolate keeps the count across messages.
    assert_eq!(next_text(&mut socket).await, format!("{i}:m{i}"));
    tokio::time::sleep(Duration::from_millis(200)).await;
  }
  assert_eq!(server.get("/echo").await.body, "http");
  socket.send(Message::text("again")).await.unwrap();
  assert_eq!(next_text(&mut socket).await, "4:again");
}

async fn next_close(socket: &mut Client) -> Option<CloseFrame> {
  loop {
    let message = tokio::time::timeout(Duration::from_secs(10), socket.next())
      .await
      .expect("a close within 10 s");
    match message {
      Some(Ok(Message::Close(frame))) => return frame,
      Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
      other => panic!("expected a close frame, got {other:?}"),
    }
  }
}

const ECHO: &str = r#"const id = Math.random().toString(36).slice(2);
export default {
  fetch(req, server) {
    if (server.upgrade(req, { headers: { "x-chat": "yes" } })) return;
    return new Response(id);
  },
  websocket: { message(ws, msg) { ws.send(`${id}:${msg}`); } },
};"#;

#[tokio::test]
async fn retired_workers_close_their_sockets_with_1001() {
  let apps = Apps::new();
  apps
    .js("echo/1.0.0", ECHO)
    .file("echo/1.0.0/worker.config.json", r#"{ "ttl": 60 }"#);
  // New code on disk: the old worker's clients are told to reconnect.
  let server = Server::start(&apps);
  let mut socket = connect(&server, "/echo").await;
  socket.send(Message::text("hi")).await.unwrap();
  let first = next_text(&mut socket).await;
  apps.js("echo/1.0.0", &ECHO.replace("${id}:", "v2 ${id}:"));
  let frame = next_close(&mut socket).await.expect("a close code");
  assert_eq!(frame.code, CloseCode::Away);
  let mut again = connect(&server, "/echo").await;
  again.send(Message::text("hi")).await.unwrap();
  let second = next_text(&mut again).await;
  assert!(second.starts_with("v2 "), "{first} then {second}");
  drop(server);

  // The hard cap on a worker that holds sockets.
  let server = Server::start_with(&apps, &[("WS_WORKER_MAX_AGE", "1")]);
  let mut socket = connect(&server, "/echo").await;
  socket.send(Message::text("hi")).await.unwrap();
  let held = next_text(&mut socket).await;
  let frame = next_close(&mut socket).await.expect("a close code");
  assert_eq!(frame.code, CloseCode::Away);
  assert_eq!(frame.reason, "Going away");
  // The next request gets a new worker.
  let answer = server.get("/echo").await.body;
  assert!(
    !held.starts_with(&format!("v2 {answer}:")),
    "{held} / {answer}"
  );
}
