/**
 * Real C programs, compiled by clang 14 (`npm run build:plugins`) and committed as objects, run
 * through the ELF loader and the interpreter: plugins-c/tests/*.o (language features, helpers,
 * faults) and plugins-c/bench/*.o (the benchmark kernels, checked against their TypeScript
 * twins in bench/kernels.ts). The expected values are those stated in each C file's header.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ExecError, VmError } from '../../src/vm/errors.js';
import { Vm } from '../../src/vm/vm.js';
import { KERNELS, crc32, fnv1a, insertionSort, matmul, seededBytes, sieve, varint, xorBlocks } from '../../bench/kernels.js';

const ROOT = new URL('../../', import.meta.url);
const M64 = (1n << 64n) - 1n;

function objectBytes(path: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(path, ROOT)));
}

interface Loaded {
  vm: Vm;
  logs: string[];
}

/** A fresh VM with the standard helpers (fixed clock, captured log) and the object loaded. */
function load(path: string, now = 123456789n): Loaded {
  const logs: string[] = [];
  const vm = new Vm();
  vm.registerStandardHelpers({ log: (line) => logs.push(line), now: () => now });
  vm.loadElf(objectBytes(path));
  return { vm, logs };
}

function execError(f: () => unknown): ExecError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ExecError);
    return e as ExecError;
  }
  throw new Error('expected an ExecError');
}

function le64(mem: Uint8Array, at: number): bigint {
  return new DataView(mem.buffer, mem.byteOffset).getBigUint64(at, true);
}

function memWith64(values: bigint[], size = values.length * 8): Uint8Array {
  const mem = new Uint8Array(size);
  const dv = new DataView(mem.buffer);
  values.forEach((v, i) => dv.setBigUint64(i * 8, BigInt.asUintN(64, v), true));
  return mem;
}

const TEST_PROGRAMS = ['atomics', 'calls', 'fault', 'globals', 'helpers', 'infinite', 'loops', 'strings', 'tables'];

describe('plugins-c objects', () => {
  it('every committed test program and kernel is covered here', () => {
    const names = (dir: string) =>
      readdirSync(new URL(dir, ROOT))
        .filter((f) => f.endsWith('.o'))
        .map((f) => f.slice(0, -2))
        .sort();
    expect(names('plugins-c/tests/')).toEqual(TEST_PROGRAMS);
    expect(names('plugins-c/bench/')).toEqual(KERNELS.map((k) => k.name).sort());
  });

  it('the entry point is the first function of .text', () => {
    for (const name of TEST_PROGRAMS) {
      const { vm } = load(`plugins-c/tests/${name}.o`);
      expect(vm.program!.entry, name).toBe(0);
      expect(vm.functionPc(name), name).toBe(0);
    }
  });
});

