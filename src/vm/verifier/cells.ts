/**
 * Heap cells: what the fields of heap blocks hold, per allocation site, over every pluglet of a
 * plugin (the plugin-wide summary; cell-rounds.ts iterates it to a fixpoint).
 *
 * Why a field's type can be summarised per site and offset. The allocator (src/plugins/heap.ts)
 * is type-stable: a block freed at site S is handed out again only to S, with the same size, at
 * the same address, zeroed. A pointer to a block of S at offset o, even kept past my_free,
 * addresses field o of some block of S. So a byte of a block of S is only ever written by
 *   - a store through a pointer to a block of S (of S or other known sites: each records it) at
 *     that offset; through a pointer whose sites are unknown (a pointer into a block, kept and
 *     read back, no longer knows the block's start), every byte of every site;
 *   - a helper writing into a block of S (my_memcpy, my_memset, get_* into a buffer);
 *   - a store or helper write whose target the verifier could not prove (checked keeps its
 *     runtime check, which allows any heap address): every byte of every site;
 *   - my_realloc, whose new block starts as a copy of another one (its site gets no typing:
 *     the allocator always moves a realloc'd block to the realloc's own site);
 *   - the allocator, which writes 0.
 * The summary records each of these (HeapWrite); a load reads the join of the stores that write
 * exactly its bytes with 0, and anything when some other write may touch part of them. Offsets
 * are ranges with known low bits (congruences modulo a power of two): a store and a load of the
 * same width whose offsets are congruent modulo m >= width meet only at the same field, and
 * offsets that differ by d in [width, m - width] modulo m never meet (the fields of one element
 * of an array of structures, a ring's slots).
 *
 * A proven heap access is one inside the bytes the pointer's block is known to have; on a block
 * of the same site and size those are the same bytes, so a typed load never reads another site's
 * block.
 */
import { isConst, scalarConst, scalarJoin, scalarLeq, scalarOfWidth, scalarTruncBytes, type Scalar } from './scalar.js';
import { heapFact, joinKept, leqKept, KEPT_NUMBER, KEPT_NULL } from './kept.js';
import { ptrValue, scalarValue, type PtrValue, type Value } from './state.js';
import type { CellFact, HeapCells, HeapWrite, Sites } from './types.js';

/**
 * Sites of one object are siteBase + pc, pc below this: src/plugins/verify-plugin.ts spaces the
 * objects of a plugin by it, as the linked image places them at distinct pcs (the allocator's sites).
 */
export const SITE_SPAN = 2 ** 21;

/** Offsets of every byte: a write or read whose place is not known. */
export const ALL_BYTES: readonly [bigint, bigint] = [-(1n << 63n), 1n << 63n];

/** Least upper bound of two cell facts: numbers join their ranges (with the NULL, 0). */
export function joinCell(a: CellFact, b: CellFact): CellFact {
  if (a.kind === 'scalar' || b.kind === 'scalar') {
    const sa = scalarOf(a);
    const sb = scalarOf(b);
    if (sa === undefined || sb === undefined) return KEPT_NUMBER;
    const within = joinWithin(a, b);
    return within === undefined ? { kind: 'scalar', s: scalarJoin(sa, sb) } : { kind: 'scalar', s: scalarJoin(sa, sb), within };
  }
  return joinKept(a, b);
}

/** A length field's bound over both (len-fields.ts): 0 (NULL) meets any, two bounds their minimum. */
function joinWithin(a: CellFact, b: CellFact): bigint | undefined {
  if (a.kind === 'null') return b.kind === 'scalar' ? b.within : undefined;
  if (b.kind === 'null') return a.kind === 'scalar' ? a.within : undefined;
  if (a.kind !== 'scalar' || b.kind !== 'scalar' || a.within === undefined || b.within === undefined) return undefined;
  return a.within < b.within ? a.within : b.within;
}

/** The range of a fact that is a number (NULL is 0), or undefined. */
function scalarOf(f: CellFact): Scalar | undefined {
  return f.kind === 'scalar' ? f.s : f.kind === 'null' ? scalarConst(0n) : undefined;
}

/** a ⊑ b. */
export function leqCell(a: CellFact, b: CellFact): boolean {
  if (b.kind === 'number') return true;
  if (a.kind === 'scalar' || b.kind === 'scalar') {
    const sa = scalarOf(a);
    const sb = scalarOf(b);
    if (sa === undefined || sb === undefined || !scalarLeq(sa, sb)) return false;
    return b.kind !== 'scalar' || b.within === undefined || a.kind === 'null' || (a.kind === 'scalar' && a.within !== undefined && a.within >= b.within);
  }
  return leqKept(a, b);
}

/**
 * What storing `v` (width bytes) records. Pointers are kept only as a whole 8 bytes into the
 * block they point to the start of (their site then travels with them); any other pointer, or a
 * number that may be an address, is anything.
 */
