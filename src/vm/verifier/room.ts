/**
 * The room left after a context pointer: `n = end - p` is exactly len - off(p), so p + n is the
 * buffer's end even when p's offset is a range (parse_repair's later varints, datagram's
 * `len > end - bytes`). A context pointer may carry `pid`, an identity its copies share; a number
 * may carry `room` = {pid, slack}: value + off(p) <= len - slack for the pointer p with that pid,
 * as exact integers. It comes from `end - p` (end the buffer's end exactly: `isEnd`), passes to
 * whatever is at most that number (a comparison, varint_decode's result), proves a helper's
 * `len` bytes at p, and bounds `p + value` by the buffer's end.
 *
 * Sound because a pointer with a pid is never changed in place (arithmetic gives a new pointer
 * without it, alu.ts), a number's room only shrinks what the number may be, and forgetting a pid
 * (a new pointer reuses it) drops every room that names it.
 */
import { S64_MAX, scalarMeet, scalarU, type Scalar } from './scalar.js';
import { scalarValue, type PtrValue, type Room, type ScalarValue, type State, type Value } from './state.js';

/** a and b's room when they name the same pointer: the weaker (smaller) slack. */
export function joinRoom(a: Room | undefined, b: Room | undefined): Room | undefined {
  if (a === undefined || b === undefined || a.pid !== b.pid) return undefined;
  return a.slack <= b.slack ? a : b;
}

/** a's room implies b's. */
export function leqRoom(a: Room | undefined, b: Room | undefined): boolean {
  return b === undefined || (a !== undefined && a.pid === b.pid && a.slack >= b.slack);
}

/** Drops pid (pointer copies) and the rooms naming it: the label is about to mean another pointer. */
export function forgetPid(st: State, pid: number): void {
  const fix = (v: Value | undefined): Value | undefined => {
    if (v?.k === 'ptr' && v.pid === pid) return { ...v, pid: undefined };
    if (v?.k === 'scalar' && v.room?.pid === pid) return { ...v, room: undefined };
    return v;
  };
  for (let r = 0; r < 11; r++) st.regs[r] = fix(st.regs[r])!;
  st.frames.forEach((f, i) => {
    if (!f.slots.some((v) => fix(v) !== v)) return;
    st.frames[i] = { slots: f.slots.map(fix), masks: f.masks };
  });
}

/**
 * `end - p` with end at the buffer's end exactly and p inside it (0 <= off(p) <= len - k): the
 * difference is len - off(p), in [k, len - off(p).min], never negative. Gives p a pid (pc + 1
 * when it has none) and the difference its room.
 */
export function endMinus(st: State, pc: number, diff: Scalar, end: PtrValue, p: PtrValue, psrc: number | undefined): ScalarValue | undefined {
  if (!end.isEnd || p.region !== 'ctx' || p.offSlack === null || p.offSlack < 0n || p.off.smin < 0n || p.nullable) return undefined;
  let pid = p.pid;
  if (pid === undefined) {
    pid = pc + 1;
    forgetPid(st, pid);
    const named = { ...p, pid };
    // Every copy of p is the same pointer: the register read, and the source when it is one,
    // and the stack slots it was spilled to or loaded from (a spill stores the value itself).
    for (let r = 0; r < 10; r++) if (st.regs[r] === p) st.regs[r] = named;
    st.frames.forEach((f, i) => {
      if (f.slots.includes(p)) st.frames[i] = { slots: f.slots.map((v) => (v === p ? named : v)), masks: f.masks };
    });
    if (psrc !== undefined) st.regs[psrc] = named;
  }
  const hi = st.ctxLen.umax - p.off.smin;
  const range = scalarU(p.offSlack, hi < p.offSlack ? p.offSlack : hi > S64_MAX ? S64_MAX : hi);
  const s = (range && scalarMeet(diff, range)) ?? diff;
  return { ...scalarValue(s, { lenSlack: p.off.smin }), room: { pid, slack: 0n } };
}

/** x <= y (strict: x < y) with y's room: x has that room too (x + off(p) <= y + off(p)). */
export function roomBelow(x: ScalarValue, y: Value, strict: boolean): ScalarValue {
  if (y.k !== 'scalar' || y.room === undefined || x.tainted) return x;
  const room = { pid: y.room.pid, slack: y.room.slack + (strict ? 1n : 0n) };
  return leqRoom(x.room, room) ? x : { ...x, room };
}

/** p + n with n's room naming p: off(p) + n <= len - slack, so the sum's offSlack is at least slack. */
export function roomSlack(p: PtrValue, n: ScalarValue): bigint | undefined {
  if (p.region !== 'ctx' || p.pid === undefined || n.room?.pid !== p.pid || n.tainted || p.off.smin < 0n) return undefined;
  return n.room.slack;
}

/** A helper's `len` bytes at context pointer b, len's room naming b: inside the buffer. */
export function roomCovers(b: PtrValue, len: Value | undefined): boolean {
  return len?.k === 'scalar' && roomSlack(b, len) !== undefined && len.room!.slack >= 0n;
}

/**
 * A room that is at least m: off(p) + m <= off(p) + n <= len - slack, so p itself is at least
 * slack + m bytes before the end (offSlack). After `if (end - bytes >= need)` with need >= 4
 * (a sum of bounded parts, not a constant), bytes[0..3] are inside the buffer.
 */
export function roomFloors(st: State): void {
  for (let r = 0; r < 10; r++) {
    const n = st.regs[r];
    if (n?.k !== 'scalar' || n.room === undefined || n.tainted || n.s.umin === 0n || n.s.umin > S64_MAX) continue;
    const floor = n.room.slack + n.s.umin;
    const raise = (v: Value | undefined): Value | undefined =>
      v?.k === 'ptr' && v.region === 'ctx' && v.pid === n.room!.pid && (v.offSlack === null || v.offSlack < floor) ? { ...v, offSlack: floor } : v;
    for (let q = 0; q < 11; q++) st.regs[q] = raise(st.regs[q])!;
    st.frames.forEach((f, i) => {
      if (!f.slots.some((v) => raise(v) !== v)) return;
      st.frames[i] = { slots: f.slots.map(raise), masks: f.masks };
    });
  }
}
