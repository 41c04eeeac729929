/**
 * A loop counter that moves between registers (loops.ts' second way to bound a loop). clang
 * often steps a counter through a copy and writes it back (`s = r; s += 1; if w(r) > 998 ...;
 * r = s`: inspect/streams and sack) or parks it in a temporary while it reuses the register
 * (`t = pos; pos = ...; pos = t`: varint's encode loop), so no single register is only ever
 * stepped. Here the value r holds at the loop head is followed along every path around the loop:
 * each register is either "that value plus d" for d in a known interval, or unknown. When every
 * back edge brings r back as the head's value plus d with d >= 1 on all of them (or d <= -1 on
 * all), and the head's range of r leaves room for the largest step without wrapping modulo
 * 2^64 (RFC 9669 §4.1: ALU64 adds wrap), r's head value strictly moves inside that range on every
 * trip, which bounds the trips by the range's width over the smallest step, plus one.
 */
import { ALU_ADD, ALU_MOV, ALU_SUB, BPF_ALU64, BPF_K, BPF_X, aluCode, insnClass, type Insn } from '../isa.js';
import { U64 } from './tnum.js';
import { toSigned } from './scalar.js';
import type { State } from './state.js';
import type { Env } from './pass.js';
import { writes, type LoopInfo } from './loops.js';
import { SLOT_BASE, spillStep, type Delta, type Locs, type SpillSlots } from './spills.js';


/** Passes over the body before giving up. */
const MAX_ROUNDS = 12;
/**
 * Passes after which a location whose offset still changes becomes unrelated (widening): an inner
 * loop that steps a copy of the value (`p = c; while (...) p++`) would otherwise grow its
 * interval on every pass. Only the followed register's offsets at the back edges decide the
 * bound, so forgetting a location loses precision, never soundness.
 */
const WIDEN_AFTER = 3;
/** Offsets beyond this are dropped: far from any real counter, and it keeps the arithmetic small. */
const MAX_DELTA = 1n << 40n;

const COPY64 = BPF_ALU64 | BPF_X | ALU_MOV;

function hull(a: Delta, b: Delta): Delta {
  if (!a || !b) return null;
  return [a[0] < b[0] ? a[0] : b[0], a[1] > b[1] ? a[1] : b[1]];
}

/** old joined with out (widened: unrelated if it moved), or undefined when that is old itself (no allocation on the common path). */
function joinLocs(old: Locs, out: Locs, widen: boolean): Locs | undefined {
  let res: Delta[] | undefined;
  for (let i = 0; i < old.length; i++) {
    const x = old[i]!;
    const y = out[i]!;
    if (x === y) continue;
    const h = hull(x, y);
    if (h === x || (h && x && h[0] === x[0] && h[1] === x[1])) continue;
    (res ??= old.slice())[i] = widen ? null : h;
  }
  return res;
}

/**
 * Where the followed value is after insn, given where it was before; st: the analysis' state
 * before insn, whose range of a register added to the value (`pos += n`, n in [1, 2]) moves it
 * by that range.
 */
function transfer(env: Env, sp: SpillSlots, insn: Insn, locs: Locs, st: State | undefined): Locs {
  // The followed value through the frame's slots (spills.ts): spilled and loaded back.
  const spilled = spillStep(env, sp, insn, locs, st);
  if (spilled.loaded) return spilled.locs;
  const before = spilled.locs;
  const w = writes(insn);
  if (w.length === 0) return before;
  const out = before.slice();
  if (insn.opcode === COPY64 && insn.off === 0) {
    out[insn.dst] = before[insn.src]!;
    return out;
  }
  const cls = insnClass(insn.opcode);
  const code = aluCode(insn.opcode);
  const d = before[insn.dst];
  if (cls === BPF_ALU64 && (insn.opcode & 0x08) === BPF_K && (code === ALU_ADD || code === ALU_SUB) && d) {
    const k = BigInt(code === ALU_ADD ? insn.imm : -insn.imm);
    const lo = d[0] + k;
    const hi = d[1] + k;
    out[insn.dst] = lo < -MAX_DELTA || hi > MAX_DELTA ? null : [lo, hi];
    return out;
  }
  if (cls === BPF_ALU64 && (insn.opcode & 0x08) === BPF_X && (code === ALU_ADD || code === ALU_SUB) && insn.src !== insn.dst) {
    // Numbers only, and the other operand's range small enough that the offset stays exact:
    // `pos += n` with n in [1, 8] moves pos by [1, 8]; `n += pos` (clang's commuted form) makes n
    // the value moved by n's range.
    const sv = st?.regs[insn.src];
    const dv = st?.regs[insn.dst];
    const s = before[insn.src];
    if (sv?.k === 'scalar' && dv?.k === 'scalar') {
      let moved: Delta = null;
      if (d && sv.s.umax <= MAX_DELTA) moved = code === ALU_ADD ? [d[0] + sv.s.umin, d[1] + sv.s.umax] : [d[0] - sv.s.umax, d[1] - sv.s.umin];
      else if (!d && s && code === ALU_ADD && dv.s.umax <= MAX_DELTA) moved = [s[0] + dv.s.umin, s[1] + dv.s.umax];
      out[insn.dst] = moved && moved[0] >= -MAX_DELTA && moved[1] <= MAX_DELTA ? moved : null;
      return out;
    }
  }
  for (const r of w) out[r] = null;
  return out;
}

