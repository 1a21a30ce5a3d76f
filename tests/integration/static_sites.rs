//! Static HTML apps served from inside the isolate, confined to their folder.

use crate::harness::{Apps, Server};

fn site() -> Apps {
  let apps = Apps::new();
  apps
    .file("outside.txt", "TOP SECRET outside the app")
    .file(
      "site/1.0.0/index.html",
      "<!doctype html><html><head><title>Site</title></head><body>home</body></html>",
    )
    .file("site/1.0.0/style.css", "body { color: red }")
    .file("site/1.0.0/js/app.js", "console.log('hi')")
    .file(
      "site/1.0.0/img/logo.svg",
      "<svg xmlns='http://www.w3.org/2000/svg'/>",
    )
    .file("site/1.0.0/data.json", "{\"a\":1}")
    .file(
      "site/1.0.0/docs/index.html",
      "<html><head></head><body>docs</body></html>",
    )
    .file("site/1.0.0/worker.config.json", r#"{ "ttl": 60 }"#);
  #[cfg(unix)]
  {
    std::os::unix::fs::symlink(
      apps.path().join("outside.txt"),
      apps.path().join("site/1.0.0/link.txt"),
    )
    .unwrap();
    std::os::unix::fs::symlink("/etc", apps.path().join("site/1.0.0/etc")).unwrap();
  }
  apps
}

#[tokio::test]
async fn files_have_their_content_types_and_spa_fallback_serves_the_entrypoint() {
  let apps = site();
  let server = Server::start(&apps);
  let home = server.get("/site").await;
  assert_eq!(home.status, 200);
  assert_eq!(home.header("content-type"), "text/html; charset=utf-8");
  assert!(
    home
      .body
      .contains(r#"<head><base href="/site/"><title>Site"#),
    "{}",
    home.body
  );
  for (path, ctype, body) in [
    (
      "/site/style.css",
      "text/css; charset=utf-8",
      "body { color: red }",
    ),
    (
      "/site/js/app.js",
      "text/javascript; charset=utf-8",
      "console.log('hi')",
    ),
    ("/site/data.json", "application/json", "{\"a\":1}"),
  ] {
    let reply = server.get(path).await;
    assert_eq!(
      (
        reply.status,
        reply.header("content-type"),
        reply.body.as_str()
      ),
      (200, ctype, body),
      "{path}"
    );
  }
  assert!(server
    .get("/site/img/logo.svg")
    .await
    .header("content-type")
    .starts_with("image/svg+xml"));
  assert!(server.get("/site/docs/").await.body.contains("docs"));
  // Not a file: the entrypoint (client-side routing).
  let spa = server.get("/site/dashboard/users/3").await;
  assert_eq!(spa.status, 200);
  assert!(spa.body.contains("home"));
  assert_eq!(server.get("/site/health").await.body, "OK");
}

#[tokio::test]
async fn head_and_other_methods() {
  let apps = site();
  let server = Server::start(&apps);
  let head = server
    .client
    .head(server.url("/site/style.css"))
    .send()
    .await
    .unwrap();
  assert_eq!(head.status(), 200);
  assert_eq!(head.headers()["content-length"], "19");
  assert_eq!(head.text().await.unwrap(), "");
  let post = server.post("/site/style.css", "x").await;
  assert_eq!(post.status, 405);
  assert!(post.error().contains("not allowed"));
}

#[tokio::test]
async fn nothing_outside_the_app_folder_is_ever_served() {
  let apps = site();
  let server = Server::start(&apps);
  for path in [
    "/site/../outside.txt",
    "/site/..%2f..%2foutside.txt",
    "/site/..%2F..%2F..%2Foutside.txt",
    "/site/%2e%2e/%2e%2e/outside.txt",
    "/site/%2e%2e%2f%2e%2e%2foutside.txt",
    "/site/..%5c..%5coutside.txt",
    "/site/%252e%252e/outside.txt",
    "/site/link.txt",
    "/site/etc/passwd",
    "/site//etc/passwd",
    "/site/%2fetc%2fpasswd",
    "/site/data.json%00.html",
  ] {
    let reply = server.get(path).await;
    assert!(
      !reply.body.contains("TOP SECRET"),
      "{path} leaked: {}",
      reply.body
    );
    assert!(!reply.body.contains("root:"), "{path} leaked /etc/passwd");
    assert!(
      matches!(reply.status, 200 | 400 | 403 | 404),
      "{path}: {}",
      reply.status
    );
  }
  // A symlink out of the folder is refused outright.
  let link = server.get("/site/link.txt").await;
  assert_eq!(link.status, 403);
  assert_eq!(link.error(), "Path is outside the app folder");
  let encoded = server.get("/site/..%2f..%2foutside.txt").await;
  assert_eq!(encoded.status, 403);
}

#[tokio::test]
async fn static_files_carry_validators_and_answer_304() {
  let apps = Apps::new();
  apps
    .file("site/1.0.0/index.html", "<h1>home</h1>")
    .file("site/1.0.0/style.css", "body { color: red }");
  let server = Server::start(&apps);
  let first = server.get("/site/style.css").await;
  assert_eq!(first.status, 200);
  let etag = first.header("etag").to_string();
  let modified = first.header("last-modified").to_string();
  assert!(etag.starts_with("W/\""), "{etag}");
  assert!(modified.ends_with("GMT"), "{modified}");
  let conditional = |name: &'static str, value: String| {
    server
      .client
      .get(server.url("/site/style.css"))
      .header(name, value)
      .send()
  };
  let same = conditional("if-none-match", etag.clone()).await.unwrap();
  assert_eq!(same.status(), 304);
  assert_eq!(same.headers()["etag"].to_str().unwrap(), etag);
  assert_eq!(same.text().await.unwrap(), "");
  let other = conditional("if-none-match", "W/\"other\"".into())
    .await
    .unwrap();
  assert_eq!(other.status(), 200);
  let since = conditional("if-modified-since", modified.clone())
    .await
    .unwrap();
  assert_eq!(since.status(), 304);

  // An edited file (the worker caches small files) is served anew.
  std::thread::sleep(std::time::Duration::from_millis(20));
  std::fs::write(
    apps.path().join("site/1.0.0/style.css"),
    "body { color: blue; }",
  )
  .unwrap();
  let edited = conditional("if-none-match", etag.clone()).await.unwrap();
  assert_eq!(edited.status(), 200);
  assert_ne!(edited.headers()["etag"].to_str().unwrap(), etag);
  assert_eq!(edited.text().await.unwrap(), "body { color: blue; }");
}
