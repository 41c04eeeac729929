import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/vm/asm.js';
import { buildCfg, decodeProgram } from '../../src/vm/jit/cfg.js';
import { liveRegisters } from '../../src/vm/jit/liveness.js';
import { both as run } from './jit-both.js';

const both = (src: string, opts: Parameters<typeof run>[1]): string[] => run(src, opts).results;

/** Registers live before slot `pc` of the function at slot 0, as a sorted list. */
function liveAt(src: string, pc: number): number[] {
  const prog = decodeProgram(assemble(src));
  const cfg = buildCfg(prog, 0);
  const { live, start } = liveRegisters(cfg, prog.insns, prog.info);
  for (let b = 0; b < cfg.blocks.length; b++) {
    const k = cfg.blocks[b]!.pcs.indexOf(pc);
    if (k >= 0) {
      const mask = live[start[b]! + k]!;
      return [...Array(11).keys()].filter((r) => mask & (1 << r));
    }
  }
  throw new Error(`slot ${pc} is not reachable`);
}

/** A side path never taken: checkpoints ask for more fuel than the taken path needs. */
const SIDE_PATH = Array(12).fill('add %r5, 1').join('\n');

describe('JIT register liveness (liveness.ts)', () => {
  it('finds registers overwritten before any read dead, and keeps r10 and what exit reads', () => {
    const src = `
      mov %r6, 1
      loop: mov %r7, %r6
      add %r7, 3
      mov %r8, %r7
      add %r6, 1
      jlt %r6, 10, loop
      mov %r0, %r8
      exit`;
    // At the loop header r7 and r8 are written before they are read; r6 is read. r1..r5 are
    // never written, but exit shows them to a caller: live throughout.
    expect(liveAt(src, 1)).toEqual([1, 2, 3, 4, 5, 6, 10]);
    // Before `mov r0, r8`: r8 is read, r0 is about to be overwritten.
    expect(liveAt(src, 6)).toEqual([1, 2, 3, 4, 5, 8, 10]);
    expect(liveAt(src, 7)).toEqual([0, 1, 2, 3, 4, 5, 10]);
  });

  it('treats a helper call as reading r1..r5 and writing r0, a local call as reading everything', () => {
    const helper = `
      mov %r0, 5
      mov %r9, 1
      call 1
      exit`;
    expect(liveAt(helper, 2)).toEqual([1, 2, 3, 4, 5, 10]);
    const local = `
      mov %r9, 1
      call local f
      exit
      f: mov %r0, %r9
      exit`;
    expect(liveAt(local, 1)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('reads the registers of 32-bit moves, loads, stores and atomics as the instruction does', () => {
    const src = `
      mov32 %r2, %r3
      ldxw %r4, [%r4+0]
      stxw [%r5+0], %r6
      lock add [%r7+0], %r8
      exit`;
    expect(liveAt(src, 0)).toEqual([0, 1, 3, 4, 5, 6, 7, 8, 10]);
  });
});

describe('JIT hand-over with dead registers', () => {
  it('stops a loop with dead registers at the same instruction for every budget', () => {
    // r7 and r8 are dead at the loop header, so a bail there stores zero for them: the
    // interpreter recomputes them before any read, and the result, count and memory agree.
    const src = `
      mov %r6, 0
      mov %r7, 99
      loop: mov %r7, %r6
      lsh %r7, 3
      mov %r8, %r7
      add %r8, 1
      stxb [%r1+0], %r8
      add %r6, 1
      jlt %r6, 6, loop
      mov %r0, %r8
      add %r0, %r7
      exit`;
    const full = both(src, { mem: new Uint8Array(1) });
    expect(full[0]).toBe('r0=81 n=47 mem=41');
    expect(full[1]).toBe(full[0]);
    for (let fuel = 0; fuel <= 48; fuel++) {
      const r = both(src, { mem: new Uint8Array(1), fuel });
      expect(r[1], `fuel ${fuel}`).toBe(r[0]);
    }
  });

  it('keeps the r1..r5 a callee leaves to its caller when the callee hands over', () => {
    // g never touches r3, but its caller reads it after the return: r3 must survive g's bail.
    // The branch never taken makes the loop's checkpoint ask for more fuel than the path run
    // needs, so some budgets bail there and still finish in the interpreter.
    const src = `
      mov %r3, 7
      call local g
      add %r0, %r3
      exit
      g: mov %r0, 0
      mov %r2, 4
      loop: add %r0, %r2
      jgt %r2, 100, long
      back: sub %r2, 1
      jne %r2, 0, loop
      exit
      long:
${SIDE_PATH}
      ja back`;
    const full = both(src, {});
    expect(full[0]).toBe('r0=17 n=23 mem=undefined');
    for (let fuel = 0; fuel <= 24; fuel++) {
      const r = both(src, { fuel });
      expect(r[1], `fuel ${fuel}`).toBe(r[0]);
    }
  });

  it('keeps a helper call\'s arguments across a bail in front of it', () => {
    // r1 is only read by the helper (exit sees a fresh one): live at the loop header because of
    // the call after it. The side path, never taken, makes the header ask for more fuel than
    // an iteration needs, so some budgets bail there and still finish.
    const src = `
      mov %r6, 3
      mov %r1, 5
      loop: jgt %r6, 1000, long
      back: call 1
      add %r6, %r0
      jlt %r6, 100, loop
      mov %r1, 0
      mov %r0, %r6
      exit
      long:
${SIDE_PATH}
      ja back`;
    const full = both(src, {});
    expect(full[0]).toBe('r0=103 n=45 mem=undefined');
    for (let fuel = 0; fuel <= 47; fuel++) {
      const r = both(src, { fuel });
      expect(r[1], `fuel ${fuel}`).toBe(r[0]);
    }
  });
});
