/**
 * Abstract interpretation of one function (PREVAIL's forward analyzer, reference/ebpf.md §5.1):
 * a worklist over the control-flow graph in reverse postorder, states joined where paths meet,
 * widened (with thresholds) at loop heads, then narrowed by re-running the transfer functions
 * from the post-fixpoint. The last narrowing pass is the checking pass: only then are proof
 * obligations reported, on states that hold on every path. Local calls are analysed in their
 * calling context (the callee runs on the caller's state, like the Linux verifier's frames).
 */
import {
  ALU_ADD, ALU_AND, ALU_ARSH, ALU_DIV, ALU_END, ALU_LSH, ALU_MOD, ALU_MOV, ALU_MUL, ALU_NEG, ALU_OR, ALU_RSH, ALU_SUB, ALU_XOR,
  ATOMIC_CMPXCHG, ATOMIC_FETCH, CALL_LOCAL, JMP_JEQ, JMP_JGE, JMP_JGT, JMP_JLE, JMP_JLT, JMP_JNE, JMP_JSET, JMP_JSGE, JMP_JSGT,
  JMP_JSLE, JMP_JSLT, OPCODES, aluCode, jmpCode, lddwValue, type Insn,
} from '../isa.js';
import { checkBase, checkRegion, type MemEnv, type Verdict } from './memory.js';
import {
  S64_MAX, SCALAR_UNKNOWN, U32, isConst, low32, scalarAlu, scalarConst, scalarMeet, scalarNeg, scalarOfWidth, scalarSext,
  scalarTruncBytes, scalarU, toSigned, type AluOp, type Scalar,
} from './scalar.js';
import {
  UNINIT, UNKNOWN, cloneState, emptyFrame, formatState, joinState, leqState, ptrValue, scalarValue, type Frame, type PtrValue,
  type State, type Value,
} from './state.js';
import { order, type Shape } from './structure.js';
import { proveLoops, type LoopInfo } from './loops.js';
import type { HelperSignature, InputKind, Policy, ReasonCode, Rejection } from './types.js';
import { U64 } from './tnum.js';

/** Joins at a loop head before widening starts (lets short constant loops converge exactly). */
const WIDEN_DELAY = 3;
/**
 * Descending passes after the fixpoint; the last one checks. The first starts from the loop
 * heads' last back-edge contributions (already F applied to the post-fixpoint), so it narrows
 * what widening lost: on every program of the repository a second pass proves nothing more.
 */
const NARROW_PASSES = 1;

export class TooComplex extends Error {}

export interface Env extends MemEnv {
  shape: Shape;
  inputs: readonly InputKind[];
  returnsBufferPointer: boolean;
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
}

/** What a transfer function may report; `definite` is reported under both policies. */
interface Pass {
  env: Env;
  check: boolean;
  depth: number;
  fn: number;
  states: (State | undefined)[];
  exit: State | undefined;
}

type Outs = [number, State][];

function report(p: Pass, code: ReasonCode, pc: number, reason: string, st: State, definite: boolean): void {
  const env = p.env;
  if (!p.check || (!definite && env.policy !== 'strict')) return;
  const key = `${code}:${pc}`;
  if (env.errors.has(key)) return;
  env.errors.set(key, { code, pc, insn: env.disasm(pc), reason, state: formatState(st), trace: trace(p, pc) });
}

function reportVerdict(p: Pass, pc: number, v: Verdict, st: State, prefix = ''): void {
  if (v.kind === 'proven') return;
  report(p, v.code ?? 'OUT_OF_BOUNDS', pc, prefix + (v.why ?? ''), st, v.kind === 'definite');
}

/** The last few instructions of a path from the function's start to pc, with their states. */
function trace(p: Pass, pc: number): Rejection['trace'] {
  const o = p.env.orders.get(p.fn)!;
  const fnStart = p.env.shape.functions[p.fn]!.start;
  const path: number[] = [];
  let at = pc;
  while (at >= 0 && path.length < 8) {
    path.push(at);
    if (at === fnStart) break;
    at = o.parent[at - fnStart]!;
  }
  return path.reverse().map((x) => ({ pc: x, insn: p.env.disasm(x), state: p.states[x - fnStart] ? formatState(p.states[x - fnStart]!) : '' }));
}

// ---- registers

function readReg(p: Pass, pc: number, st: State, r: number): Value {
  const v = st.regs[r]!;
  if (v.k === 'uninit') {
    report(p, 'UNINIT_REG', pc, `read of uninitialized register r${r}`, st, true);
    return UNKNOWN;
  }
  return v;
}

/** Drops id (scalar copies) or nid (allocation copies) from every value holding it: the old copies are stale. */
function forgetId(st: State, id: number, isNid: boolean): void {
  const stale = (v: Value | undefined): boolean => v !== undefined && (isNid ? v.k === 'ptr' && v.nid === id : v.k === 'scalar' && v.id === id);
  const fix = (v: Value): Value => (v.k === 'ptr' ? { ...v, nid: 0 } : v.k === 'scalar' ? { ...v, id: 0 } : v);
  for (let r = 0; r < 10; r++) if (stale(st.regs[r])) st.regs[r] = fix(st.regs[r]!);
  st.frames.forEach((f, i) => {
    if (!f.slots.some(stale)) return;
    const slots = f.slots.map((v) => (stale(v) ? fix(v!) : v));
    st.frames[i] = { slots, masks: f.masks };
  });
}

/** Replaces every value with the given id (copies of one scalar, or of one allocation). */
function mapId(st: State, match: (v: Value) => boolean, to: (v: Value) => Value): void {
  for (let r = 0; r < 10; r++) if (match(st.regs[r]!)) st.regs[r] = to(st.regs[r]!);
  st.frames.forEach((f, i) => {
    if (!f.slots.some((v) => v !== undefined && match(v))) return;
    st.frames[i] = { slots: f.slots.map((v) => (v !== undefined && match(v) ? to(v) : v)), masks: f.masks };
  });
}

// ---- stack

function writeStack(st: State, frame: number, lo: bigint, hi: bigint, width: number, value: Value | undefined, frameSize: number): void {
  const f = st.frames[frame]!;
  const n = f.slots.length;
  const slots = f.slots.slice();
  const masks = f.masks.slice();
  const base = BigInt(frameSize);
  if (lo === hi) {
    const start = Number(lo + base);
    if (start < 0 || start + width > frameSize) return;
    const k = start >> 3;
    if (value !== undefined && width === 8 && (start & 7) === 0) {
      slots[k] = value;
      masks[k] = 0xff;
    } else {
      for (let b = start; b < start + width; b++) {
        slots[b >> 3] = undefined;
        masks[b >> 3] = masks[b >> 3]! | (1 << (b & 7));
      }
    }
  } else {
    // A variable offset: which bytes were written is unknown; only what they held is lost.
    const a = Math.max(0, Number(lo + base) >> 3);
    const b = Math.min(n - 1, Number(hi + base + BigInt(width) - 1n) >> 3);
    for (let k = a; k <= b; k++) slots[k] = undefined;
  }
  st.frames[frame] = { slots, masks };
}