describe('plugins-c/tests: language features', () => {
  /** loops.c, modelled with BigInt. */
  function loopsModel(n: number, bound: number): { sum: bigint; fib: bigint; steps: bigint } {
    let sum = 0n;
    for (let i = 0n; i < BigInt(n); i++) sum = (sum + ((i * i) ^ (i >> 1n))) & M64;
    let a = 0n;
    let b = 1n;
    for (let i = 0; i < n % 94; i++) [a, b] = [b, (a + b) & M64];
    let x = BigInt(n);
    let steps = 0n;
    while (x > 1n && steps < BigInt(bound)) {
      x = x & 1n ? 3n * x + 1n : x / 2n;
      steps++;
    }
    return { sum, fib: a, steps };
  }

  function runLoops(n: number, bound: number): { r0: bigint; mem: Uint8Array } {
    const mem = new Uint8Array(32);
    new DataView(mem.buffer).setUint32(0, n, true);
    new DataView(mem.buffer).setUint32(4, bound, true);
    const r0 = load('plugins-c/tests/loops.o').vm.exec({ mem }).r0;
    return { r0, mem };
  }

  it('loops: the documented values', () => {
    const { r0, mem } = runLoops(27, 1000);
    expect(r0).toBe(202831n);
    expect([le64(mem, 8), le64(mem, 16), le64(mem, 24)]).toEqual([6302n, 196418n, 111n]);
    expect(runLoops(27, 50).r0).toBe(202770n);
    expect(load('plugins-c/tests/loops.o').vm.exec({ mem: new Uint8Array(31) }).r0).toBe(0xbadn);
  });

  it('loops: agrees with a model for other bounds', () => {
    for (const [n, bound] of [[0, 10], [1, 10], [2, 0], [93, 5], [94, 1000], [97, 1000], [300, 200], [100000, 1 << 30]] as const) {
      const m = loopsModel(n, bound);
      const { r0, mem } = runLoops(n, bound);
      expect([le64(mem, 8), le64(mem, 16), le64(mem, 24)], `n=${n}`).toEqual([m.sum, m.fib, m.steps]);
      expect(r0, `n=${n}`).toBe((m.sum + m.fib + m.steps) & M64);
    }
  });

  it('globals: .data and .bss through lddw relocations', () => {
    const mem = new Uint8Array([0x00, 0x01, 0x02, 0x03, 0x13, 0x23, 0x33, 0x0f, 0x1f, 0x05]);
    const { vm } = load('plugins-c/tests/globals.o');
    expect(vm.exec({ mem }).r0).toBe(8010101003n);
    expect([...mem]).toEqual([1, 1, 1, 4, 0, 1, 0, 0, 0, 0]);
    expect(load('plugins-c/tests/globals.o').vm.exec({ mem: new Uint8Array(0) }).r0).toBe(8010000000n);
  });

  it('globals: the data sections keep their values from one run to the next', () => {
    const { vm } = load('plugins-c/tests/globals.o');
    expect(vm.exec({ mem: new Uint8Array([7, 7]) }).r0).toBe(8_000_000_000n + 1002n * 10000n + 100n + 7n);
    // calls 9, bytes_seen 1005, distinct {7, 1, 2} = 3, hist[7] = 3 wins over hist[1] = hist[2] = 1.
    expect(vm.exec({ mem: new Uint8Array([1, 2, 7]) }).r0).toBe(9_000_000_000n + 1005n * 10000n + 300n + 7n);
  });

  it('strings: literals through strlen, memcmp and pquic_log', () => {
    const { vm, logs } = load('plugins-c/tests/strings.o');
    expect(vm.exec().r0).toBe(136137n);
    expect(logs).toEqual([
      'Hello, PQUIC! has 13 chars, 6 upper',
      'hex beef 123456789abcdef0 ok',
      'signed -5 -1234567890123 42 100%',
    ]);
  });

  it('strings: loading without the helpers it calls fails by name', () => {
    const vm = new Vm();
    try {
      vm.loadElf(objectBytes('plugins-c/tests/strings.o'));
      throw new Error('expected loadElf to fail');
    } catch (e) {
      expect(e).toBeInstanceOf(VmError);
      expect((e as VmError).code).toBe('ELF_UNKNOWN_HELPER');
      expect((e as VmError).message).toMatch(/strlen/);
    }
  });

  /** calls.c, modelled with BigInt. */
  function callsModel(a: bigint, b: bigint, c: bigint, d: bigint, e: bigint): { r0: bigint; level1: bigint } {
    const level3 = (n: number, seed: bigint): { sum: bigint; out: bigint[] } => {
      const local = [seed, (seed + 1n) & M64, (seed * 5n) & M64, seed >> 3n];
      const out: bigint[] = [];
      let sum = 0n;
      for (let i = 0; i < n; i++) {
        const o = (local[i & 3]! + BigInt(i)) & M64;
        out.push(o);
        sum = (sum + o) & M64;
      }
      return { sum, out };
    };
    const level2 = (x: bigint, y: bigint, z: bigint): bigint => {
      const { sum, out } = level3(8, x ^ y);
      let t = 0n;
      for (const v of out) t = (t * 31n + v) & M64;
      return (sum + t + z * 3n) & M64;
    };
    const mix5 = (p: bigint, q: bigint, r: bigint, s: bigint, u: bigint): bigint =>
      ((p * 3n + q) & M64) ^ ((r << 7n) & M64) ^ (s >> 2n) ^ ((u * 0x9e3779b97f4a7c15n) & M64);
    const p = level2(a, b, c);
    const q = level2(d, e, p);
    const level1 = (mix5(p, q, a, c, e) + b - d) & M64;
    return { r0: ((level1 ^ ((a + b + c + d + e) & M64)) + a * e) & M64, level1 };
  }

  it('calls: four levels of local calls, five arguments, callee-saved registers', () => {
    const mem = memWith64([1n, 2n, 3n, 4n, 5n], 48);
    expect(load('plugins-c/tests/calls.o').vm.exec({ mem }).r0).toBe(1663341320402770591n);
    expect(le64(mem, 40)).toBe(1663341320402770581n);
    const big = [0x0123456789abcdefn, 7n, 0xffffffffffffffffn, 1000n, 42n] as const;
    expect(load('plugins-c/tests/calls.o').vm.exec({ mem: memWith64([...big]) }).r0).toBe(0x0505147eff5e0397n);
    const seeded = seededBytes(40, 99);
    const dv = new DataView(seeded.buffer);
    const args = [0, 8, 16, 24, 32].map((o) => dv.getBigUint64(o, true)) as [bigint, bigint, bigint, bigint, bigint];
    expect(load('plugins-c/tests/calls.o').vm.exec({ mem: seeded }).r0).toBe(callsModel(...args).r0);
    expect(callsModel(1n, 2n, 3n, 4n, 5n)).toEqual({ r0: 1663341320402770591n, level1: 1663341320402770581n });
  });

  it('helpers: my_memset / my_memcpy on the stack and on mem, picoquic_current_time', () => {
    const mem = new Uint8Array(64);
    for (let i = 0; i < 16; i++) mem[i] = i;
    const r = load('plugins-c/tests/helpers.o', 123456789n).vm.exec({ mem });
    expect(r.r0).toBe(17180027456n);
    const expected = new Uint8Array(64);
    for (let i = 0; i < 16; i++) expected[i] = i;
    expected.fill(0xab, 16, 24);
    for (let i = 0; i < 8; i++) expected[24 + i] = i;
    expected.fill(0x5a, 32, 48);
    new DataView(expected.buffer).setBigUint64(48, 123456789n, true);
    new DataView(expected.buffer).setBigUint64(56, 158272n, true);
    expect([...mem]).toEqual([...expected]);
  });

  it('atomics: add/or/and/xor with and without fetch, xchg, cmpxchg, 32 and 64 bits', () => {
    const mem = new Uint8Array(64);
    const dv = new DataView(mem.buffer);
    [0x1111111111111111n, 0x2222222222222222n, 2n, 0x4444444444444444n].forEach((v, i) => dv.setBigUint64(i * 8, v, true));
    [0x01010101, 5, 6, 0].forEach((v, i) => dv.setUint32(32 + i * 4, v, true));
    expect(load('plugins-c/tests/atomics.o').vm.exec({ mem }).r0).toBe(0x7777777777777c74n);
    expect([0, 8, 16, 24].map((o) => dv.getBigUint64(o, true))).toEqual([
      0x0011001100110011n, 0xdddddddd22222222n, 0x8000000000000003n, 0x1234n,
    ]);
    expect([32, 36, 40, 44].map((o) => dv.getUint32(o, true))).toEqual([0x54545454, 4, 77, 7]);
    expect([dv.getBigUint64(48, true), dv.getBigUint64(56, true)]).toEqual([1000n, 0x3cn]);
  });

  it('atomics: a failing 32-bit cmpxchg leaves memory alone and returns the old value', () => {
    const mem = new Uint8Array(48);
    new DataView(mem.buffer).setUint32(44, 9, true);
    const r0 = load('plugins-c/tests/atomics.o').vm.exec({ mem }).r0;
    expect(new DataView(mem.buffer).getUint32(44, true)).toBe(9);
    // o1..o9 for zeroed m/w: 10 + 0xF0 + 0 + 0 + 0 + 0 + 16 + 0 + 1000, then o10 = 9.
    expect(r0).toBe(10n + 0xf0n + 16n + 1000n + 9n);
  });

  /** tables.c, in TypeScript. */
  function tablesModel(mem: Uint8Array): bigint {
    const primes = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53];
    const weights = [11, 7, 103, 5, 1000, 42, 9];
    const nameLengths = [4, 3, 3, 5];
    let acc = 1n;
    for (const b of mem) acc = (acc * 3n + BigInt(primes[b & 15]! + weights[b % 7]! + nameLengths[(b >> 4) & 3]!)) & M64;
    return acc;
  }

  it('tables: .rodata tables, pointer arrays and a switch', () => {
    expect(load('plugins-c/tests/tables.o').vm.exec({ mem: new Uint8Array([0x00, 0x11, 0x22, 0x33]) }).r0).toBe(805n);
    const mem = seededBytes(300, 7);
    expect(load('plugins-c/tests/tables.o').vm.exec({ mem }).r0).toBe(tablesModel(mem));
  });
});

