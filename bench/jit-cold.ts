/**
 * The JIT's cost for the first plugin a process loads: translation runs before V8 has optimised
 * the translator's own JavaScript. One plugin per process, so run it once per manifest, in many
 * fresh processes (the machine is shared: compare versions by alternating processes):
 *
 *   node tools/run-ts.mjs bench/jit-cold.ts plugins-c/fec/fec_rlc.plugin [--json]
 *
 * Besides wall time it reads the main thread's own CPU time (Linux schedstat, in ns: V8 compiles
 * and collects garbage on other threads meanwhile, and waiting for a core is not counted), and
 * splits the cold cost: the first translation pays for V8 parsing and compiling each translator
 * function on its first call; a second translation of the same image, right after, runs the
 * same functions already compiled but still unoptimised (Ignition/Sparkplug); the difference
 * approximates the compile cost. `new WebAssembly.Module` is timed on its own.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Plugin } from '../src/plugins/plugin.js';
import { compileImage, translateImage } from '../src/vm/jit/compile.js';

const args = process.argv.slice(2);
const manifest = args.find((a) => !a.startsWith('--'));
const json = args.includes('--json');
if (!manifest) {
  console.error('usage: node tools/run-ts.mjs bench/jit-cold.ts FILE.plugin [--json]');
  process.exit(2);
}

/**
 * This thread's CPU time in ns (schedstat's first field), or NaN where the kernel has none. The
 * kernel adds a running thread's time to that field only when it is switched out or at a tick, so
 * first sleep 1 ms: the read then sees everything up to the sleep.
 */
const schedstat = `/proc/self/task/${process.pid}/schedstat`;
const nap = new Int32Array(new SharedArrayBuffer(4));
function threadNs(): number {
  Atomics.wait(nap, 0, 0, 1);
  try {
    return Number(readFileSync(schedstat, 'latin1').split(' ')[0]);
  } catch {
    return NaN;
  }
}

// Linked for the interpreter, so that nothing of the JIT has run yet.
const plugin = Plugin.load(resolve(manifest), { engine: 'interpreter' });
threadNs(); // the first read opens and compiles its own paths: not part of the measurement
const cpu0 = process.cpuUsage();
const t0 = threadNs();
const m = compileImage(plugin.linked);
const t1 = threadNs();
const cpu = process.cpuUsage(cpu0);
// The same translation again: translator code now compiled, not yet optimised.
const s0 = threadNs();
const w0 = process.hrtime.bigint();
translateImage(plugin.linked);
const w1 = process.hrtime.bigint();
const s1 = threadNs();
const n = plugin.linked.programs.length;
const r = {
  plugin: plugin.name,
  pluglets: n,
  translateUs: m.translateUs,
  compileUs: m.compileUs,
  mainCpuUs: (t1 - t0) / 1000,
  allCpuUs: cpu.user + cpu.system,
  secondUs: Number(w1 - w0) / 1000,
  secondCpuUs: (s1 - s0) / 1000,
};
if (json) console.log(JSON.stringify(r));
else {
  const ms = (us: number): string => (us / 1000).toFixed(2);
  console.log(
    `${r.plugin}: ${n} pluglets, cold translation ${ms(r.translateUs)} ms, new WebAssembly.Module ${ms(r.compileUs)} ms, ` +
      `${ms((r.translateUs + r.compileUs) / n)} ms per pluglet; main-thread CPU ${ms(r.mainCpuUs)} ms ` +
      `(all threads ${ms(r.allCpuUs)} ms); second translation ${ms(r.secondUs)} ms (main-thread CPU ${ms(r.secondCpuUs)} ms)`,
  );
}