/** Bytes [lo, hi + width) of a frame all written on every path. */
function stackInit(f: Frame, lo: bigint, hi: bigint, width: bigint, frameSize: number): boolean {
  const start = Number(lo) + frameSize;
  const end = Number(hi + width) + frameSize;
  for (let b = Math.max(0, start); b < Math.min(end, frameSize); b++) if (!(f.masks[b >> 3]! & (1 << (b & 7)))) return false;
  return true;
}

function readStack(st: State, p: PtrValue, extra: number, width: number, frameSize: number): Value | 'uninit' {
  const f = st.frames[p.index]!;
  const lo = p.off.smin + BigInt(extra);
  const hi = p.off.smax + BigInt(extra);
  if (!stackInit(f, lo, hi, BigInt(width), frameSize)) return 'uninit';
  if (lo === hi && width === 8 && ((Number(lo) + frameSize) & 7) === 0) {
    const v = f.slots[(Number(lo) + frameSize) >> 3];
    if (v !== undefined) return v;
  }
  // Part of a spilled pointer is still an address: it must not reach the host either.
  const a = Math.max(0, (Number(lo) + frameSize) >> 3);
  const b = Math.min(f.slots.length - 1, (Number(hi) + frameSize + width - 1) >> 3);
  let tainted = false;
  for (let k = a; k <= b; k++) {
    const v = f.slots[k];
    if (v && (v.k === 'ptr' || (v.k === 'scalar' && v.tainted))) tainted = true;
  }
  return scalarValue(scalarOfWidth(width), { tainted });
}

// ---- ALU

const ALU_OPS: ReadonlyMap<number, AluOp> = new Map([
  [ALU_ADD, 'add'], [ALU_SUB, 'sub'], [ALU_MUL, 'mul'], [ALU_DIV, 'div'], [ALU_OR, 'or'], [ALU_AND, 'and'], [ALU_LSH, 'lsh'],
  [ALU_RSH, 'rsh'], [ALU_MOD, 'mod'], [ALU_XOR, 'xor'], [ALU_MOV, 'mov'], [ALU_ARSH, 'arsh'],
]);

function immScalar(insn: Insn, is32: boolean): Scalar {
  return is32 ? scalarConst(BigInt(insn.imm >>> 0)) : scalarConst(BigInt(insn.imm));
}

function aluStep(p: Pass, pc: number, insn: Insn, st: State, is32: boolean, srcReg: boolean): void {
  const code = aluCode(insn.opcode);
  const d = insn.dst;
  if (code === ALU_NEG || code === ALU_END) {
    const v = readReg(p, pc, st, d);
    if (v.k !== 'scalar') {
      report(p, 'BAD_POINTER_ARITH', pc, `${code === ALU_NEG ? 'negation' : 'byte swap'} of a ${v.k === 'ptr' ? 'pointer' : 'handle'}`, st, false);
      st.regs[d] = scalarValue(SCALAR_UNKNOWN, { tainted: v.k === 'ptr' });
      return;
    }
    if (code === ALU_NEG) st.regs[d] = scalarValue(scalarNeg(v.s, is32));
    else {
      const bits = insn.imm;
      // le16/le32 truncate, le64 is the identity (little-endian host); be and bswap reorder bytes.
      const le = is32 && (insn.opcode & 0x08) === 0;
      st.regs[d] = scalarValue(le ? (bits === 64 ? v.s : scalarTruncBytes(v.s, bits / 8)) : scalarOfWidth(bits / 8));
    }
    return;
  }
  const op = ALU_OPS.get(code)!;
  const sv: Value = srcReg ? readReg(p, pc, st, insn.src) : scalarValue(immScalar(insn, is32));
  if (op === 'mov') {
    if (!is32 && insn.off === 0) {
      if (sv.k === 'scalar' && srcReg && sv.id === 0 && !isConst(sv.s)) {
        // A copy: both registers share an id, so a later comparison on one refines the other.
        const id = pc + 1;
        forgetId(st, id, false);
        const c = { ...sv, id };
        st.regs[insn.src] = c;
        st.regs[d] = c;
      } else st.regs[d] = sv;
      return;
    }
    if (sv.k !== 'scalar') {
      report(p, 'BAD_POINTER_ARITH', pc, `32-bit or sign-extending copy of a ${sv.k === 'ptr' ? 'pointer' : 'handle'}`, st, false);
      st.regs[d] = scalarValue(is32 ? low32(SCALAR_UNKNOWN) : SCALAR_UNKNOWN, { tainted: sv.k === 'ptr' });
      return;
    }
    let s = is32 ? low32(sv.s) : sv.s;
    if (insn.off !== 0) s = is32 ? low32(scalarSext(s, insn.off)) : scalarSext(s, insn.off);
    st.regs[d] = scalarValue(s, { tainted: sv.tainted });
    return;
  }
  const dv = readReg(p, pc, st, d);
  if ((op === 'div' || op === 'mod') && !srcReg && insn.imm === 0) {
    // RFC 9669 defines x/0 = 0 and x%0 = x; the kernel still refuses a constant zero divisor.
    report(p, 'DIV_BY_ZERO', pc, 'division by the constant 0', st, false);
  }
  if (dv.k === 'scalar' && sv.k === 'scalar') {
    let s: Scalar;
    if ((op === 'div' || op === 'mod') && insn.off === 1) s = is32 ? low32(SCALAR_UNKNOWN) : SCALAR_UNKNOWN; // signed
    else s = scalarAlu(op, dv.s, sv.s, is32);
    let lenSlack: bigint | null = null;
    let isLen = false;
    if (!is32 && (op === 'add' || op === 'sub') && isConst(sv.s) && (dv.lenSlack !== null || dv.isLen)) {
      const c = toSigned(sv.s.umin);
      const base = dv.isLen ? 0n : dv.lenSlack!;
      // Only while the value does not wrap: the relation is about numbers, not residues.
      if (s.umax <= S64_MAX && dv.s.umax <= S64_MAX) lenSlack = op === 'add' ? base - c : base + c;
    }
    if (!is32 && (op === 'and' || op === 'rsh' || op === 'div') && dv.lenSlack !== null && s.umax <= dv.s.umax) lenSlack = dv.lenSlack;
    if (!is32 && (op === 'and' || op === 'rsh' || op === 'div') && dv.isLen && s.umax <= dv.s.umax) lenSlack = 0n;
    if (op === 'add' && isConst(sv.s) && sv.s.umin === 0n) isLen = dv.isLen;
    st.regs[d] = scalarValue(s, { lenSlack, isLen, tainted: dv.tainted || sv.tainted });
    return;
  }
  if (dv.k === 'handle' || sv.k === 'handle') {
    // Handles are numbers to the program (PQUIC code tests and offsets them); they stay opaque to the host.
    st.regs[d] = UNKNOWN;
    return;
  }
  // Pointer arithmetic: pointer ± number, pointer - pointer of one region (PREVAIL's Addable).
  const bad = (why: string): void => {
    report(p, 'BAD_POINTER_ARITH', pc, why, st, false);
    st.regs[d] = scalarValue(is32 ? low32(SCALAR_UNKNOWN) : SCALAR_UNKNOWN, { tainted: true });
  };
  if (is32) return bad('32-bit arithmetic on a pointer');
  if (dv.k === 'ptr' && sv.k === 'ptr') {
    if (op === 'sub' && dv.region === sv.region && dv.index === sv.index) {
      // end - p with end.off <= len - k and p.off >= m: the difference is <= len - k - m.
      const lenSlack = dv.region === 'ctx' && dv.offSlack !== null && sv.off.smin >= 0n && sv.off.smax <= S64_MAX ? dv.offSlack + sv.off.smin : null;
      st.regs[d] = scalarValue(scalarAlu('sub', dv.off, sv.off, false), { lenSlack });
      return;
    }
    return bad(op === 'sub' ? 'subtraction of pointers into different regions' : `${op} of two pointers`);
  }
  const ptr = (dv.k === 'ptr' ? dv : sv) as PtrValue;
  const num = (dv.k === 'ptr' ? sv : dv) as Extract<Value, { k: 'scalar' }>;
  if (!(op === 'add' || (op === 'sub' && dv.k === 'ptr'))) return bad(`${op} on a pointer (only pointer ± number is meaningful)`);
  if (ptr.nullable) return bad('arithmetic on a pointer that may be NULL (check it first)');
  if (num.tainted) return bad('pointer plus a value that may itself be an address');
  const off = scalarAlu(op, ptr.off, num.s, false);
  let offSlack: bigint | null = null;
  if (ptr.region === 'ctx') {
    if (op === 'add' && ptr.off.smin >= 0n && ptr.off.smax <= S64_MAX) {
      if (isConst(num.s) && ptr.offSlack !== null) offSlack = ptr.offSlack - toSigned(num.s.umin);
      else if (num.isLen) offSlack = -ptr.off.smax;
      else if (num.lenSlack !== null) offSlack = num.lenSlack - ptr.off.smax;
    } else if (op === 'sub' && isConst(num.s) && ptr.offSlack !== null) offSlack = ptr.offSlack + toSigned(num.s.umin);
  }
  st.regs[d] = { ...ptr, off, offSlack };
}

