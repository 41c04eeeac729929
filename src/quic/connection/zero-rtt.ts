/**
 * A client's 0-RTT attempt (RFC 9001 §4.6): the early-data key while it may be used, the
 * transport parameters remembered with the ticket that bound what 0-RTT may send (RFC 9000
 * §7.4.1), which application-space packet numbers went out as 0-RTT, and how it ended.
 */
import type { PacketProtector } from '../crypto/packet-protection.js';
import { decodeTransportParameters, type TransportParameters } from '../wire/transport-params.js';

/** What became of early data: none offered, waiting for the server's answer, accepted or rejected. */
export type EarlyDataOutcome = 'none' | 'pending' | 'accepted' | 'rejected';

/**
 * The least room a 0-RTT packet coalesced after a client Initial needs: a long header with two
 * 20-byte connection IDs, a 2-byte length and a 4-byte packet number (RFC 9000 §17.2), 4 bytes
 * of payload for the header protection sample (RFC 9001 §5.4.2) and the AEAD tag.
 */
export const ZERO_RTT_MIN_PACKET = 1 + 4 + 1 + 20 + 1 + 20 + 2 + 4 + 4 + 16;

export class ZeroRttAttempt {
  /** The client_early_traffic_secret's packet protection; dropped once 0-RTT may no longer be sent. */
  protector: PacketProtector | undefined;
  /** The server's parameters as the ticket remembered them, encoded (for the later comparison). */
  readonly rememberedBytes: Uint8Array;
  readonly remembered: TransportParameters;
  outcome: EarlyDataOutcome = 'pending';
  /**
   * The application-space packet numbers [firstPn, endPn) that were sent as 0-RTT. They come
   * before any 1-RTT packet: 1-RTT keys end the attempt (RFC 9001 §4.9.3).
   */
  firstPn = -1;
  endPn = 0;
  /** 0-RTT packets sent. */
  packetsSent = 0;

  private constructor(protector: PacketProtector, rememberedBytes: Uint8Array, remembered: TransportParameters) {
    this.protector = protector;
    this.rememberedBytes = rememberedBytes;
    this.remembered = remembered;
  }

  /**
   * An attempt under the remembered parameters, or undefined when they do not parse: then no
   * 0-RTT is sent (the handshake goes on; the server's acceptance is simply not used).
   */
  static start(protector: PacketProtector, rememberedBytes: Uint8Array): ZeroRttAttempt | undefined {
    let remembered: TransportParameters;
    try {
      remembered = decodeTransportParameters(rememberedBytes, 'server');
    } catch {
      return undefined;
    }
    return new ZeroRttAttempt(protector, rememberedBytes, remembered);
  }

  get canSend(): boolean {
    return this.protector !== undefined;
  }

  onPacketSent(pn: number): void {
    if (this.firstPn < 0) this.firstPn = pn;
    this.endPn = pn + 1;
    this.packetsSent++;
  }

  /** No more 0-RTT packets: the answer is in, or the attempt cannot go on. */
  stop(): void {
    this.protector = undefined;
  }
}
