//! Starts the real `buntime-embedded` binary on a loopback port with a
//! temporary `APPS_DIR`, and speaks HTTP to it.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct Apps {
  dir: PathBuf,
  _temp: Option<tempfile::TempDir>,
}

impl Apps {
  pub fn new() -> Self {
    let temp = tempfile::tempdir().expect("temp dir");
    Self {
      dir: temp.path().to_path_buf(),
      _temp: Some(temp),
    }
  }

  /// An apps folder the test made itself (and cleans up).
  pub fn at(dir: &Path) -> Self {
    Self {
      dir: dir.to_path_buf(),
      _temp: None,
    }
  }

  pub fn path(&self) -> &Path {
    &self.dir
  }

  /// Writes `contents` at `relative` (folders created as needed).
  pub fn file(&self, relative: &str, contents: impl AsRef<[u8]>) -> &Self {
    let path = self.dir.join(relative);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, contents).unwrap();
    self
  }

  /// An app version whose `index.js` is `code`.
  pub fn js(&self, app_version: &str, code: &str) -> &Self {
    self.file(&format!("{app_version}/index.js"), code)
  }
}

pub struct Server {
  child: Child,
  pub base: String,
  log: PathBuf,
  _log_dir: tempfile::TempDir,
  pub client: reqwest::Client,
}

impl Server {
  pub fn start(apps: &Apps) -> Self {
    Self::start_with(apps, &[])
  }

  pub fn start_with(apps: &Apps, env: &[(&str, &str)]) -> Self {
    let log_dir = tempfile::tempdir().unwrap();
    let log = log_dir.path().join("server.log");
    let mut cmd = server_command(apps.path(), env);
    cmd
      .stdout(Stdio::piped())
      .stderr(std::fs::File::create(&log).unwrap());
    let mut child = cmd.spawn().expect("start buntime-embedded");
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let base = line
      .trim()
      .strip_prefix("listening on ")
      .unwrap_or_else(|| {
        panic!(
          "unexpected first line {line:?}: {}",
          std::fs::read_to_string(&log).unwrap_or_default()
        )
      })
      .to_string();
    let client = reqwest::Client::builder()
      .timeout(Duration::from_secs(60))
      .build()
      .unwrap();
    Self {
      child,
      base,
      log,
      _log_dir: log_dir,
      client,
    }
  }

  pub fn pid(&self) -> u32 {
    self.child.id()
  }

  /// The server's resident memory (VmRSS), in MB.
  pub fn rss_mb(&self) -> f64 {
    rss_mb(self.pid())
  }

  /// Threads of the server process (`Threads:` in /proc).
  pub fn threads(&self) -> usize {
    std::fs::read_to_string(format!("/proc/{}/status", self.pid()))
      .unwrap_or_default()
      .lines()
      .find_map(|line| line.strip_prefix("Threads:"))
      .and_then(|n| n.trim().parse().ok())
      .unwrap_or(0)
  }

  /// The server process has not exited.
  pub fn is_running(&mut self) -> bool {
    self.child.try_wait().unwrap().is_none()
  }

  /// `host:port` for raw TCP clients.
  pub fn addr(&self) -> &str {
    self.base.trim_start_matches("http://")
  }

  pub fn url(&self, path: &str) -> String {
    format!("{}{}", self.base, path)
  }

  pub async fn get(&self, path: &str) -> Reply {
    Reply::from(
      self
        .client
        .get(self.url(path))
        .send()
        .await
        .expect("request"),
    )
    .await
  }

  /// A POST with `content-type: application/json`.
  pub async fn post_json(&self, path: &str, body: &'static str) -> Reply {
    let request = self
      .client
      .post(self.url(path))
      .header("content-type", "application/json")
      .body(body);
    Reply::from(request.send().await.expect("request")).await
  }

  pub async fn post(&self, path: &str, body: impl Into<reqwest::Body>) -> Reply {
    Reply::from(
      self
        .client
        .post(self.url(path))
        .body(body)
        .send()
        .await
        .expect("request"),
    )
    .await
  }

  /// Asks the server to stop, as a process manager would.
  pub fn signal_term(&self) {
    let status = Command::new("kill")
      .arg("-TERM")
      .arg(self.child.id().to_string())
      .status()
      .unwrap();
    assert!(status.success());
  }

  /// Waits for the process to exit; its exit code, or `None` on timeout.
  pub fn wait_exit(&mut self, limit: Duration) -> Option<i32> {
    let deadline = std::time::Instant::now() + limit;
    while std::time::Instant::now() < deadline {
      if let Some(status) = self.child.try_wait().unwrap() {
        return status.code();
      }
      std::thread::sleep(Duration::from_millis(20));
    }
    None
  }

  pub fn log(&self) -> String {
    std::fs::read_to_string(&self.log).unwrap_or_default()
  }
}

impl Drop for Server {
  fn drop(&mut self) {
    let _ = self.child.kill();
    let _ = self.child.wait();
  }
}

/// A process's resident memory (VmRSS), in MB.
pub fn rss_mb(pid: u32) -> f64 {
  let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
  let kb: f64 = status
    .lines()
    .find_map(|line| line.strip_prefix("VmRSS:"))
    .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
    .expect("VmRSS in /proc/<pid>/status");
  kb / 1024.0
}

/// The binary with a clean environment plus `env`.
pub fn server_command(apps_dir: &Path, env: &[(&str, &str)]) -> Command {
  let mut cmd = Command::new(env!("CARGO_BIN_EXE_buntime-embedded"));
  cmd
    .env_clear()
    .env("PATH", std::env::var("PATH").unwrap_or_default())
    .env("APPS_DIR", apps_dir)
    .env("PORT", "0")
    .env("HOST", "127.0.0.1")
    .env("NODE_ENV", "test")
    .env("RUST_LOG", "info");
  for (key, value) in env {
    cmd.env(key, value);
  }
  cmd
}

pub struct Reply {
  pub status: u16,
  pub headers: reqwest::header::HeaderMap,
  pub body: String,
}

impl Reply {
  pub async fn from(response: reqwest::Response) -> Self {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.text().await.unwrap_or_default();
    Self {
      status,
      headers,
      body,
    }
  }

  pub fn json(&self) -> serde_json::Value {
    serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
  }

  pub fn header(&self, name: &str) -> &str {
    self
      .headers
      .get(name)
      .and_then(|v| v.to_str().ok())
      .unwrap_or("")
  }

  /// The `error` field of a JSON error answer.
  pub fn error(&self) -> String {
    assert_eq!(
      self.header("content-type"),
      "application/json",
      "body: {}",
      self.body
    );
    self.json()["error"]
      .as_str()
      .unwrap_or_default()
      .to_string()
  }
}

/// The innocent neighbour every test checks after the attack.
pub fn with_neighbour(apps: &Apps) -> &Apps {
  apps.js(
    "neighbour/1.0.0",
    r#"export default { fetch() { return new Response("still here"); } };"#,
  )
}

/// The server is alive and [`with_neighbour`]'s app still answers.
pub async fn assert_neighbour_serves(server: &mut Server) {
  assert!(server.is_running(), "server died: {}", server.log());
  let reply = server.get("/neighbour").await;
  assert_eq!(reply.status, 200, "{}", reply.body);
  assert_eq!(reply.body, "still here");
}
