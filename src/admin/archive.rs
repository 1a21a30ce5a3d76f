//! Unpacking uploaded archives (`.zip`, `.tar.gz`) into a folder, with
//! the same checks for both: entry names stay inside the folder (no
//! absolute paths, no `..`), no links or device files, and the entry count
//! and the bytes actually written stay under the limits (headers can lie).

use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};

use axum::http::StatusCode;

use crate::http_error::HttpError;

/// The upload limits (`MAX_UPLOAD_MB`, `MAX_ZIP_ENTRIES`, `MAX_UNPACKED_MB`).
#[derive(Clone, Copy)]
pub struct UploadLimits {
  pub max_upload_bytes: u64,
  pub max_zip_entries: usize,
  pub max_unpacked_bytes: u64,
}

impl UploadLimits {
  pub fn of(settings: &crate::settings::Settings) -> Self {
    Self {
      max_upload_bytes: settings.max_upload_mb << 20,
      max_zip_entries: settings.max_zip_entries,
      max_unpacked_bytes: settings.max_unpacked_mb << 20,
    }
  }
}

/// How much of an over-size upload is read (and dropped) before the 413.
const UPLOAD_DRAIN_BYTES: usize = 64 << 20;

/// The 413 for an upload past `max_bytes`, once a bounded tail of the body
/// has been read and dropped: a client still sending then reads this
/// answer instead of a broken pipe.
pub async fn too_large<E>(
  rest: &mut (impl futures::Stream<Item = Result<bytes::Bytes, E>> + Unpin),
  max_bytes: u64,
) -> HttpError {
  use futures::StreamExt;
  let mut drained = 0usize;
  while drained < UPLOAD_DRAIN_BYTES {
    match rest.next().await {
      Some(Ok(chunk)) => drained += chunk.len(),
      _ => break,
    }
  }
  HttpError::api(
    StatusCode::PAYLOAD_TOO_LARGE,
    "TOO_LARGE",
    format!("Upload exceeds {} MB", max_bytes >> 20),
  )
}

/// The archive formats, told apart by their first bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
  Zip,
  TarGz,
}

impl Format {
  pub fn sniff(head: &[u8]) -> Option<Self> {
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
      Some(Self::Zip)
    } else if head.starts_with(&[0x1f, 0x8b]) {
      Some(Self::TarGz)
    } else {
      None
    }
  }
}

impl Format {
  /// The error code of a refused archive (`BAD_ZIP` is the deployments
  /// API's older name).
  fn code(self) -> &'static str {
    match self {
      Self::Zip => "BAD_ZIP",
      Self::TarGz => "BAD_ARCHIVE",
    }
  }

  fn refuse(self, message: String) -> HttpError {
    HttpError::api(StatusCode::BAD_REQUEST, self.code(), message)
  }
}

/// A body that is not an archive at all.
pub fn refuse(message: String) -> HttpError {
  HttpError::api(StatusCode::BAD_REQUEST, "BAD_ARCHIVE", message)
}

pub fn io_error(err: std::io::Error) -> HttpError {
  HttpError::api(
    StatusCode::INTERNAL_SERVER_ERROR,
    "IO_ERROR",
    err.to_string(),
  )
}

/// Where entry `raw` goes under `into`, or the 400 saying why it may not.
fn entry_path(format: Format, into: &Path, raw: &str) -> Result<PathBuf, HttpError> {
  let outside = || format.refuse(format!("Entry {raw:?} would be written outside the folder"));
  let absolute = raw.starts_with(['/', '\\']) || raw.get(1..2) == Some(":");
  if absolute || raw.contains(['\\', '\0']) || raw.split('/').any(|part| part == "..") {
    return Err(outside());
  }
  let relative = Path::new(raw);
  let mut out = into.to_path_buf();
  for component in relative.components() {
    match component {
      Component::Normal(part) => out.push(part),
      Component::CurDir => {}
      _ => return Err(outside()),
    }
  }
  Ok(out)
}

/// Copies one entry's bytes, counting them against the unpacked limit.
fn write_entry(
  format: Format,
  reader: &mut dyn Read,
  out: &Path,
  raw: &str,
  unpacked: &mut u64,
  limits: UploadLimits,
) -> Result<(), HttpError> {
  if let Some(parent) = out.parent() {
    std::fs::create_dir_all(parent).map_err(io_error)?;
  }
  let mut target = std::fs::File::create(out).map_err(io_error)?;
  let mut buffer = [0u8; 64 * 1024];
  loop {
    let n = reader
      .read(&mut buffer)
      .map_err(|err| format.refuse(format!("Entry {raw:?} is corrupt: {err}")))?;
    if n == 0 {
      return Ok(());
    }
    *unpacked += n as u64;
    if *unpacked > limits.max_unpacked_bytes {
      return Err(format.refuse(format!(
        "The archive unpacks to more than {} MB",
        limits.max_unpacked_bytes >> 20
      )));
    }
    target.write_all(&buffer[..n]).map_err(io_error)?;
  }
}

