/**
 * VM benchmark: runs each compute kernel of plugins-c/bench/ (clang-built eBPF objects) in the VM
 * and its TypeScript twin (bench/kernels.ts) on the same seeded input, in one process, in
 * alternation, and reports time per run, eBPF instructions per run, million eBPF instructions
 * per second and the VM/TS time ratio.
 *
 *   npm run bench:vm                   Markdown table (about 2 s per kernel)
 *   npm run bench:vm -- --quick        short run (about 0.3 s per kernel), for smoke tests
 *   npm run bench:vm -- --json         machine-readable output
 *   npm run bench:vm -- --only crc32,sieve
 *
 * What is timed: one `vm.exec({ mem })` call, which copies the input into the VM's memory, runs
 * the program and copies mem back (that is what a host pays per run), against one call of the
 * TypeScript function on a Uint8Array. Before each timed run both get a fresh copy of the input
 * (outside the timed region), since several kernels write into mem. Every run's result is
 * checked; the benchmark aborts if the VM and TypeScript disagree (r0 or mem).
 * Times are medians over the runs; M insns/s = eBPF instructions per run / median VM time.
 * This is a measurement, not a test: it asserts no speed.
 */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Vm } from '../src/vm/vm.js';
import { KERNELS, type Kernel } from './kernels.js';

interface Options {
  json: boolean;
  quick: boolean;
  only: string[] | undefined;
}

interface Stats {
  runs: number;
  medianUs: number;
  meanUs: number;
  minUs: number;
  p90Us: number;
}

interface KernelResult {
  kernel: string;
  description: string;
  inputBytes: number;
  instructions: number;
  vm: Stats;
  ts: Stats;
  /** Million eBPF instructions per second at the median VM time. */
  mips: number;
  /** Median VM time / median TS time. */
  ratio: number;
}

/** Targets from the VM performance issue (instructions per second with bounds checks on). */
const TARGET_MIPS = 400;
const STRETCH_MIPS = 600;

function parseArgs(argv: string[]): Options {
  const opts: Options = { json: false, quick: false, only: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--json') opts.json = true;
    else if (a === '--quick') opts.quick = true;
    else if (a === '--only' && i + 1 < argv.length) opts.only = argv[++i]!.split(',');
    else if (a.startsWith('--only=')) opts.only = a.slice('--only='.length).split(',');
    else {
      console.error(`usage: npm run bench:vm -- [--quick] [--json] [--only name,name]   (unknown argument ${a})`);
      process.exit(2);
    }
  }
  return opts;
}

/** The repository root: tools/run-ts.mjs sets argv[1] to this file's path (bench/vm.ts). */
function repoRoot(): string {
  const entry = process.argv[1];
  return entry ? resolve(dirname(entry), '..') : process.cwd();
}

function stats(samples: number[]): Stats {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * (s.length - 1) + 0.5))]!;
  const mean = s.reduce((x, y) => x + y, 0) / s.length;
  return { runs: s.length, medianUs: at(0.5), meanUs: mean, minUs: s[0]!, p90Us: at(0.9) };
}

function fail(message: string): never {
  console.error(`bench:vm: ${message}`);
  process.exit(1);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));
}

