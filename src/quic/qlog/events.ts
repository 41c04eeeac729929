/**
 * Builders for the events the connection logs, following draft-ietf-quic-qlog-quic-events-03:
 * each returns `{ name, data }` with the draft's event name (category:type) and field names;
 * `emit` hands one to a trace. They are pure and cheap, but callers still test `trace.enabled`
 * first so that a disabled trace costs no allocation at all:
 *
 *   if (qlog.enabled) emit(qlog, now, packetSentEvent(packetHeader('1RTT', pn, { dcid }), frames, size));
 *
 * Times and RTTs come in microseconds (the stack's unit) and are logged in milliseconds.
 * Field names beyond the draft (extensions the schema allows) are noted where used.
 */

import type { TransportParameters } from '../wire/transport-params.js';
import { hex, ipv4Text, ipv6Text, jsonSafe, transportErrorValue, usToMs, versionHex } from './format.js';
import { type QlogFrameInput, type QlogFrameOptions, type QlogFrameRecord, qlogFrames } from './frames.js';
import type { QlogTrace } from './writer.js';

/** An event ready for `QlogTrace.event`. */
export interface QlogEvent {
  readonly name: string;
  readonly data: Record<string, unknown>;
}

/** Event names: draft-ietf-quic-qlog-quic-events-03 categories, plus the `pquic` namespace. */
export const QlogEventName = {
  connectionStarted: 'connectivity:connection_started',
  connectionClosed: 'connectivity:connection_closed',
  connectionIdUpdated: 'connectivity:connection_id_updated',
  connectionStateUpdated: 'connectivity:connection_state_updated',
  parametersSet: 'transport:parameters_set',
  packetSent: 'transport:packet_sent',
  packetReceived: 'transport:packet_received',
  packetDropped: 'transport:packet_dropped',
  keyUpdated: 'security:key_updated',
  keyDiscarded: 'security:key_discarded',
  metricsUpdated: 'recovery:metrics_updated',
  packetLost: 'recovery:packet_lost',
  pluginInserted: 'pquic:plugin_inserted',
  pluginRemoved: 'pquic:plugin_removed',
} as const;

/** The namespace of plugin events. */
export const PQUIC_NAMESPACE = 'pquic';

/** Logs `ev` at `timeUs` (skipped when the trace is disabled). */
export function emit(trace: QlogTrace, timeUs: number, ev: QlogEvent): void {
  if (trace.enabled) trace.event(timeUs, ev.name, ev.data);
}

export type QlogOwner = 'local' | 'remote';

// ---------------------------------------------------------------- connectivity

export interface ConnectionStartedInfo {
  /** Text form ("192.0.2.1", "2001:db8::1") as the socket reports it. */
  srcIp?: string;
  dstIp?: string;
  srcPort?: number;
  dstPort?: number;
  srcCid?: Uint8Array;
  dstCid?: Uint8Array;
  ipVersion?: 'v4' | 'v6';
}

/** connectivity:connection_started. Fields the caller does not know are left out. */
export function connectionStartedEvent(info: ConnectionStartedInfo): QlogEvent {
  const data: Record<string, unknown> = {};
  if (info.ipVersion !== undefined) data.ip_version = info.ipVersion;
  if (info.srcIp !== undefined) data.src_ip = info.srcIp;
  if (info.dstIp !== undefined) data.dst_ip = info.dstIp;
  data.protocol = 'QUIC';
  if (info.srcPort !== undefined) data.src_port = info.srcPort;
  if (info.dstPort !== undefined) data.dst_port = info.dstPort;
  if (info.srcCid !== undefined) data.src_cid = hex(info.srcCid);
  if (info.dstCid !== undefined) data.dst_cid = hex(info.dstCid);
  return { name: QlogEventName.connectionStarted, data };
}

/** ConnectionState of connection_state_updated (the full set; the simple set is a subset). */
export type QlogConnectionState =
  | 'attempted'
  | 'peer_validated'
  | 'handshake_started'
  | 'early_write'
  | 'handshake_complete'
  | 'handshake_confirmed'
  | 'closing'
  | 'draining'
  | 'closed';

/** connectivity:connection_state_updated; `old` is left out when undefined. */
export function connectionStateUpdatedEvent(
  oldState: QlogConnectionState | undefined,
  newState: QlogConnectionState,
): QlogEvent {
  const data: Record<string, unknown> = oldState === undefined ? { new: newState } : { old: oldState, new: newState };
  return { name: QlogEventName.connectionStateUpdated, data };
}

/** connectivity:connection_id_updated, from the point of view of the endpoint using the CID. */
export function connectionIdUpdatedEvent(owner: QlogOwner, oldCid: Uint8Array | undefined, newCid: Uint8Array): QlogEvent {
  const data: Record<string, unknown> = { owner };
  if (oldCid !== undefined) data.old = hex(oldCid);
  data.new = hex(newCid);
  return { name: QlogEventName.connectionIdUpdated, data };
}

