//! Virtual hosts: apps claim host names in their config
//! (`"hosts": ["api.example.com", "*.preview.example.com", "old.example.com@1"]`)
//! and a request whose `Host` matches is served by that app at `/`.
//!
//! Exact names win over wildcards, a longer wildcard over a shorter one;
//! `*.example.com` matches any name under `example.com` but not the name
//! itself. A name two apps claim is a conflict: requests for it answer 500
//! naming both, until one gives it up.

use std::collections::HashMap;

use super::resolver::parse_range;

/// One claim as written in a config: a host name (or `*.` + a name) and
/// the version range it serves (highest version when absent).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostClaim {
  /// Lower case; `*.suffix` for a wildcard.
  pub host: String,
  pub range: Option<String>,
}

/// Parses `host[@range]`; the error says what is wrong with it.
pub fn parse_claim(text: &str) -> Result<HostClaim, String> {
  let (host, range) = match text.split_once('@') {
    Some((host, range)) => (host, Some(range)),
    None => (text, None),
  };
  let host = host.to_ascii_lowercase();
  let name = host.strip_prefix("*.").unwrap_or(&host);
  if !is_host_name(name) {
    return Err(format!("{text:?} is not a valid host name"));
  }
  if let Some(range) = range {
    if parse_range(range).is_none() {
      return Err(format!("{text:?}: {range:?} is not a version range"));
    }
  }
  Ok(HostClaim {
    host,
    range: range.map(str::to_owned),
  })
}

/// A DNS name: dot-separated labels of letters, digits and inner hyphens,
/// at most 253 bytes; at least two labels (a bare `localhost` claim would
/// take over every local request).
fn is_host_name(name: &str) -> bool {
  let label_ok = |label: &str| {
    !label.is_empty()
      && label.len() <= 63
      && !label.starts_with('-')
      && !label.ends_with('-')
      && label
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
  };
  name.len() <= 253 && name.contains('.') && name.split('.').all(label_ok)
}

/// Who serves a host name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HostMatch {
  App {
    app: String,
    range: Option<String>,
  },
  /// Two apps claim it: their names, sorted.
  Conflict(String, String),
}

#[derive(Default)]
pub struct HostTable {
  exact: HashMap<String, HostMatch>,
  /// `(".suffix", …)`, longest suffix first.
  wildcards: Vec<(String, HostMatch)>,
}

impl HostTable {
  /// The table of every app's claims (`(app, claim)` pairs).
  pub fn build(claims: impl IntoIterator<Item = (String, HostClaim)>) -> Self {
    let mut exact: HashMap<String, HostMatch> = HashMap::new();
    let mut wild: HashMap<String, HostMatch> = HashMap::new();
    for (app, claim) in claims {
      let (map, key) = match claim.host.strip_prefix('*') {
        Some(suffix) => (&mut wild, suffix.to_string()),
        None => (&mut exact, claim.host.clone()),
      };
      let mine = HostMatch::App {
        app: app.clone(),
        range: claim.range,
      };
      match map.get(&key) {
        None => {
          map.insert(key, mine);
        }
        Some(HostMatch::App { app: other, .. }) if *other != app => {
          let (a, b) = if *other < app {
            (other.clone(), app)
          } else {
            (app, other.clone())
          };
          map.insert(key, HostMatch::Conflict(a, b));
        }
        // The same app twice, or a conflict already: the first stands.
        Some(_) => {}
      }
    }
    let mut wildcards: Vec<_> = wild.into_iter().collect();
    wildcards.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.0.cmp(&b.0)));
    Self { exact, wildcards }
  }

  pub fn is_empty(&self) -> bool {
    self.exact.is_empty() && self.wildcards.is_empty()
  }

  /// The claim for a request's `Host` (port and trailing dot ignored, any
  /// case).
  pub fn lookup(&self, host: &str) -> Option<&HostMatch> {
    let name = normalize(host)?;
    if let Some(found) = self.exact.get(&name) {
      return Some(found);
    }
    self
      .wildcards
      .iter()
      .find(|(suffix, _)| name.len() > suffix.len() && name.ends_with(suffix.as_str()))
      .map(|(_, found)| found)
  }

  /// Every claim that conflicts, as `(host, app, app)`.
  pub fn conflicts(&self) -> Vec<(String, String, String)> {
    let exact = self.exact.iter().map(|(h, m)| (h.clone(), m));
    let wild = self.wildcards.iter().map(|(s, m)| (format!("*{s}"), m));
    let mut out: Vec<_> = exact
      .chain(wild)
      .filter_map(|(host, found)| match found {
        HostMatch::Conflict(a, b) => Some((host, a.clone(), b.clone())),
        HostMatch::App { .. } => None,
      })
      .collect();
    out.sort();
    out
  }
}

/// `Host` without its port or trailing dot, lower case; `None` for an
/// IPv6 literal or nothing.
fn normalize(host: &str) -> Option<String> {
  if host.starts_with('[') {
    return None;
  }
  let name = host.rsplit_once(':').map_or(host, |(name, _)| name);
  let name = name.strip_suffix('.').unwrap_or(name);
  (!name.is_empty()).then(|| name.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
  use super::*;

  fn claim(text: &str) -> HostClaim {
    parse_claim(text).unwrap()
  }

  #[test]
  fn claims_are_checked() {
    assert_eq!(claim("API.Example.com").host, "api.example.com");
    assert_eq!(claim("*.preview.example.com").host, "*.preview.example.com");
    assert_eq!(claim("old.example.com@^1").range.as_deref(), Some("^1"));
    for bad in [
      "",
      "localhost",
      "bad_host.com",
      "-a.com",
      "a..com",
      "*.com.",
      "a.*.com",
      "**.a.com",
      "a.com/x",
      "a.com@not a range!",
      "a.com:8080",
    ] {
      assert!(parse_claim(bad).is_err(), "{bad}");
    }
  }

  #[test]
  fn lookups_prefer_exact_then_longest_wildcard() {
    let table = HostTable::build([
      ("api".to_string(), claim("api.example.com")),
      ("wild".to_string(), claim("*.example.com")),
      ("preview".to_string(), claim("*.preview.example.com@2")),
    ]);
    let app = |name: &str| match table.lookup(name) {
      Some(HostMatch::App { app, .. }) => Some(app.as_str()),
      _ => None,
    };
    assert_eq!(app("api.example.com"), Some("api"));
    assert_eq!(app("API.EXAMPLE.COM:8080"), Some("api"));
    assert_eq!(app("api.example.com."), Some("api"));
    assert_eq!(app("x.preview.example.com"), Some("preview"));
    assert_eq!(app("a.b.example.com"), Some("wild"));
    assert_eq!(app("example.com"), None, "a wildcard is not its bare name");
    assert_eq!(app("other.org"), None);
    assert_eq!(app("[::1]:80"), None);
  }

  #[test]
  fn two_apps_on_one_name_conflict() {
    let table = HostTable::build([
      ("b".to_string(), claim("api.example.com")),
      ("a".to_string(), claim("api.example.com")),
      ("a".to_string(), claim("solo.example.com")),
      ("a".to_string(), claim("solo.example.com")),
    ]);
    assert_eq!(
      table.lookup("api.example.com"),
      Some(&HostMatch::Conflict("a".into(), "b".into()))
    );
    assert!(matches!(
      table.lookup("solo.example.com"),
      Some(HostMatch::App { .. })
    ));
    assert_eq!(
      table.conflicts(),
      [("api.example.com".into(), "a".into(), "b".into())]
    );
  }
}
