//! Property tests of the parsers and path checks (the library's public
//! functions; no server). Case counts keep each under a few seconds;
//! `FUZZ_SCALE=N` runs N times as many.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use buntime_embedded::admin::deployments::confine;
use buntime_embedded::apps::config as app_config;
use buntime_embedded::apps::resolver::{parse_range, Resolver};
use buntime_embedded::proxy::ProxyRules;
use proptest::prelude::*;
use proptest::test_runner::{TestCaseError, TestRunner};
use semver::Version;
use serde_json::{json, Value};

/// A temporary folder in memory where there is a tmpfs: thousands of
/// small folder operations are slow on a busy disk.
fn scratch() -> tempfile::TempDir {
  let shm = Path::new("/dev/shm");
  if shm.is_dir() {
    if let Ok(dir) = tempfile::tempdir_in(shm) {
      return dir;
    }
  }
  tempfile::tempdir().unwrap()
}

/// `FUZZ_SCALE` multiplies every case count: 1 for a quick `cargo test`,
/// larger in CI (`.ci/run` sets it) or for a long local run.
fn config(cases: u32) -> ProptestConfig {
  let scale: u32 = std::env::var("FUZZ_SCALE")
    .ok()
    .and_then(|s| s.parse().ok())
    .unwrap_or(1)
    .max(1);
  ProptestConfig {
    cases: cases.saturating_mul(scale),
    failure_persistence: None,
    ..ProptestConfig::default()
  }
}

// ---- version resolution ----------------------------------------------

/// Versions from a small space, so ranges often hit their edges.
fn version() -> impl Strategy<Value = Version> {
  (
    0u64..3,
    0u64..3,
    0u64..3,
    prop::sample::select(vec!["", "alpha", "beta.2", "rc.1"]),
  )
    .prop_map(|(major, minor, patch, pre)| {
      let text = if pre.is_empty() {
        format!("{major}.{minor}.{patch}")
      } else {
        format!("{major}.{minor}.{patch}-{pre}")
      };
      Version::parse(&text).unwrap()
    })
}

/// A range as a client writes it, with npm's meaning (prereleases
/// included) as the oracle, written with semver's total order.
#[derive(Debug, Clone)]
enum Spec {
  Major(u64),
  Minor(u64, u64),
  Exact(Version, bool),
  Caret(Version),
  Tilde(Version),
  Between(Version, Version),
  Below(Version),
  Either(Box<Spec>, Box<Spec>),
}

impl Spec {
  fn text(&self) -> String {
    match self {
      Spec::Major(m) => m.to_string(),
      Spec::Minor(m, n) => format!("{m}.{n}"),
      Spec::Exact(v, true) => format!("v{v}"),
      Spec::Exact(v, false) => v.to_string(),
      Spec::Caret(v) => format!("^{v}"),
      Spec::Tilde(v) => format!("~{v}"),
      Spec::Between(a, b) => format!(">={a} <{b}"),
      Spec::Below(v) => format!("<{v}"),
      Spec::Either(a, b) => format!("{} || {}", a.text(), b.text()),
    }
  }

  fn admits(&self, v: &Version) -> bool {
    match self {
      Spec::Major(m) => v.major == *m,
      Spec::Minor(m, n) => v.major == *m && v.minor == *n,
      Spec::Exact(e, _) => v == e,
      // Lower bounds written in full exclude that version's prereleases.
      Spec::Caret(c) => v.major == c.major && v >= c,
      Spec::Tilde(t) => v.major == t.major && v.minor == t.minor && v >= t,
      Spec::Between(a, b) => v >= a && v < b,
      Spec::Below(b) => v < b,
      Spec::Either(a, b) => a.admits(v) || b.admits(v),
    }
  }
}

fn release() -> impl Strategy<Value = Version> {
  (1u64..3, 0u64..3, 0u64..3).prop_map(|(a, b, c)| Version::new(a, b, c))
}

