/**
 * Abstract values and states. A register or 8-byte stack slot holds one of:
 *   uninit   never written (on some path): reading it is an error
 *   scalar   a number: ranges and known bits (scalar.ts), plus
 *            - `id`: equal to every other value with the same id (a copy), so a comparison
 *              refines all copies at once (the Linux verifier's scalar ids);
 *            - `isLen` / `lenSlack`: the relation with the length of the `mem` context
 *              (value = len, value <= len - lenSlack), which is what proves `if (i < len) a[i]`;
 *            - `lenDiv`: value <= m * floor(len / q) - s, the bound of a count of q-byte words
 *              (`words = len >> 3; i < words`) or of a multiple of it (`bits = words << 6`),
 *              which `rels` and shifts back turn into a byte bound;
 *            - `tainted`: it may hold an address (a pointer joined with a number), so it must
 *              not reach the host under strict
 *   ptr      a pointer into one region (stack frame, data section, heap block, context buffer)
 *            with an offset range; `nullable` until a NULL check (allocators)
 *   handle   an opaque core object (connection, path, ...): never dereferenced
 * A state is the registers, the stack of every active frame and the context length.
 */
import { joinInits, leqInits, type InitRange } from './inits.js';
import { SCALAR_UNKNOWN, formatScalar, isConst, scalarEq, scalarJoin, scalarLeq, scalarMeet, scalarWiden, toSigned, type Scalar } from './scalar.js';
import type { Sites } from './types.js';
import { sameSum } from './sizes.js';
import { sameQuot } from './rem.js';
import { relinkCopies } from './copies.js';
import { joinRoom, leqRoom } from './room.js';
import { joinLe, leqLe } from './below.js';
import { keepsSharing } from './sharing.js';

export type RegionKind = 'stack' | 'data' | 'heap' | 'ctx';

/** value <= m * floor(len / q) - s (exact integers, value unsigned), q >= 1, m >= 1. */
export interface LenDiv {
  readonly q: bigint;
  readonly m: bigint;
  readonly s: bigint;
}

/**
 * An affine equality between two registers: val(y) = a * val(x) + b (mod 2^64), where val is a
 * number's value or a pointer's offset (`ptr` names y's region, null for a number; x is always a
 * number). Two induction variables stepped in lockstep keep one (a counter and the offset it
 * indexes: `i += 1; p += 4`), so a bound on the counter bounds the offset (reduceRels).
 */
export interface Rel {
  readonly y: number;
  readonly x: number;
  readonly a: bigint;
  readonly b: bigint;
  readonly ptr: string | null;
}

/** val(id) + k: a scalar id's number plus a constant (sizes.ts). */
export interface SumOf {
  readonly id: number;
  readonly k: bigint;
}

/** value + off(p) <= len - slack for the context pointer p with that pid (room.ts). */
export interface Room {
  readonly pid: number;
  readonly slack: bigint;
}

export interface ScalarValue {
  readonly k: 'scalar';
  readonly s: Scalar;
  readonly id: number;
  readonly isLen: boolean;
  readonly lenSlack: bigint | null;
  readonly lenDiv: LenDiv | null;
  readonly tainted: boolean;
  /** Exactly val(id) + k (sizes.ts), when known. */
  readonly sum?: SumOf;
  /** At most the room after a context pointer (room.ts), when known. */
  readonly room?: Room;
  /** val(id) + k modulo 2^64 (delta.ts), when known. */
  readonly delta?: SumOf;
  /** At most val(id) + k (below.ts), when known. */
  readonly le?: SumOf;
  /** floor(val(id) / k), times k when scaled (rem.ts), when known. */
  readonly quot?: QuotOf;
}

export interface QuotOf {
  readonly id: number;
  readonly k: bigint;
  readonly scaled: boolean;
}

export interface PtrValue {
  readonly k: 'ptr';
  readonly region: RegionKind;
  /** Frame depth (stack) or section index (data); 0 otherwise. */
  readonly index: number;
  /** Heap: bytes the block has at least. */
  readonly size: bigint;
  readonly off: Scalar;
  /** ctx: off <= len - offSlack. */
  readonly offSlack: bigint | null;
  readonly nullable: boolean;
  /** Allocation id: copies of one allocator result share it, so one NULL check refines them all. */
  readonly nid: number;
  /**
   * Heap: the allocation sites the block may be of (cells.ts: the my_malloc calls), null when it
   * may be any site's. The type-stable allocator keeps every block of a site at its site's layout.
   */
  readonly sites: Sites;
  /** Heap: the block has at least val(id) + k bytes too (sizes.ts), when known. */
  readonly sizeOf?: SumOf;
  /** ctx: an identity its copies share, which rooms name (room.ts). */
  readonly pid?: number;
  /** ctx: the offset is the buffer's length exactly (the end input). */
  readonly isEnd?: boolean;
}

