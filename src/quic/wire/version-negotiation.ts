/**
 * Version Negotiation packets, RFC 9000 §17.2.1 and RFC 8999 §6.
 *
 * Version Negotiation Packet {
 *   Header Form (1) = 1, Unused (7),
 *   Version (32) = 0,
 *   Destination Connection ID Length (8), Destination Connection ID (0..2040),
 *   Source Connection ID Length (8), Source Connection ID (0..2040),
 *   Supported Version (32) ...,
 * }
 *
 * A server answering a client echoes the client's connection IDs swapped: the packet's
 * Destination Connection ID is the client's Source Connection ID and vice versa (RFC 9000
 * §17.2.1). Connection IDs may be up to 255 bytes, since they come from a version the server
 * may not know.
 */

import { Writer } from './buffer.js';
import { internalError, protocolViolation } from './errors.js';
import {
  HEADER_FORM_LONG,
  MAX_INVARIANT_CID_LENGTH,
  VERSION_NEGOTIATION_VERSION,
  checkLongHeaderCids,
  longHeaderDcid,
  longHeaderScid,
  readU32,
} from './invariants.js';

export interface VersionNegotiationPacket {
  /** The raw first byte; its 7 low bits are unused and must be ignored. */
  firstByte: number;
  dcid: Uint8Array;
  scid: Uint8Array;
  supportedVersions: number[];
}

export interface VersionNegotiationFields {
  dcid: Uint8Array;
  scid: Uint8Array;
  supportedVersions: readonly number[];
  /**
   * The 7 unused bits of the first byte. Default 0x40: servers SHOULD set the bit where the
   * Fixed Bit would be, for demultiplexing with other protocols (RFC 9000 §17.2.1, RFC 7983).
   */
  unusedBits?: number;
}

/**
 * Parses the Version Negotiation packet that fills `datagram[offset..]` (it has no Length field,
 * so it always ends the datagram). Throws PROTOCOL_VIOLATION when it is not one or is malformed:
 * the client then discards it.
 */
export function parseVersionNegotiation(datagram: Uint8Array, offset = 0): VersionNegotiationPacket {
  const end = datagram.length;
  if (offset < 0 || offset >= end) throw protocolViolation('empty packet');
  const firstByte = datagram[offset]!;
  if ((firstByte & HEADER_FORM_LONG) === 0) throw protocolViolation('Version Negotiation needs a long header');
  const headerEnd = checkLongHeaderCids(datagram, offset, MAX_INVARIANT_CID_LENGTH);
  if (readU32(datagram, offset + 1) !== VERSION_NEGOTIATION_VERSION) {
    throw protocolViolation('not a Version Negotiation packet (version is not 0)');
  }
  const listLength = end - headerEnd;
  if (listLength % 4 !== 0) throw protocolViolation('Supported Version list is not a multiple of 4 bytes');
  const supportedVersions = new Array<number>(listLength / 4);
  for (let i = 0, p = headerEnd; p < end; i++, p += 4) supportedVersions[i] = readU32(datagram, p);
  return {
    firstByte,
    dcid: longHeaderDcid(datagram, offset),
    scid: longHeaderScid(datagram, offset),
    supportedVersions,
  };
}

/** Encoded size of a Version Negotiation packet. */
export function versionNegotiationLength(fields: VersionNegotiationFields): number {
  return 7 + fields.dcid.length + fields.scid.length + 4 * fields.supportedVersions.length;
}

/** Writes a Version Negotiation packet at the writer's position. */
export function writeVersionNegotiation(w: Writer, fields: VersionNegotiationFields): void {
  const { dcid, scid, supportedVersions } = fields;
  if (dcid.length > MAX_INVARIANT_CID_LENGTH || scid.length > MAX_INVARIANT_CID_LENGTH) {
    throw internalError('connection ID longer than 255 bytes');
  }
  w.u8(HEADER_FORM_LONG | ((fields.unusedBits ?? 0x40) & 0x7f));
  w.u32(VERSION_NEGOTIATION_VERSION);
  w.u8(dcid.length);
  w.bytes(dcid);
  w.u8(scid.length);
  w.bytes(scid);
  for (const v of supportedVersions) {
    if (v === VERSION_NEGOTIATION_VERSION) throw internalError('version 0 cannot be listed in Version Negotiation');
    w.u32(v);
  }
}

/** Builds a Version Negotiation packet into a new array. */
export function buildVersionNegotiation(fields: VersionNegotiationFields): Uint8Array {
  const out = new Uint8Array(versionNegotiationLength(fields));
  writeVersionNegotiation(new Writer(out), fields);
  return out;
}
