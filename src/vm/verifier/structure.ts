/**
 * Structural checks (Level 0 of reference/ebpf.md §5.4) and the program's shape for the
 * analysis: decoded instructions, functions, the control-flow graph and the call graph.
 *
 * Field-level checks (opcodes, reserved fields, registers, lddw pairs, jump targets, function
 * ends) are validate.ts', run at every load; here its message becomes a reason code. On top:
 * helpers must have a signature, local calls must not recurse or nest deeper than the VM's
 * call frames, and every instruction of a reachable function must be reachable (the Linux
 * verifier's first pass rejects dead code too: it is where hand-made bytecode hides).
 */
import { CALL_HELPER, CALL_LOCAL, OPCODES, OP_CALL, OP_CALLX, OP_LDDW, decodeInsn, type Insn } from '../isa.js';
import { ValidationError } from '../errors.js';
import { jumpTarget, validateProgram } from '../validate.js';
import type { ReasonCode } from './types.js';

export interface FunctionInfo {
  start: number;
  /** One past the last slot. */
  end: number;
  /** Function indices it calls. */
  callees: number[];
}

export interface Shape {
  n: number;
  insns: Insn[];
  /** 1 for the second slot of an lddw. */
  wideTail: Uint8Array;
  functions: FunctionInfo[];
  /** Function index of each slot. */
  funcOf: Int32Array;
  /** Successors of each slot inside its function (calls fall through). */
  succ: number[][];
}

export class StructureError extends Error {
  constructor(readonly code: ReasonCode, readonly pc: number, message: string) {
    super(message);
  }
}

/** validate.ts' wording → our reason codes. */
function classify(e: ValidationError, insns: Insn[] | undefined): ReasonCode {
  const m = e.message;
  if (/infinite loop/.test(m)) return 'INFINITE_LOOP';
  if (/jump (out of|to middle)|call to local function|function start/.test(m)) return 'BAD_JUMP';
  if (/nonexistent function/.test(m)) return 'UNKNOWN_HELPER';
  if (/does not end with EXIT/.test(m)) return 'FALL_THROUGH';
  if (/invalid destination register/.test(m) && insns?.[e.pc]?.dst === 10) return 'R10_WRITE';
  return 'BAD_PROGRAM';
}

export function successors(insn: Insn, pc: number): number[] {
  const info = OPCODES.get(insn.opcode)!;
  switch (info.kind) {
    case 'exit': return [];
    case 'ja':
    case 'ja32': return [jumpTarget(insn, pc)!];
    case 'jcond': return [pc + 1, jumpTarget(insn, pc)!];
    case 'ld_imm64': return [pc + 2];
    default: return [pc + 1];
  }
}

/**
 * Checks the program's structure and returns its shape. `starts`: first slot of each function
 * (the ELF symbols), `entry` the function execution starts in, `maxDepth` the deepest nesting of
 * local calls the VM has frames for.
 */
export function checkStructure(code: Uint8Array, starts: number[], entry: number, isHelper: (id: number) => boolean, maxDepth: number): Shape {
  let insns: Insn[] | undefined;
  if (code.length % 8 === 0) {
    insns = [];
    for (let pc = 0; pc < code.length / 8; pc++) insns.push(decodeInsn(code, pc));
  }
  let functionStarts: number[];
  try {
    ({ functionStarts } = validateProgram(code, { isHelper, ...(starts.length > 1 ? { functionStarts: starts } : {}) }));
  } catch (e) {
    if (e instanceof ValidationError) throw new StructureError(classify(e, insns), e.pc, e.message);
    throw e;
  }
  const all = insns!;
  const n = all.length;
  const wideTail = new Uint8Array(n);
  for (let pc = 0; pc < n; pc++) if (all[pc]!.opcode === OP_LDDW && !wideTail[pc]) wideTail[pc + 1] = 1;
  const funcOf = new Int32Array(n);
  const functions: FunctionInfo[] = functionStarts.map((s, i) => ({ start: s, end: functionStarts[i + 1] ?? n, callees: [] }));
  functions.forEach((f, i) => funcOf.fill(i, f.start, f.end));
  const succ: number[][] = new Array(n);
  for (let pc = 0; pc < n; pc++) {
    if (wideTail[pc]) {
      succ[pc] = [];
      continue;
    }
    const insn = all[pc]!;
    if (insn.opcode === OP_CALLX) throw new StructureError('BAD_PROGRAM', pc, `indirect call (callx) at PC ${pc} is not supported`);
    succ[pc] = successors(insn, pc);
    if (insn.opcode === OP_CALL && insn.src === CALL_LOCAL) {
      const f = functions[funcOf[pc]!]!;
      const callee = funcOf[pc + 1 + insn.imm]!;
      if (!f.callees.includes(callee)) f.callees.push(callee);
    } else if (insn.opcode === OP_CALL && insn.src === CALL_HELPER && !isHelper(insn.imm)) {
      throw new StructureError('UNKNOWN_HELPER', pc, `call to unknown helper ${insn.imm} at PC ${pc}`);
    }
  }
  const shape: Shape = { n, insns: all, wideTail, functions, funcOf, succ };
  checkCalls(shape, funcOf[entry]!, maxDepth);
  return shape;
}

