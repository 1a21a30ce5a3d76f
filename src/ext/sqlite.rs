//! Ops behind `bun:sqlite` (`runtime-js/node/bun_sqlite.js`): SQLite through
//! rusqlite. Bun's API is synchronous and so are these ops: a point query
//! is microseconds, less than a hop to another thread would cost.
//!
//! Each open database is a resource of the isolate, so the connection closes
//! when the app closes it or when the worker ends. Statements are SQL texts
//! kept by id; executing one takes it from rusqlite's prepared-statement
//! cache (a `Statement` borrows its `Connection`, so it cannot be stored
//! next to it).

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::collections::BTreeSet;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{LazyLock, Mutex};

use deno_core::{op2, v8, OpState, Resource, ResourceId};
use deno_error::JsErrorBox;
use rusqlite::hooks::{AuthAction, AuthContext, Authorization};
use rusqlite::limits::Limit;
use rusqlite::types::{Value, ValueRef};
use rusqlite::{Connection, OpenFlags};
use serde::Serialize;

use super::exchange_ops::{StopFlag, WorkerContext};

/// Bytes all of one app's database files may take together (set once at
/// start-up from `SQLITE_QUOTA_MB`).
pub static SQLITE_QUOTA_BYTES: AtomicU64 = AtomicU64::new(512 << 20);

/// SQLite virtual-machine steps between checks of the worker's stop flag.
const PROGRESS_STEPS: i32 = 10_000;

/// Database files each app folder has opened, for the quota: their sizes
/// (with `-wal` and `-journal`) are summed at every commit.
static APP_DATABASES: LazyLock<Mutex<HashMap<PathBuf, BTreeSet<PathBuf>>>> =
  LazyLock::new(|| Mutex::new(HashMap::new()));

fn app_database_bytes(root: &Path) -> u64 {
  let files = APP_DATABASES.lock().unwrap().get(root).cloned();
  let size = |path: &Path| std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
  files
    .unwrap_or_default()
    .iter()
    .map(|db| {
      let side = |suffix: &str| {
        let mut name = db.as_os_str().to_owned();
        name.push(suffix);
        size(Path::new(&name))
      };
      size(db) + side("-wal") + side("-journal")
    })
    .sum()
}

/// What an app's SQL may do: no ATTACH or DETACH (`VACUUM INTO` attaches
/// too), which would reach files outside the app folder, and none of the
/// pragmas that name directories or load code.
fn authorize(ctx: AuthContext<'_>) -> Authorization {
  match ctx.action {
    AuthAction::Attach { .. } | AuthAction::Detach { .. } => Authorization::Deny,
    AuthAction::Pragma { pragma_name, .. }
      if ["temp_store_directory", "data_store_directory"]
        .iter()
        .any(|name| pragma_name.eq_ignore_ascii_case(name)) =>
    {
      Authorization::Deny
    }
    AuthAction::Function { function_name }
      if function_name.eq_ignore_ascii_case("load_extension") =>
    {
      Authorization::Deny
    }
    _ => Authorization::Allow,
  }
}

/// Confines a new connection: no attached databases, the authorizer, a
/// progress check against the stop flag, and (for a file) the app's quota.
fn harden(
  conn: &mut Connection,
  stop: StopFlag,
  file: Option<(PathBuf, PathBuf)>,
) -> Result<(), JsErrorBox> {
  conn
    .set_limit(Limit::SQLITE_LIMIT_ATTACHED, 0)
    .map_err(sql_error)?;
  conn.authorizer(Some(authorize)).map_err(sql_error)?;
  conn
    .progress_handler(PROGRESS_STEPS, Some(move || stop.is_set()))
    .map_err(sql_error)?;
  let quota = SQLITE_QUOTA_BYTES.load(Ordering::Relaxed);
  if let Some((root, file)) = file {
    APP_DATABASES
      .lock()
      .unwrap()
      .entry(root.clone())
      .or_default()
      .insert(file);
    if quota > 0 {
      // One database alone can never pass the quota; all of the app's
      // together are checked as each transaction commits.
      let page_size: i64 = conn
        .query_row("PRAGMA page_size", [], |row| row.get(0))
        .map_err(sql_error)?;
      conn
        .pragma_update(
          None,
          "max_page_count",
          (quota as i64 / page_size.max(512)).max(1),
        )
        .map_err(sql_error)?;
      conn
        .commit_hook(Some(move || app_database_bytes(&root) > quota))
        .map_err(sql_error)?;
    }
  }
  Ok(())
}

