/** The heap-cell summary's reads, merges and congruences (src/vm/verifier/cells.ts), directly. */
import { describe, expect, it } from 'vitest';
import { ALL_BYTES, CellSummary, heapFill, opaqueCells } from '../../../src/vm/verifier/cells.js';
import { scalarConst, scalarU } from '../../../src/vm/verifier/scalar.js';
import type { CellFact, HeapWrite } from '../../../src/vm/verifier/types.js';

const range = (lo: number, hi: number): CellFact => ({ kind: 'scalar', s: scalarU(BigInt(lo), BigInt(hi))! });
const store = (site: number, lo: number, hi: number, width: number, mod: number, fact: CellFact): HeapWrite => ({ kind: 'store', site, lo: BigInt(lo), hi: BigInt(hi), width, mod, res: lo % mod, fact });
/** An 8-byte load at a constant offset. */
const at = (c: CellSummary, site: number, off: number): CellFact => c.read([site], BigInt(off), BigInt(off), 8, 1 << 16, off);
/** A fact's bounds, or its kind. */
const bounds = (f: CellFact): [bigint, bigint] | string => (f.kind === 'scalar' ? [f.s.umin, f.s.umax] : f.kind);

describe('CellSummary', () => {
  it('a field nothing wrote reads 0; one written reads the join of its stores and 0', () => {
    const c = new CellSummary();
    expect(at(c, 1, 8)).toEqual({ kind: 'null' });
    c.add(store(1, 8, 8, 8, 1 << 16, range(3, 5)));
    c.add(store(1, 8, 8, 8, 1 << 16, range(9, 9)));
    expect(bounds(at(c, 1, 8))).toEqual([0n, 9n]);
    // Another site's field at the same offset is untouched.
    expect(at(c, 2, 8)).toEqual({ kind: 'null' });
  });

  it('a store at offsets of another congruence meets the load only where they overlap', () => {
    const c = new CellSummary();
    // Elements of 32 bytes: field +8 of each element; the load reads field +0 of any element.
    c.add(store(1, 8, 104, 8, 32, range(1000, 1000)));
    expect(c.read([1], 0n, 96n, 8, 32, 0)).toEqual({ kind: 'null' });
    // A 4-byte store at +4 of any element overlaps the load's upper half.
    c.add(store(1, 4, 100, 4, 32, range(1, 1)));
    expect(c.read([1], 0n, 96n, 8, 32, 0)).toEqual({ kind: 'number' });
  });

  it('merges stores to the same fields and returns the record that changed', () => {
    const c = new CellSummary();
    c.add(store(1, 64, 64, 8, 8, range(1, 1)));
    // Start offsets that meet: one record for both.
    const merged = c.add(store(1, 56, 120, 8, 8, range(2, 2)));
    expect([merged?.lo, merged?.hi]).toEqual([56n, 120n]);
    // Apart ([128, 128]): a record of its own.
    expect(c.add(store(1, 128, 128, 8, 8, range(3, 3)))?.lo).toBe(128n);
    expect(c.add(store(1, 80, 80, 8, 8, range(1, 2)))).toBeUndefined();
    expect(c.covers(store(1, 80, 80, 8, 8, range(1, 2)))).toBe(true);
  });

  it('widens a range that grows in a later round to any number', () => {
    const c = new CellSummary();
    c.add(store(1, 0, 0, 8, 1 << 16, range(1, 1)), 1);
    expect(c.widened).toBe(false);
    c.add(store(1, 0, 0, 8, 1 << 16, range(1, 2)), 2);
    expect(at(c, 1, 0)).toEqual({ kind: 'number' });
    expect(c.widened).toBe(true);
  });

  it('a zero fill keeps what covers the load wholly; a poison or a partial fill makes it anything', () => {
    const c = new CellSummary();
    c.add(store(1, 8, 8, 8, 1 << 16, range(2, 2)));
    c.add(heapFill('zero', 1, 0n, 64n));
    expect(bounds(at(c, 1, 8))).toEqual([0n, 2n]);
    c.add(heapFill('zero', 1, 12n, 20n));
    expect(at(c, 1, 8)).toEqual({ kind: 'number' });
    const d = new CellSummary();
    d.add(heapFill('poison', -1, ...ALL_BYTES));
    expect(at(d, 5, 0)).toEqual({ kind: 'number' });
  });

  it('unknown sites read anything, and a helper reading through them may meet any pointer', () => {
    const c = new CellSummary();
    c.add(store(1, 16, 16, 8, 1 << 16, { kind: 'heap', size: 24n, sites: [2] }));
    expect(c.read(null, 16n, 16n, 8, 1 << 16, 16)).toEqual({ kind: 'number' });
    expect(c.holdsPointer([1], 0n, 8n)).toBe(false);
    expect(c.holdsPointer([1], 0n, 24n)).toBe(true);
    expect(c.holdsPointer(null, 0n, 1n)).toBe(true);
    expect(opaqueCells().holdsPointer([7], 0n, 1n)).toBe(true);
    expect(at(opaqueCells(), 7, 0)).toEqual({ kind: 'number' });
  });

  it('a byte stored reads back joined with the block\'s first 0', () => {
    const c = new CellSummary();
    c.add(store(1, 0, 0, 1, 1 << 16, { kind: 'scalar', s: scalarConst(7n) }));
    expect(bounds(c.read([1], 0n, 0n, 1, 1 << 16, 0))).toEqual([0n, 7n]);
  });
});
