import { describe, expect, it } from 'vitest';
import {
  QlogEventName,
  connectionClosedEvent,
  connectionIdUpdatedEvent,
  connectionStartedEvent,
  connectionStateUpdatedEvent,
  ipv6Text,
  jsonSafe,
  keyDiscardedEvent,
  keyUpdatedEvent,
  metricsUpdatedEvent,
  packetDroppedEvent,
  packetHeader,
  packetLostEvent,
  packetReceivedEvent,
  packetSentEvent,
  parametersSetEvent,
  pluginEvent,
  transportErrorValue,
} from '../../../src/quic/qlog/index.js';
import { TransportErrorCode } from '../../../src/quic/wire/errors.js';
import { defaultTransportParameters, type TransportParameters } from '../../../src/quic/wire/transport-params.js';

const cid = (...b: number[]): Uint8Array => Uint8Array.from(b);

describe('connectivity events', () => {
  it('connection_started', () => {
    expect(connectionStartedEvent({
      srcIp: '192.0.2.1', srcPort: 4433, dstIp: '198.51.100.7', dstPort: 443, srcCid: cid(1, 2), dstCid: cid(0xff), ipVersion: 'v4',
    })).toEqual({
      name: 'connectivity:connection_started',
      data: {
        ip_version: 'v4', src_ip: '192.0.2.1', dst_ip: '198.51.100.7', protocol: 'QUIC',
        src_port: 4433, dst_port: 443, src_cid: '0102', dst_cid: 'ff',
      },
    });
    expect(connectionStartedEvent({}).data).toEqual({ protocol: 'QUIC' });
  });

  it('connection_state_updated', () => {
    expect(connectionStateUpdatedEvent(undefined, 'attempted')).toEqual({
      name: 'connectivity:connection_state_updated',
      data: { new: 'attempted' },
    });
    expect(connectionStateUpdatedEvent('handshake_complete', 'handshake_confirmed').data).toEqual({
      old: 'handshake_complete',
      new: 'handshake_confirmed',
    });
  });

  it('connection_id_updated', () => {
    expect(connectionIdUpdatedEvent('remote', cid(1), cid(2, 3))).toEqual({
      name: 'connectivity:connection_id_updated',
      data: { owner: 'remote', old: '01', new: '0203' },
    });
  });

  it('connection_closed', () => {
    expect(connectionClosedEvent({
      owner: 'local', transportCode: TransportErrorCode.FLOW_CONTROL_ERROR, reason: 'too much', trigger: 'error',
    })).toEqual({
      name: 'connectivity:connection_closed',
      data: { owner: 'local', connection_code: 'flow_control_error', reason: 'too much', trigger: 'error' },
    });
    expect(connectionClosedEvent({ owner: 'remote', applicationCode: 0x101, internalCode: 7 }).data).toEqual({
      owner: 'remote', application_code: 0x101, internal_code: 7,
    });
    expect(connectionClosedEvent({ trigger: 'idle_timeout' }).data).toEqual({ trigger: 'idle_timeout' });
  });
});

