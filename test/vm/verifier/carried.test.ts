/**
 * Loop counters carried through copies and temporaries (src/vm/verifier/carried.ts): the shapes
 * clang emits for inspect/streams, sack and varint's encode loop, each with twins one step off
 * that must stay unbounded under strict.
 */
import { describe, expect, it } from 'vitest';
import { elf, first, verifyAsm, verifyImage } from './util.js';

/** `for (i = 0; i < 1000; i++)` the way clang wrote it in streams.o: i stepped in a copy, tested on 32 bits. */
const copied = (o: { reset?: boolean; writeBack?: string; cmp?: string; start?: string; step?: number } = {}): string => [
  o.start ?? 'mov %r7, 0',
  'l:',
  'mov %r9, %r7',
  `add %r9, ${o.step ?? 1}`,
  `${o.cmp ?? 'jgt32'} %r7, 998, out`,
  ...(o.reset ? ['jeq %r1, 0, keep', 'mov %r9, 0', 'keep:'] : []),
  o.writeBack ?? 'mov %r7, %r9',
  'ja l',
  'out:',
  'mov %r0, 0',
  'exit',
].join('\n');

/** The bottom of `while (pos + 8 <= len)` with pos in r3, tested through a copy as clang does. */
const whilePos8 = ['mov %r9, %r3', 'add %r9, 8', 'jle %r9, %r2, l', 'out:', 'mov %r0, 0', 'exit'];

/** varint's encode loop: pos parked in r5 while r3 is reused, restored, stepped, tested as pos + 8 <= len. */
const parked = (o: { restore?: string; step?: string } = {}): string => [
  'mov %r3, 0',
  'jlt %r2, 8, out',
  'l:',
  'mov %r5, %r3',
  'mov %r3, %r2',
  'xor %r3, 77',
  o.restore ?? 'mov %r3, %r5',
  'jeq %r1, 0, two',
  o.step ?? 'add %r3, 1',
  'ja next',
  'two:',
  'add %r3, 2',
  'next:',
  ...whilePos8,
].join('\n');

const unbounded = (src: string, ctx: 'mem' | 'pluglet' = 'mem'): string => first(verifyAsm(src, { ctx })).code;

describe('verifier: a counter stepped through a copy bounds its loop', () => {
  it('s = i; s += 1; if w(i) > 998 exit; i = s (streams, sack) is accepted under strict', () => {
    expect(verifyAsm(copied(), { ctx: 'mem' }).errors.map((e) => e.reason)).toEqual([]);
  });

  it('counting down through a copy, tested at the bottom, is accepted too', () => {
    const src = (min: number): string => ['mov %r7, 1000', 'l:', 'mov %r9, %r7', 'add %r9, -3', 'mov %r7, %r9', `jge %r7, ${min}, l`, 'mov %r0, 0', 'exit'].join('\n');
    expect(verifyAsm(src(3), { ctx: 'mem' }).errors).toEqual([]);
    // i >= 2 lets i reach 2 at the head, and 2 - 3 wraps.
    expect(first(verifyAsm(src(2), { ctx: 'mem' })).reason).toMatch(/may wrap/);
  });

  const misses: [string, Parameters<typeof copied>[0]][] = [
    ['the loop also resets the copy on one path', { reset: true }],
    ['the copy is not written back', { writeBack: 'mov %r7, %r7' }],
    ['the written-back value is another register', { writeBack: 'mov %r7, %r1' }],
    ['a step of 0', { step: 0 }],
    // From an unknown 64-bit start, w7 <= 998 says nothing of the upper half: i may wrap at 2^64.
    ['a 32-bit compare on a counter that can wrap', { start: 'mov %r7, %r2\nmul %r7, %r2' }],
  ];
  for (const [what, o] of misses) {
    it(`stays unbounded: ${what}`, () => {
      expect(unbounded(copied(o))).toBe('UNBOUNDED_LOOP');
      expect(verifyAsm(copied(o), { ctx: 'mem', policy: 'checked' }).unboundedLoops.length).toBeGreaterThan(0);
    });
  }

  it('a counter stepped and tested on 32 bits that ends only by wrapping at 2^32 stays unbounded', () => {
    const src = ['mov %r7, 0', 'l:', 'add32 %r7, 1', 'jne32 %r7, 0, l', 'mov %r0, 0', 'exit'].join('\n');
    expect(first(verifyAsm(src, { ctx: 'mem' })).reason).toMatch(/may wrap/);
  });
});

