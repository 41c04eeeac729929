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
 * Released full-size chunk records kept for the next writes: an application writing as the data
 * is acknowledged reuses a few records (and, outside the arena, their buffers) instead of
 * allocating per 16 KiB.
 */
const MAX_SPARE_CHUNKS = 4;
/**
 * Released records whose slab went back to the arena are kept up to this many: they hold no
 * bytes (about 50 B per 16 KiB chunk). A writer that keeps megabytes buffered (the hq server
 * refills 2 MiB, 128 chunks, whenever it falls under its low watermark) has hundreds of chunks
 * in flight, so with only MAX_SPARE_CHUNKS kept its next writes made new records (bench:alloc
 * --udp: about 3 B per datagram). Not unbounded: a stream that wrote 20 MB at once would keep
 * 1,220 records, and growing the list to hold them cost more than it saves (bench:alloc
 * --pull: 1-2 B per packet).
 */
const MAX_SPARE_RECORDS = 256;
const NO_BYTES = new Uint8Array(0);

interface Chunk {
  /** Stream offset of data[0]. */
  offset: number;
  data: Uint8Array;
  /** Bytes of `data` written so far (later writes may fill the rest). */
  length: number;
}

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
  releaseChunks(held.spare);
  sharedArena().release(held.gather);
});

/** What a send buffer holds that may be arena slabs. */
interface ArenaHeld {
  chunks: SlotQueue<Chunk>;
  spare: SlotQueue<Chunk>;
  /** Where a range straddling two chunks is gathered (a slab too, so it is copied by copyWithin). */
  gather: Uint8Array;
}

/** Smallest gather buffer (power-of-two sizes keep the arena's slab sizes few). */
const MIN_GATHER = 2048;

/** Returns the arena slabs among `chunks` to the arena and empties the list. */
function releaseChunks(chunks: SlotQueue<Chunk>): void {
  const arena = sharedArena();
  while (chunks.length > 0) arena.release(chunks.pop()!.data);
}

export class SendBuffer {
  /** End of the data written so far. */
  writeOffset = 0;
  /** Everything below this was sent at least once (the new-data frontier). */
  sentOffset = 0;
  /** Everything below this is acknowledged and released. */
  ackedOffset = 0;
  /** Written data from ackedOffset on, oldest first (a queue whose storage never shrinks). */
  private readonly chunks = new SlotQueue<Chunk>();
  /** Released records for the next writes (a SlotQueue: a popped array may lose its storage). */
  private readonly spare = new SlotQueue<Chunk>();

  private readonly held: ArenaHeld = { chunks: this.chunks, spare: this.spare, gather: NO_BYTES };

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
    if (last !== undefined && last.length < last.data.length) {
      i = Math.min(last.data.length - last.length, data.length);
      copyRange(last.data, last.length, data, 0, i);
      last.length += i;
      this.writeOffset += i;
    }
    while (i < data.length) {
      const n = Math.min(CHUNK_SIZE, data.length - i);
      const size = this.writeOffset >= CHUNK_SIZE ? CHUNK_SIZE : n;
      const chunk = size === CHUNK_SIZE && this.spare.length > 0 ? this.spare.pop()! : { offset: 0, data: NO_BYTES, length: 0 };
      // A spare record's buffer went back to the arena on release: take a slab again.
      if (chunk.data.length !== size) chunk.data = size === CHUNK_SIZE ? takeBytes(size) : new Uint8Array(size);
      chunk.offset = this.writeOffset;
      chunk.length = n;
      copyRange(chunk.data, 0, data, i, n);
      this.chunks.push(chunk);
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
    releaseChunks(this.spare);
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
    const first = this.chunks.at(i)!;
    const from = offset - first.offset;
    if (from + length <= first.length) {
      r.source = first.data;
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
      const chunk = this.chunks.at(i++)!;
      const start = offset + filled - chunk.offset;
      const n = Math.min(chunk.length - start, length - filled);
      copyRange(gather, filled, chunk.data, start, n);
      filled += n;
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
      if (this.chunks.at(mid)!.offset <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  private release(upTo: number): void {
    this.ackedOffset = upTo;
    let drop = 0;
    while (drop < this.chunks.length) {
      const chunk = this.chunks.at(drop)!;
      if (chunk.offset + chunk.length > upTo) break;
      drop++;
    }
    // shift(), not splice(), which returns an array of what it removed.
    for (let i = 0; i < drop; i++) {
      const chunk = this.chunks.shift()!;
      // Nothing outside holds a chunk (ranges are read before the next call): reusable. An arena
      // slab goes back to the arena (other streams and connections share it); its record stays.
      if (chunk.data.length !== CHUNK_SIZE) continue;
      if (sharedArena().release(chunk.data)) chunk.data = NO_BYTES;
      const keep = chunk.data === NO_BYTES ? MAX_SPARE_RECORDS : MAX_SPARE_CHUNKS;
      if (this.spare.length < keep) this.spare.push(chunk);
    }
  }
}
