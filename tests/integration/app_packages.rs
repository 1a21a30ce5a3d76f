//! `/_/apps`: whole app versions installed from a `.tar.gz` or `.zip`,
//! atomically; hostile archives refused with nothing left behind.

use std::io::Write;
use std::time::Duration;

use crate::harness::{assert_neighbour_serves, with_neighbour, Apps, Reply, Server};

fn handler(text: &str) -> String {
  format!("export default {{ fetch() {{ return new Response({text:?}) }} }}")
}

/// A gzipped tarball of `entries`, each under `prefix` (like npm pack's
/// `package/`).
pub fn tar_gz(prefix: &str, entries: &[(&str, &[u8])]) -> Vec<u8> {
  let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
  let mut builder = tar::Builder::new(gz);
  for (name, data) in entries {
    let mut header = tar::Header::new_gnu();
    header.set_size(data.len() as u64);
    header.set_mode(0o644);
    builder
      .append_data(&mut header, format!("{prefix}{name}"), *data)
      .unwrap();
  }
  builder.into_inner().unwrap().finish().unwrap()
}

/// A tarball with one entry whose raw name is `name` (the `tar` crate's
/// own path checks would refuse to write `..`), of `kind`.
fn raw_tar_gz(name: &str, kind: tar::EntryType, data: &[u8]) -> Vec<u8> {
  let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
  let mut builder = tar::Builder::new(gz);
  let mut header = tar::Header::new_old();
  header.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
  header.set_entry_type(kind);
  header.set_size(data.len() as u64);
  header.set_mode(0o644);
  if kind == tar::EntryType::Symlink {
    header.set_link_name("/etc/passwd").unwrap();
  }
  header.set_cksum();
  builder.append(&header, data).unwrap();
  builder.into_inner().unwrap().finish().unwrap()
}

fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
  let mut buffer = std::io::Cursor::new(Vec::new());
  {
    let mut writer = zip::ZipWriter::new(&mut buffer);
    let options = zip::write::SimpleFileOptions::default();
    for (name, data) in entries {
      writer.start_file(*name, options).unwrap();
      writer.write_all(data).unwrap();
    }
    writer.finish().unwrap();
  }
  buffer.into_inner()
}

async fn install(server: &Server, query: &str, archive: Vec<u8>) -> Reply {
  let reply = server
    .client
    .post(server.url(&format!("/_/apps{query}")))
    .body(archive)
    .send()
    .await
    .unwrap();
  Reply::from(reply).await
}

fn manifest(name: &str, version: &str) -> Vec<u8> {
  format!("{{\"name\":{name:?},\"version\":{version:?}}}").into_bytes()
}

/// What `APPS_DIR` holds besides the staging folder, recursively.
fn tree(apps: &Apps) -> Vec<String> {
  fn walk(dir: &std::path::Path, root: &std::path::Path, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
      let path = entry.path();
      out.push(path.strip_prefix(root).unwrap().display().to_string());
      if entry.file_type().unwrap().is_dir() {
        walk(&path, root, out);
      }
    }
  }
  let mut out = Vec::new();
  walk(apps.path(), apps.path(), &mut out);
  out.retain(|p| !p.starts_with(".buntime-staging"));
  out.sort();
  out
}

fn staging_is_empty(apps: &Apps) -> bool {
  let staging = apps.path().join(".buntime-staging");
  !staging.exists() || std::fs::read_dir(staging).unwrap().next().is_none()
}

