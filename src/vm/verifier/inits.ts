/**
 * Initialized ranges of stack arrays filled by a loop (the array domain the byte masks lack).
 *
 * A store at a variable offset cannot set the per-byte masks (state.ts): which bytes it wrote
 * depends on the run. But a loop that fills an array through a pointer it steps, as in
 *     for (p = t; p != t + 16; p++) *p = ...;
 * keeps an invariant relating the written bytes to that pointer: every byte of the frame in
 * [lo, p + e) was written on every path (lo and e constants). An `InitRange` records it:
 *   - a store of w bytes at p + d with d <= e extends it to [lo, p + max(e, d + w));
 *   - `p += k` keeps it with e - k (p's value moved, the bytes did not);
 *   - any other write to p, a call or an exit first turns it into masks: with p >= pmin (its
 *     range, tightened by p's affine relations with a counter, rels.ts), bytes [lo, pmin + e)
 *     were written, then the fact is gone.
 * A fact starts at a store through p while p is a constant (the bytes below it already written
 * extend it downwards), so the first trip of a loop, where p is still constant, creates it and
 * the loop head's join keeps it. Reads of the stack are initialized when the masks or a fact
 * cover them (PREVAIL's array domain keeps such ranges per cell; this is its one-pointer case).
 */
import { OPCODES, type Insn } from '../isa.js';
import { S64_MAX, S64_MIN, isConst, toSigned } from './scalar.js';
import type { PtrValue, State, Value } from './state.js';
import { step64 } from './rels.js';
import { writes } from './loops.js';

/** Bytes [lo, off(y) + e) of frame `frame` were all written, where off(y) is y's (signed) offset. */
export interface InitRange {
  readonly frame: number;
  readonly y: number;
  readonly lo: bigint;
  readonly e: bigint;
}

/** At most this many per state: one per array a loop fills at once is plenty. */
const MAX_INITS = 4;

function stackPtr(v: Value | undefined, frame?: number): PtrValue | undefined {
  return v && v.k === 'ptr' && v.region === 'stack' && !v.nullable && (frame === undefined || v.index === frame) ? v : undefined;
}

/**
 * The range of y's offset: its own, met with what each relation y = a*x + b gives from x's
 * range (exact when a*x + b stays inside the signed range for all of x, as reduceRels requires).
 */
function offRange(st: State, y: number, p: PtrValue): [bigint, bigint] {
  let lo = p.off.smin;
  let hi = p.off.smax;
  for (const r of st.rels ?? []) {
    if (r.y !== y || r.a <= 0n) continue;
    const xv = st.regs[r.x]!;
    if (xv.k !== 'scalar') continue;
    const b = toSigned(r.b);
    const rlo = r.a * xv.s.umin + b;
    const rhi = r.a * xv.s.umax + b;
    if (rlo < S64_MIN || rhi > S64_MAX) continue;
    if (rlo > lo) lo = rlo;
    if (rhi < hi) hi = rhi;
  }
  return [lo, hi];
}

/** Whether every byte of frame `frame` in [from, to) is set in its masks (empty ranges are). */
function masked(st: State, frame: number, from: bigint, to: bigint): boolean {
  if (to <= from) return true;
  const m = st.frames[frame]!.masks;
  const frameSize = m.length * 8;
  if (from < -BigInt(frameSize) || to > 0n) return false;
  for (let b = Number(from) + frameSize; b < Number(to) + frameSize; b++) if (!(m[b >> 3]! & (1 << (b & 7)))) return false;
  return true;
}

/** Sets the masks of [from, to) ∩ the frame (a copy: masks are shared between states). */
function setMasks(st: State, frame: number, from: bigint, to: bigint): void {
  const frameSize = st.frames[frame]!.masks.length * 8;
  const a = Math.max(Number(from < -BigInt(frameSize) ? -BigInt(frameSize) : from) + frameSize, 0);
  const z = Math.min(Number(to > 0n ? 0n : to) + frameSize, frameSize);
  if (z <= a) return;
  const f = st.frames[frame]!;
  const masks = f.masks.slice();
  for (let b = a; b < z; b++) masks[b >> 3] = masks[b >> 3]! | (1 << (b & 7));
  st.frames[frame] = { slots: f.slots, masks };
}

/** Whether `f` holds in st: a fact at least as strong, or y's whole range covered by the masks. */
function holds(st: State, f: InitRange): boolean {
  if (st.inits?.some((g) => g.frame === f.frame && g.y === f.y && g.lo <= f.lo && g.e >= f.e)) return true;
  const p = stackPtr(st.regs[f.y], f.frame);
  if (!p || f.frame >= st.frames.length) return false;
  const hi = offRange(st, f.y, p)[1];
  return masked(st, f.frame, f.lo, hi + f.e);
}

