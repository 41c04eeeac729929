/**
 * An attacker's view of the verifier capabilities that made datagram, fec and fec_rlc strict-whole
 * (byte swaps, 32-bit copies, the buffer's end, rooms, length sums, remainders, spilled counters,
 * pinned slots, length fields and bounds by another number). Under strict and checked a proven
 * access runs unchecked on the JIT, so each program below, which a sloppy version of one
 * capability would accept although it can touch memory outside its region, must be rejected
 * with the reason its unsafe access deserves. Where a twin is accepted, it is because the access
 * is safe on every run (said next to it).
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../../src/vm/asm.js';
import { rawImage } from '../../../src/vm/program.js';
import { verifyProgram, type VerifyResult } from '../../../src/vm/verifier/index.js';
import { pluginHelpers } from '../../../src/plugins/helper-signatures.js';
import { inputContract } from '../../../src/plugins/signatures.js';
import { AK_CNX_INPUT } from '../../../src/plugins/abi.js';
import { spilledCounter } from './util.js';
import { anyNumber, codes as pluginCodes, id, lengthWriter, verifyStrict, withSlot } from './heap-asm.js';

const [GET_CNX, MALLOC, MEMSET, MEMCPY, FREE, SET_META] = ['get_cnx', 'my_malloc', 'my_memset', 'my_memcpy', 'my_free', 'set_cnx_metadata'].map(id);

/** Verified under strict, with `op`'s input contract when given. */
const verify = (src: string, op?: string): VerifyResult =>
  verifyProgram(rawImage(assemble(src)), { ...pluginHelpers, policy: 'strict', ctx: 'pluglet', ...((op && inputContract(op)) || {}) });
const codes = (src: string, op?: string): string[] => verify(src, op).errors.map((e) => e.code);

/** r0 = input i (r6 = cnx). */
const input = (i: number): string => `mov %r1, %r6\nmov %r2, ${AK_CNX_INPUT}\nmov %r3, ${i}\ncall ${GET_CNX}`;

/** r6 = cnx, r9 = input 0 (any number), `body`, then exit 0 (label `out` too). */
const withAny = (body: string): string => `mov %r6, %r1
${input(0)}
mov %r9, %r0
${body}
out:
mov %r0, 0
exit`;

/** One byte written at fp-256 + r`reg`: safe only for r`reg` <= 255. */
const stackByte = (reg: number): string => `mov %r2, %r10\nadd %r2, -256\nadd %r2, %r${reg}\nstb [%r2], 1`;

describe('byte swaps (bswap.ts): known bits move, unknown ones too', () => {
  const swapped = (mask: string, swap: string): string => withAny(`and %r9, ${mask}\n${swap} %r9\n${stackByte(9)}`);

  it('the high byte of a 16-bit value swapped to the low one: below 256, accepted', () => {
    expect(codes(swapped('0xff00', 'be16'))).toEqual([]);
    expect(codes(swapped('0xff000000', 'be32'))).toEqual([]);
  });

  const twins: [string, string, string][] = [
    ['the low byte swapped up (be16)', '0xff', 'be16'],
    ['the low byte swapped to the top of 32 bits (be32)', '0xff', 'be32'],
    ['16 unknown low bits swapped to the top of 64 (be64)', '0xffff', 'be64'],
    ['bswap16 on 64 bits', '0xff', 'bswap16'],
    ['a partially known byte (0x0f) moved up by be16', '0x0f', 'be16'],
  ];
  for (const [name, mask, swap] of twins) {
    it(`twin: ${name}: rejected`, () => {
      expect(codes(swapped(mask, swap))).toEqual(['OUT_OF_BOUNDS']);
    });
  }

  it('twin: le16 on a 32-bit register keeps 16 unknown bits (truncation, no swap)', () => {
    expect(codes(swapped('0xffff', 'le16'))).toEqual(['OUT_OF_BOUNDS']);
  });
});

