//! What an app sees and how its answers reach the client (DESIGN.md §4).

use crate::harness::{Apps, Server};

#[tokio::test]
async fn the_app_sees_its_own_path_query_method_headers_and_base() {
  let apps = Apps::new();
  apps.js(
    "echo/1.0.0",
    r#"export default { async fetch(req) {
      const url = new URL(req.url);
      return Response.json({
        method: req.method, path: url.pathname, query: url.search,
        base: req.headers.get("x-base"), custom: req.headers.get("x-custom"),
        body: await req.text(),
      });
    } }"#,
  );
  let server = Server::start(&apps);
  let reply = server.get("/echo").await.json();
  assert_eq!(reply["path"], "/");
  assert_eq!(reply["base"], "/echo");
  let reply = server
    .client
    .put(server.url("/echo@1/a/b?x=1&y=%20"))
    .header("x-custom", "yes")
    .body("payload")
    .send()
    .await
    .unwrap();
  let json: serde_json::Value = reply.json().await.unwrap();
  assert_eq!(json["method"], "PUT");
  assert_eq!(json["path"], "/a/b");
  assert_eq!(json["query"], "?x=1&y=%20");
  assert_eq!(json["base"], "/echo@1");
  assert_eq!(json["custom"], "yes");
  assert_eq!(json["body"], "payload");
}

/// Headers stay on the Rust side until the app reads them: what it reads
/// must be exactly what the client sent, with `x-base` ours.
#[tokio::test]
async fn headers_read_lazily_are_the_clients_and_x_base_cannot_be_spoofed() {
  let apps = Apps::new();
  apps.js(
    "h/1.0.0",
    r#"let late = "not yet";
    export default { fetch(req) {
      const url = new URL(req.url);
      if (url.pathname === "/late") return new Response(late);
      if (url.pathname === "/after") {
        // Read only once the answer is gone: a clear error, not a guess.
        setTimeout(() => {
          try { late = `read ${req.headers.get("x-one")}`; } catch (err) { late = err.message; }
        }, 0);
        return new Response("sent");
      }
      return Response.json({
        method: req.method,
        base: req.headers.get("x-base"),
        one: req.headers.get("x-one"),
        many: req.headers.get("x-many"),
        list: [...req.headers].map(([name]) => name).filter((name) => name.startsWith("x-")),
      });
    } }"#,
  );
  // One worker keeps `late` between requests.
  apps.file("h/1.0.0/worker.config.json", r#"{ "ttl": 60 }"#);
  let server = Server::start(&apps);
  let reply = server
    .client
    .get(server.url("/h@1.0/x"))
    .header("x-one", "1")
    .header("x-many", "a")
    .header("x-many", "b")
    .header("x-base", "/spoofed")
    .send()
    .await
    .unwrap();
  let json: serde_json::Value = reply.json().await.unwrap();
  assert_eq!(json["method"], "GET");
  assert_eq!(json["base"], "/h@1.0");
  assert_eq!(json["one"], "1");
  assert_eq!(json["many"], "a, b");
  assert_eq!(
    json["list"],
    serde_json::json!(["x-base", "x-many", "x-one", "x-request-id"])
  );
  // A method outside the standard set arrives by its name.
  let purge = reqwest::Method::from_bytes(b"PURGE").unwrap();
  let reply = server
    .client
    .request(purge, server.url("/h/x"))
    .send()
    .await
    .unwrap();
  let json: serde_json::Value = reply.json().await.unwrap();
  assert_eq!(json["method"], "PURGE");

  let reply = server
    .client
    .get(server.url("/h/after"))
    .header("x-one", "1")
    .send()
    .await
    .unwrap();
  assert_eq!(reply.text().await.unwrap(), "sent");
  let mut late = String::new();
  for _ in 0..50 {
    late = server.get("/h/late").await.body;
    if late != "not yet" {
      break;
    }
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
  }
  assert!(
    late.contains("were not read before its response was sent"),
    "{late}"
  );
}

#[tokio::test]
async fn health_is_answered_by_the_worker() {
  let apps = Apps::new();
  apps.js(
    "app/1.0.0",
    "export default { fetch() { return new Response('app', { status: 418 }) } }",
  );
  let server = Server::start(&apps);
  let reply = server.get("/app/health").await;
  assert_eq!((reply.status, reply.body.as_str()), (200, "OK"));
  assert_eq!(server.get("/app/other").await.status, 418);
}

#[tokio::test]
async fn routes_table_in_the_style_of_bun_serve() {
  let apps = Apps::new();
  apps.js(
    "r/1.0.0",
    r#"export default {
      routes: {
        "/": new Response("home"),
        "/users/:id": (req) => Response.json({ id: req.params.id }),
        "/users/:id/posts/:post": (req) => Response.json(req.params),
        "/users/me": new Response("me (exact beats :id)"),
        "/files/*": (req) => new Response("file " + new URL(req.url).pathname),
        "/items": {
          GET: () => new Response("list"),
          POST: async (req) => new Response("created " + await req.text(), { status: 201 }),
        },
      },
    }"#,
  );
  apps.js(
    "both/1.0.0",
    r#"export default {
      routes: { "/api/ping": { GET: () => new Response("pong") } },
      fetch(req) { return new Response("fallback " + req.method + " " + new URL(req.url).pathname) },
    }"#,
  );
  let server = Server::start(&apps);
  assert_eq!(server.get("/r").await.body, "home");
  assert_eq!(server.get("/r/users/42").await.json()["id"], "42");
  assert_eq!(server.get("/r/users/me").await.body, "me (exact beats :id)");
  let nested = server.get("/r/users/7/posts/hello%20world").await.json();
  assert_eq!(
    nested,
    serde_json::json!({ "id": "7", "post": "hello world" })
  );
  assert_eq!(
    server.get("/r/files/a/b.txt").await.body,
    "file /files/a/b.txt"
  );
  assert_eq!(server.get("/r/items").await.body, "list");
  let created = server.post("/r/items", "x").await;
  assert_eq!((created.status, created.body.as_str()), (201, "created x"));
  let wrong = server
    .client
    .delete(server.url("/r/items"))
    .send()
    .await
    .unwrap();
  // Bun: a method the route lacks falls through (here to a 404), no 405.
  assert_eq!(wrong.status(), 404);
  assert_eq!(server.get("/r/nothing").await.status, 404);

  assert_eq!(server.get("/both/api/ping").await.body, "pong");
  assert_eq!(
    server.post("/both/api/ping", "").await.body,
    "fallback POST /api/ping"
  );
  assert_eq!(server.get("/both/else").await.body, "fallback GET /else");
}

