// node:dns: `lookup` answers for address literals and `localhost` (what
// servers ask when they listen, Fastify among them); resolving other
// names is fetch's job here, so those fail with ENOTFOUND saying so.
import { isIP } from "node:net";
import { nodeError, unsupported } from "node:_errors";

const WHY = "fetch resolves names itself";

function answers(hostname, family) {
  const literal = isIP(hostname);
  if (literal !== 0) return [{ address: hostname, family: literal }];
  if (hostname === "localhost") {
    const all = [{ address: "127.0.0.1", family: 4 }, { address: "::1", family: 6 }];
    return family === 4 || family === 6 ? all.filter((a) => a.family === family) : all;
  }
  const err = nodeError(Error, "ENOTFOUND", `getaddrinfo ENOTFOUND ${hostname}: name lookups are not offered to apps (${WHY})`);
  err.hostname = hostname;
  err.syscall = "getaddrinfo";
  throw err;
}

function settle(hostname, options) {
  const family = typeof options === "number" ? options : options?.family === "IPv4" ? 4 : options?.family === "IPv6" ? 6 : options?.family;
  const found = answers(String(hostname), family);
  return options?.all ? found : found[0];
}

export function lookup(hostname, options, callback) {
  if (typeof options === "function") [callback, options] = [options, undefined];
  let result;
  let error = null;
  try {
    result = settle(hostname, options);
  } catch (err) {
    error = err;
  }
  queueMicrotask(() => {
    if (error) callback(error);
    else if (options?.all) callback(null, result);
    else callback(null, result.address, result.family);
  });
}

export const promises = {
  lookup: async (hostname, options) => settle(hostname, options),
};

export const resolve = unsupported("dns", "resolve", WHY);
export const resolve4 = unsupported("dns", "resolve4", WHY);
export const resolve6 = unsupported("dns", "resolve6", WHY);
export const resolveTxt = unsupported("dns", "resolveTxt", WHY);
export const resolveMx = unsupported("dns", "resolveMx", WHY);
export const reverse = unsupported("dns", "reverse", WHY);
export const setServers = unsupported("dns", "setServers", WHY);
export const getServers = () => [];
export const setDefaultResultOrder = () => {};
export const getDefaultResultOrder = () => "verbatim";
export const ADDRCONFIG = 1024;
export const V4MAPPED = 2048;
export const ALL = 1536;

export default {
  lookup, promises, resolve, resolve4, resolve6, resolveTxt, resolveMx, reverse, setServers, getServers,
  setDefaultResultOrder, getDefaultResultOrder, ADDRCONFIG, V4MAPPED, ALL,
};
