import { describe, expect, it } from 'vitest';
import { packetHeader, qlogFrame, qlogFrames } from '../../../src/quic/qlog/index.js';
import { Reader, Writer } from '../../../src/quic/wire/buffer.js';
import { TransportErrorCode } from '../../../src/quic/wire/errors.js';
import {
  type AckFrame,
  type ConnectionCloseFrame,
  type CryptoFrame,
  type DataBlockedFrame,
  type Frame,
  FrameType,
  type HandshakeDoneFrame,
  type MaxDataFrame,
  type MaxStreamDataFrame,
  type MaxStreamsFrame,
  type NewConnectionIdFrame,
  type NewTokenFrame,
  type PaddingFrame,
  type PathChallengeFrame,
  type PathResponseFrame,
  type PingFrame,
  type ResetStreamFrame,
  type RetireConnectionIdFrame,
  type StopSendingFrame,
  type StreamDataBlockedFrame,
  type StreamFrame,
  type StreamsBlockedFrame,
  frameLength,
  frameTypeOf,
  parseFrame,
  readFrameType,
  writeFrame,
} from '../../../src/quic/wire/frames/index.js';

const seq = (n: number, from = 0): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (from + i) & 0xff);
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/** One (or more) frame of every RFC 9000 type, each with its expected qlog form. */
const CASES: [Frame, Record<string, unknown>][] = [
  [{ type: 'padding', length: 37 } satisfies PaddingFrame, { frame_type: 'padding', payload_length: 37 }],
  [{ type: 'ping' } satisfies PingFrame, { frame_type: 'ping' }],
  [
    { type: 'ack', largestAcknowledged: 100, ackDelay: 125, ranges: [[90, 100], [50, 60], [7, 7]], ecn: null } satisfies AckFrame,
    // 125 << 3 = 1000 µs
    { frame_type: 'ack', ack_delay: 1, acked_ranges: [[90, 100], [50, 60], [7, 7]] },
  ],
  [
    { type: 'ack', largestAcknowledged: 9, ackDelay: 3, ranges: [[0, 9]], ecn: { ect0: 5, ect1: 1, ecnCe: 2 } } satisfies AckFrame,
    { frame_type: 'ack', ack_delay: 0.024, acked_ranges: [[0, 9]], ect0: 5, ect1: 1, ce: 2 },
  ],
  [
    { type: 'reset_stream', streamId: 4, applicationProtocolErrorCode: 0x10c, finalSize: 1000 } satisfies ResetStreamFrame,
    { frame_type: 'reset_stream', stream_id: 4, error_code: 0x10c, final_size: 1000 },
  ],
  [
    { type: 'stop_sending', streamId: 8, applicationProtocolErrorCode: 3 } satisfies StopSendingFrame,
    { frame_type: 'stop_sending', stream_id: 8, error_code: 3 },
  ],
  [{ type: 'crypto', offset: 1200, data: seq(300) } satisfies CryptoFrame, { frame_type: 'crypto', offset: 1200, length: 300 }],
  [
    { type: 'new_token', token: Uint8Array.from([0xde, 0xad, 0xbe, 0xef]) } satisfies NewTokenFrame,
    { frame_type: 'new_token', token: { length: 4, data: 'deadbeef' } },
  ],
  [
    { type: 'stream', streamId: 0, offset: 0, data: seq(10), fin: false } satisfies StreamFrame,
    { frame_type: 'stream', stream_id: 0, offset: 0, length: 10 },
  ],
  [
    { type: 'stream', streamId: 7, offset: 65536, data: new Uint8Array(0), fin: true, explicitLength: false } satisfies StreamFrame,
    { frame_type: 'stream', stream_id: 7, offset: 65536, length: 0, fin: true },
  ],
  [{ type: 'max_data', maximumData: 1 << 20 } satisfies MaxDataFrame, { frame_type: 'max_data', maximum: 1 << 20 }],
  [
    { type: 'max_stream_data', streamId: 4, maximumStreamData: 4096 } satisfies MaxStreamDataFrame,
    { frame_type: 'max_stream_data', stream_id: 4, maximum: 4096 },
  ],
  [
    { type: 'max_streams', bidirectional: true, maximumStreams: 100 } satisfies MaxStreamsFrame,
    { frame_type: 'max_streams', stream_type: 'bidirectional', maximum: 100 },
  ],
  [
    { type: 'max_streams', bidirectional: false, maximumStreams: 3 } satisfies MaxStreamsFrame,
    { frame_type: 'max_streams', stream_type: 'unidirectional', maximum: 3 },
  ],
  [{ type: 'data_blocked', maximumData: 5000 } satisfies DataBlockedFrame, { frame_type: 'data_blocked', limit: 5000 }],
  [
    { type: 'stream_data_blocked', streamId: 12, maximumStreamData: 77 } satisfies StreamDataBlockedFrame,
    { frame_type: 'stream_data_blocked', stream_id: 12, limit: 77 },
  ],
  [
    { type: 'streams_blocked', bidirectional: true, maximumStreams: 10 } satisfies StreamsBlockedFrame,
    { frame_type: 'streams_blocked', stream_type: 'bidirectional', limit: 10 },
  ],
  [
    { type: 'streams_blocked', bidirectional: false, maximumStreams: 0 } satisfies StreamsBlockedFrame,
    { frame_type: 'streams_blocked', stream_type: 'unidirectional', limit: 0 },
  ],
  [
    {
      type: 'new_connection_id',
      sequenceNumber: 3,
      retirePriorTo: 1,
      connectionId: Uint8Array.from([0xaa, 0xbb, 0xcc, 0xdd]),
      statelessResetToken: seq(16, 0xf0),
    } satisfies NewConnectionIdFrame,
    {
      frame_type: 'new_connection_id',
      sequence_number: 3,
      retire_prior_to: 1,
      connection_id_length: 4,
      connection_id: 'aabbccdd',
      stateless_reset_token: 'f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff',
    },
  ],
  [
    { type: 'retire_connection_id', sequenceNumber: 2 } satisfies RetireConnectionIdFrame,
    { frame_type: 'retire_connection_id', sequence_number: 2 },
  ],
  [
    { type: 'path_challenge', data: seq(8, 1) } satisfies PathChallengeFrame,
    { frame_type: 'path_challenge', data: '0102030405060708' },
  ],
  [
    { type: 'path_response', data: seq(8, 0xa0) } satisfies PathResponseFrame,
    { frame_type: 'path_response', data: 'a0a1a2a3a4a5a6a7' },
  ],
  [
    {
      type: 'connection_close',
      isApplicationError: false,
      errorCode: TransportErrorCode.PROTOCOL_VIOLATION,
      frameType: 0x0b,
      reasonPhrase: utf8('bad stream'),
    } satisfies ConnectionCloseFrame,
    {
      frame_type: 'connection_close',
      error_space: 'transport',
      error_code: 'protocol_violation',
      raw_error_code: 0x0a,
      reason: 'bad stream',
      trigger_frame_type: 'stream',
    },
  ],
  [
    {
      type: 'connection_close',
      isApplicationError: false,
      errorCode: 0x128,
      frameType: 0,
      reasonPhrase: new Uint8Array(0),
    } satisfies ConnectionCloseFrame,
    { frame_type: 'connection_close', error_space: 'transport', error_code: 'crypto_error_0x128', raw_error_code: 0x128, reason: '' },
  ],
  [
    {
      type: 'connection_close',
      isApplicationError: false,
      errorCode: 0x4242,
      frameType: 0x40,
      reasonPhrase: utf8('?'),
    } satisfies ConnectionCloseFrame,
    { frame_type: 'connection_close', error_space: 'transport', error_code: 0x4242, raw_error_code: 0x4242, reason: '?', trigger_frame_type: 0x40 },
  ],
  [
    {
      type: 'connection_close',
      isApplicationError: true,
      errorCode: 0x100,
      frameType: 0,
      reasonPhrase: utf8('bye \u00e9'),
    } satisfies ConnectionCloseFrame,
    { frame_type: 'connection_close', error_space: 'application', error_code: 0x100, raw_error_code: 0x100, reason: 'bye \u00e9' },
  ],
  [{ type: 'handshake_done' } satisfies HandshakeDoneFrame, { frame_type: 'handshake_done' }],
];

