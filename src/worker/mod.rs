//! One worker = one V8 isolate on its own OS thread, with its own
//! current-thread tokio runtime. The front end talks to it only through the
//! inbox channel; replies travel back on per-request channels.

mod buffer_budget;
mod commonjs;
mod module_loader;
mod thread_guard;
mod transpile;

pub use thread_guard::{install_panic_guard, on_worker_thread, AdoptedSocket, ThreadHold};
use thread_guard::{THREAD_CONTROL, THREAD_HOLDS};

use std::cell::{OnceCell, RefCell};
use std::collections::BTreeMap;
use std::future::Future;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::task::Poll;
use std::time::{Duration, Instant};

use futures::task::AtomicWaker;
use futures::FutureExt;

use deno_core::{v8, JsRuntime, PollEventLoopOptions, RuntimeOptions};
use tokio::sync::{mpsc, oneshot};

use crate::ext::exchange_ops::{
  ConnectionHost, DoneSignal, InFlight, Inbox, StopFlag, WorkerContext,
};
use crate::ext::node_ops::ModuleHostRef;
use crate::ext::protocol::{Failure, Reply, WorkerMessage};
use crate::ext::socket_ops::{OpenSockets, Sockets};
use module_loader::AppModuleLoader;

static SNAPSHOT: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/BUNTIME_SNAPSHOT.bin"));
include!(concat!(env!("OUT_DIR"), "/residual_lazy_js.rs"));

/// What a worker runs.
#[derive(Clone, Debug, PartialEq)]
pub struct WorkerSpec {
  /// `name@version`.
  pub key: String,
  /// Canonical app folder.
  pub app_root: PathBuf,
  /// Canonical entrypoint file.
  pub entry: PathBuf,
  /// Serve `entry`'s folder as a static site instead of running a module.
  pub is_static: bool,
  pub env: BTreeMap<String, String>,
  /// V8 heap limit for this isolate.
  pub heap_limit_bytes: usize,
  /// `lowMemory`: collect garbage whenever the worker goes idle.
  pub low_memory: bool,
}

impl WorkerSpec {
  /// Whether clients see the app's own stack frames in its 500s (its
  /// `NODE_ENV` is `development`); otherwise only the log has them.
  pub fn shows_stacks(&self) -> bool {
    self
      .env
      .get("NODE_ENV")
      .is_some_and(|env| env == "development")
  }
}

/// Shared between the front end and a worker thread: how to stop it and
/// whether its thread is still making progress.
#[derive(Default)]
pub struct WorkerControl {
  isolate: OnceLock<v8::IsolateHandle>,
  /// Bumped every time the worker's event loop is polled.
  ticks: AtomicU64,
  /// Wakes the worker's event loop (a liveness probe).
  waker: AtomicWaker,
  /// Set when the heap limit stopped the isolate.
  out_of_memory: AtomicBool,
  /// WebSockets the app accepted and has not closed.
  sockets: OpenSockets,
  /// Tells native work on the thread (SQLite) to give up.
  stop: StopFlag,
  /// Ends the event loop of a stopped worker that is idle (awaiting a
  /// timer): V8's termination only reaches JavaScript that runs.
  stopped: tokio::sync::Notify,
  /// Its thread panicked and is parked for good (see [`install_panic_guard`]).
  panicked: AtomicBool,
}

impl WorkerControl {
  /// Event loop polls so far: a sign of life.
  pub fn ticks(&self) -> u64 {
    self.ticks.load(Ordering::Acquire)
  }

  /// Whether the server has stopped this worker (`terminate`).
  pub fn is_stopped(&self) -> bool {
    self.stop.is_set()
  }

  pub fn open_sockets(&self) -> usize {
    self.sockets.0.load(Ordering::Acquire)
  }

  /// Stops JavaScript running on the worker's thread, even a busy loop.
  pub fn terminate(&self) {
    self.stop.0.store(true, Ordering::Release);
    self.stopped.notify_one();
    if let Some(isolate) = self.isolate.get() {
      isolate.terminate_execution();
    }
  }

