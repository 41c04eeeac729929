/**
 * Loss detection and the probe timeout, RFC 9002 §6 and Appendix A, across the three packet
 * number spaces. Sans-IO: the connection reports sends, ACK frames and timer expiries with the
 * current time, and reads back which packets were acknowledged or lost, whether to send probes,
 * and when the timer must next fire. It owns the RTT estimator updates and drives the injected
 * congestion controller (bytes in flight, congestion events, persistent congestion).
 */
import { clearArray } from '../clear-array.js';
import { QuicError, TransportErrorCode } from '../wire/errors.js';
import type { CongestionController } from './congestion.js';
import type { RangeSet } from './rangeset.js';
import { K_GRANULARITY_US, RttEstimator } from './rtt.js';
import { SentPackets, type SentPacket } from './sent-packets.js';
import { PACKET_NUMBER_SPACES, PacketNumberSpace, spaceName } from './space.js';

/**
 * "No deadline" for the timer fields. A small integer rather than Infinity: a field that ever
 * holds a non-small-integer number is kept as a boxed double by V8, and code V8 has not optimised
 * (these functions run a few times per ACK) allocates a HeapNumber on every read of it (issue 3).
 * Deadlines are never negative.
 */
const NOT_ARMED = -1;

/** kPacketThreshold, RFC 9002 §6.1.1. */
export const K_PACKET_THRESHOLD = 3;
/** kTimeThreshold, RFC 9002 §6.1.2. */
export const K_TIME_THRESHOLD = 9 / 8;

export interface LossDetectionOptions {
  isClient: boolean;
  congestion: CongestionController;
  rtt?: RttEstimator;
  packetThreshold?: number;
  timeThreshold?: number;
}

/**
 * What one ACK frame did. The object and its arrays are reused by the next onAckReceived: read
 * them (and copy what must last) before calling it again.
 */
export interface AckResult {
  /** Newly acknowledged packets, ascending packet number. */
  newlyAcked: SentPacket[];
  /** Packets declared lost while processing this ACK, ascending packet number. */
  lost: SentPacket[];
  /** latest_rtt, when this ACK produced an RTT sample. */
  rttSample?: number;
  /** Whether these losses established persistent congestion (§7.6.2). */
  persistentCongestion: boolean;
}

export type LossTimeoutResult =
  | { kind: 'none' }
  /** Time-threshold losses were declared in `space`: retransmit their frames. */
  | { kind: 'loss'; space: PacketNumberSpace; lost: SentPacket[]; persistentCongestion: boolean }
  /**
   * The PTO fired: send `probes` ack-eliciting packets in `space`, ignoring the congestion
   * window (§6.2.4, §7.5). `antiDeadlock` is the client's probe with nothing in flight (§6.2.2.1):
   * a padded Initial, or a Handshake packet once Handshake keys exist.
   */
  | { kind: 'pto'; space: PacketNumberSpace; probes: number; antiDeadlock: boolean };

/** onLossDetectionTimeout before the deadline: one shared result (nothing to do). */
const TIMEOUT_NONE: LossTimeoutResult = Object.freeze({ kind: 'none' });

type LossTimeoutLoss = Extract<LossTimeoutResult, { kind: 'loss' }>;
type LossTimeoutPto = Extract<LossTimeoutResult, { kind: 'pto' }>;

export class LossDetection {
  readonly rtt: RttEstimator;
  readonly congestion: CongestionController;
  readonly isClient: boolean;
  /** pto_count (A.3): consecutive PTOs without an acknowledgement that resets it. */
  ptoCount = 0;
  handshakeConfirmed = false;
  private readonly spaces: readonly [SentPackets, SentPackets, SentPackets];
  private readonly packetThreshold: number;
  private readonly timeThreshold: number;
  private hasHandshakeKeys = false;
  private peerAddressValidated: boolean;
  private amplificationLimited = false;
  /** The armed deadline, NOT_ARMED when none. */
  private timer = NOT_ARMED;
  /** onAckReceived's result, reused while calls do not nest (see there). */
  private readonly ackResult: AckResult = { newlyAcked: [], lost: [], persistentCongestion: false };
  private readonly inFlightScratch: SentPacket[] = [];
  private ackNesting = 0;
  /**
   * Callers still reading the last result (they count themselves in and out around their use):
   * a call meanwhile gets a result of its own instead of overwriting theirs.
   */
  ackResultReaders = 0;
  /**
   * onLossDetectionTimeout's results, reused (a timer per few packets on a lossy path must not
   * allocate) unless a caller still reads the last one: like ackResultReaders, callers count
   * themselves in and out around their use.
   */
  private readonly timeoutLoss: LossTimeoutLoss = { kind: 'loss', space: PacketNumberSpace.Initial, lost: [], persistentCongestion: false };
  private readonly timeoutPto: LossTimeoutPto = { kind: 'pto', space: PacketNumberSpace.Initial, probes: 0, antiDeadlock: false };
  timeoutResultReaders = 0;

