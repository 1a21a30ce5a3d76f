//! `/_/deployments`, hot reload and the security perimeter.

use std::io::Write;
use std::time::Duration;

use crate::harness::{Apps, Reply, Server};

const V1: &str = "export default { fetch() { return new Response('v1') } }";

async fn post_json(server: &Server, path: &str, body: serde_json::Value) -> Reply {
  Reply::from(
    server
      .client
      .post(server.url(path))
      .json(&body)
      .send()
      .await
      .unwrap(),
  )
  .await
}

fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
  let mut buffer = std::io::Cursor::new(Vec::new());
  {
    let mut writer = zip::ZipWriter::new(&mut buffer);
    let options =
      zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in entries {
      writer.start_file(*name, options).unwrap();
      writer.write_all(data).unwrap();
    }
    writer.finish().unwrap();
  }
  buffer.into_inner()
}

async fn upload(server: &Server, path: &str, files: Vec<(&str, Vec<u8>)>) -> Reply {
  let mut form = reqwest::multipart::Form::new().text("path", path.to_string());
  for (name, data) in files {
    form = form.part(
      "files",
      reqwest::multipart::Part::bytes(data).file_name(name.to_string()),
    );
  }
  Reply::from(
    server
      .client
      .post(server.url("/_/deployments/upload"))
      .multipart(form)
      .send()
      .await
      .unwrap(),
  )
  .await
}

#[tokio::test]
async fn every_operation_works_inside_apps_dir() {
  let apps = Apps::new();
  apps.js("site/1.0.0", V1);
  let server = Server::start(&apps);

  let made = post_json(
    &server,
    "/_/deployments/mkdir",
    serde_json::json!({ "path": "site/2.0.0" }),
  )
  .await;
  assert_eq!(made.status, 200, "{}", made.body);
  assert_eq!(made.json()["success"], true);

  let up = upload(
    &server,
    "site/2.0.0",
    vec![(
      "index.js",
      b"export default { fetch() { return new Response('v2') } }".to_vec(),
    )],
  )
  .await;
  assert_eq!(up.status, 200, "{}", up.body);
  assert_eq!(up.json()["data"]["files"][0], "site/2.0.0/index.js");

  let listed = server.get("/_/deployments/list?path=site").await.json();
  let names: Vec<&str> = listed["data"]
    .as_array()
    .unwrap()
    .iter()
    .map(|e| e["name"].as_str().unwrap())
    .collect();
  assert_eq!(names, ["1.0.0", "2.0.0"]);
  assert_eq!(listed["data"][1]["isDirectory"], true);
  assert_eq!(listed["data"][1]["files"], 1);
  let files = server
    .get("/_/deployments/list?path=site/2.0.0")
    .await
    .json();
  assert_eq!(files["data"][0]["name"], "index.js");
  assert!(files["data"][0]["size"].as_u64().unwrap() > 10);
  assert!(files["data"][0]["updatedAt"].as_u64().unwrap() > 0);

  // The new version serves at once.
  assert_eq!(server.get("/site").await.body, "v2");

  let download = server
    .client
    .get(server.url("/_/deployments/download?path=site/2.0.0/index.js"))
    .send()
    .await
    .unwrap();
  assert_eq!(
    download.headers()["content-disposition"],
    "attachment; filename=\"index.js\""
  );
  assert!(download.text().await.unwrap().contains("v2"));
  let folder = server
    .client
    .get(server.url("/_/deployments/download?path=site/1.0.0"))
    .send()
    .await
    .unwrap();
  assert_eq!(
    folder.headers()["content-disposition"],
    "attachment; filename=\"1.0.0.zip\""
  );
  let bytes = folder.bytes().await.unwrap();
  let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
  assert_eq!(archive.by_name("index.js").unwrap().size(), V1.len() as u64);

  let renamed = post_json(
    &server,
    "/_/deployments/rename",
    serde_json::json!({ "path": "site/2.0.0", "newName": "3.0.0" }),
  )
  .await;
  assert_eq!(renamed.status, 200, "{}", renamed.body);
  assert!(apps.path().join("site/3.0.0/index.js").exists());
  let clash = post_json(
    &server,
    "/_/deployments/rename",
    serde_json::json!({ "path": "site/3.0.0", "newName": "1.0.0" }),
  )
  .await;
  assert_eq!(clash.status, 409);

  let deleted = Reply::from(
    server
      .client
      .delete(server.url("/_/deployments/delete"))
      .json(&serde_json::json!({ "path": "site/3.0.0" }))
      .send()
      .await
      .unwrap(),
  )
  .await;
  assert_eq!(deleted.status, 200, "{}", deleted.body);
  assert!(!apps.path().join("site/3.0.0").exists());
  tokio::time::sleep(Duration::from_millis(100)).await;
  assert_eq!(server.get("/site").await.body, "v1");
  let missing = server.get("/_/deployments/list?path=nope").await;
  assert_eq!(missing.status, 404);
  assert_eq!(missing.json()["error"]["code"], "NOT_FOUND");
}

