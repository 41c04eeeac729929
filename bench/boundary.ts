/**
 * How should 64-bit values cross the Wasm/JS boundary on a helper call? Compares, in one run:
 *  - i64 parameters and result (one BigInt per argument and for the result),
 *  - the VM's design: registers in linear memory, read by the helper as two 32-bit halves,
 *  - the full path through the VM: an eBPF program calling a registered helper in a loop.
 * Run: npm run bench:boundary
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assemble } from '../src/vm/asm.js';
import { Vm } from '../src/vm/vm.js';

// npm runs benchmarks from the package root (tools/run-ts.mjs bundles this file elsewhere).
const root = process.cwd();
const dir = mkdtempSync(join(tmpdir(), 'pquic-bench-'));
const wasmPath = join(dir, 'boundary.wasm');
execFileSync(process.execPath, [join(root, 'node_modules/assemblyscript/bin/asc.js'), join(root, 'bench/boundary.as.ts'), '-O3', '--runtime', 'stub', '--importMemory', '--outFile', wasmPath], { stdio: 'inherit' });

const memory = new WebAssembly.Memory({ initial: 1 });
const dv = new DataView(memory.buffer);
const REGS = 0x100;
const inst = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(wasmPath)), {
  env: {
    memory,
    helperI64: (a: bigint, b: bigint, c: bigint, d: bigint, e: bigint): bigint => (a ^ b) + c + d + e,
    helperMem: (): number => {
      const alo = dv.getUint32(REGS + 8, true);
      const ahi = dv.getUint32(REGS + 12, true);
      const blo = dv.getUint32(REGS + 16, true);
      const sum = ((alo ^ blo) >>> 0) + dv.getUint32(REGS + 24, true) + dv.getUint32(REGS + 32, true) + dv.getUint32(REGS + 40, true);
      dv.setUint32(REGS, sum >>> 0, true);
      dv.setUint32(REGS + 4, (ahi + Math.floor(sum / 4294967296)) >>> 0, true);
      return 0;
    },
    abort: () => {
      throw new Error('abort');
    },
  },
});
const ex = inst.exports as { callI64(n: number): bigint; callMem(n: number): bigint };

const vm = new Vm();
vm.registerHelper(1, 'mix', (c) => c.num(1) + c.num(2) + 3);
vm.load(assemble('mov %r6, 0\nmov %r7, 0\nmov %r8, 1000000\nl:\nmov %r1, %r6\nmov %r2, %r7\ncall 1\nmov %r6, %r0\nadd %r7, 1\njlt %r7, %r8, l\nmov %r0, %r6\nexit'));

const trivial = new Vm();
trivial.load(assemble('mov %r0, %r1\nexit'));
const args = [7];

const N = 1_000_000;
function time(f: () => unknown): number {
  const t = process.hrtime.bigint();
  f();
  return Number(process.hrtime.bigint() - t) / N;
}
const rounds = process.argv.includes('--quick') ? 3 : 10;
const best = { i64: Infinity, mem: Infinity, vm: Infinity, exec: Infinity };
for (let r = 0; r < rounds; r++) {
  best.i64 = Math.min(best.i64, time(() => ex.callI64(N)));
  best.mem = Math.min(best.mem, time(() => ex.callMem(N)));
  best.vm = Math.min(best.vm, time(() => vm.exec()));
  best.exec = Math.min(best.exec, time(() => {
    for (let i = 0; i < N; i++) trivial.exec({ args });
  }));
}
console.log('| boundary crossing (5 × 64-bit args, 64-bit result) | ns per call |');
console.log('|---|---|');
console.log(`| i64 params/result (BigInt per value) | ${best.i64.toFixed(1)} |`);
console.log(`| registers in linear memory, 32-bit halves (our design) | ${best.mem.toFixed(1)} |`);
console.log(`| an eBPF program calling a registered helper through the VM (loop included) | ${best.vm.toFixed(1)} |`);
console.log(`| Vm.exec of a 2-instruction program from TypeScript (args in, r0 out as BigInt) | ${best.exec.toFixed(1)} |`);
console.log(`\ni64/BigInt costs ${(best.i64 / best.mem).toFixed(1)}× the linear-memory design per call.`);