// ---- branches

type Cmp = 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le' | 'sgt' | 'sge' | 'slt' | 'sle' | 'set';

const CMP: ReadonlyMap<number, Cmp> = new Map([
  [JMP_JEQ, 'eq'], [JMP_JNE, 'ne'], [JMP_JGT, 'gt'], [JMP_JGE, 'ge'], [JMP_JLT, 'lt'], [JMP_JLE, 'le'], [JMP_JSGT, 'sgt'],
  [JMP_JSGE, 'sge'], [JMP_JSLT, 'slt'], [JMP_JSLE, 'sle'], [JMP_JSET, 'set'],
]);

const NEGATE: Record<Cmp, Cmp | undefined> = { eq: 'ne', ne: 'eq', gt: 'le', ge: 'lt', lt: 'ge', le: 'gt', sgt: 'sle', sge: 'slt', slt: 'sge', sle: 'sgt', set: undefined };
const SWAP: Record<Cmp, Cmp> = { eq: 'eq', ne: 'ne', gt: 'lt', ge: 'le', lt: 'gt', le: 'ge', sgt: 'slt', sge: 'sle', slt: 'sgt', sle: 'sge', set: 'set' };

const mx = (a: bigint, b: bigint): bigint => (a > b ? a : b);
const mn = (a: bigint, b: bigint): bigint => (a < b ? a : b);

/** Ranges of a and b knowing `a cmp b` holds; undefined when it cannot. */
function refinePair(c: Cmp, a: Scalar, b: Scalar): [Scalar, Scalar] | undefined {
  const mk = (x: Scalar, o: Partial<Scalar>): Scalar | undefined => scalarMeet(x, { ...SCALAR_UNKNOWN, ...o });
  let ra: Scalar | undefined;
  let rb: Scalar | undefined;
  switch (c) {
    case 'eq': {
      const m = scalarMeet(a, b);
      return m ? [m, m] : undefined;
    }
    case 'ne':
      ra = a;
      rb = b;
      if (isConst(b)) {
        if (a.umin === b.umin) ra = mk(a, { umin: a.umin + 1n });
        else if (a.umax === b.umin) ra = mk(a, { umax: a.umax - 1n });
        if (ra && isConst(ra) && ra.umin === b.umin) return undefined;
      }
      if (isConst(a) && rb) {
        if (b.umin === a.umin) rb = mk(b, { umin: b.umin + 1n });
        else if (b.umax === a.umin) rb = mk(b, { umax: b.umax - 1n });
      }
      if (isConst(a) && isConst(b) && a.umin === b.umin) return undefined;
      break;
    case 'gt':
      if (a.umax === 0n || b.umin === U64) return undefined;
      ra = mk(a, { umin: mx(a.umin, b.umin + 1n) });
      rb = mk(b, { umax: mn(b.umax, a.umax - 1n) });
      break;
    case 'ge':
      ra = mk(a, { umin: mx(a.umin, b.umin) });
      rb = mk(b, { umax: mn(b.umax, a.umax) });
      break;
    case 'lt':
      return refinePair('gt', b, a)?.reverse() as [Scalar, Scalar] | undefined;
    case 'le':
      return refinePair('ge', b, a)?.reverse() as [Scalar, Scalar] | undefined;
    case 'sgt':
      if (a.smax === -(1n << 63n) || b.smin === S64_MAX) return undefined;
      ra = mk(a, { smin: mx(a.smin, b.smin + 1n) });
      rb = mk(b, { smax: mn(b.smax, a.smax - 1n) });
      break;
    case 'sge':
      ra = mk(a, { smin: mx(a.smin, b.smin) });
      rb = mk(b, { smax: mn(b.smax, a.smax) });
      break;
    case 'slt':
      return refinePair('sgt', b, a)?.reverse() as [Scalar, Scalar] | undefined;
    case 'sle':
      return refinePair('sge', b, a)?.reverse() as [Scalar, Scalar] | undefined;
    case 'set':
      // a & b != 0: impossible when a and b share no possibly-set bit.
      if (((a.t.value | a.t.mask) & (b.t.value | b.t.mask)) === 0n) return undefined;
      return [a, b];
  }
  return ra && rb ? [ra, rb] : undefined;
}

