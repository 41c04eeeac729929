import { describe, expect, it } from 'vitest';
import { Reader, Writer } from '../../../src/quic/wire/buffer.js';
import { QuicError, TransportErrorCode } from '../../../src/quic/wire/errors.js';
import {
  AckFrameView,
  FRAME_PARSERS,
  type Frame,
  FrameType,
  MaxDataFrameView,
  MaxStreamDataFrameView,
  StreamFrameView,
  checkFrameAllowedInPacket,
  countsInFlight,
  frameLength,
  frameTypeName,
  frameTypeOf,
  isAckEliciting,
  isFrameAllowedInPacket,
  isProbingFrame,
  isServerOnlyFrame,
  parseFrame,
  parseFrames,
  parseStreamFrame,
  readFrameType,
  streamFrameOverhead,
  writeFrame,
  writeStreamFrameFrom,
} from '../../../src/quic/wire/frames/index.js';
import type { ProtectedPacketType } from '../../../src/quic/wire/header.js';
import { SAMPLE_FRAMES } from './frame-samples.js';
import { expectQuicError, hex, toHex } from './helpers.js';

const FEE = TransportErrorCode.FRAME_ENCODING_ERROR;
const PV = TransportErrorCode.PROTOCOL_VIOLATION;
const INTERNAL = TransportErrorCode.INTERNAL_ERROR;
const MAX = Number.MAX_SAFE_INTEGER;

function encode(f: Frame): Uint8Array {
  const buf = new Uint8Array(frameLength(f) + 8);
  const w = new Writer(buf);
  writeFrame(w, f);
  expect(w.position, `frameLength of ${f.type}`).toBe(frameLength(f));
  return buf.subarray(0, w.position);
}

function decodeOne(bytes: Uint8Array): Frame {
  const r = new Reader(bytes);
  const frameType = readFrameType(r);
  const f = parseFrame(r, frameType);
  expect(r.remaining).toBe(0);
  return f;
}

function parseBody(bytes: Uint8Array): Frame {
  return decodeOne(bytes);
}

describe('frames: round trips (RFC 9000 §19)', () => {
  it.each(SAMPLE_FRAMES.map((f, i) => [`${i} ${f.type}`, f] as const))('%s', (_name, f) => {
    const bytes = encode(f);
    expect(bytes[0]).toBe(frameTypeOf(f));
    expect(decodeOne(bytes)).toEqual(f);
  });

  it('has one parser per RFC 9000 frame type', () => {
    expect([...FRAME_PARSERS.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: 0x1f }, (_, i) => i));
  });

  it('folds a run of PADDING into one frame and stops at the next frame', () => {
    const r = new Reader(hex('00 00 00 01 00'));
    expect(parseFrame(r, readFrameType(r))).toEqual({ type: 'padding', length: 3 });
    expect(parseFrame(r, readFrameType(r))).toEqual({ type: 'ping' });
    expect(parseFrame(r, readFrameType(r))).toEqual({ type: 'padding', length: 1 });
    expect(r.remaining).toBe(0);
  });

  it('encodes STREAM bits: OFF only when the offset is not 0, LEN unless told otherwise, FIN', () => {
    const data = hex('0102');
    expect(encode({ type: 'stream', streamId: 1, offset: 0, data, fin: false })[0]).toBe(0x0a);
    expect(encode({ type: 'stream', streamId: 1, offset: 5, data, fin: true })[0]).toBe(0x0f);
    const last = encode({ type: 'stream', streamId: 1, offset: 5, data, fin: true, explicitLength: false });
    expect(toHex(last)).toBe('0d 01 05 0102'.replace(/ /g, ''));
    expect(decodeOne(last)).toEqual({ type: 'stream', streamId: 1, offset: 5, data, fin: true, explicitLength: false });
    expect(streamFrameOverhead(1, 5, 2, true)).toBe(4);
    expect(streamFrameOverhead(1, 0, 2, false)).toBe(2);
  });

  it('STREAM without LEN takes the rest of the packet, FIN-only included', () => {
    const f = decodeOne(hex('09 04'));
    expect(f).toEqual({ type: 'stream', streamId: 4, offset: 0, data: new Uint8Array(0), fin: true, explicitLength: false });
  });

  it('returns STREAM data as a view into the packet (no copy)', () => {
    const packet = hex('0a 00 03 aabbcc');
    const f = decodeOne(packet);
    if (f.type !== 'stream') throw new Error('expected STREAM');
    expect(f.data.buffer).toBe(packet.buffer);
    expect(f.data.byteOffset).toBe(3);
  });

  it('decodes ACK ranges per §19.3.1 from the wire', () => {
    // Largest 10, delay 2, 2 more ranges, first range 2 → [8,10]; gap 1, len 0 → [5,5]; gap 0, len 2 → [1,3].
    const f = decodeOne(hex('02 0a 02 02 02 01 00 00 02'));
    expect(f).toEqual({ type: 'ack', largestAcknowledged: 10, ackDelay: 2, ranges: [[8, 10], [5, 5], [1, 3]], ecn: null });
  });

  it('AckFrameView parses like parseAckFrame, reusing its arrays as frames shrink and grow', () => {
    const view = new AckFrameView();
    const parse = (bytes: string): AckFrameView => {
      const r = new Reader(hex(bytes));
      return view.parse(r, readFrameType(r));
    };
    const three = parse('02 0a 02 02 02 01 00 00 02');
    expect(three).toBe(view);
    expect({ ...three }).toEqual({ type: 'ack', largestAcknowledged: 10, ackDelay: 2, ranges: [[8, 10], [5, 5], [1, 3]], ecn: null });
    const ranges = view.ranges;
    const first = view.ranges[0];
    expect({ ...parse('03 14 00 00 01 01 02 03') }).toEqual({ type: 'ack', largestAcknowledged: 20, ackDelay: 0, ranges: [[19, 20]], ecn: { ect0: 1, ect1: 2, ecnCe: 3 } });
    expect(view.ranges).toBe(ranges);
    expect(view.ranges[0]).toBe(first);
    expect({ ...parse('02 1e 01 01 00 00 00') }).toEqual({ type: 'ack', largestAcknowledged: 30, ackDelay: 1, ranges: [[30, 30], [28, 28]], ecn: null });
    // Malformed input fails as parseAckFrame fails.
    expectQuicError(() => parse('02 05 00 06 00'), TransportErrorCode.FRAME_ENCODING_ERROR);
  });
});

