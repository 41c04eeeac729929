/**
 * Values the host keeps for a plugin (metadata slots, the frame structure parse_frame outputs)
 * and gives back only to the same plugin instance, never interpreting them (PQUIC's convention,
 * reference/pquic.md §4: state in the plugin's heap, its address in metadata).
 *
 * Writing a heap pointer there is therefore no leak: the host learns nothing it could use, and
 * the only reader is the plugin itself. A stack pointer still is one under strict (the frame is
 * gone when another pluglet reads it back). What a slot receives, over every pluglet of the
 * plugin, is the plugin-wide summary (src/plugins/verify-plugin.ts): a reader then gets a
 * pointer-or-NULL to a heap block of at least S bytes, checked for NULL before use, as an
 * allocator's result.
 *
 * Why such a pointer's accesses may be proven although the block may have been freed or reused
 * since: a proven heap access (`provenAccesses`, src/vm/jit/proofs.ts) promises only that the
 * address lies inside the plugin's heap region, which the JIT then reads or writes without its
 * region check. The heap is one region of the instance's memory (src/vm/link.ts), fixed for the
 * instance's life, and every block the allocator returns lies inside it (src/plugins/heap.ts: the
 * bookkeeping is on the host's side, so no write to a block corrupts it). A block of size >= S at
 * p means [p, p + S) is inside the heap region; freeing or reusing the block does not move the
 * region, so an access inside [p, p + S) later still lands in the plugin's own heap: possibly
 * stale data of its own, never another region (stack, read-only data, grants) or another
 * plugin's memory. Each instance has its own metadata slots and frames (src/plugins/instance.ts),
 * so the value read back is one this plugin's pluglets wrote, or the initial 0.
 */
import { isConst, scalarConst, type Scalar } from './scalar.js';
import { UNKNOWN, joinSites, leqSites, ptrValue, type Frame, type PtrValue, type Value } from './state.js';
import type { KeptFact, KeptOptions, KeptRecords, KeptStore, Sites } from './types.js';

export const KEPT_NULL: KeptFact = { kind: 'null' };
export const KEPT_NUMBER: KeptFact = { kind: 'number' };

/** Least upper bound: null < heap(S) (smaller S is larger; a non-NULL block below its NULL-or-block twin) < number. */
export function joinKept(a: KeptFact, b: KeptFact): KeptFact {
  if (a.kind === 'number' || b.kind === 'number') return KEPT_NUMBER;
  if (a.kind === 'null') return b.kind === 'heap' ? heapFact(b.size, b.sites ?? null) : b;
  if (b.kind === 'null') return heapFact(a.size, a.sites ?? null);
  const size = a.size <= b.size ? a.size : b.size;
  const sites = joinSites(a.sites, b.sites);
  return a.nonNull && b.nonNull ? { ...heapFact(size, sites), nonNull: true } : heapFact(size, sites);
}

/** A block of at least `size` bytes or NULL, of one of the allocation `sites` when known. */
export function heapFact(size: bigint, sites: Sites): Extract<KeptFact, { kind: 'heap' }> {
  return sites === null ? { kind: 'heap', size } : { kind: 'heap', size, sites };
}

/** a ⊑ b. */
export function leqKept(a: KeptFact, b: KeptFact): boolean {
  if (b.kind === 'number') return true;
  if (a.kind === 'null') return b.kind === 'null' || !b.nonNull;
  if (a.kind === 'number' || b.kind === 'null') return false;
  return a.size >= b.size && (!b.nonNull || a.nonNull === true) && leqSites(a.sites, b.sites);
}

export function formatKept(f: KeptFact): string {
  return f.kind === 'heap' ? `a heap block of ${f.size} bytes${f.nonNull ? '' : ' or NULL'}` : f.kind === 'null' ? 'NULL only' : 'a number';
}

