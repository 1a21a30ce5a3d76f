//! Request ids and per-app logs: `x-request-id` on every response, the
//! app's console lines in `/_/logs` and `/_/logs/stream` tagged with the
//! id of the request they belong to, a flood capped and counted.

use std::time::Duration;

use futures::StreamExt;

use crate::harness::{assert_neighbour_serves, with_neighbour, Apps, Server};

fn logging_apps() -> Apps {
  let apps = Apps::new();
  apps.js(
    "talker/1.0.0",
    r#"export default { async fetch(req) {
      const url = new URL(req.url);
      if (url.pathname === "/flood") {
        for (let i = 0; i < 20000; i++) console.log("x".repeat(200) + i);
        return new Response("flooded");
      }
      console.log("start", url.pathname);
      await new Promise((r) => setTimeout(r, 5));
      console.warn("after await", url.pathname);
      if (url.pathname === "/boom") throw new Error("kaboom");
      return new Response(req.headers.get("x-request-id"));
    } };"#,
  );
  with_neighbour(&apps);
  apps
}

async fn lines(server: &Server, query: &str) -> serde_json::Value {
  let reply = server.get(&format!("/_/logs?{query}")).await;
  assert_eq!(reply.status, 200, "{}", reply.body);
  reply.json()
}

#[tokio::test]
async fn responses_carry_request_ids_and_the_app_sees_them() {
  let apps = logging_apps();
  let mut server = Server::start(&apps);
  let made = server.get("/talker/a").await;
  let id = made.header("x-request-id").to_string();
  assert_eq!(id.len(), 20);
  assert_eq!(made.body, id, "the app reads the same id");
  // A sane client id is kept; a bad one is replaced, not echoed.
  let kept = server
    .client
    .get(server.url("/talker/b"))
    .header("x-request-id", "client-id-42")
    .send()
    .await
    .unwrap();
  assert_eq!(kept.headers()["x-request-id"], "client-id-42");
  assert_eq!(kept.text().await.unwrap(), "client-id-42");
  let long = "a".repeat(129);
  let replaced = server
    .client
    .get(server.url("/talker/c"))
    .header("x-request-id", &long)
    .send()
    .await
    .unwrap();
  let new_id = replaced.headers()["x-request-id"]
    .to_str()
    .unwrap()
    .to_string();
  assert_ne!(new_id, long);
  assert_eq!(new_id.len(), 20);
  // Unknown apps and admin routes carry one too.
  assert_eq!(server.get("/nope/").await.header("x-request-id").len(), 20);
  assert_eq!(
    server.get("/_/health").await.header("x-request-id").len(),
    20
  );
  assert_neighbour_serves(&mut server).await;
}

#[tokio::test]
async fn an_apps_lines_carry_their_request_ids() {
  let apps = logging_apps();
  let mut server = Server::start(&apps);
  // Concurrent requests: each line must name its own request, across the
  // await between the two lines.
  let paths: Vec<String> = (0..8).map(|i| format!("/talker/p{i}")).collect();
  let replies = futures::future::join_all(paths.iter().map(|path| server.get(path))).await;
  let log = lines(&server, "app=talker").await;
  for (i, reply) in replies.iter().enumerate() {
    let id = reply.header("x-request-id");
    let mine: Vec<_> = log["lines"]
      .as_array()
      .unwrap()
      .iter()
      .filter(|line| line["requestId"] == id)
      .map(|line| line["message"].as_str().unwrap().to_string())
      .collect();
    assert_eq!(
      mine,
      [format!("start /p{i}"), format!("after await /p{i}")],
      "{log}"
    );
  }
  // Filters: level, version, since.
  let warns = lines(&server, "app=talker&level=warn").await;
  assert_eq!(warns["lines"].as_array().unwrap().len(), 8);
  assert!(warns["lines"]
    .as_array()
    .unwrap()
    .iter()
    .all(|l| l["level"] == "warn"));
  let next = log["next"].as_u64().unwrap();
  let failed = server.get("/talker/boom").await;
  assert_eq!(failed.status, 500);
  let after = lines(&server, &format!("app=talker&since={next}&level=error")).await;
  let errors = after["lines"].as_array().unwrap();
  assert!(
    errors
      .iter()
      .any(|l| l["message"].as_str().unwrap().contains("kaboom")
        && l["requestId"] == failed.header("x-request-id")),
    "{after}"
  );
  assert_eq!(
    lines(&server, "app=talker&version=9.9.9").await["lines"],
    serde_json::json!([])
  );
  // Bad queries are precise; unknown apps are 404s, made-up names leave
  // no log behind.
  assert_eq!(server.get("/_/logs").await.status, 400);
  assert_eq!(
    server.get("/_/logs?app=talker&level=loud").await.status,
    400
  );
  assert_eq!(server.get("/_/logs?app=..%2Fetc").await.status, 400);
  assert_eq!(server.get("/_/logs?app=ghost").await.status, 404);
  assert_neighbour_serves(&mut server).await;
}

