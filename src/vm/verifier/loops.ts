/**
 * Loop termination (PREVAIL's BoundedLoopCount, here as bounded induction variables). A loop is
 * bounded when some register r steps monotonically on every trip around it and cannot wrap:
 *   1. every write to r inside the loop is `r += k` / `r -= k` with a constant k, all in one
 *      direction (and one width: ALU64 or ALU32);
 *   2. every cycle through the loop head passes through one of those steps;
 *   3. at each step, the range the analysis proved for r leaves room for the step without
 *      wrapping (that range comes from the exit comparison, refined on the loop's branches).
 * Then r is strictly monotonic inside a finite range, so the loop runs at most
 * (range width / smallest step + 1) times; strict also wants that number to be reasonable.
 * Failing that, carried.ts follows the head's value of r through copies and temporaries.
 * `strict` rejects a loop without such a register; `checked` leaves it to the runtime fuel.
 */
import { ALU_ADD, ALU_SUB, BPF_ALU, BPF_ALU64, BPF_K, OPCODES, aluCode, insnClass, writtenRegister, type Insn } from '../isa.js';
import { S64_MAX, U32, low32 } from './scalar.js';
import type { State } from './state.js';
import { U64 } from './tnum.js';
import type { ReasonCode } from './types.js';
import type { Env, Pass } from './pass.js';
import { carriedBound } from './carried.js';
import { spillSlots } from './spills.js';

export interface LoopInfo {
  head: number;
  latches: number[];
  body: Set<number>;
}

/** Registers an instruction writes (a call: r0–r5). */
export function writes(insn: Insn): number[] {
  const info = OPCODES.get(insn.opcode);
  if (!info) return [];
  if (info.kind === 'call') return [0, 1, 2, 3, 4, 5];
  const r = writtenRegister(insn, info);
  return r < 0 ? [] : [r];
}

interface Step {
  pc: number;
  k: bigint;
  is32: boolean;
}

/** The step of `r += k` / `r -= k` (k constant) as a signed amount, or undefined for any other write. */
function stepOf(insn: Insn): Step | undefined {
  const cls = insnClass(insn.opcode);
  if ((cls !== BPF_ALU64 && cls !== BPF_ALU) || (insn.opcode & 0x08) !== BPF_K) return undefined;
  const code = aluCode(insn.opcode);
  if (code !== ALU_ADD && code !== ALU_SUB) return undefined;
  const k = BigInt(code === ALU_ADD ? insn.imm : -insn.imm);
  return k === 0n ? undefined : { pc: -1, k, is32: cls === BPF_ALU };
}

type Report = (code: ReasonCode, pc: number, why: string, definite: boolean) => void;

export function proveLoops(env: Env, p: Pass, loops: LoopInfo[], states: (State | undefined)[], fnStart: number, report: Report): void {
  for (const loop of loops) {
    if (!states[loop.head - fnStart]) continue; // never entered on any path
    // A loop nothing leaves: no exit instruction and no edge out of the body.
    let leaves = false;
    for (const pc of loop.body) {
      if (env.shape.succ[pc]!.length === 0 || env.shape.succ[pc]!.some((s) => !loop.body.has(s))) leaves = true;
    }
    if (!leaves) {
      report('INFINITE_LOOP', loop.head, `infinite loop: nothing leaves the loop at PC ${loop.head} (back edges from PC ${loop.latches.join(', ')})`, true);
      continue;
    }
    const why: string[] = [];
    let bound: bigint | undefined;
    // The tightest bound any induction register gives.
    for (let r = 0; r < 10; r++) {
      const b = induction(env, loop, states, fnStart, r, why);
      if (b !== undefined && (bound === undefined || b < bound)) bound = b;
    }
    // Else a counter carried through copies and temporaries (carried.ts).
    if (bound === undefined || bound > BigInt(env.maxLoopIterations)) {
      const rank = env.orders.get(p.fn)!.rank;
      const order = [...loop.body].sort((a, b) => rank[a - fnStart]! - rank[b - fnStart]!);
      const sp = spillSlots(env, env.shape.insns, order);
      for (let r = 0; r < 10; r++) {
        const b = carriedBound(env, loop, order, sp, states, fnStart, r, why);
        if (b !== undefined && (bound === undefined || b < bound)) bound = b;
      }
    }
    if (bound !== undefined && bound <= BigInt(env.maxLoopIterations)) continue;
    if (p.env.policy === 'strict') {
      const detail = bound !== undefined ? `its bound, ${bound} iterations, exceeds ${env.maxLoopIterations}` : why.length ? why.slice(0, 3).join('; ') : 'no register steps towards a bound';
      report('UNBOUNDED_LOOP', loop.head, `cannot bound the loop at PC ${loop.head} (back edges from PC ${loop.latches.join(', ')}): ${detail}`, false);
    } else env.unbounded.add(loop.head);
  }
}

function induction(env: Env, loop: LoopInfo, states: (State | undefined)[], fnStart: number, r: number, why: string[]): bigint | undefined {
  const insns = env.shape.insns;
  const steps: Step[] = [];
  for (const pc of loop.body) {
    if (env.shape.wideTail[pc] || !writes(insns[pc]!).includes(r)) continue;
    const s = stepOf(insns[pc]!);
    if (!s || insns[pc]!.dst !== r) return undefined;
    steps.push({ ...s, pc });
  }
  if (steps.length === 0) return undefined;
  const up = steps[0]!.k > 0n;
  const is32 = steps[0]!.is32;
  if (steps.some((s) => (s.k > 0n) !== up || s.is32 !== is32)) {
    why.push(`r${r} steps both ways`);
    return undefined;
  }
  // Every cycle through the head passes a step.
  const isStep = new Set(steps.map((s) => s.pc));
  if (!isStep.has(loop.head)) {
    const seen = new Set<number>();
    const work = env.shape.succ[loop.head]!.filter((s) => loop.body.has(s));
    while (work.length) {
      const x = work.pop()!;
      if (x === loop.head) {
        why.push(`r${r} is not stepped on every path around the loop`);
        return undefined;
      }
      if (seen.has(x) || isStep.has(x)) continue;
      seen.add(x);
      for (const s of env.shape.succ[x]!) if (loop.body.has(s)) work.push(s);
    }
  }
  // No wrap at any step, and the range it moves in.
  let lo: bigint | undefined;
  let hi: bigint | undefined;
  let kmin: bigint | undefined;
  for (const s of steps) {
    const st = states[s.pc - fnStart];
    if (!st) continue;
    const v = st.regs[r]!;
    const k = s.k < 0n ? -s.k : s.k;
    kmin = kmin === undefined || k < kmin ? k : kmin;
    let a: bigint;
    let b: bigint;
    if (v.k === 'scalar') {
      const x = is32 ? low32(v.s) : v.s;
      a = x.umin;
      b = x.umax;
      const limit = is32 ? U32 : U64;
      if (up ? b + k > limit : a < k) {
        why.push(`r${r} may wrap around at PC ${s.pc} (range [${a}, ${b === U64 ? 'max' : b}])`);
        return undefined;
      }
    } else if (v.k === 'ptr' && !is32) {
      a = v.off.smin;
      b = v.off.smax;
      if (up ? b + k > S64_MAX : a - k < -S64_MAX) {
        why.push(`pointer r${r} has no bound at PC ${s.pc}`);
        return undefined;
      }
    } else return undefined;
    lo = lo === undefined || a < lo ? a : lo;
    hi = hi === undefined || b > hi ? b : hi;
  }
  if (lo === undefined || hi === undefined || kmin === undefined) return 0n;
  return (hi - lo) / kmin + 1n;
}
