import { describe, expect, it } from 'vitest';
import { TransportErrorCode } from '../../../src/quic/wire/errors.js';
import {
  type TransportParameters,
  TransportParameterId as ID,
  decodeTransportParameters,
  defaultTransportParameters,
  encodeTransportParameters,
  greaseTransportParameterId,
  isGreaseTransportParameterId,
  transportParametersLength,
} from '../../../src/quic/wire/transport-params.js';
import { encodeVarint, encodeVarintBig } from '../../../src/quic/wire/varint.js';
import { concat, expectQuicError, hex, toHex } from './helpers.js';

const TPE = TransportErrorCode.TRANSPORT_PARAMETER_ERROR;
const INTERNAL = TransportErrorCode.INTERNAL_ERROR;
const MAX = Number.MAX_SAFE_INTEGER;

// RFC 9001 Appendix A.2: the quic_transport_parameters extension data of the client Initial.
const RFC_CLIENT_PARAMS = '0408ffffffffffffffff05048000ffff07048000ffff0801100104800075300901100f088394c8f03e51570806048000ffff';

/** One parameter: id varint, length varint, value. */
function tp(id: number | bigint, value: Uint8Array): Uint8Array {
  const head = new Uint8Array(16);
  let n = typeof id === 'bigint' ? encodeVarintBig(id, head, 0) : encodeVarint(id, head, 0);
  n = encodeVarint(value.length, head, n);
  return concat(head.subarray(0, n), value);
}

function vi(v: number): Uint8Array {
  const out = new Uint8Array(8);
  return out.slice(0, encodeVarint(v, out, 0));
}

function fullServerParams(): TransportParameters {
  return {
    ...defaultTransportParameters(),
    originalDestinationConnectionId: hex('8394c8f03e515708'),
    maxIdleTimeout: 30000,
    statelessResetToken: hex('00112233445566778899aabbccddeeff'),
    maxUdpPayloadSize: 1472,
    initialMaxData: MAX,
    initialMaxStreamDataBidiLocal: 1 << 20,
    initialMaxStreamDataBidiRemote: 1 << 21,
    initialMaxStreamDataUni: 63,
    initialMaxStreamsBidi: MAX,
    initialMaxStreamsUni: 3,
    ackDelayExponent: 20,
    maxAckDelay: 16383,
    disableActiveMigration: true,
    preferredAddress: {
      ipv4Address: hex('c0000201'), ipv4Port: 443,
      ipv6Address: hex('20010db8000000000000000000000001'), ipv6Port: 4433,
      connectionId: hex('0102030405060708090a0b0c0d0e0f1011121314'),
      statelessResetToken: hex('ffeeddccbbaa99887766554433221100'),
    },
    activeConnectionIdLimit: 8,
    initialSourceConnectionId: hex('f067a5502a4262b5'),
    retrySourceConnectionId: new Uint8Array(0),
    maxDatagramFrameSize: 65535,
    versionInformation: { chosenVersion: 1, availableVersions: [1, 0x6b3343cf] },
    unknown: new Map<number | bigint, Uint8Array>([
      [27, hex('de')],
      [0xff73db, new Uint8Array(0)],
      [2n ** 62n - 1n, hex('0102')],
    ]),
  };
}

