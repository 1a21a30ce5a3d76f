//! The WinterTC globals exist inside the isolate and behave.

use crate::harness::{Apps, Server};

#[tokio::test]
async fn every_required_global_is_installed() {
  let apps = Apps::new();
  apps.js(
    "globals/1.0.0",
    r#"const names = ["Request", "Response", "Headers", "URL", "URLSearchParams", "TextEncoder",
      "TextDecoder", "ReadableStream", "WritableStream", "TransformStream", "AbortController",
      "AbortSignal", "Event", "EventTarget", "Blob", "File", "FormData", "atob", "btoa",
      "structuredClone", "setTimeout", "clearTimeout", "setInterval", "clearInterval",
      "queueMicrotask", "console", "fetch", "crypto", "performance", "Bun", "process"];
    export default { fetch() {
      return Response.json(Object.fromEntries(names.map((n) => [n, typeof globalThis[n]])));
    } }"#,
  );
  let server = Server::start(&apps);
  let json = server.get("/globals").await.json();
  for (name, kind) in json.as_object().unwrap() {
    assert_ne!(kind, "undefined", "{name} is missing");
  }
  assert_eq!(json.as_object().unwrap().len(), 31);
}

#[tokio::test]
async fn web_apis_work() {
  let apps = Apps::new();
  apps.js(
    "apis/1.0.0",
    r#"export default { async fetch() {
      const enc = new TextEncoder().encode("héllo");
      const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode("abc"));
      const form = new FormData(); form.append("a", "1");
      const blob = new Blob(["x", "yz"]);
      const ac = new AbortController(); ac.abort();
      let timerFired = await new Promise((r) => setTimeout(() => r(true), 1));
      let evt = 0; const et = new EventTarget(); et.addEventListener("x", () => evt++); et.dispatchEvent(new Event("x"));
      const stream = new Response("streamed").body.pipeThrough(new TransformStream());
      return Response.json({
        uuid: crypto.randomUUID().length,
        random: crypto.getRandomValues(new Uint8Array(4)).length,
        sha: [...new Uint8Array(digest)].slice(0, 2),
        bytes: enc.length, decoded: new TextDecoder().decode(enc),
        b64: btoa("hi"), unb64: atob("aGk="),
        clone: structuredClone({ a: [1, { b: 2 }] }),
        params: new URLSearchParams("a=1&b=2").get("b"),
        form: form.get("a"), blob: await blob.text(), aborted: ac.signal.aborted,
        timerFired, evt, piped: await new Response(stream).text(),
        perf: typeof performance.now(), intl: new Intl.NumberFormat("en-US").format(1234.5),
        pattern: new URLPattern({ pathname: "/u/:id" }).exec("https://x/u/7").pathname.groups.id,
      });
    } }"#,
  );
  let server = Server::start(&apps);
  let json = server.get("/apis").await.json();
  assert_eq!(json["uuid"], 36);
  assert_eq!(json["random"], 4);
  assert_eq!(json["sha"], serde_json::json!([0xba, 0x78]));
  assert_eq!(json["bytes"], 6);
  assert_eq!(json["decoded"], "héllo");
  assert_eq!(json["b64"], "aGk=");
  assert_eq!(json["unb64"], "hi");
  assert_eq!(json["clone"], serde_json::json!({ "a": [1, { "b": 2 }] }));
  assert_eq!(json["params"], "2");
  assert_eq!(json["form"], "1");
  assert_eq!(json["blob"], "xyz");
  assert_eq!(json["aborted"], true);
  assert_eq!(json["timerFired"], true);
  assert_eq!(json["evt"], 1);
  assert_eq!(json["piped"], "streamed");
  assert_eq!(json["perf"], "number");
  assert_eq!(json["intl"], "1,234.5");
  assert_eq!(json["pattern"], "7");
}

#[tokio::test]
async fn fetch_reaches_a_real_upstream() {
  let upstream = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
  let port = upstream.local_addr().unwrap().port();
  let router = axum::Router::new().route("/data", axum::routing::get(|| async { "from upstream" }));
  tokio::spawn(async move { axum::serve(upstream, router).await.unwrap() });
  let apps = Apps::new();
  apps.js(
    "caller/1.0.0",
    &format!(
      "export default {{ async fetch() {{ const r = await fetch('http://127.0.0.1:{port}/data'); return new Response('got ' + await r.text()) }} }}"
    ),
  );
  let server = Server::start(&apps);
  assert_eq!(server.get("/caller").await.body, "got from upstream");
}

#[tokio::test]
async fn console_output_goes_to_the_server_log_with_the_app_name() {
  let apps = Apps::new();
  apps.js("talker/1.0.0", "export default { fetch() { console.log('hello from', 'talker'); console.error('oops'); return new Response('ok') } }");
  let server = Server::start(&apps);
  assert_eq!(server.get("/talker").await.body, "ok");
  let log = server.log();
  assert!(
    log.contains("hello from talker") && log.contains("talker@1.0.0") && log.contains("oops"),
    "{log}"
  );
}
