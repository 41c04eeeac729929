/**
 * What the JIT costs before and around a run (part of `npm run bench:vm`, issue 5 targets):
 *  - per plugin: translation to Wasm bytes, `new WebAssembly.Module`, and instantiation for a new
 *    connection (a Vm with the plugin loaded) on each engine;
 *  - per kernel: first call (V8 compiles each Wasm function lazily with its baseline compiler,
 *    Liftoff, on first call, and a running call never switches tiers) against the steady state;
 *  - calling a trivial program: through Vm.exec, and the raw export (no BigInt crosses).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Plugin } from '../src/plugins/plugin.js';
import { assemble } from '../src/vm/asm.js';
import { compileImage, instantiateJit, translateImage } from '../src/vm/jit/compile.js';
import { linkPrograms, type LinkedImage } from '../src/vm/link.js';
import { PAGE, STATUS, ST_FUEL } from '../src/vm/layout.js';
import { rawImage } from '../src/vm/program.js';
import { Vm } from '../src/vm/vm.js';
import { KERNELS } from './kernels.js';

const PLUGINS = ['ack_delay/ack_delay.plugin', 'datagram/datagram.plugin', 'fec/fec.plugin', 'fec/fec_rlc.plugin', 'monitoring/monitoring.plugin', 'negotiate/negotiate.plugin'];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

/** µs of each of `n` runs of `f`. */
function samplesUs(n: number, f: () => void): number[] {
  const t: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    f();
    t.push((performance.now() - t0) * 1000);
  }
  return t;
}

/** Median µs of `f` over `n` runs. */
function timeUs(n: number, f: () => void): number {
  return median(samplesUs(n, f));
}

export interface PluginStartup {
  plugin: string;
  pluglets: number;
  ebpfSlots: number;
  wasmBytes: number;
  translateUs: number;
  translateUsPerPluglet: number;
  /** The fastest of the runs, per pluglet: the machine is shared, and noise only adds. */
  translateMinUsPerPluglet: number;
  coldCompileUs: number;
  compileUs: number;
  instantiateUs: { interpreter: number; jit: number };
}

function pluginStartup(root: string, manifest: string): PluginStartup {
  // Loaded for the interpreter, so that the JIT has not compiled (and V8 not cached) its module yet.
  const plugin = Plugin.load(resolve(root, 'plugins-c', manifest), { engine: 'interpreter' });
  const image = plugin.linked;
  const slots = image.programs.reduce((n, p) => n + p.length, 0);
  // Warm: the translator's own JavaScript is optimised by V8 after a few plugins.
  timeUs(100, () => translateImage(image));
  const translateRuns = samplesUs(100, () => translateImage(image));
  const translateUs = median(translateRuns);
  const bytes = translateImage(image).bytes;
  // The first compile of these bytes is the cold one; V8 caches modules by their bytes after that.
  const c0 = performance.now();
  new WebAssembly.Module(bytes);
  const coldCompileUs = (performance.now() - c0) * 1000;
  const compileUs = timeUs(20, () => new WebAssembly.Module(bytes));
  // Per connection: a Vm with the plugin's helpers loaded (instance.ts does the same plus helpers).
  const inst = (engine: 'interpreter' | 'jit'): number => timeUs(200, () => {
    const vm = new Vm({ engine, heapSize: plugin.heapSize });
    vm.loadLinked(image);
  });
  return {
    plugin: plugin.name,
    pluglets: image.programs.length,
    ebpfSlots: slots,
    wasmBytes: bytes.length,
    translateUs,
    translateUsPerPluglet: translateUs / image.programs.length,
    translateMinUsPerPluglet: Math.min(...translateRuns) / image.programs.length,
    coldCompileUs,
    compileUs,
    instantiateUs: { interpreter: inst('interpreter'), jit: inst('jit') },
  };
}

export interface KernelStartup {
  kernel: string;
  firstCallUs: number;
  secondCallUs: number;
  steadyUs: number;
}

