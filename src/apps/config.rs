//! An app folder's settings: `worker.config.json`, else the `workerConfig`
//! key of `package.json`, else defaults; and which file is its entrypoint.
//!
//! Validation is by hand over `serde_json::Value` so that every error names
//! the file and the field, the way the contract asks.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Map, Value};

use crate::ext::app_paths::{contain, Confined};

/// Searched in this order when `entrypoint` is not configured.
pub const ENTRYPOINT_CANDIDATES: [&str; 6] = [
  "index.html",
  "index.ts",
  "index.tsx",
  "index.js",
  "index.jsx",
  "index.mjs",
];

#[derive(Clone, Debug, PartialEq)]
pub struct AppConfig {
  /// Where it was read from, for error messages.
  pub source: &'static str,
  pub entrypoint: Option<String>,
  pub timeout: Duration,
  pub ttl: Duration,
  pub idle_timeout: Duration,
  pub max_requests: u64,
  pub low_memory: bool,
  /// Isolates an app may run at once when one is saturated (ignored with
  /// `ttl: 0`); at most the number of cores.
  pub instances: usize,
  /// Proxy rules as written; the proxy module validates them.
  pub proxy: Option<Value>,
  /// Variables the app sees in `Bun.env` / `process.env`.
  pub env: BTreeMap<String, String>,
  /// Host names the app is served on at `/` (see `hosts.rs`).
  pub hosts: Vec<super::hosts::HostClaim>,
}

impl Default for AppConfig {
  fn default() -> Self {
    Self {
      source: "defaults",
      entrypoint: None,
      timeout: Duration::from_secs(30),
      ttl: Duration::ZERO,
      idle_timeout: Duration::from_secs(60),
      max_requests: 1000,
      low_memory: false,
      instances: 1,
      proxy: None,
      env: BTreeMap::new(),
      hosts: Vec::new(),
    }
  }
}

/// A config that cannot be used; shown to the client as a 500 JSON message.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{file}: {message}")]
pub struct ConfigError {
  pub file: String,
  pub message: String,
}

fn seconds(
  file: &str,
  key: &str,
  value: &Value,
  allow_zero: bool,
) -> Result<Duration, ConfigError> {
  let bad = |what: &str| ConfigError {
    file: file.into(),
    message: format!("\"{key}\" must be {what}, got {value}"),
  };
  let n = value.as_f64().ok_or_else(|| bad("a number of seconds"))?;
  if !n.is_finite() || n < 0.0 || (!allow_zero && n == 0.0) || n > 31_536_000.0 {
    return Err(bad(if allow_zero {
      "a number of seconds ≥ 0"
    } else {
      "a number of seconds > 0"
    }));
  }
  Ok(Duration::from_secs_f64(n))
}

fn from_object(file: &'static str, object: &Map<String, Value>) -> Result<AppConfig, ConfigError> {
  let mut config = AppConfig {
    source: file,
    ..AppConfig::default()
  };
  let err = |message: String| ConfigError {
    file: file.into(),
    message,
  };
  for (key, value) in object {
    match key.as_str() {
      "entrypoint" => {
        let entry = value
          .as_str()
          .ok_or_else(|| err(format!("\"entrypoint\" must be a string, got {value}")))?;
        if entry.is_empty() || entry.contains('\0') {
          return Err(err(
            "\"entrypoint\" must name a file inside the app folder".into(),
          ));
        }
        config.entrypoint = Some(entry.to_string());
      }
      "timeout" => config.timeout = seconds(file, key, value, false)?,
      "ttl" => config.ttl = seconds(file, key, value, true)?,
      "idleTimeout" => config.idle_timeout = seconds(file, key, value, false)?,
      "maxRequests" => {
        config.max_requests = value.as_u64().filter(|n| *n >= 1).ok_or_else(|| {
          err(format!(
            "\"maxRequests\" must be a whole number ≥ 1, got {value}"
          ))
        })?;
      }
      "instances" => {
        let n = value.as_u64().filter(|n| *n >= 1).ok_or_else(|| {
          err(format!(
            "\"instances\" must be a whole number ≥ 1, got {value}"
          ))
        })?;
        // More isolates than cores only adds contention.
        config.instances = (n as usize).min(cores());
      }
      "lowMemory" => {
        config.low_memory = value
          .as_bool()
          .ok_or_else(|| err(format!("\"lowMemory\" must be true or false, got {value}")))?;
      }
      "hosts" => {
        let list = value.as_array().ok_or_else(|| {
          err(format!(
            "\"hosts\" must be an array of host names, got {value}"
          ))
        })?;
        for item in list {
          let text = item
            .as_str()
            .ok_or_else(|| err(format!("\"hosts\" entries must be strings, got {item}")))?;
          let claim =
            super::hosts::parse_claim(text).map_err(|why| err(format!("\"hosts\": {why}")))?;
          config.hosts.push(claim);
        }
      }
      "proxy" => {
        if !value.is_object() && !value.is_array() {
          return Err(err(format!(
            "\"proxy\" must be an object of rules or an array, got {value}"
          )));
        }
        config.proxy = Some(value.clone());
      }
      "env" => {
        let vars = value
          .as_object()
          .ok_or_else(|| err(format!("\"env\" must be an object, got {value}")))?;
        for (name, v) in vars {
          let v = match v {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            other => return Err(err(format!("\"env.{name}\" must be a string, got {other}"))),
          };
          config.env.insert(name.clone(), v);
        }
      }
      // Unknown keys are tolerated: configs written for newer versions load.
      _ => {}
    }
  }
  Ok(config)
}

