import { describe, expect, it } from 'vitest';
import { RangeSet } from '../../../src/quic/recovery/rangeset.js';
import { Prng } from './prng.js';

function set(...ranges: [number, number][]): RangeSet {
  return new RangeSet(ranges);
}

describe('RangeSet.add', () => {
  it('keeps disjoint ranges sorted', () => {
    const r = new RangeSet();
    r.add(10, 20);
    r.add(0, 5);
    r.add(30, 40);
    expect(r.toArray()).toEqual([[0, 5], [10, 20], [30, 40]]);
  });

  it('adds a single value when end is omitted', () => {
    const r = new RangeSet();
    r.add(7);
    expect(r.toArray()).toEqual([[7, 8]]);
  });

  it('merges adjacent ranges on both sides', () => {
    const r = set([0, 5], [10, 15]);
    r.add(5, 10);
    expect(r.toArray()).toEqual([[0, 15]]);
  });

  it('merges overlapping ranges and swallows several', () => {
    const r = set([0, 2], [4, 6], [8, 10], [12, 14], [20, 30]);
    r.add(1, 13);
    expect(r.toArray()).toEqual([[0, 14], [20, 30]]);
  });

  it('ignores an empty range and re-adding a covered one', () => {
    const r = set([0, 10]);
    r.add(3, 3);
    r.add(2, 8);
    expect(r.toArray()).toEqual([[0, 10]]);
  });

  it('rejects inverted or non-integer ranges', () => {
    const r = new RangeSet();
    expect(() => r.add(5, 4)).toThrow(RangeError);
    expect(() => r.add(0.5, 4)).toThrow(RangeError);
    expect(() => r.subtract(3, 1)).toThrow(RangeError);
  });
});

describe('RangeSet.subtract', () => {
  it('splits a range in two', () => {
    const r = set([0, 10]);
    r.subtract(3, 6);
    expect(r.toArray()).toEqual([[0, 3], [6, 10]]);
  });

  it('trims ends and removes whole ranges', () => {
    const r = set([0, 5], [10, 15], [20, 25]);
    r.subtract(3, 22);
    expect(r.toArray()).toEqual([[0, 3], [22, 25]]);
  });

  it('leaves touching ranges alone', () => {
    const r = set([0, 5], [10, 15]);
    r.subtract(5, 10);
    expect(r.toArray()).toEqual([[0, 5], [10, 15]]);
  });

  it('removes a single value', () => {
    const r = set([0, 3]);
    r.subtract(1);
    expect(r.toArray()).toEqual([[0, 1], [2, 3]]);
  });
});

describe('RangeSet queries', () => {
  const r = set([0, 5], [10, 15], [20, 25]);

  it('has', () => {
    expect([0, 4, 5, 9, 10, 14, 15, 24, 25].map((v) => r.has(v))).toEqual([true, true, false, false, true, true, false, true, false]);
  });

  it('first, last, at, length, size', () => {
    expect(r.first()).toEqual([0, 5]);
    expect(r.last()).toEqual([20, 25]);
    expect(r.at(1)).toEqual([10, 15]);
    expect(r.at(3)).toBeUndefined();
    expect(r.length).toBe(3);
    expect(r.size).toBe(15);
    expect(new RangeSet().first()).toBeUndefined();
    expect(new RangeSet().last()).toBeUndefined();
  });

  it('iterates ascending and descending', () => {
    expect([...r]).toEqual([[0, 5], [10, 15], [20, 25]]);
    expect([...r.descending()]).toEqual([[20, 25], [10, 15], [0, 5]]);
  });

  it('covers, intersects, rangeContaining', () => {
    expect(r.covers(10, 15)).toBe(true);
    expect(r.covers(10, 16)).toBe(false);
    expect(r.covers(4, 11)).toBe(false);
    expect(r.covers(7, 7)).toBe(true);
    expect(r.intersects(5, 10)).toBe(false);
    expect(r.intersects(5, 11)).toBe(true);
    expect(r.intersects(24, 100)).toBe(true);
    expect(r.intersects(25, 100)).toBe(false);
    expect(r.rangeContaining(12)).toEqual([10, 15]);
    expect(r.rangeContaining(15)).toBeUndefined();
  });

  it('gaps lists the missing parts of an interval', () => {
    expect(r.gaps(0, 30)).toEqual([[5, 10], [15, 20], [25, 30]]);
    expect(r.gaps(2, 12)).toEqual([[5, 10]]);
    expect(r.gaps(11, 14)).toEqual([]);
    expect(r.gaps(30, 40)).toEqual([[30, 40]]);
    expect(new RangeSet().gaps(3, 9)).toEqual([[3, 9]]);
  });
});