  constructor(options: LossDetectionOptions) {
    this.isClient = options.isClient;
    this.congestion = options.congestion;
    this.rtt = options.rtt ?? new RttEstimator();
    this.packetThreshold = options.packetThreshold ?? K_PACKET_THRESHOLD;
    this.timeThreshold = options.timeThreshold ?? K_TIME_THRESHOLD;
    this.spaces = [new SentPackets(), new SentPackets(), new SentPackets()];
    // RFC 9002 A.6 PeerCompletedAddressValidation: a server assumes its client's address is validated.
    this.peerAddressValidated = !options.isClient;
  }

  /** The sent-packet records of a space (for PTO retransmissions and inspection). */
  space(space: PacketNumberSpace): SentPackets {
    return this.spaces[space];
  }

  /** bytes_in_flight of every space together. */
  get bytesInFlight(): number {
    return this.spaces[0].bytesInFlight + this.spaces[1].bytesInFlight + this.spaces[2].bytesInFlight;
  }

  get ackElicitingInFlight(): number {
    return this.spaces[0].ackElicitingInFlight + this.spaces[1].ackElicitingInFlight + this.spaces[2].ackElicitingInFlight;
  }

  /** The loss detection timer (absolute microseconds), or undefined when not armed. */
  getLossDetectionTimer(): number | undefined {
    return this.timer === NOT_ARMED ? undefined : this.timer;
  }

  // ----- inputs from the handshake ------------------------------------------------------------

  /** RFC 9002 §6.2.1: the ApplicationData PTO starts after confirmation; A.6: so does validation. */
  onHandshakeConfirmed(now: number): void {
    this.handshakeConfirmed = true;
    this.peerAddressValidated = true;
    this.setLossDetectionTimer(now);
  }

  /** Client: Handshake keys are installed, so anti-deadlock probes go in Handshake packets (A.9). */
  onHandshakeKeysAvailable(now: number): void {
    this.hasHandshakeKeys = true;
    this.setLossDetectionTimer(now);
  }

  /**
   * Server: whether the anti-amplification limit (RFC 9000 §8.1) blocks sending. While blocked the
   * timer is off (A.8); when a datagram unblocks it the timer is re-armed, and the connection must
   * call `onLossDetectionTimeout` right away if the new deadline has already passed (A.6).
   */
  setAmplificationLimited(limited: boolean, now: number): void {
    if (this.amplificationLimited === limited) return;
    this.amplificationLimited = limited;
    this.setLossDetectionTimer(now);
  }

  // ----- sending ------------------------------------------------------------------------------

  /** RFC 9002 A.5 OnPacketSent. */
  onPacketSent(space: PacketNumberSpace, packet: SentPacket): void {
    this.spaces[space].add(packet);
    if (packet.inFlight) {
      this.congestion.onPacketSent(packet.size, packet.timeSent);
      this.setLossDetectionTimer(packet.timeSent);
    }
  }

  // ----- receiving an ACK ---------------------------------------------------------------------