/// Unpacks `archive` into the (empty) folder `into`; answers the number of
/// files written. On error `into` may hold a part: the caller's staging
/// folder is thrown away.
pub fn unpack(
  archive: &Path,
  format: Format,
  into: &Path,
  limits: UploadLimits,
) -> Result<usize, HttpError> {
  match format {
    Format::Zip => unpack_zip(archive, into, limits),
    Format::TarGz => unpack_tar_gz(archive, into, limits),
  }
}

fn too_many(format: Format, limits: UploadLimits) -> HttpError {
  format.refuse(format!(
    "The archive has more than {} entries",
    limits.max_zip_entries
  ))
}

fn unpack_zip(archive: &Path, into: &Path, limits: UploadLimits) -> Result<usize, HttpError> {
  let file = std::fs::File::open(archive).map_err(io_error)?;
  let mut zip = zip::ZipArchive::new(file)
    .map_err(|err| Format::Zip.refuse(format!("Not a valid zip archive: {err}")))?;
  if zip.len() > limits.max_zip_entries {
    return Err(too_many(Format::Zip, limits));
  }
  let (mut unpacked, mut files) = (0u64, 0usize);
  for i in 0..zip.len() {
    let mut entry = zip
      .by_index(i)
      .map_err(|err| Format::Zip.refuse(format!("Unreadable entry: {err}")))?;
    let raw = entry.name().map(|n| n.into_owned()).unwrap_or_default();
    let out = entry_path(Format::Zip, into, raw.trim_end_matches('/'))?;
    if entry.enclosed_name().is_none() {
      return Err(Format::Zip.refuse(format!("Entry {raw:?} would be written outside the folder")));
    }
    if entry.is_dir() {
      std::fs::create_dir_all(&out).map_err(io_error)?;
      continue;
    }
    if entry.is_symlink() {
      return Err(Format::Zip.refuse(format!(
        "Entry {raw:?} is a symlink; archives may not contain links"
      )));
    }
    write_entry(Format::Zip, &mut entry, &out, &raw, &mut unpacked, limits)?;
    files += 1;
  }
  Ok(files)
}

fn unpack_tar_gz(archive: &Path, into: &Path, limits: UploadLimits) -> Result<usize, HttpError> {
  let file = std::fs::File::open(archive).map_err(io_error)?;
  let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(file));
  let entries = tar
    .entries()
    .map_err(|err| Format::TarGz.refuse(format!("Not a valid .tar.gz archive: {err}")))?;
  let (mut unpacked, mut files, mut count) = (0u64, 0usize, 0usize);
  for entry in entries {
    let mut entry =
      entry.map_err(|err| Format::TarGz.refuse(format!("Not a valid .tar.gz archive: {err}")))?;
    count += 1;
    if count > limits.max_zip_entries {
      return Err(too_many(Format::TarGz, limits));
    }
    let raw = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
    let kind = entry.header().entry_type();
    // pax and GNU long-name records are read by `tar` itself; global
    // headers carry nothing for us.
    if kind.is_pax_global_extensions() || kind.is_pax_local_extensions() {
      continue;
    }
    let out = entry_path(Format::TarGz, into, raw.trim_end_matches('/'))?;
    if kind.is_dir() {
      std::fs::create_dir_all(&out).map_err(io_error)?;
    } else if kind.is_file() {
      write_entry(Format::TarGz, &mut entry, &out, &raw, &mut unpacked, limits)?;
      files += 1;
    } else if kind.is_symlink() || kind.is_hard_link() {
      return Err(Format::TarGz.refuse(format!(
        "Entry {raw:?} is a link; archives may not contain links"
      )));
    } else {
      return Err(Format::TarGz.refuse(format!("Entry {raw:?} is not a file or folder")));
    }
  }
  Ok(files)
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn entry_names_stay_inside() {
    let into = Path::new("/staging");
    assert_eq!(
      entry_path(Format::Zip, into, "a/b.js").unwrap(),
      Path::new("/staging/a/b.js")
    );
    assert_eq!(
      entry_path(Format::Zip, into, "./a.js").unwrap(),
      Path::new("/staging/a.js")
    );
    for bad in [
      "../x",
      "a/../../x",
      "/etc/passwd",
      "C:/x",
      "a\\..\\x",
      "a\0b",
    ] {
      assert!(entry_path(Format::Zip, into, bad).is_err(), "{bad}");
    }
  }

  #[test]
  fn formats_are_sniffed() {
    assert_eq!(Format::sniff(b"PK\x03\x04rest"), Some(Format::Zip));
    assert_eq!(Format::sniff(&[0x1f, 0x8b, 8]), Some(Format::TarGz));
    assert_eq!(Format::sniff(b"{\"a\":1}"), None);
  }
}
