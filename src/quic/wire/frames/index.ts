/**
 * QUIC v1 frames, RFC 9000 §19: one parser per frame type, `writeFrame` / `frameLength` for the
 * `Frame` union, and the per-type rules of §12.4.
 *
 * The connection reads the frame type with `readFrameType`, then dispatches through its protoop
 * table, seeded from `FRAME_PARSERS`. Frame types missing from that map are not handled here:
 * the caller either hands them to a plugin or closes with FRAME_ENCODING_ERROR (§12.4).
 */

import { Reader, type Writer } from '../buffer.js';
import { QuicError, TransportErrorCode, frameEncodingError, protocolViolation } from '../errors.js';
import type { ProtectedPacketType } from '../header.js';
import { varintLength } from '../varint.js';
import { ackFrameLength, parseAckFrame, writeAckFrame } from './ack.js';
import { connectionCloseFrameLength, parseConnectionCloseFrame, writeConnectionCloseFrame } from './connection-close.js';
import {
  newConnectionIdFrameLength,
  parseNewConnectionIdFrame,
  parseRetireConnectionIdFrame,
  retireConnectionIdFrameLength,
  writeNewConnectionIdFrame,
  writeRetireConnectionIdFrame,
} from './connection-id.js';
import { cryptoFrameLength, parseCryptoFrame, writeCryptoFrame } from './crypto.js';
import {
  dataBlockedFrameLength,
  maxDataFrameLength,
  maxStreamDataFrameLength,
  maxStreamsFrameLength,
  parseDataBlockedFrame,
  parseMaxDataFrame,
  parseMaxStreamDataFrame,
  parseMaxStreamsFrame,
  parseStreamDataBlockedFrame,
  parseStreamsBlockedFrame,
  streamDataBlockedFrameLength,
  streamsBlockedFrameLength,
  writeDataBlockedFrame,
  writeMaxDataFrame,
  writeMaxStreamDataFrame,
  writeMaxStreamsFrame,
  writeStreamDataBlockedFrame,
  writeStreamsBlockedFrame,
} from './flow-control.js';
import { newTokenFrameLength, parseNewTokenFrame, writeNewTokenFrame } from './new-token.js';
import { PATH_FRAME_LENGTH, parsePathChallengeFrame, parsePathResponseFrame, writePathFrame } from './path.js';
import { checkFrameAllowedInPacket } from './rules.js';
import {
  paddingFrameLength,
  parseHandshakeDoneFrame,
  parsePaddingFrame,
  parsePingFrame,
  writeHandshakeDoneFrame,
  writePaddingFrame,
  writePingFrame,
} from './simple.js';
import {
  parseResetStreamFrame,
  parseStopSendingFrame,
  parseStreamFrame,
  resetStreamFrameLength,
  stopSendingFrameLength,
  streamFrameLength,
  streamFrameType,
  writeResetStreamFrame,
  writeStopSendingFrame,
  writeStreamFrame,
} from './stream.js';
import { type Frame, FrameType } from './types.js';

export * from './ack.js';
export * from './connection-close.js';
export * from './connection-id.js';
export * from './crypto.js';
export * from './flow-control.js';
export * from './new-token.js';
export * from './path.js';
export * from './rules.js';
export * from './simple.js';
export * from './stream.js';
export * from './types.js';

/**
 * Parses the body of a frame whose type the caller already read (and passes as `frameType`),
 * advancing `r` past it. Throws QuicError, with `frameType` set.
 */
export type FrameParser = (r: Reader, frameType: number) => Frame;

/** Adds the frame type to errors raised by the reader or a field check. */
function tagged(parse: FrameParser): FrameParser {
  return (r, frameType) => {
    try {
      return parse(r, frameType);
    } catch (e) {
      if (e instanceof QuicError) throw e.withFrameType(frameType);
      throw e;
    }
  };
}

