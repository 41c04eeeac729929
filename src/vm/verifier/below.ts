/**
 * Numbers at most another number: a scalar may carry `le` = {id, k}, value <= val(id) + k as
 * integers (no wrap), where val(id) is what the copies sharing that scalar id hold (state.ts).
 * A copy of id is at most val(id) + 0 and a sum val(id) + j at most val(id) + j, so a join
 * of a copy of `len` with a number compared below it keeps the bound: the length of a truncated
 * copy, `n = len < cap ? len : cap`, which then stays inside a block of at least val(len) + k
 * bytes (sizes.ts, withinSize; get_message copying a message into the application's buffer).
 *
 * Sound for the reasons sums are (sizes.ts): copies sharing an id are never written in place,
 * refinements only narrow the one number they hold, and forgetting an id drops every `le` that
 * names it (dropSum, namesId, forgetId).
 */
import type { ScalarValue, State, SumOf, Value } from './state.js';

/** Every bound v's own relations give: its id (k = 0), its sum, its explicit `le`. */
function bounds(v: ScalarValue): SumOf[] {
  if (v.tainted) return [];
  const out: SumOf[] = [];
  if (v.id !== 0) out.push({ id: v.id, k: 0n });
  if (v.sum !== undefined) out.push(v.sum);
  if (v.le !== undefined) out.push(v.le);
  return out;
}

/** v's best bound under `id`, if any. */
function boundFor(v: ScalarValue, id: number): bigint | undefined {
  let k: bigint | undefined;
  for (const b of bounds(v)) if (b.id === id && (k === undefined || b.k < k)) k = b.k;
  return k;
}

/** The bound both satisfy: an id both are bounded by (not the one they share), the larger constant. */
export function joinLe(a: ScalarValue, b: ScalarValue): SumOf | undefined {
  if (a.le === undefined && b.le === undefined) return undefined;
  for (const x of bounds(a)) {
    if (x.id === a.id && a.id === b.id) continue;
    const k = boundFor(b, x.id);
    if (k !== undefined) return { id: x.id, k: x.k > k ? x.k : k };
  }
  return undefined;
}

/** Whether a's relations imply b's bound. */
export function leqLe(a: ScalarValue, b: ScalarValue): boolean {
  if (b.le === undefined) return true;
  const k = boundFor(a, b.le.id);
  return k !== undefined && k <= b.le.k;
}

/**
 * x < y (strict: slack 1) or x <= y (slack 0): the bound x learns from y's, or undefined when it
 * learns none it lacks. Only bounds under an id a block's size names in `st` are recorded (the
 * only use of a bound, sizes.ts): a value keeps one, and a join keeps one both sides share, so
 * `min(len, cap)` keeps len's, which sizes m's block, rather than cap's.
 */
export function leBelow(st: State, x: ScalarValue, y: ScalarValue, slack: bigint): SumOf | undefined {
  // No bound to learn (the common comparison, with a constant or a plain number): no array built.
  if (x.tainted || y.tainted || (y.id === 0 && y.sum === undefined && y.le === undefined)) return undefined;
  const b = bounds(y).find((c) => sizeNames(st, c.id));
  if (b === undefined) return undefined;
  const k = b.k - slack;
  const had = boundFor(x, b.id);
  return had !== undefined && had <= k ? undefined : { id: b.id, k };
}

/** Whether a heap pointer of st (register or stack slot) has a size relation under `id`. */
function sizeNames(st: State, id: number): boolean {
  const names = (v: Value | undefined): boolean => v?.k === 'ptr' && v.sizeOf?.id === id;
  for (let r = 0; r < 10; r++) if (names(st.regs[r])) return true;
  for (const f of st.frames) if (f.slots.some(names)) return true;
  return false;
}
