/**
 * Soundness of bounds passed back through `n = pos + k` (rels.ts backRels) on random loops:
 * whenever the verifier proves the store, replaying the loop for every length up to 64 keeps
 * each store inside the buffer. Offsets, comparisons (signed and unsigned, either direction),
 * store offsets, widths and steps are drawn at random.
 */
import { describe, expect, it } from 'vitest';
import { seeded as rng, verifyAsm } from './util.js';


const M = (1n << 64n) - 1n;
const signed = (v: bigint): bigint => (v > (M >> 1n) ? v - (1n << 64n) : v);
/** The loop leaves when `n cmp len` holds. */
const CMPS: Record<string, (a: bigint, b: bigint) => boolean> = {
  jgt: (a, b) => a > b, jge: (a, b) => a >= b, jsgt: (a, b) => signed(a) > signed(b), jsge: (a, b) => signed(a) >= signed(b),
  jeq: (a, b) => a === b, jne: (a, b) => a !== b,
};
const SUFFIX: Record<number, string> = { 1: 'b', 2: 'h', 4: 'w', 8: 'dw' };

describe('verifier: bounds through a copy plus a constant, on random loops', () => {
  it('a proven store stays inside the buffer for every length up to 64', () => {
    const next = rng(0xc0ffee);
    let proven = 0;
    for (let k = 0; k < 1000; k++) {
      const cmp = Object.keys(CMPS)[next(6)]!;
      const off = next(19) - 6;
      const width = [1, 2, 4, 8][next(4)]!;
      const store = next(12) - 2;
      const step = 1 + next(8);
      const src = [
        'mov %r0, 0', 'mov %r3, 0',
        'l:', 'mov %r9, %r3', `add %r9, ${off}`, `${cmp} %r9, %r2, out`,
        'mov %r8, %r1', 'add %r8, %r3', `stx${SUFFIX[width]} [%r8${store < 0 ? store : `+${store}`}], %r0`, `add %r3, ${step}`, 'ja l',
        'out:', 'exit',
      ].join('\n');
      if (!verifyAsm(src, { ctx: 'mem', policy: 'checked' }).provenAccesses.has(7)) continue;
      proven++;
      for (let len = 0n; len <= 64n; len++) {
        let pos = 0n;
        for (let trip = 0; trip < 100; trip++) {
          if (CMPS[cmp]!((pos + BigInt(off)) & M, len)) break;
          const at = pos + BigInt(store);
          expect(at >= 0n && at + BigInt(width) <= len, `${src}\nlen ${len}: store at ${at}`).toBe(true);
          pos = (pos + BigInt(step)) & M;
        }
      }
    }
    expect(proven).toBeGreaterThan(25);
  });
});
