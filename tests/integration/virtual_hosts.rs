//! Virtual hosts: apps claim host names in their config and are served at
//! `/` for requests with that `Host`; conflicts and bad claims are config
//! errors naming what is wrong, and path-prefixed access keeps working.

use crate::harness::{assert_neighbour_serves, with_neighbour, Apps, Reply, Server};

/// Answers its name, version, path and `x-base`.
fn app(apps: &Apps, name_version: &str, hosts: &str) {
  apps.js(
    name_version,
    &format!(
      r#"export default {{ fetch(req) {{
        const url = new URL(req.url);
        return Response.json({{ app: {name_version:?}, path: url.pathname + url.search,
          base: req.headers.get("x-base") }});
      }} }};"#
    ),
  );
  if !hosts.is_empty() {
    apps.file(
      &format!("{name_version}/worker.config.json"),
      format!(r#"{{ "hosts": {hosts} }}"#),
    );
  }
}

async fn with_host(server: &Server, host: &str, path: &str) -> Reply {
  let reply = server
    .client
    .get(server.url(path))
    .header("host", host)
    .send()
    .await
    .unwrap();
  Reply::from(reply).await
}

#[tokio::test]
async fn hosts_route_to_their_apps_at_the_root() {
  let apps = Apps::new();
  app(
    &apps,
    "api/1.0.0",
    r#"["api.example.com", "old.example.com@1"]"#,
  );
  app(
    &apps,
    "api/2.0.0",
    r#"["api.example.com", "old.example.com@1"]"#,
  );
  app(&apps, "preview/1.0.0", r#"["*.preview.example.com"]"#);
  with_neighbour(&apps);
  let mut server = Server::start(&apps);
  let reply = with_host(&server, "api.example.com", "/users?id=7").await;
  assert_eq!(reply.status, 200, "{}", reply.body);
  let json = reply.json();
  assert_eq!(json["app"], "api/2.0.0", "the highest version");
  assert_eq!(json["path"], "/users?id=7", "the path is not prefixed");
  assert_eq!(json["base"], "/");
  // Case, port and a trailing dot do not matter.
  let json = with_host(&server, "API.Example.COM.:8443", "/")
    .await
    .json();
  assert_eq!(json["app"], "api/2.0.0");
  // A claim with a range serves that range.
  let json = with_host(&server, "old.example.com", "/x").await.json();
  assert_eq!(json["app"], "api/1.0.0");
  // Wildcards: any name under, not the bare name.
  let json = with_host(&server, "pr-42.preview.example.com", "/")
    .await
    .json();
  assert_eq!(json["app"], "preview/1.0.0");
  let bare = with_host(&server, "preview.example.com", "/api/")
    .await
    .json();
  assert_eq!(bare["app"], "api/2.0.0", "unclaimed hosts route by path");
  // A hostile Host cannot reach anything but a claim or path routing.
  for host in [
    "api.example.com/../neighbour",
    "api.example.com\u{0}",
    "*.preview.example.com",
  ] {
    if let Ok(reply) = server
      .client
      .get(server.url("/neighbour"))
      .header("host", host)
      .send()
      .await
    {
      assert!(reply.status() == 200 || reply.status() == 400, "{host}");
    }
  }
  // Path-prefixed access keeps working, with its own base.
  let json = server.get("/api@1/users").await.json();
  assert_eq!(json["app"], "api/1.0.0");
  assert_eq!(json["base"], "/api@1");
  // The admin API is not an app: its routes answer on a claimed host too.
  let health = with_host(&server, "api.example.com", "/_/health").await;
  assert_eq!(health.status, 200);
  assert_neighbour_serves(&mut server).await;
}

#[tokio::test]
async fn conflicting_and_invalid_claims_are_config_errors() {
  let apps = Apps::new();
  app(&apps, "first/1.0.0", r#"["shared.example.com"]"#);
  app(
    &apps,
    "second/1.0.0",
    r#"["shared.example.com", "own.example.com"]"#,
  );
  app(&apps, "badclaim/1.0.0", r#"["not_a host!"]"#);
  with_neighbour(&apps);
  let mut server = Server::start(&apps);
  let reply = with_host(&server, "shared.example.com", "/").await;
  assert_eq!(reply.status, 500, "{}", reply.body);
  let message = reply.error();
  assert!(
    message.contains("first") && message.contains("second"),
    "{message}"
  );
  assert!(!message.contains(apps.path().to_str().unwrap()));
  assert!(server.log().contains("shared.example.com"));
  // The rest of a conflicting app's claims still work, and its path.
  let json = with_host(&server, "own.example.com", "/").await.json();
  assert_eq!(json["app"], "second/1.0.0");
  assert_eq!(server.get("/first/").await.json()["app"], "first/1.0.0");
  // An invalid claim is that app's config error, naming the claim.
  let bad = server.get("/badclaim/").await;
  assert_eq!(bad.status, 500);
  assert!(bad.error().contains("not_a host!"), "{}", bad.body);
  // Giving the name up (a redeploy) ends the conflict.
  apps.file(
    "second/1.0.0/worker.config.json",
    r#"{ "hosts": ["own.example.com"] }"#,
  );
  let mut resolved = false;
  for _ in 0..50 {
    let reply = with_host(&server, "shared.example.com", "/").await;
    if reply.status == 200 && reply.json()["app"] == "first/1.0.0" {
      resolved = true;
      break;
    }
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
  }
  assert!(resolved, "the conflict outlived the change");
  assert_neighbour_serves(&mut server).await;
}
