/**
 * The sent-packet records of one packet number space (RFC 9002 Appendix A.1.1), plus that
 * space's loss-detection variables (A.3: largest_acked_packet, loss_time,
 * time_of_last_ack_eliciting_packet). Packets are kept in a Map, whose insertion order is
 * ascending packet number because packet numbers only grow.
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

export class SentPackets {
  private readonly packets = new Map<number, SentPacket>();
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
    return this.packets.size;
  }

  add(packet: SentPacket): void {
    if (packet.pn <= this.largestSent) {
      throw new QuicError(TransportErrorCode.INTERNAL_ERROR, `packet number ${packet.pn} sent after ${this.largestSent}`);
    }
    this.largestSent = packet.pn;
    this.packets.set(packet.pn, packet);
    if (packet.inFlight) {
      this.bytesInFlight += packet.size;
      if (packet.ackEliciting) {
        this.ackElicitingInFlight++;
        this.timeOfLastAckEliciting = packet.timeSent;
      }
    }
  }

  get(pn: number): SentPacket | undefined {
    return this.packets.get(pn);
  }

  remove(pn: number): SentPacket | undefined {
    const packet = this.packets.get(pn);
    if (packet === undefined) return undefined;
    this.packets.delete(pn);
    if (packet.inFlight) {
      this.bytesInFlight -= packet.size;
      if (packet.ackEliciting) this.ackElicitingInFlight--;
    }
    return packet;
  }

  /**
   * Removes and returns (ascending) the packets an ACK frame acknowledges. `ranges` are
   * [smallest, largest] pairs, descending, as the ACK frame carries them. Each range costs
   * min(its length, outstanding packets), so a peer repeating huge old ranges stays cheap.
   */
  removeAcked(ranges: readonly (readonly [number, number])[]): SentPacket[] {
    const acked: SentPacket[] = [];
    for (let r = ranges.length - 1; r >= 0; r--) {
      const [smallest, largest] = ranges[r]!;
      this.ackedHistory.add(smallest, largest + 1);
      const start = acked.length;
      if (largest - smallest + 1 <= this.packets.size) {
        for (let pn = smallest; pn <= largest; pn++) {
          const packet = this.remove(pn);
          if (packet !== undefined) acked.push(packet);
        }
      } else {
        for (const packet of this.packets.values()) {
          if (packet.pn > largest) break;
          if (packet.pn >= smallest) acked.push(packet);
        }
        for (let i = start; i < acked.length; i++) this.remove(acked[i]!.pn);
      }
    }
    return acked;
  }

  /** Removes and returns every packet (RFC 9002 §6.4 when the space is discarded). */
  clear(): SentPacket[] {
    const all = [...this.packets.values()];
    this.packets.clear();
    this.bytesInFlight = 0;
    this.ackElicitingInFlight = 0;
    this.timeOfLastAckEliciting = undefined;
    this.lossTime = undefined;
    return all;
  }

  /** Outstanding packets in ascending packet number order. */
  [Symbol.iterator](): IterableIterator<SentPacket> {
    return this.packets.values();
  }
}