/** a & b == 0 (the false side of jset) with a constant b: those bits of a are known zero. */
function refineNotSet(a: Scalar, b: Scalar): Scalar | undefined {
  if (!isConst(b)) return a;
  if ((a.t.value & b.umin) !== 0n) return undefined;
  return scalarMeet(a, { ...SCALAR_UNKNOWN, t: { value: 0n, mask: U64 & ~b.umin } });
}

function setScalar(st: State, r: number, v: Extract<Value, { k: 'scalar' }>, s: Scalar): void {
  if (v.id !== 0) mapId(st, (x) => x.k === 'scalar' && x.id === v.id, (x) => ({ ...(x as typeof v), s }));
  else st.regs[r] = { ...v, s };
}

/** The state on the side of a conditional jump where `dst cmp src` holds (undefined: impossible). */
function assume(c: Cmp | undefined, insn: Insn, st: State, dv: Value, sv: Value, is32: boolean, srcReg: boolean): State | undefined {
  const out = cloneState(st);
  if (c === undefined) {
    // The false side of jset.
    if (dv.k === 'scalar' && sv.k === 'scalar' && !is32) {
      const r = refineNotSet(dv.s, sv.s);
      if (!r) return undefined;
      setScalar(out, insn.dst, dv, r);
    }
    return out;
  }
  // NULL checks: p == 0 / p != 0 on a pointer that may be NULL.
  if (dv.k === 'ptr' && sv.k === 'scalar' && isConst(sv.s) && sv.s.umin === 0n && (c === 'eq' || c === 'ne') && !is32) {
    const isNull = c === 'eq';
    if (!dv.nullable) return isNull ? undefined : out;
    const match = (x: Value): boolean => x === dv || (dv.nid !== 0 && x.k === 'ptr' && x.nid === dv.nid);
    mapId(out, match, (x) => (isNull ? scalarValue(scalarConst(0n)) : { ...(x as PtrValue), nullable: false }));
    if (match(out.regs[insn.dst]!) || out.regs[insn.dst] === dv) out.regs[insn.dst] = isNull ? scalarValue(scalarConst(0n)) : { ...dv, nullable: false };
    return out;
  }
  if (dv.k !== 'scalar' || sv.k !== 'scalar') {
    if (dv.k === 'ptr' && sv.k === 'ptr' && dv.region === sv.region && dv.index === sv.index && !is32 && !dv.nullable && !sv.nullable) {
      // Two pointers into one region compare as their offsets (addresses inside a region do not
      // wrap, so an unsigned comparison of addresses is a signed one of offsets).
      const signedOf: Partial<Record<Cmp, Cmp>> = { gt: 'sgt', ge: 'sge', lt: 'slt', le: 'sle', eq: 'eq', ne: 'ne' };
      const sc = signedOf[c] ?? (c.startsWith('s') ? c : undefined);
      if (sc) {
        const r = refinePair(sc, dv.off, sv.off);
        if (!r) return undefined;
        out.regs[insn.dst] = { ...dv, off: r[0] };
        if (srcReg) out.regs[insn.src] = { ...(out.regs[insn.src] as PtrValue), off: r[1] };
      }
      // The context's end pointer (offset = len - slack) bounds the other pointer.
      if (sv.region === 'ctx' && sv.offSlack !== null && (c === 'lt' || c === 'le')) {
        const slack = sv.offSlack + (c === 'lt' ? 1n : 0n);
        const cur = out.regs[insn.dst] as PtrValue;
        out.regs[insn.dst] = { ...cur, offSlack: cur.offSlack === null ? slack : mx(cur.offSlack, slack) };
      }
      return lenFromRelations(out);
    }
    return out;
  }
  let a = dv.s;
  let b = sv.s;
  if (is32) {
    // JMP32 compares low halves: refine only when both values are their own low halves (and, for
    // signed compares, non-negative as 32-bit numbers), where 32- and 64-bit comparisons agree.
    const signed = c.startsWith('s');
    const lim = signed ? (1n << 31n) - 1n : U32;
    if (a.umax > lim || b.umax > lim) {
      if (c === 'eq' && (a.umax > U32 || b.umax > U32)) return out;
      return out;
    }
  }
  const r = refinePair(c, a, b);
  if (!r) return undefined;
  [a, b] = r;
  setScalar(out, insn.dst, dv, a);
  if (srcReg) setScalar(out, insn.src, out.regs[insn.src] as typeof sv, b);
  // The context length: `i < len` gives i <= len - 1 (the relation that proves ctx accesses).
  const rel = (x: number, y: Extract<Value, { k: 'scalar' }>, cmp: Cmp): void => {
    if (!srcReg || is32) return;
    const slack = cmp === 'lt' ? 1n : cmp === 'le' ? 0n : undefined;
    if (slack === undefined) return;
    const cur = out.regs[x];
    // x < y with y <= len - s: x <= len - s - 1 (transitivity through a clamped bound).
    const base = y.isLen ? 0n : y.lenSlack;
    if (cur?.k === 'scalar' && base !== null && cur.s.umax <= S64_MAX) {
      out.regs[x] = { ...cur, lenSlack: cur.lenSlack === null ? base + slack : mx(cur.lenSlack, base + slack) };
    }
  };
  rel(insn.dst, sv, c);
  rel(insn.src, dv, SWAP[c]);
  if (dv.isLen) out.ctxLen = scalarMeet(out.ctxLen, a) ?? out.ctxLen;
  if (sv.isLen && srcReg) out.ctxLen = scalarMeet(out.ctxLen, b) ?? out.ctxLen;
  return lenFromRelations(out);
}

/**
 * v <= len - s with v >= m gives len >= m + s, for numbers and for context pointers' offsets:
 * after `if (p + 8 > end) goto out`, every pointer into the buffer sees 8 bytes (the Linux
 * verifier's packet range, here as a lower bound of the length).
 */
