/**
 * Which accesses of a basic block provably stay inside the current stack frame, so need no
 * region check: a small abstract interpretation over the block, tracking for each register
 * either "r10 plus an offset in [lo, hi]" or "an integer in [lo, hi]" (below 2^53, so JavaScript
 * numbers are exact). Typical clang output indexes a stack table this way:
 * `r5 = r10; r5 += -64; r4 &= 15; r4 <<= 2; r5 += r4; ldxw [r5]`.
 *
 * Any frame lies inside the stack region whatever the call depth (all nine frames form one
 * writable region), so r10 + [-frameSize, 0) is always accessible. Nothing is assumed at the
 * block's entry but r10 itself, so the analysis needs no fixpoint.
 */
import { ALU_ADD, ALU_AND, ALU_LSH, ALU_MOV, ALU_RSH, ALU_SUB, CALL_LOCAL, type Insn, type OpInfo } from '../isa.js';
import type { Block } from './cfg.js';

type Value = { t: 'fp' | 'int'; lo: number; hi: number } | undefined;

const LIMIT = 2 ** 53;
/** r10 at a block's entry (values are never changed in place, so one object serves every block). */
const FP: Value = { t: 'fp', lo: 0, hi: 0 };
const U32_MAX = 0xffffffff;

function int(lo: number, hi: number): Value {
  return lo >= 0 && hi < LIMIT && lo <= hi ? { t: 'int', lo, hi } : undefined;
}

function add(a: Value, b: Value): Value {
  if (!a || !b) return undefined;
  if (a.t === 'int' && b.t === 'int') return int(a.lo + b.lo, a.hi + b.hi);
  const [p, q] = a.t === 'fp' ? [a, b] : [b, a];
  if (p.t !== 'fp' || q.t !== 'int') return undefined;
  return { t: 'fp', lo: p.lo + q.lo, hi: p.hi + q.hi };
}

/** A 32-bit operation sees the low 32 bits: an integer known below 2^32, else anything below it. */
function low32(v: Value): Value {
  return v?.t === 'int' && v.hi <= U32_MAX ? v : int(0, U32_MAX);
}

function alu(i: Insn, op: OpInfo, regs: Value[]): Value {
  const code = i.opcode & 0xf0;
  let src: Value = op.srcReg ? regs[i.src] : int(op.is32 ? i.imm >>> 0 : i.imm, op.is32 ? i.imm >>> 0 : i.imm);
  let dst = regs[i.dst];
  if (op.is32) {
    src = low32(src);
    dst = low32(dst);
  }
  // 64-bit add/sub of a (sign-extended) immediate moves a pointer or an integer by that much.
  const k = !op.srcReg && !op.is32 && (code === ALU_ADD || code === ALU_SUB) ? (code === ALU_ADD ? i.imm : -i.imm) : undefined;
  // Shift counts are masked to the operation's width (RFC 9669 §4.1).
  const shift = i.imm & (op.is32 ? 31 : 63);
  let v: Value;
  switch (code) {
    case ALU_MOV:
      v = i.off === 0 ? src : undefined;
      break;
    case ALU_ADD:
    case ALU_SUB:
      if (k !== undefined) v = dst?.t === 'fp' ? { t: 'fp', lo: dst.lo + k, hi: dst.hi + k } : dst ? int(dst.lo + k, dst.hi + k) : undefined;
      else if (code === ALU_ADD) v = add(dst, src);
      else v = dst?.t === 'fp' && src?.t === 'int' ? { t: 'fp', lo: dst.lo - src.hi, hi: dst.hi - src.lo } : undefined;
      break;
    case ALU_AND:
      v = src?.t === 'int' ? int(0, dst?.t === 'int' ? Math.min(dst.hi, src.hi) : src.hi) : undefined;
      break;
    case ALU_LSH:
      v = !op.srcReg && dst?.t === 'int' ? int(dst.lo * 2 ** shift, dst.hi * 2 ** shift) : undefined;
      break;
    case ALU_RSH:
      v = !op.srcReg && dst?.t === 'int' ? int(Math.floor(dst.lo / 2 ** shift), Math.floor(dst.hi / 2 ** shift)) : undefined;
      break;
    default:
      v = undefined;
  }
  // A 32-bit operation's result is zero-extended: within [0, 2^32) whatever it computed.
  if (op.is32) return v?.t === 'int' && v.hi <= U32_MAX ? v : int(0, U32_MAX);
  return v;
}

/** Block indices of the loads, stores and atomics that provably stay inside the current frame. */
export function frameAccesses(block: Block, insns: Insn[], info: (OpInfo | undefined)[], frameSize: number): Set<number> {
  const out = new Set<number>();
  const regs: Value[] = [undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined, FP];
  const pcs = block.pcs;
  for (let idx = 0; idx < pcs.length; idx++) {
    const pc = pcs[idx]!;
    const i = insns[pc]!;
    const op = info[pc]!;
    const load = op.kind === 'ldx' || op.kind === 'ldxs';
    if (load || op.kind === 'st' || op.kind === 'stx' || op.kind === 'atomic') {
      const b = regs[load ? i.src : i.dst];
      if (b?.t === 'fp' && b.lo + i.off >= -frameSize && b.hi + i.off + op.size! <= 0) out.add(idx);
    }
    switch (op.kind) {
      case 'alu':
        regs[i.dst] = alu(i, op, regs);
        break;
      case 'ldx':
        regs[i.dst] = op.size === 8 ? undefined : int(0, 2 ** (8 * op.size!) - 1);
        break;
      case 'atomic':
        // Fetch forms write src, cmpxchg writes r0: forget both.
        regs[i.src] = undefined;
        regs[0] = undefined;
        break;
      case 'call':
        regs[0] = undefined;
        if (i.src === CALL_LOCAL) regs.fill(undefined, 1, 6);
        break;
      case 'callx':
        regs[0] = undefined;
        break;
      case 'st':
      case 'stx':
        break;
      default:
        // neg, end, lddw, ldxs and anything else: an unknown value in dst.
        if (op.kind !== 'ja' && op.kind !== 'ja32' && op.kind !== 'jcond' && op.kind !== 'exit') regs[i.dst] = undefined;
    }
  }
  return out;
}