  /// Whether the worker's thread is stuck in synchronous JavaScript: it is
  /// woken and must poll its event loop within `grace`.
  pub async fn is_stuck(&self, grace: Duration) -> bool {
    let before = self.ticks.load(Ordering::Acquire);
    self.waker.wake();
    let deadline = tokio::time::Instant::now() + grace;
    while tokio::time::Instant::now() < deadline {
      tokio::time::sleep(Duration::from_millis(10)).await;
      if self.ticks.load(Ordering::Acquire) != before {
        return false;
      }
    }
    true
  }

  /// Polls `future`, counting each poll as a sign of life.
  async fn ticking<F: Future>(&self, future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    std::future::poll_fn(|cx| {
      self.waker.register(cx.waker());
      self.ticks.fetch_add(1, Ordering::Release);
      future.as_mut().poll(cx)
    })
    .await
  }
}

/// The front end's side of a worker.
pub struct WorkerHandle {
  inbox: mpsc::UnboundedSender<WorkerMessage>,
  pub control: Arc<WorkerControl>,
  pub started_at: Instant,
}

impl WorkerHandle {
  /// Queues a message; gives it back if the worker has already stopped.
  pub fn send(&self, message: WorkerMessage) -> Result<(), WorkerMessage> {
    if self.control.panicked.load(Ordering::Acquire) {
      return Err(message);
    }
    self.inbox.send(message).map_err(|err| err.0)
  }

  /// The worker thread has ended (app failed to load, crashed, or retired).
  pub fn is_closed(&self) -> bool {
    self.inbox.is_closed() || self.control.panicked.load(Ordering::Acquire)
  }
}

/// Worker threads alive right now (standbys included), for shutdown.
static LIVE_THREADS: AtomicUsize = AtomicUsize::new(0);
/// Workers whose app failed to load or that stopped on an error.
static FAILED: AtomicU64 = AtomicU64::new(0);

pub fn live_threads() -> usize {
  LIVE_THREADS.load(Ordering::Relaxed)
}

pub fn failed_workers() -> u64 {
  FAILED.load(Ordering::Relaxed)
}

/// Once per process, before the first isolate.
pub fn init_v8(flags: &str) {
  // The first element is taken as the program name, as in argv.
  let mut args = vec!["buntime".to_string()];
  // Garbage collection on the isolate's own thread: the parallelism here
  // is many isolates, and V8's helper threads would wake (a futex, another
  // core) for every young-generation GC and array-buffer sweep. The extra
  // flags come after it and may turn it off.
  args.push("--single-threaded-gc".to_string());
  args.extend(flags.split_whitespace().map(str::to_string));
  let unknown = deno_core::v8_set_flags(args);
  if unknown.len() > 1 {
    tracing::warn!("unknown V8 flags ignored: {:?}", &unknown[1..]);
  }
  JsRuntime::init_platform(None);
}

/// A worker thread whose isolate is being (or has been) created, waiting
/// for an app. Creating the isolate is most of a worker's start-up cost, so
/// the pool keeps a few of these ready.
pub struct Standby {
  assign: oneshot::Sender<Assignment>,
  control: Arc<WorkerControl>,
}

struct Assignment {
  spec: Arc<WorkerSpec>,
  inbox: mpsc::UnboundedReceiver<WorkerMessage>,
}

