//! Bad apps and bad configs answer JSON at once; every other app keeps serving.

use crate::harness::{Apps, Server};

fn apps_with_a_good_one() -> Apps {
  let apps = Apps::new();
  apps.js(
    "good/1.0.0",
    "export default { fetch() { return new Response('good') } }",
  );
  apps
}

#[tokio::test]
async fn broken_modules_answer_500_json_quickly_and_are_logged() {
  let apps = apps_with_a_good_one();
  apps.js("syntax/1.0.0", "export default { fetch( {");
  apps.js("nofetch/1.0.0", "export default { hello: 1 }");
  apps.js("noexport/1.0.0", "const x = 1;");
  apps.js(
    "throws-on-load/1.0.0",
    "throw new Error('cannot start'); export default {}",
  );
  apps.js(
    "bad-import/1.0.0",
    "import x from './missing.js'; export default { fetch() {} }",
  );
  apps.js(
    "bare-import/1.0.0",
    "import { Hono } from 'hono'; export default new Hono()",
  );
  apps.js(
    "escape-import/1.0.0",
    "import x from '../../good/1.0.0/index.js'; export default x",
  );
  let server = Server::start(&apps);
  for (app, expected) in [
    ("syntax", "SyntaxError"),
    (
      "nofetch",
      "must be an object with fetch(request) or a routes table",
    ),
    (
      "noexport",
      "must be an object with fetch(request) or a routes table",
    ),
    ("throws-on-load", "cannot start"),
    ("bad-import", "missing.js"),
    ("bare-import", "\"hono\""),
    ("escape-import", "outside the app folder"),
  ] {
    let reply = server.get(&format!("/{app}")).await;
    assert_eq!(reply.status, 500, "{app}: {}", reply.body);
    assert!(reply.error().contains(expected), "{app}: {}", reply.body);
    assert_eq!(server.get("/good").await.body, "good");
  }
  let log = server.log();
  assert!(
    log.contains("syntax@1.0.0") && log.contains("SyntaxError"),
    "{log}"
  );
}

#[tokio::test]
async fn handler_failures_answer_500_json() {
  let apps = apps_with_a_good_one();
  apps.js(
    "bad/1.0.0",
    r#"export default { async fetch(req) {
      const path = new URL(req.url).pathname;
      if (path === "/throw") throw new Error("handler exploded");
      if (path === "/reject") return Promise.reject(new TypeError("rejected"));
      if (path === "/string") return "not a response";
      if (path === "/status") return new Response("x", { status: 999 });
      if (path === "/stray") { Promise.reject(new Error("nobody listens")); return new Response("still fine"); }
      return new Response("ok");
    } }"#,
  );
  apps.file("bad/1.0.0/worker.config.json", r#"{ "ttl": 60 }"#);
  let server = Server::start(&apps);
  let thrown = server.get("/bad/throw").await;
  assert_eq!(thrown.status, 500);
  assert!(
    thrown.error().starts_with("Error: handler exploded"),
    "{}",
    thrown.body
  );
  assert!(
    !thrown.error().contains("ext:buntime"),
    "internal frames leak: {}",
    thrown.body
  );
  assert!(server
    .get("/bad/reject")
    .await
    .error()
    .contains("TypeError: rejected"));
  let string = server.get("/bad/string").await;
  assert_eq!(string.status, 500);
  assert!(string
    .error()
    .contains("must return a Response, got string"));
  assert_eq!(server.get("/bad/status").await.status, 500);
  assert_eq!(server.get("/bad/stray").await.body, "still fine");
  // The same worker keeps serving after all of that.
  assert_eq!(server.get("/bad/").await.body, "ok");
  assert_eq!(server.get("/good").await.body, "good");
}

