/**
 * Views of the first n bytes of one buffer, made once per length and kept (issue 3: nothing
 * allocated per packet). A buffer refilled for every datagram or delivery from its start is
 * handed out as `buffer[0, n)`, and n takes few values (full packets, ACK-only packets, a
 * peer's usual STREAM payload), so after the first few every call is a table hit.
 */

/** Views kept, indexed by length modulo this (a power of two). */
const SLOTS = 256;

export class LengthViews {
  private readonly views: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(SLOTS).fill(undefined);

  constructor(readonly buffer: Uint8Array) {}

  /** `buffer[0, n)`, 0 ≤ n ≤ buffer.length: a kept view when one of that length is in its slot. */
  view(n: number): Uint8Array {
    if (!(Number.isSafeInteger(n) && n >= 0 && n <= this.buffer.length)) {
      throw new RangeError(`LengthViews: ${n} bytes of a ${this.buffer.length}-byte buffer`);
    }
    const slot = n & (SLOTS - 1);
    const cached = this.views[slot];
    if (cached !== undefined && cached.length === n) return cached;
    const v = this.buffer.subarray(0, n);
    this.views[slot] = v;
    return v;
  }
}