#[tokio::test]
async fn default_content_type_and_base_href_for_html() {
  let apps = Apps::new();
  apps.js(
    "page/1.0.0",
    r#"export default { fetch(req) {
      const path = new URL(req.url).pathname;
      if (path === "/text") return new Response("plain");
      if (path === "/typed") return new Response("{}", { headers: { "content-type": "application/json" } });
      if (path === "/bytes") return new Response(new Uint8Array([104, 105]));
      return new Response("<html><head><title>t</title></head><body>x</body></html>",
        { headers: { "content-type": "text/html" } });
    } }"#,
  );
  let server = Server::start(&apps);
  let text = server.get("/page/text").await;
  assert_eq!(text.header("content-type"), "text/plain;charset=UTF-8");
  assert_eq!(
    server.get("/page/typed").await.header("content-type"),
    "application/json"
  );
  let bytes = server.get("/page/bytes").await;
  assert_eq!(
    (bytes.header("content-type"), bytes.body.as_str()),
    ("text/plain; charset=utf-8", "hi")
  );
  let html = server.get("/page@1.0.0/").await;
  assert!(
    html
      .body
      .contains(r#"<head><base href="/page@1.0.0/"><title>"#),
    "{}",
    html.body
  );
}

/// Byte bodies reach the client without another copy on the way: the bytes
/// sent must still be those the `Response` was built from, however the app
/// changes its buffer afterwards (right away, later in the same turn, or on
/// the next request).
#[tokio::test]
async fn a_byte_body_is_what_the_response_was_built_from() {
  let apps = Apps::new();
  // One worker for all three requests, so the buffer carries over.
  apps.file("buf/1.0.0/worker.config.json", r#"{ "ttl": 60 }"#);
  apps.js(
    "buf/1.0.0",
    r#"const buf = new TextEncoder().encode("aaaa");
    export default { fetch() {
      const res = new Response(buf);
      buf[0] += 1;
      queueMicrotask(() => { buf[1] += 1; });
      return res;
    } }"#,
  );
  let server = Server::start(&apps);
  assert_eq!(server.get("/buf").await.body, "aaaa");
  assert_eq!(server.get("/buf").await.body, "bbaa");
  assert_eq!(server.get("/buf").await.body, "ccaa");
}

#[tokio::test]
async fn bun_globals_env_and_files_stay_inside_the_app() {
  let apps = Apps::new();
  apps.file("secret.txt", "server secret");
  apps.file("env-app/1.0.0/data/config.json", r#"{"name":"demo"}"#);
  apps.file(
    "env-app/1.0.0/worker.config.json",
    r#"{ "ttl": 60, "env": { "GREETING": "hello", "COUNT": 3 } }"#,
  );
  apps.js(
    "env-app/1.0.0",
    r#"export default { async fetch() {
      const file = Bun.file("data/config.json");
      let escape;
      try { await Bun.file("../../secret.txt").text(); escape = "read!"; } catch (e) { escape = e.message; }
      return Response.json({
        greeting: Bun.env.GREETING, count: process.env.COUNT, same: Bun.env === process.env,
        leaked: Bun.env.SERVER_ONLY_SECRET ?? null,
        json: await file.json(), exists: await file.exists(), size: file.size, type: file.type,
        missing: await Bun.file("nope.txt").exists(),
        escape, version: typeof Bun.version, slept: await Bun.sleep(5).then(() => true),
      });
    } }"#,
  );
  let server = Server::start_with(&apps, &[("SERVER_ONLY_SECRET", "hunter2")]);
  let json = server.get("/env-app").await.json();
  assert_eq!(json["greeting"], "hello");
  assert_eq!(json["count"], "3");
  assert_eq!(json["same"], true);
  assert_eq!(json["leaked"], serde_json::Value::Null);
  assert_eq!(json["json"]["name"], "demo");
  assert_eq!(json["exists"], true);
  assert_eq!(json["size"], 15);
  assert_eq!(json["type"], "application/json");
  assert_eq!(json["missing"], false);
  assert!(
    json["escape"]
      .as_str()
      .unwrap()
      .contains("outside the app folder"),
    "{json}"
  );
  assert_eq!(json["version"], "string");
  assert_eq!(json["slept"], true);
}

