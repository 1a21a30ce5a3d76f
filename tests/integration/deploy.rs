//! Deployment artefacts (Dockerfile, Kubernetes manifests) and scale-out:
//! two instances sharing one apps folder behind a real nginx.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::harness::{Apps, Reply, Server};
use crate::ops::program;

fn repo(relative: &str) -> PathBuf {
  Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

const MANIFESTS: [&str; 4] = ["deployment", "service", "hpa", "pvc"];

fn manifest_path(name: &str) -> PathBuf {
  repo(&format!("deploy/kubernetes/{name}.yaml"))
}

/// `kubernetes-validate` (PyPI, bundled schemas) in `target/py-tools`,
/// installed there on first use (as `.ci/run` does) so `cargo test` alone
/// works on a fresh machine.
fn kubernetes_validate() -> PathBuf {
  static INSTALLED: std::sync::Once = std::sync::Once::new();
  INSTALLED.call_once(|| {
    let venv = repo("target/py-tools");
    if venv.join("bin/kubernetes-validate").exists() {
      return;
    }
    let _ = Command::new("python3")
      .arg("-m")
      .arg("venv")
      .arg(&venv)
      .status();
    let _ = Command::new(venv.join("bin/pip"))
      .args([
        "install",
        "-q",
        "--disable-pip-version-check",
        "kubernetes-validate==1.37.0",
      ])
      .status();
  });
  program(
    &["kubernetes-validate"],
    &[repo("target/py-tools/bin")],
    "python3 -m venv target/py-tools && target/py-tools/bin/pip install kubernetes-validate",
  )
}

fn validate(files: &[PathBuf]) -> std::process::Output {
  Command::new(kubernetes_validate())
    .arg("--strict")
    .args(files)
    .output()
    .expect("run kubernetes-validate")
}

/// A manifest as JSON, read by the validator's own Python (it has PyYAML).
fn manifest(name: &str) -> Value {
  let tool = kubernetes_validate();
  let python = tool.with_file_name("python3");
  let python = if python.is_file() {
    python
  } else {
    PathBuf::from("python3")
  };
  let output = Command::new(python)
    .args([
      "-c",
      "import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))",
    ])
    .arg(manifest_path(name))
    .output()
    .expect("run python3");
  assert!(
    output.status.success(),
    "{}",
    String::from_utf8_lossy(&output.stderr)
  );
  serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn kubernetes_manifests_match_the_schemas() {
  let files: Vec<PathBuf> = MANIFESTS.iter().map(|n| manifest_path(n)).collect();
  let output = validate(&files);
  let report = format!(
    "{}{}",
    String::from_utf8_lossy(&output.stdout),
    String::from_utf8_lossy(&output.stderr)
  );
  assert!(output.status.success(), "{report}");
  for name in MANIFESTS {
    assert!(report.contains(&format!("{name}.yaml passed")), "{report}");
  }

  // The validator does reject a misspelt field and a mistyped value.
  let temp = tempfile::tempdir().unwrap();
  let hpa = std::fs::read_to_string(manifest_path("hpa")).unwrap();
  let deployment = std::fs::read_to_string(manifest_path("deployment")).unwrap();
  for (name, broken) in [
    (
      "hpa.yaml",
      hpa.replace("averageUtilization", "averageUtilisation"),
    ),
    (
      "deployment.yaml",
      deployment.replace("containerPort: 8080", "containerPort: \"8080\""),
    ),
  ] {
    let path = temp.path().join(name);
    std::fs::write(&path, broken).unwrap();
    assert!(!validate(&[path]).status.success(), "{name} not rejected");
  }
}

fn env_value<'a>(container: &'a Value, name: &str) -> &'a str {
  container["env"]
    .as_array()
    .unwrap()
    .iter()
    .find(|e| e["name"] == name)
    .and_then(|e| e["value"].as_str())
    .unwrap_or_else(|| panic!("no {name} in the container's env"))
}

/// The Dockerfile's instruction lines starting with `word`.
fn dockerfile(word: &str) -> Vec<String> {
  let text = std::fs::read_to_string(repo("Dockerfile")).unwrap();
  let joined = text.replace("\\\n", " ");
  joined
    .lines()
    .filter_map(|l| {
      l.trim()
        .strip_prefix(word)
        .map(|rest| rest.trim().to_string())
    })
    .collect()
}

