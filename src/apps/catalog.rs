//! The apps a request path can name: `/<name>[@range]` resolved to a
//! version folder, that folder's config, proxy rules and worker spec,
//! cached for [`LISTING_TTL`](super::resolver::LISTING_TTL) and forgotten when its files change. The one
//! routing decision ([`AppCatalog::route`], [`LoadedApp::destination`]) is
//! made here, for connection placement and for the request pipeline alike.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Instant;

use super::fresh_cache::FreshCache;
use axum::http::HeaderValue;

use super::config::{self, AppConfig, ConfigError, EntryKind};
use super::hosts::{HostClaim, HostMatch, HostTable};
use super::resolver::{is_valid_app_name, ResolvedApp, Resolver};
use crate::metrics::{AppFigures, Metrics};
use crate::proxy::{ProxyRule, ProxyRules};
use crate::settings::Settings;
use crate::worker::WorkerSpec;

/// An app version ready to dispatch to: its config, its proxy rules and
/// what its workers run (`None` for a proxy-only app without entrypoint).
pub struct LoadedApp {
  pub config: AppConfig,
  pub proxy: Option<ProxyRules>,
  pub entry: Option<Arc<WorkerSpec>>,
  /// Its request counters, kept here so recording takes no shared lock.
  pub figures: Arc<AppFigures>,
}

pub type LoadedConfig = Result<LoadedApp, ConfigError>;

/// Where a request for a loaded app goes.
pub enum Destination<'a> {
  /// A proxy rule matched: forward to this URL.
  Proxy(&'a ProxyRule, String),
  /// The app's workers.
  Worker(&'a Arc<WorkerSpec>),
  /// A proxy-only app none of whose rules matched.
  NoRule,
}

impl LoadedApp {
  /// Proxy rules first, then the app's own code.
  pub fn destination(&self, app_path: &str, query: Option<&str>) -> Destination<'_> {
    let rule = self
      .proxy
      .as_ref()
      .and_then(|rules| rules.route(app_path, query));
    match (rule, &self.entry) {
      (Some((rule, url)), _) => Destination::Proxy(rule, url),
      (None, Some(spec)) => Destination::Worker(spec),
      (None, None) => Destination::NoRule,
    }
  }

  /// The worker spec when no proxy rule can apply, so no path needs
  /// matching (the common request's shortcut of [`Self::destination`]).
  pub fn worker_only(&self) -> Option<&Arc<WorkerSpec>> {
    self.entry.as_ref().filter(|_| self.proxy.is_none())
  }
}

/// Where a path's first segment (`name[@range]`) leads: made from the
/// version listing and the app's config, cached as long as they are, so a
/// request to a known app finds its worker spec with one lookup.
pub struct Target {
  pub name: String,
  pub range: Option<String>,
  /// `/<segment>`: the prefix the app is served under.
  pub base: String,
  /// `base` as the `x-base` request header.
  pub base_header: Option<HeaderValue>,
  /// The name has at least one version folder.
  pub exists: bool,
  /// `None` when no version satisfies the range.
  pub resolved: Option<(ResolvedApp, Arc<LoadedConfig>)>,
}

impl Target {
  /// The loaded app, when a version was found and its config is valid.
  pub fn loaded(&self) -> Option<&LoadedApp> {
    let (_, loaded) = self.resolved.as_ref()?;
    loaded.as_ref().as_ref().ok()
  }

  /// `name[@range]` as the client asked for it.
  pub fn shown_name(&self) -> String {
    match &self.range {
      Some(range) => format!("{}@{range}", self.name),
      None => self.name.clone(),
    }
  }
}

/// What a request path names.
pub enum Route {
  /// `/` with no shell app: the server's banner.
  Home,
  /// An app; `whole_path`: it sees the whole path (the `APP_SHELL` app),
  /// not what follows its segment.
  App {
    target: Arc<Target>,
    whole_path: bool,
  },
  /// No folder by that name, and no shell app to fall back to.
  Missing(Arc<Target>),
  /// The request's host is claimed by two apps (the message names both).
  HostConflict(String),
}

/// `/<segment>/<rest>` → (segment as written, rest with its leading slash).
pub fn split_first_segment(path: &str) -> (&str, &str) {
  let trimmed = path.strip_prefix('/').unwrap_or(path);
  match trimmed.find('/') {
    Some(i) => (&trimmed[..i], &trimmed[i..]),
    None => (trimmed, "/"),
  }
}

/// The path as an app sees it: what follows its segment, or (`whole_path`,
/// the shell app) all of it.
pub fn app_path(path: &str, whole_path: bool) -> &str {
  match whole_path {
    true => path,
    false => split_first_segment(path).1,
  }
}

/// The app a path's first segment names: `name[@range]`, percent-decoded.
fn app_of_segment(segment: &str) -> (String, Option<String>) {
  let decoded = percent_encoding::percent_decode_str(segment).decode_utf8_lossy();
  match decoded.split_once('@') {
    Some((name, range)) => (name.to_string(), Some(range.to_string())),
    None => (decoded.into_owned(), None),
  }
}

