/**
 * The node:crypto implementation of CryptoProvider: the default on Node (OpenSSL does the AES-GCM
 * AEAD, about 3-4 µs per 1200-byte packet; bench/crypto.ts).
 *
 * node:crypto has no way to re-key or re-IV a cipher object, so an AEAD call costs one
 * createCipheriv; what we keep per key is the imported KeyObject. AES header protection keeps one
 * ECB cipher object for the key's lifetime: ECB is stateless between blocks, so update() on a
 * 16-byte sample returns that block's encryption every time. AES stays on OpenSSL, whose AES-NI
 * code is constant-time where a table-based AES in JavaScript is not.
 *
 * ChaCha20-Poly1305 and its header protection run on our own WebAssembly core
 * (wasm-chacha20poly1305.ts): it needs no per-packet Cipheriv or Buffers, and it is faster per
 * packet than OpenSSL through node:crypto. The option chacha20: 'openssl' keeps node:crypto's
 * AEAD (and the TypeScript single-block header protection shared with the noble provider), for
 * comparison.
 *
 * Everything returned to callers is a plain Uint8Array, not a Buffer, so both providers give
 * results of the same type.
 */
import {
  type Cipher,
  type KeyObject,
  constants,
  createCipheriv,
  createDecipheriv,
  createECDH,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  diffieHellman,
  randomFillSync,
  sign as nodeSign,
  verify as nodeVerify,
} from 'node:crypto';
import {
  type Aead,
  type CipherSuite,
  type CryptoProvider,
  type HashAlgorithm,
  type HeaderProtection,
  type KeyShare,
  type NamedGroup,
  type PrivateKey,
  type PublicKey,
  type SignatureScheme,
  GROUP_SECP256R1,
  GROUP_X25519,
  SIG_ECDSA_SECP256R1_SHA256,
  SIG_ED25519,
  SIG_RSA_PKCS1_SHA256,
  SIG_RSA_PKCS1_SHA384,
  SIG_RSA_PSS_RSAE_SHA256,
  SIG_RSA_PSS_RSAE_SHA384,
  TLS_AES_128_GCM_SHA256,
  TLS_AES_256_GCM_SHA384,
  TLS_CHACHA20_POLY1305_SHA256,
  openToNewBuffer,
  suiteParams,
} from './provider.js';
import { RangeViews, checkRange } from './range-views.js';
import { ChaCha20HeaderProtection } from './noble-provider.js';
import { WasmChaCha20HeaderProtection, WasmChaCha20Poly1305 } from './wasm-chacha20poly1305.js';

const TAG_LENGTH = 16;
const NONCE_LENGTH = 12;
/**
 * createCipheriv's options, one object for every call: node:crypto only reads authTagLength
 * from it, and a literal per call was an object per packet (bench:alloc --cipher aes128gcm).
 */
const AEAD_OPTIONS = Object.freeze({ authTagLength: TAG_LENGTH });
const SAMPLE_LENGTH = 16;

/**
 * A plain Uint8Array copy of a Buffer (hashes, keys, signatures: short and off the packet path).
 * A view would do, but small Buffers may sit in node's shared pool, and `.buffer` would expose it.
 */
function plain(buf: Uint8Array): Uint8Array {
  return new Uint8Array(buf);
}

function hashLength(alg: HashAlgorithm): number {
  return alg === 'sha256' ? 32 : 48;
}

function b64url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

function fromB64url(s: string | undefined, what: string): Uint8Array {
  if (s === undefined) throw new Error(`node provider: exported JWK lacks ${what}`);
  return plain(Buffer.from(s, 'base64url'));
}

/** Left-pads (or checks) a big-endian integer to `length` bytes. */
function leftPad(bytes: Uint8Array, length: number): Uint8Array {
  if (bytes.length === length) return bytes;
  if (bytes.length > length) throw new Error(`node provider: integer longer than ${length} bytes`);
  const out = new Uint8Array(length);
  out.set(bytes, length - bytes.length);
  return out;
}

/** Drops leading zero bytes (a DER INTEGER carries one when the top bit is set; JWK must not). */
function stripLeadingZeros(bytes: Uint8Array): Uint8Array {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  return bytes.subarray(i);
}

