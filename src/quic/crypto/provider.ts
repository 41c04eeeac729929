/**
 * The crypto provider interface: everything QUIC packet protection (RFC 9001 §5) and our TLS 1.3
 * (RFC 8446) need, behind one interface with two implementations:
 *  - `node`  (node-provider.ts): node:crypto, the default on Node (about 8x faster per packet),
 *    with ChaCha20-Poly1305 on our WebAssembly core (wasm-chacha20poly1305.ts);
 *  - `noble` (noble-provider.ts): @noble/ciphers, @noble/curves, @noble/hashes, portable.
 * Both must pass the same test vectors. Nothing above this layer imports node:crypto or noble.
 *
 * Hot-path objects (Aead, HeaderProtection) are created once per key and reused for every
 * packet: they must not allocate per call beyond what the underlying primitive forces.
 */

/** TLS 1.3 cipher suites usable with QUIC (RFC 9001 §5.3; CCM is not offered). */
export const TLS_AES_128_GCM_SHA256 = 0x1301;
export const TLS_AES_256_GCM_SHA384 = 0x1302;
export const TLS_CHACHA20_POLY1305_SHA256 = 0x1303;
export type CipherSuite = typeof TLS_AES_128_GCM_SHA256 | typeof TLS_AES_256_GCM_SHA384 | typeof TLS_CHACHA20_POLY1305_SHA256;

export type HashAlgorithm = 'sha256' | 'sha384';

/** Named groups for key exchange (RFC 8446 §4.2.7). */
export const GROUP_SECP256R1 = 0x0017;
export const GROUP_X25519 = 0x001d;
export type NamedGroup = typeof GROUP_SECP256R1 | typeof GROUP_X25519;

/** Signature schemes (RFC 8446 §4.2.3) we sign with or verify. */
export const SIG_ECDSA_SECP256R1_SHA256 = 0x0403;
export const SIG_ED25519 = 0x0807;
export const SIG_RSA_PSS_RSAE_SHA256 = 0x0804;
export const SIG_RSA_PSS_RSAE_SHA384 = 0x0805;
export const SIG_RSA_PKCS1_SHA256 = 0x0401; // certificates only (RFC 8446 §4.2.3)
export const SIG_RSA_PKCS1_SHA384 = 0x0501; // certificates only
export type SignatureScheme =
  | typeof SIG_ECDSA_SECP256R1_SHA256
  | typeof SIG_ED25519
  | typeof SIG_RSA_PSS_RSAE_SHA256
  | typeof SIG_RSA_PSS_RSAE_SHA384
  | typeof SIG_RSA_PKCS1_SHA256
  | typeof SIG_RSA_PKCS1_SHA384;

/** Key and nonce lengths per suite (RFC 9001 §5.1, RFC 8446 §B.4). */
export function suiteParams(suite: CipherSuite): { keyLength: number; ivLength: 12; hash: HashAlgorithm; hashLength: number } {
  switch (suite) {
    case TLS_AES_128_GCM_SHA256: return { keyLength: 16, ivLength: 12, hash: 'sha256', hashLength: 32 };
    case TLS_AES_256_GCM_SHA384: return { keyLength: 32, ivLength: 12, hash: 'sha384', hashLength: 48 };
    case TLS_CHACHA20_POLY1305_SHA256: return { keyLength: 32, ivLength: 12, hash: 'sha256', hashLength: 32 };
  }
}

/** An AEAD bound to one key (AEAD_AES_128_GCM, AEAD_AES_256_GCM, AEAD_CHACHA20_POLY1305). */
export interface Aead {
  /** Tag length in bytes (16 for every QUIC suite). */
  readonly tagLength: number;
  /**
   * Encrypts `plaintext` with the 12-byte `nonce` and associated data `aad`; writes ciphertext
   * followed by the tag into `out` at `outOffset` and returns the number of bytes written
   * (plaintext.length + tagLength). `out` may alias `plaintext` at the same offset.
   */
  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, out: Uint8Array, outOffset: number): number;
  /** Decrypts ciphertext-with-tag; returns the plaintext, or null when authentication fails. */
  open(nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Uint8Array | null;
  /**
   * Optional in-place form of `open`, used by packet protection to decrypt a packet inside its
   * datagram: writes the plaintext into `out` at `outOffset` and returns its length, or returns -1
   * when authentication fails, in which case `out` is left untouched (so a failed packet can still
   * be checked for a stateless reset, RFC 9000 §10.3.1). `out` may alias `ciphertext` at the
   * same offset.
   */
  openInto?(nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array, out: Uint8Array, outOffset: number): number;
  /**
   * Optional range form of `seal` for a packet in one buffer, so the caller makes no views: the
   * associated data is buf[aadStart, textStart), the plaintext buf[textStart, textEnd) is
   * encrypted in place and the tag written to buf[textEnd, textEnd + tagLength). Returns
   * textEnd - textStart + tagLength.
   */
  sealRange?(nonce: Uint8Array, buf: Uint8Array, aadStart: number, textStart: number, textEnd: number): number;
  /**
   * Optional range form of `openInto`: the associated data is buf[aadStart, textStart), the
   * ciphertext and tag buf[textStart, end). Decrypts in place and returns the plaintext length, or
   * -1 when authentication fails, leaving `buf` untouched.
   */
  openRange?(nonce: Uint8Array, buf: Uint8Array, aadStart: number, textStart: number, end: number): number;
}

