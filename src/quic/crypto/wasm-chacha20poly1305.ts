/**
 * AEAD_CHACHA20_POLY1305 (RFC 8439 §2.8) and ChaCha20 header protection (RFC 9001 §5.4.4) on the
 * WebAssembly core (wasm-chacha-core.ts). Unlike node:crypto, nothing here allocates per call:
 * inputs are copied into the module's memory with TypedArray.set from cached views, the module
 * works in place, and results are copied back the same way. Authentication failure never writes
 * to the caller's buffer (the module checks the tag before it decrypts).
 */
import { type ChaChaCore, chachaCore } from './wasm-chacha-core.js';
import { type Aead, type HeaderProtection, openToNewBuffer } from './provider.js';
import { RangeViews, checkRange } from './range-views.js';

const KEY_LENGTH = 32;
const NONCE_LENGTH = 12;
const TAG_LENGTH = 16;
const SAMPLE_LENGTH = 16;

function checkNonce(nonce: Uint8Array): void {
  if (nonce.length !== NONCE_LENGTH) throw new Error(`aead: nonce must be ${NONCE_LENGTH} bytes, got ${nonce.length}`);
}

/** a <= b <= c <= length, all integers: the bounds of a range method. */
function checkOffset(out: Uint8Array, offset: number, length: number): void {
  if (!Number.isInteger(offset) || offset < 0 || offset + length > out.length) throw new RangeError('aead: output buffer too small');
}

export class WasmChaCha20Poly1305 implements Aead {
  readonly tagLength = TAG_LENGTH;
  private readonly key: Uint8Array;
  private readonly core: ChaChaCore;
  private readonly ranges = new RangeViews();

  constructor(key: Uint8Array) {
    if (key.length !== KEY_LENGTH) throw new Error(`aead: ChaCha20-Poly1305 needs a ${KEY_LENGTH}-byte key, got ${key.length}`);
    this.key = new Uint8Array(key);
    this.core = chachaCore();
  }

  /** Writes key and nonce and returns where `textLen` bytes of text go after `aadLen` of AAD. */
  private begin(nonce: Uint8Array, aadLen: number, textLen: number): number {
    checkNonce(nonce);
    const core = this.core;
    const text = core.textAddress(aadLen, textLen);
    core.key.set(this.key);
    core.nonce.set(nonce);
    return text;
  }

  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, out: Uint8Array, outOffset: number): number {
    const n = plaintext.length;
    checkOffset(out, outOffset, n + TAG_LENGTH);
    const core = this.core;
    const text = this.begin(nonce, aad.length, n);
    const mem = core.bytes;
    mem.set(aad, text - aad.length);
    mem.set(plaintext, text);
    core.seal(text - aad.length, aad.length, text, n);
    out.set(core.view(text, n + TAG_LENGTH), outOffset);
    return n + TAG_LENGTH;
  }

  open(nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Uint8Array | null {
    return openToNewBuffer(this, nonce, aad, ciphertext);
  }

  openInto(nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array, out: Uint8Array, outOffset: number): number {
    const n = ciphertext.length - TAG_LENGTH;
    if (n < 0) {
      checkNonce(nonce);
      return -1;
    }
    checkOffset(out, outOffset, n);
    const core = this.core;
    const text = this.begin(nonce, aad.length, n);
    const mem = core.bytes;
    mem.set(aad, text - aad.length);
    mem.set(ciphertext, text);
    if (!core.open(text - aad.length, aad.length, text, n)) return -1;
    out.set(core.view(text, n), outOffset);
    return n;
  }

  sealRange(nonce: Uint8Array, buf: Uint8Array, aadStart: number, textStart: number, textEnd: number): number {
    checkRange(buf, aadStart, textStart, textEnd);
    if (textEnd + TAG_LENGTH > buf.length) throw new RangeError('aead: no room for the tag after the plaintext');
    const aadLen = textStart - aadStart;
    const n = textEnd - textStart;
    const core = this.core;
    const text = this.begin(nonce, aadLen, n);
    // Header and payload are adjacent in the packet and in the module: one copy in, one out.
    core.bytes.set(this.ranges.of(buf, aadStart, textEnd), text - aadLen);
    core.seal(text - aadLen, aadLen, text, n);
    buf.set(core.view(text, n + TAG_LENGTH), textStart);
    return n + TAG_LENGTH;
  }

  openRange(nonce: Uint8Array, buf: Uint8Array, aadStart: number, textStart: number, end: number): number {
    checkRange(buf, aadStart, textStart, end);
    const aadLen = textStart - aadStart;
    const n = end - textStart - TAG_LENGTH;
    if (n < 0) {
      checkNonce(nonce);
      return -1;
    }
    const core = this.core;
    const text = this.begin(nonce, aadLen, n);
    core.bytes.set(this.ranges.of(buf, aadStart, end), text - aadLen);
    if (!core.open(text - aadLen, aadLen, text, n)) return -1;
    buf.set(core.view(text, n), textStart);
    return n;
  }
}

/** RFC 9001 §5.4.4 header protection on the same core. */
export class WasmChaCha20HeaderProtection implements HeaderProtection {
  private readonly key: Uint8Array;
  private readonly core: ChaChaCore;

  constructor(key: Uint8Array) {
    if (key.length !== KEY_LENGTH) throw new Error(`header protection: ChaCha20 needs a ${KEY_LENGTH}-byte key, got ${key.length}`);
    this.key = new Uint8Array(key);
    this.core = chachaCore();
  }

  mask(sample: Uint8Array, out: Uint8Array): void {
    if (sample.length !== SAMPLE_LENGTH) throw new Error(`header protection: sample must be ${SAMPLE_LENGTH} bytes`);
    if (out.length < 5) throw new RangeError('header protection: the mask needs 5 bytes');
    const core = this.core;
    core.hpKey.set(this.key);
    core.sample.set(sample);
    core.headerMask();
    out.set(core.mask);
  }
}