#[tokio::test]
async fn the_stream_follows_new_lines() {
  let apps = logging_apps();
  let mut server = Server::start(&apps);
  let response = server
    .client
    .get(server.url("/_/logs/stream?app=talker&since=0"))
    .send()
    .await
    .unwrap();
  assert_eq!(response.status(), 200);
  let mut body = response.bytes_stream();
  let reply = server.get("/talker/live").await;
  let id = reply.header("x-request-id").to_string();
  let mut seen = String::new();
  let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
  while !seen.contains("after await /live") {
    let chunk = tokio::time::timeout_at(deadline, body.next())
      .await
      .expect("the stream delivers the request's lines")
      .unwrap()
      .unwrap();
    seen.push_str(&String::from_utf8_lossy(&chunk));
  }
  assert!(seen.contains(&format!("\"requestId\":\"{id}\"")), "{seen}");
  assert!(seen.contains("id: "), "{seen}");
  assert_neighbour_serves(&mut server).await;
}

#[tokio::test]
async fn a_console_flood_is_capped_and_counted() {
  let apps = logging_apps();
  let mut server = Server::start_with(
    &apps,
    &[("APP_LOG_KB_PER_SEC", "64"), ("APP_LOG_LINES", "500")],
  );
  assert_eq!(server.get("/talker/flood").await.body, "flooded");
  let log = lines(&server, "app=talker").await;
  assert!(
    log["lines"].as_array().unwrap().len() <= 500,
    "the ring is bounded"
  );
  assert!(
    log["dropped"].as_u64().unwrap() > 10_000,
    "{}",
    log["dropped"]
  );
  assert!(server.is_running());
  assert_neighbour_serves(&mut server).await;
}

/// The access log's lines, once `count` have been written.
async fn access_lines(path: &std::path::Path, count: usize) -> Vec<serde_json::Value> {
  for _ in 0..100 {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<serde_json::Value> = text
      .lines()
      .map(|l| serde_json::from_str(l).unwrap())
      .collect();
    if lines.len() >= count {
      return lines;
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
  }
  panic!("the access log did not get {count} lines");
}

#[tokio::test]
async fn the_access_log_has_one_json_line_per_request() {
  let apps = logging_apps();
  let dir = tempfile::tempdir().unwrap();
  let file = dir.path().join("access.jsonl");
  let mut server = Server::start_with(&apps, &[("ACCESS_LOG", file.to_str().unwrap())]);
  let reply = server
    .client
    .get(server.url("/talker/page?token=secret"))
    .header("x-request-id", "trace-1")
    .send()
    .await
    .unwrap();
  assert_eq!(reply.status(), 200);
  let body = reply.text().await.unwrap();
  assert_eq!(server.get("/ghost/").await.status, 404);
  // A hostile path: quotes, a newline-looking escape and a long tail stay
  // one valid JSON line.
  let hostile = format!("/talker/%22%0A{}", "z".repeat(3000));
  server.get(&hostile).await;
  let lines = access_lines(&file, 3).await;
  let first = &lines[0];
  assert_eq!(first["app"], "talker");
  assert_eq!(first["version"], "1.0.0");
  assert_eq!(first["method"], "GET");
  assert_eq!(first["path"], "/talker/page", "the query is left out");
  assert_eq!(first["status"], 200);
  assert_eq!(first["bytes"], body.len() as u64);
  assert_eq!(first["requestId"], "trace-1");
  assert!(first["durationMs"].as_f64().unwrap() >= 5.0, "{first}");
  assert!(first["client"].as_str().unwrap().starts_with("127.0.0.1:"));
  assert!(first["time"].as_str().unwrap().ends_with('Z'));
  assert_eq!(lines[1]["status"], 404);
  assert_eq!(lines[1]["app"], serde_json::Value::Null);
  assert!(lines[2]["path"]
    .as_str()
    .unwrap()
    .starts_with("/talker/%22%0A"));
  assert_neighbour_serves(&mut server).await;
}

#[tokio::test]
async fn an_access_log_that_cannot_be_opened_stops_the_start() {
  let apps = logging_apps();
  let mut command = crate::harness::server_command(
    apps.path(),
    &[("ACCESS_LOG", "/nonexistent-dir/sub/access.log")],
  );
  let output = command.output().unwrap();
  assert!(!output.status.success());
  let stderr = String::from_utf8_lossy(&output.stderr);
  assert!(stderr.contains("ACCESS_LOG"), "{stderr}");
}
