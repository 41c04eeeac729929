/**
 * Reassembly of a byte stream from frames that arrive out of order, overlap or repeat (STREAM
 * and CRYPTO data, RFC 9000 §2.2, §19.6, §19.8). Only bytes not held yet are copied; the
 * reader takes contiguous bytes from `readOffset`.
 *
 * In discard mode (after STOP_SENDING), ranges are still recorded so completeness can be told,
 * but no bytes are stored and the read offset follows the contiguous prefix.
 */
import { RangeSet } from '../recovery/rangeset.js';
import { copyBytes } from '../wire/bytes.js';

interface Chunk {
  offset: number;
  data: Uint8Array;
}

export class ReassemblyBuffer {
  /** Bytes delivered to the reader (or skipped in discard mode). */
  readOffset = 0;
  /** The end of the highest byte received. */
  highestReceived = 0;
  /** Bytes stored and not yet read. */
  bufferedBytes = 0;
  discarding = false;
  /** Received offsets at or above readOffset. */
  private readonly received = new RangeSet();
  /** Stored bytes, ascending, disjoint, all at or above readOffset. */
  private readonly chunks: Chunk[] = [];

  /** Bytes readable right now from readOffset. */
  get readable(): number {
    // Per packet: read the first range without allocating a tuple.
    const r = this.received;
    return r.length > 0 && r.startAt(0) <= this.readOffset ? r.endAt(0) - this.readOffset : 0;
  }

  /** Whether every byte below `end` has been received. */
  hasAllBelow(end: number): boolean {
    return end <= this.readOffset || this.received.covers(this.readOffset, end);
  }

  /** Records [offset, offset + data.length), copying only bytes not already held. Returns how many were new. */
  insert(offset: number, data: Uint8Array): number {
    const end = offset + data.length;
    if (end > this.highestReceived) this.highestReceived = end;
    const start = Math.max(offset, this.readOffset);
    if (start >= end) return 0;
    let added = 0;
    if (this.received.isDisjointFrom(start, end)) {
      // The common case, new bytes only: no list of gaps to build.
      added = end - start;
      if (!this.discarding) this.store({ offset: start, data: copyBytes(data, start - offset, end - offset) });
      this.received.add(start, end);
    } else {
      const gaps = this.received.gaps(start, end);
      if (gaps.length === 0) return 0;
      this.received.add(start, end);
      for (const [s, e] of gaps) {
        added += e - s;
        if (!this.discarding) this.store({ offset: s, data: copyBytes(data, s - offset, e - offset) });
      }
    }
    if (this.discarding) this.skipContiguous();
    else this.bufferedBytes += added;
    return added;
  }

  /** Takes up to `max` contiguous bytes from readOffset (a view when they sit in one chunk). */
  read(max = Infinity): Uint8Array {
    const length = Math.min(this.readable, max);
    if (length <= 0) return new Uint8Array(0);
    const head = this.chunks[0]!;
    let out: Uint8Array;
    if (head.data.length >= length) {
      out = head.data.subarray(0, length);
      this.consumeHead(length);
    } else {
      out = new Uint8Array(length);
      let filled = 0;
      while (filled < length) {
        const chunk = this.chunks[0]!;
        const n = Math.min(chunk.data.length, length - filled);
        out.set(chunk.data.subarray(0, n), filled);
        this.consumeHead(n);
        filled += n;
      }
    }
    this.readOffset += length;
    this.bufferedBytes -= length;
    this.received.shift(this.readOffset);
    return out;
  }

  /** Drops stored bytes and stops storing; returns how many stored bytes were dropped. */
  startDiscarding(): number {
    const dropped = this.bufferedBytes;
    this.discarding = true;
    this.chunks.length = 0;
    this.bufferedBytes = 0;
    this.skipContiguous();
    return dropped;
  }

  private skipContiguous(): void {
    const r = this.received;
    if (r.length > 0 && r.startAt(0) <= this.readOffset) {
      this.readOffset = r.endAt(0);
      r.shift(this.readOffset);
    }
  }

  private consumeHead(n: number): void {
    const head = this.chunks[0]!;
    if (n >= head.data.length) this.chunks.shift();
    else this.chunks[0] = { offset: head.offset + n, data: head.data.subarray(n) };
  }

  private store(chunk: Chunk): void {
    const n = this.chunks.length;
    if (n === 0 || this.chunks[n - 1]!.offset < chunk.offset) {
      // In order: append (splice would allocate an empty array of removed chunks).
      this.chunks.push(chunk);
      return;
    }
    // Chunks are disjoint, so the insertion point is the first chunk starting after this one.
    let lo = 0;
    let hi = this.chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.chunks[mid]!.offset < chunk.offset) lo = mid + 1;
      else hi = mid;
    }
    this.chunks.splice(lo, 0, chunk);
  }
}