describe('verifier: a counter parked in a temporary and restored bounds its loop', () => {
  it('t = pos; pos = ...; pos = t; pos += 1 or 2 while pos + 8 <= len (varint) is accepted under strict', () => {
    expect(verifyAsm(parked(), { ctx: 'mem' }).errors.map((e) => e.reason)).toEqual([]);
  });

  it('stays unbounded: restored from the wrong register', () => {
    expect(unbounded(parked({ restore: 'mov %r3, %r2' }))).toBe('UNBOUNDED_LOOP');
  });

  it('stays unbounded: one path steps by 0', () => {
    expect(unbounded(parked({ step: 'add %r3, 0' }))).toBe('UNBOUNDED_LOOP');
  });

  it('stays unbounded: one path steps backwards', () => {
    expect(unbounded(parked({ step: 'add %r3, -1' }))).toBe('UNBOUNDED_LOOP');
  });

  it('stays unbounded: an inner loop that moves the parked value back', () => {
    const src = parked({ restore: 'in:\nadd %r5, -1\njgt %r5, %r1, in\nmov %r3, %r5' });
    expect(unbounded(src)).toBe('UNBOUNDED_LOOP');
  });
});

describe('verifier: a counter stepped by a register of known range', () => {
  /** pos += n with n in [lo, hi] (clang's merged `pos += 1` / `pos += 2`), tested as pos + 8 <= len. */
  const byReg = (lo: number, hi: number, commuted = false): string => [
    'mov %r3, 0',
    'jlt %r2, 8, out',
    'l:',
    'ldxb %r5, [%r1]',
    'and %r5, 1',
    ...(hi - lo > 1 ? ['lsh %r5, 1'] : []),
    `add %r5, ${lo}`,
    ...(commuted ? ['add %r5, %r3', 'mov %r3, %r5'] : ['add %r3, %r5']),
    ...whilePos8,
  ].join('\n');

  it('pos += n, n in [1, 2], is accepted under strict', () => {
    expect(verifyAsm(byReg(1, 2), { ctx: 'mem' }).errors.map((e) => e.reason)).toEqual([]);
  });

  it('n += pos; pos = n (the commuted form) is accepted too', () => {
    expect(verifyAsm(byReg(1, 3, true), { ctx: 'mem' }).errors.map((e) => e.reason)).toEqual([]);
  });

  it('stays unbounded: n in [0, 1] may leave pos where it was', () => {
    expect(first(verifyAsm(byReg(0, 1), { ctx: 'mem' })).reason).toMatch(/moved by \[0, 1\]/);
    expect(unbounded(byReg(0, 1, true))).toBe('UNBOUNDED_LOOP');
  });

  it('stays unbounded: an addend of unknown range', () => {
    const src = byReg(1, 2).replace('and %r5, 1', 'mov %r5, %r2\nmul %r5, %r2');
    expect(unbounded(src)).toBe('UNBOUNDED_LOOP');
  });
});

describe('verifier: C loops with a carried counter (plugins-c/verifier-tests/loops.c)', () => {
  for (const [entry, ctx] of [['walk_streams', 'pluglet'], ['fill_records', 'mem']] as const) {
    it(`${entry} is accepted under strict`, () => {
      expect(verifyImage(elf('plugins-c/verifier-tests/loops.o', entry), { ctx }).errors.map((e) => e.reason)).toEqual([]);
    });
  }
  for (const [entry, ctx] of [['walk_streams_reset', 'pluglet'], ['fill_records_stall', 'mem']] as const) {
    it(`${entry} is refused under strict, left to the fuel under checked`, () => {
      expect(first(verifyImage(elf('plugins-c/verifier-tests/loops.o', entry), { ctx })).code).toBe('UNBOUNDED_LOOP');
      const r = verifyImage(elf('plugins-c/verifier-tests/loops.o', entry), { ctx, policy: 'checked' });
      expect(r.errors).toEqual([]);
      expect(r.unboundedLoops.length).toBe(1);
    });
  }
});

describe('verifier: the objects these shapes come from', () => {
  for (const f of ['inspect/streams.o', 'inspect/sack.o']) {
    it(`${f} is accepted under strict`, () => {
      expect(verifyImage(elf(`plugins-c/${f}`)).errors.map((e) => e.reason)).toEqual([]);
    });
  }

  it("varint's loops are bounded; what strict still refuses is the decoder's read at an index from the data", () => {
    const r = verifyImage(elf('plugins-c/bench/varint.o'), { ctx: 'mem' });
    expect(r.errors.map((e) => e.code)).toEqual(['OUT_OF_BOUNDS']);
    expect(verifyImage(elf('plugins-c/bench/varint.o'), { ctx: 'mem', policy: 'checked' }).unboundedLoops).toEqual([]);
  });
});
