/**
 * Copying a byte range between two arrays (issue 3: the hot path allocates nothing per packet).
 *
 * Node 20 has no call that copies from an offset of one ArrayBuffer into another without a view
 * object: `TypedArray.set` copies a whole source array, `Buffer.copy` with a range makes the view
 * itself, and `copyWithin` works inside one buffer only. Copying in JavaScript avoids the view
 * but not the time: for 1100 bytes (Node 20, one run), `set` of a view 50-65 ns, Int32 words
 * through views made once per buffer 390-420 ns aligned and 640-790 ns when the two positions
 * differ mod 4 (shift and combine), a byte loop 2.2-3 µs. Over an in-memory transfer the word
 * copies cost about 10 % more CPU per packet than `set` with its views, which the collector
 * reclaims almost for free (they die young), so `set` stays.
 *
 * What removes the view on the receive path is that it repeats: a peer's packets have the same
 * layout, so the STREAM data of successive datagrams sits at the same offset and length of the
 * buffer they are received into (bench:alloc: 89 % of 17 200 copies at one offset and length,
 * 98 % at two). `ViewCache` keeps the last few views and hands one back when buffer, offset and
 * length match. Sent ranges never repeat (each range of the send buffer goes out once), so the
 * sender makes its one view per frame, unless both sides are slabs of the shared byte arena
 * (byte-arena.ts): then the copy is `copyWithin` inside the arena's one buffer, with no view.
 */
import { sharedArenaIfMade } from './byte-arena.js';

/** Recently made views of source ranges, reused when the same range of the same buffer is copied again. */
export class ViewCache {
  private readonly views: (Uint8Array | undefined)[];
  private next = 0;

  /** @param size how many views are kept (a power of two) */
  constructor(private readonly size = 8) {
    if (!(size > 0 && (size & (size - 1)) === 0)) throw new RangeError(`ViewCache: size ${size} is not a power of two`);
    this.views = new Array<Uint8Array | undefined>(size).fill(undefined);
  }

  /** A view of src[start, start + n): a kept one when it matches, else a new one, then kept. */
  view(src: Uint8Array, start: number, n: number): Uint8Array {
    const buffer = src.buffer;
    const at = src.byteOffset + start;
    const views = this.views;
    for (let i = 0; i < views.length; i++) {
      const v = views[i];
      if (v !== undefined && v.byteOffset === at && v.length === n && v.buffer === buffer) return v;
    }
    const v = src.subarray(start, start + n);
    views[this.next] = v;
    this.next = (this.next + 1) & (this.size - 1);
    return v;
  }

  /** Forgets every view (they keep their buffers alive). */
  clear(): void {
    this.views.fill(undefined);
  }
}

/**
 * Copies `src[srcAt, srcAt + n)` to `dst[dstAt, dstAt + n)`, through `cache` when given. Throws
 * RangeError when either range is outside its array. Overlapping ranges of one buffer are
 * copied as `set` copies them.
 */
export function copyRange(dst: Uint8Array, dstAt: number, src: Uint8Array, srcAt: number, n: number, cache?: ViewCache): void {
  if (!(n >= 0 && srcAt >= 0 && dstAt >= 0 && srcAt + n <= src.length && dstAt + n <= dst.length)) {
    throw new RangeError(`copyRange: [${srcAt}, ${srcAt + n}) of ${src.length} bytes to [${dstAt}, ${dstAt + n}) of ${dst.length}`);
  }
  const arena = sharedArenaIfMade();
  if (arena !== undefined && dst.buffer === arena.buffer && src.buffer === arena.buffer) {
    // One buffer: copyWithin moves the bytes (memmove, so overlap is handled as set handles it).
    const from = src.byteOffset + srcAt;
    arena.bytes.copyWithin(dst.byteOffset + dstAt, from, from + n);
  } else if (srcAt === 0 && n === src.length) dst.set(src, dstAt);
  else if (cache !== undefined) dst.set(cache.view(src, srcAt, n), dstAt);
  else dst.set(src.subarray(srcAt, srcAt + n), dstAt);
}
