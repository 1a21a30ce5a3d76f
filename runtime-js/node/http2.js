// node:http2: importable (its constants are used on their own); sessions
// and servers throw when used.
import { unsupported, unsupportedClass } from "node:_errors";

const WHY = "apps cannot open HTTP/2 sessions (fetch speaks HTTP/2 for them)";

export const constants = {
  NGHTTP2_CANCEL: 8,
  NGHTTP2_REFUSED_STREAM: 7,
  HTTP2_HEADER_STATUS: ":status",
  HTTP2_HEADER_METHOD: ":method",
  HTTP2_HEADER_AUTHORITY: ":authority",
  HTTP2_HEADER_SCHEME: ":scheme",
  HTTP2_HEADER_PATH: ":path",
  HTTP2_HEADER_CONTENT_TYPE: "content-type",
  HTTP2_HEADER_CONTENT_LENGTH: "content-length",
  HTTP2_METHOD_GET: "GET",
  HTTP2_METHOD_POST: "POST",
  HTTP_STATUS_OK: 200,
  HTTP_STATUS_NOT_FOUND: 404,
};
export const sensitiveHeaders = Symbol.for("nodejs.http2.sensitiveHeaders");
export const getDefaultSettings = () => ({
  headerTableSize: 4096, enablePush: true, initialWindowSize: 65535, maxFrameSize: 16384,
  maxConcurrentStreams: 4294967295, maxHeaderListSize: 65535, enableConnectProtocol: false,
});
export const connect = unsupported("http2", "connect", WHY);
export const createServer = unsupported("http2", "createServer", WHY);
export const createSecureServer = unsupported("http2", "createSecureServer", WHY);
export const Http2ServerRequest = unsupportedClass("http2", "Http2ServerRequest", WHY);
export const Http2ServerResponse = unsupportedClass("http2", "Http2ServerResponse", WHY);

export default {
  constants, sensitiveHeaders, getDefaultSettings, connect, createServer, createSecureServer,
  Http2ServerRequest, Http2ServerResponse,
};
