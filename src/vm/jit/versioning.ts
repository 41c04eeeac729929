/**
 * Loop versioning: region checks hoisted out of small innermost loops.
 *
 * For a natural loop whose accesses use addresses affine in the iteration count t (affine.ts)
 * and whose trip count an exit test bounds (an affine value compared with a loop-invariant one),
 * the loop is copied. A guard block on the way in computes, from the registers at the loop's
 * entry, the last iteration t* that can start and, for each group of accesses, the whole address
 * range the iterations 0..t* could touch (a superset); when every range lies inside one region
 * (writable where the group writes), the copy runs, without those accesses' checks; otherwise
 * the original loop runs, every check in place. Both copies are the same instructions with the
 * same fuel segments and checkpoints (fuel.ts), so fuel, faults and bails stay the
 * interpreter's: the guard only chooses which copy runs, never changes what a run does.
 *
 * Soundness of the guard rests on true integers: it requires entry values below 2^40 and t*
 * below 2^32, and steps and coefficients are small (affine.ts), so neither the comparisons of
 * the exit test nor the addresses wrap modulo 2^64 for t in 0..t*, and an address range inside a
 * region (all below 2^32) is then exactly the set of addresses the eBPF code computes.
 */
import { JMP_JEQ, JMP_JGE, JMP_JGT, JMP_JLE, JMP_JLT, JMP_JNE, JMP_JSGE, JMP_JSGT, JMP_JSLE, JMP_JSLT, type Insn, type OpInfo } from '../isa.js';
import { K, T, constant, register, registerFree, sameForm, stepForms, type Form } from './affine.js';
import { orderBlocks, type Block, type Cfg, type DecodedProgram } from './cfg.js';

/** The exit test's value is `v0 + step · t`; the loop stays while `value rel limit`. */
export type Relation = '<' | '<=' | '>' | '>=' | '!=';

export interface TripTest {
  v0: Form;
  step: number;
  limit: Form;
  rel: Relation;
  /** A signed comparison (an unsigned one also needs every value non-negative). */
  signed: boolean;
}

/** Accesses at `base + step · t + [lo, hi)` for t in 0..t*; `base` holds register coefficients only. */
export interface RangeCheck {
  base: Form;
  step: number;
  lo: number;
  hi: number;
  write: boolean;
}

export interface LoopGuard {
  trip: TripTest;
  ranges: RangeCheck[];
}

/** Versioning only pays where a loop is hot and small; bigger ones would cost code size. */
const MAX_BLOCKS = 8;
const MAX_INSNS = 64;
/** Slots of all the copies of one function together. */
const MAX_COPIED = 256;
/** |step| bound: with t* < 2^32 the products stay below 2^48. */
const MAX_STEP = 2 ** 16;

const RELATION: ReadonlyMap<number, '<' | '<=' | '>' | '>=' | '!=' | '=='> = new Map([
  [JMP_JLT, '<'], [JMP_JSLT, '<'], [JMP_JLE, '<='], [JMP_JSLE, '<='], [JMP_JGT, '>'], [JMP_JSGT, '>'],
  [JMP_JGE, '>='], [JMP_JSGE, '>='], [JMP_JNE, '!='], [JMP_JEQ, '=='],
] as const);
const SIGNED = new Set([JMP_JSLT, JMP_JSLE, JMP_JSGT, JMP_JSGE]);
const NEGATED = { '<': '>=', '<=': '>', '>': '<=', '>=': '<', '!=': '==', '==': '!=' } as const;
const SWAPPED = { '<': '>', '<=': '>=', '>': '<', '>=': '<=', '!=': '!=', '==': '==' } as const;

function isAccess(op: OpInfo): boolean {
  return op.kind === 'ldx' || op.kind === 'ldxs' || op.kind === 'st' || op.kind === 'stx' || op.kind === 'atomic';
}

interface Loop {
  header: number;
  latch: number;
  /** Block indices, ascending (reverse postorder: the header first). */
  body: number[];
}