function lenFromRelations(out: State): State | undefined {
  for (let r = 0; r < 10; r++) {
    const v = out.regs[r]!;
    const lo = v.k === 'scalar' && v.lenSlack !== null ? v.s.umin + v.lenSlack
      : v.k === 'ptr' && v.region === 'ctx' && v.offSlack !== null && v.off.smin >= 0n ? v.off.smin + v.offSlack : undefined;
    if (lo !== undefined && lo > out.ctxLen.umin) {
      const m = scalarMeet(out.ctxLen, { ...SCALAR_UNKNOWN, umin: lo });
      if (!m) return undefined;
      out.ctxLen = m;
    }
  }
  return out;
}

function branchStep(p: Pass, pc: number, insn: Insn, st: State, is32: boolean, srcReg: boolean): Outs {
  const dv = readReg(p, pc, st, insn.dst);
  const sv: Value = srcReg ? readReg(p, pc, st, insn.src) : scalarValue(is32 ? scalarConst(BigInt(insn.imm >>> 0)) : scalarConst(BigInt(insn.imm)));
  const c = CMP.get(jmpCode(insn.opcode))!;
  if (dv.k === 'ptr' && sv.k === 'ptr' && (dv.region !== sv.region || dv.index !== sv.index)) {
    report(p, 'BAD_POINTER_COMPARE', pc, 'comparison of pointers into different regions', st, false);
  } else if ((dv.k === 'ptr') !== (sv.k === 'ptr') && !(sv.k === 'scalar' && isConst(sv.s) && sv.s.umin === 0n) && !(dv.k === 'scalar' && isConst(dv.s) && dv.s.umin === 0n)) {
    report(p, 'BAD_POINTER_COMPARE', pc, 'comparison of a pointer with a number other than 0', st, false);
  }
  const target = pc + 1 + insn.off;
  const outs: Outs = [];
  const yes = assume(c, insn, st, dv, sv, is32, srcReg);
  const neg = NEGATE[c];
  const no = neg === undefined ? assume(undefined, insn, st, dv, sv, is32, srcReg) : assume(neg, insn, st, dv, sv, is32, srcReg);
  if (no) outs.push([pc + 1, no]);
  if (yes) outs.push([target, yes]);
  return outs;
}

// ---- memory instructions

function accessStep(p: Pass, pc: number, insn: Insn, st: State, kind: 'ldx' | 'ldxs' | 'st' | 'stx' | 'atomic', width: number): void {
  const env = p.env;
  const baseReg = kind === 'ldx' || kind === 'ldxs' ? insn.src : insn.dst;
  const write = kind !== 'ldx' && kind !== 'ldxs';
  let stored: Value | undefined;
  if (kind === 'stx' || kind === 'atomic') stored = readReg(p, pc, st, insn.src);
  if (kind === 'st') stored = scalarValue(scalarConst(BigInt(insn.imm)));
  const base = baseReg === 10 ? st.regs[10]! : readReg(p, pc, st, baseReg);
  const b = checkBase(base);
  let proven = false;
  let loaded: Value = scalarValue(scalarOfWidth(width));
  if ('kind' in b) {
    reportVerdict(p, pc, b, st, `${write ? 'store' : 'load'} of ${width} bytes: `);
  } else {
    const v = checkRegion(st, b, insn.off, BigInt(width), BigInt(width), write, env);
    reportVerdict(p, pc, v, st, `${write ? 'store' : 'load'} of ${width} bytes at ${insn.off >= 0 ? '+' : ''}${insn.off}: `);
    proven = v.kind === 'proven';
    if (b.region === 'stack' && (!write || kind === 'atomic')) {
      const r = readStack(st, b, insn.off, width, env.frameSize);
      if (r === 'uninit') {
        const constOff = isConst(b.off);
        report(p, 'UNINIT_STACK', pc, `read of ${width} bytes of the stack at ${constOff ? `fp${toSigned(b.off.umin) + BigInt(insn.off)}` : 'a variable offset'} not written on every path`, st, constOff);
      } else loaded = r;
    } else if (b.region === 'data' && !write && isConst(b.off)) {
      const off = Number(b.off.umin) + insn.off;
      const ptr = width === 8 ? env.sectionPtrs.get(`${b.index}:${off}`) : undefined;
      const bytes = env.rodata[b.index];
      if (ptr) loaded = ptrValue('data', ptr.target, scalarConst(BigInt(ptr.addend)));
      else if (bytes && off >= 0 && off + width <= bytes.length) {
        let x = 0n;
        for (let i = width - 1; i >= 0; i--) x = (x << 8n) | BigInt(bytes[off + i]!);
        loaded = scalarValue(scalarConst(x));
      }
    }
    if (write && b.region !== 'stack' && stored && (stored.k === 'ptr' || (stored.k === 'scalar' && stored.tainted))) {
      // PREVAIL's ValidStore: outside the stack only numbers are stored, or addresses reach memory
      // the host reads (frames, reserve_frames slots, metadata) as plain values.
      report(p, 'POINTER_LEAK', pc, `store of a pointer into ${b.region === 'data' ? 'a data section' : b.region === 'heap' ? 'the heap' : 'the context'}`, st, false);
    }
    if (write && b.region === 'stack') {
      const lo = b.off.smin + BigInt(insn.off);
      const hi = b.off.smax + BigInt(insn.off);
      writeStack(st, b.index, lo, hi, width, kind === 'atomic' ? undefined : width === 8 ? stored : undefined, env.frameSize);
    }
    // After the access the base is known to be non-NULL (a NULL one faulted).
  }
  if (base.k === 'ptr' && base.nullable && baseReg !== 10) st.regs[baseReg] = { ...base, nullable: false };
  if (p.check) env.proven.set(pc, (env.proven.get(pc) ?? true) && proven);
  // A whole spilled value comes back as it went (its relations and id included).
  if (kind === 'ldx') st.regs[insn.dst] = loaded.k === 'scalar' && width < 8 ? scalarValue(scalarTruncBytes(loaded.s, width), { tainted: loaded.tainted }) : loaded;
  else if (kind === 'ldxs') {
    const tainted = loaded.k !== 'scalar' || loaded.tainted;
    st.regs[insn.dst] = scalarValue(loaded.k === 'scalar' ? scalarSext(scalarTruncBytes(loaded.s, width), width * 8) : SCALAR_UNKNOWN, { tainted });
  }
  else if (kind === 'atomic') {
    if (stored && stored.k !== 'scalar') report(p, 'POINTER_LEAK', pc, 'atomic operation with a pointer operand', st, false);
    if (insn.imm === ATOMIC_CMPXCHG) {
      readReg(p, pc, st, 0);
      st.regs[0] = scalarValue(scalarOfWidth(width));
    } else if (insn.imm & ATOMIC_FETCH) st.regs[insn.src] = scalarValue(scalarOfWidth(width));
  }
}

