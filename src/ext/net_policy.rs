//! Which network destinations app code may reach. With
//! `BLOCK_PRIVATE_FETCH` set, an app's `fetch` (and a proxy rule's target)
//! may not reach loopback, private or link-local addresses, whether named
//! by address or by a name that resolves to one: names are resolved here
//! and the connection goes only to the addresses that passed.

use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::RwLock;
use std::task::{Context, Poll};

use deno_error::JsErrorBox;
use hyper_util::client::legacy::connect::dns::Name;

/// When set, app `fetch` may not reach loopback, private or link-local
/// addresses (set once at start-up from the settings).
pub static BLOCK_PRIVATE_FETCH: AtomicBool = AtomicBool::new(false);

/// Host names or addresses proxy rules may target although they are
/// private (`PROXY_PRIVATE_TARGETS`), lower-case.
static PRIVATE_TARGETS: RwLock<Vec<String>> = RwLock::new(Vec::new());

pub fn set_private_targets(hosts: &[String]) {
  *PRIVATE_TARGETS.write().unwrap() = hosts
    .iter()
    .map(|host| bare_host(host).to_ascii_lowercase())
    .filter(|host| !host.is_empty())
    .collect();
}

fn blocking() -> bool {
  BLOCK_PRIVATE_FETCH.load(Ordering::Relaxed)
}

/// `[::1]` → `::1`.
pub fn bare_host(host: &str) -> &str {
  host.trim().trim_start_matches('[').trim_end_matches(']')
}

pub fn is_private(ip: IpAddr) -> bool {
  match ip {
    IpAddr::V4(v4) => {
      v4.is_loopback() || v4.is_private() || v4.is_link_local() || v4.is_unspecified() || v4.is_broadcast()
        // 100.64.0.0/10, carrier-grade NAT.
        || (v4.octets()[0] == 100 && (v4.octets()[1] & 0xc0) == 64)
    }
    IpAddr::V6(v6) => {
      let first = v6.segments()[0];
      v6.is_loopback()
        || v6.is_unspecified()
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80
        || v6
          .to_ipv4_mapped()
          .is_some_and(|v4| is_private(IpAddr::V4(v4)))
    }
  }
}

/// A host that is private without resolving it: a private address
/// literal, or `localhost` and its subdomains.
fn names_private(host: &str) -> bool {
  let lower = host.to_ascii_lowercase();
  lower == "localhost"
    || lower.ends_with(".localhost")
    || host.parse::<IpAddr>().is_ok_and(is_private)
}

fn refused(host: &str) -> String {
  format!("{host} is not allowed: private and loopback addresses are blocked on this server")
}

/// deno_fetch's per-request hook: catches destinations named by address
/// (they are never resolved) and `localhost` names.
pub fn check_fetch_destination(
  request: &mut http::Request<deno_fetch::ReqBody>,
) -> Result<(), JsErrorBox> {
  if !blocking() {
    return Ok(());
  }
  let host = bare_host(request.uri().host().unwrap_or(""));
  if names_private(host) {
    return Err(JsErrorBox::type_error(format!(
      "fetch to {}",
      refused(host)
    )));
  }
  Ok(())
}

/// Whether a proxy rule may send to `host` (as written in its target)
/// before any resolution: a private address literal is refused unless
/// listed. Names are checked as they resolve ([`PolicyResolver`]).
pub fn check_proxy_host(host: &str) -> Result<(), String> {
  let host = bare_host(host);
  if !blocking() || is_listed(host) {
    return Ok(());
  }
  if names_private(host) {
    return Err(format!("proxy target {}", refused(host)));
  }
  Ok(())
}

fn is_listed(host: &str) -> bool {
  let host = host.to_ascii_lowercase();
  PRIVATE_TARGETS.read().unwrap().contains(&host)
}

/// Resolves `host`, keeping only the addresses the policy allows. The
/// exceptions of `PROXY_PRIVATE_TARGETS` apply only when `for_proxy`: they
/// are the operator's upstreams, not places an app's `fetch` may reach.
pub async fn resolve_allowed(
  host: String,
  for_proxy: bool,
) -> io::Result<std::vec::IntoIter<SocketAddr>> {
  let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
  if !blocking() || (for_proxy && is_listed(&host)) {
    return Ok(addrs.into_iter());
  }
  let allowed: Vec<SocketAddr> = addrs
    .into_iter()
    .filter(|addr| !is_private(addr.ip()))
    .collect();
  if allowed.is_empty() {
    return Err(io::Error::new(
      io::ErrorKind::PermissionDenied,
      format!("{} (it resolves to one)", refused(&host)),
    ));
  }
  Ok(allowed.into_iter())
}

/// DNS for app `fetch` and proxy upstreams: the system resolver, then the
/// private-address policy on what it answered.
#[derive(Clone, Debug, Default)]
pub struct PolicyResolver;

type Resolving = Pin<Box<dyn Future<Output = io::Result<std::vec::IntoIter<SocketAddr>>> + Send>>;

/// App `fetch` (deno_fetch's resolver).
impl deno_fetch::dns::Resolve for PolicyResolver {
  fn resolve(&self, name: Name) -> deno_fetch::dns::Resolving {
    Box::pin(resolve_allowed(name.as_str().to_string(), false))
  }
}

/// Proxy upstreams (hyper's `HttpConnector`).
impl tower::Service<Name> for PolicyResolver {
  type Response = std::vec::IntoIter<SocketAddr>;
  type Error = io::Error;
  type Future = Resolving;

  fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
    Poll::Ready(Ok(()))
  }

  fn call(&mut self, name: Name) -> Self::Future {
    Box::pin(resolve_allowed(name.as_str().to_string(), true))
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  #[tokio::test]
  async fn proxy_exceptions_do_not_open_fetch() {
    BLOCK_PRIVATE_FETCH.store(true, Ordering::Relaxed);
    set_private_targets(&["localhost".to_string()]);
    assert!(resolve_allowed("localhost".into(), true).await.is_ok());
    let refused = resolve_allowed("localhost".into(), false)
      .await
      .unwrap_err();
    assert_eq!(refused.kind(), io::ErrorKind::PermissionDenied);
    set_private_targets(&[]);
    assert!(resolve_allowed("localhost".into(), true).await.is_err());
    BLOCK_PRIVATE_FETCH.store(false, Ordering::Relaxed);
  }

  #[test]
  fn private_ranges() {
    for ip in [
      "127.0.0.1",
      "10.1.2.3",
      "192.168.0.1",
      "172.16.5.5",
      "169.254.169.254",
      "100.64.0.1",
      "0.0.0.0",
      "::1",
      "fd00::1",
      "fe80::1",
      "::ffff:127.0.0.1",
    ] {
      assert!(is_private(ip.parse().unwrap()), "{ip}");
    }
    for ip in ["8.8.8.8", "1.1.1.1", "2606:4700::1111", "100.128.0.1"] {
      assert!(!is_private(ip.parse().unwrap()), "{ip}");
    }
  }
}
