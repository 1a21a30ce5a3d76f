//! Scoped tokens from `TOKENS_FILE`: each scope allowed what it names and
//! refused the rest with 403 naming the scope; a token without the scope
//! cannot tell an app that exists from one that does not; the file is
//! re-read when it changes.

use sha2::Digest;

use crate::harness::{assert_neighbour_serves, with_neighbour, Apps, Reply, Server};

fn hash(token: &str) -> String {
  sha2::Sha256::digest(token.as_bytes())
    .iter()
    .map(|b| format!("{b:02x}"))
    .collect()
}

fn tokens_json(entries: &[(&str, &str, &[&str])]) -> String {
  let tokens: Vec<serde_json::Value> = entries
    .iter()
    .map(|(name, token, scopes)| {
      serde_json::json!({ "name": name, "sha256": hash(token), "scopes": scopes })
    })
    .collect();
  serde_json::json!({ "tokens": tokens }).to_string()
}

async fn call(server: &Server, method: &str, path: &str, token: &str, body: Vec<u8>) -> Reply {
  let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
  let mut request = server.client.request(method, server.url(path)).body(body);
  if !token.is_empty() {
    request = request.bearer_auth(token);
  }
  Reply::from(request.send().await.unwrap()).await
}

fn package(name: &str, version: &str) -> Vec<u8> {
  let manifest = format!("{{\"name\":{name:?},\"version\":{version:?}}}");
  crate::app_packages::tar_gz(
    "",
    &[
      ("package.json", manifest.as_bytes()),
      (
        "index.js",
        b"export default { fetch() { return new Response('new') } }",
      ),
    ],
  )
}

