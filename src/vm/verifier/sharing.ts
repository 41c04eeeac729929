/**
 * Pointers that are one JavaScript object in several locations of a state. Two relations read
 * that sharing as "these locations are copies of one pointer": `end - p` names every location
 * holding p's object with p's pid (room.ts, endMinus), and a length field read through b sizes
 * every location holding b's object (len-fields.ts, relateLength). A join keeps an object only
 * where both sides hold it (joinValue's `a === b`), so sharing survives a join only when both
 * sides share; the inclusion test must agree, or a path pruned by `leqState(out, old)` would
 * leave `old` claiming copies that `out` does not have (two different pointers, each within
 * old's range): the fixpoint would not be one for these relations.
 *
 * Only context and heap pointers matter (the only values those relations look up by object);
 * pinSlot's `slot === v` compares a load's result with the slot it was read from, one location.
 */
import type { State, Value } from './state.js';

/** Whether a location holding v may be taken for a copy of another location holding the same object. */
function shareable(v: Value | undefined): boolean {
  return v !== undefined && v.k === 'ptr' && (v.region === 'ctx' || v.region === 'heap');
}

/** Every location of b holding object y holds object x in a. */
function sameWhere(a: State, b: State, y: Value, x: Value | undefined): boolean {
  for (let r = 0; r < 10; r++) if (b.regs[r] === y && a.regs[r] !== x) return false;
  for (let i = 0; i < b.frames.length; i++) {
    const sb = b.frames[i]!.slots;
    const sa = a.frames[i]!.slots;
    for (let k = 0; k < sb.length; k++) if (sb[k] === y && sa[k] !== x) return false;
  }
  return true;
}

/**
 * Whether every two locations that hold one pointer object in b hold one object in a too (a and
 * b have as many frames, of the same sizes). Only locations that changed from b to a need a look:
 * where both kept b's objects, a shares what b shares. Most inclusion tests find none.
 */
export function keepsSharing(a: State, b: State): boolean {
  for (let r = 0; r < 10; r++) {
    const y = b.regs[r];
    if (a.regs[r] !== y && shareable(y) && !sameWhere(a, b, y!, a.regs[r])) return false;
  }
  for (let i = 0; i < b.frames.length; i++) {
    const sb = b.frames[i]!.slots;
    const sa = a.frames[i]!.slots;
    if (sa === sb) continue;
    for (let k = 0; k < sb.length; k++) {
      const y = sb[k];
      if (sa[k] !== y && shareable(y) && !sameWhere(a, b, y!, sa[k])) return false;
    }
  }
  return true;
}
