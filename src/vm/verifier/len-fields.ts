/**
 * Length fields: a heap field that holds the size of its own block's payload, as in
 * `m = my_malloc(8 + len); m->len = len` (datagram's messages), so that a later
 * `my_memcpy(dst, m->data, m->len)` in another pluglet stays inside m's block.
 *
 * A number stored through a pointer whose block has at least val(id) + k bytes (sizes.ts), the
 * number being a copy of id plus j (j <= k), is at most the block's size minus (k - j): the
 * store's cell fact records `within` = k - j. Cell facts join `within` by its minimum and keep
 * it across 0 (the allocator's zero and stores of 0 satisfy "0 or at most size - within", and a
 * load proven inside b.size >= within bytes knows 0 + within <= size too). A load of the whole
 * field through a pointer to a block known to have at least `within` bytes then gets a fresh id,
 * and every copy of that pointer (same allocation id) the size relation val(id) + within.
 *
 * Sound because the relation is between a field and the block that holds it, and the allocator
 * is type-stable (cells.ts): a block's size never changes (my_realloc moves to a block of its own
 * site, which cells.ts types nothing in), a freed block comes back only to its site with the same
 * size, zeroed, and every write to the field of that block is one of the recorded stores (all
 * carrying `within`, or the join drops it) or an untyped write (the field then reads as any
 * number). The loaded number is a register value: later stores to the field do not change it.
 */
import { cellFact } from './cells.js';
import type { PtrValue, State, Value } from './state.js';
import type { CellFact } from './types.js';

/** What storing `v` (width bytes) through block pointer `b` records: cellFact, with `within` when v is a length of b's block. */
export function storeFact(b: PtrValue, v: Value, width: number): CellFact {
  const f = cellFact(v, width);
  if (f.kind !== 'scalar' || width !== 8 || v.k !== 'scalar' || v.tainted || b.region !== 'heap' || b.sizeOf === undefined) return f;
  const rel = b.sizeOf;
  // v = val(id) + j exactly (a copy: j = 0), and the block has at least val(id) + k bytes.
  const j = v.id !== 0 && v.id === rel.id ? 0n : v.sum?.id === rel.id ? v.sum.k : undefined;
  return j === undefined || j > rel.k ? f : { ...f, within: rel.k - j };
}

/** The `within` a load of `width` bytes through `b` may rely on (0 in the field included), if any. */
export function loadWithin(f: CellFact, b: PtrValue, width: number): bigint | undefined {
  if (f.kind !== 'scalar' || f.within === undefined || width !== 8 || b.region !== 'heap') return undefined;
  return f.within <= b.size ? f.within : undefined;
}

/**
 * After `dst = *(u64 *)(b + off)` read a length field: dst takes scalar id `id` (forgotten by the
 * caller beforehand), and b's block, in every register and stack slot that points into it, is
 * at least val(id) + within bytes. `base` is b's register (its copies share b's allocation id).
 */
export function relateLength(st: State, base: number, dst: number, id: number, within: bigint): void {
  const b = st.regs[base];
  const v = st.regs[dst];
  if (base === dst || b?.k !== 'ptr' || v?.k !== 'scalar' || v.tainted || v.id !== 0) return;
  st.regs[dst] = { ...v, id };
  const sizeOf = { id, k: within };
  // A pointer that already has a size relation keeps it (either is sound; one is enough).
  const same = (x: Value | undefined): x is PtrValue => x !== undefined && x.k === 'ptr' && x.region === 'heap' && x.sizeOf === undefined && (x === b || (b.nid !== 0 && x.nid === b.nid));
  for (let r = 0; r < 10; r++) {
    const x = st.regs[r];
    if (r !== dst && same(x)) st.regs[r] = { ...x, sizeOf };
  }
  for (let i = 0; i < st.frames.length; i++) {
    const f = st.frames[i]!;
    if (!f.slots.some(same)) continue;
    st.frames[i] = { slots: f.slots.map((x) => (same(x) ? { ...x, sizeOf } : x)), masks: f.masks };
  }
}
