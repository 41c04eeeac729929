import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { assemble } from '../../../src/vm/asm.js';
import { loadElf } from '../../../src/vm/elf.js';
import { rawImage, type ProgramImage } from '../../../src/vm/program.js';
import { verifyProgram, type CtxKind, type Policy, type VerifyResult } from '../../../src/vm/verifier/index.js';
import { pluginHelpers } from '../../../src/plugins/helper-signatures.js';
import { Prng } from '../elf-mutator.js';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface Opts {
  policy?: Policy;
  ctx?: CtxKind;
}

export function verifyImage(image: ProgramImage, o: Opts = {}): VerifyResult {
  return verifyProgram(image, { ...pluginHelpers, policy: o.policy ?? 'strict', ctx: o.ctx ?? 'pluglet' });
}

export function verifyAsm(src: string, o: Opts = {}): VerifyResult {
  return verifyImage(rawImage(assemble(src)), o);
}

export function elf(path: string, entry?: string): ProgramImage {
  return loadElf(new Uint8Array(readFileSync(ROOT + path)), entry !== undefined ? { entry } : {});
}

/** A raw program with data sections: `lddw rX, 0` at each pc of `relocs` loads the section's address + offset. */
export function withData(src: string, sections: { name: string; size: number; writable: boolean }[], relocs: { pc: number; section: number; offset?: number }[]): ProgramImage {
  const image = rawImage(assemble(src));
  return {
    ...image,
    sections: sections.map((s) => ({ name: s.name, bytes: new Uint8Array(s.size), writable: s.writable, align: 8 })),
    dataRelocs: relocs.map((r) => ({ pc: r.pc, section: r.section, offset: r.offset ?? 0 })),
  };
}

/** The first rejection, for assertions. */
export function first(r: VerifyResult): { code: string; reason: string; pc: number } {
  const e = r.errors[0];
  return e ? { code: e.code, reason: e.reason, pc: e.pc } : { code: 'ACCEPTED', reason: '', pc: -1 };
}

/** A reproducible stream of numbers below n, for the random program tests. */
export function seeded(seed: number): (n: number) => number {
  const prng = new Prng(seed);
  return (n) => prng.below(n);
}

/** for (i = 0; i < 100; i++) with i spilled to fp-8, its register reused, `between` before the reload (r6: the handle). */
export const spilledCounter = (between = ''): string => `mov %r6, %r1
mov %r7, 0
l:
stxdw [%r10-8], %r7
mov %r7, 5
${between}
ldxdw %r7, [%r10-8]
add %r7, 1
jlt %r7, 100, l
mov %r0, 0
exit`;
