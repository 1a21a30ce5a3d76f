//! Hostile tenants: an app folder an attacker controls must not reach the
//! engine, another app, the admin API or the server's secrets, and must not
//! take the server down. Each test ends by checking that the server is
//! alive and that an innocent app still answers.

use crate::harness::{assert_neighbour_serves, with_neighbour, Apps, Server};

/// The server's thread count once it is at most `at_most`, or after 10 s.
async fn threads_settle(server: &Server, at_most: usize) -> usize {
  let mut threads = server.threads();
  for _ in 0..100 {
    if threads <= at_most {
      break;
    }
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    threads = server.threads();
  }
  threads
}

#[tokio::test]
async fn app_code_sees_no_engine_globals_and_cannot_import_engine_modules() {
  let apps = Apps::new();
  with_neighbour(&apps);
  // Probes at load time and at request time: both must find nothing.
  apps.js(
    "probe/1.0.0",
    r#"const atLoad = [typeof Deno, typeof __bootstrap, typeof __buntime];
let panicked = "not reached";
try { Deno.core.ops.op_panic("x"); } catch (err) { panicked = err.constructor.name; }
export default {
  async fetch() {
    const names = Object.getOwnPropertyNames(globalThis)
      .filter((name) => /^(deno|__bootstrap|__buntime)$/i.test(name));
    const imports = {};
    for (const specifier of ["ext:core/ops", "ext:core/mod.js", "ext:buntime/99_main.js", "node:_host"]) {
      imports[specifier] = await import(specifier).then(() => "imported", (err) => err.constructor.name);
    }
    return Response.json({
      atLoad,
      atRequest: [typeof Deno, typeof __bootstrap, typeof __buntime],
      names,
      panicked,
      imports,
    });
  },
};
"#,
  );
  let mut server = Server::start(&apps);
  let reply = server.get("/probe").await;
  assert_eq!(reply.status, 200, "{}", reply.body);
  let seen = reply.json();
  let undefined = serde_json::json!(["undefined", "undefined", "undefined"]);
  assert_eq!(seen["atLoad"], undefined, "{seen}");
  assert_eq!(seen["atRequest"], undefined, "{seen}");
  assert_eq!(seen["names"], serde_json::json!([]), "{seen}");
  assert_eq!(seen["panicked"], "ReferenceError", "{seen}");
  for (specifier, outcome) in seen["imports"].as_object().unwrap() {
    assert_eq!(outcome, "TypeError", "import {specifier}: {seen}");
  }
  assert_neighbour_serves(&mut server).await;
}

#[tokio::test]
async fn an_informational_status_never_reaches_the_client() {
  let apps = Apps::new();
  with_neighbour(&apps);
  apps.js(
    "switch/1.0.0",
    r#"export default { fetch() { return new Response(null, { status: 101 }); } };"#,
  );
  let mut server = Server::start(&apps);
  // Two requests on one keep-alive connection: the second must be answered.
  for _ in 0..2 {
    let reply = server.get("/switch").await;
    assert_eq!(reply.status, 500, "{}", reply.body);
  }
  assert_neighbour_serves(&mut server).await;
}

#[tokio::test]
async fn proxy_rules_expand_only_the_apps_own_environment() {
  let apps = Apps::new();
  with_neighbour(&apps);
  // The rule tries to lift the admin token and a server variable the app
  // was not given; both must be config errors, not expansions.
  apps.file(
    "leak/1.0.0/worker.config.json",
    r#"{ "proxy": { "^/x": { "target": "http://127.0.0.1:1", "headers": { "x-leak": "${ADMIN_TOKEN}" } } } }"#,
  );
  apps.file(
    "leak2/1.0.0/worker.config.json",
    r#"{ "proxy": { "^/x": { "target": "http://${SERVER_SECRET}" } } }"#,
  );
  // The app's own `.env` (and the allow-list) do expand.
  apps.file(
    "own/1.0.0/worker.config.json",
    r#"{ "proxy": { "^/x": { "target": "http://${OWN_HOST}" } } }"#,
  );
  apps.file("own/1.0.0/.env", "OWN_HOST=127.0.0.1:1\n");
  let mut server = Server::start_with(
    &apps,
    &[
      ("ADMIN_TOKEN", "tok-secret-123"),
      ("SERVER_SECRET", "127.0.0.1:2"),
    ],
  );
  for app in ["leak", "leak2"] {
    let reply = server.get(&format!("/{app}/x")).await;
    assert_eq!(reply.status, 500, "{app}: {}", reply.body);
    assert!(
      reply.error().contains("is not set"),
      "{app}: {}",
      reply.body
    );
    assert!(!reply.body.contains("tok-secret-123"), "{}", reply.body);
  }
  // Expanded from `.env`: the (closed) upstream is tried.
  let own = server.get("/own/x").await;
  assert_eq!(own.status, 502, "{}", own.body);
  assert_neighbour_serves(&mut server).await;
}