  /**
   * RFC 9002 A.7 OnAckReceived. `ranges` are [smallest, largest] pairs, descending, as in the
   * ACK frame; `ackDelay` is the decoded ACK Delay in microseconds.
   */
  onAckReceived(
    space: PacketNumberSpace,
    ranges: readonly (readonly [number, number])[],
    ackDelay: number,
    now: number,
  ): AckResult {
    const sent = this.spaces[space];
    const largestAcked = ranges[0]?.[1];
    if (largestAcked === undefined) {
      throw new QuicError(TransportErrorCode.FRAME_ENCODING_ERROR, 'ACK frame without ranges');
    }
    // RFC 9000 §13.1: acknowledging a packet that was never sent.
    if (largestAcked > sent.largestSent) {
      throw new QuicError(
        TransportErrorCode.PROTOCOL_VIOLATION,
        `ACK of unsent packet ${largestAcked} in ${spaceName(space)} space (largest sent ${sent.largestSent})`,
      );
    }
    sent.largestAcked = sent.largestAcked === undefined ? largestAcked : Math.max(sent.largestAcked, largestAcked);
    // A.6: a client knows its address is validated once the server acknowledges a Handshake packet.
    const validates = space === PacketNumberSpace.Handshake && this.isClient && !this.peerAddressValidated;
    if (validates) this.peerAddressValidated = true;

    // One result and its arrays serve every ACK (an ACK per packet or two must not allocate);
    // a nested call (a protoop processing an ACK while the caller still reads one) gets its own.
    const result = this.ackNesting === 0 && this.ackResultReaders === 0 ? this.ackResult : { newlyAcked: [], lost: [], persistentCongestion: false };
    clearArray(result.newlyAcked);
    clearArray(result.lost);
    result.rttSample = undefined;
    result.persistentCongestion = false;
    const newlyAcked = sent.removeAcked(ranges, result.newlyAcked);
    if (newlyAcked.length === 0) {
      if (validates) this.setLossDetectionTimer(now);
      return result;
    }

    const largestNewlyAcked = newlyAcked[newlyAcked.length - 1]!;
    let anyAckEliciting = false;
    for (let i = 0; i < newlyAcked.length; i++) if (newlyAcked[i]!.ackEliciting) anyAckEliciting = true;
    if (largestNewlyAcked.pn === largestAcked && anyAckEliciting) {
      const latestRtt = now - largestNewlyAcked.timeSent;
      // RFC 9002 §5.3: the Initial ACK Delay is not meaningful, so it is ignored.
      const delay = space === PacketNumberSpace.Initial ? 0 : ackDelay;
      this.rtt.update(latestRtt, delay, this.handshakeConfirmed, now);
      result.rttSample = latestRtt;
    }

    this.detectAndRemoveLostPackets(space, now, result.lost);
    if (result.lost.length > 0) result.persistentCongestion = this.onPacketsLost(space, result.lost, now);

    const inFlightAcked = this.inFlightScratch;
    clearArray(inFlightAcked);
    for (let i = 0; i < newlyAcked.length; i++) if (newlyAcked[i]!.inFlight) inFlightAcked.push(newlyAcked[i]!);
    this.ackNesting++;
    try {
      if (inFlightAcked.length > 0) this.congestion.onPacketsAcked(inFlightAcked, now);
    } finally {
      this.ackNesting--;
      clearArray(inFlightAcked);
    }

    // A.7: pto_count is kept while the client is unsure the server validated its address.
    if (this.peerAddressValidated) this.ptoCount = 0;
    this.setLossDetectionTimer(now);
    return result;
  }

  // ----- the timer ----------------------------------------------------------------------------

  /** RFC 9002 A.9 OnLossDetectionTimeout. Returns `none` when called before the deadline. */
  onLossDetectionTimeout(now: number): LossTimeoutResult {
    if (this.timer === NOT_ARMED || now < this.timer) return TIMEOUT_NONE;
    const reuse = this.timeoutResultReaders === 0;
    const lossTime = this.lossTimeAndSpace();
    const lossSpace = this.foundSpace;
    if (lossTime !== undefined) {
      const result: LossTimeoutLoss = reuse ? this.timeoutLoss : { kind: 'loss', space: lossSpace, lost: [], persistentCongestion: false };
      clearArray(result.lost);
      result.space = lossSpace;
      const lost = this.detectAndRemoveLostPackets(lossSpace, now, result.lost);
      result.persistentCongestion = lost.length > 0 && this.onPacketsLost(lossSpace, lost, now);
      this.setLossDetectionTimer(now);
      return result;
    }
    const result: LossTimeoutPto = reuse ? this.timeoutPto : { kind: 'pto', space: PacketNumberSpace.Initial, probes: 0, antiDeadlock: false };
    if (this.ackElicitingInFlight === 0) {
      // A.9: only the client can get here (anti-deadlock, RFC 9002 §6.2.2.1).
      result.space = this.hasHandshakeKeys ? PacketNumberSpace.Handshake : PacketNumberSpace.Initial;
      result.probes = 1;
      result.antiDeadlock = true;
    } else {
      this.ptoTimeAndSpace(now);
      result.space = this.foundSpace;
      result.probes = 2;
      result.antiDeadlock = false;
    }
    this.ptoCount++;
    this.setLossDetectionTimer(now);
    return result;
  }

  // ----- discarding keys ----------------------------------------------------------------------

  /**
   * RFC 9002 §6.4 / A.11: Initial or Handshake keys were discarded. Their packets leave bytes in
   * flight without being acknowledged or lost; returns them (their frames need no retransmission).
   */
  /**
   * A packet the peer reconstructed without receiving it (forward erasure correction): it leaves
   * the in-flight set as if acknowledged, but gives no RTT sample and no congestion window growth.
   * Returns it, or undefined when it was already acknowledged or declared lost.
   */
  onPacketRecovered(space: PacketNumberSpace, pn: number, now: number): SentPacket | undefined {
    const sent = this.spaces[space];
    const packet = sent.remove(pn);
    if (packet === undefined) return undefined;
    if (packet.inFlight) this.congestion.removeFromBytesInFlight(packet.size);
    this.setLossDetectionTimer(now);
    return packet;
  }