/** No recursion (a cycle in the call graph) and no chain of calls deeper than maxDepth. */
function checkCalls(shape: Shape, entryFn: number, maxDepth: number): void {
  const { functions } = shape;
  const onPath: number[] = [];
  const depthDone = new Map<number, number>();
  const callSite = (from: number, to: number): number => {
    const f = functions[from]!;
    for (let pc = f.start; pc < f.end; pc++) {
      const insn = shape.insns[pc]!;
      if (!shape.wideTail[pc] && insn.opcode === OP_CALL && insn.src === CALL_LOCAL && shape.funcOf[pc + 1 + insn.imm] === to) return pc;
    }
    return f.start;
  };
  // Longest chain of calls below f; throws on a cycle.
  const visit = (f: number): number => {
    const known = depthDone.get(f);
    if (known !== undefined) return known;
    onPath.push(f);
    let deepest = 0;
    for (const c of functions[f]!.callees) {
      if (onPath.includes(c)) {
        const pc = callSite(f, c);
        const chain = [...onPath.slice(onPath.indexOf(c)), c].map((i) => functions[i]!.start);
        throw new StructureError('RECURSION', pc, `recursive call at PC ${pc}: functions at ${chain.join(' -> ')}`);
      }
      const d = 1 + visit(c);
      if (d > maxDepth) {
        const pc = callSite(f, c);
        throw new StructureError('CALL_DEPTH', pc, `local calls nest ${d} deep from PC ${pc} (at most ${maxDepth})`);
      }
      deepest = Math.max(deepest, d);
    }
    onPath.pop();
    depthDone.set(f, deepest);
    return deepest;
  };
  const total = visit(entryFn);
  if (total > maxDepth) throw new StructureError('CALL_DEPTH', functions[entryFn]!.start, `local calls nest ${total} deep (at most ${maxDepth})`);
  // Dead code inside reachable functions.
  const reachableFns = new Set<number>();
  const mark = (f: number): void => {
    if (reachableFns.has(f)) return;
    reachableFns.add(f);
    functions[f]!.callees.forEach(mark);
  };
  mark(entryFn);
  for (const f of reachableFns) {
    const fn = functions[f]!;
    const seen = new Uint8Array(fn.end - fn.start);
    const stack = [fn.start];
    seen[0] = 1;
    while (stack.length) {
      const pc = stack.pop()!;
      for (const s of shape.succ[pc]!) {
        if (s >= fn.end) throw new StructureError('FALL_THROUGH', pc, `execution falls through the end of the function at PC ${pc}`);
        if (!seen[s - fn.start]) {
          seen[s - fn.start] = 1;
          stack.push(s);
        }
      }
    }
    for (let pc = fn.start; pc < fn.end; pc++) {
      if (!seen[pc - fn.start] && !shape.wideTail[pc]) throw new StructureError('UNREACHABLE', pc, `unreachable instruction at PC ${pc}`);
    }
  }
}

/** Reverse postorder of a function's slots from its start, and the retreating edges' targets (loop heads). */
export function order(shape: Shape, fn: FunctionInfo): { rpo: number[]; rank: Int32Array; heads: Set<number>; backEdges: [number, number][] } {
  const len = fn.end - fn.start;
  const state = new Uint8Array(len); // 0 new, 1 on stack, 2 done
  const post: number[] = [];
  const heads = new Set<number>();
  const backEdges: [number, number][] = [];
  // Iterative DFS (programs can be long: no recursion on the JS stack).
  const stack: [number, number][] = [[fn.start, 0]];
  state[0] = 1;
  while (stack.length) {
    const top = stack[stack.length - 1]!;
    const [pc, i] = top;
    const ss = shape.succ[pc]!;
    if (i < ss.length) {
      top[1]++;
      const s = ss[i]!;
      const st = state[s - fn.start];
      if (st === 0) {
        state[s - fn.start] = 1;
        stack.push([s, 0]);
      } else if (st === 1) {
        heads.add(s);
        backEdges.push([pc, s]);
      }
    } else {
      state[pc - fn.start] = 2;
      post.push(pc);
      stack.pop();
    }
  }
  const rpo = post.reverse();
  const rank = new Int32Array(len).fill(-1);
  rpo.forEach((pc, i) => (rank[pc - fn.start] = i));
  return { rpo, rank, heads, backEdges };
}
