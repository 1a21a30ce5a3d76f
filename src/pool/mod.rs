//! Live workers keyed by `name@version`.
//!
//! - `ttl > 0`: a worker is reused while its age < `ttl`, idle time <
//!   `idleTimeout` and requests < `maxRequests`; then it is retired
//!   gracefully (its inbox closes, in-flight requests finish, `onTerminate`
//!   runs). `ttl: 0`: a fresh worker per request, dropped after it.
//! - At most `max_size` pooled workers; beyond that the least recently used
//!   idle one is evicted. When every one is busy the request waits for a
//!   slot (counted in `queueSize`) until its timeout.
//! - A few standby isolates are created ahead of time, so a new worker only
//!   has to load its app. A `ttl: 0` app that was just requested keeps its
//!   next worker loaded ahead of time (primed): its next request only waits
//!   for its own handling.
//!
//! The pool's lock is never held across an await: starting a worker is
//! synchronous (the isolate is created on the worker's own thread). A
//! request to a running worker does not take it at all: it reads the copy
//! of the map published after each change ([`Workers`]).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

use crate::apps::config::AppConfig;
use crate::ext::protocol::{ConnectionTask, RequestJob, WorkerMessage};
use crate::worker::{Standby, WorkerControl, WorkerHandle, WorkerSpec};

pub mod fresh_limits;
mod policy;
mod pooled_worker;
mod spares;
mod stats;
mod worker_map;

pub use pooled_worker::{InFlightGuard, PooledWorker};

use fresh_limits::{FreshLimits, FreshPermit};

use spares::{Primed, Standbys};
use worker_map::Workers;

type WorkerMap = worker_map::WorkerMap<PooledWorker>;

/// How long a woken worker has to show it is not stuck.
const STUCK_GRACE: Duration = Duration::from_millis(250);

/// How often retirement (idle, age) is checked.
const SWEEP_INTERVAL: Duration = Duration::from_millis(250);

/// What [`Pool::dispatch`] did with a request.
pub enum Dispatch {
  Sent(Dispatched),
  /// Every slot is taken by a busy worker.
  Full(WorkerMessage),
}

/// How many instances a request may spread over: WebSockets all live in
/// an app's first instance, so `publish` reaches every socket of the app.
fn instances_for(config: &AppConfig, upgradable: bool) -> usize {
  if upgradable {
    1
  } else {
    config.instances.max(1)
  }
}

/// The app's name in `name@version`: the `ttl: 0` per-app cap covers all
/// its versions.
fn app_name(spec: &WorkerSpec) -> &str {
  spec.key.split('@').next().unwrap_or(&spec.key)
}

/// Where a request went.
pub enum Dispatched {
  Pooled(InFlightGuard),
  /// A `ttl: 0` worker of its own, and its place under the caps.
  Fresh(Arc<WorkerControl>, FreshPermit),
}

impl Dispatched {
  pub fn control(&self) -> &Arc<WorkerControl> {
    match self {
      Dispatched::Pooled(guard) => guard.control(),
      Dispatched::Fresh(control, _) => control,
    }
  }
}

#[derive(Debug, thiserror::Error)]
pub enum PoolError {
  #[error("cannot start a worker: {0}")]
  Spawn(#[from] std::io::Error),
  #[error("all {0} workers are busy")]
  Full(usize),
  #[error("too many ttl: 0 requests at once (the server's limit is {0})")]
  FreshFull(usize),
}

#[derive(Default)]
struct Counters {
  hits: AtomicU64,
  misses: AtomicU64,
  evictions: AtomicU64,
  created: AtomicU64,
  queued: AtomicUsize,
  adopted: AtomicU64,
}

/// The pool key of an app's `index`th instance: `name@version` for the
/// first, `name@version#2` for the second, and so on.
fn instance_key(key: &str, index: usize) -> std::borrow::Cow<'_, str> {
  if index == 0 {
    std::borrow::Cow::Borrowed(key)
  } else {
    std::borrow::Cow::Owned(format!("{key}#{}", index + 1))
  }
}

/// How big the pool may grow.
pub struct PoolOptions {
  /// Most pooled workers.
  pub max_size: usize,
  /// Isolates kept created ahead of time.
  pub standbys: usize,
  /// `ttl: 0` apps whose next worker is kept loaded ahead of time.
  pub primed: usize,
  /// Heap limit of a standby isolate (the default worker heap).
  pub heap_limit_bytes: usize,
  /// Sum of the heap limits of pooled workers may not exceed this (0 = no
  /// budget): a cap on the memory all isolates together may use.
  pub heap_budget_bytes: usize,
  /// Most a worker holding WebSockets may live (`None`: no cap).
  pub socket_max_age: Option<Duration>,
  /// `ttl: 0` workers at once: all apps, one app (0 = no cap).
  pub fresh_max: usize,
  pub fresh_per_app: usize,
}

