//! Connection affinity: a keep-alive connection whose first request is for
//! an app is served on that app's worker thread. Whatever thread serves it,
//! every request on it must still reach the right app, across worker
//! retirements, and the choice must show in the metrics.

use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use crate::harness::{Apps, Server};

/// One keep-alive HTTP/1.1 connection, spoken by hand so that every
/// request provably travels on it.
struct Connection(BufReader<TcpStream>);

impl Connection {
  async fn open(server: &Server) -> Self {
    Self(BufReader::new(
      TcpStream::connect(server.addr()).await.unwrap(),
    ))
  }

  async fn get(&mut self, path: &str, extra: &str) -> (u16, String) {
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n{extra}\r\n");
    self
      .0
      .get_mut()
      .write_all(request.as_bytes())
      .await
      .unwrap();
    let mut line = String::new();
    self.0.read_line(&mut line).await.unwrap();
    let status_line = line.trim_end().to_string();
    let status: u16 = line
      .split(' ')
      .nth(1)
      .expect("a status line")
      .parse()
      .unwrap();
    let mut length = 0;
    loop {
      line.clear();
      self.0.read_line(&mut line).await.unwrap();
      if line == "\r\n" {
        break;
      }
      let lower = line.to_ascii_lowercase();
      assert!(
        !lower.starts_with("connection: close"),
        "the server closed it after GET {path} ({status_line})"
      );
      if let Some(value) = lower.strip_prefix("content-length:") {
        length = value.trim().parse().unwrap();
      }
    }
    let mut body = vec![0; length];
    self.0.read_exact(&mut body).await.unwrap();
    (status, String::from_utf8(body).unwrap())
  }
}

fn apps() -> Apps {
  let apps = Apps::new();
  // Each worker names itself: a new worker answers with a new id.
  let named = "const id = Math.random().toString(36).slice(2);
    export default { fetch() { return new Response(id) } }";
  apps
    .js("a/1.0.0", named)
    .file(
      "a/1.0.0/worker.config.json",
      r#"{ "ttl": 60, "maxRequests": 3 }"#,
    )
    .js(
      "b/1.0.0",
      "export default { fetch() { return new Response('b') } }",
    )
    .file("b/1.0.0/worker.config.json", r#"{ "ttl": 60 }"#)
    .js(
      "fresh/1.0.0",
      "export default { fetch() { return new Response('fresh') } }",
    );
  apps
}

async fn adopted(server: &Server) -> u64 {
  counter(server, "buntime_connections_adopted_total").await
}

async fn counter(server: &Server, name: &str) -> u64 {
  let text = server.get("/_/metrics/prometheus").await.body;
  text
    .lines()
    .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
    .unwrap_or_else(|| panic!("no {name} in the metrics"))
    .parse::<f64>()
    .unwrap() as u64
}

/// The same conversation on one connection, whichever thread serves it.
async fn conversation(server: &Server) {
  let mut conn = Connection::open(server).await;
  let (status, first) = conn.get("/a/", "").await;
  assert_eq!(status, 200);
  assert_eq!(conn.get("/b/", "").await, (200, "b".into()));
  assert_eq!(conn.get("/fresh/", "").await, (200, "fresh".into()));
  assert_eq!(conn.get("/a/x", "").await, (200, first.clone()));
  assert_eq!(conn.get("/a/y", "").await, (200, first.clone()));
  // Three requests: that worker retired; the connection lives on and its
  // next request for `a` meets a new worker.
  tokio::time::sleep(Duration::from_millis(600)).await;
  let (status, second) = conn.get("/a/", "").await;
  assert_eq!(status, 200);
  assert_ne!(second, first, "the retired worker answered");
  assert_eq!(conn.get("/b/", "").await, (200, "b".into()));
  assert_eq!(conn.get("/nope/", "").await.0, 404);
  assert_eq!(conn.get("/_/health", "").await.0, 200);
}

#[tokio::test]
async fn a_connection_is_served_by_the_worker_of_its_first_app() {
  let apps = apps();
  let server = Server::start(&apps);
  conversation(&server).await;
  assert_eq!(adopted(&server).await, 1);
  // Not adopted: a first request for a `ttl: 0` app, for no app, or from a
  // reverse proxy (which pools connections across apps).
  let mut conn = Connection::open(&server).await;
  assert_eq!(conn.get("/fresh/", "").await, (200, "fresh".into()));
  assert_eq!(conn.get("/b/", "").await, (200, "b".into()));
  let mut conn = Connection::open(&server).await;
  assert_eq!(conn.get("/", "").await.0, 200);
  let mut conn = Connection::open(&server).await;
  assert_eq!(
    conn.get("/b/", "X-Forwarded-For: 10.0.0.1\r\n").await,
    (200, "b".into())
  );
  assert_eq!(adopted(&server).await, 1);
  // Adopted, and its thread carries a request for another app.
  let mut conn = Connection::open(&server).await;
  assert_eq!(conn.get("/b/", "").await, (200, "b".into()));
  assert_eq!(conn.get("/fresh/", "").await, (200, "fresh".into()));
  assert_eq!(adopted(&server).await, 2);
}

#[tokio::test]
async fn without_affinity_connections_stay_on_the_front_end() {
  let apps = apps();
  let server = Server::start_with(&apps, &[("CONNECTION_AFFINITY", "false")]);
  conversation(&server).await;
  assert_eq!(adopted(&server).await, 0);
}

#[tokio::test]
async fn a_connection_that_starts_on_a_proxied_path_carries_every_kind_of_request() {
  let port = crate::proxy::upstream().await;
  let apps = apps();
  apps
    .js(
      "gw/1.0.0",
      "export default { fetch() { return new Response('gw worker') } }",
    )
    .file(
      "gw/1.0.0/worker.config.json",
      format!(
        r#"{{ "ttl": 60, "proxy": {{ "^/up/(.*)$": {{ "target": "http://127.0.0.1:{port}", "rewrite": "/$1" }} }} }}"#
      ),
    );
  let server = Server::start(&apps);
  // Served on a proxy thread (not adopted by a worker), whose own pooled
  // upstream connections carry its proxied requests.
  let mut conn = Connection::open(&server).await;
  for path in ["first", "second"] {
    let (status, body) = conn.get(&format!("/gw/up/{path}?n=1"), "").await;
    assert_eq!(status, 200, "{body}");
    let echoed: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
      (echoed["path"].as_str(), echoed["query"].as_str()),
      (Some(&*format!("/{path}")), Some("n=1"))
    );
    assert_eq!(echoed["headers"]["x-forwarded-proto"], "http");
  }
  assert_eq!(conn.get("/gw/other", "").await, (200, "gw worker".into()));
  assert_eq!(conn.get("/b/", "").await, (200, "b".into()));
  assert_eq!(conn.get("/nope/", "").await.0, 404);
  assert_eq!(conn.get("/_/health", "").await.0, 200);
  assert_eq!(adopted(&server).await, 0);
  assert_eq!(
    counter(&server, "buntime_connections_proxy_threads_total").await,
    1
  );
  // Without affinity it stays on the front end, and still works.
  let server = Server::start_with(&apps, &[("CONNECTION_AFFINITY", "false")]);
  let mut conn = Connection::open(&server).await;
  assert_eq!(conn.get("/gw/up/x", "").await.0, 200);
  assert_eq!(conn.get("/b/", "").await, (200, "b".into()));
  assert_eq!(
    counter(&server, "buntime_connections_proxy_threads_total").await,
    0
  );
}
