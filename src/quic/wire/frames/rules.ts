/**
 * Per-frame-type rules the connection applies: which frames elicit acknowledgments and count
 * in flight (RFC 9002 §2), which are probing frames (RFC 9000 §9.1), and which packet types
 * may carry them (RFC 9000 §12.4 Table 3, §12.5).
 */

import { QuicError, TransportErrorCode } from '../errors.js';
import type { ProtectedPacketType } from '../header.js';
import { FrameType, frameTypeName } from './types.js';

/** Every frame except ACK, PADDING and CONNECTION_CLOSE is ack-eliciting (RFC 9002 §2). */
export function isAckEliciting(frameType: number): boolean {
  return !(
    frameType === FrameType.PADDING
    || frameType === FrameType.ACK
    || frameType === FrameType.ACK_ECN
    || frameType === FrameType.CONNECTION_CLOSE
    || frameType === FrameType.CONNECTION_CLOSE_APP
  );
}

/** A packet is in flight when it has an ack-eliciting or a PADDING frame (RFC 9002 §2). */
export function countsInFlight(frameType: number): boolean {
  return frameType === FrameType.PADDING || isAckEliciting(frameType);
}

/**
 * Probing frames: a packet holding only these does not trigger migration (RFC 9000 §9.1).
 */
export function isProbingFrame(frameType: number): boolean {
  return frameType === FrameType.PATH_CHALLENGE
    || frameType === FrameType.PATH_RESPONSE
    || frameType === FrameType.NEW_CONNECTION_ID
    || frameType === FrameType.PADDING;
}

/**
 * Frames only a server sends: NEW_TOKEN (§19.7) and HANDSHAKE_DONE (§19.20). A server that
 * receives one closes the connection with PROTOCOL_VIOLATION.
 */
export function isServerOnlyFrame(frameType: number): boolean {
  return frameType === FrameType.NEW_TOKEN || frameType === FrameType.HANDSHAKE_DONE;
}

const I = 1; // Initial
const H = 2; // Handshake
const Z = 4; // 0-RTT
const O = 8; // 1-RTT
const APP = Z | O;

/**
 * RFC 9000 §12.4 Table 3, with §12.5: ACK, CRYPTO, HANDSHAKE_DONE, NEW_TOKEN, PATH_RESPONSE
 * and RETIRE_CONNECTION_ID cannot appear in 0-RTT; only the 0x1c CONNECTION_CLOSE may appear
 * in Initial and Handshake packets.
 */
const ALLOWED: readonly number[] = [
  I | H | Z | O, // 0x00 PADDING
  I | H | Z | O, // 0x01 PING
  I | H | O, // 0x02 ACK
  I | H | O, // 0x03 ACK_ECN
  APP, // 0x04 RESET_STREAM
  APP, // 0x05 STOP_SENDING
  I | H | O, // 0x06 CRYPTO
  O, // 0x07 NEW_TOKEN
  APP, APP, APP, APP, APP, APP, APP, APP, // 0x08-0x0f STREAM
  APP, // 0x10 MAX_DATA
  APP, // 0x11 MAX_STREAM_DATA
  APP, APP, // 0x12-0x13 MAX_STREAMS
  APP, // 0x14 DATA_BLOCKED
  APP, // 0x15 STREAM_DATA_BLOCKED
  APP, APP, // 0x16-0x17 STREAMS_BLOCKED
  APP, // 0x18 NEW_CONNECTION_ID
  O, // 0x19 RETIRE_CONNECTION_ID
  APP, // 0x1a PATH_CHALLENGE
  O, // 0x1b PATH_RESPONSE
  I | H | Z | O, // 0x1c CONNECTION_CLOSE (transport)
  APP, // 0x1d CONNECTION_CLOSE (application)
  O, // 0x1e HANDSHAKE_DONE
];

function packetTypeBit(packetType: ProtectedPacketType): number {
  switch (packetType) {
    case 'initial': return I;
    case 'handshake': return H;
    case '0RTT': return Z;
    case '1RTT': return O;
  }
}

/**
 * Whether a frame of `frameType` may appear in a packet of `packetType`. Frame types beyond
 * RFC 9000 (extensions, plugins) belong to the application data space (§12.5): allowed in
 * 0-RTT and 1-RTT unless the extension says otherwise, which is the caller's to check.
 */
export function isFrameAllowedInPacket(frameType: number, packetType: ProtectedPacketType): boolean {
  const mask = ALLOWED[frameType] ?? APP;
  return (mask & packetTypeBit(packetType)) !== 0;
}

/** Throws PROTOCOL_VIOLATION (RFC 9000 §12.4) when the frame is not allowed in that packet type. */
export function checkFrameAllowedInPacket(frameType: number, packetType: ProtectedPacketType): void {
  if (!isFrameAllowedInPacket(frameType, packetType)) {
    throw new QuicError(
      TransportErrorCode.PROTOCOL_VIOLATION,
      `${frameTypeName(frameType)} frame not allowed in a ${packetType} packet`,
      frameType,
    );
  }
}
