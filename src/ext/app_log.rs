//! App output on the server's log: one line per message, tagged with the
//! app, control characters escaped so no message can forge a line of its
//! own, and a per-app byte budget so one app cannot flood the log (or the
//! disk behind it). What the budget refuses is dropped and counted.
//!
//! Each app (by name, all its versions together) also keeps its recent
//! lines in a bounded ring, for `/_/logs` and its live stream: the app's
//! console output and the server's own notes about it (load failures,
//! uncaught errors, timeouts, stopped workers), with the request id of the
//! request they belong to when there is one.

use std::collections::{HashMap, VecDeque};
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

use deno_core::{op2, OpState};

use super::exchange_ops::{InFlight, WorkerContext};

/// Lines each app's ring keeps (set once at start-up).
pub static RING_LINES: AtomicUsize = AtomicUsize::new(1000);
/// Longest message a ring keeps (the server log gets up to [`MAX_MESSAGE`]).
const RING_MESSAGE: usize = 4 * 1024;

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

/// How serious a line is; console methods map onto these as Deno's
/// console numbers them (0 debug, 1 log/info, 2 warn, 3+ error).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
  Debug,
  Info,
  Warn,
  Error,
}

impl Level {
  pub fn from_console(level: u32) -> Self {
    match level {
      0 => Level::Debug,
      1 => Level::Info,
      2 => Level::Warn,
      _ => Level::Error,
    }
  }

  pub fn as_str(self) -> &'static str {
    match self {
      Level::Debug => "debug",
      Level::Info => "info",
      Level::Warn => "warn",
      Level::Error => "error",
    }
  }

  pub fn parse(text: &str) -> Option<Self> {
    [Level::Debug, Level::Info, Level::Warn, Level::Error]
      .into_iter()
      .find(|level| level.as_str().eq_ignore_ascii_case(text))
  }
}

/// One line of an app's ring.
#[derive(Debug)]
pub struct LogLine {
  /// Increases across all apps: a reader's cursor (`since`).
  pub seq: u64,
  /// Milliseconds since the Unix epoch.
  pub time_ms: u64,
  pub version: String,
  pub level: Level,
  pub message: String,
  pub request_id: Option<String>,
}

/// One app's recent lines and a signal for live readers.
pub struct AppLog {
  lines: Mutex<VecDeque<Arc<LogLine>>>,
  /// The newest line's `seq`; live readers wait on its changes.
  newest: tokio::sync::watch::Sender<u64>,
  dropped: AtomicU64,
}

static SEQ: AtomicU64 = AtomicU64::new(0);
static LOGS: LazyLock<Mutex<HashMap<String, Arc<AppLog>>>> =
  LazyLock::new(|| Mutex::new(HashMap::new()));

/// The log of app `name`, made on first use.
pub fn log_of(name: &str) -> Arc<AppLog> {
  let mut logs = LOGS.lock().unwrap();
  if let Some(log) = logs.get(name) {
    return log.clone();
  }
  let log = Arc::new(AppLog {
    lines: Mutex::new(VecDeque::new()),
    newest: tokio::sync::watch::channel(0).0,
    dropped: AtomicU64::new(0),
  });
  logs.insert(name.to_string(), log.clone());
  log
}

/// `name@version` split in two (a key without `@` is all name).
fn name_and_version(key: &str) -> (&str, &str) {
  key.rsplit_once('@').unwrap_or((key, ""))
}

/// The log of app `name` if it ever logged.
pub fn existing_log(name: &str) -> Option<Arc<AppLog>> {
  LOGS.lock().unwrap().get(name).cloned()
}

impl AppLog {
  fn push(&self, version: &str, level: Level, message: &str, request_id: Option<&str>) {
    let mut kept = message.to_string();
    if kept.len() > RING_MESSAGE {
      let mut cut = RING_MESSAGE;
      while !kept.is_char_boundary(cut) {
        cut -= 1;
      }
      kept.truncate(cut);
      kept.push_str("…[cut]");
    }
    let time_ms = std::time::SystemTime::now()
      .duration_since(std::time::UNIX_EPOCH)
      .map_or(0, |d| d.as_millis() as u64);
    let mut lines = self.lines.lock().unwrap();
    // Taken under the lock, so a ring's lines are in `seq` order.
    let seq = SEQ.fetch_add(1, Ordering::Relaxed) + 1;
    lines.push_back(Arc::new(LogLine {
      seq,
      time_ms,
      version: version.to_string(),
      level,
      message: kept,
      request_id: request_id.map(str::to_string),
    }));
    let most = RING_LINES.load(Ordering::Relaxed).max(1);
    while lines.len() > most {
      lines.pop_front();
    }
    drop(lines);
    self.newest.send_replace(seq);
  }

