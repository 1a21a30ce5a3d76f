//! Invalid settings stop start-up with one line naming the setting.

use crate::harness::{server_command, Apps};

fn start_up_error(env: &[(&str, &str)]) -> (i32, String) {
  let apps = Apps::new();
  let output = server_command(apps.path(), env)
    .output()
    .expect("run buntime-embedded");
  let stderr = String::from_utf8_lossy(&output.stderr).trim().to_string();
  (output.status.code().unwrap_or(-1), stderr)
}

#[test]
fn invalid_settings_name_the_setting() {
  for (env, expected) in [
    (vec![("PORT", "eighty")], "--port"),
    (vec![("PORT", "70000")], "--port"),
    (vec![("POOL_SIZE", "0")], "--pool-size"),
    (vec![("POOL_SIZE", "lots")], "--pool-size"),
    (vec![("NODE_ENV", "qa")], "--node-env"),
    (vec![("HOST", "not a host")], "--host"),
    (vec![("APPS_DIR", "/definitely/not/here")], "APPS_DIR"),
    // hyper needs a read buffer of at least 8 KB.
    (vec![("MAX_HEADER_KB", "4")], "--max-header-kb"),
    (vec![("HEADER_READ_TIMEOUT", "0")], "--header-read-timeout"),
    (vec![("BODY_READ_TIMEOUT", "soon")], "--body-read-timeout"),
    (vec![("MAX_BODY_MB", "0")], "--max-body-mb"),
  ] {
    let (code, stderr) = start_up_error(&env);
    assert_eq!(code, 2, "{env:?}: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "{env:?}: {stderr}");
    assert!(stderr.contains(expected), "{env:?}: {stderr}");
  }
}

#[tokio::test]
async fn apps_see_the_servers_node_env_unless_they_set_their_own() {
  let apps = Apps::new();
  let code = "export default { fetch() { return new Response(String(process.env.NODE_ENV) + ' ' + Bun.env.NODE_ENV) } }";
  apps.js("plain/1.0.0", code);
  apps.js("own/1.0.0", code);
  apps.file(
    "own/1.0.0/worker.config.json",
    r#"{ "env": { "NODE_ENV": "development" } }"#,
  );
  apps.js("dotenv/1.0.0", code);
  apps.file("dotenv/1.0.0/.env", "NODE_ENV=staging\n");
  let server = crate::harness::Server::start_with(&apps, &[("NODE_ENV", "production")]);
  assert_eq!(server.get("/plain").await.body, "production production");
  assert_eq!(server.get("/own").await.body, "development development");
  assert_eq!(server.get("/dotenv").await.body, "staging staging");
}
