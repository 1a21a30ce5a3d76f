//! Apps as folders: `APPS_DIR/<name>/<version>/`, the version a request's
//! range picks ([`resolver`]), each version's `worker.config.json` or
//! `package.json` settings ([`config`]), the cached catalog that turns a
//! request path into a loaded app and decides where it goes ([`catalog`]),
//! and hot reload ([`watcher`]).
//!
//! May call: `settings`, `metrics` (per-app counters), `proxy` (rule
//! compilation), `worker` (the spec a worker runs), `ext::app_paths`.
//! Never the front end, the pool or the admin API.

pub mod catalog;
pub mod config;
mod fresh_cache;
pub mod hosts;
pub mod resolver;
pub mod watcher;
