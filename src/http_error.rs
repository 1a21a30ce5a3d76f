//! Every error the server answers is JSON: `{"error": "<message>"}`.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

pub fn json_error(status: StatusCode, message: impl Into<String>) -> Response {
  let body = serde_json::json!({ "error": message.into() }).to_string();
  let mut response = (status, body).into_response();
  response.headers_mut().insert(
    header::CONTENT_TYPE,
    HeaderValue::from_static("application/json"),
  );
  response
}