function buildParsers(): Map<number, FrameParser> {
  const m = new Map<number, FrameParser>();
  m.set(FrameType.PADDING, tagged(parsePaddingFrame));
  m.set(FrameType.PING, tagged(parsePingFrame));
  m.set(FrameType.ACK, tagged(parseAckFrame));
  m.set(FrameType.ACK_ECN, tagged(parseAckFrame));
  m.set(FrameType.RESET_STREAM, tagged(parseResetStreamFrame));
  m.set(FrameType.STOP_SENDING, tagged(parseStopSendingFrame));
  m.set(FrameType.CRYPTO, tagged(parseCryptoFrame));
  m.set(FrameType.NEW_TOKEN, tagged(parseNewTokenFrame));
  const stream = tagged(parseStreamFrame);
  for (let t = FrameType.STREAM; t <= FrameType.STREAM_MAX; t++) m.set(t, stream);
  m.set(FrameType.MAX_DATA, tagged(parseMaxDataFrame));
  m.set(FrameType.MAX_STREAM_DATA, tagged(parseMaxStreamDataFrame));
  m.set(FrameType.MAX_STREAMS_BIDI, tagged(parseMaxStreamsFrame));
  m.set(FrameType.MAX_STREAMS_UNI, tagged(parseMaxStreamsFrame));
  m.set(FrameType.DATA_BLOCKED, tagged(parseDataBlockedFrame));
  m.set(FrameType.STREAM_DATA_BLOCKED, tagged(parseStreamDataBlockedFrame));
  m.set(FrameType.STREAMS_BLOCKED_BIDI, tagged(parseStreamsBlockedFrame));
  m.set(FrameType.STREAMS_BLOCKED_UNI, tagged(parseStreamsBlockedFrame));
  m.set(FrameType.NEW_CONNECTION_ID, tagged(parseNewConnectionIdFrame));
  m.set(FrameType.RETIRE_CONNECTION_ID, tagged(parseRetireConnectionIdFrame));
  m.set(FrameType.PATH_CHALLENGE, tagged(parsePathChallengeFrame));
  m.set(FrameType.PATH_RESPONSE, tagged(parsePathResponseFrame));
  m.set(FrameType.CONNECTION_CLOSE, tagged(parseConnectionCloseFrame));
  m.set(FrameType.CONNECTION_CLOSE_APP, tagged(parseConnectionCloseFrame));
  m.set(FrameType.HANDSHAKE_DONE, tagged(parseHandshakeDoneFrame));
  return m;
}

/**
 * One parser per RFC 9000 frame type (0x00-0x1e). Read-only: a connection copies it into its
 * own protoop table, where plugins may add types.
 */
export const FRAME_PARSERS: ReadonlyMap<number, FrameParser> = buildParsers();

/**
 * Reads a Frame Type (RFC 9000 §12.4): a varint that MUST use the shortest encoding; a longer
 * one is a PROTOCOL_VIOLATION.
 */
export function readFrameType(r: Reader): number {
  const n = r.peekVarintLength();
  const frameType = r.varint();
  if (varintLength(frameType) !== n) {
    throw new QuicError(
      TransportErrorCode.PROTOCOL_VIOLATION,
      `frame type 0x${frameType.toString(16)} not in its shortest encoding`,
      frameType,
    );
  }
  return frameType;
}

/**
 * Parses the body of a frame of an RFC 9000 type. An unknown type throws FRAME_ENCODING_ERROR
 * (§12.4); a connection with plugins looks its table up first.
 */
export function parseFrame(r: Reader, frameType: number): Frame {
  const parse = FRAME_PARSERS.get(frameType);
  if (parse === undefined) throw frameEncodingError(`unknown frame type 0x${frameType.toString(16)}`, frameType);
  return parse(r, frameType);
}

/**
 * Parses a whole decrypted payload of a `packetType` packet: every frame must be a known type
 * allowed in that packet type (§12.4), and there must be at least one (§12.4: a packet with no
 * frames is a PROTOCOL_VIOLATION). A convenience for tests and simple users; the connection
 * drives `readFrameType` and its protoop table itself.
 */
export function parseFrames(payload: Uint8Array, packetType: ProtectedPacketType): Frame[] {
  const r = new Reader(payload);
  const frames: Frame[] = [];
  if (r.remaining === 0) throw protocolViolation('packet payload contains no frames');
  while (r.remaining > 0) {
    const frameType = readFrameType(r);
    checkFrameAllowedInPacket(frameType, packetType);
    frames.push(parseFrame(r, frameType));
  }
  return frames;
}

