//! Conditional GET (RFC 9110 §13): whether the client's cached copy is
//! still current, for static files here and for `static` routes and
//! `Bun.file()` routes in `30_serve.js`.

use deno_core::op2;

/// `if_none_match` / `if_modified_since`: the request's headers ("" when
/// absent); `etag` / `modified_secs`: the representation's validators.
/// `If-None-Match` wins when present; tags compare weakly (`W/` ignored).
pub fn is_fresh(
  if_none_match: &str,
  if_modified_since: &str,
  etag: Option<&str>,
  modified_secs: Option<u64>,
) -> bool {
  fn opaque(tag: &str) -> &str {
    tag.trim().trim_start_matches("W/")
  }
  if !if_none_match.trim().is_empty() {
    let current = etag.map(opaque);
    return if_none_match
      .split(',')
      .map(opaque)
      .any(|tag| tag == "*" || current == Some(tag));
  }
  let Some(modified) = modified_secs else {
    return false;
  };
  httpdate::parse_http_date(if_modified_since).is_ok_and(|since| {
    let since = since
      .duration_since(std::time::UNIX_EPOCH)
      .unwrap_or_default()
      .as_secs();
    modified <= since
  })
}

/// [`is_fresh`] for JS: `etag` "" = none, `modified_secs` < 0 = unknown.
#[op2(fast)]
pub fn op_conditional_is_fresh(
  #[string] if_none_match: &str,
  #[string] if_modified_since: &str,
  #[string] etag: &str,
  modified_secs: f64,
) -> bool {
  let etag = (!etag.is_empty()).then_some(etag);
  let modified = (modified_secs >= 0.0).then_some(modified_secs as u64);
  is_fresh(if_none_match, if_modified_since, etag, modified)
}

#[cfg(test)]
mod tests {
  use super::is_fresh;

  const DATE: &str = "Sun, 06 Nov 1994 08:49:37 GMT";
  const SECS: u64 = 784_111_777;

  #[test]
  fn etags_win_and_compare_weakly() {
    assert!(is_fresh("W/\"a\"", "", Some("W/\"a\""), None));
    assert!(is_fresh("\"a\"", "", Some("W/\"a\""), None));
    assert!(is_fresh("\"b\", \"a\"", "", Some("\"a\""), None));
    assert!(is_fresh("*", "", None, None));
    assert!(!is_fresh("\"b\"", "", Some("\"a\""), None));
    // If-None-Match present: If-Modified-Since is not consulted.
    assert!(!is_fresh("\"b\"", DATE, Some("\"a\""), Some(SECS)));
  }

  #[test]
  fn dates_compare_by_the_second() {
    assert!(is_fresh("", DATE, None, Some(SECS)));
    assert!(is_fresh("", DATE, None, Some(SECS - 1)));
    assert!(!is_fresh("", DATE, None, Some(SECS + 1)));
    assert!(!is_fresh("", "yesterday", None, Some(SECS)));
    assert!(!is_fresh("", DATE, None, None));
  }
}
