/**
 * VM benchmark: runs each compute kernel of plugins-c/bench/ (clang-built eBPF objects) on each
 * engine (the interpreter and the JIT) and its TypeScript twin (bench/kernels.ts) on the same
 * seeded input, in one process, in alternation, and reports time per run, eBPF instructions per
 * run, million eBPF instructions per second and the time ratios between them.
 *
 *   npm run bench:vm                   Markdown table, interpreter vs JIT vs TypeScript (about 3 s per kernel)
 *   npm run bench:vm -- --engine jit   one engine only (with --no-proofs: without the "jit+proofs" side)
 *   npm run bench:vm -- --quick        short run (about 0.4 s per kernel), for smoke tests
 *   npm run bench:vm -- --json         machine-readable output
 *   npm run bench:vm -- --only crc32,sieve
 *   npm run bench:vm -- --ubpf PATH    also uBPF's x86-64 JIT, through our runner bench/ubpf/runner.c
 *                                      built against a uBPF you built (--ubpf-interpreter: its interpreter too)
 *
 * What is timed: one `vm.exec({ mem })` call, which copies the input into the VM's memory, runs
 * the program and copies mem back (that is what a host pays per run), against one call of the
 * TypeScript function on a Uint8Array. Before each timed run both get a fresh copy of the input
 * (outside the timed region), since several kernels write into mem. Every run's result is
 * checked; the benchmark aborts if the VM and TypeScript disagree (r0 or mem).
 * Times are medians over the runs; M insns/s = eBPF instructions per run / median VM time.
 *
 * With the JIT, a third side "jit+proofs" runs the same object verified first (ctx mem, policy
 * checked, src/vm/verifier) and compiled with the verifier's proofs: accesses it proves inside
 * their region have no runtime check (src/vm/jit/proofs.ts). The table says how many of the
 * kernel's checked accesses the proofs drop.
 *
 * With --ubpf, each kernel's measurement is split into rounds; after each round the runner runs
 * the same object on uBPF in a child process as many times as each side ran in the round, and
 * times every run itself, copying mem in and out as `vm.exec` does (bench/ubpf/side.ts). Its r0
 * and mem must equal TypeScript's. The ratios against uBPF come from the same rounds.
 * This is a measurement, not a test: it asserts no speed.
 */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ENGINES, Vm, parseEngine, type Engine } from '../src/vm/vm.js';
import { loadElf } from '../src/vm/elf.js';
import { verifyProgram } from '../src/vm/verifier/index.js';
import { STANDARD_HELPER_SIGNATURES } from '../src/vm/helper-signatures.js';
import { programProofs } from '../src/vm/jit/proofs.js';
import { KERNELS, type Kernel } from './kernels.js';
import { jitStartup, jitStartupMarkdown } from './jit-startup.js';
import { fnv1a64, runUbpf, type UbpfEngine } from './ubpf/side.js';
import { UBPF_TARGETS, ubpfTargetLine } from './ubpf/targets.js';

interface Options {
  engines: Engine[];
  /** Add the "jit+proofs" side when the JIT runs. */
  proofs: boolean;
  json: boolean;
  quick: boolean;
  only: string[] | undefined;
  /** Our uBPF runner (bench/ubpf/runner.c, built by the user), or none. */
  ubpf: string | undefined;
  /** Also run uBPF's interpreter (a sanity column: far slower than ours). */
  ubpfInterpreter: boolean;
}

interface Stats {
  runs: number;
  medianUs: number;
  meanUs: number;
  minUs: number;
  p90Us: number;
}

/** An engine, or the JIT compiled with the verifier's proofs. */
type Side = Engine | 'jit+proofs';

interface EngineResult {
  engine: Side;
  vm: Stats;
  /** Million eBPF instructions per second at the median VM time. */
  mips: number;
  /** Median VM time / median TS time. */
  ratio: number;
}

interface KernelResult {
  kernel: string;
  description: string;
  inputBytes: number;
  instructions: number;
  ts: Stats;
  engines: EngineResult[];
  /** jit+proofs: accesses with a check (own or merged) in the JIT, and how many the proofs drop. */
  checks?: { checked: number; dropped: number };
  /** uBPF's JIT (and interpreter) through the runner: copy in + run + copy out, and the call alone. */
  ubpf?: { engine: UbpfEngine; r0: string; run: Stats; call: Stats }[];
}

/** Targets from the VM performance issue (instructions per second with bounds checks on). */
const TARGET_MIPS = 400;
const STRETCH_MIPS = 600;
/** With --ubpf: measurement rounds per kernel, and at most this many uBPF interpreter runs per round. */
const UBPF_ROUNDS = 5;
const UBPF_INTERPRETER_RUNS = 20;

