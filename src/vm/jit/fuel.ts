/**
 * Where the JIT charges and checks fuel (the instruction budget).
 *
 * The interpreter takes one unit per instruction and fails at the first instruction it cannot
 * pay. The JIT charges whole segments (the instructions of a block up to and including a call;
 * a callee pays for itself) with one subtraction, and checks the budget only at checkpoints: the
 * function's entry, loop headers, the instruction after a call, and every block of an irreducible
 * function. A checkpoint asks for the most fuel any path can spend before the next checkpoint
 * (loop-free, so the maximum exists). If that much is left, no check is needed until then; if not,
 * the function bails there and the interpreter runs on from that exact state (codegen.ts), so the
 * point of exhaustion, its error and every effect before it are the interpreter's, and on success
 * the instruction count is exact.
 */
import type { OpInfo } from '../isa.js';
import type { Cfg } from './cfg.js';

export interface Segment {
  /** Index in the block's `pcs` of the first instruction (pcs.length for a fault-only block). */
  first: number;
  /** Slot where the interpreter would resume if the check fails. */
  pc: number;
  /** Instructions charged. */
  cost: number;
  /** Fuel the checkpoint asks for; 0 when the segment is not a checkpoint. */
  check: number;
}

function isCall(op: OpInfo | undefined): boolean {
  return op?.kind === 'call' || op?.kind === 'callx';
}

export function planFuel(cfg: Cfg, info: readonly (OpInfo | undefined)[]): Segment[][] {
  const blocks = cfg.blocks;
  const n = blocks.length;
  const segs: Segment[][] = [];
  /** Whether the block's last segment ends with a call (its successors start after a call). */
  const endsWithCall: boolean[] = [];
  for (let bi = 0; bi < n; bi++) {
    const b = blocks[bi]!;
    const s: Segment[] = [];
    let open: Segment | undefined;
    for (let i = 0; i < b.pcs.length; i++) {
      const pc = b.pcs[i]!;
      if (!open) {
        open = { first: i, pc, cost: 0, check: 0 };
        s.push(open);
      }
      open.cost++;
      if (isCall(info[pc])) open = undefined;
    }
    endsWithCall.push(s.length > 0 && open === undefined);
    // The interpreter charges the slot it cannot run before it faults.
    if (b.exit.kind === 'fault') {
      if (open) open.cost++;
      else s.push({ first: b.pcs.length, pc: b.exit.pc, cost: 1, check: 0 });
    }
    segs.push(s);
  }
  const checkpoint: boolean[] = [];
  for (let i = 0; i < n; i++) {
    let cp = !cfg.reducible || i === 0;
    const preds = blocks[i]!.preds;
    for (let j = 0; j < preds.length && !cp; j++) cp = preds[j]! >= i;
    checkpoint.push(cp);
  }
  for (let i = 0; i < n; i++) {
    const succs = blocks[i]!.succs;
    if (endsWithCall[i]) for (let j = 0; j < succs.length; j++) checkpoint[succs[j]!] = true;
  }
  // Most fuel spent from a block's entry to the next checkpoint; successors come later in RPO
  // except along back edges, which end at loop headers (checkpoints).
  const maxFrom = new Array<number>(n).fill(0);
  for (let i = n - 1; i >= 0; i--) {
    const s = segs[i]!;
    let tail = 0;
    const succs = blocks[i]!.succs;
    if (!endsWithCall[i]) {
      for (let j = 0; j < succs.length; j++) {
        const t = succs[j]!;
        if (t > i && !checkpoint[t]) tail = Math.max(tail, maxFrom[t]!);
      }
    }
    const last = s.length - 1;
    for (let k = 0; k < s.length; k++) {
      const seg = s[k]!;
      const ahead = seg.cost + (k === last ? tail : 0);
      if (k === 0) {
        maxFrom[i] = ahead;
        if (checkpoint[i]) seg.check = ahead;
      } else {
        seg.check = ahead; // right after a call
      }
    }
  }
  return segs;
}
