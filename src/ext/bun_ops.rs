//! Ops behind the Bun API extras in `runtime-js/12_bun_extras.js`: hashes,
//! `Bun.CryptoHasher`, compression, `Bun.password`, `Bun.semver`, `Bun.gc`.
//! Everything here is synchronous on the isolate thread (as in Bun) except
//! password hashing, which is slow on purpose and runs on a blocking thread.

use std::borrow::Cow;
use std::cell::RefCell;
use std::cmp::Ordering;
use std::io::{Read, Write};
use std::rc::Rc;

use super::npm_range::{loose_version, npm_range};
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use deno_core::{op2, v8, OpState, Resource, ResourceId};
use deno_error::JsErrorBox;
use hmac::{Hmac, Mac};
use sha2::digest::{Digest, FixedOutputReset};
use wyhash_final4::generics::WyHashVariant;

// ---------------------------------------------------------------------------
// Bun.hash

/// 64-bit hashes: 0 = wyhash (Bun.hash's default, Zig's std.hash.Wyhash,
/// which is wyhash "final 4"), 1 = xxHash64, 2 = xxHash3.
#[op2]
#[bigint]
pub fn op_bun_hash64(#[smi] kind: u32, #[anybuffer] data: &[u8], #[bigint] seed: u64) -> u64 {
  match kind {
    1 => xxhash_rust::xxh64::xxh64(data, seed),
    2 => xxhash_rust::xxh3::xxh3_64_with_seed(data, seed),
    _ => wyhash_final4::WyHash64::with_seed(seed).hash(data),
  }
}

/// 32-bit hashes: 0 = CRC-32, 1 = Adler-32, 2 = xxHash32.
#[op2]
pub fn op_bun_hash32(#[smi] kind: u32, #[anybuffer] data: &[u8], seed: u32) -> u32 {
  match kind {
    1 => {
      let mut adler = adler2::Adler32::new();
      adler.write_slice(data);
      adler.checksum()
    }
    2 => xxhash_rust::xxh32::xxh32(data, seed),
    _ => {
      let mut crc = crc32fast::Hasher::new_with_initial(seed);
      crc.update(data);
      crc.finalize()
    }
  }
}

// ---------------------------------------------------------------------------
// Bun.CryptoHasher

/// One incremental hash (plain or HMAC) behind a common face.
pub(super) trait Hashing {
  fn update(&mut self, data: &[u8]);
  /// The digest; the state starts over (Bun's `digest()` resets the hasher).
  fn digest_reset(&mut self) -> Vec<u8>;
  fn fork(&self) -> Box<dyn Hashing>;
}

struct Plain<D>(D);

impl<D: Digest + FixedOutputReset + Clone + 'static> Hashing for Plain<D> {
  fn update(&mut self, data: &[u8]) {
    Digest::update(&mut self.0, data);
  }
  fn digest_reset(&mut self) -> Vec<u8> {
    Digest::finalize_reset(&mut self.0).to_vec()
  }
  fn fork(&self) -> Box<dyn Hashing> {
    Box::new(Plain(self.0.clone()))
  }
}

struct Keyed<M>(M);

impl<M: Mac + FixedOutputReset + Clone + 'static> Hashing for Keyed<M> {
  fn update(&mut self, data: &[u8]) {
    Mac::update(&mut self.0, data);
  }
  fn digest_reset(&mut self) -> Vec<u8> {
    self.0.finalize_reset().into_bytes().to_vec()
  }
  fn fork(&self) -> Box<dyn Hashing> {
    Box::new(Keyed(self.0.clone()))
  }
}

pub(super) fn new_hashing(
  algorithm: &str,
  key: Option<&[u8]>,
) -> Result<Box<dyn Hashing>, JsErrorBox> {
  macro_rules! make {
    ($digest:ty) => {
      match key {
        None => Box::new(Plain(<$digest>::new())) as Box<dyn Hashing>,
        Some(key) => Box::new(Keyed(
          <Hmac<$digest> as Mac>::new_from_slice(key)
            .map_err(|_| JsErrorBox::type_error("invalid HMAC key"))?,
        )),
      }
    };
  }
  Ok(match algorithm.to_ascii_lowercase().as_str() {
    "md5" => make!(md5::Md5),
    "sha1" | "sha-1" => make!(sha1::Sha1),
    "sha224" | "sha-224" => make!(sha2::Sha224),
    "sha256" | "sha-256" => make!(sha2::Sha256),
    "sha384" | "sha-384" => make!(sha2::Sha384),
    "sha512" | "sha-512" => make!(sha2::Sha512),
    "sha512-224" | "sha512_224" => make!(sha2::Sha512_224),
    "sha512-256" | "sha512_256" => make!(sha2::Sha512_256),
    _ => {
      return Err(JsErrorBox::type_error(format!(
        "Unsupported algorithm {algorithm}"
      )))
    }
  })
}

