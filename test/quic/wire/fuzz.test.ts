/**
 * Seeded fuzzing of every parser: random and mutated inputs must either parse or throw a
 * QuicError, never anything else, and always terminate. Inputs that parse must survive a
 * write/parse round trip.
 */
import { describe, expect, it } from 'vitest';
import { Reader, Writer } from '../../../src/quic/wire/buffer.js';
import { QuicError } from '../../../src/quic/wire/errors.js';
import {
  FRAME_PARSERS,
  type Frame,
  StreamFrameView,
  parseStreamFrame,
  frameLength,
  parseFrames,
  readFrameType,
  writeFrame,
} from '../../../src/quic/wire/frames/index.js';
import {
  QUIC_VERSION_1,
  ShortHeaderView,
  buildRetryWithoutTag,
  buildVersionNegotiation,
  newHeaderOffsets,
  parseInvariantHeader,
  parsePacketHeader,
  parseRetry,
  parseVersionNegotiation,
  patchLongHeaderLength,
  splitCoalescedPackets,
  writeLongHeader,
  writeShortHeader,
} from '../../../src/quic/wire/header.js';
import {
  decodeTransportParameters,
  defaultTransportParameters,
  encodeTransportParameters,
} from '../../../src/quic/wire/transport-params.js';
import { decodeVarint, decodeVarintBig } from '../../../src/quic/wire/varint.js';
import { SAMPLE_FRAMES } from './frame-samples.js';
import { concat, hex } from './helpers.js';
import { Prng } from './prng.js';

const ITERATIONS = 3000;

/** Runs `body`; anything thrown must be a QuicError. Returns the result or undefined. */
function onlyQuicErrors<T>(body: () => T, input: Uint8Array): T | undefined {
  try {
    return body();
  } catch (e) {
    if (e instanceof QuicError) return undefined;
    throw new Error(`non-QuicError ${String(e)} for input ${Buffer.from(input).toString('hex')}`);
  }
}

/** A cheap assertion for hot loops (vitest's expect costs microseconds per call). */
function check(condition: boolean, what: string, input: Uint8Array): void {
  if (!condition) throw new Error(`${what} for input ${Buffer.from(input).toString('hex')}`);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0;
}

function encodeFrame(f: Frame): Uint8Array {
  const out = new Uint8Array(frameLength(f));
  const w = new Writer(out);
  writeFrame(w, f);
  if (w.position !== out.length) throw new Error(`frameLength mismatch for ${f.type}`);
  return out;
}

/** Random input: pure noise, or a mutation of one of `seeds`. */
function input(rng: Prng, seeds: readonly Uint8Array[], maxNoise = 64): Uint8Array {
  if (seeds.length === 0 || rng.chance(0.3)) return rng.bytes(rng.int(maxNoise));
  return rng.mutate(rng.pick(seeds));
}

describe('fuzz: frame parsers', () => {
  const encodedByType = new Map<number, Uint8Array[]>();
  for (const f of SAMPLE_FRAMES) {
    const bytes = encodeFrame(f);
    const list = encodedByType.get(bytes[0]!) ?? [];
    list.push(bytes.subarray(1));
    encodedByType.set(bytes[0]!, list);
  }

  it.each([...FRAME_PARSERS.keys()].map((t) => [`0x${t.toString(16).padStart(2, '0')}`, t] as const))(
    'parser %s',
    (_name, frameType) => {
      const parse = FRAME_PARSERS.get(frameType)!;
      const rng = new Prng(0x1000 + frameType);
      const seeds = encodedByType.get(frameType) ?? [];
      let parsed = 0;
      for (let i = 0; i < ITERATIONS; i++) {
        const body = input(rng, seeds);
        const r = new Reader(body);
        const frame = onlyQuicErrors(() => parse(r, frameType), body);
        check(r.position <= body.length, 'reader past its end', body);
        if (frame === undefined) continue;
        parsed++;
        // Whatever parses must write back, and its encoding must be a fixed point of parse + write.
        const again = encodeFrame(frame);
        const r2 = new Reader(again);
        const t2 = readFrameType(r2);
        const reparsed = FRAME_PARSERS.get(t2)!(r2, t2);
        check(r2.remaining === 0, 'frame re-parse left bytes', body);
        check(reparsed.type === frame.type && sameBytes(encodeFrame(reparsed), again), 'round trip differs', body);
      }
      expect(parsed).toBeGreaterThan(0);
    },
  );

  it('parseFrames over whole payloads', () => {
    const rng = new Prng(42);
    const seeds = [concat(...SAMPLE_FRAMES.filter((f) => f.type !== 'padding').slice(0, 12).map(encodeFrame))];
    const types = ['initial', 'handshake', '0RTT', '1RTT'] as const;
    for (let i = 0; i < ITERATIONS; i++) {
      const payload = input(rng, seeds, 200);
      onlyQuicErrors(() => parseFrames(payload, rng.pick(types)), payload);
    }
  });
});