describe('frames: every truncation is a FRAME_ENCODING_ERROR', () => {
  // PADDING and a STREAM without LEN have no fixed end; PING and HANDSHAKE_DONE have no body.
  const truncatable = SAMPLE_FRAMES.filter((f) => f.type !== 'padding' && f.type !== 'ping' && f.type !== 'handshake_done');
  it.each(truncatable.map((f, i) => [`${i} ${f.type}`, f] as const))('%s', (_name, f) => {
    const bytes = encode(f);
    const frameType = bytes[0]!;
    for (let n = 1; n < bytes.length; n++) {
      const r = new Reader(bytes, 0, n);
      expect(readFrameType(r)).toBe(frameType);
      const err = expectQuicError(() => parseFrame(r, frameType), FEE);
      expect(err.frameType).toBe(frameType);
      expect(err.message).toContain(`frame type 0x${frameType.toString(16)}`);
    }
  });
});

describe('frames: out-of-range values', () => {
  function rejects(hexs: string, code = FEE): QuicError {
    return expectQuicError(() => parseBody(hex(hexs)), code);
  }

  it('STREAM and CRYPTO: offset + length beyond the largest offset', () => {
    rejects('0e 00 c01fffffffffffff 01 aa');
    rejects('06 c01fffffffffffff 01 aa');
    expect(parseBody(hex('0e 00 c01ffffffffffffe 01 aa')).type).toBe('stream');
    rejects('0e 00 ffffffffffffffff 00');
  });

  it('stream IDs and sequence numbers of 2^53 or more', () => {
    rejects('08 c020000000000000');
    rejects('04 ffffffffffffffff 00 00');
    rejects('19 ffffffffffffffff');
  });

  it('ACK: a first range, gap or length below packet number 0', () => {
    rejects('02 05 00 00 06');
    rejects('02 05 00 01 05 00 00'); // [0,5] then gap 0 → largest -2
    expect(parseBody(hex('02 05 00 01 02 00 01'))).toMatchObject({ ranges: [[3, 5], [0, 1]] });
    rejects('02 05 00 01 02 00 02'); // [3,5] then gap 0 → largest 1, length 2 → smallest -1
  });

  it('ACK: a range count that cannot fit the bytes present, before allocating', () => {
    const err = rejects('02 05 00 bfffffff 00 0000');
    expect(err.reason).toContain('ACK Range Count');
  });

  it('NEW_CONNECTION_ID: Retire Prior To above Sequence Number, lengths 0 and 21', () => {
    const tok = '00'.repeat(16);
    rejects(`18 01 02 04 01020304 ${tok}`);
    rejects(`18 01 00 00 ${tok}`);
    rejects(`18 01 00 15 ${'ab'.repeat(21)} ${tok}`);
    expect(parseBody(hex(`18 01 00 14 ${'ab'.repeat(20)} ${tok}`)).type).toBe('new_connection_id');
  });

  it('NEW_TOKEN: an empty token', () => {
    rejects('07 00');
  });

  it('MAX_STREAMS / STREAMS_BLOCKED: above 2^60, 2^60 itself accepted (saturated)', () => {
    for (const t of ['12', '13', '16', '17']) {
      rejects(`${t} d000000000000001`);
      rejects(`${t} ffffffffffffffff`);
      const f = parseBody(hex(`${t} d000000000000000`));
      expect(f).toMatchObject({ maximumStreams: MAX });
    }
  });

  it('limits and error codes up to 2^62 - 1 saturate instead of failing', () => {
    expect(parseBody(hex('10 ffffffffffffffff'))).toEqual({ type: 'max_data', maximumData: MAX });
    expect(parseBody(hex('1d ffffffffffffffff 00'))).toMatchObject({ errorCode: MAX, isApplicationError: true });
    expect(parseBody(hex('05 00 ffffffffffffffff'))).toMatchObject({ applicationProtocolErrorCode: MAX });
  });

  it('CONNECTION_CLOSE: a reason phrase longer than the packet', () => {
    rejects('1c 07 00 05 aabb');
    rejects('1d 07 ffffffffffffffff');
  });

  it('the frame type must be minimally encoded (§12.4)', () => {
    const r = new Reader(hex('4001'));
    const err = expectQuicError(() => readFrameType(r), PV);
    expect(err.frameType).toBe(1);
    expect(readFrameType(new Reader(hex('4040')))).toBe(0x40);
  });

  it('unknown frame types are left to the caller', () => {
    expect(FRAME_PARSERS.has(0x1f)).toBe(false);
    expect(FRAME_PARSERS.has(0x30)).toBe(false);
    const err = expectQuicError(() => parseFrame(new Reader(hex('00')), 0x1f), FEE);
    expect(err.frameType).toBe(0x1f);
  });
});