/// Statements an app keeps at once before rusqlite re-prepares on use.
const STATEMENT_CACHE: usize = 128;

pub struct SqliteDb {
  conn: RefCell<Option<Connection>>,
  statements: RefCell<HashMap<u32, Rc<str>>>,
  next_statement: Cell<u32>,
}

impl Resource for SqliteDb {
  fn name(&self) -> Cow<'_, str> {
    "bunSqliteDatabase".into()
  }
}

fn sql_error(err: rusqlite::Error) -> JsErrorBox {
  // The commit hook refused: say why, in the words SQLite uses for a full disk.
  if err
    .sqlite_error()
    .is_some_and(|e| e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_COMMITHOOK)
  {
    return JsErrorBox::generic(
      "database or disk is full: the app's SQLite files reached their quota",
    );
  }
  JsErrorBox::generic(err.to_string())
}

fn database(state: &Rc<RefCell<OpState>>, rid: ResourceId) -> Result<Rc<SqliteDb>, JsErrorBox> {
  state
    .borrow()
    .resource_table
    .get::<SqliteDb>(rid)
    .map_err(|_| JsErrorBox::generic("Cannot use a closed database"))
}

/// Runs `f` with the open connection.
fn with_conn<T>(
  db: &SqliteDb,
  f: impl FnOnce(&Connection) -> Result<T, JsErrorBox>,
) -> Result<T, JsErrorBox> {
  let conn = db.conn.borrow();
  let conn = conn
    .as_ref()
    .ok_or_else(|| JsErrorBox::generic("Cannot use a closed database"))?;
  f(conn)
}

/// Where a database file may live: inside the app folder only. Relative
/// paths start at the app folder; absolute ones must point into it; `..`
/// and symlinks that lead out are refused.
fn confine_db_path(root: &Path, given: &str) -> Result<PathBuf, JsErrorBox> {
  let outside = || {
    JsErrorBox::generic(format!(
      "Cannot open database {given:?}: database files must be inside the app folder"
    ))
  };
  let relative = super::app_paths::app_relative(root, given).ok_or_else(outside)?;
  let path = super::app_paths::confine_new(root, &relative).ok_or_else(outside)?;
  if !path.parent().is_some_and(Path::is_dir) {
    return Err(JsErrorBox::generic(format!(
      "Cannot open database {given:?}: its folder does not exist"
    )));
  }
  // An existing file (or a symlink to one inside) is opened where it is.
  match std::fs::canonicalize(&path) {
    Ok(real) => Ok(real),
    Err(_) => Ok(path),
  }
}

