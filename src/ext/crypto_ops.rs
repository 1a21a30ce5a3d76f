//! Ops behind `node:crypto` (through `runtime-js/node/_host.js`): one-shot
//! digests and HMACs, AES ciphers, and RSA / P-256 keys with signing.

use deno_core::op2;
use deno_error::JsErrorBox;

use super::bun_ops::new_hashing;

/// One-shot digest for `node:crypto` `createHash` (JS buffers the updates).
#[op2]
#[buffer]
pub fn op_crypto_digest(
  #[string] algorithm: &str,
  #[buffer] data: &[u8],
) -> Result<Vec<u8>, JsErrorBox> {
  one_shot(algorithm, None, data)
}

/// One-shot `createHmac`.
#[op2]
#[buffer]
pub fn op_crypto_hmac(
  #[string] algorithm: &str,
  #[buffer] key: &[u8],
  #[buffer] data: &[u8],
) -> Result<Vec<u8>, JsErrorBox> {
  one_shot(algorithm, Some(key), data)
}

/// Through `Bun.CryptoHasher`'s implementation, with Node's message for an
/// unknown algorithm.
fn one_shot(algorithm: &str, key: Option<&[u8]>, data: &[u8]) -> Result<Vec<u8>, JsErrorBox> {
  let mut hashing = new_hashing(algorithm, key)
    .map_err(|_| JsErrorBox::generic(format!("Digest method not supported: {algorithm}")))?;
  hashing.update(data);
  Ok(hashing.digest_reset())
}

/// One-shot AES for `node:crypto`'s `Cipheriv`/`Decipheriv` (JS collects
/// the updates): `aes-{128,192,256}-{gcm,cbc,ctr}`. GCM output (and
/// input, when decrypting) is the ciphertext followed by its 16-byte tag.
#[op2]
#[buffer]
pub fn op_crypto_cipher(
  #[string] algorithm: &str,
  #[anybuffer] key: &[u8],
  #[anybuffer] iv: &[u8],
  #[anybuffer] data: &[u8],
  #[anybuffer] aad: &[u8],
  decrypt: bool,
  padding: bool,
) -> Result<Vec<u8>, JsErrorBox> {
  aes_cipher(algorithm, key, iv, data, aad, decrypt, padding).map_err(|err| match err {
    CipherError::KeyLength => JsErrorBox::range_error("Invalid key length"),
    CipherError::IvLength => JsErrorBox::generic("Invalid initialization vector"),
    CipherError::Unknown => JsErrorBox::generic(format!("Unknown cipher: {algorithm}")),
    CipherError::Authentication => {
      JsErrorBox::generic("Unsupported state or unable to authenticate data")
    }
    CipherError::BadDecrypt => JsErrorBox::generic("bad decrypt"),
  })
}

#[derive(Debug, PartialEq)]
enum CipherError {
  KeyLength,
  IvLength,
  Unknown,
  Authentication,
  BadDecrypt,
}

fn aes_cipher(
  algorithm: &str,
  key: &[u8],
  iv: &[u8],
  data: &[u8],
  aad: &[u8],
  decrypt: bool,
  padding: bool,
) -> Result<Vec<u8>, CipherError> {
  let (bits, mode) = algorithm
    .to_ascii_lowercase()
    .strip_prefix("aes-")
    .and_then(|rest| rest.split_once('-'))
    .map(|(bits, mode)| (bits.to_string(), mode.to_string()))
    .ok_or(CipherError::Unknown)?;
  if key.len() * 8 != bits.parse::<usize>().map_err(|_| CipherError::Unknown)? {
    return Err(CipherError::KeyLength);
  }
  match (bits.as_str(), mode.as_str()) {
    ("128", "gcm") => gcm::<aes_gcm::Aes128Gcm>(key, iv, data, aad, decrypt),
    ("192", "gcm") => {
      gcm::<aes_gcm::AesGcm<aes::Aes192, aes_gcm::aead::consts::U12>>(key, iv, data, aad, decrypt)
    }
    ("256", "gcm") => gcm::<aes_gcm::Aes256Gcm>(key, iv, data, aad, decrypt),
    ("128", "cbc") => cbc_mode::<aes::Aes128>(key, iv, data, decrypt, padding),
    ("192", "cbc") => cbc_mode::<aes::Aes192>(key, iv, data, decrypt, padding),
    ("256", "cbc") => cbc_mode::<aes::Aes256>(key, iv, data, decrypt, padding),
    ("128", "ctr") => ctr_mode::<aes::Aes128>(key, iv, data),
    ("192", "ctr") => ctr_mode::<aes::Aes192>(key, iv, data),
    ("256", "ctr") => ctr_mode::<aes::Aes256>(key, iv, data),
    _ => Err(CipherError::Unknown),
  }
}