/** The wire frame type `writeFrame` uses for `f` (e.g. 0x0b for a STREAM with LEN and FIN). */
export function frameTypeOf(f: Frame): number {
  switch (f.type) {
    case 'padding': return FrameType.PADDING;
    case 'ping': return FrameType.PING;
    case 'ack': return f.ecn === null ? FrameType.ACK : FrameType.ACK_ECN;
    case 'reset_stream': return FrameType.RESET_STREAM;
    case 'stop_sending': return FrameType.STOP_SENDING;
    case 'crypto': return FrameType.CRYPTO;
    case 'new_token': return FrameType.NEW_TOKEN;
    case 'stream': return streamFrameType(f);
    case 'max_data': return FrameType.MAX_DATA;
    case 'max_stream_data': return FrameType.MAX_STREAM_DATA;
    case 'max_streams': return f.bidirectional ? FrameType.MAX_STREAMS_BIDI : FrameType.MAX_STREAMS_UNI;
    case 'data_blocked': return FrameType.DATA_BLOCKED;
    case 'stream_data_blocked': return FrameType.STREAM_DATA_BLOCKED;
    case 'streams_blocked': return f.bidirectional ? FrameType.STREAMS_BLOCKED_BIDI : FrameType.STREAMS_BLOCKED_UNI;
    case 'new_connection_id': return FrameType.NEW_CONNECTION_ID;
    case 'retire_connection_id': return FrameType.RETIRE_CONNECTION_ID;
    case 'path_challenge': return FrameType.PATH_CHALLENGE;
    case 'path_response': return FrameType.PATH_RESPONSE;
    case 'connection_close': return f.isApplicationError ? FrameType.CONNECTION_CLOSE_APP : FrameType.CONNECTION_CLOSE;
    case 'handshake_done': return FrameType.HANDSHAKE_DONE;
  }
}

/** Writes `f`, frame type included. Throws INTERNAL_ERROR for unencodable fields or a full writer. */
export function writeFrame(w: Writer, f: Frame): void {
  switch (f.type) {
    case 'padding': return writePaddingFrame(w, f);
    case 'ping': return writePingFrame(w, f);
    case 'ack': return writeAckFrame(w, f);
    case 'reset_stream': return writeResetStreamFrame(w, f);
    case 'stop_sending': return writeStopSendingFrame(w, f);
    case 'crypto': return writeCryptoFrame(w, f);
    case 'new_token': return writeNewTokenFrame(w, f);
    case 'stream': return writeStreamFrame(w, f);
    case 'max_data': return writeMaxDataFrame(w, f);
    case 'max_stream_data': return writeMaxStreamDataFrame(w, f);
    case 'max_streams': return writeMaxStreamsFrame(w, f);
    case 'data_blocked': return writeDataBlockedFrame(w, f);
    case 'stream_data_blocked': return writeStreamDataBlockedFrame(w, f);
    case 'streams_blocked': return writeStreamsBlockedFrame(w, f);
    case 'new_connection_id': return writeNewConnectionIdFrame(w, f);
    case 'retire_connection_id': return writeRetireConnectionIdFrame(w, f);
    case 'path_challenge':
    case 'path_response': return writePathFrame(w, f);
    case 'connection_close': return writeConnectionCloseFrame(w, f);
    case 'handshake_done': return writeHandshakeDoneFrame(w, f);
  }
}

/** Exact number of bytes `writeFrame` writes for `f`. */
export function frameLength(f: Frame): number {
  switch (f.type) {
    case 'padding': return paddingFrameLength(f);
    case 'ping': return 1;
    case 'ack': return ackFrameLength(f);
    case 'reset_stream': return resetStreamFrameLength(f);
    case 'stop_sending': return stopSendingFrameLength(f);
    case 'crypto': return cryptoFrameLength(f);
    case 'new_token': return newTokenFrameLength(f);
    case 'stream': return streamFrameLength(f);
    case 'max_data': return maxDataFrameLength(f);
    case 'max_stream_data': return maxStreamDataFrameLength(f);
    case 'max_streams': return maxStreamsFrameLength(f);
    case 'data_blocked': return dataBlockedFrameLength(f);
    case 'stream_data_blocked': return streamDataBlockedFrameLength(f);
    case 'streams_blocked': return streamsBlockedFrameLength(f);
    case 'new_connection_id': return newConnectionIdFrameLength(f);
    case 'retire_connection_id': return retireConnectionIdFrameLength(f);
    case 'path_challenge':
    case 'path_response': return PATH_FRAME_LENGTH;
    case 'connection_close': return connectionCloseFrameLength(f);
    case 'handshake_done': return 1;
  }
}