/// `flags`: SQLite's (and Bun's) 1 = readonly, 2 = readwrite, 4 = create;
/// 0 = Bun's default, read-write and created when missing.
#[op2(fast)]
#[smi]
pub fn op_sqlite_open(
  state: &mut OpState,
  #[string] path: &str,
  #[smi] flags: u32,
) -> Result<ResourceId, JsErrorBox> {
  let stop = state.try_borrow::<StopFlag>().cloned().unwrap_or_default();
  let (mut conn, file) = if path.is_empty() || path == ":memory:" {
    (Connection::open_in_memory().map_err(sql_error)?, None)
  } else {
    let root = state.borrow::<WorkerContext>().app_root.clone();
    let file = confine_db_path(&root, path)?;
    let mut open = OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if flags & 1 != 0 {
      open |= OpenFlags::SQLITE_OPEN_READ_ONLY;
    } else {
      open |= OpenFlags::SQLITE_OPEN_READ_WRITE;
      if flags == 0 || flags & 4 != 0 {
        open |= OpenFlags::SQLITE_OPEN_CREATE;
      }
    }
    let conn = Connection::open_with_flags(&file, open)
      .map_err(|err| JsErrorBox::generic(format!("Cannot open database {path:?}: {err}")))?;
    (conn, Some((root, file)))
  };
  harden(&mut conn, stop, file)?;
  conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
  Ok(state.resource_table.add(SqliteDb {
    conn: RefCell::new(Some(conn)),
    statements: RefCell::new(HashMap::new()),
    next_statement: Cell::new(1),
  }))
}

#[op2(fast)]
pub fn op_sqlite_close(state: &mut OpState, #[smi] rid: ResourceId) -> Result<(), JsErrorBox> {
  let Ok(db) = state.resource_table.take::<SqliteDb>(rid) else {
    return Ok(());
  };
  let conn = db
    .conn
    .try_borrow_mut()
    .map_err(|_| JsErrorBox::generic("Cannot close a database while it is in use"))?
    .take();
  if let Some(conn) = conn {
    conn.close().map_err(|(_, err)| sql_error(err))?;
  }
  Ok(())
}

/// Runs one or more statements without parameters (`db.exec(sql)`).
#[op2]
#[serde]
pub fn op_sqlite_exec(
  state: Rc<RefCell<OpState>>,
  #[smi] rid: ResourceId,
  #[string] sql: &str,
) -> Result<(u64, i64), JsErrorBox> {
  let db = database(&state, rid)?;
  with_conn(&db, |conn| {
    conn.execute_batch(sql).map_err(sql_error)?;
    Ok((conn.changes(), conn.last_insert_rowid()))
  })
}

#[op2(fast)]
pub fn op_sqlite_in_transaction(
  state: Rc<RefCell<OpState>>,
  #[smi] rid: ResourceId,
) -> Result<bool, JsErrorBox> {
  let db = database(&state, rid)?;
  with_conn(&db, |conn| Ok(!conn.is_autocommit()))
}

#[derive(Serialize)]
pub struct Prepared {
  id: u32,
  columns: Vec<String>,
  /// Each parameter's name as written (`$id`, `:id`, `@id`, `?2`); `null`
  /// for a bare `?`.
  params: Vec<Option<String>>,
}

/// Compiles `sql` (so errors show at prepare time, as in Bun) and keeps it.
#[op2]
#[serde]
pub fn op_sqlite_prepare(
  state: Rc<RefCell<OpState>>,
  #[smi] rid: ResourceId,
  #[string] sql: String,
) -> Result<Prepared, JsErrorBox> {
  let db = database(&state, rid)?;
  let (columns, params) = with_conn(&db, |conn| {
    let stmt = conn.prepare_cached(&sql).map_err(sql_error)?;
    let columns = stmt.column_names().map(str::to_string).collect();
    let params = (1..=stmt.parameter_count())
      .map(|i| stmt.parameter_name(i).map(str::to_string))
      .collect();
    Ok((columns, params))
  })?;
  let id = db.next_statement.get();
  db.next_statement.set(id.wrapping_add(1));
  db.statements.borrow_mut().insert(id, Rc::from(sql));
  Ok(Prepared {
    id,
    columns,
    params,
  })
}

#[op2(fast)]
pub fn op_sqlite_finalize(state: Rc<RefCell<OpState>>, #[smi] rid: ResourceId, #[smi] id: u32) {
  if let Ok(db) = database(&state, rid) {
    db.statements.borrow_mut().remove(&id);
  }
}

