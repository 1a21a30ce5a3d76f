//! Forwarding a matched request upstream over pooled HTTP clients (one
//! set per proxy thread, one on the front end), names resolved through the
//! private-address policy.

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, HeaderValue, Request, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use super::rules::ProxyRule;
use super::websocket::tunnel_websocket;
use super::{is_websocket_upgrade, strip_hop_by_hop};
use crate::http_error::HttpError;

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
  if crate::proxy::threads::on_proxy_thread() {
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

pub(super) fn tls_config(secure: bool) -> Arc<rustls::ClientConfig> {
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

pub(super) fn proxy_error(message: impl std::fmt::Display) -> Response {
  HttpError::proxy(message).into_response()
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
      return HttpError::new(StatusCode::FORBIDDEN, message).into_response();
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
        return HttpError::new(StatusCode::FORBIDDEN, format!("Proxy error: {message}"))
          .into_response();
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
