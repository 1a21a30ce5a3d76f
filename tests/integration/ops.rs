//! Operations: health, the live dashboard in a real browser.

use std::path::PathBuf;
use std::process::Command;

use crate::harness::{Apps, Server};

#[tokio::test]
async fn health_is_public_and_cheap() {
  let apps = Apps::new();
  apps.js(
    "hello/1.0.0",
    "export default { fetch() { return new Response('hi') } }",
  );
  apps.file("hello/1.0.0/worker.config.json", r#"{"ttl": 60}"#);
  let server = Server::start_with(&apps, &[("ADMIN_TOKEN", "s3cret"), ("POOL_SIZE", "7")]);

  let health = server.get("/_/health").await;
  assert_eq!(health.status, 200, "{}", health.body);
  assert_eq!(health.header("content-type"), "application/json");
  let json = health.json();
  assert_eq!(json["status"], "ok");
  assert_eq!(json["poolSize"], 7);
  assert_eq!(json["workers"], 0);
  assert!(json["uptimeMs"].is_u64(), "{json}");
  assert!(json["version"].is_string(), "{json}");

  // A pooled worker shows in the count; health itself starts none.
  assert_eq!(server.get("/hello").await.body, "hi");
  assert_eq!(server.get("/_/health").await.json()["workers"], 1);

  // The token still guards everything that carries data.
  assert_eq!(server.get("/_/metrics").await.status, 401);
  assert_eq!(server.get("/_/stats").await.status, 401);
  assert_eq!(server.get("/_/nope").await.status, 401);
}

#[tokio::test]
async fn dashboard_page_is_self_contained() {
  let apps = Apps::new();
  let server = Server::start_with(&apps, &[("ADMIN_TOKEN", "s3cret")]);
  let page = server.get("/_/dashboard").await;
  assert_eq!(page.status, 200);
  assert_eq!(page.header("content-type"), "text/html; charset=utf-8");
  // No CDN, no build step: nothing is loaded from elsewhere.
  for outside in ["<script src", "<link", "http://", "https://", "@import"] {
    assert!(!page.body.contains(outside), "page loads {outside}");
  }
  // It reads the guarded routes relative to itself.
  assert!(page.body.contains("fetch(\"stats\""));
  assert!(page.body.contains("fetch(\"sse\""));
}

/// The workspace's `target/` (artifacts other than the test binary's own).
fn artifacts_dir() -> PathBuf {
  let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/test-artifacts");
  std::fs::create_dir_all(&dir).unwrap();
  dir
}

/// The first of `names` on PATH or in `extra` folders; a test that needs
/// the tool fails (not skips) without it: `.ci/run` installs it.
pub fn program(names: &[&str], extra: &[PathBuf], install: &str) -> PathBuf {
  let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
    .map(|path| std::env::split_paths(&path).collect())
    .unwrap_or_default();
  dirs.extend_from_slice(extra);
  names
    .iter()
    .flat_map(|name| dirs.iter().map(move |dir| dir.join(name)))
    .find(|candidate| candidate.is_file())
    .unwrap_or_else(|| panic!("{} not found: {install} (.ci/run does)", names[0]))
}

/// Debian's headless Chromium.
fn chromium() -> PathBuf {
  program(
    &["chromium", "chromium-browser", "google-chrome"],
    &[],
    "apt-get install -y chromium",
  )
}

/// Runs headless Chromium on `url` with `extra` arguments; its stdout.
fn headless(url: &str, extra: &[String]) -> String {
  let profile = tempfile::tempdir().unwrap();
  let output = Command::new(chromium())
    .args([
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--hide-scrollbars",
      "--window-size=1200,800",
      // The page keeps its stats stream open; the budget ends the wait.
      "--virtual-time-budget=3000",
    ])
    .arg(format!("--user-data-dir={}", profile.path().display()))
    .args(extra)
    .arg(url)
    .output()
    .expect("run chromium");
  assert!(
    output.status.success(),
    "chromium failed: {}",
    String::from_utf8_lossy(&output.stderr)
  );
  String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test]
async fn dashboard_shows_live_workers_in_a_browser() {
  let apps = Apps::new();
  apps.js(
    "greeter/1.2.3",
    "export default { fetch() { return new Response('hello') } }",
  );
  apps.file("greeter/1.2.3/worker.config.json", r#"{"ttl": 60}"#);
  let server = Server::start(&apps);
  assert_eq!(server.get("/greeter").await.body, "hello");

  let url = server.url("/_/dashboard");
  let dom = tokio::task::spawn_blocking(move || headless(&url, &["--dump-dom".into()]))
    .await
    .unwrap();
  assert!(
    dom.contains(r#"<tr data-worker="greeter@1.2.3">"#),
    "no row for the worker in the dashboard:\n{dom}"
  );
  assert!(dom.contains(r#"<td>greeter@1.2.3</td>"#), "{dom}");
  assert!(
    dom.contains(r#"<span class="status idle">idle</span>"#),
    "{dom}"
  );
  // The gauges were filled from the stats (1 live worker of 5).
  assert!(
    dom.contains(r#"<span class="big" id="pool-total">1</span>"#),
    "{dom}"
  );
  assert!(dom.contains(r#"<span id="pool-max">5</span>"#), "{dom}");
  // And the page follows the SSE feed.
  assert!(
    dom.contains(r#"<span id="conn" class="live">live</span>"#),
    "{dom}"
  );

  let shot = artifacts_dir().join("dashboard.png");
  let _ = std::fs::remove_file(&shot);
  let url = server.url("/_/dashboard");
  let arg = format!("--screenshot={}", shot.display());
  tokio::task::spawn_blocking(move || headless(&url, &[arg]))
    .await
    .unwrap();
  let png = std::fs::read(&shot).expect("screenshot written");
  assert!(png.starts_with(b"\x89PNG"), "not a PNG");
}

#[tokio::test]
async fn the_dashboard_logs_panel_shows_an_apps_lines_as_text() {
  let apps = Apps::new();
  apps.js(
    "talker/1.0.0",
    r#"export default { fetch() {
      console.log("hello from the panel");
      console.warn("<img src=x onerror=alert(1)>");
      return new Response("ok");
    } }"#,
  );
  let server = Server::start(&apps);
  let reply = server
    .client
    .get(server.url("/talker"))
    .header("x-request-id", "panel-rid-1")
    .send()
    .await
    .unwrap();
  assert_eq!(reply.status(), 200);
  let url = server.url("/_/dashboard#logs=talker");
  let dom = tokio::task::spawn_blocking(move || headless(&url, &["--dump-dom".into()]))
    .await
    .unwrap();
  assert!(
    dom.contains(r#"<td class="msg">hello from the panel</td>"#),
    "no log line in the panel:\n{dom}"
  );
  assert!(dom.contains(r#"<td class="rid">panel-rid-1</td>"#), "{dom}");
  assert!(
    dom.contains(r#"<option value="talker">talker</option>"#),
    "{dom}"
  );
  // An app's output is text in the page, never markup.
  assert!(
    dom.contains(r#"<td class="msg">&lt;img src=x onerror=alert(1)&gt;</td>"#),
    "{dom}"
  );
  assert!(!dom.contains("<img src"), "{dom}");
}
