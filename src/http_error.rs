//! Every error the server answers, decided in one place: its status, the
//! public message and what only the log sees. Bodies are JSON,
//! `{"error": "<message>"}`, or for the deployments API
//! `{"success": false, "error": {"code", "message"}}`.
//!
//! The contract's fixed messages are the constants below; the others are
//! made by the constructors, which say what goes in them.

use std::borrow::Cow;

use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::ext::protocol::Failure;

pub const NO_INTERNAL_ROUTE: &str = "No such internal route";
pub const TWO_AUTHORIZATIONS: &str = "More than one Authorization header";
pub const OWN_PEER: &str =
  "Internal routes do not answer requests made by the server's own apps or proxy";
pub const WRONG_TOKEN: &str = "Missing or wrong bearer token";
pub const LOOPBACK_ONLY: &str = "Internal routes answer loopback clients only (set ADMIN_TOKEN)";
pub const WORKER_STOPPED: &str = "Worker stopped before answering";
pub const NOT_A_HANDSHAKE: &str = "server.upgrade() on a request that is not a WebSocket handshake";
pub const PROXY_ABORTED: &str = "Proxy error: request aborted";
pub const CONNECT_REFUSED: &str = "CONNECT is not supported: this server is not a forward proxy";
pub const MALFORMED_BODY: &str =
  "Malformed request body (bad chunked encoding or a body cut short)";

#[derive(Debug)]
pub struct HttpError {
  status: StatusCode,
  message: Cow<'static, str>,
  /// The deployments API's error code: its body shape.
  code: Option<&'static str>,
  /// A header the answer needs (`Retry-After`, `WWW-Authenticate`).
  header: Option<(HeaderName, HeaderValue)>,
  /// `Connection: close`: the request's body was left unread.
  close: bool,
}

impl HttpError {
  pub fn new(status: StatusCode, message: impl Into<Cow<'static, str>>) -> Self {
    Self {
      status,
      message: message.into(),
      code: None,
      header: None,
      close: false,
    }
  }

  /// A deployments API error: `code` names it for scripts.
  pub fn api(
    status: StatusCode,
    code: &'static str,
    message: impl Into<Cow<'static, str>>,
  ) -> Self {
    Self {
      code: Some(code),
      ..Self::new(status, message)
    }
  }

  /// Logs what the client must not see (a host path, an internal error),
  /// with the app it concerns, beside the public answer.
  pub fn logged(self, app: &str, detail: impl std::fmt::Display) -> Self {
    let detail = format!("{detail} (answered {})", self.status.as_u16());
    crate::ext::app_log::record(app, crate::ext::app_log::Level::Warn, &detail, None);
    self
  }

  pub fn status(&self) -> StatusCode {
    self.status
  }

  /// The connection ends after this answer.
  pub fn closing(mut self) -> Self {
    self.close = true;
    self
  }

  fn with_header(mut self, name: HeaderName, value: &'static str) -> Self {
    self.header = Some((name, HeaderValue::from_static(value)));
    self
  }

  pub fn unauthorized() -> Self {
    Self::new(StatusCode::UNAUTHORIZED, WRONG_TOKEN).with_header(header::WWW_AUTHENTICATE, "Bearer")
  }

  pub fn body_too_large(limit_mb: u64) -> Self {
    Self::new(
      StatusCode::PAYLOAD_TOO_LARGE,
      format!("Request body too large: the limit is {limit_mb} MB"),
    )
    .closing()
  }

  pub fn body_timeout(seconds: u64) -> Self {
    Self::new(
      StatusCode::REQUEST_TIMEOUT,
      format!("Request body timed out: nothing received for {seconds}s"),
    )
    .closing()
  }

  /// A body that failed while it was read whole before dispatch.
  pub fn body_failed(err: impl std::fmt::Display) -> Self {
    Self::new(
      StatusCode::BAD_REQUEST,
      format!("Request body failed: {err}"),
    )
  }

  /// `shown`: `name[@range]` as the client asked.
  pub fn app_not_found(shown: &str) -> Self {
    Self::new(StatusCode::NOT_FOUND, format!("App not found: {shown}"))
  }

  /// `err` names the config file and field, never a host path.
  pub fn invalid_config(err: impl std::fmt::Display) -> Self {
    Self::new(
      StatusCode::INTERNAL_SERVER_ERROR,
      format!("Invalid app config: {err}"),
    )
  }

  pub fn no_proxy_rule(app_path: &str) -> Self {
    Self::new(
      StatusCode::NOT_FOUND,
      format!("No proxy rule matches {app_path}"),
    )
  }

  pub fn worker_timeout(millis: u128) -> Self {
    Self::new(
      StatusCode::GATEWAY_TIMEOUT,
      format!("Worker timeout after {millis}ms"),
    )
  }

  /// No room in the pool now: the client may retry in a second.
  pub fn server_busy(reason: impl std::fmt::Display) -> Self {
    Self::new(
      StatusCode::SERVICE_UNAVAILABLE,
      format!("Server busy: {reason}"),
    )
    .with_header(header::RETRY_AFTER, "1")
  }

  pub fn worker_unavailable(reason: impl std::fmt::Display) -> Self {
    Self::new(
      StatusCode::SERVICE_UNAVAILABLE,
      format!("Worker unavailable: {reason}"),
    )
  }

  pub fn proxy(reason: impl std::fmt::Display) -> Self {
    Self::new(StatusCode::BAD_GATEWAY, format!("Proxy error: {reason}"))
  }

  /// A failure the worker reported: its kind decides the status. `message`
  /// must already be public (see `front::reply::public_message`).
  pub fn failure(kind: Failure, message: String) -> Self {
    let status = match kind {
      Failure::BadRequest => StatusCode::BAD_REQUEST,
      Failure::Forbidden => StatusCode::FORBIDDEN,
      Failure::NotFound => StatusCode::NOT_FOUND,
      Failure::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
      Failure::AppError => StatusCode::INTERNAL_SERVER_ERROR,
      Failure::Stopped => StatusCode::SERVICE_UNAVAILABLE,
    };
    Self::new(status, message)
  }
}

impl std::fmt::Display for HttpError {
  fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
    write!(f, "{} {}", self.status.as_u16(), self.message)
  }
}

impl IntoResponse for HttpError {
  fn into_response(self) -> Response {
    let body = match self.code {
      None => serde_json::json!({ "error": self.message }),
      Some(code) => serde_json::json!({
        "success": false,
        "error": { "code": code, "message": self.message },
      }),
    };
    let mut response = (self.status, body.to_string()).into_response();
    let headers = response.headers_mut();
    headers.insert(
      header::CONTENT_TYPE,
      HeaderValue::from_static("application/json"),
    );
    if let Some((name, value)) = self.header {
      headers.insert(name, value);
    }
    if self.close {
      headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn bodies_have_the_contract_shapes() {
    let response = HttpError::server_busy("pool full").into_response();
    assert_eq!(response.status(), 503);
    assert_eq!(response.headers()[header::RETRY_AFTER], "1");
    assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
    let api = HttpError::api(StatusCode::BAD_REQUEST, "INVALID_PATH", "no").into_response();
    assert_eq!(api.status(), 400);
    let closing = HttpError::body_too_large(1).into_response();
    assert_eq!(closing.headers()[header::CONNECTION], "close");
    assert_eq!(
      HttpError::failure(Failure::Stopped, String::new()).status(),
      503
    );
  }
}