/**
 * What storing `v` in a kept slot records, and whether it leaks an address under strict. A heap
 * pointer at offset o of a block of s bytes leaves s - o bytes readable through the value read
 * back; other pointers (data sections, the granted buffer) and numbers make the slot a number.
 * A stack pointer, or a number that may be one (tainted), is a leak.
 */
export function keptFact(v: Value): { fact: KeptFact; leak: boolean } {
  if (v.k === 'ptr') {
    if (v.region === 'stack') return { fact: KEPT_NUMBER, leak: true };
    // A pointer into the block keeps its site only at the block's start: a site's layout is
    // relative to it (cells.ts).
    if (v.region === 'heap' && v.off.smin >= 0n && v.off.smax <= v.size) return { fact: heapFact(v.size - v.off.smax, v.off.smax === 0n ? v.sites : null), leak: false };
    return { fact: KEPT_NUMBER, leak: false };
  }
  if (v.k === 'scalar') {
    if (v.tainted) return { fact: KEPT_NUMBER, leak: true };
    return { fact: isConst(v.s) && v.s.umin === 0n ? KEPT_NULL : KEPT_NUMBER, leak: false };
  }
  return { fact: KEPT_NUMBER, leak: false };
}

/**
 * What a frame_ctx records: as keptFact, and a heap block known not to be NULL stays so (the
 * value has no initial 0 its readers could see instead: readFact).
 */
function reservedFact(v: Value): { fact: KeptFact; leak: boolean } {
  const r = keptFact(v);
  return r.fact.kind === 'heap' && v.k === 'ptr' && !v.nullable ? { fact: { ...r.fact, nonNull: true }, leak: r.leak } : r;
}

/** The constant slot index in `v`, or undefined. */
function constIndex(v: Value | undefined): bigint | undefined {
  return v?.k === 'scalar' && isConst(v.s) ? v.s.umin : undefined;
}

/**
 * Where a write to slot `index` of `store` goes: the keys it is kept under (the slot's, or the
 * store's wildcard when the index is unknown), and whether the host may read it instead (an
 * output the host interprets: then the rule of values applies, an address is a leak).
 */
export function writeKeys(kept: KeptOptions | undefined, store: KeptStore, index: Value | undefined): { keys: readonly string[]; hostReads: boolean } {
  const i = constIndex(index);
  if (store !== 'output') return { keys: [i === undefined ? `${store}:*` : `${store}:${i}`], hostReads: false };
  // An unknown output index may be any output, kept or read by the host.
  if (i === undefined) return { keys: [...new Set((kept?.outputKeys ?? []).flatMap((k) => k ?? []))], hostReads: true };
  const keys = i >= 64n ? [] : kept?.outputKeys?.[Number(i)] ?? [];
  return { keys, hostReads: keys.length === 0 };
}

/** The summary's fact for a read of slot `index` of `store` (or of input i for `input`). */
export function readFact(kept: KeptOptions | undefined, store: KeptStore | 'input', index: Value | undefined): KeptFact {
  const i = constIndex(index);
  let keys: readonly string[];
  if (store === 'input') {
    const k = i === undefined || i >= 64n ? undefined : kept?.inputKeys?.[Number(i)];
    if (k === undefined || k.length === 0) return KEPT_NUMBER;
    keys = k;
  } else if (i === undefined) {
    kept?.read?.(`${store}:`);
    keys = [...(kept?.summary?.keys() ?? [])].filter((k) => k.startsWith(`${store}:`));
  } else keys = [`${store}:${i}`, `${store}:*`];
  if (kept?.read) for (const k of keys) kept.read(k);
  const summary = kept?.summary;
  if (summary === undefined) return KEPT_NUMBER;
  // A reserved frame_ctx has no initial value: write_frame and notify_frame run only for a
  // reservation, and each records what it keeps (recordFacts), so the join starts from nothing.
  if (keys.every((k) => k.startsWith('reserved:'))) {
    const facts = keys.flatMap((k) => summary.get(k) ?? []);
    return facts.length === 0 ? KEPT_NULL : facts.reduce(joinKept);
  }
  // A key nothing wrote holds its initial 0 (the host zeroes metadata; a frame never output is 0).
  return keys.reduce<KeptFact>((f, k) => joinKept(f, summary.get(k) ?? KEPT_NULL), KEPT_NULL);
}

