//! Server settings from flags or the environment (flags win).

use std::net::IpAddr;
use std::path::PathBuf;

use clap::{Parser, ValueEnum};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum NodeEnv {
  Development,
  Staging,
  Production,
  Test,
}

impl NodeEnv {
  /// `POOL_SIZE` when it is not set.
  pub fn default_pool_size(self) -> usize {
    match self {
      NodeEnv::Development => 10,
      NodeEnv::Staging => 50,
      NodeEnv::Production => 500,
      NodeEnv::Test => 5,
    }
  }

  /// As apps see it in `process.env.NODE_ENV`.
  pub fn as_str(self) -> &'static str {
    match self {
      NodeEnv::Development => "development",
      NodeEnv::Staging => "staging",
      NodeEnv::Production => "production",
      NodeEnv::Test => "test",
    }
  }
}

#[derive(Debug, Parser)]
#[command(
  name = "buntime-embedded",
  version,
  about = "Hosts many small JavaScript web apps, each in its own V8 isolate"
)]
pub struct Settings {
  /// Folder of apps: APPS_DIR/<name>/<semver>/
  #[arg(long, env = "APPS_DIR", default_value = "./apps")]
  pub apps_dir: PathBuf,

  /// Port to listen on (0 picks a free one).
  #[arg(long, env = "PORT", default_value_t = 8080)]
  pub port: u16,

  /// Address to listen on.
  #[arg(long, env = "HOST", default_value = "0.0.0.0")]
  pub host: IpAddr,

  /// Most live workers at once; defaults by NODE_ENV (10/50/500/5).
  #[arg(long, env = "POOL_SIZE", value_parser = parse_pool_size)]
  pub pool_size: Option<usize>,