describe('plugins-c/tests: faults', () => {
  it('fault: a store 1 GiB past mem throws OUT_OF_BOUNDS at the store', () => {
    const mem = memWith64([0x40000000n], 16);
    const e = execError(() => load('plugins-c/tests/fault.o').vm.exec({ mem }));
    expect(e.code).toBe('OUT_OF_BOUNDS');
    expect(e.pc).toBe(9); // *(u64 *)(r1 + 0) = r2, after the in-bounds byte store at pc 5
    expect(e.message).toMatch(/store/);
    // The in-bounds store before the fault happened, and mem was copied back.
    expect(mem[15]).toBe(0xee);
  });

  it('fault: a store just past the end of mem is caught too', () => {
    for (const gap of [0n, 1n, 0xfffffff8n]) {
      const e = execError(() => load('plugins-c/tests/fault.o').vm.exec({ mem: memWith64([gap], 16) }));
      expect(e.code, `gap ${gap}`).toBe('OUT_OF_BOUNDS');
    }
    // gap = -16: the u64 lands back at mem[0..8), inside mem: no fault.
    const mem = memWith64([-16n], 16);
    expect(load('plugins-c/tests/fault.o').vm.exec({ mem }).r0).toBe(1n);
    expect(le64(mem, 0)).toBe(0xdeadbeefn);
  });

  it('infinite: runs out of fuel', () => {
    const { vm } = load('plugins-c/tests/infinite.o');
    const e = execError(() => vm.exec({ fuel: 10000 }));
    expect(e.code).toBe('FUEL_EXHAUSTED');
    // The VM stays usable after a fault.
    expect(execError(() => vm.exec({ fuel: 50 })).code).toBe('FUEL_EXHAUSTED');
  });
});

