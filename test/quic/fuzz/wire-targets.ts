/**
 * Fuzz targets for the wire parsers (src/quic/wire): frames and their in-place views, packet
 * headers (long, short, coalesced, Version Negotiation, Retry), transport parameters, varints.
 * Contract: a value or a QuicError (the code the connection would put in CONNECTION_CLOSE),
 * readers never past their end, and what parses survives write + parse unchanged.
 */
import { Reader } from '../../../src/quic/wire/buffer.js';
import { bytesEqual } from '../../../src/quic/wire/bytes.js';
import { QuicError, transportErrorName } from '../../../src/quic/wire/errors.js';
import {
  AckFrameView,
  FRAME_PARSERS,
  type Frame,
  FrameType,
  MaxDataFrameView,
  MaxStreamDataFrameView,
  StreamFrameView,
  parseFrames,
  readFrameType,
} from '../../../src/quic/wire/frames/index.js';
import {
  ShortHeaderView,
  buildVersionNegotiation,
  parseInvariantHeader,
  parsePacketHeader,
  parseRetry,
  parseVersionNegotiation,
  splitCoalescedPackets,
} from '../../../src/quic/wire/header.js';
import { decodeTransportParameters, encodeTransportParameters } from '../../../src/quic/wire/transport-params.js';
import { decodeVarint, decodeVarintBig } from '../../../src/quic/wire/varint.js';
import type { Prng } from '../wire/prng.js';
import { encodeFrame, framesByType, sampleDatagrams, samplePayloads, sampleTransportParameters } from './corpus.js';
import { type FuzzCase, type FuzzTarget, ensure, typedOutcome } from './runner.js';

const quicLabel = (e: Error): string => transportErrorName((e as QuicError).code);

/** Noise, a mutated seed, or two seeds spliced and mutated (Prng.mutate does the edits). */
export function mutatedInput(rng: Prng, seeds: readonly Uint8Array[], maxNoise: number): { bytes: Uint8Array; desc: string } {
  const r = rng.int(10);
  if (seeds.length === 0 || r < 2) return { bytes: rng.bytes(rng.int(maxNoise + 1)), desc: 'noise' };
  const a = rng.int(seeds.length);
  if (r < 4) {
    const b = rng.int(seeds.length);
    const first = seeds[a]!;
    const cut = rng.int(first.length + 1);
    const joined = new Uint8Array(cut + seeds[b]!.length);
    joined.set(first.subarray(0, cut));
    joined.set(seeds[b]!, cut);
    return { bytes: rng.mutate(joined), desc: `splice seed ${a}[0..${cut}] + seed ${b}, mutated` };
  }
  return { bytes: rng.mutate(seeds[a]!), desc: `seed ${a} mutated` };
}

/** Encoding of a parsed frame; must be a fixed point of parse + write (RFC 9000 §19 fields). */
function checkRoundTrip(frame: Frame): void {
  const again = encodeFrame(frame);
  const r = new Reader(again);
  const type = readFrameType(r);
  const parser = FRAME_PARSERS.get(type);
  ensure(parser !== undefined, `re-encoded ${frame.type} has unknown type 0x${type.toString(16)}`);
  const reparsed = parser!(r, type);
  ensure(r.remaining === 0, `re-parse of ${frame.type} left ${r.remaining} bytes`);
  ensure(reparsed.type === frame.type && bytesEqual(encodeFrame(reparsed), again), `${frame.type} round trip differs`);
}

const PACKET_TYPES = ['initial', 'handshake', '0RTT', '1RTT'] as const;

/** What both an allocating parser and its in-place view must agree on: fields or error code. */
function fieldsOrCode(body: () => unknown): string {
  const { value, outcome } = typedOutcome(body, [QuicError], quicLabel);
  return value === undefined ? `error ${outcome}` : JSON.stringify(value);
}

