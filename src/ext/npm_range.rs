//! npm's version ranges, read once for both users: `Bun.semver` and the
//! app resolver's `/<app>@<range>/` (which lives outside `src/ext` but may
//! call in; `src/ext` itself reaches nothing of the crate).

use semver::{Version, VersionReq};

/// A version as npm reads it: surrounding space, a leading `=` or `v`.
pub fn loose_version(text: &str) -> Option<Version> {
  let text = text.trim();
  let text = text.strip_prefix('=').unwrap_or(text).trim_start();
  let text = text.strip_prefix('v').unwrap_or(text);
  Version::parse(text).ok()
}

/// One comparator's version with npm's wildcards (`1.x`, `1.2.*`) cut off,
/// which the semver crate reads as the same partial version (`1`, `1.2`).
fn partial(text: &str) -> Option<String> {
  let text = text.strip_prefix('v').unwrap_or(text);
  if text.contains(['-', '+']) {
    // A prerelease or build: a full version, no wildcards to cut.
    return Some(text.to_string());
  }
  let mut kept: Vec<&str> = Vec::new();
  for part in text.split('.') {
    if matches!(part, "x" | "X" | "*") {
      break;
    }
    kept.push(part);
  }
  if kept.iter().any(|p| p.is_empty()) || kept.len() > 3 {
    return None;
  }
  Some(kept.join("."))
}

/// An npm range (`^1.2 || >=3`, `1.x`, `1.2.3 - 2`, `>= 1 < 2`) as semver
/// crate requirements, one per `||` alternative.
pub fn npm_range(text: &str) -> Option<Vec<VersionReq>> {
  text.split("||").map(npm_alternative).collect()
}

fn npm_alternative(text: &str) -> Option<VersionReq> {
  let text = text.trim();
  if let Some((low, high)) = text.split_once(" - ") {
    let (low, high) = (partial(low.trim())?, partial(high.trim())?);
    let mut parts = Vec::new();
    if !low.is_empty() {
      parts.push(format!(">={low}"));
    }
    if !high.is_empty() {
      parts.push(format!("<={high}"));
    }
    return VersionReq::parse(&parts.join(", "))
      .ok()
      .or(parts.is_empty().then_some(VersionReq::STAR));
  }
  // npm separates comparators with spaces, the semver crate with commas; an
  // operator may also stand apart from its version (">= 1.2.0").
  let mut tokens: Vec<String> = Vec::new();
  for token in text.split([' ', ',']).filter(|t| !t.is_empty()) {
    match tokens.last_mut() {
      Some(last) if last.chars().all(|c| "<>=~^".contains(c)) => last.push_str(token),
      _ => tokens.push(token.to_string()),
    }
  }
  let mut comparators = Vec::new();
  for token in &tokens {
    let split = token
      .find(|c: char| !"<>=~^".contains(c))
      .unwrap_or(token.len());
    let (op, version) = token.split_at(split);
    let version = partial(version)?;
    if version.is_empty() {
      // `*`, `x`, `>=*`: anything (a `<*` matches nothing in npm either,
      // but nobody writes that).
      continue;
    }
    // A bare version is exact in npm (the semver crate would read it as `^`).
    let op = if op.is_empty() { "=" } else { op };
    comparators.push(format!("{op}{version}"));
  }
  if comparators.is_empty() {
    return Some(VersionReq::STAR);
  }
  VersionReq::parse(&comparators.join(", ")).ok()
}
