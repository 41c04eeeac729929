/**
 * The byte bookkeeping shared by STREAM and CRYPTO sending: data written and not yet
 * acknowledged, the new-data frontier, ranges declared lost (retransmitted first), and ranges
 * acknowledged. Written bytes are copied once; acknowledged prefixes are released. A range to
 * send is named by its bounds in a chunk (no range object per frame: the frame writer copies
 * from the chunk); one straddling two chunks is gathered into a scratch buffer first.
 */
import { RangeSet } from '../recovery/rangeset.js';
import { sharedArena, takeBytes } from '../wire/byte-arena.js';
import { copyRange } from '../wire/bytes-copy.js';
import { SlotQueue } from '../slot-queue.js';

/**
 * Large writes are stored in pieces of this size, the granularity at which acked memory is freed.
 * Full-size pieces are slabs of the shared byte arena, so that a sent frame's data is copied into
 * an arena datagram buffer by copyWithin (no view per frame, issue 3).
 */
const CHUNK_SIZE = 16 * 1024;
/**
 * Released full-size chunk buffers that are not arena slabs (the arena was full), kept for the
 * next writes: an application writing as the data is acknowledged reuses a few instead of
 * allocating 16 KiB each time. Arena slabs go back to the arena, which all streams share.
 */
const MAX_SPARE_CHUNKS = 4;
const NO_BYTES = new Uint8Array(0);

/**
 * `length` bytes from `source[start]`, named by bounds so the hot path needs no view of them;
 * `data` makes one (for callers off the hot path).
 */
export class ByteSpan {
  source: Uint8Array = NO_BYTES;
  start = 0;
  length = 0;

  get data(): Uint8Array {
    return this.source.subarray(this.start, this.start + this.length);
  }
}

/** Bytes to send (reused by the next call to `SendBuffer.next`). */
export class SendRange extends ByteSpan {
  offset = 0;
  /** Bytes beyond the previous new-data frontier (what flow control counts). */
  newBytes = 0;
}

/**
 * A send buffer dropped without clear() (its connection simply forgotten) still holds arena
 * slabs; they go back when the buffer is collected, so the arena does not leak away.
 */
const orphanedChunks = new FinalizationRegistry<ArenaHeld>((held) => {
  releaseChunks(held.chunks);
  sharedArena().release(held.gather);
});

/** What a send buffer holds that may be arena slabs. */
interface ArenaHeld {
  chunks: SlotQueue<Uint8Array>;
  /** Where a range straddling two chunks is gathered (a slab too, so it is copied by copyWithin). */
  gather: Uint8Array;
}

/** Smallest gather buffer (power-of-two sizes keep the arena's slab sizes few). */
const MIN_GATHER = 2048;

/** Returns the arena slabs among `chunks` to the arena and empties the list. */
function releaseChunks(chunks: SlotQueue<Uint8Array>): void {
  const arena = sharedArena();
  while (chunks.length > 0) arena.release(chunks.pop()!);
}

export class SendBuffer {
  /** End of the data written so far. */
  writeOffset = 0;
  /** Everything below this was sent at least once (the new-data frontier). */
  sentOffset = 0;
  /** Everything below this is acknowledged and released. */
  ackedOffset = 0;
  /**
   * Written data from ackedOffset on, oldest first, in two queues side by side (no record object
   * per chunk: a 20 MB write made 1,220 of them): chunk i is `chunks.at(i)`, it starts at stream
   * offset `starts.at(i)` and holds the bytes up to the next chunk's start (the last: up to
   * writeOffset; later writes may fill the rest of its buffer). SlotQueues keep their storage.
   */
  private readonly chunks = new SlotQueue<Uint8Array>();
  private readonly starts = new SlotQueue<number>();
  /** Released full-size buffers outside the arena, for the next writes. */
  private readonly spare: Uint8Array[] = [];

  private readonly held: ArenaHeld = { chunks: this.chunks, gather: NO_BYTES };

  constructor() {
    orphanedChunks.register(this, this.held);
  }
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

