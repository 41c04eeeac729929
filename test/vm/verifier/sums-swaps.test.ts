/**
 * Three proofs fec's pluglets need, each with the twin that must stay rejected:
 * - finalize_and_protect_packet's contract (signatures.ts): input 2 is the packet's buffer, input
 *   4 its length, input 3 (`used`) a number; and a length-bounded offset plus a bounded number
 *   stays bounded (len-sum.ts: `used += 1 + n`, n from a helper);
 * - a byte swap moves known bits (bswap.ts): clang's `ldxh; <<= 48; be64` is below 2^16;
 * - a room at least m bytes (`end - bytes >= need`, need >= m not a constant) puts m bytes after
 *   the pointer, and the copy of that pointer spilled to the stack is the same pointer (room.ts).
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../../src/vm/asm.js';
import { rawImage } from '../../../src/vm/program.js';
import { verifyProgram, type VerifyResult } from '../../../src/vm/verifier/index.js';
import { pluginHelpers } from '../../../src/plugins/helper-signatures.js';
import { inputContract } from '../../../src/plugins/signatures.js';
import { AK_CNX_INPUT, HELPER_IDS } from '../../../src/plugins/abi.js';

const GET_CNX = HELPER_IDS.get('get_cnx')!;
const verify = (src: string, op: string): VerifyResult => verifyProgram(rawImage(assemble(src)), { ...pluginHelpers, policy: 'strict', ctx: 'pluglet', ...(inputContract(op) ?? {}) });
const codes = (r: VerifyResult): string[] => r.errors.map((e) => e.code);

/** r0 = input i (r6 = cnx). */
const input = (i: number): string => `mov %r1, %r6
mov %r2, ${AK_CNX_INPUT}
mov %r3, ${i}
call ${GET_CNX}`;

const end = `exit
out:
mov %r0, 0
exit`;

/** Writes buf[used + n], n in [1, 8], after `bound` (on r9 = used, r8 = length). */
const protect = (bound: string): string => `mov %r6, %r1
${input(2)}
mov %r7, %r0
${input(4)}
mov %r8, %r0
${input(3)}
mov %r9, %r0
${bound}
${input(1)}
and %r0, 7
add %r0, 1
add %r9, %r0
mov %r1, %r7
add %r1, %r9
mov %r2, 41
stxb [%r1], %r2
mov %r0, 0
${end}`;

const roomFor9 = `jlt %r8, 9, out
mov %r1, %r8
sub %r1, 9
jgt %r9, %r1, out`;

describe('finalize_and_protect_packet: the buffer, its length, and a length-bounded sum', () => {
  it('used <= len - 9, then used + n (n in [1, 8]) is inside the buffer (proven)', () => {
    const r = verify(protect(roomFor9), 'finalize_and_protect_packet');
    expect(codes(r)).toEqual([]);
    expect(r.provenAccesses.size).toBe(1);
  });

  it('twin: used <= len leaves used + n past the end', () => {
    expect(codes(verify(protect('jgt %r9, %r8, out'), 'finalize_and_protect_packet'))).toEqual(['OUT_OF_BOUNDS']);
  });

  it('twin: without the contract the buffer is a number', () => {
    expect(codes(verify(protect(roomFor9), 'packet_was_lost'))).toEqual(['SCALAR_DEREF']);
  });
});

/** A stack byte at an index from a swapped 2-byte value: (swap(x << shift) >> 13) in [0, 7] for shift 48. */
const swapIndex = (shift: number): string => `mov %r6, %r1
${input(0)}
lsh %r0, ${shift}
be64 %r0
rsh %r0, 13
stdw [%r10-8], 0
mov %r1, %r10
add %r1, -8
add %r1, %r0
ldxb %r0, [%r1]
exit`;

describe('byte swaps keep the known bits, moved', () => {
  it('be64 of a value whose low 6 bytes are 0 is below 2^16: an index from it is proven', () => {
    expect(codes(verify(swapIndex(48), 'packet_was_lost'))).toEqual([]);
  });

  it('twin: be64 of a value shifted by 40 reaches 2^24, past the 8 stack bytes', () => {
    expect(codes(verify(swapIndex(40), 'packet_was_lost'))).toEqual(['OUT_OF_BOUNDS']);
  });
});

/** write_frame: bytes spilled, room = end - (reloaded bytes) >= need in [4, 19], then a store at bytes + `at`. */
const roomAtLeast = (at: number): string => `mov %r6, %r1
${input(0)}
stxdw [%r10-16], %r0
${input(1)}
mov %r7, %r0
${input(2)}
and %r0, 15
add %r0, 4
mov %r2, %r0
ldxdw %r1, [%r10-16]
mov %r4, %r7
sub %r4, %r1
jlt %r4, %r2, out
ldxdw %r9, [%r10-16]
mov %r1, 42
stxb [%r9+${at}], %r1
mov %r0, 0
${end}`;

describe('a room of at least m bytes', () => {
  it('end - bytes >= need >= 4: bytes[3], through the copy spilled to the stack, is proven', () => {
    expect(codes(verify(roomAtLeast(3), 'write_frame'))).toEqual([]);
  });

  it('twin: bytes[4] may be past the end', () => {
    expect(codes(verify(roomAtLeast(4), 'write_frame'))).toEqual(['OUT_OF_BOUNDS']);
  });
});
