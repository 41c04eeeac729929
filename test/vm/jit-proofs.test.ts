/**
 * The JIT with the verifier's proofs (src/vm/jit/proofs.ts): proven accesses are emitted with no
 * region check, the others keep theirs and fault exactly like the interpreter; a run outside the
 * convention the proofs assume takes the module with every check; random programs the verifier
 * accepts agree with the interpreter when compiled with its proofs.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/vm/asm.js';
import { ExecError } from '../../src/vm/errors.js';
import { jitModule } from '../../src/vm/jit/compile.js';
import { programProofs, type JitProofs } from '../../src/vm/jit/proofs.js';
import { linkPrograms } from '../../src/vm/link.js';
import { rawImage, type ProgramImage } from '../../src/vm/program.js';
import { verifyProgram } from '../../src/vm/verifier/index.js';
import { STANDARD_HELPER_SIGNATURES } from '../../src/vm/helper-signatures.js';
import { registerStandardHelpers } from '../../src/vm/helpers.js';
import { Vm, type Engine, type ExecOptions } from '../../src/vm/vm.js';
import { Plugin } from '../../src/plugins/plugin.js';
import { differentialWithProofs, genCase } from './program-gen.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const helper = (id: number) => STANDARD_HELPER_SIGNATURES.get(id);

function verifyMem(image: ProgramImage) {
  return verifyProgram(image, { ctx: 'mem', policy: 'checked', helper });
}

/** r0 or the error, on the interpreter, the JIT and the JIT with the image's proofs. */
function threeWays(image: ProgramImage, proofs: JitProofs, opts: ExecOptions): string[] {
  const run = (engine: Engine, p?: JitProofs): string => {
    const vm = new Vm({ engine });
    registerStandardHelpers(vm, { log: () => {} });
    vm.loadImage(image, p ? { proofs: p } : {});
    const mem = opts.mem?.slice();
    try {
      const r = vm.exec({ ...opts, ...(mem ? { mem } : {}) });
      return `r0=${r.r0} n=${r.instructions} mem=${mem?.join(',')}`;
    } catch (e) {
      if (!(e instanceof ExecError)) throw e;
      return `${e.code}: ${e.message} mem=${mem?.join(',')}`;
    }
  };
  return [run('interpreter'), run('jit'), run('jit', proofs)];
}

/** Accepted, `pc` not proven, and the JIT with the proofs agrees with the interpreter. */
function acceptedUnproven(image: ProgramImage, pc: number, mem: Uint8Array): string[] {
  const v = verifyMem(image);
  expect(v.ok).toBe(true);
  expect(v.provenAccesses.has(pc)).toBe(false);
  const r = threeWays(image, [programProofs(v)], { mem });
  expect(r[2]).toBe(r[0]);
  return r;
}

/**
 * The buffer's length spilled at r10 - 8, then `clobber` (which overwrites it at run time in a
 * way the verifier cannot follow), then a load at +32 guarded by the reloaded length: the guard
 * must prove nothing, and with a 32-byte buffer both engines fault at the load.
 */
function spillClobberGuard(clobber: string[]): void {
  const src = ['stdw [%r10-8], 0', 'mov %r6, %r1', 'stxdw [%r10-8], %r2', ...clobber, 'ldxdw %r3, [%r10-8]', 'jlt %r3, 36, +1', 'ldxsw %r3, [%r6+32]', 'mov %r0, 0', 'exit'];
  const load = src.length - 3;
  const r = acceptedUnproven(rawImage(assemble(src.join('\n'))), load, new Uint8Array(32));
  expect(r[0]).toMatch(new RegExp(`^OUT_OF_BOUNDS: out of bounds memory load at PC ${load} `));
}

function link(image: ProgramImage) {
  return linkPrograms([{ name: 'main', image }], { helperId: () => undefined, isHelper: () => true });
}

