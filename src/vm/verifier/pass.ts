/**
 * What the transfer functions share: the verification environment, the pass being run, and how
 * a proof obligation that fails becomes a rejection (pc, instruction, reason, state, path).
 */
import type { MemEnv, Verdict } from './memory.js';
import { UNKNOWN, cloneState, formatState, scalarValue, type ScalarValue, type State, type Value } from './state.js';
import { scalarConst } from './scalar.js';
import type { Insn } from '../isa.js';
import { order, type Shape } from './structure.js';
import type { LoopInfo } from './loops.js';
import { ALL_BYTES, heapFill } from './cells.js';
import { dropSum } from './sizes.js';
import type { HeapOptions, HeapWrite, HelperSignature, InputKind, KeptOptions, Policy, ReasonCode, Rejection } from './types.js';

export class TooComplex extends Error {}

export interface Env extends MemEnv {
  shape: Shape;
  inputs: readonly InputKind[];
  returnsBufferPointer: boolean;
  /** Kept slots: the plugin-wide summary and the recorder of writes (kept.ts). */
  kept: KeptOptions | undefined;
  /** Heap memory: allocation sites, the summary loads are typed with, the recorder of writes (cells.ts). */
  heap: HeapOptions | undefined;
  code: Uint8Array;
  policy: Policy;
  helper: (id: number) => HelperSignature | undefined;
  /** lddw at pc → pointer into a data section. */
  relocAt: Map<number, { section: number; offset: number }>;
  /** Initial bytes of read-only sections (constant loads read them). */
  rodata: (Uint8Array | undefined)[];
  /** Pointers stored in sections: `${section}:${offset}` → target. */
  sectionPtrs: Map<string, { target: number; addend: number }>;
  thresholds: bigint[];
  maxLoopIterations: number;
  maxSteps: number;
  steps: number;
  errors: Map<string, Rejection>;
  /** pc → proven on every path and context analysed so far. */
  proven: Map<number, boolean>;
  unbounded: Set<number>;
  disasm(pc: number): string;
  orders: Map<number, ReturnType<typeof order> & { loops: LoopInfo[]; parent: Int32Array; single: Uint8Array }>;
  /** Scalar ids given out so far (1 at index id): see freshId. */
  issued: Uint8Array;
  /** The immediate operand of the ALU or jump instruction at pc, made once (values are never changed in place). */
  imms: (ScalarValue | undefined)[];
}

/** What a transfer function may report; `definite` is reported under both policies. */
export interface Pass {
  env: Env;
  check: boolean;
  depth: number;
  fn: number;
  states: (State | undefined)[];
  exit: State | undefined;
}

export type Outs = [number, State][];

export function report(p: Pass, code: ReasonCode, pc: number, reason: string, st: State, definite: boolean): void {
  const env = p.env;
  if (!p.check || (!definite && env.policy !== 'strict')) return;
  const key = `${code}:${pc}`;
  if (env.errors.has(key)) return;
  // States print only when someone reads them (plugin loads that reject under strict, every
  // heap round, never do): the state and the path's states are kept as they are now, and
  // states are never changed in place once stored (each step works on a copy).
  const snap = cloneState(st);
  const path = tracePath(p, pc);
  const r = { code, pc, insn: env.disasm(pc), reason } as Rejection;
  lazy(r, 'state', () => formatState(snap));
  lazy(r, 'trace', () => path.map(({ pc: x, state }) => ({ pc: x, insn: env.disasm(x), state: state ? formatState(state) : '' })));
  env.errors.set(key, r);
}

/** An enumerable property computed on first read (spreads and JSON see it like a plain one). */
function lazy<K extends 'state' | 'trace'>(o: Rejection, key: K, make: () => Rejection[K]): void {
  let v: Rejection[K] | undefined;
  Object.defineProperty(o, key, { enumerable: true, configurable: true, get: () => (v ??= make()), set: (x: Rejection[K]) => { v = x; } });
}

export function reportVerdict(p: Pass, pc: number, v: Verdict, st: State, prefix = ''): void {
  if (v.kind === 'proven') return;
  report(p, v.code ?? 'OUT_OF_BOUNDS', pc, prefix + (v.why ?? ''), st, v.kind === 'definite');
}

/** The last few instructions of a path from the function's start to pc, with their states (formatted when read). */
function tracePath(p: Pass, pc: number): { pc: number; state: State | undefined }[] {
  const o = p.env.orders.get(p.fn)!;
  const fnStart = p.env.shape.functions[p.fn]!.start;
  const path: number[] = [];
  let at = pc;
  while (at >= 0 && path.length < 8) {
    path.push(at);
    if (at === fnStart) break;
    at = o.parent[at - fnStart]!;
  }
  return path.reverse().map((x) => ({ pc: x, state: p.states[x - fnStart] }));
}

