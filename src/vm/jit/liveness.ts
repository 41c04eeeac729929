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
 * r0..r5 (a caller sees its callee's r1..r5), a local call reads every register (a callee sees
 * the caller's r0 and r6..r9), a fault or anything unknown reads everything. r10 is never dead.
 */
import { ALU_MOV, ATOMIC_CMPXCHG, CALL_LOCAL, type Insn, type OpInfo } from '../isa.js';
import type { Cfg } from './cfg.js';

export const ALL_REGS = 0x7ff;
const R0_TO_R5 = 0x3f;
const R1_TO_R5 = 0x3e;
const R10 = 1 << 10;

/** Registers an instruction reads, and those it certainly overwrites (without reading them first). */
function effect(i: Insn, op: OpInfo | undefined): { use: number; def: number } {
  const d = 1 << i.dst;
  const s = 1 << i.src;
  if (!op) return { use: ALL_REGS, def: 0 };
  switch (op.kind) {
    case 'alu':
      // MOV reads only its source; the others read dst too (RFC 9669 §4.1).
      if ((i.opcode & 0xf0) === ALU_MOV) return { use: op.srcReg ? s : 0, def: d };
      return { use: d | (op.srcReg ? s : 0), def: d };
    case 'neg':
    case 'end':
      return { use: d, def: d };
    case 'ld_imm64':
      return { use: 0, def: d };
    case 'ldx':
    case 'ldxs':
      return { use: s, def: d };
    case 'st':
      return { use: d, def: 0 };
    case 'stx':
      return { use: d | s, def: 0 };
    case 'atomic':
      return { use: d | s | (i.imm === ATOMIC_CMPXCHG ? 1 : 0), def: 0 };
    case 'jcond':
      return { use: d | (op.srcReg ? s : 0), def: 0 };
    case 'ja':
    case 'ja32':
      return { use: 0, def: 0 };
    case 'call':
      if (i.src === CALL_LOCAL) return { use: ALL_REGS, def: 0 };
      return { use: R1_TO_R5, def: 1 };
    case 'callx':
      return { use: R1_TO_R5 | d, def: 0 };
    case 'exit':
      return { use: R0_TO_R5, def: 0 };
    default:
      return { use: ALL_REGS, def: 0 };
  }
}

/**
 * `live[b][k]`: the registers live before the k-th instruction of block b (k = pcs.length: at
 * its end). Always includes r10.
 */
export function liveRegisters(cfg: Cfg, insns: Insn[], info: (OpInfo | undefined)[]): Uint16Array[] {
  const blocks = cfg.blocks;
  const n = blocks.length;
  const fx = blocks.map((b) => b.pcs.map((pc) => effect(insns[pc]!, info[pc])));
  // Live at a block's end, before its successors are known: what its exit itself needs.
  const base = blocks.map((b) => (b.exit.kind === 'exit' ? R0_TO_R5 : b.exit.kind === 'fault' ? ALL_REGS : 0));
  const liveIn = new Uint16Array(n);
  const blockIn = (b: number, out: number): number => {
    const f = fx[b]!;
    let live = out;
    for (let k = f.length - 1; k >= 0; k--) live = (live & ~f[k]!.def) | f[k]!.use;
    return live | R10;
  };
  // Blocks are in reverse postorder: visiting them backwards converges in a few passes.
  for (let changed = true; changed;) {
    changed = false;
    for (let b = n - 1; b >= 0; b--) {
      let out = base[b]!;
      for (const s of blocks[b]!.succs) out |= liveIn[s]!;
      const v = blockIn(b, out);
      if (v !== liveIn[b]) {
        liveIn[b] = v;
        changed = true;
      }
    }
  }
  return blocks.map((blk, b) => {
    const f = fx[b]!;
    const live = new Uint16Array(f.length + 1);
    let out = base[b]!;
    for (const s of blk.succs) out |= liveIn[s]!;
    live[f.length] = out | R10;
    for (let k = f.length - 1; k >= 0; k--) live[k] = ((live[k + 1]! & ~f[k]!.def) | f[k]!.use) | R10;
    return live;
  });
}
