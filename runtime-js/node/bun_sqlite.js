// `bun:sqlite`: Bun's synchronous SQLite API over rusqlite (src/ext/sqlite.rs).
// Database files live inside the app folder only; ":memory:" always works.
import {
  op_sqlite_close,
  op_sqlite_exec,
  op_sqlite_finalize,
  op_sqlite_in_transaction,
  op_sqlite_open,
  op_sqlite_prepare,
  op_sqlite_query,
} from "ext:core/ops";

const MODE_ALL = 0;
const MODE_GET = 1;
const MODE_VALUES = 2;
const MODE_RUN = 3;
const SAFE_INTEGERS = 16;

const NO_VALUES = [];
const hasOwn = Object.prototype.hasOwnProperty;

export const constants = {
  SQLITE_OPEN_READONLY: 0x1,
  SQLITE_OPEN_READWRITE: 0x2,
  SQLITE_OPEN_CREATE: 0x4,
};

export class SQLiteError extends Error {
  constructor(message) {
    super(message);
    this.name = "SQLiteError";
  }
}

/** Ops fail with plain Errors; apps expect SQLiteError (`instanceof`). */
function rethrow(err) {
  if (err instanceof Error && err.constructor === Error) {
    const wrapped = new SQLiteError(err.message);
    wrapped.cause = err;
    throw wrapped;
  }
  throw err;
}

function isNamedParams(value) {
  return (
    value !== null &&
    typeof value === "object" &&
    !Array.isArray(value) &&
    !ArrayBuffer.isView(value) &&
    !(value instanceof ArrayBuffer)
  );
}

function normalize(value) {
  return value instanceof ArrayBuffer ? new Uint8Array(value) : value;
}

/**
 * Arguments as values in the statement's parameter order. Positional:
 * `stmt.all(1, "a")` (or one array). Named: one object; without `strict`
 * its keys carry the prefix as written in the SQL (`{ $id: 1 }`), with
 * `strict` bare keys work (`{ id: 1 }`) and a missing one is an error.
 */
function bindValues(paramNames, args, strict) {
  if (args.length === 0) return NO_VALUES;
  const first = args[0];
  if (args.length === 1 && isNamedParams(first)) {
    const out = new Array(paramNames.length);
    for (let i = 0; i < paramNames.length; i++) {
      const name = paramNames[i];
      if (name === null) {
        out[i] = normalize(first[i + 1]);
        continue;
      }
      const bare = name.slice(1);
      let value;
      if (hasOwn.call(first, name)) value = first[name];
      else if (name[0] === "?" || strict) {
        if (hasOwn.call(first, bare)) value = first[bare];
        else if (strict) throw new SQLiteError(`Missing parameter "${bare}"`);
      }
      out[i] = normalize(value);
    }
    return out;
  }
  const list = args.length === 1 && Array.isArray(first) ? first : args;
  const out = new Array(list.length);
  for (let i = 0; i < list.length; i++) out[i] = normalize(list[i]);
  return out;
}

export class Statement {
  #db;
  #rid;
  #id;
  #sql;
  #columns;
  #params;
  #strict;
  #safeIntegers;
  #rowClass = null;

  /** @internal Made by `db.query()` / `db.prepare()`. */
  constructor(db, rid, sql, prepared, strict, safeIntegers) {
    this.#db = db;
    this.#rid = rid;
    this.#sql = sql;
    this.#id = prepared.id;
    this.#columns = prepared.columns;
    this.#params = prepared.params;
    this.#strict = strict;
    this.#safeIntegers = safeIntegers;
  }

  get columnNames() {
    return this.#columns;
  }

  get paramsCount() {
    return this.#params.length;
  }

  get native() {
    return undefined;
  }

