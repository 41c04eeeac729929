/**
 * QUIC packet protection (RFC 9001 §5.3-§5.5): AEAD over the payload, then header protection of
 * the first byte and the packet number. One PacketProtector per direction and encryption level.
 *
 * Both operations work in place on the caller's buffer. Per packet they allocate nothing of their
 * own beyond the result object of `unprotect` (none with an UnprotectedPacketView) and, for an
 * Aead without the range methods (sealRange, openRange), the views of associated data and
 * payload it takes; the nonce, sample and mask live in per-protector buffers.
 */
import { decodePacketNumber } from '../wire/packet-number.js';
import { derivePacketKeys, type PacketKeys } from './initial.js';
import type { Aead, CipherSuite, CryptoProvider, HeaderProtection } from './provider.js';

/** Every QUIC AEAD has a 16-byte tag (RFC 9001 §5.3). */
export const AEAD_TAG_LENGTH = 16;
/** Header protection samples 16 bytes, starting 4 bytes after the packet number (RFC 9001 §5.4.2). */
export const HP_SAMPLE_LENGTH = 16;
const HP_SAMPLE_OFFSET = 4;
/** Packet numbers are at most 2^62 - 1 (RFC 9000 §12.3). */
const MAX_PACKET_NUMBER = 2 ** 62 - 1;

/** The AEAD side of a packet protection key: the payload key and its IV. */
export interface PayloadKey {
  readonly aead: Aead;
  /** 12 bytes (RFC 9001 §5.3). */
  readonly iv: Uint8Array;
}

/**
 * Chooses the payload key for a short-header packet from its key phase bit and full packet
 * number (RFC 9001 §6.3, §6.5); null drops the packet. Key updates (key-update.ts) install one.
 */
export interface PayloadKeySelector {
  keyFor(keyPhase: 0 | 1, pn: number): PayloadKey | null;
}

export interface UnprotectedPacket {
  /** The full packet number, decoded against the largest one received (RFC 9000 §A.3). */
  pn: number;
  /** 1..4 bytes. */
  pnLength: number;
  /** The decrypted payload (frames), a view into the datagram. */
  payload: Uint8Array;
  /**
   * The first byte with header protection removed. The reserved bits (0x0c long, 0x18 short)
   * must be zero, but RFC 9000 §17.2-§17.3 asks to check that only after decryption succeeded,
   * so the caller raises PROTOCOL_VIOLATION from here.
   */
  firstByte: number;
  /** The key phase bit of a short-header packet; undefined for long headers. */
  keyPhase?: 0 | 1;
}

/**
 * An UnprotectedPacket that unprotect() fills in place (its `out` argument), for a receive path
 * that allocates nothing per packet: the payload is known by its bounds in the datagram, and the
 * `payload` view is made only if read. Valid until the next unprotect() into it.
 */
export class UnprotectedPacketView implements UnprotectedPacket {
  pn = 0;
  pnLength = 0;
  firstByte = 0;
  keyPhase: 0 | 1 | undefined = undefined;
  datagram: Uint8Array = new Uint8Array(0);
  payloadStart = 0;
  payloadLength = 0;
  private view: Uint8Array | undefined;

  get payloadEnd(): number {
    return this.payloadStart + this.payloadLength;
  }

  get payload(): Uint8Array {
    return (this.view ??= this.datagram.subarray(this.payloadStart, this.payloadStart + this.payloadLength));
  }

  fill(datagram: Uint8Array, payloadStart: number, payloadLength: number, pn: number, pnLength: number, firstByte: number, keyPhase: 0 | 1 | undefined): this {
    this.datagram = datagram;
    this.payloadStart = payloadStart;
    this.payloadLength = payloadLength;
    this.view = undefined;
    this.pn = pn;
    this.pnLength = pnLength;
    this.firstByte = firstByte;
    this.keyPhase = keyPhase;
    return this;
  }
}

/** Builds the payload key of one traffic secret's packet keys. */
export function payloadKey(provider: CryptoProvider, suite: CipherSuite, keys: PacketKeys): PayloadKey {
  return { aead: provider.aead(suite, keys.key), iv: keys.iv };
}

/**
 * RFC 9000 Appendix A.3, shared with the wire layer (one implementation: its arithmetic is chosen
 * so that V8 keeps packet numbers as small integers, see wire/packet-number.ts).
 */
export { decodePacketNumber };

export class PacketProtector {
  /** The payload key used to protect, and to unprotect long-header packets or when no selector is set. */
  key: PayloadKey;
  /** For 1-RTT reception with key updates: picks the key from the key phase bit. */
  selector: PayloadKeySelector | null = null;
  /** Header protection is never updated (RFC 9001 §6: key updates keep the hp key). */
  readonly hp: HeaderProtection;

  private readonly nonce = new Uint8Array(12);
  private readonly sample = new Uint8Array(HP_SAMPLE_LENGTH);
  private readonly mask = new Uint8Array(5);

