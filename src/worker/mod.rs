//! One worker = one V8 isolate on its own OS thread, with its own
//! current-thread tokio runtime. The front end talks to it only through the
//! inbox channel; replies travel back on per-request channels.

mod module_loader;

use std::cell::OnceCell;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;
use std::task::Poll;
use std::time::Instant;

use deno_core::{v8, JsRuntime, PollEventLoopOptions, RuntimeOptions};
use tokio::sync::{mpsc, oneshot};

use crate::ext::ops::{DoneSignal, InFlight, Inbox, WorkerContext};
use crate::ext::protocol::{Reply, WorkerMessage};
use module_loader::AppModuleLoader;

static SNAPSHOT: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/BUNTIME_SNAPSHOT.bin"));
include!(concat!(env!("OUT_DIR"), "/residual_lazy_js.rs"));

/// What a worker runs.
#[derive(Clone, Debug)]
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
}

/// The front end's side of a worker.
pub struct WorkerHandle {
  inbox: mpsc::UnboundedSender<WorkerMessage>,
  isolate: v8::IsolateHandle,
  pub started_at: Instant,
}

impl WorkerHandle {
  /// Queues a message; gives it back if the worker has already stopped.
  pub fn send(&self, message: WorkerMessage) -> Result<(), WorkerMessage> {
    self.inbox.send(message).map_err(|err| err.0)
  }

  /// The worker thread has ended (app failed to load, crashed, or retired).
  pub fn is_closed(&self) -> bool {
    self.inbox.is_closed()
  }

  /// Stops JavaScript running on the worker's thread, even a busy loop.
  pub fn terminate(&self) {
    self.isolate.terminate_execution();
  }
}

/// Once per process, before the first isolate.
pub fn init_v8() {
  JsRuntime::init_platform(None);
}

/// An isolate created ahead of time on its own thread, waiting for an app.
/// Creating the isolate is most of a worker's start-up cost, so the pool
/// keeps a few of these ready.
pub struct Standby {
  assign: oneshot::Sender<Assignment>,
  isolate: v8::IsolateHandle,
  heap_limit_bytes: usize,
}

struct Assignment {
  spec: Arc<WorkerSpec>,
  inbox: mpsc::UnboundedReceiver<WorkerMessage>,
}

impl Standby {
  /// Starts a thread and waits until its isolate exists.
  pub async fn start(heap_limit_bytes: usize) -> std::io::Result<Self> {
    let (handle_tx, handle_rx) = oneshot::channel();
    let (assign_tx, assign_rx) = oneshot::channel();
    std::thread::Builder::new()
      .name("buntime-worker".into())
      .spawn(move || {
        let rt = match tokio::runtime::Builder::new_current_thread()
          .enable_all()
          .build()
        {
          Ok(rt) => rt,
          Err(err) => {
            tracing::error!("cannot start a worker runtime: {err}");
            return;
          }
        };
        rt.block_on(run(heap_limit_bytes, handle_tx, assign_rx));
      })?;
    let isolate = handle_rx
      .await
      .map_err(|_| std::io::Error::other("a worker stopped before its isolate was created"))?;
    Ok(Self {
      assign: assign_tx,
      isolate,
      heap_limit_bytes,
    })
  }

  pub fn heap_limit_bytes(&self) -> usize {
    self.heap_limit_bytes
  }

  /// Gives the isolate its app, with `first` already in its inbox (so a
  /// worker whose app fails to load still answers it). Messages sent before
  /// the app has loaded wait in the inbox; if loading fails they are
  /// answered with the load error.
  pub fn assign(self, spec: Arc<WorkerSpec>, first: WorkerMessage) -> WorkerHandle {
    let (inbox_tx, inbox_rx) = mpsc::unbounded_channel();
    let _ = inbox_tx.send(first);
    // If the thread is gone, the inbox closes and the caller sees it closed.
    let _ = self.assign.send(Assignment {
      spec,
      inbox: inbox_rx,
    });
    WorkerHandle {
      inbox: inbox_tx,
      isolate: self.isolate,
      started_at: Instant::now(),
    }
  }
}

/// A worker for `spec` on a new isolate (no standby at hand).
pub async fn spawn(spec: Arc<WorkerSpec>, first: WorkerMessage) -> std::io::Result<WorkerHandle> {
  Ok(
    Standby::start(spec.heap_limit_bytes)
      .await?
      .assign(spec, first),
  )
}

