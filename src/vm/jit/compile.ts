/**
 * Compiles a linked image (link.ts) into one WebAssembly module: one function per eBPF function
 * of every program, plus one exported entry per program. The module imports the Vm's memory and
 * the same `helper(id, pc) -> status` function the interpreter core imports, so helpers, regions
 * and errors are shared with the interpreter unchanged.
 *
 * The module is compiled once per image (cached on it, like the image's bytes) and instantiated
 * per Vm, that is per connection for a plugin.
 *
 * The first plugin a process loads runs the translator before V8 has optimised it: its loops
 * over blocks, successors and instructions are indexed, because unoptimised code allocates an
 * iterator result for every step of a for-of and calls a closure per element of a forEach.
 */
import { VmError } from '../errors.js';
import type { LinkedImage } from '../link.js';
import {
  REGS, RESULT_OOB, STATUS, ST_ADDR, ST_CODE, ST_DEPTH, ST_FUEL, ST_PC,
  ST_SIZE, ST_WRITE,
} from '../layout.js';
import { buildCfg, decodeProgram, type Cfg, type DecodedProgram } from './cfg.js';
import { F_CLEAR, F_FAULT, FunctionGen, PARAMS, RESULTS, clearRegionCache } from './codegen.js';
import { Code, I32, I64, Op, encodeModule, type ModuleSpec } from './wasm.js';
import { checkProofs, proofsKey, type JitProofs } from './proofs.js';

/** Loads, stores and atomics of a module, by how their region check was emitted. */
export interface CheckStats {
  /** Accesses with a check of their own. */
  checked: number;
  /** Accesses covered by a merged check of their group (checks.ts), and the merged checks. */
  merged: number;
  groups: number;
  /** Accesses with no check: inside the current frame (ranges.ts), or proven by the verifier. */
  frame: number;
  proven: number;
  /** Loops versioned (versioning.ts), and the accesses of their fast copies that run unchecked. */
  guards: number;
  versioned: number;
}

export interface JitModule {
  module: WebAssembly.Module;
  /** Export name of each program's entry, by program index. */
  entries: string[];
  /** Wasm functions made, and how many used the irreducible fallback. */
  functions: number;
  irreducible: number;
  /** Microseconds spent translating to bytes, and in `new WebAssembly.Module`. */
  translateUs: number;
  compileUs: number;
  bytes: number;
  checks: CheckStats;
  /** Whether verifier proofs were applied (proofs.ts). */
  proofs: boolean;
}

export type JitEntry = () => number;

const T_HELPER = 0;
const T_OOB = 1;
const T_FAULT = 2;
const T_FUNC = 3;
const T_ENTRY = 4;
const T_CLEAR = 5;
/** Index of the first eBPF function: after the helper import, oob, fault and clear (codegen.ts F_*). */
const FIRST_FUNC = 4;

/** Modules of an image by the key of the proofs they were compiled with ('' for none). */
const cache = new WeakMap<LinkedImage, Map<string, JitModule>>();

/**
 * The compiled module of an image, compiled on first use. With `proofs` (proofs.ts), accesses
 * the verifier proved lose their checks: the cache keys on the proofs, so a module compiled
 * with them never serves a run without them, nor with others.
 */
export function jitModule(image: LinkedImage, proofs?: JitProofs): JitModule {
  const key = proofsKey(proofs);
  let byKey = cache.get(image);
  if (!byKey) {
    byKey = new Map();
    cache.set(image, byKey);
  }
  let m = byKey.get(key);
  if (!m) {
    m = compileImage(image, key === '' ? undefined : proofs);
    byKey.set(key, m);
  }
  return m;
}

/** Instantiates the module over a Vm's memory and helper dispatcher; returns each program's entry. */
export function instantiateJit(m: JitModule, memory: WebAssembly.Memory, helper: (id: number, pc: number) => number): JitEntry[] {
  const instance = new WebAssembly.Instance(m.module, { env: { memory, helper } });
  return m.entries.map((name) => instance.exports[name] as JitEntry);
}

