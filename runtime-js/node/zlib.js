// node:zlib: gzip, deflate (zlib format), deflateRaw, brotli and unzip in
// their sync, callback and stream forms, over the Rust codecs Bun.gzipSync
// uses. Decompression is bounded by the server's MAX_DECOMPRESSED_MB. The
// stream forms collect their input and convert it when it ends.
import { op_bun_compress, op_bun_decompress } from "ext:core/ops";
import { Buffer } from "node:buffer";
import { Transform } from "node:stream";
import { argType, nodeError } from "node:_errors";

// Format codes of the ops.
const GZIP = 0;
const RAW = 1;
const ZLIB = 2;
const BROTLI = 3;

export const constants = {
  Z_NO_FLUSH: 0, Z_PARTIAL_FLUSH: 1, Z_SYNC_FLUSH: 2, Z_FULL_FLUSH: 3, Z_FINISH: 4, Z_BLOCK: 5,
  Z_OK: 0, Z_STREAM_END: 1, Z_NEED_DICT: 2, Z_ERRNO: -1, Z_STREAM_ERROR: -2, Z_DATA_ERROR: -3,
  Z_MEM_ERROR: -4, Z_BUF_ERROR: -5, Z_VERSION_ERROR: -6,
  Z_NO_COMPRESSION: 0, Z_BEST_SPEED: 1, Z_BEST_COMPRESSION: 9, Z_DEFAULT_COMPRESSION: -1,
  Z_FILTERED: 1, Z_HUFFMAN_ONLY: 2, Z_RLE: 3, Z_FIXED: 4, Z_DEFAULT_STRATEGY: 0,
  ZLIB_VERNUM: 4865, DEFLATE: 1, INFLATE: 2, GZIP: 3, GUNZIP: 4, DEFLATERAW: 5, INFLATERAW: 6, UNZIP: 7,
  BROTLI_DECODE: 8, BROTLI_ENCODE: 9,
  Z_MIN_WINDOWBITS: 8, Z_MAX_WINDOWBITS: 15, Z_DEFAULT_WINDOWBITS: 15,
  Z_MIN_CHUNK: 64, Z_MAX_CHUNK: Infinity, Z_DEFAULT_CHUNK: 16384,
  Z_MIN_MEMLEVEL: 1, Z_MAX_MEMLEVEL: 9, Z_DEFAULT_MEMLEVEL: 8,
  Z_MIN_LEVEL: -1, Z_MAX_LEVEL: 9, Z_DEFAULT_LEVEL: -1,
  BROTLI_OPERATION_PROCESS: 0, BROTLI_OPERATION_FLUSH: 1, BROTLI_OPERATION_FINISH: 2,
  BROTLI_OPERATION_EMIT_METADATA: 3, BROTLI_PARAM_MODE: 0, BROTLI_MODE_GENERIC: 0, BROTLI_MODE_TEXT: 1,
  BROTLI_MODE_FONT: 2, BROTLI_DEFAULT_MODE: 0, BROTLI_PARAM_QUALITY: 1, BROTLI_MIN_QUALITY: 0,
  BROTLI_MAX_QUALITY: 11, BROTLI_DEFAULT_QUALITY: 11, BROTLI_PARAM_LGWIN: 2, BROTLI_MIN_WINDOW_BITS: 10,
  BROTLI_MAX_WINDOW_BITS: 24, BROTLI_DEFAULT_WINDOW: 22, BROTLI_PARAM_SIZE_HINT: 5,
};

function bytesOf(name, data) {
  if (typeof data === "string") return Buffer.from(data);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw argType(name, "of type string or an instance of Buffer, TypedArray, DataView, or ArrayBuffer", data);
}

function levelOf(format, options) {
  if (format === BROTLI) {
    const quality = options?.params?.[constants.BROTLI_PARAM_QUALITY];
    return quality === undefined ? -1 : quality;
  }
  return options?.level ?? -1;
}

function zlibError(err) {
  const message = err && err.message ? err.message : String(err);
  if (err instanceof RangeError) return nodeError(RangeError, "ERR_BUFFER_TOO_LARGE", message);
  return nodeError(Error, "Z_DATA_ERROR", message);
}

