/**
 * A few cached subarray views of caller buffers, so that copying a byte range into WebAssembly
 * memory (TypedArray.set takes a whole array) does not create a view per packet. QUIC reuses its
 * datagram buffers and full-size packets repeat the same bounds, so a handful of entries hits
 * in steady state; a miss costs the one view it would have cost anyway.
 */
const ENTRIES = 4;

export class RangeViews {
  private readonly arrays: (Uint8Array | null)[] = new Array<Uint8Array | null>(ENTRIES).fill(null);
  private readonly starts = new Int32Array(ENTRIES);
  private readonly ends = new Int32Array(ENTRIES);
  private readonly views: (Uint8Array | null)[] = new Array<Uint8Array | null>(ENTRIES).fill(null);
  private next = 0;

  /** buf[start, end) as a view; bounds must already be checked by the caller. */
  of(buf: Uint8Array, start: number, end: number): Uint8Array {
    if (start === 0 && end === buf.length) return buf;
    for (let i = 0; i < ENTRIES; i++) {
      const v = this.views[i];
      // A view of a detached buffer has length 0, so the length check also catches that.
      if (this.arrays[i] === buf && this.starts[i] === start && this.ends[i] === end && v !== undefined && v !== null && v.length === end - start) return v;
    }
    const view = buf.subarray(start, end);
    const i = this.next;
    this.next = (i + 1) % ENTRIES;
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
