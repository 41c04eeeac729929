/**
 * Conditional jumps (RFC 9669 §4.3): the state on each side, refined by the comparison (ranges,
 * NULL checks, copies sharing an id, the context length).
 */
import {
  JMP_JEQ, JMP_JGE, JMP_JGT, JMP_JLE, JMP_JLT, JMP_JNE, JMP_JSET, JMP_JSGE, JMP_JSGT, JMP_JSLE, JMP_JSLT, jmpCode,
  type Insn,
} from '../isa.js';
import { S64_MAX, SCALAR_UNKNOWN, U32, isConst, normalize, scalarConst, scalarMeet, type Scalar } from './scalar.js';
import { cloneState, scalarValue, type PtrValue, type ScalarValue, type State, type Value } from './state.js';
import { U64 } from './tnum.js';
import { roomBelow, roomFloors } from './room.js';
import { leBelow } from './below.js';
import { refineLinked } from './delta.js';
import { type Outs, type Pass, immValue, mapId, readReg, report } from './pass.js';

export type Cmp = 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le' | 'sgt' | 'sge' | 'slt' | 'sle' | 'set';

export const CMP: ReadonlyMap<number, Cmp> = new Map([
  [JMP_JEQ, 'eq'], [JMP_JNE, 'ne'], [JMP_JGT, 'gt'], [JMP_JGE, 'ge'], [JMP_JLT, 'lt'], [JMP_JLE, 'le'], [JMP_JSGT, 'sgt'],
  [JMP_JSGE, 'sge'], [JMP_JSLT, 'slt'], [JMP_JSLE, 'sle'], [JMP_JSET, 'set'],
]);

export const NEGATE: Record<Cmp, Cmp | undefined> = { eq: 'ne', ne: 'eq', gt: 'le', ge: 'lt', lt: 'ge', le: 'gt', sgt: 'sle', sge: 'slt', slt: 'sge', sle: 'sgt', set: undefined };
export const SWAP: Record<Cmp, Cmp> = { eq: 'eq', ne: 'ne', gt: 'lt', ge: 'le', lt: 'gt', le: 'ge', sgt: 'slt', sge: 'sle', slt: 'sgt', sle: 'sge', set: 'set' };

export const mx = (a: bigint, b: bigint): bigint => (a > b ? a : b);
export const mn = (a: bigint, b: bigint): bigint => (a < b ? a : b);

