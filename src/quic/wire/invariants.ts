/**
 * Version-independent packet properties, RFC 8999 (QUIC invariants), and the constants every
 * packet module shares.
 *
 * A server uses `parseInvariantHeader` to route a datagram by Destination Connection ID before
 * it knows (or supports) the version: the header form bit, the version field and the two
 * connection IDs are the only fields every QUIC version keeps in place (RFC 8999 §5).
 */

import { protocolViolation } from './errors.js';

/** QUIC version 1 (RFC 9000 §15). */
export const QUIC_VERSION_1 = 0x00000001;

/** The version field of a Version Negotiation packet (RFC 8999 §6, RFC 9000 §17.2.1). */
export const VERSION_NEGOTIATION_VERSION = 0x00000000;

/** Versions this wire layer parses beyond the invariants. */
export const SUPPORTED_VERSIONS: readonly number[] = [QUIC_VERSION_1];

export function isSupportedVersion(version: number): boolean {
  return version === QUIC_VERSION_1;
}

/** Versions 0x?a?a?a?a are reserved to exercise version negotiation (RFC 9000 §15). */
export function isReservedVersion(version: number): boolean {
  return (version & 0x0f0f0f0f) === 0x0a0a0a0a;
}

/** Header Form bit: 1 for long headers (RFC 8999 §5.1). */
export const HEADER_FORM_LONG = 0x80;
/** Fixed Bit, always 1 in QUIC v1 packets except Version Negotiation (RFC 9000 §17.2). */
export const FIXED_BIT = 0x40;

/** Largest connection ID in QUIC v1 (RFC 9000 §17.2). */
export const MAX_CID_LENGTH = 20;
/** Largest connection ID any version may use (RFC 8999 §5.1). */
export const MAX_INVARIANT_CID_LENGTH = 255;

/** Length of the Retry Integrity Tag (RFC 9000 §17.2.5, RFC 9001 §5.8). */
export const RETRY_INTEGRITY_TAG_LENGTH = 16;

/** Bytes before the Destination Connection ID in a long header: first byte + version. */
export const LONG_HEADER_DCID_LENGTH_OFFSET = 5;

/** The header fields every QUIC version keeps (RFC 8999 §5). */
export type InvariantHeader =
  | {
    form: 'long';
    firstByte: number;
    version: number;
    dcid: Uint8Array;
    scid: Uint8Array;
    /** Offset just after the Source Connection ID: where version-specific fields start. */
    headerEnd: number;
  }
  | {
    form: 'short';
    firstByte: number;
    dcid: Uint8Array;
    /** Offset just after the Destination Connection ID. */
    headerEnd: number;
  };

/**
 * Parses the invariant fields of the packet at `datagram[offset]` (RFC 8999 §5). Connection IDs
 * may be up to 255 bytes here; a short header has no length field for its Destination
 * Connection ID, so the receiver passes the length it uses (`shortDcidLength`).
 * Throws PROTOCOL_VIOLATION (drop the datagram) when the bytes do not hold the fields.
 */
export function parseInvariantHeader(datagram: Uint8Array, offset: number, shortDcidLength: number): InvariantHeader {
  const end = datagram.length;
  if (offset < 0 || offset >= end) throw protocolViolation('empty packet');
  const firstByte = datagram[offset]!;
  if ((firstByte & HEADER_FORM_LONG) === 0) {
    const dcidEnd = offset + 1 + shortDcidLength;
    if (dcidEnd > end) throw protocolViolation('short header truncated in the Destination Connection ID');
    return { form: 'short', firstByte, dcid: datagram.subarray(offset + 1, dcidEnd), headerEnd: dcidEnd };
  }
  const headerEnd = checkLongHeaderCids(datagram, offset, MAX_INVARIANT_CID_LENGTH);
  return {
    form: 'long',
    firstByte,
    version: readU32(datagram, offset + 1),
    dcid: longHeaderDcid(datagram, offset),
    scid: longHeaderScid(datagram, offset),
    headerEnd,
  };
}

