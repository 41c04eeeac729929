/**
 * The congestion controller interface (RFC 9002 §7, Appendix B). Loss detection drives it:
 * every in-flight packet sent, acknowledged, lost or discarded reaches it exactly once, so
 * `bytesInFlight` here is the connection's bytes_in_flight. NewReno implements it; CUBIC and a
 * pacer (or a plugin-provided algorithm behind `congestion_algorithm_notify`) plug in the same way.
 * Times are microseconds, sizes bytes.
 */

/** What a controller learns about one acknowledged in-flight packet. */
export interface CongestionPacket {
  readonly size: number;
  readonly timeSent: number;
}

export interface CongestionController {
  /** congestion_window, bytes. */
  readonly congestionWindow: number;
  /** bytes_in_flight: in-flight packets sent and neither acknowledged, lost nor discarded. */
  readonly bytesInFlight: number;
  /** Slow start threshold (Infinity until the first congestion event). */
  readonly ssthresh: number;

  /** Whether a packet of `bytes` fits in the window (RFC 9002 §7: probes bypass this). */
  canSend(bytes: number): boolean;

  /** An in-flight packet left (RFC 9002 B.4 OnPacketSentCC). */
  onPacketSent(bytes: number, now: number): void;

  /** In-flight packets were newly acknowledged; they leave bytes in flight (B.5). */
  onPacketsAcked(packets: readonly CongestionPacket[], now: number): void;

  /** In-flight bytes left without an acknowledgement: lost or discarded (B.8, B.9). */
  removeFromBytesInFlight(bytes: number): void;

  /**
   * A congestion signal (loss or ECN-CE) for a packet sent at `sentTime` (B.6). Controllers
   * react at most once per recovery period.
   */
  onCongestionEvent(sentTime: number, now: number): void;

  /** Persistent congestion was established (RFC 9002 §7.6.2, B.8). */
  onPersistentCongestion(now: number): void;

  /**
   * The sender has less to send than the window allows, or is flow-control blocked (RFC 9002
   * §7.8): the window must not grow on acknowledgements while this holds.
   */
  setAppLimited(limited: boolean): void;

  /** Sending rate in bytes per second for a pacer (RFC 9002 §7.7), or undefined to not pace. */
  pacingRate?(smoothedRttUs: number): number | undefined;
}
