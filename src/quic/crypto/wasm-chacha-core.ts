/**
 * The ChaCha20-Poly1305 core (build/aead.wasm, built by asc from assembly/chacha20poly1305.ts):
 * one instance per process, shared by every key. Keys are tiny (32 bytes) and ChaCha20 has no key
 * schedule, so each call first writes its key into the module: no per-key instances, no slots to
 * free. JavaScript is single-threaded, so one scratch area serves all callers.
 *
 * Layout of the module's memory (mirrors assembly/chacha20poly1305.ts):
 *   64 key, 96 nonce, 128 header protection key, 160 sample, 176 mask (5 bytes),
 *   [AAD_FLOOR, TEXT) associated data, ending where the text starts,
 *   [TEXT, TEXT + n + 16) plaintext or ciphertext followed by the tag.
 * Putting the associated data right before the text lets a QUIC packet (header, then payload,
 * then tag) go in with one copy and come out with one.
 *
 * All views of the memory are made once (and again only after the memory grows), so copying in
 * and out costs no allocation; views of the text for the common lengths are cached too.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const KEY = 64;
const NONCE = 96;
const TAG = 112;
const HP_KEY = 128;
const SAMPLE = 160;
const MASK = 176;
/** Lowest address for associated data: above asc's static data (memoryBase 1024 in asconfig.json). */
const AAD_FLOOR = 2048;
/** Where the text goes when the associated data fits below it (6 KB: any QUIC header does). */
const TEXT = 8192;
const PAGE = 65536;
/** Text views are cached per length up to this (a full-size datagram and then some). */
const MAX_CACHED_VIEW = 2048;

interface Exports {
  memory: WebAssembly.Memory;
  seal(aad: number, aadLen: number, text: number, textLen: number): void;
  open(aad: number, aadLen: number, text: number, textLen: number): number;
  headerMask(): void;
  chacha20(counter: number, text: number, len: number): void;
  poly1305(msg: number, len: number): void;
}

/**
 * The module sits in build/ at the package root. Bundled entry points (tools/run-ts.mjs, the CLI)
 * are two directories below the root, this source file three; try both.
 */
function wasmPath(): string {
  const candidates = ['../../build/aead.wasm', '../../../build/aead.wasm'].map((rel) => fileURLToPath(new URL(rel, import.meta.url)));
  const found = candidates.find((p) => existsSync(p));
  if (found === undefined) throw new Error(`ChaCha20-Poly1305 core not found (looked for ${candidates.join(', ')}): run "npm run build:core"`);
  return found;
}

export class ChaChaCore {
  private readonly x: Exports;
  private u8!: Uint8Array;
  key!: Uint8Array;
  nonce!: Uint8Array;
  tag!: Uint8Array;
  hpKey!: Uint8Array;
  sample!: Uint8Array;
  mask!: Uint8Array;
  private textViews: (Uint8Array | undefined)[] = [];

  constructor(module: WebAssembly.Module) {
    this.x = new WebAssembly.Instance(module, {}).exports as unknown as Exports;
    this.refreshViews();
  }

  private refreshViews(): void {
    const u8 = new Uint8Array(this.x.memory.buffer);
    this.u8 = u8;
    this.key = u8.subarray(KEY, KEY + 32);
    this.nonce = u8.subarray(NONCE, NONCE + 12);
    this.tag = u8.subarray(TAG, TAG + 16);
    this.hpKey = u8.subarray(HP_KEY, HP_KEY + 32);
    this.sample = u8.subarray(SAMPLE, SAMPLE + 16);
    this.mask = u8.subarray(MASK, MASK + 5);
    this.textViews = [];
  }

  /**
   * Where text of `textLen` bytes goes after `aadLen` bytes of associated data; grows the memory
   * so that the text and a tag after it fit.
   */
  textAddress(aadLen: number, textLen: number): number {
    const text = aadLen <= TEXT - AAD_FLOOR ? TEXT : (AAD_FLOOR + aadLen + 15) & ~15;
    const needed = text + textLen + 16;
    const have = this.x.memory.buffer.byteLength;
    if (needed > have) {
      this.x.memory.grow(Math.ceil((needed - have) / PAGE));
      this.refreshViews();
    }
    return text;
  }

  /** The module's memory; valid until the next textAddress() call. */
  get bytes(): Uint8Array {
    return this.u8;
  }

  /** A view of memory[text, text + length), cached for the usual address and lengths. */
  view(text: number, length: number): Uint8Array {
    if (text !== TEXT || length > MAX_CACHED_VIEW) return this.u8.subarray(text, text + length);
    return (this.textViews[length] ??= this.u8.subarray(TEXT, TEXT + length));
  }

  seal(aad: number, aadLen: number, text: number, textLen: number): void {
    this.x.seal(aad, aadLen, text, textLen);
  }

  open(aad: number, aadLen: number, text: number, textLen: number): boolean {
    return this.x.open(aad, aadLen, text, textLen) === 1;
  }

  /** The 5-byte mask for `sample` under `hpKey` (both already written) into `mask`. */
  headerMask(): void {
    this.x.headerMask();
  }

  /** Bare ChaCha20 over memory[text, text + len) with `key` and `nonce` from block `counter`. */
  chacha20(counter: number, text: number, len: number): void {
    this.x.chacha20(counter >>> 0, text, len);
  }

  /** Bare Poly1305 of memory[msg, msg + len) with the one-time key in `key`; the tag lands in `tag`. */
  poly1305(msg: number, len: number): void {
    this.x.poly1305(msg, len);
  }
}

let shared: ChaChaCore | undefined;

/** The process-wide core, compiled and instantiated on first use. */
export function chachaCore(): ChaChaCore {
  return (shared ??= new ChaChaCore(new WebAssembly.Module(readFileSync(wasmPath()))));
}
