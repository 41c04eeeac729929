/**
 * Connection IDs to values (the server's routes: DCID -> session), looked up straight from the
 * bytes of a received datagram (issue 3: the hot path allocates nothing per packet). A key made
 * of the CID (a hex string, or even a view of the bytes) cost an object or two per datagram.
 *
 * Buckets are keyed by a 32-bit FNV-1a hash of the bytes (an int32, which V8 keeps as a small
 * integer: no HeapNumber), and every entry keeps a copy of its CID, compared in full, so two CIDs
 * with the same hash never take each other's place. The hash is seeded per table: a peer choosing
 * its Initial DCID (RFC 9000 §7.2) cannot aim for another connection's bucket.
 */

import { copyBytes } from '../wire/bytes.js';

interface Entry<T> {
  readonly cid: Uint8Array;
  value: T;
}

const FNV_PRIME = 16777619;

export class CidTable<T> {
  private readonly buckets = new Map<number, Entry<T>[]>();
  private count = 0;

  /** @param seed mixed into every hash (default: random per table) */
  constructor(private readonly seed: number = (Math.random() * 0x100000000) | 0) {}

  /** Number of CIDs in the table. */
  get size(): number {
    return this.count;
  }

  /** The value of the CID `bytes[start, start + length)`, if present. Allocates nothing. */
  get(bytes: Uint8Array, start: number, length: number): T | undefined {
    const bucket = this.buckets.get(this.hash(bytes, start, length));
    if (bucket === undefined) return undefined;
    for (let i = 0; i < bucket.length; i++) {
      const e = bucket[i]!;
      if (sameBytes(e.cid, bytes, start, length)) return e.value;
    }
    return undefined;
  }

  /** Maps `cid` (copied) to `value`, replacing the value it had. */
  set(cid: Uint8Array, value: T): void {
    const h = this.hash(cid, 0, cid.length);
    let bucket = this.buckets.get(h);
    if (bucket === undefined) this.buckets.set(h, (bucket = []));
    for (const e of bucket) {
      if (sameBytes(e.cid, cid, 0, cid.length)) {
        e.value = value;
        return;
      }
    }
    bucket.push({ cid: copyBytes(cid), value });
    this.count++;
  }

  /** Removes `cid`; returns whether it was present. */
  delete(cid: Uint8Array): boolean {
    const h = this.hash(cid, 0, cid.length);
    const bucket = this.buckets.get(h);
    if (bucket === undefined) return false;
    const i = bucket.findIndex((e) => sameBytes(e.cid, cid, 0, cid.length));
    if (i < 0) return false;
    bucket.splice(i, 1);
    if (bucket.length === 0) this.buckets.delete(h);
    this.count--;
    return true;
  }

  private hash(bytes: Uint8Array, start: number, length: number): number {
    return cidHash(this.seed, bytes, start, length);
  }
}

/** FNV-1a over `bytes[start, start + length)`, seeded, as an int32. */
export function cidHash(seed: number, bytes: Uint8Array, start: number, length: number): number {
  let h = seed ^ length;
  for (let i = start; i < start + length; i++) h = Math.imul(h ^ bytes[i]!, FNV_PRIME);
  return h | 0;
}

/** Whether `cid` equals `bytes[start, start + length)` (a bounds miss is a mismatch). */
function sameBytes(cid: Uint8Array, bytes: Uint8Array, start: number, length: number): boolean {
  if (cid.length !== length || start + length > bytes.length) return false;
  for (let i = 0; i < length; i++) if (cid[i] !== bytes[start + i]) return false;
  return true;
}