export interface HandleValue {
  readonly k: 'handle';
  readonly what: string;
}

export type Value = { readonly k: 'uninit' } | ScalarValue | PtrValue | HandleValue;

export const UNINIT: Value = { k: 'uninit' };

export function scalarValue(s: Scalar, extra?: Partial<Omit<ScalarValue, 'k' | 's'>>): ScalarValue {
  // Most numbers carry nothing else: build them directly (same shape as withRelations' plain one).
  if (extra === undefined) return { k: 'scalar', s, id: 0, isLen: false, lenSlack: null, lenDiv: null, tainted: false };
  return withRelations(s, extra.id ?? 0, extra.isLen ?? false, extra.lenSlack ?? null, extra.lenDiv ?? null, extra.tainted ?? false, extra.sum, extra.room, extra.delta, extra.le, extra.quot);
}

/**
 * Fields always in one order, so values have one of two hidden classes: without the relations to
 * other values (most numbers: 40 bytes less to allocate and collect), or with all of them.
 */
function withRelations(s: Scalar, id: number, isLen: boolean, lenSlack: bigint | null, lenDiv: LenDiv | null, tainted: boolean,
  sum: SumOf | undefined, room: Room | undefined, delta: SumOf | undefined, le: SumOf | undefined, quot: QuotOf | undefined): ScalarValue {
  if (sum === undefined && room === undefined && delta === undefined && le === undefined && quot === undefined) return { k: 'scalar', s, id, isLen, lenSlack, lenDiv, tainted };
  return { k: 'scalar', s, id, isLen, lenSlack, lenDiv, tainted, sum, room, delta, le, quot };
}

export const UNKNOWN: ScalarValue = scalarValue(SCALAR_UNKNOWN);

export function ptrValue(region: RegionKind, index: number, off: Scalar, extra: { size?: bigint; nullable?: boolean; offSlack?: bigint | null; nid?: number; sites?: Sites } = {}): PtrValue {
  return {
    k: 'ptr', region, index, size: extra.size ?? 0n, off, offSlack: extra.offSlack ?? null, nullable: extra.nullable ?? false, nid: extra.nid ?? 0, sites: extra.sites ?? null,
    sizeOf: undefined, pid: undefined, isEnd: undefined,
  };
}

/**
 * More sites than this in one pointer: any site (joins stay cheap; a plugin whose every pluglet
 * allocates its state block on first use has one site per pluglet).
 */
export const MAX_SITES = 64;

/** The sites of either: their union, or null (any) past MAX_SITES. */
export function joinSites(a: Sites | undefined, b: Sites | undefined): Sites {
  if (a === b) return a ?? null;
  if (!a || !b) return null;
  if (a.length === b.length && a.every((x, i) => x === b[i])) return a;
  const u = [...new Set([...a, ...b])].sort((x, y) => x - y);
  return u.length > MAX_SITES ? null : u;
}

/** a ⊆ b (null is every site). */
export function leqSites(a: Sites | undefined, b: Sites | undefined): boolean {
  if (!b) return true;
  return !!a && a.every((x) => b.includes(x));
}

const minN = (a: bigint | null, b: bigint | null): bigint | null => (a === null || b === null ? null : a < b ? a : b);

function joinDiv(a: LenDiv | null, b: LenDiv | null, widen: boolean): LenDiv | null {
  if (a === null || b === null || a.q !== b.q || a.m !== b.m) return null;
  if (a.s === b.s) return a;
  return widen ? null : a.s < b.s ? a : b;
}