#[tokio::test]
async fn kubernetes_manifests_fit_the_server_and_each_other() {
  let deployment = manifest("deployment");
  let service = manifest("service");
  let hpa = manifest("hpa");
  let pvc = manifest("pvc");

  let spec = &deployment["spec"];
  let pod = &spec["template"];
  let pod_labels = pod["metadata"]["labels"].as_object().unwrap();
  let selects = |selector: &Value| {
    selector
      .as_object()
      .unwrap()
      .iter()
      .all(|(k, v)| pod_labels.get(k) == Some(v))
  };
  assert!(selects(&spec["selector"]["matchLabels"]), "{spec}");
  assert!(selects(&service["spec"]["selector"]), "{service}");

  let container = &pod["spec"]["containers"][0];
  let port = &container["ports"][0];
  let container_port = port["containerPort"].as_u64().unwrap();
  let target = &service["spec"]["ports"][0]["targetPort"];
  assert!(
    *target == port["name"] || target.as_u64() == Some(container_port),
    "the Service targets {target}, the container listens on {port}"
  );
  assert_eq!(env_value(container, "PORT"), container_port.to_string());
  assert_eq!(
    pod["metadata"]["annotations"]["prometheus.io/port"],
    container_port.to_string()
  );

  let scale = &hpa["spec"]["scaleTargetRef"];
  assert_eq!(scale["kind"], deployment["kind"]);
  assert_eq!(scale["apiVersion"], deployment["apiVersion"]);
  assert_eq!(scale["name"], deployment["metadata"]["name"]);
  // CPU utilisation needs a CPU request to be measured against.
  assert!(container["resources"]["requests"]["cpu"].is_string());

  // The apps folder: the shared claim, mounted where APPS_DIR points.
  assert_eq!(pvc["spec"]["accessModes"][0], "ReadWriteMany");
  let volume = pod["spec"]["volumes"]
    .as_array()
    .unwrap()
    .iter()
    .find(|v| v["persistentVolumeClaim"]["claimName"] == pvc["metadata"]["name"])
    .expect("a volume from the claim");
  let mount = container["volumeMounts"]
    .as_array()
    .unwrap()
    .iter()
    .find(|m| m["name"] == volume["name"])
    .expect("the claim is mounted");
  let apps_dir = env_value(container, "APPS_DIR");
  assert_eq!(mount["mountPath"], apps_dir);

  // The image agrees: its port, its apps folder, its user.
  assert_eq!(dockerfile("EXPOSE"), [container_port.to_string()]);
  assert!(
    dockerfile("ENV")
      .iter()
      .any(|e| e.contains(&format!("APPS_DIR={apps_dir}"))),
    "the image's APPS_DIR differs"
  );
  let user = pod["spec"]["securityContext"]["runAsUser"]
    .as_u64()
    .unwrap();
  assert_eq!(dockerfile("USER"), [format!("{user}:{user}")]);

  // The paths it names exist on the real server: probes come from the
  // kubelet without a token, the scrape with one.
  let apps = Apps::new();
  let server = Server::start_with(&apps, &[("ADMIN_TOKEN", "k8s")]);
  for probe in ["readinessProbe", "livenessProbe"] {
    let get = &container[probe]["httpGet"];
    assert_eq!(get["port"], port["name"]);
    let reply = server.get(get["path"].as_str().unwrap()).await;
    assert_eq!(reply.status, 200, "{probe}: {}", reply.body);
  }
  let scrape = pod["metadata"]["annotations"]["prometheus.io/path"]
    .as_str()
    .unwrap();
  let reply = server
    .client
    .get(server.url(scrape))
    .bearer_auth("k8s")
    .send()
    .await
    .unwrap();
  assert_eq!(reply.status(), 200);
  assert!(reply.text().await.unwrap().contains("# TYPE"));
}

#[tokio::test]
async fn docker_healthcheck_asks_the_health_route() {
  let line = dockerfile("HEALTHCHECK")
    .pop()
    .expect("a HEALTHCHECK in the Dockerfile");
  let json = &line[line.find("CMD [").expect("HEALTHCHECK … CMD [ … ]") + 4..];
  let argv: Vec<String> = serde_json::from_str(json).unwrap();

  let apps = Apps::new();
  let server = Server::start_with(&apps, &[("ADMIN_TOKEN", "t")]);
  let port = server.base.rsplit(':').next().unwrap().to_string();
  let run = |port: &str| {
    Command::new(&argv[0])
      .args(&argv[1..])
      .env("PORT", port)
      .status()
      .unwrap()
  };
  assert!(run(&port).success(), "healthcheck failed on a live server");
  drop(server);
  assert!(!run(&port).success(), "healthcheck passed with no server");
}

/// A port that was free a moment ago on loopback.
fn free_port() -> u16 {
  std::net::TcpListener::bind("127.0.0.1:0")
    .unwrap()
    .local_addr()
    .unwrap()
    .port()
}

/// nginx as a foreground child with its own prefix, config, pid and logs.
struct Nginx {
  child: Child,
  base: String,
  dir: tempfile::TempDir,
}