  discardSpace(space: PacketNumberSpace, now: number): SentPacket[] {
    if (space === PacketNumberSpace.ApplicationData) {
      throw new QuicError(TransportErrorCode.INTERNAL_ERROR, 'the ApplicationData space is never discarded');
    }
    const sent = this.spaces[space];
    this.congestion.removeFromBytesInFlight(sent.bytesInFlight);
    const discarded = sent.clear();
    this.ptoCount = 0;
    this.setLossDetectionTimer(now);
    return discarded;
  }

  // ----- RFC 9002 Appendix A internals --------------------------------------------------------

  /**
   * §6.1.2: kTimeThreshold * max(smoothed_rtt, latest_rtt), rounded up to a whole microsecond so
   * that loss times stay small integers (see NOT_ARMED); the default 9/8 as an int32 shift,
   * which has no fractional intermediate either.
   */
  private lossDelay(rtt: number): number {
    if (this.timeThreshold === K_TIME_THRESHOLD && Number.isInteger(rtt) && rtt >= 0 && rtt <= 0x3fffffff) return rtt + ((rtt + 7) >> 3);
    return Math.ceil(this.timeThreshold * rtt);
  }

  /** A.10 DetectAndRemoveLostPackets: appends the lost packets to `lost` and returns it. */
  private detectAndRemoveLostPackets(space: PacketNumberSpace, now: number, lost: SentPacket[] = []): SentPacket[] {
    const sent = this.spaces[space];
    sent.lossTime = undefined;
    const largestAcked = sent.largestAcked;
    if (largestAcked === undefined) return lost;
    const lossDelay = Math.max(this.lossDelay(Math.max(this.rtt.latestRtt, this.rtt.smoothedRtt)), K_GRANULARITY_US);
    const lostSendTime = now - lossDelay;
    const first = lost.length;
    // Slots, not an iterator: this runs for every ACK.
    for (let i = 0, n = sent.slotCount; i < n; i++) {
      const packet = sent.at(i);
      if (packet === undefined) continue;
      if (packet.pn > largestAcked) break;
      if (packet.timeSent <= lostSendTime || largestAcked >= packet.pn + this.packetThreshold) {
        lost.push(packet);
      } else {
        const when = packet.timeSent + lossDelay;
        sent.lossTime = sent.lossTime === undefined ? when : Math.min(sent.lossTime, when);
      }
    }
    for (let i = first; i < lost.length; i++) sent.remove(lost[i]!.pn);
    return lost;
  }

  /** B.8 OnPacketsLost: the congestion controller's side. Returns whether persistent congestion. */
  private onPacketsLost(space: PacketNumberSpace, lost: readonly SentPacket[], now: number): boolean {
    let lostBytes = 0;
    // -1: no in-flight packet lost (times are never negative). Indexed: a `for…of` that V8 has
    // not optimised allocates an iterator and a result per packet, and losses come in bursts.
    let lastLossSentTime = -1;
    for (let i = 0; i < lost.length; i++) {
      const packet = lost[i]!;
      if (!packet.inFlight) continue;
      lostBytes += packet.size;
      if (packet.timeSent > lastLossSentTime) lastLossSentTime = packet.timeSent;
    }
    if (lostBytes > 0) this.congestion.removeFromBytesInFlight(lostBytes);
    if (lastLossSentTime >= 0) this.congestion.onCongestionEvent(lastLossSentTime, now);

    const firstSample = this.rtt.firstSampleTime;
    if (firstSample === undefined) return false;
    const persistent = inPersistentCongestion(lost, this.rtt.persistentCongestionDuration(), this.spaces[space].ackedHistory, firstSample);
    if (persistent) {
      this.congestion.onPersistentCongestion(now);
      this.rtt.resetMinRtt();
    }
    return persistent;
  }

  /** The space found by the last lossTimeAndSpace / ptoTimeAndSpace (a field, not a tuple per call). */
  private foundSpace: PacketNumberSpace = PacketNumberSpace.Initial;

