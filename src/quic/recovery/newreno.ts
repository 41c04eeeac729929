/**
 * NewReno congestion control, RFC 9002 §7 and Appendix B.
 *
 * The congestion-avoidance increase of B.5 (max_datagram_size * acked / cwnd per packet) is
 * done with a stash of acknowledged bytes so the window stays an integer: every full window
 * of acknowledged bytes adds one max_datagram_size, which is the same growth without rounding loss
 * (§7.3.3 asks for at most one max_datagram_size per window acknowledged, and says this is how to
 * do it in whole bytes).
 *
 * Every number here stays a small integer on the per-ACK path: V8's unoptimised tiers box each
 * fractional intermediate and every read of a field that ever held Infinity (bench:alloc --udp),
 * so "no ssthresh yet" is a flag beside an integer field, not Infinity in it.
 */
import type { CongestionController, CongestionPacket } from './congestion.js';

/** kLossReductionFactor, RFC 9002 §7.3.2 / B.2. */
export const K_LOSS_REDUCTION_FACTOR = 0.5;
/** The smallest max_datagram_size QUIC allows (RFC 9000 §14). */
export const DEFAULT_MAX_DATAGRAM_SIZE = 1200;
/** N in RFC 9002 §7.7: pace at 1.25 times cwnd per smoothed RTT. */
const PACING_GAIN = 1.25;

/**
 * cwnd × kLossReductionFactor rounded down (B.6). With the factor at one half, a shift while the
 * window is a small integer: the product is a fraction when cwnd is odd, a HeapNumber per
 * congestion event in V8's baseline tier.
 */
function reduce(cwnd: number): number {
  if (K_LOSS_REDUCTION_FACTOR === 0.5 && cwnd >= 0 && cwnd <= 0x7fffffff) return cwnd >> 1;
  return Math.floor(cwnd * K_LOSS_REDUCTION_FACTOR);
}

/** kInitialWindow, RFC 9002 §7.2: min(10 * mds, max(14720, 2 * mds)). */
export function initialWindow(maxDatagramSize: number): number {
  return Math.min(10 * maxDatagramSize, Math.max(14720, 2 * maxDatagramSize));
}

/** kMinimumWindow, RFC 9002 §7.2: 2 * mds. */
export function minimumWindow(maxDatagramSize: number): number {
  return 2 * maxDatagramSize;
}

export interface NewRenoOptions {
  maxDatagramSize?: number;
}

export class NewReno implements CongestionController {
  congestionWindow: number;
  bytesInFlight = 0;
  /** ssthresh once a congestion event set it (`hasThreshold`); Infinity before (B.3). */
  private threshold = 0;
  private hasThreshold = false;
  /** congestion_recovery_start_time (B.2); undefined when not in a recovery period. */
  recoveryStartTime: number | undefined;
  appLimited = false;
  private maxDatagramSize: number;
  private stash = 0;

  constructor(options: NewRenoOptions = {}) {
    this.maxDatagramSize = options.maxDatagramSize ?? DEFAULT_MAX_DATAGRAM_SIZE;
    this.congestionWindow = initialWindow(this.maxDatagramSize);
  }

  /** Slow start threshold: Infinity until the first congestion event (RFC 9002 B.3). */
  get ssthresh(): number {
    return this.hasThreshold ? this.threshold : Infinity;
  }

  get minimumWindow(): number {
    return minimumWindow(this.maxDatagramSize);
  }

  /** After PMTU discovery raises the datagram size (RFC 9002 §7.2: the window floor follows it). */
  setMaxDatagramSize(size: number): void {
    this.maxDatagramSize = size;
    this.congestionWindow = Math.max(this.congestionWindow, this.minimumWindow);
  }

  canSend(bytes: number): boolean {
    return this.bytesInFlight + bytes <= this.congestionWindow;
  }

  onPacketSent(bytes: number, _now: number): void {
    this.bytesInFlight += bytes;
  }

  onPacketsAcked(packets: readonly CongestionPacket[], _now: number): void {
    // Indexed: a for…of that V8 has not optimised allocates an iterator (per ACK).
    for (let i = 0; i < packets.length; i++) {
      const packet = packets[i]!;
      this.bytesInFlight = Math.max(0, this.bytesInFlight - packet.size);
      // B.5: no growth while app-limited, nor for packets sent before recovery started.
      if (this.appLimited || this.inRecovery(packet.timeSent)) continue;
      if (!this.hasThreshold || this.congestionWindow < this.threshold) {
        this.congestionWindow += packet.size;
      } else {
        // §7.3.3: one max_datagram_size per congestion window of acknowledged bytes. Subtracting
        // a window at a time (never dividing) keeps every value an integer; each step's window
        // is the one that grew by the step before, as if the ACKs had come one by one.
        this.stash += packet.size;
        while (this.stash >= this.congestionWindow) {
          this.stash -= this.congestionWindow;
          this.congestionWindow += this.maxDatagramSize;
        }
      }
    }
  }

  removeFromBytesInFlight(bytes: number): void {
    this.bytesInFlight = Math.max(0, this.bytesInFlight - bytes);
  }

  onCongestionEvent(sentTime: number, now: number): void {
    // B.6: a single reduction per recovery period (RFC 9002 §7.3.2).
    if (this.inRecovery(sentTime)) return;
    this.recoveryStartTime = now;
    this.threshold = reduce(this.congestionWindow);
    this.hasThreshold = true;
    this.congestionWindow = Math.max(this.threshold, this.minimumWindow);
    this.stash = 0;
  }

  onPersistentCongestion(_now: number): void {
    // B.8: collapse to the minimum window and leave recovery (RFC 9002 §7.6.2).
    this.congestionWindow = this.minimumWindow;
    this.recoveryStartTime = undefined;
    this.stash = 0;
  }

  setAppLimited(limited: boolean): void {
    this.appLimited = limited;
  }

  pacingRate(smoothedRttUs: number): number | undefined {
    if (smoothedRttUs <= 0) return undefined;
    return (PACING_GAIN * this.congestionWindow * 1_000_000) / smoothedRttUs;
  }

  /** InCongestionRecovery (B.6): packets sent at or before the start of recovery. */
  inRecovery(sentTime: number): boolean {
    return this.recoveryStartTime !== undefined && sentTime <= this.recoveryStartTime;
  }
}
