/**
 * A remainder by a constant as clang writes it for BPF: LLVM's BPF backend expands `x % k`
 * (unsigned, k not a power of two) into `q = x; q /= k; q *= k; x -= q`, so no `mod`
 * instruction reaches the verifier and intervals alone lose the bound (x - q is any number
 * when x is). A scalar may carry `quot` = {id, k, scaled}: it equals floor(val(id) / k), or
 * floor(val(id) / k) * k when scaled. Subtracting a scaled quotient of id from a copy of id gives
 * val(id) mod k, in [0, k - 1] (and never above the copy: the remainder is at most the dividend).
 * rlc_coef's `1 + h % 255`, the index of a GF(256) log table.
 *
 * Sound for the reasons delta.ts is: copies sharing an id hold one value and are never written
 * in place, and forgetting an id drops every quotient naming it (sizes.ts' dropSum). The
 * product floor(x / k) * k never wraps, as it is at most x.
 */
import { ALU_DIV, ALU_MUL } from '../isa.js';
import { isConst, scalarU, type Scalar } from './scalar.js';
import type { QuotOf, ScalarValue, Value } from './state.js';

export function sameQuot(a: QuotOf | undefined, b: QuotOf | undefined): QuotOf | undefined {
  return a !== undefined && b !== undefined && a.id === b.id && a.k === b.k && a.scaled === b.scaled ? a : undefined;
}

/**
 * `d /= c` (unsigned: off 0) or `d *= c` on 64 bits with a constant c: the quotient d becomes.
 * A division needs d to be a copy (an id) so that the dividend stays known by its other copies.
 */
export function stepQuot(d: Value, code: number, off: number, c: Scalar): QuotOf | undefined {
  if (d.k !== 'scalar' || d.tainted || !isConst(c) || c.umin === 0n) return undefined;
  if (code === ALU_DIV && off === 0 && d.id !== 0 && c.umin > 1n) return { id: d.id, k: c.umin, scaled: false };
  if (code === ALU_MUL && d.quot !== undefined && !d.quot.scaled && d.quot.k === c.umin) return { ...d.quot, scaled: true };
  return undefined;
}

/** The range of `d -= s` when d is a copy of id and s its scaled quotient by k: [0, min(k - 1, d.umax)]. */
export function remainderRange(d: ScalarValue, s: ScalarValue): Scalar | undefined {
  const q = s.quot;
  if (q === undefined || !q.scaled || d.id === 0 || d.id !== q.id || d.tainted || s.tainted) return undefined;
  const top = q.k - 1n < d.s.umax ? q.k - 1n : d.s.umax;
  return scalarU(0n, top);
}
