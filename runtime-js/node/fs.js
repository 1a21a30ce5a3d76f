// node:fs, read side: files of the app folder (paths absolute inside it or
// relative to it). Writes answer EROFS: an app's folder is its deployment.
import { op_node_fs_read, op_node_fs_readdir, op_node_fs_stat } from "ext:core/ops";
import { core } from "ext:core/mod.js";
import { Buffer } from "node:buffer";

const decoder = new TextDecoder();

function toPath(path) {
  if (path instanceof URL) return decodeURIComponent(path.pathname);
  if (path instanceof Uint8Array) return decoder.decode(path);
  if (typeof path !== "string") {
    throw new TypeError(`The "path" argument must be of type string, Buffer or URL. Received ${typeof path}`);
  }
  return path;
}

/** Turns the op's "ENOENT: ..., 'path'" message into Node's error shape. */
function nodeError(err, syscall, path) {
  const match = /^([A-Z]+): /.exec(err?.message ?? "");
  if (!match) return err;
  const error = new Error(err.message);
  error.code = match[1];
  error.errno = { ENOENT: -2, EACCES: -13, EISDIR: -21, ENOTDIR: -20, EROFS: -30 }[match[1]] ?? -5;
  error.syscall = syscall;
  error.path = path;
  return error;
}

function call(syscall, path, fn) {
  try {
    return fn();
  } catch (err) {
    throw nodeError(err, syscall, path);
  }
}

function encodingOf(options) {
  if (typeof options === "string") return options;
  return options?.encoding ?? null;
}

class Stats {
  constructor(raw) {
    this.dev = 0;
    this.ino = 0;
    this.mode = raw.mode;
    this.nlink = 1;
    this.uid = 0;
    this.gid = 0;
    this.rdev = 0;
    this.size = raw.size;
    this.blksize = 4096;
    this.blocks = Math.ceil(raw.size / 512);
    this.atimeMs = raw.mtimeMs;
    this.mtimeMs = raw.mtimeMs;
    this.ctimeMs = raw.mtimeMs;
    this.birthtimeMs = raw.mtimeMs;
    this.atime = new Date(raw.mtimeMs);
    this.mtime = new Date(raw.mtimeMs);
    this.ctime = new Date(raw.mtimeMs);
    this.birthtime = new Date(raw.mtimeMs);
    this._file = raw.isFile;
    this._dir = raw.isDirectory;
  }
  isFile() {
    return this._file;
  }
  isDirectory() {
    return this._dir;
  }
  isSymbolicLink() {
    return false;
  }
  isFIFO() {
    return false;
  }
  isSocket() {
    return false;
  }
  isBlockDevice() {
    return false;
  }
  isCharacterDevice() {
    return false;
  }
}

class Dirent {
  constructor(name, isDir, parentPath) {
    this.name = name;
    this.parentPath = parentPath;
    this.path = parentPath;
    this._dir = isDir;
  }
  isFile() {
    return !this._dir;
  }
  isDirectory() {
    return this._dir;
  }
  isSymbolicLink() {
    return false;
  }
}

export function readFileSync(path, options) {
  const p = toPath(path);
  const bytes = call("open", p, () => op_node_fs_read(p));
  const encoding = encodingOf(options);
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return encoding ? buffer.toString(encoding) : buffer;
}

export function statSync(path, options) {
  const p = toPath(path);
  try {
    return new Stats(op_node_fs_stat(p));
  } catch (err) {
    if (options?.throwIfNoEntry === false) return undefined;
    throw nodeError(err, "stat", p);
  }
}

export const lstatSync = statSync;

export function existsSync(path) {
  try {
    op_node_fs_stat(toPath(path));
    return true;
  } catch {
    return false;
  }
}

export function accessSync(path) {
  statSync(path);
}

export function readdirSync(path, options) {
  const p = toPath(path);
  const entries = call("scandir", p, () => op_node_fs_readdir(p));
  if (options?.withFileTypes) return entries.map(([name, isDir]) => new Dirent(name, isDir, p));
  return entries.map(([name]) => name);
}

export function realpathSync(path) {
  const p = toPath(path);
  statSync(p);
  return p;
}
realpathSync.native = realpathSync;

function readOnly(name) {
  return function () {
    const error = new Error(`EROFS: read-only file system, ${name} (Buntime apps read their own folder only)`);
    error.code = "EROFS";
    error.syscall = name;
    throw error;
  };
}

export const writeFileSync = readOnly("write");
export const appendFileSync = readOnly("write");
export const mkdirSync = readOnly("mkdir");
export const rmSync = readOnly("rm");
export const unlinkSync = readOnly("unlink");
export const renameSync = readOnly("rename");
export const copyFileSync = readOnly("copyfile");
export const rmdirSync = readOnly("rmdir");

// Callback forms run the synchronous read and call back on a later tick.
function callbackify(fn) {
  return function (...args) {
    const callback = args.pop();
    if (typeof callback !== "function") throw new TypeError("The \"cb\" argument must be of type function");
    let result;
    try {
      result = fn(...args);
    } catch (err) {
      queueMicrotask(() => callback(err));
      return;
    }
    queueMicrotask(() => callback(null, result));
  };
}

export const readFile = callbackify(readFileSync);
export const stat = callbackify(statSync);
export const lstat = callbackify(statSync);
export const readdir = callbackify(readdirSync);
export const access = callbackify(accessSync);
export const realpath = callbackify(realpathSync);
export function exists(path, callback) {
  const result = existsSync(path);
  queueMicrotask(() => callback(result));
}
export const writeFile = callbackify(writeFileSync);
export const mkdir = callbackify(mkdirSync);
export const unlink = callbackify(unlinkSync);

export function createReadStream(path, options) {
  const { Readable } = core.createLazyLoader("node:stream")();
  const data = readFileSync(path);
  const encoding = encodingOf(options);
  return Readable.from(encoding ? [data.toString(encoding)] : [data]);
}

export const createWriteStream = readOnly("open");

export const constants = { F_OK: 0, R_OK: 4, W_OK: 2, X_OK: 1, O_RDONLY: 0, O_WRONLY: 1, O_RDWR: 2 };
export const F_OK = 0;
export const R_OK = 4;
export const W_OK = 2;
export const X_OK = 1;

export const promises = {
  readFile: async (path, options) => readFileSync(path, options),
  stat: async (path, options) => statSync(path, options),
  lstat: async (path, options) => statSync(path, options),
  readdir: async (path, options) => readdirSync(path, options),
  access: async (path) => accessSync(path),
  realpath: async (path) => realpathSync(path),
  writeFile: async () => writeFileSync(),
  appendFile: async () => appendFileSync(),
  mkdir: async () => mkdirSync(),
  rm: async () => rmSync(),
  unlink: async () => unlinkSync(),
  rename: async () => renameSync(),
  copyFile: async () => copyFileSync(),
  constants,
};

export { Stats, Dirent };

export default {
  readFileSync, statSync, lstatSync, existsSync, accessSync, readdirSync, realpathSync,
  writeFileSync, appendFileSync, mkdirSync, rmSync, unlinkSync, renameSync, copyFileSync, rmdirSync,
  readFile, stat, lstat, readdir, access, realpath, exists, writeFile, mkdir, unlink,
  createReadStream, createWriteStream, constants, promises, Stats, Dirent, F_OK, R_OK, W_OK, X_OK,
};