export function cellFact(v: Value, width: number): CellFact {
  if (v.k === 'ptr') {
    if (width !== 8 || v.region !== 'heap' || v.off.smin < 0n || v.off.smax > v.size) return KEPT_NUMBER;
    return heapFact(v.size - v.off.smax, v.off.smax === 0n ? v.sites : null);
  }
  if (v.k !== 'scalar' || v.tainted) return KEPT_NUMBER;
  const s = scalarTruncBytes(v.s, width);
  return isConst(s) && s.umin === 0n ? KEPT_NULL : { kind: 'scalar', s };
}

/** Congruences kept up to this modulus (2^16: larger structures are rare, and records stay few). */
const MAX_MOD_BITS = 16n;

/** The congruence every offset of `off` + extra satisfies: its low bits that are known. */
export function residue(off: Scalar, extra: number): { mod: number; res: number } {
  let k = 0n;
  while (k < MAX_MOD_BITS && ((off.t.mask >> k) & 1n) === 0n) k++;
  const m = 1n << k;
  return { mod: Number(m), res: Number((((off.t.value + BigInt(extra)) % m) + m) % m) };
}

/**
 * The writes a proven heap store makes, relative to its block: one per site it may be of. Through
 * a pointer of unknown sites (and so unknown place in its block), any byte of any block.
 */
export function heapStore(b: PtrValue, extra: number, width: number, fact: CellFact): HeapWrite[] {
  if (b.sites === null) return [heapFill('poison', -1, ...ALL_BYTES)];
  const lo = b.off.smin + BigInt(extra);
  const hi = b.off.smax + BigInt(extra);
  const { mod, res } = residue(b.off, extra);
  return b.sites.map((site) => ({ kind: 'store', site, lo, hi, width, mod, res, fact }));
}

export function heapFill(kind: 'zero' | 'poison', site: number, lo: bigint, hi: bigint): HeapWrite {
  return { kind, site, lo, hi, width: 0, mod: 1, res: 0, fact: kind === 'zero' ? KEPT_NULL : KEPT_NUMBER };
}

/** Bytes a write touches, [lo, hi). */
export function writeSpan(w: HeapWrite): [bigint, bigint] {
  return w.kind === 'store' ? [w.lo, w.hi + BigInt(w.width)] : [w.lo, w.hi];
}

const keyOf = (w: HeapWrite): string => `${w.kind}:${w.lo}:${w.hi}:${w.width}:${w.mod}:${w.res}`;

/** Facts that still grow from this round on become any number (widening; cell-rounds.ts narrows once after). */
const WIDEN_FROM = 2;

/** Stores of one width and congruence whose offsets may meet write the same fields: one record covers both. */
const sameFields = (a: HeapWrite, b: HeapWrite): boolean => a.kind === 'store' && b.kind === 'store' && a.width === b.width && a.mod === b.mod && a.res === b.res && a.lo <= b.hi && b.lo <= a.hi;

/**
 * How a store `w` meets a load of `width` bytes at offsets congruent to res modulo mod, both
 * ranges overlapping: `same` (only ever the same field), `apart` (never a common byte), or
 * `partly` (some offsets may overlap in part).
 */
function meet(w: HeapWrite, width: number, mod: number, res: number): 'same' | 'apart' | 'partly' {
  const m = Math.min(w.mod, mod);
  // Every store offset minus every load offset is d modulo m.
  const d = (((w.res - res) % m) + m) % m;
  if (w.width === width && m >= width && d === 0) return 'same';
  // Apart when the load lies wholly between two of the store's places, modulo m.
  return d >= width && d <= m - w.width ? 'apart' : 'partly';
}

/**
 * The summary: every write recorded, by site (-1: any site). Stores to the same fields merge
 * (offsets hulled, facts joined), so a store at an index that grows from round to round (a ring
 * slot) stays one record.
 */
export class CellSummary implements HeapCells {
  private readonly sites = new Map<number, Map<string, HeapWrite>>();
  /** Whether a number range was widened to any number (a narrowing round may win it back). */
  widened = false;
  /**
   * What readSite answered, by its arguments, since the last change: a pluglet reads the same
   * fields at every step of its loops, and a site may have hundreds of records to look through.
   */
  private readonly answers = new Map<string, CellFact>();

  /**
   * Adds a write; from round WIDEN_FROM on, a number range that grows becomes any number.
   * Returns the record that changed (the write merged with the stores of the same fields, so
   * every byte whose reads may differ now), or undefined when it adds nothing.
   */
  add(w: HeapWrite, round = 0): HeapWrite | undefined {
    if (this.covers(w)) return undefined;
    this.answers.clear();
    let m = this.sites.get(w.site);
    if (m === undefined) this.sites.set(w.site, (m = new Map()));
    let cur = w;
    // A number first written in a later round came from a typed load that may still grow (a
    // counter: 1, then [1, 2], ...): widened at once, so each step takes no round of its own.
    if (round >= WIDEN_FROM && cur.fact.kind === 'scalar') {
      cur = { ...cur, fact: KEPT_NUMBER };
      this.widened = true;
    }
    for (let merged = true; merged;) {
      merged = false;
      for (const [k, x] of m) {
        if (!sameFields(x, cur)) continue;
        m.delete(k);
        let fact = joinCell(x.fact, cur.fact);
        if (round >= WIDEN_FROM && fact.kind === 'scalar' && !leqCell(fact, x.fact)) {
          fact = KEPT_NUMBER;
          this.widened = true;
        }
        cur = { ...cur, lo: x.lo < cur.lo ? x.lo : cur.lo, hi: x.hi > cur.hi ? x.hi : cur.hi, fact };
        merged = true;
      }
    }
    m.set(keyOf(cur), cur);
    return cur;
  }