describe('transport parameters (RFC 9000 §18)', () => {
  it('decodes the RFC 9001 A.2 client parameters', () => {
    const p = decodeTransportParameters(hex(RFC_CLIENT_PARAMS), 'client');
    expect(p.initialMaxData).toBe(MAX); // 2^62 - 1, saturated
    expect(p.initialMaxStreamDataBidiLocal).toBe(0xffff);
    expect(p.initialMaxStreamDataBidiRemote).toBe(0xffff);
    expect(p.initialMaxStreamDataUni).toBe(0xffff);
    expect(p.initialMaxStreamsBidi).toBe(16);
    expect(p.initialMaxStreamsUni).toBe(16);
    expect(p.maxIdleTimeout).toBe(30000);
    expect(toHex(p.initialSourceConnectionId!)).toBe('8394c8f03e515708');
    expect(p.maxUdpPayloadSize).toBe(65527);
    expect(p.ackDelayExponent).toBe(3);
    expect(p.maxAckDelay).toBe(25);
    expect(p.activeConnectionIdLimit).toBe(2);
    expect(p.unknown.size).toBe(0);
  });

  it('applies the RFC defaults to an empty extension', () => {
    expect(decodeTransportParameters(new Uint8Array(0), 'server')).toEqual(defaultTransportParameters());
    expect(encodeTransportParameters(defaultTransportParameters(), 'client').length).toBe(0);
  });

  it('round-trips every parameter, unknown and GREASE ones included', () => {
    const p = fullServerParams();
    const bytes = encodeTransportParameters(p, 'server');
    expect(bytes.length).toBe(transportParametersLength(p, 'server'));
    const back = decodeTransportParameters(bytes, 'server');
    expect(back).toEqual(p);
    expect([...back.unknown.keys()]).toEqual([27, 0xff73db, 2n ** 62n - 1n]);
  });

  it('encodes a stream limit of 2^60 exactly; decoding saturates it', () => {
    const bytes = encodeTransportParameters({ ...defaultTransportParameters(), initialMaxStreamsUni: 2 ** 60 }, 'client');
    expect(toHex(bytes)).toBe('0908d000000000000000');
    expect(decodeTransportParameters(bytes, 'client').initialMaxStreamsUni).toBe(MAX);
  });

  it('returns copies, independent of the input', () => {
    const bytes = encodeTransportParameters({ ...defaultTransportParameters(), initialSourceConnectionId: hex('aabb') }, 'client');
    const p = decodeTransportParameters(bytes, 'client');
    bytes.fill(0);
    expect(toHex(p.initialSourceConnectionId!)).toBe('aabb');
  });

  it('identifies GREASE ids (31 * N + 27)', () => {
    expect(isGreaseTransportParameterId(27)).toBe(true);
    expect(isGreaseTransportParameterId(58)).toBe(true);
    expect(isGreaseTransportParameterId(0x20)).toBe(false);
    expect(greaseTransportParameterId(1000)).toBe(31027);
    expect(isGreaseTransportParameterId(31n * 2n ** 56n + 27n)).toBe(true);
    expect(typeof greaseTransportParameterId(2 ** 57)).toBe('bigint');
    const p = decodeTransportParameters(concat(tp(31027, hex('0000')), tp(58, new Uint8Array(0))), 'client');
    expect(p.unknown.get(31027)).toEqual(hex('0000'));
    expect(p.unknown.has(58)).toBe(true);
  });

  it('rejects duplicates, known and unknown', () => {
    expectQuicError(() => decodeTransportParameters(concat(tp(ID.MAX_IDLE_TIMEOUT, vi(1)), tp(ID.MAX_IDLE_TIMEOUT, vi(1))), 'client'), TPE);
    expectQuicError(() => decodeTransportParameters(concat(tp(0x1234, hex('')), tp(0x1234, hex('01'))), 'client'), TPE);
    expectQuicError(() => decodeTransportParameters(concat(tp(2n ** 60n, hex('')), tp(2n ** 60n, hex(''))), 'client'), TPE);
    expectQuicError(() => decodeTransportParameters(concat(tp(ID.DISABLE_ACTIVE_MIGRATION, hex('')), tp(ID.DISABLE_ACTIVE_MIGRATION, hex(''))), 'server'), TPE);
  });

  it('rejects server-only parameters from a client, accepts them from a server', () => {
    const serverOnly: [number, Uint8Array][] = [
      [ID.ORIGINAL_DESTINATION_CONNECTION_ID, hex('0102')],
      [ID.STATELESS_RESET_TOKEN, new Uint8Array(16)],
      [ID.PREFERRED_ADDRESS, concat(new Uint8Array(24), hex('01 aa'), new Uint8Array(16))],
      [ID.RETRY_SOURCE_CONNECTION_ID, hex('0102')],
    ];
    for (const [id, value] of serverOnly) {
      const err = expectQuicError(() => decodeTransportParameters(tp(id, value), 'client'), TPE);
      expect(err.reason).toContain('server-only');
      decodeTransportParameters(tp(id, value), 'server');
    }
  });

  it('refuses to encode server-only parameters for a client', () => {
    const p = fullServerParams();
    expectQuicError(() => encodeTransportParameters(p, 'client'), INTERNAL);
    expectQuicError(() => encodeTransportParameters({ ...defaultTransportParameters(), statelessResetToken: new Uint8Array(16) }, 'client'), INTERNAL);
  });

  it('checks value ranges (§18.2)', () => {
    const bad: [number, Uint8Array][] = [
      [ID.MAX_UDP_PAYLOAD_SIZE, vi(1199)],
      [ID.ACK_DELAY_EXPONENT, vi(21)],
      [ID.MAX_ACK_DELAY, vi(16384)],
      [ID.ACTIVE_CONNECTION_ID_LIMIT, vi(1)],
      [ID.ACTIVE_CONNECTION_ID_LIMIT, vi(0)],
      [ID.INITIAL_MAX_STREAMS_BIDI, hex('d000000000000001')],
      [ID.INITIAL_MAX_STREAMS_UNI, hex('ffffffffffffffff')],
      [ID.STATELESS_RESET_TOKEN, new Uint8Array(15)],
      [ID.STATELESS_RESET_TOKEN, new Uint8Array(17)],
      [ID.DISABLE_ACTIVE_MIGRATION, hex('00')],
      [ID.INITIAL_SOURCE_CONNECTION_ID, new Uint8Array(21)],
      [ID.ORIGINAL_DESTINATION_CONNECTION_ID, new Uint8Array(21)],
      [ID.RETRY_SOURCE_CONNECTION_ID, new Uint8Array(21)],
    ];
    for (const [id, value] of bad) expectQuicError(() => decodeTransportParameters(tp(id, value), 'server'), TPE);
    const ok = decodeTransportParameters(concat(
      tp(ID.MAX_UDP_PAYLOAD_SIZE, vi(1200)), tp(ID.ACK_DELAY_EXPONENT, vi(20)), tp(ID.MAX_ACK_DELAY, vi(16383)),
      tp(ID.INITIAL_MAX_STREAMS_BIDI, hex('d000000000000000')), tp(ID.ACTIVE_CONNECTION_ID_LIMIT, vi(2)),
      tp(ID.MAX_IDLE_TIMEOUT, hex('ffffffffffffffff')),
    ), 'server');
    expect(ok).toMatchObject({ maxUdpPayloadSize: 1200, ackDelayExponent: 20, maxAckDelay: 16383, initialMaxStreamsBidi: MAX, maxIdleTimeout: MAX });
  });

  it('requires an integer parameter to be exactly one varint', () => {
    expectQuicError(() => decodeTransportParameters(tp(ID.MAX_IDLE_TIMEOUT, hex('0101')), 'client'), TPE);
    expectQuicError(() => decodeTransportParameters(tp(ID.MAX_IDLE_TIMEOUT, hex('')), 'client'), TPE);
    expectQuicError(() => decodeTransportParameters(tp(ID.INITIAL_MAX_DATA, hex('4001 00')), 'client'), TPE);
    expectQuicError(() => decodeTransportParameters(tp(ID.MAX_DATAGRAM_FRAME_SIZE, hex('80')), 'client'), TPE);
    expect(decodeTransportParameters(tp(ID.INITIAL_MAX_DATA, hex('80000001')), 'client').initialMaxData).toBe(1);
  });

  it('checks preferred_address layout and its connection ID length', () => {
    const addr = (cidLen: number, extra = 0): Uint8Array =>
      concat(new Uint8Array(24), Uint8Array.of(cidLen), new Uint8Array(cidLen).fill(7), new Uint8Array(16 + extra));
    expect(decodeTransportParameters(tp(ID.PREFERRED_ADDRESS, addr(20)), 'server').preferredAddress?.connectionId.length).toBe(20);
    expectQuicError(() => decodeTransportParameters(tp(ID.PREFERRED_ADDRESS, addr(0)), 'server'), TPE);
    expectQuicError(() => decodeTransportParameters(tp(ID.PREFERRED_ADDRESS, addr(21)), 'server'), TPE);
    expectQuicError(() => decodeTransportParameters(tp(ID.PREFERRED_ADDRESS, addr(4, 1)), 'server'), TPE);
    const full = addr(4);
    for (let n = 0; n < full.length; n++) {
      expectQuicError(() => decodeTransportParameters(tp(ID.PREFERRED_ADDRESS, full.subarray(0, n)), 'server'), TPE);
    }
  });

  it('checks version_information (RFC 9368 §4)', () => {
    const v = (hexs: string): Uint8Array => tp(ID.VERSION_INFORMATION, hex(hexs));
    expect(decodeTransportParameters(v('00000001 00000001 6b3343cf'), 'client').versionInformation)
      .toEqual({ chosenVersion: 1, availableVersions: [1, 0x6b3343cf] });
    expect(decodeTransportParameters(v('00000001'), 'server').versionInformation)
      .toEqual({ chosenVersion: 1, availableVersions: [] });
    expectQuicError(() => decodeTransportParameters(v('000001'), 'server'), TPE);
    expectQuicError(() => decodeTransportParameters(v('00000001 0000'), 'server'), TPE);
    expectQuicError(() => decodeTransportParameters(v('00000000'), 'server'), TPE);
    expectQuicError(() => decodeTransportParameters(v('00000001 00000000'), 'server'), TPE);
    // A server treats a Chosen Version missing from Available Versions as a parsing failure.
    expectQuicError(() => decodeTransportParameters(v('00000001 6b3343cf'), 'client'), TPE);
  });

  it('every truncation inside a parameter is a TRANSPORT_PARAMETER_ERROR', () => {
    const p = fullServerParams();
    const bytes = encodeTransportParameters(p, 'server');
    // Parameter boundaries: truncating exactly there leaves a valid, shorter list.
    const boundaries = new Set<number>([0]);
    let total = 0;
    const r = bytes;
    for (let pos = 0; pos < r.length;) {
      const idLen = 1 << (r[pos]! >> 6);
      const lenAt = pos + idLen;
      const lenLen = 1 << (r[lenAt]! >> 6);
      let len = r[lenAt]! & 0x3f;
      for (let i = 1; i < lenLen; i++) len = len * 256 + r[lenAt + i]!;
      pos = lenAt + lenLen + len;
      boundaries.add(pos);
      total++;
    }
    expect(total).toBeGreaterThan(15);
    for (let n = 0; n < bytes.length; n++) {
      if (boundaries.has(n)) decodeTransportParameters(bytes.subarray(0, n), 'server');
      else expectQuicError(() => decodeTransportParameters(bytes.subarray(0, n), 'server'), TPE);
    }
  });

  it('refuses to encode values a peer would reject', () => {
    const base = defaultTransportParameters();
    for (const p of [
      { ...base, maxUdpPayloadSize: 1000 },
      { ...base, ackDelayExponent: 21 },
      { ...base, maxAckDelay: 16384 },
      { ...base, activeConnectionIdLimit: 1 },
      { ...base, initialMaxStreamsUni: 2 ** 61 },
      { ...base, initialSourceConnectionId: new Uint8Array(21) },
      { ...base, unknown: new Map([[ID.MAX_IDLE_TIMEOUT, hex('01')]]) },
    ]) {
      expectQuicError(() => encodeTransportParameters(p, 'server'), INTERNAL);
    }
  });
});
