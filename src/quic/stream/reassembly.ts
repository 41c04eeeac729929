/**
 * Reassembly of a byte stream from frames that arrive out of order, overlap or repeat (STREAM
 * and CRYPTO data, RFC 9000 §2.2, §19.6, §19.8). Only bytes not held yet are copied; the
 * reader takes contiguous bytes from `readOffset`.
 *
 * Bytes are copied into blocks that grow from 4 KiB to 64 KiB per stream, not into a buffer per
 * frame: a received packet costs a copy and no allocation (the view of the frame's data in the
 * datagram is reused while datagrams have the same layout, see bytes-copy.ts), and a stream with little data keeps
 * little memory. A read hands out a view of a block (a copy only when the bytes straddle two),
 * and a block is never written again below the read offset, so views stay valid for as long as
 * the reader keeps them. Blocks wholly read are dropped.
 *
 * In discard mode (after STOP_SENDING), ranges are still recorded so completeness can be told,
 * but no bytes are stored and the read offset follows the contiguous prefix.
 */
import { FreeList } from '../free-list.js';
import { RangeSet } from '../recovery/rangeset.js';
import { sharedArena, takeBytes } from '../wire/byte-arena.js';
import { ViewCache, copyRange } from '../wire/bytes-copy.js';

const FIRST_BLOCK = 4096;
const MAX_BLOCK = 65536;
/** Read blocks kept for reuse (records; see ReassemblyBuffer.spares). */
const MAX_SPARE_BLOCKS = 4;
const NO_BYTES = new Uint8Array(0);
/**
 * Views of received frames' data, shared by every stream: datagrams arrive in a few buffers. 16
 * rather than 8 entries: with 8, bench:alloc --pull still missed about one copy in 25 (a view,
 * ~4 B per packet); with 16 no miss showed, at no measurable CPU cost (--time, 2026-11-27).
 */
const DATAGRAM_VIEWS = new ViewCache(16);

interface Block {
  /** Stream offset of data[0]. */
  start: number;
  data: Uint8Array;
  /** Whether read() handed out a view of it: then it is never reused. */
  lent: boolean;
}

