import { describe, expect, it } from 'vitest';
import { SlotQueue } from '../../src/quic/slot-queue.js';

/** The queue's storage, to check that it stops growing. */
const slotsOf = (q: SlotQueue<number>): unknown[] => (q as unknown as { slots: unknown[] }).slots;

describe('SlotQueue', () => {
  it('returns items first in first out, across refills after emptying', () => {
    const q = new SlotQueue<number>();
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
    const q = new SlotQueue<number>();
    const ref: number[] = [];
    let seed = 12345;
    for (let i = 0; i < 5000; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      if (seed % 3 === 0) expect(q.shift()).toBe(ref.shift());
      else { q.push(i); ref.push(i); }
      expect(q.length).toBe(ref.length);
    }
  });

  it('behaves as an array used as a queue (push, shift, pop, at, last), in a random run', () => {
    const q = new SlotQueue<number>();
    const model: number[] = [];
    let seed = 12345;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed % n;
    };
    for (let step = 0; step < 20_000; step++) {
      const op = rand(10);
      if (op < 5) {
        q.push(step);
        model.push(step);
      } else if (op < 8) {
        expect(q.shift()).toBe(model.shift());
      } else if (op < 9) {
        expect(q.pop()).toBe(model.pop());
      } else {
        const i = rand(model.length + 2) - 1;
        expect(q.at(i)).toBe(i >= 0 ? model[i] : undefined);
      }
      expect(q.length).toBe(model.length);
      expect(q.last()).toBe(model[model.length - 1]);
    }
  });

  it('keeps its storage at the largest number held while entries flow through it', () => {
    const q = new SlotQueue<number>();
    for (let i = 0; i < 10; i++) q.push(i);
    for (let i = 10; i < 20_000; i++) {
      q.push(i);
      expect(q.shift()).toBe(i - 10);
    }
    expect(q.length).toBe(10);
    expect(slotsOf(q).length).toBe(11);
    expect([0, 1, 9].map((i) => q.at(i))).toEqual([19_990, 19_991, 19_999]);
  });

  it('drops the references of removed entries', () => {
    const q = new SlotQueue<number>();
    for (let i = 0; i < 4; i++) q.push(i);
    q.shift();
    q.pop();
    expect(slotsOf(q).filter((x) => x !== undefined)).toEqual([1, 2]);
    // Compaction moves the live entries to the front and clears the slots they left.
    q.push(3);
    q.push(4);
    expect(slotsOf(q)).toEqual([1, 2, 3, 4]);
    q.shift();
    q.shift();
    q.push(5);
    expect(slotsOf(q)).toEqual([3, 4, 5, undefined]);
    expect(q.at(-1)).toBeUndefined();
    expect(q.at(3)).toBeUndefined();
    while (q.length > 0) q.pop();
    expect(q.shift()).toBeUndefined();
    expect(q.pop()).toBeUndefined();
    expect(q.last()).toBeUndefined();
  });
});