function benchKernel(k: Kernel, root: string, opts: Options): KernelResult {
  const vm = new Vm();
  vm.loadElf(new Uint8Array(readFileSync(resolve(root, 'plugins-c/bench', `${k.name}.o`))));
  const input = k.input();
  // Fresh, 8-aligned buffers (the TypeScript twins use typed-array views on them).
  const vmMem = new Uint8Array(input.length);
  const tsMem = new Uint8Array(input.length);

  // Reference run: both sides must agree on r0 and on the bytes they leave in mem.
  vmMem.set(input);
  const first = vm.exec({ mem: vmMem });
  tsMem.set(input);
  const expected = k.run(tsMem);
  if (first.r0 !== expected) fail(`${k.name}: VM returned 0x${first.r0.toString(16)}, TypeScript 0x${expected.toString(16)}`);
  if (!sameBytes(vmMem, tsMem)) fail(`${k.name}: VM and TypeScript leave different bytes in mem`);
  const instructions = first.instructions;

  const warmupMs = opts.quick ? 50 : 400;
  const measureMs = opts.quick ? 250 : 1600;
  const minRuns = opts.quick ? 3 : 10;
  const vmTimes: number[] = [];
  const tsTimes: number[] = [];

  const runVm = (): number => {
    vmMem.set(input);
    const t0 = performance.now();
    const r = vm.exec({ mem: vmMem });
    const t1 = performance.now();
    if (r.r0 !== expected || r.instructions !== instructions) {
      fail(`${k.name}: VM run gave r0 0x${r.r0.toString(16)} in ${r.instructions} instructions, expected 0x${expected.toString(16)} in ${instructions}`);
    }
    return (t1 - t0) * 1000;
  };
  const runTs = (): number => {
    tsMem.set(input);
    const t0 = performance.now();
    const r = k.run(tsMem);
    const t1 = performance.now();
    if (r !== expected) fail(`${k.name}: TypeScript run gave 0x${r.toString(16)}, expected 0x${expected.toString(16)}`);
    return (t1 - t0) * 1000;
  };

  // Warm-up: both sides, alternating, until V8 has had time to tier up the Wasm core and the JS.
  const warmEnd = performance.now() + warmupMs;
  for (let i = 0; i < 3 || performance.now() < warmEnd; i++) {
    runVm();
    runTs();
  }
  // Measurement: alternate which side goes first, so that neither always runs right after a copy.
  const end = performance.now() + measureMs;
  for (let i = 0; vmTimes.length < minRuns || performance.now() < end; i++) {
    if (i % 2 === 0) {
      vmTimes.push(runVm());
      tsTimes.push(runTs());
    } else {
      tsTimes.push(runTs());
      vmTimes.push(runVm());
    }
  }
  const vmStats = stats(vmTimes);
  const tsStats = stats(tsTimes);
  return {
    kernel: k.name,
    description: k.description,
    inputBytes: input.length,
    instructions,
    vm: vmStats,
    ts: tsStats,
    mips: instructions / vmStats.medianUs,
    ratio: vmStats.medianUs / tsStats.medianUs,
  };
}

function machine(): Record<string, string | number> {
  const cpu = cpus();
  return {
    node: process.version,
    v8: process.versions.v8,
    platform: `${process.platform} ${process.arch}`,
    cpu: cpu[0]?.model.trim() ?? 'unknown',
    nproc: cpu.length,
  };
}

function fmt(x: number, digits: number): string {
  return x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function markdown(results: KernelResult[], opts: Options): string {
  const m = machine();
  const lines = [
    `VM benchmark${opts.quick ? ' (--quick)' : ''}: node ${m.node} (V8 ${m.v8}), ${m.platform}, ${m.nproc} x ${m.cpu}`,
    '',
    '| kernel | work per run | eBPF insns/run | VM µs/run | M insns/s | TS µs/run | VM/TS |',
    '|---|---|---:|---:|---:|---:|---:|',
  ];
  for (const r of results) {
    lines.push(
      `| ${r.kernel} | ${r.description} | ${fmt(r.instructions, 0)} | ${fmt(r.vm.medianUs, 1)} | ${fmt(r.mips, 0)} | ${fmt(r.ts.medianUs, 1)} | ${fmt(r.ratio, 1)} |`,
    );
  }
  const met = results.filter((r) => r.mips >= TARGET_MIPS).length;
  const stretch = results.filter((r) => r.mips >= STRETCH_MIPS).length;
  const minMips = Math.min(...results.map((r) => r.mips));
  lines.push(
    '',
    `Times are medians of ${Math.min(...results.map((r) => r.vm.runs))}+ runs per side. ` +
      `Target ${TARGET_MIPS} M insns/s: met by ${met} of ${results.length} kernels; ` +
      `stretch ${STRETCH_MIPS}: ${stretch} of ${results.length}; slowest kernel ${fmt(minMips, 0)} M insns/s.`,
  );
  return lines.join('\n');
}

function main(): void {
  const opts = parseArgs(process.argv.slice(2));
  const root = repoRoot();
  const kernels = opts.only ? KERNELS.filter((k) => opts.only!.includes(k.name)) : [...KERNELS];
  if (kernels.length === 0) fail(`no kernel matches --only ${opts.only?.join(',')} (have: ${KERNELS.map((k) => k.name).join(', ')})`);
  const results: KernelResult[] = [];
  for (const k of kernels) {
    if (!opts.json) process.stderr.write(`bench:vm: ${k.name}...\n`);
    results.push(benchKernel(k, root, opts));
  }
  if (opts.json) {
    console.log(JSON.stringify({ machine: machine(), quick: opts.quick, targetMips: TARGET_MIPS, results }, null, 2));
  } else {
    console.log(markdown(results, opts));
  }
}

main();
