import { describe, expect, it } from 'vitest';
import { HeapError, PluginHeap } from '../../src/plugins/heap.js';

describe('PluginHeap', () => {
  it('allocates aligned, disjoint blocks inside the heap and returns 0 when full', () => {
    const h = new PluginHeap(0x10000, 1024);
    const a = h.malloc(10);
    const b = h.malloc(100);
    expect(a).toBe(0x10000);
    expect(b).toBe(0x10010);
    expect(b % 16).toBe(0);
    expect(h.malloc(2000)).toBe(0);
    expect(h.malloc(0)).toBe(0);
    expect(h.malloc(-1)).toBe(0);
    expect(h.bytesUsed).toBe(16 + 112);
  });

  it('coalesces the buffers the host lent once released, so a large block fits again', () => {
    const h = new PluginHeap(0x1000, 4096);
    const blocks = Array.from({ length: 16 }, () => h.mallocHost(256));
    expect(h.malloc(16)).toBe(0);
    for (const b of blocks) h.freeHostBlock(b);
    expect(h.bytesUsed).toBe(0);
    expect(h.malloc(4096)).toBe(0x1000);
  });

  it('keeps a freed block for its own allocation site and size', () => {
    const h = new PluginHeap(0x1000, 4096);
    const a = h.malloc(32, 7);
    h.freeBlock(a);
    expect(h.bytesPooled).toBe(32);
    // Another site, or the same site with another size, never gets a's memory.
    const b = h.malloc(32, 8);
    const c = h.malloc(64, 7);
    expect([b, c]).not.toContain(a);
    expect(h.malloc(20, 7)).toBe(a); // 20 rounds to a's 32 bytes
    expect(h.bytesPooled).toBe(0);
  });

  it('zeroes every block it hands out, reused or fresh', () => {
    const mem = new Uint8Array(0x2000).fill(0xaa);
    const h = new PluginHeap(0x1000, 4096, (addr, n) => mem.fill(0, addr, addr + n));
    const a = h.malloc(24, 1);
    expect([...mem.subarray(a, a + 32)].every((x) => x === 0)).toBe(true);
    expect(mem[a + 32]).toBe(0xaa);
    mem.fill(0x55, a, a + 32);
    h.freeBlock(a);
    expect(h.malloc(24, 1)).toBe(a);
    expect([...mem.subarray(a, a + 32)].every((x) => x === 0)).toBe(true);
  });

  it('refuses a heap at address 0, where a block would look like NULL', () => {
    expect(() => new PluginHeap(0, 64)).toThrow(/address 0/);
  });

  it('reports double and foreign frees instead of corrupting itself', () => {
    const h = new PluginHeap(0x1000, 1024);
    const a = h.malloc(32);
    h.freeBlock(a);
    expect(() => h.freeBlock(a)).toThrow(HeapError);
    expect(() => h.freeBlock(12345)).toThrow(/not a block allocated by my_malloc/);
    h.freeBlock(0);
  });

  it('keeps the blocks the host lends for a call out of the plugin\'s my_free and my_realloc', () => {
    const h = new PluginHeap(0x1000, 1024);
    const g = h.mallocHost(64);
    expect(() => h.freeBlock(g)).toThrow(/a buffer the host granted for this call/);
    expect(() => h.realloc(g, 128, () => {}, 1)).toThrow(/a buffer the host granted for this call/);
    expect(h.blocks).toBe(1);
    h.freeHostBlock(g);
    expect(h.blocks).toBe(0);
    expect(() => h.freeHostBlock(g)).toThrow(HeapError);
    const own = h.malloc(16);
    expect(() => h.freeHostBlock(own)).toThrow(/not a block the host lent/);
    h.freeBlock(own);
  });

  it('reallocates into a block of the realloc\'s own site, never in place', () => {
    const h = new PluginHeap(0x1000, 1024);
    const moves: [number, number, number][] = [];
    const mv = (f: number, t: number, n: number) => void moves.push([f, t, n]);
    const a = h.malloc(32, 1);
    // Growing in place would change the size of a block that site 1's dangling pointers see.
    const a2 = h.realloc(a, 64, mv, 2);
    expect(a2).not.toBe(a);
    expect(moves).toEqual([[a, a2, 32]]);
    expect(h.blockOf(a2)).toEqual({ start: a2, size: 64, site: 2 });
    expect(h.blockOf(a)).toBeUndefined();
    expect(h.malloc(32, 1)).toBe(a); // the old block went back to site 1's pool
    // Shrinking moves too, and copies only what fits.
    const a3 = h.realloc(a2, 16, mv, 3);
    expect(moves[1]).toEqual([a2, a3, 16]);
    const b = h.malloc(16, 4);
    expect(h.realloc(b, 0, mv, 5)).toBe(0);
    expect(h.blockOf(b)).toBeUndefined();
    expect(h.realloc(0, 16, mv, 6)).toBeGreaterThan(0);
    const before = moves.length;
    expect(h.realloc(a3, 100_000, mv, 3)).toBe(0);
    expect(moves.length).toBe(before);
    expect(h.blockOf(a3 + 10)).toEqual({ start: a3, size: 16, site: 3 });
  });

  it('refuses an allocation site out of range', () => {
    const h = new PluginHeap(0x1000, 1024);
    expect(() => h.malloc(16, -1)).toThrow(HeapError);
    expect(() => h.malloc(16, 2 ** 21)).toThrow(HeapError);
  });

  it('never overlaps live blocks, and an address only ever starts blocks of one site and size, under random use', () => {
    let seed = 3;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const h = new PluginHeap(4096, 64 * 1024);
    const live = new Map<number, number>();
    // What a dangling pointer relies on: the first (site, rounded size) an address was handed
    // out for is the only one it is ever handed out for.
    const owner = new Map<number, string>();
    const sizes = [24, 100, 700, 3000];
    for (let i = 0; i < 6_000; i++) {
      if (rnd() < 0.55) {
        const site = Math.floor(rnd() * 6);
        // Sites 0..3 always ask one size; sites 4 and 5 any size.
        const n = site < 4 ? sizes[site]! : 1 + Math.floor(rnd() * 3000);
        const a = h.malloc(n, site);
        if (a === 0) continue;
        for (const [s, len] of live) expect(a + n <= s || a >= s + len).toBe(true);
        expect(a).toBeGreaterThanOrEqual(4096);
        expect(a + n).toBeLessThanOrEqual(4096 + 64 * 1024);
        const key = `${site}:${Math.ceil(n / 16) * 16}`;
        expect(owner.get(a) ?? key).toBe(key);
        owner.set(a, key);
        live.set(a, n);
      } else if (live.size > 0) {
        const keys = [...live.keys()];
        const a = keys[Math.floor(rnd() * keys.length)]!;
        h.freeBlock(a);
        live.delete(a);
      }
    }
    for (const a of live.keys()) h.freeBlock(a);
    expect(h.bytesUsed).toBe(0);
    // Freed memory stays with its site: every address handed out now waits in its pool, once.
    expect(h.bytesPooled).toBe([...owner.values()].reduce((t, k) => t + Number(k.split(':')[1]), 0));
    const a = h.malloc(sizes[0]!, 0);
    expect(owner.get(a)).toBe(`0:${Math.ceil(sizes[0]! / 16) * 16}`);
  });
});
