//! Buntime: many small JavaScript web apps on one server, each app in its
//! own V8 isolate on its own thread, managed as a pool.
//!
//! A request's path through the modules: [`front`] accepts the connection
//! and places it, [`apps`] turns `/<app>[@range]/...` into a loaded version
//! folder and decides where the request goes ([`proxy`] or a worker),
//! [`pool`] finds or starts a [`worker`], and the job crosses into the
//! isolate through the ops in [`ext`], where `runtime-js/` hands it to the
//! app. [`admin`] answers `/_/…`. [`state`] is what they share.

pub mod admin;
pub mod apps;
pub mod cli;
mod coarse_timer;
pub mod ext;
mod front;
mod http_error;
pub mod limits;
mod metrics;
mod pool;
pub mod proxy;
pub mod settings;
mod shutdown_signal;
mod state;
mod worker;

pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Runs the server with `settings` until the process is stopped: V8 and
/// the process-wide policies first, then the accept loop.
pub fn run(settings: settings::Settings) -> std::io::Result<()> {
  use std::sync::atomic::Ordering::Relaxed;
  worker::init_v8(&settings.v8_flags);
  worker::install_panic_guard();
  ext::net_policy::BLOCK_PRIVATE_FETCH.store(settings.block_private_fetch, Relaxed);
  ext::app_log::LOG_BYTES_PER_SEC.store(settings.app_log_kb_per_sec.saturating_mul(1024), Relaxed);
  ext::app_log::RING_LINES.store(settings.app_log_lines as usize, Relaxed);
  ext::sqlite::SQLITE_QUOTA_BYTES.store(settings.sqlite_quota_mb.saturating_mul(1 << 20), Relaxed);
  let max_decompressed = settings.max_decompressed_mb.unwrap_or(settings.max_body_mb);
  ext::bun_ops::MAX_DECOMPRESSED_BYTES.store(max_decompressed.saturating_mul(1 << 20), Relaxed);
  ext::net_policy::set_private_targets(&settings.proxy_private_targets);
  let tokens = match &settings.tokens_file {
    Some(path) => Some(admin::tokens::TokensFile::open(path).map_err(std::io::Error::other)?),
    None => None,
  };
  let _ = admin::tokens::TOKENS.set(tokens);
  // Uploads a crash cut off, before anything can be served.
  admin::packages::clear_staging(&settings.apps_dir);
  tokio::runtime::Builder::new_multi_thread()
    .enable_all()
    .build()?
    .block_on(front::connections::serve(settings))
}
