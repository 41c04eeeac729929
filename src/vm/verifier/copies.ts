/**
 * Copies that meet at a join. Values sharing a scalar id are equal (state.ts); a join keeps an id
 * only when both sides carry the same one, so a register and the stack slot it was spilled to
 * lose their link where two paths meet, each having linked them under its own id (datagram's
 * `len`: spilled on one path, decoded by varint_decode into the slot and loaded on the other).
 * Locations that are copies of one another on both sides are copies after the join: they get
 * an id no value of the joined state holds or names, so the label means only them.
 */
import type { Frame, State, Value } from './state.js';

type Loc = { readonly reg: number } | { readonly frame: number; readonly slot: number };

function idOf(v: Value | undefined): number {
  return v?.k === 'scalar' ? v.id : 0;
}

function mark(used: Set<number>, v: Value | undefined): void {
  if (v?.k === 'scalar') {
    if (v.id !== 0) used.add(v.id);
    if (v.sum) used.add(v.sum.id);
    if (v.le) used.add(v.le.id);
    // A delta or quotient names its copy's id: giving that id to another class of copies
    // would make it speak of their value instead.
    if (v.delta) used.add(v.delta.id);
    if (v.quot) used.add(v.quot.id);
  } else if (v?.k === 'ptr' && v.sizeOf) used.add(v.sizeOf.id);
}

/** Gives the locations that are copies on both sides of the join (a, b) one id in `regs` and `frames` (the join). */
export function relinkCopies(a: State, b: State, regs: Value[], frames: Frame[]): void {
  // Joins are the analysis' hot path: look for a location that lost its link before any work.
  let ptr = false;
  let num = false;
  const probe = (va: Value | undefined, vb: Value | undefined): void => {
    if (va === vb || va === undefined || vb === undefined || va.k !== vb.k) return;
    if (va.k === 'ptr' && vb.k === 'ptr' && va.pid !== undefined && vb.pid !== undefined && va.pid !== vb.pid) ptr = true;
    else if (va.k === 'scalar' && vb.k === 'scalar' && va.id !== 0 && vb.id !== 0 && va.id !== vb.id) num = true;
  };
  for (let r = 0; r < 10; r++) probe(a.regs[r], b.regs[r]);
  for (let f = 0; f < frames.length; f++) {
    const sa = a.frames[f]!.slots;
    const sb = b.frames[f]!.slots;
    if (sa === sb) continue;
    for (let k = 0; k < sa.length; k++) probe(sa[k], sb[k]);
  }
  if (ptr) relinkPointers(a, b, regs, frames);
  if (num) relinkNumbers(a, b, regs, frames);
}

/** Every location of the join: registers r0-r9, then each frame's slots. */
function locations(frames: Frame[]): Loc[] {
  const out: Loc[] = [];
  for (let r = 0; r < 10; r++) out.push({ reg: r });
  frames.forEach((f, frame) => f.slots.forEach((_, slot) => out.push({ frame, slot })));
  return out;
}

function at(regs: readonly Value[], frames: readonly Frame[], loc: Loc): Value | undefined {
  return 'reg' in loc ? regs[loc.reg] : frames[loc.frame]!.slots[loc.slot];
}

function put(regs: Value[], frames: Frame[], copied: Set<number>, loc: Loc, v: Value): void {
  if ('reg' in loc) {
    regs[loc.reg] = v;
    return;
  }
  if (!copied.has(loc.frame)) {
    frames[loc.frame] = { slots: frames[loc.frame]!.slots.slice(), masks: frames[loc.frame]!.masks };
    copied.add(loc.frame);
  }
  (frames[loc.frame]!.slots as (Value | undefined)[])[loc.slot] = v;
}

/**
 * The same for context pointers and the rooms that name them (room.ts): a pointer that carries
 * pid x on one side and y on the other, with the numbers whose room names x on one side and y on
 * the other, keep the link under one pid no value of the join holds or names.
 */