#[tokio::test]
async fn packages_install_new_versions_and_old_ones_stay_reachable() {
  let apps = Apps::new();
  apps.js("shop/1.0.0", &handler("v1"));
  with_neighbour(&apps);
  let mut server = Server::start(&apps);
  assert_eq!(server.get("/shop").await.body, "v1");
  // npm pack's layout: everything under `package/`, name and version from
  // package.json.
  let tgz = tar_gz(
    "package/",
    &[
      ("package.json", &manifest("shop", "1.1.0")),
      ("index.js", handler("v1.1").as_bytes()),
    ],
  );
  let reply = install(&server, "", tgz).await;
  assert_eq!(reply.status, 201, "{}", reply.body);
  let data = &reply.json()["data"];
  assert_eq!(data["name"], "shop");
  assert_eq!(data["version"], "1.1.0");
  assert_eq!(data["files"], 2);
  assert_eq!(server.get("/shop").await.body, "v1.1");
  assert_eq!(server.get("/shop@1.0.0").await.body, "v1");
  // A zip, name and version from the URL.
  let zip = zip_of(&[("index.js", handler("v2").as_bytes())]);
  let reply = install(&server, "?name=shop&version=2.0.0", zip.clone()).await;
  assert_eq!(reply.status, 201, "{}", reply.body);
  assert_eq!(server.get("/shop").await.body, "v2");
  assert_eq!(server.get("/shop@1").await.body, "v1.1");
  // The same version again: refused unless replacing.
  let again = install(&server, "?name=shop&version=2.0.0", zip).await;
  assert_eq!(again.status, 409, "{}", again.body);
  let zip = zip_of(&[("index.js", handler("v2 again").as_bytes())]);
  let replaced = install(&server, "?name=shop&version=2.0.0&replace=true", zip).await;
  assert_eq!(replaced.status, 201, "{}", replaced.body);
  assert_eq!(replaced.json()["data"]["replaced"], true);
  assert_eq!(server.get("/shop").await.body, "v2 again");
  let listed = server.get("/_/apps").await.json();
  let shop = listed["data"]["apps"]
    .as_array()
    .unwrap()
    .iter()
    .find(|a| a["name"] == "shop")
    .unwrap()
    .clone();
  assert_eq!(
    shop["versions"],
    serde_json::json!(["1.0.0", "1.1.0", "2.0.0"])
  );
  let removed = server
    .client
    .delete(server.url("/_/apps/shop/2.0.0"))
    .send()
    .await
    .unwrap();
  assert_eq!(removed.status(), 200);
  assert_eq!(server.get("/shop").await.body, "v1.1");
  let missing = server
    .client
    .delete(server.url("/_/apps/shop/9.0.0"))
    .send()
    .await
    .unwrap();
  assert_eq!(missing.status(), 404);
  assert!(staging_is_empty(&apps));
  assert_neighbour_serves(&mut server).await;
}

#[tokio::test]
async fn hostile_packages_are_refused_and_leave_nothing_behind() {
  let apps = Apps::new();
  apps.js("shop/1.0.0", &handler("v1"));
  with_neighbour(&apps);
  let mut server = Server::start_with(
    &apps,
    &[
      ("MAX_UPLOAD_MB", "1"),
      ("MAX_UNPACKED_MB", "2"),
      ("MAX_ZIP_ENTRIES", "50"),
    ],
  );
  let before = tree(&apps);
  let index = handler("evil");
  let many: Vec<(String, Vec<u8>)> = (0..60).map(|i| (format!("f{i}.js"), vec![b'x'])).collect();
  let many: Vec<(&str, &[u8])> = many
    .iter()
    .map(|(n, d)| (n.as_str(), d.as_slice()))
    .collect();
  let zeros = vec![0u8; 3 << 20];
  let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
    (
      "?name=shop&version=1.5.0",
      raw_tar_gz("../escaped.js", tar::EntryType::Regular, b"x"),
      400,
      "outside",
    ),
    (
      "?name=shop&version=1.5.0",
      raw_tar_gz("/tmp/absolute.js", tar::EntryType::Regular, b"x"),
      400,
      "outside",
    ),
    (
      "?name=shop&version=1.5.0",
      raw_tar_gz("link", tar::EntryType::Symlink, b""),
      400,
      "link",
    ),
    (
      "",
      tar_gz(
        "",
        &[
          ("package.json", &manifest("@team/shop", "1.0.0")),
          ("index.js", index.as_bytes()),
        ],
      ),
      400,
      "\"name\"",
    ),
    (
      "",
      tar_gz("", &[("package.json", &manifest("../shop", "1.0.0"))]),
      400,
      "\"name\"",
    ),
    (
      "",
      tar_gz("", &[("package.json", &manifest("shop", "latest"))]),
      400,
      "\"version\"",
    ),
    (
      "",
      tar_gz("", &[("index.js", index.as_bytes())]),
      400,
      "\"name\"",
    ),
    (
      "?name=shop&version=../../x",
      zip_of(&[("index.js", b"x")]),
      400,
      "\"version\"",
    ),
    (
      "?name=shop&version=1.5.0",
      b"just some text".to_vec(),
      400,
      "not a .zip",
    ),
    ("?name=shop&version=1.5.0", Vec::new(), 400, "empty"),
    ("?name=shop&version=1.5.0", vec![7u8; 2 << 20], 413, "1 MB"),
    (
      "?name=shop&version=1.5.0",
      tar_gz("", &[("zeros.bin", &zeros)]),
      400,
      "2 MB",
    ),
    ("?name=shop&version=1.5.0", zip_of(&many), 400, "50 entries"),
    (
      "?name=shop&version=1.5.0",
      flate2_cut(tar_gz("", &[("index.js", &zeros)])),
      400,
      "",
    ),
  ];
  for (query, archive, status, expected) in cases {
    let reply = install(&server, query, archive).await;
    assert_eq!(reply.status, status, "{query}: {}", reply.body);
    let message = reply.json()["error"]["message"]
      .as_str()
      .unwrap()
      .to_string();
    assert!(message.contains(expected), "{query}: {}", reply.body);
    assert!(
      !reply.body.contains(apps.path().to_str().unwrap()),
      "{}",
      reply.body
    );
    assert_eq!(tree(&apps), before, "{query}: a refused package left files");
    assert!(staging_is_empty(&apps), "{query}: staging not cleaned");
    assert_eq!(server.get("/shop").await.body, "v1");
  }
  assert!(!apps.path().parent().unwrap().join("escaped.js").exists());
  assert_neighbour_serves(&mut server).await;
}

