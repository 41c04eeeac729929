/**
 * QUIC transport parameters, RFC 9000 §18, carried in the quic_transport_parameters TLS
 * extension (RFC 9001 §8.2).
 *
 * Transport Parameter { Transport Parameter ID (i), Transport Parameter Length (i),
 *                       Transport Parameter Value (..) }
 *
 * Every failure throws QuicError(TRANSPORT_PARAMETER_ERROR). Parameters we do not know are kept
 * in `unknown` (RFC 9000 §7.4.2 says to ignore them; plugins may read them), GREASE ids
 * (31 * N + 27, §18.1) included. Decoded byte fields are copies, independent of the input.
 */

import { Reader, Writer } from './buffer.js';
import { TransportErrorCode, internalError, transportParameterError } from './errors.js';
import { STATELESS_RESET_TOKEN_LENGTH } from './frames/connection-id.js';
import { MAX_STREAMS_LIMIT } from './frames/types.js';
import { MAX_CID_LENGTH } from './invariants.js';
import {
  MAX_SAFE_VARINT,
  decodeVarintBig,
  readVarintUnchecked,
  varintLength,
  varintLengthBig,
  varintLengthFromFirstByte,
} from './varint.js';

/** Transport parameter ids: RFC 9000 §18.2, RFC 9368 §3 (0x11), RFC 9221 §3 (0x20). */
export const TransportParameterId = {
  ORIGINAL_DESTINATION_CONNECTION_ID: 0x00,
  MAX_IDLE_TIMEOUT: 0x01,
  STATELESS_RESET_TOKEN: 0x02,
  MAX_UDP_PAYLOAD_SIZE: 0x03,
  INITIAL_MAX_DATA: 0x04,
  INITIAL_MAX_STREAM_DATA_BIDI_LOCAL: 0x05,
  INITIAL_MAX_STREAM_DATA_BIDI_REMOTE: 0x06,
  INITIAL_MAX_STREAM_DATA_UNI: 0x07,
  INITIAL_MAX_STREAMS_BIDI: 0x08,
  INITIAL_MAX_STREAMS_UNI: 0x09,
  ACK_DELAY_EXPONENT: 0x0a,
  MAX_ACK_DELAY: 0x0b,
  DISABLE_ACTIVE_MIGRATION: 0x0c,
  PREFERRED_ADDRESS: 0x0d,
  ACTIVE_CONNECTION_ID_LIMIT: 0x0e,
  INITIAL_SOURCE_CONNECTION_ID: 0x0f,
  RETRY_SOURCE_CONNECTION_ID: 0x10,
  VERSION_INFORMATION: 0x11,
  MAX_DATAGRAM_FRAME_SIZE: 0x20,
} as const;

const ID = TransportParameterId;

/**
 * A transport parameter id: a number when it is at most 2^53 - 1 (every id in practice), a
 * bigint otherwise. Keys of `TransportParameters.unknown` follow this rule, so look an id up
 * with a number.
 */
export type TransportParameterKey = number | bigint;

/** The preferred_address value (RFC 9000 §18.2, Figure 22). */
export interface PreferredAddress {
  /** 4 bytes, network order; all zero (with port 0) when the server offers no IPv4 address. */
  ipv4Address: Uint8Array;
  ipv4Port: number;
  /** 16 bytes, network order; all zero (with port 0) when the server offers no IPv6 address. */
  ipv6Address: Uint8Array;
  ipv6Port: number;
  /** 1 to 20 bytes: the connection ID with sequence number 1. */
  connectionId: Uint8Array;
  /** 16 bytes. */
  statelessResetToken: Uint8Array;
}

/** The version_information value (RFC 9368 §3). */
export interface VersionInformation {
  chosenVersion: number;
  availableVersions: number[];
}

