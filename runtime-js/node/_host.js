// Host functions the Node built-ins need from Rust (hashing for node:crypto).
import { op_node_cipher, op_node_digest, op_node_hmac } from "ext:core/ops";

/** One-shot digest: md5, sha1, sha256, sha384 or sha512. */
export function digest(algorithm, data) {
  return op_node_digest(algorithm, data);
}

export function hmac(algorithm, key, data) {
  return op_node_hmac(algorithm, key, data);
}

/** One-shot AES (`aes-*-gcm|cbc|ctr`); GCM's tag follows the ciphertext. */
export function cipher(algorithm, key, iv, data, aad, decrypt, padding) {
  return op_node_cipher(algorithm, key, iv, data, aad, decrypt, padding);
}
