/**
 * The heap-cell summary (src/vm/verifier/cells.ts): what the fields of a site's blocks hold,
 * joined over every write of every pluglet, types what a load reads back. Each accepted case has
 * a twin that breaks one premise and must be refused: what the summary may not believe.
 */
import { describe, expect, it } from 'vitest';
import { allocInto, anyNumber, codes, id, indexedRead, verifyStrict, withSlot } from './heap-asm.js';

const [MALLOC, FREE, MEMCPY, MEMSET, REALLOC, SEND] = ['my_malloc', 'my_free', 'my_memcpy', 'my_memset', 'my_realloc', 'pquic_message_send'].map(id);

/** The state block: 64 bytes in slot 0, +8 a bound (0 at first). */
const state = allocInto(0, 64, 'stdw [%r0+8], 0');
/** Stores input 0 reduced by `reduce` at +8 of the state. */
const storeIndex = (reduce: string): string => withSlot(0, `${anyNumber}\n${reduce}\nstxdw [%r7+8], %r0`);

describe('heap cells: bounds kept in a field', () => {
  it('`i % 8` stored at +8 bounds s[i] in every reader', () => {
    const v = verifyStrict([state, storeIndex('mod %r0, 8'), indexedRead]);
    expect(codes(v)).toEqual([[], [], []]);
    expect(v.results[2]!.provenAccesses.size).toBe(2);
  });

  it('twin: one path stores the index unreduced, and s[i] is unproven', () => {
    const unbounded = withSlot(0, `${anyNumber}\njgt %r0, 100, raw\nmod %r0, 8\nraw:\nstxdw [%r7+8], %r0`);
    const v = verifyStrict([state, storeIndex('mod %r0, 8'), unbounded, indexedRead]);
    expect(codes(v)[3]).toEqual(['OUT_OF_BOUNDS']);
  });

  it('twin: a store through the block at an unknown offset may hit +8, and s[i] is unproven', () => {
    const alias = withSlot(0, `${anyNumber}\nand %r0, 0x38\nadd %r7, %r0\nstdw [%r7], 1000`);
    const v = verifyStrict([state, storeIndex('and %r0, 7'), alias, indexedRead]);
    expect(codes(v).slice(0, 3)).toEqual([[], [], []]);
    expect(codes(v)[3]).toEqual(['OUT_OF_BOUNDS']);
  });

  it('an unknown offset that never reaches +8 leaves the bound alone', () => {
    const elsewhere = withSlot(0, `${anyNumber}\nand %r0, 0x18\nadd %r7, %r0\nstdw [%r7+32], 1000`);
    const v = verifyStrict([state, storeIndex('and %r0, 7'), elsewhere, indexedRead]);
    expect(codes(v)).toEqual([[], [], [], []]);
  });

  it('twin: my_memcpy over the block writes anything into +8, and s[i] is unproven', () => {
    const copy = withSlot(0, `stdw [%r10-8], 1000\nmov %r1, %r7\nmov %r2, %r10\nadd %r2, -8\nmov %r3, 8\nadd %r1, 8\ncall ${MEMCPY}`);
    const v = verifyStrict([state, storeIndex('and %r0, 7'), copy, indexedRead]);
    expect(codes(v).slice(0, 3)).toEqual([[], [], []]);
    expect(codes(v)[3]).toEqual(['OUT_OF_BOUNDS']);
  });

  it('my_memset of the block with 0 keeps the bound (0 is every field\'s first value); with another byte it does not', () => {
    const zero = withSlot(0, `mov %r1, %r7\nmov %r2, 0\nmov %r3, 64\ncall ${MEMSET}`);
    expect(codes(verifyStrict([state, storeIndex('and %r0, 7'), zero, indexedRead]))[3]).toEqual([]);
    const ones = withSlot(0, `mov %r1, %r7\nmov %r2, 1\nmov %r3, 64\ncall ${MEMSET}`);
    expect(codes(verifyStrict([state, storeIndex('and %r0, 7'), ones, indexedRead]))[3]).toEqual(['OUT_OF_BOUNDS']);
  });

  it('twin: a 4-byte store over half of the 8-byte field makes it anything', () => {
    const half = withSlot(0, 'stw [%r7+12], 1');
    const v = verifyStrict([state, storeIndex('and %r0, 7'), half, indexedRead]);
    expect(codes(v)[3]).toEqual(['OUT_OF_BOUNDS']);
  });

  it('twin: a pointer into the middle of the block, kept and read back, no longer knows which field it writes: s[i] is unproven', () => {
    // The state, allocated here, also goes to slot 1 as state + 8: read back, a 56-byte block
    // at offset 0 of unknown site.
    const keepInterior = allocInto(0, 64, `stdw [%r0+8], 0\nmov %r7, %r0\nadd %r7, 8\nmov %r3, %r7\nmov %r1, %r6\nmov %r2, 1\ncall ${id('set_cnx_metadata')}\nmov %r0, %r7\nadd %r0, -8`);
    const writeThrough = withSlot(1, 'stdw [%r7], 1000');
    const v = verifyStrict([keepInterior, storeIndex('and %r0, 7'), writeThrough, indexedRead]);
    expect(codes(v).slice(0, 3)).toEqual([[], [], []]);
    expect(codes(v)[3]).toEqual(['OUT_OF_BOUNDS']);
    // Without the write through it, the bound holds.
    expect(codes(verifyStrict([keepInterior, storeIndex('and %r0, 7'), indexedRead]))[2]).toEqual([]);
  });

  it('twin: a block from my_realloc starts as a copy of another block: its fields are anything', () => {
    const grown = withSlot(0, `mov %r1, %r6\nmov %r2, %r7\nmov %r3, 64\ncall ${REALLOC}\njeq %r0, 0, out\nstdw [%r0+8], 0\nmov %r3, %r0\nmov %r1, %r6\nmov %r2, 0\ncall ${id('set_cnx_metadata')}`);
    const v = verifyStrict([state, storeIndex('and %r0, 7'), grown, indexedRead]);
    expect(codes(v)[3]).toEqual(['OUT_OF_BOUNDS']);
  });
});