/** Ranges of a and b knowing `a cmp b` holds; undefined when it cannot. */
export function refinePair(c: Cmp, a: Scalar, b: Scalar): [Scalar, Scalar] | undefined {
  // x met with one bound (what scalarMeet with an otherwise unknown scalar gives, without
  // building that scalar or meeting the known bits with nothing).
  const mk = (x: Scalar, o: Partial<Scalar>): Scalar | undefined => normalize({
    smin: o.smin !== undefined && o.smin > x.smin ? o.smin : x.smin, smax: o.smax !== undefined && o.smax < x.smax ? o.smax : x.smax,
    umin: o.umin !== undefined && o.umin > x.umin ? o.umin : x.umin, umax: o.umax !== undefined && o.umax < x.umax ? o.umax : x.umax, t: x.t,
  });
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
export function refineNotSet(a: Scalar, b: Scalar): Scalar | undefined {
  if (!isConst(b)) return a;
  if ((a.t.value & b.umin) !== 0n) return undefined;
  return scalarMeet(a, { ...SCALAR_UNKNOWN, t: { value: 0n, mask: U64 & ~b.umin } });
}

export function setScalar(st: State, r: number, v: Extract<Value, { k: 'scalar' }>, s: Scalar): void {
  if (v.id !== 0) mapId(st, (x) => x.k === 'scalar' && x.id === v.id, (x) => ({ ...(x as typeof v), s }));
  else st.regs[r] = { ...v, s };
}

/** The state on the side of a conditional jump where `dst cmp src` holds (undefined: impossible). */
export function assume(c: Cmp | undefined, insn: Insn, st: State, dv: Value, sv: Value, is32: boolean, srcReg: boolean): State | undefined {
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
    // A pointer is never 0 while its offset keeps it inside the address space above 0x1000.
    if (!dv.nullable) return isNull && dv.off.smin >= -4096n && dv.off.smax <= 1n << 62n ? undefined : out;
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
      // jset tests bits of the addresses, which their offsets do not tell: no refinement.
      const sc = c === 'set' ? undefined : signedOf[c] ?? (c.startsWith('s') ? c : undefined);
      // Only while no address can wrap: every region starts above 0x1000 (layout.ts), so
      // offsets of at least -4096 and well below 2^63 keep base + offset a plain number.
      const sane = (x: PtrValue): boolean => x.off.smin >= -4096n && x.off.smax <= 1n << 62n;
      if (sc && sane(dv) && sane(sv)) {
        const r = refinePair(sc, dv.off, sv.off);
        if (!r) return undefined;
        out.regs[insn.dst] = { ...dv, off: r[0] };
        if (srcReg) out.regs[insn.src] = { ...(out.regs[insn.src] as PtrValue), off: r[1] };
      }
      // The context's end pointer (offset = len - slack) bounds the other pointer.
      if (sv.region === 'ctx' && sv.offSlack !== null && (c === 'lt' || c === 'le') && sane(dv) && sane(sv)) {
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
  refineLinked(out, dv, a);
  if (srcReg) {
    setScalar(out, insn.src, out.regs[insn.src] as typeof sv, b);
    refineLinked(out, sv, b);
  }
  // The relations a comparison of two registers teaches (64-bit: relations are about numbers).
  if (srcReg && !is32) {
    relate(out, insn.dst, sv, c);
    relate(out, insn.src, dv, SWAP[c]);
  }
  if (dv.isLen) out.ctxLen = scalarMeet(out.ctxLen, a) ?? out.ctxLen;
  if (sv.isLen && srcReg) out.ctxLen = scalarMeet(out.ctxLen, b) ?? out.ctxLen;
  roomFloors(out);
  return lenFromRelations(out);
}

/**
 * x cmp y learnt on a branch, y a number in a register: what x (and its copies) learn from y's
 * relations. The context length: `i < len` gives i <= len - 1 (the relation that proves ctx accesses).
 */
function relate(out: State, x: number, y: ScalarValue, cmp: Cmp): void {
  const slack = cmp === 'lt' ? 1n : cmp === 'le' ? 0n : undefined;
  if (slack === undefined) return;
  const cur = out.regs[x];
  if (cur?.k !== 'scalar' || cur.s.umax > S64_MAX) return;
  // What x learns, its copies (same id) learn too: pos < end bounds the copy used as an index.
  const put = (f: (v: ScalarValue) => ScalarValue): void => {
    if (cur.id !== 0) mapId(out, (w) => w.k === 'scalar' && w.id === cur.id, (w) => f(w as ScalarValue));
    else out.regs[x] = f(out.regs[x] as ScalarValue);
  };
  // x < y with y <= len - s: x <= len - s - 1 (transitivity through a clamped bound).
  const base = y.isLen ? 0n : y.lenSlack;
  if (base !== null) put((v) => ({ ...v, lenSlack: v.lenSlack === null ? base + slack : mx(v.lenSlack, base + slack) }));
  // x < y with y at most the room after p: so is x (room.ts).
  if (y.room !== undefined) put((v) => roomBelow(v, y, slack === 1n));
  // x < y with y a copy of id (or at most val(id) + k): x <= val(id) + k - 1 (below.ts).
  const le = leBelow(out, cur, y, slack);
  if (le !== undefined) put((v) => ({ ...v, le }));
  // x < y with y <= m * floor(len / q) - s: x <= m * floor(len / q) - s - 1 (a word index).
  const d = y.lenDiv;
  if (d !== null) {
    const s = d.s + slack;
    put((v) => (v.lenDiv !== null && v.lenDiv.q === d.q && v.lenDiv.m === d.m && v.lenDiv.s >= s ? v : { ...v, lenDiv: { ...d, s } }));
  }
}

/**
 * v <= len - s with v >= m gives len >= m + s, for numbers and for context pointers' offsets
 * (and v <= m' * floor(len / q) - s gives len >= q * ceil((m + s) / m')):
 * after `if (p + 8 > end) goto out`, every pointer into the buffer sees 8 bytes (the Linux
 * verifier's packet range, here as a lower bound of the length).
 */
export function lenFromRelations(out: State): State | undefined {
  for (let r = 0; r < 10; r++) {
    const v = out.regs[r]!;
    let lo = v.k === 'scalar' && v.lenSlack !== null ? v.s.umin + v.lenSlack
      : v.k === 'ptr' && v.region === 'ctx' && v.offSlack !== null && v.off.smin >= 0n ? v.off.smin + v.offSlack : undefined;
    // v <= m * floor(len / q) - s with v >= u: floor(len / q) >= ceil((u + s) / m), so len is
    // at least q times that.
    if (v.k === 'scalar' && v.lenDiv !== null && v.s.umin + v.lenDiv.s > 0n) {
      const { q, m, s } = v.lenDiv;
      const d = q * ((v.s.umin + s + m - 1n) / m);
      if (lo === undefined || d > lo) lo = d;
    }
    if (lo !== undefined && lo > out.ctxLen.umin) {
      const m = scalarMeet(out.ctxLen, { ...SCALAR_UNKNOWN, umin: lo });
      if (!m) return undefined;
      out.ctxLen = m;
    }
  }
  return out;
}

export function branchStep(p: Pass, pc: number, insn: Insn, st: State, is32: boolean, srcReg: boolean): Outs {
  const dv = readReg(p, pc, st, insn.dst);
  const sv: Value = srcReg ? readReg(p, pc, st, insn.src) : immValue(p.env, pc, insn, is32);
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
