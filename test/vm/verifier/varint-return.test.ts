/**
 * picoquic_varint_decode and picoquic_varint_encode return the bytes of one varint: 0 to 8, and
 * never more than the room they were given (src/plugins/instance.ts; RFC 9000 §16). The verifier
 * takes both bounds from their signatures (helper-signatures.ts, RetSpec max / atMostArg).
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../../src/vm/asm.js';
import { rawImage } from '../../../src/vm/program.js';
import { verifyProgram, type VerifyResult } from '../../../src/vm/verifier/index.js';
import { pluginHelpers } from '../../../src/plugins/helper-signatures.js';
import { inputContract } from '../../../src/plugins/signatures.js';
import { HELPER_IDS } from '../../../src/plugins/abi.js';

const [GET_CNX, DECODE] = ['get_cnx', 'picoquic_varint_decode'].map((n) => HELPER_IDS.get(n)!);

/** parse_frame: decodes a varint at the buffer's start with room `end - p`, then runs `after` (n in r0, p in r7). */
const decode = (after: string): string => `mov %r6, %r1
mov %r2, 0
mov %r3, 0
call ${GET_CNX}
mov %r7, %r0
mov %r1, %r6
mov %r2, 0
mov %r3, 1
call ${GET_CNX}
mov %r2, %r0
sub %r2, %r7
mov %r1, %r7
mov %r3, %r10
add %r3, -8
call ${DECODE}
${after}`;

const verify = (src: string): VerifyResult => verifyProgram(rawImage(assemble(src)), { ...pluginHelpers, policy: 'strict', ctx: 'pluglet', ...inputContract('parse_frame')! });
const codes = (r: VerifyResult): string[] => r.errors.map((e) => e.code);

describe('varint helpers: a bounded result', () => {
  it('the result is at most 8: a branch on n > 8 is dead', () => {
    const r = verify(decode(`jgt %r0, 8, bad\nmov %r0, 0\nexit\nbad:\nldxb %r0, [%r10]\nexit`));
    expect(codes(r)).toEqual([]);
  });

  it('twin: n may be 8, so a branch on n > 7 is live', () => {
    const r = verify(decode(`jgt %r0, 7, bad\nmov %r0, 0\nexit\nbad:\nldxb %r0, [%r10]\nexit`));
    expect(codes(r)).toEqual(['OUT_OF_BOUNDS']);
  });

  it('the result is at most the room: the last byte read, p + n - 1, is inside the buffer (proven)', () => {
    const src = decode(`jeq %r0, 0, out\nadd %r7, %r0\nldxb %r0, [%r7-1]\nexit\nout:\nmov %r0, 0\nexit`);
    const r = verify(src);
    expect(codes(r)).toEqual([]);
    expect(r.provenAccesses.size).toBe(1);
  });

  it('twin: the byte at p + n may be the buffer\'s end', () => {
    const r = verify(decode(`add %r7, %r0\nldxb %r0, [%r7]\nexit`));
    expect(codes(r)).toEqual(['OUT_OF_BOUNDS']);
  });
});
