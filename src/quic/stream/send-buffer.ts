/**
 * The byte bookkeeping shared by STREAM and CRYPTO sending: data written and not yet
 * acknowledged, the new-data frontier, ranges declared lost (retransmitted first), and ranges
 * acknowledged. Written bytes are copied once; acknowledged prefixes are released. Frames
 * reference the buffer's memory (subarrays) when they fit in one written chunk.
 */
import { RangeSet } from '../recovery/rangeset.js';
import { copyBytes } from '../wire/bytes.js';

/** Large writes are stored in pieces of this size, the granularity at which acked memory is freed. */
const CHUNK_SIZE = 16 * 1024;

interface Chunk {
  offset: number;
  data: Uint8Array;
}

export interface SendRange {
  offset: number;
  data: Uint8Array;
  /** Bytes beyond the previous new-data frontier (what flow control counts). */
  newBytes: number;
}

export class SendBuffer {
  /** End of the data written so far. */
  writeOffset = 0;
  /** Everything below this was sent at least once (the new-data frontier). */
  sentOffset = 0;
  /** Everything below this is acknowledged and released. */
  ackedOffset = 0;
  private readonly chunks: Chunk[] = [];
  private readonly acked = new RangeSet();
  private readonly lost = new RangeSet();

  /** Bytes held in memory: written and not yet acknowledged as a contiguous prefix. */
  get bufferedBytes(): number {
    return this.writeOffset - this.ackedOffset;
  }

  /** Bytes written but never sent. */
  get unsentBytes(): number {
    return this.writeOffset - this.sentOffset;
  }

  get hasLost(): boolean {
    return !this.lost.isEmpty;
  }

  /** Whether every byte written is acknowledged. */
  get allAcked(): boolean {
    return this.ackedOffset === this.writeOffset;
  }

  /** Buffers a copy of `data`, in chunks of at most CHUNK_SIZE so acknowledged memory is freed early. */
  write(data: Uint8Array): void {
    for (let i = 0; i < data.length; i += CHUNK_SIZE) {
      const piece = copyBytes(data, i, Math.min(i + CHUNK_SIZE, data.length));
      this.chunks.push({ offset: this.writeOffset, data: piece });
      this.writeOffset += piece.length;
    }
  }

  /** The object next() returns, reused: one range per packet must not cost an allocation. */
  private readonly range: SendRange = { offset: 0, data: new Uint8Array(0), newBytes: 0 };

  /**
   * The next range to send: lost data first (no flow credit needed), then up to `newCredit`
   * new bytes. Undefined when there is nothing to send within the limits. The result is
   * reused by the next call: read it before calling again.
   */
  next(maxBytes: number, newCredit: number): SendRange | undefined {
    if (maxBytes <= 0) return undefined;
    if (this.lost.length > 0) {
      const lostStart = this.lost.startAt(0);
      const length = Math.min(this.lost.endAt(0) - lostStart, maxBytes);
      this.lost.subtract(lostStart, lostStart + length);
      return this.result(lostStart, this.slice(lostStart, length), 0);
    }
    const length = Math.min(this.unsentBytes, maxBytes, Math.max(0, newCredit));
    if (length <= 0) return undefined;
    const offset = this.sentOffset;
    this.sentOffset += length;
    return this.result(offset, this.slice(offset, length), length);
  }

  private result(offset: number, data: Uint8Array, newBytes: number): SendRange {
    const r = this.range;
    r.offset = offset;
    r.data = data;
    r.newBytes = newBytes;
    return r;
  }

  onAcked(offset: number, length: number): void {
    if (length <= 0) return;
    const end = Math.min(offset + length, this.sentOffset);
    if (end <= offset) return;
    this.acked.add(offset, end);
    // A spuriously lost range that arrives after all needs no retransmission.
    this.lost.subtract(offset, end);
    const a = this.acked;
    if (a.length > 0 && a.startAt(0) <= this.ackedOffset && a.endAt(0) > this.ackedOffset) this.release(a.endAt(0));
  }

  onLost(offset: number, length: number): void {
    const start = Math.max(offset, this.ackedOffset);
    const end = Math.min(offset + length, this.sentOffset);
    if (start >= end) return;
    // Usually nothing in the lost range was acknowledged: no list of gaps to build.
    if (this.acked.isDisjointFrom(start, end)) this.lost.add(start, end);
    else for (const [s, e] of this.acked.gaps(start, end)) this.lost.add(s, e);
  }

  /** Drops everything, unsent data included (the stream was reset). */
  clear(): void {
    this.chunks.length = 0;
    this.acked.clear();
    this.lost.clear();
    this.writeOffset = this.sentOffset;
    this.ackedOffset = this.sentOffset;
  }

  /** Copies (or views) [offset, offset + length) of the written data. */
  private slice(offset: number, length: number): Uint8Array {
    let i = this.chunkIndex(offset);
    const first = this.chunks[i]!;
    const from = offset - first.offset;
    if (from + length <= first.data.length) return first.data.subarray(from, from + length);
    const out = new Uint8Array(length);
    let filled = 0;
    while (filled < length) {
      const chunk = this.chunks[i++]!;
      const start = offset + filled - chunk.offset;
      const n = Math.min(chunk.data.length - start, length - filled);
      out.set(chunk.data.subarray(start, start + n), filled);
      filled += n;
    }
    return out;
  }

  /** Index of the chunk holding `offset` (binary search). */
  private chunkIndex(offset: number): number {
    let lo = 0;
    let hi = this.chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.chunks[mid]!.offset <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  private release(upTo: number): void {
    this.ackedOffset = upTo;
    let drop = 0;
    while (drop < this.chunks.length) {
      const chunk = this.chunks[drop]!;
      if (chunk.offset + chunk.data.length > upTo) break;
      drop++;
    }
    // shift(), not splice(), which returns an array of what it removed.
    for (let i = 0; i < drop; i++) this.chunks.shift();
  }
}