describe('plugins-c/bench: kernels', () => {
  const ascii = (s: string) => new TextEncoder().encode(s);
  const runVm = (name: string, mem: Uint8Array) => load(`plugins-c/bench/${name}.o`).vm.exec({ mem });

  it('are pure .text: no data sections, no relocations, no helpers', () => {
    for (const k of KERNELS) {
      const { vm } = load(`plugins-c/bench/${k.name}.o`);
      const p = vm.program!;
      expect(p.sections, k.name).toEqual([]);
      expect(p.dataRelocs.length + p.sectionRelocs.length + p.helperRelocs.length, k.name).toBe(0);
      expect(p.functions.map((f) => f.name), k.name).toEqual([k.name]);
      // So the same bytes also run as raw bytecode, as other eBPF VMs would load them.
      const raw = new Vm();
      raw.load(vm.code);
      const input = seededBytes(2400, 5);
      expect(raw.exec({ mem: input.slice() }).r0, k.name).toBe(vm.exec({ mem: input.slice() }).r0);
    }
  });

  it('give the documented results on known inputs', () => {
    expect(runVm('crc32', ascii('123456789')).r0).toBe(0xcbf43926n);
    expect(runVm('crc32', new Uint8Array(0)).r0).toBe(0n);
    expect(runVm('fnv1a', new Uint8Array(0)).r0).toBe(0xcbf29ce484222325n);
    expect(runVm('fnv1a', ascii('a')).r0).toBe(0xaf63dc4c8601ec8cn);
    expect(runVm('fnv1a', ascii('foobar')).r0).toBe(0x85944171f73967e8n);
    expect(runVm('sieve', new Uint8Array(8)).r0).toBe(18n);
    expect(runVm('sieve', new Uint8Array(125)).r0).toBe(162n);
    expect(runVm('sieve', new Uint8Array(65536)).r0).toBe(43390n);
    expect(runVm('sieve', new Uint8Array(7)).r0).toBe(0n);
    const blocks = new Uint8Array(2400).fill(1, 1200);
    expect(runVm('xor_blocks', blocks).r0).toBe(0x48e071ffd6c943e2n);
    expect([...blocks.subarray(0, 1200)].every((b) => b === 1)).toBe(true);
    expect(runVm('xor_blocks', new Uint8Array(1199)).r0).toBe(0n);
    const sortMem = new Uint8Array(new Uint32Array([5, 3, 0xffffffff, 1]).buffer);
    expect(runVm('insertion_sort', sortMem).r0).toBe(4298694208n);
    expect([...new Uint32Array(sortMem.buffer)]).toEqual([1, 3, 5, 0xffffffff]);
    expect(runVm('varint', new Uint8Array(7)).r0).toBe(0n);
    expect(runVm('varint', new Uint8Array(16)).r0).toBe(0x2030553e7bb99553n);
    const mm = new Uint8Array(new Uint32Array([1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0]).buffer);
    expect(runVm('matmul', mm).r0).toBe(2435596n);
    expect([...new Uint32Array(mm.buffer, 32, 4)]).toEqual([19, 22, 43, 50]);
  });

  it('the TypeScript twins give the documented results too', () => {
    expect(crc32(ascii('123456789'))).toBe(0xcbf43926n);
    expect(fnv1a(ascii('foobar'))).toBe(0x85944171f73967e8n);
    expect(sieve(new Uint8Array(65536))).toBe(43390n);
    expect(xorBlocks(new Uint8Array(2400).fill(1, 1200))).toBe(0x48e071ffd6c943e2n);
    expect(insertionSort(new Uint8Array(new Uint32Array([5, 3, 0xffffffff, 1]).buffer))).toBe(4298694208n);
    expect(varint(new Uint8Array(16))).toBe(0x2030553e7bb99553n);
    expect(matmul(new Uint8Array(new Uint32Array([1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0]).buffer))).toBe(2435596n);
  });

  for (const k of KERNELS) {
    it(`${k.name}: VM and TypeScript agree on r0 and on mem, for many sizes and the benchmark input`, () => {
      const inputs: Uint8Array[] = [k.input()];
      for (const size of [0, 1, 8, 9, 100, 1199, 1200, 2401, 3072, 4099, 12288, 20000]) inputs.push(seededBytes(size, size + 17));
      for (const input of inputs) {
        const vmMem = input.slice();
        const tsMem = input.slice();
        const r = runVm(k.name, vmMem);
        expect(r.r0, `${k.name} on ${input.length} bytes`).toBe(k.run(tsMem));
        expect(Buffer.from(vmMem).equals(Buffer.from(tsMem)), `${k.name} mem on ${input.length} bytes`).toBe(true);
        if (input.length >= 8) expect(r.instructions).toBeGreaterThan(0);
      }
    });
  }
});
