/**
 * Extension blocks and the bodies of the extensions we speak (RFC 8446 §4.2, RFC 6066 §3,
 * RFC 7301 §3.1, RFC 9001 §8.2). Each codec works on an extension's `extension_data` only; which
 * extension may appear in which message is the state machine's business (context.ts).
 */
import { AlertDescription, ExtensionType } from './constants.js';
import { TlsAlert } from './alerts.js';
import { TlsReader, TlsWriter } from './wire.js';

export interface Extension {
  type: number;
  data: Uint8Array;
}

/** `Extension extensions<0..2^16-1>`; a repeated type is illegal_parameter (RFC 8446 §4.2). */
export function parseExtensions(r: TlsReader, what: string): Extension[] {
  const block = r.sub(2, `${what} extensions`);
  const out: Extension[] = [];
  const seen = new Set<number>();
  while (block.remaining > 0) {
    const type = block.u16();
    const data = block.vector(2);
    if (seen.has(type)) throw new TlsAlert(AlertDescription.illegalParameter, `${what}: duplicate extension ${type}`);
    seen.add(type);
    out.push({ type, data });
  }
  return out;
}

export function writeExtensions(w: TlsWriter, extensions: readonly Extension[]): void {
  w.vector(2, (b) => {
    for (const e of extensions) b.u16(e.type).opaque(2, e.data);
  });
}

export function findExtension(extensions: readonly Extension[], type: number): Uint8Array | undefined {
  for (const e of extensions) if (e.type === type) return e.data;
  return undefined;
}

/** Runs `parse` over an extension body and requires it to consume every byte. */
export function parseBody<T>(data: Uint8Array, what: string, parse: (r: TlsReader) => T): T {
  const r = new TlsReader(data, what);
  const v = parse(r);
  r.end();
  return v;
}

// --- server_name (RFC 6066 §3) ---------------------------------------------------------------

const NAME_TYPE_HOST_NAME = 0;

export function encodeServerName(hostName: string): Uint8Array {
  const w = new TlsWriter();
  w.vector(2, (l) => l.u8(NAME_TYPE_HOST_NAME).opaque(2, new TextEncoder().encode(hostName)));
  return w.finish();
}

/** The host_name in a ClientHello's server_name list (undefined when the list names none). */
export function parseServerName(data: Uint8Array): string | undefined {
  return parseBody(data, 'server_name', (r) => {
    const list = r.sub(2, 'server_name list', 1);
    let host: string | undefined;
    while (list.remaining > 0) {
      const type = list.u8();
      const name = list.vector(2, 1);
      if (type === NAME_TYPE_HOST_NAME) {
        // RFC 6066 §3: at most one name of a given type.
        if (host !== undefined) throw new TlsAlert(AlertDescription.illegalParameter, 'server_name: two host names');
        host = new TextDecoder().decode(name);
      }
    }
    return host;
  });
}

// --- supported_groups, signature_algorithms (RFC 8446 §4.2.7, §4.2.3) --------------------------

export function encodeU16List(values: readonly number[]): Uint8Array {
  const w = new TlsWriter();
  w.vector(2, (l) => {
    for (const v of values) l.u16(v);
  });
  return w.finish();
}

export function parseU16List(data: Uint8Array, what: string): number[] {
  return parseBody(data, what, (r) => r.u16List(2, what));
}

// --- application_layer_protocol_negotiation (RFC 7301 §3.1) -----------------------------------

export function encodeAlpn(protocols: readonly Uint8Array[]): Uint8Array {
  const w = new TlsWriter();
  w.vector(2, (l) => {
    for (const p of protocols) l.opaque(1, p);
  });
  return w.finish();
}

export function parseAlpn(data: Uint8Array): Uint8Array[] {
  return parseBody(data, 'application_layer_protocol_negotiation', (r) => {
    const list = r.sub(2, 'protocol_name_list', 2);
    const out: Uint8Array[] = [];
    while (list.remaining > 0) out.push(list.vector(1, 1));
    return out;
  });
}

// --- key_share (RFC 8446 §4.2.8) --------------------------------------------------------------

