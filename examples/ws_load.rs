//! WebSocket echo load for `benches/ws_echo.sh`: CONNECTIONS clients each
//! send a message and wait for its echo, in a loop, for SECONDS; prints
//! "messages_per_second p50_ms p99_ms errors".
//!
//! cargo run --release --example ws_load -- ws://127.0.0.1:18400/echo 100 10

use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

#[tokio::main]
async fn main() {
  let mut args = std::env::args().skip(1);
  let url = args.next().expect("url");
  let connections: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100);
  let seconds: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(10);
  let deadline = Instant::now() + Duration::from_secs(seconds);
  let tasks = (0..connections).map(|i| {
    let url = url.clone();
    tokio::spawn(async move {
      let mut latencies = Vec::new();
      let mut errors = 0u64;
      let Ok((mut socket, _)) = tokio_tungstenite::connect_async(&url).await else {
        return (latencies, 1);
      };
      let payload = format!("message from client {i}: {}", "x".repeat(32));
      while Instant::now() < deadline {
        let sent = Instant::now();
        if socket.send(Message::text(payload.clone())).await.is_err() {
          errors += 1;
          break;
        }
        match socket.next().await {
          Some(Ok(Message::Text(text))) if text.as_str() == payload => {
            latencies.push(sent.elapsed());
          }
          Some(Ok(_)) => errors += 1,
          _ => {
            errors += 1;
            break;
          }
        }
      }
      let _ = socket.close(None).await;
      (latencies, errors)
    })
  });
  let started = Instant::now();
  let mut all = Vec::new();
  let mut errors = 0;
  for task in futures::future::join_all(tasks).await {
    let (latencies, e) = task.expect("client task");
    all.extend(latencies);
    errors += e;
  }
  let elapsed = started.elapsed().as_secs_f64();
  all.sort();
  let pick = |q: f64| {
    all
      .get(((all.len() as f64 * q) as usize).min(all.len().saturating_sub(1)))
      .map_or(0.0, |d| d.as_secs_f64() * 1e3)
  };
  println!(
    "{:.0} {:.3} {:.3} {}",
    all.len() as f64 / elapsed,
    pick(0.5),
    pick(0.99),
    errors
  );
}
