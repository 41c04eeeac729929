/**
 * Stack slots a function may keep in Wasm locals instead of linear memory.
 *
 * clang spills loop values to the frame (varint keeps its count at r10 - 8 and reloads its
 * buffer pointer from r10 - 32 in every iteration). Through memory, each spill and reload is a
 * store and a load V8 must keep in order, and a value carried round a loop through a slot waits
 * on store-to-load forwarding every iteration. In a local it is an SSA value V8 can keep in a
 * machine register.
 *
 * A slot can only live in a local if nothing else can see the frame while the function runs:
 * - no calls: a helper or a callee could reach the frame through a pointer, and a callee that
 *   hands over to the interpreter would resume the caller there, reading the frame from memory;
 * - r10 is only ever the base of a load or store (RFC 9669 §5.1 `dst`/`src` of LDX, ST, STX): any
 *   other read of r10 could make a pointer into the frame, and then unknown accesses alias it;
 * - every access touching the slot's 8 bytes is a 64-bit load or store at exactly that offset;
 *   narrower, wider-spanning or atomic accesses that overlap it keep the slot in memory.
 * The code generator loads the slots into their locals at the function's entry (so reads before
 * any write see memory as the interpreter would) and stores them back on every way out (return,
 * fault, hand-over to the interpreter), so memory after the run is the interpreter's.
 */
import { type Insn, type OpInfo } from '../isa.js';
import type { Cfg } from './cfg.js';

const FP = 10;
/** Bounds the prologue's loads and the exits' stores a function pays per call. */
export const MAX_SLOTS = 16;

/** The frame offsets (negative, from r10) of the slots that may live in locals, ascending. */
export function frameSlots(cfg: Cfg, insns: readonly Insn[], info: readonly (OpInfo | undefined)[], frameSize: number): number[] {
  // Per frame byte (index off + frameSize): the offset of the one slot using it, or CONFLICT.
  const CONFLICT = 1;
  const owner = new Array<number | undefined>(frameSize).fill(undefined);
  const claim = (off: number, size: number, slot: number): void => {
    for (let b = Math.max(off, -frameSize); b < Math.min(off + size, 0); b++) {
      const k = b + frameSize;
      const o = owner[k];
      owner[k] = o === undefined || o === slot ? slot : CONFLICT;
    }
  };
  const blocks = cfg.blocks;
  for (let bi = 0; bi < blocks.length; bi++) {
    const pcs = blocks[bi]!.pcs;
    for (let k = 0; k < pcs.length; k++) {
      const i = insns[pcs[k]!]!;
      const op = info[pcs[k]!];
      if (!op) return [];
      switch (op.kind) {
        case 'call':
        case 'callx':
          return [];
        case 'ldx':
        case 'ldxs':
          if (i.dst === FP) return [];
          if (i.src === FP) claim(i.off, op.size!, op.kind === 'ldx' && op.size === 8 ? i.off : CONFLICT);
          break;
        case 'st':
        case 'stx':
          if (op.kind === 'stx' && i.src === FP) return [];
          if (i.dst === FP) claim(i.off, op.size!, op.size === 8 ? i.off : CONFLICT);
          break;
        case 'atomic':
          if (i.src === FP) return [];
          if (i.dst === FP) claim(i.off, op.size!, CONFLICT);
          break;
        case 'alu':
        case 'jcond':
          if (i.dst === FP || (op.srcReg && i.src === FP)) return [];
          break;
        case 'neg':
        case 'end':
        case 'ld_imm64':
          if (i.dst === FP) return [];
          break;
        case 'ja':
        case 'ja32':
        case 'exit':
          break;
        default:
          // ld_packet and anything else: not worth reasoning about; keep the frame in memory.
          return [];
      }
    }
  }
  const slots: number[] = [];
  for (let off = -frameSize; off + 8 <= 0 && slots.length < MAX_SLOTS; off++) {
    let mine = true;
    for (let b = off; b < off + 8 && mine; b++) mine = owner[b + frameSize] === off;
    if (mine) slots.push(off);
  }
  return slots;
}