export function translateImage(image: LinkedImage, proofs?: JitProofs): { bytes: Uint8Array; functions: number; irreducible: number; checks: CheckStats } {
  if (proofs) checkProofs(proofs, image.programs, image.frameSize);
  const checks: CheckStats = { checked: 0, merged: 0, groups: 0, frame: 0, proven: 0, guards: 0, versioned: 0 };
  // Discover every function (program entries and local-call targets), so that calls can name
  // their callee's index before any body is emitted.
  interface Fn { prog: number; slot: number; cfg: Cfg }
  const fns: Fn[] = [];
  const index = new Map<string, number>();
  const decoded: DecodedProgram[] = [];
  for (let pi = 0; pi < image.programs.length; pi++) decoded.push(decodeProgram(image.programs[pi]!.code));
  const entryFn: number[] = [];
  /** Functions only ever entered from the host, at depth 0: r10 is the top of the stack there. */
  const topOnly = new Set<number>();
  // Indexed loops rather than forEach: each callback would be one more function for V8 to
  // compile lazily in the first translation of a process (the cold start).
  for (let pi = 0; pi < image.programs.length; pi++) {
    const p = image.programs[pi]!;
    const entry = p.entry - p.base;
    const work = [entry];
    let called = false;
    while (work.length > 0) {
      const slot = work.pop()!;
      const key = `${pi}:${slot}`;
      if (index.has(key)) continue;
      const cfg = buildCfg(decoded[pi]!, slot);
      index.set(key, FIRST_FUNC + fns.length);
      fns.push({ prog: pi, slot, cfg });
      work.push(...cfg.callees);
      if (cfg.callees.includes(entry)) called = true;
    }
    entryFn.push(index.get(`${pi}:${entry}`)!);
    if (!called) topOnly.add(index.get(`${pi}:${entry}`)!);
  }

  const spec: ModuleSpec = {
    types: [
      { params: [I32, I32], results: [I32] },
      { params: [I32, I64, I32, I32, I64], results: [] },
      { params: [I32, I32, I64], results: [] },
      { params: PARAMS, results: RESULTS },
      { params: [], results: [I32] },
      { params: [], results: [] },
    ],
    imports: [{ module: 'env', name: 'helper', type: T_HELPER }],
    memory: { module: 'env', name: 'memory' },
    functions: [
      { type: T_OOB, locals: [], body: oobBody() },
      { type: T_FAULT, locals: [], body: faultBody() },
      { type: T_CLEAR, locals: [], body: clearBody() },
    ],
    exports: [],
  };
  let irreducible = 0;
  for (let fi = 0; fi < fns.length; fi++) {
    const f = fns[fi]!;
    const p = image.programs[f.prog]!;
    const gen = new FunctionGen(f.cfg, {
      prog: decoded[f.prog]!,
      base: p.base,
      frameSize: image.frameSize,
      stackTop: image.stack.start + image.stack.size,
      lowestRegion: image.stack.start,
      functionAt: (slot) => index.get(`${f.prog}:${slot}`)!,
      proven: proofs?.[f.prog]?.proven,
      stats: checks,
      fixedFrame: topOnly.has(FIRST_FUNC + fi),
    });
    const { prologue, body } = gen.emit();
    if (!f.cfg.reducible) irreducible++;
    spec.functions.push({ type: T_FUNC, locals: gen.locals, body, prologue });
  }
  for (let pi = 0; pi < image.programs.length; pi++) {
    // Function indices count the one imported function first.
    spec.exports.push({ name: `p${pi}`, func: 1 + spec.functions.length });
    spec.functions.push({ type: T_ENTRY, locals: [I64], body: entryBody(entryFn[pi]!) });
  }
  return { bytes: encodeModule(spec), functions: fns.length, irreducible, checks };
}

/**
 * Microseconds on a monotonic clock. Not `performance.now()`: Node loads its perf_hooks module
 * on the first use of that global, about 1 ms of the first plugin's load in a process where
 * nothing else timed anything (the QUIC stack itself never does).
 */
function nowUs(): number {
  const [s, ns] = process.hrtime();
  return s * 1e6 + ns / 1000;
}

export function compileImage(image: LinkedImage, proofs?: JitProofs): JitModule {
  const t0 = nowUs();
  let out: ReturnType<typeof translateImage>;
  try {
    out = translateImage(image, proofs);
  } catch (e) {
    if (e instanceof RangeError) throw new VmError('VM_STATE', `program too deeply nested for the JIT: ${e.message}`);
    throw e;
  }
  const t1 = nowUs();
  const module = new WebAssembly.Module(out.bytes);
  const t2 = nowUs();
  return {
    module,
    entries: image.programs.map((_, pi) => `p${pi}`),
    functions: out.functions,
    irreducible: out.irreducible,
    translateUs: t1 - t0,
    compileUs: t2 - t1,
    bytes: out.bytes.length,
    checks: out.checks,
    proofs: proofs !== undefined,
  };
}

function oobBody(): Code {
  const c = new Code();
  c.i32Const(0).get(1).mem(Op.i64_store, 3, STATUS + ST_ADDR);
  c.i32Const(0).get(2).mem(Op.i32_store, 2, STATUS + ST_SIZE);
  c.i32Const(0).get(3).mem(Op.i32_store, 2, STATUS + ST_WRITE);
  c.i32Const(RESULT_OOB).get(0).get(4).call(F_FAULT);
  return c;
}

function clearBody(): Code {
  const c = new Code();
  clearRegionCache(c);
  return c;
}

function faultBody(): Code {
  const c = new Code();
  c.i32Const(0).get(0).mem(Op.i32_store, 2, STATUS + ST_CODE);
  c.i32Const(0).get(1).mem(Op.i32_store, 2, STATUS + ST_PC);
  c.i32Const(0).get(2).mem(Op.i64_store, 3, STATUS + ST_FUEL);
  return c;
}

/** A program's export: registers from REGS in, r0 to REGS out, the status code as the result. */
function entryBody(fn: number): Code {
  const c = new Code();
  // Regions cached by an earlier exec may not be regions of this one (another grant size).
  c.call(F_CLEAR);
  c.i32Const(0).i32Const(0).mem(Op.i32_store, 2, STATUS + ST_CODE);
  c.i32Const(0).i32Const(0).mem(Op.i32_store, 2, STATUS + ST_DEPTH);
  for (let r = 0; r <= 10; r++) c.i32Const(0).mem(Op.i64_load, 3, REGS + 8 * r);
  c.call(fn);
  for (let r = 5; r >= 1; r--) c.op(Op.drop);
  c.set(0);
  c.i32Const(0).mem(Op.i32_load, 2, STATUS + ST_CODE).op(Op.i32_eqz);
  c.if().i32Const(0).get(0).mem(Op.i64_store, 3, REGS).end();
  c.i32Const(0).mem(Op.i32_load, 2, STATUS + ST_CODE);
  return c;
}