fn gcm<C>(
  key: &[u8],
  iv: &[u8],
  data: &[u8],
  aad: &[u8],
  decrypt: bool,
) -> Result<Vec<u8>, CipherError>
where
  C: aes_gcm::aead::Aead + aes_gcm::KeyInit,
{
  use aes_gcm::aead::{generic_array::GenericArray, Payload};
  let cipher = C::new_from_slice(key).map_err(|_| CipherError::KeyLength)?;
  if iv.len() != 12 {
    return Err(CipherError::IvLength);
  }
  let nonce = GenericArray::from_slice(iv);
  let payload = Payload { msg: data, aad };
  if decrypt {
    cipher
      .decrypt(nonce, payload)
      .map_err(|_| CipherError::Authentication)
  } else {
    cipher
      .encrypt(nonce, payload)
      .map_err(|_| CipherError::Authentication)
  }
}

fn cbc_mode<C>(
  key: &[u8],
  iv: &[u8],
  data: &[u8],
  decrypt: bool,
  padding: bool,
) -> Result<Vec<u8>, CipherError>
where
  C: cbc::cipher::BlockCipher
    + cbc::cipher::BlockEncrypt
    + cbc::cipher::BlockDecrypt
    + cbc::cipher::KeyInit
    + cbc::cipher::BlockSizeUser<BlockSize = cbc::cipher::consts::U16>,
{
  use cbc::cipher::block_padding::{NoPadding, Pkcs7};
  use cbc::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
  if iv.len() != 16 {
    return Err(CipherError::IvLength);
  }
  if decrypt {
    let dec = cbc::Decryptor::<C>::new_from_slices(key, iv).map_err(|_| CipherError::KeyLength)?;
    let out = if padding {
      dec.decrypt_padded_vec_mut::<Pkcs7>(data)
    } else {
      dec.decrypt_padded_vec_mut::<NoPadding>(data)
    };
    out.map_err(|_| CipherError::BadDecrypt)
  } else {
    let enc = cbc::Encryptor::<C>::new_from_slices(key, iv).map_err(|_| CipherError::KeyLength)?;
    if padding {
      Ok(enc.encrypt_padded_vec_mut::<Pkcs7>(data))
    } else if !data.len().is_multiple_of(16) {
      // Node: "wrong final block length" without padding.
      Err(CipherError::BadDecrypt)
    } else {
      Ok(enc.encrypt_padded_vec_mut::<NoPadding>(data))
    }
  }
}

fn ctr_mode<C>(key: &[u8], iv: &[u8], data: &[u8]) -> Result<Vec<u8>, CipherError>
where
  C: cbc::cipher::BlockCipher
    + cbc::cipher::BlockEncrypt
    + cbc::cipher::KeyInit
    + cbc::cipher::BlockSizeUser<BlockSize = cbc::cipher::consts::U16>,
{
  use ctr::cipher::{KeyIvInit, StreamCipher};
  if iv.len() != 16 {
    return Err(CipherError::IvLength);
  }
  let mut cipher =
    ctr::Ctr128BE::<C>::new_from_slices(key, iv).map_err(|_| CipherError::KeyLength)?;
  let mut out = data.to_vec();
  cipher.apply_keystream(&mut out);
  Ok(out)
}

#[cfg(test)]
mod cipher_tests {
  use super::{aes_cipher, CipherError};

  #[test]
  fn aes_modes_round_trip_and_refuse_tampering() {
    let key = [7u8; 32];
    for (algorithm, iv) in [
      ("aes-256-gcm", &[1u8; 12][..]),
      ("aes-256-cbc", &[1u8; 16]),
      ("aes-256-ctr", &[1u8; 16]),
    ] {
      let sealed = aes_cipher(algorithm, &key, iv, b"attack at dawn", b"hdr", false, true).unwrap();
      let opened = aes_cipher(algorithm, &key, iv, &sealed, b"hdr", true, true).unwrap();
      assert_eq!(opened, b"attack at dawn", "{algorithm}");
    }
    let mut sealed = aes_cipher("aes-256-gcm", &key, &[1; 12], b"x", b"", false, true).unwrap();
    sealed[0] ^= 1;
    assert_eq!(
      aes_cipher("aes-256-gcm", &key, &[1; 12], &sealed, b"", true, true),
      Err(CipherError::Authentication)
    );
    assert_eq!(
      aes_cipher("aes-128-gcm", &key, &[1; 12], b"x", b"", false, true),
      Err(CipherError::KeyLength)
    );
    assert_eq!(
      aes_cipher("des-ede3", &key, &[1; 8], b"x", b"", false, true),
      Err(CipherError::Unknown)
    );
  }
}

