/**
 * The control-flow graph of one eBPF function as the JIT sees it: the basic blocks reachable
 * from an entry slot through jumps and fall-through (a local call returns to the next slot), in
 * reverse postorder, with their dominator tree and whether the graph is reducible.
 *
 * A "function" is whatever is reachable from its entry, so code shared by two entries is simply
 * translated twice; the validator (validate.ts) already keeps jumps inside a function's range.
 */
import { CALL_LOCAL, OPCODES, OP_LDDW, decodeInsn, type Insn, type OpInfo } from '../isa.js';
import type { LoopGuard } from './versioning.js';

/** How a block ends. */
export type Exit =
  | { kind: 'jump'; target: number } // ja, ja32, or falling into the next leader
  | { kind: 'cond'; taken: number; next: number } // a conditional jump (the last instruction)
  | { kind: 'exit' }
  | { kind: 'fault'; code: number; pc: number }; // running into a slot that is not an instruction

export interface Block {
  /** Slot of the first instruction. */
  start: number;
  /** Slots of the instructions, in order (an lddw's second slot is not listed). */
  pcs: number[];
  exit: Exit;
  /** Successor block indices (into Cfg.blocks). */
  succs: number[];
  preds: number[];
  /**
   * Loop versioning (versioning.ts): in a fast copy of a loop, the indices (in `pcs`) of the
   * accesses whose region check the loop's guard made; on a guard block (no instructions, a
   * `cond` exit: taken enters the fast copy), what the guard checks.
   */
  fast: ReadonlySet<number> | undefined;
  guard: LoopGuard | undefined;
}

export interface Cfg {
  /** Blocks in reverse postorder; blocks[0] is the entry. */
  blocks: Block[];
  /** Immediate dominator of each block (the entry's is itself). */
  idom: number[];
  /** Whether every retreating edge goes to a block that dominates its source. */
  reducible: boolean;
  /** Local call targets (slots) met in this function. */
  callees: number[];
}

/** Fault codes for slots that cannot run (layout.ts RESULT_*). */
const BAD_PC = 5;
const BAD_OP = 6;

export interface DecodedProgram {
  insns: Insn[];
  info: (OpInfo | undefined)[];
  /** 1 at the second slot of an lddw. */
  wideTail: Uint8Array;
}

/**
 * The opcode table as an array by opcode byte, each row copied into one object shape: the
 * table's own rows come in several (with and without `size`), and every `op.kind` the
 * translator reads through them was then a polymorphic load.
 */
const INFO: readonly (OpInfo | undefined)[] = (() => {
  const t: (OpInfo | undefined)[] = new Array<OpInfo | undefined>(256).fill(undefined);
  OPCODES.forEach((o, opcode) => {
    t[opcode] = { opcode: o.opcode, kind: o.kind, name: o.name, group: o.group, version: o.version, size: o.size, is32: o.is32, srcReg: o.srcReg };
  });
  return t;
})();

export function decodeProgram(code: Uint8Array): DecodedProgram {
  const n = code.length >> 3;
  const insns: Insn[] = new Array(n);
  const info: (OpInfo | undefined)[] = new Array(n);
  const wideTail = new Uint8Array(n);
  for (let pc = 0; pc < n; pc++) {
    insns[pc] = decodeInsn(code, pc);
    info[pc] = INFO[insns[pc]!.opcode];
    if (insns[pc]!.opcode === OP_LDDW && !wideTail[pc] && pc + 1 < n) wideTail[pc + 1] = 1;
  }
  return { insns, info, wideTail };
}

/** Slot of the jump target of a jump at pc, or undefined. */
function target(p: DecodedProgram, pc: number): number | undefined {
  const kind = p.info[pc]?.kind;
  const insn = p.insns[pc]!;
  if (kind === 'ja' || kind === 'jcond') return pc + 1 + insn.off;
  if (kind === 'ja32') return pc + 1 + insn.imm;
  return undefined;
}

function runnable(p: DecodedProgram, pc: number): boolean {
  return pc >= 0 && pc < p.insns.length && !p.wideTail[pc] && p.info[pc] !== undefined && p.info[pc]!.kind !== 'ld_packet';
}