impl Standby {
  /// Starts the thread; the isolate is created there, in the background.
  pub fn start(heap_limit_bytes: usize) -> std::io::Result<Self> {
    let (assign_tx, assign_rx) = oneshot::channel();
    let control = Arc::new(WorkerControl::default());
    let thread_control = control.clone();
    LIVE_THREADS.fetch_add(1, Ordering::Relaxed);
    let spawned = std::thread::Builder::new()
      .name("buntime-worker".into())
      .spawn(move || {
        match tokio::runtime::Builder::new_current_thread()
          .enable_all()
          .build()
        {
          Ok(rt) => rt.block_on(async {
            crate::coarse_timer::enable_on_this_thread();
            let holds = Arc::new(AtomicUsize::new(0));
            THREAD_HOLDS.with(|h| *h.borrow_mut() = Some(holds.clone()));
            THREAD_CONTROL.with(|c| *c.borrow_mut() = Some(thread_control.clone()));
            // The isolate runs as a task of this runtime rather than as the
            // `block_on` future: tokio polls the driver (an extra epoll_wait)
            // whenever that future is woken while tasks run, which would be
            // every request an adopted connection hands to the isolate.
            let isolate =
              deno_core::unsync::spawn(run(heap_limit_bytes, thread_control, assign_rx));
            if let Err(err) = isolate.await {
              tracing::error!("a worker's isolate task failed: {err}");
            }
            // The isolate is gone. Connections this thread adopted stay
            // here until their clients close them (their requests now go to
            // other workers): closing them now would race with a request the
            // client is already sending on one.
            while holds.load(Ordering::Acquire) > 0 {
              tokio::time::sleep(Duration::from_millis(20)).await;
            }
          }),
          Err(err) => tracing::error!("cannot start a worker runtime: {err}"),
        }
        LIVE_THREADS.fetch_sub(1, Ordering::Relaxed);
      });
    if let Err(err) = spawned {
      LIVE_THREADS.fetch_sub(1, Ordering::Relaxed);
      return Err(err);
    }
    Ok(Self {
      assign: assign_tx,
      control,
    })
  }

  /// Whether its isolate exists already.
  pub fn is_ready(&self) -> bool {
    self.control.isolate.get().is_some()
  }

  /// Gives the worker its app, with `first` already in its inbox (so a
  /// worker whose app fails to load still answers it). Messages sent before
  /// the app has loaded wait in the inbox; if loading fails they are
  /// answered with the load error.
  pub fn assign(self, spec: Arc<WorkerSpec>, first: WorkerMessage) -> WorkerHandle {
    self.assign_with(spec, Some(first))
  }

  /// Gives the worker its app with nothing to answer yet: it loads the app
  /// and waits for its first message.
  pub fn preload(self, spec: Arc<WorkerSpec>) -> WorkerHandle {
    self.assign_with(spec, None)
  }

  fn assign_with(self, spec: Arc<WorkerSpec>, first: Option<WorkerMessage>) -> WorkerHandle {
    let (inbox_tx, inbox_rx) = mpsc::unbounded_channel();
    if let Some(first) = first {
      let _ = inbox_tx.send(first);
    }
    // If the thread is gone, the inbox closes and the caller sees it closed.
    let _ = self.assign.send(Assignment {
      spec,
      inbox: inbox_rx,
    });
    WorkerHandle {
      inbox: inbox_tx,
      control: self.control,
      started_at: Instant::now(),
    }
  }
}

fn create_runtime(heap_limit_bytes: usize, loader: Rc<AppModuleLoader>) -> JsRuntime {
  // Backing stores get a budget as large as the heap's.
  let params = v8::CreateParams::default()
    .heap_limits(0, heap_limit_bytes)
    .array_buffer_allocator(buffer_budget::allocator(heap_limit_bytes));
  JsRuntime::new(RuntimeOptions {
    module_loader: Some(loader),
    extensions: crate::ext::extensions(),
    startup_snapshot: Some(SNAPSHOT),
    residual_lazy_js_sources: RESIDUAL_LAZY_JS,
    residual_lazy_esm_sources: RESIDUAL_LAZY_ESM,
    // The snapshot's modules hold their ops already; binding them again
    // (with fast calls) only serves later lookups, and deno_core does
    // that on the first lazily loaded module instead. About a tenth of
    // a runtime's start.
    skip_op_registration: true,
    custom_module_evaluation_cb: Some(Box::new(commonjs::evaluate_for_exports)),
    create_params: Some(params),
    ..Default::default()
  })
}

