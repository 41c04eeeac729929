/**
 * Heap blocks whose size depends on a number: `m = my_malloc(8 + len); memcpy(m + 8, src, len)`
 * (datagram's parse_frame). A number may carry `sum` = {id, k}: it equals val(id) + k exactly,
 * where val(id) is the value every copy sharing that scalar id holds (state.ts). A block
 * allocated with such a number (or with a copy itself, k = 0) carries `sizeOf`: it has at least
 * val(id) + k bytes. A helper given that block at offset o in [0, k] with a length that is a copy
 * of id then stays inside it: o + val(id) <= k + val(id).
 *
 * Sound because copies sharing an id are never written in place (any write gives the register a
 * new value without the id, refinements only narrow the range of the one number they all hold),
 * and forgetting an id (a new one reuses it) drops every sum and size that names it.
 */
import { U32, isConst, type Scalar } from './scalar.js';
import type { PtrValue, SumOf, Value } from './state.js';

/** Constants added beyond this are not followed (a block size is a u32). */
const MAX_K = 1n << 32n;
const U64 = (1n << 64n) - 1n;

/** The exact `val(id) + k` a number is, if known. */
function sumOf(v: Value | undefined): SumOf | undefined {
  if (v?.k !== 'scalar' || v.tainted) return undefined;
  if (v.id !== 0) return { id: v.id, k: 0n };
  return v.sum;
}

/**
 * `d += c` with a constant c >= 0 (RFC 9669 §4.1: ALU64 wraps modulo 2^64, ALU32 works on the low
 * 32 bits and zero-extends): the result is d + c exactly when nothing wraps, so a copy of id
 * plus k becomes id plus k + c.
 */
export function addSum(d: Value, c: Scalar, is32: boolean): SumOf | undefined {
  const base = sumOf(d);
  if (base === undefined || d.k !== 'scalar' || !isConst(c) || c.umin >= MAX_K) return undefined;
  const k = base.k + c.umin;
  const limit = is32 ? U32 : U64;
  if (d.s.umax > limit || d.s.umax + c.umin > limit || k > MAX_K) return undefined;
  return { id: base.id, k };
}

/**
 * The size relation of a block my_malloc returns, given its size argument. The host reads the
 * size as an unsigned int (src/plugins/helper-signatures.ts), so the relation needs the argument
 * below 2^32: then no truncation separates the block's size from the number.
 */
export function allocSize(arg: Value | undefined): SumOf | undefined {
  if (arg?.k !== 'scalar' || arg.s.umax > U32) return undefined;
  return sumOf(arg);
}

/** A helper's `len` bytes at block pointer b stay inside the block by its size relation. */
export function withinSize(b: PtrValue, len: Value | undefined): boolean {
  const rel = b.sizeOf;
  if (rel === undefined || b.region !== 'heap' || len?.k !== 'scalar' || len.tainted) return false;
  // len <= val(id) + u (a copy: u = 0; below.ts), so o + len <= val(id) + k when o <= k - u.
  const u = len.id === rel.id ? 0n : len.le?.id === rel.id ? len.le.k : undefined;
  return u !== undefined && b.off.smin >= 0n && b.off.smax <= rel.k - u;
}

export function sameSum(a: SumOf | undefined, b: SumOf | undefined): SumOf | undefined {
  return a !== undefined && b !== undefined && a.id === b.id && a.k === b.k ? a : undefined;
}

/** v without the relations that name id (sums, deltas of delta.ts, bounds of below.ts, quotients of rem.ts, block sizes): the id is about to mean another number. */
export function dropSum(v: Value, id: number): Value {
  if (v.k === 'scalar' && (v.sum?.id === id || v.delta?.id === id || v.le?.id === id || v.quot?.id === id)) {
    return { ...v, sum: v.sum?.id === id ? undefined : v.sum, delta: v.delta?.id === id ? undefined : v.delta, le: v.le?.id === id ? undefined : v.le, quot: v.quot?.id === id ? undefined : v.quot };
  }
  if (v.k === 'ptr' && v.sizeOf?.id === id) return { ...v, sizeOf: undefined };
  return v;
}

export function namesId(v: Value | undefined, id: number): boolean {
  return (v?.k === 'scalar' && (v.sum?.id === id || v.delta?.id === id || v.le?.id === id || v.quot?.id === id)) || (v?.k === 'ptr' && v.sizeOf?.id === id);
}