describe('32-bit copies (alu.ts): `w2 = w9` is a copy only when r9 is below 2^32', () => {
  /** r2 = w9, a test on r2, then r9 indexes. */
  const copy = (prep: string): string => withAny(`${prep}\nmov32 %r2, %r9\njgt %r2, 255, out\n${stackByte(9)}`);

  it('r9 below 2^32: the test on the copy bounds r9, accepted', () => {
    expect(codes(copy('mov32 %r9, %r9'))).toEqual([]);
  });

  it('twin: r9 any 64-bit number (2^32 + 1 passes the test on its low half): rejected', () => {
    expect(codes(copy(''))).toEqual(['OUT_OF_BOUNDS']);
  });

  it('twin: r9 below 2^33: rejected', () => {
    expect(codes(copy('mov %r1, 1\nlsh %r1, 33\nsub %r1, 1\nand %r9, %r1'))).toEqual(['OUT_OF_BOUNDS']);
  });

  it('twin: a sign-extending 32-bit move (movsx) is no copy: rejected', () => {
    expect(codes(withAny(`mov32 %r9, %r9\nmovsx1632 %r2, %r9\njgt %r2, 255, out\n${stackByte(9)}`))).toEqual(['OUT_OF_BOUNDS']);
  });
});

/** finalize_and_protect_packet's inputs: r7 = buffer, r8 = its length, r9 = input 1 (any). */
const PROTECT = 'finalize_and_protect_packet';
const protect = (body: string): string => withAny(`${input(2)}\nmov %r7, %r0\n${input(4)}\nmov %r8, %r0\n${body}`);

describe('the buffer\'s end (alu.ts) and the room before it (room.ts)', () => {
  /** end = `endOf` (in r4), p = r7 + `at` (r5), n = end - p, `need` tested on n, 4 bytes written at p + `write`. */
  const room = (endOf: string, at: string, need: string, write = 0): string => protect(`${endOf}
mov %r5, %r7
${at}
mov %r1, %r4
sub %r1, %r5
${need}
stw [%r5+${write}], 0`);
  const exactEnd = 'mov %r4, %r7\nadd %r4, %r8';
  const inside = 'mov %r0, %r9\nand %r0, 63\njgt %r0, %r8, out\nadd %r5, %r0';
  const need4 = 'mov %r2, %r9\nrsh %r2, 8\nand %r2, 7\nadd %r2, 4\njlt %r1, %r2, out';

  it('room >= need with need >= 4: 4 bytes at p, accepted', () => {
    expect(codes(room(exactEnd, inside, need4), PROTECT)).toEqual([]);
    expect(codes(room(exactEnd, inside, 'jlt %r1, 4, out'), PROTECT)).toEqual([]);
  });

  const twins: [string, string][] = [
    ['need may be 0', room(exactEnd, inside, 'mov %r2, %r9\nand %r2, 7\njlt %r1, %r2, out')],
    ['4 bytes one past what the room covers', room(exactEnd, inside, need4, 1)],
    ['the end one byte past the buffer (buf + 1 + len)', room('mov %r4, %r7\nadd %r4, 1\nadd %r4, %r8', inside, need4)],
    ['the end from len + 1', room('mov %r3, %r8\nadd %r3, 1\nmov %r4, %r7\nadd %r4, %r3', inside, need4)],
    ['the end from any number, not the length', room('mov %r4, %r7\nadd %r4, %r9', inside, need4)],
    ['p past the end (end - p wraps to a huge room)', room(exactEnd, 'add %r5, %r9', need4)],
    ['p before the buffer (p = buf - 4)', room(exactEnd, 'add %r5, -4', need4)],
  ];
  for (const [name, src] of twins) {
    it(`twin: ${name}: rejected`, () => {
      expect(codes(src, PROTECT)).toContain('OUT_OF_BOUNDS');
    });
  }

  it('twin: the room of p proves nothing for p + 1 (a new pointer)', () => {
    const src = protect(`${exactEnd}\nmov %r5, %r7\n${inside}\nmov %r1, %r4\nsub %r1, %r5\njlt %r1, 4, out\nadd %r5, 1\nstw [%r5], 0`);
    expect(codes(src, PROTECT)).toEqual(['OUT_OF_BOUNDS']);
  });

  it('twin: a stack slot that held p, overwritten with p + 5 before the room is taken, is not p', () => {
    const src = protect(`${exactEnd}\nmov %r5, %r7\n${inside}\nstxdw [%r10-8], %r5\nmov %r3, %r5\nadd %r3, 5\nstxdw [%r10-8], %r3
mov %r1, %r4\nsub %r1, %r5\njlt %r1, 4, out\nldxdw %r3, [%r10-8]\nstw [%r3], 0`);
    expect(codes(src, PROTECT)).toEqual(['OUT_OF_BOUNDS']);
  });

  it('twin: two slots equal on entry to a loop that sets them apart; the room of one is not the other\'s', () => {
    // Phase 1 prunes the path that sets them apart (it is no larger than the other), so only a
    // join that re-derives the slots keeps them apart: the write through fp-16 must stay unproven.
    const apart = 'mov %r0, %r9\nrsh %r0, 8\nand %r0, 7\njgt %r0, %r8, out\nmov %r1, %r7\nadd %r1, %r0\nstxdw [%r10-8], %r1\nmov %r0, %r9\nrsh %r0, 16\nand %r0, 7\njgt %r0, %r8, out\nmov %r2, %r7\nadd %r2, %r0\nstxdw [%r10-16], %r2';
    const src = protect(`jlt %r8, 8, out\nmov %r0, %r9\nand %r0, 7\nmov %r1, %r7\nadd %r1, %r0\nstxdw [%r10-8], %r1\nstxdw [%r10-16], %r1
mov %r6, 0
head:
jge %r6, 2, after
mov %r0, %r9
and %r0, 16
jne %r0, 0, other
mov %r0, 0
mov %r1, 0
mov %r2, 0
ja join
other:
${apart}
mov %r0, 0
mov %r1, 0
mov %r2, 0
join:
add %r6, 1
ja head
after:
ldxdw %r1, [%r10-8]
${exactEnd}
mov %r2, %r4
sub %r2, %r1
jlt %r2, 8, out
ldxdw %r3, [%r10-16]
stdw [%r3], 0`);
    expect(codes(src, PROTECT)).toEqual(['OUT_OF_BOUNDS']);
  });
});