struct HasherResource(RefCell<Box<dyn Hashing>>);

impl Resource for HasherResource {
  fn name(&self) -> Cow<'_, str> {
    "bunCryptoHasher".into()
  }
}

fn hasher(state: &OpState, rid: ResourceId) -> Result<Rc<HasherResource>, JsErrorBox> {
  state
    .resource_table
    .get::<HasherResource>(rid)
    .map_err(|_| JsErrorBox::type_error("CryptoHasher was already released"))
}

/// A new hasher; `keyed` makes it an HMAC with `key`.
#[op2]
#[smi]
pub fn op_bun_hasher_new(
  state: &mut OpState,
  #[string] algorithm: &str,
  #[anybuffer] key: &[u8],
  keyed: bool,
) -> Result<ResourceId, JsErrorBox> {
  let hashing = new_hashing(algorithm, keyed.then_some(key))?;
  Ok(
    state
      .resource_table
      .add(HasherResource(RefCell::new(hashing))),
  )
}

#[op2]
pub fn op_bun_hasher_update(
  state: &mut OpState,
  #[smi] rid: ResourceId,
  #[anybuffer] data: &[u8],
) -> Result<(), JsErrorBox> {
  hasher(state, rid)?.0.borrow_mut().update(data);
  Ok(())
}

#[op2]
#[buffer]
pub fn op_bun_hasher_digest(
  state: &mut OpState,
  #[smi] rid: ResourceId,
) -> Result<Vec<u8>, JsErrorBox> {
  Ok(hasher(state, rid)?.0.borrow_mut().digest_reset())
}

#[op2(fast)]
#[smi]
pub fn op_bun_hasher_copy(
  state: &mut OpState,
  #[smi] rid: ResourceId,
) -> Result<ResourceId, JsErrorBox> {
  let fork = hasher(state, rid)?.0.borrow().fork();
  Ok(state.resource_table.add(HasherResource(RefCell::new(fork))))
}

/// One-shot digest (`CryptoHasher.hash`, `Bun.SHA256.hash`).
#[op2]
#[buffer]
pub fn op_bun_digest(
  #[string] algorithm: &str,
  #[anybuffer] data: &[u8],
) -> Result<Vec<u8>, JsErrorBox> {
  let mut hashing = new_hashing(algorithm, None)?;
  hashing.update(data);
  Ok(hashing.digest_reset())
}

// ---------------------------------------------------------------------------
// Bun.gzipSync & co.

/// `format`: 0 = gzip, 1 = raw deflate (Bun's deflateSync has no zlib
/// header), 2 = zlib, 3 = brotli (`node:zlib`). `level` -1 means the
/// default (6; brotli's quality 11).
#[op2]
#[buffer]
pub fn op_bun_compress(
  #[smi] format: u32,
  #[anybuffer] data: &[u8],
  #[smi] level: i32,
) -> Result<Vec<u8>, JsErrorBox> {
  if format == 3 {
    let quality = match level {
      -1 => 11,
      0..=11 => level as u32,
      _ => {
        return Err(JsErrorBox::range_error(format!(
          "brotli quality must be between 0 and 11, got {level}"
        )))
      }
    };
    let mut out = Vec::with_capacity(data.len() / 2 + 64);
    {
      let mut enc = brotli::CompressorWriter::new(&mut out, 4096, quality, 22);
      enc
        .write_all(data)
        .and_then(|_| enc.flush())
        .map_err(|err| JsErrorBox::generic(err.to_string()))?;
    }
    return Ok(out);
  }
  let level = match level {
    -1 => flate2::Compression::default(),
    0..=9 => flate2::Compression::new(level as u32),
    _ => {
      return Err(JsErrorBox::range_error(format!(
        "compression level must be between -1 and 9, got {level}"
      )))
    }
  };
  let out = Vec::with_capacity(data.len() / 2 + 64);
  let result = match format {
    // Bun writes OS = 3 (Unix) and no mtime in the gzip header; match it so
    // the bytes agree.
    0 => {
      let mut enc = flate2::GzBuilder::new()
        .operating_system(3)
        .write(out, level);
      enc.write_all(data).and_then(|_| enc.finish())
    }
    1 => {
      let mut enc = flate2::write::DeflateEncoder::new(out, level);
      enc.write_all(data).and_then(|_| enc.finish())
    }
    _ => {
      let mut enc = flate2::write::ZlibEncoder::new(out, level);
      enc.write_all(data).and_then(|_| enc.finish())
    }
  };
  result.map_err(|err| JsErrorBox::generic(err.to_string()))
}

/// Largest output one decompression may produce (set once at start-up from
/// `MAX_DECOMPRESSED_MB`): a few kilobytes of zeros inflate to gigabytes.
pub static MAX_DECOMPRESSED_BYTES: std::sync::atomic::AtomicU64 =
  std::sync::atomic::AtomicU64::new(100 << 20);