#[tokio::test]
async fn static_sites_never_serve_dotfiles_config_or_databases() {
  let apps = Apps::new();
  with_neighbour(&apps);
  let home = "<html><head></head><body>home page</body></html>";
  apps
    .file("site/1.0.0/index.html", home)
    .file("site/1.0.0/.env", "SECRET=env-secret-1")
    .file("site/1.0.0/.git/config", "[remote] url = env-secret-2")
    .file(
      "site/1.0.0/worker.config.json",
      r#"{ "env": { "TOKEN": "env-secret-3" } }"#,
    )
    .file("site/1.0.0/package.json", r#"{ "name": "env-secret-4" }"#)
    .file("site/1.0.0/bun.lock", "env-secret-5")
    .file("site/1.0.0/data.db", "SQLite format 3 env-secret-6")
    .file("site/1.0.0/data.db-wal", "env-secret-7")
    .file(
      "site/1.0.0/.well-known/security.txt",
      "Contact: ops@example.com",
    )
    .file("site/1.0.0/public.txt", "plain content");
  #[cfg(unix)]
  std::os::unix::fs::symlink(".env", apps.path().join("site/1.0.0/notes.txt")).unwrap();
  let mut server = Server::start(&apps);
  for path in [
    "/site/.env",
    "/site/%2e%65nv",
    "/site/%2E%45NV",
    "/site/.git/config",
    "/site/worker.config.json",
    "/site/Worker.Config.json",
    "/site/package.json",
    "/site/bun.lock",
    "/site/data.db",
    "/site/data.db-wal",
    "/site/notes.txt",
  ] {
    let reply = server.get(path).await;
    // Exactly what a missing file gets: the SPA fallback.
    assert_eq!(reply.status, 200, "{path}: {}", reply.body);
    assert!(reply.body.contains("home page"), "{path}: {}", reply.body);
    assert!(!reply.body.contains("env-secret"), "{path}: {}", reply.body);
  }
  let public = server.get("/site/public.txt").await;
  assert_eq!(public.body, "plain content");
  let known = server.get("/site/.well-known/security.txt").await;
  assert_eq!(known.body, "Contact: ops@example.com");
  assert_neighbour_serves(&mut server).await;
}

#[tokio::test]
async fn app_output_is_one_tagged_line_per_message_and_rate_limited() {
  let apps = Apps::new();
  with_neighbour(&apps);
  apps.js(
    "flood/1.0.0",
    r#"export default {
  fetch() {
    console.log("hello\n2026-01-01T00:00:00Z  INFO app: FORGED app=neighbour@1.0.0");
    process.stdout.write("raw\nFORGED too\n");
    const line = "x".repeat(1000);
    for (let i = 0; i < 20000; i++) console.log(line);
    for (let i = 0; i < 20000; i++) process.stderr.write(line + "\n");
    return new Response("flooded");
  },
};
"#,
  );
  let mut server = Server::start_with(&apps, &[("APP_LOG_KB_PER_SEC", "64")]);
  let reply = server.get("/flood").await;
  assert_eq!(reply.body, "flooded");
  let log = server.log();
  // 40 MB asked for; the budget is 64 KB/s with a 256 KB burst.
  assert!(
    log.len() < 2 * 1024 * 1024,
    "log grew to {} bytes",
    log.len()
  );
  let forged: Vec<&str> = log.lines().filter(|l| l.contains("FORGED")).collect();
  assert_eq!(forged.len(), 2, "{forged:?}");
  for line in forged {
    assert!(line.contains("flood@1.0.0"), "{line}");
    assert!(line.contains("\\n"), "{line}");
  }
  let metrics = server.get("/_/metrics").await.json();
  let dropped = metrics["logMessagesDropped"].as_u64().unwrap();
  assert!(dropped > 35_000, "{metrics}");
  assert!(log.contains("log messages dropped"), "no notice");
  assert_neighbour_serves(&mut server).await;
}

#[tokio::test]
async fn sqlite_cannot_attach_or_vacuum_into_files_outside_the_app() {
  let apps = Apps::new();
  with_neighbour(&apps);
  let outside = apps.path().join("stolen.db");
  let neighbour_page = apps.path().join("neighbour/1.0.0/index.html");
  let code = r#"import { Database } from "bun:sqlite";
export default {
  fetch() {
    const db = new Database("own.db");
    db.exec("CREATE TABLE IF NOT EXISTS t (v TEXT); INSERT INTO t VALUES ('<h1>owned</h1>')");
    const tries = {};
    for (const [name, sql] of Object.entries({
      attach: "ATTACH DATABASE 'OUTSIDE' AS x",
      attachUri: "ATTACH DATABASE 'file:OUTSIDE?mode=rwc' AS x",
      vacuumInto: "VACUUM INTO 'NEIGHBOUR'",
      vacuumOutside: "VACUUM INTO 'OUTSIDE'",
      tempDir: "PRAGMA temp_store_directory = '/tmp'",
    })) {
      try { db.exec(sql); tries[name] = "ran"; } catch (err) { tries[name] = "refused"; }
    }
    tries.ownStillWorks = db.query("SELECT count(*) AS n FROM t").get().n;
    return Response.json(tries);
  },
};
"#
  .replace("OUTSIDE", outside.to_str().unwrap())
  .replace("NEIGHBOUR", neighbour_page.to_str().unwrap());
  apps.js("sql/1.0.0", &code);
  let mut server = Server::start(&apps);
  let reply = server.get("/sql").await;
  assert_eq!(reply.status, 200, "{}", reply.body);
  let tries = reply.json();
  for name in [
    "attach",
    "attachUri",
    "vacuumInto",
    "vacuumOutside",
    "tempDir",
  ] {
    assert_eq!(tries[name], "refused", "{name}: {tries}");
  }
  assert_eq!(tries["ownStillWorks"], 1, "{tries}");
  assert!(!outside.exists(), "a database was made outside the app");
  assert!(
    !neighbour_page.exists(),
    "the neighbour became a static site"
  );
  assert_neighbour_serves(&mut server).await;
}