  /** A.8 GetLossTimeAndSpace: the earliest loss_time over the spaces; the space goes to foundSpace. */
  private lossTimeAndSpace(): number | undefined {
    let time: number | undefined;
    let space: PacketNumberSpace = PacketNumberSpace.Initial;
    for (let i = 0; i < PACKET_NUMBER_SPACES.length; i++) {
      const s = PACKET_NUMBER_SPACES[i]!;
      const t = this.spaces[s].lossTime;
      if (t !== undefined && (time === undefined || t < time)) {
        time = t;
        space = s;
      }
    }
    this.foundSpace = space;
    return time;
  }

  /** The time found by the last ptoTimeAndSpace, NOT_ARMED for none. */
  private foundPtoTime = NOT_ARMED;

  /**
   * A.8 GetPtoTimeAndSpace, with exponential backoff by pto_count (§6.2.1): the time goes to
   * foundPtoTime (NOT_ARMED when no space has a PTO), the space to foundSpace. Fields, not a
   * return value (no tuple per call).
   */
  private ptoTimeAndSpace(now: number): void {
    // A shift, not `2 **`, whose result V8's unoptimised tiers box even when it is small.
    const backoff = this.ptoCount < 30 ? 1 << this.ptoCount : 2 ** this.ptoCount;
    const duration = this.rtt.pto(false) * backoff;
    // ApplicationData packets get no PTO before confirmation (§6.2.1): a client with only 0-RTT
    // packets in flight still needs the anti-deadlock timer, or lost 0-RTT packets holding the
    // window would block its Finished with no timer left to send it.
    const onlyEarly = !this.peerAddressValidated && !this.handshakeConfirmed
      && this.ackElicitingInFlight === this.spaces[PacketNumberSpace.ApplicationData].ackElicitingInFlight;
    if (this.ackElicitingInFlight === 0 || onlyEarly) {
      // Anti-deadlock PTO (§6.2.2.1): counted from now.
      this.foundSpace = this.hasHandshakeKeys ? PacketNumberSpace.Handshake : PacketNumberSpace.Initial;
      this.foundPtoTime = now + duration;
      return;
    }
    let timeout = Infinity;
    let ptoSpace: PacketNumberSpace = PacketNumberSpace.Initial;
    for (let i = 0; i < PACKET_NUMBER_SPACES.length; i++) {
      const s = PACKET_NUMBER_SPACES[i]!;
      const sent = this.spaces[s];
      if (sent.ackElicitingInFlight === 0 || sent.timeOfLastAckEliciting === undefined) continue;
      let spaceDuration = duration;
      if (s === PacketNumberSpace.ApplicationData) {
        // §6.2.1: no ApplicationData PTO before confirmation; it includes max_ack_delay.
        if (!this.handshakeConfirmed) break;
        spaceDuration += this.rtt.maxAckDelay * backoff;
      }
      const t = sent.timeOfLastAckEliciting + spaceDuration;
      if (t < timeout) {
        timeout = t;
        ptoSpace = s;
      }
    }
    this.foundSpace = ptoSpace;
    this.foundPtoTime = timeout === Infinity ? NOT_ARMED : timeout;
  }

  /** A.8 SetLossDetectionTimer. */
  private setLossDetectionTimer(now: number): void {
    const lossTime = this.lossTimeAndSpace();
    if (lossTime !== undefined) {
      this.timer = lossTime;
      return;
    }
    if (this.amplificationLimited) {
      // The server could not send a probe anyway (RFC 9002 §6.2.2.1).
      this.timer = NOT_ARMED;
      return;
    }
    if (this.ackElicitingInFlight === 0 && this.peerAddressValidated) {
      this.timer = NOT_ARMED;
      return;
    }
    this.ptoTimeAndSpace(now);
    this.timer = this.foundPtoTime;
  }
}

/**
 * RFC 9002 §7.6.2: persistent congestion is established when two ack-eliciting lost packets
 * sent after the first RTT sample (`timeSent > sentAfter`: the others are skipped, so the
 * caller needs no filtered copy) span more than `duration`, with no packet sent between them
 * acknowledged. `lost` is ascending by packet number; `acked` holds acknowledged packet numbers
 * of the same space (the RFC allows using one space only).
 */
export function inPersistentCongestion(lost: readonly SentPacket[], duration: number, acked: RangeSet, sentAfter = -Infinity): boolean {
  let runStart: SentPacket | undefined;
  let previous: SentPacket | undefined;
  for (let i = 0; i < lost.length; i++) {
    const packet = lost[i]!;
    if (!packet.ackEliciting || !(packet.timeSent > sentAfter)) continue;
    if (runStart === undefined || previous === undefined || acked.intersects(previous.pn + 1, packet.pn)) {
      runStart = packet;
    } else if (packet.timeSent - runStart.timeSent > duration) {
      return true;
    }
    previous = packet;
  }
  return false;
}