fn spec() -> impl Strategy<Value = Spec> {
  let leaf = prop_oneof![
    (0u64..3).prop_map(Spec::Major),
    (0u64..3, 0u64..3).prop_map(|(m, n)| Spec::Minor(m, n)),
    (version(), any::<bool>()).prop_map(|(v, prefixed)| Spec::Exact(v, prefixed)),
    release().prop_map(Spec::Caret),
    release().prop_map(Spec::Tilde),
    (release(), release()).prop_map(|(a, b)| Spec::Between(a, b)),
    release().prop_map(Spec::Below),
  ];
  leaf.prop_recursive(1, 2, 2, |inner| {
    (inner.clone(), inner).prop_map(|(a, b)| Spec::Either(Box::new(a), Box::new(b)))
  })
}

/// Writes `versions` as folders of a new app under `root`; its name.
fn app_with(root: &Path, versions: &[Version]) -> String {
  static NEXT: AtomicUsize = AtomicUsize::new(0);
  let name = format!("app{}", NEXT.fetch_add(1, Ordering::Relaxed));
  let app = root.join(&name);
  for v in versions {
    std::fs::create_dir_all(app.join(v.to_string())).unwrap();
  }
  // Not versions: ignored.
  std::fs::create_dir_all(app.join("latest")).unwrap();
  std::fs::write(app.join("9.9.9"), "a file").unwrap();
  name
}

/// One apps folder for all cases (temporary folders are slow to make and
/// remove on some filesystems), a new app in it per case.
fn run<S: Strategy>(cases: u32, strategy: S, test: impl Fn(S::Value) -> Result<(), TestCaseError>) {
  let mut runner = TestRunner::new(config(cases));
  if let Err(err) = runner.run(&strategy, test) {
    panic!("{err}");
  }
}

#[test]
fn resolution_picks_the_highest_version_in_the_range() {
  let root = scratch();
  let resolver = Resolver::new(root.path().to_path_buf());
  let cases = (prop::collection::vec(version(), 0..8), spec());
  run(1000, cases, |(versions, spec)| {
    let name = app_with(root.path(), &versions);
    let range = spec.text();
    let expected = versions.iter().filter(|v| spec.admits(v)).max();
    let got = resolver.resolve(&name, Some(&range)).map(|r| r.version);
    prop_assert_eq!(
      got.as_ref(),
      expected,
      "range {:?} over {:?}",
      range,
      versions
    );
    let latest = resolver.resolve(&name, None).map(|r| r.version);
    prop_assert_eq!(latest.as_ref(), versions.iter().max());
    Ok(())
  });
}

#[test]
fn any_range_text_resolves_to_an_existing_version_or_none() {
  let root = scratch();
  let resolver = Resolver::new(root.path().to_path_buf());
  let cases = (
    prop::collection::vec(version(), 0..6),
    "[v0-9xX.*^~<>=|, a-z-]{0,24}",
  );
  run(1000, cases, |(versions, range)| {
    let name = app_with(root.path(), &versions);
    if let Some(found) = resolver.resolve(&name, Some(&range)) {
      prop_assert!(versions.contains(&found.version));
      prop_assert_eq!(
        found.dir,
        root.path().join(&name).join(found.version.to_string())
      );
    }
    Ok(())
  });
}

proptest! {
  #![proptest_config(config(1000))]

  #[test]
  fn range_parsing_never_panics(range in any::<String>()) {
    let _ = parse_range(&range);
  }
}

// ---- app config ------------------------------------------------------

fn json_value() -> impl Strategy<Value = Value> {
  let leaf = prop_oneof![
    Just(Value::Null),
    any::<bool>().prop_map(Value::from),
    any::<i64>().prop_map(Value::from),
    prop::sample::select(vec![
      0.0,
      0.5,
      1.0,
      30.0,
      -1.0,
      31_536_000.0,
      31_536_001.0,
      1e300
    ])
    .prop_map(Value::from),
    any::<f64>().prop_map(|f| json!(f)),
    ".{0,8}".prop_map(Value::from),
  ];
  leaf.prop_recursive(2, 8, 3, |inner| {
    prop_oneof![
      prop::collection::vec(inner.clone(), 0..3).prop_map(Value::from),
      prop::collection::btree_map("[a-zA-Z]{1,4}", inner, 0..3)
        .prop_map(|m| Value::Object(m.into_iter().collect())),
    ]
  })
}