pub struct Pool {
  max_size: usize,
  heap_budget_bytes: usize,
  socket_max_age: Option<Duration>,
  workers: Workers<PooledWorker>,
  standbys: Standbys,
  primed: Primed,
  slot_freed: Notify,
  counters: Counters,
  fresh: Arc<FreshLimits>,
}

impl Pool {
  pub fn new(options: PoolOptions) -> Arc<Self> {
    Arc::new(Self {
      max_size: options.max_size,
      heap_budget_bytes: options.heap_budget_bytes,
      socket_max_age: options.socket_max_age,
      workers: Workers::new(),
      standbys: Standbys {
        target: options.standbys,
        heap_limit_bytes: options.heap_limit_bytes,
        ready: Mutex::new(Vec::new()),
      },
      primed: Primed {
        limit: options.primed,
        ready: Mutex::new(HashMap::new()),
      },
      slot_freed: Notify::new(),
      counters: Counters::default(),
      fresh: FreshLimits::new(options.fresh_max, options.fresh_per_app),
    })
  }

  /// Creates the standby isolates and starts the retirement sweeper (call
  /// from inside the tokio runtime).
  pub fn start(self: &Arc<Self>) {
    self.standbys.refill();
    let pool = Arc::downgrade(self);
    tokio::spawn(async move {
      let mut tick = tokio::time::interval(SWEEP_INTERVAL);
      tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
      loop {
        tick.tick().await;
        let Some(pool) = pool.upgrade() else { return };
        pool.sweep();
      }
    });
  }

  /// A new worker for `spec` answering `first`, then standbys replaced.
  fn start_worker(
    &self,
    spec: &Arc<WorkerSpec>,
    first: WorkerMessage,
  ) -> std::io::Result<WorkerHandle> {
    let handle = self.new_worker(spec, Some(first))?;
    self.standbys.refill();
    Ok(handle)
  }

  /// A new worker for `spec` (on a standby if one is ready), with `first`
  /// to answer, or without, loading its app and waiting.
  fn new_worker(
    &self,
    spec: &Arc<WorkerSpec>,
    first: Option<WorkerMessage>,
  ) -> std::io::Result<WorkerHandle> {
    self.counters.created.fetch_add(1, Ordering::Relaxed);
    let standby = match self.standbys.take(spec.heap_limit_bytes) {
      Some(standby) => standby,
      None => Standby::start(spec.heap_limit_bytes)?,
    };
    Ok(match first {
      Some(first) => standby.assign(spec.clone(), first),
      None => standby.preload(spec.clone()),
    })
  }

  /// A `ttl: 0` request: to the app's primed worker if it has one, else to
  /// a new worker. Priming the app's next worker and replacing standbys
  /// wait for [`Pool::fresh_answered`]: on a small machine they would take
  /// the CPU this request needs.
  fn dispatch_fresh(
    &self,
    spec: &Arc<WorkerSpec>,
    message: WorkerMessage,
    permit: FreshPermit,
  ) -> Result<Dispatched, PoolError> {
    self.counters.misses.fetch_add(1, Ordering::Relaxed);
    let mut message = message;
    let mut dead_primed = false;
    if let Some(primed) = self.primed.take(spec) {
      match primed.send(message) {
        // Dropping the handle closes the inbox behind the job, so the
        // worker stops once it has answered.
        Ok(()) => return Ok(Dispatched::Fresh(primed.control.clone(), permit)),
        Err(returned) => {
          message = returned;
          dead_primed = true;
        }
      }
    }
    if dead_primed {
      self.primed.put(spec, None);
    }
    let handle = self.new_worker(spec, Some(message))?;
    Ok(Dispatched::Fresh(handle.control.clone(), permit))
  }

  /// A `ttl: 0` request was answered: prime its app's next worker and
  /// replace the standbys taken, after the response has been written.
  pub fn fresh_answered(self: &Arc<Self>, spec: &Arc<WorkerSpec>) {
    let (pool, spec) = (self.clone(), spec.clone());
    tokio::spawn(async move {
      if pool.primed.claim(&spec, Instant::now()) {
        match pool.new_worker(&spec, None) {
          Ok(handle) => pool.primed.put(&spec, Some(handle)),
          Err(err) => tracing::error!(app = %spec.key, "cannot prime a worker: {err}"),
        }
      }
      pool.standbys.refill();
    });
  }

