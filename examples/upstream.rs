//! A small upstream for `benches/proxy.sh`: answers every request with a
//! short text, so the benchmark measures the proxy, not the upstream.
//!
//! cargo run --release --example upstream -- 18300

use axum::Router;

#[tokio::main]
async fn main() {
  let port: u16 = std::env::args()
    .nth(1)
    .and_then(|p| p.parse().ok())
    .unwrap_or(18300);
  let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
    .await
    .expect("bind");
  let app = Router::new().fallback(|| async { "Hello from upstream" });
  axum::serve(listener, app).await.expect("serve");
}