describe('RangeSet.shift', () => {
  it('drops everything below a value, cutting a straddling range', () => {
    const r = set([0, 5], [10, 15], [20, 25]);
    r.shift(12);
    expect(r.toArray()).toEqual([[12, 15], [20, 25]]);
    r.shift(15);
    expect(r.toArray()).toEqual([[20, 25]]);
    r.shift(100);
    expect(r.isEmpty).toBe(true);
  });

  it('shiftRange removes the lowest range', () => {
    const r = set([0, 5], [10, 15]);
    expect(r.shiftRange()).toEqual([0, 5]);
    expect(r.toArray()).toEqual([[10, 15]]);
  });
});

describe('RangeSet cap', () => {
  it('drops the oldest (lowest) ranges beyond maxRanges', () => {
    const r = new RangeSet([], 3);
    for (let pn = 0; pn < 20; pn += 2) r.add(pn);
    expect(r.toArray()).toEqual([[14, 15], [16, 17], [18, 19]]);
  });

  it('keeps the cap as a whole number: uncapped sets keep every range, a fractional cap rounds down', () => {
    const free = new RangeSet();
    expect(Number.isInteger(free.maxRanges)).toBe(true);
    for (let pn = 0; pn < 2000; pn += 2) free.add(pn);
    expect(free.length).toBe(1000);
    const r = new RangeSet([], 2.5);
    expect(r.maxRanges).toBe(2);
    for (let pn = 0; pn < 10; pn += 2) r.add(pn);
    expect(r.toArray()).toEqual([[6, 7], [8, 9]]);
    expect(() => new RangeSet([], 0.5)).toThrow(RangeError);
  });

  it('a merge that reduces the count keeps everything', () => {
    const r = new RangeSet([[0, 1], [2, 3], [4, 5]], 3);
    r.add(1, 2);
    expect(r.toArray()).toEqual([[0, 3], [4, 5]]);
  });

  it('a split past the cap drops the lowest piece', () => {
    const r = new RangeSet([[0, 10], [20, 30]], 2);
    r.subtract(25);
    expect(r.toArray()).toEqual([[20, 25], [26, 30]]);
  });

  it('stays bounded under adversarial scattered inserts', () => {
    const prng = new Prng(7);
    const r = new RangeSet([], 16);
    for (let i = 0; i < 5000; i++) r.add(prng.int(0, 1_000_000));
    expect(r.length).toBeLessThanOrEqual(16);
  });
});

describe('RangeSet against a reference set (seeded)', () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    it(`seed ${seed}`, () => {
      const prng = new Prng(seed);
      const r = new RangeSet();
      const ref = new Set<number>();
      for (let step = 0; step < 400; step++) {
        const start = prng.int(0, 200);
        const end = start + prng.int(0, 12);
        const op = prng.int(0, 9);
        if (op < 6) {
          r.add(start, end);
          for (let v = start; v < end; v++) ref.add(v);
        } else if (op < 9) {
          r.subtract(start, end);
          for (let v = start; v < end; v++) ref.delete(v);
        } else {
          r.shift(start);
          for (const v of [...ref]) if (v < start) ref.delete(v);
        }
        // Invariants: sorted, disjoint, non-adjacent, non-empty ranges.
        const ranges = r.toArray();
        for (let i = 0; i < ranges.length; i++) {
          expect(ranges[i]![0]).toBeLessThan(ranges[i]![1]);
          if (i > 0) expect(ranges[i - 1]![1]).toBeLessThan(ranges[i]![0]);
        }
        expect(r.size).toBe(ref.size);
        // The non-allocating accessors agree with the tuples and the reference.
        ranges.forEach(([a, b], i) => expect([r.startAt(i), r.endAt(i)]).toEqual([a, b]));
        expect(r.startAt(ranges.length)).toBeNaN();
        const q = prng.int(0, 210);
        const qEnd = q + prng.int(1, 15);
        let disjoint = true;
        for (let v = q; v < qEnd; v++) if (ref.has(v)) disjoint = false;
        expect(r.isDisjointFrom(q, qEnd)).toBe(disjoint);
      }
      for (let v = 0; v < 220; v++) expect(r.has(v)).toBe(ref.has(v));
    });
  }
});
