import { describe, expect, it } from 'vitest';
import { assemble } from '../../../src/vm/asm.js';
import { buildCfg, decodeProgram } from '../../../src/vm/jit/cfg.js';
import { liveRegisters } from '../../../src/vm/jit/liveness.js';
import { planNarrow } from '../../../src/vm/jit/narrow.js';
import { both } from '../jit-both.js';

/**
 * Registers whose value before slot `pc` is in a narrow web, as a sorted list; `exitReads` as
 * codegen passes it (1 for a function only the host enters).
 */
function narrowAt(src: string, pc: number, exitReads = 1): number[] {
  const prog = decodeProgram(assemble(src));
  const cfg = buildCfg(prog, 0);
  const live = liveRegisters(cfg, prog.insns, prog.info, exitReads);
  const plan = planNarrow(cfg, prog.insns, prog.info, live);
  for (let b = 0; b < cfg.blocks.length; b++) {
    const k = cfg.blocks[b]!.pcs.indexOf(pc);
    if (k >= 0) {
      const mask = plan ? plan.use[plan.start[b]! + k]! : 0;
      return [...Array(10).keys()].filter((r) => mask & (1 << r));
    }
  }
  throw new Error(`slot ${pc} is not reachable`);
}

/** Interpreter and JIT agree (r0, instruction count, memory or error) and give `r0`. */
function agree(src: string, r0: bigint, opts: Parameters<typeof both>[1] = {}): void {
  const { results } = both(src, opts);
  expect(results[1]).toBe(results[0]);
  expect(results[0]).toMatch(new RegExp(`^r0=${r0} `));
}

// clang's crc32 shape: r4 walks the stack table first, then holds the 32-bit crc.
const CRC = `
  mov %r4, %r10
  add %r4, -64
  mov %r3, 0
  fill: stxw [%r4], %r3
  add %r4, 4
  add %r3, 1
  jne %r3, 16, fill
  mov32 %r4, -1
  mov %r3, 0
  loop: xor32 %r4, %r3
  mov32 %r0, %r4
  rsh32 %r0, 4
  and32 %r4, 15
  lsh %r4, 2
  mov %r5, %r10
  add %r5, -64
  add %r5, %r4
  ldxw %r4, [%r5]
  xor32 %r0, %r4
  mov32 %r4, %r0
  add %r3, 1
  jlt %r3, 100, loop
  exit`;