export function readReg(p: Pass, pc: number, st: State, r: number): Value {
  const v = st.regs[r]!;
  if (v.k === 'uninit') {
    report(p, 'UNINIT_REG', pc, `read of uninitialized register r${r}`, st, true);
    return UNKNOWN;
  }
  return v;
}

/** The immediate of the instruction at pc as a number: 32-bit operations see it zero-extended, 64-bit ones sign-extended (RFC 9669 §4.1). */
export function immValue(env: Env, pc: number, insn: Insn, is32: boolean): ScalarValue {
  return (env.imms[pc] ??= scalarValue(scalarConst(is32 ? BigInt(insn.imm >>> 0) : BigInt(insn.imm))));
}

/** Drops id (scalar copies) or nid (allocation copies) from every value holding it: the old copies are stale. */
export function forgetId(st: State, id: number, isNid: boolean): void {
  // A scalar id also leaves the sums, deltas and block sizes that name it (sizes.ts). Plain
  // loops: this runs at every copy and spill.
  const stale = (v: Value | undefined): boolean => {
    if (v === undefined) return false;
    if (isNid) return v.k === 'ptr' && v.nid === id;
    if (v.k === 'scalar') return v.id === id || v.sum?.id === id || v.delta?.id === id || v.le?.id === id || v.quot?.id === id;
    return v.k === 'ptr' && v.sizeOf?.id === id;
  };
  const fix = (v: Value): Value => (v.k === 'ptr' ? (isNid ? { ...v, nid: 0 } : dropSum(v, id)) : v.k === 'scalar' ? dropSum(v.id === id ? { ...v, id: 0 } : v, id) : v);
  if (!isNid && !holdsId(st, id)) return;
  for (let r = 0; r < 10; r++) if (stale(st.regs[r])) st.regs[r] = fix(st.regs[r]!);
  for (let i = 0; i < st.frames.length; i++) {
    const f = st.frames[i]!;
    let k = 0;
    while (k < f.slots.length && !stale(f.slots[k])) k++;
    if (k === f.slots.length) continue;
    st.frames[i] = { slots: f.slots.map((v) => (stale(v) ? fix(v!) : v)), masks: f.masks };
  }
}

/**
 * Scalar id `id` (pc + 1 of the instruction that makes copies) is about to be given to a new
 * number: the values still holding or naming it are stale (forgetId). Every scalar id is made
 * here first, so an id never given out in this verification is held by no value of any state,
 * and the scan is skipped (most instructions run once per pass, and the first pass gives out
 * each id for the first time).
 */
export function freshId(env: Env, st: State, id: number): void {
  if (id < env.issued.length && env.issued[id] === 0) {
    env.issued[id] = 1;
    return;
  }
  forgetId(st, id, false);
}

/** Whether any value of st holds or names scalar id `id` (no closure: the common answer is no). */
function holdsId(st: State, id: number): boolean {
  for (let r = 0; r < 10; r++) {
    const v = st.regs[r]!;
    if (v.k === 'scalar' ? v.id === id || v.sum?.id === id || v.delta?.id === id || v.le?.id === id || v.quot?.id === id : v.k === 'ptr' && v.sizeOf?.id === id) return true;
  }
  for (let i = 0; i < st.frames.length; i++) {
    const slots = st.frames[i]!.slots;
    for (let k = 0; k < slots.length; k++) {
      const v = slots[k];
      if (v === undefined) continue;
      if (v.k === 'scalar' ? v.id === id || v.sum?.id === id || v.delta?.id === id || v.le?.id === id || v.quot?.id === id : v.k === 'ptr' && v.sizeOf?.id === id) return true;
    }
  }
  return false;
}

/** Replaces every value with the given id (copies of one scalar, or of one allocation). */
export function mapId(st: State, match: (v: Value) => boolean, to: (v: Value) => Value): void {
  for (let r = 0; r < 10; r++) if (match(st.regs[r]!)) st.regs[r] = to(st.regs[r]!);
  st.frames.forEach((f, i) => {
    if (!f.slots.some((v) => v !== undefined && match(v))) return;
    st.frames[i] = { slots: f.slots.map((v) => (v !== undefined && match(v) ? to(v) : v)), masks: f.masks };
  });
}

/** Records a write into heap memory for the plugin-wide summary (cells.ts). */
export function recordHeap(p: Pass, w: HeapWrite): void {
  p.env.heap?.record?.(w);
}

/**
 * A write the verifier could not place (unproven: checked keeps its runtime check, which allows
 * any address of the heap region): every field of every site may now hold anything. Under
 * strict that write is a rejection, and a plugin with a rejected object does not load, so the
 * summary the other objects were verified with need not cover it.
 */
export function poisonHeap(p: Pass): void {
  if (p.env.policy !== 'strict') recordHeap(p, heapFill('poison', -1, ...ALL_BYTES));
}
