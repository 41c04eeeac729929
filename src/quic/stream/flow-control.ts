/**
 * Flow control, RFC 9000 §4, at either level: a connection (MAX_DATA / DATA_BLOCKED) or a stream
 * (MAX_STREAM_DATA / STREAM_DATA_BLOCKED). Offsets and counts are bytes; times microseconds.
 *
 *  - `SendCredit`: the peer's limit on what we send.
 *  - `ReceiveWindow`: the limit we advertise, with window auto-tuning: when a window's worth of
 *    data is consumed in much less than the time it takes to advertise more (about 2 RTT), the
 *    window doubles, up to a maximum, so a fast reader is not stalled by a small initial window.
 */
import { productLess } from '../small-int-math.js';
import { QuicError, TransportErrorCode } from '../wire/errors.js';

/** The largest offset a stream may reach (RFC 9000 §4.5 / §19.8: 2^62 - 1), clamped to safe integers. */
export const MAX_OFFSET = Number.MAX_SAFE_INTEGER;

export class SendCredit {
  /** The peer's limit: an absolute offset (stream) or byte count (connection). */
  limit: number;
  /** What we have used of it: the highest offset sent (stream) or the sum of those (connection). */
  sent = 0;
  private blockedReportedAt: number | undefined;

  constructor(limit: number) {
    this.limit = limit;
  }

  get available(): number {
    return Math.max(0, this.limit - this.sent);
  }

  /** New bytes went out (retransmissions do not count). */
  onSent(bytes: number): void {
    if (this.sent + bytes > this.limit) {
      throw new QuicError(TransportErrorCode.INTERNAL_ERROR, `sent ${this.sent + bytes} beyond the peer's limit ${this.limit}`);
    }
    this.sent += bytes;
  }

  /** A MAX_DATA / MAX_STREAM_DATA frame: limits never shrink (RFC 9000 §4.1). Returns true if raised. */
  update(limit: number): boolean {
    if (limit <= this.limit) return false;
    this.limit = limit;
    return true;
  }

  /**
   * When we have data that the limit holds back: the limit to report in DATA_BLOCKED /
   * STREAM_DATA_BLOCKED (RFC 9000 §4.1), once per limit; undefined if not blocked or already
   * reported.
   */
  takeBlocked(): number | undefined {
    if (this.available > 0 || this.blockedReportedAt === this.limit) return undefined;
    this.blockedReportedAt = this.limit;
    return this.limit;
  }

  /** The blocked frame reporting `limit` was lost: report again if still blocked at that limit. */
  onBlockedLost(limit: number): void {
    if (this.blockedReportedAt === limit) this.blockedReportedAt = undefined;
  }
}

export interface ReceiveWindowOptions {
  /** The initial window, which is also the limit first advertised in transport parameters. */
  initialWindow: number;
  /** The ceiling for auto-tuning (defaults to the initial window: no tuning). */
  maxWindow?: number;
  /** When the window starts being used, for the first auto-tuning epoch. */
  now?: number;
}

export class ReceiveWindow {
  /** The limit we advertised (absolute offset, or byte count for a connection). */
  limit: number;
  /** The current window size: how far past `consumed` the next update advertises. */
  windowSize: number;
  readonly maxWindow: number;
  /** Highest offset received (or, for a connection, the sum of the streams' highest offsets). */
  highestReceived = 0;
  /** Bytes the application read or that were discarded. */
  consumed = 0;
  private epochStartTime: number | undefined;
  private epochStartOffset = 0;

  constructor(options: ReceiveWindowOptions) {
    this.windowSize = options.initialWindow;
    this.limit = options.initialWindow;
    this.maxWindow = Math.max(options.maxWindow ?? options.initialWindow, options.initialWindow);
    this.epochStartTime = options.now;
  }

  /** Would data up to `end` fit? */
  allows(end: number): boolean {
    return end <= this.limit;
  }

  /** Data up to offset `end` arrived. FLOW_CONTROL_ERROR beyond the limit (RFC 9000 §4.1). */
  onReceivedUpTo(end: number): void {
    if (end > this.limit) {
      throw new QuicError(TransportErrorCode.FLOW_CONTROL_ERROR, `data up to ${end} exceeds the advertised limit ${this.limit}`);
    }
    if (end > this.highestReceived) this.highestReceived = end;
  }

  /** `bytes` more received (a connection summing its streams' increases). */
  addReceived(bytes: number): void {
    this.onReceivedUpTo(this.highestReceived + bytes);
  }

  /** `bytes` were read by the application or discarded: their credit can be returned. */
  onConsumed(bytes: number): void {
    this.consumed += bytes;
  }

  /** Less than half the window remains available to the peer: time for MAX_(STREAM_)DATA. */
  shouldSendUpdate(): boolean {
    return this.limit - this.consumed < this.windowSize / 2;
  }

  /**
   * Computes the new limit to advertise (auto-tuning the window first) and records it.
   * `rttUs` is the smoothed RTT. Returns the new limit; it never decreases.
   */
  update(now: number, rttUs: number): number {
    this.autoTune(now, rttUs);
    this.limit = Math.max(this.limit, Math.min(this.consumed + this.windowSize, MAX_OFFSET));
    return this.limit;
  }

  /** Make the window at least `size` (a connection following a stream window that grew). */
  ensureMinimumWindow(size: number, now: number): void {
    if (size <= this.windowSize) return;
    this.windowSize = Math.min(size, this.maxWindow);
    this.startEpoch(now);
  }

  private autoTune(now: number, rttUs: number): void {
    if (this.epochStartTime === undefined) {
      this.startEpoch(now);
      return;
    }
    const consumedInEpoch = this.consumed - this.epochStartOffset;
    // Too little read to judge the pace: keep the epoch running.
    if (2 * consumedInEpoch <= this.windowSize) return;
    // At this pace half a window lasts less than two RTTs, so an update (sent at half) cannot
    // reach the peer before it runs dry: double the window. That is elapsed < 4 · (consumed /
    // window) · RTT, compared as elapsed · window < consumed · 4 RTT in small integers (the
    // fraction was a HeapNumber or two per update in V8's baseline tier).
    if (rttUs > 0 && productLess(this.windowSize, now - this.epochStartTime, consumedInEpoch, 4 * rttUs)) {
      this.windowSize = Math.min(2 * this.windowSize, this.maxWindow);
    }
    this.startEpoch(now);
  }

  private startEpoch(now: number): void {
    this.epochStartTime = now;
    this.epochStartOffset = this.consumed;
  }
}
