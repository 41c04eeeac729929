/**
 * A loop counter spilled to the stack while its register is reused, then loaded back and
 * stepped (carried.ts through spills.ts: rlc_try_decode's loops around helper calls), and
 * locations an inner loop keeps moving widened to unrelated. Each accepted shape has twins in
 * which the slot may change under the counter, which must stay unbounded under strict.
 */
import { describe, expect, it } from 'vitest';
import { AK_CNX_INPUT, HELPER_IDS } from '../../../src/plugins/abi.js';
import { first, spilledCounter, verifyAsm } from './util.js';

const id = (n: string): number => HELPER_IDS.get(n)!;

const spilled = spilledCounter;

const codes = (src: string): string[] => verifyAsm(src, { ctx: 'pluglet' }).errors.map((e) => e.code);

describe('verifier: a counter carried through a stack slot bounds its loop', () => {
  it('spilled, register reused, loaded back and stepped: accepted under strict', () => {
    expect(codes(spilled())).toEqual([]);
  });

  it('a store elsewhere in the frame, through r10 or a stack pointer, leaves the slot alone', () => {
    expect(codes(spilled('stdw [%r10-16], 0\nmov %r3, %r10\nadd %r3, -64\nstdw [%r3], 1'))).toEqual([]);
  });

  it('a helper reading the slot (recover_packet) leaves it alone', () => {
    const src = spilled(`mov %r1, %r6\nmov %r2, %r10\nadd %r2, -8\nmov %r3, 8\ncall ${id('recover_packet')}`);
    expect(codes(src)).toEqual([]);
  });

  const twins: [string, string][] = [
    ['the slot overwritten through r10', 'stdw [%r10-8], 0'],
    ['a byte of the slot overwritten', 'stb [%r10-5], 0'],
    ['the slot overwritten through a stack pointer', 'mov %r3, %r10\nadd %r3, -8\nstdw [%r3], 0'],
    ['the slot reached by a stack pointer with a range of offsets', `mov %r1, %r6\nmov %r2, ${AK_CNX_INPUT}\nmov %r3, 0\ncall ${id('get_cnx')}\nand %r0, 24\nmov %r3, %r10\nadd %r3, -32\nadd %r3, %r0\nstdw [%r3], 0`],
    ['a helper writing the frame below the slot', `mov %r1, %r10\nadd %r1, -16\nmov %r2, 0\nmov %r3, 16\ncall ${id('my_memset')}`],
  ];
  for (const [name, between] of twins) {
    it(`twin: ${name}: unbounded`, () => {
      expect(first(verifyAsm(spilled(between), { ctx: 'pluglet' })).code).toBe('UNBOUNDED_LOOP');
    });
  }
});

/**
 * The outer counter c stepped through a copy, and an inner loop stepping another copy of c
 * (`p = c; while (p < 50) p++`): p's offset from c grows on every pass over the body.
 */
const nested = (outerStep: string): string => `mov %r7, 0
outer:
mov %r8, %r7
inner:
add %r8, 1
jlt %r8, 50, inner
mov %r9, %r7
${outerStep}
mov %r7, %r9
jlt %r7, 10, outer
mov %r0, 0
exit`;

describe('verifier: locations an inner loop keeps moving are widened', () => {
  it('c carried through a copy around an inner loop on p = c: accepted under strict', () => {
    expect(codes(nested('add %r9, 1'))).toEqual([]);
  });

  it('twin: c not stepped (its copy reset to 0): unbounded', () => {
    expect(first(verifyAsm(nested('mov %r9, 0'), { ctx: 'pluglet' })).code).toBe('UNBOUNDED_LOOP');
  });

  it('twin: c moved by the inner loop (c = p + 1): unbounded', () => {
    expect(first(verifyAsm(nested('mov %r9, %r8\nadd %r9, -60'), { ctx: 'pluglet' })).code).toBe('UNBOUNDED_LOOP');
  });
});
