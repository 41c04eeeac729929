/**
 * One packet number space (RFC 9000 §12.3): its keys in each direction, its CRYPTO stream, the
 * packet numbers it sends and receives, and what it must acknowledge.
 */
import type { PacketProtector } from '../crypto/packet-protection.js';
import type { OneRttKeys } from '../crypto/key-update.js';
import { AckManager } from '../recovery/ack-manager.js';
import type { PacketNumberSpace } from '../recovery/space.js';
import { CryptoStream } from '../stream/crypto-stream.js';

export class PacketSpace {
  readonly space: PacketNumberSpace;
  send: PacketProtector | undefined;
  recv: PacketProtector | undefined;
  /** 1-RTT only: both directions with key update support (RFC 9001 §6). */
  oneRtt: OneRttKeys | undefined;
  readonly crypto = new CryptoStream();
  readonly ack: AckManager;
  nextPn = 0;
  /** Largest packet number received and processed; -1 before any (RFC 9000 A.3). */
  largestRecvPn = -1;
  /** Largest of our packet numbers the peer acknowledged (for packet number encoding). */
  largestAckedPn: number | undefined;
  discarded = false;

  constructor(space: PacketNumberSpace, maxAckDelayUs: number) {
    this.space = space;
    this.ack = new AckManager(space, { maxAckDelayUs });
  }

  get canSend(): boolean {
    return !this.discarded && this.send !== undefined;
  }

  get canReceive(): boolean {
    return !this.discarded && this.recv !== undefined;
  }
}
