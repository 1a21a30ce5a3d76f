//! Real npm packages (Hono, Zod, cookie, ms) installed with `npm ci` from
//! the committed lockfiles in `tests/fixtures/npm-apps/`, served unchanged.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::harness::{Apps, Server};

/// The fixture apps folder, with every app's packages installed (once per
/// test run; `.ci/run` installs them up front).
fn npm_apps() -> &'static Path {
  static READY: OnceLock<PathBuf> = OnceLock::new();
  READY.get_or_init(|| {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/npm-apps");
    for app in std::fs::read_dir(&dir).unwrap() {
      let app = app.unwrap().path();
      for version in std::fs::read_dir(&app).into_iter().flatten() {
        let version = version.unwrap().path();
        if version.join("package-lock.json").exists() && !version.join("node_modules").exists() {
          let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(&version)
            .status()
            .expect("npm must be installed to run these tests");
          assert!(status.success(), "npm ci failed in {}", version.display());
        }
      }
    }
    dir
  })
}

fn start() -> Server {
  Server::start(&Apps::at(npm_apps()))
}

#[tokio::test]
async fn a_hono_app_routes_params_json_middleware_and_jsx() {
  let server = start();
  let root = server.get("/hono-app/").await;
  assert_eq!((root.status, root.body.as_str()), (200, "hono root"));
  assert_eq!(root.header("x-middleware"), "ran");

  let user = server.get("/hono-app/users/42?q=x").await;
  assert_eq!(user.status, 200);
  assert_eq!(user.json(), serde_json::json!({"id": "42", "q": "x"}));

  let echo = server.post("/hono-app/echo", r#"{"a":[1,2]}"#).await;
  assert_eq!(echo.status, 201);
  assert_eq!(echo.json(), serde_json::json!({"received": {"a": [1, 2]}}));

  // hono/jsx through the app's tsconfig `jsxImportSource`.
  let page = server.get("/hono-app/page/Ada").await;
  assert_eq!(page.status, 200);
  assert!(page.header("content-type").starts_with("text/html"));
  assert!(
    page
      .body
      .contains("<h1>Hello Ada</h1><ul><li>item 1</li><li>item 2</li><li>item 3</li></ul>"),
    "{}",
    page.body
  );

  let missing = server.get("/hono-app/nothing").await;
  assert_eq!(missing.status, 404);
  assert_eq!(missing.json()["error"], "no such route");
}

#[tokio::test]
async fn hono_context_storage_keeps_each_request_apart() {
  let server = start();
  // Concurrent requests, each awaiting timers of random length: every one
  // must read back its own id through AsyncLocalStorage.
  let requests = (0..24).map(|i| {
    let client = server.client.clone();
    let url = server.url("/hono-app/storage");
    async move {
      let reply = client
        .get(url)
        .header("x-request-id", format!("req-{i}"))
        .send()
        .await
        .unwrap();
      (i, reply.json::<serde_json::Value>().await.unwrap())
    }
  });
  for (i, body) in futures::future::join_all(requests).await {
    assert_eq!(body["requestId"], format!("req-{i}"));
  }
}

#[tokio::test]
async fn a_zod_validated_api() {
  let server = start();
  let bad = server.post("/zod-api/todos", r#"{"title":""}"#).await;
  assert_eq!(bad.status, 422);
  assert_eq!(bad.json()["issues"][0]["path"][0], "title");
  assert_eq!(bad.json()["issues"][0]["code"], "too_small");

  let good = server
    .post("/zod-api/todos", r#"{"title":"write tests","tags":["a"]}"#)
    .await;
  assert_eq!(good.status, 201);
  assert_eq!(
    good.json(),
    serde_json::json!({"title": "write tests", "done": false, "tags": ["a"]})
  );
  let not_json = server.post("/zod-api/todos", "{").await;
  assert_eq!(not_json.status, 400);
}

#[tokio::test]
async fn commonjs_packages_and_files_load_through_import_and_require() {
  let server = start();
  let reply = server
    .client
    .get(server.url("/cjs-app/?d=2d"))
    .header("cookie", "a=1; b=two%20words")
    .send()
    .await
    .unwrap();
  assert_eq!(reply.status(), 200);
  assert_eq!(reply.headers()["x-ms-type"], "function");
  let body: serde_json::Value = reply.json().await.unwrap();
  assert_eq!(body["ms"], 172_800_000);
  assert_eq!(
    body["cookies"],
    serde_json::json!({"a": "1", "b": "two words"})
  );
  assert_eq!(body["setCookie"], "session=abc%20123; Max-Age=60; HttpOnly");
  assert_eq!(body["helper"], "HI! (helper.cjs in lib, json via require)");
  assert_eq!(body["cached"], true);
  assert_eq!(body["cookieViaRequire"], "function");
  assert_eq!(
    body["lodash"],
    serde_json::json!({"chunk": [[1, 2], [3]], "kebab": "hello-world", "same": true})
  );
}

#[tokio::test]
async fn an_elysia_app_started_with_listen() {
  let server = start();
  let root = server.get("/elysia-app/").await;
  assert_eq!((root.status, root.body.as_str()), (200, "elysia root"));
  assert_eq!(
    server.get("/elysia-app/users/7").await.json(),
    serde_json::json!({"id": "7"})
  );
  assert_eq!(
    server.get("/elysia-app/query?q=hi").await.json(),
    serde_json::json!({"q": "hi"})
  );
  let post = |body: &'static str| {
    server
      .client
      .post(server.url("/elysia-app/items"))
      .header("content-type", "application/json")
      .body(body)
      .send()
  };
  let created = post(r#"{"name":"pen","qty":2}"#).await.unwrap();
  assert_eq!(created.status(), 200);
  assert_eq!(
    created.json::<serde_json::Value>().await.unwrap(),
    serde_json::json!({"created": "pen", "qty": 2})
  );
  // `t` validation rejects a bad body with 422 and names the property.
  let invalid = post(r#"{"name":"","qty":"x"}"#).await.unwrap();
  assert_eq!(invalid.status(), 422);
  let error: serde_json::Value = invalid.json().await.unwrap();
  assert_eq!(error["type"], "validation");
  assert_eq!(error["property"], "/name");
}

#[tokio::test]
async fn hono_bun_websockets_and_conn_info() {
  use futures::{SinkExt, StreamExt};
  use tokio_tungstenite::tungstenite::Message;

  let server = start();
  let ip = server.get("/hono-app/ip").await.json();
  assert_eq!(ip["address"], "127.0.0.1");
  assert_eq!(ip["addressType"], "IPv4");
  assert!(ip["port"].as_u64().unwrap() > 0);

  let url = format!("{}/hono-app/ws", server.base.replace("http://", "ws://"));
  let (mut socket, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
  let mut texts = Vec::new();
  socket.send(Message::text("ping 1")).await.unwrap();
  while texts.len() < 2 {
    match socket.next().await.unwrap().unwrap() {
      Message::Text(text) => texts.push(text.to_string()),
      Message::Close(frame) => panic!("closed early: {frame:?}"),
      _ => {}
    }
  }
  assert_eq!(texts, ["hono says hi", "echo: ping 1"]);
}

/// React's streaming renderer through its `bun` build, which streams with
/// Bun's `type: "direct"` ReadableStream.
#[tokio::test]
async fn react_renders_to_a_readable_stream() {
  let server = start();
  let page = server.get("/react-ssr/?name=Ada").await;
  assert_eq!(page.status, 200, "{}", page.body);
  assert!(page.header("content-type").starts_with("text/html"));
  assert!(
    page.body.contains("<h1>Hello Ada</h1><p>test</p>"),
    "{}",
    page.body
  );
}

/// A real upstream for the HTTP client tests: JSON, an echo, a redirect, a
/// gzip body, a 404 and a body in chunks.
async fn upstream() -> String {
  use axum::routing::{get, post};
  let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
  let addr = listener.local_addr().unwrap();
  let router = axum::Router::new()
    .route(
      "/json",
      get(
        |axum::extract::RawQuery(q): axum::extract::RawQuery| async move {
          axum::Json(serde_json::json!({ "from": "upstream", "query": q }))
        },
      ),
    )
    .route("/echo", post(|body: String| async move { body }))
    .route(
      "/moved",
      get(|| async { axum::response::Redirect::temporary("/json") }),
    )
    .route(
      "/gzip",
      get(|| async {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut encoder, br#"{"zipped":true}"#).unwrap();
        (
          [
            ("content-encoding", "gzip"),
            ("content-type", "application/json"),
          ],
          encoder.finish().unwrap(),
        )
      }),
    )
    .route(
      "/chunks",
      get(|| async {
        let chunks = futures::StreamExt::then(
          futures::stream::iter(["one ", "two ", "three"]),
          |chunk| async move {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            Ok::<_, std::io::Error>(chunk)
          },
        );
        (
          [("content-type", "text/plain")],
          axum::body::Body::from_stream(chunks),
        )
      }),
    );
  tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
  format!("http://{addr}")
}

/// axios with its Node http adapter, and node:http's streaming body.
#[tokio::test]
async fn axios_and_node_http_reach_a_real_upstream() {
  let upstream = upstream().await;
  let server = Server::start_with(
    &Apps::at(npm_apps()),
    &[
      ("UPSTREAM", upstream.as_str()),
      ("APP_ENV_ALLOW", "UPSTREAM"),
    ],
  );
  let reply = server.get("/axios-client/").await;
  assert_eq!(reply.status, 200, "{}", reply.body);
  let seen = reply.json();
  assert_eq!(
    seen["got"],
    serde_json::json!({ "from": "upstream", "query": "q=x" })
  );
  assert_eq!(seen["posted"], serde_json::json!({ "hello": "axios" }));
  assert_eq!(seen["redirected"]["from"], "upstream");
  assert_eq!(seen["gzipped"], serde_json::json!({ "zipped": true }));
  assert_eq!(seen["missing"], 404);
  let stream = server.get("/axios-client/stream").await;
  assert_eq!(stream.status, 200, "{}", stream.body);
  let stream = stream.json();
  assert_eq!(stream["status"], 200);
  assert_eq!(stream["type"], "text/plain");
  let joined: String = stream["seen"]
    .as_array()
    .unwrap()
    .iter()
    .map(|s| s.as_str().unwrap())
    .collect();
  assert_eq!(joined, "one two three");
  drop(server);
  // node:http is fetch underneath: the private-address policy holds.
  let blocked = Server::start_with(
    &Apps::at(npm_apps()),
    &[
      ("UPSTREAM", upstream.as_str()),
      ("APP_ENV_ALLOW", "UPSTREAM"),
      ("BLOCK_PRIVATE_FETCH", "true"),
    ],
  );
  let refused = blocked.get("/axios-client/").await;
  assert_eq!(refused.status, 502, "{}", refused.body);
  assert_eq!(refused.json()["code"], "ECONNREFUSED", "{}", refused.body);
}

/// jsonwebtoken with a shared secret: it makes a secret KeyObject of it
/// and signs through createHmac; a tampered token is refused.
#[tokio::test]
async fn jsonwebtoken_signs_and_verifies_hs256() {
  let server = start();
  let signed = server.get("/jwt-api/sign?sub=ada").await;
  assert_eq!(signed.status, 200, "{}", signed.body);
  let token = signed.json()["token"].as_str().unwrap().to_string();
  let client = reqwest::Client::new();
  let verify = |token: String| {
    let request = client
      .get(server.url("/jwt-api/verify"))
      .bearer_auth(token)
      .send();
    async move { crate::harness::Reply::from(request.await.unwrap()).await }
  };
  let ok = verify(token.clone()).await;
  assert_eq!(ok.status, 200, "{}", ok.body);
  assert_eq!(ok.json()["sub"], "ada");
  // Flip a character of the signature.
  let mut tampered = token.into_bytes();
  let last = tampered.len() - 2;
  tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
  let refused = verify(String::from_utf8(tampered).unwrap()).await;
  assert_eq!(refused.status, 401, "{}", refused.body);
  assert_eq!(refused.json()["error"], "JsonWebTokenError");
}

/// Express 5 unchanged, started with `app.listen()`: routing, params and
/// query, JSON bodies, middleware headers, an error handler, and a body
/// that is not JSON.
#[tokio::test]
async fn an_express_app_started_with_listen() {
  let server = start();
  let root = server.get("/express-app/").await;
  assert_eq!((root.status, root.body.as_str()), (200, "express root"));
  assert_eq!(root.header("x-middleware"), "ran");
  assert!(root.header("etag").starts_with("W/"));
  let user = server.get("/express-app/users/7?q=z").await;
  assert_eq!(user.json(), serde_json::json!({ "id": "7", "q": "z" }));
  let echo = server
    .post_json("/express-app/echo", r#"{"a":[1,2]}"#)
    .await;
  assert_eq!(echo.status, 201, "{}", echo.body);
  assert_eq!(
    echo.json(),
    serde_json::json!({ "received": { "a": [1, 2] } })
  );
  let bad = server.post_json("/express-app/echo", "{bad").await;
  assert_eq!(bad.status, 500, "{}", bad.body);
  assert!(bad.json()["handled"].as_str().unwrap().contains("JSON"));
  let boom = server.get("/express-app/boom").await;
  assert_eq!(boom.status, 500);
  assert_eq!(
    boom.json(),
    serde_json::json!({ "handled": "route failed" })
  );
}

/// Koa unchanged, started with `app.listen()`.
#[tokio::test]
async fn a_koa_app_started_with_listen() {
  let server = start();
  let root = server.get("/koa-app/").await;
  assert_eq!((root.status, root.body.as_str()), (200, "koa root"));
  assert_eq!(root.header("x-koa"), "yes");
  let json = server.get("/koa-app/json?q=1").await;
  assert_eq!(
    json.json(),
    serde_json::json!({ "path": "/json", "q": "1" })
  );
  let teapot = server.get("/koa-app/teapot").await;
  assert_eq!((teapot.status, teapot.body.as_str()), (418, "teapot"));
}

/// Fastify 5 unchanged, started with `await app.listen()`.
#[tokio::test]
async fn a_fastify_app_started_with_listen() {
  let server = start();
  let root = server.get("/fastify-app/").await;
  assert_eq!((root.status, root.body.as_str()), (200, "fastify root"));
  assert_eq!(root.header("x-fastify"), "yes");
  let user = server.get("/fastify-app/users/3?q=a").await;
  assert_eq!(user.json(), serde_json::json!({ "id": "3", "q": "a" }));
  let echo = server.post_json("/fastify-app/echo", r#"{"a":1}"#).await;
  assert_eq!(echo.status, 201, "{}", echo.body);
  assert_eq!(echo.json(), serde_json::json!({ "received": { "a": 1 } }));
  let boom = server.get("/fastify-app/boom").await;
  assert_eq!(boom.status, 500);
  assert_eq!(boom.json()["message"], "route failed");
}

/// Hono served through @hono/node-server's `serve()`, which replaces the
/// Response global with its own: node:http keeps using the Web one.
#[tokio::test]
async fn hono_served_with_its_node_server() {
  let server = start();
  let root = server.get("/hono-node-server/").await;
  assert_eq!(
    (root.status, root.body.as_str()),
    (200, "hono on node-server")
  );
  let echo = server
    .post_json("/hono-node-server/echo", r#"{"a":1}"#)
    .await;
  assert_eq!(echo.status, 201, "{}", echo.body);
  assert_eq!(echo.json(), serde_json::json!({ "got": { "a": 1 } }));
}

/// jsonwebtoken RS256 and ES256 through the Rust signing ops: our tokens
/// verify, Node's tokens verify, a wrong key or a tampered signature fails.
#[tokio::test]
async fn jsonwebtoken_signs_and_verifies_rs256_and_es256() {
  let server = start();
  let reply = server.get("/jwt-api/asymmetric").await;
  assert_eq!(reply.status, 200, "{}", reply.body);
  let seen = reply.json();
  assert_eq!(seen["rs"], "ours-rs");
  assert_eq!(seen["es"], "ours-es");
  assert_eq!(seen["nodeRs"], "node-rs");
  assert_eq!(seen["nodeEs"], "node-es");
  // As in Node: the key's type refuses the algorithm.
  assert!(
    seen["wrongKey"]
      .as_str()
      .unwrap()
      .contains("\"alg\" parameter for \"ec\" key type"),
    "{seen}"
  );
  assert_eq!(seen["tampered"], "JsonWebTokenError");
}

#[tokio::test]
async fn jsonwebtoken_with_keys_made_by_generate_key_pair_sync() {
  let server = start();
  let reply = server.get("/jwt-api/generated").await;
  assert_eq!(reply.status, 200, "{}", reply.body);
  assert_eq!(
    reply.json(),
    serde_json::json!({"rs": "made-rs", "es": "made-es", "bits": 2048, "ecPem": "-----BEGIN PUBLIC KEY-----"})
  );
}
