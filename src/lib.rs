//! Buntime: many small JavaScript web apps on one server, each app in its
//! own V8 isolate on its own thread, managed as a pool.
//!
//! A request's path through the modules: [`front`] accepts the connection
//! and places it, [`apps`] turns `/<app>[@range]/...` into a loaded version
//! folder and decides where the request goes ([`proxy`] or a worker),
//! [`pool`] finds or starts a [`worker`], and the job crosses into the
//! isolate through the ops in [`ext`], where `runtime-js/` hands it to the
//! app. [`admin`] answers `/_/…`. [`state`] is what they share.

pub mod admin;
pub mod apps;
pub mod coarse_timer;
pub mod ext;
pub mod front;
pub mod http_error;
pub mod limits;
pub mod metrics;
pub mod pool;
pub mod proxy;
pub mod settings;
pub mod shutdown_signal;
pub mod state;
pub mod worker;

pub const VERSION: &str = env!("CARGO_PKG_VERSION");
