import { describe, expect, it } from 'vitest';
import { FreeList } from '../../../src/quic/free-list.js';

describe('FreeList', () => {
  it('hands back the last released item first and nothing when empty', () => {
    const l = new FreeList<object>(8);
    expect(l.take()).toBeUndefined();
    const a = {}; const b = {};
    l.give(a); l.give(b);
    expect(l.size).toBe(2);
    expect(l.take()).toBe(b);
    expect(l.take()).toBe(a);
    expect(l.take()).toBeUndefined();
    l.give(b);
    expect(l.take()).toBe(b);
  });

  it('keeps at most max items', () => {
    const l = new FreeList<number>(3);
    for (let i = 0; i < 10; i++) l.give(i);
    expect(l.size).toBe(3);
    expect([l.take(), l.take(), l.take(), l.take()]).toEqual([2, 1, 0, undefined]);
  });

  it('clear drops every item and keeps working', () => {
    const l = new FreeList<object>(4);
    const a = {}; const b = {};
    l.give(a); l.give(b);
    l.clear();
    expect(l.size).toBe(0);
    expect(l.take()).toBeUndefined();
    l.give(b);
    expect(l.take()).toBe(b);
    expect(l.take()).toBeUndefined();
  });
});