/** Innermost natural loops with one back edge, small and free of calls. */
function innerLoops(cfg: Cfg, prog: DecodedProgram): Loop[] {
  const blocks = cfg.blocks;
  const loops: Loop[] = [];
  for (let h = 1; h < blocks.length; h++) {
    const back = blocks[h]!.preds.filter((p) => p >= h);
    if (back.length !== 1) continue;
    const latch = back[0]!;
    const inLoop = new Set([h]);
    const work = [latch];
    while (work.length > 0 && inLoop.size <= MAX_BLOCKS) {
      const b = work.pop()!;
      if (inLoop.has(b)) continue;
      inLoop.add(b);
      work.push(...blocks[b]!.preds);
    }
    if (inLoop.size > MAX_BLOCKS) continue;
    const body = [...inLoop].sort((a, b) => a - b);
    let insns = 0;
    let ok = true;
    for (const b of body) {
      const blk = blocks[b]!;
      insns += blk.pcs.length;
      // Another back edge inside: not innermost (or not one loop).
      if (b !== h && blk.preds.some((p) => p >= b)) ok = false;
      for (const pc of blk.pcs) {
        const k = prog.info[pc]!.kind;
        if (k === 'call' || k === 'callx') ok = false;
      }
    }
    if (ok && insns <= MAX_INSNS) loops.push({ header: h, latch, body });
  }
  return loops;
}

/** Forms at the end of each loop block, and at each access, from the header's forms. */
function evaluate(cfg: Cfg, prog: DecodedProgram, loop: Loop, entry: (Form | undefined)[], atAccess?: (b: number, k: number, regs: (Form | undefined)[]) => void): Map<number, (Form | undefined)[]> {
  const out = new Map<number, (Form | undefined)[]>();
  for (const b of loop.body) {
    let regs: (Form | undefined)[];
    if (b === loop.header) regs = entry.slice();
    else {
      // Forward predecessors only: inside the loop, all of them were evaluated before.
      const preds = cfg.blocks[b]!.preds;
      regs = out.get(preds[0]!)!.slice();
      for (let j = 1; j < preds.length; j++) {
        const other = out.get(preds[j]!)!;
        for (let r = 0; r <= 10; r++) if (!sameForm(regs[r], other[r])) regs[r] = undefined;
      }
    }
    const pcs = cfg.blocks[b]!.pcs;
    for (let k = 0; k < pcs.length; k++) {
      const i = prog.insns[pcs[k]!]!;
      const op = prog.info[pcs[k]!]!;
      if (atAccess && isAccess(op)) atAccess(b, k, regs);
      stepForms(i, op, regs);
    }
    out.set(b, regs);
  }
  return out;
}

/** The stay condition of exit block b, with its affine side first, or undefined. */
function tripTest(cfg: Cfg, prog: DecodedProgram, inLoop: Set<number>, b: number, regs: (Form | undefined)[]): TripTest | undefined {
  const blk = cfg.blocks[b]!;
  if (blk.exit.kind !== 'cond' || blk.succs.length !== 2) return undefined;
  const exitsTaken = !inLoop.has(blk.succs[0]!);
  if (exitsTaken === !inLoop.has(blk.succs[1]!)) return undefined;
  const pc = blk.pcs[blk.pcs.length - 1]!;
  const i: Insn = prog.insns[pc]!;
  const op = prog.info[pc]!;
  // JMP32 compares truncated values, which affine forms do not describe.
  if (op.is32) return undefined;
  let rel = RELATION.get(i.opcode & 0xf0);
  if (!rel) return undefined;
  if (exitsTaken) rel = NEGATED[rel];
  let v = regs[i.dst];
  let limit = op.srcReg ? regs[i.src] : constant(i.imm);
  if (!v || !limit) return undefined;
  if (v[T] === 0) {
    [v, limit] = [limit, v];
    rel = SWAPPED[rel];
  }
  const step = v[T]!;
  if (step === 0 || limit[T] !== 0 || Math.abs(step) > MAX_STEP) return undefined;
  if (rel === '==' || (step > 0 && (rel === '>' || rel === '>=')) || (step < 0 && (rel === '<' || rel === '<='))) return undefined;
  const v0 = v.slice();
  v0[T] = 0;
  return { v0, step, limit, rel, signed: SIGNED.has(i.opcode & 0xf0) };
}

