/** The cap of an uncapped set: 2^31 - 1 ranges would take tens of gigabytes first. */
const UNCAPPED = 0x7fffffff;

/**
 * A set of integers stored as sorted, disjoint, non-adjacent half-open ranges [start, end).
 *
 * Used for received packet numbers (ACK ranges), acknowledged packet numbers, and stream
 * offsets (sent, acked, lost, received). Values are plain numbers: packet numbers and stream
 * offsets stay below 2^53.
 *
 * `maxRanges` caps how many ranges are kept: when an insertion would exceed it, the lowest
 * ranges are dropped, so a peer that makes us record scattered values cannot grow the set
 * without bound. The lowest values are the oldest ones for packet numbers, and the least useful
 * ones for an ACK frame, which reports from the largest down.
 */
export class RangeSet implements Iterable<[number, number]> {
  // Parallel arrays: range i is [starts[i], ends[i]), ascending, with ends[i] < starts[i + 1].
  // Only the first `n` entries are ranges: the arrays keep their capacity when ranges go, so the
  // add/remove cycle of every packet allocates nothing.
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  private n = 0;
  /**
   * The cap, a whole number of ranges. "No cap" (Infinity) is kept as UNCAPPED, a small integer
   * no set reaches: a field that holds Infinity in any instance is a boxed double for all of them
   * in V8, and code V8 has not optimised allocates a HeapNumber on each read of it (issue 3).
   */
  readonly maxRanges: number;

  constructor(ranges: Iterable<readonly [number, number]> = [], maxRanges = Infinity) {
    if (!(maxRanges >= 1)) throw new RangeError(`maxRanges must be at least 1, got ${maxRanges}`);
    this.maxRanges = Math.min(Math.floor(maxRanges), UNCAPPED);
    for (const [start, end] of ranges) this.add(start, end);
  }

  /** The number of disjoint ranges. */
  get length(): number {
    return this.n;
  }

  get isEmpty(): boolean {
    return this.n === 0;
  }

  /** How many integers the set holds. */
  get size(): number {
    let total = 0;
    for (let i = 0; i < this.n; i++) total += this.ends[i]! - this.starts[i]!;
    return total;
  }

  /** Start of the i-th range (ascending), without allocating; NaN when there is none. */
  startAt(i: number): number {
    return i >= 0 && i < this.n ? this.starts[i]! : NaN;
  }

  /** End (exclusive) of the i-th range (ascending), without allocating; NaN when there is none. */
  endAt(i: number): number {
    return i >= 0 && i < this.n ? this.ends[i]! : NaN;
  }

  /** Whether no value of [start, end) is in the set (no allocation, unlike gaps). */
  isDisjointFrom(start: number, end: number): boolean {
    const i = this.firstEndingAtOrAfter(start + 1);
    return i >= this.n || this.starts[i]! >= end;
  }

  /** The lowest range, or undefined when empty. */
  first(): [number, number] | undefined {
    return this.n === 0 ? undefined : [this.starts[0]!, this.ends[0]!];
  }

  /** The highest range, or undefined when empty. */
  last(): [number, number] | undefined {
    const n = this.n;
    return n === 0 ? undefined : [this.starts[n - 1]!, this.ends[n - 1]!];
  }

  /** The i-th range in ascending order. */
  at(i: number): [number, number] | undefined {
    return i >= 0 && i < this.n ? [this.starts[i]!, this.ends[i]!] : undefined;
  }

  /** Adds [start, end) (a single value when `end` is omitted), merging with touching ranges. */
  add(start: number, end: number = start + 1): void {
    checkRange(start, end);
    if (start === end) return;
    // First range whose end reaches start (it overlaps or touches [start, end)).
    const lo = this.firstEndingAtOrAfter(start);
    // Ranges lo..hi-1 all touch or overlap [start, end).
    let hi = lo;
    while (hi < this.n && this.starts[hi]! <= end) hi++;
    if (lo === hi) {
      this.insertAt(lo, start, end);
      this.enforceCap();
      return;
    }
    // The common case (a packet number extending the newest range) changes one range in place.
    this.starts[lo] = Math.min(start, this.starts[lo]!);
    this.ends[lo] = Math.max(end, this.ends[hi - 1]!);
    if (hi - lo > 1) this.removeAt(lo + 1, hi - lo - 1);
  }

  /** Removes [start, end) (a single value when `end` is omitted). */
  subtract(start: number, end: number = start + 1): void {
    checkRange(start, end);
    if (start === end) return;
    // Ranges strictly overlapping [start, end): ends > start and starts < end.
    let lo = this.firstEndingAtOrAfter(start);
    if (lo < this.n && this.ends[lo] === start) lo++;
    let hi = lo;
    while (hi < this.n && this.starts[hi]! < end) hi++;
    if (lo === hi) return;
    const keepLeft = this.starts[lo]! < start;
    const keepRight = this.ends[hi - 1]! > end;
    const leftStart = this.starts[lo]!;
    const rightEnd = this.ends[hi - 1]!;
    // Rewritten in place, without temporary arrays: this runs for every acknowledgement.
    let at = lo;
    if (keepLeft) {
      this.starts[at] = leftStart;
      this.ends[at] = start;
      at++;
    }
    if (keepRight) {
      if (at < hi) {
        this.starts[at] = end;
        this.ends[at] = rightEnd;
      } else {
        this.insertAt(at, end, rightEnd);
        hi++;
      }
      at++;
    }
    if (at < hi) this.removeAt(at, hi - at);
    // Splitting one range in two can exceed the cap.
    this.enforceCap();
  }