describe('a length-bounded offset plus a bounded number (len-sum.ts)', () => {
  /** used = input 3 with used <= len - 9, r0 = `step`, used += r0, a byte written at buf + used. */
  const grow = (step: string): string => protect(`${input(3)}\nmov %r5, %r0\njlt %r8, 9, out\nmov %r1, %r8\nsub %r1, 9\njgt %r5, %r1, out
${step}\nadd %r5, %r0\nmov %r1, %r7\nadd %r1, %r5\nstb [%r1], 0`);

  it('used + [0, 8] stays before the end: accepted', () => {
    expect(codes(grow('mov %r0, %r9\nand %r0, 7\nadd %r0, 1'), PROTECT)).toEqual([]);
  });

  const twins: [string, string][] = [
    ['any number added', 'mov %r0, %r9'],
    ['a number in [0, 9] (one past the slack)', 'mov %r0, %r9\nand %r0, 7\nadd %r0, 2'],
    ['0 or -1 (2^64 - 1): used - 1 below the buffer when used = 0', 'mov %r0, %r9\nand %r0, 1\nneg %r0'],
    ['2^63: the bound would need a wrap', 'mov %r0, 1\nlsh %r0, 63'],
  ];
  for (const [name, step] of twins) {
    it(`twin: ${name}: rejected`, () => {
      expect(codes(grow(step), PROTECT)).toEqual(['OUT_OF_BOUNDS']);
    });
  }

  it('twin: a 32-bit add (truncating) does not keep the bound', () => {
    const src = protect(`${input(3)}\nmov %r5, %r0\njlt %r8, 9, out\nmov %r1, %r8\nsub %r1, 9\njgt %r5, %r1, out
mov %r0, 1\nlsh %r0, 32\nsub %r0, 1\nadd32 %r5, %r0\nmov %r1, %r7\nadd %r1, %r5\nstb [%r1], 0`);
    expect(codes(src, PROTECT)).toEqual(['OUT_OF_BOUNDS']);
  });
});

describe('x - (x / k) * k (rem.ts): only an unsigned division by a constant k > 1', () => {
  const rem = (ops: string): string => withAny(`mov %r1, %r9\n${ops}\nsub %r9, %r1\n${stackByte(9)}`);

  it('k = 255: accepted', () => {
    expect(codes(rem('div %r1, 255\nmul %r1, 255'))).toEqual([]);
  });

  const twins: [string, string][] = [
    ['k = 0 (eBPF: x / 0 = 0, so x - 0 = x)', 'div %r1, 0\nmul %r1, 0'],
    ['a signed division (negative x: the product is above x)', 'sdiv %r1, 255\nmul %r1, 255'],
    ['k in a register that may be 0', 'mov %r3, %r9\nand %r3, 255\ndiv %r1, %r3\nmul %r1, %r3'],
    ['multiplied in 32 bits', 'div %r1, 255\nmul32 %r1, 255'],
    ['the quotient stepped before the product', 'div %r1, 255\nadd %r1, 1\nmul %r1, 255'],
  ];
  for (const [name, ops] of twins) {
    it(`twin: ${name}: rejected`, () => {
      expect(codes(rem(ops))).toContain('OUT_OF_BOUNDS');
    });
  }

  it('twin: quotients of two different numbers joined: rejected', () => {
    const src = withAny(`${input(1)}\nmov %r8, %r0\nmov %r1, %r9\njset %r8, 1, other\nmov %r1, %r8\nother:\ndiv %r1, 255\nmul %r1, 255\nsub %r9, %r1\n${stackByte(9)}`);
    expect(codes(src)).toEqual(['OUT_OF_BOUNDS']);
  });
});