export interface TransportParameters {
  /** Server only. */
  originalDestinationConnectionId?: Uint8Array;
  /** Milliseconds; 0 (the default) disables the idle timeout. */
  maxIdleTimeout: number;
  /** Server only; 16 bytes. */
  statelessResetToken?: Uint8Array;
  /** Default 65527; at least 1200. */
  maxUdpPayloadSize: number;
  initialMaxData: number;
  initialMaxStreamDataBidiLocal: number;
  initialMaxStreamDataBidiRemote: number;
  initialMaxStreamDataUni: number;
  /** At most 2^60. */
  initialMaxStreamsBidi: number;
  /** At most 2^60. */
  initialMaxStreamsUni: number;
  /** Default 3; at most 20. */
  ackDelayExponent: number;
  /** Milliseconds; default 25; below 2^14. */
  maxAckDelay: number;
  disableActiveMigration: boolean;
  /** Server only. */
  preferredAddress?: PreferredAddress;
  /** Default 2; at least 2. */
  activeConnectionIdLimit: number;
  initialSourceConnectionId?: Uint8Array;
  /** Server only. */
  retrySourceConnectionId?: Uint8Array;
  /** RFC 9221: absent means DATAGRAM frames are not supported. */
  maxDatagramFrameSize?: number;
  /** RFC 9368. */
  versionInformation?: VersionInformation;
  /** Parameters this module does not interpret (GREASE included), by id, in received order. */
  unknown: Map<TransportParameterKey, Uint8Array>;
}

export type TransportParameterSender = 'client' | 'server';

export const DEFAULT_MAX_UDP_PAYLOAD_SIZE = 65527;
export const MIN_MAX_UDP_PAYLOAD_SIZE = 1200;
export const DEFAULT_ACK_DELAY_EXPONENT = 3;
export const MAX_ACK_DELAY_EXPONENT = 20;
export const DEFAULT_MAX_ACK_DELAY = 25;
/** max_ack_delay must be below 2^14 (RFC 9000 §18.2). */
export const MAX_ACK_DELAY_LIMIT = 1 << 14;
export const DEFAULT_ACTIVE_CONNECTION_ID_LIMIT = 2;
const MAX_STREAMS_LIMIT_BIG = 1n << 60n;

/** Parameters as if the peer sent an empty extension (RFC 9000 §18.2 defaults). */
export function defaultTransportParameters(): TransportParameters {
  return {
    maxIdleTimeout: 0,
    maxUdpPayloadSize: DEFAULT_MAX_UDP_PAYLOAD_SIZE,
    initialMaxData: 0,
    initialMaxStreamDataBidiLocal: 0,
    initialMaxStreamDataBidiRemote: 0,
    initialMaxStreamDataUni: 0,
    initialMaxStreamsBidi: 0,
    initialMaxStreamsUni: 0,
    ackDelayExponent: DEFAULT_ACK_DELAY_EXPONENT,
    maxAckDelay: DEFAULT_MAX_ACK_DELAY,
    disableActiveMigration: false,
    activeConnectionIdLimit: DEFAULT_ACTIVE_CONNECTION_ID_LIMIT,
    unknown: new Map(),
  };
}

/** Reserved ids 31 * N + 27 exercise the rule that unknown parameters are ignored (§18.1). */
export function isGreaseTransportParameterId(id: TransportParameterKey): boolean {
  return typeof id === 'bigint' ? id % 31n === 27n : id % 31 === 27;
}

/** The GREASE id for `n` (31 * n + 27), as a key. */
export function greaseTransportParameterId(n: number): TransportParameterKey {
  return normalizeKey(31n * BigInt(n) + 27n);
}

function normalizeKey(id: bigint): TransportParameterKey {
  return id <= BigInt(MAX_SAFE_VARINT) ? Number(id) : id;
}

/** Ids that only a server may send (RFC 9000 §18.2). */
function isServerOnly(id: number): boolean {
  return id === ID.ORIGINAL_DESTINATION_CONNECTION_ID
    || id === ID.STATELESS_RESET_TOKEN
    || id === ID.PREFERRED_ADDRESS
    || id === ID.RETRY_SOURCE_CONNECTION_ID;
}

