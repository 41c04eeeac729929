/** Arithmetic (RFC 9669 §4.1) on abstract values: numbers, and pointer ± number (PREVAIL's Addable). */
import {
  ALU_ADD, ALU_AND, ALU_ARSH, ALU_DIV, ALU_END, ALU_LSH, ALU_MOD, ALU_MOV, ALU_MUL, ALU_NEG, ALU_OR, ALU_RSH, ALU_SUB,
  ALU_XOR, aluCode, type Insn,
} from '../isa.js';
import {
  S64_MAX, SCALAR_UNKNOWN, U32, isConst, low32, scalarAlu, scalarMeet, scalarNeg, scalarSext,
  scalarTruncBytes, toSigned, type AluOp, type Scalar,
} from './scalar.js';
import { U64 } from './tnum.js';
import { UNKNOWN, scalarValue, type LenDiv, type PtrValue, type ScalarValue, type State, type Value } from './state.js';
import { addSum } from './sizes.js';
import { stepDelta } from './delta.js';
import { remainderRange, stepQuot } from './rem.js';
import { endMinus, roomSlack } from './room.js';
import { sumSlack } from './len-sum.js';
import { scalarSwapBytes } from './bswap.js';
import { type Pass, freshId, immValue, readReg, report } from './pass.js';

export const ALU_OPS: ReadonlyMap<number, AluOp> = new Map([
  [ALU_ADD, 'add'], [ALU_SUB, 'sub'], [ALU_MUL, 'mul'], [ALU_DIV, 'div'], [ALU_OR, 'or'], [ALU_AND, 'and'], [ALU_LSH, 'lsh'],
  [ALU_RSH, 'rsh'], [ALU_MOD, 'mod'], [ALU_XOR, 'xor'], [ALU_MOV, 'mov'], [ALU_ARSH, 'arsh'],
]);

export function aluStep(p: Pass, pc: number, insn: Insn, st: State, is32: boolean, srcReg: boolean): void {
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
      st.regs[d] = scalarValue(le ? (bits === 64 ? v.s : scalarTruncBytes(v.s, bits / 8)) : scalarSwapBytes(v.s, bits / 8));
    }
    return;
  }
  const op = ALU_OPS.get(code)!;
  const sv: Value = srcReg ? readReg(p, pc, st, insn.src) : immValue(p.env, pc, insn, is32);
  if (op === 'mov') {
    // `w2 = w9` with r9 below 2^32 zero-extends to the same value (RFC 9669 §4.1): a copy like a
    // 64-bit one (clang narrows a length so for an `unsigned int` argument: my_malloc's size).
    const sameValue = !is32 || (srcReg && sv.k === 'scalar' && !sv.tainted && sv.s.umax <= U32);
    if (sameValue && insn.off === 0) {
      if (sv.k === 'scalar' && srcReg && sv.id === 0 && !isConst(sv.s)) {
        // A copy: both registers share an id, so a later comparison on one refines the other.
        const id = pc + 1;
        freshId(p.env, st, id);
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
    // x << k by a register k in [a, b] (b < 64, so the shift is not masked, RFC 9669 §4.1): when
    // x.umax << b keeps every bit, x << k = x * 2^k grows with x and k, so it lies in
    // [x.umin << a, x.umax << b] (varint's decoder: n = 1 << (first >> 6), n in [1, 8]).
    if (op === 'lsh' && !is32 && !isConst(sv.s) && sv.s.umax < 64n && dv.s.umax << sv.s.umax <= U64) {
      s = scalarMeet(s, { ...SCALAR_UNKNOWN, umin: dv.s.umin << sv.s.umin, umax: dv.s.umax << sv.s.umax }) ?? s;
    }
    // Most numbers carry no relation to the length or to other numbers: their result is its range.
    st.regs[d] = related(dv) || related(sv) ? relatedResult(op, code, insn.off, is32, s, dv, sv) : scalarValue(s, { tainted: dv.tainted || sv.tainted });
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
      // end - p with end.off <= len - k and p.off >= m: the difference is <= len - k - m, as long
      // as it cannot be negative (p past end would wrap it to a huge number).
      const lenSlack = dv.region === 'ctx' && dv.offSlack !== null && sv.off.smin >= 0n && dv.off.smin >= sv.off.smax ? dv.offSlack + sv.off.smin : null;
      const diff = scalarAlu('sub', dv.off, sv.off, false);
      // The end itself minus p: exactly the room after p (room.ts), when p lies in the buffer.
      const room = endMinus(st, pc, diff, dv, sv, srcReg ? insn.src : undefined);
      st.regs[d] = room ?? scalarValue(diff, { lenSlack });
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
      // p <= len - k plus a small number n: p + n <= len - (k - n.umax), the sum exact.
      if (!isConst(num.s) && ptr.offSlack !== null && num.s.umax <= S64_MAX - ptr.off.smax) {
        const t = ptr.offSlack - num.s.umax;
        if (offSlack === null || t > offSlack) offSlack = t;
      }
    } else if (op === 'sub' && isConst(num.s) && ptr.offSlack !== null) offSlack = ptr.offSlack + toSigned(num.s.umin);
    // p + n with n at most the room after p: still inside the buffer (room.ts).
    const r = op === 'add' ? roomSlack(ptr, num) : undefined;
    if (r !== undefined && (offSlack === null || r > offSlack)) offSlack = r;
  }
  // A new pointer: not the copy a pid names; the buffer's end only as its start plus its length.
  const isEnd = ptr.region === 'ctx' && op === 'add' && isConst(ptr.off) && ptr.off.umin === 0n && num.isLen ? true : undefined;
  st.regs[d] = { ...ptr, off, offSlack, pid: undefined, isEnd };
}

