/**
 * Heap blocks whose size depends on a number (sizes.ts), and numbers linked to the stack slot
 * they were spilled to or loaded from (access.ts: linkSpill, pinSlot; copies.ts at joins):
 * datagram's parse_frame allocates 8 + len bytes, then copies len bytes to +8, len being a stack
 * variable that varint_decode wrote and a branch bounded. Each proof has a twin that must stay
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

/** r8 = a number below 1201 (input 0, bounded), r6 = cnx; then `body`. */
const bounded = (body: string): string => `mov %r6, %r1
mov %r2, ${AK_CNX_INPUT}
mov %r3, 0
call ${id('get_cnx')}
jgt %r0, 1200, out
mov %r8, %r0
${body}
out:
mov %r0, 0
exit`;

/** my_malloc(r2 = size expression) into r9, NULL-checked; then `copy` (r9 = the block). */
const alloc = (size: string, copy: string): string => `${size}
mov %r1, %r6
call ${id('my_malloc')}
jeq %r0, 0, out
mov %r9, %r0
${copy}`;

/** my_memset(r9 + off, 0, r3) */
const fill = (off: number, len: string): string => `mov %r1, %r9
add %r1, ${off}
mov %r2, 0
${len}
call ${id('my_memset')}`;

describe('a block of 8 + len bytes holds len bytes at +8', () => {
  it('my_malloc(len + 8) then len bytes at +8: proven', () => {
    const r = verify(bounded(alloc('mov %r2, %r8\nadd %r2, 8', fill(8, 'mov %r3, %r8'))));
    expect(codes(r)).toEqual([]);
  });

  it('the size computed on 32 bits (clang\'s w2 += 8): proven', () => {
    const r = verify(bounded(alloc('mov %r2, %r8\nadd32 %r2, 8', fill(8, 'mov %r3, %r8'))));
    expect(codes(r)).toEqual([]);
  });

  it('the number copied on 32 bits first (clang\'s w2 = w9 for an unsigned int size): proven', () => {
    const r = verify(bounded(alloc('mov32 %r2, %r8\nadd32 %r2, 8', fill(8, 'mov %r3, %r8'))));
    expect(codes(r)).toEqual([]);
  });

  /** r8 copied on 32 bits into r3, r3 compared with 64, then 64 bytes of the stack filled with r8 of them. */
  const narrowed = (r8: string): string => `mov %r6, %r1
mov %r2, ${AK_CNX_INPUT}
mov %r3, 0
call ${id('get_cnx')}
${r8}
mov %r8, %r0
mov32 %r3, %r8
jgt %r3, 64, out
mov %r1, %r10
add %r1, -64
mov %r2, 0
mov %r3, %r8
call ${id('my_memset')}
out:
mov %r0, 0
exit`;

  it('a 32-bit copy of a number below 2^32 is a copy: a bound on it bounds the number', () => {
    expect(codes(verify(narrowed('jgt %r0, 0xffff, out')))).toEqual([]);
  });

  it('twin: a 32-bit copy of a number that may not fit 32 bits is not a copy (2^32 + 5 passes the test)', () => {
    expect(codes(verify(narrowed('')))).toEqual(['HELPER_ARG']);
  });

  it('twin: at +9 the last byte is past the block', () => {
    const r = verify(bounded(alloc('mov %r2, %r8\nadd %r2, 8', fill(9, 'mov %r3, %r8'))));
    expect(codes(r)).toEqual(['HELPER_ARG']);
  });

  it('twin: a length one more than the number the size was computed from', () => {
    const r = verify(bounded(alloc('mov %r2, %r8\nadd %r2, 8', fill(8, 'mov %r3, %r8\nadd %r3, 1'))));
    expect(codes(r)).toEqual(['HELPER_ARG']);
  });

  it('twin: the number changed after the allocation (no longer the size\'s)', () => {
    const r = verify(bounded(alloc('mov %r2, %r8\nadd %r2, 8', `mov %r1, %r6\nmov %r2, ${AK_CNX_INPUT}\nmov %r3, 1\ncall ${id('get_cnx')}\njgt %r0, 1200, out\nmov %r8, %r0\n${fill(8, 'mov %r3, %r8')}`)));
    expect(codes(r)).toEqual(['HELPER_ARG']);
  });

  it('twin: a 32-bit size that may wrap (the number is not bounded below 2^32 - 8)', () => {
    const src = `mov %r6, %r1
mov %r2, ${AK_CNX_INPUT}
mov %r3, 0
call ${id('get_cnx')}
mov %r8, %r0
${alloc('mov %r2, %r8\nadd32 %r2, 8', fill(8, 'mov %r3, %r8'))}
out:
mov %r0, 0
exit`;
    expect(codes(verify(src))).toContain('HELPER_ARG');
  });
});

describe('a number and its stack slot', () => {
  it('spilled, bounded through the register, read back bounded: the copy fits a 64-byte stack array', () => {
    const src = bounded(`stxdw [%r10-8], %r8
jgt %r8, 64, out
ldxdw %r3, [%r10-8]
${'mov %r1, %r10\nadd %r1, -64\nmov %r2, 0'}
call ${id('my_memset')}`);
    expect(codes(verify(src))).toEqual([]);
  });

  it('twin: a bound of 65 lets the 64-byte array overflow by one', () => {
    const src = bounded(`stxdw [%r10-8], %r8
jgt %r8, 65, out
ldxdw %r3, [%r10-8]
${'mov %r1, %r10\nadd %r1, -64\nmov %r2, 0'}
call ${id('my_memset')}`);
    expect(codes(verify(src))).toEqual(['HELPER_ARG']);
  });

  it('twin: a store to the slot after the check breaks the link', () => {
    const src = bounded(`stxdw [%r10-8], %r8
jgt %r8, 64, out
mov %r1, 1000
stxdw [%r10-8], %r1
ldxdw %r3, [%r10-8]
${'mov %r1, %r10\nadd %r1, -64\nmov %r2, 0'}
call ${id('my_memset')}`);
    expect(codes(verify(src))).toEqual(['HELPER_ARG']);
  });

  /**
   * Path 1 spills a bounded number; path 2 lets varint_decode write the slot, then `reload` sets
   * r8; both meet, r8 is bounded, the slot read again is the memset's length.
   */
  const meet = (reload: string): string => bounded(`stxdw [%r10-8], %r8
jeq %r8, 7, skip
mov %r1, %r10
add %r1, -24
mov %r2, 8
mov %r3, %r10
add %r3, -8
stdw [%r10-24], 0
call ${id('picoquic_varint_decode')}
${reload}
skip:
jgt %r8, 64, out
ldxdw %r3, [%r10-8]
mov %r1, %r10
add %r1, -64
mov %r2, 0
call ${id('my_memset')}`);

  it('bytes a helper wrote, loaded and bounded, read again bounded; both paths meet first', () => {
    // At the join the register and the slot are copies on both sides (copies.ts).
    expect(codes(verify(meet('ldxdw %r8, [%r10-8]')))).toEqual([]);
  });

  it('twin: on one path the register is not the slot\'s copy', () => {
    expect(codes(verify(meet('mov %r8, 5')))).toEqual(['HELPER_ARG']);
  });
});
