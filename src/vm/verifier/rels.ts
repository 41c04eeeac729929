/**
 * Affine relations between registers (state.ts' Rel) through instructions, and what they prove.
 * A relation y = a*x + b (mod 2^64) survives the steps `x += k` and `y += k` (b moves by -a*k or
 * by k) and dies with any other write to either register; reduceRels turns the range of x, and
 * its bound by the context length, into a range and a length bound for y.
 */
import { ALU_ADD, ALU_MOV, ALU_SUB, BPF_ALU64, BPF_K, BPF_X, OPCODES, aluCode, insnClass, type Insn } from '../isa.js';
import { S64_MAX, SCALAR_UNKNOWN, scalarMeet, toSigned } from './scalar.js';
import { relKind, type Rel, type State } from './state.js';
import { writes } from './loops.js';

const U64M = (1n << 64n) - 1n;

/** `r += k` / `r -= k` on 64 bits with a constant k: the signed step, else undefined. */
export function step64(insn: Insn): bigint | undefined {
  if (insnClass(insn.opcode) !== BPF_ALU64 || (insn.opcode & 0x08) !== BPF_K) return undefined;
  const code = aluCode(insn.opcode);
  if (code === ALU_ADD) return BigInt(insn.imm);
  if (code === ALU_SUB) return -BigInt(insn.imm);
  return undefined;
}

/** At most this many relations after a copy (state.ts keeps as many at joins). */
const MAX_COPIED = 8;

/** `dst = src` on 64 bits, registers only (no sign extension). */
function isCopy(insn: Insn): boolean {
  return insn.opcode === (BPF_ALU64 | BPF_X | ALU_MOV) && insn.off === 0;
}

/**
 * A 64-bit copy that the next instruction offsets by a constant (`n = pos; n += 8`): worth the
 * relation n = pos + 0, which the step turns into n = pos + 8. A plain copy needs none (copies
 * share an id, and a comparison refines them all), so no other copy pays for one.
 */
export function offsetCopy(insn: Insn, next: Insn | undefined): boolean {
  return isCopy(insn) && insn.src !== insn.dst && next !== undefined && next.dst === insn.dst && step64(next) !== undefined;
}

/**
 * The relations of `before` that still hold in `after`, the state one instruction later;
 * `link`: the instruction is an offsetCopy, which also relates its two registers.
 */
export function updateRels(insn: Insn, after: State, link = false): State {
  const rels = after.rels ?? (link ? [] : undefined);
  if (!rels) return after;
  if (OPCODES.get(insn.opcode)?.kind === 'call') return { ...after, rels: undefined };
  const w = writes(insn);
  const k = step64(insn);
  const out: Rel[] = [];
  let same = true;
  for (const r0 of rels) {
    let r: Rel | undefined = r0;
    if (w.includes(r.y)) r = k !== undefined && insn.dst === r.y ? { ...r, b: (r.b + k) & U64M } : undefined;
    if (r && w.includes(r.x)) r = k !== undefined && insn.dst === r.x ? { ...r, b: (r.b - r.a * k) & U64M } : undefined;
    // A register that changed kind (a NULL check, a failed pointer operation) has no relation.
    if (r && relKind(after.regs[r.y]!) === r.ptr && after.regs[r.x]!.k === 'scalar') out.push(r);
    else same = false;
    if (r !== r0) same = false;
  }
  // A copy `dst = src` (64-bit) inherits src's relations: the inner loop of insertion_sort
  // starts `p = base + 4*i; j = i` and steps both, so p = 4*j holds from its first trip.
  if (isCopy(insn) && insn.src !== insn.dst) {
    // And a copy of a number is that number plus 0: `n = pos; n += 8; if (n > len) ...` then
    // bounds pos through backRels (the Linux verifier links such registers by id and delta).
    const sv = after.regs[insn.src]!;
    if (link && sv.k === 'scalar' && out.length < MAX_COPIED) {
      out.push({ y: insn.dst, x: insn.src, a: 1n, b: 0n, ptr: null });
      same = false;
    }
    for (const r of rels) {
      if (out.length >= MAX_COPIED) break;
      const c = r.y === insn.src && r.x !== insn.dst ? { ...r, y: insn.dst } : r.x === insn.src && r.y !== insn.dst ? { ...r, x: insn.dst } : undefined;
      if (c && relKind(after.regs[c.y]!) === c.ptr && after.regs[c.x]!.k === 'scalar') {
        out.push(c);
        same = false;
      }
    }
  }
  // Most instructions touch neither register: the state keeps its list.
  if (same) return after;
  return { ...after, rels: out.length ? out : undefined };
}