  /**
   * Buffers a copy of `data`, in chunks of at most CHUNK_SIZE so acknowledged memory is freed
   * early. Once a stream has written CHUNK_SIZE bytes, every chunk is full-size (an arena slab)
   * and small writes fill the room left in the last one: a writer of small pieces (an hq server
   * as its stream drains) costs no array, record or view per write. Before that, chunks are
   * exactly the size written, so streams that send little hold little.
   */
  write(data: Uint8Array): void {
    let i = 0;
    const last = this.chunks.last();
    if (last !== undefined) {
      const filled = this.writeOffset - this.starts.last()!;
      if (filled < last.length) {
        i = Math.min(last.length - filled, data.length);
        copyRange(last, filled, data, 0, i);
        this.writeOffset += i;
      }
    }
    while (i < data.length) {
      const n = Math.min(CHUNK_SIZE, data.length - i);
      const size = this.writeOffset >= CHUNK_SIZE ? CHUNK_SIZE : n;
      const chunk = size !== CHUNK_SIZE ? new Uint8Array(size) : this.spare.length > 0 ? this.spare.pop()! : takeBytes(size);
      copyRange(chunk, 0, data, i, n);
      this.chunks.push(chunk);
      this.starts.push(this.writeOffset);
      this.writeOffset += n;
      i += n;
    }
  }

  /** The object next() returns, reused: one range per packet must not cost an allocation. */
  private readonly range = new SendRange();

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
      return this.locate(lostStart, length, 0);
    }
    const length = Math.min(this.unsentBytes, maxBytes, Math.max(0, newCredit));
    if (length <= 0) return undefined;
    const offset = this.sentOffset;
    this.sentOffset += length;
    return this.locate(offset, length, length);
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
    releaseChunks(this.chunks);
    while (this.starts.length > 0) this.starts.pop();
    while (this.spare.length > 0) this.spare.pop();
    sharedArena().release(this.held.gather);
    this.held.gather = NO_BYTES;
    this.acked.clear();
    this.lost.clear();
    this.writeOffset = this.sentOffset;
    this.ackedOffset = this.sentOffset;
  }

  /** The range result for [offset, offset + length) of the written data: its chunk and bounds there. */
  private locate(offset: number, length: number, newBytes: number): SendRange {
    const r = this.range;
    r.offset = offset;
    r.newBytes = newBytes;
    r.length = length;
    let i = this.chunkIndex(offset);
    const from = offset - this.starts.at(i)!;
    if (from + length <= this.chunkLength(i)) {
      r.source = this.chunks.at(i)!;
      r.start = from;
      return r;
    }
    const held = this.held;
    if (held.gather.length < length) {
      sharedArena().release(held.gather);
      let size = MIN_GATHER;
      while (size < length) size *= 2;
      held.gather = takeBytes(size);
    }
    const gather = held.gather;
    let filled = 0;
    while (filled < length) {
      const start = offset + filled - this.starts.at(i)!;
      const n = Math.min(this.chunkLength(i) - start, length - filled);
      copyRange(gather, filled, this.chunks.at(i)!, start, n);
      filled += n;
      i++;
    }
    r.source = gather;
    r.start = 0;
    return r;
  }

  /** Index of the chunk holding `offset` (binary search). */
  private chunkIndex(offset: number): number {
    let lo = 0;
    let hi = this.chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.starts.at(mid)! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Bytes written in chunk i: up to the next chunk's start, or to writeOffset for the last. */
  private chunkLength(i: number): number {
    const end = i + 1 < this.starts.length ? this.starts.at(i + 1)! : this.writeOffset;
    return end - this.starts.at(i)!;
  }

  private release(upTo: number): void {
    this.ackedOffset = upTo;
    // Whole chunks below upTo go; SlotQueue.shift keeps the queues' storage.
    while (this.chunks.length > 0 && this.starts.at(0)! + this.chunkLength(0) <= upTo) {
      const chunk = this.chunks.shift()!;
      this.starts.shift();
      // Nothing outside holds a chunk (ranges are read before the next call): reusable. An arena
      // slab goes back to the arena (other streams and connections share it); a full-size array
      // outside it is kept for the next writes, a few at most.
      if (chunk.length !== CHUNK_SIZE || sharedArena().release(chunk)) continue;
      if (this.spare.length < MAX_SPARE_CHUNKS) this.spare.push(chunk);
    }
  }
}