describe('a spilled loop counter (spills.ts): every way the slot may change leaves the loop unbounded', () => {
  const twins: [string, string][] = [
    ['an atomic add to the slot', 'mov %r1, 1000\nlock add [%r10-8], %r1'],
    ['a store through a stack pointer spilled and loaded back', 'mov %r3, %r10\nadd %r3, -8\nstxdw [%r10-16], %r3\nldxdw %r4, [%r10-16]\nstdw [%r4], 0'],
    ['my_memcpy into the slot', `mov %r1, %r10\nadd %r1, -8\nmov %r2, %r10\nadd %r2, -24\nstdw [%r10-24], 0\nmov %r3, 8\ncall ${MEMCPY}`],
    ['a 4-byte store over its high half', 'stw [%r10-4], 0'],
  ];
  for (const [name, between] of twins) {
    it(`twin: ${name}: unbounded`, () => {
      expect(verify(spilledCounter(between)).errors.map((e) => e.code)).toContain('UNBOUNDED_LOOP');
    });
  }

  it('twin: a local call given a pointer to the frame: unbounded', () => {
    const src = `mov %r6, %r1\nmov %r7, 0\nl:\nstxdw [%r10-8], %r7\nmov %r1, %r10\nadd %r1, -8\ncall local f\nldxdw %r7, [%r10-8]\nadd %r7, 1\njlt %r7, 100, l\nmov %r0, 0\nexit
f:\nstdw [%r1], 0\nmov %r0, 0\nexit`;
    expect(verify(src).errors.map((e) => e.code)).toContain('UNBOUNDED_LOOP');
  });
});

describe('a pinned spilled number (access.ts): a write between the loads unpins it', () => {
  /** fp-8 = 0 or n <= 1000 (no id at the join), a test on one load, `between`, the other load indexes 4 u64s at fp-64. */
  const pinned = (between: string): string => withAny(`mov %r3, 0\nstxdw [%r10-8], %r3\njgt %r9, 1000, join\nstxdw [%r10-8], %r9\njoin:
ldxdw %r4, [%r10-8]\njgt %r4, 3, out\n${between}\nldxdw %r5, [%r10-8]\nlsh %r5, 3\nmov %r1, %r10\nadd %r1, -64\nadd %r1, %r5\nstdw [%r1], 7`);

  const twins: [string, string][] = [
    ['my_memset over the slot', `mov %r1, %r10\nadd %r1, -8\nmov %r2, 200\nmov %r3, 8\ncall ${MEMSET}`],
    ['an atomic add to the slot', 'mov %r1, 100\nlock add [%r10-8], %r1'],
    ['a store through a stack pointer', 'mov %r3, %r10\nadd %r3, -8\nstxdw [%r3], %r9'],
  ];
  for (const [name, between] of twins) {
    it(`twin: ${name}: rejected`, () => {
      expect(codes(pinned(between))).toEqual(['OUT_OF_BOUNDS']);
    });
  }
});

