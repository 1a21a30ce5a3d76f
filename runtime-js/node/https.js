// node:https as a client: node:http's ClientRequest with https: as the
// default protocol (TLS is fetch's).
import http, { ClientRequest, IncomingMessage, METHODS, STATUS_CODES, clientFor } from "node:http";
import { unsupported } from "node:_errors";

export class Agent extends http.Agent {
  constructor(options) {
    super(options);
    this.defaultPort = 443;
    this.protocol = "https:";
  }
}

export const globalAgent = new Agent();

export const { request, get } = clientFor("https:");

export const createServer = unsupported("https", "createServer", "TLS ends in front of the server");
export const Server = createServer;
export { ClientRequest, IncomingMessage, METHODS, STATUS_CODES };

export default { Agent, globalAgent, request, get, createServer, Server, ClientRequest, IncomingMessage, METHODS, STATUS_CODES };