// Raw 32-byte RFC 8410 keys (X25519, Ed25519) enter node:crypto as JWKs (RFC 8037 OKP keys).
// Not as DER: OpenSSL 3's decoder framework takes about 330 µs for a PKCS#8 private key and 80 µs
// for an SPKI public key here, against 36 µs and 7 µs for the JWK (Node 20.20, 2026-11-27); that
// was about 0.4 ms of CPU per handshake. For a private key Node reads only `d` (it builds the key
// from the raw scalar or seed); `x` must be a string, and its content is not used.
type OkpCurve = 'X25519' | 'Ed25519';

function rawOkpPrivateKey(crv: OkpCurve, raw: Uint8Array, what: string): KeyObject {
  if (raw.length !== 32) throw new Error(`${what}: private key must be 32 bytes, got ${raw.length}`);
  return createPrivateKey({ key: { kty: 'OKP', crv, d: b64url(raw), x: '' }, format: 'jwk' });
}

function rawOkpPublicKey(crv: OkpCurve, raw: Uint8Array, what: string): KeyObject {
  if (raw.length !== 32) throw new Error(`${what}: public key must be 32 bytes, got ${raw.length}`);
  try {
    return createPublicKey({ key: { kty: 'OKP', crv, x: b64url(raw) }, format: 'jwk' });
  } catch (e) {
    throw new Error(`${what}: invalid public key (${(e as Error).message})`);
  }
}

/**
 * A fresh X25519 or Ed25519 key pair from 32 random bytes (any 32 bytes are a valid X25519
 * scalar, clamped when used, RFC 7748 §5, and a valid Ed25519 seed, RFC 8032 §5.1.5).
 * Never `generateKeyPairSync`: in Node 20 exporting a key that a finished key-generation job
 * still shares can deadlock the process. The export holds the key's mutex while it allocates V8
 * strings; a garbage collection then finalises the unreachable job, whose destructor takes the
 * same mutex. In a loop of `generateKeyPairSync('x25519')` and a JWK export under ordinary
 * allocation, it hung within 20,000–40,000 iterations here (and once in `npm run fuzz:quic`'s
 * `conn` target, which does a handshake per case). Importing raw bytes creates no job.
 */
function newOkpKeyPair(crv: OkpCurve, random: (n: number) => Uint8Array): { privateKey: Uint8Array; publicKey: Uint8Array } {
  const privateKey = random(32);
  const priv = rawOkpPrivateKey(crv, privateKey, crv);
  const jwk = createPublicKey(priv).export({ format: 'jwk' });
  return { privateKey, publicKey: fromB64url(jwk.x, 'x') };
}

/** RFC 8446 §4.2.8.2: P-256 key shares are uncompressed SEC1 points, 0x04 || x || y. */
function checkUncompressedP256(point: Uint8Array, what: string): void {
  if (point.length !== 65 || point[0] !== 0x04) {
    throw new Error(`${what}: expected a 65-byte uncompressed P-256 point, got ${point.length} bytes`);
  }
}

function p256PublicKeyObject(point: Uint8Array): KeyObject {
  checkUncompressedP256(point, 'ecdsa-p256');
  try {
    return createPublicKey({
      key: { kty: 'EC', crv: 'P-256', x: b64url(point.subarray(1, 33)), y: b64url(point.subarray(33, 65)) },
      format: 'jwk',
    });
  } catch (e) {
    throw new Error(`ecdsa-p256: invalid public key (${(e as Error).message})`);
  }
}

function p256PrivateKeyObject(d: Uint8Array): KeyObject {
  if (d.length !== 32) throw new Error(`ecdsa-p256: private scalar must be 32 bytes, got ${d.length}`);
  const ecdh = createECDH('prime256v1');
  try {
    ecdh.setPrivateKey(d);
  } catch (e) {
    throw new Error(`ecdsa-p256: invalid private key (${(e as Error).message})`);
  }
  const point = ecdh.getPublicKey();
  return createPrivateKey({
    key: {
      kty: 'EC',
      crv: 'P-256',
      d: b64url(d),
      x: b64url(point.subarray(1, 33)),
      y: b64url(point.subarray(33, 65)),
    },
    format: 'jwk',
  });
}

