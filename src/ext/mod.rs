//! The Rust half of `runtime-js/`: the deno_core extensions every isolate
//! carries, and the ops the JavaScript calls.
//!
//! `build.rs` includes this module too (`#[path]`), because the startup
//! snapshot and the runtime must declare the same extensions with the same
//! ops in the same order. Keep it free of `crate::` paths.

pub mod app_log;
pub mod app_paths;
pub mod bun_ops;
pub mod conditional;
pub mod crypto_ops;
pub mod exchange_ops;
pub mod file_ops;
pub mod incoming;
pub mod net_policy;
pub mod node_ops;
pub mod npm_range;
pub mod permissions;
pub mod protocol;
pub mod socket_ops;
pub mod sqlite;
pub mod static_privacy;

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
    exchange_ops::op_exchange_next,
    exchange_ops::op_exchange_body_read,
    exchange_ops::op_exchange_respond_text,
    exchange_ops::op_exchange_respond_typed,
    exchange_ops::op_exchange_headers,
    exchange_ops::op_exchange_remote,
    exchange_ops::op_exchange_respond_bytes,
    exchange_ops::op_exchange_respond_stream,
    exchange_ops::op_exchange_write,
    exchange_ops::op_exchange_end,
    exchange_ops::op_exchange_fail,
    exchange_ops::op_exchange_done,
    file_ops::op_file_read,
    file_ops::op_file_stat,
    file_ops::op_file_respond,
    conditional::op_conditional_is_fresh,
    app_log::op_app_log_write,
    exchange_ops::op_exchange_set_timeout,
    socket_ops::op_socket_upgrade,
    socket_ops::op_socket_events,
    socket_ops::op_socket_send_text,
    socket_ops::op_socket_send_binary,
    socket_ops::op_socket_control,
    socket_ops::op_socket_close,
    socket_ops::op_socket_forget,
    socket_ops::op_socket_buffered,
    node_ops::op_node_require_resolve,
    node_ops::op_node_require_source,
    crypto_ops::op_crypto_digest,
    crypto_ops::op_crypto_hmac,
    crypto_ops::op_crypto_cipher,
    crypto_ops::op_crypto_key_info,
    crypto_ops::op_crypto_public_pem,
    crypto_ops::op_crypto_generate_key_pair,
    crypto_ops::op_crypto_sign,
    crypto_ops::op_crypto_verify,
    node_ops::op_node_fs_read,
    node_ops::op_node_fs_stat,
    node_ops::op_node_fs_readdir,
    bun_ops::op_bun_hash64,
    bun_ops::op_bun_hash32,
    bun_ops::op_bun_hasher_new,
    bun_ops::op_bun_hasher_update,
    bun_ops::op_bun_hasher_digest,
    bun_ops::op_bun_hasher_copy,
    bun_ops::op_bun_digest,
    bun_ops::op_bun_compress,
    bun_ops::op_bun_decompress,
    bun_ops::op_bun_decompress_limit,
    bun_ops::op_bun_password_hash,
    bun_ops::op_bun_password_hash_sync,
    bun_ops::op_bun_password_verify,
    bun_ops::op_bun_password_verify_sync,
    bun_ops::op_bun_semver_satisfies,
    bun_ops::op_bun_semver_order,
    bun_ops::op_bun_gc,
    sqlite::op_sqlite_open,
    sqlite::op_sqlite_close,
    sqlite::op_sqlite_exec,
    sqlite::op_sqlite_in_transaction,
    sqlite::op_sqlite_prepare,
    sqlite::op_sqlite_finalize,
    sqlite::op_sqlite_query,
  ],
  esm_entry_point = "ext:buntime/99_main.js",
  esm = [
    dir "runtime-js",
    "00_web_globals.js",
    "10_bun.js",
    "12_bun_extras.js",
    "20_static.js",
    "25_cookies.js",
    "30_serve.js",
    "40_cjs.js",
    "99_main.js",
  ],
  // Node built-ins (and `bun`): compiled in an isolate only when its app
  // imports them. `src/worker/module_loader.rs` maps specifiers to these.
  lazy_loaded_esm = [
    dir "runtime-js",
    "node:_errors" = "node/_errors.js",
    "node:_host" = "node/_host.js",
    "node:assert" = "node/assert.js",
    "node:assert/strict" = "node/assert_strict.js",
    "node:async_hooks" = "node/async_hooks.js",
    "node:buffer" = "node/buffer.js",
    "node:bun" = "node/bun.js",
    "node:bun_sqlite" = "node/bun_sqlite.js",
    "node:child_process" = "node/child_process.js",
    "node:cluster" = "node/cluster.js",
    "node:crypto" = "node/crypto.js",
    "node:dgram" = "node/dgram.js",
    "node:diagnostics_channel" = "node/diagnostics_channel.js",
    "node:dns" = "node/dns.js",
    "node:dns/promises" = "node/dns_promises.js",
    "node:events" = "node/events.js",
    "node:fs" = "node/fs.js",
    "node:fs/promises" = "node/fs_promises.js",
    "node:http" = "node/http.js",
    "node:http2" = "node/http2.js",
    "node:https" = "node/https.js",
    "node:module" = "node/module.js",
    "node:net" = "node/net.js",
    "node:os" = "node/os.js",
    "node:path" = "node/path.js",
    "node:path/posix" = "node/path_posix.js",
    "node:perf_hooks" = "node/perf_hooks.js",
    "node:process" = "node/process.js",
    "node:querystring" = "node/querystring.js",
    "node:stream" = "node/stream.js",
    "node:stream/promises" = "node/stream_promises.js",
    "node:string_decoder" = "node/string_decoder.js",
    "node:timers" = "node/timers.js",
    "node:timers/promises" = "node/timers_promises.js",
    "node:tls" = "node/tls.js",
    "node:tty" = "node/tty.js",
    "node:url" = "node/url.js",
    "node:util" = "node/util.js",
    "node:util/types" = "node/util_types.js",
    "node:v8" = "node/v8.js",
    "node:vm" = "node/vm.js",
    "node:worker_threads" = "node/worker_threads.js",
    "node:zlib" = "node/zlib.js",
  ],
);

/// Whether `node:<name>` is a Node built-in an app may import: the
/// lazily loaded modules above are the one list (internal ones, `_*` and
/// `bun*`, are reached by other names).
pub fn is_node_builtin(name: &str) -> bool {
  static NAMES: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
  NAMES
    .get_or_init(|| {
      buntime::init()
        .lazy_loaded_esm_files
        .iter()
        .filter_map(|file| file.specifier.strip_prefix("node:"))
        .filter(|name| !name.starts_with('_') && !name.starts_with("bun"))
        .collect()
    })
    .contains(&name)
}

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
      request_builder_hook: Some(net_policy::check_fetch_destination),
      resolver: deno_fetch::dns::Resolver::custom(Arc::new(net_policy::PolicyResolver)),
      ..Default::default()
    }),
    deno_net::init(),
    buntime::init(),
  ]
}
