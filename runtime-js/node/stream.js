// node:stream -- Readable/Writable/Duplex/Transform/PassThrough with Node's
// buffering, backpressure and event order, plus pipeline/finished.
// Constructors are plain functions so `Readable.call(this, opts)` with
// util.inherits keeps working alongside `class X extends Readable`.
import { EventEmitter } from "node:events";
import { Buffer } from "node:buffer";
import { StringDecoder } from "node:string_decoder";
import { nodeError } from "node:_errors";

function nextTick(fn, ...args) {
  const p = globalThis.process;
  if (p && typeof p.nextTick === "function") p.nextTick(fn, ...args);
  else queueMicrotask(() => fn(...args));
}


const errs = {
  pushAfterEOF: () => nodeError(Error, "ERR_STREAM_PUSH_AFTER_EOF", "stream.push() after EOF"),
  writeAfterEnd: () => nodeError(Error, "ERR_STREAM_WRITE_AFTER_END", "write after end"),
  destroyed: (m) => nodeError(Error, "ERR_STREAM_DESTROYED", `Cannot call ${m} after a stream was destroyed`),
  nullValues: () => nodeError(TypeError, "ERR_STREAM_NULL_VALUES", "May not write null values to stream"),
  prematureClose: () => nodeError(Error, "ERR_STREAM_PREMATURE_CLOSE", "Premature close"),
  alreadyFinished: (m) => nodeError(Error, "ERR_STREAM_ALREADY_FINISHED", `Cannot call ${m} after a stream was finished`),
  notImplemented: (m) => nodeError(Error, "ERR_METHOD_NOT_IMPLEMENTED", `The ${m} method is not implemented`),
  chunkType: (chunk) => nodeError(TypeError, "ERR_INVALID_ARG_TYPE", `The "chunk" argument must be of type string or an instance of Buffer, TypedArray, or DataView. Received ${chunk === undefined ? "undefined" : typeof chunk === "object" ? "an instance of " + (chunk.constructor ? chunk.constructor.name : "Object") : `type ${typeof chunk} (${String(chunk)})`}`),
  abort: () => {
    const e = new Error("The operation was aborted");
    e.name = "AbortError";
    e.code = "ABORT_ERR";
    return e;
  },
};

let defaultHWM = 16 * 1024;
let defaultObjectHWM = 16;
function getDefaultHighWaterMark(objectMode) {
  return objectMode ? defaultObjectHWM : defaultHWM;
}
function setDefaultHighWaterMark(objectMode, value) {
  if (objectMode) defaultObjectHWM = value;
  else defaultHWM = value;
}

function getHWM(options, key, objectMode) {
  let hwm = options ? options.highWaterMark : undefined;
  if (hwm == null && options) hwm = options[key];
  if (hwm == null) return getDefaultHighWaterMark(objectMode);
  if (!Number.isInteger(hwm) || hwm < 0) {
    throw nodeError(TypeError, "ERR_INVALID_ARG_VALUE", `The property 'options.${key}' is invalid. Received ${hwm}`);
  }
  return hwm;
}