#[tokio::test]
async fn bad_configs_name_the_file_and_field() {
  let apps = apps_with_a_good_one();
  let code = "export default { fetch() { return new Response('x') } }";
  let cases = [
    (
      "c1",
      r#"{ "timeout": "abc" }"#,
      r#"worker.config.json: "timeout" must be a number of seconds"#,
    ),
    (
      "c2",
      r#"{ "ttl": -1 }"#,
      r#"worker.config.json: "ttl" must be a number of seconds ≥ 0"#,
    ),
    (
      "c3",
      r#"{ "maxRequests": 1.5 }"#,
      r#""maxRequests" must be a whole number ≥ 1"#,
    ),
    (
      "c4",
      r#"{ "lowMemory": "yes" }"#,
      r#""lowMemory" must be true or false"#,
    ),
    (
      "c5",
      r#"{ "timeout": 10, "#,
      "worker.config.json: is not valid JSON",
    ),
    ("c6", "[1, 2]", "worker.config.json: must be a JSON object"),
    (
      "c7",
      r#"{ "entrypoint": "../../good/1.0.0/index.js" }"#,
      "outside the app folder",
    ),
    (
      "c8",
      r#"{ "entrypoint": "nope.js" }"#,
      r#"entrypoint "nope.js" does not exist"#,
    ),
  ];
  for (app, config, _) in cases {
    apps
      .js(&format!("{app}/1.0.0"), code)
      .file(&format!("{app}/1.0.0/worker.config.json"), config);
  }
  apps.js("c9/1.0.0", code).file(
    "c9/1.0.0/package.json",
    r#"{ "workerConfig": { "idleTimeout": 0 } }"#,
  );
  apps.file("empty/1.0.0/readme.md", "no entrypoint");
  let server = Server::start(&apps);
  let more = [
    (
      "c9",
      "",
      r#"package.json workerConfig: "idleTimeout" must be a number of seconds > 0"#,
    ),
    ("empty", "", "no entrypoint found"),
  ];
  for (app, _, expected) in cases.into_iter().chain(more) {
    let reply = server.get(&format!("/{app}")).await;
    assert_eq!(reply.status, 500, "{app}: {}", reply.body);
    assert!(
      reply.error().contains(expected),
      "{app}: {} (wanted {expected})",
      reply.body
    );
  }
  assert_eq!(server.get("/good").await.body, "good");
}

#[tokio::test]
async fn slow_requests_time_out_with_504() {
  let apps = apps_with_a_good_one();
  apps
    .js(
      "slow/1.0.0",
      "export default { async fetch() { await Bun.sleep(10_000); return new Response('late') } }",
    )
    .file(
      "slow/1.0.0/worker.config.json",
      r#"{ "timeout": 0.5, "ttl": 30 }"#,
    );
  let server = Server::start(&apps);
  let reply = server.get("/slow").await;
  assert_eq!(reply.status, 504);
  assert_eq!(reply.error(), "Worker timeout after 500ms");
  assert_eq!(server.get("/slow/health").await.body, "OK");
}

#[tokio::test]
async fn an_unhandled_rejection_fails_its_own_request_at_once() {
  let apps = apps_with_a_good_one();
  // Pooled (ttl > 0) so several requests share the worker: the rejection
  // must end only the request whose code made it.
  apps
    .js(
      "stray/1.0.0",
      r#"export default {
  fetch(req) {
    const path = new URL(req.url).pathname;
    if (path.endsWith("/slow")) return new Promise((resolve) => setTimeout(() => resolve(new Response("slow ok")), 300));
    if (path.endsWith("/stream")) {
      return new Response(new ReadableStream({
        start(c) { c.enqueue(new TextEncoder().encode("head ")); setTimeout(() => Promise.reject(new Error("late stray")), 20); },
      }));
    }
    // Forgotten rejection, and a promise that would never answer.
    setTimeout(() => Promise.reject(new Error("stray failure")), 10);
    return new Promise(() => {});
  },
};"#,
    )
    .file("stray/1.0.0/worker.config.json", r#"{ "ttl": 60 }"#);
  let server = Server::start(&apps);
  let slow = server.get("/stray/slow");
  let (failing, slow) = tokio::join!(server.get("/stray/"), slow);
  // 500 from the rejection, not 504 from the 30 s deadline.
  assert_eq!(failing.status, 500, "{}", failing.body);
  assert!(
    failing.error().contains("stray failure"),
    "{}",
    failing.body
  );
  assert_eq!(slow.status, 200, "{}", slow.body);
  assert_eq!(slow.body, "slow ok");
  // After the head: the body is cut off, the client sees an error.
  let streamed = server
    .client
    .get(server.url("/stray/stream"))
    .send()
    .await
    .unwrap();
  assert_eq!(streamed.status(), 200);
  assert!(
    streamed.text().await.is_err(),
    "the body must end in an error"
  );
  assert_eq!(server.get("/good").await.body, "good");
  assert_eq!(server.get("/stray/slow").await.body, "slow ok");
}