  #run(args, mode) {
    if (this.#id === 0) throw new SQLiteError("Statement has been finalized");
    const values = bindValues(this.#params, args, this.#strict);
    try {
      return op_sqlite_query(this.#rid, this.#id, values, this.#safeIntegers ? mode | SAFE_INTEGERS : mode);
    } catch (err) {
      rethrow(err);
    }
  }

  #typed(row) {
    return this.#rowClass === null || row === null ? row : Object.setPrototypeOf(row, this.#rowClass.prototype);
  }

  all(...args) {
    const rows = this.#run(args, MODE_ALL);
    if (this.#rowClass !== null) for (const row of rows) this.#typed(row);
    return rows;
  }

  get(...args) {
    return this.#typed(this.#run(args, MODE_GET));
  }

  values(...args) {
    return this.#run(args, MODE_VALUES);
  }

  run(...args) {
    const [changes, lastInsertRowid] = this.#run(args, MODE_RUN);
    return { changes, lastInsertRowid };
  }

  /** Rows one at a time (read all at once underneath: queries are synchronous anyway). */
  *iterate(...args) {
    yield* this.all(...args);
  }

  [Symbol.iterator]() {
    return this.iterate();
  }

  as(rowClass) {
    if (typeof rowClass !== "function") throw new TypeError("Statement.as() expects a class");
    this.#rowClass = rowClass;
    return this;
  }

  safeIntegers(enabled = true) {
    this.#safeIntegers = Boolean(enabled);
    return this;
  }

  finalize() {
    if (this.#id !== 0) {
      op_sqlite_finalize(this.#rid, this.#id);
      this.#id = 0;
    }
  }

  toString() {
    return this.#sql;
  }

  [Symbol.dispose]() {
    this.finalize();
  }
}

const openDatabases = new FinalizationRegistry((rid) => {
  try {
    op_sqlite_close(rid);
  } catch {
    // Already closed by the app.
  }
});

function openFlags(options) {
  if (typeof options === "number") return options;
  if (options === undefined || options === null) return 0;
  if (options.readonly) return constants.SQLITE_OPEN_READONLY;
  let flags = 0;
  if (options.readwrite) flags |= constants.SQLITE_OPEN_READWRITE;
  if (options.create) flags |= constants.SQLITE_OPEN_READWRITE | constants.SQLITE_OPEN_CREATE;
  return flags;
}

export class Database {
  #rid;
  #open = true;
  #filename;
  #strict;
  #safeIntegers;
  #cache = new Map();
  #savepoints = 0;

  constructor(filename = ":memory:", options) {
    if (filename instanceof URL) filename = decodeURIComponent(filename.pathname);
    if (typeof filename !== "string") throw new TypeError("Database expects a file name or \":memory:\"");
    this.#filename = filename;
    this.#strict = Boolean(options?.strict);
    this.#safeIntegers = Boolean(options?.safeIntegers);
    try {
      this.#rid = op_sqlite_open(filename, openFlags(options));
    } catch (err) {
      rethrow(err);
    }
    openDatabases.register(this, this.#rid, this);
  }

  static open(filename, options) {
    return new Database(filename, options);
  }

  get filename() {
    return this.#filename;
  }

  get inTransaction() {
    return this.#open && op_sqlite_in_transaction(this.#rid);
  }

  #check() {
    if (!this.#open) throw new SQLiteError("Cannot use a closed database");
  }

  prepare(sql) {
    this.#check();
    sql = String(sql);
    let prepared;
    try {
      prepared = op_sqlite_prepare(this.#rid, sql);
    } catch (err) {
      rethrow(err);
    }
    return new Statement(this, this.#rid, sql, prepared, this.#strict, this.#safeIntegers);
  }

  /** A prepared statement cached by its SQL text. */
  query(sql) {
    sql = String(sql);
    const cached = this.#cache.get(sql);
    if (cached !== undefined) return cached;
    const statement = this.prepare(sql);
    this.#cache.set(sql, statement);
    return statement;
  }

  /** Runs SQL (several statements when there are no parameters). */
  run(sql, ...params) {
    this.#check();
    if (params.length === 0) {
      try {
        const [changes, lastInsertRowid] = op_sqlite_exec(this.#rid, String(sql));
        return { changes, lastInsertRowid };
      } catch (err) {
        rethrow(err);
      }
    }
    const statement = this.prepare(sql);
    try {
      return statement.run(...params);
    } finally {
      statement.finalize();
    }
  }

  exec(sql, ...params) {
    return this.run(sql, ...params);
  }

  /**
   * `fn` wrapped in BEGIN/COMMIT, rolled back if it throws; called inside
   * another transaction it uses a savepoint instead.
   */
  transaction(fn) {
    if (typeof fn !== "function") throw new TypeError("transaction() expects a function");
    const db = this;
    const wrap = (begin) =>
      function (...args) {
        if (db.inTransaction) {
          const name = `buntime_savepoint_${++db.#savepoints}`;
          db.run(`SAVEPOINT ${name}`);
          try {
            const result = fn.apply(this, args);
            db.run(`RELEASE ${name}`);
            return result;
          } catch (err) {
            if (db.inTransaction) db.run(`ROLLBACK TO ${name}; RELEASE ${name}`);
            throw err;
          } finally {
            db.#savepoints--;
          }
        }
        db.run(begin);
        try {
          const result = fn.apply(this, args);
          db.run("COMMIT");
          return result;
        } catch (err) {
          if (db.inTransaction) db.run("ROLLBACK");
          throw err;
        }
      };
    const transaction = wrap("BEGIN");
    transaction.deferred = wrap("BEGIN DEFERRED");
    transaction.immediate = wrap("BEGIN IMMEDIATE");
    transaction.exclusive = wrap("BEGIN EXCLUSIVE");
    return transaction;
  }

  close(throwOnError = false) {
    if (!this.#open) return;
    for (const statement of this.#cache.values()) statement.finalize();
    this.#cache.clear();
    try {
      op_sqlite_close(this.#rid);
    } catch (err) {
      if (throwOnError) rethrow(err);
    }
    this.#open = false;
    openDatabases.unregister(this);
  }

  [Symbol.dispose]() {
    this.close();
  }

  serialize() {
    throw new TypeError("Database.serialize is not supported in Buntime (see README: Bun API support)");
  }

  loadExtension() {
    throw new TypeError("Database.loadExtension is not supported in Buntime (see README: Bun API support)");
  }
}

export default Database;
