//! `x-request-id`: the client's own when it is sane, else one made here.
//! Put on the request (the app and any upstream see it) and on the
//! response, and on every log line of the request.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::LazyLock;

use http::{HeaderMap, HeaderName, HeaderValue};

pub static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Longest client value kept.
const MAX_LEN: usize = 128;

/// The request's id, made the only `x-request-id` on `headers`.
pub fn assign(headers: &mut HeaderMap) -> HeaderValue {
  let mut given = headers.get_all(&X_REQUEST_ID).iter();
  let kept = match (given.next(), given.next()) {
    (Some(value), None) if is_sane(value.as_bytes()) => return value.clone(),
    _ => new_id(),
  };
  headers.insert(X_REQUEST_ID.clone(), kept.clone());
  kept
}

/// Visible ASCII, 1 to 128 bytes: safe to echo and to write in a log line.
fn is_sane(value: &[u8]) -> bool {
  !value.is_empty() && value.len() <= MAX_LEN && value.iter().all(|b| (0x21..=0x7e).contains(b))
}

/// 20 hex digits: a per-process random prefix (ids stay unique across
/// restarts) and a counter (unique within the process).
fn new_id() -> HeaderValue {
  static PREFIX: LazyLock<u32> = LazyLock::new(|| {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
      std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos()),
    );
    hasher.finish() as u32
  });
  static COUNTER: AtomicU64 = AtomicU64::new(0);
  let count = COUNTER.fetch_add(1, Ordering::Relaxed) & 0xffff_ffff_ffff;
  let digits = (u128::from(*PREFIX) << 48) | u128::from(count);
  const HEX: &[u8; 16] = b"0123456789abcdef";
  let mut text = [0u8; 20];
  for (i, byte) in text.iter_mut().enumerate() {
    *byte = HEX[((digits >> ((19 - i) * 4)) & 0xf) as usize];
  }
  HeaderValue::from_bytes(&text).expect("hex digits are a valid header value")
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
    let mut map = headers(&[b"abc-123_XYZ.4"]);
    assert_eq!(assign(&mut map), "abc-123_XYZ.4");
    assert_eq!(map.get_all(&X_REQUEST_ID).iter().count(), 1);
  }

  #[test]
  fn bad_client_ids_are_replaced() {
    let long = [b'a'; MAX_LEN + 1];
    for bad in [&long[..], b"with space", b"tab\there", b"\xff\xfe"] {
      let mut map = headers(&[bad]);
      let id = assign(&mut map);
      assert_eq!(id.len(), 20, "{bad:?}");
      assert_eq!(map.get(&X_REQUEST_ID), Some(&id));
    }
    assert_eq!(assign(&mut headers(&[&[b'a'; MAX_LEN]])).len(), MAX_LEN);
    // Two ids: neither is trusted, one new one replaces both.
    let mut two = headers(&[b"one", b"two"]);
    let id = assign(&mut two);
    assert_eq!(two.get_all(&X_REQUEST_ID).iter().collect::<Vec<_>>(), [&id]);
  }

  #[test]
  fn made_ids_differ() {
    let a = assign(&mut HeaderMap::new());
    let b = assign(&mut HeaderMap::new());
    assert_ne!(a, b);
    assert!(a.as_bytes().iter().all(u8::is_ascii_hexdigit));
  }
}