async fn run(
  heap_limit_bytes: usize,
  control: Arc<WorkerControl>,
  assign_rx: oneshot::Receiver<Assignment>,
) {
  let app_root = Rc::new(OnceCell::new());
  let loader = Rc::new(AppModuleLoader::new(app_root.clone()));
  let mut runtime = create_runtime(heap_limit_bytes, loader.clone());
  let isolate = runtime.v8_isolate().thread_safe_handle();
  // An app that exhausts its heap is stopped instead of taking the process
  // down: terminate its JS and grant a little room to unwind.
  let oom_control = control.clone();
  runtime.add_near_heap_limit_callback(move |current, _initial| {
    tracing::error!(
      "a worker reached its heap limit ({} MB): terminating it",
      current >> 20
    );
    oom_control.out_of_memory.store(true, Ordering::Release);
    oom_control.terminate();
    current + (current / 4)
  });
  let _ = control.isolate.set(isolate);
  // The pool dropped this standby (shutdown): end the thread.
  let Ok(Assignment { spec, inbox }) = assign_rx.await else {
    return;
  };
  let started = Instant::now();
  let _ = app_root.set(spec.app_root.clone());

  let done = DoneSignal::default();
  {
    let state = runtime.op_state();
    let mut state = state.borrow_mut();
    let static_root = spec
      .entry
      .parent()
      .map(PathBuf::from)
      .unwrap_or_else(|| spec.app_root.clone());
    state.put(WorkerContext {
      app_key: spec.key.clone(),
      app_root: spec.app_root.clone(),
      static_root,
    });
    state.put(Inbox(Rc::new(RefCell::new(inbox)), control.stop.clone()));
    state.put(InFlight::default());
    state.put(done.clone());
    state.put(crate::ext::permissions::app_permissions());
    state.put(ModuleHostRef(loader));
    state.put(Sockets::default());
    state.put(control.sockets.clone());
    state.put(control.stop.clone());
    state.put(connection_host());
  }

  if let Err(message) = control.ticking(load_app(&mut runtime, &spec)).await {
    FAILED.fetch_add(1, Ordering::Relaxed);
    let (kind, message) = failure(&control, &format!("App failed to load: {message}"));
    crate::ext::app_log::record(&spec.key, crate::ext::app_log::Level::Error, &message, None);
    fail_pending(&mut runtime, kind, &message);
    return;
  }
  tracing::debug!(app = %spec.key, load_ms = started.elapsed().as_secs_f64() * 1e3, "worker ready");

  let result = control
    .ticking(async {
      tokio::select! {
        result = runtime.run_event_loop(PollEventLoopOptions::default()) => result,
        _ = done.0.notified() => Ok(()),
        _ = control.stopped.notified() => Ok(()),
      }
    })
    .await;
  match result {
    Err(err) => {
      FAILED.fetch_add(1, Ordering::Relaxed);
      let (kind, message) = failure(
        &control,
        &format!("Worker stopped on an uncaught error: {err}"),
      );
      crate::ext::app_log::record(&spec.key, crate::ext::app_log::Level::Error, &message, None);
      fail_pending(&mut runtime, kind, &message);
    }
    // Ended without an error surfacing: done (nothing is pending then), or
    // stopped from outside (stuck, out of memory) with requests unanswered.
    Ok(()) => {
      if control.out_of_memory.load(Ordering::Acquire) {
        FAILED.fetch_add(1, Ordering::Relaxed);
      }
      let (kind, message) = failure(&control, "Worker stopped before answering");
      if control.out_of_memory.load(Ordering::Acquire) {
        crate::ext::app_log::record(&spec.key, crate::ext::app_log::Level::Error, &message, None);
      }
      fail_pending(&mut runtime, kind, &message);
    }
  }
}

/// Serves connections handed to this worker on its own runtime.
fn connection_host() -> ConnectionHost {
  ConnectionHost(Rc::new(move |task| {
    let hold = ThreadHold::take();
    let serve = task();
    tokio::spawn(async move {
      serve.await;
      drop(hold);
    });
  }))
}

/// The kind and message for requests a failed worker cannot answer.
fn failure(control: &WorkerControl, message: &str) -> (Failure, String) {
  if control.out_of_memory.load(Ordering::Acquire) {
    (
      Failure::Stopped,
      "Worker exceeded its memory limit and was stopped".to_string(),
    )
  } else if control.stop.is_set() {
    (
      Failure::Stopped,
      "Worker was stopped after a request ran past its timeout".to_string(),
    )
  } else {
    (Failure::AppError, message.to_string())
  }
}