fn create_runtime(heap_limit_bytes: usize, app_root: Rc<OnceCell<PathBuf>>) -> JsRuntime {
  let params = v8::CreateParams::default().heap_limits(0, heap_limit_bytes);
  JsRuntime::new(RuntimeOptions {
    module_loader: Some(Rc::new(AppModuleLoader::new(app_root))),
    extensions: crate::ext::extensions(),
    startup_snapshot: Some(SNAPSHOT),
    residual_lazy_js_sources: RESIDUAL_LAZY_JS,
    create_params: Some(params),
    ..Default::default()
  })
}

async fn run(
  heap_limit_bytes: usize,
  handle_tx: oneshot::Sender<v8::IsolateHandle>,
  assign_rx: oneshot::Receiver<Assignment>,
) {
  let app_root = Rc::new(OnceCell::new());
  let mut runtime = create_runtime(heap_limit_bytes, app_root.clone());
  let isolate = runtime.v8_isolate().thread_safe_handle();
  // An app that exhausts its heap is stopped instead of taking the process
  // down: terminate its JS and grant a little room to unwind.
  let oom_handle = isolate.clone();
  runtime.add_near_heap_limit_callback(move |current, _initial| {
    tracing::error!(
      "a worker reached its heap limit ({} MB): terminating it",
      current >> 20
    );
    oom_handle.terminate_execution();
    current + (current / 4)
  });
  if handle_tx.send(isolate).is_err() {
    return;
  }
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
    state.put(Inbox(Some(inbox)));
    state.put(InFlight::default());
    state.put(done.clone());
    state.put(crate::ext::permissions::app_permissions());
  }

  if let Err(message) = load_app(&mut runtime, &spec).await {
    tracing::error!(app = %spec.key, "app failed to load: {message}");
    fail_pending(&mut runtime, &format!("App failed to load: {message}"));
    return;
  }
  tracing::debug!(app = %spec.key, load_ms = started.elapsed().as_secs_f64() * 1e3, "worker ready");

  tokio::select! {
    result = runtime.run_event_loop(PollEventLoopOptions::default()) => {
      if let Err(err) = result {
        tracing::error!(app = %spec.key, "worker stopped on an uncaught error: {err}");
        fail_pending(&mut runtime, &format!("Worker stopped on an uncaught error: {err}"));
      }
    }
    _ = done.0.notified() => {}
  }
  // Requests still open (the loop failed, or JS was terminated) are
  // answered by their reply channels closing: the front end reports 500.
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
  let options = serde_json::json!({ "env": spec.env, "staticEntry": static_entry });
  runtime
    .execute_script(
      "buntime:init",
      format!("globalThis.__buntime.init({options})"),
    )
    .map_err(|err| err.to_string())?;
  if !spec.is_static {
    load_app_module(runtime, spec).await?;
  }
  runtime
    .execute_script("buntime:start", "globalThis.__buntime.start()")
    .map_err(|err| err.to_string())?;
  Ok(())
}

async fn load_app_module(runtime: &mut JsRuntime, spec: &WorkerSpec) -> Result<(), String> {
  let entry_url = deno_core::url::Url::from_file_path(&spec.entry)
    .map_err(|_| format!("bad entrypoint path {}", spec.entry.display()))?;
  let main_url = deno_core::url::Url::from_file_path(spec.app_root.join("__buntime_main__.js"))
    .map_err(|_| "bad app folder path".to_string())?;
  let code = format!(
    "import * as app from {entry};\nglobalThis.__buntime.setApp(app);\n",
    entry = serde_json::Value::String(entry_url.to_string())
  );
  let id = runtime
    .load_main_es_module_from_code(&main_url, code)
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
  .map_err(|err| err.to_string())
}

/// Answers every request the worker holds, in flight or still queued, with
/// `message`: the worker cannot serve any of them.
fn fail_pending(runtime: &mut JsRuntime, message: &str) {
  let state = runtime.op_state();
  let mut state = state.borrow_mut();
  let fail = |reply: tokio::sync::oneshot::Sender<Reply>| {
    let _ = reply.send(Reply::Failed {
      status: 500,
      message: message.to_string(),
    });
  };
  state.borrow_mut::<InFlight>().fail_all(fail);
  if let Some(mut inbox) = state.borrow_mut::<Inbox>().0.take() {
    inbox.close();
    while let Ok(msg) = inbox.try_recv() {
      if let WorkerMessage::Request(job) = msg {
        fail(job.reply);
      }
    }
  }
}