#[tokio::test]
async fn escapes_are_refused_and_nothing_outside_changes() {
  let outer = tempfile::tempdir().unwrap();
  let apps_dir = outer.path().join("apps");
  std::fs::create_dir_all(apps_dir.join("site/1.0.0")).unwrap();
  std::fs::write(apps_dir.join("site/1.0.0/index.js"), V1).unwrap();
  std::fs::write(outer.path().join("outside.txt"), "keep me").unwrap();
  std::os::unix::fs::symlink(outer.path(), apps_dir.join("link")).unwrap();
  let apps = Apps::at(&apps_dir);
  let server = Server::start(&apps);
  let before = snapshot(outer.path());

  for path in [
    "../outside.txt",
    "site/../../outside.txt",
    "/etc",
    "link/outside.txt",
    "link",
    "site/%2e%2e/x",
    "a\\b",
  ] {
    let listed = server
      .get(&format!("/_/deployments/list?path={}", urlencode(path)))
      .await;
    assert!(
      matches!(listed.status, 400 | 404),
      "list {path}: {} {}",
      listed.status,
      listed.body
    );
    let made = post_json(
      &server,
      "/_/deployments/mkdir",
      serde_json::json!({ "path": format!("{path}/new") }),
    )
    .await;
    assert!(
      matches!(made.status, 400 | 404),
      "mkdir {path}: {}",
      made.body
    );
    let deleted = Reply::from(
      server
        .client
        .delete(server.url("/_/deployments/delete"))
        .json(&serde_json::json!({ "path": path }))
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert!(
      matches!(deleted.status, 400 | 404),
      "delete {path}: {}",
      deleted.body
    );
    let downloaded = server
      .get(&format!("/_/deployments/download?path={}", urlencode(path)))
      .await;
    assert!(
      matches!(downloaded.status, 400 | 404),
      "download {path}: {}",
      downloaded.status
    );
    assert!(!downloaded.body.contains("keep me"));
    let up = upload(&server, path, vec![("evil.js", b"x".to_vec())]).await;
    assert!(matches!(up.status, 400 | 404), "upload {path}: {}", up.body);
  }
  for name in ["../x", "a/b", "..", ""] {
    let renamed = post_json(
      &server,
      "/_/deployments/rename",
      serde_json::json!({ "path": "site/1.0.0", "newName": name }),
    )
    .await;
    assert_eq!(renamed.status, 400, "rename to {name:?}: {}", renamed.body);
  }
  let up = upload(&server, "site/1.0.0", vec![("../evil.js", b"x".to_vec())]).await;
  assert_eq!(up.status, 400, "{}", up.body);
  let root = Reply::from(
    server
      .client
      .delete(server.url("/_/deployments/delete?path=."))
      .send()
      .await
      .unwrap(),
  )
  .await;
  assert_eq!(root.status, 403);
  let root = post_json(
    &server,
    "/_/deployments/rename",
    serde_json::json!({ "path": "", "newName": "x" }),
  )
  .await;
  assert_eq!(root.status, 403);

  // Zip slip and absolute names.
  for evil in ["../evil.txt", "/tmp/evil.txt", "a/../../evil.txt"] {
    let archive = zip_of(&[("ok.txt", b"fine"), (evil, b"evil")]);
    let reply = upload(&server, "site/2.0.0", vec![("bundle.zip", archive)]).await;
    assert_eq!(reply.status, 400, "{evil}: {}", reply.body);
    assert_eq!(reply.json()["error"]["code"], "BAD_ZIP");
  }
  assert!(
    !apps_dir.join("site/2.0.0/ok.txt").exists(),
    "a refused zip left files behind"
  );
  assert_eq!(
    before,
    snapshot(outer.path()),
    "files outside APPS_DIR changed"
  );
}

#[tokio::test]
async fn zips_are_extracted_and_bombs_refused() {
  let apps = Apps::new();
  apps.js("app/1.0.0", V1);
  let server = Server::start_with(
    &apps,
    &[
      ("MAX_UNPACKED_MB", "1"),
      ("MAX_ZIP_ENTRIES", "5"),
      ("MAX_UPLOAD_MB", "2"),
    ],
  );
  let archive = zip_of(&[
    (
      "index.js",
      b"export default { fetch() { return new Response('from zip') } }",
    ),
    ("lib/util.js", b"export const x = 1;"),
  ]);
  let reply = upload(&server, "app/2.0.0", vec![("release.zip", archive)]).await;
  assert_eq!(reply.status, 200, "{}", reply.body);
  assert!(apps.path().join("app/2.0.0/lib/util.js").exists());
  assert!(!apps.path().join("app/2.0.0/release.zip").exists());
  assert_eq!(server.get("/app").await.body, "from zip");

  // 4 MB of zeros compresses to a few KB: refused while unpacking.
  let zeros = vec![0u8; 4 << 20];
  let bomb = zip_of(&[("zeros.bin", &zeros)]);
  assert!(bomb.len() < 100_000);
  let reply = upload(&server, "app/3.0.0", vec![("bomb.zip", bomb)]).await;
  assert_eq!(reply.status, 400, "{}", reply.body);
  assert!(reply.json()["error"]["message"]
    .as_str()
    .unwrap()
    .contains("unpacks to more than 1 MB"));
  assert!(!apps.path().join("app/3.0.0/zeros.bin").exists());
  let many: Vec<(String, Vec<u8>)> = (0..6).map(|i| (format!("f{i}.txt"), vec![b'x'])).collect();
  let many: Vec<(&str, &[u8])> = many
    .iter()
    .map(|(n, d)| (n.as_str(), d.as_slice()))
    .collect();
  let reply = upload(&server, "app/3.0.0", vec![("many.zip", zip_of(&many))]).await;
  assert_eq!(reply.status, 400);
  // Too large an upload: 413, and no temporary file is left.
  let reply = upload(&server, "app/3.0.0", vec![("big.bin", vec![7u8; 3 << 20])]).await;
  assert_eq!(reply.status, 413, "{}", reply.body);
  let leftovers: Vec<_> = std::fs::read_dir(apps.path().join("app/3.0.0"))
    .map(|d| d.flatten().count())
    .into_iter()
    .collect();
  assert_eq!(leftovers, [0]);
}

#[tokio::test]
async fn editing_a_file_on_disk_reloads_the_app() {
  let apps = Apps::new();
  apps
    .js("live/1.0.0", V1)
    .file("live/1.0.0/worker.config.json", r#"{ "ttl": 600 }"#);
  let server = Server::start(&apps);
  assert_eq!(server.get("/live").await.body, "v1");
  apps.js(
    "live/1.0.0",
    "export default { fetch() { return new Response('edited') } }",
  );
  let mut body = String::new();
  for _ in 0..50 {
    tokio::time::sleep(Duration::from_millis(100)).await;
    body = server.get("/live").await.body;
    if body == "edited" {
      break;
    }
  }
  assert_eq!(body, "edited");
}

#[tokio::test]
async fn the_app_environment_is_its_own() {
  let apps = Apps::new();
  apps
    .js(
      "envy/1.0.0",
      "export default { fetch() { return Response.json(Bun.env) } }",
    )
    .file(
      "envy/1.0.0/.env",
      "# comment\nFROM_DOTENV=dot\nexport QUOTED=\"quoted value\"\nOVERRIDDEN=dotenv\n",
    )
    .file(
      "envy/1.0.0/worker.config.json",
      r#"{ "env": { "OVERRIDDEN": "config" } }"#,
    );
  let server = Server::start_with(
    &apps,
    &[
      ("ALLOWED_VAR", "shared"),
      ("HIDDEN_VAR", "secret"),
      ("ADMIN_TOKEN", "tok"),
      ("APP_ENV_ALLOW", "ALLOWED_VAR,ADMIN_TOKEN"),
    ],
  );
  let env = server.get("/envy").await.json();
  assert_eq!(
    env,
    // NODE_ENV is the server's (the harness runs it with `test`).
    serde_json::json!({ "ALLOWED_VAR": "shared", "FROM_DOTENV": "dot", "QUOTED": "quoted value", "OVERRIDDEN": "config", "NODE_ENV": "test" })
  );
}

/// Every file under `dir` with its contents.
fn snapshot(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
  let mut out = Vec::new();
  let mut stack = vec![dir.to_path_buf()];
  while let Some(d) = stack.pop() {
    for entry in std::fs::read_dir(&d).unwrap().flatten() {
      let kind = entry.file_type().unwrap();
      if kind.is_symlink() {
        out.push((entry.path().display().to_string(), Vec::new()));
      } else if kind.is_dir() {
        stack.push(entry.path());
      } else {
        out.push((
          entry.path().display().to_string(),
          std::fs::read(entry.path()).unwrap(),
        ));
      }
    }
  }
  out.sort();
  out
}

fn urlencode(text: &str) -> String {
  text
    .bytes()
    .map(|b| {
      if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
        (b as char).to_string()
      } else {
        format!("%{b:02X}")
      }
    })
    .collect()
}

#[tokio::test]
async fn apps_cannot_read_host_files_or_reach_private_addresses_when_blocked() {
  let upstream = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
  let port = upstream.local_addr().unwrap().port();
  let router = axum::Router::new().fallback(|| async { "internal service" });
  tokio::spawn(async move { axum::serve(upstream, router).await.unwrap() });
  let apps = Apps::new();
  apps.file("other/1.0.0/secret.txt", "other app's secret");
  apps.js(
    "nosy/1.0.0",
    &format!(
      r#"export default {{ async fetch(req) {{
        const path = new URL(req.url).pathname;
        const attempt = async (f) => {{ try {{ return await f(); }} catch (e) {{ return "refused: " + e.message; }} }};
        if (path === "/files") return Response.json({{
          passwd: await attempt(() => Bun.file("/etc/passwd").text()),
          sibling: await attempt(() => Bun.file("../../other/1.0.0/secret.txt").text()),
          imported: await attempt(() => import("/etc/passwd")),
        }});
        return new Response(await attempt(async () => (await fetch("http://127.0.0.1:{port}/")).text()));
      }} }}"#
    ),
  );
  let open = Server::start(&apps);
  assert_eq!(open.get("/nosy/fetch").await.body, "internal service");
  let files = open.get("/nosy/files").await.json();
  for key in ["passwd", "sibling", "imported"] {
    let value = files[key].as_str().unwrap_or_default();
    assert!(value.starts_with("refused: "), "{key}: {value}");
    assert!(
      !value.contains("root:") && !value.contains("other app's secret"),
      "{key}: {value}"
    );
  }
  let blocked = Server::start_with(&apps, &[("BLOCK_PRIVATE_FETCH", "true")]);
  let reply = blocked.get("/nosy/fetch").await.body;
  assert!(
    reply.contains("private and loopback addresses are blocked"),
    "{reply}"
  );
}