describe('length fields (len-fields.ts) and bounds by another number (below.ts)', () => {
  const writer = lengthWriter;
  /** Reads the field at +0 into r3 (`select` may change it), fills r3 bytes from +`off`. */
  const reader = (select = '', off = 8): string => withSlot(0, `ldxdw %r3, [%r7]\n${select}\nmov %r1, %r7\nadd %r1, ${off}\nmov %r2, 0\ncall ${MEMSET}`);

  it('the premise: accepted', () => {
    expect(pluginCodes(verifyStrict([writer(), reader()]))).toEqual([[], []]);
  });

  const twins: [string, string[]][] = [
    ['the field\'s high half rewritten by a 4-byte store in another pluglet', [writer(), reader(), withSlot(0, 'stw [%r7+4], 1')]],
    ['the field\'s bytes rewritten by my_memset in another pluglet', [writer(), reader(), withSlot(0, `mov %r1, %r7\nmov %r2, 255\nmov %r3, 8\ncall ${MEMSET}`)]],
    ['the field rewritten by an atomic add', [writer(), reader(), withSlot(0, 'mov %r1, 1\nlock add [%r7], %r1')]],
    ['the field holds len + 8: at most the whole block, not the bytes after +8', [writer('mov %r4, %r8\nadd %r4, 8\nstxdw [%r0], %r4'), reader()]],
    ['a block of len + 16 bytes holding len + 9 (a bound of size - 7, one short of the 8 the fill needs)', [writer('mov %r4, %r8\nadd %r4, 9\nstxdw [%r0], %r4', 'mov %r2, %r8\nadd %r2, 16'), reader()]],
    ['the size taken in 32 bits of a length that may reach 2^32 - 1 (wraps to a small block)', [writer('stxdw [%r0], %r8', 'mov32 %r8, %r8\nmov32 %r2, %r8\nadd32 %r2, 8').replace('jgt %r0, 1200, out\n', ''), reader()]],
    ['a block of another site, 8 bytes, kept in the same slot with 1200 at +0', [writer(), reader(), `mov %r6, %r1\nmov %r2, 8\ncall ${MALLOC}\njeq %r0, 0, out\nmov %r1, 1200\nstxdw [%r0], %r1\nmov %r3, %r0\nmov %r1, %r6\nmov %r2, 0\ncall ${SET_META}\nout:\nmov %r0, 0\nexit`]],
    ['the smaller of len and cap by a signed test (a negative cap passes)', [writer(), reader(`mov %r8, %r3\n${anyNumber}\nmov %r3, %r0\njslt %r0, %r8, keep\nmov %r3, %r8\nkeep:`)]],
    ['the field read in 4 bytes and used as a length', [writer(), withSlot(0, `ldxw %r3, [%r7+4]\nmov %r1, %r7\nadd %r1, 8\nmov %r2, 0\ncall ${MEMSET}`)]],
  ];
  for (const [name, srcs] of twins) {
    it(`twin: ${name}: the fill rejected`, () => {
      const v = verifyStrict(srcs);
      expect(pluginCodes(v)[1]).toContain('HELPER_ARG');
    });
  }

  describe('copies of a block pointer: the field read through one sizes the other only while they are one pointer', () => {
    const GET_META = id('get_cnx_metadata');
    const meta = (slot: number, reg: number): string => `mov %r1, %r6\nmov %r2, ${slot}\ncall ${GET_META}\njeq %r0, 0, out\nmov %r${reg}, %r0`;
    /** Blocks of two sites (slots 0 and 1); r7 one of them, r8 = r7; `loop` may set them apart; then r7's field sizes a fill of r8's bytes. */
    const copies = (loop: string): string => `mov %r6, %r1\n${meta(0, 7)}\n${meta(1, 8)}\n${anyNumber}\njset %r0, 1, keep\nmov %r7, %r8\nkeep:\nmov %r8, %r7
${loop}\nldxdw %r3, [%r7]\nmov %r1, %r8\nadd %r1, 8\nmov %r2, 0\ncall ${MEMSET}\nout:\nmov %r0, 0\nexit`;
    const slot1 = lengthWriter().replace(/mov %r2, 0\ncall (\d+)\nout:/, 'mov %r2, 1\ncall $1\nout:');

    it('one pointer (r8 = r7): accepted', () => {
      expect(pluginCodes(verifyStrict([lengthWriter(), slot1, copies('')]))).toEqual([[], [], []]);
    });

    it('twin: a loop whose other path loads them apart (that path is no larger, so a first pass may prune it): rejected', () => {
      const apart = `mov %r9, 0\nhead:\njge %r9, 2, after\nadd %r9, 1\n${anyNumber}\njset %r0, 1, other\nmov %r0, 0\nja head\nother:\n${meta(0, 7)}\n${meta(1, 8)}\nmov %r0, 0\nja head\nafter:`;
      expect(pluginCodes(verifyStrict([lengthWriter(), slot1, copies(apart)]))[2]).toContain('HELPER_ARG');
    });
  });

  it('a block freed by another pluglet stays its site\'s (heap.ts): the proof stands, and my_free is no write to the field', () => {
    const v = verifyStrict([writer(), reader(), withSlot(0, `mov %r1, %r6\nmov %r2, %r7\ncall ${FREE}`)]);
    expect(pluginCodes(v)).toEqual([[], [], []]);
  });
});
