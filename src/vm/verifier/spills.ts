/**
 * Stack slots for carried.ts: a loop counter clang spills to the stack while it needs its
 * register (around helper calls, or when the loop body runs out of registers) and loads back
 * before stepping it (rlc_try_decode: `*(fp-216) = r4; ... r4 = *(fp-216); r4 += 1`). The
 * followed value's offsets are tracked in the 8-byte slots of the function's own frame too: an
 * aligned 8-byte store of a register gives its slot that register's offset, an aligned 8-byte
 * load gives the register the slot's. Anything else that may write a slot makes it unrelated:
 *   - a store through r10 over the slot's bytes (other widths, immediates, atomics);
 *   - a store through another register that may point into this frame (a stack pointer of this
 *     frame: the slots its offset range reaches; anything but a pointer to another region: all);
 *   - a helper that writes memory through an argument that may point into this frame (from its
 *     lowest offset to the frame's end), and any local call (the callee may write through any
 *     pointer it is given).
 * The helpers' read and write kinds are those calls.ts checks the arguments against: a helper
 * declared to read an argument's bytes never writes them.
 *
 * Only the slots the loop spills to (aligned 8-byte stores through r10 in its body) can ever hold
 * an offset: every other slot starts unrelated and nothing else makes one related. So the
 * locations are r0..r10 and those slots alone (SpillSlots), which keeps the arrays copied on
 * every step of carried.ts short (a 512-byte frame has 64 slots; a loop spills to a few).
 */
import { BPF_LDX, BPF_ST, BPF_STX, CALL_LOCAL, JMP_CALL, BPF_JMP, MODE_MEM, SIZE_B, SIZE_DW, SIZE_H, insnClass, type Insn } from '../isa.js';
import type { State, Value } from './state.js';
import type { Env } from './pass.js';

/** Offsets from the followed value ([lo, hi]), or null: unrelated. */
export type Delta = readonly [bigint, bigint] | null;
export type Locs = Delta[];

/** Locs indexes: r0..r10, then the loop's spill slots (SpillSlots.slots order). */
export const SLOT_BASE = 11;

/** The frame's slots a loop spills to: `slots[i]` is slot k (8 bytes at k * 8 - frameSize), `index[k]` its i or -1. */
export interface SpillSlots {
  readonly slots: readonly number[];
  readonly index: Int16Array;
}

/** The slots the instructions at `pcs` spill to. */
export function spillSlots(env: Env, insns: readonly Insn[], pcs: Iterable<number>): SpillSlots {
  const index = new Int16Array(env.frameSize >> 3).fill(-1);
  const slots: number[] = [];
  for (const pc of pcs) {
    const insn = insns[pc]!;
    if (insn.opcode !== STX_DW || insn.dst !== 10) continue;
    const k = slotAt(insn.off, env.frameSize);
    if (k >= 0 && index[k] === -1) {
      index[k] = slots.length;
      slots.push(k);
    }
  }
  return { slots, index };
}

const LDX_DW = BPF_LDX | MODE_MEM | SIZE_DW;
const STX_DW = BPF_STX | MODE_MEM | SIZE_DW;

function width(opcode: number): number {
  const size = opcode & 0x18;
  return size === SIZE_DW ? 8 : size === SIZE_B ? 1 : size === SIZE_H ? 2 : 4;
}

/** The slot an aligned 8-byte access at r10 + off names, or -1. */
function slotAt(off: number, frameSize: number): number {
  const k = off + frameSize;
  return (k & 7) === 0 && k >= 0 && k + 8 <= frameSize ? k >> 3 : -1;
}

/** Slots overlapping the frame offsets [lo, hi) made unrelated (out is a copy when changed). */
function forget(locs: Locs, lo: bigint, hi: bigint, frameSize: number, sp: SpillSlots): Locs {
  let out: Locs | undefined;
  for (let i = 0; i < sp.slots.length; i++) {
    if (locs[SLOT_BASE + i] === null) continue;
    const a = BigInt(sp.slots[i]! * 8 - frameSize);
    if (a + 8n <= lo || a >= hi) continue;
    (out ??= locs.slice())[SLOT_BASE + i] = null;
  }
  return out ?? locs;
}

/** What a write through v (of up to `len` bytes past its offset; -1: unknown) may reach in the frame of depth `depth`. */
function through(locs: Locs, v: Value | undefined, extra: number, len: number, depth: number, frameSize: number, sp: SpillSlots): Locs {
  if (v !== undefined && v.k === 'ptr' && (v.region !== 'stack' || (depth >= 0 && v.index !== depth))) return locs;
  if (v === undefined || v.k !== 'ptr') return forget(locs, BigInt(-frameSize), 0n, frameSize, sp);
  const lo = v.off.smin + BigInt(extra);
  const hi = len < 0 ? 0n : v.off.smax + BigInt(extra + len);
  return forget(locs, lo, hi, frameSize, sp);
}

/**
 * The slots after insn and, for an aligned 8-byte load from a slot, the register's offset too
 * (`loaded`: the caller then skips its own register transfer). st: the state before insn.
 */
export function spillStep(env: Env, sp: SpillSlots, insn: Insn, before: Locs, st: State | undefined): { locs: Locs; loaded: boolean } {
  const cls = insnClass(insn.opcode);
  const frameSize = env.frameSize;
  const r10 = st?.regs[10];
  const depth = r10 !== undefined && r10.k === 'ptr' ? r10.index : -1;
  if (insn.opcode === LDX_DW && insn.src === 10) {
    const k = slotAt(insn.off, frameSize);
    if (k < 0) return { locs: before, loaded: false };
    // A slot the loop never spills to holds no offset.
    const i = sp.index[k]!;
    const out = before.slice();
    out[insn.dst] = i < 0 ? null : before[SLOT_BASE + i]!;
    return { locs: out, loaded: true };
  }
  if (cls === BPF_ST || cls === BPF_STX) {
    if (insn.dst === 10) {
      const k = insn.opcode === STX_DW ? slotAt(insn.off, frameSize) : -1;
      // Every such store of the loop's body has its slot (spillSlots).
      const i = k >= 0 ? sp.index[k]! : -1;
      if (i >= 0) {
        const out = before.slice();
        out[SLOT_BASE + i] = before[insn.src]!;
        return { locs: out, loaded: false };
      }
      return { locs: forget(before, BigInt(insn.off), BigInt(insn.off + width(insn.opcode)), frameSize, sp), loaded: false };
    }
    return { locs: through(before, st?.regs[insn.dst], insn.off, width(insn.opcode), depth, frameSize, sp), loaded: false };
  }
  if (cls === BPF_JMP && (insn.opcode & 0xf0) === JMP_CALL) {
    const sig = insn.src === CALL_LOCAL ? undefined : env.helper(insn.imm);
    if (sig === undefined) return { locs: forget(before, BigInt(-frameSize), 0n, frameSize, sp), loaded: false };
    let locs = before;
    sig.args.forEach((spec, i) => {
      if ((spec.kind === 'mem' && spec.access === 'write') || spec.kind === 'any') locs = through(locs, st?.regs[i + 1], 0, -1, depth, frameSize, sp);
    });
    return { locs, loaded: false };
  }
  return { locs: before, loaded: false };
}