export function joinValue(a: Value, b: Value, widen?: readonly bigint[]): Value {
  if (a === b) return a;
  if (a.k === 'uninit' || b.k === 'uninit') return UNINIT;
  if (a.k === 'scalar' && b.k === 'scalar') {
    return withRelations(widen ? scalarWiden(a.s, b.s, widen) : scalarJoin(a.s, b.s), a.id === b.id ? a.id : 0, a.isLen && b.isLen,
      widen && a.lenSlack !== b.lenSlack ? null : minN(a.lenSlack, b.lenSlack), joinDiv(a.lenDiv, b.lenDiv, widen !== undefined), a.tainted || b.tainted,
      sameSum(a.sum, b.sum), joinRoom(a.room, b.room), sameSum(a.delta, b.delta), joinLe(a, b), sameQuot(a.quot, b.quot));
  }
  if (a.k === 'ptr' && b.k === 'ptr' && a.region === b.region && a.index === b.index) {
    return {
      k: 'ptr', region: a.region, index: a.index, size: widen && a.size !== b.size ? 0n : a.size < b.size ? a.size : b.size,
      off: widen ? scalarWiden(a.off, b.off, widen) : scalarJoin(a.off, b.off),
      offSlack: widen && a.offSlack !== b.offSlack ? null : minN(a.offSlack, b.offSlack),
      nullable: a.nullable || b.nullable, nid: a.nid === b.nid ? a.nid : 0, sites: joinSites(a.sites, b.sites),
      sizeOf: sameSum(a.sizeOf, b.sizeOf), pid: a.pid === b.pid ? a.pid : undefined, isEnd: a.isEnd && b.isEnd,
    };
  }
  if (a.k === 'handle' && b.k === 'handle') return a.what === b.what ? a : { k: 'handle', what: 'object' };
  // A pointer on one path and NULL on the other: a pointer that may be NULL (checked before use).
  const isNull = (v: Value): boolean => v.k === 'scalar' && v.s.umax === 0n && !v.tainted;
  if (a.k === 'ptr' && isNull(b)) return a.nullable ? a : { ...a, nullable: true };
  if (b.k === 'ptr' && isNull(a)) return b.nullable ? b : { ...b, nullable: true };
  // Different kinds: a number that may be an address.
  return scalarValue(SCALAR_UNKNOWN, { tainted: a.k === 'ptr' || b.k === 'ptr' || (a.k === 'scalar' && a.tainted) || (b.k === 'scalar' && b.tainted) });
}

/** a ⊑ b. */
export function leqValue(a: Value, b: Value): boolean {
  if (a === b || b.k === 'uninit') return true;
  if (a.k === 'uninit') return false;
  if (a.k === 'scalar' && b.k === 'scalar') {
    return scalarLeq(a.s, b.s) && (b.id === 0 || a.id === b.id) && (!b.isLen || a.isLen)
      && (b.lenSlack === null || (a.lenSlack !== null && a.lenSlack >= b.lenSlack))
      && (b.lenDiv === null || (a.lenDiv !== null && a.lenDiv.q === b.lenDiv.q && a.lenDiv.m === b.lenDiv.m && a.lenDiv.s >= b.lenDiv.s)) && (!a.tainted || b.tainted)
      && (b.sum === undefined || sameSum(a.sum, b.sum) !== undefined) && leqRoom(a.room, b.room)
      && (b.delta === undefined || sameSum(a.delta, b.delta) !== undefined) && leqLe(a, b)
      && (b.quot === undefined || sameQuot(a.quot, b.quot) !== undefined);
  }
  if (a.k === 'ptr' && b.k === 'ptr') {
    return a.region === b.region && a.index === b.index && a.size >= b.size && scalarLeq(a.off, b.off)
      && (b.offSlack === null || (a.offSlack !== null && a.offSlack >= b.offSlack)) && (!a.nullable || b.nullable)
      && (b.nid === 0 || a.nid === b.nid) && leqSites(a.sites, b.sites)
      && (b.sizeOf === undefined || sameSum(a.sizeOf, b.sizeOf) !== undefined)
      && (b.pid === undefined || a.pid === b.pid) && (!b.isEnd || a.isEnd === true);
  }
  if (a.k === 'handle' && b.k === 'handle') return a.what === b.what || b.what === 'object';
  if (a.k === 'scalar' && a.s.umax === 0n && !a.tainted && b.k === 'ptr') return b.nullable;
  if (b.k === 'scalar' && b.tainted && scalarEq(b.s, SCALAR_UNKNOWN)) return true;
  return b.k === 'scalar' && a.k === 'handle' && scalarEq(b.s, SCALAR_UNKNOWN);
}

