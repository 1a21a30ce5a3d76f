//! `/<name>[@range]` → a version folder under `APPS_DIR/<name>/`.
//!
//! Only sub-folders named by valid semver count. The listing of each app is
//! cached for at most [`LISTING_TTL`], so a newly deployed version is served
//! within a second without a restart.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use semver::{Comparator, Op, Version, VersionReq};

use super::fresh_cache::FreshCache;

pub const LISTING_TTL: Duration = Duration::from_secs(1);

#[derive(Clone, Debug)]
pub struct ResolvedApp {
  pub name: String,
  pub version: Version,
  pub dir: PathBuf,
}

impl ResolvedApp {
  /// The pool key: `name@version`.
  pub fn key(&self) -> String {
    format!("{}@{}", self.name, self.version)
  }
}

pub struct Resolver {
  apps_dir: PathBuf,
  listings: FreshCache<String, Arc<Vec<Version>>>,
}

/// App names are single path segments of plain characters; anything else
/// (`..`, encoded slashes, control bytes) can never name an app.
pub fn is_valid_app_name(name: &str) -> bool {
  !name.is_empty()
    && name.len() <= 214
    && !name.starts_with('.')
    && name
      .bytes()
      .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// A parsed `@range`: satisfied when any alternative (`a || b`) is.
pub struct Range(Vec<VersionReq>);

/// Parses the `@range` part. A bare full version is exact (`@1.2.3`), a bare
/// partial one covers its prefix (`@1` → 1.x.x, `@1.2` → 1.2.x); ranges with
/// operators (`^`, `~`, `>=`, …) mean what they mean in npm, including
/// space-separated comparators and `||`. A leading `v` is allowed.
pub fn parse_range(text: &str) -> Option<Range> {
  // An empty alternative (`@`, `@1 ||`) names nothing here, though npm
  // would read it as `*`.
  if text
    .split("||")
    .any(|alternative| alternative.trim().is_empty())
  {
    return None;
  }
  crate::ext::npm_range::npm_range(text).map(Range)
}

impl Range {
  /// npm's `includePrerelease`: a prerelease satisfies a range as its place
  /// in the version order says (`1.0.0-rc.1` is in `@1`, not in `@^1.0.0`).
  fn satisfied_by(&self, version: &Version) -> bool {
    self.0.iter().any(|req| {
      if version.pre.is_empty() {
        return req.matches(version);
      }
      req
        .comparators
        .iter()
        .all(|c| admits_prerelease(c, version))
    })
  }
}

/// A prerelease sits just below its release and above every earlier one:
/// against a bound naming that release it is compared in full, against any
/// other bound it behaves as its release (the semver crate instead refuses
/// prereleases of other releases).
fn admits_prerelease(c: &Comparator, version: &Version) -> bool {
  let names_release =
    c.major == version.major && c.minor == Some(version.minor) && c.patch == Some(version.patch);
  if !names_release {
    return c.matches(&Version::new(version.major, version.minor, version.patch));
  }
  let mut bound = Version::new(c.major, version.minor, version.patch);
  bound.pre = c.pre.clone();
  let order = version.cmp_precedence(&bound);
  match c.op {
    // An exact range stays exact.
    Op::Exact | Op::Wildcard => order.is_eq(),
    Op::Greater => order.is_gt(),
    // A lower bound written in full keeps that release's prereleases out.
    Op::GreaterEq | Op::Tilde | Op::Caret => order.is_ge(),
    Op::Less => order.is_lt(),
    Op::LessEq => order.is_le(),
    _ => c.matches(version),
  }
}

impl Resolver {
  pub fn new(apps_dir: PathBuf) -> Self {
    Self {
      apps_dir,
      listings: FreshCache::new(1024),
    }
  }

  pub fn apps_dir(&self) -> &Path {
    &self.apps_dir
  }

  /// Versions of `name`, highest first (cached for up to a second).
  fn versions(&self, name: &str) -> Arc<Vec<Version>> {
    self.listings.get_or_read(name, Instant::now(), || {
      let mut versions: Vec<Version> = std::fs::read_dir(self.apps_dir.join(name))
        .into_iter()
        .flatten()
        .flatten()
        .filter(|entry| entry.file_type().map(|t| t.is_dir()).unwrap_or(false))
        .filter_map(|entry| Version::parse(entry.file_name().to_str()?).ok())
        .collect();
      versions.sort_by(|a, b| b.cmp(a));
      Arc::new(versions)
    })
  }

  /// Drops the cached listing of `name` (its folder changed).
  pub fn forget(&self, name: &str) {
    self.listings.forget(name);
  }

  /// Whether `name` has at least one version folder.
  pub fn exists(&self, name: &str) -> bool {
    is_valid_app_name(name) && !self.versions(name).is_empty()
  }

  /// The highest version of `name` satisfying `range` (any version if none).
  pub fn resolve(&self, name: &str, range: Option<&str>) -> Option<ResolvedApp> {
    if !is_valid_app_name(name) {
      return None;
    }
    let versions = self.versions(name);
    let version = match range {
      None => versions.first()?.clone(),
      Some(range) => {
        let range = parse_range(range)?;
        versions.iter().find(|v| range.satisfied_by(v))?.clone()
      }
    };
    // The folder name may differ from the canonical form only in build
    // metadata spelling; semver parsing round-trips the rest.
    let dir = self.apps_dir.join(name).join(version.to_string());
    Some(ResolvedApp {
      name: name.to_string(),
      version,
      dir,
    })
  }
}
