/**
 * What the plugin-wide summary costs at load (src/plugins/verify-plugin.ts): for every manifest
 * of plugins-c, Plugin.load's verification as it is (every object verified, then again with the
 * summary when a kept slot holds a heap block) against one pass per object with its contract
 * (the verification before the summary), both under checked and strict, alternated in one
 * process. Minimum and median of the runs after warm-up.
 * Run: node tools/run-ts.mjs bench/verify-plugin.ts [--quick]
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ProgramImage } from '../src/vm/program.js';
import { verifyProgram, type Policy } from '../src/vm/verifier/index.js';
import { pluginHelpers } from '../src/plugins/helper-signatures.js';
import { loadManifest, type PlugletEntry } from '../src/plugins/manifest.js';
import { inputContract } from '../src/plugins/signatures.js';
import { pluginObjects, verifyPlugin } from '../src/plugins/verify-plugin.js';

const RUNS = process.argv.includes('--quick') ? 10 : 40;
const root = join(process.cwd(), 'plugins-c');

/** One pass per object, each with its operation's contract: the verification before the summary. */
function perObject(images: ProgramImage[], pluglets: { entry: PlugletEntry; program: number }[], policy: Policy): void {
  images.forEach((image, i) => {
    const ops = new Set(pluglets.filter((p) => p.program === i).map((p) => p.entry.protoop));
    const contract = ops.size === 1 ? inputContract([...ops][0]!) : undefined;
    verifyProgram(image, { ...pluginHelpers, policy, ctx: 'pluglet', ...(contract ?? {}) });
  });
}

const stats = (ts: number[]): { min: number; median: number } => {
  const s = [...ts].sort((a, b) => a - b);
  return { min: s[0]!, median: s[s.length >> 1]! };
};
const f2 = (x: number): string => x.toFixed(2).padStart(7);

console.log(`plugin verification at load, per object vs with the summary (${RUNS} alternated runs, node ${process.version})\n`);
for (const dir of readdirSync(root).sort()) {
  if (dir === 'broken') continue;
  let names: string[];
  try {
    names = readdirSync(join(root, dir)).filter((f) => f.endsWith('.plugin')).sort();
  } catch {
    continue;
  }
  for (const name of names) {
    const { images, pluglets } = pluginObjects(loadManifest(join(root, dir, name)));
    console.log(`${dir}/${name}: ${verifyPlugin(images, pluglets, 'strict').results.filter((r) => r.ok).length} of ${images.length} objects accepted under strict`);
    for (const policy of ['checked', 'strict'] as const) {
      const a: number[] = [];
      const b: number[] = [];
      for (let i = 0; i < RUNS + 3; i++) {
        let t = performance.now();
        perObject(images, pluglets, policy);
        const ta = performance.now() - t;
        t = performance.now();
        verifyPlugin(images, pluglets, policy);
        const tb = performance.now() - t;
        if (i >= 3) {
          a.push(ta);
          b.push(tb);
        }
      }
      const sa = stats(a);
      const sb = stats(b);
      console.log(`  ${policy.padEnd(7)} per object min ${f2(sa.min)} / median ${f2(sa.median)} ms   with summary min ${f2(sb.min)} / median ${f2(sb.median)} ms   ratio of minimums ${(sb.min / sa.min).toFixed(2)}`);
    }
  }
}
