/**
 * Synthetic objects (`/_bytes/N`): N bytes of a fixed pseudo-random pattern, generated chunk by
 * chunk as the stream drains, so even a 10 GiB object costs no memory. Byte i of every object is
 * PATTERN[i mod PERIOD]; the period is prime so that no power-of-two chunking lines up with it
 * and a misplaced chunk changes the digest.
 */
import { takeBytes } from '../wire/byte-arena.js';
import { SYNTHETIC_PREFIX } from './constants.js';

export const SYNTHETIC_PERIOD = 65_521;

/**
 * The pattern twice over, so any window of up to PERIOD bytes is one subarray. A slab of the
 * shared byte arena, made at the first use (the arena is taken lazily too): a stream write
 * copies it into its send buffer's arena chunks by `copyWithin`, with no view per chunk
 * (bench:alloc --udp: about 8 B per datagram when the table was an ordinary array).
 */
let double: Uint8Array | undefined;

function makeDouble(): Uint8Array {
  const out = takeBytes(2 * SYNTHETIC_PERIOD);
  let x = 0x9e3779b9;
  for (let i = 0; i < SYNTHETIC_PERIOD; i++) {
    // xorshift32
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  out.copyWithin(SYNTHETIC_PERIOD, 0, SYNTHETIC_PERIOD);
  return out;
}

/** Largest piece `syntheticChunk` returns at once. */
export const MAX_SYNTHETIC_CHUNK = SYNTHETIC_PERIOD;

/**
 * Bytes [offset, offset + length) of any synthetic object, length ≤ MAX_SYNTHETIC_CHUNK. The
 * result is a view of a shared table: copy it before changing it (stream writes copy).
 */
export function syntheticChunk(offset: number, length: number): Uint8Array {
  if (length > MAX_SYNTHETIC_CHUNK) throw new RangeError(`synthetic chunks are at most ${MAX_SYNTHETIC_CHUNK} bytes`);
  const start = offset % SYNTHETIC_PERIOD;
  if (start === lastStart && length === lastLength) return lastView;
  lastView = (double ??= makeDouble()).subarray(start, start + length);
  lastStart = start;
  lastLength = length;
  return lastView;
}

/**
 * The last view `syntheticChunk` made, for the next call with the same window. The hq server
 * asks for whole periods (its reads are larger than MAX_SYNTHETIC_CHUNK, and each starts where
 * the last ended, so at the same place in the pattern): every chunk of a response but the
 * last is this one view, not a 96 B view per write (bench:alloc --udp: about 2 B per datagram).
 */
let lastView: Uint8Array = new Uint8Array(0);
let lastStart = -1;
let lastLength = -1;

/** Calls `fn` with the successive chunks of the first `size` bytes (for checks in tests). */
export function forEachSyntheticChunk(size: number, fn: (chunk: Uint8Array) => void): void {
  for (let off = 0; off < size; off += MAX_SYNTHETIC_CHUNK) fn(syntheticChunk(off, Math.min(MAX_SYNTHETIC_CHUNK, size - off)));
}

/** The size asked for by a `/_bytes/N` path (already percent-decoded), or undefined. */
export function parseSyntheticPath(path: string): number | undefined {
  if (!path.startsWith(SYNTHETIC_PREFIX)) return undefined;
  const digits = path.slice(SYNTHETIC_PREFIX.length);
  if (!/^\d{1,16}$/.test(digits)) return undefined;
  const n = Number(digits);
  return Number.isSafeInteger(n) ? n : undefined;
}

export function syntheticPath(size: number): string {
  return `${SYNTHETIC_PREFIX}${size}`;
}
