//! Proxy rules from an app's config: paths matching a rule's regular
//! expression are forwarded to an upstream (HTTP, or a WebSocket tunnel)
//! before any worker is involved.
//!
//! ```json
//! { "proxy": { "^/api/(.*)$": { "target": "http://${API_HOST}", "rewrite": "/v1/$1" } } }
//! ```

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::body::Body;
use axum::extract::ws::{CloseFrame, Message as ClientMessage, WebSocket, WebSocketUpgrade};
use axum::extract::FromRequestParts;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Request, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use futures::{SinkExt, StreamExt};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use regex::Regex;
use serde_json::Value;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame as UpstreamCloseFrame;
use tokio_tungstenite::tungstenite::Message as UpstreamMessage;

use crate::http_error::json_error;

/// One compiled rule.
#[derive(Debug, Clone)]
pub struct ProxyRule {
  pattern: Regex,
  /// `scheme://authority[/base]`, `${ENV}` expanded, no trailing slash.
  target: String,
  rewrite: Option<String>,
  change_origin: bool,
  secure: bool,
  headers: Vec<(HeaderName, HeaderValue)>,
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

/// Headers that belong to one connection (RFC 9110 §7.6.1), plus any the
/// `Connection` header names.
pub fn strip_hop_by_hop(headers: &mut HeaderMap) {
  const HOP_BY_HOP: [HeaderName; 9] = [
    header::CONNECTION,
    HeaderName::from_static("keep-alive"),
    HeaderName::from_static("proxy-connection"),
    header::PROXY_AUTHENTICATE,
    header::PROXY_AUTHORIZATION,
    header::TE,
    header::TRAILER,
    header::TRANSFER_ENCODING,
    header::UPGRADE,
  ];
  // Most responses carry none: one pass over the names, no removals.
  if !headers.keys().any(|name| HOP_BY_HOP.contains(name)) {
    return;
  }
  let named: Vec<HeaderName> = headers
    .get_all(header::CONNECTION)
    .iter()
    .filter_map(|v| v.to_str().ok())
    .flat_map(|v| v.split(','))
    .filter_map(|name| HeaderName::from_bytes(name.trim().as_bytes()).ok())
    .collect();
  for name in named {
    headers.remove(name);
  }
  for name in HOP_BY_HOP {
    headers.remove(name);
  }
}

type HttpsClient =
  Client<hyper_rustls::HttpsConnector<HttpConnector<crate::ext::net_policy::PolicyResolver>>, Body>;

thread_local! {
  /// A proxy thread's own clients (trusting, verifying: indexed by
  /// `secure`): their pooled connections live on that thread.
  static THREAD_CLIENTS: [std::cell::OnceCell<HttpsClient>; 2] =
    const { [std::cell::OnceCell::new(), std::cell::OnceCell::new()] };
}

/// The pooled client for a TLS policy: the proxy thread's own on a proxy
/// thread, else one shared by the front end.
fn client(secure: bool) -> HttpsClient {
  if crate::proxy_threads::on_proxy_thread() {
    return THREAD_CLIENTS.with(|clients| {
      clients[usize::from(secure)]
        .get_or_init(|| new_client(secure))
        .clone()
    });
  }
  static VERIFYING: OnceLock<HttpsClient> = OnceLock::new();
  static TRUSTING: OnceLock<HttpsClient> = OnceLock::new();
  let cell = if secure { &VERIFYING } else { &TRUSTING };
  cell.get_or_init(|| new_client(secure)).clone()
}

fn new_client(secure: bool) -> HttpsClient {
  let tls = tls_config(secure);
  // Names resolve through the private-address policy.
  let mut http = HttpConnector::new_with_resolver(crate::ext::net_policy::PolicyResolver);
  http.enforce_http(false);
  http.set_nodelay(true);
  let connector = hyper_rustls::HttpsConnectorBuilder::new()
    .with_tls_config((*tls).clone())
    .https_or_http()
    .enable_http1()
    .wrap_connector(http);
  Client::builder(TokioExecutor::new())
    .pool_idle_timeout(Duration::from_secs(30))
    .build(connector)
}

fn tls_config(secure: bool) -> Arc<rustls::ClientConfig> {
  let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
  let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
    .with_safe_default_protocol_versions()
    .expect("rustls protocol versions");
  let config = if secure {
    let roots = rustls::RootCertStore {
      roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    builder.with_root_certificates(roots).with_no_client_auth()
  } else {
    builder
      .dangerous()
      .with_custom_certificate_verifier(Arc::new(TrustAnything(provider)))
      .with_no_client_auth()
  };
  Arc::new(config)
}

/// `secure: false`: the rule's upstream is trusted without verifying its
/// certificate (self-signed development servers). Signatures are still
/// checked, so the handshake is a real one.
#[derive(Debug)]
struct TrustAnything(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for TrustAnything {
  fn verify_server_cert(
    &self,
    _: &rustls::pki_types::CertificateDer<'_>,
    _: &[rustls::pki_types::CertificateDer<'_>],
    _: &rustls::pki_types::ServerName<'_>,
    _: &[u8],
    _: rustls::pki_types::UnixTime,
  ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
    Ok(rustls::client::danger::ServerCertVerified::assertion())
  }

  fn verify_tls12_signature(
    &self,
    message: &[u8],
    cert: &rustls::pki_types::CertificateDer<'_>,
    dss: &rustls::DigitallySignedStruct,
  ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
    rustls::crypto::verify_tls12_signature(
      message,
      cert,
      dss,
      &self.0.signature_verification_algorithms,
    )
  }

  fn verify_tls13_signature(
    &self,
    message: &[u8],
    cert: &rustls::pki_types::CertificateDer<'_>,
    dss: &rustls::DigitallySignedStruct,
  ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
    rustls::crypto::verify_tls13_signature(
      message,
      cert,
      dss,
      &self.0.signature_verification_algorithms,
    )
  }

  fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
    self.0.signature_verification_algorithms.supported_schemes()
  }
}

fn proxy_error(message: impl std::fmt::Display) -> Response {
  json_error(StatusCode::BAD_GATEWAY, format!("Proxy error: {message}"))
}

pub fn is_websocket_upgrade(headers: &HeaderMap) -> bool {
  let has_token = |name: header::HeaderName, token: &str| {
    headers
      .get_all(name)
      .iter()
      .filter_map(|v| v.to_str().ok())
      .any(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
  };
  has_token(header::CONNECTION, "upgrade") && has_token(header::UPGRADE, "websocket")
}

/// Forwards `request` (already matched by `rule`) to `url`.
pub async fn forward(
  rule: &ProxyRule,
  url: String,
  request: Request<Body>,
  client_addr: Option<SocketAddr>,
  timeout: Duration,
) -> Response {
  if let Some(host) = url.parse::<Uri>().ok().as_ref().and_then(Uri::host) {
    if let Err(message) = crate::ext::net_policy::check_proxy_host(host) {
      return json_error(StatusCode::FORBIDDEN, message);
    }
  }
  if is_websocket_upgrade(request.headers()) {
    return tunnel_websocket(rule, url, request).await;
  }
  let (mut parts, body) = request.into_parts();
  let uri: Uri = match url.parse() {
    Ok(uri) => uri,
    Err(err) => return proxy_error(format!("bad upstream URL {url}: {err}")),
  };
  let original_host = parts.headers.get(header::HOST).cloned();
  let mut headers = std::mem::take(&mut parts.headers);
  strip_hop_by_hop(&mut headers);
  if let Some(addr) = client_addr {
    let ip = addr.ip().to_string();
    let forwarded_for = match headers.get("x-forwarded-for").and_then(|v| v.to_str().ok()) {
      Some(previous) => format!("{previous}, {ip}"),
      None => ip,
    };
    if let Ok(value) = HeaderValue::from_str(&forwarded_for) {
      headers.insert("x-forwarded-for", value);
    }
  }
  headers.insert("x-forwarded-proto", HeaderValue::from_static("http"));
  if let Some(host) = &original_host {
    headers.insert("x-forwarded-host", host.clone());
  }
  if rule.change_origin {
    if let Some(authority) = uri.authority() {
      if let Ok(host) = HeaderValue::from_str(authority.as_str()) {
        headers.insert(header::HOST, host);
      }
      if headers.contains_key(header::ORIGIN) {
        let origin = format!("{}://{}", uri.scheme_str().unwrap_or("http"), authority);
        if let Ok(origin) = HeaderValue::from_str(&origin) {
          headers.insert(header::ORIGIN, origin);
        }
      }
    }
  }
  for (name, value) in &rule.headers {
    headers.insert(name.clone(), value.clone());
  }
  let uri = match uri.scheme_str() {
    // A ws:// target also serves plain HTTP requests on its paths.
    Some("ws") | Some("wss") => {
      let http = url.replacen("ws", "http", 1);
      match http.parse() {
        Ok(uri) => uri,
        Err(err) => return proxy_error(format!("bad upstream URL {http}: {err}")),
      }
    }
    _ => uri,
  };
  let mut upstream = Request::new(body);
  *upstream.method_mut() = parts.method;
  *upstream.uri_mut() = uri;
  *upstream.headers_mut() = headers;
  match tokio::time::timeout(timeout, client(rule.secure).request(upstream)).await {
    Err(_) => proxy_error(format!(
      "upstream did not answer within {}ms",
      timeout.as_millis()
    )),
    Ok(Err(err)) => {
      let mut message = err.to_string();
      let mut refused = false;
      let mut source = std::error::Error::source(&err);
      while let Some(inner) = source {
        message = format!("{message}: {inner}");
        // The resolver's policy said no: the rule, not the upstream, is at fault.
        refused |= inner
          .downcast_ref::<std::io::Error>()
          .is_some_and(|io| io.kind() == std::io::ErrorKind::PermissionDenied);
        source = inner.source();
      }
      if refused {
        return json_error(StatusCode::FORBIDDEN, format!("Proxy error: {message}"));
      }
      proxy_error(message)
    }
    Ok(Ok(response)) => {
      let (mut parts, body) = response.into_parts();
      strip_hop_by_hop(&mut parts.headers);
      Response::from_parts(parts, Body::new(body))
    }
  }
}

/// Accepts the client's WebSocket, then connects upstream and relays
/// frames both ways. Frames the client sends before the upstream is open
/// wait in the socket; an upstream that fails closes the client with 1011.
async fn tunnel_websocket(rule: &ProxyRule, url: String, request: Request<Body>) -> Response {
  let (mut parts, _body) = request.into_parts();
  let upgrade = match WebSocketUpgrade::from_request_parts(&mut parts, &()).await {
    Ok(upgrade) => upgrade.read_buffer_size(WS_READ_BUFFER),
    Err(rejection) => return rejection.into_response(),
  };
  let ws_url = url
    .replacen("https://", "wss://", 1)
    .replacen("http://", "ws://", 1);
  let mut upstream_request =
    match tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(&ws_url) {
      Ok(request) => request,
      Err(err) => return proxy_error(format!("bad upstream URL {ws_url}: {err}")),
    };
  let protocols: Vec<String> = parts
    .headers
    .get(header::SEC_WEBSOCKET_PROTOCOL)
    .and_then(|v| v.to_str().ok())
    .map(|v| {
      v.split(',')
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect()
    })
    .unwrap_or_default();
  {
    let headers = upstream_request.headers_mut();
    if let Some(value) = parts.headers.get(header::SEC_WEBSOCKET_PROTOCOL) {
      headers.insert(header::SEC_WEBSOCKET_PROTOCOL, value.clone());
    }
    for name in [header::COOKIE, header::AUTHORIZATION, header::USER_AGENT] {
      if let Some(value) = parts.headers.get(&name) {
        headers.insert(name, value.clone());
      }
    }
    if !rule.change_origin {
      if let Some(origin) = parts.headers.get(header::ORIGIN) {
        headers.insert(header::ORIGIN, origin.clone());
      }
    }
    for (name, value) in &rule.headers {
      headers.insert(name.clone(), value.clone());
    }
  }
  let tls = (!rule.secure).then(|| tokio_tungstenite::Connector::Rustls(tls_config(false)));
  upgrade
    .protocols(protocols)
    .on_upgrade(move |client| relay(client, upstream_request, tls, ws_url))
}

/// Read buffer of a WebSocket connection. tungstenite zeroes this much
/// before every socket read: its 128 KiB default made memset the largest
/// cost of relaying small messages.
pub const WS_READ_BUFFER: usize = 8 << 10;

fn ws_config() -> tokio_tungstenite::tungstenite::protocol::WebSocketConfig {
  tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default()
    .read_buffer_size(WS_READ_BUFFER)
}

/// Opens the upstream WebSocket on an address the private-address policy
/// allows (resolved here, so the check and the connection see one answer).
async fn connect_upstream_socket(
  request: tokio_tungstenite::tungstenite::handshake::client::Request,
  tls: Option<tokio_tungstenite::Connector>,
) -> Result<
  tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
  tokio_tungstenite::tungstenite::Error,
> {
  use tokio_tungstenite::tungstenite::Error;
  let uri = request.uri();
  let host = crate::ext::net_policy::bare_host(uri.host().unwrap_or(""));
  let port = uri
    .port_u16()
    .unwrap_or(if uri.scheme_str() == Some("wss") {
      443
    } else {
      80
    });
  let addrs: Vec<SocketAddr> = match host.parse::<std::net::IpAddr>() {
    Ok(ip) => vec![SocketAddr::new(ip, port)],
    Err(_) => crate::ext::net_policy::resolve_allowed(host.to_string(), true)
      .await
      .map_err(Error::Io)?
      .map(|addr| SocketAddr::new(addr.ip(), port))
      .collect(),
  };
  let stream = tokio::net::TcpStream::connect(&addrs[..])
    .await
    .map_err(Error::Io)?;
  let _ = stream.set_nodelay(true);
  tokio_tungstenite::client_async_tls_with_config(request, stream, Some(ws_config()), tls)
    .await
    .map(|(upstream, _)| upstream)
}

async fn relay(
  mut client: WebSocket,
  request: tokio_tungstenite::tungstenite::handshake::client::Request,
  tls: Option<tokio_tungstenite::Connector>,
  url: String,
) {
  // On a worker thread (a connection it adopted), the thread outlives the
  // isolate until the tunnel closes.
  let _hold = crate::worker::ThreadHold::take();
  let upstream = match connect_upstream_socket(request, tls).await {
    Ok(upstream) => upstream,
    Err(err) => {
      tracing::warn!("WebSocket proxy to {url} failed: {err}");
      let frame = CloseFrame {
        code: 1011,
        reason: "Proxy error: upstream unavailable".into(),
      };
      let _ = client.send(ClientMessage::Close(Some(frame))).await;
      return;
    }
  };
  let (mut upstream_tx, mut upstream_rx) = upstream.split();
  let (mut client_tx, mut client_rx) = client.split();
  let to_upstream = async {
    while let Some(Ok(message)) = client_rx.next().await {
      let closing = matches!(message, ClientMessage::Close(_));
      if upstream_tx
        .send(to_upstream_message(message))
        .await
        .is_err()
        || closing
      {
        break;
      }
    }
    let _ = upstream_tx.close().await;
  };
  let to_client = async {
    while let Some(Ok(message)) = upstream_rx.next().await {
      let Some(message) = to_client_message(message) else {
        continue;
      };
      let closing = matches!(message, ClientMessage::Close(_));
      if client_tx.send(message).await.is_err() || closing {
        break;
      }
    }
    let _ = client_tx.close().await;
  };
  // When either side ends, the other is closed too.
  tokio::select! {
    _ = to_upstream => {}
    _ = to_client => {}
  }
}

fn to_upstream_message(message: ClientMessage) -> UpstreamMessage {
  match message {
    ClientMessage::Text(text) => UpstreamMessage::text(text.as_str()),
    ClientMessage::Binary(bytes) => UpstreamMessage::Binary(bytes),
    ClientMessage::Ping(bytes) => UpstreamMessage::Ping(bytes),
    ClientMessage::Pong(bytes) => UpstreamMessage::Pong(bytes),
    ClientMessage::Close(frame) => UpstreamMessage::Close(frame.map(|f| UpstreamCloseFrame {
      code: CloseCode::from(f.code),
      reason: f.reason.as_str().into(),
    })),
  }
}

fn to_client_message(message: UpstreamMessage) -> Option<ClientMessage> {
  Some(match message {
    UpstreamMessage::Text(text) => ClientMessage::text(text.as_str()),
    UpstreamMessage::Binary(bytes) => ClientMessage::Binary(bytes),
    UpstreamMessage::Ping(bytes) => ClientMessage::Ping(bytes),
    UpstreamMessage::Pong(bytes) => ClientMessage::Pong(bytes),
    UpstreamMessage::Close(frame) => ClientMessage::Close(frame.map(|f| CloseFrame {
      code: f.code.into(),
      reason: f.reason.as_str().into(),
    })),
    UpstreamMessage::Frame(_) => return None,
  })
}