  #[arg(
    long,
    env = "NODE_ENV",
    value_enum,
    default_value = "development",
    ignore_case = true
  )]
  pub node_env: NodeEnv,

  /// App that serves `/` and every path whose first segment is not an app.
  #[arg(long, env = "APP_SHELL")]
  pub app_shell: Option<String>,

  /// Isolates kept created ahead of time, so a new worker starts without
  /// waiting for one (each costs about 3 MB while it waits).
  #[arg(long, env = "PRESTART_WORKERS", default_value_t = 2, value_parser = clap::value_parser!(u64).range(0..=64))]
  pub prestart_workers: u64,

  /// `ttl: 0` apps (the most recently requested) that keep their next
  /// worker started with the app loaded, so a request only waits for its
  /// own handling; 0 turns this off. Each costs one isolate while it waits
  /// (dropped after 60 s unused).
  #[arg(long, env = "PRIMED_WORKERS", default_value_t = 4, value_parser = clap::value_parser!(u64).range(0..=256))]
  pub primed_workers: u64,

  /// Bearer token for the internal `/_/` routes; without it they answer
  /// loopback clients only.
  #[arg(long, env = "ADMIN_TOKEN", hide_env_values = true)]
  pub admin_token: Option<String>,

  /// Named tokens with scopes (`admin`, `read`, `deploy:<app>`), stored as
  /// SHA-256 hashes in a JSON file re-read when it changes.
  #[arg(long, env = "TOKENS_FILE")]
  pub tokens_file: Option<std::path::PathBuf>,

  /// Largest upload accepted by `/_/deployments/upload`, in MB.
  #[arg(long, env = "MAX_UPLOAD_MB", default_value_t = 100)]
  pub max_upload_mb: u64,

  /// Most entries in an uploaded zip.
  #[arg(long, env = "MAX_ZIP_ENTRIES", default_value_t = 10_000)]
  pub max_zip_entries: usize,

  /// Most bytes an uploaded zip may unpack to, in MB (zip bombs).
  #[arg(long, env = "MAX_UNPACKED_MB", default_value_t = 1024)]
  pub max_unpacked_mb: u64,

  /// Server environment variables apps may see in `Bun.env`, comma-separated
  /// (never ADMIN_TOKEN).
  #[arg(long, env = "APP_ENV_ALLOW", value_delimiter = ',', default_value = "")]
  pub app_env_allow: Vec<String>,

  /// Refuse app `fetch` calls to loopback and private addresses.
  #[arg(long, env = "BLOCK_PRIVATE_FETCH", default_value_t = false, action = clap::ArgAction::Set)]
  pub block_private_fetch: bool,

  /// Kilobytes per second of console output each app may log (0 = no
  /// limit); beyond it (after a four-second burst) messages are dropped and
  /// counted in `/_/metrics`.
  #[arg(long, env = "APP_LOG_KB_PER_SEC", default_value_t = 256)]
  pub app_log_kb_per_sec: u64,

  /// Recent log lines kept in memory per app for `/_/logs` (each cut at
  /// 4 KB there).
  #[arg(long, env = "APP_LOG_LINES", default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
  pub app_log_lines: u64,

  /// The access log: `off`, `stdout`, or a file path (appended to). One
  /// JSON line per request.
  #[arg(long, env = "ACCESS_LOG", default_value = "off")]
  pub access_log: String,

  /// Keep the query string in access log paths (it may hold secrets).
  #[arg(long, env = "ACCESS_LOG_QUERY", default_value_t = false, action = clap::ArgAction::Set)]
  pub access_log_query: bool,

  /// Megabytes all of one app's SQLite files may take together (0 = no
  /// limit); a write past it fails with "database or disk is full".
  #[arg(long, env = "SQLITE_QUOTA_MB", default_value_t = 512)]
  pub sqlite_quota_mb: u64,

  /// Largest output of one `Bun.gunzipSync` / `inflateSync` call, in MB
  /// (default: MAX_BODY_MB); more is a RangeError.
  #[arg(long, env = "MAX_DECOMPRESSED_MB", value_parser = clap::value_parser!(u64).range(1..=1_048_576))]
  pub max_decompressed_mb: Option<u64>,

  /// With BLOCK_PRIVATE_FETCH: hosts (names or addresses, comma-separated)
  /// proxy rules may still target although they are private.
  #[arg(
    long,
    env = "PROXY_PRIVATE_TARGETS",
    value_delimiter = ',',
    default_value = ""
  )]
  pub proxy_private_targets: Vec<String>,

  /// `ttl: 0` workers (an isolate per request) running at once, all apps
  /// together (0 = no cap); more requests wait for one until their
  /// timeout, then answer 503.
  #[arg(long, env = "FRESH_WORKERS_MAX", default_value_t = 32)]
  pub fresh_workers_max: usize,

  /// `ttl: 0` workers one app (all its versions) may run at once (0 = no cap).
  #[arg(long, env = "FRESH_WORKERS_PER_APP", default_value_t = 16)]
  pub fresh_workers_per_app: usize,

  /// Watch APPS_DIR and reload apps whose files change.
  #[arg(long, env = "WATCH", default_value_t = true, action = clap::ArgAction::Set)]
  pub watch: bool,

  /// Seconds to let in-flight requests finish on SIGINT/SIGTERM.
  #[arg(long, env = "SHUTDOWN_GRACE", default_value_t = 10)]
  pub shutdown_grace: u64,

  /// Budget for all pooled isolates' heaps together, in MB (0 = none):
  /// beyond it idle workers are evicted, or new ones wait.
  #[arg(long, env = "TOTAL_HEAP_MB", default_value_t = 0)]
  pub total_heap_mb: u64,

  /// Extra V8 flags, space-separated (for experiments, e.g. "--max-lazy";
  /// "--no-single-threaded-gc" brings back V8's GC helper threads).
  #[arg(long, env = "V8_FLAGS", default_value = "")]
  pub v8_flags: String,

  /// Largest WebSocket message an app accepts, in MB; a bigger one closes
  /// the socket with 1009.
  #[arg(long, env = "WS_MAX_PAYLOAD_MB", default_value_t = 16, value_parser = clap::value_parser!(u64).range(1..=1024))]
  pub ws_max_payload_mb: u64,

  /// Seconds without a frame either way before an app's WebSocket is
  /// closed (1001).
  #[arg(long, env = "WS_IDLE_TIMEOUT", default_value_t = 120, value_parser = clap::value_parser!(u64).range(1..))]
  pub ws_idle_timeout: u64,

  /// Hard cap, in seconds, on the life of a worker that holds open
  /// WebSockets (such a worker outlives `ttl`, `idleTimeout` and LRU until
  /// its sockets close); past it they are closed with 1001 and the worker
  /// retires. 0 = no cap.
  #[arg(long, env = "WS_WORKER_MAX_AGE", default_value_t = 86_400)]
  pub ws_worker_max_age: u64,

  /// Serve a keep-alive connection whose first request is for an app (with
  /// `ttl > 0` and one instance) on that app's worker thread, so its
  /// requests never cross threads.
  #[arg(long, env = "CONNECTION_AFFINITY", default_value_t = true, action = clap::ArgAction::Set)]
  pub connection_affinity: bool,

  /// Seconds a client has to send a request's headers (slowloris); then
  /// the connection is closed.
  #[arg(long, env = "HEADER_READ_TIMEOUT", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
  pub header_read_timeout: u64,

  /// Seconds a request body may send nothing while it is read; then the
  /// read fails and the client gets 408.
  #[arg(long, env = "BODY_READ_TIMEOUT", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
  pub body_read_timeout: u64,

  /// Largest request head (request line and headers), in KB; bigger
  /// answers 431.
  #[arg(long, env = "MAX_HEADER_KB", default_value_t = 64, value_parser = clap::value_parser!(u64).range(8..=1024))]
  pub max_header_kb: u64,

  /// Largest request body an app (or proxy rule) accepts, in MB; bigger
  /// answers 413 (checked while the body streams).
  #[arg(long, env = "MAX_BODY_MB", default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=1_048_576))]
  pub max_body_mb: u64,

  /// V8 heap limit per isolate, in MB (halved for `lowMemory` apps).
  #[arg(long, env = "WORKER_HEAP_MB", default_value_t = 128, value_parser = clap::value_parser!(u64).range(8..=16384))]
  pub worker_heap_mb: u64,
}