export type QlogCloseTrigger =
  | 'clean'
  | 'handshake_timeout'
  | 'idle_timeout'
  | 'error'
  | 'stateless_reset'
  | 'version_mismatch'
  | 'application';

export interface ConnectionClosedInfo {
  /** Which side closed. */
  owner?: QlogOwner;
  /** A transport error code (logged by name when it has one). */
  transportCode?: number;
  /** An application error code. */
  applicationCode?: number;
  /** An implementation-specific code. */
  internalCode?: number;
  reason?: string;
  trigger?: QlogCloseTrigger;
}

/** connectivity:connection_closed. */
export function connectionClosedEvent(info: ConnectionClosedInfo): QlogEvent {
  const data: Record<string, unknown> = {};
  if (info.owner !== undefined) data.owner = info.owner;
  if (info.transportCode !== undefined) data.connection_code = transportErrorValue(info.transportCode);
  if (info.applicationCode !== undefined) data.application_code = info.applicationCode;
  if (info.internalCode !== undefined) data.internal_code = info.internalCode;
  if (info.reason !== undefined) data.reason = info.reason;
  if (info.trigger !== undefined) data.trigger = info.trigger;
  return { name: QlogEventName.connectionClosed, data };
}

// ---------------------------------------------------------------- transport

export interface ParametersSetExtra {
  resumptionAllowed?: boolean;
  earlyDataEnabled?: boolean;
  /** e.g. "AES_128_GCM_SHA256". */
  tlsCipher?: string;
  aeadTagLength?: number;
}

/**
 * transport:parameters_set for one side's transport parameters (`local`: ours, `remote`: the
 * peer's). Beyond the draft's fields: `max_datagram_frame_size` (RFC 9221),
 * `version_information` (RFC 9368) and `unknown_parameters` `[{ id, value }]` (GREASE included).
 */
export function parametersSetEvent(owner: QlogOwner, tp: TransportParameters, extra?: ParametersSetExtra): QlogEvent {
  const data: Record<string, unknown> = { owner };
  if (extra !== undefined) {
    if (extra.resumptionAllowed !== undefined) data.resumption_allowed = extra.resumptionAllowed;
    if (extra.earlyDataEnabled !== undefined) data.early_data_enabled = extra.earlyDataEnabled;
    if (extra.tlsCipher !== undefined) data.tls_cipher = extra.tlsCipher;
    if (extra.aeadTagLength !== undefined) data.aead_tag_length = extra.aeadTagLength;
  }
  if (tp.originalDestinationConnectionId !== undefined) {
    data.original_destination_connection_id = hex(tp.originalDestinationConnectionId);
  }
  if (tp.initialSourceConnectionId !== undefined) data.initial_source_connection_id = hex(tp.initialSourceConnectionId);
  if (tp.retrySourceConnectionId !== undefined) data.retry_source_connection_id = hex(tp.retrySourceConnectionId);
  if (tp.statelessResetToken !== undefined) data.stateless_reset_token = hex(tp.statelessResetToken);
  data.disable_active_migration = tp.disableActiveMigration;
  data.max_idle_timeout = tp.maxIdleTimeout;
  data.max_udp_payload_size = tp.maxUdpPayloadSize;
  data.ack_delay_exponent = tp.ackDelayExponent;
  data.max_ack_delay = tp.maxAckDelay;
  data.active_connection_id_limit = tp.activeConnectionIdLimit;
  data.initial_max_data = tp.initialMaxData;
  data.initial_max_stream_data_bidi_local = tp.initialMaxStreamDataBidiLocal;
  data.initial_max_stream_data_bidi_remote = tp.initialMaxStreamDataBidiRemote;
  data.initial_max_stream_data_uni = tp.initialMaxStreamDataUni;
  data.initial_max_streams_bidi = tp.initialMaxStreamsBidi;
  data.initial_max_streams_uni = tp.initialMaxStreamsUni;
  if (tp.preferredAddress !== undefined) {
    const pa = tp.preferredAddress;
    data.preferred_address = {
      ip_v4: ipv4Text(pa.ipv4Address),
      ip_v6: ipv6Text(pa.ipv6Address),
      port_v4: pa.ipv4Port,
      port_v6: pa.ipv6Port,
      connection_id: hex(pa.connectionId),
      stateless_reset_token: hex(pa.statelessResetToken),
    };
  }
  if (tp.maxDatagramFrameSize !== undefined) data.max_datagram_frame_size = tp.maxDatagramFrameSize;
  if (tp.versionInformation !== undefined) {
    data.version_information = {
      chosen_version: versionHex(tp.versionInformation.chosenVersion),
      available_versions: tp.versionInformation.availableVersions.map(versionHex),
    };
  }
  if (tp.unknown.size > 0) {
    const unknown: Record<string, unknown>[] = [];
    for (const [id, value] of tp.unknown) {
      unknown.push({ id: typeof id === 'bigint' ? id.toString() : id, value: hex(value) });
    }
    data.unknown_parameters = unknown;
  }
  return { name: QlogEventName.parametersSet, data };
}

