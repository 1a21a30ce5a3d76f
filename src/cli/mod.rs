//! The operator's commands in the same binary, over the `/_/` API of a
//! running server: `deploy`, `list`, `rm`, `logs`.
//!
//! Talks plain HTTP/1.1 (or HTTPS, verified against the webpki roots) with
//! `Authorization: Bearer` from `--token` / `BUNTIME_TOKEN`.

mod pack;

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use clap::{Args, Parser, Subcommand};
use futures::StreamExt;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

/// Bodies above this size print upload progress.
const PROGRESS_ABOVE: usize = 4 << 20;

/// The first argument that selects a command rather than the server.
pub fn is_command(first: &str) -> bool {
  matches!(first, "deploy" | "list" | "rm" | "logs")
}

#[derive(Parser)]
#[command(
  name = "buntime-embedded",
  about = "Manage apps on a running Buntime server"
)]
struct Cli {
  #[command(subcommand)]
  command: Command,
}

#[derive(Args, Clone)]
struct Remote {
  /// The server's base URL.
  #[arg(long, env = "BUNTIME_SERVER", default_value = "http://127.0.0.1:8080")]
  server: String,
  /// A bearer token: `ADMIN_TOKEN` or one from the tokens file.
  #[arg(long, env = "BUNTIME_TOKEN", hide_env_values = true)]
  token: Option<String>,
}

#[derive(Subcommand)]
enum Command {
  /// Pack an app folder (or send a .zip / .tar.gz) and install it as
  /// name/version.
  Deploy {
    /// An app folder, a .zip or a .tar.gz.
    path: PathBuf,
    /// The app's name (default: package.json's "name").
    #[arg(long)]
    name: Option<String>,
    /// The version (default: package.json's "version").
    #[arg(long)]
    version: Option<String>,
    /// Replace the version if it is already installed.
    #[arg(long)]
    replace: bool,
    /// Pack node_modules too (left out by default).
    #[arg(long)]
    include_node_modules: bool,
    #[command(flatten)]
    remote: Remote,
  },
  /// List apps and their versions.
  List {
    #[command(flatten)]
    remote: Remote,
  },
  /// Remove an app (all versions) or one version: name[@version].
  Rm {
    target: String,
    #[command(flatten)]
    remote: Remote,
  },
  /// Print an app's recent log lines; --follow keeps printing new ones.
  Logs {
    app: String,
    #[arg(long, short)]
    follow: bool,
    #[command(flatten)]
    remote: Remote,
  },
}

/// Runs the command in `args` (the whole argv); the process's exit code.
pub fn main(args: Vec<OsString>) -> i32 {
  let cli = Cli::parse_from(args);
  let runtime = match tokio::runtime::Builder::new_current_thread()
    .enable_all()
    .build()
  {
    Ok(runtime) => runtime,
    Err(err) => {
      eprintln!("error: {err}");
      return 1;
    }
  };
  match runtime.block_on(run(cli.command)) {
    Ok(()) => 0,
    Err(message) => {
      eprintln!("error: {message}");
      1
    }
  }
}

async fn run(command: Command) -> Result<(), String> {
  match command {
    Command::Deploy {
      path,
      name,
      version,
      replace,
      include_node_modules,
      remote,
    } => deploy(&remote, &path, name, version, replace, include_node_modules).await,
    Command::List { remote } => {
      let data = call(&remote, "GET", "/_/apps", None).await?;
      for app in data["apps"].as_array().into_iter().flatten() {
        let versions: Vec<&str> = app["versions"]
          .as_array()
          .into_iter()
          .flatten()
          .filter_map(Value::as_str)
          .collect();
        println!(
          "{}\t{}",
          app["name"].as_str().unwrap_or(""),
          versions.join(" ")
        );
      }
      Ok(())
    }
    Command::Rm { target, remote } => {
      let path = match target.split_once('@') {
        Some((name, version)) => format!("/_/apps/{}/{}", encode(name), encode(version)),
        None => format!("/_/apps/{}", encode(&target)),
      };
      call(&remote, "DELETE", &path, None).await?;
      println!("removed {target}");
      Ok(())
    }
    Command::Logs {
      app,
      follow,
      remote,
    } => logs(&remote, &app, follow).await,
  }
}

