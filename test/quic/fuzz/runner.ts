/**
 * The contract runner shared by `npm run fuzz:quic` (tools/fuzz-quic.ts) and
 * test/quic/fuzz/fuzz-quic.test.ts.
 *
 * A target makes case `index` of seed `seed` from a PRNG seeded by both, so any case can be
 * replayed alone (`--seed S --case K`). A case returns an outcome label when the contract holds;
 * anything it throws is a violation, reported with the seed, the case index and the input in
 * hex. A case slower than the target's bound is run a second time (the machine is shared and a
 * GC pause is not a hang); slow twice, it is a violation too.
 */
import { Prng } from '../wire/prng.js';

export interface FuzzCase {
  /** The bytes under test (printed in hex on failure). */
  readonly input: Uint8Array;
  /** How the input was made (mutation kinds, the sub-check), for the failure report. */
  readonly desc: string;
  /** Runs the parser(s) on `input`; returns an outcome label, throws on a contract violation. */
  check(): string;
}

export interface FuzzTarget {
  readonly name: string;
  /** Per-case time bound, ms (default HANG_MS). */
  readonly hangMs?: number;
  makeCase(rng: Prng, index: number): FuzzCase;
}

/** Parsers must answer within this; anything slower (twice) is flagged as a hang. */
export const HANG_MS = 50;

/** A broken contract found by a target's own checks (as opposed to an escaped exception). */
export class ContractViolation extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ContractViolation';
  }
}

/** Case `index` of `seed` gets its own stream: replaying one case needs no earlier case. */
export function caseRng(seed: number, index: number): Prng {
  return new Prng((Math.imul(seed ^ 0x5bd1e995, 0x27d4eb2d) + Math.imul(index + 1, 0x9e3779b1)) >>> 0);
}

export type ErrorClass = abstract new (...args: never[]) => Error;

/**
 * Runs `body`. A value, or an exception of one of `allowed` (labelled by `label`), is the
 * contract; anything else (TypeError, RangeError, a plain Error...) is a violation.
 */
export function typedOutcome<T>(body: () => T, allowed: readonly ErrorClass[], label: (e: Error) => string = (e) => e.name): { value?: T; outcome: string } {
  try {
    return { value: body(), outcome: 'ok' };
  } catch (e) {
    if (allowed.some((c) => e instanceof c)) return { outcome: label(e as Error) };
    if (e instanceof ContractViolation) throw e;
    const what = e instanceof Error ? `${e.name}: ${e.message}\n${e.stack ?? ''}` : String(e);
    throw new ContractViolation(`escaped exception (not ${allowed.map((c) => c.name).join('/')}): ${what}`);
  }
}

export function ensure(condition: boolean, what: string): void {
  if (!condition) throw new ContractViolation(what);
}

export function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

export interface CaseResult {
  index: number;
  outcome: string;
  ms: number;
  input: Uint8Array;
  desc: string;
  /** Set when the contract broke. */
  problem?: string;
}

/** Runs one case, timing it; a slow case is re-run once before it counts as a hang. */
export function runCase(target: FuzzTarget, seed: number, index: number): CaseResult {
  const bound = target.hangMs ?? HANG_MS;
  let result = runOnce(target, seed, index);
  if (result.problem === undefined && result.ms > bound) {
    const again = runOnce(target, seed, index);
    result = again.ms > bound && again.problem === undefined
      ? { ...again, problem: `hang: ${result.ms.toFixed(1)} ms then ${again.ms.toFixed(1)} ms (bound ${bound} ms)` }
      : again;
  }
  return result;
}

function runOnce(target: FuzzTarget, seed: number, index: number): CaseResult {
  let c: FuzzCase | undefined;
  const t0 = performance.now();
  try {
    c = target.makeCase(caseRng(seed, index), index);
    const outcome = c.check();
    return { index, outcome, ms: performance.now() - t0, input: c.input, desc: c.desc };
  } catch (e) {
    const problem = e instanceof ContractViolation ? e.message : `escaped from the case itself: ${e instanceof Error ? e.stack ?? e.message : String(e)}`;
    return { index, outcome: 'FAIL', ms: performance.now() - t0, input: c?.input ?? new Uint8Array(0), desc: c?.desc ?? '(case generation failed)', problem };
  }
}

export interface TargetReport {
  target: string;
  seed: number;
  cases: number;
  ms: number;
  outcomes: Map<string, number>;
  slowest: CaseResult | undefined;
  failure: CaseResult | undefined;
}

export interface RunOptions {
  seed: number;
  /** Stop after this many cases... */
  cases?: number;
  /** ...or this much wall time, whichever comes first. */
  seconds?: number;
  /** First case index (default 0). */
  from?: number;
  onProgress?: (r: TargetReport) => void;
  progressMs?: number;
  /** Called before each case: a case that never returns cannot report itself afterwards. */
  onCaseStart?: (index: number) => void;
}

/** Runs cases until the budget is spent or the first violation. */
export function runTarget(target: FuzzTarget, opts: RunOptions): TargetReport {
  const report: TargetReport = { target: target.name, seed: opts.seed, cases: 0, ms: 0, outcomes: new Map(), slowest: undefined, failure: undefined };
  const maxCases = opts.cases ?? Infinity;
  const deadline = opts.seconds === undefined ? Infinity : performance.now() + opts.seconds * 1000;
  const start = performance.now();
  let lastProgress = start;
  for (let index = opts.from ?? 0; report.cases < maxCases && performance.now() < deadline; index++) {
    opts.onCaseStart?.(index);
    const r = runCase(target, opts.seed, index);
    report.cases++;
    report.outcomes.set(r.outcome, (report.outcomes.get(r.outcome) ?? 0) + 1);
    if (report.slowest === undefined || r.ms > report.slowest.ms) report.slowest = r;
    if (r.problem !== undefined) {
      report.failure = r;
      break;
    }
    if (opts.onProgress && performance.now() - lastProgress >= (opts.progressMs ?? 10_000)) {
      lastProgress = performance.now();
      report.ms = lastProgress - start;
      opts.onProgress(report);
    }
  }
  report.ms = performance.now() - start;
  return report;
}

/** The failure report: everything needed to replay the case (`extraArgs`: options the run had). */
export function describeFailure(r: TargetReport): string {
  const f = r.failure;
  if (!f) return `${r.target}: no failure`;
  return [
    `FAIL target ${r.target} seed ${r.seed} case ${f.index} (${f.ms.toFixed(1)} ms)`,
    `input (${f.input.length} bytes): ${toHex(f.input)}`,
    `made by: ${f.desc}`,
    f.problem ?? '',
    `replay: npm run fuzz:quic -- --target ${r.target} --seed ${r.seed} --case ${f.index}`,
  ].join('\n');
}
