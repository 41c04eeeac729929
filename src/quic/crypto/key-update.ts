/**
 * 1-RTT key updates (RFC 9001 §6).
 *
 * secret_<n+1> = HKDF-Expand-Label(secret_<n>, "quic ku", "", Hash.length); the key and IV come
 * from the new secret as usual, and the header protection key is never updated. Both directions
 * change together: the initiator updates its send and receive keys, and a peer that sees the
 * other key phase updates its own send keys in response (§6.1-§6.2).
 *
 * OneRttKeys holds the two directions' PacketProtectors and implements the receive-side key
 * selection of §6.3 and §6.5: current keys for the current phase; for the other phase, the
 * previous keys for packets numbered below the first one seen in the current phase, the next keys
 * (derived ahead of time, so their cost does not reveal anything, §6.3) otherwise. When to update,
 * the ack rule of §6.1 and the key-discard timer of §6.5 belong to the connection.
 */
import { hkdfExpandLabel } from './hkdf-label.js';
import { derivePacketKeys } from './initial.js';
import { PacketProtector, type PayloadKey, type PayloadKeySelector, payloadKey } from './packet-protection.js';
import { type CipherSuite, type CryptoProvider, suiteParams } from './provider.js';

/** RFC 9001 §6.1: the next traffic secret. */
export function nextTrafficSecret(provider: CryptoProvider, suite: CipherSuite, secret: Uint8Array): Uint8Array {
  const { hash, hashLength } = suiteParams(suite);
  return hkdfExpandLabel(provider, hash, secret, 'quic ku', new Uint8Array(0), hashLength);
}

/** Which receive key a successfully decrypted short-header packet used. */
export type KeyPhaseMatch = 'current' | 'previous' | 'next';

export class OneRttKeys implements PayloadKeySelector {
  /** Protects 1-RTT packets; the caller writes `keyPhase` into the key phase bit (0x04). */
  readonly sender: PacketProtector;
  /** Unprotects 1-RTT packets, choosing keys through this object. */
  readonly receiver: PacketProtector;

  private phase: 0 | 1 = 0;
  private nextSendSecret: Uint8Array;
  private nextRecvSecret: Uint8Array;
  private nextSend: PayloadKey;
  private nextRecv: PayloadKey;
  private previousRecv: PayloadKey | null = null;
  /** Lowest packet number received in the current phase (Infinity until one arrives). */
  private firstRecvPnInPhase = Infinity;

  constructor(
    private readonly provider: CryptoProvider,
    private readonly suite: CipherSuite,
    sendSecret: Uint8Array,
    recvSecret: Uint8Array,
  ) {
    this.sender = PacketProtector.fromSecret(provider, suite, sendSecret);
    this.receiver = PacketProtector.fromSecret(provider, suite, recvSecret);
    this.receiver.selector = this;
    this.nextSendSecret = nextTrafficSecret(provider, suite, sendSecret);
    this.nextRecvSecret = nextTrafficSecret(provider, suite, recvSecret);
    this.nextSend = this.keyFromSecret(this.nextSendSecret);
    this.nextRecv = this.keyFromSecret(this.nextRecvSecret);
  }

  /** The current key phase bit. */
  get keyPhase(): 0 | 1 {
    return this.phase;
  }

  /** Whether keys of the previous phase are still kept for reordered packets. */
  get hasPreviousKeys(): boolean {
    return this.previousRecv !== null;
  }

  keyFor(keyPhase: 0 | 1, pn: number): PayloadKey | null {
    if (keyPhase === this.phase) return this.receiver.key;
    if (this.previousRecv !== null && pn < this.firstRecvPnInPhase) return this.previousRecv;
    return this.nextRecv;
  }

  /**
   * Tells which keys decrypted a packet (call after `receiver.unprotect` succeeded, with the
   * result's keyPhase and pn) and records the lowest packet number of the current phase.
   * 'next' means the peer updated its keys: check it was allowed, then call `update(pn)`.
   */
  onPacketDecrypted(keyPhase: 0 | 1, pn: number): KeyPhaseMatch {
    if (keyPhase === this.phase) {
      if (pn < this.firstRecvPnInPhase) this.firstRecvPnInPhase = pn;
      return 'current';
    }
    return this.previousRecv !== null && pn < this.firstRecvPnInPhase ? 'previous' : 'next';
  }

  /**
   * Moves both directions to the next key phase, keeping the old receive keys for reordered
   * packets until `discardPreviousKeys()`. To initiate an update call it without argument; to
   * respond to the peer's update pass the packet number of the packet that revealed it.
   */
  update(firstRecvPn: number = Infinity): void {
    this.sender.key = this.nextSend;
    this.previousRecv = this.receiver.key;
    this.receiver.key = this.nextRecv;
    this.nextSendSecret = nextTrafficSecret(this.provider, this.suite, this.nextSendSecret);
    this.nextRecvSecret = nextTrafficSecret(this.provider, this.suite, this.nextRecvSecret);
    this.nextSend = this.keyFromSecret(this.nextSendSecret);
    this.nextRecv = this.keyFromSecret(this.nextRecvSecret);
    this.phase = this.phase === 0 ? 1 : 0;
    this.firstRecvPnInPhase = firstRecvPn;
  }

  /** RFC 9001 §6.5: drop the old receive keys (about three PTOs after the update). */
  discardPreviousKeys(): void {
    this.previousRecv = null;
  }

  private keyFromSecret(secret: Uint8Array): PayloadKey {
    return payloadKey(this.provider, this.suite, derivePacketKeys(this.provider, this.suite, secret));
  }
}
