//! `x-request-id`: the client's own when it is sane, else one made here.
//! The app and any upstream see it on the request, the client on the
//! response, and it is on every log line of the request.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::LazyLock;

use http::{HeaderMap, HeaderName, HeaderValue};

pub static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Longest client value kept.
const MAX_LEN: usize = 128;

/// The request's id: the client's one sane value, else a new one. Not
/// put on `headers` (growing the map costs more than the rest of this):
/// the app's view of the headers and a proxied request get it instead.
pub fn assign(headers: &HeaderMap) -> HeaderValue {
  let mut given = headers.get_all(&X_REQUEST_ID).iter();
  match (given.next(), given.next()) {
    (Some(value), None) if is_sane(value.as_bytes()) => value.clone(),
    _ => new_id(),
  }
}

/// Visible ASCII, 1 to 128 bytes: safe to echo and to write in a log line.
fn is_sane(value: &[u8]) -> bool {
  !value.is_empty() && value.len() <= MAX_LEN && value.iter().all(|b| (0x21..=0x7e).contains(b))
}

/// 20 hex digits: a per-process random prefix (ids stay unique across
/// restarts) and a counter (unique within the process).
fn new_id() -> HeaderValue {
  const HEX: &[u8; 16] = b"0123456789abcdef";
  static PREFIX: LazyLock<[u8; 8]> = LazyLock::new(|| {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
      std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos()),
    );
    let random = hasher.finish() as u32;
    std::array::from_fn(|i| HEX[((random >> ((7 - i) * 4)) & 0xf) as usize])
  });
  static COUNTER: AtomicU64 = AtomicU64::new(0);
  let count = COUNTER.fetch_add(1, Ordering::Relaxed);
  let mut text = [0u8; 20];
  text[..8].copy_from_slice(&*PREFIX);
  for (i, byte) in text[8..].iter_mut().enumerate() {
    *byte = HEX[((count >> ((11 - i) * 4)) & 0xf) as usize];
  }
  // An owned buffer: the id is cloned for the worker and its log lines,
  // and clones of it only count references (a copied slice's first clone
  // allocates a second time).
  let bytes = bytes::Bytes::from_owner(text);
  // SAFETY: hex digits only, which are valid in a header value.
  unsafe { HeaderValue::from_maybe_shared_unchecked(bytes) }
}

#[cfg(test)]
mod tests {
  use super::*;

  fn headers(values: &[&[u8]]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for value in values {
      map.append(
        X_REQUEST_ID.clone(),
        HeaderValue::from_bytes(value).unwrap(),
      );
    }
    map
  }

  #[test]
  fn a_sane_client_id_is_kept() {
    let map = headers(&[b"abc-123_XYZ.4"]);
    assert_eq!(assign(&map), "abc-123_XYZ.4");
  }

  #[test]
  fn bad_client_ids_are_replaced() {
    let long = [b'a'; MAX_LEN + 1];
    for bad in [&long[..], b"with space", b"tab\there", b"\xff\xfe"] {
      let id = assign(&headers(&[bad]));
      assert_eq!(id.len(), 20, "{bad:?}");
    }
    assert_eq!(assign(&headers(&[&[b'a'; MAX_LEN]])).len(), MAX_LEN);
    // Two ids: neither is trusted, a new one replaces both.
    let id = assign(&headers(&[b"one", b"two"]));
    assert_eq!(id.len(), 20);
  }

  #[test]
  fn made_ids_differ() {
    let a = assign(&HeaderMap::new());
    let b = assign(&HeaderMap::new());
    assert_ne!(a, b);
    assert_eq!(a.len(), 20);
    assert!(a.as_bytes().iter().all(u8::is_ascii_hexdigit));
    // One process, one prefix; the counter tells them apart.
    assert_eq!(a.as_bytes()[..8], b.as_bytes()[..8]);
  }
}