/** gzip or zlib, from the first bytes (what `unzip` reads). */
const detect = (bytes) => (bytes[0] === 0x1f && bytes[1] === 0x8b ? GZIP : ZLIB);

function convert(mode, format, data, options) {
  const bytes = bytesOf("buffer", data);
  try {
    const out = mode === "compress"
      ? op_bun_compress(format, bytes, levelOf(format, options))
      : op_bun_decompress(format === "auto" ? detect(bytes) : format, bytes);
    return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
  } catch (err) {
    throw zlibError(err);
  }
}

const KINDS = {
  Gzip: ["compress", GZIP], Gunzip: ["decompress", GZIP],
  Deflate: ["compress", ZLIB], Inflate: ["decompress", ZLIB],
  DeflateRaw: ["compress", RAW], InflateRaw: ["decompress", RAW],
  Unzip: ["decompress", "auto"],
  BrotliCompress: ["compress", BROTLI], BrotliDecompress: ["decompress", BROTLI],
};

/** One conversion as a Transform: collects its input, converts at the end. */
class ZlibStream extends Transform {
  #chunks = [];
  #mode;
  #format;
  #options;

  constructor(mode, format, options) {
    super(options);
    this.#mode = mode;
    this.#format = format;
    this.#options = options;
    this.bytesWritten = 0;
  }

  _transform(chunk, encoding, callback) {
    const bytes = typeof chunk === "string" ? Buffer.from(chunk, encoding) : chunk;
    this.#chunks.push(bytes);
    this.bytesWritten += bytes.byteLength;
    callback();
  }

  _flush(callback) {
    try {
      const input = Buffer.concat(this.#chunks);
      this.#chunks = [];
      callback(null, convert(this.#mode, this.#format, input, this.#options));
    } catch (err) {
      callback(err);
    }
  }

  flush(kind, callback) {
    if (typeof kind === "function") callback = kind;
    if (typeof callback === "function") queueMicrotask(callback);
  }

  params(level, strategy, callback) {
    if (typeof callback === "function") queueMicrotask(callback);
  }

  reset() {
    this.#chunks = [];
  }

  close(callback) {
    if (typeof callback === "function") this.once("close", callback);
    this.destroy();
  }
}

const api = { constants, crc32 };
const classes = {};
for (const [name, [mode, format]] of Object.entries(KINDS)) {
  const lower = name[0].toLowerCase() + name.slice(1);
  const Class = class extends ZlibStream {
    constructor(options) {
      super(mode, format, options);
    }
  };
  Object.defineProperty(Class, "name", { value: name });
  classes[name] = Class;
  api[name] = Class;
  api[`create${name}`] = (options) => new Class(options);
  api[`${lower}Sync`] = (data, options) => convert(mode, format, data, options);
  api[lower] = (data, options, callback) => {
    if (typeof options === "function") [callback, options] = [options, undefined];
    if (typeof callback !== "function") throw argType("callback", "of type function", callback);
    let result;
    let error = null;
    try {
      result = convert(mode, format, data, options);
    } catch (err) {
      error = err;
    }
    queueMicrotask(() => (error ? callback(error) : callback(null, result)));
  };
}

const CRC_TABLE = (() => {
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  return table;
})();

/** Node 22's `zlib.crc32(data[, value])`. */
export function crc32(data, value = 0) {
  const bytes = bytesOf("data", data);
  let crc = (value ^ -1) >>> 0;
  for (let i = 0; i < bytes.length; i++) crc = (crc >>> 8) ^ CRC_TABLE[(crc ^ bytes[i]) & 0xff];
  return (crc ^ -1) >>> 0;
}

export const {
  Gzip, Gunzip, Deflate, Inflate, DeflateRaw, InflateRaw, Unzip, BrotliCompress, BrotliDecompress,
} = classes;
export const {
  createGzip, createGunzip, createDeflate, createInflate, createDeflateRaw, createInflateRaw, createUnzip,
  createBrotliCompress, createBrotliDecompress, gzip, gunzip, deflate, inflate, deflateRaw, inflateRaw, unzip,
  brotliCompress, brotliDecompress, gzipSync, gunzipSync, deflateSync, inflateSync, deflateRawSync,
  inflateRawSync, unzipSync, brotliCompressSync, brotliDecompressSync,
} = api;
export default api;
