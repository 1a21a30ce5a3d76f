// node:dgram: importable; UDP sockets throw when created.
import { unsupported, unsupportedClass } from "node:_errors";

const WHY = "apps cannot open UDP sockets";

export const Socket = unsupportedClass("dgram", "Socket", WHY);
export const createSocket = unsupported("dgram", "createSocket", WHY);

export default { Socket, createSocket };