describe('fuzz: packet headers', () => {
  function datagramSeeds(): Uint8Array[] {
    const buf = new Uint8Array(300);
    const w = new Writer(buf);
    const o = newHeaderOffsets();
    const dcid = hex('0102030405060708');
    writeLongHeader(w, { type: 'initial', version: QUIC_VERSION_1, dcid, scid: hex('0a0b'), token: hex('77'), packetNumber: 1, pnLength: 2 }, o);
    w.zeros(30);
    patchLongHeaderLength(w, o, w.position);
    writeLongHeader(w, { type: 'handshake', version: QUIC_VERSION_1, dcid, scid: hex('0a0b'), packetNumber: 2, pnLength: 1 }, o);
    w.zeros(20);
    patchLongHeaderLength(w, o, w.position);
    writeShortHeader(w, { dcid, packetNumber: 3, pnLength: 3 }, o);
    w.zeros(25);
    return [
      buf.slice(0, w.position),
      buildVersionNegotiation({ dcid, scid: hex('0a0b'), supportedVersions: [1, 2] }),
      concat(buildRetryWithoutTag({ version: 1, dcid, scid: hex('0a0b'), token: hex('aabbcc') }), new Uint8Array(16)),
    ];
  }

  it('parsePacketHeader and splitCoalescedPackets', () => {
    const rng = new Prng(0x2000);
    const seeds = datagramSeeds();
    for (let i = 0; i < ITERATIONS; i++) {
      const datagram = input(rng, seeds, 120);
      const offset = datagram.length > 0 ? rng.int(Math.min(datagram.length, 4)) : 0;
      const h = onlyQuicErrors(() => parsePacketHeader(datagram, offset, 8), datagram);
      if (h !== undefined) {
        check(h.packetStart === offset, 'packetStart', datagram);
        check(h.payloadEnd > offset && h.payloadEnd <= datagram.length, 'payloadEnd out of bounds', datagram);
        if ('pnOffset' in h) check(h.pnOffset < h.payloadEnd, 'pnOffset past the packet', datagram);
      }
      const split = onlyQuicErrors(() => splitCoalescedPackets(datagram, 8), datagram);
      check(split !== undefined, 'splitCoalescedPackets threw', datagram);
      let prev = 0;
      for (const p of split!.packets) {
        check(p.packetStart === prev && p.payloadEnd > prev, 'packets not contiguous', datagram);
        prev = p.payloadEnd;
      }
    }
  });

  it('parseInvariantHeader, parseVersionNegotiation, parseRetry', () => {
    const rng = new Prng(0x3000);
    const seeds = datagramSeeds();
    for (let i = 0; i < ITERATIONS; i++) {
      const datagram = input(rng, seeds, 80);
      const inv = onlyQuicErrors(() => parseInvariantHeader(datagram, 0, rng.int(21)), datagram);
      if (inv !== undefined) check(inv.headerEnd <= datagram.length, 'headerEnd past the datagram', datagram);
      const vn = onlyQuicErrors(() => parseVersionNegotiation(datagram), datagram);
      if (vn !== undefined) {
        check(sameBytes(buildVersionNegotiation({ ...vn, unusedBits: vn.firstByte }), datagram), 'VN round trip', datagram);
      }
      const retry = onlyQuicErrors(() => parseRetry(datagram), datagram);
      if (retry !== undefined) {
        check(retry.packetWithoutTag.length + 16 === datagram.length, 'Retry tag split', datagram);
        check(retry.token.length > 0, 'empty Retry token accepted', datagram);
      }
    }
  });
});

