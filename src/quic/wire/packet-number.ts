/**
 * Packet number encoding and decoding, RFC 9000 §17.1 and Appendix A.2 / A.3.
 *
 * Packet numbers are integers in [0, 2^62 - 1]; we keep them as `number`, exact below 2^53,
 * which no connection reaches. On the wire they are truncated to 1-4 bytes; the length is
 * carried in the two low bits of the first byte, which are under header protection
 * (RFC 9001 §5.4.1): read them only after the mask is removed.
 */

import type { Writer } from './buffer.js';
import { internalError } from './errors.js';

export type PacketNumberLength = 1 | 2 | 3 | 4;

/**
 * The number of bytes needed to send `fullPn` when the peer has acknowledged up to
 * `largestAcked` (undefined when nothing was acknowledged yet in this packet number space):
 * the encoding must represent more than twice the number of unacknowledged packets
 * (RFC 9000 §17.1, Appendix A.2).
 */
export function packetNumberLength(fullPn: number, largestAcked: number | undefined): PacketNumberLength {
  const numUnacked = largestAcked === undefined ? fullPn + 1 : fullPn - largestAcked;
  if (numUnacked < 0x80) return 1;
  if (numUnacked < 0x8000) return 2;
  if (numUnacked < 0x800000) return 3;
  if (numUnacked < 0x80000000) return 4;
  throw internalError(`${numUnacked} unacknowledged packets cannot be encoded in 4 bytes`);
}

/** The `length` least significant bytes of `fullPn` (RFC 9000 §17.1). */
export function truncatePacketNumber(fullPn: number, length: PacketNumberLength): number {
  // `>>> 0` is an exact modulo 2^32 for any integer below 2^53.
  const low32 = fullPn >>> 0;
  return length === 4 ? low32 : low32 & ((1 << (8 * length)) - 1);
}

/** Writes the truncated packet number, big-endian, in `length` bytes. */
export function writePacketNumber(w: Writer, fullPn: number, length: PacketNumberLength): void {
  const t = truncatePacketNumber(fullPn, length);
  switch (length) {
    case 1: w.u8(t); break;
    case 2: w.u16(t); break;
    case 3: w.u24(t); break;
    case 4: w.u32(t); break;
  }
}

/** Reads a `length`-byte truncated packet number at `buf[offset]` (bounds are the caller's). */
export function readTruncatedPacketNumber(buf: Uint8Array, offset: number, length: PacketNumberLength): number {
  let v = 0;
  for (let i = 0; i < length; i++) v = v * 256 + buf[offset + i]!;
  return v;
}

/** Packet number length from an unprotected first byte (RFC 9000 §17.2, §17.3.1). */
export function packetNumberLengthFromFirstByte(firstByte: number): PacketNumberLength {
  return ((firstByte & 0x03) + 1) as PacketNumberLength;
}

const PN_LIMIT = 2 ** 62;

/**
 * Recovers a full packet number from its truncated form (RFC 9000 Appendix A.3): the value
 * closest to `largestPn + 1` whose low `pnNbits` bits equal `truncatedPn`. `largestPn` is the
 * largest packet number successfully processed in this space, or -1 when there is none.
 */
export function decodePacketNumber(largestPn: number, truncatedPn: number, pnNbits: number): number {
  const expected = largestPn + 1;
  // Shifts rather than `2 ** n` for the 8 to 24-bit windows: V8's unoptimised tiers box the result
  // of `**` (and everything computed from it) in a HeapNumber even when it is a small integer, and
  // a packet number boxed that way turns every array it is stored in (ACK ranges, RangeSets) into
  // double arrays whose reads allocate again (issue 3). Only a 32-bit window exceeds a small integer.
  const win = pnNbits < 31 ? 1 << pnNbits : 2 ** pnNbits;
  const hwin = pnNbits < 31 ? 1 << (pnNbits - 1) : win / 2;
  // (expected & ~mask) | truncated, in arithmetic that stays exact above 2^32.
  const candidate = expected - (expected % win) + truncatedPn;
  if (candidate <= expected - hwin && candidate < PN_LIMIT - win) return candidate + win;
  if (candidate > expected + hwin && candidate >= win) return candidate - win;
  return candidate;
}
