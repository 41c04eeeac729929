/**
 * The rounds of the heap-cell summary (src/vm/verifier/cell-rounds.ts) with stand-in objects: a
 * field first written in a later round is widened to any number, and the narrowing rounds win
 * its bound back even when the narrower type lets an object write something new (fec's protect:
 * a copy whose length was any number is proven once the length is bounded, and its block then
 * holds what it copied). An object whose writes keep growing keeps the widened summary.
 */
import { describe, expect, it } from 'vitest';
import { cellRounds, type CellRun } from '../../../src/vm/verifier/cell-rounds.js';
import { CellSummary } from '../../../src/vm/verifier/cells.js';
import { scalarU } from '../../../src/vm/verifier/scalar.js';
import type { CellFact, HeapCells, HeapWrite, VerifyResult } from '../../../src/vm/verifier/types.js';

const SITE = 1;
const range = (lo: bigint, hi: bigint): CellFact => ({ kind: 'scalar', s: scalarU(lo, hi)! });
const store = (off: number, fact: CellFact): HeapWrite => ({ kind: 'store', site: SITE, lo: BigInt(off), hi: BigInt(off), width: 8, mod: 1 << 16, res: off, fact });
const read = (c: HeapCells, off: number): CellFact => c.read([SITE], BigInt(off), BigInt(off), 8, 1 << 16, off);
const verdict = (ok: boolean): VerifyResult => ({ ok, errors: [], provenAccesses: new Set(), unboundedLoops: [], steps: 0 } as unknown as VerifyResult);
const bounded = (f: CellFact, max: bigint): boolean => f.kind === 'null' || (f.kind === 'scalar' && f.s.umax <= max);

/**
 * Object 0 turns field 0 on (writes 1). Object 1 writes a length in [5, 1400] to field 8 once
 * field 0 is on (so first in round 2, widened), and when field 8 reads at most 1400 it also
 * writes field 16: what its copy writes once proven. With `grow`, the proven path also steps a
 * counter in field 24 (read, then written + 1): under the narrowed type it never settles.
 */
function objects(grow: boolean): CellRun {
  return (i, cells, record) => {
    if (i === 0) {
      record(store(0, range(1n, 1n)));
      return verdict(true);
    }
    if (read(cells, 0).kind === 'null') return verdict(true);
    record(store(8, range(5n, 1400n)));
    const proven = bounded(read(cells, 8), 1400n);
    if (proven) record(store(16, range(0n, 255n)));
    if (grow && proven) {
      const c = read(cells, 24);
      record(store(24, c.kind === 'number' || c.kind === 'heap' ? { kind: 'number' } : range(0n, (c.kind === 'scalar' ? c.s.umax : 0n) + 1n)));
    }
    return verdict(proven);
  };
}

describe('cellRounds: narrowing after widening', () => {
  it('wins back a bound first written in a later round, with the writes the narrower type allows', () => {
    const found = cellRounds([0, 1], [], objects(false), 8);
    expect(bounded(read(found.cells, 8), 1400n)).toBe(true);
    expect(found.verdicts.get(1)!.ok).toBe(true);
    // The summary covers every write the objects make when verified with it.
    const again: HeapWrite[] = [];
    for (const i of [0, 1]) objects(false)(i, found.cells, (w) => again.push(w));
    expect(again.every((w) => (found.cells as CellSummary).covers(w))).toBe(true);
  });

  it('twin: writes that keep growing from the narrowed summary keep the widened one', () => {
    const found = cellRounds([0, 1], [], objects(true), 8);
    expect(read(found.cells, 8)).toEqual({ kind: 'number' });
    expect(found.verdicts.get(1)!.ok).toBe(false);
  });
});