#[tokio::test]
async fn sqlite_files_of_an_app_stay_within_its_quota() {
  let apps = Apps::new();
  with_neighbour(&apps);
  apps.js(
    "filler/1.0.0",
    r#"import { Database } from "bun:sqlite";
export default {
  fetch() {
    // Two databases: the quota is the app's, not each file's.
    const out = {};
    for (const name of ["a.db", "b.db"]) {
      const db = new Database(name);
      db.exec("CREATE TABLE IF NOT EXISTS t (v BLOB)");
      const insert = db.prepare("INSERT INTO t VALUES (randomblob(65536))");
      let rows = 0;
      try {
        for (let i = 0; i < 2000; i++) { insert.run(); rows++; }
        out[name] = "unbounded";
      } catch (err) {
        out[name] = String(err.message).includes("full") ? "full" : err.message;
      }
      out[name + "Rows"] = rows;
      db.close();
    }
    return Response.json(out);
  },
};
"#,
  );
  let mut server = Server::start_with(&apps, &[("SQLITE_QUOTA_MB", "4")]);
  let reply = server.get("/filler").await;
  assert_eq!(reply.status, 200, "{}", reply.body);
  let out = reply.json();
  assert_eq!(out["a.db"], "full", "{out}");
  assert_eq!(out["b.db"], "full", "{out}");
  let on_disk: u64 = std::fs::read_dir(apps.path().join("filler/1.0.0"))
    .unwrap()
    .filter_map(|entry| entry.ok()?.metadata().ok())
    .map(|meta| meta.len())
    .sum();
  // 4 MB quota; one transaction's worth of slack at most.
  assert!(on_disk < 5 << 20, "{on_disk} bytes on disk");
  assert_neighbour_serves(&mut server).await;
}

#[tokio::test]
async fn a_runaway_sqlite_query_is_stopped_and_its_thread_freed() {
  let apps = Apps::new();
  with_neighbour(&apps);
  apps.file(
    "spin/1.0.0/worker.config.json",
    r#"{ "ttl": 60, "timeout": 0.5 }"#,
  );
  apps.js(
    "spin/1.0.0",
    r#"import { Database } from "bun:sqlite";
const db = new Database(":memory:");
export default {
  fetch() {
    return Response.json(db.query(
      "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) AS n FROM c",
    ).get());
  },
};
"#,
  );
  let mut server = Server::start(&apps);
  assert_neighbour_serves(&mut server).await;
  let before = server.threads();
  for round in 0..4 {
    let started = std::time::Instant::now();
    let reply = server.get("/spin").await;
    // A request queued behind the stuck one on the same worker is failed
    // (503, retry) when that worker is stopped.
    let expected: &[u16] = if round == 0 { &[504] } else { &[503, 504] };
    assert!(
      expected.contains(&reply.status),
      "round {round} after {:?}: {} {}",
      started.elapsed(),
      reply.status,
      reply.body
    );
  }
  // Each stopped worker's thread ends; none keeps spinning.
  let threads = threads_settle(&server, before + 1).await;
  assert!(threads <= before + 1, "threads {before} -> {threads}");
  assert_neighbour_serves(&mut server).await;
}

