/**
 * Soundness of the initialized ranges (src/vm/verifier/inits.ts) on random loop fills: whenever
 * the verifier finds a stack read initialized, every byte it reads was written by the loop on
 * the one path the program has (computed here by replaying the loop). Strides, widths, store
 * offsets, counts and the read are drawn at random, downward and gapped fills included.
 */
import { describe, expect, it } from 'vitest';
import { seeded as rng, verifyAsm } from './util.js';


const WIDTHS = [1, 2, 4, 8] as const;
const SUFFIX: Record<number, string> = { 1: 'b', 2: 'h', 4: 'w', 8: 'dw' };

interface Case {
  start: number;
  stride: number;
  width: number;
  off: number;
  count: number;
  /** Read: [base, base + span + width) through a masked index when span > 0, else at base. */
  base: number;
  span: number;
  rwidth: number;
}

function source(c: Case): string {
  const read = c.span > 0
    ? ['mov %r0, %r2', `and %r0, ${c.span}`, 'mov %r5, %r10', `add %r5, ${c.base}`, 'add %r5, %r0', `ldx${SUFFIX[c.rwidth]} %r0, [%r5]`]
    : [`ldx${SUFFIX[c.rwidth]} %r0, [%r10${c.base < 0 ? c.base : `+${c.base}`}]`];
  return [
    'mov %r3, 0', 'mov %r4, %r10', `add %r4, ${c.start}`,
    'l:', `stx${SUFFIX[c.width]} [%r4${c.off < 0 ? c.off : `+${c.off}`}], %r3`, `add %r4, ${c.stride}`, 'add %r3, 1', `jne %r3, ${c.count}, l`,
    ...read, 'exit',
  ].join('\n');
}

/** The bytes (offsets from r10) the loop writes. */
function written(c: Case): Set<number> {
  const out = new Set<number>();
  for (let i = 0; i < c.count; i++) for (let b = 0; b < c.width; b++) out.add(c.start + i * c.stride + c.off + b);
  return out;
}

describe('verifier: initialized ranges on random loop fills', () => {
  it('never calls a read initialized that reads a byte the loop did not write', () => {
    const next = rng(0x5eed1234);
    let accepted = 0;
    for (let k = 0; k < 600; k++) {
      const width = WIDTHS[next(4)]!;
      const stride = [width, width, width, 2 * width, -width, width + 1, 1][next(7)]!;
      const c: Case = {
        start: -8 * (1 + next(16)), stride, width, off: next(5) - 2, count: 1 + next(20),
        base: -8 * (1 + next(16)) + next(8), span: [0, 0, 3, 7, 15, 31][next(6)]!, rwidth: WIDTHS[next(4)]!,
      };
      // Half the reads aim inside what the loop covers, where the fact has to decide.
      if (next(2) === 0 && stride > 0) c.base = c.start + c.off + next(Math.max(1, c.count * stride));
      const src = source(c);
      const r = verifyAsm(src, { ctx: 'mem' });
      const readPc = src.split('\n').filter((l) => !l.endsWith(':')).length - 2;
      if (r.errors.some((e) => e.pc === readPc && e.code === 'UNINIT_STACK')) continue;
      if (r.errors.some((e) => e.pc === readPc)) continue; // out of the frame: rejected for that
      accepted++;
      const w = written(c);
      for (let b = c.base; b < c.base + c.span + c.rwidth; b++) expect(w.has(b), `${JSON.stringify(c)}: byte ${b} read, never written\n${src}`).toBe(true);
    }
    // The generator must reach the interesting side too: fills that do initialize what is read.
    expect(accepted).toBeGreaterThan(50);
  });
});
