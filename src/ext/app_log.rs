//! App output on the server's log: one line per message, tagged with the
//! app, control characters escaped so no message can forge a line of its
//! own, and a per-app byte budget so one app cannot flood the log (or the
//! disk behind it). What the budget refuses is dropped and counted.

use std::collections::HashMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

use deno_core::{op2, OpState};

use super::exchange_ops::WorkerContext;

/// Bytes per second each app may log (set once at start-up; 0 = no limit).
pub static LOG_BYTES_PER_SEC: AtomicU64 = AtomicU64::new(256 * 1024);

/// A message costs at least this much, so a flood of empty lines is
/// limited too.
const MIN_COST: u64 = 64;
/// Longest message kept; the rest is cut and marked.
const MAX_MESSAGE: usize = 16 * 1024;
/// How often a flooding app gets a "dropped" notice.
const NOTICE_EVERY: Duration = Duration::from_secs(1);

/// One app's budget, shared by all its isolates.
pub struct LogBudget {
  state: Mutex<Bucket>,
  dropped: AtomicU64,
}

struct Bucket {
  tokens: f64,
  refilled: Instant,
  dropped_since_notice: u64,
  /// None until the first drop, which is noticed at once.
  last_notice: Option<Instant>,
}

static BUDGETS: LazyLock<Mutex<HashMap<String, Arc<LogBudget>>>> =
  LazyLock::new(|| Mutex::new(HashMap::new()));

/// The budget of app `key` (`name@version`), made on first use.
pub fn budget_for(key: &str) -> Arc<LogBudget> {
  BUDGETS
    .lock()
    .unwrap()
    .entry(key.to_string())
    .or_insert_with(|| {
      Arc::new(LogBudget {
        state: Mutex::new(Bucket {
          tokens: burst(rate()),
          refilled: Instant::now(),
          dropped_since_notice: 0,
          last_notice: None,
        }),
        dropped: AtomicU64::new(0),
      })
    })
    .clone()
}

/// Messages dropped so far, all apps together.
pub fn dropped_total() -> u64 {
  BUDGETS
    .lock()
    .unwrap()
    .values()
    .map(|budget| budget.dropped.load(Ordering::Relaxed))
    .sum()
}

fn rate() -> u64 {
  LOG_BYTES_PER_SEC.load(Ordering::Relaxed)
}

/// Four seconds' worth may come at once (start-up banners, a stack trace).
fn burst(rate: u64) -> f64 {
  rate as f64 * 4.0
}

/// Fault injection for the tests of the worker panic guard: with
/// `BUNTIME_FAULT_PANIC=<text>`, an app logging exactly `<text>` makes the
/// log op panic. Unset (always, outside tests) it costs one load per log.
pub fn fault_panic_text() -> Option<&'static str> {
  static TEXT: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
  TEXT
    .get_or_init(|| {
      std::env::var("BUNTIME_FAULT_PANIC")
        .ok()
        .filter(|t| !t.is_empty())
    })
    .as_deref()
}

/// What to do with one message.
pub enum Admit {
  Write,
  /// Over budget: drop it.
  Drop,
  /// Drop it, and tell the log how many were dropped since the last notice.
  DropAndNotice(u64),
}

impl LogBudget {
  pub fn admit(&self, len: usize) -> Admit {
    let rate = rate();
    if rate == 0 {
      return Admit::Write;
    }
    let cost = (len as u64).max(MIN_COST) as f64;
    let now = Instant::now();
    let mut bucket = self.state.lock().unwrap();
    let elapsed = now.duration_since(bucket.refilled).as_secs_f64();
    bucket.tokens = (bucket.tokens + elapsed * rate as f64).min(burst(rate));
    bucket.refilled = now;
    if bucket.tokens >= cost {
      bucket.tokens -= cost;
      return Admit::Write;
    }
    self.dropped.fetch_add(1, Ordering::Relaxed);
    bucket.dropped_since_notice += 1;
    if bucket
      .last_notice
      .is_none_or(|last| now.duration_since(last) >= NOTICE_EVERY)
    {
      bucket.last_notice = Some(now);
      Admit::DropAndNotice(std::mem::take(&mut bucket.dropped_since_notice))
    } else {
      Admit::Drop
    }
  }
}

/// `message` as one log line: trailing whitespace gone, newlines and other
/// control characters (ESC included) written as escapes, cut at
/// [`MAX_MESSAGE`] bytes.
pub fn one_line(message: &str) -> String {
  let message = message.trim_end();
  let mut out = String::with_capacity(message.len().min(MAX_MESSAGE) + 8);
  for ch in message.chars() {
    if out.len() >= MAX_MESSAGE {
      out.push_str("…[cut]");
      break;
    }
    match ch {
      '\n' => out.push_str("\\n"),
      '\r' => out.push_str("\\r"),
      '\t' => out.push('\t'),
      ch if ch.is_control() || ch == '\u{2028}' || ch == '\u{2029}' => {
        let _ = write!(out, "\\u{{{:x}}}", ch as u32);
      }
      ch => out.push(ch),
    }
  }
  out
}

/// `console.*` and `process.stdout`/`stderr` of an app.
#[op2(fast)]
pub fn op_app_log_write(state: &mut OpState, #[string] message: &str, is_err: bool) {
  if fault_panic_text() == Some(message.trim_end()) {
    panic!("fault injection: the app logged the panic text");
  }
  if !state.has::<Arc<LogBudget>>() {
    let budget = budget_for(&state.borrow::<WorkerContext>().app_key);
    state.put(budget);
  }
  let app = &state.borrow::<WorkerContext>().app_key;
  match state.borrow::<Arc<LogBudget>>().admit(message.len()) {
    Admit::Write => {}
    Admit::Drop => return,
    Admit::DropAndNotice(dropped) => {
      tracing::warn!(target: "app", app = %app, "{dropped} log messages dropped: over the app's log rate (APP_LOG_KB_PER_SEC)");
      return;
    }
  }
  let message = one_line(message);
  if is_err {
    tracing::warn!(target: "app", app = %app, "{message}");
  } else {
    tracing::info!(target: "app", app = %app, "{message}");
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn messages_become_one_line() {
    assert_eq!(one_line("a\nb\r\nc\n\n"), "a\\nb\\r\\nc");
    assert_eq!(one_line("\u{1b}[31mred"), "\\u{1b}[31mred");
    assert_eq!(one_line("tab\there"), "tab\there");
    assert_eq!(one_line("x\u{2028}y"), "x\\u{2028}y");
    assert_eq!(one_line("plain ünïcode"), "plain ünïcode");
  }

  #[test]
  fn long_messages_are_cut() {
    let long = "x".repeat(MAX_MESSAGE * 2);
    let line = one_line(&long);
    assert!(line.len() < MAX_MESSAGE + 16);
    assert!(line.ends_with("[cut]"));
  }

  #[test]
  fn the_budget_drops_beyond_its_burst_and_counts() {
    let budget = budget_for("unit-test-budget@1.0.0");
    let rate = rate() as usize;
    let mut written = 0;
    let mut dropped = 0;
    // Far beyond the burst, faster than any refill.
    for _ in 0..(burst(rate as u64) as usize / 1000 + 2000) {
      match budget.admit(1000) {
        Admit::Write => written += 1,
        _ => dropped += 1,
      }
    }
    assert!(written > 0);
    assert!(dropped >= 1000, "dropped {dropped}");
    assert_eq!(budget.dropped.load(Ordering::Relaxed), dropped);
    assert!(dropped_total() >= dropped);
  }
}
