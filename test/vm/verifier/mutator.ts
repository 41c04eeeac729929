/**
 * Bytecode generator and mutator for fuzzing the verifier, shared by the fuzz test
 * (test/vm/verifier/fuzz.test.ts) and the long fuzzer (tools/fuzz-verify.ts). Every case comes
 * from (seed, index) alone, so a failing case replays without the ones before it.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { OPCODES, decodeInsn, encodeInsn } from '../../../src/vm/isa.js';
import { loadElf } from '../../../src/vm/elf.js';
import type { ProgramImage } from '../../../src/vm/program.js';
import { rawImage } from '../../../src/vm/program.js';
import { verifyProgram, type CtxKind, type Policy, type VerifyResult } from '../../../src/vm/verifier/index.js';
import { pluginHelpers } from '../../../src/plugins/helper-signatures.js';
import { Prng, caseSeed } from '../elf-mutator.js';

const OPS = [...OPCODES.keys()];
const HELPERS = [0, 1, 2, 3, 5, 6, 14, 31, 32, 33, 34, 35, 36, 51, 78, 200, 202, 203, 209, 999];

/** Every plugin object of the repository that loads (the seeds of mutation). */
export function seedImages(root: string): ProgramImage[] {
  const out: ProgramImage[] = [];
  const walk = (d: string): void => {
    for (const f of readdirSync(d).sort()) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith('.o')) {
        try {
          out.push(loadElf(new Uint8Array(readFileSync(p))));
        } catch {
          // objects meant not to load (ELF tests) seed nothing
        }
      }
    }
  };
  walk(join(root, 'plugins-c'));
  return out;
}

/** A plausible instruction: a real opcode, small registers, offsets and immediates near the edges. */
function randomSlot(rng: Prng, n: number, pc: number): { opcode: number; dst: number; src: number; off: number; imm: number } {
  const opcode = rng.below(10) === 0 ? rng.below(256) : rng.pick(OPS);
  const info = OPCODES.get(opcode);
  const jump = info?.kind === 'jcond' || info?.kind === 'ja';
  const off = jump ? rng.below(n + 4) - pc - 2 : rng.pick([0, 0, -8, -16, -512, -520, 8, 16, rng.below(65536) - 32768]);
  const imm = info?.kind === 'call' ? rng.pick(HELPERS) : rng.pick([0, 1, -1, 8, 16, 32, 64, 255, 0x7fffffff, -0x80000000, rng.below(1000)]);
  return { opcode, dst: rng.below(10) === 0 ? rng.below(16) : rng.below(11), src: rng.below(10) === 0 ? rng.below(16) : rng.below(11), off, imm };
}

export interface FuzzCase {
  image: ProgramImage;
  policy: Policy;
  ctx: CtxKind;
  what: string;
}

export function makeCase(seeds: ProgramImage[], seed: number, index: number): FuzzCase {
  const rng = new Prng(caseSeed(seed, index));
  const policy: Policy = rng.below(2) === 0 ? 'strict' : 'checked';
  const ctx: CtxKind = rng.below(2) === 0 ? 'pluglet' : 'mem';
  if (seeds.length === 0 || rng.below(3) === 0) {
    // Random bytecode, ending in exit half of the time.
    const n = 1 + rng.below(64);
    const code = new Uint8Array(n * 8);
    for (let pc = 0; pc < n; pc++) encodeInsn(randomSlot(rng, n, pc), code, pc);
    if (rng.below(2) === 0) encodeInsn({ opcode: 0x95, dst: 0, src: 0, off: 0, imm: 0 }, code, n - 1);
    return { image: rawImage(code), policy, ctx, what: `random ${n} slots` };
  }
  // A repository object with a few slots or fields changed.
  const base = rng.pick(seeds);
  const code = base.code.slice();
  const n = code.length >> 3;
  const edits = 1 + rng.below(4);
  for (let e = 0; e < edits; e++) {
    const pc = rng.below(n);
    const insn = decodeInsn(code, pc);
    switch (rng.below(5)) {
      case 0: encodeInsn(randomSlot(rng, n, pc), code, pc); break;
      case 1: encodeInsn({ ...insn, off: insn.off + rng.below(9) - 4 }, code, pc); break;
      case 2: encodeInsn({ ...insn, imm: insn.imm + rng.below(17) - 8 }, code, pc); break;
      case 3: encodeInsn({ ...insn, dst: rng.below(11), src: rng.below(11) }, code, pc); break;
      default: {
        const at = pc * 8 + rng.below(8);
        code[at] = code[at]! ^ (1 << rng.below(8));
      }
    }
  }
  return { image: { ...base, code }, policy, ctx, what: `mutated object (${edits} edits)` };
}

/** Runs one case; throws if the verifier throws or returns something malformed. */
export function checkCase(c: FuzzCase): VerifyResult {
  const r = verifyProgram(c.image, { ...pluginHelpers, policy: c.policy, ctx: c.ctx, maxSteps: 200_000 });
  if (r.ok !== (r.errors.length === 0)) throw new Error('ok does not match the errors');
  for (const e of r.errors) {
    if (e.code === 'INTERNAL') throw new Error(`verifier error: ${e.reason}`);
    if (typeof e.code !== 'string' || !Number.isInteger(e.pc) || typeof e.reason !== 'string' || e.reason.length === 0) {
      throw new Error(`malformed rejection ${JSON.stringify(e)}`);
    }
  }
  return r;
}
