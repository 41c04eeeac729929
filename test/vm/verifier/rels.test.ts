/**
 * Relations between a loop's counter and the offset it indexes (src/vm/verifier/rels.ts), and
 * word counts of the context length (`len >> 3`, `len / 24`): what they prove, and the near
 * misses they must leave unproven (each variant below is one step off a proven program).
 */
import { describe, expect, it } from 'vitest';
import { verifyAsm } from './util.js';

/** Stores one 8-byte word per trip: p = mem + 8*i while i < len >> 3. */
const words = (o: { shift?: number; cmp?: string; stride?: number; start?: number; counter?: string } = {}): string => [
  'mov %r0, 0',
  `rsh %r2, ${o.shift ?? 3}`,
  'jeq %r2, 0, out',
  'mov %r3, 0',
  'mov %r4, %r1',
  ...(o.start ? [`add %r4, ${o.start}`] : []),
  'l:',
  'stxdw [%r4], %r0',
  `add %r4, ${o.stride ?? 8}`,
  o.counter ?? 'add %r3, 1',
  `${o.cmp ?? 'jlt'} %r3, %r2, l`,
  'out:',
  'exit',
].join('\n');

const storePc = (src: string): number => src.split('\n').filter((l) => !l.endsWith(':')).findIndex((l) => l.startsWith('stxdw'));

describe('verifier: a counter bounded by a word count bounds the offset it steps with', () => {
  it('i < len >> 3 proves p = mem + 8*i (strict)', () => {
    const src = words();
    const r = verifyAsm(src, { ctx: 'mem' });
    expect(r.errors.map((e) => `${e.pc}: ${e.reason}`)).toEqual([]);
    expect(r.provenAccesses.has(storePc(src))).toBe(true);
  });

  const misses: [string, Parameters<typeof words>[0]][] = [
    ['i <= words (one word too far)', { cmp: 'jle' }],
    ['4-byte words, 8-byte stores', { shift: 2, stride: 8 }],
    ['a stride larger than the word', { stride: 9 }],
    ['p starts one byte in', { start: 1 }],
    ['the counter is rewritten by something other than a step', { counter: 'add %r3, 1\nand %r3, -1' }],
    ['the counter steps on 32 bits', { counter: 'add32 %r3, 1' }],
  ];
  for (const [what, o] of misses) {
    it(`stays unproven: ${what}`, () => {
      const src = words(o);
      const strict = verifyAsm(src, { ctx: 'mem' });
      expect(strict.errors.some((e) => e.pc === storePc(src) && e.code === 'OUT_OF_BOUNDS')).toBe(true);
      expect(verifyAsm(src, { ctx: 'mem', policy: 'checked' }).provenAccesses.has(storePc(src))).toBe(false);
    });
  }

  it('i < len / 24 proves the last 8 bytes of a 24-byte record, not one byte further', () => {
    const rec = (off: number): string => `mov %r0, 0\ndiv %r2, 24\njeq %r2, 0, out\nmov %r3, 0\nmov %r4, %r1\nl:\nldxdw %r5, [%r4+${off}]\nadd %r0, %r5\nadd %r4, 24\nadd %r3, 1\njlt %r3, %r2, l\nout:\nexit`;
    expect(verifyAsm(rec(16), { ctx: 'mem' }).errors).toEqual([]);
    expect(verifyAsm(rec(16), { ctx: 'mem', policy: 'checked' }).provenAccesses.has(5)).toBe(true);
    expect(verifyAsm(rec(17), { ctx: 'mem', policy: 'checked' }).provenAccesses.has(5)).toBe(false);
  });

  it('a signed division of the length is not a word count', () => {
    const src = 'mov %r0, 0\nsdiv %r2, 8\njeq %r2, 0, out\nmov %r3, 0\nmov %r4, %r1\nl:\nstxdw [%r4], %r0\nadd %r4, 8\nadd %r3, 1\njlt %r3, %r2, l\nout:\nexit';
    expect(verifyAsm(src, { ctx: 'mem', policy: 'checked' }).provenAccesses.has(5)).toBe(false);
  });
});

