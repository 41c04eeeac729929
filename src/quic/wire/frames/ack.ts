/**
 * ACK frames, RFC 9000 §19.3.
 *
 * ACK Frame {
 *   Type (i) = 0x02..0x03,
 *   Largest Acknowledged (i), ACK Delay (i), ACK Range Count (i), First ACK Range (i),
 *   ACK Range (..) ...,            // Gap (i), ACK Range Length (i)
 *   [ECN Counts (..)],             // ECT0 Count (i), ECT1 Count (i), ECN-CE Count (i)
 * }
 *
 * Ranges are decoded into inclusive [smallest, largest] pairs, largest first (§19.3.1).
 */

import type { Reader, Writer } from '../buffer.js';
import { frameEncodingError, internalError } from '../errors.js';
import { varintLength } from '../varint.js';
import { FrameType } from './types.js';

/** An inclusive range of acknowledged packet numbers. */
export type AckRange = [smallest: number, largest: number];

/** ECN counts of an ACK_ECN frame (RFC 9000 §19.3.2). */
export interface EcnCounts {
  ect0: number;
  ect1: number;
  ecnCe: number;
}

export interface AckFrame {
  type: 'ack';
  /** Equal to `ranges[0][1]`. */
  largestAcknowledged: number;
  /**
   * The ACK Delay field as sent: microseconds scaled down by 2^ack_delay_exponent of the
   * sender (RFC 9000 §19.3). Saturated at 2^53 - 1.
   */
  ackDelay: number;
  /** Acknowledged ranges, descending and disjoint; never empty. */
  ranges: AckRange[];
  /** Present for ACK_ECN (type 0x03). Counts saturate at 2^53 - 1. */
  ecn: EcnCounts | null;
}

export function parseAckFrame(r: Reader, frameType: number): AckFrame {
  const f: AckFrame = { type: 'ack', largestAcknowledged: 0, ackDelay: 0, ranges: [], ecn: null };
  readAckFrame(r, frameType, f, f.ranges, undefined);
  return f;
}

/**
 * An ACK frame parsed in place, for the receive path (issue 3: nothing allocated per packet):
 * one instance is re-parsed for each frame, its ranges array and [smallest, largest] pairs
 * rewritten. Same checks and errors as parseAckFrame. Valid until the next `parse`.
 */
export class AckFrameView implements AckFrame {
  readonly type = 'ack' as const;
  largestAcknowledged = 0;
  ackDelay = 0;
  ranges: AckRange[] = [];
  ecn: EcnCounts | null = null;
  /** Every pair made so far (ES private: invisible to copies and comparisons of the frame). */
  readonly #pairs: AckRange[] = [];
  readonly #ecn: EcnCounts = { ect0: 0, ect1: 0, ecnCe: 0 };