fn parse_pool_size(text: &str) -> Result<usize, String> {
  match text.trim().parse::<usize>() {
    Ok(0) => Err("must be at least 1".into()),
    Ok(n) => Ok(n),
    Err(_) => Err(format!("{text:?} is not a whole number")),
  }
}

impl Settings {
  /// Parses flags and environment; on error prints one line naming the
  /// setting and exits with status 2 (help and version print as usual).
  pub fn from_env_and_args() -> Self {
    match Self::try_parse() {
      Ok(settings) => settings.checked(),
      Err(err) if !err.use_stderr() => err.exit(),
      Err(err) => {
        let rendered = err.to_string();
        let line = rendered
          .lines()
          .next()
          .unwrap_or("invalid settings")
          .trim_start_matches("error: ");
        eprintln!("buntime-embedded: invalid settings: {line}");
        std::process::exit(2);
      }
    }
  }

  fn checked(self) -> Self {
    if self.total_heap_mb != 0 && self.total_heap_mb < self.worker_heap_mb {
      eprintln!(
        "buntime-embedded: invalid settings: TOTAL_HEAP_MB ({}) is smaller than one worker's heap (WORKER_HEAP_MB {})",
        self.total_heap_mb, self.worker_heap_mb
      );
      std::process::exit(2);
    }
    if !self.apps_dir.is_dir() {
      eprintln!(
        "buntime-embedded: invalid settings: APPS_DIR {} is not a folder",
        self.apps_dir.display()
      );
      std::process::exit(2);
    }
    self
  }

  pub fn pool_size(&self) -> usize {
    self
      .pool_size
      .unwrap_or_else(|| self.node_env.default_pool_size())
  }
}
