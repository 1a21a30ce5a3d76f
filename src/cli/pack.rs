//! Packing an app folder as a `.tar.gz` for `POST /_/apps`: every file
//! under it except what `.buntimeignore` (gitignore syntax) names,
//! `node_modules` (unless asked) and `.git`.

use std::io::Write;
use std::path::Path;

/// What a packed folder holds.
pub struct Packed {
  pub archive: Vec<u8>,
  pub files: usize,
}

pub fn pack_folder(root: &Path, include_node_modules: bool) -> std::io::Result<Packed> {
  let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
  let mut tar = tar::Builder::new(gz);
  // Links are packed as what they point to: the server refuses links.
  tar.follow_symlinks(true);
  let mut files = 0;
  let walk = ignore::WalkBuilder::new(root)
    .standard_filters(false)
    .add_custom_ignore_filename(".buntimeignore")
    .follow_links(true)
    .filter_entry(move |entry| {
      let name = entry.file_name();
      let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
      !(is_dir && (name == ".git" || (name == "node_modules" && !include_node_modules)))
    })
    .sort_by_file_path(|a, b| a.cmp(b))
    .build();
  for entry in walk {
    let entry = entry.map_err(std::io::Error::other)?;
    if !entry.file_type().is_some_and(|t| t.is_file()) {
      continue;
    }
    let relative = entry
      .path()
      .strip_prefix(root)
      .map_err(std::io::Error::other)?;
    tar.append_path_with_name(entry.path(), relative)?;
    files += 1;
  }
  let mut gz = tar.into_inner()?;
  gz.flush()?;
  Ok(Packed {
    archive: gz.finish()?,
    files,
  })
}

#[cfg(test)]
mod tests {
  use super::*;

  fn names(archive: &[u8]) -> Vec<String> {
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(archive));
    let mut names: Vec<String> = tar
      .entries()
      .unwrap()
      .map(|e| e.unwrap().path().unwrap().display().to_string())
      .collect();
    names.sort();
    names
  }

  #[test]
  fn ignored_files_and_node_modules_stay_out() {
    let dir = tempfile::tempdir().unwrap();
    let write = |rel: &str| {
      let path = dir.path().join(rel);
      std::fs::create_dir_all(path.parent().unwrap()).unwrap();
      std::fs::write(path, rel).unwrap();
    };
    for rel in [
      "index.js",
      "package.json",
      "src/a.ts",
      "secret.env",
      "logs/x.log",
      "node_modules/dep/index.js",
      ".git/HEAD",
      ".buntimeignore",
    ] {
      write(rel);
    }
    std::fs::write(dir.path().join(".buntimeignore"), "*.env\nlogs/\n").unwrap();
    let packed = pack_folder(dir.path(), false).unwrap();
    assert_eq!(
      names(&packed.archive),
      [".buntimeignore", "index.js", "package.json", "src/a.ts"]
    );
    assert_eq!(packed.files, 4);
    let with_modules = pack_folder(dir.path(), true).unwrap();
    assert!(names(&with_modules.archive).contains(&"node_modules/dep/index.js".to_string()));
  }
}