  parse(r: Reader, frameType: number): this {
    readAckFrame(r, frameType, this, this.#pairs, this.#ecn);
    return this;
  }
}

/**
 * Reads an ACK frame's fields into `f`: its ranges are pairs taken from `pairs` (made as
 * needed; `pairs` may be `f.ranges` itself), its ECN counts go into `ecn` (or a new object).
 */
function readAckFrame(r: Reader, frameType: number, f: AckFrame, pairs: AckRange[], ecn: EcnCounts | undefined): void {
  const largestAcknowledged = r.varint();
  const ackDelay = r.varintClamped();
  const rangeCount = r.varint();
  const firstRange = r.varint();
  if (firstRange > largestAcknowledged) {
    throw frameEncodingError(`First ACK Range ${firstRange} exceeds Largest Acknowledged ${largestAcknowledged}`);
  }
  // Each further range takes at least 2 bytes: bound the allocation by the bytes present. A
  // shift, not `/ 2`: for a whole count, > rem / 2 and > floor(rem / 2) agree, and a fraction
  // would be a HeapNumber per ACK in V8's unoptimised tiers.
  if (rangeCount > r.remaining >>> 1) {
    throw frameEncodingError(`ACK Range Count ${rangeCount} does not fit the ${r.remaining} bytes left`);
  }
  const ranges = f.ranges;
  // pop(), not `length =`: V8 frees an array's storage when its length is set to 0.
  while (ranges.length > rangeCount + 1) ranges.pop();
  let smallest = largestAcknowledged - firstRange;
  setPair(ranges, pairs, 0, smallest, largestAcknowledged);
  for (let i = 0; i < rangeCount; i++) {
    const gap = r.varint();
    const length = r.varint();
    // §19.3.1: largest = previous smallest - gap - 2; smallest = largest - ACK Range Length.
    const largest = smallest - gap - 2;
    if (largest < 0) throw frameEncodingError(`ACK range ${i + 1}: Gap ${gap} goes below packet number 0`);
    smallest = largest - length;
    if (smallest < 0) throw frameEncodingError(`ACK range ${i + 1}: Length ${length} goes below packet number 0`);
    setPair(ranges, pairs, i + 1, smallest, largest);
  }
  let counts: EcnCounts | null = null;
  if (frameType === FrameType.ACK_ECN) {
    counts = ecn ?? { ect0: 0, ect1: 0, ecnCe: 0 };
    counts.ect0 = r.varintClamped();
    counts.ect1 = r.varintClamped();
    counts.ecnCe = r.varintClamped();
  }
  f.largestAcknowledged = largestAcknowledged;
  f.ackDelay = ackDelay;
  f.ecn = counts;
}

function setPair(ranges: AckRange[], pairs: AckRange[], i: number, smallest: number, largest: number): void {
  const pair = (pairs[i] ??= [0, 0]);
  pair[0] = smallest;
  pair[1] = largest;
  ranges[i] = pair;
}

/** Checks that `f.ranges` is non-empty, descending, disjoint and starts at the largest. */
function checkRanges(f: AckFrame): void {
  const first = f.ranges[0];
  if (first === undefined) throw internalError('ACK frame without ranges');
  if (first[1] !== f.largestAcknowledged) throw internalError('ACK first range does not end at Largest Acknowledged');
  let prevSmallest = Infinity;
  // Indexed, without destructuring: this runs for every ACK written and parsed.
  for (let i = 0; i < f.ranges.length; i++) {
    const range = f.ranges[i]!;
    const smallest = range[0];
    const largest = range[1];
    if (!(smallest >= 0 && smallest <= largest && largest + 2 <= prevSmallest)) {
      throw internalError(`ACK range [${smallest}, ${largest}] not descending and disjoint`);
    }
    prevSmallest = smallest;
  }
}

export function writeAckFrame(w: Writer, f: AckFrame): void {
  checkRanges(f);
  w.u8(f.ecn === null ? FrameType.ACK : FrameType.ACK_ECN);
  const ranges = f.ranges;
  const first = ranges[0]!;
  w.varint(f.largestAcknowledged);
  w.varint(f.ackDelay);
  w.varint(ranges.length - 1);
  w.varint(first[1] - first[0]);
  let prevSmallest = first[0];
  // Indexed, without destructuring (an array pattern goes through an iterator): per ACK sent.
  for (let i = 1; i < ranges.length; i++) {
    const smallest = ranges[i]![0];
    const largest = ranges[i]![1];
    w.varint(prevSmallest - largest - 2);
    w.varint(largest - smallest);
    prevSmallest = smallest;
  }
  if (f.ecn !== null) {
    w.varint(f.ecn.ect0);
    w.varint(f.ecn.ect1);
    w.varint(f.ecn.ecnCe);
  }
}

export function ackFrameLength(f: AckFrame): number {
  checkRanges(f);
  const ranges = f.ranges;
  const first = ranges[0]!;
  let n = 1 + varintLength(f.largestAcknowledged) + varintLength(f.ackDelay) + varintLength(ranges.length - 1)
    + varintLength(first[1] - first[0]);
  let prevSmallest = first[0];
  for (let i = 1; i < ranges.length; i++) {
    const smallest = ranges[i]![0];
    const largest = ranges[i]![1];
    n += varintLength(prevSmallest - largest - 2) + varintLength(largest - smallest);
    prevSmallest = smallest;
  }
  if (f.ecn !== null) n += varintLength(f.ecn.ect0) + varintLength(f.ecn.ect1) + varintLength(f.ecn.ecnCe);
  return n;
}
