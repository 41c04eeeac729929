/**
 * The JIT's cost for the first plugin a process loads: translation runs before V8 has optimised
 * the translator's own JavaScript. One plugin per process, so run it once per manifest:
 *
 *   node tools/run-ts.mjs bench/jit-cold.ts plugins-c/fec/fec_rlc.plugin
 */
import { resolve } from 'node:path';
import { Plugin } from '../src/plugins/plugin.js';
import { compileImage } from '../src/vm/jit/compile.js';

const manifest = process.argv[2];
if (!manifest) {
  console.error('usage: node tools/run-ts.mjs bench/jit-cold.ts FILE.plugin');
  process.exit(2);
}
// Linked for the interpreter, so that nothing of the JIT has run yet.
const plugin = Plugin.load(resolve(manifest), { engine: 'interpreter' });
// CPU time as well as wall time: on a shared machine the wall time also counts waiting for a core.
const cpu0 = process.cpuUsage();
const m = compileImage(plugin.linked);
const cpu = process.cpuUsage(cpu0);
const n = plugin.linked.programs.length;
console.log(
  `${plugin.name}: ${n} pluglets, cold translation ${(m.translateUs / 1000).toFixed(2)} ms, ` +
    `new WebAssembly.Module ${(m.compileUs / 1000).toFixed(2)} ms, ${((m.translateUs + m.compileUs) / n / 1000).toFixed(2)} ms per pluglet, ` +
    `CPU ${((cpu.user + cpu.system) / 1000).toFixed(2)} ms (all threads)`,
);