export function formatValue(v: Value): string {
  switch (v.k) {
    case 'uninit': return 'uninit';
    case 'scalar': {
      let s = isConst(v.s) ? formatScalar(v.s) : `scalar(${formatScalar(v.s)})`;
      if (v.isLen) s += '=len';
      else if (v.lenSlack !== null) s += `<=len-${v.lenSlack}`;
      if (v.lenDiv !== null) s += `<=${v.lenDiv.m === 1n ? '' : `${v.lenDiv.m}*`}len/${v.lenDiv.q}-${v.lenDiv.s}`;
      if (v.room) s += `<=room#${v.room.pid}-${v.room.slack}`;
      if (v.le) s += `<=val#${v.le.id}${v.le.k < 0n ? '' : '+'}${v.le.k}`;
      if (v.tainted) s += '(maybe address)';
      return s;
    }
    case 'ptr': {
      const r = v.region === 'stack' ? `stack${v.index === 0 ? '' : `#${v.index}`}` : v.region === 'data' ? `data#${v.index}` : v.region === 'heap' ? `heap(${v.size})` : 'ctx';
      const off = isConst(v.off) ? formatScalar(v.off) : formatScalar(v.off);
      return `${v.nullable ? 'ptr_or_null' : 'ptr'}(${r}${off === '0' ? '' : `${off.startsWith('-') ? '' : '+'}${off}`}${v.offSlack !== null ? ` <=len-${v.offSlack}` : ''}${v.pid !== undefined ? ` #${v.pid}` : ''})`;
    }
    case 'handle': return `handle(${v.what})`;
  }
}

/** One frame of the stack: 8-byte slots, each with a value (when whole) and its initialized bytes. */
export interface Frame {
  /** A value stored as 8 aligned bytes, or undefined (bytes, if any, are numbers). */
  readonly slots: readonly (Value | undefined)[];
  /** Bit i of masks[k]: byte i of slot k was written. */
  readonly masks: Uint8Array;
}

export function emptyFrame(size: number): Frame {
  const n = size >> 3;
  return { slots: new Array<Value | undefined>(n).fill(undefined), masks: new Uint8Array(n) };
}

export interface State {
  readonly regs: Value[];
  readonly frames: Frame[];
  /** Range of the context buffer's length (ctx mem). */
  ctxLen: Scalar;
  /** Affine equalities between registers (none when absent). */
  rels?: readonly Rel[];
  /** Stack ranges written through a stepped pointer (inits.ts; none when absent). */
  inits?: readonly InitRange[];
}

export function cloneState(s: State): State {
  return { regs: s.regs.slice(), frames: s.frames.slice(), ctxLen: s.ctxLen, rels: s.rels, inits: s.inits };
}

function joinFrame(a: Frame, b: Frame, widen?: readonly bigint[]): Frame {
  if (a === b) return a;
  const n = a.slots.length;
  // Copied only from the first slot that changes: most joins keep most of a's frame, and an
  // unchanged frame stays the same object (later joins and inclusion tests skip it at once).
  let slots: (Value | undefined)[] | undefined;
  let masks: Uint8Array | undefined;
  for (let i = 0; i < n; i++) {
    const ma = a.masks[i]!;
    const m = ma & b.masks[i]!;
    const x = a.slots[i];
    const y = b.slots[i];
    const v = x !== undefined && y !== undefined && m === 0xff ? joinValue(x, y, widen) : undefined;
    if (slots === undefined) {
      if (m === ma && v === x) continue;
      slots = a.slots.slice(0, n);
      masks = a.masks.slice();
    }
    masks![i] = m;
    slots[i] = v;
  }
  return slots === undefined ? a : { slots, masks: masks! };
}

/**
 * A number with no recorded relation to the context length still has one: v <= len.umin - umax.
 * Making it explicit before a join keeps `i = 0` and `i <= len - 1` joinable into `i <= len - 1`.
 */
