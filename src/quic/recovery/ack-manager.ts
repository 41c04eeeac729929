/**
 * The receiving side of acknowledgements for one packet number space (RFC 9000 §13.2):
 * duplicate detection, when an ACK frame is due, and what it carries.
 *
 * Received packet numbers are kept in a capped RangeSet. Numbers below `ignoreBelow` (forgotten
 * after an ACK of our ACK, or dropped by the cap) are treated as duplicates: a packet that late
 * is dropped rather than risk processing a packet twice.
 */
import { RangeSet } from './rangeset.js';
import { DEFAULT_MAX_ACK_DELAY_US } from './rtt.js';
import { PacketNumberSpace } from './space.js';

/** RFC 9000 §13.2.2: acknowledge at least every second ack-eliciting packet. */
export const DEFAULT_ACK_ELICITING_THRESHOLD = 2;
/** How many ranges of received packet numbers are remembered (and at most reported). */
export const DEFAULT_MAX_ACK_RANGES = 256;

export interface AckManagerOptions {
  /** Our max_ack_delay transport parameter, microseconds. */
  maxAckDelayUs?: number;
  /** Ack-eliciting packets that force an immediate ACK in ApplicationData (an ACK_FREQUENCY knob). */
  ackElicitingThreshold?: number;
  maxRanges?: number;
}

/** The content of an ACK frame, as the wire module's ACK frame takes it. */
export interface AckFrameInfo {
  largestAcknowledged: number;
  /** Encoded: microseconds >> ack_delay_exponent (RFC 9000 §19.3). */
  ackDelay: number;
  /** [smallest, largest] pairs, from the largest down. */
  ranges: [number, number][];
}

export class AckManager {
  readonly space: PacketNumberSpace;
  maxAckDelay: number;
  ackElicitingThreshold: number;
  /** Largest packet number received, -1 before any. */
  largestReceived = -1;
  /** When the largest packet number was received (for the ACK Delay field). */
  largestReceivedTime: number | undefined;
  /** Ack-eliciting packets received since the last ACK frame we built. */
  ackElicitingSinceAck = 0;
  /** Packet numbers below this are treated as already received. */
  ignoreBelow = 0;
  private readonly received: RangeSet;
  private largestAckEliciting = -1;
  /** The time by which an ACK frame is due, when an ack-eliciting packet awaits one. */
  private deadline: number | undefined;
  /** Whether something was received that no ACK frame reported yet. */
  private unreported = false;
  /**
   * What buildAck returns, reused for every ACK (issue 3: nothing allocated per packet): its
   * ranges array and [smallest, largest] pairs are rewritten in place, so the result is valid
   * until the next buildAck. `pairs` keeps every pair made, `ack.ranges` the ones in use.
   */
  private readonly ack: AckFrameInfo = { largestAcknowledged: 0, ackDelay: 0, ranges: [] };
  private readonly pairs: [number, number][] = [];

  constructor(space: PacketNumberSpace, options: AckManagerOptions = {}) {
    this.space = space;
    this.maxAckDelay = options.maxAckDelayUs ?? DEFAULT_MAX_ACK_DELAY_US;
    this.ackElicitingThreshold = options.ackElicitingThreshold ?? DEFAULT_ACK_ELICITING_THRESHOLD;
    this.received = new RangeSet([], options.maxRanges ?? DEFAULT_MAX_ACK_RANGES);
  }

  /** Whether `pn` was already received (or is too old to tell): the packet must be dropped. */
  isDuplicate(pn: number): boolean {
    return pn < this.ignoreBelow || this.received.has(pn);
  }

