/** Frames with edge values, shared by the round-trip, truncation and fuzz tests. */
import type { Frame } from '../../../src/quic/wire/frames/index.js';

const MAX = Number.MAX_SAFE_INTEGER;
const cid20 = Uint8Array.from({ length: 20 }, (_, i) => i + 1);
const token16 = Uint8Array.from({ length: 16 }, (_, i) => 0xf0 + i);
const bytes = (n: number, fill = 0xab): Uint8Array => new Uint8Array(n).fill(fill);

export const SAMPLE_FRAMES: Frame[] = [
  { type: 'padding', length: 1 },
  { type: 'padding', length: 300 },
  { type: 'ping' },
  { type: 'ack', largestAcknowledged: 0, ackDelay: 0, ranges: [[0, 0]], ecn: null },
  { type: 'ack', largestAcknowledged: 100, ackDelay: 25, ranges: [[90, 100], [50, 60], [0, 0]], ecn: null },
  { type: 'ack', largestAcknowledged: MAX, ackDelay: MAX, ranges: [[MAX - 5, MAX], [MAX - 7, MAX - 7]], ecn: null },
  { type: 'ack', largestAcknowledged: 1000, ackDelay: 7, ranges: [[0, 1000]], ecn: { ect0: 1, ect1: 0, ecnCe: MAX } },
  { type: 'ack', largestAcknowledged: 3, ackDelay: 0, ranges: [[3, 3], [1, 1]], ecn: { ect0: 0, ect1: 0, ecnCe: 0 } },
  { type: 'reset_stream', streamId: 0, applicationProtocolErrorCode: 0, finalSize: 0 },
  { type: 'reset_stream', streamId: MAX, applicationProtocolErrorCode: MAX, finalSize: MAX },
  { type: 'stop_sending', streamId: 4, applicationProtocolErrorCode: 0x10c },
  { type: 'stop_sending', streamId: MAX, applicationProtocolErrorCode: MAX },
  { type: 'crypto', offset: 0, data: new Uint8Array(0) },
  { type: 'crypto', offset: 16383, data: bytes(300) },
  { type: 'crypto', offset: MAX - 3, data: bytes(3) },
  { type: 'new_token', token: bytes(1) },
  { type: 'new_token', token: bytes(64, 0x11) },
  { type: 'stream', streamId: 0, offset: 0, data: new Uint8Array(0), fin: false, explicitLength: true },
  { type: 'stream', streamId: 0, offset: 0, data: new Uint8Array(0), fin: true, explicitLength: true },
  { type: 'stream', streamId: 7, offset: 1, data: bytes(5), fin: false, explicitLength: true },
  { type: 'stream', streamId: MAX, offset: MAX - 10, data: bytes(10), fin: true, explicitLength: true },
  { type: 'stream', streamId: 3, offset: 0x40000000, data: bytes(1000), fin: false, explicitLength: true },
  { type: 'max_data', maximumData: 0 },
  { type: 'max_data', maximumData: MAX },
  { type: 'max_stream_data', streamId: 2, maximumStreamData: 65536 },
  { type: 'max_stream_data', streamId: MAX, maximumStreamData: MAX },
  { type: 'max_streams', bidirectional: true, maximumStreams: 0 },
  { type: 'max_streams', bidirectional: false, maximumStreams: MAX },
  { type: 'data_blocked', maximumData: 63 },
  { type: 'data_blocked', maximumData: MAX },
  { type: 'stream_data_blocked', streamId: 0, maximumStreamData: 64 },
  { type: 'stream_data_blocked', streamId: MAX, maximumStreamData: MAX },
  { type: 'streams_blocked', bidirectional: true, maximumStreams: 100 },
  { type: 'streams_blocked', bidirectional: false, maximumStreams: MAX },
  { type: 'new_connection_id', sequenceNumber: 1, retirePriorTo: 0, connectionId: bytes(1), statelessResetToken: token16 },
  { type: 'new_connection_id', sequenceNumber: MAX, retirePriorTo: MAX, connectionId: cid20, statelessResetToken: token16 },
  { type: 'retire_connection_id', sequenceNumber: 0 },
  { type: 'retire_connection_id', sequenceNumber: MAX },
  { type: 'path_challenge', data: bytes(8, 0x5a) },
  { type: 'path_response', data: bytes(8, 0xa5) },
  { type: 'connection_close', isApplicationError: false, errorCode: 0x7, frameType: 0x08, reasonPhrase: new TextEncoder().encode('bad STREAM') },
  { type: 'connection_close', isApplicationError: false, errorCode: 0x1ff, frameType: 0, reasonPhrase: new Uint8Array(0) },
  { type: 'connection_close', isApplicationError: true, errorCode: MAX, frameType: 0, reasonPhrase: bytes(200, 0xc3) },
  { type: 'handshake_done' },
];
