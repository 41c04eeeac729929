/**
 * Standalone fuzzer of every QUIC-side parser and of a live connection's frame processing (the
 * long-running version of test/quic/fuzz/fuzz-quic.test.ts).
 *
 *   npm run fuzz:quic -- [--seconds T | --cases N] [--seed S] [--target NAME[,NAME]] [--case K] [--trace]
 *
 * Targets (test/quic/fuzz/targets.ts): frames, headers, transport-params, varints, tls, x509,
 * manifest, conn. Each gets --cases cases, or an equal share of --seconds (default 60 s in all).
 * A case either keeps the contract (a value or the project's typed error, within 50 ms; for
 * `conn`, a valid CONNECTION_CLOSE code or a working connection) or is a failure: the seed, the
 * case index and the input in hex are printed and the exit status is 1. `--case K` replays
 * one case of one target and prints its outcome. `--trace` writes each case's index to stderr
 * before running it, so a case that never returns (a hang no time bound can catch in-process)
 * is named by the last line.
 */
import { writeSync } from 'node:fs';
import { describeFailure, runCase, runTarget, toHex, type TargetReport } from '../test/quic/fuzz/runner.js';
import { TARGETS, targetByName } from '../test/quic/fuzz/targets.js';

function usage(message: string): never {
  console.error(`fuzz-quic: ${message}`);
  console.error('usage: npm run fuzz:quic -- [--seconds T | --cases N] [--seed S] [--target NAME[,NAME]] [--case K] [--trace]');
  console.error(`targets: ${TARGETS.map((t) => t.name).join(', ')}`);
  process.exit(2);
}

interface Options {
  seconds: number | undefined;
  cases: number | undefined;
  seed: number;
  targets: string[];
  replay: number | undefined;
  trace: boolean;
}

function parseArgs(argv: string[]): Options {
  const opts: Options = { seconds: undefined, cases: undefined, seed: (Date.now() ^ (process.pid << 8)) >>> 0, targets: TARGETS.map((t) => t.name), replay: undefined, trace: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = (): string => argv[++i] ?? usage(`${arg} needs a value`);
    const count = (v: string): number => {
      const n = Number(v);
      if (!Number.isSafeInteger(n) || n < 0) usage(`${arg}: not a non-negative integer: ${v}`);
      return n;
    };
    switch (arg) {
      case '--seconds': {
        const v = value();
        const n = Number(v);
        if (!Number.isFinite(n) || n <= 0) usage(`--seconds: not a positive number: ${v}`);
        opts.seconds = n;
        break;
      }
      case '--cases': opts.cases = count(value()); break;
      case '--seed': opts.seed = count(value()) >>> 0; break;
      case '--case': opts.replay = count(value()); break;
      case '--target': {
        opts.targets = value().split(',').filter((s) => s !== '');
        for (const t of opts.targets) if (!targetByName(t)) usage(`unknown target ${t}`);
        break;
      }
      case '--trace': opts.trace = true; break;
      case '--help':
      case '-h':
        usage('help');
        break;
      default:
        usage(`unknown argument ${arg}`);
    }
  }
  if (opts.replay !== undefined && opts.targets.length !== 1) usage('--case needs exactly one --target');
  if (opts.seconds === undefined && opts.cases === undefined) opts.seconds = 60;
  return opts;
}

function summary(r: TargetReport): string {
  const outcomes = [...r.outcomes].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([k, v]) => `${k} ${v}`).join(', ');
  const rate = r.cases / Math.max(r.ms / 1000, 1e-3);
  const slow = r.slowest ? `slowest case ${r.slowest.index} ${r.slowest.ms.toFixed(1)} ms` : '';
  return `${r.target}: ${r.cases} cases in ${(r.ms / 1000).toFixed(1)} s (${rate.toFixed(0)}/s), ${slow} — ${outcomes}`;
}

function main(): void {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.replay !== undefined) {
    const t = targetByName(opts.targets[0]!)!;
    const r = runCase(t, opts.seed, opts.replay);
    console.log(`seed ${opts.seed} target ${t.name} case ${r.index}: ${r.outcome} in ${r.ms.toFixed(1)} ms`);
    console.log(`made by: ${r.desc}`);
    console.log(`input (${r.input.length} bytes): ${toHex(r.input)}`);
    if (r.problem !== undefined) console.log(`FAIL: ${r.problem}`);
    process.exit(r.problem === undefined ? 0 : 1);
  }
  const share = opts.seconds === undefined ? undefined : opts.seconds / opts.targets.length;
  console.log(`fuzz-quic: seed ${opts.seed}, targets ${opts.targets.join(', ')}, ${opts.cases !== undefined ? `${opts.cases} cases` : ''}${opts.cases !== undefined && share !== undefined ? ' or ' : ''}${share !== undefined ? `${share.toFixed(1)} s` : ''} each`);
  let failed = false;
  for (const name of opts.targets) {
    const report = runTarget(targetByName(name)!, {
      seed: opts.seed,
      ...(opts.cases !== undefined ? { cases: opts.cases } : {}),
      ...(share !== undefined ? { seconds: share } : {}),
      onProgress: (r) => console.log(`  ${summary(r)}`),
      progressMs: 30_000,
      ...(opts.trace ? { onCaseStart: (i: number) => void writeSync(2, `${name} case ${i}\n`) } : {}),
    });
    console.log(summary(report));
    if (report.failure) {
      console.error(describeFailure(report));
      failed = true;
    }
  }
  console.log(failed ? 'fuzz-quic: FAILED' : 'fuzz-quic: no failures');
  process.exit(failed ? 1 : 0);
}

main();