/**
 * What the relations say of y, knowing x's range: y = a*x + b exactly when that value cannot
 * leave the signed range over all of x (it is then y's only representative), and, when x is a
 * bounded count of q-byte words (x <= m*floor(len / q) - s) and 0 < a*m <= q, y <= a*m*floor(len/q)
 * - a*s + b <= len - (a*s - b): the byte bound of `p = base + a*i` while `i < len / q`.
 */
export function reduceRels(st0: State, insn: Insn): State {
  const rels = st0.rels;
  if (!rels) return st0;
  let st: State | undefined;
  for (const r of rels) {
    // Only where the instruction names y (a base, an operand, a comparison): the bound is used
    // nowhere else, and the relation itself stays in the state for the next instruction.
    if (r.a <= 0n || (insn.dst !== r.y && insn.src !== r.y)) continue;
    const cur = st ?? st0;
    const xv = cur.regs[r.x]!;
    const yv = cur.regs[r.y]!;
    if (xv.k !== 'scalar' || (yv.k !== 'scalar' && yv.k !== 'ptr')) continue;
    const b = toSigned(r.b);
    const lo = r.a * xv.s.umin + b;
    const hi = r.a * xv.s.umax + b;
    if (lo < -(1n << 63n) || hi > S64_MAX) continue;
    let slack: bigint | null = null;
    if (lo >= 0n && xv.s.umax <= S64_MAX) {
      if (xv.lenDiv !== null && r.a * xv.lenDiv.m <= xv.lenDiv.q) slack = r.a * xv.lenDiv.s - b;
      if (xv.lenSlack !== null && r.a === 1n && (slack === null || xv.lenSlack - b > slack)) slack = xv.lenSlack - b;
    }
    const range = { ...SCALAR_UNKNOWN, smin: lo, smax: hi };
    st ??= { ...st0, regs: st0.regs.slice() };
    if (yv.k === 'scalar') {
      const s = scalarMeet(yv.s, range);
      if (!s) continue;
      st.regs[r.y] = { ...yv, s, lenSlack: slack === null ? yv.lenSlack : yv.lenSlack === null || slack > yv.lenSlack ? slack : yv.lenSlack };
    } else {
      const off = scalarMeet(yv.off, range);
      if (!off) continue;
      const ctx = yv.region === 'ctx' && slack !== null;
      st.regs[r.y] = { ...yv, off, offSlack: ctx ? (yv.offSlack === null || slack! > yv.offSlack ? slack : yv.offSlack) : yv.offSlack };
    }
  }
  return st ?? st0;
}

/**
 * After a branch that named y, what it learned of y passes to x when y = x + b (a = 1): x = y - b
 * exactly when that cannot wrap over y's range, and y <= len - s gives x <= len - (s + b). The
 * loop `while (pos + 8 <= len) { ...; pos += n }` compares a copy of pos plus 8, not pos.
 */
export function backRels(insn: Insn, st: State): State {
  const rels = st.rels;
  if (!rels) return st;
  let out: State | undefined;
  for (const r of rels) {
    if (r.a !== 1n || (insn.dst !== r.y && insn.src !== r.y)) continue;
    const cur = out ?? st;
    const xv = cur.regs[r.x]!;
    const yv = cur.regs[r.y]!;
    if (xv.k !== 'scalar') continue;
    const b = toSigned(r.b);
    let lo: bigint;
    let hi: bigint;
    let slack: bigint | null;
    if (yv.k === 'scalar') {
      lo = yv.s.umin - b;
      hi = yv.s.umax - b;
      slack = yv.isLen ? 0n : yv.lenSlack;
    } else if (yv.k === 'ptr' && r.ptr !== null) {
      lo = yv.off.smin - b;
      hi = yv.off.smax - b;
      slack = yv.region === 'ctx' && yv.off.smin >= 0n ? yv.offSlack : null;
    } else continue;
    if (lo < 0n || hi > U64M) continue;
    const s = scalarMeet(xv.s, { ...SCALAR_UNKNOWN, umin: lo, umax: hi });
    if (!s) continue;
    const lenSlack = slack === null ? xv.lenSlack : xv.lenSlack === null || slack + b > xv.lenSlack ? slack + b : xv.lenSlack;
    out ??= { ...st, regs: st.regs.slice() };
    out.regs[r.x] = { ...xv, s, lenSlack };
  }
  return out ?? st;
}