/** The facts true in both states (the join); when widening, a fact that weakened is dropped. */
export function joinInits(a: State, b: State, widen: boolean): readonly InitRange[] | undefined {
  if (!a.inits && !b.inits) return undefined;
  const out: InitRange[] = [];
  for (const f of a.inits ?? []) {
    const g = b.inits?.find((x) => x.frame === f.frame && x.y === f.y);
    if (g && g.lo <= f.lo && g.e >= f.e) out.push(f);
    else if (g && !widen) out.push({ ...f, lo: f.lo > g.lo ? f.lo : g.lo, e: f.e < g.e ? f.e : g.e });
    else if (!g && holds(b, f)) out.push(f);
  }
  for (const g of b.inits ?? []) {
    if (out.length >= MAX_INITS) break;
    if (a.inits?.some((x) => x.frame === g.frame && x.y === g.y)) continue;
    if (holds(a, g)) out.push(g);
  }
  return out.length ? out : undefined;
}

/** a ⊑ b for the facts: every fact of b holds in a. */
export function leqInits(a: State, b: State): boolean {
  return !b.inits || b.inits.every((f) => holds(a, f));
}

/** Whether a fact of st covers bytes [from, to) of frame `frame`. */
export function initsCover(st: State, frame: number, from: bigint, to: bigint): boolean {
  for (const f of st.inits ?? []) {
    if (f.frame !== frame || from < f.lo) continue;
    const p = stackPtr(st.regs[f.y], frame);
    if (p && to <= offRange(st, f.y, p)[0] + f.e) return true;
  }
  return false;
}

/** The fact written into the masks (bytes [lo, min off(y) + e)). */
function materialize(st: State, f: InitRange): void {
  const p = stackPtr(st.regs[f.y], f.frame);
  if (!p || f.frame >= st.frames.length) return;
  setMasks(st, f.frame, f.lo, offRange(st, f.y, p)[0] + f.e);
}

const ENDS_FACTS = new Set(['call', 'callx', 'exit']);

/**
 * Before the instruction: the facts on a register it overwrites (other than by a constant step)
 * go into the masks and are dropped; a call or an exit does that to all of them (a callee sees
 * masks only, and a function's exit state keeps only masks for its caller).
 */
export function initsBefore(insn: Insn, st0: State): State {
  const inits = st0.inits;
  if (!inits) return st0;
  const kind = OPCODES.get(insn.opcode)?.kind ?? 'exit';
  const all = ENDS_FACTS.has(kind);
  const w = all ? [] : writes(insn);
  const stepping = step64(insn) !== undefined;
  const keep: InitRange[] = [];
  let st: State | undefined;
  for (const f of inits) {
    if (!all && (!w.includes(f.y) || (stepping && insn.dst === f.y))) {
      keep.push(f);
      continue;
    }
    st ??= { ...st0, frames: st0.frames.slice() };
    materialize(st, f);
  }
  if (!st) return st0;
  st.inits = keep.length ? keep : undefined;
  return st;
}

/**
 * After the instruction (on each successor's state): a store through a stack pointer (not r10,
 * whose stores the masks already place) extends or starts its fact, a constant step moves it.
 */
export function initsAfter(insn: Insn, before: State, after: State): State {
  const kind = OPCODES.get(insn.opcode)?.kind;
  const y = insn.dst;
  if (kind === 'st' || kind === 'stx') {
    const p = stackPtr(before.regs[y]);
    if (y === 10 || !p) return after;
    const d = BigInt(insn.off);
    const w = BigInt(OPCODES.get(insn.opcode)!.size!);
    const list = (after.inits ?? []).slice();
    const i = list.findIndex((f) => f.y === y);
    const old = i >= 0 ? list[i]! : undefined;
    if (old && old.frame === p.index && d <= old.e) {
      if (d + w > old.e) list[i] = { ...old, e: d + w };
      else return after;
    } else if (isConst(p.off)) {
      // Start (or restart) at the constant address: the fact reaches down over bytes the masks
      // already hold, so a loop's first trip (p still constant) yields the loop's invariant.
      const frameSize = after.frames[p.index]!.masks.length * 8;
      const c = toSigned(p.off.umin);
      let lo = c + d;
      if (lo < -BigInt(frameSize) || lo + w > 0n) return after;
      while (lo > -BigInt(frameSize) && masked(after, p.index, lo - 1n, lo)) lo--;
      const f: InitRange = { frame: p.index, y, lo, e: d + w };
      if (i >= 0) list[i] = f;
      else if (list.length < MAX_INITS) list.push(f);
      else return after;
    } else return after;
    return { ...after, inits: list };
  }
  const k = step64(insn);
  if (k === undefined || !after.inits) return after;
  const i = after.inits.findIndex((f) => f.y === y);
  if (i < 0) return after;
  const f = after.inits[i]!;
  const p = stackPtr(before.regs[y], f.frame);
  const q = stackPtr(after.regs[y], f.frame);
  const list = after.inits.slice();
  // off(y) moves by k exactly only while it does not leave the signed range.
  if (p && q && p.off.smin + k >= S64_MIN && p.off.smax + k <= S64_MAX) list[i] = { ...f, e: f.e - k };
  else list.splice(i, 1);
  return { ...after, inits: list.length ? list : undefined };
}
