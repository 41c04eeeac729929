/**
 * Cached subarray views of caller buffers, so that copying a byte range into WebAssembly memory
 * (TypedArray.set takes a whole array) does not create a view per packet. QUIC reuses its
 * datagram buffers and packets repeat a few bounds, so once each (buffer, start, end) has been
 * seen the cache hits; a miss costs the one view it would have cost anyway.
 *
 * Two-way set-associative over SETS sets chosen by the bounds, not four entries in rotation: the
 * ranges of one AEAD are full-size packets plus ACK-only and control packets of a dozen or so
 * lengths, which kept evicting each other from four entries (a view per few hundred packets,
 * about 0.1 B per packet in bench:alloc --marginal). Two ways per set keep two ranges that hash
 * alike from evicting each other on every call.
 */
const SETS = 32;
const ENTRIES = 2 * SETS;

export class RangeViews {
  private readonly arrays: (Uint8Array | null)[] = new Array<Uint8Array | null>(ENTRIES).fill(null);
  private readonly starts = new Int32Array(ENTRIES);
  private readonly ends = new Int32Array(ENTRIES);
  private readonly views: (Uint8Array | null)[] = new Array<Uint8Array | null>(ENTRIES).fill(null);
  /** Per set, the way the next miss replaces (the one not filled last). */
  private readonly victim = new Uint8Array(SETS);

  /** buf[start, end) as a view; bounds must already be checked by the caller. */
  of(buf: Uint8Array, start: number, end: number): Uint8Array {
    if (start === 0 && end === buf.length) return buf;
    const set = (end + start * 7) & (SETS - 1);
    const first = 2 * set;
    for (let i = first; i < first + 2; i++) {
      const v = this.views[i];
      // A view of a detached buffer has length 0, so the length check also catches that.
      if (this.arrays[i] === buf && this.starts[i] === start && this.ends[i] === end && v !== null && v !== undefined && v.length === end - start) return v;
    }
    const view = buf.subarray(start, end);
    const way = this.victim[set]!;
    this.victim[set] = way ^ 1;
    const i = first + way;
    this.arrays[i] = buf;
    this.starts[i] = start;
    this.ends[i] = end;
    this.views[i] = view;
    return view;
  }
}

/** Checks a packet's ranges buf[a, b) and buf[b, c) before an AEAD's range method views them. */
export function checkRange(buf: Uint8Array, a: number, b: number, c: number): void {
  if (!Number.isInteger(a) || !Number.isInteger(b) || !Number.isInteger(c) || a < 0 || a > b || b > c || c > buf.length) {
    throw new RangeError(`aead: range [${a}, ${b}, ${c}] does not fit a ${buf.length}-byte buffer`);
  }
}