function toBuffer(chunk) {
  return chunk instanceof Buffer ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

// ---- legacy Stream ---------------------------------------------------------

function Stream(opts) {
  EventEmitter.call(this, opts);
}
Object.setPrototypeOf(Stream.prototype, EventEmitter.prototype);
Object.setPrototypeOf(Stream, EventEmitter);

Stream.prototype.pipe = function pipe(dest, options) {
  const source = this;
  const ondata = (chunk) => {
    if (dest.writable && dest.write(chunk) === false && source.pause) source.pause();
  };
  const ondrain = () => {
    if (source.readable && source.resume) source.resume();
  };
  source.on("data", ondata);
  dest.on("drain", ondrain);
  if (!dest._isStdio && (!options || options.end !== false)) {
    source.on("end", () => dest.end());
  }
  dest.emit("pipe", source);
  return dest;
};

// ---- destroy (shared) --------------------------------------------------------

function destroyImpl(err, cb) {
  const r = this._readableState;
  const w = this._writableState;
  const s = w || r;
  if ((w && w.destroyed) || (r && r.destroyed)) {
    if (typeof cb === "function") cb();
    return this;
  }
  if (err) {
    if (w && !w.errored) w.errored = err;
    if (r && !r.errored) r.errored = err;
  }
  if (w) w.destroyed = true;
  if (r) r.destroyed = true;
  const onDestroy = (er) => {
    if (er) {
      if (w && !w.errored) w.errored = er;
      if (r && !r.errored) r.errored = er;
    }
    if (w) w.closed = true;
    if (r) r.closed = true;
    if (typeof cb === "function") cb(er);
    nextTick(() => {
      if (er) emitErrorNT(this, er);
      if ((w && !w.emitClose) || (r && !r.emitClose)) return;
      if (w) w.closeEmitted = true;
      if (r) r.closeEmitted = true;
      this.emit("close");
    });
  };
  if (s && s.constructed === false) {
    this.once(kConstruct, () => callDestroy(this, err, onDestroy));
  } else {
    callDestroy(this, err, onDestroy);
  }
  return this;
}

const kConstruct = Symbol("kConstruct");

function callDestroy(stream, err, done) {
  let called = false;
  const once = (er) => {
    if (called) return;
    called = true;
    done(er);
  };
  try {
    stream._destroy(err || null, once);
  } catch (e) {
    once(e);
  }
}

function emitErrorNT(stream, err) {
  const r = stream._readableState;
  const w = stream._writableState;
  if ((w && w.errorEmitted) || (r && r.errorEmitted)) return;
  if (w) w.errorEmitted = true;
  if (r) r.errorEmitted = true;
  stream.emit("error", err);
}

function errorOrDestroy(stream, err, sync) {
  const r = stream._readableState;
  const w = stream._writableState;
  if ((w && w.destroyed) || (r && r.destroyed)) return;
  if ((r && r.autoDestroy) || (w && w.autoDestroy)) {
    stream.destroy(err);
  } else if (err) {
    if (w && !w.errored) w.errored = err;
    if (r && !r.errored) r.errored = err;
    if (sync) nextTick(emitErrorNT, stream, err);
    else emitErrorNT(stream, err);
  }
}

function construct(stream, cb) {
  if (typeof stream._construct !== "function") return;
  const r = stream._readableState;
  const w = stream._writableState;
  if (r) r.constructed = false;
  if (w) w.constructed = false;
  nextTick(() => {
    let called = false;
    const done = (err) => {
      if (called) return;
      called = true;
      if (r) r.constructed = true;
      if (w) w.constructed = true;
      if (err) errorOrDestroy(stream, err, true);
      stream.emit(kConstruct);
      if (cb) cb();
    };
    try {
      stream._construct(done);
    } catch (e) {
      done(e);
    }
  });
}

// ---- Readable ------------------------------------------------------------

function ReadableState(options, stream, isDuplex) {
  options = options || {};
  this.objectMode = !!(options.objectMode || (isDuplex && options.readableObjectMode));
  this.highWaterMark = options.highWaterMark != null || options.readableHighWaterMark == null || !isDuplex
    ? getHWM(options, "readableHighWaterMark", this.objectMode)
    : getHWM({ highWaterMark: options.readableHighWaterMark }, "readableHighWaterMark", this.objectMode);
  this.buffer = [];
  this.length = 0;
  this.pipes = [];
  this.flowing = null;
  this.ended = false;
  this.endEmitted = false;
  this.reading = false;
  this.constructed = true;
  this.sync = true;
  this.needReadable = false;
  this.emittedReadable = false;
  this.readableListening = false;
  this.resumeScheduled = false;
  this.errorEmitted = false;
  this.emitClose = options.emitClose !== false;
  this.autoDestroy = options.autoDestroy !== false;
  this.destroyed = false;
  this.errored = null;
  this.closed = false;
  this.closeEmitted = false;
  this.defaultEncoding = options.defaultEncoding || "utf8";
  this.awaitDrainWriters = 0;
  this.multiAwaitDrain = false;
  this.readingMore = false;
  this.dataEmitted = false;
  this.decoder = null;
  this.encoding = null;
  this.paused = null;
  if (options.encoding) {
    this.decoder = new StringDecoder(options.encoding);
    this.encoding = this.decoder.encoding;
  }
}

function Readable(options) {
  if (!(this instanceof Readable)) return new Readable(options);
  const isDuplex = this instanceof Duplex;
  this._readableState = new ReadableState(options, this, isDuplex);
  if (options) {
    if (typeof options.read === "function") this._read = options.read;
    if (typeof options.destroy === "function") this._destroy = options.destroy;
    if (typeof options.construct === "function") this._construct = options.construct;
    if (options.signal && !isDuplex) addAbortSignal(options.signal, this);
  }
  Stream.call(this, options);
  if (!isDuplex) construct(this, () => {
    if (this._readableState.needReadable) maybeReadMore(this, this._readableState);
  });
}
Object.setPrototypeOf(Readable.prototype, Stream.prototype);
Object.setPrototypeOf(Readable, Stream);

Readable.ReadableState = ReadableState;
Readable.prototype.destroy = destroyImpl;
Readable.prototype._undestroy = function () {
  const r = this._readableState;
  r.destroyed = false;
  r.closed = false;
  r.closeEmitted = false;
  r.errored = null;
  r.errorEmitted = false;
  r.ended = r.endEmitted = false;
};
Readable.prototype._destroy = function (err, cb) {
  cb(err);
};
Readable.prototype[EventEmitter.captureRejectionSymbol] = function (err) {
  this.destroy(err);
};

Readable.prototype.push = function push(chunk, encoding) {
  return addChunk(this, chunk, encoding, false);
};
Readable.prototype.unshift = function unshift(chunk, encoding) {
  return addChunk(this, chunk, encoding, true);
};

function addChunk(stream, chunk, encoding, front) {
  const state = stream._readableState;
  if (chunk === null) {
    state.reading = false;
    onEofChunk(stream, state);
    return false;
  }
  if (!state.objectMode) {
    if (typeof chunk === "string") {
      encoding = encoding || state.defaultEncoding;
      if (state.encoding !== encoding) {
        chunk = Buffer.from(chunk, encoding);
        encoding = "";
      }
    } else if (chunk instanceof Uint8Array) {
      chunk = toBuffer(chunk);
      encoding = "";
    } else if (chunk !== undefined) {
      errorOrDestroy(stream, errs.chunkType(chunk));
      return false;
    }
  }
  if (chunk === undefined) {
    state.reading = false;
    return canPushMore(state);
  }
  if (!state.objectMode && chunk.length === 0) {
    state.reading = false;
    maybeReadMore(stream, state);
    return canPushMore(state);
  }
  if (front) {
    if (state.endEmitted) {
      errorOrDestroy(stream, nodeError(Error, "ERR_STREAM_UNSHIFT_AFTER_END_EVENT", "stream.unshift() after end event"));
      return false;
    }
    if (state.destroyed || state.errored) return false;
    if (state.decoder && !encoding && typeof chunk !== "string") chunk = state.decoder.write(chunk);
    storeChunk(stream, state, chunk, true);
  } else if (state.ended) {
    errorOrDestroy(stream, errs.pushAfterEOF());
    return false;
  } else if (state.destroyed || state.errored) {
    return false;
  } else {
    state.reading = false;
    if (state.decoder && !encoding && typeof chunk !== "string") {
      chunk = state.decoder.write(chunk);
      if (chunk.length === 0) {
        maybeReadMore(stream, state);
        return canPushMore(state);
      }
    }
    storeChunk(stream, state, chunk, false);
  }
  return canPushMore(state);
}

function canPushMore(state) {
  return !state.ended && (state.length < state.highWaterMark || state.length === 0);
}

function storeChunk(stream, state, chunk, front) {
  if (state.flowing && state.length === 0 && !state.sync && stream.listenerCount("data") > 0 && !front) {
    // Fast path: nothing buffered and someone is listening, hand it over.
    state.dataEmitted = true;
    stream.emit("data", chunk);
  } else {
    state.length += state.objectMode ? 1 : chunk.length;
    if (front) state.buffer.unshift(chunk);
    else state.buffer.push(chunk);
    if (state.needReadable) emitReadable(stream);
  }
  maybeReadMore(stream, state);
}

function onEofChunk(stream, state) {
  if (state.ended) return;
  if (state.decoder) {
    const rest = state.decoder.end();
    if (rest && rest.length) {
      state.buffer.push(rest);
      state.length += state.objectMode ? 1 : rest.length;
    }
  }
  state.ended = true;
  if (state.sync) {
    emitReadable(stream);
  } else {
    state.needReadable = false;
    state.emittedReadable = true;
    emitReadableNT(stream);
  }
}

function emitReadable(stream) {
  const state = stream._readableState;
  state.needReadable = false;
  if (!state.emittedReadable) {
    state.emittedReadable = true;
    nextTick(emitReadableNT, stream);
  }
}

function emitReadableNT(stream) {
  const state = stream._readableState;
  if (!state.destroyed && !state.errored && (state.length || state.ended)) {
    stream.emit("readable");
    state.emittedReadable = false;
  }
  state.needReadable = !state.flowing && !state.ended && state.length <= state.highWaterMark;
  flow(stream);
}

function maybeReadMore(stream, state) {
  if (!state.readingMore && state.constructed) {
    state.readingMore = true;
    nextTick(maybeReadMoreNT, stream, state);
  }
}

function maybeReadMoreNT(stream, state) {
  while (!state.reading && !state.ended && (state.length < state.highWaterMark || (state.flowing && state.length === 0))) {
    const len = state.length;
    stream.read(0);
    if (len === state.length) break;
  }
  state.readingMore = false;
}

function howMuchToRead(n, state) {
  if (n <= 0 || (state.length === 0 && state.ended)) return 0;
  if (state.objectMode) return 1;
  if (Number.isNaN(n)) {
    if (state.flowing && state.length) return state.buffer[0].length;
    return state.length;
  }
  if (n <= state.length) return n;
  return state.ended ? state.length : 0;
}

function takeFromBuffer(n, state) {
  if (state.length === 0) return null;
  const buf = state.buffer;
  if (state.objectMode) return buf.shift();
  if (!n || n >= state.length) {
    let ret;
    if (state.decoder || typeof buf[0] === "string") ret = buf.join("");
    else if (buf.length === 1) ret = buf[0];
    else ret = Buffer.concat(buf, state.length);
    state.buffer = [];
    return ret;
  }
  const first = buf[0];
  if (n < first.length) {
    buf[0] = first.slice(n);
    return first.slice(0, n);
  }
  if (n === first.length) return buf.shift();
  if (typeof first === "string") {
    let out = "";
    while (out.length < n) {
      const c = buf[0];
      const need = n - out.length;
      if (c.length <= need) {
        out += c;
        buf.shift();
      } else {
        out += c.slice(0, need);
        buf[0] = c.slice(need);
      }
    }
    return out;
  }
  const out = Buffer.allocUnsafe(n);
  let pos = 0;
  while (pos < n) {
    const c = buf[0];
    const need = n - pos;
    if (c.length <= need) {
      out.set(c, pos);
      pos += c.length;
      buf.shift();
    } else {
      out.set(c.subarray(0, need), pos);
      buf[0] = c.slice(need);
      pos += need;
    }
  }
  return out;
}

Readable.prototype.read = function read(n) {
  if (n === undefined) n = NaN;
  else if (!Number.isInteger(n)) n = Number.parseInt(n, 10);
  const state = this._readableState;
  const nOrig = n;
  if (n > state.highWaterMark) {
    let h = n;
    h--;
    h |= h >>> 1; h |= h >>> 2; h |= h >>> 4; h |= h >>> 8; h |= h >>> 16;
    state.highWaterMark = h + 1;
  }
  if (n !== 0) state.emittedReadable = false;
  if (n === 0 && state.needReadable && ((state.highWaterMark !== 0 ? state.length >= state.highWaterMark : state.length > 0) || state.ended)) {
    if (state.length === 0 && state.ended) endReadable(this);
    else emitReadable(this);
    return null;
  }
  n = howMuchToRead(n, state);
  if (n === 0 && state.ended) {
    if (state.length === 0) endReadable(this);
    return null;
  }
  let doRead = state.needReadable;
  if (state.length === 0 || state.length - n < state.highWaterMark) doRead = true;
  if (state.ended || state.reading || state.destroyed || state.errored || !state.constructed) {
    doRead = false;
  } else if (doRead) {
    state.reading = true;
    state.sync = true;
    if (state.length === 0) state.needReadable = true;
    try {
      this._read(state.highWaterMark);
    } catch (err) {
      errorOrDestroy(this, err);
    }
    state.sync = false;
    if (!state.reading) n = howMuchToRead(nOrig, state);
  }
  let ret = n > 0 ? takeFromBuffer(n, state) : null;
  if (ret === null) {
    state.needReadable = state.length <= state.highWaterMark;
    n = 0;
  } else {
    state.length -= state.objectMode ? 1 : ret.length;
    if (state.multiAwaitDrain) state.awaitDrainWriters = 0;
    else state.awaitDrainWriters = 0;
  }
  if (state.length === 0) {
    if (!state.ended) state.needReadable = true;
    if (nOrig !== n && state.ended) endReadable(this);
  }
  if (ret !== null && !state.errorEmitted && !state.closeEmitted) {
    state.dataEmitted = true;
    this.emit("data", ret);
  }
  return ret;
};

Readable.prototype._read = function () {
  throw errs.notImplemented("_read()");
};

function endReadable(stream) {
  const state = stream._readableState;
  if (!state.endEmitted) {
    state.ended = true;
    nextTick(endReadableNT, state, stream);
  }
}

function endReadableNT(state, stream) {
  if (!state.errored && !state.closeEmitted && !state.endEmitted && state.length === 0) {
    state.endEmitted = true;
    stream.emit("end");
    const w = stream._writableState;
    if (w && !w.ending && stream.allowHalfOpen === false) {
      stream.end();
    } else if (state.autoDestroy) {
      const writableDone = !w || (w.autoDestroy && (w.finished || w.writable === false));
      if (writableDone) stream.destroy();
    }
  }
}

function flow(stream) {
  const state = stream._readableState;
  while (state.flowing && stream.read() !== null);
}

Readable.prototype.on = function on(ev, fn) {
  const res = Stream.prototype.on.call(this, ev, fn);
  const state = this._readableState;
  if (ev === "data") {
    state.readableListening = this.listenerCount("readable") > 0;
    if (state.flowing !== false) this.resume();
  } else if (ev === "readable") {
    if (!state.endEmitted && !state.readableListening) {
      state.readableListening = state.needReadable = true;
      state.flowing = false;
      state.emittedReadable = false;
      if (state.length) emitReadable(this);
      else if (!state.reading) nextTick((s) => s.read(0), this);
    }
  }
  return res;
};
Readable.prototype.addListener = Readable.prototype.on;

function updateReadableListening(self) {
  const state = self._readableState;
  state.readableListening = self.listenerCount("readable") > 0;
  if (state.resumeScheduled && state.paused === false) state.flowing = true;
  else if (self.listenerCount("data") > 0) self.resume();
  else if (!state.readableListening) state.flowing = null;
}

Readable.prototype.removeListener = function removeListener(ev, fn) {
  const res = Stream.prototype.removeListener.call(this, ev, fn);
  if (ev === "readable") nextTick(updateReadableListening, this);
  return res;
};
Readable.prototype.off = Readable.prototype.removeListener;

Readable.prototype.removeAllListeners = function removeAllListeners(ev) {
  const res = Stream.prototype.removeAllListeners.apply(this, arguments);
  if (ev === "readable" || ev === undefined) nextTick(updateReadableListening, this);
  return res;
};

Readable.prototype.resume = function resume() {
  const state = this._readableState;
  if (!state.flowing) {
    state.flowing = !state.readableListening;
    if (!state.resumeScheduled) {
      state.resumeScheduled = true;
      nextTick(resumeNT, this, state);
    }
  }
  state.paused = false;
  return this;
};

function resumeNT(stream, state) {
  if (!state.reading) stream.read(0);
  state.resumeScheduled = false;
  stream.emit("resume");
  flow(stream);
  if (state.flowing && !state.reading) stream.read(0);
}

Readable.prototype.pause = function pause() {
  const state = this._readableState;
  if (state.flowing !== false) {
    state.flowing = false;
    this.emit("pause");
  }
  state.paused = true;
  return this;
};

Readable.prototype.isPaused = function isPaused() {
  const state = this._readableState;
  return state.paused === true || state.flowing === false;
};

Readable.prototype.setEncoding = function setEncoding(enc) {
  const state = this._readableState;
  const decoder = new StringDecoder(enc);
  state.decoder = decoder;
  state.encoding = decoder.encoding;
  let content = "";
  for (const c of state.buffer) content += typeof c === "string" ? c : decoder.write(c);
  state.buffer = content ? [content] : [];
  state.length = content.length;
  return this;
};

Readable.prototype.pipe = function pipe(dest, pipeOpts) {
  const src = this;
  const state = this._readableState;
  state.pipes.push(dest);
  const doEnd = (!pipeOpts || pipeOpts.end !== false) && !dest._isStdio;
  const endFn = doEnd ? onend : unpipe;
  if (state.endEmitted) nextTick(endFn);
  else src.once("end", endFn);

  dest.on("unpipe", onunpipe);
  function onunpipe(readable, info) {
    if (readable === src && info && info.hasUnpiped === false) {
      info.hasUnpiped = true;
      cleanup();
    }
  }
  function onend() {
    dest.end();
  }
  let ondrain;
  let cleanedUp = false;
  function cleanup() {
    dest.removeListener("close", onclose);
    dest.removeListener("finish", onfinish);
    if (ondrain) dest.removeListener("drain", ondrain);
    dest.removeListener("error", onerror);
    dest.removeListener("unpipe", onunpipe);
    src.removeListener("end", onend);
    src.removeListener("end", unpipe);
    src.removeListener("data", ondata);
    cleanedUp = true;
    if (ondrain && state.awaitDrainWriters && (!dest._writableState || dest._writableState.needDrain)) ondrain();
  }
  function pause() {
    if (!cleanedUp) {
      state.awaitDrainWriters = 1;
      src.pause();
    }
    if (!ondrain) {
      ondrain = () => {
        state.awaitDrainWriters = 0;
        if (src.listenerCount("data")) src.resume();
      };
      dest.on("drain", ondrain);
    }
  }
  src.on("data", ondata);
  function ondata(chunk) {
    const ret = dest.write(chunk);
    if (ret === false) pause();
  }
  function onerror(er) {
    unpipe();
    dest.removeListener("error", onerror);
    if (dest.listenerCount("error") === 0) {
      const s = dest._writableState || dest._readableState;
      if (s && !s.errorEmitted) errorOrDestroy(dest, er);
      else dest.emit("error", er);
    }
  }
  dest.prependListener("error", onerror);
  function onclose() {
    dest.removeListener("finish", onfinish);
    unpipe();
  }
  dest.once("close", onclose);
  function onfinish() {
    dest.removeListener("close", onclose);
    unpipe();
  }
  dest.once("finish", onfinish);
  function unpipe() {
    src.unpipe(dest);
  }
  dest.emit("pipe", src);
  if (dest.writableNeedDrain === true) pause();
  else if (!state.flowing) src.resume();
  return dest;
};

Readable.prototype.unpipe = function unpipe(dest) {
  const state = this._readableState;
  const info = { hasUnpiped: false };
  if (state.pipes.length === 0) return this;
  if (!dest) {
    const dests = state.pipes;
    state.pipes = [];
    this.pause();
    for (const d of dests) d.emit("unpipe", this, { hasUnpiped: false });
    return this;
  }
  const idx = state.pipes.indexOf(dest);
  if (idx === -1) return this;
  state.pipes.splice(idx, 1);
  if (state.pipes.length === 0) this.pause();
  dest.emit("unpipe", this, info);
  return this;
};

Readable.prototype.wrap = function wrap(stream) {
  let paused = false;
  stream.on("data", (chunk) => {
    if (!this.push(chunk) && stream.pause) {
      paused = true;
      stream.pause();
    }
  });
  stream.on("end", () => this.push(null));
  stream.on("error", (err) => errorOrDestroy(this, err));
  stream.on("close", () => this.destroy());
  stream.on("destroy", () => this.destroy());
  this._read = () => {
    if (paused && stream.resume) {
      paused = false;
      stream.resume();
    }
  };
  return this;
};

Readable.prototype[Symbol.asyncIterator] = function () {
  return readableIterator(this, {});
};
Readable.prototype.iterator = function (options) {
  return readableIterator(this, options || {});
};

async function* readableIterator(stream, options) {
  let wake = null;
  const signal = () => {
    if (wake) {
      const w = wake;
      wake = null;
      w();
    }
  };
  let error;
  let done = false;
  stream.on("readable", signal);
  const cleanup = finished(stream, { writable: false }, (err) => {
    error = err && err.code !== "ERR_STREAM_PREMATURE_CLOSE" ? err : err ? err : null;
    done = true;
    signal();
  });
  let returned = false;
  try {
    while (true) {
      const chunk = stream.destroyed ? null : stream.read();
      if (chunk !== null) {
        yield chunk;
      } else if (done) {
        if (error) throw error;
        return;
      } else {
        await new Promise((resolve) => {
          wake = resolve;
        });
      }
    }
  } catch (err) {
    error = err;
    throw err;
  } finally {
    returned = true;
    cleanup();
    stream.removeListener("readable", signal);
    if ((error || options.destroyOnReturn !== false) && !(stream._readableState && stream._readableState.endEmitted && !error)) {
      stream.destroy(error && error.code !== "ERR_STREAM_PREMATURE_CLOSE" ? error : null);
    } else if (!done) {
      stream.destroy();
    }
    void returned;
  }
}

Readable.prototype.toArray = async function toArray(options) {
  const out = [];
  for await (const chunk of this) {
    if (options && options.signal && options.signal.aborted) throw errs.abort();
    out.push(chunk);
  }
  return out;
};

Readable.prototype.forEach = async function forEach(fn, options) {
  for await (const chunk of this) {
    if (options && options.signal && options.signal.aborted) throw errs.abort();
    await fn(chunk, { signal: options && options.signal });
  }
};

Readable.prototype.map = function map(fn, options) {
  const src = this;
  return Readable.from((async function* () {
    for await (const chunk of src) yield await fn(chunk, { signal: options && options.signal });
  })());
};

Readable.prototype.filter = function filter(fn, options) {
  const src = this;
  return Readable.from((async function* () {
    for await (const chunk of src) if (await fn(chunk, { signal: options && options.signal })) yield chunk;
  })());
};

Readable.prototype.reduce = async function reduce(fn, initial, options) {
  let acc = initial;
  let first = arguments.length < 2;
  for await (const chunk of this) {
    if (first) {
      acc = chunk;
      first = false;
    } else {
      acc = await fn(acc, chunk, { signal: options && options.signal });
    }
  }
  if (first) throw nodeError(TypeError, "ERR_INVALID_ARGS", "Reduce of an empty stream requires an initial value");
  return acc;
};

function defineGetters(proto, getters) {
  for (const [name, get] of Object.entries(getters)) {
    const desc = typeof get === "function" ? { get, enumerable: false, configurable: true } : { ...get, enumerable: false, configurable: true };
    Object.defineProperty(proto, name, desc);
  }
}

defineGetters(Readable.prototype, {
  readable: {
    get() {
      const r = this._readableState;
      return !!r && r.readable !== false && !r.destroyed && !r.errorEmitted && !r.endEmitted;
    },
    set(v) {
      if (this._readableState) this._readableState.readable = !!v;
    },
  },
  readableDidRead() {
    return this._readableState.dataEmitted;
  },
  readableAborted() {
    const r = this._readableState;
    return !!(r.readable !== false && (r.destroyed || r.errored) && !r.endEmitted);
  },
  readableHighWaterMark() {
    return this._readableState.highWaterMark;
  },
  readableBuffer() {
    return this._readableState && this._readableState.buffer;
  },
  readableFlowing: {
    get() {
      return this._readableState.flowing;
    },
    set(v) {
      if (this._readableState) this._readableState.flowing = v;
    },
  },
  readableLength() {
    return this._readableState.length;
  },
  readableObjectMode() {
    return this._readableState ? this._readableState.objectMode : false;
  },
  readableEncoding() {
    return this._readableState ? this._readableState.encoding : null;
  },
  errored() {
    return this._readableState ? this._readableState.errored : null;
  },
  closed() {
    return this._readableState ? this._readableState.closed : false;
  },
  destroyed: {
    get() {
      return this._readableState ? this._readableState.destroyed : false;
    },
    set(v) {
      if (this._readableState) this._readableState.destroyed = v;
    },
  },
  readableEnded() {
    return this._readableState ? this._readableState.endEmitted : false;
  },
});

Readable.from = function from(iterable, opts) {
  if (typeof iterable === "string" || iterable instanceof Uint8Array) {
    return new Readable({
      objectMode: true,
      ...opts,
      read() {
        this.push(iterable);
        this.push(null);
      },
    });
  }
  let iterator;
  let isAsync;
  if (iterable && typeof iterable[Symbol.asyncIterator] === "function") {
    isAsync = true;
    iterator = iterable[Symbol.asyncIterator]();
  } else if (iterable && typeof iterable[Symbol.iterator] === "function") {
    isAsync = false;
    iterator = iterable[Symbol.iterator]();
  } else {
    throw nodeError(TypeError, "ERR_INVALID_ARG_TYPE", 'The "iterable" argument must be an instance of Iterable.');
  }
  let reading = false;
  const readable = new Readable({
    objectMode: true,
    highWaterMark: 1,
    ...opts,
    read() {
      if (!reading) {
        reading = true;
        next();
      }
    },
    destroy(error, cb) {
      Promise.resolve()
        .then(async () => {
          if (typeof iterator.return === "function") {
            const r = iterator.return();
            if (isAsync) await r;
          }
        })
        .then(() => cb(error), (e) => cb(e || error));
    },
  });
  async function next() {
    for (;;) {
      try {
        const { value, done } = isAsync ? await iterator.next() : iterator.next();
        if (done) {
          readable.push(null);
        } else {
          const res = value && typeof value.then === "function" ? await value : value;
          if (res === null) {
            reading = false;
            throw errs.nullValues();
          } else if (readable.push(res)) {
            continue;
          } else {
            reading = false;
          }
        }
      } catch (err) {
        readable.destroy(err);
      }
      break;
    }
  }
  return readable;
};

Readable.fromWeb = function fromWeb(readableStream, options) {
  const reader = readableStream.getReader();
  let closed = false;
  return new Readable({
    objectMode: !!(options && options.objectMode),
    highWaterMark: options && options.highWaterMark,
    encoding: options && options.encoding,
    read() {
      reader.read().then(
        ({ value, done }) => {
          if (done) this.push(null);
          else this.push(value);
        },
        (err) => this.destroy(err),
      );
    },
    destroy(err, cb) {
      if (!closed) {
        closed = true;
        reader.cancel(err || undefined).then(() => cb(err), () => cb(err));
      } else cb(err);
    },
  });
};

Readable.toWeb = function toWeb(streamReadable) {
  return new ReadableStream({
    start(controller) {
      streamReadable.on("data", (chunk) => {
        controller.enqueue(typeof chunk === "string" ? new TextEncoder().encode(chunk) : chunk instanceof Uint8Array ? new Uint8Array(chunk) : chunk);
        if (controller.desiredSize <= 0) streamReadable.pause();
      });
      streamReadable.on("end", () => controller.close());
      streamReadable.on("error", (err) => controller.error(err));
      streamReadable.pause();
    },
    pull() {
      streamReadable.resume();
    },
    cancel(reason) {
      streamReadable.destroy(reason);
    },
  });
};

Readable.isDisturbed = function isDisturbed(stream) {
  const r = stream && stream._readableState;
  return !!(r && (r.dataEmitted || r.destroyed || r.endEmitted)) || !!(stream && stream.locked);
};

// ---- Writable -------------------------------------------------------------

function WritableState(options, stream, isDuplex) {
  options = options || {};
  this.objectMode = !!(options.objectMode || (isDuplex && options.writableObjectMode));
  this.highWaterMark = options.highWaterMark != null || options.writableHighWaterMark == null || !isDuplex
    ? getHWM(options, "writableHighWaterMark", this.objectMode)
    : getHWM({ highWaterMark: options.writableHighWaterMark }, "writableHighWaterMark", this.objectMode);
  this.finalCalled = false;
  this.needDrain = false;
  this.ending = false;
  this.ended = false;
  this.finished = false;
  this.destroyed = false;
  this.decodeStrings = options.decodeStrings !== false;
  this.defaultEncoding = options.defaultEncoding || "utf8";
  this.length = 0;
  this.writing = false;
  this.corked = 0;
  this.sync = true;
  this.bufferProcessing = false;
  this.writecb = null;
  this.writelen = 0;
  this.afterWriteTickInfo = null;
  this.buffered = [];
  this.pendingcb = 0;
  this.constructed = true;
  this.prefinished = false;
  this.errorEmitted = false;
  this.emitClose = options.emitClose !== false;
  this.autoDestroy = options.autoDestroy !== false;
  this.errored = null;
  this.closed = false;
  this.closeEmitted = false;
  this.onFinished = [];
}

WritableState.prototype.getBuffer = function () {
  return this.buffered.slice();
};
Object.defineProperty(WritableState.prototype, "bufferedRequestCount", {
  get() {
    return this.buffered.length;
  },
});

function Writable(options) {
  const isDuplex = this instanceof Duplex;
  if (!isDuplex && !Function.prototype[Symbol.hasInstance].call(Writable, this)) return new Writable(options);
  initWritable(this, options, isDuplex);
  Stream.call(this, options);
  if (!isDuplex) construct(this, () => {
    const s = this._writableState;
    if (!s.writing) clearBuffer(this, s);
    finishMaybe(this, s);
  });
}
Object.setPrototypeOf(Writable.prototype, Stream.prototype);
Object.setPrototypeOf(Writable, Stream);
Writable.WritableState = WritableState;

function initWritable(stream, options, isDuplex) {
  stream._writableState = new WritableState(options, stream, isDuplex);
  if (options) {
    if (typeof options.write === "function") stream._write = options.write;
    if (typeof options.writev === "function") stream._writev = options.writev;
    if (typeof options.destroy === "function") stream._destroy = options.destroy;
    if (typeof options.final === "function") stream._final = options.final;
    if (typeof options.construct === "function") stream._construct = options.construct;
    if (options.signal) addAbortSignal(options.signal, stream);
  }
}

Object.defineProperty(Writable, Symbol.hasInstance, {
  value(object) {
    if (Function.prototype[Symbol.hasInstance].call(this, object)) return true;
    if (this !== Writable) return false;
    return !!(object && object._writableState instanceof WritableState);
  },
});

Writable.prototype.destroy = function destroy(err, cb) {
  const state = this._writableState;
  if (!state.destroyed && (state.buffered.length || state.onFinished.length)) {
    nextTick(errorBuffer, state);
  }
  return destroyImpl.call(this, err, cb);
};
Writable.prototype._undestroy = function () {
  const w = this._writableState;
  w.destroyed = false;
  w.closed = false;
  w.closeEmitted = false;
  w.errored = null;
  w.errorEmitted = false;
  w.ended = w.ending = w.finished = w.finalCalled = w.prefinished = false;
};
Writable.prototype._destroy = function (err, cb) {
  cb(err);
};
Writable.prototype[EventEmitter.captureRejectionSymbol] = function (err) {
  this.destroy(err);
};

Writable.prototype.pipe = function () {
  errorOrDestroy(this, nodeError(Error, "ERR_STREAM_CANNOT_PIPE", "Cannot pipe, not readable"));
};

Writable.prototype.write = function write(chunk, encoding, cb) {
  return writeImpl(this, chunk, encoding, cb) === true;
};

function writeImpl(stream, chunk, encoding, cb) {
  const state = stream._writableState;
  if (typeof encoding === "function") {
    cb = encoding;
    encoding = state.defaultEncoding;
  } else {
    if (!encoding) encoding = state.defaultEncoding;
    else if (encoding !== "buffer" && !Buffer.isEncoding(encoding)) {
      throw nodeError(TypeError, "ERR_UNKNOWN_ENCODING", `Unknown encoding: ${encoding}`);
    }
    if (typeof cb !== "function") cb = nop;
  }
  if (chunk === null) throw errs.nullValues();
  if (!state.objectMode) {
    if (typeof chunk === "string") {
      if (state.decodeStrings !== false) {
        chunk = Buffer.from(chunk, encoding);
        encoding = "buffer";
      }
    } else if (chunk instanceof Uint8Array) {
      chunk = toBuffer(chunk);
      encoding = "buffer";
    } else {
      throw errs.chunkType(chunk);
    }
  }
  let err;
  if (state.ending) err = errs.writeAfterEnd();
  else if (state.destroyed) err = errs.destroyed("write");
  if (err) {
    nextTick(cb, err);
    errorOrDestroy(stream, err, true);
    return err;
  }
  state.pendingcb++;
  const len = state.objectMode ? 1 : chunk.length;
  state.length += len;
  const ret = state.length < state.highWaterMark;
  if (!ret) state.needDrain = true;
  if (state.writing || state.corked || state.errored || !state.constructed) {
    state.buffered.push({ chunk, encoding, callback: cb });
  } else {
    doWrite(stream, state, false, len, chunk, encoding, cb);
  }
  return ret && !state.errored && !state.destroyed;
}

function nop() {}

function doWrite(stream, state, writev, len, chunk, encoding, cb) {
  state.writelen = len;
  state.writecb = cb;
  state.writing = true;
  state.sync = true;
  if (state.destroyed) onwrite(stream, errs.destroyed("write"));
  else if (writev) stream._writev(chunk, (er) => onwrite(stream, er));
  else stream._write(chunk, encoding, (er) => onwrite(stream, er));
  state.sync = false;
}

function onwrite(stream, er) {
  const state = stream._writableState;
  const sync = state.sync;
  const cb = state.writecb;
  if (typeof cb !== "function") {
    errorOrDestroy(stream, nodeError(Error, "ERR_MULTIPLE_CALLBACK", "Callback called multiple times"));
    return;
  }
  state.writing = false;
  state.writecb = null;
  state.length -= state.writelen;
  state.writelen = 0;
  if (er) {
    if (!state.errored) state.errored = er;
    if (stream._readableState && !stream._readableState.errored) stream._readableState.errored = er;
    if (sync) nextTick(onwriteError, stream, state, er, cb);
    else onwriteError(stream, state, er, cb);
  } else {
    if (state.buffered.length > 0) clearBuffer(stream, state);
    if (sync) {
      if (state.afterWriteTickInfo !== null && state.afterWriteTickInfo.cb === cb) {
        state.afterWriteTickInfo.count++;
      } else {
        state.afterWriteTickInfo = { count: 1, cb, stream, state };
        nextTick(afterWriteTick, state.afterWriteTickInfo);
      }
    } else {
      afterWrite(stream, state, 1, cb);
    }
  }
}

function onwriteError(stream, state, er, cb) {
  --state.pendingcb;
  cb(er);
  errorBuffer(state);
  errorOrDestroy(stream, er);
}

function afterWriteTick(info) {
  info.state.afterWriteTickInfo = null;
  afterWrite(info.stream, info.state, info.count, info.cb);
}

function afterWrite(stream, state, count, cb) {
  const needDrain = !state.ending && !stream.destroyed && state.length === 0 && state.needDrain;
  if (needDrain) {
    state.needDrain = false;
    stream.emit("drain");
  }
  while (count-- > 0) {
    state.pendingcb--;
    cb(null);
  }
  if (state.destroyed) errorBuffer(state);
  finishMaybe(stream, state);
}

function errorBuffer(state) {
  if (state.writing) return;
  for (const { chunk, callback } of state.buffered) {
    const len = state.objectMode ? 1 : chunk.length;
    state.length -= len;
    callback(state.errored || errs.destroyed("write"));
  }
  const fins = state.onFinished.splice(0);
  for (const f of fins) f(state.errored || errs.destroyed("end"));
  state.buffered = [];
}

function clearBuffer(stream, state) {
  if (state.corked || state.bufferProcessing || state.destroyed || !state.constructed) return;
  const buffered = state.buffered;
  if (buffered.length === 0) return;
  state.bufferProcessing = true;
  if (buffered.length > 1 && stream._writev) {
    state.pendingcb -= buffered.length - 1;
    const callbacks = buffered.map((b) => b.callback);
    const chunks = buffered.map((b) => ({ chunk: b.chunk, encoding: b.encoding }));
    chunks.allBuffers = buffered.every((b) => typeof b.chunk !== "string");
    const cb = (err) => {
      for (const c of callbacks) c(err);
    };
    state.buffered = [];
    doWrite(stream, state, true, state.length, chunks, "", cb);
  } else {
    let i = 0;
    do {
      const { chunk, encoding, callback } = buffered[i++];
      const len = state.objectMode ? 1 : chunk.length;
      doWrite(stream, state, false, len, chunk, encoding, callback);
    } while (i < buffered.length && !state.writing);
    buffered.splice(0, i);
  }
  state.bufferProcessing = false;
}

Writable.prototype._write = function (chunk, encoding, cb) {
  if (this._writev) this._writev([{ chunk, encoding }], cb);
  else throw errs.notImplemented("_write()");
};
Writable.prototype._writev = null;

Writable.prototype.cork = function cork() {
  this._writableState.corked++;
};

Writable.prototype.uncork = function uncork() {
  const state = this._writableState;
  if (state.corked) {
    state.corked--;
    if (!state.writing) clearBuffer(this, state);
  }
};

Writable.prototype.setDefaultEncoding = function setDefaultEncoding(encoding) {
  if (typeof encoding === "string") encoding = encoding.toLowerCase();
  if (!Buffer.isEncoding(encoding)) throw nodeError(TypeError, "ERR_UNKNOWN_ENCODING", `Unknown encoding: ${encoding}`);
  this._writableState.defaultEncoding = encoding;
  return this;
};

Writable.prototype.end = function end(chunk, encoding, cb) {
  const state = this._writableState;
  if (typeof chunk === "function") {
    cb = chunk;
    chunk = null;
    encoding = null;
  } else if (typeof encoding === "function") {
    cb = encoding;
    encoding = null;
  }
  let err;
  if (chunk !== null && chunk !== undefined) {
    const ret = writeImpl(this, chunk, encoding);
    if (ret instanceof Error) err = ret;
  }
  if (state.corked) {
    state.corked = 1;
    this.uncork();
  }
  if (err) {
    // already reported by write
  } else if (!state.errored && !state.ending) {
    state.ending = true;
    finishMaybe(this, state, true);
    state.ended = true;
  } else if (state.finished) {
    err = errs.alreadyFinished("end");
  } else if (state.destroyed) {
    err = errs.destroyed("end");
  }
  if (typeof cb === "function") {
    if (err || state.finished) nextTick(cb, err);
    else state.onFinished.push(cb);
  }
  return this;
};

function needFinish(state) {
  return state.ending && !state.destroyed && state.constructed && state.length === 0 && !state.errored &&
    state.buffered.length === 0 && !state.finished && !state.writing && !state.errorEmitted && !state.closeEmitted;
}

function callFinal(stream, state) {
  let called = false;
  const onFinish = (err) => {
    if (called) {
      errorOrDestroy(stream, nodeError(Error, "ERR_MULTIPLE_CALLBACK", "Callback called multiple times"));
      return;
    }
    called = true;
    state.pendingcb--;
    if (err) {
      const fins = state.onFinished.splice(0);
      for (const f of fins) f(err);
      errorOrDestroy(stream, err, state.sync);
    } else if (needFinish(state)) {
      state.prefinished = true;
      stream.emit("prefinish");
      state.pendingcb++;
      nextTick(finish, stream, state);
    }
  };
  state.sync = true;
  state.pendingcb++;
  try {
    stream._final(onFinish);
  } catch (err) {
    onFinish(err);
  }
  state.sync = false;
}

function prefinish(stream, state) {
  if (!state.prefinished && !state.finalCalled) {
    if (typeof stream._final === "function" && !state.destroyed) {
      state.finalCalled = true;
      callFinal(stream, state);
    } else {
      state.prefinished = true;
      stream.emit("prefinish");
    }
  }
}

function finishMaybe(stream, state, sync) {
  if (needFinish(state)) {
    prefinish(stream, state);
    if (state.pendingcb === 0) {
      if (sync) {
        state.pendingcb++;
        nextTick(() => {
          if (needFinish(state)) finish(stream, state);
          else state.pendingcb--;
        });
      } else if (needFinish(state)) {
        state.pendingcb++;
        finish(stream, state);
      }
    }
  }
}

function finish(stream, state) {
  state.pendingcb--;
  state.finished = true;
  const fins = state.onFinished.splice(0);
  for (const f of fins) f(null);
  stream.emit("finish");
  if (state.autoDestroy) {
    const r = stream._readableState;
    const autoDestroy = !r || (r.autoDestroy && (r.endEmitted || r.readable === false));
    if (autoDestroy) stream.destroy();
  }
}

defineGetters(Writable.prototype, {
  closed() {
    return this._writableState ? this._writableState.closed : false;
  },
  destroyed: {
    get() {
      return this._writableState ? this._writableState.destroyed : false;
    },
    set(v) {
      if (this._writableState) this._writableState.destroyed = v;
    },
  },
  writable: {
    get() {
      const w = this._writableState;
      return !!w && w.writable !== false && !w.destroyed && !w.errored && !w.ending && !w.ended;
    },
    set(v) {
      if (this._writableState) this._writableState.writable = !!v;
    },
  },
  writableFinished() {
    return this._writableState ? this._writableState.finished : false;
  },
  writableObjectMode() {
    return this._writableState ? this._writableState.objectMode : false;
  },
  writableBuffer() {
    return this._writableState && this._writableState.getBuffer();
  },
  writableEnded() {
    return this._writableState ? this._writableState.ending : false;
  },
  writableNeedDrain() {
    const w = this._writableState;
    return w ? !w.destroyed && !w.ending && w.needDrain : false;
  },
  writableHighWaterMark() {
    return this._writableState && this._writableState.highWaterMark;
  },
  writableCorked() {
    return this._writableState ? this._writableState.corked : 0;
  },
  writableLength() {
    return this._writableState && this._writableState.length;
  },
  errored() {
    return this._writableState ? this._writableState.errored : null;
  },
  writableAborted() {
    const w = this._writableState;
    return !!(w.writable !== false && (w.destroyed || w.errored) && !w.finished);
  },
});

Writable.fromWeb = function fromWeb(writableStream, options) {
  const writer = writableStream.getWriter();
  return new Writable({
    objectMode: !!(options && options.objectMode),
    decodeStrings: options ? options.decodeStrings !== false : true,
    highWaterMark: options && options.highWaterMark,
    write(chunk, encoding, cb) {
      writer.ready.then(() => writer.write(chunk)).then(() => cb(), cb);
    },
    final(cb) {
      writer.close().then(() => cb(), cb);
    },
    destroy(err, cb) {
      writer.abort(err || undefined).then(() => cb(err), () => cb(err));
    },
  });
};

Writable.toWeb = function toWeb(streamWritable) {
  return new WritableStream({
    write(chunk) {
      return new Promise((resolve, reject) => {
        const ok = streamWritable.write(chunk, (err) => (err ? reject(err) : undefined));
        if (ok) resolve();
        else streamWritable.once("drain", resolve);
      });
    },
    close() {
      return new Promise((resolve, reject) => {
        streamWritable.end((err) => (err ? reject(err) : resolve()));
      });
    },
    abort(reason) {
      streamWritable.destroy(reason);
    },
  });
};

// ---- Duplex / Transform / PassThrough -----------------------------------

function Duplex(options) {
  if (!(this instanceof Duplex)) return new Duplex(options);
  this._readableState = new ReadableState(options, this, true);
  if (options) {
    if (typeof options.read === "function") this._read = options.read;
  }
  initWritable(this, options, true);
  if (options && typeof options.construct === "function") this._construct = options.construct;
  Stream.call(this, options);
  if (options) {
    this.allowHalfOpen = options.allowHalfOpen !== false;
    if (options.readable === false) {
      this._readableState.readable = false;
      this._readableState.ended = true;
      this._readableState.endEmitted = true;
    }
    if (options.writable === false) {
      this._writableState.writable = false;
      this._writableState.ending = true;
      this._writableState.ended = true;
      this._writableState.finished = true;
    }
  } else {
    this.allowHalfOpen = true;
  }
  construct(this, () => {
    const s = this._writableState;
    if (!s.writing) clearBuffer(this, s);
    finishMaybe(this, s);
    if (this._readableState.needReadable) maybeReadMore(this, this._readableState);
  });
}
Object.setPrototypeOf(Duplex.prototype, Readable.prototype);
Object.setPrototypeOf(Duplex, Readable);

for (const key of Object.getOwnPropertyNames(Writable.prototype)) {
  if (key === "constructor" || key === "destroy" || key === "_undestroy") continue;
  // Only what the readable side lacks (pipe, on, ... stay Readable's).
  if (!(key in Duplex.prototype)) {
    Object.defineProperty(Duplex.prototype, key, Object.getOwnPropertyDescriptor(Writable.prototype, key));
  }
}
Duplex.prototype.destroy = Writable.prototype.destroy;
Duplex.prototype._undestroy = function () {
  Readable.prototype._undestroy.call(this);
  Writable.prototype._undestroy.call(this);
};
defineGetters(Duplex.prototype, {
  destroyed: {
    get() {
      const r = this._readableState;
      const w = this._writableState;
      if (!r || !w) return false;
      return r.destroyed && w.destroyed;
    },
    set(v) {
      if (this._readableState && this._writableState) {
        this._readableState.destroyed = v;
        this._writableState.destroyed = v;
      }
    },
  },
  closed() {
    return !!(this._readableState && this._readableState.closed && this._writableState && this._writableState.closed);
  },
  errored() {
    return (this._readableState && this._readableState.errored) || (this._writableState && this._writableState.errored) || null;
  },
});

Duplex.from = function from(body) {
  if (body instanceof Duplex) return body;
  if (body instanceof Readable) {
    const d = new Duplex({ writable: false, objectMode: body.readableObjectMode, read() { body.resume(); } });
    body.on("data", (c) => { if (!d.push(c)) body.pause(); });
    body.on("end", () => d.push(null));
    body.on("error", (e) => d.destroy(e));
    return d;
  }
  if (body instanceof Writable) {
    return new Duplex({
      readable: false,
      objectMode: body.writableObjectMode,
      write(c, e, cb) { body.write(c, e, cb); },
      final(cb) { body.end(cb); },
    });
  }
  if (body && (typeof body[Symbol.asyncIterator] === "function" || typeof body[Symbol.iterator] === "function")) {
    const r = Readable.from(body);
    return Duplex.from(r);
  }
  if (body && typeof body === "object" && (body.readable || body.writable)) {
    const { readable, writable } = body;
    const d = new Duplex({
      objectMode: true,
      read() { if (readable) readable.resume(); },
      write(c, e, cb) { if (writable.write(c, e)) cb(); else writable.once("drain", cb); },
      final(cb) { writable.end(); finished(writable, cb); },
    });
    if (readable) {
      readable.on("data", (c) => { if (!d.push(c)) readable.pause(); });
      readable.on("end", () => d.push(null));
    }
    return d;
  }
  throw nodeError(TypeError, "ERR_INVALID_ARG_TYPE", 'The "body" argument must be a stream, iterable or object with readable/writable.');
};

Duplex.fromWeb = function fromWeb(pair, options) {
  const r = Readable.fromWeb(pair.readable, options);
  const w = Writable.fromWeb(pair.writable, options);
  return Duplex.from({ readable: r, writable: w });
};

Duplex.toWeb = function toWeb(duplex) {
  return { readable: Readable.toWeb(duplex), writable: Writable.toWeb(duplex) };
};

const kCallback = Symbol("kCallback");

function Transform(options) {
  if (!(this instanceof Transform)) return new Transform(options);
  // Transforms buffer on the readable side too, so keep its HWM as set.
  Duplex.call(this, options);
  this._readableState.sync = false;
  this[kCallback] = null;
  if (options) {
    if (typeof options.transform === "function") this._transform = options.transform;
    if (typeof options.flush === "function") this._flush = options.flush;
  }
  this.on("prefinish", transformPrefinish);
}
Object.setPrototypeOf(Transform.prototype, Duplex.prototype);
Object.setPrototypeOf(Transform, Duplex);

function transformFinal(cb) {
  if (typeof this._flush === "function" && !this.destroyed) {
    this._flush((er, data) => {
      if (er) {
        if (cb) cb(er);
        else this.destroy(er);
        return;
      }
      if (data != null) this.push(data);
      this.push(null);
      if (cb) cb();
    });
  } else {
    this.push(null);
    if (cb) cb();
  }
}

function transformPrefinish() {
  if (this._final !== transformFinal) transformFinal.call(this);
}

Transform.prototype._final = transformFinal;

Transform.prototype._transform = function () {
  throw errs.notImplemented("_transform()");
};

Transform.prototype._write = function (chunk, encoding, callback) {
  const rState = this._readableState;
  const wState = this._writableState;
  const length = rState.length;
  this._transform(chunk, encoding, (err, val) => {
    if (err) {
      callback(err);
      return;
    }
    if (val != null) this.push(val);
    if (wState.ended || length === rState.length || rState.length < rState.highWaterMark) {
      callback();
    } else {
      this[kCallback] = callback;
    }
  });
};

Transform.prototype._read = function () {
  if (this[kCallback]) {
    const cb = this[kCallback];
    this[kCallback] = null;
    cb();
  }
};

function PassThrough(options) {
  if (!(this instanceof PassThrough)) return new PassThrough(options);
  Transform.call(this, options);
}
Object.setPrototypeOf(PassThrough.prototype, Transform.prototype);
Object.setPrototypeOf(PassThrough, Transform);
PassThrough.prototype._transform = function (chunk, encoding, cb) {
  cb(null, chunk);
};

// ---- finished / pipeline ------------------------------------------------------

function isReadableNodeStream(s) {
  return !!(s && typeof s.pipe === "function" && typeof s.on === "function" && (!s._writableState || (s._readableState && s._readableState.readable !== false)));
}
function isWritableNodeStream(s) {
  return !!(s && typeof s.write === "function" && typeof s.on === "function" && (!s._readableState || (s._writableState && s._writableState.writable !== false)));
}
function isNodeStream(s) {
  return !!(s && (s._readableState || s._writableState || (typeof s.write === "function" && typeof s.on === "function") || (typeof s.pipe === "function" && typeof s.on === "function")));
}

function finished(stream, options, callback) {
  if (typeof options === "function") {
    callback = options;
    options = {};
  } else if (!options) {
    options = {};
  }
  if (typeof callback !== "function") {
    throw nodeError(TypeError, "ERR_INVALID_ARG_TYPE", 'The "callback" argument must be of type function.');
  }
  let called = false;
  const cb = (err) => {
    if (called) return;
    called = true;
    callback.call(stream, err);
  };
  const r = stream._readableState;
  const w = stream._writableState;
  const readable = options.readable ?? (isReadableNodeStream(stream) && (!r || r.readable !== false));
  const writable = options.writable ?? (isWritableNodeStream(stream) && (!w || w.writable !== false));

  let readableFinished = !!(r && r.endEmitted);
  let writableFinished = !!(w && w.finished);
  // A stream that will emit 'close' is reported on 'close', not on end/finish.
  const s0 = w || r;
  let willEmitClose = !!(s0 && s0.autoDestroy && s0.emitClose && s0.closed === false) &&
    isReadableNodeStream(stream) === readable && isWritableNodeStream(stream) === writable;
  const onfinish = () => {
    writableFinished = true;
    if (stream.destroyed) willEmitClose = false;
    if (willEmitClose && (!stream.readable || readable)) return;
    if (!readable || readableFinished) cb();
  };
  const onend = () => {
    readableFinished = true;
    if (stream.destroyed) willEmitClose = false;
    if (willEmitClose && (!stream.writable || writable)) return;
    if (!writable || writableFinished) cb();
  };
  const onerror = (err) => cb(err);
  const onclose = () => {
    const errored = (w && w.errored) || (r && r.errored);
    if (errored && typeof errored !== "boolean") return cb(errored);
    if (readable && !readableFinished && !(r && r.endEmitted)) return cb(errs.prematureClose());
    if (writable && !writableFinished && !(w && w.finished)) return cb(errs.prematureClose());
    cb();
  };
  const onrequest = () => stream.on("finish", onfinish);

  stream.on("end", onend);
  stream.on("finish", onfinish);
  if (options.error !== false) stream.on("error", onerror);
  stream.on("close", onclose);
  if (stream.req && typeof stream.abort === "function") stream.on("request", onrequest);

  const closed = (w && w.closed) || (r && r.closed);
  const errored = (w && w.errored) || (r && r.errored);
  if (closed || (w && w.closeEmitted) || (r && r.closeEmitted)) {
    nextTick(onclose);
  } else if (errored && (w ? w.errorEmitted : true) && (r ? r.errorEmitted : true)) {
    nextTick(onerror, errored);
  } else if ((!readable || readableFinished) && (!writable || writableFinished) && (readable || writable) && (r || w)) {
    nextTick(cb);
  }

  let onAbort;
  if (options.signal) {
    onAbort = () => cb(errs.abort());
    if (options.signal.aborted) nextTick(onAbort);
    else options.signal.addEventListener("abort", onAbort, { once: true });
  }

  return function cleanup() {
    stream.removeListener("end", onend);
    stream.removeListener("finish", onfinish);
    stream.removeListener("error", onerror);
    stream.removeListener("close", onclose);
    stream.removeListener("request", onrequest);
    if (onAbort) options.signal.removeEventListener("abort", onAbort);
  };
}

function finishedPromise(stream, opts) {
  return new Promise((resolve, reject) => {
    finished(stream, opts, (err) => (err ? reject(err) : resolve()));
  });
}

function isIterable(obj) {
  return !!obj && (typeof obj[Symbol.asyncIterator] === "function" || typeof obj[Symbol.iterator] === "function");
}

function destroyer(stream, err) {
  if (stream && typeof stream.destroy === "function" && !stream.destroyed) stream.destroy(err);
}

function pipeline(...streams) {
  const callback = typeof streams[streams.length - 1] === "function" ? streams.pop() : null;
  if (!callback) throw nodeError(TypeError, "ERR_INVALID_ARG_TYPE", 'The "streams[stream.length - 1]" argument must be of type function.');
  let opts = {};
  if (streams.length && streams[streams.length - 1] && typeof streams[streams.length - 1] === "object" && !isNodeStream(streams[streams.length - 1]) && !isIterable(streams[streams.length - 1]) && Object.keys(streams[streams.length - 1]).every((k) => k === "signal" || k === "end")) {
    opts = streams.pop();
  }
  return pipelineImpl(streams, opts, callback);
}

function pipelineImpl(streams, opts, callback) {
  if (streams.length === 1 && Array.isArray(streams[0])) streams = streams[0];
  if (streams.length < 2) throw nodeError(TypeError, "ERR_MISSING_ARGS", 'The "streams" argument must be specified');
  let error;
  let value;
  let pending = 0;
  let finishedAll = false;
  const nodeStreams = [];
  const cleanups = [];

  const finish = (err, final) => {
    if (err && (!error || error.code === "ERR_STREAM_PREMATURE_CLOSE")) error = err;
    if (!error && !final) return;
    while (cleanups.length) cleanups.shift()();
    if (error) for (const s of nodeStreams) destroyer(s, error);
    if (!finishedAll && final) {
      finishedAll = true;
      nextTick(callback, error, value);
    } else if (!finishedAll && error) {
      finishedAll = true;
      nextTick(callback, error, value);
    }
  };
  const done = (err) => {
    pending--;
    finish(err, pending === 0);
  };

  if (opts.signal) {
    const onAbort = () => finish(errs.abort(), false);
    if (opts.signal.aborted) nextTick(onAbort);
    else {
      opts.signal.addEventListener("abort", onAbort, { once: true });
      cleanups.push(() => opts.signal.removeEventListener("abort", onAbort));
    }
  }

  let ret;
  for (let i = 0; i < streams.length; i++) {
    const stream = streams[i];
    const isFirst = i === 0;
    const isLast = i === streams.length - 1;
    if (isNodeStream(stream)) {
      nodeStreams.push(stream);
      if (!isLast || isReadableNodeStream(stream) || isWritableNodeStream(stream)) {
        pending++;
        const reading = !isLast;
        const writing = !isFirst;
        // The listener stays after completion so late errors stay handled.
        finished(stream, { readable: reading, writable: writing }, (err) => {
          if (err && err.code === "ERR_STREAM_PREMATURE_CLOSE" && !reading && writing && stream._writableState && stream._writableState.finished) err = undefined;
          done(err);
        });
      }
    }
    if (isFirst) {
      if (typeof stream === "function") {
        ret = stream({ signal: opts.signal });
        if (!isIterable(ret)) throw nodeError(TypeError, "ERR_INVALID_RETURN_VALUE", "Expected Iterable, AsyncIterable or Stream to be returned from the \"source\" function.");
      } else if (isNodeStream(stream) || isIterable(stream)) {
        ret = stream;
      } else {
        ret = Readable.fromWeb ? (typeof stream.getReader === "function" ? Readable.fromWeb(stream) : stream) : stream;
      }
    } else if (typeof stream === "function") {
      const source = isNodeStream(ret) ? ret : Readable.from(ret);
      ret = stream(source, { signal: opts.signal });
      if (isLast) {
        if (!ret || typeof ret.then !== "function") {
          if (!isIterable(ret)) throw nodeError(TypeError, "ERR_INVALID_RETURN_VALUE", "Expected AsyncIterable or Promise to be returned from the \"destination\" function.");
        }
        if (ret && typeof ret.then === "function") {
          pending++;
          ret.then((v) => {
            value = v;
            done();
          }, done);
        } else {
          // An iterable at the end: drain it.
          pending++;
          (async () => {
            for await (const _ of ret);
          })().then(() => done(), done);
        }
      } else if (!isNodeStream(ret)) {
        ret = Readable.from(ret);
        nodeStreams.push(ret);
      }
    } else if (isNodeStream(stream)) {
      if (isReadableNodeStream(ret)) {
        ret.pipe(stream, { end: opts.end !== false || !isLast });
        if (!isLast || true) {
          // Errors on the source must reach the pipeline even if it is not
          // listened to elsewhere.
        }
      } else if (isIterable(ret)) {
        pending++;
        pumpToNode(ret, stream, done, { end: opts.end !== false || !isLast });
      }
      ret = stream;
    } else if (stream && typeof stream.getWriter === "function") {
      pending++;
      const w = stream.getWriter();
      (async () => {
        for await (const chunk of ret) {
          await w.ready;
          await w.write(chunk);
        }
        await w.close();
      })().then(() => done(), done);
      ret = stream;
    } else {
      throw nodeError(TypeError, "ERR_INVALID_ARG_TYPE", `The "streams[${i}]" argument must be a stream, function or iterable.`);
    }
  }
  if (pending === 0) nextTick(() => finish(undefined, true));
  return ret;
}

async function pumpToNode(iterable, writable, done, { end }) {
  let error;
  try {
    for await (const chunk of iterable) {
      if (!writable.write(chunk)) {
        if (writable.destroyed) return;
        await new Promise((resolve, reject) => {
          const cleanup = () => {
            writable.removeListener("drain", ondrain);
            writable.removeListener("close", onclose);
          };
          const ondrain = () => {
            cleanup();
            resolve();
          };
          const onclose = () => {
            cleanup();
            reject(errs.prematureClose());
          };
          writable.on("drain", ondrain);
          writable.on("close", onclose);
        });
      }
    }
    if (end) writable.end();
    await finishedPromise(writable, { readable: false });
  } catch (err) {
    error = err;
    destroyer(writable, err);
  }
  done(error);
}

function pipelinePromise(...streams) {
  let opts = {};
  const last = streams[streams.length - 1];
  if (last && typeof last === "object" && !isNodeStream(last) && !isIterable(last) && typeof last.getWriter !== "function" && typeof last.getReader !== "function") {
    opts = streams.pop();
  }
  return new Promise((resolve, reject) => {
    pipelineImpl(streams, opts, (err, value) => (err ? reject(err) : resolve(value)));
  });
}

const promises = { pipeline: pipelinePromise, finished: finishedPromise };

function addAbortSignal(signal, stream) {
  if (!signal || typeof signal.aborted !== "boolean") {
    throw nodeError(TypeError, "ERR_INVALID_ARG_TYPE", 'The "signal" argument must be an instance of AbortSignal.');
  }
  const onAbort = () => stream.destroy(Object.assign(errs.abort(), { cause: signal.reason }));
  if (signal.aborted) onAbort();
  else {
    signal.addEventListener("abort", onAbort, { once: true });
    finished(stream, () => signal.removeEventListener("abort", onAbort));
  }
  return stream;
}

function compose(...streams) {
  if (streams.length === 1) return Duplex.from(streams[0]);
  const head = streams[0];
  const pt = new PassThrough({ objectMode: true });
  const tail = pipeline(pt, ...streams.slice(1), (err) => {
    if (err) out.destroy(err);
  });
  const out = new Duplex({
    objectMode: true,
    write(chunk, enc, cb) {
      if (pt.write(chunk, enc)) cb();
      else pt.once("drain", cb);
    },
    final(cb) {
      pt.end();
      cb();
    },
    read() {
      tail.resume();
    },
  });
  tail.on("data", (c) => {
    if (!out.push(c)) tail.pause();
  });
  tail.on("end", () => out.push(null));
  void head;
  if (isReadableNodeStream(head) || isIterable(head)) {
    pipeline(head, pt, (err) => err && out.destroy(err));
  }
  return out;
}

function isReadable(stream) {
  const r = stream && stream._readableState;
  if (!r) return null;
  return !!(r.readable !== false && !r.destroyed && !r.errored && !r.endEmitted);
}

function isWritable(stream) {
  const w = stream && stream._writableState;
  if (!w) return null;
  return !!(w.writable !== false && !w.destroyed && !w.errored && !w.ending);
}

function isErrored(stream) {
  return !!(stream && ((stream._readableState && stream._readableState.errored) || (stream._writableState && stream._writableState.errored)));
}

const isDisturbed = Readable.isDisturbed;

function destroy(stream, err) {
  destroyer(stream, err);
}

Object.assign(Stream, {
  Stream, Readable, Writable, Duplex, Transform, PassThrough, pipeline, finished, promises,
  addAbortSignal, compose, isReadable, isWritable, isErrored, isDisturbed, destroy,
  getDefaultHighWaterMark, setDefaultHighWaterMark,
});
Object.defineProperty(Stream, "_isUint8Array", { value: (v) => v instanceof Uint8Array });
Stream._uint8ArrayToBuffer = (chunk) => toBuffer(chunk);

export {
  Stream, Readable, Writable, Duplex, Transform, PassThrough, pipeline, finished, promises,
  addAbortSignal, compose, isReadable, isWritable, isErrored, isDisturbed, destroy,
  getDefaultHighWaterMark, setDefaultHighWaterMark,
};
export default Stream;