const NAMES = new Map<number, string>(
  Object.entries(TransportParameterId).map(([name, id]) => [id, name.toLowerCase()]),
);

function nameOf(id: number): string {
  return NAMES.get(id) ?? `0x${id.toString(16)}`;
}

// ---------------------------------------------------------------------------------------------
// Decoding

/** A varint value that must fill the parameter exactly (RFC 9000 §18.2); saturates at 2^53 - 1. */
function varintValue(value: Uint8Array, id: number): number {
  if (value.length === 0 || varintLengthFromFirstByte(value[0]!) !== value.length) {
    throw transportParameterError(`${nameOf(id)}: value is not a single varint`);
  }
  return readVarintUnchecked(value, 0, value.length as 1 | 2 | 4 | 8, true);
}

function streamsValue(value: Uint8Array, id: number): number {
  const v = varintValue(value, id);
  if (v === MAX_SAFE_VARINT && decodeVarintBig(value, 0) > MAX_STREAMS_LIMIT_BIG) {
    throw transportParameterError(`${nameOf(id)} exceeds 2^60`);
  }
  return v;
}

function cidValue(value: Uint8Array, id: number): Uint8Array {
  if (value.length > MAX_CID_LENGTH) throw transportParameterError(`${nameOf(id)}: ${value.length}-byte connection ID`);
  return value.slice();
}

function parsePreferredAddress(value: Uint8Array): PreferredAddress {
  const r = new Reader(value, 0, value.length, TransportErrorCode.TRANSPORT_PARAMETER_ERROR);
  const ipv4Address = r.bytes(4).slice();
  const ipv4Port = r.u16();
  const ipv6Address = r.bytes(16).slice();
  const ipv6Port = r.u16();
  const cidLength = r.u8();
  // §18.2: a zero-length connection ID here is a TRANSPORT_PARAMETER_ERROR.
  if (cidLength < 1 || cidLength > MAX_CID_LENGTH) {
    throw transportParameterError(`preferred_address: connection ID length ${cidLength} outside 1..20`);
  }
  const connectionId = r.bytes(cidLength).slice();
  const statelessResetToken = r.bytes(STATELESS_RESET_TOKEN_LENGTH).slice();
  if (r.remaining !== 0) throw transportParameterError('preferred_address: trailing bytes');
  return { ipv4Address, ipv4Port, ipv6Address, ipv6Port, connectionId, statelessResetToken };
}

function parseVersionInformation(value: Uint8Array, sender: TransportParameterSender): VersionInformation {
  // RFC 9368 §4: too short, a length not divisible by 4, or a version 0 is a parsing failure.
  if (value.length < 4 || value.length % 4 !== 0) {
    throw transportParameterError(`version_information of ${value.length} bytes`);
  }
  const r = new Reader(value, 0, value.length, TransportErrorCode.TRANSPORT_PARAMETER_ERROR);
  const chosenVersion = r.u32();
  if (chosenVersion === 0) throw transportParameterError('version_information: Chosen Version is 0');
  const availableVersions: number[] = [];
  while (r.remaining > 0) {
    const v = r.u32();
    if (v === 0) throw transportParameterError('version_information: an Available Version is 0');
    availableVersions.push(v);
  }
  if (sender === 'client' && !availableVersions.includes(chosenVersion)) {
    throw transportParameterError('version_information: Chosen Version not among Available Versions');
  }
  return { chosenVersion, availableVersions };
}

/**
 * Decodes the transport parameters sent by `sender`. Applies the RFC 9000 §18.2 defaults to
 * absent parameters and the checks of §7.4 and §18.2: duplicates, server-only parameters from a
 * client, out-of-range values and malformed encodings all throw TRANSPORT_PARAMETER_ERROR.
 */