/// Whether the contract accepts `value` for `key` (unknown keys: yes).
fn valid(key: &str, value: &Value) -> bool {
  let secs = |zero_ok: bool| {
    value
      .as_f64()
      .is_some_and(|n| n.is_finite() && n <= 31_536_000.0 && (n > 0.0 || (zero_ok && n == 0.0)))
  };
  match key {
    "timeout" | "idleTimeout" => secs(false),
    "ttl" => secs(true),
    "maxRequests" => value.as_u64().is_some_and(|n| n >= 1),
    "lowMemory" => value.is_boolean(),
    "entrypoint" => value
      .as_str()
      .is_some_and(|s| !s.is_empty() && !s.contains('\0')),
    "proxy" => value.is_object() || value.is_array(),
    "env" => value.as_object().is_some_and(|vars| {
      vars
        .values()
        .all(|v| v.is_string() || v.is_number() || v.is_boolean())
    }),
    _ => true,
  }
}

const KEYS: [&str; 9] = [
  "timeout",
  "ttl",
  "idleTimeout",
  "maxRequests",
  "lowMemory",
  "entrypoint",
  "proxy",
  "env",
  "other",
];

proptest! {
  #![proptest_config(config(1000))]

  #[test]
  fn config_is_accepted_exactly_when_every_field_is_valid(
    fields in prop::collection::btree_map(prop::sample::select(KEYS.to_vec()), json_value(), 0..5),
    in_package_json in any::<bool>(),
  ) {
    let object: serde_json::Map<String, Value> =
      fields.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
    let dir = scratch();
    let (file, body) = if in_package_json {
      ("package.json", json!({ "name": "x", "workerConfig": object }))
    } else {
      ("worker.config.json", Value::Object(object.clone()))
    };
    std::fs::write(dir.path().join(file), body.to_string()).unwrap();
    let expected = fields.iter().all(|(k, v)| valid(k, v));
    match app_config::load(dir.path()) {
      Ok(config) => {
        prop_assert!(expected, "accepted {}", body);
        if let Some(n) = object.get("timeout").and_then(Value::as_f64) {
          prop_assert_eq!(config.timeout, Duration::from_secs_f64(n));
        }
        if let Some(n) = object.get("maxRequests").and_then(Value::as_u64) {
          prop_assert_eq!(config.max_requests, n);
        }
      }
      Err(err) => {
        prop_assert!(!expected, "refused {}: {}", body, err);
        prop_assert!(err.file.starts_with(file), "{} names {}", err, file);
      }
    }
  }

  #[test]
  fn config_files_of_any_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
    let dir = scratch();
    std::fs::write(dir.path().join("worker.config.json"), &bytes).unwrap();
    let _ = app_config::load(dir.path());
  }
}

// ---- proxy rewrite ---------------------------------------------------

fn rules(pattern: &str, rewrite: Option<&str>) -> Option<ProxyRules> {
  let mut rule = json!({ "target": "http://upstream:9000" });
  if let Some(rewrite) = rewrite {
    rule["rewrite"] = json!(rewrite);
  }
  ProxyRules::compile(&json!({ pattern: rule }), |_| None).ok()
}

