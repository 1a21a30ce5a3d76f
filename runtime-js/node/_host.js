// Host functions the Node built-ins need from Rust (hashing for node:crypto).
import {
  op_crypto_cipher, op_crypto_digest, op_crypto_hmac, op_crypto_generate_key_pair, op_crypto_key_info, op_crypto_public_pem, op_crypto_sign, op_crypto_verify,
} from "ext:core/ops";

/** One-shot digest: md5, sha1, sha256, sha384 or sha512. */
export function digest(algorithm, data) {
  return op_crypto_digest(algorithm, data);
}

export function hmac(algorithm, key, data) {
  return op_crypto_hmac(algorithm, key, data);
}

/** One-shot AES (`aes-*-gcm|cbc|ctr`); GCM's tag follows the ciphertext. */
export function cipher(algorithm, key, iv, data, aad, decrypt, padding) {
  return op_crypto_cipher(algorithm, key, iv, data, aad, decrypt, padding);
}

/** `[type, asymmetricKeyType]` of a PEM key (RSA or P-256). */
export const keyInfo = (pem) => op_crypto_key_info(pem);
/** The SPKI PEM of a PEM key's public half. */
export const publicPem = (pem) => op_crypto_public_pem(pem);
export const generateKeyPairPem = (kind, bits, exponent) => op_crypto_generate_key_pair(kind, bits, exponent);
/** RSA PKCS#1 v1.5 or ECDSA (DER) signatures. */
export const sign = (pem, hash, data) => op_crypto_sign(pem, hash, data);
export const verify = (pem, hash, data, signature) => op_crypto_verify(pem, hash, data, signature);
