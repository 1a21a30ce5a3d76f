//! `<base href="<x-base>/">` after `<head>`, so an SPA served under
//! `/<app>` resolves its relative URLs inside its own prefix.

/// Returns the document with the tag inserted, or `None` when there is no
/// `<head>` or the page already sets its own `<base>`.
pub fn inject_base(html: &[u8], base: &str) -> Option<Vec<u8>> {
  let lower: Vec<u8> = html
    .iter()
    .take(64 * 1024)
    .map(|b| b.to_ascii_lowercase())
    .collect();
  if find(&lower, b"<base").is_some() {
    return None;
  }
  let start = find(&lower, b"<head")?;
  // `<head>` or `<head attr…>`, but not `<header>`.
  let next = *lower.get(start + 5)?;
  if next != b'>' && !next.is_ascii_whitespace() {
    return None;
  }
  let end = start + lower[start..].iter().position(|&b| b == b'>')? + 1;
  let escaped = base
    .replace('&', "&amp;")
    .replace('"', "&quot;")
    .replace('<', "&lt;");
  let tag = format!("<base href=\"{escaped}/\">");
  let mut out = Vec::with_capacity(html.len() + tag.len());
  out.extend_from_slice(&html[..end]);
  out.extend_from_slice(tag.as_bytes());
  out.extend_from_slice(&html[end..]);
  Some(out)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
  haystack.windows(needle.len()).position(|w| w == needle)
}