function kernelStartup(root: string, name: string, input: Uint8Array): KernelStartup {
  const object = new Uint8Array(readFileSync(resolve(root, 'plugins-c/bench', `${name}.o`)));
  const vm = new Vm({ engine: 'jit' });
  vm.loadElf(object);
  const mem = new Uint8Array(input.length);
  const run = (): number => {
    mem.set(input);
    const t0 = performance.now();
    vm.exec({ mem });
    return (performance.now() - t0) * 1000;
  };
  const firstCallUs = run();
  const secondCallUs = run();
  const t: number[] = [];
  for (let i = 0; i < 200; i++) t.push(run());
  return { kernel: name, firstCallUs, secondCallUs, steadyUs: median(t.slice(100)) };
}

export interface CallCost {
  /** ns per `vm.exec({ args })` of `mov r0, 1; exit`, per engine. */
  execNs: { interpreter: number; jit: number };
  /** ns per call of the JIT's raw export (registers already in REGS, i32 status back). */
  rawNs: number;
}

function callCost(): CallCost {
  const code = assemble('mov %r0, 1\nexit');
  const execNs = (engine: 'interpreter' | 'jit'): number => {
    const vm = new Vm({ engine });
    vm.load(code);
    const n = 200_000;
    for (let i = 0; i < n; i++) vm.exec({});
    const t0 = performance.now();
    for (let i = 0; i < n; i++) vm.exec({});
    return ((performance.now() - t0) * 1e6) / n;
  };
  const image: LinkedImage = linkPrograms([{ name: 'main', image: rawImage(code) }], { helperId: () => undefined, isHelper: () => false });
  const memory = new WebAssembly.Memory({ initial: Math.ceil(image.grantBase / PAGE) });
  new Uint8Array(memory.buffer).set(image.init);
  // A budget that never runs out (the raw export reads it from the status block, like Vm.exec writes it).
  new DataView(memory.buffer).setBigUint64(STATUS + ST_FUEL, 1n << 53n, true);
  const [entry] = instantiateJit(compileImage(image), memory, () => 0);
  const n = 2_000_000;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += entry!();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) sum += entry!();
  const rawNs = ((performance.now() - t0) * 1e6) / n;
  if (sum !== 0) throw new Error('trivial program failed');
  return { execNs: { interpreter: execNs('interpreter'), jit: execNs('jit') }, rawNs };
}

export interface JitStartup {
  plugins: PluginStartup[];
  kernels: KernelStartup[];
  calls: CallCost;
}

export function jitStartup(root: string, only: string[] | undefined): JitStartup {
  return {
    plugins: PLUGINS.map((m) => pluginStartup(root, m)),
    kernels: KERNELS.filter((k) => !only || only.includes(k.name)).map((k) => kernelStartup(root, k.name, k.input())),
    calls: callCost(),
  };
}

const f1 = (x: number): string => x.toFixed(1);

export function jitStartupMarkdown(s: JitStartup): string {
  const lines = [
    'JIT start-up per plugin (medians unless marked min; translate = eBPF to Wasm bytes; compile = new WebAssembly.Module, the first (cold) one and then ' +
      'V8\'s cached one; instantiate = new Vm + loadLinked for a new connection):',
    '',
    '| plugin | pluglets | eBPF slots | Wasm bytes | translate µs | per pluglet µs | per pluglet µs, min | compile µs, cold | compile µs, cached | instantiate µs, interpreter | instantiate µs, JIT |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...s.plugins.map((p) => `| ${p.plugin} | ${p.pluglets} | ${p.ebpfSlots} | ${p.wasmBytes} | ${f1(p.translateUs)} | ${f1(p.translateUsPerPluglet)} | ${f1(p.translateMinUsPerPluglet)} | ${f1(p.coldCompileUs)} | ${f1(p.compileUs)} | ${f1(p.instantiateUs.interpreter)} | ${f1(p.instantiateUs.jit)} |`),
    '',
    'JIT first call (lazy Liftoff compile + run on Liftoff code) against the steady state (µs per run):',
    '',
    '| kernel | first call | second call | steady state |',
    '|---|---:|---:|---:|',
    ...s.kernels.map((k) => `| ${k.kernel} | ${f1(k.firstCallUs)} | ${f1(k.secondCallUs)} | ${f1(k.steadyUs)} |`),
    '',
    `Trivial program (mov r0, 1; exit): vm.exec ${f1(s.calls.execNs.interpreter)} ns (interpreter), ${f1(s.calls.execNs.jit)} ns (JIT); ` +
      `raw JIT export ${f1(s.calls.rawNs)} ns per call.`,
  ];
  return lines.join('\n');
}
