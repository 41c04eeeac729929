import { describe, expect, it } from 'vitest';
import { DatagramPool } from '../../../src/quic/endpoint/datagram-pool.js';
import { sharedArena } from '../../../src/quic/wire/byte-arena.js';

describe('DatagramPool', () => {
  const make = (capacity = 4) => {
    const sent: { err: Error | null; counted: boolean }[] = [];
    const pool = new DatagramPool(64, capacity, (err, counted) => sent.push({ err, counted }));
    return { pool, sent };
  };

  it('peek does not reserve: the same buffer comes back until it is taken', () => {
    const { pool } = make();
    const a = pool.peek(10);
    expect(pool.peek(10)).toBe(a);
    expect(pool.busy).toBe(0);
    pool.take(a, false);
    expect(pool.busy).toBe(1);
    expect(pool.peek(10)).not.toBe(a);
  });

  it('a send callback frees its own buffer, whatever the completion order', () => {
    const { pool, sent } = make();
    const bufs: Uint8Array[] = [];
    const done: ((e: Error | null) => void)[] = [];
    for (let i = 0; i < 3; i++) {
      const b = pool.peek(64);
      bufs.push(b);
      done.push(pool.take(b, i === 1));
    }
    expect(new Set(bufs).size).toBe(3);
    expect(pool.busy).toBe(3);
    done[1]!(null);
    // The buffer freed last is the one handed out next.
    expect(pool.peek(1)).toBe(bufs[1]);
    done[2]!(new Error('EHOSTUNREACH'));
    done[0]!(null);
    expect(pool.busy).toBe(0);
    expect(sent.map((s) => s.counted)).toEqual([true, false, false]);
    expect(sent[1]!.err?.message).toBe('EHOSTUNREACH');
    expect(pool.count).toBe(3);
  });

  it('falls back to fresh buffers when exhausted or too small, and counts it', () => {
    const { pool, sent } = make(2);
    for (let i = 0; i < 2; i++) pool.take(pool.peek(8), false);
    const extra = pool.peek(8);
    expect(extra.length).toBe(64);
    expect(pool.misses).toBe(1);
    const cb = pool.take(extra, true);
    cb(null);
    expect(sent).toEqual([{ err: null, counted: true }]);
    expect(pool.busy).toBe(2);
  });

  it('grows its buffers for a connection that needs bigger ones', () => {
    const { pool } = make(2);
    const small = pool.peek(8);
    const done = pool.take(small, false);
    const big = pool.peek(100);
    expect(big.length).toBe(100);
    expect(pool.size).toBe(100);
    done(null);
    // The small buffer came back free: it is replaced when handed out for a big datagram.
    const again = pool.peek(100);
    expect(again.length).toBe(100);
    expect(again).not.toBe(small);
    expect(pool.misses).toBe(0);
  });

  it('rejects nonsense sizes', () => {
    expect(() => new DatagramPool(0, 1, () => {})).toThrow(/buffer size/);
    expect(() => new DatagramPool(10, -1, () => {})).toThrow(/capacity/);
  });
});

describe('DatagramPool buffers in the shared byte arena', () => {
  it('carves slot buffers from the arena and gives them back on dispose, busy ones when their send completes', () => {
    const arena = sharedArena();
    const live0 = arena.liveSlabs;
    const pool = new DatagramPool(1500, 4, () => {});
    const a = pool.peek(1500);
    expect(a.buffer).toBe(arena.buffer);
    const doneA = pool.take(a, false);
    const b = pool.peek(1500);
    expect(b.buffer).toBe(arena.buffer);
    expect(arena.liveSlabs).toBe(live0 + 2);
    pool.dispose();
    // b was free: back at once; a is still with the socket.
    expect(arena.liveSlabs).toBe(live0 + 1);
    doneA(null);
    expect(arena.liveSlabs).toBe(live0);
    // After dispose the pool hands out ordinary arrays.
    expect(pool.peek(100).buffer).not.toBe(arena.buffer);
  });

  it('replaces a slot too small for a larger datagram with a larger slab, releasing the old one', () => {
    const arena = sharedArena();
    const pool = new DatagramPool(1200, 2, () => {});
    const small = pool.peek(1200);
    const live = arena.liveSlabs;
    const big = pool.peek(1400);
    expect(big.length).toBe(1400);
    expect(big.buffer).toBe(arena.buffer);
    expect(arena.liveSlabs).toBe(live);
    expect(arena.release(small)).toBe(false);
    pool.dispose();
  });
});