describe('verifier: a stack pointer stepped with a counter of constant bound', () => {
  const table = (n: number): string => `mov %r3, 0\nmov %r4, %r10\nadd %r4, -64\nl:\nstxw [%r4], %r3\nadd %r4, 4\nadd %r3, 1\njne %r3, ${n}, l\nmov %r0, 0\nexit`;

  it('16 words fill [-64, 0) (the crc32 table)', () => {
    expect(verifyAsm(table(16), { ctx: 'mem', policy: 'checked' }).provenAccesses.has(3)).toBe(true);
  });

  it('17 words leave the frame: never proven', () => {
    const r = verifyAsm(table(17), { ctx: 'mem', policy: 'checked' });
    expect(r.provenAccesses.has(3)).toBe(false);
    expect(verifyAsm(table(17), { ctx: 'mem' }).errors.some((e) => e.pc === 3)).toBe(true);
  });
});

describe('verifier: a block offset from an outer loop, used by an inner one (xor_blocks)', () => {
  /** for (b = 1; b < len / 1200; b++) for (i = 0; i != end; i += 8) sum += *(u64 *)(mem + 1200*b + i) */
  const blocks = (end: number): string => [
    'mov %r0, 0', 'jlt %r2, 1200, out', 'mov %r3, %r2', 'div %r3, 1200', 'jlt %r2, 2400, out',
    'mov %r2, 1', 'mov %r4, 1200',
    'outer:', 'mov %r5, %r1', 'add %r5, %r4', 'mov %r6, 0',
    'inner:', 'mov %r7, %r5', 'add %r7, %r6', 'ldxdw %r7, [%r7]', 'add %r0, %r7', 'add %r6, 8', `jne %r6, ${end}, inner`,
    'add %r4, 1200', 'add %r2, 1', 'jlt %r2, %r3, outer',
    'out:', 'exit',
  ].join('\n');

  it('the last block\'s 150 words are proven (strict, loops bounded)', () => {
    const r = verifyAsm(blocks(1200), { ctx: 'mem' });
    expect(r.errors.map((e) => `${e.pc}: ${e.reason}`)).toEqual([]);
    expect(r.provenAccesses.has(12)).toBe(true);
  });

  it('one word more (a block of 1208 bytes read from 1200-byte blocks) is not', () => {
    const r = verifyAsm(blocks(1208), { ctx: 'mem', policy: 'checked' });
    expect(r.provenAccesses.has(12)).toBe(false);
  });
});

describe('verifier: a bit index below a bit count of the length (sieve\'s bits[m >> 6])', () => {
  /** n = (len >> 3) << 6 bits; for (m = 0; m < n; m += 64) read the word holding bit m, at byte (m >> 3) & ~7. */
  const bits = (o: { cmp?: string; shift?: number; mask?: boolean; grow?: number; step?: number; mul?: number } = {}): string => [
    'mov %r0, 0', 'rsh %r2, 3', o.mul ? `mul %r2, ${o.mul}` : `lsh %r2, ${o.grow ?? 6}`, 'mov %r3, 0', 'jeq %r2, 0, out',
    'l:', 'mov %r4, %r3', `rsh %r4, ${o.shift ?? 3}`, o.mask === false ? 'and %r4, -1' : 'and %r4, -8',
    'mov %r5, %r1', 'add %r5, %r4', 'ldxdw %r6, [%r5]', 'add %r0, %r6', `add %r3, ${o.step ?? 64}`, `${o.cmp ?? 'jlt'} %r3, %r2, l`,
    'out:', 'exit',
  ].join('\n');

  it('proven (strict), and without the mask while m steps by 64 (known low bits)', () => {
    expect(verifyAsm(bits({ mask: false }), { ctx: 'mem', policy: 'checked' }).provenAccesses.has(10)).toBe(true);
    const r = verifyAsm(bits(), { ctx: 'mem' });
    expect(r.errors.map((e) => `${e.pc}: ${e.reason}`)).toEqual([]);
    expect(r.provenAccesses.has(10)).toBe(true);
    expect(verifyAsm(bits({ mul: 64 }), { ctx: 'mem', policy: 'checked' }).provenAccesses.has(10)).toBe(true);
  });

  const misses: [string, Parameters<typeof bits>[0]][] = [
    ['n = words * 72 (more bits than the words hold)', { mul: 72 }],
    ['m <= n (the bit past the last word)', { cmp: 'jle' }],
    ['m >> 2 (twice the bytes)', { shift: 2 }],
    // With m a multiple of 64, m >> 3 is a multiple of 8 and needs no mask: step by 8 instead.
    ['no & ~7 with m stepping by 8 (a byte offset, not a word\'s)', { mask: false, step: 8 }],
    ['n = words << 7 (twice the bits)', { grow: 7 }],
  ];
  for (const [what, o] of misses) {
    it(`stays unproven: ${what}`, () => {
      expect(verifyAsm(bits(o), { ctx: 'mem', policy: 'checked' }).provenAccesses.has(10)).toBe(false);
      expect(verifyAsm(bits(o), { ctx: 'mem' }).errors.some((e) => e.pc === 10)).toBe(true);
    });
  }
});

