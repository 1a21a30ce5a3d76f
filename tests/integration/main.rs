//! Integration tests: one binary (linking V8 is slow), one module per area.

mod harness;

mod app_contract;
mod app_logs;
mod app_packages;
mod bun_api;
mod bun_serve;
mod connections;
mod deploy;
mod deployments;
mod errors;
mod fuzz;
mod hostile;
mod modules;
mod node_builtins;
mod npm_packages;
mod ops;
mod pool;
mod proxy;
mod resolution;
mod scoped_tokens;
mod settings;
mod static_sites;
mod streaming;
mod tenant_isolation;
mod typescript;
mod virtual_hosts;
mod web_platform;
mod websocket_apps;