export function decodeTransportParameters(bytes: Uint8Array, sender: TransportParameterSender): TransportParameters {
  const params = defaultTransportParameters();
  const r = new Reader(bytes, 0, bytes.length, TransportErrorCode.TRANSPORT_PARAMETER_ERROR);
  const seen = new Set<TransportParameterKey>();
  while (r.remaining > 0) {
    const idStart = r.position;
    let key: TransportParameterKey = r.varintClamped();
    if (key === MAX_SAFE_VARINT) {
      r.position = idStart;
      key = normalizeKey(r.varintBig());
    }
    const value = r.bytes(r.varint());
    // §7.4: an endpoint SHOULD treat a duplicate as TRANSPORT_PARAMETER_ERROR.
    if (seen.has(key)) throw transportParameterError(`duplicate transport parameter ${typeof key === 'number' ? nameOf(key) : `0x${key.toString(16)}`}`);
    seen.add(key);
    if (typeof key === 'bigint') {
      params.unknown.set(key, value.slice());
      continue;
    }
    if (sender === 'client' && isServerOnly(key)) {
      throw transportParameterError(`${nameOf(key)} is a server-only transport parameter`);
    }
    decodeOne(params, key, value, sender);
  }
  return params;
}

function decodeOne(p: TransportParameters, id: number, value: Uint8Array, sender: TransportParameterSender): void {
  switch (id) {
    case ID.ORIGINAL_DESTINATION_CONNECTION_ID:
      p.originalDestinationConnectionId = cidValue(value, id);
      return;
    case ID.MAX_IDLE_TIMEOUT:
      p.maxIdleTimeout = varintValue(value, id);
      return;
    case ID.STATELESS_RESET_TOKEN:
      if (value.length !== STATELESS_RESET_TOKEN_LENGTH) {
        throw transportParameterError(`stateless_reset_token of ${value.length} bytes`);
      }
      p.statelessResetToken = value.slice();
      return;
    case ID.MAX_UDP_PAYLOAD_SIZE: {
      const v = varintValue(value, id);
      if (v < MIN_MAX_UDP_PAYLOAD_SIZE) throw transportParameterError(`max_udp_payload_size ${v} below 1200`);
      p.maxUdpPayloadSize = v;
      return;
    }
    case ID.INITIAL_MAX_DATA:
      p.initialMaxData = varintValue(value, id);
      return;
    case ID.INITIAL_MAX_STREAM_DATA_BIDI_LOCAL:
      p.initialMaxStreamDataBidiLocal = varintValue(value, id);
      return;
    case ID.INITIAL_MAX_STREAM_DATA_BIDI_REMOTE:
      p.initialMaxStreamDataBidiRemote = varintValue(value, id);
      return;
    case ID.INITIAL_MAX_STREAM_DATA_UNI:
      p.initialMaxStreamDataUni = varintValue(value, id);
      return;
    case ID.INITIAL_MAX_STREAMS_BIDI:
      p.initialMaxStreamsBidi = streamsValue(value, id);
      return;
    case ID.INITIAL_MAX_STREAMS_UNI:
      p.initialMaxStreamsUni = streamsValue(value, id);
      return;
    case ID.ACK_DELAY_EXPONENT: {
      const v = varintValue(value, id);
      if (v > MAX_ACK_DELAY_EXPONENT) throw transportParameterError(`ack_delay_exponent ${v} above 20`);
      p.ackDelayExponent = v;
      return;
    }
    case ID.MAX_ACK_DELAY: {
      const v = varintValue(value, id);
      if (v >= MAX_ACK_DELAY_LIMIT) throw transportParameterError(`max_ack_delay ${v} not below 2^14`);
      p.maxAckDelay = v;
      return;
    }
    case ID.DISABLE_ACTIVE_MIGRATION:
      if (value.length !== 0) throw transportParameterError('disable_active_migration must be empty');
      p.disableActiveMigration = true;
      return;
    case ID.PREFERRED_ADDRESS:
      p.preferredAddress = parsePreferredAddress(value);
      return;
    case ID.ACTIVE_CONNECTION_ID_LIMIT: {
      const v = varintValue(value, id);
      if (v < 2) throw transportParameterError(`active_connection_id_limit ${v} below 2`);
      p.activeConnectionIdLimit = v;
      return;
    }
    case ID.INITIAL_SOURCE_CONNECTION_ID:
      p.initialSourceConnectionId = cidValue(value, id);
      return;
    case ID.RETRY_SOURCE_CONNECTION_ID:
      p.retrySourceConnectionId = cidValue(value, id);
      return;
    case ID.VERSION_INFORMATION:
      p.versionInformation = parseVersionInformation(value, sender);
      return;
    case ID.MAX_DATAGRAM_FRAME_SIZE:
      p.maxDatagramFrameSize = varintValue(value, id);
      return;
    default:
      p.unknown.set(id, value.slice());
  }
}

