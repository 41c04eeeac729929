/**
 * Valid wire inputs the QUIC fuzz targets mutate: encoded sample frames by type, datagrams
 * (coalesced long + short headers, Version Negotiation, Retry) and transport parameters of
 * both senders. Built once per process from the writers, so they track the encoders.
 */
import { Writer } from '../../../src/quic/wire/buffer.js';
import { concatBytes } from '../../../src/quic/wire/bytes.js';
import { type Frame, frameLength, writeFrame } from '../../../src/quic/wire/frames/index.js';
import {
  QUIC_VERSION_1,
  buildRetryWithoutTag,
  buildVersionNegotiation,
  newHeaderOffsets,
  patchLongHeaderLength,
  writeLongHeader,
  writeShortHeader,
} from '../../../src/quic/wire/header.js';
import { defaultTransportParameters, encodeTransportParameters } from '../../../src/quic/wire/transport-params.js';
import { SAMPLE_FRAMES } from '../wire/frame-samples.js';

export function encodeFrame(f: Frame): Uint8Array {
  const out = new Uint8Array(frameLength(f));
  writeFrame(new Writer(out), f);
  return out;
}

let byType: Map<number, Uint8Array[]> | undefined;
/** Encoded SAMPLE_FRAMES (type byte included) by frame type. */
export function framesByType(): Map<number, Uint8Array[]> {
  if (byType) return byType;
  byType = new Map();
  for (const f of SAMPLE_FRAMES) {
    const bytes = encodeFrame(f);
    const list = byType.get(bytes[0]!) ?? [];
    list.push(bytes);
    byType.set(bytes[0]!, list);
  }
  return byType;
}

let payloads: Uint8Array[] | undefined;
/** Whole packet payloads: runs of sample frames (no padding, which would swallow the rest). */
export function samplePayloads(): Uint8Array[] {
  if (payloads) return payloads;
  const frames = SAMPLE_FRAMES.filter((f) => f.type !== 'padding').map(encodeFrame);
  payloads = [];
  for (let i = 0; i < frames.length; i += 6) payloads.push(concatBytes(...frames.slice(i, i + 6)));
  return payloads;
}

/** The connection ID length short headers in `sampleDatagrams` use. */
export const SAMPLE_CID_LENGTH = 8;

let datagrams: Uint8Array[] | undefined;
export function sampleDatagrams(): Uint8Array[] {
  if (datagrams) return datagrams;
  const dcid = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
  const scid = Uint8Array.of(0x0a, 0x0b, 0x0c);
  const buf = new Uint8Array(400);
  const w = new Writer(buf);
  const o = newHeaderOffsets();
  // RFC 9000 §12.2: Initial, then Handshake, then a 1-RTT packet, coalesced in one datagram.
  writeLongHeader(w, { type: 'initial', version: QUIC_VERSION_1, dcid, scid, token: Uint8Array.of(0x77, 0x78), packetNumber: 7, pnLength: 2 }, o);
  w.zeros(40);
  patchLongHeaderLength(w, o, w.position);
  const firstEnd = w.position;
  writeLongHeader(w, { type: 'handshake', version: QUIC_VERSION_1, dcid, scid, packetNumber: 300, pnLength: 2 }, o);
  w.zeros(24);
  patchLongHeaderLength(w, o, w.position);
  writeLongHeader(w, { type: '0RTT', version: QUIC_VERSION_1, dcid, scid, packetNumber: 1, pnLength: 1 }, o);
  w.zeros(20);
  patchLongHeaderLength(w, o, w.position);
  writeShortHeader(w, { dcid, packetNumber: 0x123456, pnLength: 4 }, o);
  w.zeros(30);
  const coalesced = buf.slice(0, w.position);
  const short = new Uint8Array(30);
  writeShortHeader(new Writer(short), { dcid, packetNumber: 9, pnLength: 1 });
  datagrams = [
    coalesced,
    coalesced.slice(0, firstEnd),
    short,
    buildVersionNegotiation({ dcid, scid, supportedVersions: [QUIC_VERSION_1, 0x6b3343cf, 0x1a2a3a4a] }),
    concatBytes(buildRetryWithoutTag({ version: QUIC_VERSION_1, dcid: scid, scid: dcid, token: Uint8Array.of(9, 8, 7, 6) }), new Uint8Array(16).fill(0xee)),
  ];
  return datagrams;
}

let params: Uint8Array[] | undefined;
/** Encoded transport parameters: a server's with every field set, a client's, the defaults. */
export function sampleTransportParameters(): { bytes: Uint8Array; sender: 'client' | 'server' }[] {
  params ??= [
    encodeTransportParameters({
      ...defaultTransportParameters(),
      originalDestinationConnectionId: Uint8Array.of(1, 2, 3, 4),
      retrySourceConnectionId: Uint8Array.of(5, 6),
      initialSourceConnectionId: Uint8Array.of(7),
      maxIdleTimeout: 60_000,
      statelessResetToken: new Uint8Array(16).fill(0x5a),
      maxUdpPayloadSize: 1452,
      initialMaxData: 1 << 24,
      initialMaxStreamDataBidiLocal: 1 << 20,
      initialMaxStreamDataBidiRemote: 1 << 20,
      initialMaxStreamDataUni: 1 << 18,
      initialMaxStreamsBidi: 128,
      initialMaxStreamsUni: 3,
      ackDelayExponent: 20,
      maxAckDelay: 16383,
      disableActiveMigration: true,
      preferredAddress: {
        ipv4Address: Uint8Array.of(192, 0, 2, 1), ipv4Port: 443, ipv6Address: new Uint8Array(16).fill(0x20), ipv6Port: 4433,
        connectionId: Uint8Array.of(0xc1, 0xc2, 0xc3, 0xc4), statelessResetToken: new Uint8Array(16).fill(0x33),
      },
      activeConnectionIdLimit: 8,
      versionInformation: { chosenVersion: QUIC_VERSION_1, availableVersions: [QUIC_VERSION_1, 0x6b3343cf] },
      maxDatagramFrameSize: 65535,
      unknown: new Map([[0x1b, Uint8Array.of(0)], [0x2a, new Uint8Array(0)]]),
    }, 'server'),
    encodeTransportParameters({ ...defaultTransportParameters(), initialSourceConnectionId: Uint8Array.of(9, 9), initialMaxData: 1000, initialMaxStreamsBidi: 4 }, 'client'),
    encodeTransportParameters(defaultTransportParameters(), 'client'),
  ];
  return [
    { bytes: params[0]!, sender: 'server' },
    { bytes: params[1]!, sender: 'client' },
    { bytes: params[2]!, sender: 'client' },
  ];
}
