//! Makes the startup snapshot: the Web API bootstrap and `runtime-js/`
//! evaluated once at build time, so a new isolate deserialises a ready heap.
//! Also emits the sources of lazily loaded extension scripts that the
//! bootstrap did not load, so the binary never reads the cargo registry.

#![allow(
  dead_code,
  reason = "ops are declared here only to be registered in the snapshot"
)]

#[path = "src/ext/mod.rs"]
mod ext;

use std::fmt::Write;
use std::path::PathBuf;

use deno_core::snapshot::{create_snapshot, CreateSnapshotOptions};
use deno_core::ExtensionFileSourceCode;

fn main() {
  let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR"));
  println!("cargo:rerun-if-changed=runtime-js");
  println!("cargo:rerun-if-changed=src/ext");

  let extensions = ext::extensions();
  // (specifier, path) of every lazily loaded file, for the residual table.
  let mut lazy: Vec<(&'static str, &'static str)> = Vec::new();
  let mut lazy_esm: Vec<(&'static str, &'static str)> = Vec::new();
  for extension in &extensions {
    for file in extension.lazy_loaded_js_files.iter() {
      if let ExtensionFileSourceCode::LoadedFromFsDuringSnapshot(path) = file.code {
        lazy.push((file.specifier, path));
      }
    }
    // Node built-ins: compiled in an isolate only when an app imports them.
    for file in extension.lazy_loaded_esm_files.iter() {
      if let ExtensionFileSourceCode::LoadedFromFsDuringSnapshot(path) = file.code {
        lazy_esm.push((file.specifier, path));
      }
    }
  }

  let snapshot = create_snapshot(
    CreateSnapshotOptions {
      cargo_manifest_dir: env!("CARGO_MANIFEST_DIR"),
      startup_snapshot: None,
      skip_op_registration: false,
      extensions,
      extension_transpiler: None,
      with_runtime_cb: None,
    },
    None,
  )
  .expect("creating the startup snapshot");

  std::fs::write(out_dir.join("BUNTIME_SNAPSHOT.bin"), &snapshot.output)
    .expect("writing the snapshot");
  for path in &snapshot.files_loaded_during_snapshot {
    println!("cargo:rerun-if-changed={}", path.display());
  }

  // deno_core looks residual sources up by binary search.
  let mut residual = String::new();
  for (name, mut files) in [("RESIDUAL_LAZY_JS", lazy), ("RESIDUAL_LAZY_ESM", lazy_esm)] {
    files.sort();
    writeln!(residual, "pub static {name}: &[(&str, &str)] = &[").unwrap();
    for (specifier, path) in files {
      if !snapshot
        .consumed_lazy_specifiers
        .iter()
        .any(|s| s == specifier)
      {
        writeln!(residual, "  ({specifier:?}, include_str!({path:?})),").unwrap();
      }
    }
    residual.push_str("];\n");
  }
  std::fs::write(out_dir.join("residual_lazy_js.rs"), residual)
    .expect("writing the residual table");
}