function parseArgs(argv: string[]): Options {
  const opts: Options = { engines: [...ENGINES], proofs: true, json: false, quick: false, only: undefined, ubpf: undefined, ubpfInterpreter: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--json') opts.json = true;
    else if (a === '--engine' && i + 1 < argv.length) opts.engines = [parseEngine(argv[++i]!)];
    else if (a === '--quick') opts.quick = true;
    else if (a === '--no-proofs') opts.proofs = false;
    else if (a === '--only' && i + 1 < argv.length) opts.only = argv[++i]!.split(',');
    else if (a.startsWith('--only=')) opts.only = a.slice('--only='.length).split(',');
    else if (a === '--ubpf' && i + 1 < argv.length) opts.ubpf = resolve(argv[++i]!);
    else if (a === '--ubpf-interpreter') opts.ubpfInterpreter = true;
    else {
      console.error(`usage: npm run bench:vm -- [--engine interpreter|jit] [--no-proofs] [--quick] [--json] [--only name,name] [--ubpf RUNNER [--ubpf-interpreter]]   (unknown argument ${a})`);
      process.exit(2);
    }
  }
  if (opts.ubpfInterpreter && !opts.ubpf) {
    console.error('bench:vm: --ubpf-interpreter needs --ubpf RUNNER');
    process.exit(2);
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
  const objectPath = resolve(root, 'plugins-c/bench', `${k.name}.o`);
  const object = new Uint8Array(readFileSync(objectPath));
  const sides: Side[] = [...opts.engines];
  if (opts.proofs && opts.engines.includes('jit')) sides.push('jit+proofs');
  let checks: KernelResult['checks'];
  const vms = sides.map((side) => {
    const vm = new Vm({ engine: side === 'interpreter' ? 'interpreter' : 'jit' });
    if (side !== 'jit+proofs') {
      vm.loadElf(object);
      return vm;
    }
    // uBPF's convention, as the kernels are run (r1 = mem, r2 = its length); checked, as these
    // kernels index tables with loaded values that strict cannot prove (docs/ARCHITECTURE.md).
    const image = loadElf(object);
    const v = verifyProgram(image, { ctx: 'mem', policy: 'checked', helper: (id) => STANDARD_HELPER_SIGNATURES.get(id) });
    if (!v.ok) fail(`${k.name}: the verifier rejects it: ${v.errors[0]!.reason}`);
    const proofs = programProofs(v);
    vm.loadImage(image, proofs ? { proofs: [proofs] } : {});
    const plain = new Vm({ engine: 'jit' });
    plain.loadImage(image);
    const before = plain.jit!.checks;
    checks = { checked: before.checked + before.merged, dropped: vm.jit!.checks.proven };
    return vm;
  });
  const input = k.input();
  // Fresh, 8-aligned buffers (the TypeScript twins use typed-array views on them).
  const vmMem = new Uint8Array(input.length);
  const tsMem = new Uint8Array(input.length);

  // Reference run: every side must agree on r0, the instruction count and the bytes left in mem.
  tsMem.set(input);
  const expected = k.run(tsMem);
  let instructions = -1;
  for (const vm of vms) {
    vmMem.set(input);
    const first = vm.exec({ mem: vmMem });
    if (first.r0 !== expected) fail(`${k.name}: ${vm.engine} returned 0x${first.r0.toString(16)}, TypeScript 0x${expected.toString(16)}`);
    if (!sameBytes(vmMem, tsMem)) fail(`${k.name}: ${vm.engine} and TypeScript leave different bytes in mem`);
    if (instructions >= 0 && first.instructions !== instructions) fail(`${k.name}: the engines count ${instructions} and ${first.instructions} instructions`);
    instructions = first.instructions;
  }

  const warmupMs = opts.quick ? 50 : 400;
  const measureMs = opts.quick ? 250 : 1600;
  const minRuns = opts.quick ? 3 : 10;
  const vmTimes: number[][] = vms.map(() => []);
  const tsTimes: number[] = [];

  const runVm = (vm: Vm): number => {
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

  // uBPF: its r0 and the bytes it leaves in mem must be TypeScript's too.
  const ubpfSides: UbpfEngine[] = opts.ubpf ? ['ubpf-jit', ...(opts.ubpfInterpreter ? (['ubpf-interpreter'] as const) : [])] : [];
  const ubpfTimes = ubpfSides.map(() => ({ run: [] as number[], call: [] as number[] }));
  const expectedDigest = opts.ubpf ? fnv1a64(tsMem) : 0n;
  const ubpfRound = (runs: number): void => {
    ubpfSides.forEach((engine, j) => {
      // uBPF's interpreter is a sanity column: a few runs are enough, and it is slow.
      const n = engine === 'ubpf-interpreter' ? Math.min(runs, UBPF_INTERPRETER_RUNS) : runs;
      let r;
      try {
        r = runUbpf(opts.ubpf!, objectPath, k.name, input, n, engine);
      } catch (e) {
        fail(`${k.name}: ${(e as Error).message}`);
      }
      if (r.r0 !== expected) fail(`${k.name}: ${engine} returned 0x${r.r0.toString(16)}, TypeScript 0x${expected.toString(16)}`);
      if (r.memDigest !== expectedDigest) fail(`${k.name}: ${engine} and TypeScript leave different bytes in mem`);
      ubpfTimes[j]!.run.push(...r.ns.map((ns) => ns / 1000));
      ubpfTimes[j]!.call.push(...r.callNs.map((ns) => ns / 1000));
    });
  };

  // Warm-up: both sides, alternating, until V8 has had time to tier up the Wasm core and the JS.
  const warmEnd = performance.now() + warmupMs;
  for (let i = 0; i < 3 || performance.now() < warmEnd; i++) {
    for (const vm of vms) runVm(vm);
    runTs();
  }
  // Measurement: alternate which side goes first, so that neither always runs right after a copy.
  // With uBPF, in rounds, each followed by as many uBPF runs as each side made in it.
  const rounds = opts.ubpf ? (opts.quick ? 2 : UBPF_ROUNDS) : 1;
  const roundMs = (measureMs * (vms.length + 1)) / 2 / rounds;
  for (let round = 0, i = 0; round < rounds; round++) {
    const start = tsTimes.length;
    const end = performance.now() + roundMs;
    for (; tsTimes.length - start < Math.ceil(minRuns / rounds) || performance.now() < end; i++) {
      if (i % 2 === 0) {
        vms.forEach((vm, j) => vmTimes[j]!.push(runVm(vm)));
        tsTimes.push(runTs());
      } else {
        tsTimes.push(runTs());
        vms.forEach((vm, j) => vmTimes[j]!.push(runVm(vm)));
      }
    }
    ubpfRound(tsTimes.length - start);
  }
  const tsStats = stats(tsTimes);
  return {
    kernel: k.name,
    description: k.description,
    inputBytes: input.length,
    instructions,
    ts: tsStats,
    engines: vms.map((_, j) => {
      const s = stats(vmTimes[j]!);
      return { engine: sides[j]!, vm: s, mips: instructions / s.medianUs, ratio: s.medianUs / tsStats.medianUs };
    }),
    ...(checks ? { checks } : {}),
    ...(opts.ubpf
      ? { ubpf: ubpfSides.map((engine, j) => ({ engine, r0: `0x${expected.toString(16)}`, run: stats(ubpfTimes[j]!.run), call: stats(ubpfTimes[j]!.call) })) }
      : {}),
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
  const sides = results[0]?.engines.map((e) => e.engine) ?? [];
  const at = (side: Side): number => sides.indexOf(side);
  const both = at('interpreter') >= 0 && at('jit') >= 0;
  const proofs = at('jit') >= 0 && at('jit+proofs') >= 0;
  const lines = [
    `VM benchmark${opts.quick ? ' (--quick)' : ''}: node ${m.node} (V8 ${m.v8}), ${m.platform}, ${m.nproc} x ${m.cpu}`,
    '',
    `| kernel | work per run | eBPF insns/run | ${sides.map((e) => `${e} µs/run | ${e} M insns/s`).join(' | ')} | TS µs/run | ${sides.map((e) => `${e}/TS`).join(' | ')}` +
      `${both ? ' | interpreter/JIT' : ''}${proofs ? ' | JIT/(JIT+proofs) | checks dropped' : ''} |`,
    `|---|---|---:|${sides.map(() => '---:|---:').join('|')}|---:|${sides.map(() => '---:').join('|')}${both ? '|---:' : ''}${proofs ? '|---:|---:' : ''}|`,
  ];
  for (const r of results) {
    const e = r.engines;
    const us = (side: Side): number => e[at(side)]!.vm.medianUs;
    lines.push(
      `| ${r.kernel} | ${r.description} | ${fmt(r.instructions, 0)} | ${e.map((x) => `${fmt(x.vm.medianUs, 1)} | ${fmt(x.mips, 0)}`).join(' | ')} | ${fmt(r.ts.medianUs, 1)} | ` +
        `${e.map((x) => fmt(x.ratio, 2)).join(' | ')}${both ? ` | ${fmt(us('interpreter') / us('jit'), 1)}` : ''}` +
        `${proofs ? ` | ${fmt(us('jit') / us('jit+proofs'), 2)} | ${r.checks ? `${r.checks.dropped} of ${r.checks.checked}` : ''}` : ''} |`,
    );
  }
  lines.push('', `Times are medians of ${Math.min(...results.map((r) => r.ts.runs))}+ runs per side.`);
  if (proofs) lines.push('checks dropped: accesses with a region check in the JIT (own or merged) that the verifier\'s proofs remove (ctx mem, checked).');
  for (const [i, side] of sides.entries()) {
    const mips = results.map((r) => r.engines[i]!.mips);
    const met = mips.filter((x) => x >= TARGET_MIPS).length;
    const stretch = mips.filter((x) => x >= STRETCH_MIPS).length;
    lines.push(
      `${side}: target ${TARGET_MIPS} M insns/s met by ${met} of ${results.length} kernels; ` +
        `stretch ${STRETCH_MIPS}: ${stretch} of ${results.length}; slowest kernel ${fmt(Math.min(...mips), 0)} M insns/s.`,
    );
  }
  if (results.some((r) => r.ubpf)) lines.push('', ubpfMarkdown(results));
  return lines.join('\n');
}

/** The uBPF table: our JIT against uBPF's, with the issue's target per kernel. */
function ubpfMarkdown(results: KernelResult[]): string {
  const interp = results[0]?.ubpf?.some((u) => u.engine === 'ubpf-interpreter') ?? false;
  const lines = [
    `| kernel | kind | JIT µs/run | JIT+proofs µs/run | uBPF JIT µs/run | uBPF JIT call alone µs | JIT / uBPF | target | (JIT+proofs) / uBPF | r0 (all sides) |` +
      `${interp ? ' uBPF interpreter µs/run | interpreter / uBPF interpreter |' : ''}`,
    `|---|---|---:|---:|---:|---:|---:|---|---:|---|${interp ? '---:|---:|' : ''}`,
  ];
  for (const r of results) {
    const side = (engine: Side) => r.engines.find((e) => e.engine === engine)?.vm.medianUs;
    const jit = side('jit');
    const proofs = side('jit+proofs');
    const u = r.ubpf?.find((x) => x.engine === 'ubpf-jit');
    const ui = r.ubpf?.find((x) => x.engine === 'ubpf-interpreter');
    if (!u) continue;
    const us = (x: number | undefined) => (x === undefined ? '' : fmt(x, 1));
    const ratio = (x: number | undefined, y: number) => (x === undefined ? '' : fmt(x / y, 2));
    const interpreter = side('interpreter');
    lines.push(
      `| ${r.kernel} | ${UBPF_TARGETS[r.kernel]?.kind ?? ''} | ${us(jit)} | ${us(proofs)} | ${fmt(u.run.medianUs, 1)} | ${fmt(u.call.medianUs, 1)} | ` +
        `${ratio(jit, u.run.medianUs)} | ${jit === undefined ? '' : ubpfTargetLine(r.kernel, jit / u.run.medianUs)} | ${ratio(proofs, u.run.medianUs)} | ${u.r0} |` +
        `${interp ? ` ${ui ? fmt(ui.run.medianUs, 1) : ''} | ${ui ? ratio(interpreter, ui.run.medianUs) : ''} |` : ''}`,
    );
  }
  lines.push(
    '',
    `uBPF: medians of ${Math.min(...results.flatMap((r) => r.ubpf?.filter((x) => x.engine === 'ubpf-jit').map((x) => x.run.runs) ?? []))}+ runs, ` +
      `timed by the runner as vm.exec runs (copy mem in, call, copy out), in rounds alternating with the other sides` +
      ' ("call alone": without the copies). target: the issue\'s, for the JIT with every check on (JIT / uBPF).',
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
  const startup = opts.engines.includes('jit') ? jitStartup(root, opts.only) : undefined;
  if (opts.json) {
    console.log(JSON.stringify({ machine: machine(), quick: opts.quick, targetMips: TARGET_MIPS, results, jit: startup }, null, 2));
  } else {
    console.log(markdown(results, opts));
    if (startup) console.log('\n' + jitStartupMarkdown(startup));
  }
}

main();