impl Nginx {
  fn start(upstreams: &[&str]) -> Self {
    let nginx = program(
      &["nginx"],
      &[PathBuf::from("/usr/sbin")],
      "apt-get install -y nginx",
    );
    let dir = tempfile::tempdir().unwrap();
    let prefix = dir.path();
    let port = free_port();
    let servers: String = upstreams
      .iter()
      .map(|u| format!("    server {};\n", u.trim_start_matches("http://")))
      .collect();
    let p = prefix.display();
    let config = format!(
      r#"daemon off;
master_process off;
worker_processes 1;
pid {p}/nginx.pid;
error_log {p}/error.log info;
events {{ worker_connections 256; }}
http {{
  access_log {p}/access.log;
  client_body_temp_path {p}/body;
  proxy_temp_path {p}/proxy;
  fastcgi_temp_path {p}/fastcgi;
  uwsgi_temp_path {p}/uwsgi;
  scgi_temp_path {p}/scgi;
  client_max_body_size 100m;
  upstream buntime {{
{servers}  }}
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass http://buntime;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
    }}
  }}
}}
"#
    );
    let conf = prefix.join("nginx.conf");
    std::fs::write(&conf, config).unwrap();
    let child = Command::new(nginx)
      .arg("-p")
      .arg(prefix)
      .arg("-c")
      .arg(&conf)
      .arg("-e")
      .arg(prefix.join("error.log"))
      .stdin(Stdio::null())
      .stdout(Stdio::null())
      .stderr(Stdio::null())
      .spawn()
      .expect("start nginx");
    let mut nginx = Self {
      child,
      base: format!("http://127.0.0.1:{port}"),
      dir,
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
      if let Some(status) = nginx.child.try_wait().unwrap() {
        panic!("nginx exited ({status}): {}", nginx.error_log());
      }
      assert!(
        Instant::now() < deadline,
        "nginx did not listen: {}",
        nginx.error_log()
      );
      std::thread::sleep(Duration::from_millis(20));
    }
    nginx
  }

  fn error_log(&self) -> String {
    std::fs::read_to_string(self.dir.path().join("error.log")).unwrap_or_default()
  }
}

impl Drop for Nginx {
  fn drop(&mut self) {
    let _ = self.child.kill();
    let _ = self.child.wait();
  }
}

async fn total_requests(server: &Server) -> u64 {
  let reply = server
    .client
    .get(server.url("/_/metrics"))
    .bearer_auth("lb")
    .send()
    .await
    .unwrap();
  Reply::from(reply).await.json()["totalRequests"]
    .as_u64()
    .unwrap()
}

#[tokio::test]
async fn two_instances_behind_nginx_serve_an_app_uploaded_through_it() {
  let apps = Apps::new();
  let env = [("ADMIN_TOKEN", "lb")];
  let a = Server::start_with(&apps, &env);
  let b = Server::start_with(&apps, &env);
  let nginx = Nginx::start(&[&a.base, &b.base]);
  let client = reqwest::Client::new();

  // Neither instance knows the app yet.
  assert_eq!(a.get("/shop").await.status, 404);
  assert_eq!(b.get("/shop").await.status, 404);

  let form = reqwest::multipart::Form::new()
    .text("path", "shop/1.0.0")
    .part(
      "files",
      reqwest::multipart::Part::bytes(
        b"export default { fetch() { return new Response('shop v1') } }".to_vec(),
      )
      .file_name("index.js"),
    );
  let uploaded = client
    .post(format!("{}/_/deployments/upload", nginx.base))
    .bearer_auth("lb")
    .multipart(form)
    .send()
    .await
    .unwrap();
  let uploaded = Reply::from(uploaded).await;
  assert_eq!(uploaded.status, 200, "{}", uploaded.body);

  // Both instances serve it (one wrote it, the other saw it on disk).
  let deadline = Instant::now() + Duration::from_secs(2);
  for server in [&a, &b] {
    loop {
      let reply = server.get("/shop").await;
      if reply.status == 200 {
        assert_eq!(reply.body, "shop v1");
        break;
      }
      assert!(
        Instant::now() < deadline,
        "{} does not serve the app after 2 s: {} {}",
        server.base,
        reply.status,
        reply.body
      );
      tokio::time::sleep(Duration::from_millis(50)).await;
    }
  }

  // Through nginx, requests reach both instances.
  let (before_a, before_b) = (total_requests(&a).await, total_requests(&b).await);
  for _ in 0..6 {
    let reply = Reply::from(
      client
        .get(format!("{}/shop", nginx.base))
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body, "shop v1");
  }
  let served_a = total_requests(&a).await - before_a;
  let served_b = total_requests(&b).await - before_b;
  assert_eq!(served_a + served_b, 6);
  assert!(
    served_a > 0 && served_b > 0,
    "not balanced: {served_a} + {served_b}"
  );
}
