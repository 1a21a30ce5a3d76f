//! Bodies stream in both directions: big uploads, endless SSE, disconnects.

use std::time::Duration;

use futures::StreamExt;

use crate::harness::{Apps, Server};

#[tokio::test]
async fn a_large_upload_streams_through_the_worker() {
  let apps = Apps::new();
  apps.js(
    "count/1.0.0",
    r#"export default { async fetch(req) {
      let bytes = 0, chunks = 0, sum = 0;
      for await (const chunk of req.body) {
        // Sample every 4096th byte of the whole body.
        for (let i = (4096 - (bytes % 4096)) % 4096; i < chunk.length; i += 4096) sum = (sum + chunk[i]) % 1000003;
        bytes += chunk.byteLength; chunks++;
      }
      return Response.json({ bytes, chunks, sum });
    } }"#,
  );
  let server = Server::start(&apps);
  let size = 64 * 1024 * 1024;
  let data: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
  let mut sum = 0u64;
  for i in (0..size).step_by(4096) {
    sum = (sum + data[i] as u64) % 1_000_003;
  }
  let chunks = data
    .chunks(1 << 20)
    .map(|c| Ok::<_, std::io::Error>(c.to_vec()))
    .collect::<Vec<_>>();
  let body = reqwest::Body::wrap_stream(futures::stream::iter(chunks));
  let reply = server.post("/count", body).await.json();
  assert_eq!(reply["bytes"], size);
  assert_eq!(reply["sum"], sum);
  assert!(
    reply["chunks"].as_u64().unwrap() > 1,
    "body arrived in one piece: {reply}"
  );
}

#[tokio::test]
async fn sse_events_arrive_as_they_are_produced_and_stop_when_the_client_leaves() {
  let apps = Apps::new();
  apps.js(
    "sse/1.0.0",
    r#"let open = 0, cancelled = 0;
    export default { fetch(req) {
      if (new URL(req.url).pathname === "/stats") return Response.json({ open, cancelled });
      let timer, n = 0;
      open++;
      const body = new ReadableStream({
        start(controller) {
          timer = setInterval(() => controller.enqueue(`data: ${n++}\n\n`), 50);
        },
        cancel() { clearInterval(timer); open--; cancelled++; },
      });
      return new Response(body.pipeThrough(new TextEncoderStream()), {
        headers: { "content-type": "text/event-stream", "cache-control": "no-cache" },
      });
    } }"#,
  );
  apps.file("sse/1.0.0/worker.config.json", r#"{ "ttl": 60 }"#);
  let server = Server::start(&apps);
  let response = server
    .client
    .get(server.url("/sse/events"))
    .send()
    .await
    .unwrap();
  assert_eq!(response.headers()["content-type"], "text/event-stream");
  let mut stream = response.bytes_stream();
  let mut seen = String::new();
  while !seen.contains("data: 2\n\n") {
    let chunk = tokio::time::timeout(Duration::from_secs(5), stream.next())
      .await
      .unwrap()
      .unwrap()
      .unwrap();
    seen.push_str(std::str::from_utf8(&chunk).unwrap());
  }
  assert!(seen.starts_with("data: 0\n\ndata: 1\n\n"), "{seen}");
  drop(stream);
  // The app's stream is cancelled once the client is gone.
  let mut stats = serde_json::Value::Null;
  for _ in 0..50 {
    stats = server.get("/sse/stats").await.json();
    if stats["cancelled"] == 1 {
      break;
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
  }
  assert_eq!(stats, serde_json::json!({ "open": 0, "cancelled": 1 }));
}

#[tokio::test]
async fn many_concurrent_requests_share_one_worker() {
  let apps = Apps::new();
  apps
    .js(
      "wait/1.0.0",
      r#"let active = 0, peak = 0;
      export default { async fetch(req) {
        if (new URL(req.url).pathname === "/peak") return new Response(String(peak));
        active++; peak = Math.max(peak, active);
        await Bun.sleep(300);
        active--;
        return new Response("done");
      } }"#,
    )
    .file("wait/1.0.0/worker.config.json", r#"{ "ttl": 60 }"#);
  let server = Server::start(&apps);
  assert_eq!(server.get("/wait").await.body, "done");
  let replies = futures::future::join_all((0..20).map(|_| server.get("/wait"))).await;
  assert!(replies.iter().all(|r| r.body == "done"));
  // The waits overlapped inside one isolate instead of queueing.
  let peak: u32 = server.get("/wait/peak").await.body.parse().unwrap();
  assert!(peak >= 10, "peak concurrency {peak}");
}

/// A body stream that fails after its first chunk cuts the response (no
/// last chunk), so no client takes half a body for all of it; the error
/// is logged with the app's name, and the worker serves on.
#[tokio::test]
async fn a_failing_body_stream_cuts_the_response_short() {
  let apps = Apps::new();
  crate::harness::with_neighbour(&apps);
  apps.js(
    "breaks/1.0.0",
    r#"export default {
  fetch(req) {
    if (new URL(req.url).pathname === "/ok") return new Response("fine");
    let sent = false;
    return new Response(new ReadableStream({
      async pull(controller) {
        if (!sent) { sent = true; controller.enqueue(new TextEncoder().encode("half of it")); return; }
        await new Promise((resolve) => setTimeout(resolve, 20));
        controller.error(new Error("stream exploded"));
      },
    }));
  },
};"#,
  );
  let mut server = Server::start(&apps);
  let response = reqwest::get(server.url("/breaks")).await.unwrap();
  assert_eq!(response.status(), 200);
  let body = response.bytes().await;
  assert!(
    body.is_err(),
    "a cut body must not read as complete: {body:?}"
  );
  assert_eq!(server.get("/breaks/ok").await.body, "fine");
  let log = server.log();
  assert!(log.contains("stream exploded"), "{log}");
  assert!(log.contains("breaks@1.0.0"), "{log}");
  crate::harness::assert_neighbour_serves(&mut server).await;
}

/// Bun's direct streams: `pull` runs once and writes whenever it likes,
/// ending later; a source that throws cuts the response.
#[tokio::test]
async fn direct_readable_streams_write_then_end() {
  let apps = Apps::new();
  apps.js(
    "direct/1.0.0",
    r#"export default {
  fetch(req) {
    const fails = new URL(req.url).pathname === "/fails";
    return new Response(new ReadableStream({
      type: "direct",
      async pull(controller) {
        controller.write("one,");
        controller.write(new TextEncoder().encode("two,"));
        controller.flush();
        if (fails) throw new Error("direct source failed");
        setTimeout(() => { controller.write("three"); controller.end(); }, 10);
      },
    }));
  },
};"#,
  );
  let server = Server::start(&apps);
  assert_eq!(server.get("/direct").await.body, "one,two,three");
  // Cut either before the head reached the client or in the body: never
  // a complete-looking answer.
  match reqwest::get(server.url("/direct/fails")).await {
    Err(_) => {}
    Ok(cut) => assert!(cut.bytes().await.is_err()),
  }
  assert!(server.log().contains("direct source failed"));
}
