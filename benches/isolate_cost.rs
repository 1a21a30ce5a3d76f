//! What one fresh isolate costs on this machine, the floor of a `ttl: 0`
//! request: a plain V8 isolate and context, deno_core with no extension,
//! and Buntime's runtime (its extensions and snapshot).
//! Each is created and dropped `ROUNDS` times; medians are printed.
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
  let options = CreateSnapshotOptions {
    cargo_manifest_dir: env!("CARGO_MANIFEST_DIR"),
    startup_snapshot: None,
    skip_op_registration: false,
    extensions: extensions(),
    extension_transpiler: None,
    with_runtime_cb: None,
  };
  let snapshot: &'static [u8] = Box::leak(create_snapshot(options, None).expect("snapshot").output);
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
}