describe('JIT narrow registers (narrow.ts)', () => {
  it('splits a register reused for a pointer and a 32-bit value, and keeps counters wide', () => {
    // Slot 9 (the loop's xor32): r4 holds the crc (narrow); its pointer web before is 64-bit.
    expect(narrowAt(CRC, 9)).toEqual([4]);
    expect(narrowAt(CRC, 3)).toEqual([]);
    // After `and32 %r4, 15; lsh %r4, 2` r4 is 6 bits wide; r5 = r10 - 64 + r4 is a pointer.
    expect(narrowAt(CRC, 16)).toEqual([0, 4]);
    expect(narrowAt(CRC, 17)).toEqual([0, 4]);
  });

  it('runs the crc shape exactly, its table read through a constant offset', () => {
    const { results } = both(CRC);
    expect(results[1]).toBe(results[0]);
  });

  it('leaves registers live at the entry, and shifts that may pass 2^32, in 64 bits', () => {
    const src = `
      mov32 %r2, 0
      loop: and32 %r1, 255
      lsh %r1, 30
      add %r2, 1
      jlt %r2, 4, loop
      mov %r0, %r1
      exit`;
    // r1 comes from the caller (64 bits) and, shifted by 30, may reach 2^38: only the 8 bits
    // between the and32 and the lsh are narrow. The counter r2 grows: 64-bit.
    expect(narrowAt(src, 1)).toEqual([]);
    expect(narrowAt(src, 2)).toEqual([1]);
    expect(narrowAt(src, 3)).toEqual([]);
    agree(src, 0n, { args: [0xffn] } as never);
  });

  it('keeps what a callee returns in r1..r5 as the caller sees it', () => {
    // Exit shows r0..r5 to a caller: r2, never written in f before its loop, is live at f's
    // entry and stays 64-bit there, so the caller reads its own r2 back.
    const src = `
      lddw %r2, 0x123456789
      call local f
      mov %r0, %r2
      exit
      f: mov32 %r3, 0
      floop: add32 %r3, 1
      jlt %r3, 3, floop
      exit`;
    agree(src, 0x123456789n);
  });

  it('compares 32-bit values as unsigned 64-bit numbers, whatever the jump', () => {
    // 0xffffffff is positive as a 64-bit number: jsgt takes it over 1, jset sees its bits.
    for (const [jump, want] of [['jsgt %r1, %r2', 1n], ['jslt %r1, %r2', 0n], ['jsge %r1, 1', 1n], ['jset %r1, -2', 1n], ['jsle %r1, 7', 0n], ['jsgt %r1, -1', 1n], ['jgt %r1, -1', 0n]] as const) {
      const src = `
        mov32 %r1, -1
        mov32 %r2, 1
        mov %r3, 0
        mov %r0, 0
        loop: add %r3, 1
        jlt %r3, 2, loop
        ${jump}, yes
        exit
        yes: mov %r0, 1
        exit`;
      agree(src, want);
    }
  });

  it('shifts and divides 32-bit values in 64 bits exactly', () => {
    const src = `
      mov32 %r1, -16
      mov %r3, 0
      loop: mov %r2, %r1
      arsh %r2, 3
      mov %r4, %r1
      rsh %r4, 33
      mov %r5, %r1
      lsh %r5, 4
      mov %r6, %r1
      div %r6, 3
      mov %r7, %r1
      mod %r7, 0
      add %r3, 1
      jlt %r3, 3, loop
      mov %r0, %r2
      add %r0, %r4
      add %r0, %r5
      add %r0, %r6
      add %r0, %r7
      exit`;
    const r1 = 0xfffffff0n;
    agree(src, ((r1 >> 3n) + (r1 << 4n) + r1 / 3n + r1) & 0xffffffffffffffffn);
  });

  it('hands narrow registers over exactly when the fuel runs out inside a loop', () => {
    for (const fuel of [5, 17, 40, 101]) {
      const { results } = both(CRC, { fuel });
      expect(results[1]).toBe(results[0]);
    }
  });

  it('reads the frame below a narrow index through a negative constant', () => {
    // r5 = r10 - 16 + r4 with r4 = 4 or 8: the constant part is below r10, the index added to it.
    const src = `
      mov %r1, 0x1234
      stxdw [%r10-8], %r1
      mov %r1, 0x5678
      stxdw [%r10-16], %r1
      mov %r3, 0
      mov %r0, 0
      loop: mov32 %r4, %r3
      and32 %r4, 1
      lsh %r4, 3
      mov %r5, %r10
      add %r5, -16
      add %r5, %r4
      ldxdw %r6, [%r5]
      add %r0, %r6
      ldxb %r6, [%r5+1]
      add %r0, %r6
      add %r3, 1
      jlt %r3, 5, loop
      exit`;
    // Three reads of 0x5678 and two of 0x1234, and each one's second byte.
    agree(src, 3n * 0x5678n + 2n * 0x1234n + 3n * 0x56n + 2n * 0x12n);
  });

  it('forgets a constant-plus-register address once the register changes', () => {
    // r5 = r10 - 8 + r4, then r4 changes before the load: the load must use r5's own value.
    const src = `
      mov %r1, 7
      stxdw [%r10-8], %r1
      mov %r3, 0
      mov %r0, 0
      loop: mov32 %r4, 0
      mov %r5, %r10
      add %r5, -8
      add %r5, %r4
      mov32 %r4, 4
      ldxw %r6, [%r5]
      add %r0, %r6
      add %r3, 1
      jlt %r3, 3, loop
      exit`;
    agree(src, 21n);
  });
});