describe('frames: writer-side checks', () => {
  it('refuses inconsistent ACK ranges', () => {
    const w = new Writer(new Uint8Array(100));
    const bad: Frame[] = [
      { type: 'ack', largestAcknowledged: 10, ackDelay: 0, ranges: [], ecn: null },
      { type: 'ack', largestAcknowledged: 10, ackDelay: 0, ranges: [[5, 9]], ecn: null },
      { type: 'ack', largestAcknowledged: 10, ackDelay: 0, ranges: [[5, 10], [4, 4]], ecn: null },
      { type: 'ack', largestAcknowledged: 10, ackDelay: 0, ranges: [[5, 10], [1, 3], [2, 2]], ecn: null },
      { type: 'ack', largestAcknowledged: 10, ackDelay: 0, ranges: [[11, 10]], ecn: null },
    ];
    for (const f of bad) {
      expectQuicError(() => writeFrame(w, f), INTERNAL);
      expectQuicError(() => frameLength(f), INTERNAL);
    }
  });

  it('refuses unencodable fields', () => {
    const w = new Writer(new Uint8Array(100));
    const bad: Frame[] = [
      { type: 'padding', length: 0 },
      { type: 'new_token', token: new Uint8Array(0) },
      { type: 'new_connection_id', sequenceNumber: 1, retirePriorTo: 2, connectionId: hex('01'), statelessResetToken: new Uint8Array(16) },
      { type: 'new_connection_id', sequenceNumber: 1, retirePriorTo: 0, connectionId: new Uint8Array(0), statelessResetToken: new Uint8Array(16) },
      { type: 'new_connection_id', sequenceNumber: 1, retirePriorTo: 0, connectionId: hex('01'), statelessResetToken: new Uint8Array(15) },
      { type: 'path_challenge', data: new Uint8Array(7) },
      { type: 'max_streams', bidirectional: true, maximumStreams: 2 ** 61 },
      { type: 'max_data', maximumData: -1 },
      { type: 'stream', streamId: 0, offset: MAX, data: hex('01'), fin: false },
    ];
    for (const f of bad) expectQuicError(() => writeFrame(w, f), INTERNAL);
  });

  it('a STREAM frame written from a range of a larger buffer equals the one written from a view of it', () => {
    const source = new Uint8Array(3000);
    for (let i = 0; i < source.length; i++) source[i] = (i * 13) & 0xff;
    for (const [offset, start, length, fin, explicitLength] of [
      [0, 0, 0, true, true], [5, 1, 1, false, true], [70_000, 3, 1100, false, true], [2 ** 40, 1000, 1999, true, false],
    ] as const) {
      const a = new Writer(new Uint8Array(2100));
      const b = new Writer(new Uint8Array(2100));
      writeFrame(a, { type: 'stream', streamId: 4, offset, data: source.subarray(start, start + length), fin, explicitLength });
      writeStreamFrameFrom(b, 4, offset, fin, explicitLength, source, start, length);
      expect(toHex(b.buf.subarray(0, b.position))).toBe(toHex(a.buf.subarray(0, a.position)));
    }
    // The same checks as writeFrame: past the largest offset, or past the end of the packet.
    expectQuicError(() => writeStreamFrameFrom(new Writer(new Uint8Array(100)), 0, MAX, false, true, source, 0, 1), INTERNAL);
    expectQuicError(() => writeStreamFrameFrom(new Writer(new Uint8Array(50)), 0, 0, false, true, source, 0, 60), INTERNAL);
  });

  it('fails cleanly when the packet is full', () => {
    const w = new Writer(new Uint8Array(3));
    expectQuicError(() => writeFrame(w, { type: 'crypto', offset: 0, data: new Uint8Array(10) }), INTERNAL);
  });
});

