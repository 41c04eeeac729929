/**
 * x % k as clang writes it for BPF (`q = x; q /= k; q *= k; x -= q`: LLVM expands urem), bounded
 * to [0, k - 1] (rem.ts): rlc_coef's `1 + h % 255` indexes a 256-entry table. Each proof has a
 * twin that must stay rejected.
 */
import { describe, expect, it } from 'vitest';
import { AK_CNX_INPUT, HELPER_IDS } from '../../../src/plugins/abi.js';
import { verifyAsm } from './util.js';

const id = (n: string): number => HELPER_IDS.get(n)!;

/** h = input 0 (any number); r6 = h; `rem` (leaves r6 = h % 255 when right); a byte at fp-256 + r6 written. */
const indexed = (rem: string): string => `mov %r2, ${AK_CNX_INPUT}
mov %r3, 0
call ${id('get_cnx')}
mov %r6, %r0
${rem}
mov %r2, %r10
add %r2, -256
add %r2, %r6
stb [%r2], 1
mov %r0, 0
exit`;

const clang = 'mov %r1, %r6\ndiv %r1, 255\nmul %r1, 255\nsub %r6, %r1';
const codes = (src: string): string[] => verifyAsm(src, { ctx: 'pluglet' }).errors.map((e) => e.code);

describe('verifier: x - (x / k) * k is x % k', () => {
  it('h % 255 (plus 1, as rlc_coef) indexes 256 bytes: accepted under strict', () => {
    expect(codes(indexed(clang))).toEqual([]);
    expect(codes(indexed(`${clang}\nadd %r6, 1`))).toEqual([]);
  });

  it('the quotient spilled and loaded back keeps what it is', () => {
    expect(codes(indexed('mov %r1, %r6\ndiv %r1, 255\nstxdw [%r10-264], %r1\nldxdw %r1, [%r10-264]\nmul %r1, 255\nsub %r6, %r1'))).toEqual([]);
  });

  const twins: [string, string][] = [
    ['multiplied back by another constant', 'mov %r1, %r6\ndiv %r1, 255\nmul %r1, 254\nsub %r6, %r1'],
    ['not multiplied back (h - h / 255)', 'mov %r1, %r6\ndiv %r1, 255\nsub %r6, %r1'],
    ['the dividend changed before the subtraction', 'mov %r1, %r6\ndiv %r1, 255\nmul %r1, 255\nadd %r6, 7\nsub %r6, %r1'],
    ['the quotient of another number', 'mov %r1, %r6\nadd %r1, 300\ndiv %r1, 255\nmul %r1, 255\nsub %r6, %r1'],
    ['h % 300 may pass the 256 bytes', 'mov %r1, %r6\ndiv %r1, 300\nmul %r1, 300\nsub %r6, %r1'],
    ['a 32-bit division (of the low half only)', 'mov %r1, %r6\ndiv32 %r1, 255\nmul %r1, 255\nsub %r6, %r1'],
  ];
  for (const [name, rem] of twins) {
    it(`twin: ${name}: rejected`, () => {
      expect(codes(indexed(rem))).toEqual(['OUT_OF_BOUNDS']);
    });
  }
});
