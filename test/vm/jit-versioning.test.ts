/**
 * Loop versioning (src/vm/jit/versioning.ts): loops whose region checks a guard before the loop
 * makes must still give the interpreter's results, errors (pc, address), memory and instruction
 * counts, whether the guard passes, fails on a path the program never takes, or the loop really
 * leaves its region, runs out of fuel, wraps its counter or counts in 32 bits.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadElf } from '../../src/vm/elf.js';
import { buildCfg, decodeProgram, type Cfg } from '../../src/vm/jit/cfg.js';
import { versionLoops } from '../../src/vm/jit/versioning.js';
import { both } from './jit-both.js';
import { genCase } from './program-gen.js';

function buffer(n: number): Uint8Array {
  const m = new Uint8Array(n);
  for (let i = 0; i < n; i++) m[i] = (i * 37 + 11) & 0xff;
  return m;
}

/** Both engines agree with unlimited fuel and with every budget up to `sweep`; the JIT's Vm for its stats. */
function agree(src: string, mem: Uint8Array, sweep: number): ReturnType<typeof both>['vm'] {
  const { results, vm } = both(src, { mem });
  expect(results[1]).toBe(results[0]);
  for (let fuel = 0; fuel <= sweep; fuel += 1 + (fuel >> 4)) {
    const r = both(src, { mem, fuel }).results;
    expect(r[1], `fuel ${fuel}`).toBe(r[0]);
  }
  return vm;
}

/** Adds 1 to each u32 of mem[0 .. 4 * (len / 4 + extra)), counting i up to a bound in r6. */
const walkUp = (extra: number): string => `
  mov %r6, %r2
  rsh %r6, 2
  add %r6, ${extra}
  mov %r3, 0
  mov %r4, %r1
  top: ldxw %r5, [%r4+0]
  add %r5, 1
  stxw [%r4+0], %r5
  add %r4, 4
  add %r3, 1
  jlt %r3, %r6, top
  mov %r0, %r3
  exit`;

describe('JIT loop versioning', () => {
  it('runs an in-bounds walk on the guarded copy, with exact results under any fuel', () => {
    const vm = agree(walkUp(0), buffer(40), 80);
    expect(vm.jit!.checks.guards).toBe(1);
    expect(vm.jit!.checks.versioned).toBe(2);
    expect(both(walkUp(0), { mem: buffer(8) }).results[1]).toMatch(/^r0=2 n=19 mem=12,48,85,122,160,/);
  });

  it('faults at the interpreter pc and address when the walk leaves its region mid-way', () => {
    const { results } = both(walkUp(3), { mem: buffer(16) });
    expect(results[0]).toMatch(/^OUT_OF_BOUNDS/);
    expect(results[1]).toBe(results[0]);
    agree(walkUp(3), buffer(16), 60);
  });

  it('keeps exact results when the guard fails but an early exit keeps the loop in bounds', () => {
    // The bound allows 100 words past the buffer; a 0xff byte ends the loop at the third word.
    const src = `
      mov %r6, %r2
      rsh %r6, 2
      add %r6, 100
      mov %r3, 0
      mov %r4, %r1
      top: ldxb %r5, [%r4+0]
      jeq %r5, 255, out
      stb [%r4+1], 7
      add %r4, 4
      add %r3, 1
      jlt %r3, %r6, top
      out: mov %r0, %r3
      exit`;
    const mem = buffer(32);
    mem[8] = 255;
    const vm = agree(src, mem, 60);
    expect(vm.jit!.checks.guards).toBe(1);
    expect(both(src, { mem }).results[1]).toMatch(/^r0=2 /);
  });

  it('counts down like insertion sort, with accesses below and at the walking pointer', () => {
    // j = n - 1 .. 1: a[j] = a[j - 1] (the inner loop of plugins-c/bench/insertion_sort.c).
    const src = `
      mov %r7, %r2
      rsh %r7, 2
      sub %r7, 1
      mov %r6, %r7
      lsh %r6, 2
      add %r6, %r1
      top: ldxw %r9, [%r6-4]
      stxw [%r6+0], %r9
      add %r7, -1
      add %r6, -4
      jne %r7, 0, top
      ldxw %r0, [%r1+0]
      exit`;
    for (const n of [8, 12, 36]) {
      const vm = agree(src, buffer(n), 60);
      expect(vm.jit!.checks.guards).toBe(1);
    }
    // len 4: the counter starts at 0 and wraps (2^64 iterations): the checked copy, until the fault.
    agree(src, buffer(4), 40);
  });

  it('handles strides that do not divide the distance, for != and < exits', () => {
    for (const jump of ['jne', 'jlt', 'jle']) {
      const src = `
        mov %r3, 0
        mov %r4, %r1
        top: stb [%r4+0], 9
        add %r4, 1
        add %r3, 3
        ${jump} %r3, 10, top
        mov %r0, %r3
        exit`;
      // jne never meets 10 (0, 3, 6, 9, 12, ...): the walk runs off the buffer.
      agree(src, buffer(16), 60);
      agree(src, buffer(64), 40);
    }
  });

  // Four iterations through a wrap of the counter, 64-bit (the guard refuses values that large)
  // and 32-bit (add32 and jlt32 truncate, which the JIT does not version): the checked loop runs.
  const wrapping = [
    { start: 'lddw %r3, 0xfffffffffffffffe', step: 'add %r3, 1', test: 'jne %r3, 2, top', guards: 1 },
    { start: 'mov32 %r3, 0xfffffffe', step: 'add32 %r3, 1', test: 'jlt32 %r3, 3, top', guards: 0 },
  ];
  it.each(wrapping)('gives the interpreter answer when a counter wraps ($step)', ({ start, step, test, guards }) => {
    const src = `
      ${start}
      mov %r4, %r1
      top: ldxb %r5, [%r4+0]
      add %r0, %r5
      add %r4, 1
      ${step}
      ${test}
      exit`;
    const vm = agree(src, buffer(8), 40);
    expect(vm.jit!.checks.guards).toBe(guards);
    agree(src, buffer(2), 40);
  });

  it('agrees for signed exits, including bounds below zero', () => {
    for (const [cmp, bound] of [['jsgt', -1], ['jsge', 0], ['jsgt', 0], ['jgt', 0], ['jge', 0], ['jge', 1]] as const) {
      const src = `
        mov %r3, %r2
        sub %r3, 1
        mov %r4, %r1
        top: ldxb %r5, [%r4+0]
        add %r0, %r5
        add %r4, 1
        add %r3, -1
        ${cmp} %r3, ${bound}, top
        exit`;
      agree(src, buffer(6), 40);
      agree(src, buffer(1), 20);
    }
  });

  it('versions a loop whose exit test is at its top (a while loop)', () => {
    const src = `
      mov %r6, %r2
      rsh %r6, 3
      mov %r3, 0
      mov %r4, %r1
      top: jge %r3, %r6, out
      ldxdw %r5, [%r4+0]
      xor %r0, %r5
      stxdw [%r4+0], %r0
      add %r4, 8
      add %r3, 1
      ja top
      out: exit`;
    const vm = agree(src, buffer(48), 60);
    expect(vm.jit!.checks.guards).toBe(1);
    agree(src, buffer(0), 10);
  });

  it('checks a loop-invariant address once, and a read-modify-write of two pointers', () => {
    // xor_blocks' inner loop: parity[i] ^= src[i], two bases stepping by the same index.
    const src = `
      mov %r5, %r1
      add %r5, 16
      mov %r0, 0
      top: mov %r6, %r5
      add %r6, %r0
      ldxdw %r6, [%r6+0]
      mov %r7, %r1
      add %r7, %r0
      ldxdw %r8, [%r7+0]
      xor %r8, %r6
      stxdw [%r7+0], %r8
      ldxb %r9, [%r1+3]
      add %r0, 8
      jeq %r0, 16, out
      ja top
      out: mov %r0, %r9
      exit`;
    const vm = agree(src, buffer(32), 60);
    expect(vm.jit!.checks.guards).toBe(1);
    expect(vm.jit!.checks.versioned).toBe(4);
    // 24 bytes: the source block's second word is past the end.
    agree(src, buffer(24), 60);
  });
});

