/**
 * A left shift by a register of known range (src/vm/verifier/alu.ts): 1 << (b >> 6) is in [1, 8]
 * (varint's decoder), so it indexes a 16-byte buffer; shifts that may drop bits stay unknown.
 */
import { describe, expect, it } from 'vitest';
import { verifyAsm } from './util.js';

/** r4 = x << (mem[0] >> s), then a load at mem + r4 with len >= 16 checked. */
const shifted = (x: number, s: number): string => [
  'jlt %r2, 16, out',
  'ldxb %r3, [%r1]',
  `rsh %r3, ${s}`,
  `mov %r4, ${x}`,
  'lsh %r4, %r3',
  'add %r1, %r4',
  'ldxb %r0, [%r1]',
  'exit',
  'out:',
  'mov %r0, 0',
  'exit',
].join('\n');

describe('verifier: x << k with k a register of known range', () => {
  it('1 << (b >> 6) <= 8 proves mem[n] when len >= 16', () => {
    const r = verifyAsm(shifted(1, 6), { ctx: 'mem', policy: 'checked' });
    expect(r.errors).toEqual([]);
    expect(r.provenAccesses.has(6)).toBe(true);
  });

  it('1 << (b >> 5) <= 128 does not', () => {
    expect(verifyAsm(shifted(1, 5), { ctx: 'mem', policy: 'checked' }).provenAccesses.has(6)).toBe(false);
  });

  it('a shift that may push bits out (3 << k, k up to 63) gives no range', () => {
    const r = verifyAsm(shifted(3, 2), { ctx: 'mem', policy: 'checked' });
    expect(r.provenAccesses.has(6)).toBe(false);
  });
});
