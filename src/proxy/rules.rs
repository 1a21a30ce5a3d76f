//! An app's proxy rules: compiled from its config (`${VAR}` expanded from
//! the app's own environment), matched against a request path, the
//! rewrite applied.

use axum::http::{HeaderName, HeaderValue, Uri};
use regex::Regex;
use serde_json::Value;

/// One compiled rule.
#[derive(Debug, Clone)]
pub struct ProxyRule {
  pub(super) pattern: Regex,
  /// `scheme://authority[/base]`, `${ENV}` expanded, no trailing slash.
  pub(super) target: String,
  pub(super) rewrite: Option<String>,
  pub(super) change_origin: bool,
  pub(super) secure: bool,
  pub(super) headers: Vec<(HeaderName, HeaderValue)>,
}

/// The rules of one app, in file order.
#[derive(Debug, Default)]
pub struct ProxyRules(Vec<ProxyRule>);

/// Why a config's proxy rules cannot be used.
pub type RuleError = String;

impl ProxyRules {
  /// Compiles the `proxy` value (object or array form), expanding `${VAR}`
  /// in targets from `env`.
  pub fn compile(value: &Value, env: impl Fn(&str) -> Option<String>) -> Result<Self, RuleError> {
    let entries: Vec<(String, &Value)> = match value {
      Value::Object(map) => map.iter().map(|(k, v)| (k.clone(), v)).collect(),
      Value::Array(items) => items
        .iter()
        .enumerate()
        .map(|(i, item)| {
          let pattern = item
            .get("pattern")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("\"proxy[{i}].pattern\" must be a string"))?;
          Ok((pattern.to_string(), item))
        })
        .collect::<Result<_, RuleError>>()?,
      _ => return Err("\"proxy\" must be an object of rules or an array".into()),
    };
    entries
      .into_iter()
      .map(|(pattern, rule)| compile_rule(&pattern, rule, &env))
      .collect::<Result<_, _>>()
      .map(Self)
  }

  /// The first rule matching `path`, with the upstream URL for it.
  pub fn route(&self, path: &str, query: Option<&str>) -> Option<(&ProxyRule, String)> {
    self.0.iter().find_map(|rule| {
      let captures = rule.pattern.captures(path)?;
      let path = match &rule.rewrite {
        Some(rewrite) => substitute(rewrite, &captures),
        None => path.to_string(),
      };
      let mut url = format!(
        "{}{}{}",
        rule.target,
        if path.starts_with('/') { "" } else { "/" },
        path
      );
      if let Some(query) = query {
        url.push('?');
        url.push_str(query);
      }
      Some((rule, url))
    })
  }
}

fn compile_rule(
  pattern: &str,
  rule: &Value,
  env: &impl Fn(&str) -> Option<String>,
) -> Result<ProxyRule, RuleError> {
  let field = |name: &str| rule.get(name);
  let regex = Regex::new(pattern).map_err(|err| {
    let detail = err
      .to_string()
      .lines()
      .last()
      .unwrap_or_default()
      .trim()
      .to_string();
    format!("proxy pattern {pattern:?} is not a valid regular expression: {detail}")
  })?;
  let target = field("target")
    .and_then(Value::as_str)
    .ok_or_else(|| format!("proxy rule {pattern:?} needs a \"target\" URL"))?;
  let target = expand_env(target, env)
    .map_err(|var| format!("proxy rule {pattern:?}: environment variable {var} is not set"))?;
  let uri: Uri = target
    .parse()
    .map_err(|_| format!("proxy rule {pattern:?}: target {target:?} is not a URL"))?;
  if !matches!(uri.scheme_str(), Some("http" | "https" | "ws" | "wss")) || uri.authority().is_none()
  {
    return Err(format!(
      "proxy rule {pattern:?}: target {target:?} must be an http(s):// or ws(s):// URL"
    ));
  }
  let rewrite = match field("rewrite") {
    None | Some(Value::Null) => None,
    Some(Value::String(s)) => Some(s.clone()),
    Some(other) => {
      return Err(format!(
        "proxy rule {pattern:?}: \"rewrite\" must be a string, got {other}"
      ))
    }
  };
  let flag = |name: &str, default: bool| match field(name) {
    None | Some(Value::Null) => Ok(default),
    Some(Value::Bool(b)) => Ok(*b),
    Some(other) => Err(format!(
      "proxy rule {pattern:?}: \"{name}\" must be true or false, got {other}"
    )),
  };
  let mut headers = Vec::new();
  if let Some(extra) = field("headers") {
    let extra = extra
      .as_object()
      .ok_or_else(|| format!("proxy rule {pattern:?}: \"headers\" must be an object"))?;
    for (name, value) in extra {
      let value = value
        .as_str()
        .ok_or_else(|| format!("proxy rule {pattern:?}: header {name:?} must be a string"))?;
      let value = expand_env(value, env)
        .map_err(|var| format!("proxy rule {pattern:?}: environment variable {var} is not set"))?;
      let name = HeaderName::from_bytes(name.as_bytes())
        .map_err(|_| format!("proxy rule {pattern:?}: bad header name {name:?}"))?;
      let value = HeaderValue::from_str(&value)
        .map_err(|_| format!("proxy rule {pattern:?}: bad value for header {name}"))?;
      headers.push((name, value));
    }
  }
  Ok(ProxyRule {
    pattern: regex,
    target: target.trim_end_matches('/').to_string(),
    rewrite,
    change_origin: flag("changeOrigin", false)?,
    secure: flag("secure", true)?,
    headers,
  })
}

/// `${VAR}` → its value; `Err(VAR)` when unset.
fn expand_env(text: &str, env: &impl Fn(&str) -> Option<String>) -> Result<String, String> {
  let mut out = String::with_capacity(text.len());
  let mut rest = text;
  while let Some(start) = rest.find("${") {
    out.push_str(&rest[..start]);
    let Some(len) = rest[start + 2..].find('}') else {
      out.push_str(&rest[start..]);
      return Ok(out);
    };
    let name = &rest[start + 2..start + 2 + len];
    out.push_str(&env(name).ok_or_else(|| name.to_string())?);
    rest = &rest[start + 3 + len..];
  }
  out.push_str(rest);
  Ok(out)
}

/// `$1`…`$n` (greedy digits: `$10` is group 10), `$$` a literal `$`; a
/// group that did not take part in the match is empty.
fn substitute(template: &str, captures: &regex::Captures) -> String {
  let mut out = String::with_capacity(template.len() + 16);
  let mut chars = template.char_indices().peekable();
  while let Some((i, c)) = chars.next() {
    if c != '$' {
      out.push(c);
      continue;
    }
    if let Some((_, '$')) = chars.peek() {
      chars.next();
      out.push('$');
      continue;
    }
    let digits: String = template[i + 1..]
      .chars()
      .take_while(char::is_ascii_digit)
      .collect();
    if digits.is_empty() {
      out.push('$');
      continue;
    }
    for _ in 0..digits.len() {
      chars.next();
    }
    let group: usize = digits.parse().unwrap_or(usize::MAX);
    out.push_str(captures.get(group).map_or("", |m| m.as_str()));
  }
  out
}
