/**
 * The portable implementation of CryptoProvider over @noble/ciphers, @noble/curves and
 * @noble/hashes (no node:crypto).
 *
 * AES-GCM: noble's `gcm(key, nonce)` expands the AES key and rebuilds its GHASH tables on every
 * call, and its API takes no offsets, so it copies and allocates per packet (about 35 µs to seal
 * 1171 bytes here). We keep per Aead instance what only depends on the key: the AES key schedule
 * (noble's `unsafe.expandKeyLE`; the block function stays noble's) and a 4-bit-window GHASH table
 * for H = AES_K(0^128), and run GCM (NIST SP 800-38D) here, in place and without per-packet
 * buffers: about 13 µs (bench/crypto.ts). Tests check it byte for byte against OpenSSL.
 *
 * ChaCha20-Poly1305 has no per-key precomputation worth keeping (the Poly1305 key is per nonce),
 * so it uses noble's `chacha20poly1305` with caller-provided output buffers. ChaCha20 header
 * protection is a single 64-byte block computed here (ChaCha20HeaderProtection): noble's stream API
 * refuses the block counter 0xffffffff, which a header protection sample can carry (RFC 9001
 * §5.4.4), and a single block is faster done directly.
 *
 * RSA: noble has none, and only verification is needed here (peer certificates and
 * CertificateVerify), so RSAVP1 with BigInt plus EMSA-PSS and EMSA-PKCS1-v1_5 checks (RFC 8017
 * §8.1.2, §8.2.2, §9.1.2, §9.2) are done below. Signing with RSA throws.
 */
import { unsafe as aesUnsafe } from '@noble/ciphers/aes.js';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { p256 } from '@noble/curves/nist.js';
import { expand as hkdfExpand, extract as hkdfExtract } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256, sha384 } from '@noble/hashes/sha2.js';
import { randomBytes } from '@noble/hashes/utils.js';
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

const TAG_LENGTH = 16;
const NONCE_LENGTH = 12;
const SAMPLE_LENGTH = 16;

function hashFn(alg: HashAlgorithm): typeof sha256 | typeof sha384 {
  return alg === 'sha256' ? sha256 : sha384;
}

function hashLength(alg: HashAlgorithm): number {
  return alg === 'sha256' ? 32 : 48;
}

function readBE32(b: Uint8Array, i: number): number {
  return ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0;
}

