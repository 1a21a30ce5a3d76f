//! Bun.serve semantics: routes precedence and fall-through, static
//! Responses with ETags, `Bun.file` routes, cookies, `server.timeout`, and
//! apps that call `Bun.serve()` themselves.

use crate::harness::{Apps, Server};

#[tokio::test]
async fn routes_follow_bun_precedence_and_fall_through() {
  let apps = Apps::new();
  apps.js(
    "r/1.0.0",
    r#"const hit = (name) => (req) => Response.json({ name, params: req.params ?? null });
export default {
  routes: {
    "/*": hit("catch-all"),
    "/open/*": hit("open wildcard"),
    "/open/:id": { POST: hit("open param POST") },
    "/open/exact": { PUT: hit("open exact PUT") },
    "/a/:x/c": hit("a/:x/c"),
    "/a/b/:y": hit("a/b/:y"),
    "/skip": false,
    "/Case": hit("Case"),
    "/enc/:name": hit("enc"),
  },
  fetch(req) {
    return Response.json({ name: "fetch", path: new URL(req.url).pathname });
  },
};"#,
  );
  let server = Server::start(&apps);
  let name = |reply: crate::harness::Reply| reply.json()["name"].as_str().unwrap().to_string();

  assert_eq!(name(server.get("/r/anything/else").await), "catch-all");
  assert_eq!(name(server.get("/r/open/x/y").await), "open wildcard");
  // `/open/:id` has no GET and `/open/exact` no GET: both fall through to
  // the next matching route, the wildcard.
  assert_eq!(name(server.get("/r/open/42").await), "open wildcard");
  assert_eq!(name(server.get("/r/open/exact").await), "open wildcard");
  assert_eq!(name(server.post("/r/open/42", "").await), "open param POST");
  let put = server
    .client
    .put(server.url("/r/open/exact"))
    .send()
    .await
    .unwrap();
  assert_eq!(
    put.json::<serde_json::Value>().await.unwrap()["name"],
    "open exact PUT"
  );
  // A literal segment beats a parameter at the same depth.
  assert_eq!(name(server.get("/r/a/b/c").await), "a/b/:y");
  assert_eq!(name(server.get("/r/a/z/c").await), "a/:x/c");
  // `false` hands the path to fetch.
  let skip = server.get("/r/skip").await.json();
  assert_eq!(skip, serde_json::json!({"name": "fetch", "path": "/skip"}));
  // Case-sensitive: "/case" is not "/Case".
  assert_eq!(name(server.get("/r/Case").await), "Case");
  assert_eq!(name(server.get("/r/case").await), "catch-all");
  let enc = server.get("/r/enc/caf%C3%A9%20au%20lait").await.json();
  assert_eq!(enc["params"]["name"], "caf\u{e9} au lait");
}

#[tokio::test]
async fn static_responses_get_etags_and_file_routes_serve_ranges() {
  let apps = Apps::new();
  apps
    .js(
      "s/1.0.0",
      r#"export default {
  routes: {
    "/static": new Response("the same bytes every time", { headers: { "content-type": "text/plain" } }),
    "/created": new Response("made", { status: 201 }),
    "/file": Bun.file("data.txt"),
    "/gone": Bun.file("missing.txt"),
  },
};"#,
    )
    .file("s/1.0.0/data.txt", "0123456789");
  let server = Server::start(&apps);

  let first = server.get("/s/static").await;
  assert_eq!(first.status, 200);
  assert_eq!(first.body, "the same bytes every time");
  let etag = first.header("etag").to_string();
  assert!(etag.starts_with("W/\""), "{etag}");
  let again = server
    .client
    .get(server.url("/s/static"))
    .header("if-none-match", &etag)
    .send()
    .await
    .unwrap();
  assert_eq!(again.status(), 304);
  assert_eq!(again.text().await.unwrap(), "");
  let other = server
    .client
    .get(server.url("/s/static"))
    .header("if-none-match", "W/\"nope\"")
    .send()
    .await
    .unwrap();
  assert_eq!(other.status(), 200);
  // Only 200 answers get a validator.
  let created = server.get("/s/created").await;
  assert_eq!(created.status, 201);
  assert_eq!(created.header("etag"), "");

  let whole = server.get("/s/file").await;
  assert_eq!((whole.status, whole.body.as_str()), (200, "0123456789"));
  assert!(whole.header("content-type").starts_with("text/plain"));
  let modified = whole.header("last-modified").to_string();
  assert!(modified.ends_with("GMT"), "{modified}");
  let range = |value: &'static str| {
    server
      .client
      .get(server.url("/s/file"))
      .header("range", value)
      .send()
  };
  let part = range("bytes=2-5").await.unwrap();
  assert_eq!(part.status(), 206);
  assert_eq!(part.headers()["content-range"], "bytes 2-5/10");
  assert_eq!(part.text().await.unwrap(), "2345");
  let suffix = range("bytes=-3").await.unwrap();
  assert_eq!(suffix.text().await.unwrap(), "789");
  let bad = range("bytes=20-30").await.unwrap();
  assert_eq!(bad.status(), 416);
  assert_eq!(bad.headers()["content-range"], "bytes */10");
  let cached = server
    .client
    .get(server.url("/s/file"))
    .header("if-modified-since", &modified)
    .send()
    .await
    .unwrap();
  assert_eq!(cached.status(), 304);
  assert_eq!(server.get("/s/gone").await.status, 404);
}