pub struct AppCatalog {
  apps_dir: PathBuf,
  app_env_allow: Vec<String>,
  app_shell: Option<String>,
  node_env: &'static str,
  worker_heap_mb: u64,
  resolver: Resolver,
  metrics: Arc<Metrics>,
  /// App folder → its parsed config and worker spec, re-read when older
  /// than a second (so edits and redeploys show up without a restart).
  configs: FreshCache<PathBuf, Arc<LoadedConfig>>,
  /// First path segment → [`Target`], for as long as `configs`. The shell
  /// (`APP_SHELL`) is kept under "/", which no segment can be.
  targets: FreshCache<String, Arc<Target>>,
  /// Every app's host claims, rebuilt off the request path by
  /// [`Self::refresh_hosts`].
  hosts: arc_swap::ArcSwap<HostTable>,
  /// Set when apps change, so the next refresh rebuilds at once.
  hosts_stale: AtomicBool,
}

/// How long the host table stands without a change notice (edits on disk
/// with `WATCH=false`).
pub const HOSTS_TTL: std::time::Duration = std::time::Duration::from_secs(2);

impl AppCatalog {
  pub fn new(settings: &Settings, metrics: Arc<Metrics>) -> Self {
    Self {
      apps_dir: settings.apps_dir.clone(),
      app_env_allow: settings.app_env_allow.clone(),
      app_shell: settings.app_shell.clone(),
      node_env: settings.node_env.as_str(),
      worker_heap_mb: settings.worker_heap_mb,
      resolver: Resolver::new(settings.apps_dir.clone()),
      metrics,
      configs: FreshCache::new(1024),
      targets: FreshCache::new(1024),
      hosts: arc_swap::ArcSwap::from_pointee(HostTable::default()),
      hosts_stale: AtomicBool::new(true),
    }
  }

  /// Whether apps changed since the host table was last built.
  pub fn hosts_stale(&self) -> bool {
    self.hosts_stale.load(Relaxed)
  }

  /// Rebuilds the host table from every app's claims (it reads the apps
  /// folder: called at start and from a background task, never while a
  /// request waits).
  pub fn refresh_hosts(&self) {
    self.hosts_stale.store(false, Relaxed);
    let table = HostTable::build(self.all_host_claims());
    for (host, a, b) in table.conflicts() {
      tracing::error!(
        "host {host} is claimed by both {a} and {b}: its requests answer 500 until one gives it up"
      );
    }
    self.hosts.store(Arc::new(table));
  }