describe('verifier: a copied relation bounds a counter walking down (insertion_sort\'s inner loop)', () => {
  /**
   * for (i = 1, p = a + 4; i < len / 4; i++, p += 4)
   *   for (q = p, j = i; j != 0; j--, q -= 4) q[0] = q[-1];
   * The copies q = p, j = i inherit p = 4*i, which the inner steps keep (q = 4*j).
   */
  const sort = (o: { load?: number; jStart?: string; cmp?: string; jStep?: number } = {}): string => [
    'mov %r0, 0', 'rsh %r2, 2', 'jlt %r2, 2, out', 'mov %r4, 1', 'mov %r5, %r1', 'add %r5, 4',
    'outer:', 'mov %r6, %r5', 'mov %r7, %r4', ...(o.jStart ? [o.jStart] : []),
    'inner:', `ldxw %r9, [%r6${o.load ?? -4}]`, 'stxw [%r6], %r9', 'add %r6, -4', `add %r7, ${o.jStep ?? -1}`, 'jne %r7, 0, inner',
    'add %r5, 4', 'add %r4, 1', `${o.cmp ?? 'jlt'} %r4, %r2, outer`,
    'out:', 'exit',
  ].join('\n');
  const at = (src: string, op: string): number => src.split('\n').filter((l) => !l.endsWith(':')).findIndex((l) => l.startsWith(op));

  it('both accesses proven (strict, loops bounded)', () => {
    const src = sort();
    const r = verifyAsm(src, { ctx: 'mem' });
    expect(r.errors.map((e) => `${e.pc}: ${e.reason}`)).toEqual([]);
    expect(r.provenAccesses.has(at(src, 'ldxw'))).toBe(true);
    expect(r.provenAccesses.has(at(src, 'stxw'))).toBe(true);
  });

  const misses: [string, Parameters<typeof sort>[0], string][] = [
    ['q[-2]: one element below the array', { load: -8 }, 'ldxw'],
    ['j starts at i + 1 (q[-1] below the array when j reaches 1)', { jStart: 'add %r7, 1' }, 'ldxw'],
    ['i <= n (the store one element past the end)', { cmp: 'jle' }, 'stxw'],
  ];
  for (const [what, o, op] of misses) {
    it(`stays unproven: ${what}`, () => {
      const src = sort(o);
      expect(verifyAsm(src, { ctx: 'mem', policy: 'checked' }).provenAccesses.has(at(src, op))).toBe(false);
      expect(verifyAsm(src, { ctx: 'mem' }).errors.some((e) => e.pc === at(src, op) && e.code === 'OUT_OF_BOUNDS')).toBe(true);
    });
  }

  it('stays unproven: j steps by 2 while q steps by 4 (no relation), and j may pass 0', () => {
    const src = sort({ jStep: -2 });
    const r = verifyAsm(src, { ctx: 'mem', policy: 'checked' });
    expect(r.provenAccesses.has(at(src, 'ldxw'))).toBe(false);
  });
});