export interface PacketEventOptions extends QlogFrameOptions {
  /** Bytes of the QUIC packet on the wire (header, payload and AEAD tag): `raw.length`. */
  length?: number;
  /** Bytes of the payload (frames) only: `raw.payload_length`. */
  payloadLength?: number;
  /** Shares its UDP datagram with other packets. */
  isCoalesced?: boolean;
  /** Per-endpoint datagram number, to follow coalescing. */
  datagramId?: number;
  trigger?: string;
}

type FrameList = readonly (QlogFrameInput | QlogFrameRecord)[];

function packetData(header: Record<string, unknown>, frames: FrameList | undefined, opts: PacketEventOptions | undefined): Record<string, unknown> {
  const data: Record<string, unknown> = { header };
  if (frames !== undefined) data.frames = qlogFrames(frames, opts);
  if (opts === undefined) return data;
  if (opts.isCoalesced) data.is_coalesced = true;
  if (opts.length !== undefined || opts.payloadLength !== undefined) {
    const raw: Record<string, unknown> = {};
    if (opts.length !== undefined) raw.length = opts.length;
    if (opts.payloadLength !== undefined) raw.payload_length = opts.payloadLength;
    data.raw = raw;
  }
  if (opts.datagramId !== undefined) data.datagram_id = opts.datagramId;
  if (opts.trigger !== undefined) data.trigger = opts.trigger;
  return data;
}

/** Triggers of packet_sent in the draft. */
export type QlogPacketSentTrigger =
  | 'retransmit_reordered'
  | 'retransmit_timeout'
  | 'pto_probe'
  | 'retransmit_crypto'
  | 'cc_bandwidth_probe';

/**
 * transport:packet_sent. `frames` may mix wire frames (converted with `qlogFrame`) and ready
 * qlog records; `length` is a shorthand for `opts.length`.
 */
export function packetSentEvent(
  header: Record<string, unknown>,
  frames: FrameList,
  length?: number,
  opts?: PacketEventOptions & { trigger?: QlogPacketSentTrigger | (string & {}) },
): QlogEvent {
  return { name: QlogEventName.packetSent, data: packetData(header, frames, withLength(opts, length)) };
}

/** transport:packet_received; see `packetSentEvent`. */
export function packetReceivedEvent(
  header: Record<string, unknown>,
  frames: FrameList,
  length?: number,
  opts?: PacketEventOptions & { trigger?: 'keys_available' | (string & {}) },
): QlogEvent {
  return { name: QlogEventName.packetReceived, data: packetData(header, frames, withLength(opts, length)) };
}

function withLength(opts: PacketEventOptions | undefined, length: number | undefined): PacketEventOptions | undefined {
  if (length === undefined) return opts;
  return opts === undefined ? { length } : { ...opts, length };
}

/** Triggers of packet_dropped in draft-ietf-quic-qlog-quic-events-03. */
export type QlogPacketDroppedTrigger =
  | 'key_unavailable'
  | 'unknown_connection_id'
  | 'header_parse_error'
  | 'payload_decrypt_error'
  | 'protocol_violation'
  | 'dos_prevention'
  | 'unsupported_version'
  | 'unexpected_packet'
  | 'unexpected_source_connection_id'
  | 'unexpected_version'
  | 'duplicate'
  | 'invalid_initial';

export interface PacketDroppedInfo {
  /** Mostly just the packet_type (and the number when it was decoded). */
  header?: Record<string, unknown>;
  /** Bytes dropped. */
  length?: number;
  datagramId?: number;
  trigger?: QlogPacketDroppedTrigger | (string & {});
  /** Free-form extra information (`details`, from later drafts); sanitized to plain JSON. */
  details?: Record<string, unknown>;
}

/** transport:packet_dropped. */
export function packetDroppedEvent(info: PacketDroppedInfo): QlogEvent {
  const data: Record<string, unknown> = {};
  if (info.header !== undefined) data.header = info.header;
  if (info.length !== undefined) data.raw = { length: info.length };
  if (info.datagramId !== undefined) data.datagram_id = info.datagramId;
  if (info.details !== undefined) data.details = jsonSafe(info.details);
  if (info.trigger !== undefined) data.trigger = info.trigger;
  return { name: QlogEventName.packetDropped, data };
}

