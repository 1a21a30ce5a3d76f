//! Worker pool lifecycle, limits and live metrics (DESIGN.md §4 "Pool").

use std::time::Duration;

use crate::harness::{Apps, Server};

const COUNTER: &str = "let n = 0; export default { fetch() { return new Response(String(++n)) } }";

async fn metrics(server: &Server) -> serde_json::Value {
  server.get("/_/metrics").await.json()
}

#[tokio::test]
async fn max_requests_rotates_the_worker() {
  let apps = Apps::new();
  apps.js("rot/1.0.0", COUNTER).file(
    "rot/1.0.0/worker.config.json",
    r#"{ "ttl": 60, "maxRequests": 3 }"#,
  );
  let server = Server::start(&apps);
  let mut seen = Vec::new();
  for _ in 0..7 {
    seen.push(server.get("/rot").await.body);
  }
  assert_eq!(seen, ["1", "2", "3", "1", "2", "3", "1"]);
}

#[tokio::test]
async fn ttl_retires_an_old_worker() {
  let apps = Apps::new();
  apps
    .js("aging/1.0.0", COUNTER)
    .file("aging/1.0.0/worker.config.json", r#"{ "ttl": 1.5 }"#);
  let server = Server::start(&apps);
  assert_eq!(server.get("/aging").await.body, "1");
  assert_eq!(server.get("/aging").await.body, "2");
  tokio::time::sleep(Duration::from_millis(1800)).await;
  assert_eq!(server.get("/aging").await.body, "1");
}

#[tokio::test]
async fn lru_eviction_keeps_the_pool_within_its_size() {
  let apps = Apps::new();
  for app in ["a", "b", "c"] {
    apps.js(&format!("{app}/1.0.0"), COUNTER).file(
      &format!("{app}/1.0.0/worker.config.json"),
      r#"{ "ttl": 60 }"#,
    );
  }
  let server = Server::start_with(&apps, &[("POOL_SIZE", "2")]);
  assert_eq!(server.get("/a").await.body, "1");
  assert_eq!(server.get("/b").await.body, "1");
  assert_eq!(server.get("/a").await.body, "2");
  // c evicts b, the least recently used.
  assert_eq!(server.get("/c").await.body, "1");
  assert_eq!(server.get("/a").await.body, "3");
  assert_eq!(server.get("/b").await.body, "1");
  let m = metrics(&server).await;
  assert_eq!(m["evictions"], 2, "{m}");
  assert_eq!(m["activeWorkers"], 2, "{m}");
  let stats = server.get("/_/stats").await.json();
  let workers = stats["workers"].as_object().unwrap();
  assert_eq!(workers.len(), 2, "{stats}");
  assert!(
    workers.contains_key("a@1.0.0") && workers.contains_key("b@1.0.0"),
    "{stats}"
  );
  assert_eq!(workers["a@1.0.0"]["requestCount"], 3);
  assert_eq!(workers["a@1.0.0"]["status"], "idle");
}

#[tokio::test]
async fn idle_workers_run_on_idle_then_on_terminate_and_retire() {
  let apps = Apps::new();
  apps
    .js(
      "sleepy/1.0.0",
      r#"let n = 0;
      export default {
        fetch() { return new Response(String(++n)) },
        onIdle() { console.log("sleepy went idle after " + n) },
        async onTerminate() { await Bun.sleep(10); console.log("sleepy terminating") },
      }"#,
    )
    .file(
      "sleepy/1.0.0/worker.config.json",
      r#"{ "ttl": 60, "idleTimeout": 1 }"#,
    );
  let server = Server::start(&apps);
  assert_eq!(server.get("/sleepy").await.body, "1");
  assert_eq!(server.get("/sleepy").await.body, "2");
  tokio::time::sleep(Duration::from_millis(2500)).await;
  let log = server.log();
  assert!(log.contains("sleepy went idle after 2"), "{log}");
  assert!(log.contains("sleepy terminating"), "{log}");
  assert_eq!(metrics(&server).await["activeWorkers"], 0);
  assert_eq!(server.get("/sleepy").await.body, "1");
}

#[tokio::test]
async fn a_busy_loop_is_terminated_and_everything_keeps_serving() {
  let apps = Apps::new();
  apps
    .js(
      "spin/1.0.0",
      r#"let n = 0;
      export default { fetch(req) {
        n++;
        if (new URL(req.url).pathname === "/spin") while (true) {}
        return new Response("fresh " + n);
      } }"#,
    )
    .file(
      "spin/1.0.0/worker.config.json",
      r#"{ "ttl": 60, "timeout": 1 }"#,
    );
  apps
    .js("other/1.0.0", COUNTER)
    .file("other/1.0.0/worker.config.json", r#"{ "ttl": 60 }"#);
  let server = Server::start(&apps);
  assert_eq!(server.get("/spin").await.body, "fresh 1");
  let spinning = tokio::spawn({
    let url = server.url("/spin/spin");
    let client = server.client.clone();
    async move { client.get(url).send().await.unwrap() }
  });
  // While spin's thread is stuck, other apps answer.
  tokio::time::sleep(Duration::from_millis(200)).await;
  for _ in 0..3 {
    assert_eq!(server.get("/other").await.status, 200);
  }
  let stuck = spinning.await.unwrap();
  assert_eq!(stuck.status(), 504);
  let body: serde_json::Value = stuck.json().await.unwrap();
  assert_eq!(body["error"], "Worker timeout after 1000ms");
  // The stuck worker is replaced: the next request gets a fresh one.
  let mut reply = String::new();
  for _ in 0..50 {
    reply = server.get("/spin").await.body;
    if reply == "fresh 1" {
      break;
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
  }
  assert_eq!(reply, "fresh 1");
  assert!(server.log().contains("stuck in synchronous code"));
}

#[tokio::test]
async fn a_heap_bomb_stops_only_its_worker() {
  let apps = Apps::new();
  apps
    .js(
      "bomb/1.0.0",
      r#"const keep = [];
      export default { fetch(req) {
        if (new URL(req.url).pathname === "/bomb") while (true) keep.push(new Array(1e6).fill(1.5));
        return new Response("fine");
      } }"#,
    )
    .file(
      "bomb/1.0.0/worker.config.json",
      r#"{ "ttl": 60, "lowMemory": true }"#,
    );
  apps.js("other/1.0.0", COUNTER);
  let server = Server::start_with(&apps, &[("WORKER_HEAP_MB", "64")]);
  let reply = server.get("/bomb/bomb").await;
  assert_eq!(reply.status, 503, "{}", reply.body);
  assert_eq!(
    reply.error(),
    "Worker exceeded its memory limit and was stopped"
  );
  assert_eq!(server.get("/bomb").await.body, "fine");
  assert_eq!(server.get("/other").await.body, "1");
  assert!(
    metrics(&server).await["totalWorkersFailed"]
      .as_u64()
      .unwrap()
      >= 1
  );
}

#[tokio::test]
async fn a_full_pool_of_busy_workers_queues_then_answers_503() {
  let apps = Apps::new();
  let slow =
    "export default { async fetch() { await Bun.sleep(1500); return new Response('slow') } }";
  apps
    .js("slow/1.0.0", slow)
    .file("slow/1.0.0/worker.config.json", r#"{ "ttl": 60 }"#);
  apps.js("quick/1.0.0", COUNTER).file(
    "quick/1.0.0/worker.config.json",
    r#"{ "ttl": 60, "timeout": 0.5 }"#,
  );
  apps.js("patient/1.0.0", COUNTER).file(
    "patient/1.0.0/worker.config.json",
    r#"{ "ttl": 60, "timeout": 5 }"#,
  );
  let server = Server::start_with(&apps, &[("POOL_SIZE", "1")]);
  let busy = tokio::spawn({
    let (client, url) = (server.client.clone(), server.url("/slow"));
    async move { client.get(url).send().await.unwrap().text().await.unwrap() }
  });
  tokio::time::sleep(Duration::from_millis(300)).await;
  let rejected = server.get("/quick").await;
  assert_eq!(rejected.status, 503, "{}", rejected.body);
  assert!(rejected.error().contains("busy"), "{}", rejected.body);
  // A request with a longer timeout waits for the slot and gets it.
  let waiting = tokio::spawn({
    let (client, url) = (server.client.clone(), server.url("/patient"));
    async move { client.get(url).send().await.unwrap().text().await.unwrap() }
  });
  tokio::time::sleep(Duration::from_millis(200)).await;
  assert_eq!(metrics(&server).await["queueSize"], 1);
  assert_eq!(busy.await.unwrap(), "slow");
  assert_eq!(waiting.await.unwrap(), "1");
}

#[tokio::test]
async fn metrics_and_stats_follow_the_contract() {
  let apps = Apps::new();
  apps
    .js("m/1.0.0", COUNTER)
    .file("m/1.0.0/worker.config.json", r#"{ "ttl": 60 }"#);
  let server = Server::start(&apps);
  for _ in 0..4 {
    server.get("/m").await;
  }
  let m = metrics(&server).await;
  for key in [
    "activeWorkers",
    "avgResponseTimeMs",
    "evictions",
    "freshQueued",
    "freshRejected",
    "freshWorkers",
    "hitRate",
    "hits",
    "logMessagesDropped",
    "memoryUsageMB",
    "misses",
    "requestsPerSecond",
    "totalRequests",
    "totalWorkersFailed",
    "totalWorkersCreated",
    "uptimeMs",
    "queueSize",
  ] {
    assert!(m[key].is_number(), "{key} missing in {m}");
  }
  assert_eq!(m.as_object().unwrap().len(), 17);
  assert_eq!(m["totalRequests"], 4);
  assert_eq!(m["hits"], 3);
  assert_eq!(m["misses"], 1);
  assert_eq!(m["hitRate"], 75.0);
  assert!(m["memoryUsageMB"].as_f64().unwrap() > 1.0);
  let stats = server.get("/_/stats").await.json();
  assert_eq!(stats["pool"]["totalRequests"], 4);
  let worker = &stats["workers"]["m@1.0.0"];
  for key in ["age", "idle", "requestCount", "status"] {
    assert!(!worker[key].is_null(), "{key} missing in {stats}");
  }
}

#[tokio::test]
async fn sse_sends_stats_every_second() {
  use futures::StreamExt;
  let apps = Apps::new();
  apps.js("m/1.0.0", COUNTER);
  let server = Server::start(&apps);
  let response = server
    .client
    .get(server.url("/_/sse"))
    .send()
    .await
    .unwrap();
  assert_eq!(response.headers()["content-type"], "text/event-stream");
  let mut stream = response.bytes_stream();
  let mut text = String::new();
  let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
  while text.matches("data: ").count() < 2 {
    let chunk = tokio::time::timeout_at(deadline, stream.next())
      .await
      .expect("two events within 3 s");
    text.push_str(std::str::from_utf8(&chunk.unwrap().unwrap()).unwrap());
  }
  let first = text.split("data: ").nth(1).unwrap().lines().next().unwrap();
  let json: serde_json::Value = serde_json::from_str(first).unwrap();
  assert!(
    json["pool"]["uptimeMs"].is_number() && json["workers"].is_object(),
    "{json}"
  );
}

#[tokio::test]
async fn prometheus_exposition_parses() {
  let apps = Apps::new();
  apps.js("m/1.0.0", COUNTER);
  let server = Server::start(&apps);
  server.get("/m").await;
  server.get("/m/x").await;
  let reply = server.get("/_/metrics/prometheus").await;
  assert!(reply
    .header("content-type")
    .starts_with("text/plain; version=0.0.4"));
  let mut samples = std::collections::HashMap::new();
  for line in reply.body.lines() {
    if line.starts_with('#') {
      let parts: Vec<&str> = line.splitn(4, ' ').collect();
      assert!(matches!(parts[1], "HELP" | "TYPE"), "{line}");
      continue;
    }
    let (name, value) = line
      .rsplit_once(' ')
      .unwrap_or_else(|| panic!("bad line {line:?}"));
    let value: f64 = value
      .parse()
      .unwrap_or_else(|_| panic!("bad value in {line:?}"));
    samples.insert(name.to_string(), value);
  }
  assert_eq!(samples["buntime_requests_total"], 2.0);
  assert_eq!(
    samples[r#"buntime_app_requests_total{app="m@1.0.0",class="2xx"}"#],
    2.0
  );
  assert_eq!(
    samples[r#"buntime_app_request_duration_seconds_count{app="m@1.0.0"}"#],
    2.0
  );
  assert_eq!(
    samples[r#"buntime_app_request_duration_seconds_bucket{app="m@1.0.0",le="+Inf"}"#],
    2.0
  );
  // Buckets are cumulative: never smaller than the one below, and the
  // largest finite one holds both (fast) requests.
  let bucket = |le: &str| {
    samples[&format!(r#"buntime_app_request_duration_seconds_bucket{{app="m@1.0.0",le="{le}"}}"#)]
  };
  let bounds = [
    "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "5",
  ];
  for pair in bounds.windows(2) {
    assert!(bucket(pair[0]) <= bucket(pair[1]), "{pair:?}: {samples:?}");
  }
  assert_eq!(bucket("5"), 2.0);
}

#[tokio::test]
async fn internal_routes_need_the_admin_token_when_set() {
  let apps = Apps::new();
  let server = Server::start_with(&apps, &[("ADMIN_TOKEN", "s3cret")]);
  let denied = server.get("/_/metrics").await;
  assert_eq!(denied.status, 401);
  assert_eq!(denied.error(), "Missing or wrong bearer token");
  let wrong = server
    .client
    .get(server.url("/_/stats"))
    .bearer_auth("nope")
    .send()
    .await
    .unwrap();
  assert_eq!(wrong.status(), 401);
  let ok = server
    .client
    .get(server.url("/_/metrics"))
    .bearer_auth("s3cret")
    .send()
    .await
    .unwrap();
  assert_eq!(ok.status(), 200);
}

#[tokio::test]
async fn shutdown_drains_in_flight_requests_and_exits_cleanly() {
  let apps = Apps::new();
  apps
    .js(
      "slow/1.0.0",
      r#"export default {
        async fetch() { await Bun.sleep(800); return new Response("finished") },
        onTerminate() { console.log("slow onTerminate ran") },
      }"#,
    )
    .file("slow/1.0.0/worker.config.json", r#"{ "ttl": 60 }"#);
  let mut server = Server::start(&apps);
  let in_flight = tokio::spawn({
    let (client, url) = (server.client.clone(), server.url("/slow"));
    async move { client.get(url).send().await.unwrap().text().await.unwrap() }
  });
  tokio::time::sleep(Duration::from_millis(200)).await;
  server.signal_term();
  assert_eq!(in_flight.await.unwrap(), "finished");
  let status = server.wait_exit(Duration::from_secs(10));
  assert_eq!(status, Some(0), "{}", server.log());
  assert!(
    server.log().contains("slow onTerminate ran"),
    "{}",
    server.log()
  );
  // The client still holds its keep-alive connection, which the app's
  // worker thread serves: told the server is closing, it closed, and the
  // thread ended before the deadline.
  assert!(
    server.log().contains("stopped") && !server.log().contains("still running"),
    "{}",
    server.log()
  );
}

#[tokio::test]
async fn the_heap_budget_caps_live_isolates() {
  let apps = Apps::new();
  for app in ["a", "b", "c"] {
    apps.js(&format!("{app}/1.0.0"), COUNTER).file(
      &format!("{app}/1.0.0/worker.config.json"),
      r#"{ "ttl": 60 }"#,
    );
  }
  apps.js("small/1.0.0", COUNTER).file(
    "small/1.0.0/worker.config.json",
    r#"{ "ttl": 60, "lowMemory": true }"#,
  );
  // Room for two 32 MB heaps, although the pool itself allows five workers.
  let server = Server::start_with(&apps, &[("WORKER_HEAP_MB", "32"), ("TOTAL_HEAP_MB", "72")]);
  for app in ["/a", "/b", "/c"] {
    assert_eq!(server.get(app).await.body, "1");
  }
  let m = metrics(&server).await;
  assert_eq!(
    (m["activeWorkers"].as_u64(), m["evictions"].as_u64()),
    (Some(2), Some(1)),
    "{m}"
  );
  // A lowMemory app needs 16 MB: 32 + 32 + 16 > 72, so one more eviction.
  assert_eq!(server.get("/small").await.body, "1");
  assert_eq!(metrics(&server).await["evictions"], 2);
}

#[test]
fn a_heap_budget_below_one_worker_is_a_start_up_error() {
  let apps = Apps::new();
  let output = crate::harness::server_command(
    apps.path(),
    &[("TOTAL_HEAP_MB", "16"), ("WORKER_HEAP_MB", "64")],
  )
  .output()
  .unwrap();
  assert_eq!(output.status.code(), Some(2));
  assert!(String::from_utf8_lossy(&output.stderr).contains("TOTAL_HEAP_MB"));
}

/// `lowMemory` apps are collected when they go idle: garbage the app let go
/// of is gone from the heap, while an ordinary app keeps it until V8 needs
/// room.
#[tokio::test]
async fn low_memory_apps_collect_garbage_when_idle() {
  let app = r#"let hold = null;
export default {
  fetch(req) {
    const step = new URL(req.url).pathname;
    if (step === "/fill") hold = Array.from({ length: 300000 }, (_, i) => ({ i, s: "x" + i }));
    if (step === "/drop") hold = null;
    return Response.json({ usedMB: Bun.gc(false) / 1048576 });
  },
};"#;
  let apps = Apps::new();
  apps
    .js("lean/1.0.0", app)
    .file(
      "lean/1.0.0/worker.config.json",
      r#"{"ttl": 60, "lowMemory": true}"#,
    )
    .js("plain/1.0.0", app)
    .file("plain/1.0.0/worker.config.json", r#"{"ttl": 60}"#);
  let server = Server::start(&apps);
  let mut after = Vec::new();
  for name in ["lean", "plain"] {
    let filled = server.get(&format!("/{name}/fill")).await.json()["usedMB"]
      .as_f64()
      .unwrap();
    assert!(filled > 15.0, "{name}: the filled heap holds {filled} MB");
    server.get(&format!("/{name}/drop")).await;
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    let used = server.get(&format!("/{name}/measure")).await.json()["usedMB"]
      .as_f64()
      .unwrap();
    after.push(used);
  }
  let (lean, plain) = (after[0], after[1]);
  assert!(
    lean < 8.0,
    "lowMemory app still holds {lean} MB after going idle"
  );
  // An ordinary app usually still holds its garbage here (about 20 MB), but
  // V8 may finish a collection it began while filling, so that side is
  // reported, not asserted.
  eprintln!("after going idle: lowMemory {lean:.1} MB, ordinary {plain:.1} MB");
}

#[tokio::test]
async fn a_saturated_app_gets_more_instances() {
  let apps = Apps::new();
  apps.js(
    "par/1.0.0",
    r#"const id = Math.random().toString(36).slice(2);
export default {
  async fetch(req) {
    const path = new URL(req.url).pathname;
    if (path === "/block") { const end = Date.now() + 1500; while (Date.now() < end) {} }
    return new Response(id);
  },
};"#,
  );
  apps
    .file(
      "par/1.0.0/worker.config.json",
      r#"{ "ttl": 60, "instances": 2 }"#,
    )
    .js("bad/1.0.0", COUNTER)
    .file(
      "bad/1.0.0/worker.config.json",
      r#"{ "ttl": 60, "instances": 0 }"#,
    );
  let server = Server::start(&apps);
  let first = server.get("/par/").await.body;
  // An idle instance takes the next request: no second isolate yet.
  assert_eq!(server.get("/par/").await.body, first);
  let blocked = tokio::spawn({
    let (client, url) = (server.client.clone(), server.url("/par/block"));
    async move { client.get(url).send().await.unwrap().text().await.unwrap() }
  });
  tokio::time::sleep(Duration::from_millis(300)).await;
  // The first isolate is stuck in synchronous code; with 2 cores a second
  // instance answers meanwhile (with one core `instances` is capped at 1).
  let two_cores = std::thread::available_parallelism().map_or(1, |n| n.get()) >= 2;
  if two_cores {
    let other = server.get("/par/").await.body;
    assert!(
      !blocked.is_finished(),
      "answered only after the blocking request"
    );
    assert_ne!(other, first, "the same isolate answered");
    let stats = server.get("/_/stats").await.json();
    let workers = stats["workers"].as_object().unwrap();
    assert!(workers.contains_key("par@1.0.0"), "{stats}");
    assert!(workers.contains_key("par@1.0.0#2"), "{stats}");
  }
  assert_eq!(blocked.await.unwrap(), first);
  let bad = server.get("/bad/").await;
  assert_eq!(bad.status, 500, "{}", bad.body);
  assert!(bad.error().contains("\"instances\""), "{}", bad.body);
}

/// A `ttl: 0` app whose top level notes when it was loaded.
fn loaded_at_app(version: u32) -> String {
  format!(
    "const loadedAt = Date.now(); let n = 0;
    export default {{ fetch() {{ return Response.json({{ n: ++n, waited: Date.now() - loadedAt, v: {version} }}) }} }}"
  )
}

#[tokio::test]
async fn ttl_zero_primes_the_next_worker_and_drops_it_when_the_code_changes() {
  let apps = Apps::new();
  apps
    .js("primed/1.0.0", &loaded_at_app(1))
    .file("primed/1.0.0/worker.config.json", r#"{"ttl": 0}"#);
  let server = Server::start(&apps);
  let first = server.get("/primed").await.json();
  assert_eq!(
    (first["n"].as_u64(), first["v"].as_u64()),
    (Some(1), Some(1))
  );
  // The next worker loaded the app while nothing was asked of it: fresh
  // state (n = 1), loaded well before this request.
  tokio::time::sleep(Duration::from_millis(500)).await;
  let second = server.get("/primed").await.json();
  assert_eq!(second["n"], 1, "{second}");
  assert!(second["waited"].as_u64().unwrap() >= 300, "{second}");

  // New code: the primed worker holding the old code is dropped when the
  // change is seen (the watcher reports it within milliseconds; 1.5 s of
  // slack), so the very first request after it runs the new code.
  tokio::time::sleep(Duration::from_millis(300)).await;
  apps.js("primed/1.0.0", &loaded_at_app(2));
  tokio::time::sleep(Duration::from_millis(1500)).await;
  for _ in 0..3 {
    tokio::time::sleep(Duration::from_millis(200)).await;
    let reply = server.get("/primed").await.json();
    assert_eq!(
      (reply["n"].as_u64(), reply["v"].as_u64()),
      (Some(1), Some(2)),
      "{reply}"
    );
  }
}

#[tokio::test]
async fn primed_workers_can_be_turned_off() {
  let apps = Apps::new();
  apps
    .js("cold/1.0.0", &loaded_at_app(1))
    .file("cold/1.0.0/worker.config.json", r#"{"ttl": 0}"#);
  let server = Server::start_with(&apps, &[("PRIMED_WORKERS", "0")]);
  server.get("/cold").await;
  tokio::time::sleep(Duration::from_millis(500)).await;
  let reply = server.get("/cold").await.json();
  assert!(reply["waited"].as_u64().unwrap() < 300, "{reply}");
}