export function buildCfg(p: DecodedProgram, entry: number): Cfg {
  const n = p.insns.length;
  // 1. Reachable slots and leaders. The Vm only runs validated code, whose jumps and calls stay
  // inside the program; anything outside still gets a (faulting) block, all such slots sharing
  // one past each end, so that unvalidated input cannot crash the translator.
  const seen = new Uint8Array(n + 2);
  const leaders = new Uint8Array(n + 2);
  const at = (pc: number): number => (pc < 0 ? n + 1 : pc > n ? n : pc);
  leaders[at(entry)] = 1;
  const callees = new Set<number>();
  const work = [entry];
  while (work.length > 0) {
    // Straight-line code is walked in place; only jumps add to the work list.
    for (let pc = work.pop()!; ;) {
      if (seen[at(pc)]) break;
      seen[at(pc)] = 1;
      if (!runnable(p, pc)) break;
      const kind = p.info[pc]!.kind;
      const next = pc + (p.insns[pc]!.opcode === OP_LDDW ? 2 : 1);
      if (kind === 'exit') break;
      if (kind === 'ja' || kind === 'ja32') {
        const t = target(p, pc)!;
        leaders[at(t)] = 1;
        work.push(t);
        break;
      }
      if (kind === 'jcond') {
        const t = target(p, pc)!;
        leaders[at(t)] = 1;
        leaders[at(next)] = 1;
        work.push(t, next);
        break;
      }
      if (kind === 'call' && p.insns[pc]!.src === CALL_LOCAL) callees.add(pc + 1 + p.insns[pc]!.imm);
      pc = next;
    }
  }

  // 2. Blocks: from each leader to the next leader or terminator.
  const starts: number[] = [];
  if (seen[n + 1] && leaders[n + 1]) starts.push(entry < 0 ? entry : -1);
  for (let pc = 0; pc <= n; pc++) if (seen[pc] && leaders[pc]) starts.push(pc);
  const index = new Int32Array(n + 2);
  const raw: Block[] = [];
  for (let i = 0; i < starts.length; i++) {
    const start = starts[i]!;
    index[at(start)] = i;
    // Every block has the same fields, in one order: the translator's code sees one object shape.
    raw.push({ start, pcs: [], exit: { kind: 'exit' }, succs: [], preds: [], fast: undefined, guard: undefined });
  }
  for (let r = 0; r < raw.length; r++) {
    const b = raw[r]!;
    let pc = b.start;
    for (;;) {
      if (!runnable(p, pc)) {
        const code = pc >= 0 && pc < n && !p.wideTail[pc] && p.insns[pc]!.opcode !== 0 ? BAD_OP : BAD_PC;
        b.exit = { kind: 'fault', code, pc };
        break;
      }
      b.pcs.push(pc);
      const kind = p.info[pc]!.kind;
      const next = pc + (p.insns[pc]!.opcode === OP_LDDW ? 2 : 1);
      if (kind === 'exit') {
        b.exit = { kind: 'exit' };
        break;
      }
      if (kind === 'ja' || kind === 'ja32') {
        b.exit = { kind: 'jump', target: target(p, pc)! };
        break;
      }
      if (kind === 'jcond') {
        b.exit = { kind: 'cond', taken: target(p, pc)!, next };
        break;
      }
      if (leaders[at(next)]) {
        b.exit = { kind: 'jump', target: next };
        break;
      }
      pc = next;
    }
  }
  const succs: number[][] = [];
  for (let r = 0; r < raw.length; r++) {
    const e = raw[r]!.exit;
    if (e.kind === 'jump') succs.push([index[at(e.target)]!]);
    else if (e.kind === 'cond') succs.push(e.taken === e.next ? [index[at(e.taken)]!] : [index[at(e.taken)]!, index[at(e.next)]!]);
    else succs.push([]);
  }
  return orderBlocks(raw, succs, index[at(entry)]!, Array.from(callees));
}

/**
 * Steps 3 and 4 of `buildCfg`: `succs0[i]` are the successors of `raw[i]` (indices into `raw`),
 * in the order [taken, next] for a conditional exit. Blocks get their reverse-postorder place,
 * `succs` and `preds`; the dominators and reducibility follow.
 */
function orderBlocks(raw: Block[], succs0: number[][], entry: number, callees: number[]): Cfg {
  // 3. Reverse postorder from the entry (iterative DFS).
  const order: number[] = [];
  const state = new Uint8Array(raw.length);
  const stack: [number, number][] = [[entry, 0]];
  state[stack[0]![0]] = 1;
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const s = succs0[top[0]]!;
    if (top[1] < s.length) {
      const v = s[top[1]++]!;
      if (!state[v]) {
        state[v] = 1;
        stack.push([v, 0]);
      }
    } else {
      order.push(top[0]);
      stack.pop();
    }
  }
  order.reverse();
  const rpo: number[] = new Array<number>(raw.length).fill(-1);
  for (let i = 0; i < order.length; i++) rpo[order[i]!] = i;
  // Indexed loops, no callbacks: each would be one more function for V8 to compile lazily in
  // the first translation of a process (the cold start).
  const blocks: Block[] = [];
  for (let i = 0; i < order.length; i++) {
    const b = raw[order[i]!]!;
    const s0 = succs0[order[i]!]!;
    const succs: number[] = [];
    for (let j = 0; j < s0.length; j++) succs.push(rpo[s0[j]!]!);
    b.succs = succs;
    blocks.push(b);
  }
  for (let i = 0; i < blocks.length; i++) {
    const succs = blocks[i]!.succs;
    for (let j = 0; j < succs.length; j++) blocks[succs[j]!]!.preds.push(i);
  }

  // 4. Dominators (Cooper, Harvey and Kennedy, "A Simple, Fast Dominance Algorithm"), over RPO indices.
  // A plain array: the Cfg keeps it, and copying a typed array into one showed in profiles.
  const idom: number[] = new Array<number>(blocks.length).fill(-1);
  idom[0] = 0;
  const intersect = (a: number, b: number): number => {
    while (a !== b) {
      while (a > b) a = idom[a]!;
      while (b > a) b = idom[b]!;
    }
    return a;
  };
  for (let changed = true; changed;) {
    changed = false;
    for (let i = 1; i < blocks.length; i++) {
      let d = -1;
      const preds = blocks[i]!.preds;
      for (let j = 0; j < preds.length; j++) {
        const q = preds[j]!;
        if (idom[q] === -1) continue;
        d = d === -1 ? q : intersect(q, d);
      }
      if (d !== idom[i]) {
        idom[i] = d;
        changed = true;
      }
    }
  }
  const dominates = (a: number, b: number): boolean => {
    while (b !== a && b !== 0) b = idom[b]!;
    return b === a;
  };
  let reducible = true;
  for (let i = 0; i < blocks.length && reducible; i++) {
    const succs = blocks[i]!.succs;
    for (let j = 0; j < succs.length; j++) if (succs[j]! <= i && !dominates(succs[j]!, i)) reducible = false;
  }
  return { blocks, idom, reducible, callees };
}
