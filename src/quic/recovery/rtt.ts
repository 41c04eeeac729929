/**
 * RTT estimation, RFC 9002 §5 and Appendix A.7 (UpdateRtt). All times are microseconds.
 *
 * Estimates are whole microseconds, rounded to the nearest (the clock reads whole microseconds
 * and kGranularity is 1 ms, so nothing observable is lost). Integers matter to V8 (issue 3): a
 * fractional estimate makes the field a boxed double, and every read of it in code V8 has not
 * optimised (these functions run once per ACK, too rarely to be optimised in a short transfer)
 * allocates a HeapNumber, as does each step of fractional arithmetic there.
 */

/** kInitialRtt, RFC 9002 §6.2.2: 333 ms. */
export const K_INITIAL_RTT_US = 333_000;
/** kGranularity, RFC 9002 §6.1.2: 1 ms. */
export const K_GRANULARITY_US = 1_000;
/** kPersistentCongestionThreshold, RFC 9002 §7.6.1. */
export const K_PERSISTENT_CONGESTION_THRESHOLD = 3;
/** The default max_ack_delay transport parameter, RFC 9000 §18.2: 25 ms. */
export const DEFAULT_MAX_ACK_DELAY_US = 25_000;
/** Up to this (about 4.5 minutes), 8 times an estimate and the sums below stay within int32. */
const SHIFT_SAFE_US = 2 ** 28 - 1;

export interface RttEstimatorOptions {
  /** Initial RTT before any sample (RFC 9002 §6.2.2); defaults to kInitialRtt. */
  initialRttUs?: number;
  /** The peer's max_ack_delay; updated with `setMaxAckDelay` once its transport parameters arrive. */
  maxAckDelayUs?: number;
}

export class RttEstimator {
  /** The most recent RTT sample, without ack-delay adjustment (0 before the first sample). */
  latestRtt = 0;
  /** The minimum RTT seen over the connection, without ack-delay adjustment (RFC 9002 §5.2). */
  minRtt = 0;
  // Numbers from the start, never undefined (a field first defined as undefined is a generic
  // field in V8, and any non-small-integer stored there is a new HeapNumber).
  smoothedRtt = K_INITIAL_RTT_US;
  rttvar = K_INITIAL_RTT_US / 2;
  /** The peer's max_ack_delay (RFC 9000 §18.2). */
  maxAckDelay = DEFAULT_MAX_ACK_DELAY_US;
  /** The time of the first RTT sample, or undefined before it (RFC 9002 Appendix B.2, first_rtt_sample). */
  firstSampleTime: number | undefined;

  constructor(options: RttEstimatorOptions = {}) {
    const initial = Math.round(options.initialRttUs ?? K_INITIAL_RTT_US);
    this.smoothedRtt = initial;
    this.rttvar = Math.round(initial / 2);
    this.maxAckDelay = options.maxAckDelayUs ?? DEFAULT_MAX_ACK_DELAY_US;
  }

  get hasSample(): boolean {
    return this.firstSampleTime !== undefined;
  }

  setMaxAckDelay(us: number): void {
    this.maxAckDelay = us;
  }

  /**
   * Takes one RTT sample (RFC 9002 §5.1-5.3, Appendix A.7).
   *
   * `ackDelay` is the decoded ACK Delay of the frame. It is subtracted from the sample only when
   * that does not take the sample below min_rtt, and after handshake confirmation it is first
   * capped at the peer's max_ack_delay (§5.3). The first sample sets every estimate directly.
   */
  update(latestRtt: number, ackDelay: number, handshakeConfirmed: boolean, now: number): void {
    this.latestRtt = latestRtt;
    if (this.firstSampleTime === undefined) {
      // RFC 9002 §5.3: the first sample initialises the estimator, with no ack-delay adjustment.
      this.firstSampleTime = now;
      this.minRtt = latestRtt;
      this.smoothedRtt = Math.round(latestRtt);
      this.rttvar = Math.round(latestRtt / 2);
      return;
    }
    this.minRtt = Math.min(this.minRtt, latestRtt);
    const delay = handshakeConfirmed ? Math.min(ackDelay, this.maxAckDelay) : ackDelay;
    const adjustedRtt = Math.round(latestRtt >= this.minRtt + delay ? latestRtt - delay : latestRtt);
    const srtt = this.smoothedRtt;
    const deviation = Math.abs(srtt - adjustedRtt);
    if (srtt <= SHIFT_SAFE_US && adjustedRtt <= SHIFT_SAFE_US && this.rttvar <= SHIFT_SAFE_US) {
      // rttvar = 3/4 rttvar + 1/4 |srtt - adjusted|, smoothed = 7/8 srtt + 1/8 adjusted (§5.3),
      // rounded to the nearest microsecond with int32 shifts: no fractional intermediate.
      this.rttvar = (3 * this.rttvar + deviation + 2) >> 2;
      this.smoothedRtt = (7 * srtt + adjustedRtt + 4) >> 3;
    } else {
      this.rttvar = Math.round((3 / 4) * this.rttvar + (1 / 4) * deviation);
      this.smoothedRtt = Math.round((7 / 8) * srtt + (1 / 8) * adjustedRtt);
    }
  }

  /**
   * The base probe timeout, RFC 9002 §6.2.1: smoothed_rtt + max(4*rttvar, kGranularity), plus the
   * peer's max_ack_delay for the ApplicationData space. Backoff is applied by the caller.
   */
  pto(includeMaxAckDelay: boolean): number {
    const base = this.smoothedRtt + Math.max(4 * this.rttvar, K_GRANULARITY_US);
    return includeMaxAckDelay ? base + this.maxAckDelay : base;
  }

  /** RFC 9002 §7.6.1: (smoothed_rtt + max(4*rttvar, kGranularity) + max_ack_delay) * 3. */
  persistentCongestionDuration(): number {
    return this.pto(true) * K_PERSISTENT_CONGESTION_THRESHOLD;
  }

  /** RFC 9002 §5.2: after persistent congestion, min_rtt restarts from the newest sample. */
  resetMinRtt(): void {
    if (this.hasSample) this.minRtt = this.latestRtt;
  }
}