describe('qlogFrame', () => {
  it.each(CASES.map(([f, q]) => [f.type, f, q] as const))('%s', (_name, frame, expected) => {
    const out = qlogFrame(frame);
    expect(out).toEqual(expected);
    // Plain JSON: survives a round trip unchanged.
    expect(JSON.parse(JSON.stringify(out))).toEqual(expected);
  });

  it('covers every RFC 9000 frame type code', () => {
    const covered = new Set(CASES.map(([f]) => frameTypeOf(f)));
    // STREAM type bits vary with OFF/LEN/FIN; count the base type once.
    const codes = new Set<number>();
    for (const c of covered) codes.add(c >= FrameType.STREAM && c <= FrameType.STREAM_MAX ? FrameType.STREAM : c);
    const expected = Object.entries(FrameType)
      .filter(([k]) => k !== 'STREAM_MAX')
      .map(([, v]) => v as number);
    for (const code of expected) expect(codes.has(code), `0x${code.toString(16)}`).toBe(true);
  });

  it('maps frames parsed from the wire (subarrays of a packet) the same way', () => {
    for (const [frame, expected] of CASES) {
      // Room after the frame, outside the reader's bounds: PADDING and a STREAM frame without
      // LEN stop at the reader's end.
      const buf = new Uint8Array(frameLength(frame) + 8);
      const w = new Writer(buf);
      writeFrame(w, frame);
      const r = new Reader(buf, 0, w.position);
      const parsed = parseFrame(r, readFrameType(r));
      const out = qlogFrame(parsed);
      expect(out).toEqual(expected);
      buf.fill(0x55);
      expect(out).toEqual(expected); // hex copies, not views of the packet
    }
  });

  it('uses the ack_delay_exponent given, and ignores a map() index', () => {
    const ack: AckFrame = { type: 'ack', largestAcknowledged: 1, ackDelay: 1000, ranges: [[1, 1]], ecn: null };
    expect(qlogFrame(ack).ack_delay).toBe(8);
    expect(qlogFrame(ack, { ackDelayExponent: 0 }).ack_delay).toBe(1);
    expect(qlogFrame(ack, { ackDelayExponent: 10 }).ack_delay).toBe(1024);
    // TypeScript rejects [ack].map(qlogFrame); plain JS callers get the index ignored.
    const viaMap = [ack].map(qlogFrame as unknown as (f: AckFrame, i: number) => Record<string, unknown>);
    expect(viaMap[0]!.ack_delay).toBe(8);
  });

  it('logs unknown (plugin) frames with their raw type', () => {
    expect(qlogFrame({ type: 'monitoring', frameType: 0x42 })).toEqual({ frame_type: 'unknown', raw_frame_type: 0x42 });
    expect(qlogFrame({ type: 'datagram', frameType: 0x31, length: 20 })).toEqual({
      frame_type: 'unknown',
      raw_frame_type: 0x31,
      raw_length: 20,
    });
  });

  it('qlogFrames converts wire frames and keeps ready qlog records', () => {
    const ready = { frame_type: 'plugin_thing', x: 1 };
    const out = qlogFrames([{ type: 'ping' }, ready, { type: 'x', frameType: 0x99 }]);
    expect(out).toEqual([{ frame_type: 'ping' }, ready, { frame_type: 'unknown', raw_frame_type: 0x99 }]);
    expect(out[1]).toBe(ready);
  });
});