/** `Aead.open` for an AEAD that decrypts into a buffer: the plaintext in a new one. */
export function openToNewBuffer(
  aead: { openInto(nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array, out: Uint8Array, outOffset: number): number },
  nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array,
): Uint8Array | null {
  if (ciphertext.length < AEAD_OPEN_TAG_LENGTH) return null;
  const out = new Uint8Array(ciphertext.length - AEAD_OPEN_TAG_LENGTH);
  return aead.openInto(nonce, aad, ciphertext, out, 0) < 0 ? null : out;
}

/** Every AEAD of QUIC v1 has a 16-byte tag (RFC 9001 §5.3). */
const AEAD_OPEN_TAG_LENGTH = 16;

/** Header protection bound to one hp key (RFC 9001 §5.4.3 AES-ECB, §5.4.4 ChaCha20). */
export interface HeaderProtection {
  /** Writes the 5-byte mask for a 16-byte `sample` into `out` (at least 5 bytes). */
  mask(sample: Uint8Array, out: Uint8Array): void;
}

/** A private key the provider can sign with. */
export type PrivateKey =
  | { kind: 'ecdsa-p256'; d: Uint8Array /* 32-byte scalar */ }
  | { kind: 'ed25519'; seed: Uint8Array /* 32 bytes */ }
  | { kind: 'rsa'; pkcs8: Uint8Array /* DER PKCS#8; only the node provider signs with RSA */ };

/** A public key the provider can verify with. */
export type PublicKey =
  | { kind: 'ecdsa-p256'; point: Uint8Array /* 65-byte uncompressed SEC1 point */ }
  | { kind: 'ed25519'; key: Uint8Array /* 32 bytes */ }
  | { kind: 'rsa'; n: Uint8Array; e: Uint8Array /* big-endian unsigned */ };

export interface KeyShare {
  group: NamedGroup;
  /** What goes on the wire: 32 bytes for x25519, the 65-byte uncompressed point for secp256r1. */
  publicKey: Uint8Array;
  privateKey: Uint8Array;
}

export interface CryptoProvider {
  readonly name: 'node' | 'noble';

  aead(suite: CipherSuite, key: Uint8Array): Aead;
  headerProtection(suite: CipherSuite, hpKey: Uint8Array): HeaderProtection;
  hash(alg: HashAlgorithm, data: Uint8Array): Uint8Array;
  /** An incremental hash, for the TLS transcript. `digest()` does not end the hash. */
  createHash(alg: HashAlgorithm): { update(data: Uint8Array): void; digest(): Uint8Array };
  hmac(alg: HashAlgorithm, key: Uint8Array, data: Uint8Array): Uint8Array;
  hkdfExtract(alg: HashAlgorithm, salt: Uint8Array, ikm: Uint8Array): Uint8Array;
  hkdfExpand(alg: HashAlgorithm, prk: Uint8Array, info: Uint8Array, length: number): Uint8Array;
  randomBytes(n: number): Uint8Array;

  generateKeyShare(group: NamedGroup): KeyShare;
  /** ECDH; throws on an invalid peer public key. */
  sharedSecret(group: NamedGroup, privateKey: Uint8Array, peerPublicKey: Uint8Array): Uint8Array;

  /** Signs `data` (the provider hashes it as the scheme says). ECDSA signatures are DER-encoded. */
  sign(scheme: SignatureScheme, key: PrivateKey, data: Uint8Array): Uint8Array;
  /** Verifies a signature over `data`; false for a bad signature, throws only on an unusable key. */
  verify(scheme: SignatureScheme, key: PublicKey, data: Uint8Array, signature: Uint8Array): boolean;
  /** Generates a private key (for self-signed certificates) and returns it with its public key. */
  generateSigningKey(kind: 'ecdsa-p256' | 'ed25519'): { privateKey: PrivateKey; publicKey: PublicKey };
}
