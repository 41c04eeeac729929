/**
 * Small value formatters shared by the qlog builders: hexstrings, IP addresses, error and frame
 * type names in qlog spelling, and a sanitizer that turns arbitrary (plugin) data into plain
 * JSON values.
 */

import { TransportErrorCode, isCryptoError } from '../wire/errors.js';

const HEX_BYTE: readonly string[] = Array.from({ length: 256 }, (_, i) => (i < 16 ? '0' : '') + i.toString(16));

/** Lowercase hex of `bytes` without separators: the qlog `hexstring` type. */
export function hex(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += HEX_BYTE[bytes[i]!];
  return s;
}

/** A QUIC version as a qlog `QuicVersion` hexstring: 8 digits, e.g. `00000001`. */
export function versionHex(version: number): string {
  return (version >>> 0).toString(16).padStart(8, '0');
}

/** Microseconds to qlog milliseconds, keeping microsecond precision (1234.4 µs -> 1.234). */
export function usToMs(us: number): number {
  return Math.round(us) / 1000;
}

/** Dotted-quad text of a 4-byte IPv4 address. */
export function ipv4Text(b: Uint8Array): string {
  return `${b[0] ?? 0}.${b[1] ?? 0}.${b[2] ?? 0}.${b[3] ?? 0}`;
}

/** RFC 5952 text of a 16-byte IPv6 address (lowercase, longest zero run of 2+ groups as `::`). */
export function ipv6Text(b: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push(((b[2 * i] ?? 0) << 8) | (b[2 * i + 1] ?? 0));
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const text = (g: number[]): string => g.map((v) => v.toString(16)).join(':');
  if (bestStart < 0) return text(groups);
  return `${text(groups.slice(0, bestStart))}::${text(groups.slice(bestStart + bestLen))}`;
}

const TRANSPORT_ERROR_NAMES = new Map<number, string>();
for (const [name, code] of Object.entries(TransportErrorCode)) {
  if (code !== TransportErrorCode.CRYPTO_ERROR) TRANSPORT_ERROR_NAMES.set(code, name.toLowerCase());
}

/**
 * The qlog `TransportError` / `CryptoError` value of a transport error code: `protocol_violation`,
 * `crypto_error_0x12a`, ... ; the number itself when the code has no name.
 */
export function transportErrorValue(code: number): string | number {
  const name = TRANSPORT_ERROR_NAMES.get(code);
  if (name !== undefined) return name;
  if (isCryptoError(code)) return `crypto_error_0x${code.toString(16)}`;
  return code;
}

/** qlog `frame_type` names by RFC 9000 frame type code (0x00-0x1e), RFC 9221 DATAGRAM at 0x30-0x31. */
const FRAME_TYPE_NAMES: readonly string[] = [
  'padding', 'ping', 'ack', 'ack', 'reset_stream', 'stop_sending', 'crypto', 'new_token',
  'stream', 'stream', 'stream', 'stream', 'stream', 'stream', 'stream', 'stream',
  'max_data', 'max_stream_data', 'max_streams', 'max_streams', 'data_blocked', 'stream_data_blocked',
  'streams_blocked', 'streams_blocked', 'new_connection_id', 'retire_connection_id', 'path_challenge',
  'path_response', 'connection_close', 'connection_close', 'handshake_done',
];

/** The qlog `frame_type` string of a frame type code, or the code itself when it is not known. */
export function frameTypeValue(frameType: number): string | number {
  const name = FRAME_TYPE_NAMES[frameType];
  if (name !== undefined) return name;
  if (frameType === 0x30 || frameType === 0x31) return 'datagram';
  return frameType;
}

const utf8 = new TextDecoder('utf-8');

/** UTF-8 text of a reason phrase; invalid sequences become U+FFFD. */
export function utf8Text(bytes: Uint8Array): string {
  return bytes.length === 0 ? '' : utf8.decode(bytes);
}

const MAX_DEPTH = 16;

/**
 * A copy of `value` made of plain JSON values: byte arrays become hexstrings, bigints become
 * numbers when safe (strings otherwise), Maps become objects, functions / symbols / undefined are
 * dropped, cycles and nesting deeper than 16 become the string `[...]`. Used for data that comes
 * from plugins, never on the per-packet path.
 */
export function jsonSafe(value: unknown): unknown {
  return sanitize(value, 0, new Set());
}

function sanitize(value: unknown, depth: number, seen: Set<object>): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'bigint':
      return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
        ? Number(value) : value.toString();
    case 'object':
      break;
    default:
      return undefined;
  }
  if (value === null) return null;
  if (value instanceof Uint8Array) return hex(value);
  if (ArrayBuffer.isView(value)) return hex(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
  if (depth >= MAX_DEPTH || seen.has(value)) return '[...]';
  seen.add(value);
  let out: unknown;
  if (Array.isArray(value)) {
    out = value.map((v) => {
      const s = sanitize(v, depth + 1, seen);
      return s === undefined ? null : s;
    });
  } else {
    const obj: Record<string, unknown> = {};
    const entries: Iterable<[unknown, unknown]> = value instanceof Map ? value.entries() : Object.entries(value);
    for (const [k, v] of entries) {
      const s = sanitize(v, depth + 1, seen);
      if (s !== undefined) obj[String(k)] = s;
    }
    out = obj;
  }
  seen.delete(value);
  return out;
}
