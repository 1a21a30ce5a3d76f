// The WinterTC globals, from Deno's extension crates (which install none
// themselves). Loaded while the startup snapshot is made, so an isolate
// starts with all of them in its heap.
import { core, internals } from "ext:core/mod.js";
import { op_bun_decompress_limit, op_app_log_write } from "ext:core/ops";

const load = (specifier) => core.loadExtScript(specifier);

// The request a piece of code runs for, as a key of the async context (so
// it follows awaits, timers and AsyncLocalStorage, whose mappings copy
// it): the app's log lines carry that request's id.
export const EXCHANGE = Symbol("buntime.exchange");
const { getAsyncContext } = core;
export function currentExchange() {
  return getAsyncContext()?.[EXCHANGE] ?? -1;
}

// deno_fetch reads OpenTelemetry hooks from `internals`; Buntime traces on
// the Rust side, so these are inert.
internals.__telemetry ??= {
  TRACING_ENABLED: false,
  PROPAGATORS: [],
  DID_NOT_ENTER: {},
  builtinTracer() {},
  ContextManager: { active() {} },
  enterSpan() {},
  exitSpan() {},
};
internals.__telemetryUtil ??= {
  updateSpanFromClientResponse() {},
  updateSpanFromError() {},
  updateSpanFromRequest() {},
};

const webidl = load("ext:deno_webidl/00_webidl.js");
const url = load("ext:deno_web/00_url.js");
const consoleMod = load("ext:deno_web/01_console.js");
const { DOMException } = load("ext:deno_web/01_dom_exception.js");
const urlPattern = load("ext:deno_web/01_urlpattern.js");
const event = load("ext:deno_web/02_event.js");
const timers = load("ext:deno_web/02_timers.js");
const abortSignal = load("ext:deno_web/03_abort_signal.js");
const base64 = load("ext:deno_web/05_base64.js");
const streams = load("ext:deno_web/06_streams.js");
const encoding = load("ext:deno_web/08_text_encoding.js");
const file = load("ext:deno_web/09_file.js");
const fileReader = load("ext:deno_web/10_filereader.js");
const messagePort = load("ext:deno_web/13_message_port.js");
const compression = load("ext:deno_web/14_compression.js");
const performance = load("ext:deno_web/15_performance.js");
const headers = load("ext:deno_fetch/20_headers.js");
const formData = load("ext:deno_fetch/21_formdata.js");
const body = load("ext:deno_fetch/22_body.js");
const request = load("ext:deno_fetch/23_request.js");
const response = load("ext:deno_fetch/23_response.js");
const fetch = load("ext:deno_fetch/26_fetch.js");

// Deno's DecompressionStream inflates each written chunk whole in one op:
// a 1 MB chunk of a gzip bomb is a gigabyte at once. This one feeds it
// 16 KB slices (at most ~16 MB out each) and errors once the output passes
// the server's limit (MAX_DECOMPRESSED_MB).
const INFLATE_SLICE = 16 * 1024;

function bytesOf(chunk) {
  if (chunk instanceof Uint8Array) return chunk;
  if (ArrayBuffer.isView(chunk)) return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (chunk instanceof ArrayBuffer || chunk instanceof SharedArrayBuffer) return new Uint8Array(chunk);
  throw new TypeError("DecompressionStream accepts only BufferSource chunks");
}

class DecompressionStream {
  #readable;
  #writable;

  constructor(format) {
    const inner = new compression.DecompressionStream(format);
    const limit = op_bun_decompress_limit();
    const writer = inner.writable.getWriter();
    let total = 0;
    this.#writable = new streams.WritableStream({
      async write(chunk) {
        const bytes = bytesOf(chunk);
        for (let at = 0; at < bytes.length; at += INFLATE_SLICE) {
          await writer.write(bytes.subarray(at, at + INFLATE_SLICE));
        }
      },
      close: () => writer.close(),
      abort: (reason) => writer.abort(reason),
    });
    this.#readable = inner.readable.pipeThrough(
      new streams.TransformStream({
        transform(chunk, controller) {
          total += chunk.byteLength;
          if (total > limit) {
            throw new RangeError(`decompressed data is larger than the server's limit (${Math.floor(limit / 1048576)} MB)`);
          }
          controller.enqueue(chunk);
        },
      }),
    );
  }

  get readable() {
    return this.#readable;
  }

  get writable() {
    return this.#writable;
  }
}

// crypto's singleton is a cppgc object that cannot exist while the snapshot
// is made: resolve it on first use.
let cryptoModule;
const crypto = () => (cryptoModule ??= load("ext:deno_crypto/00_crypto.js"));