#[tokio::test]
async fn cookies_are_read_and_set_through_req_cookies() {
  let apps = Apps::new();
  apps.js(
    "c/1.0.0",
    r#"export default {
  routes: {
    "/login": (req) => {
      req.cookies.set("session", "abc 123", { httpOnly: true, maxAge: 60 });
      req.cookies.set("theme", "dark");
      req.cookies.delete("old");
      return new Response("logged in");
    },
    "/me": (req) => Response.json({
      session: req.cookies.get("session"),
      missing: req.cookies.get("nope"),
      has: req.cookies.has("theme"),
      size: req.cookies.size,
      all: Object.fromEntries(req.cookies),
    }),
  },
};"#,
  );
  let server = Server::start(&apps);
  let login = server.get("/c/login").await;
  let set: Vec<&str> = login
    .headers
    .get_all("set-cookie")
    .iter()
    .map(|v| v.to_str().unwrap())
    .collect();
  assert_eq!(set.len(), 3, "{set:?}");
  assert!(
    set.contains(&"session=abc%20123; Path=/; Max-Age=60; HttpOnly; SameSite=Lax"),
    "{set:?}"
  );
  assert!(set.contains(&"theme=dark; Path=/; SameSite=Lax"), "{set:?}");
  assert!(
    set
      .iter()
      .any(|c| c.starts_with("old=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT")),
    "{set:?}"
  );
  let me = server
    .client
    .get(server.url("/c/me"))
    .header("cookie", "session=abc%20123; theme=dark")
    .send()
    .await
    .unwrap()
    .json::<serde_json::Value>()
    .await
    .unwrap();
  assert_eq!(
    me,
    serde_json::json!({
      "session": "abc 123", "missing": null, "has": true, "size": 2,
      "all": {"session": "abc 123", "theme": "dark"}
    })
  );
}

#[tokio::test]
async fn server_timeout_overrides_the_app_timeout_for_one_request() {
  let apps = Apps::new();
  apps
    .js(
      "t/1.0.0",
      r#"export default {
  async fetch(req, server) {
    if (new URL(req.url).pathname === "/long") server.timeout(req, 10);
    await Bun.sleep(1500);
    return new Response("done");
  },
};"#,
    )
    .file("t/1.0.0/worker.config.json", r#"{"timeout": 1, "ttl": 60}"#);
  let server = Server::start(&apps);
  let (short, long) = tokio::join!(server.get("/t/short"), server.get("/t/long"));
  assert_eq!(short.status, 504, "{}", short.body);
  assert_eq!((long.status, long.body.as_str()), (200, "done"));
}

#[tokio::test]
async fn server_timeout_can_shorten_or_lift_a_requests_deadline() {
  let apps = Apps::new();
  apps
    .js(
      "t/1.0.0",
      r#"export default {
  async fetch(req, server) {
    const path = new URL(req.url).pathname;
    server.timeout(req, path === "/none" ? 0 : 0.3);
    await Bun.sleep(path === "/none" ? 2500 : 8000);
    return new Response("late");
  },
};"#,
    )
    .file("t/1.0.0/worker.config.json", r#"{"timeout": 2, "ttl": 60}"#);
  let server = Server::start(&apps);
  // The app's own limit is 2 s; 0.3 s is earlier, 0 means none.
  let started = std::time::Instant::now();
  let short = server.get("/t/short").await;
  assert_eq!(short.status, 504, "{}", short.body);
  assert!(
    started.elapsed() < std::time::Duration::from_millis(1500),
    "the shortened deadline fired after {:?}",
    started.elapsed()
  );
  let none = server.get("/t/none").await;
  assert_eq!((none.status, none.body.as_str()), (200, "late"));
}

#[tokio::test]
async fn an_app_that_calls_bun_serve_is_served() {
  let apps = Apps::new();
  apps.js(
    "script/1.0.0",
    r#"const server = Bun.serve({
  port: 3000,
  routes: { "/hello/:name": (req) => new Response(`hello ${req.params.name}`) },
  fetch(req, srv) {
    if (new URL(req.url).pathname === "/boom") throw new Error("kaboom");
    return Response.json({ same: srv === server, port: typeof server.port });
  },
  error(err) {
    return new Response(`handled: ${err.message}`, { status: 418 });
  },
});
console.log(`Listening on ${server.url}`);
"#,
  );
  let server = Server::start(&apps);
  assert_eq!(server.get("/script/hello/ada").await.body, "hello ada");
  assert_eq!(
    server.get("/script/other").await.json(),
    serde_json::json!({"same": true, "port": "number"})
  );
  let boom = server.get("/script/boom").await;
  assert_eq!((boom.status, boom.body.as_str()), (418, "handled: kaboom"));
}