/// The decompression limit, for `DecompressionStream` in JS.
#[op2(fast)]
#[number]
pub fn op_bun_decompress_limit() -> u64 {
  MAX_DECOMPRESSED_BYTES.load(std::sync::atomic::Ordering::Relaxed)
}

#[op2]
#[buffer]
pub fn op_bun_decompress(
  #[smi] format: u32,
  #[anybuffer] data: &[u8],
) -> Result<Vec<u8>, JsErrorBox> {
  let limit = MAX_DECOMPRESSED_BYTES.load(std::sync::atomic::Ordering::Relaxed);
  let mut out = Vec::with_capacity((data.len() * 3).min(limit as usize));
  // One byte past the limit tells "exactly at it" from "beyond it".
  let reader: Box<dyn Read + '_> = match format {
    0 => Box::new(flate2::read::MultiGzDecoder::new(data)),
    1 => Box::new(flate2::read::DeflateDecoder::new(data)),
    3 => Box::new(brotli::Decompressor::new(data, 4096)),
    _ => Box::new(flate2::read::ZlibDecoder::new(data)),
  };
  match reader.take(limit + 1).read_to_end(&mut out) {
    Ok(_) if out.len() as u64 > limit => Err(JsErrorBox::range_error(format!(
      "decompressed data is larger than the server's limit ({} MB)",
      limit >> 20
    ))),
    Ok(_) => Ok(out),
    Err(err) => Err(JsErrorBox::generic(err.to_string())),
  }
}

// ---------------------------------------------------------------------------
// Bun.password

/// Longer bcrypt inputs are first hashed with SHA-512 as Bun does (bcrypt
/// itself ignores everything past 72 bytes), so hashes move between the two.
fn bcrypt_input(password: &[u8]) -> Cow<'_, [u8]> {
  if password.len() > 72 {
    Cow::Owned(sha2::Sha512::digest(password).to_vec())
  } else {
    Cow::Borrowed(password)
  }
}

/// Caps on the work one password hash may ask for: bcrypt's cost doubles
/// the time per step (31 is years), argon2's memory is allocated outside
/// the isolate's heap. Bun's defaults (bcrypt 10, argon2 64 MiB × 2) are
/// well inside.
const MAX_BCRYPT_COST: u32 = 15;
const MAX_ARGON2_MEMORY_KIB: u32 = 256 * 1024;
const MAX_ARGON2_TIME: u32 = 16;

fn check_bcrypt_cost(cost: u32) -> Result<(), JsErrorBox> {
  if (4..=MAX_BCRYPT_COST).contains(&cost) {
    Ok(())
  } else {
    Err(JsErrorBox::range_error(format!(
      "bcrypt cost must be between 4 and {MAX_BCRYPT_COST}, got {cost}"
    )))
  }
}

fn check_argon2_cost(memory_kib: u32, time: u32, lanes: u32) -> Result<(), JsErrorBox> {
  if memory_kib > MAX_ARGON2_MEMORY_KIB || time > MAX_ARGON2_TIME || lanes > 16 {
    return Err(JsErrorBox::range_error(format!(
      "argon2 cost too high for this server (memoryCost at most {MAX_ARGON2_MEMORY_KIB} KiB, timeCost at most {MAX_ARGON2_TIME})"
    )));
  }
  Ok(())
}

fn hash_password(
  password: &[u8],
  algorithm: &str,
  memory_cost: u32,
  time_cost: u32,
  cost: u32,
) -> Result<String, JsErrorBox> {
  let variant = match algorithm {
    "argon2id" => argon2::Algorithm::Argon2id,
    "argon2i" => argon2::Algorithm::Argon2i,
    "argon2d" => argon2::Algorithm::Argon2d,
    "bcrypt" => {
      check_bcrypt_cost(cost)?;
      return bcrypt::hash_with_result(bcrypt_input(password), cost)
        .map(|parts| parts.format_for_version(bcrypt::Version::TwoB))
        .map_err(|err| JsErrorBox::generic(format!("bcrypt failed: {err}")));
    }
    other => {
      return Err(JsErrorBox::type_error(format!(
        "Unsupported password hashing algorithm {other:?} (argon2id, argon2i, argon2d or bcrypt)"
      )))
    }
  };
  check_argon2_cost(memory_cost, time_cost, 1)?;
  let params = argon2::Params::new(memory_cost, time_cost, 1, None)
    .map_err(|err| JsErrorBox::range_error(format!("invalid argon2 options: {err}")))?;
  argon2::Argon2::new(variant, argon2::Version::V0x13, params)
    .hash_password(password)
    .map(|hash| hash.to_string())
    .map_err(|err| JsErrorBox::generic(format!("argon2 failed: {err}")))
}