export interface KeyShareEntry {
  group: number;
  keyExchange: Uint8Array;
}

export function encodeKeyShareClientHello(entries: readonly KeyShareEntry[]): Uint8Array {
  const w = new TlsWriter();
  w.vector(2, (l) => {
    for (const e of entries) l.u16(e.group).opaque(2, e.keyExchange);
  });
  return w.finish();
}

export function parseKeyShareClientHello(data: Uint8Array): KeyShareEntry[] {
  return parseBody(data, 'key_share', (r) => {
    const list = r.sub(2, 'client_shares');
    const out: KeyShareEntry[] = [];
    while (list.remaining > 0) {
      const group = list.u16();
      out.push({ group, keyExchange: list.vector(2, 1) });
    }
    return out;
  });
}

export function encodeKeyShareServerHello(entry: KeyShareEntry): Uint8Array {
  return new TlsWriter().u16(entry.group).opaque(2, entry.keyExchange).finish();
}

export function parseKeyShareServerHello(data: Uint8Array): KeyShareEntry {
  return parseBody(data, 'key_share', (r) => {
    const group = r.u16();
    return { group, keyExchange: r.vector(2, 1) };
  });
}

/** The HelloRetryRequest form: just `NamedGroup selected_group`. */
export function encodeKeyShareHelloRetryRequest(group: number): Uint8Array {
  return new TlsWriter().u16(group).finish();
}

export function parseKeyShareHelloRetryRequest(data: Uint8Array): number {
  return parseBody(data, 'key_share', (r) => r.u16());
}

// --- supported_versions (RFC 8446 §4.2.1) -----------------------------------------------------

export function encodeSupportedVersionsClientHello(versions: readonly number[]): Uint8Array {
  const w = new TlsWriter();
  w.vector(1, (l) => {
    for (const v of versions) l.u16(v);
  });
  return w.finish();
}

export function parseSupportedVersionsClientHello(data: Uint8Array): number[] {
  return parseBody(data, 'supported_versions', (r) => r.u16List(1, 'supported_versions'));
}

export function encodeSupportedVersionsServerHello(version: number): Uint8Array {
  return new TlsWriter().u16(version).finish();
}

export function parseSupportedVersionsServerHello(data: Uint8Array): number {
  return parseBody(data, 'supported_versions', (r) => r.u16());
}

// --- cookie (RFC 8446 §4.2.2) -----------------------------------------------------------------

export function encodeCookie(cookie: Uint8Array): Uint8Array {
  return new TlsWriter().opaque(2, cookie).finish();
}

export function parseCookie(data: Uint8Array): Uint8Array {
  return parseBody(data, 'cookie', (r) => r.vector(2, 1));
}

/** Extensions a server may send in EncryptedExtensions (RFC 8446 §4.2 table, RFC 9001 §8.2). */
export const ENCRYPTED_EXTENSIONS_ALLOWED: ReadonlySet<number> = new Set([
  ExtensionType.serverName,
  ExtensionType.supportedGroups,
  ExtensionType.applicationLayerProtocolNegotiation,
  ExtensionType.earlyData,
  ExtensionType.quicTransportParameters,
  1, // max_fragment_length
  14, // use_srtp
  19, // client_certificate_type
  20, // server_certificate_type
  28, // record_size_limit
]);

/** Extensions RFC 8446 §4.2 defines for some message, i.e. the ones we "recognize". */
export const RECOGNIZED_EXTENSIONS: ReadonlySet<number> = new Set([
  ...ENCRYPTED_EXTENSIONS_ALLOWED,
  ExtensionType.signatureAlgorithms,
  ExtensionType.preSharedKey,
  ExtensionType.supportedVersions,
  ExtensionType.cookie,
  ExtensionType.pskKeyExchangeModes,
  ExtensionType.certificateAuthorities,
  ExtensionType.postHandshakeAuth,
  ExtensionType.signatureAlgorithmsCert,
  ExtensionType.keyShare,
  5, // status_request
  18, // signed_certificate_timestamp
  48, // oid_filters
]);