function relinkPointers(a: State, b: State, regs: Value[], frames: Frame[]): void {
  const pidOf = (v: Value | undefined): number | undefined => (v?.k === 'ptr' ? v.pid : undefined);
  const roomOf = (v: Value | undefined): number | undefined => (v?.k === 'scalar' ? v.room?.pid : undefined);
  const locs = locations(frames);
  const ptrs = new Map<string, Loc[]>();
  let any = false;
  for (const loc of locs) {
    const j = at(regs, frames, loc);
    const pa = pidOf(at(a.regs, a.frames, loc));
    const pb = pidOf(at(b.regs, b.frames, loc));
    if (j?.k !== 'ptr' || j.pid !== undefined || pa === undefined || pb === undefined) continue;
    const key = `${pa}:${pb}`;
    ptrs.set(key, [...(ptrs.get(key) ?? []), loc]);
    any = true;
  }
  if (!any) return;
  const used = new Set<number>();
  for (const loc of locs) {
    const v = at(regs, frames, loc);
    const x = pidOf(v) ?? roomOf(v);
    if (x !== undefined) used.add(x);
  }
  const copied = new Set<number>();
  for (const [key, group] of ptrs) {
    const [pa, pb] = key.split(':').map(Number) as [number, number];
    const pid = !used.has(pa) ? pa : !used.has(pb) ? pb : undefined;
    if (pid === undefined) continue;
    used.add(pid);
    for (const loc of group) put(regs, frames, copied, loc, { ...(at(regs, frames, loc) as Extract<Value, { k: 'ptr' }>), pid });
    for (const loc of locs) {
      const j = at(regs, frames, loc);
      const va = at(a.regs, a.frames, loc);
      const vb = at(b.regs, b.frames, loc);
      if (j?.k !== 'scalar' || j.room !== undefined || va?.k !== 'scalar' || vb?.k !== 'scalar' || va.room?.pid !== pa || vb.room?.pid !== pb) continue;
      const slack = va.room.slack < vb.room.slack ? va.room.slack : vb.room.slack;
      put(regs, frames, copied, loc, { ...j, room: { pid, slack } });
    }
  }
}

function relinkNumbers(a: State, b: State, regs: Value[], frames: Frame[]): void {
  const classes = new Map<string, Loc[]>();
  const visit = (loc: Loc, va: Value | undefined, vb: Value | undefined, vj: Value | undefined): void => {
    const ia = idOf(va);
    const ib = idOf(vb);
    if (ia === 0 || ib === 0 || vj?.k !== 'scalar' || vj.id !== 0) return;
    const key = `${ia}:${ib}`;
    const c = classes.get(key);
    if (c) c.push(loc);
    else classes.set(key, [loc]);
  };
  for (let r = 0; r < 10; r++) visit({ reg: r }, a.regs[r], b.regs[r], regs[r]);
  for (let f = 0; f < frames.length; f++) {
    const fa = a.frames[f]!;
    const fb = b.frames[f]!;
    for (let k = 0; k < frames[f]!.slots.length; k++) visit({ frame: f, slot: k }, fa.slots[k], fb.slots[k], frames[f]!.slots[k]);
  }
  let todo = false;
  for (const c of classes.values()) if (c.length > 1) todo = true;
  if (!todo) return;
  const used = new Set<number>();
  for (const v of regs) mark(used, v);
  for (const f of frames) for (const v of f.slots) mark(used, v);
  const copied = new Set<number>();
  for (const [key, locs] of classes) {
    if (locs.length < 2) continue;
    const [ia, ib] = key.split(':').map(Number) as [number, number];
    // The first side's label first: at a loop head that is the old state's, so the fixpoint settles.
    const id = !used.has(ia) ? ia : !used.has(ib) ? ib : 0;
    if (id === 0) continue;
    used.add(id);
    for (const loc of locs) {
      if ('reg' in loc) regs[loc.reg] = { ...(regs[loc.reg] as Extract<Value, { k: 'scalar' }>), id };
      else {
        if (!copied.has(loc.frame)) {
          frames[loc.frame] = { slots: frames[loc.frame]!.slots.slice(), masks: frames[loc.frame]!.masks };
          copied.add(loc.frame);
        }
        const slots = frames[loc.frame]!.slots as (Value | undefined)[];
        slots[loc.slot] = { ...(slots[loc.slot] as Extract<Value, { k: 'scalar' }>), id };
      }
    }
  }
}