/** The guard for one loop, and per loop block the access indices it covers; undefined if none. */
function planLoop(cfg: Cfg, prog: DecodedProgram, loop: Loop, proven: ReadonlySet<number> | undefined): { guard: LoopGuard; covered: Map<number, Set<number>> } | undefined {
  const inLoop = new Set(loop.body);
  // Pass 1: which registers step by a constant per iteration (invariants step by 0).
  const self: (Form | undefined)[] = [];
  for (let r = 0; r <= 10; r++) self.push(register(r, 0));
  const end = evaluate(cfg, prog, loop, self).get(loop.latch)!;
  const entry: (Form | undefined)[] = [];
  for (let r = 0; r <= 10; r++) {
    const f = end[r];
    let own = f !== undefined && f[r] === 1 && f[T] === 0;
    for (let q = 0; own && q <= 10; q++) if (q !== r && f![q] !== 0) own = false;
    entry.push(own && Math.abs(f![K]!) <= MAX_STEP ? register(r, f![K]!) : undefined);
  }
  // Pass 2: the forms of the accesses and of the exit tests.
  const groups = new Map<string, RangeCheck>();
  const covered = new Map<number, Set<number>>();
  const ends = evaluate(cfg, prog, loop, entry, (b, k, regs) => {
    const pc = cfg.blocks[b]!.pcs[k]!;
    if (proven?.has(pc)) return; // no check to hoist
    const i = prog.insns[pc]!;
    const op = prog.info[pc]!;
    const load = op.kind === 'ldx' || op.kind === 'ldxs';
    const f = regs[load ? i.src : i.dst];
    // Stack accesses are left to ranges.ts; a register-free address is not a pointer.
    if (!f || f[10] !== 0 || registerFree(f) || Math.abs(f[T]!) > MAX_STEP) return;
    const base = f.slice();
    base[T] = 0;
    base[K] = 0;
    const key = `${Array.from(base).join(',')}:${f[T]}`;
    const lo = f[K]! + i.off;
    const hi = lo + op.size!;
    const g = groups.get(key);
    if (g) {
      g.lo = Math.min(g.lo, lo);
      g.hi = Math.max(g.hi, hi);
      g.write ||= !load;
    } else groups.set(key, { base, step: f[T]!, lo, hi, write: !load });
    let set = covered.get(b);
    if (!set) covered.set(b, (set = new Set()));
    set.add(k);
  });
  if (groups.size === 0) return undefined;
  // An exit test on every iteration's path: in a block that dominates the latch.
  for (let d = loop.latch; ; d = cfg.idom[d]!) {
    const trip = tripTest(cfg, prog, inLoop, d, ends.get(d)!);
    if (trip) return { guard: { trip, ranges: [...groups.values()] }, covered };
    if (d === loop.header) return undefined;
  }
}

/**
 * The CFG with its eligible loops versioned: each gets a guard block (`guard`, no instructions,
 * its condition chooses the copy) between its entries and its header, and a copy of its blocks
 * (`fast`: the access indices the guard covers) that the guard's taken edge enters. Returns the
 * CFG itself when no loop qualifies.
 */
export function versionLoops(cfg: Cfg, prog: DecodedProgram, proven?: ReadonlySet<number>): Cfg {
  if (!cfg.reducible) return cfg;
  const loops = innerLoops(cfg, prog);
  if (loops.length === 0) return cfg;
  const n = cfg.blocks.length;
  const raw: Block[] = cfg.blocks.map((b) => ({ ...b, succs: [], preds: [] }));
  const succs: number[][] = cfg.blocks.map((b) => b.succs.slice());
  let copied = 0;
  /** Guard block of each versioned header, and the header of the loop each original block is in. */
  const guardOf = new Map<number, number>();
  const loopOf = new Int32Array(n).fill(-1);
  for (const loop of loops) {
    const size = loop.body.reduce((s, b) => s + cfg.blocks[b]!.pcs.length, 0);
    if (copied + size > MAX_COPIED) continue;
    const plan = planLoop(cfg, prog, loop, proven);
    if (!plan) continue;
    copied += size;
    const h = loop.header;
    const copyOf = new Map<number, number>();
    for (const b of loop.body) {
      loopOf[b] = h;
      copyOf.set(b, raw.length);
      raw.push({ ...cfg.blocks[b]!, succs: [], preds: [], fast: plan.covered.get(b) ?? new Set() });
      succs.push([]);
    }
    for (const b of loop.body) succs[copyOf.get(b)!] = cfg.blocks[b]!.succs.map((s) => copyOf.get(s) ?? s);
    const hb = cfg.blocks[h]!;
    guardOf.set(h, raw.length);
    raw.push({ start: hb.start, pcs: [], exit: { kind: 'cond', taken: hb.start, next: hb.start }, succs: [], preds: [], guard: plan.guard });
    succs.push([copyOf.get(h)!, h]);
  }
  if (guardOf.size === 0) return cfg;
  // Every edge into a versioned header from outside its loop (original blocks, and copies of
  // other loops exiting into it) now enters its guard.
  for (let b = 0; b < raw.length; b++) {
    succs[b] = succs[b]!.map((s) => {
      const g = guardOf.get(s);
      return g === undefined || g === b || (b < n && loopOf[b] === s) ? s : g;
    });
  }
  return orderBlocks(raw, succs, 0, cfg.callees);
}
