import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runConformance } from '../../src/vm/conformance.js';
import { assemble } from '../../src/vm/asm.js';
import { Vm } from '../../src/vm/vm.js';
import { both } from './jit-both.js';
import { REGION_CACHE, REGION_CACHE_BYTES } from '../../src/vm/jit/codegen.js';
import { REGS } from '../../src/vm/layout.js';
import { KERNELS } from '../../bench/kernels.js';

const DIR = fileURLToPath(new URL('../fixtures/conformance', import.meta.url));

describe('bpf_conformance suite (JIT)', () => {
  it('passes every test file with the results and errors of the interpreter', () => {
    const jit = runConformance([join(DIR, 'tests')], { engine: 'jit' });
    const interp = runConformance([join(DIR, 'tests')], { engine: 'interpreter' });
    const failures = jit.results.filter((r) => r.outcome === 'fail');
    expect(failures.map((f) => `${f.file}: ${f.detail} expected ${f.expected} actual ${f.actual}`)).toEqual([]);
    expect(jit.results.map((r) => [r.outcome, r.actual])).toEqual(interp.results.map((r) => [r.outcome, r.actual]));
    expect(jit.passed).toBe(readdirSync(join(DIR, 'tests')).filter((f) => f.endsWith('.data')).length - jit.skipped);
  });
});

describe('JIT control flow', () => {
  it('translates an irreducible loop (two entries) through the dispatch fallback', () => {
    const src = `
      mov %r0, 0
      mov %r3, 5
      jeq %r1, 0, b
      a: add %r0, 1
      b: add %r0, 2
      sub %r3, 1
      jne %r3, 0, a
      exit`;
    for (const r1 of [0, 1]) {
      const { results, vm } = both(src, { args: [r1] });
      expect(results[1]).toBe(results[0]);
      expect(vm.jit!.irreducible).toBe(1);
    }
    expect(both(src, { args: [0] }).results[1]).toBe('r0=14 n=23 mem=undefined');
  });

  it('keeps reducible nested loops structured, with exact instruction counts', () => {
    const src = `
      mov %r0, 0
      mov %r1, 10
      outer: mov %r2, 10
      inner: add %r0, %r2
      jset %r0, 1, skip
      add %r0, 3
      skip: sub %r2, 1
      jne %r2, 0, inner
      sub %r1, 1
      jne %r1, 0, outer
      exit`;
    const { results, vm } = both(src);
    expect(results[1]).toBe(results[0]);
    expect(vm.jit!.irreducible).toBe(0);
  });

  it('translates deeply nested control flow without recursion limits', () => {
    const lines = ['mov %r0, 0'];
    for (let i = 0; i < 10000; i++) lines.push(`jeq %r0, ${i}, +1`, 'add %r0, 1');
    lines.push('exit');
    const { results } = both(lines.join('\n'));
    expect(results[1]).toBe(results[0]);
    expect(results[0]).toBe('r0=9999 n=20001 mem=undefined');
  });

  it('runs local calls: r6-r9 preserved, r1-r5 and r0 from the callee, depth limit 8', () => {
    const src = `
      mov %r6, 6
      mov %r1, 1
      call local f
      add %r0, %r6
      add %r0, %r1
      exit
      f: add %r1, %r6
      mov %r6, 100
      mov %r0, %r1
      stxdw [%r10-8], %r0
      ldxdw %r0, [%r10-8]
      exit`;
    const { results } = both(src);
    expect(results[1]).toBe(results[0]);
    expect(results[0]).toBe('r0=20 n=12 mem=undefined');
    const deep = both('call local f\nexit\nf: add %r0, 1\ncall local f\nexit');
    expect(deep.results[1]).toBe(deep.results[0]);
    expect(deep.results[0]).toMatch(/^CALL_DEPTH: .*at PC 3/);
  });

  it('gives a program entry that calls itself a frame per depth (its r10 is not the stack top)', () => {
    // Only an entry no local call targets runs at depth 0 alone and gets a constant r10; here
    // each level keeps its n at [r10-8] across the call, so shared frames would lose them.
    const src = `
      top: stxdw [%r10-8], %r1
      mov %r0, 0
      jeq %r1, 0, done
      sub %r1, 1
      call local top
      ldxdw %r2, [%r10-8]
      add %r0, %r2
      done: exit`;
    const { results, vm } = both(src, { args: [5] });
    expect(results[0]).toBe('r0=15 n=44 mem=undefined');
    expect(results[1]).toBe(results[0]);
    expect(vm.jit!.functions).toBe(1);
    for (let fuel = 0; fuel <= 45; fuel++) {
      const r = both(src, { args: [5], fuel }).results;
      expect(r[1], `fuel ${fuel}`).toBe(r[0]);
    }
  });
});

