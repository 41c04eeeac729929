import { describe, expect, it } from 'vitest';
import { SendBuffer } from '../../../src/quic/stream/send-buffer.js';
import { sharedArena } from '../../../src/quic/wire/byte-arena.js';

/** `n` bytes whose value depends on the stream offset and a tag. */
function pattern(offset: number, n: number, tag: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = ((offset + i) * 13 + tag) & 0xff;
  return out;
}

const CHUNK = 16 * 1024;

describe('SendBuffer chunks in the shared byte arena', () => {
  it('stores full chunks as arena slabs and gives them back when acknowledged', () => {
    const arena = sharedArena();
    const live0 = arena.liveSlabs;
    const b = new SendBuffer();
    b.write(pattern(0, 3 * CHUNK + 100, 1));
    // Three full chunks are slabs, and so is the 100-byte tail's chunk (past the first CHUNK
    // bytes every chunk is full-size, with room for later writes).
    expect(arena.liveSlabs).toBe(live0 + 4);
    // Small writes fill the tail chunk: no new slab, no new array.
    b.write(pattern(3 * CHUNK + 100, 50, 1));
    b.write(pattern(3 * CHUNK + 150, 7, 1));
    expect(arena.liveSlabs).toBe(live0 + 4);
    expect(b.writeOffset).toBe(3 * CHUNK + 157);
    for (let off = 0; off < b.writeOffset;) {
      const r = b.next(1200, Infinity)!;
      expect(r.offset).toBe(off);
      expect([...r.data]).toEqual([...pattern(off, r.length, 1)]);
      // Every range is read from the arena (a chunk, or the gather slab when it straddles two).
      expect(r.source.buffer).toBe(arena.buffer);
      off += r.length;
    }
    b.onAcked(0, 2 * CHUNK);
    // Two chunks released; the third, the tail's and the gather slab are still held.
    expect(arena.liveSlabs).toBe(live0 + 3);
    b.clear();
    expect(arena.liveSlabs).toBe(live0);
  });

  it('keeps the small writes of a stream that sent under a chunk in exact-size arrays, not slabs', () => {
    const arena = sharedArena();
    const live0 = arena.liveSlabs;
    const b = new SendBuffer();
    for (let off = 0; off < 4000; off += 400) b.write(pattern(off, 400, 3));
    expect(arena.liveSlabs).toBe(live0);
    for (let off = 0; off < b.writeOffset;) {
      const r = b.next(1200, Infinity)!;
      expect([...r.data]).toEqual([...pattern(off, r.length, 3)]);
      off += r.length;
    }
    b.clear();
    expect(arena.liveSlabs).toBe(live0);
  });

  it('writes after a release take slabs again and send the new bytes', () => {
    const arena = sharedArena();
    const live0 = arena.liveSlabs;
    const b = new SendBuffer();
    for (let round = 0; round < 5; round++) {
      const start = b.writeOffset;
      b.write(pattern(start, 2 * CHUNK, round));
      for (let off = start; off < start + 2 * CHUNK;) {
        const r = b.next(1300, Infinity)!;
        expect([...r.data]).toEqual([...pattern(off, r.length, round)]);
        off += r.length;
      }
      b.onAcked(start, 2 * CHUNK);
    }
    // Only the gather slab stays live between rounds.
    expect(arena.liveSlabs).toBe(live0 + 1);
    b.clear();
    expect(arena.liveSlabs).toBe(live0);
  });
});