describe('fuzz: transport parameters and varints', () => {
  it('decodeTransportParameters', () => {
    const rng = new Prng(0x4000);
    const seeds = [
      encodeTransportParameters({
        ...defaultTransportParameters(),
        originalDestinationConnectionId: hex('0102'),
        maxIdleTimeout: 30000,
        statelessResetToken: new Uint8Array(16).fill(3),
        maxUdpPayloadSize: 1500,
        initialMaxData: 1 << 20,
        initialMaxStreamsBidi: 100,
        ackDelayExponent: 10,
        maxAckDelay: 100,
        disableActiveMigration: true,
        preferredAddress: {
          ipv4Address: new Uint8Array(4), ipv4Port: 1, ipv6Address: new Uint8Array(16), ipv6Port: 2,
          connectionId: hex('0909'), statelessResetToken: new Uint8Array(16),
        },
        activeConnectionIdLimit: 4,
        initialSourceConnectionId: hex('0a'),
        versionInformation: { chosenVersion: 1, availableVersions: [1] },
        maxDatagramFrameSize: 1200,
        unknown: new Map([[27, hex('00')]]),
      }, 'server'),
      hex('0408ffffffffffffffff05048000ffff07048000ffff0801100104800075300901100f088394c8f03e51570806048000ffff'),
    ];
    let decoded = 0;
    for (let i = 0; i < ITERATIONS; i++) {
      const bytes = input(rng, seeds, 100);
      const sender = rng.chance(0.5) ? 'server' : 'client';
      const p = onlyQuicErrors(() => decodeTransportParameters(bytes, sender), bytes);
      if (p === undefined) continue;
      decoded++;
      // Whatever decodes must encode, and its encoding must be a fixed point of decode + encode.
      const again = encodeTransportParameters(p, sender);
      check(sameBytes(encodeTransportParameters(decodeTransportParameters(again, sender), sender), again), 'round trip differs', bytes);
    }
    expect(decoded).toBeGreaterThan(0);
  });

  it('varint decoders', () => {
    const rng = new Prng(0x5000);
    for (let i = 0; i < ITERATIONS; i++) {
      const bytes = rng.bytes(rng.int(10));
      const off = rng.int(3);
      const n = onlyQuicErrors(() => decodeVarint(bytes, off), bytes);
      const b = onlyQuicErrors(() => decodeVarintBig(bytes, off), bytes);
      if (n !== undefined) check(BigInt(n) === b, 'number and bigint decoders disagree', bytes);
    }
  });
});

describe('fuzz: in-place parsers agree with the allocating ones', () => {
  /** The error code, or the fields: what both parsers must agree on. */
  function outcome(body: () => Record<string, unknown>, input: Uint8Array): string {
    try {
      return JSON.stringify(body());
    } catch (e) {
      if (e instanceof QuicError) return `error ${e.code}`;
      throw new Error(`non-QuicError ${String(e)} for input ${Buffer.from(input).toString('hex')}`);
    }
  }

  it('ShortHeaderView against parsePacketHeader', () => {
    const rng = new Prng(0x2100);
    const view = new ShortHeaderView();
    const seeds = [concat(hex('41'), hex('0102030405060708'), new Uint8Array(20)), concat(hex('5f'), hex('0a0b0c0d'), new Uint8Array(3))];
    for (let i = 0; i < ITERATIONS; i++) {
      const datagram = input(rng, seeds, 40);
      // Short headers only (a long one is not the view's job), at a random offset.
      const offset = datagram.length > 0 ? rng.int(Math.min(datagram.length - 1, 3)) : 0;
      if (datagram.length > 0) datagram[offset]! &= 0x7f;
      const cid = rng.int(9);
      const fields = (h: { firstByte: number; dcid: Uint8Array; pnOffset: number; packetStart: number; payloadEnd: number }): Record<string, unknown> =>
        ({ f: h.firstByte, d: Buffer.from(h.dcid).toString('hex'), o: h.pnOffset, s: h.packetStart, e: h.payloadEnd });
      const a = outcome(() => fields(parsePacketHeader(datagram, offset, cid) as never), datagram);
      const b = outcome(() => fields(view.parse(datagram, offset, cid)), datagram);
      check(a === b, `ShortHeaderView ${b} where parsePacketHeader ${a}`, datagram);
    }
  });

  it('StreamFrameView against parseStreamFrame', () => {
    const rng = new Prng(0x2200);
    const view = new StreamFrameView();
    const seeds = SAMPLE_FRAMES.filter((f) => f.type === 'stream').map(encodeFrame);
    for (let i = 0; i < ITERATIONS; i++) {
      const bytes = input(rng, seeds, 40);
      if (bytes.length === 0) continue;
      bytes[0] = 0x08 | (bytes[0]! & 7); // a STREAM type byte
      const fields = (f: { streamId: number; offset: number; fin: boolean; explicitLength?: boolean; data: Uint8Array }, r: Reader): Record<string, unknown> =>
        ({ id: f.streamId, o: f.offset, fin: f.fin, len: f.explicitLength, d: Buffer.from(f.data).toString('hex'), end: r.position });
      const a = outcome(() => {
        const r = new Reader(bytes);
        return fields(parseStreamFrame(r, readFrameType(r)), r);
      }, bytes);
      const b = outcome(() => {
        const r = new Reader(bytes);
        return fields(view.parse(r, readFrameType(r)), r);
      }, bytes);
      check(a === b, `StreamFrameView ${b} where parseStreamFrame ${a}`, bytes);
    }
  });
});
