import { describe, expect, it } from 'vitest';
import { ByteArena, setSharedArenaCapacity, sharedArena, takeBytes } from '../../../src/quic/wire/byte-arena.js';
import { copyRange } from '../../../src/quic/wire/bytes-copy.js';
import { Writer } from '../../../src/quic/wire/buffer.js';
import { writeStreamFrameFrom } from '../../../src/quic/wire/frames/index.js';
import { Prng } from './prng.js';

function fillRandom(rng: Prng, a: Uint8Array): void {
  for (let i = 0; i < a.length; i++) a[i] = rng.u32() & 0xff;
}

/** Index of the first byte where a and b differ (or where one ends), -1 when equal. */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

describe('ByteArena', () => {
  it('hands a released slab back for the next request of its size, and only of its size', () => {
    const arena = new ByteArena(64 * 1024);
    const a = arena.take(1500)!;
    const b = arena.take(16384)!;
    expect(a.buffer).toBe(arena.buffer);
    expect(a.length).toBe(1500);
    expect(arena.liveSlabs).toBe(2);
    expect(arena.release(a)).toBe(true);
    expect(arena.liveSlabs).toBe(1);
    const carved = arena.carved;
    // Another size is carved fresh; the same size gets the very same view back (no allocation).
    const c = arena.take(2000)!;
    expect(c.byteOffset).toBeGreaterThanOrEqual(carved);
    expect(arena.take(1500)).toBe(a);
    expect(arena.release(b)).toBe(true);
    expect(arena.take(16384)).toBe(b);
  });

  it('returns undefined when full, and takeBytes falls back to an ordinary array, counted', () => {
    const arena = new ByteArena(40_000);
    expect(arena.take(16384)).toBeDefined();
    expect(arena.take(16384)).toBeDefined();
    expect(arena.take(16384)).toBeUndefined();
    const fallback = takeBytes(16384, arena);
    expect(fallback.buffer).not.toBe(arena.buffer);
    expect(fallback.length).toBe(16384);
    expect(arena.fallbacks).toBe(1);
    // An ordinary array is not the arena's to take back.
    expect(arena.release(fallback)).toBe(false);
    // A smaller slab still fits in the rest.
    expect(arena.take(1000)).toBeDefined();
  });

  it('refuses double release, sub-views and other buffers, so live bytes never reach a free list', () => {
    const arena = new ByteArena(16 * 1024);
    const other = new ByteArena(16 * 1024);
    const a = arena.take(4096)!;
    expect(arena.release(a.subarray(0, 100))).toBe(false);
    expect(arena.release(a.subarray(64))).toBe(false);
    expect(arena.release(new Uint8Array(arena.buffer, 64, 100))).toBe(false);
    expect(arena.release(other.take(4096)!)).toBe(false);
    expect(arena.release(a)).toBe(true);
    expect(arena.release(a)).toBe(false);
    expect(arena.liveSlabs).toBe(0);
  });

  it('lets the shared arena be sized only before its first use', () => {
    expect(() => setSharedArenaCapacity(-5)).toThrow(RangeError);
    sharedArena();
    expect(() => setSharedArenaCapacity(1 << 20)).toThrow(/already in use/);
  });

  it('rejects bad sizes with RangeError', () => {
    expect(() => new ByteArena(0)).toThrow(RangeError);
    expect(() => new ByteArena(1.5)).toThrow(RangeError);
    const arena = new ByteArena(4096);
    for (const bad of [0, -1, 1.5, Number.NaN, Infinity]) expect(() => arena.take(bad)).toThrow(RangeError);
    expect(arena.take(8192)).toBeUndefined();
  });

  it('never hands out overlapping live slabs (randomized take/release, contents checked)', () => {
    const rng = new Prng(11);
    const arena = new ByteArena(256 * 1024);
    const sizes = [1500, 1252, 16384, 2048, 100, 4096];
    const live: { slab: Uint8Array; tag: number }[] = [];
    let fallbacks = 0;
    for (let round = 0; round < 5000; round++) {
      if (live.length > 0 && rng.chance(0.45)) {
        const { slab, tag } = live.splice(rng.int(live.length), 1)[0]!;
        // Every byte still carries its owner's tag: no other live slab wrote over it.
        expect(slab.every((v) => v === tag)).toBe(true);
        expect(arena.release(slab)).toBe(true);
        continue;
      }
      const slab = arena.take(sizes[rng.int(sizes.length)]!);
      if (slab === undefined) {
        fallbacks++;
        continue;
      }
      const tag = round & 0xff;
      slab.fill(tag);
      live.push({ slab, tag });
      const sorted = live.map((l) => [l.slab.byteOffset, l.slab.byteOffset + l.slab.length] as const).sort((x, y) => x[0] - y[0]);
      for (let i = 1; i < sorted.length; i++) expect(sorted[i]![0]).toBeGreaterThanOrEqual(sorted[i - 1]![1]);
    }
    expect(arena.liveSlabs).toBe(live.length);
    // The arena filled up at times (the fallback path ran) and slabs were reused.
    expect(fallbacks).toBeGreaterThan(0);
    for (const { slab, tag } of live) expect(slab.every((v) => v === tag)).toBe(true);
  });
});

describe('copyRange between slabs of the shared arena (copyWithin)', () => {
  it('copies exactly what set() of a view copies, overlapping ranges of one slab included', () => {
    const rng = new Prng(5);
    const arena = sharedArena();
    const src = takeBytes(16384);
    const dst = takeBytes(1500);
    expect(src.buffer).toBe(arena.buffer);
    expect(dst.buffer).toBe(arena.buffer);
    for (let round = 0; round < 500; round++) {
      fillRandom(rng, src.subarray(rng.int(16000), 16384));
      const sameSlab = rng.chance(0.2);
      const to = sameSlab ? src : dst;
      const n = rng.int(Math.min(to.length, 1400) + 1);
      const srcAt = rng.int(src.length - n + 1);
      const dstAt = rng.int(to.length - n + 1);
      const want = new Uint8Array(to);
      want.set(src.slice(srcAt, srcAt + n), dstAt);
      copyRange(to, dstAt, src, srcAt, n);
      expect(firstDifference(to, want)).toBe(-1);
    }
    expect(() => copyRange(dst, 1000, src, 0, 600)).toThrow(RangeError);
    arena.release(src);
    arena.release(dst);
  });

  it('writes a STREAM frame into an arena datagram byte-identical to one written through the view path', () => {
    const rng = new Prng(9);
    const chunk = takeBytes(16384);
    const ordinaryChunk = new Uint8Array(16384);
    const datagram = takeBytes(1500);
    const ordinary = new Uint8Array(1500);
    expect(chunk.buffer).toBe(datagram.buffer);
    for (let round = 0; round < 200; round++) {
      fillRandom(rng, chunk);
      ordinaryChunk.set(chunk);
      datagram.fill(0xee);
      ordinary.fill(0xee);
      const length = rng.int(1400);
      const start = rng.int(16384 - length + 1);
      const offset = rng.chance(0.1) ? 0 : rng.int(1 << 30);
      const at = rng.int(40);
      const fin = rng.chance(0.5);
      const a = new Writer(datagram, at);
      writeStreamFrameFrom(a, 4, offset, fin, true, chunk, start, length);
      const b = new Writer(ordinary, at);
      writeStreamFrameFrom(b, 4, offset, fin, true, ordinaryChunk, start, length);
      expect(a.position).toBe(b.position);
      expect(firstDifference(datagram, ordinary)).toBe(-1);
    }
  });
});
