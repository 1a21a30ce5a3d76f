//! A request (or an inbox event) as JS receives it from
//! `op_exchange_next`: a small array built with V8's own calls.

use bytes::Bytes;
use deno_core::v8;

/// A message for JS, as a tuple so it crosses into V8 as a plain
/// array (a struct would create its key strings every time):
/// `[kind, id, method, url, flags, fullBody]`, kind 0 = request, 1 = idle,
/// 2 = closed, 3 = going away. `method` is an index into JS's table of
/// standard methods (no string made per request), or the method's name.
/// `flags`: 1 = has a body, 2 = a WebSocket handshake. Headers and the
/// client's address stay here until asked for (`op_exchange_headers`,
/// `op_exchange_remote`).
pub struct IncomingMessage(
  pub u8,
  pub u32,
  pub Method,
  pub String,
  pub u8,
  pub Option<Bytes>,
);

pub enum Method {
  Standard(u8),
  Other(String),
}

/// Built with V8's own calls rather than through serde_v8 (~2,500
/// instructions per message under callgrind, ~500 fewer this way); a
/// request body becomes a `Uint8Array` over the bytes the front end read,
/// without another copy when it holds them alone.
impl<'a> deno_core::ToV8<'a> for IncomingMessage {
  type Error = std::convert::Infallible;

  fn to_v8<'i>(
    self,
    scope: &mut v8::PinScope<'a, 'i>,
  ) -> Result<v8::Local<'a, v8::Value>, Self::Error> {
    let IncomingMessage(kind, id, method, url, flags, full_body) = self;
    let method: v8::Local<v8::Value> = match method {
      Method::Standard(code) => v8::Integer::new(scope, i32::from(code)).into(),
      Method::Other(name) => js_string(scope, &name),
    };
    let body: v8::Local<v8::Value> = match full_body {
      None => v8::null(scope).into(),
      Some(bytes) => {
        let len = bytes.len();
        let store = v8::ArrayBuffer::new_backing_store_from_vec(Vec::from(bytes)).make_shared();
        let buffer = v8::ArrayBuffer::with_backing_store(scope, &store);
        match v8::Uint8Array::new(scope, buffer, 0, len) {
          Some(array) => array.into(),
          None => v8::null(scope).into(),
        }
      }
    };
    let items = [
      v8::Integer::new(scope, i32::from(kind)).into(),
      v8::Integer::new_from_unsigned(scope, id).into(),
      method,
      js_string(scope, &url),
      v8::Integer::new(scope, i32::from(flags)).into(),
      body,
    ];
    Ok(v8::Array::new_with_elements(scope, &items).into())
  }
}

/// A URL or method name as a V8 string: ASCII (nearly every one) is
/// copied as one-byte text, without UTF-8 decoding.
fn js_string<'a>(scope: &mut v8::PinScope<'a, '_>, text: &str) -> v8::Local<'a, v8::Value> {
  let made = if text.is_ascii() {
    v8::String::new_from_one_byte(scope, text.as_bytes(), v8::NewStringType::Normal)
  } else {
    v8::String::new_from_utf8(scope, text.as_bytes(), v8::NewStringType::Normal)
  };
  match made {
    Some(made) => made.into(),
    // Longer than V8's string limit: the front end's head limit rules it out.
    None => v8::String::empty(scope).into(),
  }
}

/// The order of `METHODS` in runtime-js/30_serve.js.
pub fn method_code(method: &http::Method) -> Method {
  let code = match *method {
    http::Method::GET => 0,
    http::Method::HEAD => 1,
    http::Method::POST => 2,
    http::Method::PUT => 3,
    http::Method::DELETE => 4,
    http::Method::PATCH => 5,
    http::Method::OPTIONS => 6,
    http::Method::TRACE => 7,
    http::Method::CONNECT => 8,
    _ => return Method::Other(method.to_string()),
  };
  Method::Standard(code)
}

impl IncomingMessage {
  pub fn bare(kind: u8) -> Self {
    Self(kind, 0, Method::Standard(0), String::new(), 0, None)
  }
}
