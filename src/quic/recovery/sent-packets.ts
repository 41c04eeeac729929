/**
 * The sent-packet records of one packet number space (RFC 9002 Appendix A.1.1), plus that
 * space's loss-detection variables (A.3: largest_acked_packet, loss_time,
 * time_of_last_ack_eliciting_packet). Packets are kept in a ring ordered by packet number,
 * because packet numbers only grow.
 */
import { QuicError, TransportErrorCode } from '../wire/errors.js';
import { RangeSet } from './rangeset.js';

export interface SentPacket {
  readonly pn: number;
  /** Microseconds, from the connection's clock. */
  readonly timeSent: number;
  /** Bytes of the UDP payload this packet occupied (RFC 9002 A.1.1 sent_bytes). */
  readonly size: number;
  readonly ackEliciting: boolean;
  /** Counted in bytes in flight: ack-eliciting, PADDING or PATH_* (RFC 9002 §2). */
  readonly inFlight: boolean;
  /** Opaque to recovery: what the connection needs to retransmit or to process an ACK. */
  readonly frames: unknown[];
  /** Per-plugin metadata (set_pkt_metadata), keyed by plugin instance; dies with the packet. */
  pluginMeta?: Map<object, unknown> | undefined;
}

/** How many ACK ranges of acknowledged packet numbers a space remembers for §7.6.2. */
const ACKED_HISTORY_RANGES = 32;
/** First ring size (a power of two); it doubles as the flight grows. */
const INITIAL_RING = 64;

export class SentPackets {
  /**
   * The outstanding packets, ascending by packet number, in a ring (a deque): packets are only
   * ever appended (numbers grow) and mostly removed from the front (acknowledged in order), so
   * the ring allocates nothing per packet once it has grown to the flight size, where a Map
   * allocated a table entry per packet. A removed packet leaves a hole (undefined) that the
   * front skips; lookups binary-search the packet numbers, which stay in `pns` for holes too.
   */
  private pkts: (SentPacket | undefined)[] = new Array<SentPacket | undefined>(INITIAL_RING).fill(undefined);
  /**
   * Their packet numbers, in a plain array of small integers rather than a Float64Array: V8's
   * unoptimised tiers box every number read from a Float64Array (a HeapNumber per lookup, and
   * `get`/`remove` look up every acknowledged packet), while small-integer elements are read as
   * they are. A packet number past 2^31 - 1 turns the array into doubles: still correct, only boxed.
   */
  private pns: number[] = new Array<number>(INITIAL_RING).fill(0);
  private mask = INITIAL_RING - 1;
  private head = 0;
  /** Slots in use from `head`, holes included. */
  private slots = 0;
  private live = 0;
  /** Largest packet number sent in this space, -1 before the first. */
  largestSent = -1;
  /** largest_acked_packet (A.3); undefined stands for "infinite" (none yet). */
  largestAcked: number | undefined;
  /** loss_time (A.3): when the earliest not-yet-lost packet becomes lost by time threshold. */
  lossTime: number | undefined;
  /** time_of_last_ack_eliciting_packet (A.3). */
  timeOfLastAckEliciting: number | undefined;
  /** Ack-eliciting packets of this space still counted in flight. */
  ackElicitingInFlight = 0;
  /** Bytes of this space's packets counted in flight. */
  bytesInFlight = 0;
  /**
   * Recently acknowledged packet numbers, so persistent congestion can tell whether a packet
   * sent between two lost ones was acknowledged (RFC 9002 §7.6.2). Capped: oldest dropped.
   */
  readonly ackedHistory = new RangeSet([], ACKED_HISTORY_RANGES);

  /** Number of packets awaiting an acknowledgement or a loss verdict. */
  get count(): number {
    return this.live;
  }

  add(packet: SentPacket): void {
    if (packet.pn <= this.largestSent) {
      throw new QuicError(TransportErrorCode.INTERNAL_ERROR, `packet number ${packet.pn} sent after ${this.largestSent}`);
    }
    this.largestSent = packet.pn;
    if (this.slots === this.pkts.length) this.grow();
    const at = (this.head + this.slots) & this.mask;
    this.pkts[at] = packet;
    this.pns[at] = packet.pn;
    this.slots++;
    this.live++;
    if (packet.inFlight) {
      this.bytesInFlight += packet.size;
      if (packet.ackEliciting) {
        this.ackElicitingInFlight++;
        this.timeOfLastAckEliciting = packet.timeSent;
      }
    }
  }

