/**
 * Standalone verifier fuzzer (the long-running version of test/vm/verifier/fuzz.test.ts).
 *
 *   npm run fuzz:verify -- [--cases N] [--seed S] [--case K]
 *
 * Generates random bytecode and mutates the repository's plugin objects, and checks that the
 * verifier returns a well-formed verdict for each, quickly. On the first failure it prints the
 * seed, the case index and the error, and exits with status 1; `--case K` replays one case.
 */
import { checkCase, makeCase, seedImages } from '../test/vm/verifier/mutator.js';

function arg(name: string): number | undefined {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return undefined;
  const v = Number(process.argv[i + 1]);
  if (!Number.isSafeInteger(v) || v < 0) {
    console.error(`fuzz-verify: --${name} needs a non-negative integer`);
    process.exit(2);
  }
  return v;
}

const seed = arg('seed') ?? ((Date.now() ^ (process.pid << 8)) >>> 0);
const only = arg('case');
const cases = arg('cases') ?? 100_000;
const seeds = seedImages(process.cwd());
const t0 = performance.now();
let accepted = 0;
let slowest = { ms: 0, index: -1 };
for (let i = only ?? 0; i < (only !== undefined ? only + 1 : cases); i++) {
  const c = makeCase(seeds, seed, i);
  const t = performance.now();
  try {
    const r = checkCase(c);
    if (r.ok) accepted++;
    if (only !== undefined) console.log(JSON.stringify({ what: c.what, policy: c.policy, ctx: c.ctx, ok: r.ok, errors: r.errors.map((e) => `${e.pc}: ${e.reason} [${e.code}]`) }, null, 2));
  } catch (e) {
    console.error(`fuzz-verify: seed ${seed} case ${i} (${c.what}, ${c.policy}, ctx ${c.ctx}) failed:\n${(e as Error).stack}`);
    process.exit(1);
  }
  const ms = performance.now() - t;
  if (ms > slowest.ms) slowest = { ms, index: i };
  if (i > 0 && i % 10_000 === 0) console.log(`${i} cases, ${accepted} accepted, slowest case ${slowest.index} ${slowest.ms.toFixed(1)} ms`);
}
console.log(`seed ${seed}: ${only !== undefined ? 1 : cases} cases in ${((performance.now() - t0) / 1000).toFixed(1)} s, ${accepted} accepted, slowest case ${slowest.index} (${slowest.ms.toFixed(1)} ms)`);
