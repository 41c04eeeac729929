/**
 * Connection ID frames: NEW_CONNECTION_ID (RFC 9000 §19.15) and RETIRE_CONNECTION_ID (§19.16).
 *
 * NEW_CONNECTION_ID Frame {
 *   Type (i) = 0x18, Sequence Number (i), Retire Prior To (i),
 *   Length (8), Connection ID (8..160), Stateless Reset Token (128),
 * }
 * RETIRE_CONNECTION_ID Frame { Type (i) = 0x19, Sequence Number (i) }
 */

import type { Reader, Writer } from '../buffer.js';
import { frameEncodingError, internalError } from '../errors.js';
import { MAX_CID_LENGTH } from '../invariants.js';
import { varintLength } from '../varint.js';
import { FrameType } from './types.js';

/** Length of a stateless reset token (RFC 9000 §10.3). */
export const STATELESS_RESET_TOKEN_LENGTH = 16;

export interface NewConnectionIdFrame {
  type: 'new_connection_id';
  sequenceNumber: number;
  /** At most `sequenceNumber`. */
  retirePriorTo: number;
  /** 1 to 20 bytes; a subarray of the packet (no copy). */
  connectionId: Uint8Array;
  /** 16 bytes; a subarray of the packet (no copy). */
  statelessResetToken: Uint8Array;
}

export interface RetireConnectionIdFrame {
  type: 'retire_connection_id';
  sequenceNumber: number;
}

export function parseNewConnectionIdFrame(r: Reader, _frameType: number): NewConnectionIdFrame {
  const sequenceNumber = r.varint();
  const retirePriorTo = r.varint();
  // §19.15: Retire Prior To greater than Sequence Number is a FRAME_ENCODING_ERROR.
  if (retirePriorTo > sequenceNumber) {
    throw frameEncodingError(`Retire Prior To ${retirePriorTo} exceeds Sequence Number ${sequenceNumber}`);
  }
  const length = r.u8();
  // §19.15: a Length below 1 or above 20 is a FRAME_ENCODING_ERROR.
  if (length < 1 || length > MAX_CID_LENGTH) throw frameEncodingError(`connection ID Length ${length} outside 1..20`);
  const connectionId = r.bytes(length);
  const statelessResetToken = r.bytes(STATELESS_RESET_TOKEN_LENGTH);
  return { type: 'new_connection_id', sequenceNumber, retirePriorTo, connectionId, statelessResetToken };
}

export function writeNewConnectionIdFrame(w: Writer, f: NewConnectionIdFrame): void {
  if (f.retirePriorTo > f.sequenceNumber) throw internalError('Retire Prior To exceeds Sequence Number');
  if (f.connectionId.length < 1 || f.connectionId.length > MAX_CID_LENGTH) {
    throw internalError(`connection ID of ${f.connectionId.length} bytes`);
  }
  if (f.statelessResetToken.length !== STATELESS_RESET_TOKEN_LENGTH) throw internalError('reset token is not 16 bytes');
  w.u8(FrameType.NEW_CONNECTION_ID);
  w.varint(f.sequenceNumber);
  w.varint(f.retirePriorTo);
  w.u8(f.connectionId.length);
  w.bytes(f.connectionId);
  w.bytes(f.statelessResetToken);
}

export function newConnectionIdFrameLength(f: NewConnectionIdFrame): number {
  return 1 + varintLength(f.sequenceNumber) + varintLength(f.retirePriorTo) + 1 + f.connectionId.length
    + STATELESS_RESET_TOKEN_LENGTH;
}

export function parseRetireConnectionIdFrame(r: Reader, _frameType: number): RetireConnectionIdFrame {
  return { type: 'retire_connection_id', sequenceNumber: r.varint() };
}

export function writeRetireConnectionIdFrame(w: Writer, f: RetireConnectionIdFrame): void {
  w.u8(FrameType.RETIRE_CONNECTION_ID);
  w.varint(f.sequenceNumber);
}

export function retireConnectionIdFrameLength(f: RetireConnectionIdFrame): number {
  return 1 + varintLength(f.sequenceNumber);
}