/// Runs the bootstrap's `init`, then the app module (or the static server).
async fn load_app(runtime: &mut JsRuntime, spec: &WorkerSpec) -> Result<(), String> {
  let static_entry = if spec.is_static {
    spec
      .entry
      .file_name()
      .and_then(|n| n.to_str())
      .map(str::to_string)
  } else {
    None
  };
  let options = serde_json::json!({
    "env": spec.env,
    "staticEntry": static_entry,
    "root": crate::ext::app_paths::VIRTUAL_ROOT,
    "lowMemory": spec.low_memory,
  });
  // `init` removes the engine's globals before any app code runs and hands
  // back the start function, so nothing of the bootstrap stays reachable
  // from the app's global scope.
  let start = runtime
    .execute_script(
      "buntime:init",
      format!("globalThis.__buntime.init({options})"),
    )
    .map_err(|err| err.to_string())?;
  let app = if spec.is_static {
    None
  } else {
    Some(load_app_module(runtime, spec).await?)
  };
  let call = {
    deno_core::scope!(scope, runtime);
    let start = v8::Local::new(scope, &start);
    let start = v8::Local::<v8::Function>::try_from(start)
      .map_err(|_| "the bootstrap returned no start function".to_string())?;
    let start = v8::Global::new(scope, start);
    let arg: v8::Local<v8::Value> = match &app {
      Some(namespace) => v8::Local::new(scope, namespace).into(),
      None => v8::undefined(scope).into(),
    };
    let arg = v8::Global::new(scope, arg);
    JsRuntime::scoped_call_with_args(scope, &start, &[arg])
  };
  // `start` is synchronous: its result is ready without polling.
  call
    .now_or_never()
    .ok_or_else(|| "the start function returned a promise".to_string())?
    .map_err(|err| err.to_string())?;
  Ok(())
}

/// Loads and evaluates the app's entry; returns its module namespace.
async fn load_app_module(
  runtime: &mut JsRuntime,
  spec: &WorkerSpec,
) -> Result<v8::Global<v8::Object>, String> {
  // Modules are named as the app sees its folder (`file:///app/...`).
  let shown = crate::ext::app_paths::shown_path(&spec.app_root, &spec.entry);
  let entry_url =
    deno_core::url::Url::from_file_path(&shown).map_err(|_| "bad entrypoint path".to_string())?;
  let id = runtime
    .load_main_es_module(&entry_url)
    .await
    .map_err(|err| err.to_string())?;
  let evaluation = runtime.mod_evaluate(id);
  runtime
    .with_event_loop_promise(Box::pin(evaluation), PollEventLoopOptions::default())
    .await
    .map_err(|err| err.to_string())?;
  // A module that throws resolves its evaluation and re-raises the error
  // for the event loop to report: one poll surfaces it.
  std::future::poll_fn(
    |cx| match runtime.poll_event_loop(cx, PollEventLoopOptions::default()) {
      Poll::Ready(result) => Poll::Ready(result),
      Poll::Pending => Poll::Ready(Ok(())),
    },
  )
  .await
  .map_err(|err| err.to_string())?;
  runtime
    .get_module_namespace(id)
    .map_err(|err| err.to_string())
}

/// Answers every request the worker holds, in flight or still queued, with
/// `message`: the worker cannot serve any of them.
fn fail_pending(runtime: &mut JsRuntime, kind: Failure, message: &str) {
  let state = runtime.op_state();
  let mut state = state.borrow_mut();
  let fail = |reply: tokio::sync::oneshot::Sender<Reply>| {
    let _ = reply.send(Reply::Failed {
      kind,
      message: message.to_string(),
    });
  };
  // Close the inbox first: once a client sees this failure, its next
  // request must find the worker closed and go to a fresh one.
  let inbox = state.borrow::<Inbox>().clone();
  inbox.0.borrow_mut().close();
  state.borrow_mut::<InFlight>().fail_all(fail);
  let host = state.try_borrow::<ConnectionHost>().cloned();
  while let Ok(msg) = inbox.0.borrow_mut().try_recv() {
    match msg {
      WorkerMessage::Request(job) => fail(job.reply),
      // Its requests go to a fresh worker (or get this failure from it).
      WorkerMessage::Connection(task) => {
        if let Some(host) = &host {
          (host.0)(task);
        }
      }
      _ => {}
    }
  }
}