describe('verifier: a bound learned by a copy plus a constant (varint\'s `pos + 8 <= len`)', () => {
  /** while (pos + OFF <= len) { mem[pos + STORE] = 0; pos += 1 or 2 } */
  const enc = (o: { off?: number; store?: number; cmp?: string } = {}): string => [
    'mov %r0, 0', 'mov %r3, 0',
    'l:', 'mov %r9, %r3', `add %r9, ${o.off ?? 8}`, `${o.cmp ?? 'jgt'} %r9, %r2, out`,
    'mov %r8, %r1', 'add %r8, %r3', `stxb [%r8+${o.store ?? 7}], %r0`,
    'jset %r2, 1, two', 'add %r3, 1', 'ja l', 'two:', 'add %r3, 2', 'ja l',
    'out:', 'exit',
  ].join('\n');
  const STORE = 7;

  it('the last of the 8 bytes is proven (strict, the loop bounded), and with pos + 7 < len', () => {
    const r = verifyAsm(enc(), { ctx: 'mem' });
    expect(r.errors.map((e) => `${e.pc}: ${e.reason}`)).toEqual([]);
    expect(r.provenAccesses.has(STORE)).toBe(true);
    expect(verifyAsm(enc({ cmp: 'jge', off: 7 }), { ctx: 'mem' }).errors).toEqual([]);
  });

  const misses: [string, Parameters<typeof enc>[0]][] = [
    ['pos + 7 <= len, then the 8th byte', { off: 7 }],
    ['pos + 8 <= len, then a 9th byte', { store: 8 }],
    ['pos + 6 < len (pos + 7 <= len), then the 8th byte', { cmp: 'jge', off: 6 }],
  ];
  for (const [what, o] of misses) {
    it(`stays unproven: ${what}`, () => {
      expect(verifyAsm(enc(o), { ctx: 'mem', policy: 'checked' }).provenAccesses.has(STORE)).toBe(false);
    });
  }

  it('a comparison bounds the copies of the compared register (pos < end, then mem[copy])', () => {
    const dec = (cmp: string): string => [
      'mov %r0, 0', 'mov %r3, %r2', 'rsh %r3, 1', 'mov %r7, 0',
      'l:', 'mov %r6, %r7', `${cmp} %r7, %r3, out`, 'mov %r5, %r1', 'add %r5, %r6', 'ldxb %r4, [%r5]', 'add %r0, %r4', 'add %r7, 1', 'ja l',
      'out:', 'exit',
    ].join('\n');
    const r = verifyAsm(dec('jge'), { ctx: 'mem' });
    expect(r.errors.map((e) => `${e.pc}: ${e.reason}`)).toEqual([]);
    expect(r.provenAccesses.has(8)).toBe(true);
    expect(verifyAsm(dec('jgt'), { ctx: 'mem', policy: 'checked' }).provenAccesses.has(8)).toBe(false);
  });
});

describe('verifier: a counter related to its copy across the loop (copies share an id, so y = x + 0 holds at the join)', () => {
  /** clang's `while (pos + 8 <= len)`: next = pos + 3; n = pos + 11 (= next + 8); pos = next; loop while n <= len. */
  const loop = (far: number, store: number): string => [
    'mov %r0, 0', 'jlt %r2, 8, out', 'mov %r3, 0', 'mov %r0, 0',
    'l:', 'mov %r4, %r1', 'add %r4, %r3', `stxb [%r4+${store}], %r2`, 'add %r0, 3', 'mov %r4, %r3', `add %r4, ${far}`, 'mov %r3, %r0', 'jle %r4, %r2, l',
    'out:', 'exit',
  ].join('\n');

  it('n = pos + 11 compared, pos = next: byte next + 7 proven (strict)', () => {
    const r = verifyAsm(loop(11, 7), { ctx: 'mem' });
    expect(r.errors.map((e) => `${e.pc}: ${e.reason}`)).toEqual([]);
    expect(r.provenAccesses.has(6)).toBe(true);
  });

  it('stays unproven: byte next + 8, or n = pos + 10', () => {
    expect(verifyAsm(loop(11, 8), { ctx: 'mem', policy: 'checked' }).provenAccesses.has(6)).toBe(false);
    expect(verifyAsm(loop(10, 7), { ctx: 'mem', policy: 'checked' }).provenAccesses.has(6)).toBe(false);
  });
});