  /// Hands `job` to a worker for `spec.key`, starting one if needed. When
  /// the pool is full of busy workers the request comes back, to wait for
  /// a slot with [`Pool::dispatch_queued`] (kept apart so the common case
  /// is not an await: its future would be part of every request's).
  pub fn dispatch(
    self: &Arc<Self>,
    spec: &Arc<WorkerSpec>,
    config: &AppConfig,
    job: RequestJob,
  ) -> Result<Dispatch, PoolError> {
    let instances = instances_for(config, job.upgradable);
    let message = WorkerMessage::Request(Box::new(job));
    if config.ttl.is_zero() {
      return match self.fresh.try_take(app_name(spec)) {
        Some(permit) => self
          .dispatch_fresh(spec, message, permit)
          .map(Dispatch::Sent),
        None => Ok(Dispatch::Full(message)),
      };
    }
    Ok(match self.try_dispatch(spec, config, instances, message)? {
      Ok(guard) => Dispatch::Sent(Dispatched::Pooled(guard)),
      Err(message) => Dispatch::Full(message),
    })
  }

  /// Waits up to `wait` for a slot for a request [`Pool::dispatch`] gave
  /// back.
  pub async fn dispatch_queued(
    self: &Arc<Self>,
    spec: &Arc<WorkerSpec>,
    config: &AppConfig,
    mut message: WorkerMessage,
    wait: Duration,
  ) -> Result<Dispatched, PoolError> {
    let deadline = tokio::time::Instant::now() + wait;
    if config.ttl.is_zero() {
      return match self.fresh.take(app_name(spec), deadline).await {
        Some(permit) => self.dispatch_fresh(spec, message, permit),
        None => Err(PoolError::FreshFull(self.fresh.max_total())),
      };
    }
    let upgradable = matches!(&message, WorkerMessage::Request(job) if job.upgradable);
    let instances = instances_for(config, upgradable);
    loop {
      // Registered before the attempt, so a slot freed right after it is
      // not missed.
      let freed = self.slot_freed.notified();
      match self.try_dispatch(spec, config, instances, message)? {
        Ok(guard) => return Ok(Dispatched::Pooled(guard)),
        Err(returned) => message = returned,
      }
      self.counters.queued.fetch_add(1, Ordering::Relaxed);
      let waited = tokio::time::timeout_at(deadline, freed).await;
      self.counters.queued.fetch_sub(1, Ordering::Relaxed);
      if waited.is_err() {
        return Err(PoolError::Full(self.max_size));
      }
    }
  }

  /// `Ok(Err(message))` when every slot is taken by a busy worker.
  ///
  /// With several `instances` the request goes to the least loaded one; a
  /// new instance starts only when every running one is serving.
  #[allow(clippy::type_complexity)]
  fn try_dispatch(
    self: &Arc<Self>,
    spec: &Arc<WorkerSpec>,
    config: &AppConfig,
    instances: usize,
    mut message: WorkerMessage,
  ) -> Result<Result<InFlightGuard, WorkerMessage>, PoolError> {
    let now = Instant::now();
    if instances == 1 {
      // The common case, a running single-instance worker: no lock.
      let running = self.workers.snapshot().get(&spec.key).cloned();
      if let Some(worker) = running.filter(|w| w.reusable(now, config, self.socket_max_age)) {
        match self.send_to(&worker, message, now) {
          Ok(guard) => return Ok(Ok(guard)),
          // It stopped just now: the locked path replaces it.
          Err(returned) => message = returned,
        }
      }
    }
    let mut workers = self.workers.lock();
    // The least loaded usable instance, and the first instance slot
    // without a usable worker (where a new one would go).
    let mut least: Option<(usize, &Arc<PooledWorker>)> = None;
    let mut vacant: Option<usize> = None;
    for index in 0..instances {
      let key = instance_key(&spec.key, index);
      let usable = |w: &&Arc<PooledWorker>| w.reusable(now, config, self.socket_max_age);
      match workers.get(key.as_ref()).filter(usable) {
        Some(worker) => {
          let load = worker.in_flight.load(Ordering::Acquire);
          if least.is_none_or(|(_, l)| load < l.in_flight.load(Ordering::Acquire)) {
            least = Some((index, worker));
          }
        }
        None if vacant.is_none() => vacant = Some(index),
        None => {}
      }
    }
    let least = least.map(|(index, worker)| (index, worker.clone()));
    let send = |worker: &Arc<PooledWorker>, message| self.send_to(worker, message, now);
    let mut slot = vacant;
    if let Some((index, worker)) = &least {
      let saturated = worker.in_flight.load(Ordering::Acquire) > 0;
      if !saturated || vacant.is_none() {
        match send(worker, message) {
          Ok(guard) => return Ok(Ok(guard)),
          // It stopped just now: replace it below.
          Err(returned) => message = returned,
        }
        slot = Some(*index);
      }
    }
    let key = instance_key(&spec.key, slot.unwrap_or(0)).into_owned();
    // Retire the old one (its in-flight requests finish), then make room.
    workers.remove(&key);
    if !self.make_room(&mut workers, spec) {
      // No room for another instance: share a running one.
      if let Some((_, worker)) = least.as_ref().filter(|(index, _)| Some(*index) != slot) {
        return Ok(send(worker, message));
      }
      return Ok(Err(message));
    }
    self.counters.misses.fetch_add(1, Ordering::Relaxed);
    let worker = Arc::new(PooledWorker::new(
      self.start_worker(spec, message)?,
      config.clone(),
      spec.heap_limit_bytes,
    ));
    let guard = self.enter(&worker, now);
    workers.insert(key, worker);
    Ok(Ok(guard))
  }

