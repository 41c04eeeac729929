/**
 * my_free and my_realloc against src/plugins/heap.ts: the allocator accepts only the blocks it
 * handed out, and the buffer the host grants for a call is one of them, released by the host
 * when the call returns. A pointer that is surely not a block is refused under both policies;
 * a number is refused under strict (it may be the granted buffer's address).
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../../src/vm/asm.js';
import { rawImage } from '../../../src/vm/program.js';
import { verifyProgram, type Policy, type VerifyResult } from '../../../src/vm/verifier/index.js';
import { pluginHelpers } from '../../../src/plugins/helper-signatures.js';
import { AK_CNX_INPUT, HELPER_IDS } from '../../../src/plugins/abi.js';
import { inputContract } from '../../../src/plugins/signatures.js';

const id = (name: string): number => HELPER_IDS.get(name)!;

/** Runs `body` (r6 = cnx, r7 = the granted buffer of write_transport_parameter), then returns 0. */
function verify(body: string, policy: Policy, helper = 'my_free'): VerifyResult {
  const src = `mov %r6, %r1
mov %r2, ${AK_CNX_INPUT}
mov %r3, 0
call ${id('get_cnx')}
mov %r7, %r0
${body}
mov %r1, %r6
call ${id(helper)}
mov %r0, 0
exit`;
  return verifyProgram(rawImage(assemble(src)), { ...pluginHelpers, policy, ctx: 'pluglet', ...inputContract('write_transport_parameter')! });
}

const codes = (r: VerifyResult): string[] => r.errors.map((e) => e.code);

describe('my_free and my_realloc arguments', () => {
  it('a block from my_malloc (or NULL) is accepted under strict', () => {
    const malloc = `mov %r1, %r6\nmov %r2, 32\ncall ${id('my_malloc')}\nmov %r2, %r0`;
    expect(codes(verify(malloc, 'strict'))).toEqual([]);
    expect(codes(verify('mov %r2, 0', 'strict'))).toEqual([]);
  });

  for (const policy of ['strict', 'checked'] as const) {
    it(`${policy}: freeing the granted buffer is refused (the host releases it after the call)`, () => {
      const r = verify('mov %r2, %r7', policy);
      expect(r.ok).toBe(false);
      expect(r.errors[0]).toMatchObject({ code: 'HELPER_ARG', reason: expect.stringMatching(/my_free expects a heap pointer in r2, got a pointer to ctx/) });
    });

    it(`${policy}: reallocating the granted buffer is refused too`, () => {
      const r = verify('mov %r2, %r7\nmov %r3, 64', policy, 'my_realloc');
      expect(r.errors[0]).toMatchObject({ code: 'HELPER_ARG', reason: expect.stringMatching(/my_realloc expects a heap pointer in r2, got a pointer to ctx/) });
    });

    it(`${policy}: freeing a stack address is refused`, () => {
      expect(codes(verify('stdw [%r10-8], 0\nmov %r2, %r10\nadd %r2, -8', policy))).toEqual(['HELPER_ARG']);
    });
  }

  it('strict: a number is refused (it may be the granted buffer\'s address); checked leaves it to the allocator', () => {
    const number = `mov %r1, %r6\nmov %r2, 16\ncall ${id('my_malloc')}\njeq %r0, 0, skip\nldxdw %r2, [%r0]\nja done\nskip:\nmov %r2, 0\ndone:`;
    expect(codes(verify(number, 'strict'))).toEqual(['HELPER_ARG']);
    expect(verify(number, 'checked').ok).toBe(true);
  });

  it('a granted buffer that may be NULL is not a definite fault under checked (NULL is a no-op)', () => {
    // r2 is the buffer or NULL (r0 is a field of the connection, any number): the pointer-or-NULL form keeps the decision for the runtime.
    const maybe = `mov %r1, %r6\nmov %r2, ${AK_CNX_INPUT + 1}\nmov %r3, 0\ncall ${id('get_cnx')}\nmov %r2, %r7\njeq %r0, 0, keep\nmov %r2, 0\nkeep:`;
    expect(verify(maybe, 'checked').ok).toBe(true);
    expect(codes(verify(maybe, 'strict'))).toEqual(['HELPER_ARG']);
  });
});