/// The first half of a gzip stream: a truncated upload.
fn flate2_cut(mut bytes: Vec<u8>) -> Vec<u8> {
  bytes.truncate(bytes.len() / 2);
  bytes
}

#[tokio::test]
async fn a_server_killed_mid_upload_keeps_the_old_version_and_no_debris() {
  let apps = Apps::new();
  apps.js("shop/1.0.0", &handler("v1"));
  with_neighbour(&apps);
  let server = Server::start(&apps);
  let before = tree(&apps);
  // Headers promise 8 MB; 1 MB arrives, then the server dies.
  let mut socket = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
  let head = format!(
    "POST /_/apps?name=shop&version=2.0.0 HTTP/1.1\r\nhost: x\r\ncontent-length: {}\r\n\r\n",
    8 << 20
  );
  use tokio::io::AsyncWriteExt;
  socket.write_all(head.as_bytes()).await.unwrap();
  let mut start = tar_gz("", &[("index.js", &vec![b'a'; 4 << 20])]);
  start.truncate(1 << 20);
  socket.write_all(&start).await.unwrap();
  let staging = apps.path().join(".buntime-staging");
  for _ in 0..100 {
    if staging.exists() && std::fs::read_dir(&staging).unwrap().next().is_some() {
      break;
    }
    tokio::time::sleep(Duration::from_millis(20)).await;
  }
  drop(server);
  assert_eq!(tree(&apps), before);
  let mut server = Server::start(&apps);
  assert!(
    staging_is_empty(&apps),
    "a restart empties the staging folder"
  );
  assert_eq!(server.get("/shop").await.body, "v1");
  assert_eq!(server.get("/shop@2").await.status, 404);
  assert_neighbour_serves(&mut server).await;
}

fn cli(server: &Server, args: &[&str]) -> std::process::Output {
  let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_buntime-embedded"));
  command
    .args(args)
    .arg("--server")
    .arg(&server.base)
    .env_clear();
  command.output().unwrap()
}

fn text(bytes: &[u8]) -> String {
  String::from_utf8_lossy(bytes).into_owned()
}

/// Bytes gzip cannot shrink, so the upload really is big.
fn noise(len: usize) -> Vec<u8> {
  let mut state = 0x9e37_79b9_7f4a_7c15u64;
  (0..len)
    .map(|_| {
      state ^= state << 13;
      state ^= state >> 7;
      state ^= state << 17;
      state as u8
    })
    .collect()
}