function withSlack(v: Value, other: Value, st: State): Value {
  if (v.k === 'scalar' && v.lenSlack === null && other.k === 'scalar' && other.lenSlack !== null && v.s.umax <= st.ctxLen.umin) {
    v = { ...v, lenSlack: st.ctxLen.umin - v.s.umax };
  }
  // A context pointer too: off <= len.umin - off.smax, when that is tighter than its relation.
  if (v.k === 'ptr' && v.region === 'ctx' && other.k === 'ptr' && other.region === 'ctx' && other.offSlack !== null && v.off.smin >= 0n
    && v.off.smax <= st.ctxLen.umin && (v.offSlack === null || v.offSlack < st.ctxLen.umin - v.off.smax)) {
    v = { ...v, offSlack: st.ctxLen.umin - v.off.smax };
  }
  // Likewise v <= m * floor(len.umin / q) - (m * floor(len.umin / q) - umax) for a word count.
  if (v.k === 'scalar' && v.lenDiv === null && other.k === 'scalar' && other.lenDiv !== null) {
    const { q, m } = other.lenDiv;
    const top = m * (st.ctxLen.umin / q);
    if (v.s.umax <= top) v = { ...v, lenDiv: { q, m, s: top - v.s.umax } };
  }
  return v;
}

const U64M = (1n << 64n) - 1n;

/** The key of a relation's y, or undefined when v cannot take part in one. */
export function relKind(v: Value): string | null | undefined {
  if (v.k === 'scalar') return null;
  if (v.k === 'ptr' && !v.nullable) return `${v.region}:${v.index}`;
  return undefined;
}

/** The constant a register holds (a pointer: its offset), as a signed number. */
function constOf(v: Value): bigint | undefined {
  if (v.k === 'scalar' && isConst(v.s)) return toSigned(v.s.umin);
  if (v.k === 'ptr' && !v.nullable && isConst(v.off)) return toSigned(v.off.umin);
  return undefined;
}

/** Whether `r` holds in st: recorded, or both registers are constants that satisfy it. */
export function relHolds(st: State, r: Rel): boolean {
  if (st.rels?.some((q) => q.y === r.y && q.x === r.x && q.a === r.a && q.b === r.b && q.ptr === r.ptr)) return true;
  const xv = st.regs[r.x]!;
  const yv = st.regs[r.y]!;
  // Copies (one id) are equal: y = x + 0 holds between them without being recorded.
  if (r.a === 1n && r.b === 0n && xv.k === 'scalar' && yv.k === 'scalar' && xv.id !== 0 && xv.id === yv.id) return true;
  const x = xv.k === 'scalar' ? constOf(xv) : undefined;
  const y = constOf(yv);
  return x !== undefined && y !== undefined && relKind(yv) === r.ptr && ((r.a * x + r.b - y) & U64M) === 0n;
}

/** At most this many relations per state: enough for a loop's counters, and joins stay cheap. */
const MAX_RELS = 8;

/**
 * Relations true in both states: those of one that the other keeps or satisfies with
 * constants, and (hull) new ones through two points (x, y) where both states hold constants with
 * different x (the affine hull of two points: what a loop head sees after one trip).
 */
function joinRels(a: State, b: State, hull: boolean): readonly Rel[] | undefined {
  if (!a.rels && !b.rels && !hull) return undefined;
  const out: Rel[] = [];
  const has = (r: Rel): boolean => out.some((q) => q.y === r.y && q.x === r.x);
  for (const r of a.rels ?? []) if (relHolds(b, r) && !has(r)) out.push(r);
  for (const r of b.rels ?? []) if (relHolds(a, r) && !has(r)) out.push(r);
  for (let x = 0; hull && x < 10 && out.length < MAX_RELS; x++) {
    const xa = a.regs[x]!;
    const xb = b.regs[x]!;
    if (xa.k !== 'scalar' || xb.k !== 'scalar') continue;
    const x1 = constOf(xa);
    const x2 = constOf(xb);
    if (x1 === undefined || x2 === undefined || x1 === x2) continue;
    for (let y = 0; y < 10 && out.length < MAX_RELS; y++) {
      if (y === x) continue;
      const kind = relKind(a.regs[y]!);
      if (kind === undefined || relKind(b.regs[y]!) !== kind) continue;
      const y1 = constOf(a.regs[y]!);
      const y2 = constOf(b.regs[y]!);
      if (y1 === undefined || y2 === undefined || y1 === y2) continue;
      const dy = y2 - y1;
      const dx = x2 - x1;
      if (dy % dx !== 0n) continue;
      const k = dy / dx;
      // Small slopes only: the strides of arrays, not coincidences of large constants.
      if (k > 1n << 32n || k < -(1n << 32n)) continue;
      const r: Rel = { y, x, a: k, b: (y1 - k * x1) & U64M, ptr: kind };
      if (!has(r)) out.push(r);
    }
  }
  return out.length ? out : undefined;
}

