/**
 * What the static verifier costs (issue 6, "4,000 instructions in at most 10 ms"):
 *  - a synthetic 4,000-instruction program (src/vm/verifier/synth.ts: input reads under a length
 *    check, branches, spills, bounded loops, helper calls), under strict and checked;
 *  - every plugin object and benchmark kernel of the repository under checked (what the runtime
 *    pays at load), with its policy verdicts and how many accesses were proven.
 * Times are the minimum and median of repeated runs after warm-up (the minimum is the cost
 * without interference from the rest of the machine).
 * Run: npm run bench:verify [-- --quick]
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { loadElf } from '../src/vm/elf.js';
import { rawImage, type ProgramImage } from '../src/vm/program.js';
import { verifyProgram, type CtxKind, type Policy } from '../src/vm/verifier/index.js';
import { synthProgram } from '../src/vm/verifier/synth.js';
import { pluginHelpers } from '../src/plugins/helper-signatures.js';

const quick = process.argv.includes('--quick');
const RUNS = quick ? 10 : 50;
const root = process.cwd();

function time(image: ProgramImage, policy: Policy, ctx: CtxKind): { min: number; median: number; ok: boolean; steps: number; proven: number } {
  const opts = { ...pluginHelpers, policy, ctx };
  let r = verifyProgram(image, opts);
  for (let i = 0; i < 5; i++) verifyProgram(image, opts);
  const ts: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    r = verifyProgram(image, opts);
    ts.push(performance.now() - t);
  }
  ts.sort((a, b) => a - b);
  return { min: ts[0]!, median: ts[ts.length >> 1]!, ok: r.ok, steps: r.steps, proven: r.provenAccesses.size };
}

const fmt = (ms: number): string => ms.toFixed(2).padStart(7);

console.log(`verifier benchmark (${RUNS} runs each, node ${process.version})\n`);
for (const size of [1000, 4000, 16000]) {
  const image = rawImage(synthProgram(size));
  const n = image.code.length / 8;
  for (const policy of ['strict', 'checked'] as const) {
    const t = time(image, policy, 'mem');
    console.log(`synthetic ${String(n).padStart(5)} insns  ${policy.padEnd(7)}  min ${fmt(t.min)} ms  median ${fmt(t.median)} ms  ${t.ok ? 'accepted' : 'REJECTED'}, ${t.steps} steps, ${t.proven} accesses proven`);
  }
}

console.log('\nrepository objects (plugins under ctx pluglet, kernels and VM tests under ctx mem):');
const files: string[] = [];
const walk = (d: string): void => {
  for (const f of readdirSync(d).sort()) {
    const p = join(d, f);
    if (statSync(p).isDirectory()) walk(p);
    else if (p.endsWith('.o')) files.push(p);
  }
};
walk(join(root, 'plugins-c'));
let total = 0;
let worst = { name: '', ms: 0, n: 0 };
for (const f of files) {
  const name = relative(join(root, 'plugins-c'), f);
  if (name.startsWith('elf-tests/') || name.startsWith('verifier-tests/')) continue;
  const image = loadElf(new Uint8Array(readFileSync(f)));
  const ctx: CtxKind = name.startsWith('bench/') || name.startsWith('tests/') ? 'mem' : 'pluglet';
  const t = time(image, 'checked', ctx);
  const strict = verifyProgram(image, { ...pluginHelpers, policy: 'strict', ctx }).ok;
  total += t.min;
  if (t.min > worst.ms) worst = { name, ms: t.min, n: image.code.length / 8 };
  console.log(`${name.padEnd(32)} ${String(image.code.length / 8).padStart(5)} insns  min ${fmt(t.min)} ms  checked ${t.ok ? 'ok' : 'REJECTED'}, strict ${strict ? 'ok' : 'rejected'}, ${t.proven} accesses proven`);
}
console.log(`\n${files.length} objects; sum of minimum times ${total.toFixed(1)} ms; slowest ${worst.name} (${worst.n} insns) ${worst.ms.toFixed(2)} ms`);