#[tokio::test]
async fn the_deploy_command_packs_a_folder_and_manages_versions() {
  let apps = Apps::new();
  with_neighbour(&apps);
  let mut server = Server::start(&apps);
  let project = tempfile::tempdir().unwrap();
  let write = |rel: &str, data: &[u8]| {
    let path = project.path().join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, data).unwrap();
  };
  write("package.json", &manifest("cli-app", "1.0.0"));
  write(
    "index.js",
    b"export default { fetch() { console.log('hit'); return new Response('from cli') } }",
  );
  write("secret.txt", b"do not ship");
  write(".buntimeignore", b"secret.txt\n");
  write("node_modules/big/index.js", b"module.exports = 1");
  write("assets/blob.bin", &noise(5 << 20));
  let dir = project.path().to_str().unwrap();
  let out = cli(&server, &["deploy", dir]);
  assert!(out.status.success(), "{}", text(&out.stderr));
  assert!(
    text(&out.stdout).contains("deployed cli-app@1.0.0 (4 files)"),
    "{}",
    text(&out.stdout)
  );
  assert!(
    text(&out.stderr).contains("uploading"),
    "{}",
    text(&out.stderr)
  );
  assert_eq!(server.get("/cli-app").await.body, "from cli");
  let installed = apps.path().join("cli-app/1.0.0");
  assert!(installed.join("assets/blob.bin").exists());
  assert!(
    !installed.join("secret.txt").exists(),
    ".buntimeignore is respected"
  );
  assert!(!installed.join("node_modules").exists());
  // A .tar.gz, with the version from the flag.
  let tgz = project.path().join("release.tgz");
  std::fs::write(&tgz, tar_gz("", &[("index.js", handler("1.1").as_bytes())])).unwrap();
  let out = cli(
    &server,
    &[
      "deploy",
      tgz.to_str().unwrap(),
      "--name",
      "cli-app",
      "--version",
      "1.1.0",
    ],
  );
  assert!(out.status.success(), "{}", text(&out.stderr));
  assert_eq!(server.get("/cli-app").await.body, "1.1");
  assert_eq!(server.get("/cli-app@1.0").await.body, "from cli");
  let out = cli(&server, &["list"]);
  assert!(
    text(&out.stdout).contains("cli-app\t1.0.0 1.1.0"),
    "{}",
    text(&out.stdout)
  );
  let out = cli(&server, &["rm", "cli-app@1.1.0"]);
  assert!(out.status.success(), "{}", text(&out.stderr));
  assert_eq!(server.get("/cli-app").await.body, "from cli");
  // Logs, once and followed.
  let out = cli(&server, &["logs", "cli-app"]);
  assert!(text(&out.stdout).contains("hit"), "{}", text(&out.stdout));
  let mut follow = std::process::Command::new(env!("CARGO_BIN_EXE_buntime-embedded"))
    .args(["logs", "cli-app", "--follow", "--server", &server.base])
    .stdout(std::process::Stdio::piped())
    .spawn()
    .unwrap();
  let stdout = follow.stdout.take().unwrap();
  let reader = std::thread::spawn(move || {
    use std::io::BufRead;
    std::io::BufReader::new(stdout)
      .lines()
      .map_while(Result::ok)
      .find(|line| line.contains("hit"))
  });
  tokio::time::sleep(Duration::from_millis(300)).await;
  server.get("/cli-app").await;
  let seen = reader.join().unwrap();
  let _ = follow.kill();
  let _ = follow.wait();
  assert!(seen.is_some_and(|l| l.contains("cli-app@1.0.0")));
  // Refusals come back as the API's message and a failing exit code.
  write("package.json", &manifest("bad/name", "1.0.0"));
  let out = cli(&server, &["deploy", dir]);
  assert!(!out.status.success());
  assert!(
    text(&out.stderr).contains("\"name\""),
    "{}",
    text(&out.stderr)
  );
  let out = cli(&server, &["rm", "ghost"]);
  assert!(!out.status.success());
  assert!(text(&out.stderr).contains("404"), "{}", text(&out.stderr));
  assert_neighbour_serves(&mut server).await;
}

#[tokio::test]
async fn the_deploy_command_needs_the_token_when_the_server_has_one() {
  let apps = Apps::new();
  with_neighbour(&apps);
  let mut server = Server::start_with(&apps, &[("ADMIN_TOKEN", "s3cret")]);
  let project = tempfile::tempdir().unwrap();
  std::fs::write(project.path().join("index.js"), handler("tok")).unwrap();
  let dir = project.path().to_str().unwrap();
  let args = ["deploy", dir, "--name", "tok", "--version", "1.0.0"];
  let out = cli(&server, &args);
  assert!(!out.status.success());
  assert!(text(&out.stderr).contains("401"), "{}", text(&out.stderr));
  assert!(!apps.path().join("tok").exists());
  let out = cli(&server, &[&args[..], &["--token", "s3cret"]].concat());
  assert!(out.status.success(), "{}", text(&out.stderr));
  assert_eq!(server.get("/tok").await.body, "tok");
  assert_neighbour_serves(&mut server).await;
}