describe('packetHeader', () => {
  it('builds long and short headers', () => {
    expect(packetHeader('initial', 0, {
      dcid: Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]),
      scid: Uint8Array.from([9]),
      version: 0x00000001,
      token: Uint8Array.from([0xab]),
      length: 1182,
    })).toEqual({
      packet_type: 'initial',
      packet_number: 0,
      token: { length: 1, data: 'ab' },
      length: 1182,
      version: '00000001',
      scil: 1,
      scid: '09',
      dcil: 8,
      dcid: '0102030405060708',
    });
    expect(packetHeader('1RTT', 12345, { dcid: new Uint8Array(0), keyPhase: 1 })).toEqual({
      packet_type: '1RTT',
      packet_number: 12345,
      dcil: 0,
      dcid: '',
      key_phase_bit: 1,
    });
    expect(packetHeader('handshake', 3, { version: 0x6b3343cf })).toEqual({ packet_type: 'handshake', packet_number: 3, version: '6b3343cf' });
  });

  it('leaves out a negative packet number', () => {
    expect(packetHeader('retry', -1, { scid: Uint8Array.from([1]) })).toEqual({ packet_type: 'retry', scil: 1, scid: '01' });
    expect(packetHeader('version_negotiation', -1)).toEqual({ packet_type: 'version_negotiation' });
  });
});