/** Dominator sets by the textbook dataflow, for checking the dominators versioning derives. */
function dominatorSets(cfg: Cfg): Set<number>[] {
  const n = cfg.blocks.length;
  const all = new Set(Array.from({ length: n }, (_, i) => i));
  const dom = cfg.blocks.map((_, i) => (i === 0 ? new Set([0]) : new Set(all)));
  for (let changed = true; changed;) {
    changed = false;
    for (let i = 1; i < n; i++) {
      const preds = cfg.blocks[i]!.preds;
      const next = new Set([...dom[preds[0]!]!].filter((d) => preds.every((p) => dom[p]!.has(d))));
      next.add(i);
      if (next.size !== dom[i]!.size) {
        dom[i] = next;
        changed = true;
      }
    }
  }
  return dom;
}

describe('JIT loop versioning: the versioned graph', () => {
  it('has the dominators it claims, forward edges going up and back edges to dominating headers', () => {
    const programs = ['insertion_sort', 'xor_blocks', 'sieve', 'matmul', 'crc32', 'varint']
      .map((k) => loadElf(new Uint8Array(readFileSync(resolve('plugins-c/bench', `${k}.o`)))).code);
    for (let seed = 1; seed <= 300; seed++) programs.push(genCase(seed).code);
    let versioned = 0;
    for (const code of programs) {
      const prog = decodeProgram(code);
      const cfg = versionLoops(buildCfg(prog, 0), prog);
      if (!cfg.blocks.some((b) => b.guard)) continue;
      versioned++;
      const dom = dominatorSets(cfg);
      cfg.blocks.forEach((b, i) => {
        if (i === 0) return;
        const d = cfg.idom[i]!;
        // The immediate dominator: a strict dominator that every other strict dominator dominates.
        expect(dom[i]!.has(d) && d !== i).toBe(true);
        for (const o of dom[i]!) if (o !== i) expect(dom[d]!.has(o)).toBe(true);
        for (const s of b.succs) if (s <= i) expect(dom[i]!.has(s)).toBe(true);
      });
    }
    expect(versioned).toBeGreaterThan(50);
  });
});