  /// Hands a client connection to the worker of `spec` (starting it if
  /// need be, when there is room), whose thread then serves it. Gives the
  /// connection back when the pool is full of busy workers.
  pub fn adopt(
    self: &Arc<Self>,
    spec: &Arc<WorkerSpec>,
    config: &AppConfig,
    task: ConnectionTask,
  ) -> Result<(), ConnectionTask> {
    let give_back = |message: WorkerMessage| match message {
      WorkerMessage::Connection(task) => task,
      _ => unreachable!("only connections are adopted"),
    };
    let now = Instant::now();
    let mut workers = self.workers.lock();
    let mut message = WorkerMessage::Connection(task);
    if let Some(worker) = workers
      .get(&spec.key)
      .filter(|w| w.reusable(now, config, self.socket_max_age))
    {
      match worker.handle.send(message) {
        Ok(()) => {
          self.counters.adopted.fetch_add(1, Ordering::Relaxed);
          return Ok(());
        }
        Err(returned) => message = returned,
      }
    }
    workers.remove(&spec.key);
    if !self.make_room(&mut workers, spec) {
      return Err(give_back(message));
    }
    match self.start_worker(spec, message) {
      Ok(handle) => {
        let worker = PooledWorker::new(handle, config.clone(), spec.heap_limit_bytes);
        workers.insert(spec.key.clone(), Arc::new(worker));
        self.counters.adopted.fetch_add(1, Ordering::Relaxed);
      }
      Err(err) => crate::ext::app_log::record(
        &spec.key,
        crate::ext::app_log::Level::Error,
        &format!("cannot start a worker: {err}"),
        None,
      ),
    }
    Ok(())
  }

  /// Evicts least recently used idle workers until one for `spec` fits
  /// within the pool size and the heap budget; false if it cannot.
  fn make_room(&self, workers: &mut WorkerMap, spec: &WorkerSpec) -> bool {
    let over_budget = |workers: &WorkerMap| {
      let reserved: usize = workers.values().map(|w| w.heap_limit_bytes).sum();
      self.heap_budget_bytes > 0 && reserved + spec.heap_limit_bytes > self.heap_budget_bytes
    };
    while workers.len() >= self.max_size || over_budget(workers) {
      let lru = workers
        .iter()
        .filter(|(_, w)| !w.is_busy())
        .min_by_key(|(_, w)| w.last_used.get())
        .map(|(key, _)| key.clone());
      let Some(lru) = lru else {
        return false;
      };
      workers.remove(&lru);
      self.counters.evictions.fetch_add(1, Ordering::Relaxed);
    }
    true
  }

  /// Hands a request to a running worker, counted as a hit (a miss when it
  /// is the first request of a worker started for a connection, which
  /// waited for that start).
  fn send_to(
    self: &Arc<Self>,
    worker: &Arc<PooledWorker>,
    message: WorkerMessage,
    now: Instant,
  ) -> Result<InFlightGuard, WorkerMessage> {
    let first = worker.requests.load(Ordering::Relaxed) == 0;
    let guard = self.enter(worker, now);
    worker.handle.send(message).map(|()| {
      let counter = if first {
        &self.counters.misses
      } else {
        &self.counters.hits
      };
      counter.fetch_add(1, Ordering::Relaxed);
      guard
    })
  }

