/** The stack frames of the abstract state: 8-byte slots with per-byte initialization. */
import { scalarOfWidth } from './scalar.js';
import { initsCover } from './inits.js';
import { scalarValue, type Frame, type PtrValue, type State, type Value } from './state.js';

export function writeStack(st: State, frame: number, lo: bigint, hi: bigint, width: number, value: Value | undefined, frameSize: number): void {
  const f = st.frames[frame]!;
  const n = f.slots.length;
  const slots = f.slots.slice();
  const base = BigInt(frameSize);
  if (lo === hi) {
    const start = Number(lo + base);
    if (start < 0 || start + width > frameSize) return;
    const k = start >> 3;
    if (value !== undefined && width === 8 && (start & 7) === 0) {
      slots[k] = value;
      // Masks are shared between states: copied only when this store sets new bytes (a spill
      // to a slot written before, the common case, keeps them).
      if (f.masks[k] === 0xff) {
        st.frames[frame] = { slots, masks: f.masks };
        return;
      }
      const masks = f.masks.slice();
      masks[k] = 0xff;
      st.frames[frame] = { slots, masks };
      return;
    }
    const masks = f.masks.slice();
    for (let b = start; b < start + width; b++) {
      slots[b >> 3] = undefined;
      masks[b >> 3] = masks[b >> 3]! | (1 << (b & 7));
    }
    st.frames[frame] = { slots, masks };
    return;
  }
  // A variable offset: which bytes were written is unknown; only what they held is lost.
  const a = Math.max(0, Number(lo + base) >> 3);
  const b = Math.min(n - 1, Number(hi + base + BigInt(width) - 1n) >> 3);
  for (let k = a; k <= b; k++) slots[k] = undefined;
  st.frames[frame] = { slots, masks: f.masks };
}

/** Bytes [lo, hi + width) of a frame all written on every path. */
export function stackInit(f: Frame, lo: bigint, hi: bigint, width: bigint, frameSize: number): boolean {
  const start = Number(lo) + frameSize;
  const end = Number(hi + width) + frameSize;
  for (let b = Math.max(0, start); b < Math.min(end, frameSize); b++) if (!(f.masks[b >> 3]! & (1 << (b & 7)))) return false;
  return true;
}

export function readStack(st: State, p: PtrValue, extra: number, width: number, frameSize: number): Value | 'uninit' {
  const f = st.frames[p.index]!;
  const lo = p.off.smin + BigInt(extra);
  const hi = p.off.smax + BigInt(extra);
  if (!stackInit(f, lo, hi, BigInt(width), frameSize) && !initsCover(st, p.index, lo, hi + BigInt(width))) return 'uninit';
  if (lo === hi && width === 8 && ((Number(lo) + frameSize) & 7) === 0) {
    const v = f.slots[(Number(lo) + frameSize) >> 3];
    if (v !== undefined) return v;
  }
  // Part of a spilled pointer is still an address: it must not reach the host either.
  const a = Math.max(0, (Number(lo) + frameSize) >> 3);
  const b = Math.min(f.slots.length - 1, (Number(hi) + frameSize + width - 1) >> 3);
  let tainted = false;
  for (let k = a; k <= b; k++) {
    const v = f.slots[k];
    if (v && (v.k === 'ptr' || (v.k === 'scalar' && v.tainted))) tainted = true;
  }
  return scalarValue(scalarOfWidth(width), { tainted });
}

/**
 * A write the analysis cannot place (through a number, or a pointer whose bounds are unproven)
 * passes the runtime check wherever the address lands in a writable region, the stack of every
 * frame included: no spilled value can be trusted after it. What was written stays written (the
 * masks), only the values are lost.
 */
export function clobberStack(st: State): void {
  for (let i = 0; i < st.frames.length; i++) {
    const f = st.frames[i]!;
    if (f.slots.every((v) => v === undefined)) continue;
    st.frames[i] = { slots: f.slots.map(() => undefined), masks: f.masks };
  }
}
