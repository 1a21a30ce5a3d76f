//! Buntime: many small JavaScript web apps on one server, each app in its
//! own V8 isolate on its own thread, managed as a pool.
//!
//! Request flow: [`server`] parses `/<app>[@range]/...`, [`resolver`] picks
//! the version folder, [`app_config`] reads its settings, [`pool`] finds or
//! starts a [`worker`], and the job crosses into the isolate through the
//! ops in [`ext`], where `runtime-js/` hands it to the app.

pub mod app_config;
pub mod app_socket;
pub mod coarse_timer;
pub mod connections;
pub mod deployments;
pub mod ext;
pub mod html_base;
pub mod http_error;
pub mod internal;
pub mod limits;
pub mod metrics;
pub mod pool;
pub mod proxy;
pub mod proxy_threads;
pub mod resolver;
pub mod self_peer;
pub mod server;
pub mod settings;
pub mod shutdown_signal;
pub mod strict_framing;
pub mod worker;
pub mod worker_reply;