/// Checks `password` against a PHC argon2 string or a bcrypt hash; which one
/// is read from the hash itself.
fn verify_password(password: &[u8], hash: &str) -> Result<bool, JsErrorBox> {
  if hash.starts_with("$argon2") {
    // The hash names its own cost: a stored (or attacker-sent) hash must
    // not make verification allocate gigabytes.
    let parsed = argon2::PasswordHash::new(hash)
      .map_err(|err| JsErrorBox::generic(format!("invalid argon2 hash: {err}")))?;
    let params = argon2::Params::try_from(&parsed)
      .map_err(|err| JsErrorBox::generic(format!("invalid argon2 hash: {err}")))?;
    check_argon2_cost(params.m_cost(), params.t_cost(), params.p_cost())?;
    return match argon2::Argon2::default().verify_password(password, hash) {
      Ok(()) => Ok(true),
      Err(argon2::password_hash::Error::PasswordInvalid) => Ok(false),
      Err(err) => Err(JsErrorBox::generic(format!("invalid argon2 hash: {err}"))),
    };
  }
  if ["$2a$", "$2b$", "$2y$", "$2x$"]
    .iter()
    .any(|prefix| hash.starts_with(prefix))
  {
    let cost = hash.get(4..6).and_then(|c| c.parse().ok()).unwrap_or(0);
    check_bcrypt_cost(cost)?;
    return bcrypt::verify(bcrypt_input(password), hash)
      .map_err(|err| JsErrorBox::generic(format!("invalid bcrypt hash: {err}")));
  }
  Err(JsErrorBox::type_error(
    "unsupported password hash: expected an argon2 ($argon2...) or bcrypt ($2b$...) hash",
  ))
}

async fn off_thread<T: Send + 'static>(
  work: impl FnOnce() -> Result<T, JsErrorBox> + Send + 'static,
) -> Result<T, JsErrorBox> {
  tokio::task::spawn_blocking(work)
    .await
    .map_err(|err| JsErrorBox::generic(format!("password hashing failed: {err}")))?
}

#[op2]
#[string]
pub async fn op_bun_password_hash(
  #[buffer(copy)] password: Vec<u8>,
  #[string] algorithm: String,
  #[smi] memory_cost: u32,
  #[smi] time_cost: u32,
  #[smi] cost: u32,
) -> Result<String, JsErrorBox> {
  off_thread(move || hash_password(&password, &algorithm, memory_cost, time_cost, cost)).await
}

#[op2]
#[string]
pub fn op_bun_password_hash_sync(
  #[anybuffer] password: &[u8],
  #[string] algorithm: &str,
  #[smi] memory_cost: u32,
  #[smi] time_cost: u32,
  #[smi] cost: u32,
) -> Result<String, JsErrorBox> {
  hash_password(password, algorithm, memory_cost, time_cost, cost)
}

#[op2]
pub async fn op_bun_password_verify(
  #[buffer(copy)] password: Vec<u8>,
  #[string] hash: String,
) -> Result<bool, JsErrorBox> {
  off_thread(move || verify_password(&password, &hash)).await
}

#[op2]
pub fn op_bun_password_verify_sync(
  #[anybuffer] password: &[u8],
  #[string] hash: &str,
) -> Result<bool, JsErrorBox> {
  verify_password(password, hash)
}

// ---------------------------------------------------------------------------
// Bun.semver

/// npm's `satisfies`: prereleases only match a comparator on the same
/// `major.minor.patch` that names a prerelease, which is also the semver
/// crate's rule. An unparsable version or range satisfies nothing.
#[op2(fast)]
pub fn op_bun_semver_satisfies(#[string] version: &str, #[string] range: &str) -> bool {
  match (loose_version(version), npm_range(range)) {
    (Some(version), Some(alternatives)) => alternatives.iter().any(|req| req.matches(&version)),
    _ => false,
  }
}

#[op2(fast)]
pub fn op_bun_semver_order(#[string] a: &str, #[string] b: &str) -> Result<i32, JsErrorBox> {
  let parse = |text: &str| {
    loose_version(text).ok_or_else(|| JsErrorBox::type_error(format!("Invalid version: {text:?}")))
  };
  Ok(match parse(a)?.cmp_precedence(&parse(b)?) {
    Ordering::Less => -1,
    Ordering::Equal => 0,
    Ordering::Greater => 1,
  })
}

// ---------------------------------------------------------------------------
// Bun.gc

/// `force` runs a full collection now; either way answers the heap in use.
#[op2(fast)]
pub fn op_bun_gc(scope: &mut v8::PinScope<'_, '_>, force: bool) -> f64 {
  if force {
    scope.low_memory_notification();
  }
  scope.get_heap_statistics().used_heap_size() as f64
}