function frameCase(rng: Prng): FuzzCase {
  const byType = framesByType();
  const mode = rng.int(3);
  if (mode === 0) {
    // One frame body through its own parser (the parse_frame protoop's core).
    const types = [...FRAME_PARSERS.keys()];
    const type = rng.pick(types);
    const seeds = (byType.get(type) ?? []).map((b) => b.subarray(1));
    const { bytes, desc } = mutatedInput(rng, seeds, 64);
    return {
      input: bytes,
      desc: `frame 0x${type.toString(16)} body: ${desc}`,
      check: () => {
        const r = new Reader(bytes);
        const { value, outcome } = typedOutcome(() => FRAME_PARSERS.get(type)!(r, type), [QuicError], quicLabel);
        ensure(r.position <= bytes.length, 'reader past its end');
        if (value !== undefined) checkRoundTrip(value);
        return value === undefined ? outcome : `parsed ${value.type}`;
      },
    };
  }
  if (mode === 1) {
    const { bytes, desc } = mutatedInput(rng, samplePayloads(), 200);
    const packetType = rng.pick(PACKET_TYPES);
    return {
      input: bytes,
      desc: `parseFrames(${packetType}): ${desc}`,
      check: () => {
        const { value, outcome } = typedOutcome(() => parseFrames(bytes, packetType), [QuicError], quicLabel);
        if (value === undefined) return outcome;
        for (const f of value) checkRoundTrip(f);
        return 'parsed payload';
      },
    };
  }
  // The receive path's in-place views against the allocating parsers.
  const views = [
    { name: 'StreamFrameView', types: [0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f], view: new StreamFrameView(),
      fields: (f: StreamFrameView | Frame) => { const s = f as StreamFrameView; return [s.streamId, s.offset, s.fin, s.explicitLength, Buffer.from(s.data).toString('hex')]; } },
    { name: 'AckFrameView', types: [FrameType.ACK, FrameType.ACK_ECN], view: new AckFrameView(),
      fields: (f: AckFrameView | Frame) => { const a = f as AckFrameView; return [a.largestAcknowledged, a.ackDelay, a.ranges.map((x) => [...x]), a.ecn && { ...a.ecn }]; } },
    { name: 'MaxDataFrameView', types: [FrameType.MAX_DATA], view: new MaxDataFrameView(),
      fields: (f: MaxDataFrameView | Frame) => [(f as MaxDataFrameView).maximumData] },
    { name: 'MaxStreamDataFrameView', types: [FrameType.MAX_STREAM_DATA], view: new MaxStreamDataFrameView(),
      fields: (f: MaxStreamDataFrameView | Frame) => { const m = f as MaxStreamDataFrameView; return [m.streamId, m.maximumStreamData]; } },
  ];
  const v = rng.pick(views);
  const seeds = v.types.flatMap((t) => byType.get(t) ?? []);
  const { bytes, desc } = mutatedInput(rng, seeds, 48);
  const type = rng.pick(v.types);
  if (bytes.length > 0) bytes[0] = type;
  return {
    input: bytes,
    desc: `${v.name}: ${desc}`,
    check: () => {
      if (bytes.length === 0) return 'empty';
      const run = (parse: (r: Reader, t: number) => unknown) => () => {
        const r = new Reader(bytes);
        const t = readFrameType(r);
        const f = parse(r, t);
        return [v.fields(f as Frame), r.position];
      };
      const a = fieldsOrCode(run((r, t) => FRAME_PARSERS.get(t)!(r, t)));
      const b = fieldsOrCode(run((r, t) => (v.view as { parse(r: Reader, t: number): unknown }).parse(r, t)));
      ensure(a === b, `${v.name} gives ${b} where the allocating parser gives ${a}`);
      return a.startsWith('error') ? `${v.name} ${a}` : `${v.name} agrees`;
    },
  };
}