function rsaPublicKeyObject(n: Uint8Array, e: Uint8Array): KeyObject {
  const nn = stripLeadingZeros(n);
  const ee = stripLeadingZeros(e);
  // The same sanity rules as the noble provider, so both reject the same keys.
  if (nn.length === 0 || nn[0] === 0 || (nn[nn.length - 1]! & 1) === 0) throw new Error('rsa: modulus must be odd and nonzero');
  if (ee.length === 0 || (ee[ee.length - 1]! & 1) === 0 || (ee.length === 1 && ee[0]! < 3)) {
    throw new Error('rsa: public exponent must be odd and at least 3');
  }
  if (ee.length > nn.length || (ee.length === nn.length && Buffer.compare(ee, nn) >= 0)) {
    throw new Error('rsa: public exponent must be smaller than the modulus');
  }
  try {
    return createPublicKey({ key: { kty: 'RSA', n: b64url(nn), e: b64url(ee) }, format: 'jwk' });
  } catch (err) {
    throw new Error(`rsa: unusable public key (${(err as Error).message})`);
  }
}

type NodeAeadAlgorithm = 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305';

class NodeAead implements Aead {
  readonly tagLength = TAG_LENGTH;
  private readonly key: KeyObject;
  /**
   * Views of a packet's header (the associated data), its payload and its tag for the range
   * methods: node:crypto's update() and setAAD() take whole arrays, and a packet is a range of
   * a datagram buffer the endpoint reuses, so full-size packets repeat the same ranges and a
   * view per range is made once, not per packet (bench:alloc --cipher aes128gcm: six 96 B views
   * per packet otherwise). A key only ever seals or only opens (one per direction, RFC 9001 §5).
   */
  private readonly aadViews = new RangeViews();
  private readonly textViews = new RangeViews();
  private readonly tagViews = new RangeViews();

  constructor(private readonly algorithm: NodeAeadAlgorithm, key: Uint8Array) {
    this.key = createSecretKey(key);
  }

  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, out: Uint8Array, outOffset: number): number {
    if (nonce.length !== NONCE_LENGTH) throw new Error(`aead: nonce must be ${NONCE_LENGTH} bytes`);
    const length = plaintext.length;
    if (outOffset + length + TAG_LENGTH > out.length) throw new RangeError('aead: output buffer too small');
    // The overloads of createCipheriv are per algorithm family; every one of ours is an AEAD.
    const cipher = createCipheriv(this.algorithm as 'aes-128-gcm', this.key, nonce, AEAD_OPTIONS);
    cipher.setAAD(aad);
    const ciphertext = cipher.update(plaintext);
    cipher.final();
    out.set(ciphertext, outOffset);
    out.set(cipher.getAuthTag(), outOffset + length);
    return length + TAG_LENGTH;
  }

  sealRange(nonce: Uint8Array, buf: Uint8Array, aadStart: number, textStart: number, textEnd: number): number {
    checkRange(buf, aadStart, textStart, textEnd);
    return this.seal(nonce, this.aadViews.of(buf, aadStart, textStart), this.textViews.of(buf, textStart, textEnd), buf, textStart);
  }

  open(nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Uint8Array | null {
    return openToNewBuffer(this, nonce, aad, ciphertext);
  }

  openRange(nonce: Uint8Array, buf: Uint8Array, aadStart: number, textStart: number, end: number): number {
    checkRange(buf, aadStart, textStart, end);
    if (nonce.length !== NONCE_LENGTH) throw new Error(`aead: nonce must be ${NONCE_LENGTH} bytes`);
    const tagStart = end - TAG_LENGTH;
    if (tagStart < textStart) return -1;
    const aad = this.aadViews.of(buf, aadStart, textStart);
    return this.decrypt(nonce, aad, this.textViews.of(buf, textStart, tagStart), this.tagViews.of(buf, tagStart, end), buf, textStart);
  }

  openInto(nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array, out: Uint8Array, outOffset: number): number {
    if (nonce.length !== NONCE_LENGTH) throw new Error(`aead: nonce must be ${NONCE_LENGTH} bytes`);
    const length = ciphertext.length - TAG_LENGTH;
    if (length < 0) return -1;
    if (outOffset + length > out.length) throw new RangeError('aead: output buffer too small');
    return this.decrypt(nonce, aad, ciphertext.subarray(0, length), ciphertext.subarray(length), out, outOffset);
  }

  /** Opens text under tag; authenticated plaintext goes to out[outOffset...] (checked by the callers). */
  private decrypt(nonce: Uint8Array, aad: Uint8Array, text: Uint8Array, tag: Uint8Array, out: Uint8Array, outOffset: number): number {
    const decipher = createDecipheriv(this.algorithm as 'aes-128-gcm', this.key, nonce, AEAD_OPTIONS);
    decipher.setAAD(aad);
    decipher.setAuthTag(tag);
    const plaintext = decipher.update(text);
    try {
      decipher.final();
    } catch {
      return -1;
    }
    // Only authenticated plaintext reaches `out`, so a failed open leaves it untouched.
    out.set(plaintext, outOffset);
    return plaintext.length;
  }
}