describe('JIT with verifier proofs', () => {
  // Sums the first 8 bytes of the buffer and writes the sum back, each access behind a length check.
  const proven = rawImage(assemble(`
    mov %r0, 0
    jlt %r2, 8, out
    ldxw %r3, [%r1]
    ldxw %r4, [%r1+4]
    add %r3, %r4
    stxw [%r1], %r3
    ldxb %r5, [%r1+7]
    stxdw [%r10-8], %r5
    ldxdw %r0, [%r10-8]
    add %r0, %r3
    out:
    exit`));

  it('emits no region check for accesses proven on every path', () => {
    const v = verifyMem(proven);
    expect(v.ok).toBe(true);
    expect([...v.provenAccesses].sort((a, b) => a - b)).toEqual([2, 3, 5, 6, 7, 8]);
    const image = link(proven);
    const plain = jitModule(image);
    const withProofs = jitModule(image, [programProofs(v)]);
    // The stack accesses are in the frame either way (ranges.ts); the four buffer accesses lose
    // the one merged check of their group (one base register, r1, unchanged).
    expect(plain.checks).toMatchObject({ frame: 2, proven: 0, checked: 0, merged: 4, groups: 1 });
    expect(withProofs.checks).toMatchObject({ frame: 2, proven: 4, checked: 0, merged: 0, groups: 0 });
    expect(withProofs.proofs).toBe(true);
    expect(withProofs.bytes).toBeLessThan(plain.bytes);
    const r = threeWays(proven, [programProofs(v)], { mem: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]) });
    expect(r[1]).toBe(r[0]);
    expect(r[2]).toBe(r[0]);
  });

  it('caches one module per set of proofs, never mixing runs with and without them', () => {
    const v = verifyMem(proven);
    const image = link(proven);
    const a = jitModule(image, [programProofs(v)]);
    expect(jitModule(image, [programProofs(verifyMem(proven))])).toBe(a);
    expect(jitModule(image)).not.toBe(a);
    expect(jitModule(image, [undefined])).toBe(jitModule(image));
    expect(jitModule(image).proofs).toBe(false);
  });

  it('keeps the checks of unproven accesses, which fault exactly like the interpreter', () => {
    // The index is a byte of the buffer, never compared with the length: unproven.
    const image = rawImage(assemble(`
      mov %r0, 0
      jlt %r2, 1, out
      ldxb %r3, [%r1]
      mov %r4, %r1
      add %r4, %r3
      ldxb %r0, [%r4]
      stxb [%r4], %r0
      out:
      exit`));
    const v = verifyMem(image);
    expect(v.ok).toBe(true);
    expect([...v.provenAccesses]).toEqual([2]);
    const m = jitModule(link(image), [programProofs(v)]);
    expect(m.checks.proven).toBe(1);
    expect(m.checks.checked + m.checks.merged).toBe(2);
    for (const first of [1, 3, 200]) {
      const r = threeWays(image, [programProofs(v)], { mem: new Uint8Array([first, 9, 8, 7]) });
      expect(r[1]).toBe(r[0]);
      expect(r[2]).toBe(r[0]);
      if (first === 200) expect(r[2]).toMatch(/^OUT_OF_BOUNDS: out of bounds memory load at PC 5 /);
    }
  });

  it('runs without the proofs when a run breaks the mem convention they assume', () => {
    // The verifier takes r1 for a valid pointer, so the fall-through of `jne r1, 0` is pruned and
    // the store through r10 + r4 is proven with r4 = -8. With an empty buffer r1 is 0, r4 is
    // -100000: only the checked module reproduces the interpreter's fault.
    const image = rawImage(assemble(`
      mov %r4, -8
      jne %r1, 0, m
      mov %r4, -100000
      m:
      mov %r5, %r10
      add %r5, %r4
      stdw [%r5], 1
      mov %r0, 0
      exit`));
    const v = verifyMem(image);
    expect(v.ok).toBe(true);
    expect(v.provenAccesses.has(5)).toBe(true);
    for (const opts of [{ mem: new Uint8Array(0) }, { args: [0] }, { mem: new Uint8Array(4) }] as ExecOptions[]) {
      const r = threeWays(image, [programProofs(v)], opts);
      expect(r[1]).toBe(r[0]);
      expect(r[2]).toBe(r[0]);
    }
    expect(threeWays(image, [programProofs(v)], { args: [0] })[2]).toMatch(/^OUT_OF_BOUNDS: out of bounds memory store at PC 5 /);
    // Bounds on the length are part of the convention too.
    const bounded = verifyProgram(image, { ctx: 'mem', policy: 'checked', helper, bufferLen: [4, 8] });
    const p = programProofs(bounded)!;
    expect(p.bufferLen).toEqual([4, 8]);
    for (const len of [2, 4, 8, 9]) {
      const r = threeWays(image, [p], { mem: new Uint8Array(len) });
      expect(r[2]).toBe(r[0]);
    }
  });

  it('refuses proofs made for another frame size or for slots outside the program', () => {
    const v = verifyProgram(proven, { ctx: 'mem', policy: 'checked', helper, frameSize: 256 });
    expect(() => jitModule(link(proven), [programProofs(v)])).toThrow(/verified with 256-byte frames/);
    const forged = { ...programProofs(verifyMem(proven))!, proven: new Set([99]) };
    expect(() => jitModule(link(proven), [forged])).toThrow(/slot 99 outside program 0/);
  });

  it('a pointer relocated into a writable section is a number once read back (a store may have replaced it)', () => {
    // .data holds a pointer to its own byte 8; the program stores 0x100 over it, reads it back
    // and stores through it. Believed to be the pointer, that store would be proven and the JIT
    // would write into the VM's registers.
    const code = assemble('lddw %r1, 0\nstdw [%r1], 256\nldxdw %r2, [%r1]\nstdw [%r2], 7\nmov %r0, 0\nexit');
    const image: ProgramImage = {
      ...rawImage(code),
      sections: [{ name: '.data', bytes: new Uint8Array(16), writable: true, align: 8 }],
      dataRelocs: [{ pc: 0, section: 0, offset: 0 }],
      sectionRelocs: [{ section: 0, offset: 0, width: 8, target: 0, addend: 8 }],
    };
    const v = verifyProgram(image, { ctx: 'pluglet', policy: 'checked', helper });
    expect(v.ok).toBe(true);
    expect([...v.provenAccesses].sort()).toEqual([2, 3]);
    const r = threeWays(image, [programProofs(v)], {});
    expect(r[2]).toBe(r[0]);
    expect(r[0]).toMatch(/^OUT_OF_BOUNDS: out of bounds memory store at PC 4 .*address 0x100/);
    // In .rodata the pointer cannot change: a load through it is proven.
    const ro: ProgramImage = { ...image, code: assemble('lddw %r1, 0\nldxdw %r2, [%r1]\nldxdw %r0, [%r2]\nexit'), sections: [{ name: '.rodata', bytes: new Uint8Array(16), writable: false, align: 8 }] };
    expect([...verifyProgram(ro, { ctx: 'pluglet', policy: 'checked', helper }).provenAccesses].sort()).toEqual([2, 3]);
  });

  // Two verifier bugs the proofs fuzz found (seeds 436477207 and 436499177 of `fuzz:vm --proofs`).
  it('after an unproven store no spilled value is trusted (it may have landed on the stack)', () => {
    // r3 is r10 - 9 plus a number the verifier cannot follow (arithmetic on the pointer in r1):
    // the store overwrites part of the spilled length, so the guard proves nothing.
    spillClobberGuard(['arsh32 %r1, 1', 'or32 %r1, -2147483648', 'and32 %r1, 0x1ff', 'mov %r3, %r10', 'add %r3, -9', 'add %r3, %r1', 'stw [%r3+2], 1']);
  });

  it('a helper writing through a number may overwrite spilled values too', () => {
    // my_memset(r10 - 8 as a number, 0xff, 8) overwrites the spilled length.
    spillClobberGuard(['mov %r1, %r10', 'add %r1, -8', 'mov32 %r1, %r1', 'mov %r2, 255', 'mov %r3, 8', 'call 36']);
  });

  it('jset on two pointers refines nothing (it tests address bits, not offsets)', () => {
    const image = rawImage(assemble(`
      mov %r9, %r10
      add %r9, -128
      mov %r5, 1000000
      jset %r9, %r10, +2
      mov %r5, %r10
      add %r5, -8
      stdw [%r5], 1
      mov %r0, 0
      exit`));
    acceptedUnproven(image, 6, new Uint8Array(4));
  });

  it('plugins compile with their proofs when verified, without when verification is off', () => {
    const path = ROOT + 'plugins-c/datagram/datagram.plugin';
    const checked = Plugin.load(path, { engine: 'jit', verify: 'checked' });
    expect(checked.jitProofs?.some((p) => p !== undefined)).toBe(true);
    const m = jitModule(checked.linked, checked.jitProofs);
    expect(m.checks.proven).toBeGreaterThan(0);
    const off = Plugin.load(path, { engine: 'jit', verify: 'off' });
    expect(off.jitProofs).toBeUndefined();
    expect(jitModule(off.linked).checks.proven).toBe(0);
  });
});

