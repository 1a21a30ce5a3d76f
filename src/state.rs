//! What every part of the front end and the admin API share: the
//! settings, the app catalog, the pool and the metrics.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::apps::catalog::AppCatalog;
use crate::metrics::Metrics;
use crate::pool::{Pool, PoolOptions};
use crate::settings::Settings;
use crate::shutdown_signal::ShutdownSignal;

pub struct AppState {
  pub settings: Settings,
  pub catalog: AppCatalog,
  pub pool: Arc<Pool>,
  pub metrics: Arc<Metrics>,
  /// Kept alive for as long as the state: dropping it stops watching.
  watcher: std::sync::Mutex<Option<notify::RecommendedWatcher>>,
  /// The front end's runtime: work that must outlive a worker thread
  /// (proxying) is sent there from connections a worker adopted.
  pub front_end: tokio::runtime::Handle,
  /// Closed at shutdown, for connections served outside hyper-util's
  /// graceful tracking.
  pub closing: Arc<ShutdownSignal>,
}

impl AppState {
  /// Builds the state and starts the pool's background tasks (standby
  /// isolates, retirement sweeper) and hot reload: call inside the tokio
  /// runtime.
  pub fn new(settings: Settings) -> Arc<Self> {
    let metrics = Arc::new(Metrics::default());
    let state = Arc::new(Self {
      catalog: AppCatalog::new(&settings, metrics.clone()),
      metrics,
      pool: Pool::new(PoolOptions {
        max_size: settings.pool_size(),
        standbys: settings.prestart_workers as usize,
        primed: settings.primed_workers as usize,
        heap_limit_bytes: (settings.worker_heap_mb as usize) << 20,
        heap_budget_bytes: (settings.total_heap_mb as usize) << 20,
        socket_max_age: (settings.ws_worker_max_age > 0)
          .then(|| Duration::from_secs(settings.ws_worker_max_age)),
        fresh_max: settings.fresh_workers_max,
        fresh_per_app: settings.fresh_workers_per_app,
      }),
      watcher: std::sync::Mutex::new(None),
      front_end: tokio::runtime::Handle::current(),
      closing: Default::default(),
      settings,
    });
    state.pool.start();
    state.catalog.refresh_hosts();
    spawn_host_refresh(&state);
    if state.settings.watch {
      let weak = Arc::downgrade(&state);
      let watcher = crate::apps::watcher::watch(&state.settings.apps_dir, move |path| {
        let Some(state) = weak.upgrade() else {
          return false;
        };
        state.app_changed(path);
        true
      });
      *state.watcher.lock().unwrap() = watcher;
    }
    state
  }

  pub fn apps_dir(&self) -> &Path {
    &self.settings.apps_dir
  }

  /// Something under `path` changed (deployments API or on disk): forget
  /// cached listings and configs, and retire the app's workers so the next
  /// request runs the new code.
  pub fn app_changed(&self, path: &Path) {
    if let Some(name) = self.catalog.forget_changed(path) {
      self.pool.retire_app(&name);
      tracing::debug!(app = %name, "files changed: reloading");
    }
  }

  pub fn admin_token(&self) -> Option<&str> {
    self
      .settings
      .admin_token
      .as_deref()
      .filter(|t| !t.is_empty())
  }
}

/// Keeps the virtual-host table current: rebuilt soon after apps change,
/// on a blocking thread, so no request waits on the apps folder being
/// read; without a file watcher (`WATCH=false`, or the platform refused
/// one), also every [`HOSTS_TTL`](crate::apps::catalog::HOSTS_TTL), since
/// edits on disk then send no notice.
fn spawn_host_refresh(state: &Arc<AppState>) {
  let state = Arc::downgrade(state);
  tokio::spawn(async move {
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    let mut built = std::time::Instant::now();
    loop {
      tick.tick().await;
      let Some(state) = state.upgrade() else { return };
      let unwatched = || state.watcher.lock().unwrap().is_none();
      if state.catalog.hosts_stale()
        || (built.elapsed() >= crate::apps::catalog::HOSTS_TTL && unwatched())
      {
        built = std::time::Instant::now();
        let _ = tokio::task::spawn_blocking(move || state.catalog.refresh_hosts()).await;
      }
    }
  });
}
