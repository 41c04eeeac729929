/**
 * RTT estimation, RFC 9002 §5 and Appendix A.7 (UpdateRtt). All times are microseconds.
 *
 * Values are kept unrounded (RFC arithmetic on numbers); a consumer that needs integers (a
 * plugin reading AK_PATH_SMOOTHED_RTT, a qlog event) rounds at that boundary.
 */

/** kInitialRtt, RFC 9002 §6.2.2: 333 ms. */
export const K_INITIAL_RTT_US = 333_000;
/** kGranularity, RFC 9002 §6.1.2: 1 ms. */
export const K_GRANULARITY_US = 1_000;
/** kPersistentCongestionThreshold, RFC 9002 §7.6.1. */
export const K_PERSISTENT_CONGESTION_THRESHOLD = 3;
/** The default max_ack_delay transport parameter, RFC 9000 §18.2: 25 ms. */
export const DEFAULT_MAX_ACK_DELAY_US = 25_000;

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
  smoothedRtt: number;
  rttvar: number;
  /** The peer's max_ack_delay (RFC 9000 §18.2). */
  maxAckDelay: number;
  /** The time of the first RTT sample, or undefined before it (RFC 9002 Appendix B.2, first_rtt_sample). */
  firstSampleTime: number | undefined;

  constructor(options: RttEstimatorOptions = {}) {
    const initial = options.initialRttUs ?? K_INITIAL_RTT_US;
    this.smoothedRtt = initial;
    this.rttvar = initial / 2;
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
      this.smoothedRtt = latestRtt;
      this.rttvar = latestRtt / 2;
      return;
    }
    this.minRtt = Math.min(this.minRtt, latestRtt);
    const delay = handshakeConfirmed ? Math.min(ackDelay, this.maxAckDelay) : ackDelay;
    const adjustedRtt = latestRtt >= this.minRtt + delay ? latestRtt - delay : latestRtt;
    this.rttvar = (3 / 4) * this.rttvar + (1 / 4) * Math.abs(this.smoothedRtt - adjustedRtt);
    this.smoothedRtt = (7 / 8) * this.smoothedRtt + (1 / 8) * adjustedRtt;
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