/** Whether v carries something relatedResult reads: a relation to the length, an id, a sum, a delta, a quotient. */
function related(v: ScalarValue): boolean {
  return v.id !== 0 || v.isLen || v.lenSlack !== null || v.lenDiv !== null || v.sum !== undefined || v.delta !== undefined || v.quot !== undefined;
}

/** `dst op src` on numbers, one of them related (related()): the result range s with the relations it keeps. */
function relatedResult(op: AluOp, code: number, off: number, is32: boolean, s: Scalar, dv: ScalarValue, sv: ScalarValue): ScalarValue {
  // x - floor(x / k) * k: clang's x % k (rem.ts).
  const rem = op === 'sub' && !is32 ? remainderRange(dv, sv) : undefined;
  if (rem) s = scalarMeet(s, rem) ?? s;
  let lenSlack: bigint | null = null;
  let isLen = false;
  if (!is32 && (op === 'add' || op === 'sub') && isConst(sv.s) && (dv.lenSlack !== null || dv.isLen)) {
    const c = toSigned(sv.s.umin);
    const base = dv.isLen ? 0n : dv.lenSlack!;
    // Only while the value does not wrap: the relation is about numbers, not residues.
    if (s.umax <= S64_MAX && dv.s.umax <= S64_MAX) lenSlack = op === 'add' ? base - c : base + c;
  }
  // A length-bounded number plus a bounded non-negative number (either order).
  if (!is32 && op === 'add' && lenSlack === null) lenSlack = sumSlack(dv, sv);
  if (!is32 && (op === 'and' || op === 'rsh' || op === 'div') && dv.lenSlack !== null && s.umax <= dv.s.umax) lenSlack = dv.lenSlack;
  if (!is32 && (op === 'and' || op === 'rsh' || op === 'div') && dv.isLen && s.umax <= dv.s.umax) lenSlack = 0n;
  if (op === 'add' && isConst(sv.s) && sv.s.umin === 0n) isLen = dv.isLen;
  // A count of q-byte words: len >> k is floor(len / 2^k), len / q (unsigned) is floor(len / q).
  let lenDiv: LenDiv | null = null;
  if (!is32 && dv.isLen && isConst(sv.s)) {
    if (op === 'rsh' && sv.s.umin < 64n) lenDiv = { q: 1n << sv.s.umin, m: 1n, s: 0n };
    else if (op === 'div' && off === 0 && sv.s.umin > 0n) lenDiv = { q: sv.s.umin, m: 1n, s: 0n };
  }
  const dd = dv.lenDiv;
  if (!is32 && dd !== null && isConst(sv.s) && dv.s.umax <= S64_MAX) {
    const c = sv.s.umin;
    // v <= m*F - s (F = floor(len / q)) moves with v by a constant, while nothing wraps.
    if ((op === 'add' || op === 'sub') && s.umax <= S64_MAX) lenDiv = { ...dd, s: op === 'add' ? dd.s - toSigned(c) : dd.s + toSigned(c) };
    // v * c <= c*m*F - c*s, and v << k the same with c = 2^k, while v * c does not wrap.
    const f = op === 'mul' && c > 0n && c <= 1n << 32n ? c : op === 'lsh' && c < 63n ? 1n << c : undefined;
    if (f !== undefined && dv.s.umax * f <= S64_MAX) lenDiv = { q: dd.q, m: dd.m * f, s: dd.s * f };
    // v >> k with 2^k dividing m: floor((m*F - s) / 2^k) = (m / 2^k)*F - ceil(s / 2^k).
    if (op === 'rsh' && c < 63n && dd.m % (1n << c) === 0n) {
      const a = 1n << c;
      lenDiv = { q: dd.q, m: dd.m / a, s: dd.s >= 0n ? (dd.s + a - 1n) / a : -(-dd.s / a) };
    }
    // v & c <= v.
    if (op === 'and') lenDiv = dd;
  }
  // A word bound with m <= q is a byte bound: m*F <= q*F <= len. When v is a multiple of A
  // (known low bits) and so is m*F, v <= m*F - s rounds down to m*F - A*ceil(s / A).
  if (lenDiv !== null && lenDiv.m <= lenDiv.q && s.umax <= S64_MAX) {
    let k = 0n;
    while (k < 12n && ((s.t.value | s.t.mask) >> k & 1n) === 0n) k++;
    const a = 1n << k;
    const al = lenDiv.m % a === 0n && lenDiv.s > 0n ? ((lenDiv.s + a - 1n) / a) * a : lenDiv.s;
    if (lenSlack === null || al > lenSlack) lenSlack = al;
  }
  const v = scalarValue(s, { lenSlack, isLen, lenDiv, tainted: dv.tainted || sv.tainted });
  // Only a copy (or a copy plus a constant) plus a constant keeps a link to the copy.
  const linked = (op === 'add' || op === 'sub') && isConst(sv.s) && (dv.id !== 0 || dv.sum !== undefined || dv.delta !== undefined);
  const sum = linked && op === 'add' ? addSum(dv, sv.s, is32) : undefined;
  const delta = linked && !is32 ? stepDelta(dv, code, sv.s) : undefined;
  const quot = !is32 ? stepQuot(dv, code, off, sv.s) : undefined;
  return sum || delta || quot ? { ...v, sum, delta, quot } : v;
}