#[tokio::test]
async fn decompression_bombs_and_huge_password_costs_are_refused() {
  let apps = Apps::new();
  with_neighbour(&apps);
  apps.js(
    "bomb/1.0.0",
    r#"export default {
  async fetch(req) {
    const out = {};
    const attempt = async (name, fn) => {
      try { await fn(); out[name] = "ran"; } catch (err) { out[name] = err.constructor.name; }
    };
    // 64 MB of zeros gzip to ~64 KB; the limit here is 8 MB.
    const bomb = new Uint8Array(await req.arrayBuffer());
    await attempt("gunzip", () => Bun.gunzipSync(bomb));
    // The same bomb through the web API, as one 64 KB chunk.
    try {
      const inflated = new Blob([bomb]).stream().pipeThrough(new DecompressionStream("gzip"));
      out.stream = (await new Response(inflated).arrayBuffer()).byteLength;
    } catch (err) {
      out.stream = err.message.includes("limit") ? "limited" : err.message;
    }
    const small = new Blob([Bun.gzipSync(new TextEncoder().encode("hello"))]).stream();
    out.smallStream = await new Response(small.pipeThrough(new DecompressionStream("gzip"))).text();
    await attempt("small", () => Bun.gunzipSync(Bun.gzipSync(new Uint8Array(1000))));
    await attempt("bcrypt", () => Bun.password.hash("pw", { algorithm: "bcrypt", cost: 31 }));
    await attempt("argon2", () => Bun.password.hash("pw", { algorithm: "argon2id", memoryCost: 4 * 1024 * 1024 }));
    await attempt("verifyArgon2", () => Bun.password.verify("pw",
      "$argon2id$v=19$m=4194304,t=1,p=1$c2FsdHNhbHQ$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
    await attempt("verifyBcrypt", () => Bun.password.verify("pw",
      "$2b$31$abcdefghijklmnopqrstuuAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
    return Response.json(out);
  },
};
"#,
  );
  let mut server = Server::start_with(&apps, &[("MAX_DECOMPRESSED_MB", "8")]);
  let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
  std::io::Write::write_all(&mut gz, &vec![0u8; 64 << 20]).unwrap();
  let bomb = gz.finish().unwrap();
  let rss_before = server.rss_mb();
  let reply = server.post("/bomb", bomb).await;
  assert_eq!(reply.status, 200, "{}", reply.body);
  let out = reply.json();
  assert_eq!(out["gunzip"], "RangeError", "{out}");
  assert_eq!(out["small"], "ran", "{out}");
  assert_eq!(out["stream"], "limited", "{out}");
  assert_eq!(out["smallStream"], "hello", "{out}");
  for name in ["bcrypt", "argon2", "verifyArgon2", "verifyBcrypt"] {
    assert_eq!(out[name], "RangeError", "{name}: {out}");
  }
  assert!(
    server.rss_mb() < rss_before + 200.0,
    "RSS {rss_before} -> {} MB",
    server.rss_mb()
  );
  assert_neighbour_serves(&mut server).await;
}

#[tokio::test]
async fn the_servers_own_apps_and_proxy_never_reach_the_admin_api() {
  let apps = Apps::new();
  with_neighbour(&apps);
  // No ADMIN_TOKEN: loopback clients are trusted, but not the server's own.
  apps.js(
    "thief/1.0.0",
    r#"export default {
  async fetch(req) {
    const port = new URL(req.url).port;
    const out = {};
    for (const url of [
      `http://127.0.0.1:${port}/_/metrics`,
      `http://localhost:${port}/_/deployments`,
      `http://[::ffff:127.0.0.1]:${port}/_/stats`,
    ]) {
      const res = await fetch(url);
      out[url.replace(port, "PORT")] = res.status;
    }
    const upload = new FormData();
    upload.append("file", new Blob(["export default { fetch() { return new Response('pwned') } }"]), "index.js");
    const res = await fetch(`http://127.0.0.1:${port}/_/deployments/upload?app=neighbour&version=9.9.9`, {
      method: "POST",
      body: upload,
    });
    out.upload = res.status;
    return Response.json(out);
  },
};
"#,
  );
  apps.js(
    "tunnel/1.0.0",
    "export default { fetch() { return new Response('worker') } }",
  );
  let mut server = Server::start(&apps);
  let port = server.addr().rsplit(':').next().unwrap().to_string();
  // Written after start: the rule needs the server's port. A proxy that
  // rewrites into /_/ must not hand out the loopback trust.
  apps.file(
    "tunnel/1.0.0/worker.config.json",
    format!(r#"{{ "proxy": {{ "^/(.*)$": {{ "target": "http://127.0.0.1:{port}", "rewrite": "/_/$1" }} }} }}"#),
  );
  let reply = server.get("/thief").await;
  assert_eq!(reply.status, 200, "{}", reply.body);
  for (url, status) in reply.json().as_object().unwrap() {
    assert_eq!(status, 403, "{url}: {}", reply.body);
  }
  // The rule takes effect once the change notice arrives (at most a
  // second: the config cache's lifetime); until then the app answers.
  let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
  while server.get("/tunnel/metrics").await.body == "worker" && std::time::Instant::now() < deadline
  {
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
  }
  for path in ["/tunnel/metrics", "/tunnel/deployments"] {
    let reply = server.get(path).await;
    assert_eq!(reply.status, 403, "{path}: {}", reply.body);
    assert!(reply.error().contains("server's own"), "{}", reply.body);
  }
  // The operator on loopback still gets in.
  assert_eq!(server.get("/_/metrics").await.status, 200);
  let neighbour = server.get("/neighbour@9.9.9").await;
  assert_ne!(neighbour.body, "pwned");
  assert_neighbour_serves(&mut server).await;
}

/// A host name (not `localhost`, which is refused by name) that the
/// system resolves to a loopback or private address: from /etc/hosts, as
/// containers and distributions write it (`ip6-localhost`, the hostname).
fn private_name() -> String {
  let hosts = std::fs::read_to_string("/etc/hosts").unwrap_or_default();
  for line in hosts.lines() {
    let mut fields = line.split('#').next().unwrap_or("").split_whitespace();
    let Some(Ok(ip)) = fields.next().map(str::parse::<std::net::IpAddr>) else {
      continue;
    };
    let private = match ip {
      std::net::IpAddr::V4(v4) => v4.is_loopback() || v4.is_private(),
      std::net::IpAddr::V6(v6) => v6.is_loopback(),
    };
    if let Some(name) =
      fields.find(|name| private && !name.contains("localhost.") && *name != "localhost")
    {
      return name.to_string();
    }
  }
  panic!("no name in /etc/hosts resolves to a private address: {hosts}");
}

#[tokio::test]
async fn the_private_address_policy_checks_resolved_names_and_proxy_targets() {
  let up = crate::proxy::upstream().await;
  let apps = Apps::new();
  with_neighbour(&apps);
  apps.js(
    "probe/1.0.0",
    &r#"export default {
  async fetch() {
    const out = {};
    for (const url of ["http://127.0.0.1:UP/a", "http://NAME:UP/a", "http://localhost:UP/a"]) {
      try { out[url] = (await fetch(url)).status; } catch (err) { out[url] = err.constructor.name; }
    }
    return Response.json(out);
  },
};
"#
    .replace("UP", &up.to_string())
    .replace("NAME", &private_name()),
  );
  let name = private_name();
  for (name, host) in [
    ("literal", "127.0.0.1"),
    ("named", name.as_str()),
    ("listed", "[::1]"),
  ] {
    apps.js(
      &format!("{name}/1.0.0"),
      "export default { fetch() { return new Response('worker') } }",
    );
    apps.file(
      &format!("{name}/1.0.0/worker.config.json"),
      format!(r#"{{ "proxy": {{ "^/up/(.*)$": {{ "target": "http://{host}:{up}", "rewrite": "/$1" }} }} }}"#),
    );
  }
  let mut server = Server::start_with(
    &apps,
    &[
      ("BLOCK_PRIVATE_FETCH", "true"),
      ("PROXY_PRIVATE_TARGETS", "::1,upstream.internal"),
    ],
  );
  let reply = server.get("/probe").await;
  assert_eq!(reply.status, 200, "{}", reply.body);
  for (url, outcome) in reply.json().as_object().unwrap() {
    assert_eq!(outcome, "TypeError", "{url}: {}", reply.body);
  }
  for app in ["literal", "named"] {
    let reply = server.get(&format!("/{app}/up/x")).await;
    assert_eq!(reply.status, 403, "{app}: {}", reply.body);
    assert!(reply.error().contains("blocked"), "{app}: {}", reply.body);
  }
  // Named in PROXY_PRIVATE_TARGETS: allowed through (the upstream listens
  // on IPv4 only, so the connection itself fails: 502, not 403).
  let listed = server.get("/listed/up/x").await;
  assert_eq!(listed.status, 502, "{}", listed.body);
  assert_neighbour_serves(&mut server).await;
}

#[tokio::test]
async fn ttl0_isolates_are_capped_and_stopped_at_their_timeout() {
  let apps = Apps::new();
  with_neighbour(&apps);
  apps.file("hang/1.0.0/worker.config.json", r#"{ "timeout": 1 }"#);
  apps.js(
    "hang/1.0.0",
    "export default { async fetch() { await new Promise((r) => setTimeout(r, 1e9)); return new Response('late'); } };",
  );
  let mut server = Server::start_with(
    &apps,
    &[("FRESH_WORKERS_MAX", "8"), ("FRESH_WORKERS_PER_APP", "4")],
  );
  assert_neighbour_serves(&mut server).await;
  let before = server.threads();
  let url = server.url("/hang");
  let client = reqwest::Client::new();
  let requests: Vec<_> = (0..40)
    .map(|_| {
      let (client, url) = (client.clone(), url.clone());
      tokio::spawn(async move { client.get(url).send().await.map(|r| r.status().as_u16()) })
    })
    .collect();
  // While they run: never more isolates than the app's cap, the rest
  // wait, and the neighbour still has room.
  let (mut most_running, mut most_queued) = (0, 0);
  for _ in 0..8 {
    let metrics = server.get("/_/metrics").await.json();
    most_running = most_running.max(metrics["freshWorkers"].as_u64().unwrap());
    most_queued = most_queued.max(metrics["freshQueued"].as_u64().unwrap());
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
  }
  assert_neighbour_serves(&mut server).await;
  let mut statuses = Vec::new();
  for request in requests {
    statuses.push(request.await.unwrap().unwrap());
  }
  // 504 for those that ran, 503 for those whose wait outlasted their timeout.
  assert!(
    statuses.iter().all(|s| *s == 503 || *s == 504),
    "{statuses:?}"
  );
  assert!(most_running <= 4, "{most_running} running");
  // (Uncapped, nothing would queue; how many are seen waiting depends on
  // how fast the 40 arrive on a loaded machine.)
  assert!(most_queued >= 10, "{most_queued} queued");
  // (Threads are not a measure while the burst runs: a worker thread that
  // adopted one of the client's keep-alive connections serves it until the
  // client closes it, isolate or not.)
  // Timed-out isolates were stopped, not left holding their threads (a
  // thread that adopted a connection keeps it until the client closes it).
  drop(client);
  let threads = threads_settle(&server, before + 1).await;
  let names: Vec<String> = std::fs::read_dir(format!("/proc/{}/task", server.pid()))
    .unwrap()
    .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
    .collect();
  assert!(
    threads <= before + 1,
    "threads {before} -> {threads} {names:?}"
  );
  assert_eq!(server.get("/_/metrics").await.json()["freshWorkers"], 0);
  assert_neighbour_serves(&mut server).await;
}

#[tokio::test]
async fn a_ttl0_request_over_the_global_cap_waits_then_answers_503() {
  let apps = Apps::new();
  with_neighbour(&apps);
  apps.file("hold/1.0.0/worker.config.json", r#"{ "timeout": 3 }"#);
  apps.js(
    "hold/1.0.0",
    "export default { async fetch() { await new Promise((r) => setTimeout(r, 1e9)); return new Response('late'); } };",
  );
  apps.file("quick/1.0.0/worker.config.json", r#"{ "timeout": 0.3 }"#);
  apps.js(
    "quick/1.0.0",
    "export default { fetch() { return new Response('quick'); } };",
  );
  let mut server = Server::start_with(&apps, &[("FRESH_WORKERS_MAX", "1")]);
  let url = server.url("/hold");
  let held = tokio::spawn(async move { reqwest::get(url).await.map(|r| r.status().as_u16()) });
  tokio::time::sleep(std::time::Duration::from_millis(300)).await;
  let busy = server.get("/quick").await;
  assert_eq!(busy.status, 503, "{}", busy.body);
  assert_eq!(busy.header("retry-after"), "1");
  assert!(busy.error().contains("ttl: 0"), "{}", busy.body);
  assert_eq!(server.get("/_/metrics").await.json()["freshRejected"], 1);
  assert_eq!(held.await.unwrap().unwrap(), 504);
  // The place is free again.
  assert_eq!(server.get("/quick").await.body, "quick");
  assert_neighbour_serves(&mut server).await;
}

/// Sends raw bytes and reads what comes back until the server closes or
/// goes quiet.
async fn raw(addr: &str, request: &[u8]) -> String {
  use tokio::io::{AsyncReadExt, AsyncWriteExt};
  let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
  tcp.write_all(request).await.unwrap();
  let mut out = Vec::new();
  let mut buf = [0u8; 4096];
  loop {
    match tokio::time::timeout(std::time::Duration::from_secs(2), tcp.read(&mut buf)).await {
      Ok(Ok(n)) if n > 0 => out.extend_from_slice(&buf[..n]),
      _ => break,
    }
  }
  String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn connect_bare_lf_and_malformed_chunked_bodies_get_precise_errors() {
  let apps = Apps::new();
  with_neighbour(&apps);
  apps.js(
    "echo/1.0.0",
    "export default { async fetch(req) { return new Response(await req.text()); } };",
  );
  let mut server = Server::start(&apps);
  let addr = server.addr().to_string();
  for request in [
    "CONNECT host:22 HTTP/1.1\r\nHost: host:22\r\n\r\n",
    "CONNECT /echo HTTP/1.1\r\nHost: x\r\n\r\n",
  ] {
    let reply = raw(&addr, request.as_bytes()).await;
    assert!(reply.starts_with("HTTP/1.1 405"), "{request:?}: {reply}");
    assert!(reply.contains("\"error\""), "{reply}");
  }
  // Bare LF line ends, in the first request or after a good one.
  for request in [
    &b"GET /echo HTTP/1.1\nHost: x\n\n"[..],
    b"GET /echo HTTP/1.1\r\nHost: x\nX-Smuggle: 1\r\n\r\n",
  ] {
    let reply = raw(&addr, request).await;
    assert!(reply.starts_with("HTTP/1.1 400"), "{reply}");
    assert!(reply.contains("CRLF"), "{reply}");
  }
  let reply = raw(
    &addr,
    b"GET /neighbour HTTP/1.1\r\nHost: x\r\n\r\nGET /echo HTTP/1.1\nHost: x\n\n",
  )
  .await;
  assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
  assert!(reply.contains("still here"), "{reply}");
  assert!(reply.contains("HTTP/1.1 400"), "{reply}");
  // A chunk size beyond any length, read by the app: the client's fault.
  let reply = raw(
    &addr,
    b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFFFF\r\nabc\r\n0\r\n\r\n",
  )
  .await;
  assert!(reply.starts_with("HTTP/1.1 400"), "{reply}");
  assert!(reply.contains("Malformed request body"), "{reply}");
  // Well-formed chunks still arrive whole.
  let reply = raw(
    &addr,
    b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
  )
  .await;
  assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
  assert!(reply.ends_with("abcde"), "{reply}");
  assert_neighbour_serves(&mut server).await;
}

#[tokio::test]
async fn websocket_queues_are_bounded_both_ways() {
  use futures::{SinkExt, StreamExt};
  use tokio_tungstenite::tungstenite::Message;
  let apps = Apps::new();
  with_neighbour(&apps);
  // /flood: the app ignores -1 and keeps sending to a client that never
  // reads. /slow: a handler far slower than its client.
  apps.file("ws/1.0.0/worker.config.json", r#"{ "ttl": 60 }"#);
  apps.js(
    "ws/1.0.0",
    r#"const chunk = "x".repeat(1 << 20);
globalThis.sendResults = { queued: 0, backpressure: 0, dropped: 0 };
export default {
  fetch(req, server) {
    const path = new URL(req.url).pathname;
    if (path === "/results") return Response.json(globalThis.sendResults);
    if (server.upgrade(req, { data: { path } })) return;
    return new Response("no", { status: 400 });
  },
  websocket: {
    open(ws) {
      if (ws.data.path !== "/flood") return;
      for (let i = 0; i < 200; i++) {
        const n = ws.send(chunk);
        if (n > 0) sendResults.queued++;
        else if (n === -1) sendResults.backpressure++;
        else sendResults.dropped++;
      }
    },
    message(ws) {
      // /stuck: the first message takes 6 s, longer than a pause may last.
      // Blocks the thread without burning CPU the other tests need.
      const stuck = ws.data.path === "/stuck" && !ws.data.seen;
      ws.data.seen = true;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, stuck ? 6000 : 20);
    },
  },
};
"#,
  );
  // Relayed by the front end (no connection affinity), so the relay keeps
  // reading while the app's thread is busy: what the limits are for.
  let mut server = Server::start_with(
    &apps,
    &[("WS_MAX_PAYLOAD_MB", "1"), ("CONNECTION_AFFINITY", "false")],
  );
  let ws_url = server.url("/ws").replace("http://", "ws://");
  let rss_before = server.rss_mb();

  // Send side: 200 MB asked for; the 16 MB limit plus what the sockets'
  // buffers took meanwhile is queued, the rest refused with -1.
  let (flood, _) = tokio_tungstenite::connect_async(format!("{ws_url}/flood"))
    .await
    .unwrap();
  tokio::time::sleep(std::time::Duration::from_millis(500)).await;
  let results = server.get("/ws/results").await.json();
  assert!(results["queued"].as_u64().unwrap() <= 40, "{results}");
  assert!(
    results["backpressure"].as_u64().unwrap() >= 160,
    "{results}"
  );
  assert!(
    server.rss_mb() < rss_before + 150.0,
    "RSS {rss_before} -> {}",
    server.rss_mb()
  );
  drop(flood);

  // Receive side: 512 KB messages as fast as the socket takes them, to a
  // handler that needs 20 ms each: the client is held to the app's pace.
  let (slow, _) = tokio_tungstenite::connect_async(format!("{ws_url}/slow"))
    .await
    .unwrap();
  let (mut tx, _rx) = slow.split();
  let payload = "y".repeat(512 << 10);
  let mut sent = 0u64;
  let _ = tokio::time::timeout(std::time::Duration::from_secs(3), async {
    while tx.send(Message::text(payload.clone())).await.is_ok() {
      sent += 1;
    }
  })
  .await;
  // The app takes at most 150 in 3 s; the rest is what the limits and the
  // socket buffers hold. Unpaced, a loopback client sends thousands.
  assert!(sent < 400, "the client was not paced: {sent} sent in 3 s");
  drop(tx);

  // A handler that takes nothing for longer than the pause allows: 1008.
  let (stuck, _) = tokio_tungstenite::connect_async(format!("{ws_url}/stuck"))
    .await
    .unwrap();
  let (mut tx, mut rx) = stuck.split();
  let sender = tokio::spawn(async move {
    let payload = "z".repeat(512 << 10);
    while tx.send(Message::text(payload.clone())).await.is_ok() {}
  });
  let close = tokio::time::timeout(std::time::Duration::from_secs(20), async {
    while let Some(message) = rx.next().await {
      if let Ok(Message::Close(frame)) = message {
        return frame.map(|f| u16::from(f.code));
      }
    }
    None
  })
  .await
  .expect("closed within 20 s");
  assert_eq!(close, Some(1008));
  sender.abort();
  assert!(
    server.rss_mb() < rss_before + 200.0,
    "RSS {rss_before} -> {}",
    server.rss_mb()
  );
  assert_neighbour_serves(&mut server).await;
}

#[tokio::test]
async fn array_buffer_memory_counts_toward_the_isolates_limit() {
  let apps = Apps::new();
  with_neighbour(&apps);
  apps.file("big/1.0.0/worker.config.json", r#"{ "ttl": 60 }"#);
  apps.js(
    "big/1.0.0",
    r#"const held = [];
export default {
  fetch(req) {
    const path = new URL(req.url).pathname;
    if (path === "/huge") new Uint8Array(2 ** 31 - 1);
    if (path === "/many") for (let i = 0; i < 16; i++) held.push(new Uint8Array(32 << 20).fill(1));
    // Well inside the budget: fine.
    return new Response(String(new Uint8Array(16 << 20).fill(7)[0]));
  },
};
"#,
  );
  let mut server = Server::start_with(&apps, &[("WORKER_HEAP_MB", "64")]);
  let rss_before = server.rss_mb();
  assert_eq!(server.get("/big/small").await.body, "7");
  // Past the budget the worker is stopped like one out of heap: 503, and
  // the memory was never taken.
  for path in ["/big/huge", "/big/many"] {
    let reply = server.get(path).await;
    assert_eq!(reply.status, 503, "{path}: {}", reply.body);
    assert!(reply.error().contains("memory limit"), "{}", reply.body);
    assert!(
      server.rss_mb() < rss_before + 150.0,
      "RSS {rss_before} -> {}",
      server.rss_mb()
    );
  }
  // The next request gets a fresh worker.
  assert_eq!(server.get("/big/small").await.body, "7");
  assert_neighbour_serves(&mut server).await;
}

#[tokio::test]
async fn errors_and_paths_never_show_where_the_server_keeps_apps() {
  let apps = Apps::new();
  with_neighbour(&apps);
  apps.file("paths/1.0.0/data.txt", "hello");
  apps.js(
    "paths/1.0.0",
    r#"import fs from "node:fs";
import path from "node:path";
export default {
  async fetch(req) {
    if (new URL(req.url).pathname === "/throw") throw new Error("boom");
    return Response.json({
      cwd: process.cwd(),
      dir: import.meta.dir,
      url: import.meta.url,
      fs: fs.readFileSync(path.join(process.cwd(), "data.txt"), "utf8"),
      fsDir: fs.readFileSync(path.join(import.meta.dir, "data.txt"), "utf8"),
      bunFile: await Bun.file(`${import.meta.dir}/data.txt`).text(),
      relative: fs.readFileSync("data.txt", "utf8"),
    });
  },
};
"#,
  );
  apps.js("broken/1.0.0", "import './missing.js';\nexport default {};");
  apps.js("throws/1.0.0", "null.x;\nexport default {};");
  let mut server = Server::start(&apps);
  let real = apps.path().canonicalize().unwrap();
  let real = real.to_str().unwrap();
  let seen = server.get("/paths").await;
  assert_eq!(seen.status, 200, "{}", seen.body);
  let seen = seen.json();
  assert_eq!(seen["cwd"], "/app", "{seen}");
  assert_eq!(seen["dir"], "/app", "{seen}");
  assert_eq!(seen["url"], "file:///app/index.js", "{seen}");
  for key in ["fs", "fsDir", "bunFile", "relative"] {
    assert_eq!(seen[key], "hello", "{key}: {seen}");
  }
  for path in ["/paths/throw", "/broken", "/throws"] {
    let reply = server.get(path).await;
    assert_eq!(reply.status, 500, "{path}: {}", reply.body);
    let error = reply.error();
    assert!(!error.contains(real), "{path}: {error}");
    assert!(!error.contains("file://"), "{path}: {error}");
    assert!(
      !error.contains("ext:") && !error.contains("node:"),
      "{path}: {error}"
    );
  }
  let thrown = server.get("/paths/throw").await.error();
  assert!(thrown.starts_with("Error: boom"), "{thrown}");
  // Stack frames, even the app's own, only in development (and the log).
  assert!(!thrown.contains("index.js:5:"), "{thrown}");
  assert!(server.log().contains("boom"));
  assert!(server.log().contains("index.js:5:"));
  assert_neighbour_serves(&mut server).await;
}

#[tokio::test]
async fn a_panic_inside_an_op_stops_that_worker_and_never_the_process() {
  let apps = Apps::new();
  with_neighbour(&apps);
  apps.file(
    "crash/1.0.0/worker.config.json",
    r#"{ "ttl": 60, "timeout": 1 }"#,
  );
  apps.js(
    "crash/1.0.0",
    r#"export default {
  fetch(req) {
    if (new URL(req.url).pathname === "/boom") console.log("PANIC-NOW");
    return new Response("alive");
  },
};
"#,
  );
  let mut server = Server::start_with(&apps, &[("BUNTIME_FAULT_PANIC", "PANIC-NOW")]);
  assert_eq!(server.get("/crash").await.body, "alive");
  // Its answer can only be a timeout or, on a connection the worker's own
  // thread was serving, the connection closed; never a hang.
  let boom = reqwest::Client::new()
    .get(server.url("/crash/boom"))
    .timeout(std::time::Duration::from_secs(20))
    .send()
    .await;
  match boom {
    Ok(reply) => assert_eq!(reply.status(), 504),
    Err(err) => assert!(!err.is_timeout(), "the client was left hanging: {err}"),
  }
  assert!(server.is_running(), "the process died: {}", server.log());
  assert!(server.log().contains("panicked"), "{}", server.log());
  // The app gets a fresh worker; everyone else never noticed.
  assert_eq!(server.get("/crash").await.body, "alive");
  assert_neighbour_serves(&mut server).await;
}

#[tokio::test]
async fn the_admin_token_check_is_strict_about_its_header() {
  let apps = Apps::new();
  with_neighbour(&apps);
  let mut server = Server::start_with(&apps, &[("ADMIN_TOKEN", "tok-secret-123")]);
  let client = reqwest::Client::new();
  let metrics = server.url("/_/metrics");
  let status = |request: reqwest::RequestBuilder| async move {
    request.send().await.unwrap().status().as_u16()
  };
  // The scheme in any case (RFC 9110 §11.1).
  for scheme in ["Bearer", "bearer", "BEARER"] {
    let request = client
      .get(&metrics)
      .header("authorization", format!("{scheme} tok-secret-123"));
    assert_eq!(status(request).await, 200, "{scheme}");
  }
  for wrong in [
    "Bearer tok-secret-12",
    "Bearer tok-secret-1234",
    "Bearer x",
    "Basic tok-secret-123",
    "",
  ] {
    let request = client.get(&metrics).header("authorization", wrong);
    assert_eq!(status(request).await, 401, "{wrong:?}");
  }
  // Two credentials: which one would a proxy in front have checked?
  let request = client
    .get(&metrics)
    .header("authorization", "Bearer wrong")
    .header("authorization", "Bearer tok-secret-123");
  assert_eq!(status(request).await, 400);
  assert_neighbour_serves(&mut server).await;
}