/**
 * Reads only the Destination Connection ID of the packet at `datagram[offset]`, without
 * allocating anything but the returned view: the demultiplexing fast path.
 */
export function peekDestinationConnectionId(datagram: Uint8Array, offset: number, shortDcidLength: number): Uint8Array {
  const end = datagram.length;
  if (offset < 0 || offset >= end) throw protocolViolation('empty packet');
  if ((datagram[offset]! & HEADER_FORM_LONG) === 0) {
    const dcidEnd = offset + 1 + shortDcidLength;
    if (dcidEnd > end) throw protocolViolation('short header truncated in the Destination Connection ID');
    return datagram.subarray(offset + 1, dcidEnd);
  }
  const lenAt = offset + LONG_HEADER_DCID_LENGTH_OFFSET;
  if (lenAt >= end) throw protocolViolation('long header truncated before the Destination Connection ID');
  const dcidLength = datagram[lenAt]!;
  if (lenAt + 1 + dcidLength > end) throw protocolViolation('long header truncated in the Destination Connection ID');
  return datagram.subarray(lenAt + 1, lenAt + 1 + dcidLength);
}

/**
 * Checks the two connection IDs of the long header at `datagram[offset]`: both fit the
 * datagram and neither exceeds `maxCidLength`. Returns the offset just after the Source
 * Connection ID; the IDs themselves are found with `longHeaderDcid` / `longHeaderScid`.
 * Throws PROTOCOL_VIOLATION. Internal to the packet modules; allocates nothing.
 */
export function checkLongHeaderCids(datagram: Uint8Array, offset: number, maxCidLength: number): number {
  const end = datagram.length;
  const dcidLenAt = offset + LONG_HEADER_DCID_LENGTH_OFFSET;
  if (dcidLenAt >= end) throw protocolViolation('long header truncated before the Destination Connection ID Length');
  const dcidLength = datagram[dcidLenAt]!;
  if (dcidLength > maxCidLength) {
    throw protocolViolation(`Destination Connection ID of ${dcidLength} bytes exceeds ${maxCidLength}`);
  }
  const scidLenAt = dcidLenAt + 1 + dcidLength;
  if (scidLenAt >= end) throw protocolViolation('long header truncated before the Source Connection ID Length');
  const scidLength = datagram[scidLenAt]!;
  if (scidLength > maxCidLength) {
    throw protocolViolation(`Source Connection ID of ${scidLength} bytes exceeds ${maxCidLength}`);
  }
  const scidEnd = scidLenAt + 1 + scidLength;
  if (scidEnd > end) throw protocolViolation('long header truncated in the Source Connection ID');
  return scidEnd;
}

/** The Destination Connection ID of a long header already checked by `checkLongHeaderCids`. */
export function longHeaderDcid(datagram: Uint8Array, offset: number): Uint8Array {
  const start = offset + LONG_HEADER_DCID_LENGTH_OFFSET + 1;
  return datagram.subarray(start, start + datagram[start - 1]!);
}

/** The Source Connection ID of a long header already checked by `checkLongHeaderCids`. */
export function longHeaderScid(datagram: Uint8Array, offset: number): Uint8Array {
  const scidLenAt = offset + LONG_HEADER_DCID_LENGTH_OFFSET + 1 + datagram[offset + LONG_HEADER_DCID_LENGTH_OFFSET]!;
  return datagram.subarray(scidLenAt + 1, scidLenAt + 1 + datagram[scidLenAt]!);
}

/** A big-endian u32 at `buf[p]` (bounds are the caller's). */
export function readU32(buf: Uint8Array, p: number): number {
  return ((buf[p]! << 24) | (buf[p + 1]! << 16) | (buf[p + 2]! << 8) | buf[p + 3]!) >>> 0;
}
