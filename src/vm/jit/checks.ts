/**
 * Merging region checks. Within one fuel segment (fuel.ts), the loads and stores that use the
 * same base register, unchanged in between, form a group: one check of the union of their byte
 * ranges, at the first of them, replaces their separate checks (a read-modify-write of one word
 * becomes one check instead of two).
 *
 * Exactness: when the union check fails (an access would fault, or the union spans two regions,
 * or a read-only region is written), the code does not fault itself: it bails to the interpreter
 * right before the group's first access, with the fuel the interpreter would have there, and the
 * interpreter runs on from that exact state (codegen.ts). So errors stay the interpreter's, pc,
 * address and all.
 */
import { writtenRegister, type Insn, type OpInfo } from '../isa.js';
import type { Block } from './cfg.js';
import type { Segment } from './fuel.js';

export interface MergedCheck {
  /** Smallest offset and the byte length of the union, from the base register. */
  minOff: number;
  span: number;
  /** A write check (a store or atomic in the group; a writable region is also readable). */
  write: boolean;
  /** Instructions of the segment not yet run at the group's first access (fuel to give back on a bail). */
  unspent: number;
}

export interface CheckPlan {
  /** At a block index: the merged check to do before that access. */
  merged: Map<number, MergedCheck>;
  /** Block indices whose own check the merged one covers. */
  covered: Set<number>;
}

/** Whether an instruction loads or stores (what needs a region check). */
export function isAccess(op: OpInfo): boolean {
  return op.kind === 'ldx' || op.kind === 'ldxs' || op.kind === 'st' || op.kind === 'stx' || op.kind === 'atomic';
}

/** `inFrame`: block indices of accesses that need no check at all (ranges.ts). */
export function planChecks(block: Block, segs: Segment[], insns: Insn[], info: (OpInfo | undefined)[], inFrame: ReadonlySet<number>): CheckPlan {
  const merged = new Map<number, MergedCheck>();
  const covered = new Set<number>();
  const generation = new Int32Array(11);
  const groups = new Map<number, number[]>();
  for (let s = 0; s < segs.length; s++) {
    const seg = segs[s]!;
    const end = s + 1 < segs.length ? segs[s + 1]!.first : block.pcs.length;
    // Fewer than two accesses to check: nothing to merge.
    let checkable = 0;
    for (let i = seg.first; i < end && checkable < 2; i++) if (isAccess(info[block.pcs[i]!]!) && !inFrame.has(i)) checkable++;
    if (checkable < 2) continue;
    generation.fill(0);
    groups.clear();
    for (let i = seg.first; i < end; i++) {
      const pc = block.pcs[i]!;
      const insn = insns[pc]!;
      const op = info[pc]!;
      if (isAccess(op)) {
        const base = op.kind === 'ldx' || op.kind === 'ldxs' ? insn.src : insn.dst;
        if (!inFrame.has(i)) {
          const key = base * 65536 + generation[base]!;
          const g = groups.get(key);
          if (g) g.push(i);
          else groups.set(key, [i]);
        }
      }
      const w = writtenRegister(insn, op); // a call ends its segment, so calls need no case
      if (w >= 0) generation[w]!++;
    }
    for (const g of groups.values()) {
      if (g.length < 2) continue;
      let minOff = Infinity;
      let maxEnd = -Infinity;
      let write = false;
      for (let j = 0; j < g.length; j++) {
        const i = g[j]!;
        const pc = block.pcs[i]!;
        const op = info[pc]!;
        const off = insns[pc]!.off;
        minOff = Math.min(minOff, off);
        maxEnd = Math.max(maxEnd, off + op.size!);
        if (op.kind !== 'ldx' && op.kind !== 'ldxs') write = true;
        covered.add(i);
      }
      merged.set(g[0]!, { minOff, span: maxEnd - minOff, write, unspent: seg.cost - (g[0]! - seg.first) });
    }
  }
  return { merged, covered };
}