const MODE_ALL: u32 = 0;
const MODE_GET: u32 = 1;
const MODE_VALUES: u32 = 2;
const MODE_RUN: u32 = 3;
const SAFE_INTEGERS: u32 = 16;

/// A JS value as an SQLite value (JS has already turned ArrayBuffers into
/// Uint8Arrays and booleans keep their JS meaning, 0/1).
fn to_sql(
  scope: &mut v8::PinScope<'_, '_>,
  value: v8::Local<'_, v8::Value>,
  index: u32,
) -> Result<Value, JsErrorBox> {
  if value.is_null_or_undefined() {
    return Ok(Value::Null);
  }
  if value.is_boolean() {
    return Ok(Value::Integer(i64::from(value.is_true())));
  }
  if let Ok(number) = v8::Local::<v8::Number>::try_from(value) {
    let n = number.value();
    // Whole numbers bind as INTEGER, the rest as REAL.
    return Ok(if n.fract() == 0.0 && n.abs() <= 9_007_199_254_740_991.0 {
      Value::Integer(n as i64)
    } else {
      Value::Real(n)
    });
  }
  if let Ok(big) = v8::Local::<v8::BigInt>::try_from(value) {
    let (n, lossless) = big.i64_value();
    if !lossless {
      return Err(JsErrorBox::range_error(format!(
        "parameter {index}: BigInt does not fit in a 64-bit SQLite integer"
      )));
    }
    return Ok(Value::Integer(n));
  }
  if let Ok(text) = v8::Local::<v8::String>::try_from(value) {
    return Ok(Value::Text(text.to_rust_string_lossy(scope)));
  }
  if let Ok(view) = v8::Local::<v8::ArrayBufferView>::try_from(value) {
    let mut bytes = vec![0; view.byte_length()];
    view.copy_contents(&mut bytes);
    return Ok(Value::Blob(bytes));
  }
  Err(JsErrorBox::type_error(format!(
    "parameter {index}: cannot bind a value of type {}",
    value.type_of(scope).to_rust_string_lossy(scope)
  )))
}

fn to_js<'s>(
  scope: &mut v8::PinScope<'s, '_>,
  value: ValueRef<'_>,
  safe_integers: bool,
) -> v8::Local<'s, v8::Value> {
  match value {
    ValueRef::Null => v8::null(scope).into(),
    ValueRef::Integer(n) if safe_integers => v8::BigInt::new_from_i64(scope, n).into(),
    ValueRef::Integer(n) => v8::Number::new(scope, n as f64).into(),
    ValueRef::Real(n) => v8::Number::new(scope, n).into(),
    ValueRef::Text(bytes) => v8::String::new_from_utf8(scope, bytes, v8::NewStringType::Normal)
      .map_or_else(|| v8::String::empty(scope).into(), Into::into),
    ValueRef::Blob(bytes) => {
      let len = bytes.len();
      let store = v8::ArrayBuffer::new_backing_store_from_vec(bytes.to_vec()).make_shared();
      let buffer = v8::ArrayBuffer::with_backing_store(scope, &store);
      v8::Uint8Array::new(scope, buffer, 0, len).map_or_else(|| v8::null(scope).into(), Into::into)
    }
  }
}