function headerCase(rng: Prng): FuzzCase {
  const { bytes, desc } = mutatedInput(rng, sampleDatagrams(), 120);
  const cidLength = rng.pick([0, 4, 8, 8, 8, 20]);
  const offset = bytes.length > 0 ? rng.int(Math.min(bytes.length, 3)) : 0;
  return {
    input: bytes,
    desc: `datagram (cid ${cidLength}, offset ${offset}): ${desc}`,
    check: () => {
      const outcomes: string[] = [];
      const h = typedOutcome(() => parsePacketHeader(bytes, offset, cidLength), [QuicError], quicLabel);
      if (h.value) {
        const p = h.value;
        ensure(p.packetStart === offset && p.payloadEnd > offset && p.payloadEnd <= bytes.length, `header bounds ${p.packetStart}..${p.payloadEnd}`);
        if ('pnOffset' in p) ensure(p.pnOffset < p.payloadEnd, 'pnOffset past the packet');
        outcomes.push(p.type);
      } else outcomes.push(h.outcome);
      // The 1-RTT receive path's view must agree with the allocating parser on short headers.
      if (bytes.length > offset && (bytes[offset]! & 0x80) === 0) {
        const view = new ShortHeaderView();
        const fields = (x: { firstByte: number; dcid: Uint8Array; pnOffset: number; packetStart: number; payloadEnd: number }) =>
          [x.firstByte, Buffer.from(x.dcid).toString('hex'), x.pnOffset, x.packetStart, x.payloadEnd];
        const a = fieldsOrCode(() => fields(parsePacketHeader(bytes, offset, cidLength) as never));
        const b = fieldsOrCode(() => fields(view.parse(bytes, offset, cidLength)));
        ensure(a === b, `ShortHeaderView gives ${b} where parsePacketHeader gives ${a}`);
      }
      // Coalescing never throws: a bad packet ends the datagram (RFC 9000 §12.2).
      const split = typedOutcome(() => splitCoalescedPackets(bytes, cidLength), []);
      let prev = 0;
      for (const p of split.value!.packets) {
        ensure(p.packetStart === prev && p.payloadEnd > prev && p.payloadEnd <= bytes.length, 'coalesced packets not contiguous');
        prev = p.payloadEnd;
      }
      const inv = typedOutcome(() => parseInvariantHeader(bytes, 0, cidLength), [QuicError], quicLabel);
      if (inv.value) ensure(inv.value.headerEnd <= bytes.length, 'invariant header past the datagram');
      const vn = typedOutcome(() => parseVersionNegotiation(bytes), [QuicError], quicLabel);
      // The builder refuses to list version 0 (it is Version Negotiation's own), so no round trip then.
      if (vn.value && !vn.value.supportedVersions.includes(0)) {
        ensure(bytesEqual(buildVersionNegotiation({ ...vn.value, unusedBits: vn.value.firstByte }), bytes), 'Version Negotiation round trip');
        outcomes.push('vn');
      }
      const retry = typedOutcome(() => parseRetry(bytes), [QuicError], quicLabel);
      if (retry.value) {
        ensure(retry.value.packetWithoutTag.length + 16 === bytes.length, 'Retry integrity tag not the last 16 bytes');
        ensure(retry.value.token.length > 0, 'Retry with an empty token (RFC 9000 §17.2.5.1)');
        outcomes.push('retry');
      }
      return outcomes.join('+');
    },
  };
}

type DecodeTransportParameters = typeof decodeTransportParameters;

function transportParametersCase(rng: Prng, decode: DecodeTransportParameters): FuzzCase {
  const samples = sampleTransportParameters();
  const { bytes, desc } = mutatedInput(rng, samples.map((s) => s.bytes), 100);
  const sender = rng.chance(0.5) ? 'server' : 'client';
  return {
    input: bytes,
    desc: `transport parameters from the ${sender}: ${desc}`,
    check: () => {
      const { value, outcome } = typedOutcome(() => decode(bytes, sender), [QuicError], quicLabel);
      if (value === undefined) {
        return outcome;
      }
      const again = encodeTransportParameters(value, sender);
      const third = encodeTransportParameters(decode(again, sender), sender);
      ensure(bytesEqual(third, again), 'transport parameters round trip differs');
      return 'decoded';
    },
  };
}

function varintCase(rng: Prng): FuzzCase {
  const bytes = rng.bytes(rng.int(12));
  if (bytes.length > 0 && rng.chance(0.3)) bytes[0] = rng.pick([0x3f, 0x40, 0x7f, 0x80, 0xbf, 0xc0, 0xff]);
  const offset = rng.int(3);
  const end = rng.chance(0.2) ? rng.int(bytes.length + 2) : bytes.length;
  return {
    input: bytes,
    desc: `varint at ${offset}, end ${end}`,
    check: () => {
      const n = typedOutcome(() => decodeVarint(bytes, offset, end), [QuicError], quicLabel);
      const b = typedOutcome(() => decodeVarintBig(bytes, offset, end), [QuicError], quicLabel);
      if (n.value !== undefined) ensure(BigInt(n.value) === b.value, `decodeVarint ${n.value} but decodeVarintBig ${String(b.value)}`);
      // The Reader's varint (every frame field) agrees with decodeVarint when the whole buffer is readable.
      if (end === bytes.length && offset <= bytes.length) {
        const r = new Reader(bytes);
        r.position = offset;
        const viaReader = typedOutcome(() => r.varint(), [QuicError], quicLabel);
        ensure(viaReader.value === n.value, `Reader.varint ${String(viaReader.value)} but decodeVarint ${String(n.value)}`);
      }
      return n.value === undefined ? n.outcome : 'decoded';
    },
  };
}

export const frameTarget: FuzzTarget = { name: 'frames', makeCase: frameCase };
export const headerTarget: FuzzTarget = { name: 'headers', makeCase: headerCase };
/** `decode` is replaceable so a test can prove the target catches a broken decoder. */
export function transportParametersTarget(decode: DecodeTransportParameters = decodeTransportParameters): FuzzTarget {
  return { name: 'transport-params', makeCase: (rng) => transportParametersCase(rng, decode) };
}
export const varintTarget: FuzzTarget = { name: 'varints', makeCase: varintCase };