describe('frame rules', () => {
  it('ack-eliciting and in-flight frames (RFC 9002 §2)', () => {
    for (let t = 0; t <= 0x1e; t++) {
      const expected = ![0x00, 0x02, 0x03, 0x1c, 0x1d].includes(t);
      expect(isAckEliciting(t), frameTypeName(t)).toBe(expected);
      expect(countsInFlight(t)).toBe(expected || t === 0x00);
    }
    expect(isAckEliciting(0x30)).toBe(true);
  });

  it('probing and server-only frames', () => {
    expect([...Array(0x1f).keys()].filter(isProbingFrame)).toEqual([0x00, 0x18, 0x1a, 0x1b]);
    expect([...Array(0x1f).keys()].filter(isServerOnlyFrame)).toEqual([0x07, 0x1e]);
  });

  it('packet types per RFC 9000 §12.4 Table 3 and §12.5', () => {
    const allowed = (pt: ProtectedPacketType): number[] => [...Array(0x1f).keys()].filter((t) => isFrameAllowedInPacket(t, pt));
    expect(allowed('initial')).toEqual([0x00, 0x01, 0x02, 0x03, 0x06, 0x1c]);
    expect(allowed('handshake')).toEqual([0x00, 0x01, 0x02, 0x03, 0x06, 0x1c]);
    const zeroRttForbidden = [...Array(0x1f).keys()].filter((t) => !isFrameAllowedInPacket(t, '0RTT'));
    expect(zeroRttForbidden).toEqual([
      FrameType.ACK, FrameType.ACK_ECN, FrameType.CRYPTO, FrameType.NEW_TOKEN, FrameType.RETIRE_CONNECTION_ID,
      FrameType.PATH_RESPONSE, FrameType.HANDSHAKE_DONE,
    ]);
    expect(allowed('1RTT').length).toBe(0x1f);
    expect(isFrameAllowedInPacket(0x30, '1RTT')).toBe(true);
    expect(isFrameAllowedInPacket(0x30, 'initial')).toBe(false);
    const err = expectQuicError(() => checkFrameAllowedInPacket(0x08, 'handshake'), PV);
    expect(err.frameType).toBe(0x08);
  });

  it('parseFrames checks packet types, unknown types and empty payloads', () => {
    expect(parseFrames(hex('01 06 00 01 aa 00 00'), 'initial').map((f) => f.type)).toEqual(['ping', 'crypto', 'padding']);
    expectQuicError(() => parseFrames(hex('01 08 00'), 'initial'), PV);
    expectQuicError(() => parseFrames(hex('1d 00 00'), 'handshake'), PV);
    expectQuicError(() => parseFrames(hex('02 00 00 00 00'), '0RTT'), PV);
    expectQuicError(() => parseFrames(hex('1f'), '1RTT'), FEE);
    expectQuicError(() => parseFrames(new Uint8Array(0), '1RTT'), PV);
  });
});