// Bun's direct streams (`new ReadableStream({ type: "direct", pull })`):
// `pull` runs once with a controller the source writes into (`write`,
// `flush`, `end`/`close`, `error`) whenever it likes; React's `bun` build
// streams its HTML this way. Made from a standard stream, so every other
// construction (and `instanceof`) is the Web one.
const directEncoder = new encoding.TextEncoder();
function directSource(source) {
  let started = false;
  return {
    pull(controller) {
      if (started) return;
      started = true;
      let ended = false;
      const end = () => {
        if (ended) return;
        ended = true;
        controller.close();
      };
      const direct = {
        write(chunk) {
          if (ended) return 0;
          // The source may reuse its buffer after write() returns: bytes of
          // its own are copied; an encoded string is fresh already.
          const bytes = typeof chunk === "string" ? directEncoder.encode(chunk) : ArrayBuffer.isView(chunk)
            ? new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength).slice()
            : new Uint8Array(chunk).slice();
          if (bytes.byteLength > 0) controller.enqueue(bytes);
          return bytes.byteLength;
        },
        flush() {},
        end,
        close: end,
        error(err) {
          ended = true;
          controller.error(err);
        },
      };
      // A failing source fails the stream (and so its response), never
      // an unhandled rejection that leaves the request waiting.
      try {
        const result = source.pull(direct);
        if (result && typeof result.then === "function") result.then(undefined, (err) => direct.error(err));
      } catch (err) {
        direct.error(err);
      }
    },
    cancel(reason) {
      return source.cancel?.(reason);
    },
  };
}
const ReadableStream = new Proxy(streams.ReadableStream, {
  construct(target, args, newTarget) {
    const source = args[0];
    if (source != null && source.type === "direct") {
      args = [directSource(source), args[1] ?? { highWaterMark: 0 }];
    }
    return Reflect.construct(target, args, newTarget);
  },
});

const value = (v) => ({ value: v, writable: true, enumerable: false, configurable: true });
const enumerable = (v) => ({ value: v, writable: true, enumerable: true, configurable: true });

Object.defineProperties(globalThis, {
  AbortController: value(abortSignal.AbortController),
  AbortSignal: value(abortSignal.AbortSignal),
  Blob: value(file.Blob),
  ByteLengthQueuingStrategy: value(streams.ByteLengthQueuingStrategy),
  CompressionStream: value(compression.CompressionStream),
  CountQueuingStrategy: value(streams.CountQueuingStrategy),
  CustomEvent: value(event.CustomEvent),
  DecompressionStream: value(DecompressionStream),
  DOMException: value(DOMException),
  ErrorEvent: value(event.ErrorEvent),
  Event: value(event.Event),
  EventTarget: value(event.EventTarget),
  File: value(file.File),
  FileReader: value(fileReader.FileReader),
  FormData: value(formData.FormData),
  Headers: value(headers.Headers),
  MessageChannel: value(messagePort.MessageChannel),
  MessageEvent: value(event.MessageEvent),
  MessagePort: value(messagePort.MessagePort),
  Performance: value(performance.Performance),
  PerformanceEntry: value(performance.PerformanceEntry),
  PerformanceMark: value(performance.PerformanceMark),
  PerformanceMeasure: value(performance.PerformanceMeasure),
  ProgressEvent: value(event.ProgressEvent),
  PromiseRejectionEvent: value(event.PromiseRejectionEvent),
  ReadableByteStreamController: value(streams.ReadableByteStreamController),
  ReadableStream: value(ReadableStream),
  ReadableStreamBYOBReader: value(streams.ReadableStreamBYOBReader),
  ReadableStreamBYOBRequest: value(streams.ReadableStreamBYOBRequest),
  ReadableStreamDefaultController: value(streams.ReadableStreamDefaultController),
  ReadableStreamDefaultReader: value(streams.ReadableStreamDefaultReader),
  Request: value(request.Request),
  Response: value(response.Response),
  TextDecoder: value(encoding.TextDecoder),
  TextDecoderStream: value(encoding.TextDecoderStream),
  TextEncoder: value(encoding.TextEncoder),
  TextEncoderStream: value(encoding.TextEncoderStream),
  TransformStream: value(streams.TransformStream),
  TransformStreamDefaultController: value(streams.TransformStreamDefaultController),
  URL: value(url.URL),
  URLPattern: value(urlPattern.URLPattern),
  URLSearchParams: value(url.URLSearchParams),
  WritableStream: value(streams.WritableStream),
  WritableStreamDefaultController: value(streams.WritableStreamDefaultController),
  WritableStreamDefaultWriter: value(streams.WritableStreamDefaultWriter),
  atob: enumerable(base64.atob),
  btoa: enumerable(base64.btoa),
  clearInterval: enumerable(timers.clearInterval),
  clearTimeout: enumerable(timers.clearTimeout),
  fetch: enumerable(fetch.fetch),
  performance: enumerable(performance.performance),
  reportError: enumerable(event.reportError),
  setInterval: enumerable(timers.setInterval),
  setTimeout: enumerable(timers.setTimeout),
  structuredClone: enumerable(messagePort.structuredClone),
  console: value(new consoleMod.Console((msg, level) => op_app_log_write(msg, level, currentExchange()))),
  Crypto: { get: () => crypto().Crypto, enumerable: false, configurable: true },
  CryptoKey: { get: () => crypto().CryptoKey, enumerable: false, configurable: true },
  SubtleCrypto: { get: () => crypto().SubtleCrypto, enumerable: false, configurable: true },
  crypto: { get: () => crypto().crypto, enumerable: true, configurable: true },
});

event.setEventTargetData(globalThis);

export { body, event, performance, request, response, streams, webidl };
