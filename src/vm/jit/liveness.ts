/**
 * Which of r0..r9 are live (may be read before being written) before each instruction of a
 * function: a backward dataflow over its blocks, as register bit masks.
 *
 * The JIT uses it where it hands over to the interpreter (a bail, codegen.ts): a dead register's
 * value can never be read again, so the bail may store anything for it. Storing zero instead of
 * the register lets V8 forget the value early: without it, every register stays live around
 * every loop that can bail, and V8 spills the loop's hot values (insertion_sort kept two dead
 * registers alive in its inner loop).
 *
 * Conservative where the interpreter's conventions leave registers visible: an `exit` reads
 * r0..r5 (a caller sees its callee's r1..r5; a function only the host enters shows only r0,
 * Vm.exec's result), a local call reads every register (a callee sees the caller's r0 and
 * r6..r9), a fault or anything unknown reads everything. r10 is never dead.
 */
import { ALU_MOV, ATOMIC_CMPXCHG, CALL_LOCAL, type Insn, type OpInfo } from '../isa.js';
import type { Cfg } from './cfg.js';

export const ALL_REGS = 0x7ff;
export const R0_TO_R5 = 0x3f;
const R1_TO_R5 = 0x3e;
const R10 = 1 << 10;

/** Registers an instruction reads (low 16 bits) and those it certainly overwrites (high 16). */
function effect(i: Insn, op: OpInfo | undefined, exitReads: number): number {
  const d = 1 << i.dst;
  const s = 1 << i.src;
  const def = d << 16;
  if (!op) return ALL_REGS;
  switch (op.kind) {
    case 'alu':
      // MOV reads only its source; the others read dst too (RFC 9669 §4.1).
      if ((i.opcode & 0xf0) === ALU_MOV) return (op.srcReg ? s : 0) | def;
      return d | (op.srcReg ? s : 0) | def;
    case 'neg':
    case 'end':
      return d | def;
    case 'ld_imm64':
      return def;
    case 'ldx':
    case 'ldxs':
      return s | def;
    case 'st':
      return d;
    case 'stx':
      return d | s;
    case 'atomic':
      return d | s | (i.imm === ATOMIC_CMPXCHG ? 1 : 0);
    case 'jcond':
      return d | (op.srcReg ? s : 0);
    case 'ja':
    case 'ja32':
      return 0;
    case 'call':
      if (i.src === CALL_LOCAL) return ALL_REGS;
      return R1_TO_R5 | (1 << 16);
    case 'callx':
      return R1_TO_R5 | d;
    case 'exit':
      return exitReads;
    default:
      return ALL_REGS;
  }
}

/** Registers live before each instruction of a function (see `liveRegisters`). */
export interface Liveness {
  /** Before the k-th instruction of block b: live[start[b] + k] (k = pcs.length: at its end). */
  live: Uint16Array;
  start: Int32Array;
}

/**
 * The registers live before every instruction of every block; r10 is always included.
 * `exitReads`: what an exit shows (r0..r5 to a caller; r0 alone where only the host enters).
 */
export function liveRegisters(cfg: Cfg, insns: Insn[], info: (OpInfo | undefined)[], exitReads = R0_TO_R5): Liveness {
  const blocks = cfg.blocks;
  const n = blocks.length;
  const start = new Int32Array(n + 1);
  for (let b = 0; b < n; b++) start[b + 1] = start[b]! + blocks[b]!.pcs.length + 1;
  // Plain arrays for the per-function scratch: allocating typed ones costs more than their use saves.
  const fx: number[] = new Array<number>(start[n]!).fill(0);
  for (let b = 0; b < n; b++) {
    const pcs = blocks[b]!.pcs;
    for (let k = 0; k < pcs.length; k++) fx[start[b]! + k] = effect(insns[pcs[k]!]!, info[pcs[k]!], exitReads);
  }
  // What a block's exit itself reads: exit shows r0..r5 to a caller; a fault, anything.
  const base: number[] = [];
  // Per block: the registers read before any write (gen) and those written (kill), so that the
  // fixpoint iterates over blocks, not instructions.
  const gen: number[] = [];
  const kill: number[] = [];
  const liveIn: number[] = [];
  for (let b = 0; b < n; b++) {
    const exit = blocks[b]!.exit.kind;
    base.push(exit === 'exit' ? exitReads : exit === 'fault' ? ALL_REGS : 0);
    let g = 0;
    let k = 0;
    for (let at = start[b + 1]! - 2; at >= start[b]!; at--) {
      const f = fx[at]!;
      g = (g & ~(f >>> 16)) | (f & 0xffff);
      k |= f >>> 16;
    }
    gen.push(g);
    kill.push(k);
    liveIn.push(0);
  }
  const liveOut = (b: number): number => {
    let out = base[b]!;
    const succs = blocks[b]!.succs;
    for (let j = 0; j < succs.length; j++) out |= liveIn[succs[j]!]!;
    return out;
  };
  // Blocks are in reverse postorder: visiting them backwards converges in a few passes.
  for (let changed = true; changed;) {
    changed = false;
    for (let b = n - 1; b >= 0; b--) {
      const v = gen[b]! | (liveOut(b) & ~kill[b]!);
      if (v !== liveIn[b]) {
        liveIn[b] = v;
        changed = true;
      }
    }
  }
  const live = new Uint16Array(start[n]!);
  for (let b = 0; b < n; b++) {
    const end = start[b + 1]! - 1;
    live[end] = liveOut(b) | R10;
    for (let at = end - 1; at >= start[b]!; at--) {
      const f = fx[at]!;
      live[at] = (live[at + 1]! & ~(f >>> 16)) | (f & 0xffff) | R10;
    }
  }
  return { live, start };
}