// ---- calls

function argScalar(v: Value): Scalar {
  return v.k === 'scalar' ? v.s : SCALAR_UNKNOWN;
}

function helperStep(p: Pass, pc: number, sig: HelperSignature, st: State): void {
  const env = p.env;
  const name = sig.name;
  sig.args.forEach((spec, i) => {
    const r = i + 1;
    const v = st.regs[r]!;
    if (v.k === 'uninit') {
      report(p, 'UNINIT_REG', pc, `argument r${r} of ${name} is uninitialized`, st, true);
      return;
    }
    const leak = v.k === 'ptr' || (v.k === 'scalar' && v.tainted);
    switch (spec.kind) {
      case 'any':
        break;
      case 'scalar':
      case 'value':
        if (leak) report(p, 'POINTER_LEAK', pc, `${name} receives an address in r${r} as a ${spec.kind === 'value' ? 'value it keeps' : 'number'}`, st, false);
        break;
      case 'handle':
        if (v.k === 'ptr') report(p, 'HELPER_ARG', pc, `${name} expects a ${spec.handle} handle in r${r}, got a pointer`, st, false);
        else if (v.k === 'handle' && v.what !== spec.handle && v.what !== 'object') {
          report(p, 'HELPER_ARG', pc, `${name} expects a ${spec.handle} handle in r${r}, got a ${v.what} handle`, st, true);
        }
        break;
      case 'heap_or_null':
        if (v.k === 'handle') report(p, 'HELPER_ARG', pc, `${name} expects a heap pointer in r${r}, got a ${v.what} handle`, st, true);
        else if (v.k === 'ptr' && v.region !== 'heap') report(p, 'HELPER_ARG', pc, `${name} expects a heap pointer in r${r}, got a pointer to ${v.region}`, st, false);
        else if (v.k === 'scalar' && !(isConst(v.s) && v.s.umin === 0n)) report(p, 'HELPER_ARG', pc, `${name} expects a heap pointer in r${r}, got a number`, st, false);
        break;
      case 'cstring':
      case 'mem': {
        const isStr = spec.kind === 'cstring';
        const write = spec.kind === 'mem' && spec.access === 'write';
        let len: Scalar = isStr ? scalarConst(1n) : spec.len !== undefined ? argScalar(st.regs[spec.len]!) : scalarConst(BigInt(spec.size ?? 1));
        if (spec.kind === 'mem' && spec.scale !== undefined) len = scalarAlu('mul', len, scalarConst(BigInt(spec.scale)), false);
        if (spec.kind === 'mem' && spec.cap !== undefined && len.umax > BigInt(spec.cap)) {
          const cap = BigInt(spec.cap);
          len = scalarU(len.umin < cap ? len.umin : cap, cap) ?? scalarConst(cap);
        }
        if (spec.kind === 'mem' && spec.unsized) report(p, 'HELPER_ARG', pc, `${name} argument r${r}: the host decides how many bytes it reads`, st, false);
        if (spec.kind === 'mem' && spec.maxLen !== undefined && len.umax > BigInt(spec.maxLen)) {
          report(p, 'HELPER_ARG', pc, `${name}: length r${spec.len} may be ${len.umax} (at most ${spec.maxLen})`, st, len.umin > BigInt(spec.maxLen));
        }
        if (len.umax === 0n) break;
        const nullable = spec.kind === 'mem' && spec.nullable;
        if (nullable && v.k === 'scalar' && isConst(v.s) && v.s.umin === 0n) break;
        const b = checkBase(v);
        if ('kind' in b) {
          if (b.kind !== 'proven') report(p, b.code === 'HANDLE_DEREF' ? 'HELPER_ARG' : b.code === 'UNINIT_REG' ? 'UNINIT_REG' : 'HELPER_ARG', pc, `${name} argument r${r}: ${b.why}`, st, b.kind === 'definite' && len.umin > 0n);
          break;
        }
        // A length related to the buffer's (len <= buflen - k, k >= the offset) keeps the access inside it.
        const lenArg = spec.kind === 'mem' && spec.len !== undefined && spec.scale === undefined ? st.regs[spec.len] : undefined;
        const related = b.region === 'ctx' && lenArg?.k === 'scalar' && lenArg.lenSlack !== null && b.off.smin >= 0n && b.off.smax <= lenArg.lenSlack;
        const verdict = related ? { kind: 'proven' as const } : checkRegion(st, b, 0, len.umin, len.umax, write, env);
        if (verdict.kind !== 'proven') {
          report(p, verdict.code === 'READ_ONLY' ? 'READ_ONLY' : 'HELPER_ARG', pc, `${name} argument r${r}${spec.kind === 'mem' && spec.len ? ` with length r${spec.len}` : ''}: ${verdict.why}`, st, verdict.kind === 'definite');
        }
        if (b.region === 'stack') {
          const lo = b.off.smin;
          const hi = b.off.smax;
          if (write) {
            if (isConst(len) && lo === hi) {
              const n = Number(len.umin);
              if (n <= env.frameSize) writeStack(st, b.index, lo, hi, n, undefined, env.frameSize);
            } else {
              // Which bytes the helper writes is not known: none becomes initialized, spilled values are lost.
              const last = hi + len.umax - 1n > -1n ? -1n : hi + len.umax - 1n;
              writeStack(st, b.index, lo, last > lo ? last : lo + 1n, 1, undefined, env.frameSize);
            }
          } else if (!isStr && !stackInit(st.frames[b.index]!, lo, hi, len.umax > BigInt(env.frameSize) ? BigInt(env.frameSize) : len.umax, env.frameSize)) {
            report(p, 'UNINIT_STACK', pc, `${name} reads stack bytes (r${r}) not written on every path`, st, isConst(b.off) && isConst(len));
          }
        } else if (isStr && !(b.region === 'data' && isConst(b.off) && env.rodata[b.index]?.indexOf(0, Number(b.off.umin)) !== -1 && env.rodata[b.index] !== undefined)) {
          if (b.region !== 'data' || !env.rodata[b.index]) report(p, 'HELPER_ARG', pc, `${name} argument r${r}: string not proven NUL-terminated inside its region`, st, false);
        }
        break;
      }
    }
  });
  let r0: Value = UNKNOWN;
  if (sig.ret.kind === 'input') {
    const key = st.regs[sig.ret.keyArg];
    const index = st.regs[sig.ret.indexArg];
    if (key?.k === 'scalar' && isConst(key.s) && key.s.umin === BigInt(sig.ret.key) && index?.k === 'scalar' && isConst(index.s) && index.s.umin < 64n) {
      r0 = inputValue(env.inputs[Number(index.s.umin)], st);
    }
  } else if (sig.ret.kind === 'heap_or_null') {
    const size = argScalar(st.regs[sig.ret.sizeArg]!);
    const nid = pc + 1;
    forgetId(st, nid, true);
    r0 = ptrValue('heap', 0, scalarConst(0n), { size: size.umin > U32 ? U32 : size.umin, nullable: true, nid });
  }
  for (let r = 1; r <= 5; r++) st.regs[r] = UNINIT;
  st.regs[0] = r0;
}