/**
 * `hull`: also look for new relations through the two states' constants (at a loop head, where
 * the entry meets the first trip back; elsewhere only relations both sides hold survive).
 */
export function joinState(a: State, b: State, widen?: readonly bigint[], hull = false): State {
  const regs = a.regs.map((r, i) => {
    const y = b.regs[i]!;
    // The same value on both sides joins to itself (withSlack may tighten only a context pointer).
    if (r === y && (r.k !== 'ptr' || r.region !== 'ctx')) return r;
    return joinValue(withSlack(r, y, a), withSlack(y, r, b), widen);
  });
  const frames = a.frames.map((f, i) => joinFrame(f, b.frames[i]!, widen));
  const ctxLen = widen ? scalarWiden(a.ctxLen, b.ctxLen, widen) : scalarJoin(a.ctxLen, b.ctxLen);
  // Widening forgets the bound a relation with the length implies (a counter below len / q
  // widened to 2^63): put it back, or the offsets related to the counter lose their bound too.
  if (widen) for (let i = 0; i < regs.length; i++) regs[i] = capByLen(regs[i]!, ctxLen);
  relinkCopies(a, b, regs, frames);
  return { regs, frames, ctxLen, rels: joinRels(a, b, hull), inits: joinInits(a, b, widen !== undefined) };
}

/** v <= len - k gives v <= len.umax - k; v <= m * floor(len / q) - s gives v <= m * floor(len.umax / q) - s. */
function capByLen(v: Value, len: Scalar): Value {
  if (v.k !== 'scalar' || (v.lenSlack === null && v.lenDiv === null)) return v;
  let cap = v.lenSlack !== null ? len.umax - v.lenSlack : undefined;
  if (v.lenDiv !== null) {
    const c = v.lenDiv.m * (len.umax / v.lenDiv.q) - v.lenDiv.s;
    if (cap === undefined || c < cap) cap = c;
  }
  if (cap === undefined || cap < 0n || cap >= v.s.umax) return v;
  const s = scalarMeet(v.s, { ...SCALAR_UNKNOWN, umax: cap });
  return s ? { ...v, s } : v;
}

function leqFrame(a: Frame, b: Frame): boolean {
  if (a === b) return true;
  for (let i = 0; i < a.slots.length; i++) {
    if ((b.masks[i]! & ~a.masks[i]!) !== 0) return false;
    const y = b.slots[i];
    if (y !== undefined) {
      const x = a.slots[i];
      if (x === undefined || !leqValue(x, y)) return false;
    }
  }
  return true;
}

/** a ⊑ b: nothing new reaches the instruction (the fixpoint test). */
export function leqState(a: State, b: State): boolean {
  for (let i = 0; i < a.regs.length; i++) if (!leqValue(a.regs[i]!, b.regs[i]!)) return false;
  if (a.frames.length !== b.frames.length) return false;
  for (let i = 0; i < a.frames.length; i++) if (!leqFrame(a.frames[i]!, b.frames[i]!)) return false;
  if (b.rels && !b.rels.every((r) => relHolds(a, r))) return false;
  if (!leqInits(a, b)) return false;
  // Pointers b holds as one object in two places are copies to room.ts and len-fields.ts.
  return scalarLeq(a.ctxLen, b.ctxLen) && keepsSharing(a, b);
}

/** "r1=handle(cnx) r2=scalar(u[0,15]) r10=ptr(stack) fp-8=5" for messages. */
export function formatState(s: State): string {
  const parts: string[] = [];
  s.regs.forEach((r, i) => {
    if (r.k !== 'uninit' && i !== 10) parts.push(`r${i}=${formatValue(r)}`);
  });
  const f = s.frames[s.frames.length - 1];
  if (f) {
    for (let k = f.slots.length - 1; k >= 0; k--) {
      const v = f.slots[k];
      const off = (k - f.slots.length) * 8;
      if (v !== undefined) parts.push(`fp${off}=${formatValue(v)}`);
      else if (f.masks[k] === 0xff) parts.push(`fp${off}=bytes`);
      else if (f.masks[k] !== 0) parts.push(`fp${off}=partial`);
    }
  }
  if (s.ctxLen.umax !== 0n) parts.push(`len=${formatScalar(s.ctxLen)}`);
  return parts.join(' ');
}
