//! Scoped tokens (`TOKENS_FILE`): named bearer tokens, stored as SHA-256
//! hashes, each granting scopes: `admin` (everything), `read` (metrics,
//! stats, every app's logs) and `deploy:<app>` (install and remove that
//! app's versions, read its logs).
//!
//! ```json
//! { "tokens": [ { "name": "shop-team", "sha256": "<hex of sha256(token)>",
//!                 "scopes": ["deploy:shop"] } ] }
//! ```
//!
//! The file is re-read when its modification time or size changes; a
//! broken edit is logged and the previous tokens stay in force.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use serde::Deserialize;
use sha2::Digest;

use crate::apps::resolver::is_valid_app_name;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
  Admin,
  Read,
  Deploy(String),
}

impl Scope {
  fn parse(text: &str) -> Result<Self, String> {
    match text {
      "admin" => Ok(Self::Admin),
      "read" => Ok(Self::Read),
      _ => match text.strip_prefix("deploy:") {
        Some(app) if is_valid_app_name(app) => Ok(Self::Deploy(app.to_string())),
        _ => Err(format!(
          "scope {text:?} is not admin, read or deploy:<app name>"
        )),
      },
    }
  }
}

/// What one request may do: the scopes of the token it presented.
#[derive(Clone, Debug)]
pub struct Grant {
  scopes: Vec<Scope>,
}

/// What a route needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Needed {
  Admin,
  Read,
  /// `deploy:<app>` (or admin).
  Deploy(String),
  /// An app's logs: `read` or `deploy:<app>`.
  AppLogs(String),
}

impl Needed {
  /// What a 403 says.
  pub fn refusal(&self) -> String {
    format!("This token lacks the scope \"{}\"", self.shown())
  }

  /// The scope a 403 names.
  pub fn shown(&self) -> String {
    match self {
      Self::Admin => "admin".into(),
      Self::Read => "read".into(),
      Self::Deploy(app) => format!("deploy:{app}"),
      Self::AppLogs(app) => format!("read or deploy:{app}"),
    }
  }
}

impl Grant {
  /// Everything: `ADMIN_TOKEN`, or a loopback client when no token is set.
  pub fn admin() -> Self {
    Self {
      scopes: vec![Scope::Admin],
    }
  }

  fn has(&self, scope: &Scope) -> bool {
    self.scopes.contains(&Scope::Admin) || self.scopes.contains(scope)
  }

  pub fn allows(&self, needed: &Needed) -> bool {
    match needed {
      Needed::Admin => self.has(&Scope::Admin),
      Needed::Read => self.has(&Scope::Read),
      Needed::Deploy(app) => self.has(&Scope::Deploy(app.clone())),
      Needed::AppLogs(app) => self.has(&Scope::Read) || self.has(&Scope::Deploy(app.clone())),
    }
  }

