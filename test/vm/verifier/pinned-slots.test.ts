/**
 * A spilled counter whose id was lost where paths met (stored as the constant 0 on one path, as a
 * number on the other): clang tests one load of the slot and indexes an array with a second load
 * (rlc_try_decode's `if (ne < 4) eq[ne] = i`). The first load pins the slot to a fresh id the
 * register shares (access.ts, pinSlot), so the test bounds the second load too. Each proof has
 * a twin that must stay rejected.
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../../src/vm/asm.js';
import { rawImage } from '../../../src/vm/program.js';
import { verifyProgram, type VerifyResult } from '../../../src/vm/verifier/index.js';
import { pluginHelpers } from '../../../src/plugins/helper-signatures.js';
import { AK_CNX_INPUT, HELPER_IDS } from '../../../src/plugins/abi.js';

const id = (n: string): number => HELPER_IDS.get(n)!;
const verify = (src: string): VerifyResult => verifyProgram(rawImage(assemble(src)), { ...pluginHelpers, policy: 'strict', ctx: 'pluglet' });
const codes = (r: VerifyResult): string[] => r.errors.map((e) => e.code);

/**
 * n = input 0; fp-8 = 0, or n when n <= 1000 (the join keeps [0, 1000] without an id);
 * `test` on a first load of fp-8 into r4; `between`; a second load into r5 indexes a 4-entry
 * u64 array at fp-64.
 */
const program = (test: string, between = ''): string => `mov %r6, %r1
mov %r2, ${AK_CNX_INPUT}
mov %r3, 0
call ${id('get_cnx')}
mov %r3, 0
stxdw [%r10-8], %r3
jgt %r0, 1000, join
stxdw [%r10-8], %r0
join:
ldxdw %r4, [%r10-8]
${test}
${between}
ldxdw %r5, [%r10-8]
lsh %r5, 3
mov %r6, %r10
add %r6, -64
add %r6, %r5
stdw [%r6], 7
out:
mov %r0, 0
exit`;

describe('a test on one load of a spilled number bounds the next load', () => {
  it('if (ne < 4) eq[ne] = x, with ne loaded twice: accepted', () => {
    expect(codes(verify(program('jgt %r4, 3, out')))).toEqual([]);
  });

  it('twin: no test, ne up to 1000 indexes past the frame', () => {
    expect(codes(verify(program('')))).toEqual(['OUT_OF_BOUNDS']);
  });

  it('twin: the slot written between the two loads (the test bounds the old value only)', () => {
    expect(codes(verify(program('jgt %r4, 3, out', 'stxdw [%r10-8], %r0')))).toEqual(['OUT_OF_BOUNDS']);
  });

  it('twin: a byte of the slot rewritten between the loads', () => {
    expect(codes(verify(program('jgt %r4, 3, out', 'mov %r7, 200\nstxb [%r10-8], %r7')))).toEqual(['OUT_OF_BOUNDS']);
  });
});