  /** Whether `w` adds nothing to this summary. */
  covers(w: HeapWrite): boolean {
    const m = this.sites.get(w.site);
    if (m === undefined) return false;
    if (w.kind !== 'store') return m.has(keyOf(w));
    for (const x of m.values()) if (x.kind === 'store' && x.width === w.width && x.mod === w.mod && x.res === w.res && x.lo <= w.lo && w.hi <= x.hi && leqCell(w.fact, x.fact)) return true;
    return false;
  }

  /** Every write, for merging summaries. */
  *writes(): IterableIterator<HeapWrite> {
    for (const m of this.sites.values()) yield* m.values();
  }

  read(sites: Sites, lo: bigint, hi: bigint, width: number, mod: number, res: number): CellFact {
    // Sites not known: neither is the field the offset names.
    if (sites === null) return KEPT_NUMBER;
    let f: CellFact = KEPT_NULL;
    for (const s of sites) {
      f = joinCell(f, this.readSite(s, lo, hi, width, mod, res));
      if (f.kind === 'number') break;
    }
    return f;
  }

  /** A read from a block of `site`: its writes and those to any site. */
  private readSite(site: number, lo: bigint, hi: bigint, width: number, mod: number, res: number): CellFact {
    const key = `${site}:${lo}:${hi}:${width}:${mod}:${res}`;
    let f = this.answers.get(key);
    if (f === undefined) this.answers.set(key, (f = this.lookUp(this.sites.get(site), this.sites.get(-1), lo, hi, width, mod, res)));
    return f;
  }

  /** What the records of one site and of any site say of bytes [lo, hi + width). */
  private lookUp(own: Map<string, HeapWrite> | undefined, any: Map<string, HeapWrite> | undefined, lo: bigint, hi: bigint, width: number, mod: number, res: number): CellFact {
    const end = hi + BigInt(width);
    // Every block starts zeroed (the allocator clears it).
    let f: CellFact = KEPT_NULL;
    for (const m of [own, any]) {
      if (m === undefined) continue;
      for (const w of m.values()) {
        const a = w.lo;
        const b = w.kind === 'store' ? w.hi + BigInt(w.width) : w.hi;
        if (b <= lo || a >= end) continue;
        if (w.kind === 'poison') return KEPT_NUMBER;
        if (w.kind === 'zero') {
          if (lo >= a && end <= b) continue;
          return KEPT_NUMBER;
        }
        const how = meet(w, width, mod, res);
        if (how === 'apart') continue;
        if (how === 'partly') return KEPT_NUMBER;
        f = joinCell(f, w.fact);
        if (f.kind === 'number') return f;
      }
    }
    return f;
  }

  holdsPointer(sites: Sites, lo: bigint, hi: bigint): boolean {
    for (const [s, m] of this.sites) {
      if (sites !== null && s >= 0 && !sites.includes(s)) continue;
      for (const w of m.values()) {
        const [a, b] = writeSpan(w);
        // Sites not known: the bytes may be at any place of the block.
        if (w.kind === 'store' && w.fact.kind === 'heap' && (sites === null || (a < hi && b > lo))) return true;
      }
    }
    return false;
  }
}

/** The value a load of `width` bytes gets from its fact; `nid` names a pointer read (one NULL check refines its copies). */
export function cellValue(f: CellFact, width: number, nid: number): Value {
  switch (f.kind) {
    case 'null': return scalarValue(scalarConst(0n));
    case 'scalar': return scalarValue(f.s);
    case 'heap': return width === 8 ? ptrValue('heap', 0, scalarConst(0n), { size: f.size, nullable: true, nid, sites: f.sites ?? null }) : scalarValue(scalarOfWidth(width));
    case 'number': return scalarValue(scalarOfWidth(width));
  }
}

/** Whether a write may set every byte of every block to anything (an unplaced write under checked). */
export const poisonsAll = (w: HeapWrite): boolean => w.kind === 'poison' && w.site === -1 && w.lo === ALL_BYTES[0] && w.hi === ALL_BYTES[1];

/**
 * The summary that types nothing: every field of every site may hold anything, an address
 * included (what a plugin whose summary found no fixpoint is verified with).
 */
export function opaqueCells(): CellSummary {
  const c = new CellSummary();
  c.add(heapFill('poison', -1, ...ALL_BYTES));
  c.add({ kind: 'store', site: -1, lo: ALL_BYTES[0], hi: ALL_BYTES[1], width: 8, mod: 1, res: 0, fact: { kind: 'heap', size: 0n } });
  return c;
}