/** What an input of the running operation is, by its declared kind. */
function inputValue(kind: InputKind | undefined, st: State): Value {
  switch (kind) {
    case 'buffer': return ptrValue('ctx', 0, scalarConst(0n), { offSlack: 0n });
    // off = len: `p < end` then bounds p (assume()), the end itself is never dereferenced.
    case 'buffer_end': return ptrValue('ctx', 0, st.ctxLen, { offSlack: 0n });
    case 'buffer_len': return scalarValue(st.ctxLen, { isLen: true, lenSlack: 0n });
    default: return UNKNOWN;
  }
}

/** Values pointing into frames deeper than `depth` become plain (tainted) numbers: their frame is gone. */
function dropDeadFrames(v: Value, depth: number): Value {
  return v.k === 'ptr' && v.region === 'stack' && v.index > depth ? scalarValue(SCALAR_UNKNOWN, { tainted: true }) : v;
}

function localCallStep(p: Pass, pc: number, insn: Insn, st: State): State | undefined {
  const env = p.env;
  const target = pc + 1 + insn.imm;
  const fn = env.shape.funcOf[target]!;
  const callee: State = {
    regs: st.regs.map((v, r) => (r >= 1 && r <= 5 ? v : UNINIT)),
    frames: [...st.frames, emptyFrame(env.frameSize)],
    ctxLen: st.ctxLen,
  };
  callee.regs[10] = ptrValue('stack', p.depth + 1, scalarConst(0n));
  const exit = analyzeFunction(env, fn, callee, p.depth + 1, p.check);
  if (!exit) return undefined;
  const after = cloneState(st);
  after.regs[0] = dropDeadFrames(exit.regs[0]!, p.depth);
  for (let r = 1; r <= 5; r++) after.regs[r] = UNINIT;
  after.frames.length = 0;
  for (let i = 0; i <= p.depth; i++) {
    const f = exit.frames[i]!;
    after.frames.push(f.slots.some((v) => v?.k === 'ptr' && v.region === 'stack' && v.index > p.depth)
      ? { slots: f.slots.map((v) => (v === undefined ? v : dropDeadFrames(v, p.depth))), masks: f.masks } : f);
  }
  after.ctxLen = exit.ctxLen;
  if (exit.regs[0]!.k === 'ptr' && (exit.regs[0] as PtrValue).region === 'stack' && (exit.regs[0] as PtrValue).index > p.depth) {
    report(p, 'POINTER_LEAK', pc, 'the called function returns a pointer into its own stack frame', st, false);
  }
  return after;
}

// ---- one instruction

function step(p: Pass, pc: number, st0: State): Outs {
  const env = p.env;
  const insn = env.shape.insns[pc]!;
  const info = OPCODES.get(insn.opcode)!;
  const st = cloneState(st0);
  switch (info.kind) {
    case 'alu':
    case 'neg':
    case 'end':
      aluStep(p, pc, insn, st, info.is32, info.srcReg);
      return [[pc + 1, st]];
    case 'ld_imm64': {
      const reloc = env.relocAt.get(pc);
      st.regs[insn.dst] = reloc ? ptrValue('data', reloc.section, scalarConst(BigInt(reloc.offset))) : scalarValue(scalarConst(lddwValue(env.code, pc)));
      return [[pc + 2, st]];
    }
    case 'ldx':
    case 'ldxs':
    case 'st':
    case 'stx':
    case 'atomic':
      accessStep(p, pc, insn, st, info.kind, info.size!);
      return [[pc + 1, st]];
    case 'ja':
    case 'ja32':
      return [[pc + 1 + (info.kind === 'ja' ? insn.off : insn.imm), st]];
    case 'jcond':
      return branchStep(p, pc, insn, st, info.is32, info.srcReg);
    case 'call': {
      if (insn.src === CALL_LOCAL) {
        const after = localCallStep(p, pc, insn, st);
        return after ? [[pc + 1, after]] : [];
      }
      const sig = env.helper(insn.imm);
      if (!sig) {
        report(p, 'UNKNOWN_HELPER', pc, `call to unknown helper ${insn.imm}`, st, true);
        for (let r = 1; r <= 5; r++) st.regs[r] = UNINIT;
        st.regs[0] = UNKNOWN;
      } else helperStep(p, pc, sig, st);
      return [[pc + 1, st]];
    }
    case 'exit': {
      const r0 = st.regs[0]!;
      if (r0.k === 'uninit') report(p, 'UNINIT_REG', pc, 'r0 (the return value) is uninitialized at exit', st, true);
      else if (p.depth === 0 && !(r0.k === 'ptr' && r0.region === 'ctx' && env.returnsBufferPointer) && (r0.k === 'ptr' || (r0.k === 'scalar' && r0.tainted))) {
        report(p, 'POINTER_LEAK', pc, 'the program returns an address to the host in r0', st, false);
      }
      p.exit = p.exit ? joinState(p.exit, st) : st;
      return [];
    }
    default:
      report(p, 'BAD_PROGRAM', pc, `unsupported instruction ${info.name}`, st, true);
      return [];
  }
}

// ---- the fixpoint

interface Cached {
  entry: State;
  exit: State | undefined;
}

const cache = new WeakMap<Env, Map<number, Cached[]>>();

