//! HTTP/1 line endings, checked on the wire before hyper parses: hyper
//! (like most servers) takes a bare LF as a line end, while a proxy in
//! front may not; the two reading one request differently is how requests
//! are smuggled. A connection whose request head, chunk-size line or
//! trailer ends a line with a bare LF gets a 400 and is closed.
//!
//! To know where heads are, request bodies are skipped by their framing
//! (`Content-Length`, chunked); after an upgrade, or with HTTP/2, nothing
//! is checked.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

const BAD_REQUEST: &[u8] = b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: 58\r\nconnection: close\r\n\r\n{\"error\":\"Bad request: lines must end with CRLF, not LF\"}";

/// Longest head kept for reading its framing headers; hyper refuses
/// longer ones itself (431).
const MAX_HEAD: usize = 1 << 20;

#[derive(Debug, PartialEq)]
enum State {
  /// In a request head.
  Head,
  /// `n` body bytes to skip.
  Fixed(u64),
  /// In a chunk-size line (`digits` hex digits so far; `ext` once past
  /// them).
  ChunkSize {
    digits: u32,
    size: u64,
    ext: bool,
  },
  /// Chunk data, then its CRLF.
  ChunkData(u64),
  ChunkEnd,
  /// Trailer lines after the last chunk, up to an empty line.
  Trailers {
    line_empty: bool,
  },
  /// Upgraded, HTTP/2 or given up on: not checked.
  Passthrough,
}

/// The start of a chunk-size line.
const CHUNK_START: State = State::ChunkSize {
  digits: 0,
  size: 0,
  ext: false,
};

/// What the scanner made of the bytes so far.
#[derive(Debug, PartialEq)]
pub enum Verdict {
  Fine,
  /// A bare LF this many bytes into what was fed.
  BareLf(usize),
}

pub struct Scanner {
  state: State,
  /// A head line split across reads, so far.
  line: Vec<u8>,
  /// What the head read so far says about its body.
  head: HeadInfo,
  prev: u8,
  first: bool,
}

#[derive(Default)]
struct HeadInfo {
  started: bool,
  length: u64,
  chunked: bool,
  unchecked: bool,
}

impl HeadInfo {
  /// One line of a head (CRLF removed); true when it ends the head.
  fn line(&mut self, line: &[u8]) -> bool {
    if line.is_empty() {
      // Empty lines before a request line are allowed (RFC 9112 §2.2).
      return self.started;
    }
    if !self.started {
      self.started = true;
      self.unchecked |= line.starts_with(b"CONNECT ");
      return false;
    }
    // Only three names matter; their lengths sort most lines out at once.
    let name_is = |name: &[u8]| {
      line.len() > name.len()
        && line[name.len()] == b':'
        && line[..name.len()].eq_ignore_ascii_case(name)
    };
    match memchr::memchr(b':', line) {
      Some(14) if name_is(b"content-length") => match parse_length(value_of(&line[15..])) {
        Some(n) => self.length = n,
        // hyper refuses it; nothing more to check here.
        None => self.unchecked = true,
      },
      Some(17) if name_is(b"transfer-encoding") => {
        let value = value_of(&line[18..]);
        self.chunked =
          value.len() >= 7 && value[value.len() - 7..].eq_ignore_ascii_case(b"chunked");
      }
      Some(7) if name_is(b"upgrade") => self.unchecked = true,
      _ => {}
    }
    false
  }

  /// The body framing the complete head announces.
  fn body(&self) -> State {
    if self.unchecked {
      State::Passthrough
    } else if self.chunked {
      CHUNK_START
    } else if self.length > 0 {
      State::Fixed(self.length)
    } else {
      State::Head
    }
  }
}

fn value_of(raw: &[u8]) -> &[u8] {
  let start = raw
    .iter()
    .position(|b| !b.is_ascii_whitespace())
    .unwrap_or(raw.len());
  let end = raw
    .iter()
    .rposition(|b| !b.is_ascii_whitespace())
    .map_or(start, |e| e + 1);
  &raw[start..end.max(start)]
}

fn parse_length(value: &[u8]) -> Option<u64> {
  if value.is_empty() || value.len() > 19 || !value.iter().all(u8::is_ascii_digit) {
    return None;
  }
  Some(value.iter().fold(0u64, |n, d| n * 10 + u64::from(d - b'0')))
}

impl Default for Scanner {
  fn default() -> Self {
    Self {
      state: State::Head,
      line: Vec::new(),
      head: HeadInfo::default(),
      prev: 0,
      first: true,
    }
  }
}

impl Scanner {
  pub fn feed(&mut self, all: &[u8]) -> Verdict {
    let mut data = all;
    if self.first && !data.is_empty() {
      self.first = false;
      if data.starts_with(b"PRI ") {
        self.state = State::Passthrough;
      }
    }
    while !data.is_empty() {
      match &mut self.state {
        State::Passthrough => return Verdict::Fine,
        // Line by line: a head is a few short lines, read once each.
        State::Head => {
          let Some(end) = memchr::memchr(b'\n', data) else {
            if self.line.len() + data.len() > MAX_HEAD {
              // hyper answers 431 for a head this long.
              self.state = State::Passthrough;
              return Verdict::Fine;
            }
            self.line.extend_from_slice(data);
            self.prev = data[data.len() - 1];
            return Verdict::Fine;
          };
          let before = if end > 0 { data[end - 1] } else { self.prev };
          if before != b'\r' {
            return Verdict::BareLf(all.len() - data.len() + end);
          }
          let ended = if self.line.is_empty() {
            self.head.line(&data[..end.saturating_sub(1)])
          } else {
            // The rare line split across reads.
            let mut line = std::mem::take(&mut self.line);
            line.extend_from_slice(&data[..end]);
            line.pop();
            let ended = self.head.line(&line);
            line.clear();
            self.line = line;
            ended
          };
          if ended {
            self.state = self.head.body();
            self.head = HeadInfo::default();
          }
          self.prev = b'\n';
          data = &data[end + 1..];
        }
        State::Fixed(n) => {
          if skip(n, &mut data) {
            self.state = State::Head;
          }
        }
        State::ChunkData(n) => {
          if skip(n, &mut data) {
            self.state = State::ChunkEnd;
            self.prev = 0;
          }
        }
        _ => {
          let byte = data[0];
          data = &data[1..];
          if byte == b'\n' && self.prev != b'\r' {
            return Verdict::BareLf(all.len() - data.len() - 1);
          }
          self.step(byte);
          self.prev = byte;
        }
      }
    }
    Verdict::Fine
  }

  /// One byte of a line-oriented part.
  fn step(&mut self, byte: u8) {
    match &mut self.state {
      State::ChunkSize { digits, size, ext } => match byte {
        b'\n' => {
          self.state = if *size == 0 {
            State::Trailers { line_empty: true }
          } else {
            State::ChunkData(*size)
          };
        }
        b'\r' => {}
        _ if !*ext && byte.is_ascii_hexdigit() && *digits < 16 => {
          *digits += 1;
          *size = (*size << 4) | u64::from((byte as char).to_digit(16).unwrap_or(0));
        }
        // Extensions (`;name=value`) or anything hyper will judge itself.
        _ => *ext = true,
      },
      State::ChunkEnd if byte == b'\n' => {
        self.state = CHUNK_START;
      }
      State::Trailers { line_empty } => match byte {
        b'\n' if *line_empty => self.state = State::Head,
        b'\n' => *line_empty = true,
        b'\r' => {}
        _ => *line_empty = false,
      },
      _ => {}
    }
  }
}

/// Passes over up to `n` body bytes of `data`; true once all `n` are past.
fn skip(n: &mut u64, data: &mut &[u8]) -> bool {
  let take = (*n).min(data.len() as u64) as usize;
  *n -= take as u64;
  *data = &data[take..];
  *n == 0
}

/// A client connection whose reads go through a [`Scanner`].
pub struct StrictFraming<T> {
  inner: T,
  scanner: Scanner,
  /// The 400 still to write (from `at`), then an error.
  refusing: Option<usize>,
  /// A bare LF was seen: hyper gets the bytes before it (earlier requests
  /// of a pipeline are answered), then the refusal.
  refuse_next: bool,
}

impl<T> StrictFraming<T> {
  pub fn new(inner: T) -> Self {
    Self {
      inner,
      scanner: Scanner::default(),
      refusing: None,
      refuse_next: false,
    }
  }
}

impl<T: AsyncRead + AsyncWrite + Unpin> AsyncRead for StrictFraming<T> {
  fn poll_read(
    self: Pin<&mut Self>,
    cx: &mut Context<'_>,
    buf: &mut ReadBuf<'_>,
  ) -> Poll<io::Result<()>> {
    let this = self.get_mut();
    if let Some(at) = this.refusing {
      // Best effort: the answer is small and the socket's buffer empty
      // enough; then the connection ends.
      let mut at = at;
      while at < BAD_REQUEST.len() {
        match Pin::new(&mut this.inner).poll_write(cx, &BAD_REQUEST[at..]) {
          Poll::Ready(Ok(n)) if n > 0 => at += n,
          Poll::Pending => {
            this.refusing = Some(at);
            return Poll::Pending;
          }
          _ => break,
        }
      }
      this.refusing = Some(BAD_REQUEST.len());
      let _ = Pin::new(&mut this.inner).poll_flush(cx);
      return Poll::Ready(Err(io::Error::new(
        io::ErrorKind::InvalidData,
        "bare LF in a request line",
      )));
    }
    if this.refuse_next {
      this.refusing = Some(0);
      return Pin::new(this).poll_read(cx, buf);
    }
    let before = buf.filled().len();
    let polled = Pin::new(&mut this.inner).poll_read(cx, buf);
    if let Poll::Ready(Ok(())) = polled {
      if let Verdict::BareLf(at) = this.scanner.feed(&buf.filled()[before..]) {
        buf.set_filled(before + at);
        this.refuse_next = true;
        if at == 0 {
          return Pin::new(this).poll_read(cx, buf);
        }
      }
    }
    polled
  }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for StrictFraming<T> {
  fn poll_write(
    self: Pin<&mut Self>,
    cx: &mut Context<'_>,
    data: &[u8],
  ) -> Poll<io::Result<usize>> {
    Pin::new(&mut self.get_mut().inner).poll_write(cx, data)
  }

  fn poll_write_vectored(
    self: Pin<&mut Self>,
    cx: &mut Context<'_>,
    bufs: &[io::IoSlice<'_>],
  ) -> Poll<io::Result<usize>> {
    Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
  }

  fn is_write_vectored(&self) -> bool {
    self.inner.is_write_vectored()
  }

  fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
    Pin::new(&mut self.get_mut().inner).poll_flush(cx)
  }

  fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
    Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  fn verdict(parts: &[&[u8]]) -> Verdict {
    let mut scanner = Scanner::default();
    for part in parts {
      if let Verdict::BareLf(at) = scanner.feed(part) {
        return Verdict::BareLf(at);
      }
    }
    Verdict::Fine
  }

  /// `request` passes however one read splits it.
  fn fine_in_any_split(request: &[u8]) {
    for split in 0..request.len() {
      let parts: [&[u8]; 2] = [&request[..split], &request[split..]];
      assert_eq!(verdict(&parts), Verdict::Fine, "{split}");
    }
  }

  #[test]
  fn crlf_requests_pass_in_any_split() {
    fine_in_any_split(
      b"GET / HTTP/1.1\r\nHost: x\r\n\r\nPOST /a HTTP/1.1\r\nContent-Length: 5\r\n\r\na\nb\ncGET /b HTTP/1.1\r\n\r\n",
    );
  }

  /// Where the bare LF right after `marker` is in `request`.
  fn after(request: &[u8], marker: &[u8]) -> Verdict {
    let at = request
      .windows(marker.len())
      .position(|w| w == marker)
      .expect("marker");
    Verdict::BareLf(at + marker.len())
  }

  #[test]
  fn bare_lf_in_a_head_is_refused() {
    let cases: [(&[u8], &[u8]); 3] = [
      (b"GET / HTTP/1.1\nHost: x\n\n", b"GET / HTTP/1.1"),
      (b"GET / HTTP/1.1\r\nHost: x\n\r\n", b"Host: x"),
      // The second request of a pipeline, after a body with LFs in it.
      (
        b"POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\na\nbGET / HTTP/1.1\n\n",
        b"bGET / HTTP/1.1",
      ),
    ];
    for (request, marker) in cases {
      assert_eq!(verdict(&[request]), after(request, marker));
    }
  }

  #[test]
  fn chunked_bodies_are_followed() {
    fine_in_any_split(
      b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\na\nb\r\n0\r\nX-T: 1\r\n\r\nGET / HTTP/1.1\r\n\r\n",
    );
    let size_line = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\na\nb\r\n0\r\n\r\n";
    assert_eq!(verdict(&[size_line]), after(size_line, b"\r\n\r\n3"));
    let trailer = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: 1\n\r\n";
    assert_eq!(verdict(&[trailer]), after(trailer, b"X: 1"));
  }

  #[test]
  fn upgrades_and_http2_are_not_checked() {
    assert_eq!(
      verdict(&[b"GET /ws HTTP/1.1\r\nUpgrade: websocket\r\n\r\n\n\n\x81\n"]),
      Verdict::Fine
    );
    assert_eq!(
      verdict(&[b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\n\n"]),
      Verdict::Fine
    );
  }
}