/** RFC 9001 §5.4.3: mask = AES-ECB(hp_key, sample). */
class NodeAesHeaderProtection implements HeaderProtection {
  private readonly ecb: Cipher;

  constructor(algorithm: 'aes-128-ecb' | 'aes-256-ecb', key: Uint8Array) {
    this.ecb = createCipheriv(algorithm, createSecretKey(key), null);
    this.ecb.setAutoPadding(false);
  }

  mask(sample: Uint8Array, out: Uint8Array): void {
    // A partial block would stay buffered inside the cipher and shift every later mask.
    if (sample.length !== SAMPLE_LENGTH) throw new Error(`header protection: sample must be ${SAMPLE_LENGTH} bytes`);
    const block = this.ecb.update(sample);
    for (let i = 0; i < 5; i++) out[i] = block[i]!;
  }
}

function checkKeyLength(suite: CipherSuite, key: Uint8Array, what: string): void {
  const { keyLength } = suiteParams(suite);
  if (key.length !== keyLength) throw new Error(`${what}: suite 0x${suite.toString(16)} needs a ${keyLength}-byte key, got ${key.length}`);
}

function rsaHash(scheme: SignatureScheme): HashAlgorithm {
  return scheme === SIG_RSA_PSS_RSAE_SHA384 || scheme === SIG_RSA_PKCS1_SHA384 ? 'sha384' : 'sha256';
}

function isPss(scheme: SignatureScheme): boolean {
  return scheme === SIG_RSA_PSS_RSAE_SHA256 || scheme === SIG_RSA_PSS_RSAE_SHA384;
}

function keyKindFor(scheme: SignatureScheme): PrivateKey['kind'] {
  switch (scheme) {
    case SIG_ECDSA_SECP256R1_SHA256: return 'ecdsa-p256';
    case SIG_ED25519: return 'ed25519';
    case SIG_RSA_PSS_RSAE_SHA256:
    case SIG_RSA_PSS_RSAE_SHA384:
    case SIG_RSA_PKCS1_SHA256:
    case SIG_RSA_PKCS1_SHA384: return 'rsa';
    default: throw new Error(`unsupported signature scheme 0x${(scheme as number).toString(16)}`);
  }
}

export interface NodeProviderOptions {
  /**
   * Who runs TLS_CHACHA20_POLY1305_SHA256: 'wasm' (default), our WebAssembly ChaCha20-Poly1305,
   * which allocates nothing per packet and is faster per 1200-byte packet than OpenSSL through
   * node:crypto (a Cipheriv per call; bench/crypto.ts); 'openssl' keeps node:crypto, for comparison.
   */
  chacha20?: 'wasm' | 'openssl';
}

export class NodeCryptoProvider implements CryptoProvider {
  readonly name = 'node' as const;
  private readonly chachaOnWasm: boolean;

  constructor(options: NodeProviderOptions = {}) {
    this.chachaOnWasm = (options.chacha20 ?? 'wasm') === 'wasm';
  }

  aead(suite: CipherSuite, key: Uint8Array): Aead {
    checkKeyLength(suite, key, 'aead');
    switch (suite) {
      case TLS_AES_128_GCM_SHA256: return new NodeAead('aes-128-gcm', key);
      case TLS_AES_256_GCM_SHA384: return new NodeAead('aes-256-gcm', key);
      case TLS_CHACHA20_POLY1305_SHA256: return this.chachaOnWasm ? new WasmChaCha20Poly1305(key) : new NodeAead('chacha20-poly1305', key);
    }
  }

  headerProtection(suite: CipherSuite, hpKey: Uint8Array): HeaderProtection {
    checkKeyLength(suite, hpKey, 'header protection');
    switch (suite) {
      case TLS_AES_128_GCM_SHA256: return new NodeAesHeaderProtection('aes-128-ecb', hpKey);
      case TLS_AES_256_GCM_SHA384: return new NodeAesHeaderProtection('aes-256-ecb', hpKey);
      case TLS_CHACHA20_POLY1305_SHA256: return this.chachaOnWasm ? new WasmChaCha20HeaderProtection(hpKey) : new ChaCha20HeaderProtection(hpKey);
    }
  }

