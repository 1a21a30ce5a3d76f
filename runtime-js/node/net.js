// node:net: address checks work; sockets and servers throw when used, not
// when imported (an isolate opens no raw sockets; fetch and WebSockets do).
import { unsupported, unsupportedClass } from "node:_errors";
import { EventEmitter } from "node:events";

const WHY = "apps cannot open raw TCP sockets (use fetch or WebSocket)";

const V4_PART = "(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
const V4 = `(?:${V4_PART}\\.){3}${V4_PART}`;
const V4_RE = new RegExp(`^${V4}$`);
const H = "[0-9a-fA-F]{1,4}";
const V6_RE = new RegExp(
  "^(?:" +
    `(?:${H}:){7}(?:${H}|:)|` +
    `(?:${H}:){6}(?:${V4}|:${H}|:)|` +
    `(?:${H}:){5}(?::${V4}|(?::${H}){1,2}|:)|` +
    `(?:${H}:){4}(?:(?::${H}){0,1}:${V4}|(?::${H}){1,3}|:)|` +
    `(?:${H}:){3}(?:(?::${H}){0,2}:${V4}|(?::${H}){1,4}|:)|` +
    `(?:${H}:){2}(?:(?::${H}){0,3}:${V4}|(?::${H}){1,5}|:)|` +
    `(?:${H}:){1}(?:(?::${H}){0,4}:${V4}|(?::${H}){1,6}|:)|` +
    `(?::(?:(?::${H}){0,5}:${V4}|(?::${H}){1,7}|:))` +
    ")(?:%[0-9a-zA-Z.\\-_]+)?$",
);

export const isIPv4 = (input) => V4_RE.test(String(input));
export const isIPv6 = (input) => V6_RE.test(String(input));
export const isIP = (input) => (isIPv4(input) ? 4 : isIPv6(input) ? 6 : 0);

let autoSelectFamily = true;
let autoSelectFamilyAttemptTimeout = 250;
export const getDefaultAutoSelectFamily = () => autoSelectFamily;
export const setDefaultAutoSelectFamily = (value) => {
  autoSelectFamily = Boolean(value);
};
export const getDefaultAutoSelectFamilyAttemptTimeout = () => autoSelectFamilyAttemptTimeout;
export const setDefaultAutoSelectFamilyAttemptTimeout = (value) => {
  autoSelectFamilyAttemptTimeout = Math.max(10, Number(value) || 0);
};

/** A socket that can never connect: constructing one is allowed (some
 * libraries subclass it); connecting throws. */
export class Socket extends EventEmitter {
  connect() {
    unsupported("net", "Socket.connect", WHY)();
  }
}
export const Stream = Socket;
export const Server = unsupportedClass("net", "Server", WHY);
export const BlockList = unsupportedClass("net", "BlockList", WHY);
export const SocketAddress = unsupportedClass("net", "SocketAddress", WHY);
export const connect = unsupported("net", "connect", WHY);
export const createConnection = unsupported("net", "createConnection", WHY);
export const createServer = unsupported("net", "createServer", WHY);

export default {
  isIP, isIPv4, isIPv6, getDefaultAutoSelectFamily, setDefaultAutoSelectFamily,
  getDefaultAutoSelectFamilyAttemptTimeout, setDefaultAutoSelectFamilyAttemptTimeout,
  Socket, Stream, Server, BlockList, SocketAddress, connect, createConnection, createServer,
};