// ---------------------------------------------------------------------------------------------
// Encoding

/** Calls `emit(id, length, write)` for each parameter to send, in id order, then unknown ones. */
function forEachParameter(
  p: TransportParameters,
  sender: TransportParameterSender,
  emit: (id: TransportParameterKey, length: number, write: (w: Writer) => void) => void,
): void {
  const serverOnly = (present: boolean, name: string): void => {
    if (present && sender === 'client') throw internalError(`a client cannot send ${name}`);
  };
  const cid = (id: number, v: Uint8Array | undefined): void => {
    if (v === undefined) return;
    if (v.length > MAX_CID_LENGTH) throw internalError(`${nameOf(id)}: ${v.length}-byte connection ID`);
    emit(id, v.length, (w) => w.bytes(v));
  };
  const int = (id: number, v: number, dflt: number | undefined): void => {
    if (v === dflt) return;
    emit(id, varintLength(v), (w) => w.varint(v));
  };

  serverOnly(p.originalDestinationConnectionId !== undefined, 'original_destination_connection_id');
  cid(ID.ORIGINAL_DESTINATION_CONNECTION_ID, p.originalDestinationConnectionId);
  int(ID.MAX_IDLE_TIMEOUT, p.maxIdleTimeout, 0);
  const token = p.statelessResetToken;
  if (token !== undefined) {
    serverOnly(true, 'stateless_reset_token');
    if (token.length !== STATELESS_RESET_TOKEN_LENGTH) throw internalError('stateless_reset_token is not 16 bytes');
    emit(ID.STATELESS_RESET_TOKEN, token.length, (w) => w.bytes(token));
  }
  if (p.maxUdpPayloadSize < MIN_MAX_UDP_PAYLOAD_SIZE) throw internalError('max_udp_payload_size below 1200');
  int(ID.MAX_UDP_PAYLOAD_SIZE, p.maxUdpPayloadSize, DEFAULT_MAX_UDP_PAYLOAD_SIZE);
  int(ID.INITIAL_MAX_DATA, p.initialMaxData, 0);
  int(ID.INITIAL_MAX_STREAM_DATA_BIDI_LOCAL, p.initialMaxStreamDataBidiLocal, 0);
  int(ID.INITIAL_MAX_STREAM_DATA_BIDI_REMOTE, p.initialMaxStreamDataBidiRemote, 0);
  int(ID.INITIAL_MAX_STREAM_DATA_UNI, p.initialMaxStreamDataUni, 0);
  if (p.initialMaxStreamsBidi > MAX_STREAMS_LIMIT || p.initialMaxStreamsUni > MAX_STREAMS_LIMIT) {
    throw internalError('initial_max_streams above 2^60');
  }
  int(ID.INITIAL_MAX_STREAMS_BIDI, p.initialMaxStreamsBidi, 0);
  int(ID.INITIAL_MAX_STREAMS_UNI, p.initialMaxStreamsUni, 0);
  if (p.ackDelayExponent > MAX_ACK_DELAY_EXPONENT) throw internalError('ack_delay_exponent above 20');
  int(ID.ACK_DELAY_EXPONENT, p.ackDelayExponent, DEFAULT_ACK_DELAY_EXPONENT);
  if (p.maxAckDelay >= MAX_ACK_DELAY_LIMIT) throw internalError('max_ack_delay not below 2^14');
  int(ID.MAX_ACK_DELAY, p.maxAckDelay, DEFAULT_MAX_ACK_DELAY);
  if (p.disableActiveMigration) emit(ID.DISABLE_ACTIVE_MIGRATION, 0, () => {});
  const pa = p.preferredAddress;
  if (pa !== undefined) {
    serverOnly(true, 'preferred_address');
    if (pa.ipv4Address.length !== 4 || pa.ipv6Address.length !== 16
      || pa.connectionId.length < 1 || pa.connectionId.length > MAX_CID_LENGTH
      || pa.statelessResetToken.length !== STATELESS_RESET_TOKEN_LENGTH) {
      throw internalError('malformed preferred_address');
    }
    emit(ID.PREFERRED_ADDRESS, 41 + pa.connectionId.length, (w) => {
      w.bytes(pa.ipv4Address);
      w.u16(pa.ipv4Port);
      w.bytes(pa.ipv6Address);
      w.u16(pa.ipv6Port);
      w.u8(pa.connectionId.length);
      w.bytes(pa.connectionId);
      w.bytes(pa.statelessResetToken);
    });
  }
  if (p.activeConnectionIdLimit < 2) throw internalError('active_connection_id_limit below 2');
  int(ID.ACTIVE_CONNECTION_ID_LIMIT, p.activeConnectionIdLimit, DEFAULT_ACTIVE_CONNECTION_ID_LIMIT);
  cid(ID.INITIAL_SOURCE_CONNECTION_ID, p.initialSourceConnectionId);
  serverOnly(p.retrySourceConnectionId !== undefined, 'retry_source_connection_id');
  cid(ID.RETRY_SOURCE_CONNECTION_ID, p.retrySourceConnectionId);
  const vi = p.versionInformation;
  if (vi !== undefined) {
    emit(ID.VERSION_INFORMATION, 4 + 4 * vi.availableVersions.length, (w) => {
      w.u32(vi.chosenVersion);
      for (const v of vi.availableVersions) w.u32(v);
    });
  }
  if (p.maxDatagramFrameSize !== undefined) int(ID.MAX_DATAGRAM_FRAME_SIZE, p.maxDatagramFrameSize, undefined);
  for (const [id, value] of p.unknown) {
    if (typeof id === 'number' && NAMES.has(id)) throw internalError(`unknown map holds known id ${nameOf(id)}`);
    emit(id, value.length, (w) => w.bytes(value));
  }
}

function keyLength(id: TransportParameterKey): number {
  return typeof id === 'bigint' ? varintLengthBig(id) : varintLength(id);
}

/** Encoded size of `params` as `sender` would send them. */
export function transportParametersLength(params: TransportParameters, sender: TransportParameterSender): number {
  let n = 0;
  forEachParameter(params, sender, (id, length) => {
    n += keyLength(id) + varintLength(length) + length;
  });
  return n;
}

/**
 * Writes `params`, omitting those equal to their default. Throws INTERNAL_ERROR for values a
 * peer would reject, and for server-only parameters when `sender` is 'client'.
 */
export function writeTransportParameters(w: Writer, params: TransportParameters, sender: TransportParameterSender): void {
  forEachParameter(params, sender, (id, length, write) => {
    if (typeof id === 'bigint') w.varintBig(id);
    else w.varint(id);
    w.varint(length);
    const start = w.position;
    write(w);
    if (w.position - start !== length) throw internalError('transport parameter length mismatch');
  });
}

export function encodeTransportParameters(params: TransportParameters, sender: TransportParameterSender): Uint8Array {
  const out = new Uint8Array(transportParametersLength(params, sender));
  writeTransportParameters(new Writer(out), params, sender);
  return out;
}
