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
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  readonly maxRanges: number;

  constructor(ranges: Iterable<readonly [number, number]> = [], maxRanges = Infinity) {
    if (!(maxRanges >= 1)) throw new RangeError(`maxRanges must be at least 1, got ${maxRanges}`);
    this.maxRanges = maxRanges;
    for (const [start, end] of ranges) this.add(start, end);
  }

  /** The number of disjoint ranges. */
  get length(): number {
    return this.starts.length;
  }

  get isEmpty(): boolean {
    return this.starts.length === 0;
  }

  /** How many integers the set holds. */
  get size(): number {
    let total = 0;
    for (let i = 0; i < this.starts.length; i++) total += this.ends[i]! - this.starts[i]!;
    return total;
  }

  /** The lowest range, or undefined when empty. */
  first(): [number, number] | undefined {
    return this.starts.length === 0 ? undefined : [this.starts[0]!, this.ends[0]!];
  }

  /** The highest range, or undefined when empty. */
  last(): [number, number] | undefined {
    const n = this.starts.length;
    return n === 0 ? undefined : [this.starts[n - 1]!, this.ends[n - 1]!];
  }

  /** The i-th range in ascending order. */
  at(i: number): [number, number] | undefined {
    return i >= 0 && i < this.starts.length ? [this.starts[i]!, this.ends[i]!] : undefined;
  }

  /** Adds [start, end) (a single value when `end` is omitted), merging with touching ranges. */
  add(start: number, end: number = start + 1): void {
    checkRange(start, end);
    if (start === end) return;
    // First range whose end reaches start (it overlaps or touches [start, end)).
    const lo = this.firstEndingAtOrAfter(start);
    // Ranges lo..hi-1 all touch or overlap [start, end).
    let hi = lo;
    while (hi < this.starts.length && this.starts[hi]! <= end) hi++;
    if (lo === hi) {
      this.starts.splice(lo, 0, start);
      this.ends.splice(lo, 0, end);
      this.enforceCap();
      return;
    }
    const newStart = Math.min(start, this.starts[lo]!);
    const newEnd = Math.max(end, this.ends[hi - 1]!);
    this.starts.splice(lo, hi - lo, newStart);
    this.ends.splice(lo, hi - lo, newEnd);
  }

  /** Removes [start, end) (a single value when `end` is omitted). */
  subtract(start: number, end: number = start + 1): void {
    checkRange(start, end);
    if (start === end) return;
    // Ranges strictly overlapping [start, end): ends > start and starts < end.
    let lo = this.firstEndingAtOrAfter(start);
    if (lo < this.starts.length && this.ends[lo] === start) lo++;
    let hi = lo;
    while (hi < this.starts.length && this.starts[hi]! < end) hi++;
    if (lo === hi) return;
    const keptStarts: number[] = [];
    const keptEnds: number[] = [];
    if (this.starts[lo]! < start) {
      keptStarts.push(this.starts[lo]!);
      keptEnds.push(start);
    }
    if (this.ends[hi - 1]! > end) {
      keptStarts.push(end);
      keptEnds.push(this.ends[hi - 1]!);
    }
    this.starts.splice(lo, hi - lo, ...keptStarts);
    this.ends.splice(lo, hi - lo, ...keptEnds);
    // Splitting one range in two can exceed the cap.
    this.enforceCap();
  }

  /** Whether `value` is in the set. */
  has(value: number): boolean {
    const i = this.indexOf(value);
    return i >= 0;
  }

  /** The range containing `value`, or undefined. */
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
    return i < this.starts.length && this.starts[i]! < end;
  }

  /** The parts of [start, end) not in the set, ascending [start, end) pairs. */
  gaps(start: number, end: number): [number, number][] {
    const out: [number, number][] = [];
    let cursor = start;
    for (let i = this.firstEndingAtOrAfter(start + 1); i < this.starts.length && cursor < end; i++) {
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
    if (i < this.starts.length && this.ends[i] === value) i++;
    this.starts.splice(0, i);
    this.ends.splice(0, i);
    if (this.starts.length > 0 && this.starts[0]! < value) this.starts[0] = value;
  }

  /** Removes and returns the lowest range. */
  shiftRange(): [number, number] | undefined {
    if (this.starts.length === 0) return undefined;
    return [this.starts.shift()!, this.ends.shift()!];
  }

  clear(): void {
    this.starts.length = 0;
    this.ends.length = 0;
  }

  clone(): RangeSet {
    const copy = new RangeSet([], this.maxRanges);
    copy.starts.push(...this.starts);
    copy.ends.push(...this.ends);
    return copy;
  }

  /** Ascending [start, end) pairs. */
  *[Symbol.iterator](): Iterator<[number, number]> {
    for (let i = 0; i < this.starts.length; i++) yield [this.starts[i]!, this.ends[i]!];
  }

  /** Descending [start, end) pairs, highest first. */
  *descending(): Generator<[number, number]> {
    for (let i = this.starts.length - 1; i >= 0; i--) yield [this.starts[i]!, this.ends[i]!];
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
    let hi = this.ends.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ends[mid]! < value) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private indexOf(value: number): number {
    const i = this.firstEndingAtOrAfter(value + 1);
    return i < this.starts.length && this.starts[i]! <= value ? i : -1;
  }

  private enforceCap(): void {
    const excess = this.starts.length - this.maxRanges;
    if (excess > 0) {
      this.starts.splice(0, excess);
      this.ends.splice(0, excess);
    }
  }
}

function checkRange(start: number, end: number): void {
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start > end) {
    throw new RangeError(`invalid range [${start}, ${end})`);
  }
}
