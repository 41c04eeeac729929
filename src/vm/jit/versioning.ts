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
import { ALU_ADD, ALU_SUB, writtenRegister, JMP_JEQ, JMP_JGE, JMP_JGT, JMP_JLE, JMP_JLT, JMP_JNE, JMP_JSGE, JMP_JSGT, JMP_JSLE, JMP_JSLT, type Insn } from '../isa.js';
import { K, T, constant, register, registerFree, sameForm, stepForms, type Form } from './affine.js';
import type { Block, Cfg, DecodedProgram } from './cfg.js';
import { isAccess } from './checks.js';

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


interface Loop {
  header: number;
  latch: number;
  /** Block indices, ascending (reverse postorder: the header first). */
  body: number[];
  /** Registers the loop writes otherwise than by adding a constant (a bit per register). */
  complex: number;
}

/** Innermost natural loops with one back edge, small and free of calls. */
function innerLoops(cfg: Cfg, prog: DecodedProgram): Loop[] {
  const blocks = cfg.blocks;
  const loops: Loop[] = [];
  /** mark[b] = h: block b is in the loop headed by h (headers are never 0); made on first need. */
  let mark: Int32Array | undefined;
  for (let h = 1; h < blocks.length; h++) {
    const preds = blocks[h]!.preds;
    let latch = -1;
    let backs = 0;
    for (let j = 0; j < preds.length; j++) {
      if (preds[j]! >= h) {
        latch = preds[j]!;
        backs++;
      }
    }
    if (backs !== 1) continue;
    // The blocks of an innermost loop reach its latch by forward edges: they lie in [h, latch].
    if (latch - h >= 4 * MAX_BLOCKS) continue;
    mark ??= new Int32Array(blocks.length);
    mark[h] = h;
    let count = 1;
    let inner = true;
    const work = [latch];
    while (work.length > 0 && inner) {
      const b = work.pop()!;
      // Outside [h, latch]: only through another loop (or not a natural loop).
      if (b < h || b > latch) inner = false;
      if (!inner || mark[b] === h) continue;
      mark[b] = h;
      if (++count > MAX_BLOCKS) inner = false;
      const ps = blocks[b]!.preds;
      for (let j = 0; j < ps.length; j++) {
        if (ps[j]! >= b) inner = false;
        work.push(ps[j]!);
      }
    }
    if (!inner) continue;
    const body: number[] = [];
    for (let b = h; b <= latch; b++) if (mark[b] === h) body.push(b);
    let insns = 0;
    let ok = true;
    /** Whether something might be hoisted: an access not through r10 (ranges.ts has those). */
    let access = false;
    let complex = 0;
    for (const b of body) {
      const blk = blocks[b]!;
      insns += blk.pcs.length;
      for (const pc of blk.pcs) {
        const op = prog.info[pc]!;
        const i = prog.insns[pc]!;
        if (op.kind === 'call' || op.kind === 'callx') ok = false;
        else if (isAccess(op) && (op.kind === 'ldx' || op.kind === 'ldxs' ? i.src : i.dst) !== 10) access = true;
        const code = i.opcode & 0xf0;
        const step = op.kind === 'alu' && !op.is32 && !op.srcReg && (code === ALU_ADD || code === ALU_SUB);
        const w = writtenRegister(i, op);
        if (w >= 0 && !step) complex |= 1 << w;
        if (op.kind === 'atomic') complex |= 1 | (1 << i.src);
      }
    }
    if (ok && access && insns <= MAX_INSNS) loops.push({ header: h, latch, body, complex });
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

/** Whether a block on every iteration's path ends in a 64-bit comparison that may leave the loop (cheap, before the passes). */
function exitCandidate(cfg: Cfg, prog: DecodedProgram, inLoop: Set<number>, loop: Loop): boolean {
  for (let d = loop.latch; ; d = cfg.idom[d]!) {
    const blk = cfg.blocks[d]!;
    if (blk.exit.kind === 'cond' && blk.succs.length === 2 && inLoop.has(blk.succs[0]!) !== inLoop.has(blk.succs[1]!)) {
      const pc = blk.pcs[blk.pcs.length - 1]!;
      const op = prog.info[pc]!;
      const i = prog.insns[pc]!;
      // The operands: a counter stepped by constants and a bound the loop does not change (a
      // bound reloaded from the stack on every iteration, as clang does under register
      // pressure, is not one).
      const operands = (1 << i.dst) | (op.srcReg ? 1 << i.src : 0);
      if (!op.is32 && RELATION.has(i.opcode & 0xf0) && (operands & loop.complex) === 0) return true;
    }
    if (d === loop.header) return false;
  }
}

/** The guard for one loop, and per loop block the access indices it covers; undefined if none. */
function planLoop(cfg: Cfg, prog: DecodedProgram, loop: Loop, proven: ReadonlySet<number> | undefined): { guard: LoopGuard; covered: Map<number, Set<number>> } | undefined {
  const inLoop = new Set(loop.body);
  if (!exitCandidate(cfg, prog, inLoop, loop)) return undefined;
  // Which registers step by a constant per iteration. A register only ever changed by adding
  // constants, all on every iteration's path (blocks dominating the latch, each run exactly once
  // per iteration of an innermost loop), steps by their sum; one the loop never writes by 0.
  const onPath = new Set<number>();
  for (let d = loop.latch; ; d = cfg.idom[d]!) {
    onPath.add(d);
    if (d === loop.header) break;
  }
  const steps: (number | undefined)[] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
  for (const b of loop.body) {
    for (const pc of cfg.blocks[b]!.pcs) {
      const i = prog.insns[pc]!;
      const w = writtenRegister(i, prog.info[pc]!);
      if (w < 0 || steps[w] === undefined) continue;
      // Not in `complex`: a 64-bit add or sub of an immediate (innerLoops).
      if ((loop.complex >> w) & 1 || !onPath.has(b)) steps[w] = undefined;
      else steps[w] = steps[w]! + ((i.opcode & 0xf0) === ALU_ADD ? i.imm : -i.imm);
    }
  }
  const entry: (Form | undefined)[] = [];
  for (let r = 0; r <= 10; r++) {
    const st = steps[r];
    entry.push(st !== undefined && Math.abs(st) <= MAX_STEP ? register(r, st) : undefined);
  }
  // Pass 2: the forms of the accesses and of the exit tests.
  const groups = new Map<string, RangeCheck>();
  const covered = new Map<number, Set<number>>();
  let hoisted = 0;
  let kept = 0;
  const ends = evaluate(cfg, prog, loop, entry, (b, k, regs) => {
    const pc = cfg.blocks[b]!.pcs[k]!;
    if (proven?.has(pc)) return; // no check to hoist
    const i = prog.insns[pc]!;
    const op = prog.info[pc]!;
    const load = op.kind === 'ldx' || op.kind === 'ldxs';
    const reg = load ? i.src : i.dst;
    const f = regs[reg];
    // Stack accesses are left to ranges.ts; a register-free address is not a pointer.
    if (!f || f[10] !== 0 || registerFree(f) || Math.abs(f[T]!) > MAX_STEP) {
      if (reg !== 10) kept++;
      return;
    }
    hoisted++;
    const base = f.slice();
    base[T] = 0;
    base[K] = 0;
    const key = `${base.join(',')}:${f[T]}`;
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
  // A copy that keeps more checks than it drops gains little for the code it adds.
  if (groups.size === 0 || kept > hoisted) return undefined;
  // An exit test on every iteration's path: in a block that dominates the latch.
  for (let d = loop.latch; ; d = cfg.idom[d]!) {
    const trip = tripTest(cfg, prog, inLoop, d, ends.get(d)!);
    if (trip) return { guard: { trip, ranges: [...groups.values()] }, covered };
    if (d === loop.header) return undefined;
  }
}

/** A block with the same instructions and exit, not yet linked. */
function blockLike(b: Block): Block {
  return { start: b.start, pcs: b.pcs, exit: b.exit, succs: [], preds: [], fast: undefined, guard: undefined };
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
  const raw: Block[] = [];
  const succs: number[][] = [];
  let copied = 0;
  const v: Versioned = { bodies: [], loopOf: new Int32Array(n).fill(-1), copyAt: new Int32Array(n).fill(-1), guardAt: new Int32Array(n).fill(-1) };
  for (const loop of loops) {
    let size = 0;
    for (const b of loop.body) size += cfg.blocks[b]!.pcs.length;
    if (copied + size > MAX_COPIED) continue;
    const plan = planLoop(cfg, prog, loop, proven);
    if (!plan) continue;
    if (raw.length === 0) {
      for (let b = 0; b < n; b++) {
        raw.push(blockLike(cfg.blocks[b]!));
        succs.push(cfg.blocks[b]!.succs.slice());
      }
    }
    copied += size;
    const h = loop.header;
    v.bodies.push(loop.body);
    for (let k = 0; k < loop.body.length; k++) {
      v.loopOf[loop.body[k]!] = h;
      v.copyAt[loop.body[k]!] = raw.length + k;
    }
    for (const b of loop.body) {
      const copy = blockLike(cfg.blocks[b]!);
      copy.fast = plan.covered.get(b) ?? new Set();
      raw.push(copy);
      succs.push(cfg.blocks[b]!.succs.map((s) => (v.loopOf[s] === h ? v.copyAt[s]! : s)));
    }
    const hb = cfg.blocks[h]!;
    v.guardAt[h] = raw.length;
    raw.push({ start: hb.start, pcs: [], exit: { kind: 'cond', taken: hb.start, next: hb.start }, succs: [], preds: [], fast: undefined, guard: plan.guard });
    succs.push([v.copyAt[h]!, h]);
  }
  if (raw.length === 0) return cfg;
  // Every edge into a versioned header from outside its loop (original blocks, and copies of
  // other loops exiting into it) now enters its guard.
  for (let b = 0; b < raw.length; b++) {
    const ss = succs[b]!;
    for (let j = 0; j < ss.length; j++) {
      const t = ss[j]!;
      const g = t < n ? v.guardAt[t]! : -1;
      if (g >= 0 && g !== b && !(b < n && v.loopOf[b] === t)) ss[j] = g;
    }
  }
  return reorder(cfg, raw, succs, v);
}

/** The loops versioned, by original block index (-1: none). */
interface Versioned {
  bodies: number[][];
  /** Header of the versioned loop a block is in. */
  loopOf: Int32Array;
  /** Raw index of a loop block's copy, and of a header's guard. */
  copyAt: Int32Array;
  guardAt: Int32Array;
}

/**
 * The versioned graph in an order the structurer can use (forward edges go up, back edges to
 * the headers that dominate their sources) and its dominators, derived from the original ones
 * rather than computed again: each guard and its loop's copy go right before the loop's header.
 * Every way into a versioned loop now passes its guard, so the guard dominates both copies and
 * takes the place of any loop block as the dominator of blocks outside the loop.
 */
function reorder(cfg: Cfg, raw: Block[], succs: number[][], v: Versioned): Cfg {
  const n = cfg.blocks.length;
  const { loopOf, copyAt, guardAt } = v;
  const headerBody = new Map<number, number[]>();
  for (const body of v.bodies) headerBody.set(body[0]!, body);
  const order: number[] = [];
  for (let b = 0; b < n; b++) {
    if (guardAt[b]! >= 0) {
      order.push(guardAt[b]!);
      for (const x of headerBody.get(b)!) order.push(copyAt[x]!);
    }
    order.push(b);
  }
  const at = new Int32Array(raw.length);
  for (let i = 0; i < order.length; i++) at[order[i]!] = i;
  const blocks: Block[] = [];
  for (let i = 0; i < order.length; i++) {
    const r = order[i]!;
    const b = raw[r]!;
    const ss = succs[r]!;
    for (let j = 0; j < ss.length; j++) ss[j] = at[ss[j]!]!;
    b.succs = ss;
    blocks.push(b);
  }
  for (let i = 0; i < blocks.length; i++) {
    const ss = blocks[i]!.succs;
    for (let j = 0; j < ss.length; j++) blocks[ss[j]!]!.preds.push(i);
  }
  const idom = new Array<number>(blocks.length);
  /** The new dominator of a block outside loop `inside` (-1: none) whose original one was d. */
  const outer = (d: number, inside: number): number => (loopOf[d]! >= 0 && loopOf[d] !== inside ? at[guardAt[loopOf[d]!]!]! : at[d]!);
  for (let b = 0; b < n; b++) {
    const h = loopOf[b]!;
    if (h >= 0) {
      // The copy of a loop block: the guard for the header, else the copy of its dominator.
      idom[at[copyAt[b]!]!] = b === h ? at[guardAt[h]!]! : at[copyAt[cfg.idom[b]!]!]!;
    }
    if (guardAt[b]! >= 0) {
      idom[at[guardAt[b]!]!] = outer(cfg.idom[b]!, -1);
      idom[at[b]!] = at[guardAt[b]!]!;
    } else idom[at[b]!] = outer(cfg.idom[b]!, h);
  }
  return { blocks, idom, reducible: true, callees: cfg.callees };
}