  constructor(hp: HeaderProtection, key: PayloadKey) {
    if (key.iv.length !== 12) throw new Error(`packet protection: the IV must be 12 bytes, got ${key.iv.length}`);
    this.hp = hp;
    this.key = key;
  }

  static fromKeys(provider: CryptoProvider, suite: CipherSuite, keys: PacketKeys): PacketProtector {
    return new PacketProtector(provider.headerProtection(suite, keys.hp), payloadKey(provider, suite, keys));
  }

  /** Protector for a traffic secret: keys from "quic key", "quic iv", "quic hp" (RFC 9001 §5.1). */
  static fromSecret(provider: CryptoProvider, suite: CipherSuite, secret: Uint8Array): PacketProtector {
    return PacketProtector.fromKeys(provider, suite, derivePacketKeys(provider, suite, secret));
  }

  /**
   * Protects one packet in place.
   *
   * Layout of packet[headerStart, payloadEnd) on entry:
   *   [headerStart, pnOffset)                       header, first byte and all fields written
   *   [pnOffset, pnOffset + pnLength)               the truncated packet number, big-endian
   *   [pnOffset + pnLength, payloadEnd - 16)        plaintext payload (frames)
   *   [payloadEnd - 16, payloadEnd)                 reserved for the tag, contents ignored
   * A long header's Length field must already count pnLength + payload + 16.
   *
   * On return the payload is ciphertext, the AEAD tag fills the last 16 bytes (ciphertext || tag,
   * as AEAD output is defined, RFC 9001 §5.3), and the first byte and packet number are masked.
   * `pn` is the full packet number (the nonce uses all of it, RFC 9001 §5.3); its low bytes must
   * match the ones in the header. Returns the protected packet's length, payloadEnd - headerStart.
   *
   * Throws when the packet is too short to sample: the packet number and payload together need at
   * least 4 bytes (RFC 9001 §5.4.2), so pad with PADDING frames.
   */
  protect(packet: Uint8Array, headerStart: number, pnOffset: number, pnLength: number, payloadEnd: number, pn: number): number {
    if (pnLength < 1 || pnLength > 4) throw new RangeError(`packet protection: pnLength must be 1..4, got ${pnLength}`);
    if (!(headerStart < pnOffset) || payloadEnd > packet.length) throw new RangeError('packet protection: offsets out of range');
    if (!Number.isInteger(pn) || pn < 0 || pn > MAX_PACKET_NUMBER) throw new RangeError(`packet protection: invalid packet number ${pn}`);
    const payloadStart = pnOffset + pnLength;
    const plaintextEnd = payloadEnd - AEAD_TAG_LENGTH;
    if (plaintextEnd < payloadStart) throw new RangeError('packet protection: no room for the AEAD tag');
    const sampleOffset = pnOffset + HP_SAMPLE_OFFSET;
    if (sampleOffset + HP_SAMPLE_LENGTH > payloadEnd) {
      throw new RangeError(`packet protection: packet number plus payload is ${plaintextEnd - pnOffset} bytes, at least 4 needed for the header protection sample (RFC 9001 §5.4.2)`);
    }
    const first = packet[headerStart]!;
    if ((first & 0x03) + 1 !== pnLength) {
      throw new Error(`packet protection: first byte encodes a ${(first & 0x03) + 1}-byte packet number, pnLength is ${pnLength}`);
    }
    for (let i = 0; i < pnLength; i++) {
      if (packet[pnOffset + i] !== ((pn >>> (8 * (pnLength - 1 - i))) & 0xff)) {
        throw new Error(`packet protection: the packet number bytes in the header do not encode ${pn}`);
      }
    }

    const key = this.key;
    this.computeNonce(key.iv, pn);
    const aead = key.aead;
    if (aead.sealRange !== undefined) aead.sealRange(this.nonce, packet, headerStart, payloadStart, plaintextEnd);
    else aead.seal(this.nonce, packet.subarray(headerStart, payloadStart), packet.subarray(payloadStart, plaintextEnd), packet, payloadStart);

    // RFC 9001 §5.4.1: mask the low 4 (long header) or 5 (short header) bits and the pn bytes.
    const sample = this.sample;
    for (let i = 0; i < HP_SAMPLE_LENGTH; i++) sample[i] = packet[sampleOffset + i]!;
    const mask = this.mask;
    this.hp.mask(sample, mask);
    packet[headerStart] = first ^ (mask[0]! & ((first & 0x80) !== 0 ? 0x0f : 0x1f));
    for (let i = 0; i < pnLength; i++) packet[pnOffset + i] = packet[pnOffset + i]! ^ mask[1 + i]!;
    return payloadEnd - headerStart;
  }

