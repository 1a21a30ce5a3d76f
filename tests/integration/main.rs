//! Integration tests: one binary (linking V8 is slow), one module per area.

mod harness;

mod app_contract;
mod bun_api;
mod deployments;
mod errors;
mod pool;
mod proxy;
mod resolution;
mod settings;
mod static_sites;
mod streaming;
mod typescript;
mod web_platform;