export function analyzeFunction(env: Env, fnIndex: number, entry: State, depth: number, check: boolean): State | undefined {
  if (!check) {
    const list = cache.get(env)?.get(fnIndex);
    const hit = list?.find((c) => leqState(entry, c.entry));
    if (hit) return hit.exit;
  }
  const fn = env.shape.functions[fnIndex]!;
  let o = env.orders.get(fnIndex);
  if (!o) {
    const base = order(env.shape, fn);
    const parent = new Int32Array(fn.end - fn.start).fill(-1);
    for (const pc of base.rpo) for (const s of env.shape.succ[pc]!) if (parent[s - fn.start] === -1 && s !== fn.start) parent[s - fn.start] = pc;
    // Slots with one predecessor and no back edge in: their state is only ever their
    // predecessor's output, so phase 1 need not keep it once used (less to collect).
    const preds = new Uint16Array(fn.end - fn.start);
    for (const pc of base.rpo) for (const s of env.shape.succ[pc]!) preds[s - fn.start] = Math.min(preds[s - fn.start]! + 1, 2);
    const single = new Uint8Array(fn.end - fn.start);
    for (const pc of base.rpo) single[pc - fn.start] = preds[pc - fn.start] === 1 && !base.heads.has(pc) ? 1 : 0;
    o = { ...base, parent, single, loops: [] };
    o.loops = proveLoopsPrepare(env, fn.start, fn.end, o.backEdges);
    env.orders.set(fnIndex, o);
  }
  const len = fn.end - fn.start;
  const { rpo, rank } = o;
  const isBack = (from: number, to: number): boolean => rank[to - fn.start]! <= rank[from - fn.start]!;

  // Phase 1: ascending iteration with widening at loop heads (nothing to do without loops:
  // in reverse postorder, an acyclic function's states are exact after one pass).
  const inS: (State | undefined)[] = new Array(len);
  const queued = new Uint8Array(len);
  const visits = new Uint16Array(len);
  /** The latest state each back edge brought to its head: F of the post-fixpoint at the end. */
  const lastBack: Map<number, State>[] = new Array(len);
  inS[0] = entry;
  const p: Pass = { env, check: false, depth, fn: fnIndex, states: inS, exit: undefined };
  // The worklist: slots by reverse-postorder rank, lowest first (a binary heap), so a loop is
  // iterated to its fixpoint before what follows it, and only changed slots are revisited.
  const heap: number[] = [];
  const push = (r: number): void => {
    if (queued[r]) return;
    queued[r] = 1;
    let k = heap.push(r) - 1;
    while (k > 0) {
      const up = (k - 1) >> 1;
      if (heap[up]! <= r) break;
      heap[k] = heap[up]!;
      heap[up] = r;
      k = up;
    }
  };
  const pop = (): number => {
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      let k = 0;
      heap[0] = last;
      for (;;) {
        const l = 2 * k + 1;
        const r = l + 1;
        let m = k;
        if (l < heap.length && heap[l]! < heap[m]!) m = l;
        if (r < heap.length && heap[r]! < heap[m]!) m = r;
        if (m === k) break;
        const tmp = heap[k]!;
        heap[k] = heap[m]!;
        heap[m] = tmp;
        k = m;
      }
    }
    queued[top] = 0;
    return top;
  };
  if (o.heads.size > 0) push(0);
  while (heap.length > 0) {
    const pc = rpo[pop()]!;
    const i = pc - fn.start;
    if (++env.steps > env.maxSteps) throw new TooComplex();
    const outs = step(p, pc, inS[i]!);
    if (o.single[i]) inS[i] = undefined;
    for (let e = 0; e < outs.length; e++) {
      const s = outs[e]![0];
      const out = outs[e]![1];
      const j = s - fn.start;
      const back = isBack(pc, s);
      if (back) (lastBack[j] ??= new Map()).set(pc, out);
      const old = inS[j];
      if (!old) inS[j] = out;
      else if (leqState(out, old)) continue;
      else {
        const joined = back && (visits[j] = visits[j]! + 1) > WIDEN_DELAY ? joinState(old, out, env.thresholds) : joinState(old, out);
        // Nothing grew (a join can tighten a component another one implied): no revisit, so
        // the ascending chain, finite under widening, always ends.
        if (leqState(joined, old)) continue;
        inS[j] = joined;
      }
      push(rank[j]!);
    }
  }

  // Phase 2: descending passes from the post-fixpoint; the last one checks.
  let back: (State | undefined)[] = new Array(len);
  lastBack.forEach((m, j) => {
    for (const st of m.values()) back[j] = back[j] ? joinState(back[j]!, st) : st;
  });
  let result: State | undefined;
  const passes = o.heads.size > 0 ? NARROW_PASSES : 1;
  for (let pass = 0; pass < passes; pass++) {
    const last = pass === passes - 1;
    const fresh: (State | undefined)[] = new Array(len);
    const nextBack: (State | undefined)[] = new Array(len);
    fresh[0] = entry;
    const q: Pass = { env, check: check && last, depth, fn: fnIndex, states: fresh, exit: undefined };
    for (const pc of rpo) {
      const i = pc - fn.start;
      const b = o.heads.has(pc) ? back[i] : undefined;
      const st = fresh[i] && b ? joinState(fresh[i]!, b) : fresh[i] ?? b;
      if (!st) continue;
      fresh[i] = st;
      if (++env.steps > env.maxSteps) throw new TooComplex();
      const outs = step(q, pc, st);
      for (let e = 0; e < outs.length; e++) {
        const s = outs[e]![0];
        const out = outs[e]![1];
        const j = s - fn.start;
        if (isBack(pc, s)) nextBack[j] = nextBack[j] ? joinState(nextBack[j]!, out) : out;
        else fresh[j] = fresh[j] ? joinState(fresh[j]!, out) : out;
      }
    }
    back = nextBack;
    result = q.exit;
    if (q.check) proveLoops(env, q, o.loops, fresh, fn.start, (code, pc, why, definite) => report(q, code, pc, why, fresh[pc - fn.start] ?? entry, definite));
  }
  if (!check) {
    let m = cache.get(env);
    if (!m) cache.set(env, (m = new Map()));
    const list = m.get(fnIndex) ?? [];
    if (list.length < 8) list.push({ entry, exit: result });
    m.set(fnIndex, list);
  }
  return result;
}

function proveLoopsPrepare(env: Env, start: number, end: number, backEdges: [number, number][]): LoopInfo[] {
  // Natural loop of each head: the slots that reach one of its latches without passing the head.
  const byHead = new Map<number, number[]>();
  for (const [from, to] of backEdges) byHead.set(to, [...(byHead.get(to) ?? []), from]);
  const preds: number[][] = Array.from({ length: end - start }, () => []);
  for (let pc = start; pc < end; pc++) for (const s of env.shape.succ[pc]!) if (s >= start && s < end) preds[s - start]!.push(pc);
  const loops: LoopInfo[] = [];
  for (const [head, latches] of byHead) {
    const body = new Set<number>([head]);
    const work = [...latches];
    while (work.length) {
      const x = work.pop()!;
      if (body.has(x)) continue;
      body.add(x);
      for (const y of preds[x - start]!) if (!body.has(y)) work.push(y);
    }
    loops.push({ head, latches, body });
  }
  return loops;
}

export type { Pass };