/// An asymmetric key from PEM (PKCS#8, PKCS#1, SEC1 or SPKI), for
/// `node:crypto`'s KeyObjects, `sign` and `verify`: RSA and P-256.
enum AsymmetricKey {
  RsaPrivate(rsa::RsaPrivateKey),
  RsaPublic(rsa::RsaPublicKey),
  EcPrivate(p256::ecdsa::SigningKey),
  EcPublic(p256::ecdsa::VerifyingKey),
}

fn parse_key(pem: &str) -> Result<AsymmetricKey, JsErrorBox> {
  use rsa::pkcs1::{DecodeRsaPrivateKey, DecodeRsaPublicKey};
  use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
  if let Ok(key) = rsa::RsaPrivateKey::from_pkcs8_pem(pem) {
    return Ok(AsymmetricKey::RsaPrivate(key));
  }
  if let Ok(key) = rsa::RsaPrivateKey::from_pkcs1_pem(pem) {
    return Ok(AsymmetricKey::RsaPrivate(key));
  }
  if let Ok(key) = p256::ecdsa::SigningKey::from_pkcs8_pem(pem) {
    return Ok(AsymmetricKey::EcPrivate(key));
  }
  if let Ok(key) = p256::SecretKey::from_sec1_pem(pem) {
    return Ok(AsymmetricKey::EcPrivate(key.into()));
  }
  if let Ok(key) = rsa::RsaPublicKey::from_public_key_pem(pem) {
    return Ok(AsymmetricKey::RsaPublic(key));
  }
  if let Ok(key) = rsa::RsaPublicKey::from_pkcs1_pem(pem) {
    return Ok(AsymmetricKey::RsaPublic(key));
  }
  if let Ok(key) = p256::ecdsa::VerifyingKey::from_public_key_pem(pem) {
    return Ok(AsymmetricKey::EcPublic(key));
  }
  Err(JsErrorBox::type_error(
    "Unsupported key: PEM of an RSA or P-256 key (PKCS#8, PKCS#1, SEC1 or SPKI) is expected",
  ))
}

/// `[type, asymmetricKeyType, bits, publicExponent]` of a PEM key:
/// "private"/"public", "rsa"/"ec" (P-256), the modulus (or curve) size.
#[op2]
#[serde]
pub fn op_crypto_key_info(
  #[string] pem: &str,
) -> Result<(&'static str, &'static str, usize, u64), JsErrorBox> {
  use rsa::traits::PublicKeyParts;
  // Exponents are small (65537): the low eight bytes hold them.
  let exponent = |e: &rsa::BigUint| {
    let bytes = e.to_bytes_be();
    bytes
      .iter()
      .rev()
      .take(8)
      .rev()
      .fold(0u64, |n, b| n << 8 | u64::from(*b))
  };
  Ok(match parse_key(pem)? {
    AsymmetricKey::RsaPrivate(key) => ("private", "rsa", key.size() * 8, exponent(key.e())),
    AsymmetricKey::RsaPublic(key) => ("public", "rsa", key.size() * 8, exponent(key.e())),
    AsymmetricKey::EcPrivate(_) => ("private", "ec", 256, 0),
    AsymmetricKey::EcPublic(_) => ("public", "ec", 256, 0),
  })
}

/// The public half of a PEM key, as SPKI PEM.
#[op2]
#[string]
pub fn op_crypto_public_pem(#[string] pem: &str) -> Result<String, JsErrorBox> {
  use rsa::pkcs8::EncodePublicKey;
  let line = rsa::pkcs8::LineEnding::LF;
  let encoded = match parse_key(pem)? {
    AsymmetricKey::RsaPrivate(key) => key.to_public_key().to_public_key_pem(line),
    AsymmetricKey::RsaPublic(key) => key.to_public_key_pem(line),
    AsymmetricKey::EcPrivate(key) => key.verifying_key().to_public_key_pem(line),
    AsymmetricKey::EcPublic(key) => key.to_public_key_pem(line),
  };
  encoded.map_err(|err| JsErrorBox::generic(err.to_string()))
}

/// Largest RSA modulus made on request: key generation runs on the
/// worker's thread and cannot be interrupted, and 4096 bits already take
/// a second or more.
const MOST_RSA_BITS: usize = 4096;

/// A new key pair, `[private PKCS#8 PEM, public SPKI PEM]`: RSA of `bits`
/// with `exponent`, or P-256 (`kind` "ec").
#[op2]
#[serde]
pub fn op_crypto_generate_key_pair(
  #[string] kind: &str,
  #[smi] bits: u32,
  #[smi] exponent: u32,
) -> Result<(String, String), JsErrorBox> {
  match kind {
    "rsa" => {
      let bits = bits as usize;
      if !(512..=MOST_RSA_BITS).contains(&bits) {
        return Err(JsErrorBox::range_error(format!(
          "modulusLength must be between 512 and {MOST_RSA_BITS}, got {bits}"
        )));
      }
      if exponent < 3 || exponent.is_multiple_of(2) {
        return Err(JsErrorBox::range_error(format!(
          "publicExponent must be an odd number of at least 3, got {exponent}"
        )));
      }
      let key = rsa::RsaPrivateKey::new_with_exp(
        &mut rsa::rand_core::OsRng,
        bits,
        &rsa::BigUint::from(exponent),
      )
      .map_err(|err| JsErrorBox::generic(err.to_string()))?;
      pem_pair(&key, &key.to_public_key())
    }
    "ec" => {
      let key = p256::SecretKey::random(&mut rsa::rand_core::OsRng);
      pem_pair(&key, &key.public_key())
    }
    other => Err(JsErrorBox::type_error(format!(
      "Unsupported key type: {other}"
    ))),
  }
}