  /**
   * Removes protection from the packet datagram[headerStart, packetEnd) in place: `pnOffset` is
   * where the packet number starts (after the Length field of a long header, after the
   * Destination Connection ID of a short one) and `largestPn` the largest packet number
   * successfully processed in this number space, or -1.
   *
   * On success the datagram holds the unprotected header and the plaintext payload (the tag bytes
   * stay) and the result's payload is a view of it. Returns null, and leaves the datagram exactly
   * as it was, when the packet must be dropped: too short to sample, no key for its key phase,
   * or authentication failure (RFC 9001 §5.5). Leaving the bytes intact lets the caller try
   * another key or check for a stateless reset (RFC 9000 §10.3.1). With `out`, the result is
   * written into it instead of a new object.
   */
  unprotect(datagram: Uint8Array, headerStart: number, pnOffset: number, packetEnd: number, largestPn: number): UnprotectedPacket | null;
  unprotect(datagram: Uint8Array, headerStart: number, pnOffset: number, packetEnd: number, largestPn: number, out: UnprotectedPacketView): UnprotectedPacketView | null;
  unprotect(datagram: Uint8Array, headerStart: number, pnOffset: number, packetEnd: number, largestPn: number, out?: UnprotectedPacketView): UnprotectedPacket | null {
    const sampleOffset = pnOffset + HP_SAMPLE_OFFSET;
    if (!(headerStart < pnOffset) || packetEnd > datagram.length || sampleOffset + HP_SAMPLE_LENGTH > packetEnd) return null;

    const sample = this.sample;
    for (let i = 0; i < HP_SAMPLE_LENGTH; i++) sample[i] = datagram[sampleOffset + i]!;
    const mask = this.mask;
    this.hp.mask(sample, mask);
    const protectedFirst = datagram[headerStart]!;
    const long = (protectedFirst & 0x80) !== 0;
    const firstByte = protectedFirst ^ (mask[0]! & (long ? 0x0f : 0x1f));
    const pnLength = (firstByte & 0x03) + 1;
    const payloadStart = pnOffset + pnLength;
    // The sample check above guarantees payloadStart + 16 <= packetEnd.

    // The associated data is the unprotected header, so unmask it in place (undone on failure).
    datagram[headerStart] = firstByte;
    let truncated = 0;
    for (let i = 0; i < pnLength; i++) {
      const b = datagram[pnOffset + i]! ^ mask[1 + i]!;
      datagram[pnOffset + i] = b;
      truncated = truncated * 256 + b;
    }
    const pn = decodePacketNumber(largestPn, truncated, pnLength * 8);
    const keyPhase: 0 | 1 | undefined = long ? undefined : ((firstByte >>> 2) & 1) as 0 | 1;

    let key: PayloadKey | null = this.key;
    if (keyPhase !== undefined && this.selector !== null) key = this.selector.keyFor(keyPhase, pn);
    let length = -1;
    if (key !== null) {
      this.computeNonce(key.iv, pn);
      const aead = key.aead;
      if (aead.openRange !== undefined) {
        length = aead.openRange(this.nonce, datagram, headerStart, payloadStart, packetEnd);
      } else {
        length = this.openWithViews(aead, datagram, headerStart, payloadStart, packetEnd);
      }
    }
    if (length < 0) {
      datagram[headerStart] = protectedFirst;
      for (let i = 0; i < pnLength; i++) datagram[pnOffset + i] = datagram[pnOffset + i]! ^ mask[1 + i]!;
      return null;
    }
    if (out) return out.fill(datagram, payloadStart, length, pn, pnLength, firstByte, keyPhase);
    return { pn, pnLength, payload: datagram.subarray(payloadStart, payloadStart + length), firstByte, keyPhase };
  }

  /** Opens through the view-taking Aead methods, for AEADs without openRange. */
  private openWithViews(aead: Aead, datagram: Uint8Array, headerStart: number, payloadStart: number, packetEnd: number): number {
    const aad = datagram.subarray(headerStart, payloadStart);
    const ciphertext = datagram.subarray(payloadStart, packetEnd);
    if (aead.openInto !== undefined) return aead.openInto(this.nonce, aad, ciphertext, datagram, payloadStart);
    const plaintext = aead.open(this.nonce, aad, ciphertext);
    if (plaintext === null) return -1;
    datagram.set(plaintext, payloadStart);
    return plaintext.length;
  }

  /** RFC 9001 §5.3: the IV XOR the packet number left-padded to 12 bytes, big-endian. */
  private computeNonce(iv: Uint8Array, pn: number): void {
    const nonce = this.nonce;
    for (let i = 0; i < 4; i++) nonce[i] = iv[i]!;
    const hi = Math.floor(pn / 0x100000000);
    const lo = pn >>> 0;
    nonce[4] = iv[4]! ^ (hi >>> 24);
    nonce[5] = iv[5]! ^ ((hi >>> 16) & 0xff);
    nonce[6] = iv[6]! ^ ((hi >>> 8) & 0xff);
    nonce[7] = iv[7]! ^ (hi & 0xff);
    nonce[8] = iv[8]! ^ (lo >>> 24);
    nonce[9] = iv[9]! ^ ((lo >>> 16) & 0xff);
    nonce[10] = iv[10]! ^ ((lo >>> 8) & 0xff);
    nonce[11] = iv[11]! ^ (lo & 0xff);
  }
}
