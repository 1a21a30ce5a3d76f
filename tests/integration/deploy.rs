//! Deployment artefacts: the Dockerfile and the Kubernetes manifests.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::harness::{Apps, Server};
use crate::ops::program;

fn repo(relative: &str) -> PathBuf {
  Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

const MANIFESTS: [&str; 4] = ["deployment", "service", "hpa", "pvc"];

fn manifest_path(name: &str) -> PathBuf {
  repo(&format!("deploy/kubernetes/{name}.yaml"))
}

/// `kubernetes-validate` (PyPI, bundled schemas), which `.ci/run` installs
/// into `target/py-tools`.
fn kubernetes_validate() -> PathBuf {
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
