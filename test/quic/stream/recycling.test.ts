import { describe, expect, it } from 'vitest';
import { ReassemblyBuffer } from '../../../src/quic/stream/reassembly.js';
import { SendBuffer } from '../../../src/quic/stream/send-buffer.js';
import { sharedArena, takeBytes } from '../../../src/quic/wire/byte-arena.js';

/** `n` bytes whose value depends on the stream offset and a tag, to tell rounds apart. */
function pattern(offset: number, n: number, tag: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = ((offset + i) * 31 + tag) & 0xff;
  return out;
}

const CHUNK = 16 * 1024;
const BLOCK = 64 * 1024;

describe('SendBuffer chunk reuse', () => {
  it('reuses acknowledged chunks for later writes and sends the new bytes, not the old ones', () => {
    const b = new SendBuffer();
    const sources = new Set<Uint8Array>();
    for (let round = 0; round < 6; round++) {
      const start = b.writeOffset;
      b.write(pattern(start, CHUNK, round));
      for (let sent = 0; sent < CHUNK;) {
        const r = b.next(1200, Infinity)!;
        expect(r.offset).toBe(start + sent);
        expect([...r.data]).toEqual([...pattern(r.offset, r.length, round)]);
        sources.add(r.source);
        sent += r.length;
      }
      b.onAcked(start, CHUNK);
      expect(b.bufferedBytes).toBe(0);
    }
    // One chunk buffer carried every round (plus the gather buffer for none: ranges never straddle here).
    expect(sources.size).toBe(1);
  });

  it('a congestion window of released chunks (an ACK frees many at once) comes back as the same slab views', () => {
    const b = new SendBuffer();
    const records = (): object[] => {
      const q = (b as unknown as { chunks: { at(i: number): object | undefined; length: number } }).chunks;
      return Array.from({ length: q.length }, (_, i) => q.at(i)!);
    };
    const round = (tag: number): object[] => {
      const start = b.writeOffset;
      b.write(pattern(start, 20 * CHUNK, tag));
      const held = records();
      for (let r = b.next(1200, Infinity); r; r = b.next(1200, Infinity)) {
        expect([...r.data]).toEqual([...pattern(r.offset, r.length, tag)]);
      }
      b.onAcked(start, 20 * CHUNK);
      expect(b.bufferedBytes).toBe(0);
      return held;
    };
    round(1);
    const second = round(2);
    // The second round's 20 chunks were all released by one ACK and taken again by the third:
    // the arena hands back its slab views, and the buffer makes no object per chunk.
    const third = round(3);
    expect(new Set([...second, ...third]).size).toBe(20);
  });

  it('keeps unacknowledged chunks intact while released ones are rewritten', () => {
    const b = new SendBuffer();
    b.write(pattern(0, 3 * CHUNK, 1));
    while (b.next(1000, Infinity)) { /* send everything */ }
    b.onAcked(0, CHUNK);
    b.write(pattern(3 * CHUNK, CHUNK, 2));
    // The second and third chunks are lost: they come back with their original bytes.
    b.onLost(CHUNK, 2 * CHUNK);
    for (let off = CHUNK; off < 3 * CHUNK;) {
      const r = b.next(1300, Infinity)!;
      expect(r.offset).toBe(off);
      expect([...r.data]).toEqual([...pattern(off, r.length, 1)]);
      off += r.length;
    }
    const r = b.next(1300, Infinity)!;
    expect(r.offset).toBe(3 * CHUNK);
    expect([...r.data]).toEqual([...pattern(3 * CHUNK, r.length, 2)]);
  });
});

