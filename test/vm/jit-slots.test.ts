import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/vm/asm.js';
import { buildCfg, decodeProgram } from '../../src/vm/jit/cfg.js';
import { frameSlots } from '../../src/vm/jit/slots.js';
import type { ExecError } from '../../src/vm/errors.js';
import { Vm, type ExecOptions } from '../../src/vm/vm.js';

function slotsOf(src: string, frameSize = 512): number[] {
  const prog = decodeProgram(assemble(src));
  return frameSlots(buildCfg(prog, 0), prog.insns, prog.info, frameSize);
}

/**
 * Two execs in one VM per engine: the second reads the frame the first left behind, so a slot
 * the JIT kept in a local and did not store back would show up as a difference.
 */
function twice(src: string, first: ExecOptions, second: ExecOptions = {}): string[] {
  return (['interpreter', 'jit'] as const).map((engine) => {
    const vm = new Vm({ engine });
    vm.load(assemble(src));
    return [first, second].map((opts) => {
      const mem = opts.mem?.slice();
      try {
        const r = vm.exec({ ...opts, ...(mem ? { mem } : {}) });
        return `r0=${r.r0} n=${r.instructions} mem=${mem?.join(',')}`;
      } catch (e) {
        return `${(e as ExecError).code} mem=${mem?.join(',')}`;
      }
    }).join(' | ');
  });
}

describe('JIT stack slots in locals (slots.ts)', () => {
  it('finds the 64-bit slots only reached at their own offset', () => {
    expect(slotsOf(`
      stxdw [%r10-8], %r1
      stdw [%r10-16], 3
      ldxdw %r0, [%r10-16]
      ldxdw %r1, [%r10-8]
      stxw [%r10-24], %r1
      ldxdw %r2, [%r10-28]
      exit`)).toEqual([-16, -8]);
  });

  it('keeps every slot in memory when the frame may be reached otherwise', () => {
    const body = 'stxdw [%r10-8], %r1\nldxdw %r0, [%r10-8]';
    expect(slotsOf(`${body}\nexit`)).toEqual([-8]);
    // r10 copied: a pointer into the frame could alias any slot.
    expect(slotsOf(`mov %r2, %r10\n${body}\nexit`)).toEqual([]);
    expect(slotsOf(`add %r1, %r10\n${body}\nexit`)).toEqual([]);
    expect(slotsOf(`stxdw [%r1+0], %r10\n${body}\nexit`)).toEqual([]);
    // A callee or a helper may read the frame, or hand over to the interpreter inside it.
    expect(slotsOf(`${body}\ncall 1\nexit`)).toEqual([]);
    expect(slotsOf(`${body}\ncall local f\nexit\nf: mov %r0, 1\nexit`)).toEqual([]);
    // Narrower, misaligned or atomic accesses overlapping the slot.
    expect(slotsOf(`${body}\nldxb %r3, [%r10-1]\nexit`)).toEqual([]);
    expect(slotsOf(`${body}\nldxdw %r3, [%r10-12]\nexit`)).toEqual([]);
    expect(slotsOf(`${body}\nlock add [%r10-8], %r1\nexit`)).toEqual([]);
    // Outside the frame: the access faults as in the interpreter.
    expect(slotsOf('stxdw [%r10+0], %r1\nldxdw %r0, [%r10+0]\nexit')).toEqual([]);
    expect(slotsOf('stxdw [%r10-520], %r1\nldxdw %r0, [%r10-520]\nexit')).toEqual([]);
  });

  // r0 = the slot as the previous exec left it; then a loop spills and reloads its counter.
  const LOOP = `
    ldxdw %r0, [%r10-8]
    stdw [%r10-16], 0
    loop: ldxdw %r6, [%r10-16]
    add %r6, 1
    stxdw [%r10-16], %r6
    stxdw [%r10-8], %r6
    stxb [%r1+0], %r6
    jlt %r6, 5, loop
    ldxdw %r7, [%r10-16]
    add %r0, %r7
    exit`;

  it('reads what memory holds and leaves the frame as the interpreter does', () => {
    const r = twice(LOOP, { mem: new Uint8Array(1) }, { mem: new Uint8Array(1) });
    expect(r[0]).toMatch(/ \| r0=10 /); // the second run starts from the first run's 5
    expect(r[1]).toBe(r[0]);
  });

  it('stores the slots back when it hands over or runs out of fuel, for every budget', () => {
    for (let fuel = 0; fuel <= 40; fuel++) {
      const r = twice(LOOP, { mem: new Uint8Array(1), fuel }, { mem: new Uint8Array(1) });
      expect(r[1], `fuel ${fuel}`).toBe(r[0]);
    }
  });

  it('stores the slots back when an access faults', () => {
    // The third iteration writes past the one-byte buffer: the frame then holds 3 at r10-8.
    const src = LOOP.replace('stxb [%r1+0], %r6', 'mov %r2, %r1\nadd %r2, %r6\nstxb [%r2-1], %r6');
    const r = twice(src, { mem: new Uint8Array(2) }, { mem: new Uint8Array(8) });
    expect(r[0]).toMatch(/^OUT_OF_BOUNDS.* \| r0=8 /);
    expect(r[1]).toBe(r[0]);
  });
});