/**
 * Runs `src` over a 4-byte grant on both engines; helper 9 runs the same program again over a
 * 64-byte grant (a nested exec). Returns r0 or the error message of each engine.
 */
function withNestedExec(src: string): string[] {
  return (['interpreter', 'jit'] as const).map((engine) => {
    const vm = new Vm({ engine });
    vm.registerHelper(9, 'nested', (c) => c.vm.exec({ mem: new Uint8Array(64) }).r0);
    vm.load(assemble(src));
    try {
      return String(vm.exec({ mem: new Uint8Array(4) }).r0);
    } catch (e) {
      return (e as Error).message;
    }
  });
}

describe('JIT fuel, sandbox and helpers', () => {
  const stores = `
    stb [%r1+0], 1
    stb [%r1+1], 2
    stb [%r1+2], 3
    call 2
    stb [%r1+3], 4
    mov %r0, %r1
    and %r0, 0
    exit`;

  it('stops at the same instruction with the same memory for every budget', () => {
    for (let fuel = 0; fuel <= 12; fuel++) {
      const { results } = both(stores, { mem: new Uint8Array(4), fuel });
      expect(results[1], `fuel ${fuel}`).toBe(results[0]);
    }
  });

  it('checks a one-block loop\'s fuel on the edges into it, ending where the interpreter ends', () => {
    // One block, two ways back: a conditional back edge, and an unconditional one that only
    // the fuel can stop. Every budget must stop at the same instruction with the same r0.
    const counted = `
      mov %r0, 0
      mov %r2, 7
      loop: add %r0, %r2
      sub %r2, 1
      jne %r2, 0, loop
      exit`;
    const forever = `
      mov %r0, 0
      loop: add %r0, 3
      stxdw [%r10-8], %r0
      ja loop`;
    for (const src of [counted, forever]) {
      for (let fuel = 0; fuel <= 26; fuel++) {
        const { results } = both(src, { fuel });
        expect(results[1], `fuel ${fuel}`).toBe(results[0]);
      }
    }
    expect(both(counted, {}).results[1]).toBe('r0=28 n=24 mem=undefined');
    expect(both(forever, { fuel: 10 }).results[1]).toMatch(/^FUEL_EXHAUSTED: /);
  });

  it('hands over to the interpreter inside nested calls, which then returns through every frame', () => {
    // f calls g calls h; h loops. Every budget ends somewhere else: in a callee, after a return,
    // or not at all; the callers' r6-r9 and r10 must come back from the frames the JIT wrote.
    const src = `
      mov %r6, 60
      mov %r1, 3
      call local f
      add %r0, %r6
      exit
      f: mov %r6, 70
      call local g
      add %r0, %r6
      stxdw [%r10-8], %r0
      ldxdw %r0, [%r10-8]
      exit
      g: mov %r7, 5
      mov %r6, 80
      call local h
      add %r0, %r6
      add %r0, %r7
      exit
      h: mov %r0, 0
      loop: add %r0, %r1
      sub %r1, 1
      jne %r1, 0, loop
      exit`;
    const full = both(src).results[0]!;
    expect(full).toBe('r0=221 n=28 mem=undefined');
    for (let fuel = 0; fuel <= 30; fuel++) {
      const { results } = both(src, { fuel });
      expect(results[1], `fuel ${fuel}`).toBe(results[0]);
    }
  });

  it('bills helper work to the budget like the interpreter (HelperCall.charge)', () => {
    const src = 'mov %r1, 5\ncall 2\nmov %r1, 3\ncall 1\nexit';
    for (const fuel of [2, 6, 7, 8, 9, 10, 11, 100]) {
      const { results } = both(src, { fuel });
      expect(results[1], `fuel ${fuel}`).toBe(results[0]);
    }
  });

  it('never aliases an address with high bits set, and faults with the interpreter\'s message', () => {
    const { results } = both('mov %r2, %r10\nlddw %r1, 0x100000000\nadd %r1, %r2\nldxw %r0, [%r1-8]\nexit');
    expect(results[1]).toBe(results[0]);
    expect(results[0]).toMatch(/^OUT_OF_BOUNDS: out of bounds memory load at PC 4 .*address 0x1000031f8/);
    const wrong = both('stw [%r1+2], 1\nexit', { mem: new Uint8Array(5) });
    expect(wrong.results[1]).toBe(wrong.results[0]);
    expect(wrong.results[0]).toMatch(/OUT_OF_BOUNDS: out of bounds memory store at PC 0/);
    const rodata = both('stb [%r10+0], 1\nexit');
    expect(rodata.results[1]).toBe(rodata.results[0]);
  });

  it('merges the checks of one base register and still faults exactly like the interpreter', () => {
    // One union check covers the load and the stores; when it fails, the interpreter finishes.
    const src = 'ldxw %r0, [%r1+0]\nadd %r0, 1\nstxw [%r1+0], %r0\nstxb [%r1+5], %r0\nstxh [%r1+2], %r0\nexit';
    for (const size of [8, 6, 5, 4, 2, 0]) {
      for (const fuel of [2, 3, 4, 100]) {
        const { results } = both(src, { mem: new Uint8Array(size).fill(7), fuel });
        expect(results[1], `mem ${size} fuel ${fuel}`).toBe(results[0]);
      }
    }
    expect(both(src, { mem: new Uint8Array(5).fill(7) }).results[0]).toMatch(/^OUT_OF_BOUNDS: out of bounds memory store at PC 3 .* mem=8,7,7,7,7$/);
  });

  it('folds an unchecked access\'s offset into the Wasm access only where the sum cannot have wrapped', () => {
    // r1 = r10 - 0x7008 wraps below zero; r1 + 0x7000 (r10 - 8) is in the stack all the same.
    // The offset exceeds the lowest region start, so the JIT must add it in 64 bits first: the
    // register's low half plus the offset would lie past 4 GiB and trap.
    const wrapped = 'mov %r1, %r10\nadd %r1, -28680\nstxdw [%r1+28672], %r10\nldxdw %r0, [%r1+28672]\nexit';
    const far = both(wrapped);
    expect(far.results[1]).toBe(far.results[0]);
    expect(far.results[0]).toMatch(/^r0=\d+ n=5 /);
    // With a small offset a wrapped register only reaches below every region: both fault alike.
    const low = both('mov %r1, -8\nstxdw [%r1+16], %r10\nldxdw %r0, [%r1+16]\nexit');
    expect(low.results[1]).toBe(low.results[0]);
    expect(low.results[0]).toMatch(/^OUT_OF_BOUNDS: out of bounds memory store at PC 1 .*address 0x8,/);
    // Buffer accesses at small offsets through a 64-bit pointer (varint's byte stores).
    const mem = both('stxb [%r1+0], %r2\nstxb [%r1+3], %r2\nstxh [%r1+1], %r1\nldxw %r0, [%r1+0]\nexit', { mem: new Uint8Array(4) });
    expect(mem.results[1]).toBe(mem.results[0]);
    expect(mem.results[0]).toMatch(/^r0=\d+ n=5 mem=4,/);
  });

  it('checks a stack-table access whose index a 32-bit shift leaves large (count masked to 31)', () => {
    const src = 'mov32 %r1, -1\nrsh32 %r1, 33\nand %r1, 0x1ff\nmov %r3, %r10\nadd %r3, -44\nadd %r3, %r1\nldxb %r0, [%r3-3]\nexit';
    const { results } = both(src);
    expect(results[1]).toBe(results[0]);
    expect(results[0]).toMatch(/^OUT_OF_BOUNDS: out of bounds memory load at PC 6/);
  });

  it('keeps its own grant bounds across a helper that runs a nested exec with a bigger grant', () => {
    const results = withNestedExec('jeq %r2, 64, +3\nldxb %r0, [%r1+0]\ncall 9\nldxb %r0, [%r1+10]\nexit');
    expect(results[1]).toBe(results[0]);
    expect(results[0]).toMatch(/out of bounds memory load at PC 3 .*address 0x[0-9a-f]+a, size 1 \(nearest region: mem/);
  });

  it('keeps its region cache in the core\'s own area, below the registers', () => {
    // Nothing else writes there and no region covers it (layout.ts: below CODE is never a region).
    expect(REGION_CACHE).toBeGreaterThanOrEqual(0);
    expect(REGION_CACHE + REGION_CACHE_BYTES).toBeLessThanOrEqual(REGS);
  });

  it('forgets the regions cached by a nested exec over a bigger grant', () => {
    // The nested run reads [r1+10] in its 64-byte grant, which caches that region; back in the
    // outer run, whose grant has 4 bytes, the same read must fault like the interpreter's.
    const src = `
      jeq %r2, 64, nested
      ldxb %r0, [%r1+0]
      call 9
      ldxb %r0, [%r1+10]
      exit
      nested: ldxb %r0, [%r1+10]
      exit`;
    const results = withNestedExec(src);
    expect(results[1]).toBe(results[0]);
    expect(results[0]).toMatch(/out of bounds memory load at PC 3 /);
  });

  it('forgets the regions cached by an earlier exec with a bigger grant', () => {
    const src = 'ldxb %r0, [%r1+10]\nexit';
    const results = (['interpreter', 'jit'] as const).map((engine) => {
      const vm = new Vm({ engine });
      vm.load(assemble(src));
      const out = [String(vm.exec({ mem: new Uint8Array(64).fill(3) }).r0)];
      try {
        out.push(String(vm.exec({ mem: new Uint8Array(4) }).r0));
      } catch (e) {
        out.push((e as Error).message);
      }
      return out.join(' / ');
    });
    expect(results[1]).toBe(results[0]);
    expect(results[0]).toMatch(/^3 \/ .*out of bounds memory load at PC 0 /);
  });

  it('checks r10-relative accesses of a callee frame and beyond the stack', () => {
    const src = 'call local f\nexit\nf: stxdw [%r10-512], %r10\nldxdw %r0, [%r10+504]\nldxdw %r0, [%r10+1024]\nexit';
    const { results } = both(src);
    expect(results[1]).toBe(results[0]);
    expect(results[0]).toMatch(/OUT_OF_BOUNDS: out of bounds memory load at PC 4 .*address 0x3400/);
  });
});

describe('JIT on the clang-built objects of plugins-c', () => {
  const dir = new URL('../../plugins-c/', import.meta.url);
  const run = (engine: 'interpreter' | 'jit', path: string, mem: Uint8Array, fuel: number): string => {
    const logs: string[] = [];
    const vm = new Vm({ engine, heapSize: 4096 });
    vm.registerStandardHelpers({ log: (line) => logs.push(line), now: () => 42n });
    vm.loadElf(new Uint8Array(readFileSync(new URL(path, dir))));
    const m = mem.slice();
    let out: string;
    try {
      const r = vm.exec({ mem: m, fuel });
      out = `r0=${r.r0} n=${r.instructions}`;
    } catch (e) {
      out = (e as Error).message;
    }
    const l = vm.layout;
    const u8 = new Uint8Array(vm.memory.buffer);
    const data = l.data ? u8.slice(l.data.start, l.data.start + l.data.size).join(',') : '';
    return `${out} mem=${Buffer.from(m).toString('hex')} data=${data} logs=${logs.join('|')}`;
  };

  it('the test programs (data, rodata, helpers, atomics, calls, faults) give the same everything', () => {
    const tests = readdirSync(new URL('tests/', dir)).filter((f) => f.endsWith('.o'));
    expect(tests.length).toBeGreaterThanOrEqual(9);
    for (const f of tests) {
      for (const size of [0, 8, 40, 64]) {
        const mem = new Uint8Array(size).map((_, i) => (i * 37 + 11) & 0xff);
        for (const fuel of [50, 100_000]) {
          expect(run('jit', `tests/${f}`, mem, fuel), `${f} mem ${size} fuel ${fuel}`).toBe(run('interpreter', `tests/${f}`, mem, fuel));
        }
      }
    }
  });

  it('the benchmark kernels give the same r0, count and memory', () => {
    for (const k of KERNELS) {
      const input = k.input();
      expect(run('jit', `bench/${k.name}.o`, input, 2 ** 40), k.name).toBe(run('interpreter', `bench/${k.name}.o`, input, 2 ** 40));
    }
  });
});
