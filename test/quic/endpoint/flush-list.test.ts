import { describe, expect, it } from 'vitest';
import { FlushList } from '../../../src/quic/endpoint/flush-list.js';

interface Item {
  name: string;
  flushQueued: boolean;
}
const item = (name: string): Item => ({ name, flushQueued: false });

/** The names a full walk yields. */
function walk(list: FlushList<Item>, during?: (e: Item) => void): string[] {
  const out: string[] = [];
  const n = list.take();
  for (let i = 0; i < n; i++) {
    const e = list.entry(i);
    if (e === undefined) continue;
    out.push(e.name);
    during?.(e);
  }
  return out;
}

describe('FlushList', () => {
  it('yields each added entry once, in order, and is empty after a walk', () => {
    const list = new FlushList<Item>();
    const [a, b, c] = [item('a'), item('b'), item('c')];
    expect(list.isEmpty).toBe(true);
    list.add(a);
    list.add(b);
    list.add(a);
    list.add(c);
    expect(list.isEmpty).toBe(false);
    expect(walk(list)).toEqual(['a', 'b', 'c']);
    expect(list.isEmpty).toBe(true);
    expect(walk(list)).toEqual([]);
    expect([a, b, c].some((e) => e.flushQueued)).toBe(false);
  });

  it('skips removed entries, even removed and added again before the walk (once)', () => {
    const list = new FlushList<Item>();
    const [a, b] = [item('a'), item('b')];
    list.add(a);
    list.add(b);
    list.remove(a);
    expect(walk(list)).toEqual(['b']);
    list.add(a);
    list.remove(a);
    list.add(a);
    expect(walk(list)).toEqual(['a']);
  });

  it('an entry added during a walk, itself included, waits for the next walk', () => {
    const list = new FlushList<Item>();
    const [a, b, c] = [item('a'), item('b'), item('c')];
    list.add(a);
    list.add(b);
    expect(walk(list, (e) => {
      list.add(e);
      list.add(c);
    })).toEqual(['a', 'b']);
    expect(walk(list)).toEqual(['a', 'c', 'b']);
  });

  it('a walk that stopped early leaves the entries it did not reach for the next one', () => {
    const list = new FlushList<Item>();
    const [a, b, c] = [item('a'), item('b'), item('c')];
    list.add(a);
    list.add(b);
    list.add(c);
    expect(list.take()).toBe(3);
    expect(list.entry(0)?.name).toBe('a');
    expect(list.entry(5)).toBeUndefined();
    list.add(a);
    expect(walk(list)).toEqual(['a', 'b', 'c']);
  });

  it('clear unmarks everything, waiting or in a walk', () => {
    const list = new FlushList<Item>();
    const [a, b, c] = [item('a'), item('b'), item('c')];
    list.add(a);
    list.add(b);
    list.take();
    list.add(c);
    list.clear();
    expect([a, b, c].map((e) => e.flushQueued)).toEqual([false, false, false]);
    expect(list.isEmpty).toBe(true);
    expect(walk(list)).toEqual([]);
    list.add(b);
    expect(walk(list)).toEqual(['b']);
  });

  it('keeps its arrays: a steady flow of adds and walks reuses the same storage', () => {
    const list = new FlushList<Item>();
    const items = Array.from({ length: 5 }, (_, i) => item(String(i)));
    const arrays = (): unknown[] => {
      const l = list as unknown as { pending: unknown[]; walking: unknown[] };
      return [l.pending, l.walking];
    };
    for (const e of items) list.add(e);
    walk(list);
    for (const e of items) list.add(e);
    walk(list);
    const before = new Set(arrays());
    for (let round = 0; round < 100; round++) {
      for (const e of items) list.add(e);
      expect(walk(list)).toHaveLength(5);
    }
    expect(new Set(arrays())).toEqual(before);
  });
});
