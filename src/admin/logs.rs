//! `/_/logs`: an app's recent log lines as JSON, and `/_/logs/stream`,
//! the same lines followed live over SSE.

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures::stream;
use serde_json::json;

use crate::apps::resolver::is_valid_app_name;
use crate::ext::app_log::{self, AppLog, Level, LogLine};
use crate::http_error::HttpError;
use crate::state::AppState;

/// Lines a live stream starts with when the reader names no `since`.
const STREAM_BACKLOG: usize = 20;

/// What a logs request asks for.
pub struct Filter {
  pub app: String,
  version: Option<String>,
  since: Option<u64>,
  level: Level,
}

impl Filter {
  /// From the query; each bad field is a 400 naming it.
  pub fn parse(query: &HashMap<String, String>) -> Result<Self, HttpError> {
    let bad = |message: &'static str| HttpError::new(StatusCode::BAD_REQUEST, message);
    let app = query.get("app").ok_or_else(|| bad("app is required"))?;
    if !is_valid_app_name(app) {
      return Err(bad("app is not a valid app name"));
    }
    let version = query.get("version").filter(|v| !v.is_empty()).cloned();
    if version
      .as_deref()
      .is_some_and(|v| semver::Version::parse(v).is_err())
    {
      return Err(bad("version is not a semver version"));
    }
    let since = match query.get("since").filter(|v| !v.is_empty()) {
      None => None,
      Some(text) => Some(
        text
          .parse::<u64>()
          .map_err(|_| bad("since must be a line number (a previous answer's next)"))?,
      ),
    };
    let level = match query.get("level").filter(|v| !v.is_empty()) {
      None => Level::Debug,
      Some(text) => {
        Level::parse(text).ok_or_else(|| bad("level must be debug, info, warn or error"))?
      }
    };
    Ok(Self {
      app: app.clone(),
      version,
      since,
      level,
    })
  }

  fn keeps(&self, line: &LogLine) -> bool {
    line.level >= self.level && self.version.as_deref().is_none_or(|v| v == line.version)
  }
}

fn line_json(line: &LogLine) -> serde_json::Value {
  let time = chrono::DateTime::from_timestamp_millis(line.time_ms as i64)
    .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
  json!({
    "seq": line.seq,
    "time": time,
    "version": line.version,
    "level": line.level.as_str(),
    "message": line.message,
    "requestId": line.request_id,
  })
}

/// The app's log, made if the app exists (so no one can fill memory with
/// logs of made-up names); 404 otherwise.
fn log_for(state: &AppState, app: &str) -> Result<Arc<AppLog>, HttpError> {
  if let Some(log) = app_log::existing_log(app) {
    return Ok(log);
  }
  if !state.catalog.app_exists(app) {
    return Err(HttpError::app_not_found(app));
  }
  Ok(app_log::log_of(app))
}

pub async fn logs(
  State(state): State<Arc<AppState>>,
  Query(query): Query<HashMap<String, String>>,
) -> Response {
  let filter = match Filter::parse(&query) {
    Ok(filter) => filter,
    Err(err) => return err.into_response(),
  };
  let log = match log_for(&state, &filter.app) {
    Ok(log) => log,
    Err(err) => return err.into_response(),
  };
  let since = filter.since.unwrap_or(0);
  let lines = log.lines_after(since, |line| filter.keeps(line));
  let next = lines.last().map_or(since, |line| line.seq);
  Json(json!({
    "app": filter.app,
    "lines": lines.iter().map(|line| line_json(line)).collect::<Vec<_>>(),
    "next": next,
    "dropped": log.dropped(),
  }))
  .into_response()
}

pub async fn stream(
  State(state): State<Arc<AppState>>,
  headers: HeaderMap,
  Query(query): Query<HashMap<String, String>>,
) -> Response {
  let mut filter = match Filter::parse(&query) {
    Ok(filter) => filter,
    Err(err) => return err.into_response(),
  };
  let log = match log_for(&state, &filter.app) {
    Ok(log) => log,
    Err(err) => return err.into_response(),
  };
  // A reconnecting EventSource says where it stopped.
  if let Some(last) = headers
    .get("last-event-id")
    .and_then(|v| v.to_str().ok())
    .and_then(|v| v.parse::<u64>().ok())
  {
    filter.since = Some(last);
  }
  let changes = log.subscribe();
  let cursor = match filter.since {
    Some(since) => since,
    None => {
      let all = log.lines_after(0, |line| filter.keeps(line));
      all
        .len()
        .checked_sub(STREAM_BACKLOG + 1)
        .map_or(0, |i| all[i].seq)
    }
  };
  struct Follow {
    log: Arc<AppLog>,
    changes: tokio::sync::watch::Receiver<u64>,
    cursor: u64,
    ready: VecDeque<Arc<LogLine>>,
    filter: Filter,
  }
  let start = Follow {
    log,
    changes,
    cursor,
    ready: VecDeque::new(),
    filter,
  };
  let events = stream::unfold(start, |mut follow| async move {
    loop {
      if let Some(line) = follow.ready.pop_front() {
        let event = Event::default()
          .id(line.seq.to_string())
          .data(line_json(&line).to_string());
        return Some((Ok::<_, Infallible>(event), follow));
      }
      // Marked seen before reading, so a line added meanwhile wakes us.
      follow.changes.borrow_and_update();
      let lines = follow
        .log
        .lines_after(follow.cursor, |line| follow.filter.keeps(line));
      if let Some(last) = lines.last() {
        follow.cursor = last.seq;
        follow.ready.extend(lines);
        continue;
      }
      follow.changes.changed().await.ok()?;
    }
  });
  Sse::new(events)
    .keep_alive(KeepAlive::default())
    .into_response()
}

#[cfg(test)]
mod tests {
  use super::*;

  fn parse(pairs: &[(&str, &str)]) -> Result<Filter, u16> {
    let query = pairs
      .iter()
      .map(|(k, v)| (k.to_string(), v.to_string()))
      .collect();
    Filter::parse(&query).map_err(|err| err.status().as_u16())
  }

  #[test]
  fn bad_filters_are_refused() {
    assert!(parse(&[("app", "shop"), ("level", "warn"), ("since", "12")]).is_ok());
    assert_eq!(parse(&[]).err(), Some(400));
    assert_eq!(parse(&[("app", "../etc")]).err(), Some(400));
    assert_eq!(
      parse(&[("app", "shop"), ("since", "yesterday")]).err(),
      Some(400)
    );
    assert_eq!(
      parse(&[("app", "shop"), ("level", "loud")]).err(),
      Some(400)
    );
    assert_eq!(
      parse(&[("app", "shop"), ("version", "1.x")]).err(),
      Some(400)
    );
  }
}
