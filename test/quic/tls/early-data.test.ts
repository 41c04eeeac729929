/** earlyDataParamsCompatible: RFC 9000 §7.4.1's rule for accepting 0-RTT under remembered parameters. */
import { describe, expect, it } from 'vitest';
import { earlyDataParamsCompatible } from '../../../src/quic/tls/early-data.js';
import { defaultTransportParameters, encodeTransportParameters, type TransportParameters } from '../../../src/quic/wire/transport-params.js';

function params(change: Partial<TransportParameters>): Uint8Array {
  const p = defaultTransportParameters();
  Object.assign(p, { initialMaxData: 1 << 20, initialMaxStreamDataBidiRemote: 1 << 16, initialMaxStreamsBidi: 100, activeConnectionIdLimit: 4 }, change);
  return encodeTransportParameters(p, 'server');
}

describe('earlyDataParamsCompatible', () => {
  const base = params({});

  it('accepts equal and raised limits, and changes to values 0-RTT does not depend on', () => {
    expect(earlyDataParamsCompatible(base, base)).toBe(true);
    expect(earlyDataParamsCompatible(base, params({ initialMaxData: 2 << 20, initialMaxStreamsBidi: 200 }))).toBe(true);
    expect(earlyDataParamsCompatible(base, params({ maxIdleTimeout: 5_000, maxAckDelay: 10 }))).toBe(true);
  });

  it.each([
    ['initial_max_data', { initialMaxData: 1 << 19 }],
    ['initial_max_stream_data_bidi_remote', { initialMaxStreamDataBidiRemote: 1 << 10 }],
    ['initial_max_streams_bidi', { initialMaxStreamsBidi: 10 }],
    ['active_connection_id_limit', { activeConnectionIdLimit: 2 }],
  ] as const)('refuses a lower %s', (_name, change) => {
    expect(earlyDataParamsCompatible(base, params(change))).toBe(false);
  });

  it('refuses dropping or shrinking DATAGRAM support (RFC 9221 §3)', () => {
    const withDatagrams = params({ maxDatagramFrameSize: 1200 });
    expect(earlyDataParamsCompatible(withDatagrams, base)).toBe(false);
    expect(earlyDataParamsCompatible(withDatagrams, params({ maxDatagramFrameSize: 500 }))).toBe(false);
    expect(earlyDataParamsCompatible(withDatagrams, params({ maxDatagramFrameSize: 1500 }))).toBe(true);
  });

  it('refuses (without throwing) parameters that do not parse', () => {
    expect(earlyDataParamsCompatible(Uint8Array.of(0x04, 0x08, 0xff), base)).toBe(false);
    expect(earlyDataParamsCompatible(base, Uint8Array.of(0x01))).toBe(false);
  });
});
