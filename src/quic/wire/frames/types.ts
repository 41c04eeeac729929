/**
 * Frame type codes (RFC 9000 §19, §12.4 Table 3) and the `Frame` union.
 *
 * Frames are plain objects tagged by `type`, named as in qlog. Byte fields (`data`, `token`,
 * `connectionId`, `reasonPhrase`, ...) are subarrays of the packet buffer, not copies: a caller
 * that keeps one beyond the life of that buffer copies it.
 */

import type { AckFrame } from './ack.js';
import type { ConnectionCloseFrame } from './connection-close.js';
import type { NewConnectionIdFrame, RetireConnectionIdFrame } from './connection-id.js';
import type { CryptoFrame } from './crypto.js';
import type {
  DataBlockedFrame,
  MaxDataFrame,
  MaxStreamDataFrame,
  MaxStreamsFrame,
  StreamDataBlockedFrame,
  StreamsBlockedFrame,
} from './flow-control.js';
import type { NewTokenFrame } from './new-token.js';
import type { PathChallengeFrame, PathResponseFrame } from './path.js';
import type { HandshakeDoneFrame, PaddingFrame, PingFrame } from './simple.js';
import type { ResetStreamFrame, StopSendingFrame, StreamFrame } from './stream.js';

/** Frame type codes, RFC 9000 §19 and §12.4 Table 3. */
export const FrameType = {
  PADDING: 0x00,
  PING: 0x01,
  ACK: 0x02,
  ACK_ECN: 0x03,
  RESET_STREAM: 0x04,
  STOP_SENDING: 0x05,
  CRYPTO: 0x06,
  NEW_TOKEN: 0x07,
  /** STREAM is 0x08-0x0f: 0x08 | OFF (0x04) | LEN (0x02) | FIN (0x01). */
  STREAM: 0x08,
  STREAM_MAX: 0x0f,
  MAX_DATA: 0x10,
  MAX_STREAM_DATA: 0x11,
  MAX_STREAMS_BIDI: 0x12,
  MAX_STREAMS_UNI: 0x13,
  DATA_BLOCKED: 0x14,
  STREAM_DATA_BLOCKED: 0x15,
  STREAMS_BLOCKED_BIDI: 0x16,
  STREAMS_BLOCKED_UNI: 0x17,
  NEW_CONNECTION_ID: 0x18,
  RETIRE_CONNECTION_ID: 0x19,
  PATH_CHALLENGE: 0x1a,
  PATH_RESPONSE: 0x1b,
  CONNECTION_CLOSE: 0x1c,
  CONNECTION_CLOSE_APP: 0x1d,
  HANDSHAKE_DONE: 0x1e,
} as const;

/** STREAM frame type bits (RFC 9000 §19.8). */
export const STREAM_OFF_BIT = 0x04;
export const STREAM_LEN_BIT = 0x02;
export const STREAM_FIN_BIT = 0x01;

export type Frame =
  | PaddingFrame
  | PingFrame
  | AckFrame
  | ResetStreamFrame
  | StopSendingFrame
  | CryptoFrame
  | NewTokenFrame
  | StreamFrame
  | MaxDataFrame
  | MaxStreamDataFrame
  | MaxStreamsFrame
  | DataBlockedFrame
  | StreamDataBlockedFrame
  | StreamsBlockedFrame
  | NewConnectionIdFrame
  | RetireConnectionIdFrame
  | PathChallengeFrame
  | PathResponseFrame
  | ConnectionCloseFrame
  | HandshakeDoneFrame;

export type FrameName = Frame['type'];

const NAMES: readonly string[] = [
  'PADDING', 'PING', 'ACK', 'ACK_ECN', 'RESET_STREAM', 'STOP_SENDING', 'CRYPTO', 'NEW_TOKEN',
  'STREAM', 'STREAM', 'STREAM', 'STREAM', 'STREAM', 'STREAM', 'STREAM', 'STREAM',
  'MAX_DATA', 'MAX_STREAM_DATA', 'MAX_STREAMS', 'MAX_STREAMS', 'DATA_BLOCKED', 'STREAM_DATA_BLOCKED',
  'STREAMS_BLOCKED', 'STREAMS_BLOCKED', 'NEW_CONNECTION_ID', 'RETIRE_CONNECTION_ID', 'PATH_CHALLENGE',
  'PATH_RESPONSE', 'CONNECTION_CLOSE', 'CONNECTION_CLOSE', 'HANDSHAKE_DONE',
];

/** The RFC name of a frame type code, e.g. `STREAM` for 0x0b; `UNKNOWN(0x..)` otherwise. */
export function frameTypeName(frameType: number): string {
  return NAMES[frameType] ?? `UNKNOWN(0x${frameType.toString(16)})`;
}

/** The largest MAX_STREAMS / STREAMS_BLOCKED value: 2^60 (RFC 9000 §19.11, §19.14). */
export const MAX_STREAMS_LIMIT = 2 ** 60;