#[tokio::test]
async fn each_scope_is_allowed_what_it_names_and_nothing_else() {
  let apps = Apps::new();
  apps.js(
    "shop/1.0.0",
    "export default { fetch() { return new Response('shop') } }",
  );
  apps.js(
    "blog/1.0.0",
    "export default { fetch() { return new Response('blog') } }",
  );
  with_neighbour(&apps);
  let dir = tempfile::tempdir().unwrap();
  let file = dir.path().join("tokens.json");
  std::fs::write(
    &file,
    tokens_json(&[
      ("shop-team", "shop-token", &["deploy:shop"]),
      ("dashboards", "read-token", &["read"]),
      ("ops", "ops-token", &["admin"]),
    ]),
  )
  .unwrap();
  let mut server = Server::start_with(
    &apps,
    &[
      ("TOKENS_FILE", file.to_str().unwrap()),
      ("ADMIN_TOKEN", "root-token"),
    ],
  );
  // deploy:shop
  let t = "shop-token";
  let ok = call(
    &server,
    "POST",
    "/_/apps?name=shop&version=1.1.0",
    t,
    package("x", "0.0.0"),
  )
  .await;
  assert_eq!(ok.status, 201, "{}", ok.body);
  assert_eq!(server.get("/shop").await.body, "new");
  for (method, path, body) in [
    (
      "POST",
      "/_/apps?name=blog&version=2.0.0",
      package("x", "0.0.0"),
    ),
    ("POST", "/_/apps", package("blog", "2.0.0")),
    ("DELETE", "/_/apps/blog", Vec::new()),
    ("DELETE", "/_/apps/blog/1.0.0", Vec::new()),
    ("GET", "/_/logs?app=blog", Vec::new()),
  ] {
    let refused = call(&server, method, path, t, body).await;
    assert_eq!(refused.status, 403, "{method} {path}: {}", refused.body);
    assert!(refused.error().contains("deploy:blog"), "{}", refused.body);
  }
  // An app that does not exist is refused exactly as one that does.
  let real = call(&server, "DELETE", "/_/apps/blog", t, Vec::new()).await;
  let ghost = call(&server, "DELETE", "/_/apps/ghost", t, Vec::new()).await;
  assert_eq!(ghost.status, 403);
  assert_eq!(ghost.body.replace("ghost", "blog"), real.body);
  let ghost_logs = call(&server, "GET", "/_/logs?app=ghost", t, Vec::new()).await;
  assert_eq!(ghost_logs.status, 403);
  assert_eq!(
    call(&server, "GET", "/_/logs?app=shop", t, Vec::new())
      .await
      .status,
    200
  );
  let metrics = call(&server, "GET", "/_/metrics", t, Vec::new()).await;
  assert_eq!(metrics.status, 403);
  assert!(metrics.error().contains("\"read\""), "{}", metrics.body);
  let listed = call(&server, "GET", "/_/apps", t, Vec::new()).await.json();
  let names: Vec<&str> = listed["data"]["apps"]
    .as_array()
    .unwrap()
    .iter()
    .map(|a| a["name"].as_str().unwrap())
    .collect();
  assert_eq!(names, ["shop"], "a deploy token lists only its apps");
  // The file API works inside the token's app folder only.
  let own = call(
    &server,
    "GET",
    "/_/deployments/list?path=shop",
    t,
    Vec::new(),
  )
  .await;
  assert_eq!(own.status, 200, "{}", own.body);
  let made = server
    .client
    .post(server.url("/_/deployments/mkdir"))
    .bearer_auth(t)
    .json(&serde_json::json!({ "path": "shop/0.0.1" }))
    .send()
    .await
    .unwrap();
  assert_eq!(made.status(), 200);
  for (method, path, scope) in [
    ("GET", "/_/deployments/list?path=blog", "deploy:blog"),
    ("GET", "/_/deployments/list?path=ghost", "deploy:ghost"),
    (
      "GET",
      "/_/deployments/download?path=blog/1.0.0/index.js",
      "deploy:blog",
    ),
    ("DELETE", "/_/deployments/delete?path=blog", "deploy:blog"),
    ("GET", "/_/deployments/list?path=", "admin"),
  ] {
    let refused = call(&server, method, path, t, Vec::new()).await;
    assert_eq!(refused.status, 403, "{path}: {}", refused.body);
    assert!(refused.body.contains(scope), "{path}: {}", refused.body);
  }
  let renamed = server
    .client
    .post(server.url("/_/deployments/rename"))
    .bearer_auth(t)
    .json(&serde_json::json!({ "path": "shop", "newName": "blog2" }))
    .send()
    .await
    .unwrap();
  assert_eq!(renamed.status(), 403, "renaming the app itself needs admin");
  assert_eq!(server.get("/blog").await.body, "blog", "blog untouched");

  // read
  let t = "read-token";
  assert_eq!(
    call(&server, "GET", "/_/metrics", t, Vec::new())
      .await
      .status,
    200
  );
  assert_eq!(
    call(&server, "GET", "/_/stats", t, Vec::new()).await.status,
    200
  );
  assert_eq!(
    call(&server, "GET", "/_/logs?app=blog", t, Vec::new())
      .await
      .status,
    200
  );
  let deploy = call(
    &server,
    "POST",
    "/_/apps?name=blog&version=3.0.0",
    t,
    package("x", "0.0.0"),
  )
  .await;
  assert_eq!(deploy.status, 403);
  assert!(deploy.error().contains("deploy:blog"));
  assert_eq!(
    call(&server, "DELETE", "/_/apps/shop/1.1.0", t, Vec::new())
      .await
      .status,
    403
  );

  // admin, from the file and ADMIN_TOKEN
  for t in ["ops-token", "root-token"] {
    let files = call(&server, "GET", "/_/deployments/list?path=", t, Vec::new()).await;
    assert_eq!(files.status, 200, "{t}: {}", files.body);
  }
  // Unknown, missing and malformed credentials: 401, even from loopback.
  for t in ["nope", "", "shop-token "] {
    let reply = call(&server, "GET", "/_/metrics", t, Vec::new()).await;
    assert_eq!(
      reply.status,
      if t == "shop-token " { 403 } else { 401 },
      "{t:?}"
    );
  }
  // The CLI takes a scoped token.
  let project = tempfile::tempdir().unwrap();
  std::fs::write(
    project.path().join("index.js"),
    "export default { fetch() { return new Response('cli') } }",
  )
  .unwrap();
  let out = std::process::Command::new(env!("CARGO_BIN_EXE_buntime-embedded"))
    .args([
      "deploy",
      project.path().to_str().unwrap(),
      "--name",
      "shop",
      "--version",
      "1.2.0",
    ])
    .args(["--server", &server.base, "--token", "shop-token"])
    .env_clear()
    .output()
    .unwrap();
  assert!(
    out.status.success(),
    "{}",
    String::from_utf8_lossy(&out.stderr)
  );
  assert_eq!(server.get("/shop").await.body, "cli");

  // The file is re-read on change: the shop team's token is revoked.
  std::fs::write(&file, tokens_json(&[("ops", "ops-token", &["admin"])])).unwrap();
  let revoked = call(&server, "GET", "/_/logs?app=shop", "shop-token", Vec::new()).await;
  assert_eq!(revoked.status, 401, "{}", revoked.body);
  // A broken edit keeps the tokens in force and the server serving.
  std::fs::write(&file, "{ not json").unwrap();
  assert_eq!(
    call(&server, "GET", "/_/metrics", "ops-token", Vec::new())
      .await
      .status,
    200
  );
  assert_neighbour_serves(&mut server).await;
}

#[tokio::test]
async fn a_bad_tokens_file_stops_the_start_naming_the_entry() {
  let apps = Apps::new();
  let dir = tempfile::tempdir().unwrap();
  let file = dir.path().join("tokens.json");
  std::fs::write(&file, tokens_json(&[("team", "t", &["deploy:../etc"])])).unwrap();
  let output =
    crate::harness::server_command(apps.path(), &[("TOKENS_FILE", file.to_str().unwrap())])
      .output()
      .unwrap();
  assert!(!output.status.success());
  let stderr = String::from_utf8_lossy(&output.stderr);
  assert!(
    stderr.contains("\"team\"") && stderr.contains("deploy:../etc"),
    "{stderr}"
  );
}