  hash(alg: HashAlgorithm, data: Uint8Array): Uint8Array {
    return plain(createHash(alg).update(data).digest());
  }

  createHash(alg: HashAlgorithm): { update(data: Uint8Array): void; digest(): Uint8Array } {
    const h = createHash(alg);
    return {
      update(data: Uint8Array): void {
        h.update(data);
      },
      // Digest a copy so the running transcript hash can keep growing.
      digest(): Uint8Array {
        return plain(h.copy().digest());
      },
    };
  }

  hmac(alg: HashAlgorithm, key: Uint8Array, data: Uint8Array): Uint8Array {
    return plain(createHmac(alg, key).update(data).digest());
  }

  /** RFC 5869 §2.2: PRK = HMAC-Hash(salt, IKM). An empty salt is the same HMAC key as HashLen zeros. */
  hkdfExtract(alg: HashAlgorithm, salt: Uint8Array, ikm: Uint8Array): Uint8Array {
    return this.hmac(alg, salt, ikm);
  }

  /** RFC 5869 §2.3: T(i) = HMAC-Hash(PRK, T(i-1) | info | i), OKM = first L bytes of T(1) | T(2) | ... */
  hkdfExpand(alg: HashAlgorithm, prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
    const hashLen = hashLength(alg);
    if (!Number.isInteger(length) || length < 0 || length > 255 * hashLen) {
      throw new Error(`hkdfExpand: length must be 0..${255 * hashLen}, got ${length}`);
    }
    const okm = new Uint8Array(length);
    const counter = new Uint8Array(1);
    let previous: Uint8Array = new Uint8Array(0);
    for (let offset = 0, i = 1; offset < length; i++) {
      counter[0] = i;
      previous = createHmac(alg, prk).update(previous).update(info).update(counter).digest();
      const take = Math.min(hashLen, length - offset);
      okm.set(previous.subarray(0, take), offset);
      offset += take;
    }
    return okm;
  }

  randomBytes(n: number): Uint8Array {
    return randomFillSync(new Uint8Array(n));
  }

  generateKeyShare(group: NamedGroup): KeyShare {
    switch (group) {
      case GROUP_X25519: {
        const pair = newOkpKeyPair('X25519', (n) => this.randomBytes(n));
        return { group, publicKey: pair.publicKey, privateKey: pair.privateKey };
      }
      case GROUP_SECP256R1: {
        const ecdh = createECDH('prime256v1');
        ecdh.generateKeys();
        return { group, publicKey: plain(ecdh.getPublicKey()), privateKey: leftPad(plain(ecdh.getPrivateKey()), 32) };
      }
      default:
        throw new Error(`unsupported key share group 0x${(group as number).toString(16)}`);
    }
  }

  sharedSecret(group: NamedGroup, privateKey: Uint8Array, peerPublicKey: Uint8Array): Uint8Array {
    switch (group) {
      case GROUP_X25519: {
        const priv = rawOkpPrivateKey('X25519', privateKey, 'x25519');
        const pub = rawOkpPublicKey('X25519', peerPublicKey, 'x25519');
        let secret: Buffer;
        try {
          secret = diffieHellman({ privateKey: priv, publicKey: pub });
        } catch (e) {
          // OpenSSL refuses an all-zero result, i.e. a low-order peer point (RFC 7748 §6.1).
          throw new Error(`x25519: invalid peer public key (${(e as Error).message})`);
        }
        if (secret.every((b) => b === 0)) throw new Error('x25519: invalid peer public key (all-zero shared secret)');
        return plain(secret);
      }
      case GROUP_SECP256R1: {
        checkUncompressedP256(peerPublicKey, 'secp256r1');
        if (privateKey.length !== 32) throw new Error(`secp256r1: private key must be 32 bytes, got ${privateKey.length}`);
        const ecdh = createECDH('prime256v1');
        try {
          ecdh.setPrivateKey(privateKey);
        } catch (e) {
          throw new Error(`secp256r1: invalid private key (${(e as Error).message})`);
        }
        try {
          // RFC 8446 §7.4.2: the shared secret is the x-coordinate, which computeSecret returns.
          return plain(ecdh.computeSecret(peerPublicKey));
        } catch (e) {
          throw new Error(`secp256r1: invalid peer public key (${(e as Error).message})`);
        }
      }
      default:
        throw new Error(`unsupported key share group 0x${(group as number).toString(16)}`);
    }
  }

