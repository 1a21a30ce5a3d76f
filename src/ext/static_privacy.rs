//! Which files under a static root are never served: dotfiles, the app's
//! config (its `env` holds secrets), package manifests, lockfiles and
//! database files. A hidden file answers exactly like a missing one, so the
//! SPA fallback applies and nothing says the file exists.

/// Names that are configuration or dependency state, not content.
const PRIVATE_NAMES: &[&str] = &[
  "worker.config.json",
  "package.json",
  "package-lock.json",
  "npm-shrinkwrap.json",
  "bun.lockb",
  "bun.lock",
  "yarn.lock",
  "pnpm-lock.yaml",
  "deno.lock",
  "tsconfig.json",
];

/// Database files and SQLite's side files.
const PRIVATE_SUFFIXES: &[&str] = &[
  ".db", ".sqlite", ".sqlite3", ".db3", "-wal", "-shm", "-journal",
];

/// True when `relative` (a path under the static root, `/` or `\`
/// separated, already percent-decoded) names a file that must not be served.
pub fn is_private_static(relative: &str) -> bool {
  let parts: Vec<&str> = relative
    .split(['/', '\\'])
    .filter(|part| !part.is_empty() && *part != ".")
    .collect();
  // `.well-known` is public by design (RFC 8615); anything else starting
  // with a dot (`.env`, `.git`, `.npmrc`) is private, at any depth.
  if parts
    .iter()
    .any(|part| part.starts_with('.') && *part != ".well-known")
  {
    return true;
  }
  let Some(name) = parts.last() else {
    return false;
  };
  let name = name.to_ascii_lowercase();
  PRIVATE_NAMES.contains(&name.as_str())
    || PRIVATE_SUFFIXES.iter().any(|suffix| name.ends_with(suffix))
}

#[cfg(test)]
mod tests {
  use super::is_private_static;

  #[test]
  fn dotfiles_are_private_at_any_depth() {
    assert!(is_private_static(".env"));
    assert!(is_private_static("/.env"));
    assert!(is_private_static("assets/.git/config"));
    assert!(is_private_static(".git\\HEAD"));
    assert!(is_private_static("a/./.npmrc"));
  }

  #[test]
  fn well_known_stays_public() {
    assert!(!is_private_static(".well-known/security.txt"));
    assert!(is_private_static(".well-known/.env"));
  }

  #[test]
  fn config_lockfiles_and_databases_are_private() {
    for path in [
      "worker.config.json",
      "sub/package.json",
      "Package.JSON",
      "bun.lockb",
      "pnpm-lock.yaml",
      "data.db",
      "x/app.sqlite3",
      "data.db-wal",
      "data.db-shm",
      "data.db-journal",
    ] {
      assert!(is_private_static(path), "{path}");
    }
  }

  #[test]
  fn ordinary_content_is_served() {
    for path in [
      "",
      "/",
      "index.html",
      "assets/app.js",
      "docs/package.json.html",
      "db/index.html",
      "a..b.txt",
      "config.json",
    ] {
      assert!(!is_private_static(path), "{path}");
    }
  }
}
