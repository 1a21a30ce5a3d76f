//! `/<name>[@range]` resolution over version folders (DESIGN.md §4).

use crate::harness::{Apps, Server};

fn versioned_apps(versions: &[&str]) -> Apps {
  let apps = Apps::new();
  for v in versions {
    apps.js(
      &format!("svc/{v}"),
      &format!("export default {{ fetch() {{ return new Response('{v}') }} }}"),
    );
  }
  apps
}

#[tokio::test]
async fn ranges_pick_the_highest_satisfying_version() {
  let apps = versioned_apps(&["1.0.0", "1.2.0", "1.2.5", "1.4.2", "2.0.0", "2.1.0-beta.1"]);
  // Not versions: ignored.
  apps.file(
    "svc/latest/index.js",
    "export default { fetch() { return new Response('latest') } }",
  );
  apps.file("svc/3.0.0.txt", "not a folder");
  let server = Server::start(&apps);
  for (range, expected) in [
    ("svc", "2.1.0-beta.1"),
    ("svc@1", "1.4.2"),
    ("svc@1.2", "1.2.5"),
    ("svc@1.2.0", "1.2.0"),
    ("svc@^1.0.0", "1.4.2"),
    ("svc@~1.2.0", "1.2.5"),
    ("svc@v1.0.0", "1.0.0"),
    ("svc@2.0", "2.0.0"),
    ("svc@>=1.2.0%20<1.3.0", "1.2.5"),
    ("svc@>=%201.0.0,<1.2.0", "1.0.0"),
    ("svc@^3.0.0%20||%20~1.2.0", "1.2.5"),
  ] {
    let reply = server.get(&format!("/{range}/")).await;
    assert_eq!(
      (reply.status, reply.body.as_str()),
      (200, expected),
      "range {range}"
    );
  }
}

#[tokio::test]
async fn prereleases_order_by_semver() {
  let apps = versioned_apps(&["1.0.0-beta", "1.0.0-rc.1", "0.9.0"]);
  let server = Server::start(&apps);
  assert_eq!(server.get("/svc").await.body, "1.0.0-rc.1");
  assert_eq!(server.get("/svc@1").await.body, "1.0.0-rc.1");
  assert_eq!(server.get("/svc@0").await.body, "0.9.0");
}

/// A lower bound written in full (`^1.2.3`, `~1.2.3`, `>=1.2.3`) keeps
/// 1.2.3's prereleases out; an upper one (`<1.2.3`) lets them in (found by
/// fuzz.rs).
#[tokio::test]
async fn prereleases_sit_just_below_their_release() {
  let apps = versioned_apps(&["1.2.2", "1.2.3-rc.1"]);
  let server = Server::start(&apps);
  for range in ["^1.2.3", "~1.2.3", ">=1.2.3"] {
    assert_eq!(
      server.get(&format!("/svc@{range}")).await.status,
      404,
      "{range}"
    );
  }
  for (range, expected) in [
    ("<1.2.3", "1.2.3-rc.1"),
    ("<=1.2.3", "1.2.3-rc.1"),
    ("1.2", "1.2.3-rc.1"),
    ("^1.2.2", "1.2.3-rc.1"),
    ("1.2.3-rc.1", "1.2.3-rc.1"),
    ("1.2.3", ""),
  ] {
    let reply = server.get(&format!("/svc@{range}")).await;
    if expected.is_empty() {
      assert_eq!(reply.status, 404, "{range}");
    } else {
      assert_eq!(reply.body, expected, "{range}");
    }
  }
}

#[tokio::test]
async fn unknown_apps_and_bad_ranges_answer_404_json() {
  let apps = versioned_apps(&["1.0.0"]);
  let server = Server::start(&apps);
  for (path, shown) in [
    ("/nope", "nope"),
    ("/nope/deeper", "nope"),
    ("/svc@invalid/", "svc@invalid"),
    ("/svc@1.0.0.0/", "svc@1.0.0.0"),
    ("/svc@2/", "svc@2"),
    ("/..%2Fsvc/", "../svc"),
  ] {
    let reply = server.get(path).await;
    assert_eq!(reply.status, 404, "{path}: {}", reply.body);
    assert_eq!(reply.error(), format!("App not found: {shown}"), "{path}");
  }
}

#[tokio::test]
async fn a_new_version_is_served_within_a_second_without_restart() {
  let apps = versioned_apps(&["1.0.0"]);
  let server = Server::start(&apps);
  assert_eq!(server.get("/svc").await.body, "1.0.0");
  apps.js(
    "svc/1.1.0",
    "export default { fetch() { return new Response('1.1.0') } }",
  );
  tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
  assert_eq!(server.get("/svc").await.body, "1.1.0");
  assert_eq!(server.get("/svc@1.0.0").await.body, "1.0.0");
}

#[tokio::test]
async fn root_answers_the_version_or_the_shell_app() {
  let apps = versioned_apps(&["1.0.0"]);
  apps.js(
    "shell/1.0.0",
    "export default { fetch(req) { return new Response('shell ' + new URL(req.url).pathname) } }",
  );
  let plain = Server::start(&apps);
  let reply = plain.get("/").await;
  assert_eq!(reply.status, 200);
  assert_eq!(
    reply.body,
    format!("Buntime v{}", env!("CARGO_PKG_VERSION"))
  );

  let shell = Server::start_with(&apps, &[("APP_SHELL", "shell")]);
  assert_eq!(shell.get("/").await.body, "shell /");
  assert_eq!(
    shell.get("/dashboard/settings?x=1").await.body,
    "shell /dashboard/settings"
  );
  // Real apps still win over the shell.
  assert_eq!(shell.get("/svc").await.body, "1.0.0");
}
