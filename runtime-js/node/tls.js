// node:tls: importable; TLS sockets and servers throw when used (fetch and
// WebSockets speak TLS for apps).
import { unsupported, unsupportedClass } from "node:_errors";
import { Socket } from "node:net";

const WHY = "apps cannot open raw TLS sockets (use fetch or WebSocket)";

export const CLIENT_RENEG_LIMIT = 3;
export const CLIENT_RENEG_WINDOW = 600;
export const DEFAULT_CIPHERS =
  "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-GCM-SHA256";
export const DEFAULT_ECDH_CURVE = "auto";
export const DEFAULT_MIN_VERSION = "TLSv1.2";
export const DEFAULT_MAX_VERSION = "TLSv1.3";
export const rootCertificates = Object.freeze([]);
export const getCiphers = () => DEFAULT_CIPHERS.split(":").map((c) => c.toLowerCase());
export const checkServerIdentity = () => undefined;

export class TLSSocket extends Socket {}
export const Server = unsupportedClass("tls", "Server", WHY);
export const SecureContext = unsupportedClass("tls", "SecureContext", WHY);
export const connect = unsupported("tls", "connect", WHY);
export const createServer = unsupported("tls", "createServer", WHY);
export const createSecureContext = unsupported("tls", "createSecureContext", WHY);

export default {
  CLIENT_RENEG_LIMIT, CLIENT_RENEG_WINDOW, DEFAULT_CIPHERS, DEFAULT_ECDH_CURVE, DEFAULT_MIN_VERSION,
  DEFAULT_MAX_VERSION, rootCertificates, getCiphers, checkServerIdentity, TLSSocket, Server, SecureContext,
  connect, createServer, createSecureContext,
};