/// Runs statement `id` with `params` (an array in parameter order, built by
/// the JS side from positional or named arguments). `mode`: all rows as
/// objects, the first row (or null), all rows as arrays, or a run that
/// answers `[changes, lastInsertRowid]`; plus the safe-integers bit.
#[op2]
pub fn op_sqlite_query<'s>(
  scope: &mut v8::PinScope<'s, '_>,
  state: Rc<RefCell<OpState>>,
  #[smi] rid: ResourceId,
  #[smi] id: u32,
  params: v8::Local<'s, v8::Value>,
  #[smi] mode: u32,
) -> Result<v8::Local<'s, v8::Value>, JsErrorBox> {
  let db = database(&state, rid)?;
  let sql = db
    .statements
    .borrow()
    .get(&id)
    .cloned()
    .ok_or_else(|| JsErrorBox::generic("Statement has been finalized"))?;
  let safe_integers = mode & SAFE_INTEGERS != 0;
  let mode = mode & !SAFE_INTEGERS;

  let mut values = Vec::new();
  if let Ok(params) = v8::Local::<v8::Array>::try_from(params) {
    for i in 0..params.length() {
      let value = params
        .get_index(scope, i)
        .unwrap_or_else(|| v8::undefined(scope).into());
      values.push(to_sql(scope, value, i + 1)?);
    }
  }

  let conn_guard = db.conn.borrow();
  let conn = conn_guard
    .as_ref()
    .ok_or_else(|| JsErrorBox::generic("Cannot use a closed database"))?;
  let mut stmt = conn.prepare_cached(&sql).map_err(sql_error)?;
  let expected = stmt.parameter_count();
  if values.len() > expected {
    return Err(JsErrorBox::range_error(format!(
      "expected {expected} parameters, got {}",
      values.len()
    )));
  }
  for (i, value) in values.iter().enumerate() {
    stmt.raw_bind_parameter(i + 1, value).map_err(sql_error)?;
  }
  let columns = stmt.column_count();
  let names: Vec<v8::Local<v8::Name>> = if mode == MODE_ALL || mode == MODE_GET {
    (0..columns)
      .map(|c| {
        let name = stmt.column_name(c).unwrap_or("");
        v8::String::new_from_utf8(scope, name.as_bytes(), v8::NewStringType::Internalized)
          .map_or_else(|| v8::String::empty(scope).into(), Into::into)
      })
      .collect()
  } else {
    Vec::new()
  };
  // `with_prototype_and_properties` wants distinct names; `SELECT a, a`
  // falls back to plain property sets (the last column wins).
  let distinct = {
    let mut seen: Vec<&str> = Vec::with_capacity(columns);
    (0..columns).all(|c| {
      let name = stmt.column_name(c).unwrap_or("");
      let new = !seen.contains(&name);
      seen.push(name);
      new
    })
  };
  let proto: v8::Local<v8::Value> = v8::Object::new(scope)
    .get_prototype(scope)
    .unwrap_or_else(|| v8::null(scope).into());

  let mut rows = stmt.raw_query();
  let mut out: Vec<v8::Local<v8::Value>> = Vec::new();
  let mut cells: Vec<v8::Local<v8::Value>> = Vec::with_capacity(columns);
  while let Some(row) = rows.next().map_err(sql_error)? {
    if mode == MODE_RUN {
      continue;
    }
    cells.clear();
    for c in 0..columns {
      let value = row.get_ref(c).map_err(sql_error)?;
      cells.push(to_js(scope, value, safe_integers));
    }
    let row_value: v8::Local<v8::Value> = if mode == MODE_VALUES {
      v8::Array::new_with_elements(scope, &cells).into()
    } else if distinct {
      v8::Object::with_prototype_and_properties(scope, proto, &names, &cells).into()
    } else {
      let object = v8::Object::new(scope);
      for (name, cell) in names.iter().zip(&cells) {
        object.set(scope, (*name).into(), *cell);
      }
      object.into()
    };
    if mode == MODE_GET {
      return Ok(row_value);
    }
    out.push(row_value);
  }
  drop(rows);
  Ok(match mode {
    MODE_GET => v8::null(scope).into(),
    MODE_RUN => {
      let changes = v8::Number::new(scope, conn.changes() as f64).into();
      let rowid = conn.last_insert_rowid();
      let rowid = if safe_integers {
        v8::BigInt::new_from_i64(scope, rowid).into()
      } else {
        v8::Number::new(scope, rowid as f64).into()
      };
      v8::Array::new_with_elements(scope, &[changes, rowid]).into()
    }
    _ => v8::Array::new_with_elements(scope, &out).into(),
  })
}