const SEED = Number(process.env.VM_FUZZ_SEED ?? 0x5eed0f);
const CASES = Number(process.env.VM_PROOF_FUZZ_CASES ?? 400);

describe('JIT with proofs, differential fuzz', () => {
  it(`${CASES} random programs: those the verifier accepts agree with the interpreter when compiled with its proofs`, () => {
    const failures: string[] = [];
    let accepted = 0;
    let proven = 0;
    for (let k = 0; k < CASES && failures.length < 5; k++) {
      const seed = (SEED + k) >>> 0;
      const r = differentialWithProofs(genCase(seed, { verifiable: true }));
      if (r.accepted) accepted++;
      proven += r.proven;
      if (r.diff) failures.push(`seed ${seed}: ${r.diff}`);
    }
    expect(failures).toEqual([]);
    // The variant must exercise the proofs, not only the verifier's rejections.
    expect(accepted).toBeGreaterThan(CASES / 5);
    expect(proven).toBeGreaterThan(accepted * 5);
  });
});

describe('JIT with proofs: loop relations (verifier/rels.ts)', () => {
  // The word loop the relations prove, and its off-by-one twin (i <= words), which must keep its
  // check and fault like the interpreter once it writes past the buffer.
  const loop = (cmp: string): ProgramImage => rawImage(assemble(`mov %r0, 0\nrsh %r2, 3\njeq %r2, 0, out\nmov %r3, 0\nmov %r4, %r1\nl:\nstxdw [%r4], %r3\nadd %r4, 8\nadd %r3, 1\n${cmp} %r3, %r2, l\nout:\nexit`));
  for (const len of [0, 7, 8, 15, 16, 17, 40]) {
    it(`len ${len}: i < words proven and agreeing; i <= words unproven and agreeing`, () => {
      const good = loop('jlt');
      const v = verifyMem(good);
      expect(v.provenAccesses.has(5)).toBe(true);
      const r = threeWays(good, [programProofs(v)], { mem: new Uint8Array(len).fill(0xaa) });
      expect(r[2]).toBe(r[0]);
      expect(r[1]).toBe(r[0]);
      const bad = acceptedUnproven(loop('jle'), 5, new Uint8Array(len).fill(0xaa));
      if (len >= 8) expect(bad[0]).toMatch(/^[A-Z_]+:/);
    });
  }
  // sieve's shape: the word holding bit m, m < (len >> 3) << 6, at byte (m >> 3) & ~7.
  const bits = (cmp: string): ProgramImage => rawImage(assemble(`mov %r0, 0\nrsh %r2, 3\nlsh %r2, 6\nmov %r3, 0\njeq %r2, 0, out\nl:\nmov %r4, %r3\nrsh %r4, 3\nand %r4, -8\nmov %r5, %r1\nadd %r5, %r4\nldxdw %r6, [%r5]\nadd %r0, %r6\nadd %r3, 8\n${cmp} %r3, %r2, l\nout:\nexit`));
  for (const len of [0, 8, 15, 16, 24]) {
    it(`len ${len}: m < bits proven and agreeing; m <= bits unproven and agreeing`, () => {
      const v = verifyMem(bits('jlt'));
      expect(v.provenAccesses.has(10)).toBe(true);
      const mem = new Uint8Array(len).map((_, i) => i * 7);
      const r = threeWays(bits('jlt'), [programProofs(v)], { mem });
      expect(r[2]).toBe(r[0]);
      const bad = acceptedUnproven(bits('jle'), 10, mem);
      if (len >= 8) expect(bad[0]).toMatch(/^[A-Z_]+:/);
    });
  }
});