describe('ReassemblyBuffer block reuse', () => {
  /** Delivers [0, total) in 1100-byte frames from a datagram-like buffer, taking reads as it goes. */
  function run(buf: ReassemblyBuffer, total: number, take: (n: number) => void): void {
    const datagram = new Uint8Array(1200);
    for (let off = 0; off < total; off += 1100) {
      const n = Math.min(1100, total - off);
      datagram.set(pattern(off, n, 0), 37);
      buf.insertFrom(off, datagram, 37, n);
      take(buf.readable);
    }
  }

  it('readInto reads every byte right while blocks are recycled', () => {
    const buf = new ReassemblyBuffer();
    const total = 5 * BLOCK + 777;
    const got = new Uint8Array(total);
    let at = 0;
    run(buf, total, (n) => {
      at += buf.readInto(got, at, n);
    });
    expect(at).toBe(total);
    expect(got).toEqual(pattern(0, total, 0));
  });

  it('never rewrites a block whose view read() handed out', () => {
    const buf = new ReassemblyBuffer();
    const total = 6 * BLOCK;
    const views: { offset: number; data: Uint8Array }[] = [];
    let offset = 0;
    run(buf, total, () => {
      const data = buf.read();
      views.push({ offset, data });
      offset += data.length;
    });
    expect(offset).toBe(total);
    // Every view still shows its own bytes after later blocks were filled.
    for (const v of views) expect(v.data).toEqual(pattern(v.offset, v.data.length, 0));
  });
});

describe('ReassemblyBuffer with arena blocks (pull reads)', () => {
  /** Inserts [offset, offset + n) in 1200-byte frames carved from a datagram-like buffer. */
  const insert = (r: ReassemblyBuffer, offset: number, n: number, tag: number): void => {
    for (let at = 0; at < n; at += 1200) r.insert(offset + at, pattern(offset + at, Math.min(1200, n - at), tag));
  };

  it('reads exact bytes into an arena destination and gives full blocks back once read', () => {
    const arena = sharedArena();
    const live0 = arena.liveSlabs;
    const r = new ReassemblyBuffer(true);
    const into = takeBytes(40_000);
    let offset = 0;
    for (let round = 0; round < 12; round++) {
      insert(r, offset, 50_000, 1);
      for (let left = 50_000; left > 0;) {
        const n = r.readInto(into, 0, Math.min(left, 40_000));
        expect([...into.subarray(0, n)]).toEqual([...pattern(offset, n, 1)]);
        offset += n;
        left -= n;
      }
    }
    // 600 KB went through: the first blocks are small ordinary arrays, full ones come from the
    // arena and went back to it, so at most one block (plus `into`) is held now.
    expect(arena.liveSlabs - live0).toBeLessThanOrEqual(2);
    arena.release(into);
  });

  it('reuses several freed blocks at once (a hole filled late) with exact bytes and no slab kept', () => {
    const arena = sharedArena();
    const live0 = arena.liveSlabs;
    const r = new ReassemblyBuffer(true);
    const into = takeBytes(64 * 1024);
    let offset = 0;
    for (let round = 0; round < 6; round++) {
      // Everything but the first 1200 bytes arrives (several 64 KiB blocks), then the hole is
      // filled: the reads free all those blocks together, and the next round reuses them.
      const n = 5 * BLOCK;
      insert(r, offset + 1200, n - 1200, 3 + round);
      expect(r.readInto(into, 0, into.length)).toBe(0);
      insert(r, offset, 1200, 3 + round);
      for (let left = n; left > 0;) {
        const k = r.readInto(into, 0, Math.min(left, into.length));
        expect(k).toBeGreaterThan(0);
        expect([...into.subarray(0, k)]).toEqual([...pattern(offset, k, 3 + round)]);
        offset += k;
        left -= k;
      }
    }
    // Only `into` and at most one block still being filled are held: spare records keep no slab.
    expect(arena.liveSlabs - live0).toBeLessThanOrEqual(2);
    arena.release(into);
  });

  it('copies instead of lending an arena block to read(), and releases blocks when discarding', () => {
    const arena = sharedArena();
    const live0 = arena.liveSlabs;
    const r = new ReassemblyBuffer(true);
    insert(r, 0, 4096 + 8192 + 16384 + 32768, 2); // the small blocks
    expect(r.readInto(new Uint8Array(61_440), 0, 61_440)).toBe(61_440);
    insert(r, 61_440, 3 * BLOCK, 2);
    const held = arena.liveSlabs - live0;
    expect(held).toBeGreaterThanOrEqual(3);
    const out = r.read(1000);
    expect([...out]).toEqual([...pattern(61_440, 1000, 2)]);
    expect(arena.owns(out)).toBe(false);
    r.startDiscarding();
    expect(arena.liveSlabs - live0).toBe(0);
  });
});
