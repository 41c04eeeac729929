/**
 * Retry packets, RFC 9000 §17.2.5.
 *
 * Retry Packet {
 *   Header Form (1) = 1, Fixed Bit (1) = 1, Long Packet Type (2) = 3, Unused (4),
 *   Version (32),
 *   Destination Connection ID Length (8), Destination Connection ID (0..160),
 *   Source Connection ID Length (8), Source Connection ID (0..160),
 *   Retry Token (..),
 *   Retry Integrity Tag (128),
 * }
 *
 * The integrity tag is an AEAD tag over the Retry pseudo-packet (RFC 9001 §5.8); computing and
 * checking it belongs to packet protection. This module builds the packet without its tag,
 * builds the pseudo-packet, and splits a received Retry into its fields and tag.
 */

import { Writer } from './buffer.js';
import { internalError, protocolViolation } from './errors.js';
import {
  FIXED_BIT,
  HEADER_FORM_LONG,
  MAX_CID_LENGTH,
  RETRY_INTEGRITY_TAG_LENGTH,
  checkLongHeaderCids,
  isSupportedVersion,
  longHeaderDcid,
  longHeaderScid,
  readU32,
} from './invariants.js';

/** Long Packet Type of Retry in QUIC v1 (RFC 9000 §17.2, Table 5). */
export const RETRY_PACKET_TYPE = 0x3;

export interface RetryPacket {
  /** The raw first byte; its 4 low bits are unused and must be ignored. */
  firstByte: number;
  version: number;
  dcid: Uint8Array;
  scid: Uint8Array;
  /** The Retry Token, non-empty. */
  token: Uint8Array;
  /** The 16-byte Retry Integrity Tag. */
  integrityTag: Uint8Array;
  /** The packet up to the tag: the input of `retryPseudoPacket` when checking the tag. */
  packetWithoutTag: Uint8Array;
}

export interface RetryFields {
  version: number;
  /** The client's Source Connection ID. */
  dcid: Uint8Array;
  /** The connection ID the server chose; the client uses it as its next Destination Connection ID. */
  scid: Uint8Array;
  token: Uint8Array;
  /** The 4 unused bits of the first byte (default 0). */
  unusedBits?: number;
}

/**
 * Parses the Retry packet that fills `datagram[offset..]` (Retry has no Length field, so it ends
 * the datagram). Throws PROTOCOL_VIOLATION for anything the client must discard: not a v1
 * Retry, a Fixed Bit of 0, over-long connection IDs, no room for the tag, or an empty Retry
 * Token (RFC 9000 §17.2.5.2).
 */
export function parseRetry(datagram: Uint8Array, offset = 0): RetryPacket {
  const end = datagram.length;
  if (offset < 0 || offset >= end) throw protocolViolation('empty packet');
  const firstByte = datagram[offset]!;
  if ((firstByte & HEADER_FORM_LONG) === 0) throw protocolViolation('Retry needs a long header');
  const headerEnd = checkLongHeaderCids(datagram, offset, MAX_CID_LENGTH);
  const version = readU32(datagram, offset + 1);
  if (!isSupportedVersion(version)) throw protocolViolation(`Retry of unsupported version 0x${version.toString(16)}`);
  if ((firstByte & FIXED_BIT) === 0) throw protocolViolation('Fixed Bit is 0');
  if (((firstByte >> 4) & 0x3) !== RETRY_PACKET_TYPE) throw protocolViolation('not a Retry packet');
  return finishRetry(datagram, offset, headerEnd, firstByte, version);
}

/** Splits token and tag once the header is checked; shared with `parsePacketHeader`. */
export function finishRetry(
  datagram: Uint8Array,
  offset: number,
  headerEnd: number,
  firstByte: number,
  version: number,
): RetryPacket {
  const end = datagram.length;
  const tagStart = end - RETRY_INTEGRITY_TAG_LENGTH;
  if (tagStart < headerEnd) throw protocolViolation('Retry too short for its Integrity Tag');
  if (tagStart === headerEnd) throw protocolViolation('Retry with an empty Retry Token');
  return {
    firstByte,
    version,
    dcid: longHeaderDcid(datagram, offset),
    scid: longHeaderScid(datagram, offset),
    token: datagram.subarray(headerEnd, tagStart),
    integrityTag: datagram.subarray(tagStart, end),
    packetWithoutTag: datagram.subarray(offset, tagStart),
  };
}

/** Size of a Retry packet without its tag. */
export function retryLengthWithoutTag(fields: RetryFields): number {
  return 7 + fields.dcid.length + fields.scid.length + fields.token.length;
}

/** Writes a Retry packet without its Integrity Tag; the caller appends the 16-byte tag. */
export function writeRetryWithoutTag(w: Writer, fields: RetryFields): void {
  const { dcid, scid, token } = fields;
  if (dcid.length > MAX_CID_LENGTH || scid.length > MAX_CID_LENGTH) {
    throw internalError(`connection ID longer than ${MAX_CID_LENGTH} bytes`);
  }
  if (token.length === 0) throw internalError('a Retry Token cannot be empty');
  w.u8(HEADER_FORM_LONG | FIXED_BIT | (RETRY_PACKET_TYPE << 4) | ((fields.unusedBits ?? 0) & 0x0f));
  w.u32(fields.version);
  w.u8(dcid.length);
  w.bytes(dcid);
  w.u8(scid.length);
  w.bytes(scid);
  w.bytes(token);
}

/** Builds a Retry packet without its Integrity Tag into a new array. */
export function buildRetryWithoutTag(fields: RetryFields): Uint8Array {
  const out = new Uint8Array(retryLengthWithoutTag(fields));
  writeRetryWithoutTag(new Writer(out), fields);
  return out;
}

/**
 * The Retry pseudo-packet (RFC 9001 §5.8): ODCID Length (8), Original Destination Connection
 * ID, then the Retry packet without its tag. It is the associated data of the AEAD whose tag
 * is the Retry Integrity Tag.
 */
export function retryPseudoPacket(odcid: Uint8Array, retryPacketWithoutTag: Uint8Array): Uint8Array {
  if (odcid.length > MAX_CID_LENGTH) throw internalError(`connection ID longer than ${MAX_CID_LENGTH} bytes`);
  const out = new Uint8Array(1 + odcid.length + retryPacketWithoutTag.length);
  out[0] = odcid.length;
  out.set(odcid, 1);
  out.set(retryPacketWithoutTag, 1 + odcid.length);
  return out;
}

/** The full Retry packet: the packet without its tag followed by the 16-byte tag. */
export function appendRetryIntegrityTag(retryPacketWithoutTag: Uint8Array, tag: Uint8Array): Uint8Array {
  if (tag.length !== RETRY_INTEGRITY_TAG_LENGTH) throw internalError('a Retry Integrity Tag is 16 bytes');
  const out = new Uint8Array(retryPacketWithoutTag.length + RETRY_INTEGRITY_TAG_LENGTH);
  out.set(retryPacketWithoutTag, 0);
  out.set(tag, retryPacketWithoutTag.length);
  return out;
}
