// Stand-in for the Rust-provided `node:_host`, backed by Node's own crypto.
import { createRequire } from "node:module";
const realCrypto = createRequire(import.meta.url)("crypto");
const ALGS = new Set(["md5", "sha1", "sha256", "sha384", "sha512"]);

function check(alg) {
  if (!ALGS.has(alg)) throw new Error(`host: unsupported algorithm ${alg}`);
}

export function digest(algorithm, data) {
  check(algorithm);
  if (!(data instanceof Uint8Array)) throw new TypeError("host: data must be a Uint8Array");
  return new Uint8Array(realCrypto.createHash(algorithm).update(data).digest());
}

export function hmac(algorithm, key, data) {
  check(algorithm);
  if (!(key instanceof Uint8Array) || !(data instanceof Uint8Array)) throw new TypeError("host: key/data must be Uint8Array");
  return new Uint8Array(realCrypto.createHmac(algorithm, key).update(data).digest());
}