/// PKCS#8 and SPKI PEM of a key pair.
fn pem_pair(
  private: &impl rsa::pkcs8::EncodePrivateKey,
  public: &impl rsa::pkcs8::EncodePublicKey,
) -> Result<(String, String), JsErrorBox> {
  let line = rsa::pkcs8::LineEnding::LF;
  let failed = |err: &dyn std::fmt::Display| JsErrorBox::generic(err.to_string());
  let private = private.to_pkcs8_pem(line).map_err(|err| failed(&err))?;
  let public = public.to_public_key_pem(line).map_err(|err| failed(&err))?;
  Ok((private.to_string(), public))
}

/// RSA PKCS#1 v1.5 or ECDSA (DER, as Node gives it) over `data`.
#[op2]
#[buffer]
pub fn op_crypto_sign(
  #[string] pem: &str,
  #[string] hash: &str,
  #[anybuffer] data: &[u8],
) -> Result<Vec<u8>, JsErrorBox> {
  use rsa::signature::{SignatureEncoding, Signer};
  match parse_key(pem)? {
    AsymmetricKey::RsaPrivate(key) => Ok(match hash {
      "sha256" => rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(key)
        .sign(data)
        .to_vec(),
      "sha384" => rsa::pkcs1v15::SigningKey::<sha2::Sha384>::new(key)
        .sign(data)
        .to_vec(),
      "sha512" => rsa::pkcs1v15::SigningKey::<sha2::Sha512>::new(key)
        .sign(data)
        .to_vec(),
      other => {
        return Err(JsErrorBox::type_error(format!(
          "Unsupported digest for RSA: {other}"
        )))
      }
    }),
    AsymmetricKey::EcPrivate(key) if hash == "sha256" => {
      let signature: p256::ecdsa::Signature = key.sign(data);
      Ok(signature.to_der().as_bytes().to_vec())
    }
    AsymmetricKey::EcPrivate(_) => Err(JsErrorBox::type_error(format!(
      "Unsupported digest for P-256: {hash} (sha256 is)"
    ))),
    _ => Err(JsErrorBox::type_error("Signing needs a private key")),
  }
}

/// Checks a signature made by [`op_crypto_sign`]'s algorithms; a private key
/// verifies with its public half.
#[op2]
pub fn op_crypto_verify(
  #[string] pem: &str,
  #[string] hash: &str,
  #[anybuffer] data: &[u8],
  #[anybuffer] signature: &[u8],
) -> Result<bool, JsErrorBox> {
  use rsa::signature::Verifier;
  let rsa_verify = |key: rsa::RsaPublicKey| -> Result<bool, JsErrorBox> {
    let Ok(signature) = rsa::pkcs1v15::Signature::try_from(signature) else {
      return Ok(false);
    };
    Ok(match hash {
      "sha256" => rsa::pkcs1v15::VerifyingKey::<sha2::Sha256>::new(key)
        .verify(data, &signature)
        .is_ok(),
      "sha384" => rsa::pkcs1v15::VerifyingKey::<sha2::Sha384>::new(key)
        .verify(data, &signature)
        .is_ok(),
      "sha512" => rsa::pkcs1v15::VerifyingKey::<sha2::Sha512>::new(key)
        .verify(data, &signature)
        .is_ok(),
      other => {
        return Err(JsErrorBox::type_error(format!(
          "Unsupported digest for RSA: {other}"
        )))
      }
    })
  };
  let ec_verify = |key: p256::ecdsa::VerifyingKey| -> bool {
    p256::ecdsa::Signature::from_der(signature).is_ok_and(|sig| key.verify(data, &sig).is_ok())
  };
  match parse_key(pem)? {
    AsymmetricKey::RsaPrivate(key) => rsa_verify(key.to_public_key()),
    AsymmetricKey::RsaPublic(key) => rsa_verify(key),
    AsymmetricKey::EcPrivate(key) => Ok(hash == "sha256" && ec_verify(*key.verifying_key())),
    AsymmetricKey::EcPublic(key) => Ok(hash == "sha256" && ec_verify(key)),
  }
}
