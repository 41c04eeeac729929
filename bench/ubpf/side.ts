/**
 * The uBPF side of `npm run bench:vm -- --ubpf PATH`: runs a kernel's object on uBPF through our
 * runner (bench/ubpf/runner.c, compiled by the user against a uBPF they built; this repository
 * does not build uBPF) in a child process, and checks and parses what it prints.
 *
 * The runner times each run itself (a child process cannot be timed from here without its
 * start-up), the way `vm.exec` runs: copy the input into the VM's buffer, call, copy it back out.
 */
import { spawnSync } from 'node:child_process';

export type UbpfEngine = 'ubpf-jit' | 'ubpf-interpreter';

export interface UbpfRun {
  engine: UbpfEngine;
  /** r0 of the runs (the runner checks they all agree). */
  r0: bigint;
  /** FNV-1a 64 of mem after a run. */
  memDigest: bigint;
  /** Per run, ns: copy in + call + copy out, as `vm.exec` does. */
  ns: number[];
  /** Per run, ns: the call into uBPF alone. */
  callNs: number[];
}

/** FNV-1a 64 of bytes, the runner's digest of mem (as two 32-bit halves: no BigInt in the loop). */
export function fnv1a64(bytes: Uint8Array): bigint {
  // h * (2^40 + 0x1b3) = h * 0x1b3 + (h << 40), with h = hi * 2^32 + lo.
  let hi = 0xcbf29ce4;
  let lo = 0x84222325;
  for (let i = 0; i < bytes.length; i++) {
    lo = (lo ^ bytes[i]!) >>> 0;
    const t0 = (lo & 0xffff) * 0x1b3;
    const t1 = (lo >>> 16) * 0x1b3 + Math.floor(t0 / 65536);
    hi = (Math.imul(hi, 0x1b3) + Math.floor(t1 / 65536) + (lo << 8)) >>> 0;
    lo = ((t1 << 16) | (t0 & 0xffff)) >>> 0;
  }
  return (BigInt(hi) << 32n) | BigInt(lo);
}

function nsArray(v: unknown, runs: number, what: string): number[] {
  if (!Array.isArray(v) || v.length !== runs || !v.every((x) => Number.isSafeInteger(x) && x >= 0)) {
    throw new Error(`runner output: "${what}" must be ${runs} non-negative integers`);
  }
  return v as number[];
}

function hex(v: unknown, what: string): bigint {
  if (typeof v !== 'string' || !/^0x[0-9a-f]{1,16}$/.test(v)) throw new Error(`runner output: "${what}" must be a hex u64`);
  return BigInt(v);
}

/** Parses and checks the runner's JSON line (the last line of its stdout). */
export function parseRunnerOutput(stdout: string, engine: UbpfEngine, runs: number): UbpfRun {
  const line = stdout.trim().split('\n').pop() ?? '';
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(line) as Record<string, unknown>;
  } catch {
    throw new Error(`runner output is not JSON: ${line.slice(0, 120)}`);
  }
  if (o === null || typeof o !== 'object') throw new Error('runner output is not a JSON object');
  if (o.engine !== engine) throw new Error(`runner output: engine ${String(o.engine)}, expected ${engine}`);
  if (o.runs !== runs) throw new Error(`runner output: ${String(o.runs)} runs, expected ${runs}`);
  return {
    engine,
    r0: hex(o.r0, 'r0'),
    memDigest: hex(o.mem_fnv1a, 'mem_fnv1a'),
    ns: nsArray(o.ns, runs, 'ns'),
    callNs: nsArray(o.call_ns, runs, 'call_ns'),
  };
}

/**
 * Runs `fn` of `object` `runs` times on uBPF (its JIT, or its interpreter) on `input` as mem.
 * Throws with the runner's message when it fails.
 */
export function runUbpf(runner: string, object: string, fn: string, input: Uint8Array, runs: number, engine: UbpfEngine): UbpfRun {
  const args = [object, fn, String(runs), ...(engine === 'ubpf-interpreter' ? ['--interpreter'] : [])];
  const r = spawnSync(runner, args, { input, maxBuffer: 64 << 20, timeout: 600_000 });
  if (r.error) throw new Error(`cannot run ${runner}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${runner} failed (status ${r.status ?? r.signal}): ${r.stderr.toString().trim()}`);
  return parseRunnerOutput(r.stdout.toString(), engine, runs);
}
