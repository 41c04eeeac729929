/**
 * Abstract interpretation of one function (PREVAIL's forward analyzer, reference/ebpf.md §5.1):
 * a worklist over the control-flow graph in reverse postorder, states joined where paths meet,
 * widened (with thresholds) at loop heads, then narrowed by re-running the transfer functions
 * from the post-fixpoint. The last narrowing pass is the checking pass: only then are proof
 * obligations reported, on states that hold on every path. Local calls are analysed in their
 * calling context (the callee runs on the caller's state, like the Linux verifier's frames).
 */
import { ALU_MOV, BPF_ALU64, BPF_X, CALL_LOCAL, OPCODES, lddwValue, type OpInfo } from '../isa.js';
import { scalarConst } from './scalar.js';
import { UNINIT, UNKNOWN, cloneState, joinState, leqState, ptrValue, scalarValue, type State } from './state.js';
import { order } from './structure.js';
import { proveLoops, type LoopInfo } from './loops.js';
import { branchStep } from './branch.js';
import { TooComplex, report, type Env, type Outs, type Pass } from './pass.js';
import { helperStep, localCallStep } from './calls.js';
import { aluStep } from './alu.js';
import { backRels, offsetCopy, reduceRels, updateRels } from './rels.js';
import { accessStep } from './access.js';
import { initsAfter, initsBefore } from './inits.js';

/** `mov dst, src` on 64 bits: it may start a relation (rels.ts). */
const COPY64 = BPF_ALU64 | BPF_X | ALU_MOV;

/** OPCODES as an array indexed by opcode: the step's lookup without hashing. */
const INFO: (OpInfo | undefined)[] = Array.from({ length: 256 }, (_, op) => OPCODES.get(op));

const WIDEN_DELAY = 3;
/**
 * Descending passes after the fixpoint; the last one checks. The first starts from the loop
 * heads' last back-edge contributions (already F applied to the post-fixpoint), so it narrows
 * what widening lost: on every program of the repository a second pass proves nothing more.
 */
const NARROW_PASSES = 1;

function step(p: Pass, pc: number, st0: State): Outs {
  const insn = p.env.shape.insns[pc]!;
  const st = st0.inits ? initsBefore(insn, st0) : st0;
  let outs = step1(p, pc, st.rels ? reduceRels(st, insn) : st);
  const link = insn.opcode === COPY64 && offsetCopy(insn, p.env.shape.insns[pc + 1]);
  if (st.rels || link) outs = outs.map(([t, s]) => [t, updateRels(insn, s, link)]);
  if (st.rels && INFO[insn.opcode]!.kind === 'jcond') outs = outs.map(([t, s]) => [t, backRels(insn, s)]);
  // Only stores and steps change the facts: most instructions skip this.
  if (st.inits || (insn.opcode & 0x06) === 0x02) outs = outs.map(([t, s]) => [t, initsAfter(insn, st, s)]);
  return outs;
}

function step1(p: Pass, pc: number, st0: State): Outs {
  const env = p.env;
  const insn = env.shape.insns[pc]!;
  const info = INFO[insn.opcode]!;
  // Jumps and exits change nothing (a branch's two sides are copies made by assume): they take
  // the state as it is, and only the other instructions work on a copy.
  if (info.kind === 'ja' || info.kind === 'ja32') return [[pc + 1 + (info.kind === 'ja' ? insn.off : insn.imm), st0]];
  if (info.kind === 'jcond') return branchStep(p, pc, insn, st0, info.is32, info.srcReg);
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
        const joined = back && (visits[j] = visits[j]! + 1) > WIDEN_DELAY ? joinState(old, out, env.thresholds, true) : joinState(old, out, undefined, back);
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
  const loops: LoopInfo[] = [];
  if (byHead.size === 0) return loops;
  // Predecessors in two flat arrays (slot i's are from[first[i]] .. from[first[i + 1] - 1], in
  // ascending order): one array per slot was thousands of small allocations per verification.
  const len = end - start;
  const first = new Int32Array(len + 1);
  for (let pc = start; pc < end; pc++) for (const s of env.shape.succ[pc]!) if (s >= start && s < end) first[s - start + 1]!++;
  for (let i = 0; i < len; i++) first[i + 1]! += first[i]!;
  const fill = first.slice(0, len);
  const from = new Int32Array(first[len]!);
  for (let pc = start; pc < end; pc++) for (const s of env.shape.succ[pc]!) if (s >= start && s < end) from[fill[s - start]!++] = pc;
  for (const [head, latches] of byHead) {
    const body = new Set<number>([head]);
    const work = [...latches];
    while (work.length) {
      const x = work.pop()!;
      if (body.has(x)) continue;
      body.add(x);
      for (let k = first[x - start]!; k < first[x - start + 1]!; k++) if (!body.has(from[k]!)) work.push(from[k]!);
    }
    loops.push({ head, latches, body });
  }
  return loops;
}

export type { Pass };