#[tokio::test]
async fn ttl_keeps_state_and_ttl_zero_starts_fresh() {
  let apps = Apps::new();
  let counter = "let n = 0; export default { fetch() { return new Response(String(++n)) } }";
  apps
    .js("kept/1.0.0", counter)
    .file("kept/1.0.0/worker.config.json", r#"{"ttl": 60}"#);
  apps
    .js("fresh/1.0.0", counter)
    .file("fresh/1.0.0/worker.config.json", r#"{"ttl": 0}"#);
  apps.js("default/1.0.0", counter);
  let server = Server::start(&apps);
  let kept: Vec<String> = futures_seq(&server, "/kept", 3).await;
  assert_eq!(kept, ["1", "2", "3"]);
  assert_eq!(futures_seq(&server, "/fresh", 3).await, ["1", "1", "1"]);
  // ttl defaults to 0: a fresh isolate per request.
  assert_eq!(futures_seq(&server, "/default", 2).await, ["1", "1"]);
}

async fn futures_seq(server: &Server, path: &str, n: usize) -> Vec<String> {
  let mut out = Vec::new();
  for _ in 0..n {
    out.push(server.get(path).await.body);
  }
  out
}

#[tokio::test]
async fn package_json_worker_config_is_read() {
  let apps = Apps::new();
  apps.file(
    "pkg/1.0.0/package.json",
    r#"{ "name": "pkg", "workerConfig": { "entrypoint": "src/main.js", "ttl": 30 } }"#,
  );
  apps.file(
    "pkg/1.0.0/src/main.js",
    "let n = 0; export default { fetch() { return new Response('main ' + ++n) } }",
  );
  let server = Server::start(&apps);
  assert_eq!(server.get("/pkg").await.body, "main 1");
  assert_eq!(server.get("/pkg").await.body, "main 2");
}

#[tokio::test]
async fn server_request_ip_reports_the_client() {
  let apps = Apps::new();
  apps.js(
    "ip/1.0.0",
    r#"export default {
      fetch(req, server) { return Response.json(server.requestIP(req)) },
    }"#,
  );
  apps.js(
    "ip-routes/1.0.0",
    r#"export default { routes: { "/": (req, server) => Response.json(server.requestIP(req)) } }"#,
  );
  let server = Server::start(&apps);
  for app in ["/ip", "/ip-routes"] {
    let json = server.get(app).await.json();
    assert_eq!(json["address"], "127.0.0.1", "{json}");
    assert_eq!(json["family"], "IPv4");
    assert!(json["port"].as_u64().unwrap() > 0);
  }
}