fn encode(text: &str) -> String {
  percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

async fn deploy(
  remote: &Remote,
  path: &Path,
  name: Option<String>,
  version: Option<String>,
  replace: bool,
  include_node_modules: bool,
) -> Result<(), String> {
  let shown = path.display();
  let archive = if path.is_dir() {
    let root = path.to_path_buf();
    let packed =
      tokio::task::spawn_blocking(move || pack::pack_folder(&root, include_node_modules))
        .await
        .map_err(|err| err.to_string())?
        .map_err(|err| format!("packing {shown}: {err}"))?;
    eprintln!(
      "packed {} files from {shown} ({} KB)",
      packed.files,
      packed.archive.len() >> 10
    );
    packed.archive
  } else {
    std::fs::read(path).map_err(|err| format!("reading {shown}: {err}"))?
  };
  let mut query = Vec::new();
  if let Some(name) = &name {
    query.push(format!("name={}", encode(name)));
  }
  if let Some(version) = &version {
    query.push(format!("version={}", encode(version)));
  }
  if replace {
    query.push("replace=true".into());
  }
  let path = if query.is_empty() {
    "/_/apps".to_string()
  } else {
    format!("/_/apps?{}", query.join("&"))
  };
  let data = call(remote, "POST", &path, Some(archive)).await?;
  println!(
    "deployed {}@{} ({} files)",
    data["name"].as_str().unwrap_or("?"),
    data["version"].as_str().unwrap_or("?"),
    data["files"]
  );
  Ok(())
}

type Body = http_body_util::combinators::BoxBody<Bytes, std::convert::Infallible>;

fn client(
) -> Client<hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>, Body>
{
  let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
  let roots = rustls::RootCertStore {
    roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
  };
  let tls = rustls::ClientConfig::builder_with_provider(provider)
    .with_safe_default_protocol_versions()
    .expect("rustls protocol versions")
    .with_root_certificates(roots)
    .with_no_client_auth();
  let connector = hyper_rustls::HttpsConnectorBuilder::new()
    .with_tls_config(tls)
    .https_or_http()
    .enable_http1()
    .build();
  Client::builder(TokioExecutor::new()).build(connector)
}

/// A body that prints how much has gone out, for big uploads.
fn upload_body(bytes: Vec<u8>) -> Body {
  let total = bytes.len();
  if total <= PROGRESS_ABOVE {
    return Full::new(Bytes::from(bytes)).boxed();
  }
  let bytes = Bytes::from(bytes);
  let chunk = 256 << 10;
  let chunks = (0..total.div_ceil(chunk)).map(move |i| {
    let end = ((i + 1) * chunk).min(total);
    let part = bytes.slice(i * chunk..end);
    let percent = end * 100 / total;
    eprint!(
      "\ruploading {} / {} KB ({percent}%)",
      end >> 10,
      total >> 10
    );
    if end == total {
      eprintln!();
    }
    let _ = std::io::stderr().flush();
    Ok(hyper::body::Frame::data(part))
  });
  BodyExt::boxed(StreamBody::new(futures::stream::iter(chunks)))
}

fn request(
  remote: &Remote,
  method: &str,
  path: &str,
  body: Option<Vec<u8>>,
) -> Result<http::Request<Body>, String> {
  let url = format!("{}{path}", remote.server.trim_end_matches('/'));
  let mut builder = http::Request::builder().method(method).uri(&url);
  if let Some(token) = &remote.token {
    builder = builder.header(http::header::AUTHORIZATION, format!("Bearer {token}"));
  }
  let body = match body {
    Some(bytes) => {
      builder = builder.header(http::header::CONTENT_TYPE, "application/octet-stream");
      upload_body(bytes)
    }
    None => Full::new(Bytes::new()).boxed(),
  };
  builder
    .body(body)
    .map_err(|err| format!("bad server URL {url}: {err}"))
}

/// Sends the request; the answer's `data`, or its error message.
async fn call(
  remote: &Remote,
  method: &str,
  path: &str,
  body: Option<Vec<u8>>,
) -> Result<Value, String> {
  let request = request(remote, method, path, body)?;
  let response = client()
    .request(request)
    .await
    .map_err(|err| format!("cannot reach {}: {err}", remote.server))?;
  let status = response.status();
  let bytes = response
    .into_body()
    .collect()
    .await
    .map_err(|err| format!("reading the answer: {err}"))?
    .to_bytes();
  let json: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
  if !status.is_success() {
    return Err(format!("{status}: {}", error_message(&json, &bytes)));
  }
  Ok(json.get("data").cloned().unwrap_or(json))
}

/// The message of either error shape the API answers with.
fn error_message(json: &Value, bytes: &[u8]) -> String {
  json["error"]["message"]
    .as_str()
    .or_else(|| json["error"].as_str())
    .map(str::to_owned)
    .unwrap_or_else(|| String::from_utf8_lossy(bytes).chars().take(300).collect())
}

/// Prints one log line; `false` once stdout is closed (a pager quit).
fn print_line(app: &str, line: &Value) -> bool {
  let request_id = line["requestId"]
    .as_str()
    .map(|id| format!(" [{id}]"))
    .unwrap_or_default();
  let mut out = std::io::stdout().lock();
  writeln!(
    out,
    "{} {:5} {app}@{} {}{request_id}",
    line["time"].as_str().unwrap_or(""),
    line["level"].as_str().unwrap_or(""),
    line["version"].as_str().unwrap_or(""),
    line["message"].as_str().unwrap_or(""),
  )
  .and_then(|()| out.flush())
  .is_ok()
}

async fn logs(remote: &Remote, app: &str, follow: bool) -> Result<(), String> {
  if !follow {
    let data = call(remote, "GET", &format!("/_/logs?app={}", encode(app)), None).await?;
    for line in data["lines"].as_array().into_iter().flatten() {
      if !print_line(app, line) {
        break;
      }
    }
    return Ok(());
  }
  let request = request(
    remote,
    "GET",
    &format!("/_/logs/stream?app={}", encode(app)),
    None,
  )?;
  let response = client()
    .request(request)
    .await
    .map_err(|err| format!("cannot reach {}: {err}", remote.server))?;
  if !response.status().is_success() {
    let status = response.status();
    let bytes = response
      .into_body()
      .collect()
      .await
      .map(|b| b.to_bytes())
      .unwrap_or_default();
    let json: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    return Err(format!("{status}: {}", error_message(&json, &bytes)));
  }
  let mut stream = response.into_body().into_data_stream();
  let mut pending = String::new();
  while let Some(chunk) = stream.next().await {
    let chunk = chunk.map_err(|err| format!("the stream broke: {err}"))?;
    pending.push_str(&String::from_utf8_lossy(&chunk));
    while let Some(end) = pending.find('\n') {
      let line: String = pending.drain(..=end).collect();
      if let Some(data) = line.trim_end().strip_prefix("data:") {
        if let Ok(json) = serde_json::from_str::<Value>(data.trim_start()) {
          if !print_line(app, &json) {
            return Ok(());
          }
        }
      }
    }
  }
  Ok(())
}
