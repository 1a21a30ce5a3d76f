//! What one fresh isolate costs on this machine, the floor of a `ttl: 0`
//! request: a plain V8 isolate and context, deno_core with no extension,
//! and Buntime's runtime (its extensions and snapshot); then what a new
//! context costs inside an isolate that is already running (the floor of
//! a context per request). Each is made `ROUNDS` times; medians printed.
//!
//!   cargo bench --bench isolate_cost

use std::time::Instant;

use deno_core::snapshot::{create_snapshot, CreateSnapshotOptions};
use deno_core::{v8, Extension, JsRuntime, RuntimeOptions};

const ROUNDS: usize = 200;

type Extensions = fn() -> Vec<Extension>;

fn median(mut times: Vec<f64>) -> f64 {
  times.sort_by(f64::total_cmp);
  times[times.len() / 2]
}

fn plain_v8() -> f64 {
  median(
    (0..ROUNDS)
      .map(|_| {
        let started = Instant::now();
        let mut isolate = v8::Isolate::new(Default::default());
        {
          let scope = std::pin::pin!(v8::HandleScope::new(&mut isolate));
          let scope = &mut scope.init();
          v8::Context::new(scope, Default::default());
        }
        drop(isolate);
        started.elapsed().as_secs_f64() * 1e3
      })
      .collect(),
  )
}

/// Snapshot size, median create+drop time of runtimes from a snapshot
/// made with `extensions()` (snapshotting evaluates their JavaScript once),
/// and a new runtime's V8 heap (used, reserved).
fn deno_core_runtime(extensions: Extensions) -> (usize, f64, usize, usize) {
  let snapshot = snapshot_of(extensions);
  let time = median(
    (0..ROUNDS)
      .map(|_| {
        let started = Instant::now();
        let runtime = JsRuntime::new(RuntimeOptions {
          extensions: extensions(),
          startup_snapshot: Some(snapshot),
          ..Default::default()
        });
        drop(runtime);
        started.elapsed().as_secs_f64() * 1e3
      })
      .collect(),
  );
  let mut runtime = JsRuntime::new(RuntimeOptions {
    extensions: extensions(),
    startup_snapshot: Some(snapshot),
    ..Default::default()
  });
  let stats = runtime.v8_isolate().get_heap_statistics();
  (
    snapshot.len(),
    time,
    stats.used_heap_size(),
    stats.total_heap_size(),
  )
}

/// A new context from the snapshot inside a runtime that is already
/// running: what a fresh context per `ttl: 0` request would pay in place
/// of a whole isolate (the context alone, before ops and modules are
/// bound to it). Old contexts are collected every 50 rounds, as a pool
/// would: the mean carries that collection, the median does not.
fn fresh_context_in_warm_runtime(extensions: Extensions, snapshot: &'static [u8]) -> (f64, f64) {
  // The collections post delayed tasks, which need a runtime to land on.
  let tokio = tokio::runtime::Builder::new_current_thread()
    .enable_all()
    .build()
    .expect("tokio");
  let _entered = tokio.enter();
  let mut runtime = JsRuntime::new(RuntimeOptions {
    extensions: extensions(),
    startup_snapshot: Some(snapshot),
    ..Default::default()
  });
  let isolate = runtime.v8_isolate();
  let times = (0..ROUNDS)
    .map(|round| {
      let started = Instant::now();
      {
        v8::scope!(let scope, &mut *isolate);
        let context = v8::Context::from_snapshot(scope, 0, Default::default()).expect("context");
        let scope = &mut v8::ContextScope::new(scope, context);
        let source = v8::String::new(scope, "globalThis.touched = typeof Response").unwrap();
        v8::Script::compile(scope, source, None).unwrap().run(scope);
      }
      if round % 50 == 49 {
        isolate.low_memory_notification();
      }
      started.elapsed().as_secs_f64() * 1e3
    })
    .collect::<Vec<_>>();
  let mean = times.iter().sum::<f64>() / times.len() as f64;
  (median(times), mean)
}

fn snapshot_of(extensions: Extensions) -> &'static [u8] {
  let options = CreateSnapshotOptions {
    cargo_manifest_dir: env!("CARGO_MANIFEST_DIR"),
    startup_snapshot: None,
    skip_op_registration: false,
    extensions: extensions(),
    extension_transpiler: None,
    with_runtime_cb: None,
  };
  Box::leak(create_snapshot(options, None).expect("snapshot").output)
}

fn main() {
  JsRuntime::init_platform(None);
  println!("create + drop, median of {ROUNDS}:");
  println!("  plain V8 isolate + context          {:.3} ms", plain_v8());
  let rows: [(&str, Extensions); 2] = [
    ("deno_core, no extension", Vec::new),
    (
      "buntime (its snapshot, all extensions)",
      buntime_embedded::ext::extensions,
    ),
  ];
  for (name, extensions) in rows {
    let (size, time, used, total) = deno_core_runtime(extensions);
    println!(
      "  {name:38} {time:.3} ms  (snapshot {} KB; heap used {} KB of {} KB)",
      size >> 10,
      used >> 10,
      total >> 10
    );
  }
  let contexts: [(&str, Extensions); 2] = [
    ("deno_core, no extension", Vec::new),
    ("buntime", buntime_embedded::ext::extensions),
  ];
  println!("a new context in a warm isolate, median of {ROUNDS}:");
  for (name, extensions) in contexts {
    let (median, mean) = fresh_context_in_warm_runtime(extensions, snapshot_of(extensions));
    println!("  {name:38} {median:.3} ms  (mean with collections {mean:.3} ms)");
  }
}
