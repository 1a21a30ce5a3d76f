//! The Rust half of `runtime-js/`: the deno_core extensions every isolate
//! carries, and the ops the JavaScript calls.
//!
//! `build.rs` includes this module too (`#[path]`), because the startup
//! snapshot and the runtime must declare the same extensions with the same
//! ops in the same order. Keep it free of `crate::` paths.

pub mod ops;
pub mod permissions;
pub mod protocol;

use std::sync::Arc;

use deno_core::Extension;

// deno_fetch's `22_http_client.js` loads `ext:deno_net/02_tls.js`; deno_net
// itself (sockets, TLS listeners) is more than an app host should expose, so
// a one-file stand-in answers that import.
deno_core::extension!(
  deno_net,
  lazy_loaded_js = [dir "runtime-js/stand_in", "02_tls.js"],
);

deno_core::extension!(
  buntime,
  deps = [deno_webidl, deno_web, deno_crypto, deno_fetch, deno_net],
  ops = [
    ops::op_buntime_next_message,
    ops::op_buntime_req_body_read,
    ops::op_buntime_respond_text,
    ops::op_buntime_respond_bytes,
    ops::op_buntime_respond_stream,
    ops::op_buntime_resp_write,
    ops::op_buntime_resp_end,
    ops::op_buntime_respond_error,
    ops::op_buntime_worker_done,
    ops::op_buntime_file_read,
    ops::op_buntime_file_stat,
    ops::op_buntime_respond_file,
    ops::op_buntime_log,
  ],
  esm_entry_point = "ext:buntime/99_main.js",
  esm = [
    dir "runtime-js",
    "00_web_globals.js",
    "10_bun.js",
    "20_static.js",
    "30_serve.js",
    "99_main.js",
  ],
);

/// The extensions of every isolate, in snapshot order.
pub fn extensions() -> Vec<Extension> {
  vec![
    deno_webidl::deno_webidl::init(),
    deno_web::deno_web::init(
      Arc::new(deno_web::BlobStore::default()),
      None,
      false,
      deno_web::InMemoryBroadcastChannel::default(),
    ),
    deno_crypto::deno_crypto::init(None),
    deno_fetch::deno_fetch::init(deno_fetch::Options {
      user_agent: concat!("buntime/", env!("CARGO_PKG_VERSION")).to_string(),
      ..Default::default()
    }),
    deno_net::init(),
    buntime::init(),
  ]
}