/**
 * The trips a loop can make by the value r holds at its head, or undefined when that value is
 * not carried around the loop by a constant step of one sign without wrapping.
 */
export function carriedBound(env: Env, loop: LoopInfo, order: readonly number[], sp: SpillSlots, states: readonly (State | undefined)[], fnStart: number, r: number, why: string[]): bigint | undefined {
  const head = states[loop.head - fnStart]!;
  const v = head.regs[r]!;
  if (v.k !== 'scalar') return undefined;
  const { succ, insns, wideTail } = env.shape;
  const start: Locs = new Array<Delta>(SLOT_BASE + sp.slots.length).fill(null);
  start[r] = [0n, 0n];
  // Registers the head state relates to r (q = r + b) start as that offset: varint's encode loop
  // enters with n = pos + 8 from its exit test and, on one path, restores pos from n.
  for (const rel of head.rels ?? []) {
    if (rel.a !== 1n || rel.ptr !== null || head.regs[rel.y]!.k !== 'scalar' || head.regs[rel.x]!.k !== 'scalar') continue;
    const b = toSigned(rel.b);
    if (b < -MAX_DELTA || b > MAX_DELTA) continue;
    if (rel.x === r && rel.y !== r) start[rel.y] = [b, b];
    else if (rel.y === r && rel.x !== r) start[rel.x] = [-b, -b];
  }
  for (let q = 0; q < 11; q++) {
    const w = head.regs[q]!;
    if (q !== r && w.k === 'scalar' && w.id !== 0 && w.id === v.id) start[q] = [0n, 0n]; // a copy (one id)
  }
  const at = new Map<number, Locs>([[loop.head, start]]);
  let back: Delta | undefined;
  // Rounds over the body in reverse postorder: one suffices without inner loops; locations an
  // inner loop keeps moving are widened to unrelated after WIDEN_AFTER rounds.
  for (let round = 0, changed = true; changed; round++) {
    if (round === MAX_ROUNDS) return undefined;
    changed = false;
    for (const pc of order) {
      const inLocs = at.get(pc);
      if (!inLocs) continue;
      const out = wideTail[pc] ? inLocs : transfer(env, sp, insns[pc]!, inLocs, states[pc - fnStart]);
      for (const s of succ[pc]!) {
        if (!loop.body.has(s)) continue; // leaves the loop
        if (s === loop.head) {
          back = back === undefined ? out[r]! : hull(back, out[r]!);
          continue;
        }
        const old = at.get(s);
        const joined = old ? joinLocs(old, out, round >= WIDEN_AFTER) : out;
        if (!joined) continue;
        at.set(s, joined);
        changed = true;
      }
    }
  }
  if (!back) return undefined;
  const [lo, hi] = back;
  const up = lo >= 1n;
  if (!up && hi > -1n) {
    if (hi !== 0n || lo !== 0n) why.push(`r${r} comes back to the loop head moved by [${lo}, ${hi}]`);
    return undefined;
  }
  // No wrap: the head's value plus the largest step stays inside 64 bits.
  if (up ? v.s.umax + hi > U64 : v.s.umin + lo < 0n) {
    why.push(`r${r} may wrap around (range [${v.s.umin}, ${v.s.umax === U64 ? 'max' : v.s.umax}] at the loop head)`);
    return undefined;
  }
  const kmin = up ? lo : -hi;
  return (v.s.umax - v.s.umin) / kmin + 1n;
}