  fn enter(self: &Arc<Self>, worker: &Arc<PooledWorker>, now: Instant) -> InFlightGuard {
    worker.in_flight.fetch_add(1, Ordering::AcqRel);
    worker.requests.fetch_add(1, Ordering::Relaxed);
    worker.last_used.set(now);
    InFlightGuard {
      worker: worker.clone(),
      pool: self.clone(),
    }
  }

  /// Retires workers past their idle time, age or request count, and
  /// forgets those whose thread ended. Idle ones get `onIdle()` first.
  fn sweep(self: &Arc<Self>) {
    let now = Instant::now();
    self.primed.expire(now);
    let mut workers = self.workers.lock();
    for (key, worker) in workers.iter() {
      if worker.silent_too_long(now) && !worker.probing.swap(true, Ordering::AcqRel) {
        let (key, control) = (key.clone(), worker.control().clone());
        let (pool, probing) = (self.clone(), worker.probing.clone());
        tokio::spawn(async move {
          if control.is_stuck(STUCK_GRACE).await {
            crate::ext::app_log::record(
              &key,
              crate::ext::app_log::Level::Error,
              "worker stuck in synchronous code: terminating it",
              None,
            );
            pool.kill(&control);
          }
          probing.store(false, Ordering::Release);
        });
      }
    }
    let before = workers.len();
    workers.retain(|key, worker| {
      if !worker.expired(now, self.socket_max_age) {
        return true;
      }
      if worker.past_socket_cap(now, self.socket_max_age) {
        tracing::info!(app = %key, "worker held WebSockets past WS_WORKER_MAX_AGE: closing them");
        let _ = worker.handle.send(WorkerMessage::GoingAway);
      } else if !worker.handle.is_closed() && worker.idle_for(now) >= worker.config.idle_timeout {
        let _ = worker.handle.send(WorkerMessage::Idle);
      }
      tracing::debug!(app = %key, "worker retired");
      false
    });
    if workers.len() != before {
      self.slot_freed.notify_waiters();
    }
  }

  /// After a request timed out on it: if the worker's thread is stuck in
  /// synchronous JS (it does not poll its event loop when woken), stop it
  /// and forget it, so the next request for the app gets a fresh worker.
  pub fn check_stuck(self: &Arc<Self>, key: &str, control: &Arc<WorkerControl>) {
    let (pool, control, key) = (self.clone(), control.clone(), key.to_string());
    tokio::spawn(async move {
      if control.is_stuck(STUCK_GRACE).await {
        crate::ext::app_log::record(
          &key,
          crate::ext::app_log::Level::Error,
          "worker stuck in synchronous code: terminating it",
          None,
        );
        pool.kill(&control);
      }
    });
  }

  /// Stops a worker stuck in synchronous JavaScript and forgets it, so the
  /// next request gets a fresh one.
  pub fn kill(&self, control: &Arc<WorkerControl>) {
    control.terminate();
    self
      .workers
      .lock()
      .retain(|_, w| !Arc::ptr_eq(w.control(), control));
    self.slot_freed.notify_waiters();
  }

  /// Retires every worker of app `name` (its files changed): in-flight
  /// requests finish on the old code, the next request loads the new.
  pub fn retire_app(&self, name: &str) {
    let prefix = format!("{name}@");
    self.primed.forget_app(&prefix);
    self.workers.lock().retain(|key, worker| {
      let keep = !key.starts_with(&prefix);
      if !keep {
        // Its WebSocket clients reconnect to the new code.
        let _ = worker.handle.send(WorkerMessage::GoingAway);
      }
      keep
    });
    self.slot_freed.notify_waiters();
  }

  /// Retires every worker (shutdown): in-flight requests finish, then each
  /// app's `onTerminate()` runs.
  pub fn retire_all(&self) {
    for (_, worker) in self.workers.lock().drain() {
      let _ = worker.handle.send(WorkerMessage::GoingAway);
    }
    self.standbys.ready.lock().unwrap().clear();
    self.primed.ready.lock().unwrap().clear();
  }

  /// Pooled workers now and the most allowed: cheap, for `/_/health`.
  pub fn size(&self) -> (usize, usize) {
    (self.workers.lock().len(), self.max_size)
  }
}
