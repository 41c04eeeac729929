/**
 * Length fields (src/vm/verifier/len-fields.ts): a block of 8 + len bytes whose first field is
 * len, stored by one pluglet and read by another, which copies that many bytes from +8 (the
 * datagram plugin's messages); and numbers at most another (below.ts): the copy truncated to
 * `len < cap ? len : cap`. Each accepted case has a twin that breaks one premise and must be
 * refused.
 */
import { describe, expect, it } from 'vitest';
import { anyNumber, codes, id, lengthWriter, verifyStrict, withSlot } from './heap-asm.js';

const MEMSET = id('my_memset');

const writer = lengthWriter;

/** my_memset(block + off, 0, r3), r7 the block. */
const fillFrom = (off: number): string => `mov %r1, %r7\nadd %r1, ${off}\nmov %r2, 0\ncall ${MEMSET}`;

/** Reads the field at +0 and fills that many bytes at `off`. */
const reader = (off = 8): string => withSlot(0, `ldxdw %r3, [%r7]\n${fillFrom(off)}`);

describe('a length field: the bytes after it, in another pluglet', () => {
  it('len stored at +0 of a block of 8 + len bytes: len bytes at +8 are proven', () => {
    const v = verifyStrict([writer(), reader()]);
    expect(codes(v)).toEqual([[], []]);
    expect(v.results[1]!.provenAccesses.size).toBeGreaterThan(0);
  });

  it('a pluglet that stores 0 there (an empty message) keeps the proof', () => {
    const v = verifyStrict([writer(), reader(), withSlot(0, 'stdw [%r7], 0')]);
    expect(codes(v)).toEqual([[], [], []]);
  });

  it('twin: the field holds len + 1', () => {
    const v = verifyStrict([writer('mov %r4, %r8\nadd %r4, 1\nstxdw [%r0], %r4'), reader()]);
    expect(codes(v)).toEqual([[], ['HELPER_ARG']]);
  });

  it('twin: the bytes from +9', () => {
    expect(codes(verifyStrict([writer(), reader(9)]))).toEqual([[], ['HELPER_ARG']]);
  });

  it('twin: another pluglet stores any number there', () => {
    const v = verifyStrict([writer(), reader(), withSlot(0, `${anyNumber}\nstxdw [%r7], %r0`)]);
    expect(codes(v)).toEqual([[], ['HELPER_ARG'], []]);
  });

  it('twin: a number other than the size\'s, though as bounded', () => {
    const other = `${anyNumber}\njgt %r0, 1200, out\nstxdw [%r9], %r0\nmov %r0, %r9`;
    const v = verifyStrict([writer(`mov %r9, %r0\n${other}`), reader()]);
    expect(codes(v)).toEqual([[], ['HELPER_ARG']]);
  });

  it('twin: a block of a fixed 16 bytes holding a length up to 1200', () => {
    const v = verifyStrict([writer().replace('mov %r2, %r8\nadd %r2, 8', 'mov %r2, 16'), reader()]);
    expect(codes(v)).toEqual([[], ['HELPER_ARG']]);
  });
});

describe('a copy truncated to the smaller of two lengths', () => {
  /** r8 = the field, r0 = any number (a capacity), r3 = `select`; then the fill at +8. */
  const truncated = (select: string): string => withSlot(0, `ldxdw %r8, [%r7]\n${anyNumber}\n${select}\n${fillFrom(8)}`);

  it('len < cap ? len : cap stays inside the block', () => {
    const v = verifyStrict([writer(), truncated('mov %r3, %r8\njlt %r8, %r0, keep\nmov %r3, %r0\nkeep:')]);
    expect(codes(v)).toEqual([[], []]);
  });

  it('cap <= len, written the other way round: also', () => {
    const v = verifyStrict([writer(), truncated('mov %r3, %r0\njle %r0, %r8, keep\nmov %r3, %r8\nkeep:')]);
    expect(codes(v)).toEqual([[], []]);
  });

  it('twin: the larger of the two', () => {
    const v = verifyStrict([writer(), truncated('mov %r3, %r8\njgt %r8, %r0, keep\nmov %r3, %r0\nkeep:')]);
    expect(codes(v)).toEqual([[], ['HELPER_ARG']]);
  });

  it('twin: cap, compared with len only on one path', () => {
    const v = verifyStrict([writer(), truncated('mov %r3, %r0\njgt %r0, 100, keep\njle %r0, %r8, keep\nmov %r3, %r8\nkeep:')]);
    expect(codes(v)).toEqual([[], ['HELPER_ARG']]);
  });

  it('twin: len compared below cap, then changed', () => {
    const v = verifyStrict([writer(), truncated('jge %r0, %r8, out\nadd %r0, 1\nmov %r3, %r0')]);
    expect(codes(v)).toEqual([[], ['HELPER_ARG']]);
  });
});