  /** Whether `value` is in the set. */
  has(value: number): boolean {
    const i = this.indexOf(value);
    return i >= 0;
  }

  /** The range containing `value`, or undefined. */
  /** The start of the range holding `value`, or -1 (a number, not a tuple: used per packet). */
  startOfRangeContaining(value: number): number {
    const i = this.indexOf(value);
    return i >= 0 ? this.starts[i]! : -1;
  }

  rangeContaining(value: number): [number, number] | undefined {
    const i = this.indexOf(value);
    return i >= 0 ? [this.starts[i]!, this.ends[i]!] : undefined;
  }

  /** Whether every value of [start, end) is in the set (true for an empty interval). */
  covers(start: number, end: number): boolean {
    if (start >= end) return true;
    const i = this.indexOf(start);
    return i >= 0 && this.ends[i]! >= end;
  }

  /** Whether some value of [start, end) is in the set. */
  intersects(start: number, end: number): boolean {
    if (start >= end) return false;
    const i = this.firstEndingAtOrAfter(start + 1);
    return i < this.n && this.starts[i]! < end;
  }

  /** The parts of [start, end) not in the set, ascending [start, end) pairs. */
  gaps(start: number, end: number): [number, number][] {
    const out: [number, number][] = [];
    let cursor = start;
    for (let i = this.firstEndingAtOrAfter(start + 1); i < this.n && cursor < end; i++) {
      const s = this.starts[i]!;
      if (s >= end) break;
      if (s > cursor) out.push([cursor, s]);
      cursor = Math.max(cursor, this.ends[i]!);
    }
    if (cursor < end) out.push([cursor, end]);
    return out;
  }

  /** Drops every value below `value` (ranges straddling it are cut). */
  shift(value: number): void {
    let i = this.firstEndingAtOrAfter(value);
    if (i < this.n && this.ends[i] === value) i++;
    if (i > 0) this.removeAt(0, i);
    if (this.n > 0 && this.starts[0]! < value) this.starts[0] = value;
  }

  /** Removes and returns the lowest range. */
  shiftRange(): [number, number] | undefined {
    if (this.n === 0) return undefined;
    const r: [number, number] = [this.starts[0]!, this.ends[0]!];
    this.removeAt(0, 1);
    return r;
  }

  clear(): void {
    this.n = 0;
  }

  clone(): RangeSet {
    const copy = new RangeSet([], this.maxRanges);
    copy.starts.push(...this.starts.slice(0, this.n));
    copy.ends.push(...this.ends.slice(0, this.n));
    copy.n = this.n;
    return copy;
  }

  /** Ascending [start, end) pairs. */
  *[Symbol.iterator](): Iterator<[number, number]> {
    for (let i = 0; i < this.n; i++) yield [this.starts[i]!, this.ends[i]!];
  }

  /** Descending [start, end) pairs, highest first. */
  *descending(): Generator<[number, number]> {
    for (let i = this.n - 1; i >= 0; i--) yield [this.starts[i]!, this.ends[i]!];
  }

  toArray(): [number, number][] {
    return [...this];
  }

  toString(): string {
    return `RangeSet(${this.toArray().map(([s, e]) => `[${s}, ${e})`).join(', ')})`;
  }

  /** Index of the first range with end >= value (binary search); length when none. */
  private firstEndingAtOrAfter(value: number): number {
    let lo = 0;
    let hi = this.n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ends[mid]! < value) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private indexOf(value: number): number {
    const i = this.firstEndingAtOrAfter(value + 1);
    return i < this.n && this.starts[i]! <= value ? i : -1;
  }

  private enforceCap(): void {
    if (this.n > this.maxRanges) this.removeAt(0, this.n - this.maxRanges);
  }

  /** Inserts one range at index i (no temporary array, unlike splice). */
  private insertAt(i: number, start: number, end: number): void {
    const n = this.n;
    if (n === this.starts.length) {
      this.starts.push(0);
      this.ends.push(0);
    }
    if (i < n) {
      this.starts.copyWithin(i + 1, i, n);
      this.ends.copyWithin(i + 1, i, n);
    }
    this.starts[i] = start;
    this.ends[i] = end;
    this.n = n + 1;
  }

  /** Removes `count` ranges from index i (splice would allocate the removed ones). */
  private removeAt(i: number, count: number): void {
    const n = this.n;
    this.starts.copyWithin(i, i + count, n);
    this.ends.copyWithin(i, i + count, n);
    this.n = n - count;
  }
}

function checkRange(start: number, end: number): void {
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start > end) {
    throw new RangeError(`invalid range [${start}, ${end})`);
  }
}