  /// Whether the grant may see app `name` at all (lists are filtered).
  pub fn sees_app(&self, name: &str) -> bool {
    self.allows(&Needed::AppLogs(name.to_string()))
  }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileShape {
  tokens: Vec<EntryShape>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryShape {
  name: String,
  sha256: String,
  scopes: Vec<String>,
}

struct Entry {
  hash: [u8; 32],
  grant: Grant,
}

/// Parses the file's text; the error names the entry and what is wrong.
fn parse(text: &str) -> Result<Vec<Entry>, String> {
  let shape: FileShape = serde_json::from_str(text).map_err(|err| err.to_string())?;
  shape
    .tokens
    .into_iter()
    .map(|entry| {
      let name = &entry.name;
      let bytes = decode_hex(&entry.sha256)
        .ok_or_else(|| format!("token {name:?}: \"sha256\" must be 64 hex digits"))?;
      let scopes = entry
        .scopes
        .iter()
        .map(|s| Scope::parse(s).map_err(|why| format!("token {name:?}: {why}")))
        .collect::<Result<Vec<_>, _>>()?;
      Ok(Entry {
        hash: bytes,
        grant: Grant { scopes },
      })
    })
    .collect()
}

fn decode_hex(text: &str) -> Option<[u8; 32]> {
  let text = text.trim();
  if text.len() != 64 {
    return None;
  }
  let mut out = [0u8; 32];
  for (i, byte) in out.iter_mut().enumerate() {
    *byte = u8::from_str_radix(text.get(i * 2..i * 2 + 2)?, 16).ok()?;
  }
  Some(out)
}

/// The tokens file, re-read when it changes.
pub struct TokensFile {
  path: PathBuf,
  state: Mutex<Loaded>,
}

struct Loaded {
  stamp: Option<(SystemTime, u64)>,
  entries: Arc<Vec<Entry>>,
}

fn stamp(path: &Path) -> Option<(SystemTime, u64)> {
  let meta = std::fs::metadata(path).ok()?;
  Some((meta.modified().ok()?, meta.len()))
}

impl TokensFile {
  /// Reads the file once; an unreadable or invalid one stops start-up.
  pub fn open(path: &Path) -> Result<Self, String> {
    let stamp = stamp(path);
    let text = std::fs::read_to_string(path).map_err(|err| format!("{}: {err}", path.display()))?;
    let entries = parse(&text).map_err(|why| format!("{}: {why}", path.display()))?;
    Ok(Self {
      path: path.to_path_buf(),
      state: Mutex::new(Loaded {
        stamp,
        entries: Arc::new(entries),
      }),
    })
  }

  fn entries(&self) -> Arc<Vec<Entry>> {
    let now = stamp(&self.path);
    let mut loaded = self.state.lock().unwrap_or_else(|p| p.into_inner());
    if now != loaded.stamp {
      loaded.stamp = now;
      match std::fs::read_to_string(&self.path)
        .map_err(|err| err.to_string())
        .and_then(|text| parse(&text))
      {
        Ok(entries) => {
          tracing::info!("tokens file re-read: {} tokens", entries.len());
          loaded.entries = Arc::new(entries);
        }
        Err(why) => tracing::error!(
          "tokens file {} not re-read, the previous tokens stay: {why}",
          self.path.display()
        ),
      }
    }
    loaded.entries.clone()
  }

  /// The grant of `token`, if the file holds its hash. Every entry is
  /// compared, in time independent of where the digests differ.
  pub fn grant_of(&self, token: &str) -> Option<Grant> {
    let digest: [u8; 32] = sha2::Sha256::digest(token.as_bytes()).into();
    let entries = self.entries();
    let mut found = None;
    for entry in entries.iter() {
      let same = entry
        .hash
        .iter()
        .zip(digest.iter())
        .fold(0u8, |acc, (a, b)| acc | (a ^ b))
        == 0;
      if same && found.is_none() {
        found = Some(entry.grant.clone());
      }
    }
    found
  }
}

/// The process's tokens file, set once at start (`None`: no file).
pub static TOKENS: std::sync::OnceLock<Option<TokensFile>> = std::sync::OnceLock::new();

pub fn active() -> Option<&'static TokensFile> {
  TOKENS.get().and_then(Option::as_ref)
}

#[cfg(test)]
mod tests {
  use super::*;

  fn hex(token: &str) -> String {
    sha2::Sha256::digest(token.as_bytes())
      .iter()
      .map(|b| format!("{b:02x}"))
      .collect()
  }

  #[test]
  fn scopes_allow_what_they_name() {
    let deploy = Grant {
      scopes: vec![Scope::Deploy("shop".into())],
    };
    assert!(deploy.allows(&Needed::Deploy("shop".into())));
    assert!(deploy.allows(&Needed::AppLogs("shop".into())));
    assert!(!deploy.allows(&Needed::Deploy("blog".into())));
    assert!(!deploy.allows(&Needed::AppLogs("blog".into())));
    assert!(!deploy.allows(&Needed::Read));
    assert!(!deploy.allows(&Needed::Admin));
    let read = Grant {
      scopes: vec![Scope::Read],
    };
    assert!(read.allows(&Needed::AppLogs("blog".into())));
    assert!(!read.allows(&Needed::Deploy("blog".into())));
    assert!(Grant::admin().allows(&Needed::Deploy("any".into())));
  }

  #[test]
  fn files_are_checked() {
    let good = format!(
      r#"{{"tokens":[{{"name":"t","sha256":"{}","scopes":["deploy:shop","read"]}}]}}"#,
      hex("s3cret")
    );
    assert_eq!(parse(&good).unwrap().len(), 1);
    for bad in [
      r#"{"tokens":[{"name":"t","sha256":"abc","scopes":[]}]}"#.to_string(),
      good.replace("deploy:shop", "deploy:../x"),
      good.replace("\"read\"", "\"root\""),
      good.replace("\"name\"", "\"nom\""),
      "not json".to_string(),
    ] {
      assert!(parse(&bad).is_err(), "{bad}");
    }
  }

  #[test]
  fn tokens_are_found_by_hash_and_the_file_is_reread() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokens.json");
    let write = |token: &str, scope: &str| {
      std::fs::write(
        &path,
        format!(
          r#"{{"tokens":[{{"name":"t","sha256":"{}","scopes":["{scope}"]}}]}}"#,
          hex(token)
        ),
      )
      .unwrap();
    };
    write("one", "read");
    let file = TokensFile::open(&path).unwrap();
    assert!(file.grant_of("one").is_some());
    assert!(file.grant_of("two").is_none());
    write("twotwo", "admin");
    assert!(file.grant_of("twotwo").is_some(), "re-read on change");
    assert!(file.grant_of("one").is_none());
    std::fs::write(&path, "{ broken").unwrap();
    assert!(
      file.grant_of("twotwo").is_some(),
      "a broken edit keeps the old"
    );
  }
}