describe('transport events', () => {
  it('parameters_set with defaults', () => {
    const ev = parametersSetEvent('local', defaultTransportParameters());
    expect(ev.name).toBe('transport:parameters_set');
    expect(ev.data).toEqual({
      owner: 'local',
      disable_active_migration: false,
      max_idle_timeout: 0,
      max_udp_payload_size: 65527,
      ack_delay_exponent: 3,
      max_ack_delay: 25,
      active_connection_id_limit: 2,
      initial_max_data: 0,
      initial_max_stream_data_bidi_local: 0,
      initial_max_stream_data_bidi_remote: 0,
      initial_max_stream_data_uni: 0,
      initial_max_streams_bidi: 0,
      initial_max_streams_uni: 0,
    });
  });

  it('parameters_set with every field', () => {
    const tp: TransportParameters = {
      ...defaultTransportParameters(),
      originalDestinationConnectionId: cid(0xa, 0xb),
      initialSourceConnectionId: cid(0xc),
      retrySourceConnectionId: cid(0xd, 0xe),
      statelessResetToken: new Uint8Array(16).fill(0x11),
      maxIdleTimeout: 30_000,
      maxUdpPayloadSize: 1500,
      initialMaxData: 1 << 20,
      initialMaxStreamDataBidiLocal: 1000,
      initialMaxStreamDataBidiRemote: 2000,
      initialMaxStreamDataUni: 3000,
      initialMaxStreamsBidi: 100,
      initialMaxStreamsUni: 3,
      ackDelayExponent: 10,
      maxAckDelay: 40,
      disableActiveMigration: true,
      activeConnectionIdLimit: 8,
      preferredAddress: {
        ipv4Address: cid(192, 0, 2, 9),
        ipv4Port: 4433,
        ipv6Address: Uint8Array.from([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]),
        ipv6Port: 4434,
        connectionId: cid(5, 6, 7),
        statelessResetToken: new Uint8Array(16).fill(0x22),
      },
      maxDatagramFrameSize: 65535,
      versionInformation: { chosenVersion: 1, availableVersions: [1, 0x6b3343cf] },
      unknown: new Map<number | bigint, Uint8Array>([[0x1b, cid(1, 2)], [2n ** 62n - 1n, new Uint8Array(0)]]),
    };
    const ev = parametersSetEvent('remote', tp, { tlsCipher: 'AES_128_GCM_SHA256', aeadTagLength: 16, resumptionAllowed: false, earlyDataEnabled: false });
    expect(ev.data).toEqual({
      owner: 'remote',
      resumption_allowed: false,
      early_data_enabled: false,
      tls_cipher: 'AES_128_GCM_SHA256',
      aead_tag_length: 16,
      original_destination_connection_id: '0a0b',
      initial_source_connection_id: '0c',
      retry_source_connection_id: '0d0e',
      stateless_reset_token: '11'.repeat(16),
      disable_active_migration: true,
      max_idle_timeout: 30_000,
      max_udp_payload_size: 1500,
      ack_delay_exponent: 10,
      max_ack_delay: 40,
      active_connection_id_limit: 8,
      initial_max_data: 1 << 20,
      initial_max_stream_data_bidi_local: 1000,
      initial_max_stream_data_bidi_remote: 2000,
      initial_max_stream_data_uni: 3000,
      initial_max_streams_bidi: 100,
      initial_max_streams_uni: 3,
      preferred_address: {
        ip_v4: '192.0.2.9',
        ip_v6: '2001:db8::1',
        port_v4: 4433,
        port_v6: 4434,
        connection_id: '050607',
        stateless_reset_token: '22'.repeat(16),
      },
      max_datagram_frame_size: 65535,
      version_information: { chosen_version: '00000001', available_versions: ['00000001', '6b3343cf'] },
      unknown_parameters: [{ id: 0x1b, value: '0102' }, { id: '4611686018427387903', value: '' }],
    });
    expect(JSON.parse(JSON.stringify(ev.data))).toEqual(ev.data);
  });

  it('packet_sent and packet_received', () => {
    const header = packetHeader('1RTT', 42, { dcid: cid(1, 2, 3, 4) });
    const sent = packetSentEvent(header, [
      { type: 'ack', largestAcknowledged: 10, ackDelay: 100, ranges: [[5, 10]], ecn: null },
      { type: 'stream', streamId: 0, offset: 0, data: new Uint8Array(100), fin: true },
      { type: 'padding', length: 3 },
    ], 1252, { ackDelayExponent: 0, payloadLength: 1200, trigger: 'pto_probe', isCoalesced: true, datagramId: 9 });
    expect(sent).toEqual({
      name: 'transport:packet_sent',
      data: {
        header: { packet_type: '1RTT', packet_number: 42, dcil: 4, dcid: '01020304' },
        frames: [
          { frame_type: 'ack', ack_delay: 0.1, acked_ranges: [[5, 10]] },
          { frame_type: 'stream', stream_id: 0, offset: 0, length: 100, fin: true },
          { frame_type: 'padding', payload_length: 3 },
        ],
        is_coalesced: true,
        raw: { length: 1252, payload_length: 1200 },
        datagram_id: 9,
        trigger: 'pto_probe',
      },
    });
    const received = packetReceivedEvent(packetHeader('handshake', 0), [{ type: 'crypto', offset: 0, data: new Uint8Array(50) }], 90);
    expect(received).toEqual({
      name: 'transport:packet_received',
      data: {
        header: { packet_type: 'handshake', packet_number: 0 },
        frames: [{ frame_type: 'crypto', offset: 0, length: 50 }],
        raw: { length: 90 },
      },
    });
    expect(packetReceivedEvent(packetHeader('1RTT', 1), []).data).toEqual({ header: { packet_type: '1RTT', packet_number: 1 }, frames: [] });
  });

  it('packet_dropped', () => {
    expect(packetDroppedEvent({ header: packetHeader('initial', -1), length: 1200, trigger: 'key_unavailable' })).toEqual({
      name: 'transport:packet_dropped',
      data: { header: { packet_type: 'initial' }, raw: { length: 1200 }, trigger: 'key_unavailable' },
    });
    expect(packetDroppedEvent({ trigger: 'payload_decrypt_error', details: { n: 1n, b: cid(9) }, datagramId: 2 }).data).toEqual({
      datagram_id: 2,
      details: { n: 1, b: '09' },
      trigger: 'payload_decrypt_error',
    });
  });
});

describe('security events', () => {
  it('key_updated / key_discarded never carry key material', () => {
    expect(keyUpdatedEvent({ keyType: 'client_1rtt_secret', generation: 1, trigger: 'remote_update' })).toEqual({
      name: 'security:key_updated',
      data: { key_type: 'client_1rtt_secret', generation: 1, trigger: 'remote_update' },
    });
    expect(keyUpdatedEvent({ keyType: 'server_handshake_secret', trigger: 'tls' }).data).toEqual({
      key_type: 'server_handshake_secret',
      trigger: 'tls',
    });
    expect(keyDiscardedEvent({ keyType: 'client_initial_secret' })).toEqual({
      name: 'security:key_discarded',
      data: { key_type: 'client_initial_secret' },
    });
  });
});