describe('StreamFrameView', () => {
  const encode = (f: Frame, tail = 0): Uint8Array => {
    const w = new Writer(new Uint8Array(frameLength(f) + tail + 3));
    w.zeros(3); // not at offset 0 of the packet
    writeFrame(w, f);
    return w.buf.subarray(0, w.position + tail);
  };

  it('parses every STREAM sample as parseStreamFrame does, knowing its data by bounds', () => {
    const view = new StreamFrameView();
    for (const f of SAMPLE_FRAMES.filter((x) => x.type === 'stream')) {
      const bytes = encode(f);
      const a = new Reader(bytes, 3);
      const b = new Reader(bytes, 3);
      const typeA = readFrameType(a);
      readFrameType(b);
      const expected = parseStreamFrame(a, typeA) as Extract<Frame, { type: 'stream' }>;
      view.parse(b, typeA);
      expect(b.position).toBe(a.position);
      expect({ type: view.type, streamId: view.streamId, offset: view.offset, fin: view.fin, explicitLength: view.explicitLength, data: toHex(view.data) })
        .toEqual({ ...expected, data: toHex(expected.data) });
      expect(view.buf).toBe(bytes);
      expect(toHex(bytes.subarray(view.dataStart, view.dataStart + view.dataLength))).toBe(toHex(expected.data));
    }
  });

  it('rejects what parseStreamFrame rejects, with the same code', () => {
    const view = new StreamFrameView();
    // Length beyond the packet; offset + length past 2^53 - 1.
    for (const bytes of [Uint8Array.of(0x0a, 0x04, 0x05, 1, 2), Uint8Array.of(0x0e, 0x04, 0xdf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 1, 2)]) {
      const a = new Reader(bytes);
      const type = readFrameType(a);
      const code = expectQuicError(() => parseStreamFrame(a, type), TransportErrorCode.FRAME_ENCODING_ERROR).code;
      const b = new Reader(bytes);
      readFrameType(b);
      expect(expectQuicError(() => view.parse(b, type), TransportErrorCode.FRAME_ENCODING_ERROR).code).toBe(code);
    }
  });
});

describe('MaxStreamDataFrameView and MaxDataFrameView', () => {
  it('parse every sample as parseFrame does, one instance re-pointed at each frame', () => {
    const views = { max_stream_data: new MaxStreamDataFrameView(), max_data: new MaxDataFrameView() };
    // The samples plus saturating limits (2^62 - 1 reads as 2^53 - 1, as parseFrame clamps).
    const extra: Frame[] = [
      { type: 'max_stream_data', streamId: 2 ** 40, maximumStreamData: MAX },
      { type: 'max_data', maximumData: 0 },
    ];
    const frames = [...SAMPLE_FRAMES, ...extra].filter((f) => f.type === 'max_stream_data' || f.type === 'max_data');
    expect(frames.length).toBeGreaterThanOrEqual(4);
    for (const f of frames) {
      const bytes = encode(f);
      const b = new Reader(bytes);
      const type = readFrameType(b);
      const view = views[f.type as keyof typeof views];
      expect(view.parse(b, type)).toBe(view);
      expect(b.remaining).toBe(0);
      expect({ ...view }).toEqual(decodeOne(bytes));
    }
    const big = new Reader(hex('11 01 ff ff ff ff ff ff ff ff'));
    expect({ ...views.max_stream_data.parse(big, readFrameType(big)) }).toEqual({ type: 'max_stream_data', streamId: 1, maximumStreamData: MAX });
  });

  it('a truncated frame fails as parseFrame does and leaves the view as it was', () => {
    const view = new MaxStreamDataFrameView();
    const whole = new Reader(hex('11 04 44 00'));
    view.parse(whole, readFrameType(whole));
    expect({ ...view }).toEqual({ type: 'max_stream_data', streamId: 4, maximumStreamData: 0x400 });
    // The limit's varint announces 2 bytes, one is present.
    const cut = new Reader(hex('11 08 44'));
    const type = readFrameType(cut);
    const code = expectQuicError(() => parseFrame(new Reader(hex('08 44')), type), FEE).code;
    expect(expectQuicError(() => view.parse(cut, type), FEE).code).toBe(code);
    expect({ ...view }).toEqual({ type: 'max_stream_data', streamId: 4, maximumStreamData: 0x400 });
    const dataView = new MaxDataFrameView();
    expectQuicError(() => dataView.parse(new Reader(hex('40')), FrameType.MAX_DATA), FEE);
  });
});
