//! Paths an app gives for its own files: the virtual root it sees (`/app`),
//! and confinement to its real folder (`..`, symlinks out and absolute
//! paths elsewhere are refused). Every op that touches an app's files goes
//! through here.

use std::path::{Component, Path, PathBuf};

/// The app folder as app code sees it: `process.cwd()`, `import.meta.dir`,
/// module URLs and stack traces say `/app/...`, so no app learns where the
/// server keeps it (or where its neighbours are).
pub const VIRTUAL_ROOT: &str = "/app";

/// The real path of `path` as app code wrote it: under [`VIRTUAL_ROOT`], or
/// (as the app's own real location, which older code may hold) under
/// `root`; anything else is returned as is.
pub fn real_path(root: &Path, path: &Path) -> PathBuf {
  if path.starts_with(root) {
    return path.to_path_buf();
  }
  match path.strip_prefix(VIRTUAL_ROOT) {
    Ok(rest) => root.join(rest),
    Err(_) => path.to_path_buf(),
  }
}

/// `path` (real, inside `root`) as app code sees it.
pub fn shown_path(root: &Path, path: &Path) -> PathBuf {
  match path.strip_prefix(root) {
    Ok(rest) => Path::new(VIRTUAL_ROOT).join(rest),
    Err(_) => path.to_path_buf(),
  }
}

/// A path app code gave for a file of its own, made relative to `root`:
/// relative paths as they are, absolute ones only under the virtual or the
/// real root (`None`: outside).
pub fn app_relative(root: &Path, path: &str) -> Option<String> {
  let given = Path::new(path);
  if !given.is_absolute() {
    return Some(path.to_string());
  }
  real_path(root, given)
    .strip_prefix(root)
    .ok()
    .map(|rest| rest.to_string_lossy().into_owned())
}

/// A path app code gave for one of its own files (relative, or absolute
/// under `/app` or the real folder), resolved and confined to `root`.
pub fn confine_app_file(root: &Path, path: &str) -> Confined {
  match app_relative(root, path) {
    Some(relative) => confine(root, &relative),
    None => Confined::Outside,
  }
}

/// Where an app-relative path leads.
pub enum Confined {
  /// An existing path inside the root (canonical).
  Inside(PathBuf),
  Missing,
  /// The path tries to leave the root (`..`, a symlink pointing out).
  Outside,
}

/// Resolves an app-relative path (already percent-decoded) inside `root`
/// (canonical). Symlinks are followed and must land inside `root` too.
pub fn confine(root: &Path, relative: &str) -> Confined {
  match join_inside(root, relative) {
    Some(path) => contain(root, &path),
    None => Confined::Outside,
  }
}

/// Where `path` (absolute) really is, once symlinks are followed: inside
/// `root` (canonical) or not. The check every other one here ends with.
pub fn contain(root: &Path, path: &Path) -> Confined {
  match std::fs::canonicalize(path) {
    Ok(real) if real.starts_with(root) => Confined::Inside(real),
    Ok(_) => Confined::Outside,
    Err(_) => Confined::Missing,
  }
}

/// [`confine`] for a path that may not exist yet (a file about to be
/// written, a folder about to be made): the same refusals, then its
/// deepest existing ancestor must be inside `root`. A symlink on the way
/// that leads nowhere counts as outside. Returns the path under `root`.
pub fn confine_new(root: &Path, relative: &str) -> Option<PathBuf> {
  let path = join_inside(root, relative)?;
  let mut existing = path.as_path();
  while std::fs::symlink_metadata(existing).is_err() {
    existing = existing.parent()?;
  }
  matches!(contain(root, existing), Confined::Inside(_)).then_some(path)
}

/// `relative` joined to `root` part by part, or `None` when a part would
/// climb out (`..`) or is not a plain name.
fn join_inside(root: &Path, relative: &str) -> Option<PathBuf> {
  if relative.contains('\0') {
    return None;
  }
  let mut path = root.to_path_buf();
  for part in relative.split(['/', '\\']) {
    match part {
      "" | "." => {}
      ".." => return None,
      part => {
        if Path::new(part)
          .components()
          .any(|c| !matches!(c, Component::Normal(_)))
        {
          return None;
        }
        path.push(part);
      }
    }
  }
  Some(path)
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn virtual_and_real_paths_map_both_ways() {
    let root = Path::new("/srv/apps/shop/1.0.0");
    assert_eq!(
      shown_path(root, &root.join("src/a.js")),
      Path::new("/app/src/a.js")
    );
    assert_eq!(
      real_path(root, Path::new("/app/src/a.js")),
      root.join("src/a.js")
    );
    assert_eq!(real_path(root, &root.join("b.js")), root.join("b.js"));
    assert_eq!(
      app_relative(root, "/app/data.txt").as_deref(),
      Some("data.txt")
    );
    assert_eq!(app_relative(root, "data.txt").as_deref(), Some("data.txt"));
    assert_eq!(app_relative(root, "/etc/passwd"), None);
    assert!(matches!(
      confine_app_file(root, "/etc/passwd"),
      Confined::Outside
    ));
    assert!(matches!(
      confine_app_file(root, "/app/../x"),
      Confined::Outside
    ));
    // A server that keeps its apps under /app itself (a container).
    let root = Path::new("/app/apps/shop/1.0.0");
    assert_eq!(
      real_path(root, Path::new("/app/index.js")),
      root.join("index.js")
    );
    assert_eq!(
      real_path(root, &root.join("index.js")),
      root.join("index.js")
    );
    assert_eq!(
      shown_path(root, &root.join("index.js")),
      Path::new("/app/index.js")
    );
  }

  #[test]
  fn new_paths_stay_inside_through_symlinks() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    let outside = tempfile::tempdir().unwrap();
    std::fs::create_dir(root.join("data")).unwrap();
    std::os::unix::fs::symlink(outside.path(), root.join("out")).unwrap();
    std::os::unix::fs::symlink(outside.path().join("gone"), root.join("dangling")).unwrap();
    assert_eq!(
      confine_new(&root, "data/new/file.db"),
      Some(root.join("data/new/file.db"))
    );
    assert_eq!(confine_new(&root, "new.txt"), Some(root.join("new.txt")));
    assert_eq!(confine_new(&root, "out/x"), None);
    assert_eq!(confine_new(&root, "dangling"), None);
    assert_eq!(confine_new(&root, "data/../../x"), None);
    assert_eq!(confine_new(&root, "a\0b"), None);
    assert!(matches!(confine(&root, "out"), Confined::Outside));
    assert!(matches!(confine(&root, "data"), Confined::Inside(_)));
    assert!(matches!(confine(&root, "nothing"), Confined::Missing));
  }
}