  /// `(app, claim)` for the claims in each app's highest version's config.
  fn all_host_claims(&self) -> Vec<(String, HostClaim)> {
    let Ok(dir) = std::fs::read_dir(&self.apps_dir) else {
      return Vec::new();
    };
    let mut claims = Vec::new();
    for entry in dir.flatten() {
      let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
        continue;
      };
      if !is_valid_app_name(&name) {
        continue;
      }
      let Some(app) = self.resolver.resolve(&name, None) else {
        continue;
      };
      if let Ok(loaded) = self.load(&app).as_ref() {
        for claim in &loaded.config.hosts {
          claims.push((name.clone(), claim.clone()));
        }
      }
    }
    claims
  }

  /// The app a request's `Host` names, if any app claims hosts at all.
  fn host_route(&self, host: &str, now: Instant) -> Option<Route> {
    let table = self.hosts.load();
    if table.is_empty() {
      return None;
    }
    match table.lookup(host)? {
      HostMatch::App { app, range } => {
        let key = format!("/{app}@{}", range.as_deref().unwrap_or(""));
        let target = self.cached_target(&key, now, || (app.clone(), range.clone(), String::new()));
        Some(Route::App {
          target,
          whole_path: true,
        })
      }
      HostMatch::Conflict(a, b) => Some(Route::HostConflict(format!(
        "This host is claimed by two apps ({a} and {b}); fix their \"hosts\" config"
      ))),
    }
  }

  /// Whether app `name` has at least one version folder.
  pub fn app_exists(&self, name: &str) -> bool {
    self.resolver.exists(name)
  }

  /// The one routing decision for a request (`host`: its `Host`, for
  /// virtual hosts; `now`: its clock reading, for the cache check).
  pub fn route(&self, host: Option<&str>, path: &str, now: Instant) -> Route {
    if let Some(route) = host.and_then(|host| self.host_route(host, now)) {
      return route;
    }
    let (segment, _) = split_first_segment(path);
    let target = (!segment.is_empty()).then(|| self.target(segment, now));
    match target {
      Some(target) if target.exists => Route::App {
        target,
        whole_path: false,
      },
      _ => match (&self.app_shell, target) {
        (Some(shell), _) => Route::App {
          target: self.shell_target(shell, now),
          whole_path: true,
        },
        (None, None) => Route::Home,
        (None, Some(target)) => Route::Missing(target),
      },
    }
  }

  /// Something under `path` changed: the app's name (its first folder
  /// under `APPS_DIR`) once cached listings and configs are forgotten.
  pub fn forget_changed(&self, path: &Path) -> Option<String> {
    let root = self
      .apps_dir
      .canonicalize()
      .unwrap_or_else(|_| self.apps_dir.clone());
    let relative = path
      .strip_prefix(&root)
      .or_else(|_| path.strip_prefix(&self.apps_dir));
    let name = relative
      .ok()
      .and_then(|r| r.components().next())
      .and_then(|c| c.as_os_str().to_str())?;
    if name.starts_with('.') {
      return None;
    }
    self.resolver.forget(name);
    self.hosts_stale.store(true, Relaxed);
    self.configs.clear();
    self.targets.clear();
    Some(name.to_string())
  }

  /// The app a path's first segment names.
  fn target(&self, segment: &str, now: Instant) -> Arc<Target> {
    self.cached_target(segment, now, || {
      let (name, range) = app_of_segment(segment);
      (name, range, format!("/{segment}"))
    })
  }

  /// The `APP_SHELL` app, which serves paths that name no app.
  fn shell_target(&self, shell: &str, now: Instant) -> Arc<Target> {
    self.cached_target("/", now, || (shell.to_string(), None, String::new()))
  }

  fn cached_target(
    &self,
    key: &str,
    now: Instant,
    naming: impl FnOnce() -> (String, Option<String>, String),
  ) -> Arc<Target> {
    self.targets.get_or_read(key, now, || {
      let (name, range, base) = naming();
      let exists = self.resolver.exists(&name);
      let resolved = exists
        .then(|| self.resolver.resolve(&name, range.as_deref()))
        .flatten()
        .map(|app| {
          let loaded = self.load(&app);
          (app, loaded)
        });
      Arc::new(Target {
        // Served at the root (a host claim, the shell): `x-base: /`.
        base_header: HeaderValue::from_str(if base.is_empty() { "/" } else { &base }).ok(),
        name,
        range,
        base,
        exists,
        resolved,
      })
    })
  }

  /// The config and worker spec of a resolved app folder.
  fn load(&self, app: &ResolvedApp) -> Arc<LoadedConfig> {
    self
      .configs
      .get_or_read(app.dir.as_path(), Instant::now(), || {
        Arc::new(self.read_app(app))
      })
  }

  fn read_app(&self, app: &ResolvedApp) -> LoadedConfig {
    let config = config::load(&app.dir)?;
    let env = self.app_env(&app.dir, &config);
    let proxy = match &config.proxy {
      None => None,
      // `${VAR}` comes from what the app itself may see, never from the
      // server's own environment (the admin token, cloud credentials).
      Some(rules) => Some(
        ProxyRules::compile(rules, |name| env.get(name).cloned()).map_err(|message| {
          ConfigError {
            file: config.source.to_string(),
            message,
          }
        })?,
      ),
    };
    let entry = match config::find_entrypoint(&app.dir, &config) {
      Ok(entry) => entry,
      // A folder with proxy rules and nothing else is a proxy-only app.
      Err(_) if proxy.is_some() && config.entrypoint.is_none() => {
        return Ok(LoadedApp {
          config,
          proxy,
          entry: None,
          figures: self.metrics.app(&app.key()),
        });
      }
      Err(err) => return Err(err),
    };
    let heap_mb = if config.low_memory {
      self.worker_heap_mb / 2
    } else {
      self.worker_heap_mb
    };
    let spec = Arc::new(WorkerSpec {
      key: app.key(),
      app_root: entry.root.clone(),
      is_static: entry.kind == EntryKind::Static,
      entry: entry.path,
      env,
      heap_limit_bytes: (heap_mb as usize) << 20,
      low_memory: config.low_memory,
    });
    Ok(LoadedApp {
      config,
      proxy,
      figures: self.metrics.app(&spec.key),
      entry: Some(spec),
    })
  }

  /// What the app sees in `Bun.env`: the server's `NODE_ENV`, allow-listed
  /// server variables, then its `.env` file, then its config's `env` (later
  /// ones win). Never the admin token.
  fn app_env(&self, dir: &Path, config: &AppConfig) -> BTreeMap<String, String> {
    let mut env: BTreeMap<String, String> = self
      .app_env_allow
      .iter()
      .filter(|name| !name.is_empty() && name.as_str() != "ADMIN_TOKEN")
      .filter_map(|name| Some((name.clone(), std::env::var(name).ok()?)))
      .collect();
    // Libraries (React, Express, tRPC) choose their production paths by it.
    env
      .entry("NODE_ENV".to_string())
      .or_insert_with(|| self.node_env.to_string());
    env.extend(config::read_dotenv(dir));
    env.extend(config.env.clone());
    env.remove("ADMIN_TOKEN");
    env
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn a_path_splits_at_its_first_segment() {
    assert_eq!(split_first_segment("/shop/cart/1"), ("shop", "/cart/1"));
    assert_eq!(split_first_segment("/shop"), ("shop", "/"));
    assert_eq!(split_first_segment("/"), ("", "/"));
    assert_eq!(
      app_of_segment("shop%40%5E1"),
      ("shop".to_string(), Some("^1".to_string()))
    );
    assert_eq!(app_of_segment("shop"), ("shop".to_string(), None));
  }
}