  sign(scheme: SignatureScheme, key: PrivateKey, data: Uint8Array): Uint8Array {
    const kind = keyKindFor(scheme);
    if (key.kind !== kind) throw new Error(`sign: scheme 0x${scheme.toString(16)} needs a ${kind} key, got ${key.kind}`);
    switch (key.kind) {
      case 'ecdsa-p256':
        return plain(nodeSign('sha256', data, { key: p256PrivateKeyObject(key.d), dsaEncoding: 'der' }));
      case 'ed25519':
        return plain(nodeSign(null, data, rawOkpPrivateKey('Ed25519', key.seed, 'ed25519')));
      case 'rsa': {
        let keyObject: KeyObject;
        try {
          keyObject = createPrivateKey({ key: Buffer.from(key.pkcs8), format: 'der', type: 'pkcs8' });
        } catch (e) {
          throw new Error(`rsa: invalid PKCS#8 private key (${(e as Error).message})`);
        }
        if (keyObject.asymmetricKeyType !== 'rsa') throw new Error(`rsa: PKCS#8 key is ${keyObject.asymmetricKeyType}, not rsa`);
        const alg = rsaHash(scheme);
        return plain(nodeSign(alg, data, isPss(scheme)
          // RFC 8446 §4.2.3: the PSS salt is as long as the digest.
          ? { key: keyObject, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: hashLength(alg) }
          : { key: keyObject, padding: constants.RSA_PKCS1_PADDING }));
      }
    }
  }

  verify(scheme: SignatureScheme, key: PublicKey, data: Uint8Array, signature: Uint8Array): boolean {
    const kind = keyKindFor(scheme);
    if (key.kind !== kind) throw new Error(`verify: scheme 0x${scheme.toString(16)} needs a ${kind} key, got ${key.kind}`);
    switch (key.kind) {
      case 'ecdsa-p256': {
        const keyObject = p256PublicKeyObject(key.point);
        return safeVerify(() => nodeVerify('sha256', data, { key: keyObject, dsaEncoding: 'der' }, signature));
      }
      case 'ed25519': {
        const keyObject = rawOkpPublicKey('Ed25519', key.key, 'ed25519');
        return safeVerify(() => nodeVerify(null, data, keyObject, signature));
      }
      case 'rsa': {
        // RFC 8017 §8.1.2 and §8.2.2, step 1: a signature is exactly k octets, k the modulus
        // length. OpenSSL also takes one with its leading zero bytes cut off; the noble provider
        // does not, and both must judge the same bytes the same way.
        const keyObject = rsaPublicKeyObject(key.n, key.e);
        let k = key.n.length;
        for (let i = 0; i < key.n.length && key.n[i] === 0; i++) k--;
        if (signature.length !== k) return false;
        const alg = rsaHash(scheme);
        const options = isPss(scheme)
          ? { key: keyObject, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: hashLength(alg) }
          : { key: keyObject, padding: constants.RSA_PKCS1_PADDING };
        return safeVerify(() => nodeVerify(alg, data, options, signature));
      }
    }
  }

  generateSigningKey(kind: 'ecdsa-p256' | 'ed25519'): { privateKey: PrivateKey; publicKey: PublicKey } {
    // No generateKeyPairSync here either (see newOkpKeyPair): ECDH makes a P-256 pair without a job.
    if (kind === 'ecdsa-p256') {
      const ecdh = createECDH('prime256v1');
      ecdh.generateKeys();
      return { privateKey: { kind, d: leftPad(plain(ecdh.getPrivateKey()), 32) }, publicKey: { kind, point: plain(ecdh.getPublicKey()) } };
    }
    if (kind === 'ed25519') {
      const pair = newOkpKeyPair('Ed25519', (n) => this.randomBytes(n));
      return { privateKey: { kind, seed: pair.privateKey }, publicKey: { kind, key: pair.publicKey } };
    }
    throw new Error(`generateSigningKey: unsupported key kind ${String(kind)}`);
  }
}

/** A malformed signature (bad DER, wrong length) is a failed verification, not an error. */
function safeVerify(run: () => boolean): boolean {
  try {
    return run();
  } catch {
    return false;
  }
}
