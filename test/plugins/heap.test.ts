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

  it('coalesces freed neighbours so a large block fits again', () => {
    const h = new PluginHeap(0x1000, 4096);
    const blocks = Array.from({ length: 16 }, () => h.malloc(256));
    expect(h.malloc(16)).toBe(0);
    for (const b of blocks) h.freeBlock(b);
    expect(h.bytesUsed).toBe(0);
    expect(h.malloc(4096)).toBe(0x1000);
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
    expect(() => h.realloc(g, 128, () => {})).toThrow(/a buffer the host granted for this call/);
    expect(h.blocks).toBe(1);
    h.freeHostBlock(g);
    expect(h.blocks).toBe(0);
    expect(() => h.freeHostBlock(g)).toThrow(HeapError);
    const own = h.malloc(16);
    expect(() => h.freeHostBlock(own)).toThrow(/not a block the host lent/);
    h.freeBlock(own);
  });

  it('reallocates in place when it can, moves otherwise', () => {
    const h = new PluginHeap(0x1000, 1024);
    const moves: [number, number, number][] = [];
    const mv = (f: number, t: number, n: number) => void moves.push([f, t, n]);
    const a = h.malloc(32);
    expect(h.realloc(a, 64, mv)).toBe(a); // the rest of the heap follows it
    const b = h.malloc(16);
    const a2 = h.realloc(a, 256, mv);
    expect(a2).not.toBe(a);
    expect(moves).toEqual([[a, a2, 64]]);
    expect(h.realloc(b, 0, mv)).toBe(0);
    expect(h.realloc(0, 16, mv)).toBeGreaterThanOrEqual(0);
    expect(h.realloc(a2, 100_000, mv)).toBe(0);
    expect(h.blockOf(a2 + 10)).toEqual({ start: a2, size: 256 });
  });

  it('never overlaps live blocks under random use', () => {
    let seed = 3;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const h = new PluginHeap(4096, 64 * 1024);
    const live = new Map<number, number>();
    for (let i = 0; i < 6_000; i++) {
      if (rnd() < 0.55) {
        const n = 1 + Math.floor(rnd() * 3000);
        const a = h.malloc(n);
        if (a === 0) continue;
        for (const [s, len] of live) expect(a + n <= s || a >= s + len).toBe(true);
        expect(a).toBeGreaterThanOrEqual(4096);
        expect(a + n).toBeLessThanOrEqual(4096 + 64 * 1024);
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
    expect(h.malloc(64 * 1024)).toBe(4096);
  });
});