// ---------------------------------------------------------------- security

export type QlogKeyType =
  | 'server_initial_secret'
  | 'client_initial_secret'
  | 'server_handshake_secret'
  | 'client_handshake_secret'
  | 'server_0rtt_secret'
  | 'client_0rtt_secret'
  | 'server_1rtt_secret'
  | 'client_1rtt_secret';

export interface KeyEventInfo {
  keyType: QlogKeyType;
  /** 1-RTT key generation (the key phase count, RFC 9001 §6). */
  generation?: number;
  trigger?: 'tls' | 'remote_update' | 'local_update';
}

/**
 * security:key_updated. Key material (the draft's `old` / `new`) is deliberately never logged: a
 * qlog file is shared far more widely than an SSLKEYLOGFILE should be.
 */
export function keyUpdatedEvent(info: KeyEventInfo): QlogEvent {
  return { name: QlogEventName.keyUpdated, data: keyData(info) };
}

/** security:key_discarded (no key material either). */
export function keyDiscardedEvent(info: KeyEventInfo): QlogEvent {
  return { name: QlogEventName.keyDiscarded, data: keyData(info) };
}

function keyData(info: KeyEventInfo): Record<string, unknown> {
  const data: Record<string, unknown> = { key_type: info.keyType };
  if (info.generation !== undefined) data.generation = info.generation;
  if (info.trigger !== undefined) data.trigger = info.trigger;
  return data;
}

// ---------------------------------------------------------------- recovery

export interface MetricsInfo {
  minRttUs?: number;
  smoothedRttUs?: number;
  latestRttUs?: number;
  rttVarianceUs?: number;
  ptoCount?: number;
  /** Bytes. */
  congestionWindow?: number;
  bytesInFlight?: number;
  ssthresh?: number;
  packetsInFlight?: number;
  /** Bits per second. */
  pacingRate?: number;
}

/** recovery:metrics_updated: only the metrics given (RTTs in ms, µs precision). */
export function metricsUpdatedEvent(m: MetricsInfo): QlogEvent {
  const data: Record<string, unknown> = {};
  if (m.minRttUs !== undefined) data.min_rtt = usToMs(m.minRttUs);
  if (m.smoothedRttUs !== undefined) data.smoothed_rtt = usToMs(m.smoothedRttUs);
  if (m.latestRttUs !== undefined) data.latest_rtt = usToMs(m.latestRttUs);
  if (m.rttVarianceUs !== undefined) data.rtt_variance = usToMs(m.rttVarianceUs);
  if (m.ptoCount !== undefined) data.pto_count = m.ptoCount;
  if (m.congestionWindow !== undefined) data.congestion_window = m.congestionWindow;
  if (m.bytesInFlight !== undefined) data.bytes_in_flight = m.bytesInFlight;
  if (m.ssthresh !== undefined && Number.isFinite(m.ssthresh)) data.ssthresh = m.ssthresh;
  if (m.packetsInFlight !== undefined) data.packets_in_flight = m.packetsInFlight;
  if (m.pacingRate !== undefined) data.pacing_rate = m.pacingRate;
  return { name: QlogEventName.metricsUpdated, data };
}

export type QlogPacketLostTrigger = 'reordering_threshold' | 'time_threshold' | 'pto_expired';

/** recovery:packet_lost: `header` should carry at least packet_type and packet_number. */
export function packetLostEvent(
  header: Record<string, unknown>,
  trigger?: QlogPacketLostTrigger,
  frames?: FrameList,
  opts?: QlogFrameOptions,
): QlogEvent {
  const data: Record<string, unknown> = { header };
  if (frames !== undefined) data.frames = qlogFrames(frames, opts);
  if (trigger !== undefined) data.trigger = trigger;
  return { name: QlogEventName.packetLost, data };
}

// ---------------------------------------------------------------- pquic

/**
 * A plugin's event, in the `pquic` namespace: `plugin_inserted` and `pquic:plugin_inserted` both
 * log as `pquic:plugin_inserted`; any other name (even one with another category, which a plugin
 * must not be able to fake) is prefixed with `pquic:`. `data` is sanitized to plain JSON (bytes
 * as hex, bigints as numbers or strings, cycles cut), since it comes from plugin code.
 */
export function pluginEvent(name: string, data: Record<string, unknown> = {}): QlogEvent {
  const full = name.startsWith(`${PQUIC_NAMESPACE}:`) ? name : `${PQUIC_NAMESPACE}:${name}`;
  const safe = jsonSafe(data);
  return { name: full, data: typeof safe === 'object' && safe !== null && !Array.isArray(safe) ? safe as Record<string, unknown> : { value: safe } };
}