function readLE32(b: Uint8Array, i: number): number {
  return (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0;
}

function writeLE32(b: Uint8Array, i: number, v: number): void {
  b[i] = v;
  b[i + 1] = v >>> 8;
  b[i + 2] = v >>> 16;
  b[i + 3] = v >>> 24;
}

// ---------------------------------------------------------------------------------------------
// AES-GCM with per-key state

/**
 * GHASH (SP 800-38D §6.4) over a fixed H. Blocks are four big-endian words; bit 0 of a block is
 * the top bit of word 0. `table` holds, for each of the 32 nibble positions w and nibble value v,
 * the product H · (v at bits 4w..4w+3), so X · H is 32 lookups and XORs (8 KiB per key).
 */
class Ghash {
  private readonly table = new Uint32Array(32 * 16 * 4);
  private readonly pad = new Uint8Array(16);
  private y0 = 0;
  private y1 = 0;
  private y2 = 0;
  private y3 = 0;

  constructor(h: Uint8Array) {
    // powers[i] = H · x^i: multiplying by x is a right shift in GCM's reflected bit order, with
    // the reduction R = 0xe1 || 0^120 when a bit falls off the end (SP 800-38D §6.3).
    const powers = new Uint32Array(128 * 4);
    let v0 = readBE32(h, 0);
    let v1 = readBE32(h, 4);
    let v2 = readBE32(h, 8);
    let v3 = readBE32(h, 12);
    for (let i = 0; i < 128; i++) {
      powers[4 * i] = v0;
      powers[4 * i + 1] = v1;
      powers[4 * i + 2] = v2;
      powers[4 * i + 3] = v3;
      const carry = v3 & 1;
      v3 = (v3 >>> 1) | (v2 << 31);
      v2 = (v2 >>> 1) | (v1 << 31);
      v1 = (v1 >>> 1) | (v0 << 31);
      v0 = (v0 >>> 1) ^ (-carry & 0xe1000000);
    }
    for (let w = 0; w < 32; w++) {
      for (let v = 0; v < 16; v++) {
        let a = 0;
        let b = 0;
        let c = 0;
        let d = 0;
        for (let j = 0; j < 4; j++) {
          if (((v >>> (3 - j)) & 1) === 0) continue;
          const p = (4 * w + j) * 4;
          a ^= powers[p]!;
          b ^= powers[p + 1]!;
          c ^= powers[p + 2]!;
          d ^= powers[p + 3]!;
        }
        const t = (w * 16 + v) * 4;
        this.table[t] = a;
        this.table[t + 1] = b;
        this.table[t + 2] = c;
        this.table[t + 3] = d;
      }
    }
  }

  reset(): void {
    this.y0 = this.y1 = this.y2 = this.y3 = 0;
  }

  /** Absorbs data[start..end), zero-padding the last partial block (each GCM field is padded). */
  update(data: Uint8Array, start: number, end: number): void {
    let i = start;
    for (; i + 16 <= end; i += 16) {
      this.block(readBE32(data, i), readBE32(data, i + 4), readBE32(data, i + 8), readBE32(data, i + 12));
    }
    if (i < end) {
      const pad = this.pad;
      pad.fill(0);
      for (let j = 0; i < end; i++, j++) pad[j] = data[i]!;
      this.block(readBE32(pad, 0), readBE32(pad, 4), readBE32(pad, 8), readBE32(pad, 12));
    }
  }

  /** Absorbs the final block len(A) || len(C), both in bits as 64-bit big-endian integers. */
  lengths(aadBytes: number, dataBytes: number): void {
    const aadBits = aadBytes * 8;
    const dataBits = dataBytes * 8;
    this.block(Math.floor(aadBits / 0x100000000), aadBits >>> 0, Math.floor(dataBits / 0x100000000), dataBits >>> 0);
  }

  /** XORs the hash into `mask` (the 16-byte E_K(J0), as four big-endian words) to form the tag. */
  tagWords(m0: number, m1: number, m2: number, m3: number, out: Uint32Array): void {
    out[0] = this.y0 ^ m0;
    out[1] = this.y1 ^ m1;
    out[2] = this.y2 ^ m2;
    out[3] = this.y3 ^ m3;
  }

  private block(x0: number, x1: number, x2: number, x3: number): void {
    x0 ^= this.y0;
    x1 ^= this.y1;
    x2 ^= this.y2;
    x3 ^= this.y3;
    const t = this.table;
    let z0 = 0;
    let z1 = 0;
    let z2 = 0;
    let z3 = 0;
    // Nibble w of the block selects from table rows [64w, 64w + 64); words 0..3 hold nibbles 0..31.
    for (let shift = 28, base = 0; shift >= 0; shift -= 4, base += 64) {
      let k = base + ((x0 >>> shift) & 15) * 4;
      z0 ^= t[k]!;
      z1 ^= t[k + 1]!;
      z2 ^= t[k + 2]!;
      z3 ^= t[k + 3]!;
      k = base + 512 + ((x1 >>> shift) & 15) * 4;
      z0 ^= t[k]!;
      z1 ^= t[k + 1]!;
      z2 ^= t[k + 2]!;
      z3 ^= t[k + 3]!;
      k = base + 1024 + ((x2 >>> shift) & 15) * 4;
      z0 ^= t[k]!;
      z1 ^= t[k + 1]!;
      z2 ^= t[k + 2]!;
      z3 ^= t[k + 3]!;
      k = base + 1536 + ((x3 >>> shift) & 15) * 4;
      z0 ^= t[k]!;
      z1 ^= t[k + 1]!;
      z2 ^= t[k + 2]!;
      z3 ^= t[k + 3]!;
    }
    this.y0 = z0;
    this.y1 = z1;
    this.y2 = z2;
    this.y3 = z3;
  }
}

/** AES block encryption with noble's key schedule; words are little-endian loads of the block. */
const aesEncrypt = aesUnsafe.encrypt;

/** AES-GCM (SP 800-38D) with the key schedule and GHASH table built once per key. */
class NobleAesGcm implements Aead {
  readonly tagLength = TAG_LENGTH;
  private readonly xk: Uint32Array;
  private readonly ghash: Ghash;
  private readonly tag = new Uint32Array(4);

  constructor(key: Uint8Array) {
    this.xk = aesUnsafe.expandKeyLE(key);
    const h = aesEncrypt(this.xk, 0, 0, 0, 0);
    const hBytes = new Uint8Array(16);
    writeLE32(hBytes, 0, h.s0);
    writeLE32(hBytes, 4, h.s1);
    writeLE32(hBytes, 8, h.s2);
    writeLE32(hBytes, 12, h.s3);
    this.ghash = new Ghash(hBytes);
  }

  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, out: Uint8Array, outOffset: number): number {
    if (nonce.length !== NONCE_LENGTH) throw new Error(`aead: nonce must be ${NONCE_LENGTH} bytes`);
    const length = plaintext.length;
    if (outOffset + length + TAG_LENGTH > out.length) throw new RangeError('aead: output buffer too small');
    this.ctr(nonce, plaintext, 0, out, outOffset, length);
    this.computeTag(nonce, aad, out, outOffset, length);
    const tag = this.tag;
    const t = outOffset + length;
    for (let w = 0; w < 4; w++) {
      const v = tag[w]!;
      out[t + 4 * w] = v >>> 24;
      out[t + 4 * w + 1] = v >>> 16;
      out[t + 4 * w + 2] = v >>> 8;
      out[t + 4 * w + 3] = v;
    }
    return length + TAG_LENGTH;
  }

  open(nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Uint8Array | null {
    return openToNewBuffer(this, nonce, aad, ciphertext);
  }

  openInto(nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array, out: Uint8Array, outOffset: number): number {
    if (nonce.length !== NONCE_LENGTH) throw new Error(`aead: nonce must be ${NONCE_LENGTH} bytes`);
    const length = ciphertext.length - TAG_LENGTH;
    if (length < 0) return -1;
    if (outOffset + length > out.length) throw new RangeError('aead: output buffer too small');
    // Authenticate before decrypting (SP 800-38D §7.2 allows either order), so a forgery never
    // writes into `out`. The comparison does not stop at the first differing byte.
    this.computeTag(nonce, aad, ciphertext, 0, length);
    const tag = this.tag;
    let diff = 0;
    for (let w = 0; w < 4; w++) diff |= tag[w]! ^ readBE32(ciphertext, length + 4 * w);
    if (diff !== 0) return -1;
    this.ctr(nonce, ciphertext, 0, out, outOffset, length);
    return length;
  }

  /** GHASH(A, C) XOR E_K(J0) into this.tag, with J0 = nonce || 0x00000001. */
  private computeTag(nonce: Uint8Array, aad: Uint8Array, data: Uint8Array, start: number, length: number): void {
    const g = this.ghash;
    g.reset();
    g.update(aad, 0, aad.length);
    g.update(data, start, start + length);
    g.lengths(aad.length, length);
    const s = aesEncrypt(this.xk, readLE32(nonce, 0), readLE32(nonce, 4), readLE32(nonce, 8), 0x01000000);
    g.tagWords(bswap(s.s0), bswap(s.s1), bswap(s.s2), bswap(s.s3), this.tag);
  }

  /** GCTR starting at inc32(J0): counter blocks nonce || 2, nonce || 3, ... */
  private ctr(nonce: Uint8Array, src: Uint8Array, srcOffset: number, dst: Uint8Array, dstOffset: number, length: number): void {
    const xk = this.xk;
    const n0 = readLE32(nonce, 0);
    const n1 = readLE32(nonce, 4);
    const n2 = readLE32(nonce, 8);
    let counter = 2;
    for (let pos = 0; pos < length; pos += 16, counter = (counter + 1) >>> 0) {
      const s = aesEncrypt(xk, n0, n1, n2, bswap(counter));
      const si = srcOffset + pos;
      const di = dstOffset + pos;
      if (length - pos >= 16) {
        xorWord(src, si, dst, di, s.s0);
        xorWord(src, si + 4, dst, di + 4, s.s1);
        xorWord(src, si + 8, dst, di + 8, s.s2);
        xorWord(src, si + 12, dst, di + 12, s.s3);
      } else {
        for (let j = 0, end = length - pos; j < end; j++) {
          const word = j < 4 ? s.s0 : j < 8 ? s.s1 : j < 12 ? s.s2 : s.s3;
          dst[di + j] = src[si + j]! ^ (word >>> ((j & 3) * 8));
        }
      }
    }
  }
}

/** dst[di..di+4) = src[si..si+4) XOR the little-endian bytes of `word` (a keystream word). */
function xorWord(src: Uint8Array, si: number, dst: Uint8Array, di: number, word: number): void {
  dst[di] = src[si]! ^ word;
  dst[di + 1] = src[si + 1]! ^ (word >>> 8);
  dst[di + 2] = src[si + 2]! ^ (word >>> 16);
  dst[di + 3] = src[si + 3]! ^ (word >>> 24);
}

function bswap(v: number): number {
  return ((v >>> 24) | ((v >>> 8) & 0xff00) | ((v & 0xff00) << 8) | (v << 24)) >>> 0;
}

class NobleChaCha20Poly1305 implements Aead {
  readonly tagLength = TAG_LENGTH;

  constructor(private readonly key: Uint8Array) {}

  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, out: Uint8Array, outOffset: number): number {
    if (nonce.length !== NONCE_LENGTH) throw new Error(`aead: nonce must be ${NONCE_LENGTH} bytes`);
    const total = plaintext.length + TAG_LENGTH;
    if (outOffset + total > out.length) throw new RangeError('aead: output buffer too small');
    chacha20poly1305(this.key, nonce, aad).encrypt(plaintext, out.subarray(outOffset, outOffset + total));
    return total;
  }

  open(nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Uint8Array | null {
    return openToNewBuffer(this, nonce, aad, ciphertext);
  }

  openInto(nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array, out: Uint8Array, outOffset: number): number {
    if (nonce.length !== NONCE_LENGTH) throw new Error(`aead: nonce must be ${NONCE_LENGTH} bytes`);
    const length = ciphertext.length - TAG_LENGTH;
    if (length < 0) return -1;
    if (outOffset + length > out.length) throw new RangeError('aead: output buffer too small');
    try {
      // noble checks the tag before it writes any plaintext into the output.
      chacha20poly1305(this.key, nonce, aad).decrypt(ciphertext, out.subarray(outOffset, outOffset + length));
    } catch {
      return -1;
    }
    return length;
  }
}

// ---------------------------------------------------------------------------------------------
// Header protection

/** RFC 9001 §5.4.3: mask = AES-ECB(hp_key, sample). */
class NobleAesHeaderProtection implements HeaderProtection {
  private readonly xk: Uint32Array;

  constructor(key: Uint8Array) {
    this.xk = aesUnsafe.expandKeyLE(key);
  }

  mask(sample: Uint8Array, out: Uint8Array): void {
    if (sample.length !== SAMPLE_LENGTH) throw new Error(`header protection: sample must be ${SAMPLE_LENGTH} bytes`);
    const s = aesEncrypt(this.xk, readLE32(sample, 0), readLE32(sample, 4), readLE32(sample, 8), readLE32(sample, 12));
    out[0] = s.s0;
    out[1] = s.s0 >>> 8;
    out[2] = s.s0 >>> 16;
    out[3] = s.s0 >>> 24;
    out[4] = s.s1;
  }
}

// "expand 32-byte k" (RFC 8439 §2.3)
const SIGMA0 = 0x61707865;
const SIGMA1 = 0x3320646e;
const SIGMA2 = 0x79622d32;
const SIGMA3 = 0x6b206574;

function rotl(v: number, n: number): number {
  return (v << n) | (v >>> (32 - n));
}

/**
 * RFC 9001 §5.4.4: counter = sample[0..3] little-endian, nonce = sample[4..15], mask = the first
 * five bytes of the ChaCha20 block (RFC 8439 §2.3) for that key, counter and nonce.
 *
 * Plain TypeScript with no dependency, so the node provider uses it as well: one block with the
 * state in local variables takes about 0.1 µs, where node:crypto needs a createCipheriv per
 * mask (about 4 µs). ChaCha20 is add-rotate-xor, so this is as constant-time as OpenSSL's.
 */
export class ChaCha20HeaderProtection implements HeaderProtection {
  private readonly k = new Int32Array(8);

  constructor(key: Uint8Array) {
    if (key.length !== 32) throw new Error(`header protection: ChaCha20 needs a 32-byte key, got ${key.length}`);
    for (let i = 0; i < 8; i++) this.k[i] = readLE32(key, 4 * i);
  }

  mask(sample: Uint8Array, out: Uint8Array): void {
    if (sample.length !== SAMPLE_LENGTH) throw new Error(`header protection: sample must be ${SAMPLE_LENGTH} bytes`);
    const k = this.k;
    let x0 = SIGMA0, x1 = SIGMA1, x2 = SIGMA2, x3 = SIGMA3;
    let x4 = k[0]!, x5 = k[1]!, x6 = k[2]!, x7 = k[3]!, x8 = k[4]!, x9 = k[5]!, x10 = k[6]!, x11 = k[7]!;
    let x12 = readLE32(sample, 0), x13 = readLE32(sample, 4), x14 = readLE32(sample, 8), x15 = readLE32(sample, 12);
    // Ten double rounds; each line is one quarter round (RFC 8439 §2.1): columns, then diagonals.
    for (let round = 0; round < 10; round++) {
      x0 = (x0 + x4) | 0; x12 = rotl(x12 ^ x0, 16); x8 = (x8 + x12) | 0; x4 = rotl(x4 ^ x8, 12); x0 = (x0 + x4) | 0; x12 = rotl(x12 ^ x0, 8); x8 = (x8 + x12) | 0; x4 = rotl(x4 ^ x8, 7);
      x1 = (x1 + x5) | 0; x13 = rotl(x13 ^ x1, 16); x9 = (x9 + x13) | 0; x5 = rotl(x5 ^ x9, 12); x1 = (x1 + x5) | 0; x13 = rotl(x13 ^ x1, 8); x9 = (x9 + x13) | 0; x5 = rotl(x5 ^ x9, 7);
      x2 = (x2 + x6) | 0; x14 = rotl(x14 ^ x2, 16); x10 = (x10 + x14) | 0; x6 = rotl(x6 ^ x10, 12); x2 = (x2 + x6) | 0; x14 = rotl(x14 ^ x2, 8); x10 = (x10 + x14) | 0; x6 = rotl(x6 ^ x10, 7);
      x3 = (x3 + x7) | 0; x15 = rotl(x15 ^ x3, 16); x11 = (x11 + x15) | 0; x7 = rotl(x7 ^ x11, 12); x3 = (x3 + x7) | 0; x15 = rotl(x15 ^ x3, 8); x11 = (x11 + x15) | 0; x7 = rotl(x7 ^ x11, 7);
      x0 = (x0 + x5) | 0; x15 = rotl(x15 ^ x0, 16); x10 = (x10 + x15) | 0; x5 = rotl(x5 ^ x10, 12); x0 = (x0 + x5) | 0; x15 = rotl(x15 ^ x0, 8); x10 = (x10 + x15) | 0; x5 = rotl(x5 ^ x10, 7);
      x1 = (x1 + x6) | 0; x12 = rotl(x12 ^ x1, 16); x11 = (x11 + x12) | 0; x6 = rotl(x6 ^ x11, 12); x1 = (x1 + x6) | 0; x12 = rotl(x12 ^ x1, 8); x11 = (x11 + x12) | 0; x6 = rotl(x6 ^ x11, 7);
      x2 = (x2 + x7) | 0; x13 = rotl(x13 ^ x2, 16); x8 = (x8 + x13) | 0; x7 = rotl(x7 ^ x8, 12); x2 = (x2 + x7) | 0; x13 = rotl(x13 ^ x2, 8); x8 = (x8 + x13) | 0; x7 = rotl(x7 ^ x8, 7);
      x3 = (x3 + x4) | 0; x14 = rotl(x14 ^ x3, 16); x9 = (x9 + x14) | 0; x4 = rotl(x4 ^ x9, 12); x3 = (x3 + x4) | 0; x14 = rotl(x14 ^ x3, 8); x9 = (x9 + x14) | 0; x4 = rotl(x4 ^ x9, 7);
    }
    // Only output words 0 and 1 are needed: the block is state + initial state, serialised LE.
    const w0 = (x0 + SIGMA0) | 0;
    const w1 = (x1 + SIGMA1) | 0;
    out[0] = w0;
    out[1] = w0 >>> 8;
    out[2] = w0 >>> 16;
    out[3] = w0 >>> 24;
    out[4] = w1;
  }
}

// ---------------------------------------------------------------------------------------------
// RSA signature verification (public-key operations only)

function bytesToBigInt(bytes: Uint8Array): bigint {
  let hex = '';
  for (let i = 0; i < bytes.length; i++) hex += bytes[i]!.toString(16).padStart(2, '0');
  return hex === '' ? 0n : BigInt('0x' + hex);
}

/** I2OSP (RFC 8017 §4.1); null when x does not fit in `length` bytes. */
function bigIntToBytes(x: bigint, length: number): Uint8Array | null {
  const hex = x.toString(16);
  if (hex.length > length * 2) return null;
  const padded = hex.padStart(length * 2, '0');
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = parseInt(padded.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  base %= modulus;
  while (exponent > 0n) {
    if (exponent & 1n) result = (result * base) % modulus;
    base = (base * base) % modulus;
    exponent >>= 1n;
  }
  return result;
}

function bitLength(x: bigint): number {
  return x === 0n ? 0 : x.toString(2).length;
}

/** RFC 8017 §B.2.1 MGF1 with the given hash. */
function mgf1(alg: HashAlgorithm, seed: Uint8Array, length: number): Uint8Array {
  const h = hashFn(alg);
  const out = new Uint8Array(length);
  const input = new Uint8Array(seed.length + 4);
  input.set(seed);
  for (let counter = 0, offset = 0; offset < length; counter++) {
    input[seed.length] = counter >>> 24;
    input[seed.length + 1] = counter >>> 16;
    input[seed.length + 2] = counter >>> 8;
    input[seed.length + 3] = counter;
    const block = h(input);
    const take = Math.min(block.length, length - offset);
    out.set(block.subarray(0, take), offset);
    offset += take;
  }
  return out;
}

/** EMSA-PSS-VERIFY (RFC 8017 §9.1.2) with MGF1 over the same hash and sLen = hLen (RFC 8446 §4.2.3). */
function emsaPssVerify(alg: HashAlgorithm, message: Uint8Array, em: Uint8Array, emBits: number): boolean {
  const h = hashFn(alg);
  const hLen = hashLength(alg);
  const sLen = hLen;
  const emLen = em.length;
  const mHash = h(message);
  if (emLen < hLen + sLen + 2) return false;
  if (em[emLen - 1] !== 0xbc) return false;
  const dbLen = emLen - hLen - 1;
  const maskedDb = em.subarray(0, dbLen);
  const hash = em.subarray(dbLen, dbLen + hLen);
  const topBits = 8 * emLen - emBits;
  const topMask = (0xff >>> topBits) & 0xff;
  if ((maskedDb[0]! & ~topMask & 0xff) !== 0) return false;
  const db = mgf1(alg, hash, dbLen);
  for (let i = 0; i < dbLen; i++) db[i] = db[i]! ^ maskedDb[i]!;
  db[0] = db[0]! & topMask;
  const psLen = emLen - hLen - sLen - 2;
  for (let i = 0; i < psLen; i++) if (db[i] !== 0) return false;
  if (db[psLen] !== 0x01) return false;
  const mPrime = new Uint8Array(8 + hLen + sLen);
  mPrime.set(mHash, 8);
  mPrime.set(db.subarray(dbLen - sLen), 8 + hLen);
  const hPrime = h(mPrime);
  let diff = 0;
  for (let i = 0; i < hLen; i++) diff |= hPrime[i]! ^ hash[i]!;
  return diff === 0;
}

// DER DigestInfo prefixes for SHA-256 and SHA-384 (RFC 8017 §9.2, note 1).
const DIGEST_INFO_PREFIX: Record<HashAlgorithm, Uint8Array> = {
  sha256: Uint8Array.of(0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20),
  sha384: Uint8Array.of(0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04, 0x30),
};

/** EMSA-PKCS1-v1_5 (RFC 8017 §9.2): EM = 0x00 0x01 PS(0xff, at least 8) 0x00 DigestInfo. */
function emsaPkcs1Verify(alg: HashAlgorithm, message: Uint8Array, em: Uint8Array): boolean {
  const prefix = DIGEST_INFO_PREFIX[alg];
  const digest = hashFn(alg)(message);
  const tLen = prefix.length + digest.length;
  const k = em.length;
  if (k < tLen + 11) return false;
  const expected = new Uint8Array(k);
  expected[1] = 0x01;
  expected.fill(0xff, 2, k - tLen - 1);
  expected.set(prefix, k - tLen);
  expected.set(digest, k - digest.length);
  let diff = 0;
  for (let i = 0; i < k; i++) diff |= expected[i]! ^ em[i]!;
  return diff === 0;
}

function stripLeadingZeros(bytes: Uint8Array): Uint8Array {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  return bytes.subarray(i);
}

function rsaVerify(alg: HashAlgorithm, pss: boolean, nBytes: Uint8Array, eBytes: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  const nn = stripLeadingZeros(nBytes);
  const ee = stripLeadingZeros(eBytes);
  const n = bytesToBigInt(nn);
  const e = bytesToBigInt(ee);
  if (n === 0n || (n & 1n) === 0n) throw new Error('rsa: modulus must be odd and nonzero');
  if (e < 3n || (e & 1n) === 0n) throw new Error('rsa: public exponent must be odd and at least 3');
  if (e >= n) throw new Error('rsa: public exponent must be smaller than the modulus');
  const k = nn.length;
  // RFC 8017 §8.1.2 / §8.2.2 step 1: the signature is exactly k bytes.
  if (signature.length !== k) return false;
  const s = bytesToBigInt(signature);
  if (s >= n) return false;
  const m = modPow(s, e, n);
  if (pss) {
    const emBits = bitLength(n) - 1;
    const em = bigIntToBytes(m, Math.ceil(emBits / 8));
    return em !== null && emsaPssVerify(alg, message, em, emBits);
  }
  const em = bigIntToBytes(m, k);
  return em !== null && emsaPkcs1Verify(alg, message, em);
}

// ---------------------------------------------------------------------------------------------

function checkKeyLength(suite: CipherSuite, key: Uint8Array, what: string): void {
  const { keyLength } = suiteParams(suite);
  if (key.length !== keyLength) throw new Error(`${what}: suite 0x${suite.toString(16)} needs a ${keyLength}-byte key, got ${key.length}`);
}

function checkUncompressedP256(point: Uint8Array, what: string, role: 'public key' | 'peer public key'): void {
  if (point.length !== 65 || point[0] !== 0x04) {
    throw new Error(`${what}: expected a 65-byte uncompressed P-256 point, got ${point.length} bytes`);
  }
  try {
    p256.Point.fromBytes(point).assertValidity();
  } catch (e) {
    throw new Error(`${what}: invalid ${role} (${(e as Error).message})`);
  }
}

function checkP256Scalar(d: Uint8Array, what: string): void {
  if (d.length !== 32 || !p256.utils.isValidSecretKey(d)) throw new Error(`${what}: invalid private key (need a 32-byte scalar in 1..n-1)`);
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

export class NobleCryptoProvider implements CryptoProvider {
  readonly name = 'noble' as const;

  aead(suite: CipherSuite, key: Uint8Array): Aead {
    checkKeyLength(suite, key, 'aead');
    switch (suite) {
      case TLS_AES_128_GCM_SHA256:
      case TLS_AES_256_GCM_SHA384: return new NobleAesGcm(key);
      case TLS_CHACHA20_POLY1305_SHA256: return new NobleChaCha20Poly1305(key.slice());
    }
  }

  headerProtection(suite: CipherSuite, hpKey: Uint8Array): HeaderProtection {
    checkKeyLength(suite, hpKey, 'header protection');
    switch (suite) {
      case TLS_AES_128_GCM_SHA256:
      case TLS_AES_256_GCM_SHA384: return new NobleAesHeaderProtection(hpKey);
      case TLS_CHACHA20_POLY1305_SHA256: return new ChaCha20HeaderProtection(hpKey);
    }
  }

  hash(alg: HashAlgorithm, data: Uint8Array): Uint8Array {
    return hashFn(alg)(data);
  }

  createHash(alg: HashAlgorithm): { update(data: Uint8Array): void; digest(): Uint8Array } {
    const h = hashFn(alg).create();
    return {
      update(data: Uint8Array): void {
        h.update(data);
      },
      // Digest a clone so the running transcript hash can keep growing.
      digest(): Uint8Array {
        return h.clone().digest();
      },
    };
  }

  hmac(alg: HashAlgorithm, key: Uint8Array, data: Uint8Array): Uint8Array {
    return hmac(hashFn(alg), key, data);
  }

  hkdfExtract(alg: HashAlgorithm, salt: Uint8Array, ikm: Uint8Array): Uint8Array {
    return hkdfExtract(hashFn(alg), ikm, salt);
  }

  hkdfExpand(alg: HashAlgorithm, prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
    const hashLen = hashLength(alg);
    if (!Number.isInteger(length) || length < 0 || length > 255 * hashLen) {
      throw new Error(`hkdfExpand: length must be 0..${255 * hashLen}, got ${length}`);
    }
    if (length === 0) return new Uint8Array(0);
    return hkdfExpand(hashFn(alg), prk, info, length);
  }

  randomBytes(n: number): Uint8Array {
    return randomBytes(n);
  }

  generateKeyShare(group: NamedGroup): KeyShare {
    switch (group) {
      case GROUP_X25519: {
        const { secretKey, publicKey } = x25519.keygen();
        return { group, publicKey, privateKey: secretKey };
      }
      case GROUP_SECP256R1: {
        const secretKey = p256.utils.randomSecretKey();
        return { group, publicKey: p256.getPublicKey(secretKey, false), privateKey: secretKey };
      }
      default:
        throw new Error(`unsupported key share group 0x${(group as number).toString(16)}`);
    }
  }

  sharedSecret(group: NamedGroup, privateKey: Uint8Array, peerPublicKey: Uint8Array): Uint8Array {
    switch (group) {
      case GROUP_X25519: {
        if (privateKey.length !== 32) throw new Error(`x25519: private key must be 32 bytes, got ${privateKey.length}`);
        if (peerPublicKey.length !== 32) throw new Error(`x25519: public key must be 32 bytes, got ${peerPublicKey.length}`);
        let secret: Uint8Array;
        try {
          secret = x25519.getSharedSecret(privateKey, peerPublicKey);
        } catch (e) {
          throw new Error(`x25519: invalid peer public key (${(e as Error).message})`);
        }
        // RFC 7748 §6.1: an all-zero result means a low-order point.
        if (secret.every((b) => b === 0)) throw new Error('x25519: invalid peer public key (all-zero shared secret)');
        return secret;
      }
      case GROUP_SECP256R1: {
        checkP256Scalar(privateKey, 'secp256r1');
        checkUncompressedP256(peerPublicKey, 'secp256r1', 'peer public key');
        // RFC 8446 §7.4.2: only the x-coordinate; the compressed form is 0x02/0x03 || x.
        return p256.getSharedSecret(privateKey, peerPublicKey, true).slice(1);
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
        checkP256Scalar(key.d, 'ecdsa-p256');
        // prehash: noble hashes with SHA-256 itself; DER as TLS carries it (RFC 8446 §4.2.3).
        return p256.sign(data, key.d, { prehash: true, format: 'der' });
      case 'ed25519':
        if (key.seed.length !== 32) throw new Error(`ed25519: private key must be a 32-byte seed, got ${key.seed.length}`);
        return ed25519.sign(data, key.seed);
      case 'rsa':
        throw new Error('rsa: the noble provider cannot sign with RSA (verification only); use the node provider');
    }
  }

  verify(scheme: SignatureScheme, key: PublicKey, data: Uint8Array, signature: Uint8Array): boolean {
    const kind = keyKindFor(scheme);
    if (key.kind !== kind) throw new Error(`verify: scheme 0x${scheme.toString(16)} needs a ${kind} key, got ${key.kind}`);
    switch (key.kind) {
      case 'ecdsa-p256':
        checkUncompressedP256(key.point, 'ecdsa-p256', 'public key');
        // lowS: false, since OpenSSL and most peers do not normalise s.
        return safeVerify(() => p256.verify(signature, data, key.point, { prehash: true, format: 'der', lowS: false }));
      case 'ed25519':
        if (key.key.length !== 32) throw new Error(`ed25519: public key must be 32 bytes, got ${key.key.length}`);
        // zip215: false is RFC 8032's strict decoding, as OpenSSL does.
        return signature.length === 64 && safeVerify(() => ed25519.verify(signature, data, key.key, { zip215: false }));
      case 'rsa': {
        const alg: HashAlgorithm = scheme === SIG_RSA_PSS_RSAE_SHA384 || scheme === SIG_RSA_PKCS1_SHA384 ? 'sha384' : 'sha256';
        const pss = scheme === SIG_RSA_PSS_RSAE_SHA256 || scheme === SIG_RSA_PSS_RSAE_SHA384;
        return rsaVerify(alg, pss, key.n, key.e, data, signature);
      }
    }
  }

  generateSigningKey(kind: 'ecdsa-p256' | 'ed25519'): { privateKey: PrivateKey; publicKey: PublicKey } {
    if (kind === 'ecdsa-p256') {
      const d = p256.utils.randomSecretKey();
      return { privateKey: { kind, d }, publicKey: { kind, point: p256.getPublicKey(d, false) } };
    }
    if (kind === 'ed25519') {
      const { secretKey, publicKey } = ed25519.keygen();
      return { privateKey: { kind, seed: secretKey }, publicKey: { kind, key: publicKey } };
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