  get(pn: number): SentPacket | undefined {
    const i = this.slotOf(pn);
    return i < 0 ? undefined : this.pkts[(this.head + i) & this.mask];
  }

  remove(pn: number): SentPacket | undefined {
    const i = this.slotOf(pn);
    return i < 0 ? undefined : this.removeSlot(i);
  }

  /**
   * Removes the packets an ACK frame acknowledges and appends them (ascending) to `out`, which
   * is returned. `ranges` are [smallest, largest] pairs, descending, as the ACK frame carries
   * them. Each range costs a binary search plus the outstanding packets inside it, so a peer
   * repeating huge old ranges stays cheap.
   */
  removeAcked(ranges: readonly (readonly [number, number])[], out: SentPacket[] = []): SentPacket[] {
    for (let r = ranges.length - 1; r >= 0; r--) {
      const range = ranges[r]!;
      const smallest = range[0];
      const largest = range[1];
      this.ackedHistory.add(smallest, largest + 1);
      // Slot indices shift when the front is trimmed: walk by packet number instead.
      let i = this.firstSlotAtOrAbove(smallest);
      while (i < this.slots) {
        const at = (this.head + i) & this.mask;
        if (this.pns[at]! > largest) break;
        const before = this.slots;
        const packet = this.removeSlot(i);
        if (packet !== undefined) out.push(packet);
        // The next slot is i + 1, less what trimming the front removed (holes included).
        i = Math.max(0, i + 1 - (before - this.slots));
      }
    }
    return out;
  }

  /** Removes and returns every packet (RFC 9002 §6.4 when the space is discarded). */
  clear(): SentPacket[] {
    const all: SentPacket[] = [];
    for (let i = 0; i < this.slots; i++) {
      const at = (this.head + i) & this.mask;
      const p = this.pkts[at];
      if (p !== undefined) all.push(p);
      this.pkts[at] = undefined;
    }
    this.head = 0;
    this.slots = 0;
    this.live = 0;
    this.bytesInFlight = 0;
    this.ackElicitingInFlight = 0;
    this.timeOfLastAckEliciting = undefined;
    this.lossTime = undefined;
    return all;
  }

  /** Slots from the oldest outstanding packet, holes included: walk them with `at`. */
  get slotCount(): number {
    return this.slots;
  }

  /** The packet in slot `i` (0 is the oldest), undefined for a hole. */
  at(i: number): SentPacket | undefined {
    return i >= 0 && i < this.slots ? this.pkts[(this.head + i) & this.mask] : undefined;
  }

  /** Outstanding packets in ascending packet number order. */
  *[Symbol.iterator](): IterableIterator<SentPacket> {
    for (let i = 0; i < this.slots; i++) {
      const p = this.pkts[(this.head + i) & this.mask];
      if (p !== undefined) yield p;
    }
  }

  private removeSlot(i: number): SentPacket | undefined {
    const at = (this.head + i) & this.mask;
    const packet = this.pkts[at];
    if (packet === undefined) return undefined;
    this.pkts[at] = undefined;
    this.live--;
    if (packet.inFlight) {
      this.bytesInFlight -= packet.size;
      if (packet.ackEliciting) this.ackElicitingInFlight--;
    }
    // Drop holes at the front (and everything once empty), so the ring holds the flight only.
    if (this.live === 0) {
      this.head = (this.head + this.slots) & this.mask;
      this.slots = 0;
    } else {
      while (this.pkts[this.head] === undefined) {
        this.head = (this.head + 1) & this.mask;
        this.slots--;
      }
    }
    return packet;
  }

  /** Slot of packet number `pn` (live or a hole), or -1. */
  private slotOf(pn: number): number {
    const i = this.firstSlotAtOrAbove(pn);
    return i < this.slots && this.pns[(this.head + i) & this.mask] === pn ? i : -1;
  }

  /** The first slot whose packet number is >= pn (slots when none): a binary search. */
  private firstSlotAtOrAbove(pn: number): number {
    let lo = 0;
    let hi = this.slots;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.pns[(this.head + mid) & this.mask]! < pn) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private grow(): void {
    const n = this.pkts.length;
    const pkts = new Array<SentPacket | undefined>(n * 2).fill(undefined);
    const pns = new Array<number>(n * 2).fill(0);
    for (let i = 0; i < this.slots; i++) {
      const at = (this.head + i) & this.mask;
      pkts[i] = this.pkts[at];
      pns[i] = this.pns[at]!;
    }
    this.pkts = pkts;
    this.pns = pns;
    this.mask = n * 2 - 1;
    this.head = 0;
  }
}