proptest! {
  #![proptest_config(config(1000))]

  #[test]
  fn rewrite_substitutes_captures_and_keeps_the_query(
    a in "[a-zA-Z0-9._~%-]{0,12}",
    b in "[a-zA-Z0-9/._-]{0,12}",
    query in prop::option::of("[a-z0-9=&%]{0,10}"),
  ) {
    let rules = rules(r"^/api/v([^/]*)/(.*)$", Some("/version/$1/$2/$$")).unwrap();
    let path = format!("/api/v{a}/{b}");
    let (_, url) = rules.route(&path, query.as_deref()).expect("matches");
    let mut expected = format!("http://upstream:9000/version/{a}/{b}/$");
    if let Some(q) = &query {
      expected = format!("{expected}?{q}");
    }
    prop_assert_eq!(url, expected);
  }

  #[test]
  fn any_rewrite_template_is_safe(template in "[$0-9a-z/{}]{0,16}", path in "/[a-z0-9/]{0,12}") {
    let rules = rules("^/(.*)$", Some(&template)).unwrap();
    let (_, url) = rules.route(&path, None).expect("matches");
    prop_assert!(url.starts_with("http://upstream:9000/"), "{}", url);
    // Without `$` the template is the path itself.
    if !template.contains('$') {
      let slash = if template.starts_with('/') { "" } else { "/" };
      prop_assert_eq!(url, format!("http://upstream:9000{slash}{template}"));
    }
  }

  #[test]
  fn no_rewrite_keeps_the_path(path in "/[a-zA-Z0-9/._-]{0,20}") {
    let rules = rules("^/(.*)$", None).unwrap();
    let (_, url) = rules.route(&path, Some("q=1")).expect("matches");
    prop_assert_eq!(url, format!("http://upstream:9000{path}?q=1"));
  }

  #[test]
  fn any_rule_text_compiles_or_fails_cleanly(pattern in ".{0,12}", rewrite in ".{0,12}", path in ".{0,12}") {
    if let Some(rules) = rules(&pattern, Some(&rewrite)) {
      let _ = rules.route(&path, None);
    }
  }
}

// ---- deployment path confinement -----------------------------------

fn segment() -> impl Strategy<Value = String> {
  prop::sample::select(vec![
    "app",
    "1.0.0",
    "..",
    ".",
    "",
    "%2e%2e",
    "%2E.",
    "..%2f",
    "a%5cb",
    "out",
    "in",
    "x\\y",
    "nul\0",
    "~",
    "...",
    "%252e%252e",
  ])
  .prop_map(String::from)
}

/// `root` holds `in` (a symlink inside) and `out` (a symlink outside).
fn confinement_fixture() -> (tempfile::TempDir, tempfile::TempDir) {
  let root = scratch();
  let outside = scratch();
  std::fs::create_dir_all(root.path().join("app/1.0.0")).unwrap();
  std::fs::create_dir_all(outside.path().join("app")).unwrap();
  std::os::unix::fs::symlink(outside.path(), root.path().join("out")).unwrap();
  std::os::unix::fs::symlink(root.path().join("app"), root.path().join("in")).unwrap();
  (root, outside)
}

fn inside(root: &Path, path: &Path) -> bool {
  let root = root.canonicalize().unwrap();
  // The deepest existing ancestor decides (symlinks followed).
  let mut existing = path;
  while !existing.exists() {
    existing = existing.parent().unwrap();
  }
  existing.canonicalize().unwrap().starts_with(&root)
    && path.starts_with(&root)
    && !path
      .components()
      .any(|c| matches!(c, std::path::Component::ParentDir))
}

#[test]
fn confined_paths_never_leave_apps_dir() {
  let (root, _outside) = confinement_fixture();
  let cases = (prop::collection::vec(segment(), 0..5), any::<bool>());
  run(1000, cases, |(segments, absolute)| {
    let relative = format!("{}{}", if absolute { "/" } else { "" }, segments.join("/"));
    if let Some(path) = confine(root.path(), &relative) {
      prop_assert!(inside(root.path(), &path), "{:?} → {:?}", relative, path);
    }
    // What stays plainly inside is accepted.
    let plain = |s: &String| matches!(s.as_str(), "app" | "1.0.0" | "in" | "~" | "...");
    if !absolute && segments.iter().all(plain) {
      prop_assert!(
        confine(root.path(), &relative).is_some(),
        "{:?} refused",
        relative
      );
    }
    Ok(())
  });
}

#[test]
fn confinement_never_panics() {
  let (root, _outside) = confinement_fixture();
  run(1000, any::<String>(), |relative| {
    if let Some(path) = confine(root.path(), &relative) {
      prop_assert!(inside(root.path(), &path), "{:?} → {:?}", relative, path);
    }
    Ok(())
  });
}
