/**
 * Differential fuzzer of the two VM engines (the long-running version of
 * test/vm/jit-fuzz.test.ts): random valid programs (test/vm/program-gen.ts) run on the
 * interpreter and on the JIT must agree on r0, instruction count, error and memory.
 *
 *   npm run fuzz:vm -- [--cases N] [--seed S] [--seconds T] [--proofs]
 *
 * --proofs: programs shaped for the verifier (ctx mem, checked); for those it accepts, the JIT
 * compiled with its proofs (proven accesses unchecked, src/vm/jit/proofs.ts) must agree with
 * the interpreter. Rejected programs are counted and skipped.
 *
 * Case k uses seed S + k. On the first difference it prints the seed and the program's listing
 * and exits with status 1; replay it with `--seed <that seed> --cases 1`.
 */
import { disassemble } from '../src/vm/disasm.js';
import { differential, differentialWithProofs, genCase } from '../test/vm/program-gen.js';

function usage(message: string): never {
  console.error(`fuzz-vm: ${message}`);
  console.error('usage: npm run fuzz:vm -- [--cases N] [--seed S] [--seconds T] [--proofs]');
  process.exit(2);
}

const args = process.argv.slice(2);
let cases = 1_000_000;
let seed = (Date.now() ^ (process.pid << 8)) >>> 0;
let seconds = Infinity;
let proofs = false;
for (let i = 0; i < args.length; i += 2) {
  if (args[i] === '--proofs') {
    proofs = true;
    i--;
    continue;
  }
  const v = Number(args[i + 1]);
  if (!Number.isFinite(v) || v < 0) usage(`bad value for ${args[i]}: ${args[i + 1]}`);
  if (args[i] === '--cases') cases = v;
  else if (args[i] === '--seed') seed = v >>> 0;
  else if (args[i] === '--seconds') seconds = v;
  else usage(`unknown option ${args[i]}`);
}

const t0 = Date.now();
let k = 0;
let accepted = 0;
let proven = 0;
for (; k < cases && (Date.now() - t0) / 1000 < seconds; k++) {
  const s = (seed + k) >>> 0;
  const c = genCase(s, { verifiable: proofs });
  let diff: string | undefined;
  try {
    if (proofs) {
      const r = differentialWithProofs(c);
      if (r.accepted) accepted++;
      proven += r.proven;
      diff = r.diff;
    } else diff = differential(c);
  } catch (e) {
    // A trap of the JIT (a VM bug) or any other escape: report the seed like a difference.
    diff = `threw ${(e as Error).message}`;
  }
  if (diff) {
    console.error(`fuzz-vm: engines differ on seed ${s} (case ${k}): ${diff}`);
    console.error(`fuel ${c.fuel}, mem ${c.mem.length} bytes`);
    try {
      console.error(disassemble(c.code));
    } catch (e) {
      console.error(`(listing failed: ${(e as Error).message})`);
    }
    process.exit(1);
  }
  if (k > 0 && k % 10000 === 0) console.log(`${k} cases agree (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
}
const what = proofs ? ` (${accepted} accepted by the verifier, ${proven} proven accesses unchecked)` : '';
console.log(`fuzz-vm: ${k} cases from seed ${seed} agree between interpreter and JIT${proofs ? ' with proofs' : ''}${what} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
