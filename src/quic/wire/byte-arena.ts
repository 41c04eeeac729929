/**
 * One large ArrayBuffer from which the send side carves its buffers (issue 3: the hot path
 * allocates nothing per packet).
 *
 * Why: a sent STREAM frame copies bytes from a send-buffer chunk into the datagram buffer. Node 20
 * copies between two ArrayBuffers at an offset only through a view object (see bytes-copy.ts),
 * but `TypedArray.copyWithin` moves bytes inside ONE buffer at memmove speed and allocates
 * nothing. When the chunk and the datagram buffer are both slabs of this arena, the copy is
 * `arena.bytes.copyWithin(...)`.
 *
 * How: the buffer is carved on demand (a bump pointer) into fixed-size slabs; a slab never
 * changes size, and a released slab goes to the free list of its size, so a few sizes (16 KiB
 * send chunks, datagram buffers) recycle without fragmentation. Each slab's view is made once,
 * when it is carved, and handed out again on every reuse: taking and releasing allocate nothing.
 * When the arena is full, `take` returns undefined and callers allocate an ordinary array
 * (`takeBytes` does it): running out never fails, it only brings the view back.
 *
 * The arena is fixed-size. Untouched pages of a large ArrayBuffer are not resident (V8 zeroes
 * them through calloc/mmap), so the default reserves address space rather than memory until slabs
 * are carved.
 */

/** Default size of the process-wide arena: room for ~2000 send chunks and the datagram buffers. */
export const DEFAULT_ARENA_BYTES = 32 * 1024 * 1024;
/** Slabs start on multiples of this (cache lines; word-aligned copies). */
const SLAB_ALIGN = 64;

/**
 * The free slabs of one size: a stack over `slabs[0, top)`. The array is never shortened (pop()
 * lets V8 trim its storage, and the next push allocates it again); entries above `top` are
 * stale views of slabs that are live again, never handed out from here.
 */
interface FreeList {
  readonly size: number;
  readonly slabs: Uint8Array[];
  top: number;
}

export class ByteArena {
  readonly buffer: ArrayBuffer;
  /** A view of the whole arena, for copyWithin between slabs. */
  readonly bytes: Uint8Array;
  /** Requests `takeBytes` answered with an ordinary array because the arena was full. */
  fallbacks = 0;
  /** Next uncarved byte. */
  private top = 0;
  /** Free slabs by size (few distinct sizes, so a short list of stacks). */
  private readonly freeLists: FreeList[] = [];
  /**
   * Per SLAB_ALIGN bytes: the size of the slab handed out that starts there, 0 when none (not
   * carved, or released). Release checks it, so a double release, a sub-view or a foreign view
   * can never put bytes that are still in use on a free list. A typed array rather than a Map,
   * whose tables would be reallocated as slabs come and go.
   */
  private readonly liveSize: Int32Array;
  private liveCount = 0;

  constructor(readonly capacity: number = DEFAULT_ARENA_BYTES) {
    if (!Number.isSafeInteger(capacity) || capacity <= 0) throw new RangeError(`byte arena: bad capacity ${capacity}`);
    this.buffer = new ArrayBuffer(capacity);
    this.bytes = new Uint8Array(this.buffer);
    this.liveSize = new Int32Array(Math.ceil(capacity / SLAB_ALIGN));
  }

  /** Bytes carved into slabs so far (live or free). */
  get carved(): number {
    return this.top;
  }

  /** Slabs handed out and not released. */
  get liveSlabs(): number {
    return this.liveCount;
  }

  /** Whether `a` is a view into this arena. */
  owns(a: Uint8Array): boolean {
    return a.buffer === this.buffer;
  }

  /**
   * A slab of exactly `size` bytes (its contents are whatever the last user left), or undefined
   * when none is free and the uncarved rest is too small.
   */
  take(size: number): Uint8Array | undefined {
    if (!Number.isSafeInteger(size) || size <= 0 || size > 0x7fffffff) throw new RangeError(`byte arena: bad slab size ${size}`);
    const list = this.freeList(size);
    let slab: Uint8Array | undefined;
    if (list !== undefined && list.top > 0) slab = list.slabs[--list.top]!;
    else {
      const at = this.top;
      if (size > this.capacity - at) return undefined;
      slab = new Uint8Array(this.buffer, at, size);
      this.top = Math.min(this.capacity, at + Math.ceil(size / SLAB_ALIGN) * SLAB_ALIGN);
    }
    this.liveSize[slab.byteOffset / SLAB_ALIGN] = size;
    this.liveCount++;
    return slab;
  }

  /**
   * Gives a slab back for reuse. Returns false (and keeps nothing) for a view that is not a live
   * slab of this arena: an ordinary array, a sub-view, or a slab already released.
   */
  release(slab: Uint8Array): boolean {
    if (slab.buffer !== this.buffer || slab.byteOffset % SLAB_ALIGN !== 0) return false;
    const unit = slab.byteOffset / SLAB_ALIGN;
    if (this.liveSize[unit] !== slab.length) return false;
    this.liveSize[unit] = 0;
    this.liveCount--;
    let list = this.freeList(slab.length);
    if (list === undefined) this.freeLists.push((list = { size: slab.length, slabs: [], top: 0 }));
    list.slabs[list.top++] = slab;
    return true;
  }

  private freeList(size: number): FreeList | undefined {
    const lists = this.freeLists;
    for (let i = 0; i < lists.length; i++) if (lists[i]!.size === size) return lists[i];
    return undefined;
  }
}

let shared: ByteArena | undefined;
let sharedCapacity = DEFAULT_ARENA_BYTES;

/** The process-wide arena of the send side, made on first use. */
export function sharedArena(): ByteArena {
  return (shared ??= new ByteArena(sharedCapacity));
}

/**
 * Sets the size of the process-wide arena before its first use (a host that buffers more, or
 * less, than the default). Throws once the arena exists: its slabs are in use and cannot move.
 */
export function setSharedArenaCapacity(bytes: number): void {
  if (!Number.isSafeInteger(bytes) || bytes <= 0) throw new RangeError(`byte arena: bad capacity ${bytes}`);
  if (shared !== undefined) throw new Error('byte arena: the shared arena is already in use');
  sharedCapacity = bytes;
}

/** The shared arena's buffer if it exists yet (bytes-copy's check must not create it). */
export function sharedArenaIfMade(): ByteArena | undefined {
  return shared;
}

/** A slab of `size` bytes from `arena`, or a fresh array when it is full (counted in `fallbacks`). */
export function takeBytes(size: number, arena: ByteArena = sharedArena()): Uint8Array {
  const slab = arena.take(size);
  if (slab !== undefined) return slab;
  arena.fallbacks++;
  return new Uint8Array(size);
}