/** Arena slabs still held by a buffer that was dropped (a stream closed with unread data). */
const orphanedBlocks = new FinalizationRegistry<Block[]>((blocks) => {
  for (const b of blocks) sharedArena().release(b.data);
});

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
  /** Storage, ascending by start, disjoint (not necessarily adjacent), all ending above readOffset. */
  private readonly blocks: Block[] = [];
  private nextBlockSize = FIRST_BLOCK;
  /**
   * Wholly read MAX_BLOCK blocks kept for the next ones, when no view of them was handed out
   * (readInto only copies): a bulk receiver then reuses them instead of allocating a record (and,
   * outside the arena, a 64 KiB buffer) per 64 KiB. Arena blocks are kept without their slab
   * (data empty); of ordinary buffers only the first spare keeps one, so a stream holds at most
   * one 64 KiB buffer it does not use. Several, not one: with losses more than one block is
   * often freed at once. A FreeList, not an array: popping the array to empty let V8 trim its
   * storage, and the next spare allocated it again (about 0.2 B per packet in bench:alloc
   * --marginal).
   */
  private readonly spares = new FreeList<Block>(MAX_SPARE_BLOCKS);

  /**
   * @param arenaBlocks take full-size blocks from the shared byte arena (byte-arena.ts) and give
   *   them back once read: for a reader that copies out (readInto). When its destination is an
   *   arena slab too, the copy is a copyWithin, with no view of the block per read (issue 3).
   *   read() does not lend an arena block (a lent view would pin the slab): it copies.
   */
  constructor(private readonly arenaBlocks = false) {
    if (arenaBlocks) orphanedBlocks.register(this, this.blocks, this);
  }

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
    return this.insertFrom(offset, data, 0, data.length);
  }

  /** insert() of src[srcStart, srcStart + length), without a view of it. */
  insertFrom(offset: number, src: Uint8Array, srcStart: number, length: number): number {
    const end = offset + length;
    if (end > this.highestReceived) this.highestReceived = end;
    const start = Math.max(offset, this.readOffset);
    if (start >= end) return 0;
    let added = 0;
    if (this.received.isDisjointFrom(start, end)) {
      // The common case, new bytes only: no list of gaps to build.
      added = end - start;
      if (!this.discarding) this.store(start, end, src, srcStart - offset);
      this.received.add(start, end);
    } else {
      const gaps = this.received.gaps(start, end);
      if (gaps.length === 0) return 0;
      this.received.add(start, end);
      for (const [s, e] of gaps) {
        added += e - s;
        if (!this.discarding) this.store(s, e, src, srcStart - offset);
      }
    }
    if (this.discarding) this.skipContiguous();
    else this.bufferedBytes += added;
    return added;
  }

  /** Takes up to `max` contiguous bytes from readOffset (a view when they sit in one block). */
  read(max = Infinity): Uint8Array {
    const length = Math.min(this.readable, max);
    if (length <= 0) return NO_BYTES;
    const first = this.blocks[0]!;
    const at = this.readOffset - first.start;
    let out: Uint8Array;
    if (at + length <= first.data.length && !this.isArenaBlock(first)) {
      out = first.data.subarray(at, at + length);
      first.lent = true;
    } else {
      this.copyOut((out = new Uint8Array(length)), 0, length);
    }
    this.consume(length);
    return out;
  }

  /**
   * Copies up to `length` contiguous bytes from readOffset into `into` at `at` (the caller
   * checked that they fit); returns how many. The application owns `into`: nothing is kept.
   */
  readInto(into: Uint8Array, at: number, length: number): number {
    const n = Math.min(this.readable, length);
    if (n <= 0) return 0;
    this.copyOut(into, at, n);
    this.consume(n);
    return n;
  }

  /** Copies the `n` bytes from readOffset (contiguous, so held by adjacent blocks) into `into` at `at`. */
  private copyOut(into: Uint8Array, at: number, n: number): void {
    const from = this.readOffset;
    let filled = 0;
    for (let i = 0; filled < n; i++) {
      const b = this.blocks[i]!;
      const s = from + filled - b.start;
      const k = Math.min(b.data.length - s, n - filled);
      copyRange(into, at + filled, b.data, s, k);
      filled += k;
    }
  }

  /** The reader took `n` bytes: advance, and drop the blocks wholly read. */
  private consume(n: number): void {
    this.readOffset += n;
    this.bufferedBytes -= n;
    this.received.shift(this.readOffset);
    this.dropReadBlocks();
  }

  /** Drops stored bytes and stops storing; returns how many stored bytes were dropped. */
  startDiscarding(): number {
    const dropped = this.bufferedBytes;
    this.discarding = true;
    for (const b of this.blocks) if (!b.lent) this.releaseBlock(b);
    this.blocks.length = 0;
    this.spares.clear();
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

  private dropReadBlocks(): void {
    const blocks = this.blocks;
    let n = 0;
    while (n < blocks.length && blocks[n]!.start + blocks[n]!.data.length <= this.readOffset) n++;
    // shift(), not splice(), which returns an array of what it removed.
    for (let i = 0; i < n; i++) {
      const b = blocks.shift()!;
      if (b.lent) continue;
      this.keepSpare(b);
    }
  }

  private isArenaBlock(b: Block): boolean {
    return this.arenaBlocks && sharedArena().owns(b.data);
  }

  /** Keeps a wholly read block's record for reuse (see `spares`); an arena slab goes back first. */
  private keepSpare(b: Block): void {
    if (!this.releaseBlock(b)) {
      if (b.data.length !== MAX_BLOCK) return;
      if (this.spares.size > 0) b.data = NO_BYTES;
    }
    this.spares.give(b);
  }

  /** Gives an arena block's slab back; false for an ordinary array. */
  private releaseBlock(b: Block): boolean {
    if (!this.isArenaBlock(b) || !sharedArena().release(b.data)) return false;
    b.data = NO_BYTES;
    return true;
  }

  /** Copies stream bytes [s, e) from src (stream offset o is src[o + delta]) into blocks. */
  private store(s: number, e: number, src: Uint8Array, delta: number): void {
    while (s < e) {
      const b = this.blockFor(s, e);
      const at = s - b.start;
      const n = Math.min(e - s, b.data.length - at);
      const from = s + delta;
      copyRange(b.data, at, src, from, n, DATAGRAM_VIEWS);
      s += n;
    }
  }

  /** Storage for a new block: full-size ones are arena slabs when the buffer takes them. */
  private newBlockData(size: number): Uint8Array {
    return this.arenaBlocks && size === MAX_BLOCK ? takeBytes(size) : new Uint8Array(size);
  }

  /** The block holding offset `s`, made (up to `e`, within the next block) when there is none. */
  private blockFor(s: number, e: number): Block {
    const blocks = this.blocks;
    // Usually the last block, or the one before (data arrives nearly in order).
    let i = blocks.length - 1;
    while (i >= 0 && blocks[i]!.start > s) i--;
    if (i >= 0 && s < blocks[i]!.start + blocks[i]!.data.length) return blocks[i]!;
    // No block holds s: make one from s, as large as the size policy allows, short of the next block.
    // No Infinity for "no next block": `Infinity - s` is a fresh HeapNumber in V8's baseline tier.
    const wanted = Math.max(this.nextBlockSize, e - s);
    const size = i + 1 < blocks.length ? Math.min(wanted, blocks[i + 1]!.start - s) : wanted;
    this.nextBlockSize = Math.min(this.nextBlockSize * 2, MAX_BLOCK);
    let b: Block;
    const spare = size === MAX_BLOCK ? this.spares.take() : undefined;
    if (spare !== undefined) {
      // Stale bytes in it are never read: only ranges recorded as received are.
      spare.start = s;
      if (spare.data.length !== MAX_BLOCK) spare.data = this.newBlockData(MAX_BLOCK);
      b = spare;
    } else {
      b = { start: s, data: this.newBlockData(size), lent: false };
    }
    // Mostly appended (data arrives nearly in order). An insertion (data after a loss) moves the
    // later blocks up by hand: splice() would allocate its (empty) result array.
    blocks.push(b);
    for (let j = blocks.length - 1; j > i + 1; j--) blocks[j] = blocks[j - 1]!;
    blocks[i + 1] = b;
    return b;
  }
}