describe('heap cells: arrays of structures', () => {
  // Four 32-byte elements, each { idx at +0, other at +8 }, element k = input & 3.
  const table = allocInto(0, 128);
  const element = `${anyNumber}\nand %r0, 3\nlsh %r0, 5\nadd %r7, %r0`;
  const storeIdx = withSlot(0, `${element}\nmov %r8, %r7\n${anyNumber}\nand %r0, 7\nstxdw [%r8], %r0`);
  const readIdx = withSlot(0, `mov %r9, %r7\n${element}\nldxdw %r1, [%r7]\nlsh %r1, 3\nadd %r9, %r1\nldxdw %r0, [%r9]`);

  it('a bound kept in one field of every element survives numbers stored in another field of any element', () => {
    const other = withSlot(0, `${element}\nmov %r8, %r7\n${anyNumber}\nstxdw [%r8+8], %r0`);
    const v = verifyStrict([table, storeIdx, other, readIdx]);
    expect(codes(v)).toEqual([[], [], [], []]);
  });

  it('twin: a 4-byte store into the upper half of any element\'s idx spoils it', () => {
    const half = withSlot(0, `${element}\nmov %r8, %r7\n${anyNumber}\nstxw [%r8+4], %r0`);
    expect(codes(verifyStrict([table, storeIdx, half, readIdx]))[3]).toEqual(['OUT_OF_BOUNDS']);
  });
});

describe('heap cells: pointers kept in a field', () => {
  /** The state (64 bytes, slot 0) keeps at +16 a block of `size` bytes. */
  const keepBlock = (size: number): string => withSlot(0, `mov %r1, %r6\nmov %r2, ${size}\ncall ${MALLOC}\njeq %r0, 0, out\nstxdw [%r7+16], %r0`);
  /** Reads the block at +16 and accesses it at `at`. */
  const useBlock = (at: number): string => withSlot(0, `ldxdw %r1, [%r7+16]\njeq %r1, 0, out\nldxdw %r0, [%r1+${at}]`);

  it('a 24-byte block kept in a field is read back as one (after a NULL check) and freed', () => {
    const release = withSlot(0, `ldxdw %r2, [%r7+16]\nstdw [%r7+16], 0\nmov %r1, %r6\ncall ${FREE}`);
    const v = verifyStrict([state, keepBlock(24), useBlock(16), release]);
    expect(codes(v)).toEqual([[], [], [], []]);
    expect(v.results[2]!.provenAccesses.size).toBe(2);
  });

  it('twin: a 16-byte block kept there and read at +16 is out of bounds', () => {
    expect(codes(verifyStrict([state, keepBlock(16), useBlock(16)]))[2]).toEqual(['OUT_OF_BOUNDS']);
  });

  it('twin: without the NULL check the kept block may be NULL (the field starts at 0)', () => {
    const unchecked = withSlot(0, 'ldxdw %r1, [%r7+16]\nldxdw %r0, [%r1]');
    expect(codes(verifyStrict([state, keepBlock(24), unchecked]))[2]).toEqual(['NULL_DEREF']);
  });

  it('twin: a stack address stored in the field is a leak, and reading through it is a number\'s dereference', () => {
    const stack = withSlot(0, 'mov %r1, %r10\nadd %r1, -8\nstxdw [%r7+16], %r1');
    const v = verifyStrict([state, stack, useBlock(0)]);
    expect(codes(v)[1]).toEqual(['POINTER_LEAK']);
    expect(codes(v)[2]).toEqual(['SCALAR_DEREF']);
  });

  it('twin: my_free of a field that holds numbers is refused', () => {
    const number = withSlot(0, `${anyNumber}\nstxdw [%r7+16], %r0`);
    const release = withSlot(0, `ldxdw %r2, [%r7+16]\nmov %r1, %r6\ncall ${FREE}`);
    expect(codes(verifyStrict([state, number, release]))[2]).toEqual(['HELPER_ARG']);
  });

  it('twin: a helper that reads a block holding an address to the host is a leak', () => {
    const send = withSlot(0, `mov %r1, %r6\nmov %r2, %r7\nmov %r3, 64\ncall ${SEND}`);
    expect(codes(verifyStrict([state, send]))[1]).toEqual([]);
    expect(codes(verifyStrict([state, keepBlock(24), send]))[2]).toEqual(['POINTER_LEAK']);
  });
});