  /// Lines after `since` (a `seq`), oldest first, that pass `keep`.
  pub fn lines_after(&self, since: u64, keep: impl Fn(&LogLine) -> bool) -> Vec<Arc<LogLine>> {
    let lines = self.lines.lock().unwrap();
    let start = lines.partition_point(|line| line.seq <= since);
    lines
      .range(start..)
      .filter(|line| keep(line))
      .cloned()
      .collect()
  }

  /// Changes whenever a line is added.
  pub fn subscribe(&self) -> tokio::sync::watch::Receiver<u64> {
    self.newest.subscribe()
  }

  /// Lines the app's rate limit dropped.
  pub fn dropped(&self) -> u64 {
    self.dropped.load(Ordering::Relaxed)
  }
}

/// A line about app `key` (`name@version`) on the server log and in the
/// app's ring.
pub fn record(key: &str, level: Level, message: &str, request_id: Option<&str>) {
  record_in(
    &log_of(name_and_version(key).0),
    key,
    level,
    message,
    request_id,
  );
}

/// [`record`] into `log`, the ring of `key`'s app already at hand.
fn record_in(log: &AppLog, key: &str, level: Level, message: &str, request_id: Option<&str>) {
  match level {
    Level::Debug => {
      tracing::debug!(target: "app", app = %key, request_id, "{message}")
    }
    Level::Info => {
      tracing::info!(target: "app", app = %key, request_id, "{message}")
    }
    Level::Warn => {
      tracing::warn!(target: "app", app = %key, request_id, "{message}")
    }
    Level::Error => {
      tracing::error!(target: "app", app = %key, request_id, "{message}")
    }
  }
  log.push(name_and_version(key).1, level, message, request_id);
}

/// `console.*` and `process.stdout`/`stderr` of an app. `level` as
/// Deno's console numbers them; `exchange` is the request whose async
/// context the call ran in, or -1.
#[op2(fast)]
pub fn op_app_log_write(
  state: &mut OpState,
  #[string] message: &str,
  #[smi] level: u32,
  #[smi] exchange: i32,
) {
  if fault_panic_text() == Some(message.trim_end()) {
    panic!("fault injection: the app logged the panic text");
  }
  if !state.has::<Arc<LogBudget>>() {
    let key = &state.borrow::<WorkerContext>().app_key;
    let budget = budget_for(key);
    let log = log_of(name_and_version(key).0);
    state.put(budget);
    state.put(log);
  }
  let app = &state.borrow::<WorkerContext>().app_key;
  let log = state.borrow::<Arc<AppLog>>();
  let admit = state.borrow::<Arc<LogBudget>>().admit(message.len());
  if !matches!(admit, Admit::Write) {
    log.dropped.fetch_add(1, Ordering::Relaxed);
    if let Admit::DropAndNotice(dropped) = admit {
      let notice =
        format!("{dropped} log messages dropped: over the app's log rate (APP_LOG_KB_PER_SEC)");
      record_in(log, app, Level::Warn, &notice, None);
    }
    return;
  }
  let request_id = u32::try_from(exchange)
    .ok()
    .and_then(|id| state.try_borrow::<InFlight>()?.request_id_of(id));
  let request_id = request_id.as_ref().and_then(|value| value.to_str().ok());
  record_in(
    log,
    app,
    Level::from_console(level),
    &one_line(message),
    request_id,
  );
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
  fn a_ring_keeps_its_newest_lines_in_order() {
    RING_LINES.store(1000, Ordering::Relaxed);
    let log = log_of("unit-test-ring");
    for i in 0..1005 {
      log.push("1.0.0", Level::Info, &format!("line {i}"), Some("rid"));
    }
    let lines = log.lines_after(0, |_| true);
    assert_eq!(lines.len(), 1000);
    assert_eq!(lines[0].message, "line 5");
    assert!(lines.windows(2).all(|pair| pair[0].seq < pair[1].seq));
    let cursor = lines[997].seq;
    let after: Vec<_> = log
      .lines_after(cursor, |_| true)
      .iter()
      .map(|l| l.message.clone())
      .collect();
    assert_eq!(after, ["line 1003", "line 1004"]);
    log.push("1.0.0", Level::Error, &"é".repeat(RING_MESSAGE), None);
    let long = log.lines_after(0, |line| line.level >= Level::Error);
    assert_eq!(long.len(), 1);
    assert!(long[0].message.ends_with("[cut]") && long[0].message.len() < RING_MESSAGE + 16);
  }

  #[test]
  fn levels_parse_and_order() {
    assert_eq!(Level::parse("WARN"), Some(Level::Warn));
    assert_eq!(Level::parse("loud"), None);
    assert!(Level::Error > Level::Info);
    assert_eq!(Level::from_console(3), Level::Error);
    assert_eq!(Level::from_console(1), Level::Info);
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