/// Cores this process may use: the ceiling of `instances`.
pub fn cores() -> usize {
  std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn read_json(dir: &Path, file: &str) -> Result<Option<Value>, ConfigError> {
  let text = match std::fs::read_to_string(dir.join(file)) {
    Ok(text) => text,
    Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
    Err(err) => {
      return Err(ConfigError {
        file: file.into(),
        message: format!("cannot be read: {err}"),
      })
    }
  };
  serde_json::from_str(&text)
    .map(Some)
    .map_err(|err| ConfigError {
      file: file.into(),
      message: format!("is not valid JSON: {err}"),
    })
}

/// Reads the config of the app version in `dir`.
pub fn load(dir: &Path) -> Result<AppConfig, ConfigError> {
  if let Some(value) = read_json(dir, "worker.config.json")? {
    let object = value.as_object().ok_or_else(|| ConfigError {
      file: "worker.config.json".into(),
      message: "must be a JSON object".into(),
    })?;
    return from_object("worker.config.json", object);
  }
  if let Some(value) = read_json(dir, "package.json")? {
    match value.get("workerConfig") {
      None | Some(Value::Null) => {}
      Some(Value::Object(object)) => return from_object("package.json workerConfig", object),
      Some(other) => {
        return Err(ConfigError {
          file: "package.json".into(),
          message: format!("\"workerConfig\" must be an object, got {other}"),
        })
      }
    }
  }
  Ok(AppConfig::default())
}

#[derive(Clone, Debug, PartialEq)]
pub enum EntryKind {
  /// An HTML file: the app is a static site.
  Static,
  /// A JavaScript, TypeScript or JSX module.
  Module,
}

#[derive(Clone, Debug)]
pub struct Entrypoint {
  /// Canonical app folder.
  pub root: PathBuf,
  /// Canonical path of the file.
  pub path: PathBuf,
  pub kind: EntryKind,
}

/// Finds the entrypoint: the configured one (which must exist inside the
/// folder) or the first of [`ENTRYPOINT_CANDIDATES`].
pub fn find_entrypoint(dir: &Path, config: &AppConfig) -> Result<Entrypoint, ConfigError> {
  let root = dir.canonicalize().map_err(|err| ConfigError {
    // Never the host path: this message reaches the client.
    file: "app folder".into(),
    message: format!("cannot be read: {err}"),
  })?;
  let candidates: Vec<&str> = match &config.entrypoint {
    Some(entry) => vec![entry.as_str()],
    None => ENTRYPOINT_CANDIDATES.to_vec(),
  };
  for candidate in &candidates {
    let path = match contain(&root, &root.join(candidate.trim_start_matches('/'))) {
      Confined::Inside(path) => path,
      Confined::Missing => continue,
      Confined::Outside => {
        return Err(ConfigError {
          file: "worker.config.json".into(),
          message: format!("\"entrypoint\" {candidate:?} is outside the app folder"),
        })
      }
    };
    if !path.is_file() {
      continue;
    }
    let ext = path
      .extension()
      .and_then(|e| e.to_str())
      .unwrap_or("")
      .to_ascii_lowercase();
    let kind = match ext.as_str() {
      "html" | "htm" => EntryKind::Static,
      _ => EntryKind::Module,
    };
    return Ok(Entrypoint { root, path, kind });
  }
  Err(ConfigError {
    file: "app folder".into(),
    message: match &config.entrypoint {
      Some(entry) => format!("entrypoint {entry:?} does not exist"),
      None => format!(
        "no entrypoint found (looked for {})",
        ENTRYPOINT_CANDIDATES.join(", ")
      ),
    },
  })
}

/// The app's own `.env` file: `KEY=value` lines, `#` comments, optional
/// `export ` prefix and matching quotes around the value. Missing → empty.
pub fn read_dotenv(dir: &Path) -> BTreeMap<String, String> {
  let Ok(text) = std::fs::read_to_string(dir.join(".env")) else {
    return BTreeMap::new();
  };
  text
    .lines()
    .filter_map(|line| {
      let line = line.trim();
      if line.is_empty() || line.starts_with('#') {
        return None;
      }
      let line = line.strip_prefix("export ").unwrap_or(line);
      let (key, value) = line.split_once('=')?;
      let key = key.trim();
      if key.is_empty() || !key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return None;
      }
      let value = value.trim();
      let unquoted = ['"', '\'']
        .iter()
        .find_map(|q| value.strip_prefix(*q).and_then(|v| v.strip_suffix(*q)))
        .unwrap_or(value);
      Some((key.to_string(), unquoted.to_string()))
    })
    .collect()
}