describe('recovery events', () => {
  it('metrics_updated converts µs to ms and logs only what is given', () => {
    expect(metricsUpdatedEvent({
      minRttUs: 10_250, smoothedRttUs: 12_345.6, latestRttUs: 11_000, rttVarianceUs: 3_000.4,
      congestionWindow: 14720, bytesInFlight: 1200, ptoCount: 2,
    })).toEqual({
      name: 'recovery:metrics_updated',
      data: {
        min_rtt: 10.25, smoothed_rtt: 12.346, latest_rtt: 11, rtt_variance: 3,
        pto_count: 2, congestion_window: 14720, bytes_in_flight: 1200,
      },
    });
    expect(metricsUpdatedEvent({ bytesInFlight: 0 }).data).toEqual({ bytes_in_flight: 0 });
    expect(metricsUpdatedEvent({}).data).toEqual({});
    expect(metricsUpdatedEvent({ ssthresh: Infinity, packetsInFlight: 3, pacingRate: 1e6 }).data).toEqual({
      packets_in_flight: 3,
      pacing_rate: 1e6,
    });
  });

  it('packet_lost', () => {
    expect(packetLostEvent(packetHeader('1RTT', 7), 'time_threshold')).toEqual({
      name: 'recovery:packet_lost',
      data: { header: { packet_type: '1RTT', packet_number: 7 }, trigger: 'time_threshold' },
    });
    expect(packetLostEvent(packetHeader('initial', 0), 'pto_expired', [{ type: 'ping' }]).data).toEqual({
      header: { packet_type: 'initial', packet_number: 0 },
      frames: [{ frame_type: 'ping' }],
      trigger: 'pto_expired',
    });
  });
});

describe('plugin events', () => {
  it('names them in the pquic namespace', () => {
    expect(pluginEvent('plugin_inserted', { plugin: 'monitoring', protoops: 12 })).toEqual({
      name: 'pquic:plugin_inserted',
      data: { plugin: 'monitoring', protoops: 12 },
    });
    expect(pluginEvent('pquic:plugin_removed').name).toBe(QlogEventName.pluginRemoved);
    expect(pluginEvent('transport:packet_sent').name).toBe('pquic:transport:packet_sent');
    expect(pluginEvent('x').data).toEqual({});
  });

  it('sanitizes plugin data to plain JSON', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.me = cyclic;
    const ev = pluginEvent('message', {
      bytes: cid(0xca, 0xfe),
      view: new DataView(cid(1, 2, 3).buffer, 1, 2),
      small: 42n,
      big: 2n ** 70n,
      nan: NaN,
      fn: () => 1,
      undef: undefined,
      map: new Map<unknown, unknown>([[1, 'one'], ['k', cid(7)]]),
      list: [1, undefined, 'x'],
      cyclic,
    });
    expect(ev.data).toEqual({
      bytes: 'cafe',
      view: '0203',
      small: 42,
      big: '1180591620717411303424',
      nan: 'NaN',
      map: { 1: 'one', k: '07' },
      list: [1, null, 'x'],
      cyclic: { a: 1, me: '[...]' },
    });
    expect(JSON.parse(JSON.stringify(ev.data))).toEqual(ev.data);
  });

  it('jsonSafe bounds nesting', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 40; i++) deep = { d: deep };
    expect(JSON.stringify(jsonSafe(deep))).toContain('"[...]"');
  });
});

describe('formatters', () => {
  it('transport error values', () => {
    expect(transportErrorValue(0)).toBe('no_error');
    expect(transportErrorValue(TransportErrorCode.AEAD_LIMIT_REACHED)).toBe('aead_limit_reached');
    expect(transportErrorValue(0x100)).toBe('crypto_error_0x100');
    expect(transportErrorValue(0x1ff)).toBe('crypto_error_0x1ff');
    expect(transportErrorValue(0x200)).toBe(0x200);
  });

  it('IPv6 text (RFC 5952)', () => {
    const a = (...g: number[]): Uint8Array => Uint8Array.from(g.flatMap((v) => [v >> 8, v & 0xff]));
    expect(ipv6Text(a(0, 0, 0, 0, 0, 0, 0, 0))).toBe('::');
    expect(ipv6Text(a(0, 0, 0, 0, 0, 0, 0, 1))).toBe('::1');
    expect(ipv6Text(a(0x2001, 0xdb8, 0, 0, 1, 0, 0, 1))).toBe('2001:db8::1:0:0:1');
    expect(ipv6Text(a(0x2001, 0xdb8, 0, 1, 1, 1, 1, 1))).toBe('2001:db8:0:1:1:1:1:1');
    expect(ipv6Text(a(0xfe80, 0, 0, 0, 0xabcd, 0, 0, 0))).toBe('fe80::abcd:0:0:0');
    expect(ipv6Text(a(1, 0, 0, 0, 0, 0, 0, 0))).toBe('1::');
  });
});