  /**
   * Records a packet that was successfully decrypted. Returns false for a duplicate, which the
   * caller drops without processing (RFC 9000 §12.3).
   */
  onPacketReceived(pn: number, ackEliciting: boolean, now: number): boolean {
    if (this.isDuplicate(pn)) return false;
    const lowestBefore = this.received.startAt(0);
    this.received.add(pn);
    if (!this.received.has(pn) || (!Number.isNaN(lowestBefore) && !this.received.has(lowestBefore))) {
      // The cap dropped the oldest range: what it held can no longer be told from duplicates.
      this.ignoreBelow = Math.max(this.ignoreBelow, this.received.startAt(0));
    }
    if (pn > this.largestReceived) {
      this.largestReceived = pn;
      this.largestReceivedTime = now;
    }
    this.unreported = true;
    if (!ackEliciting) return true;

    this.ackElicitingSinceAck++;
    let immediate = this.space !== PacketNumberSpace.ApplicationData || this.ackElicitingSinceAck >= this.ackElicitingThreshold;
    // RFC 9000 §13.2.1: out of order, or a gap since the previous largest ack-eliciting packet.
    if (pn < this.largestAckEliciting) immediate = true;
    else if (this.largestAckEliciting >= 0 && this.received.startOfRangeContaining(pn) > this.largestAckEliciting + 1) immediate = true;
    this.largestAckEliciting = Math.max(this.largestAckEliciting, pn);

    const due = immediate ? now : now + this.maxAckDelay;
    this.deadline = this.deadline === undefined ? due : Math.min(this.deadline, due);
    return true;
  }

  /** When an ACK frame must be sent (RFC 9000 §13.2.1), or undefined if none is owed. */
  ackDeadline(): number | undefined {
    return this.deadline;
  }

  /** How many ranges of received packet numbers are remembered. */
  get rangeCount(): number {
    return this.received.length;
  }

  /** The i-th range of received packet numbers from the highest, as [first, last] (inclusive). */
  rangeFromTop(i: number): [number, number] | undefined {
    const r = this.received.at(this.received.length - 1 - i);
    return r && i >= 0 ? [r[0], r[1] - 1] : undefined;
  }

  isAckNeeded(now: number): boolean {
    return this.deadline !== undefined && now >= this.deadline;
  }

  /** Whether an ACK frame would report something new (it may ride along with other frames). */
  hasUnreported(): boolean {
    return this.unreported;
  }

  /**
   * Builds the ACK frame and records it as sent: the pending deadline and counters are reset.
   * Returns undefined when nothing was ever received (or everything was forgotten). The ACK
   * Delay is the time since the largest packet was received, scaled down by the exponent.
   * The result and its arrays are reused: valid until the next call (copy what must outlive it).
   */
  buildAck(now: number, ackDelayExponent: number, maxRanges = this.received.maxRanges): AckFrameInfo | undefined {
    if (this.received.isEmpty || this.largestReceivedTime === undefined) return undefined;
    const r = this.received;
    const count = Math.min(r.length, maxRanges);
    const ranges = this.ack.ranges;
    // pop(), not `length =`: V8 frees an array's storage when its length is set to 0.
    while (ranges.length > count) ranges.pop();
    for (let i = 0; i < count; i++) {
      // Highest range first (RFC 9000 §19.3.1), inclusive bounds.
      const k = r.length - 1 - i;
      const pair = (this.pairs[i] ??= [0, 0]);
      pair[0] = r.startAt(k);
      pair[1] = r.endAt(k) - 1;
      ranges[i] = pair;
    }
    const delayUs = Math.max(0, now - this.largestReceivedTime);
    this.deadline = undefined;
    this.ackElicitingSinceAck = 0;
    this.unreported = false;
    this.ack.largestAcknowledged = ranges[0]![1];
    // Scaled down by an int32 shift (it floors a non-negative value), so V8 keeps it a small
    // integer in every tier: a division by `2 **` boxes each intermediate in a HeapNumber in code
    // V8 has not optimised. The delay is capped at 2^31 - 1 us (over 35 minutes) first: a peer
    // caps it at max_ack_delay anyway (RFC 9002 §5.3). The exponent is at most 20 (RFC 9000 §18.2).
    this.ack.ackDelay = Math.min(delayUs, 0x7fffffff) >> ackDelayExponent;
    return this.ack;
  }

  /**
   * An ACK frame we sent, whose Largest Acknowledged was `largestAcked`, was itself
   * acknowledged: packets up to it need no more acknowledging (RFC 9000 §13.2.4).
   */
  onAckOfAck(largestAcked: number): void {
    if (largestAcked + 1 <= this.ignoreBelow) return;
    this.ignoreBelow = largestAcked + 1;
    this.received.shift(this.ignoreBelow);
  }

  /** The received ranges still reported, ascending [start, end). */
  receivedRanges(): [number, number][] {
    return this.received.toArray();
  }
}
