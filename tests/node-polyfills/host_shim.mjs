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

// The Rust op's contract on Node's own ciphers: GCM's tag after the data.
export function cipher(algorithm, key, iv, data, aad, decrypt, padding) {
  const gcm = algorithm.toLowerCase().endsWith("-gcm");
  if (decrypt) {
    const body = gcm ? data.subarray(0, data.length - 16) : data;
    const d = realCrypto.createDecipheriv(algorithm, key, iv);
    if (gcm) { d.setAAD(aad); d.setAuthTag(data.subarray(data.length - 16)); }
    d.setAutoPadding(padding);
    return new Uint8Array(Buffer.concat([d.update(body), d.final()]));
  }
  const c = realCrypto.createCipheriv(algorithm, key, iv);
  if (gcm) c.setAAD(aad);
  c.setAutoPadding(padding);
  const out = Buffer.concat([c.update(data), c.final()]);
  return new Uint8Array(gcm ? Buffer.concat([out, c.getAuthTag()]) : out);
}

// The key ops' contract on Node's own crypto.
export function keyInfo(pem) {
  let key;
  try {
    key = realCrypto.createPrivateKey(pem);
  } catch {
    key = realCrypto.createPublicKey(pem);
  }
  const d = key.asymmetricKeyDetails;
  return [key.type, key.asymmetricKeyType, d.modulusLength ?? 256, Number(d.publicExponent ?? 0)];
}
export const publicPem = (pem) => realCrypto.createPublicKey(pem).export({ type: "spki", format: "pem" });
export const generateKeyPairPem = (kind, bits, exponent) => {
  const { privateKey, publicKey } = kind === "rsa"
    ? realCrypto.generateKeyPairSync("rsa", { modulusLength: bits, publicExponent: exponent })
    : realCrypto.generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  return [privateKey.export({ type: "pkcs8", format: "pem" }), publicKey.export({ type: "spki", format: "pem" })];
};
export const sign = (pem, hash, data) => new Uint8Array(realCrypto.sign(hash, data, pem));
export const verify = (pem, hash, data, signature) => realCrypto.verify(hash, data, pem, signature);
