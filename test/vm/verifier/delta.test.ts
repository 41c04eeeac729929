/**
 * A copy plus a constant, modulo 2^64 (delta.ts): clang turns `end + 2 > 1400` into
 * `r3 = r0; r3 += -1399; if r3 < -1401`, whose bound on r3 bounds r0 by the interval shifted
 * back, which may wrap around 2^64 (receive_symbol). Each proof has a twin that must stay
 * rejected.
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

/** n = input 0; `pre`; r3 = n + k; if r3 <u -62 goto out; memset(fp-64, 0, n). */
const linked = (k: number, pre: string): string => `mov %r6, %r1
mov %r2, ${AK_CNX_INPUT}
mov %r3, 0
call ${id('get_cnx')}
${pre}
mov %r3, %r0
add %r3, ${k}
jlt %r3, -62, out
mov %r3, %r0
mov %r1, %r10
add %r1, -64
mov %r2, 0
call ${id('my_memset')}
out:
mov %r0, 0
exit`;

describe('a bound on n + k bounds n', () => {
  it('n + 2 <= 61 (as clang writes it) with n below 1000: n <= 59 fits the 64 bytes', () => {
    expect(codes(verify(linked(-60, 'jgt %r0, 1000, out')))).toEqual([]);
  });

  it('twin: n of any size may also be 2^64 - 2 or 2^64 - 1 (the interval wraps)', () => {
    expect(codes(verify(linked(-60, '')))).toEqual(['HELPER_ARG']);
  });

  it('twin: n + 2 <= 71 leaves n up to 69, past the 64 bytes', () => {
    expect(codes(verify(linked(-70, 'jgt %r0, 1000, out')))).toEqual(['HELPER_ARG']);
  });

  it('twin: n changed between the sum and the branch (the branch bounds the old n only)', () => {
    const src = linked(-60, 'jgt %r0, 1000, out').replace('add %r3, -60\n', 'add %r3, -60\nadd %r0, -50\n');
    expect(codes(verify(src))).toEqual(['HELPER_ARG']);
  });
});
