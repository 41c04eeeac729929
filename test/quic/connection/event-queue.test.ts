import { describe, expect, it } from 'vitest';
import { EventQueue } from '../../../src/quic/connection/event-queue.js';

describe('EventQueue', () => {
  it('returns items first in first out, across refills after emptying', () => {
    const q = new EventQueue<number>();
    expect(q.shift()).toBeUndefined();
    q.push(1); q.push(2); q.push(3);
    expect(q.shift()).toBe(1);
    q.push(4);
    expect(q.length).toBe(3);
    expect([q.shift(), q.shift(), q.shift(), q.shift()]).toEqual([2, 3, 4, undefined]);
    expect(q.length).toBe(0);
    q.push(5); q.push(6);
    expect([q.shift(), q.shift()]).toEqual([5, 6]);
  });

  it('matches an array used with push and shift under a random interleaving', () => {
    const q = new EventQueue<number>();
    const ref: number[] = [];
    let seed = 12345;
    for (let i = 0; i < 5000; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      if (seed % 3 === 0) expect(q.shift()).toBe(ref.shift());
      else { q.push(i); ref.push(i); }
      expect(q.length).toBe(ref.length);
    }
  });
});