/** The value a read gets from its fact; `nid` names the read (copies share one NULL check). */
export function keptValue(f: KeptFact, nid: number): Value {
  switch (f.kind) {
    case 'null': return { ...UNKNOWN, s: scalarConst(0n) };
    case 'heap': return ptrValue('heap', 0, scalarConst(0n), { size: f.size, nullable: !f.nonNull, nid, sites: f.sites ?? null });
    case 'number': return UNKNOWN;
  }
}

/**
 * Records a write and checks it against the summary the readers were typed with: a write the
 * summary does not cover would make those types wrong, so it is reported (under both policies:
 * checked drops runtime checks on proven accesses too).
 */
export function keptWrite(kept: KeptOptions | undefined, keys: readonly string[], fact: KeptFact): string | undefined {
  for (const k of keys) {
    kept?.record?.(k, fact);
    const s = kept?.summary;
    if (s === undefined) continue;
    const have = s.get(k) ?? KEPT_NULL;
    if (!leqKept(fact, have)) return `kept slot ${k} receives ${formatKept(fact)}, but its readers were verified with ${formatKept(have)}`;
  }
  return undefined;
}

/** The key of reserved frames of one type (frame_ctx values), or of any type. */
export const reservedKey = (type: bigint | undefined): string => (type === undefined ? 'reserved:*' : `reserved:0x${type.toString(16)}`);

/**
 * The values kept in records a helper reads (reserve_frames' slots: frame_ctx under its frame
 * type). Whole 8-byte stack slots at constant offsets are known values; records elsewhere (heap,
 * data, where storing an address is refused under strict already) or at unknown offsets hold
 * numbers for the readers, and any address spilled in the bytes read is a leak.
 */
export function recordFacts(base: PtrValue, len: Scalar, rec: KeptRecords, frames: readonly Frame[], frameSize: number): { key: string; fact: KeptFact; leak: boolean }[] {
  if (base.region !== 'stack') return [{ key: reservedKey(undefined), fact: KEPT_NUMBER, leak: false }];
  const f = frames[base.index]!;
  const slotAt = (off: bigint): Value | undefined => {
    const b = Number(off) + frameSize;
    return b >= 0 && b + 8 <= frameSize && (b & 7) === 0 ? f.slots[b >> 3] : undefined;
  };
  if (isConst(base.off) && isConst(len) && len.umin <= BigInt(frameSize)) {
    const out: { key: string; fact: KeptFact; leak: boolean }[] = [];
    const stride = BigInt(rec.stride);
    for (let k = 0n; (k + 1n) * stride <= len.umin; k++) {
      const at = base.off.smin + k * stride;
      const t = slotAt(at + BigInt(rec.typeOff));
      const v = slotAt(at + BigInt(rec.valueOff));
      const { fact, leak } = v === undefined ? { fact: KEPT_NUMBER, leak: false } : reservedFact(v);
      out.push({ key: reservedKey(t?.k === 'scalar' && isConst(t.s) ? t.s.umin : undefined), fact, leak });
    }
    return out;
  }
  let leak = false;
  const first = Math.max(0, Number(base.off.smin) + frameSize) >> 3;
  const end = Math.min(frameSize, Number(base.off.smax + (len.umax < BigInt(frameSize) ? len.umax : BigInt(frameSize))) + frameSize);
  for (let k = first; k * 8 < end; k++) {
    const v = f.slots[k];
    if (v !== undefined && keptFact(v).leak) leak = true;
  }
  return [{ key: reservedKey(undefined), fact: KEPT_NUMBER, leak }];
}
