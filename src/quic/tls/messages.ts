/**
 * Handshake message codecs (RFC 8446 §4) and the reassembly of handshake messages from the
 * byte stream of CRYPTO frames (RFC 9001 §4.1.3). `encode*` return the whole message including
 * its 4-byte header (that is what the transcript hashes); `parse*` take the body only.
 */
import { AlertDescription, HandshakeType, MAX_HANDSHAKE_MESSAGE_LENGTH } from './constants.js';
import { TlsAlert } from './alerts.js';
import { parseExtensions, writeExtensions, type Extension } from './extensions.js';
import { TlsReader, TlsWriter } from './wire.js';

/** `Handshake` framing: msg_type, uint24 length, body (RFC 8446 §4). */
export function encodeHandshake(type: number, body: Uint8Array): Uint8Array {
  return new TlsWriter().u8(type).opaque(3, body).finish();
}

function handshake(type: number, write: (w: TlsWriter) => void): Uint8Array {
  const w = new TlsWriter();
  w.u8(type).vector(3, write);
  return w.finish();
}

export interface HandshakeMessage {
  type: number;
  body: Uint8Array;
  /** Header and body, as hashed into the transcript. */
  raw: Uint8Array;
}

/**
 * Splits a stream of handshake bytes into messages, buffering a partial one. Appends are amortized
 * O(1) per byte (a peer dripping one-byte CRYPTO frames must not cost quadratic copying), and the
 * length bound keeps the buffer small whatever the peer claims.
 */
export class HandshakeReassembler {
  private buf = new Uint8Array(0);
  private start = 0;
  private end = 0;

  constructor(private readonly maxLength = MAX_HANDSHAKE_MESSAGE_LENGTH) {}

  /** Bytes held that do not yet make a whole message. */
  get buffered(): number {
    return this.end - this.start;
  }

  push(data: Uint8Array): void {
    if (data.length === 0) return;
    const held = this.end - this.start;
    if (this.end + data.length > this.buf.length) {
      // Compact, and grow geometrically when compacting is not enough.
      const target = held + data.length;
      if (target > this.buf.length) {
        const next = new Uint8Array(Math.max(target, 2 * this.buf.length, 256));
        next.set(this.buf.subarray(this.start, this.end));
        this.buf = next;
      } else {
        this.buf.copyWithin(0, this.start, this.end);
      }
      this.start = 0;
      this.end = held;
    }
    this.buf.set(data, this.end);
    this.end += data.length;
    this.checkHeader();
  }

  /** The next whole message, or undefined when more bytes are needed. */
  next(): HandshakeMessage | undefined {
    if (this.end - this.start < 4) return undefined;
    const length = this.lengthAt(this.start);
    if (this.end - this.start < 4 + length) return undefined;
    const raw = this.buf.slice(this.start, this.start + 4 + length);
    this.start += 4 + length;
    if (this.start === this.end) this.start = this.end = 0;
    this.checkHeader();
    return { type: raw[0]!, body: raw.subarray(4), raw };
  }

  private lengthAt(at: number): number {
    return (this.buf[at + 1]! << 16) | (this.buf[at + 2]! << 8) | this.buf[at + 3]!;
  }

  private checkHeader(): void {
    if (this.end - this.start < 4) return;
    const length = this.lengthAt(this.start);
    if (length > this.maxLength) {
      throw new TlsAlert(AlertDescription.decodeError, `handshake message type ${this.buf[this.start]} of ${length} bytes exceeds ${this.maxLength}`);
    }
  }
}

// --- ClientHello (RFC 8446 §4.1.2) ------------------------------------------------------------

export interface ClientHello {
  legacyVersion: number;
  random: Uint8Array;
  legacySessionId: Uint8Array;
  cipherSuites: number[];
  legacyCompressionMethods: Uint8Array;
  extensions: Extension[];
}

export function encodeClientHello(m: ClientHello): Uint8Array {
  return handshake(HandshakeType.clientHello, (w) => {
    w.u16(m.legacyVersion).bytes(m.random).opaque(1, m.legacySessionId);
    w.vector(2, (l) => {
      for (const s of m.cipherSuites) l.u16(s);
    });
    w.opaque(1, m.legacyCompressionMethods);
    writeExtensions(w, m.extensions);
  });
}

export function parseClientHello(body: Uint8Array): ClientHello {
  const r = new TlsReader(body, 'ClientHello');
  const legacyVersion = r.u16();
  const random = r.bytes(32);
  const legacySessionId = r.vector(1, 0, 32);
  const cipherSuites = r.u16List(2, 'cipher_suites');
  const legacyCompressionMethods = r.vector(1, 1);
  // A pre-TLS 1.3 ClientHello may end here (RFC 8446 §4.1.2); the missing supported_versions
  // then fails version negotiation.
  const extensions = r.remaining === 0 ? [] : parseExtensions(r, 'ClientHello');
  r.end();
  return { legacyVersion, random, legacySessionId, cipherSuites, legacyCompressionMethods, extensions };
}

// --- ServerHello and HelloRetryRequest (RFC 8446 §4.1.3, §4.1.4) -------------------------------

export interface ServerHello {
  legacyVersion: number;
  random: Uint8Array;
  legacySessionIdEcho: Uint8Array;
  cipherSuite: number;
  legacyCompressionMethod: number;
  extensions: Extension[];
}

export function encodeServerHello(m: ServerHello): Uint8Array {
  return handshake(HandshakeType.serverHello, (w) => {
    w.u16(m.legacyVersion).bytes(m.random).opaque(1, m.legacySessionIdEcho).u16(m.cipherSuite).u8(m.legacyCompressionMethod);
    writeExtensions(w, m.extensions);
  });
}

export function parseServerHello(body: Uint8Array): ServerHello {
  const r = new TlsReader(body, 'ServerHello');
  const legacyVersion = r.u16();
  const random = r.bytes(32);
  const legacySessionIdEcho = r.vector(1, 0, 32);
  const cipherSuite = r.u16();
  const legacyCompressionMethod = r.u8();
  const extensions = r.remaining === 0 ? [] : parseExtensions(r, 'ServerHello');
  r.end();
  return { legacyVersion, random, legacySessionIdEcho, cipherSuite, legacyCompressionMethod, extensions };
}

// --- EncryptedExtensions (RFC 8446 §4.3.1) ----------------------------------------------------

export function encodeEncryptedExtensions(extensions: readonly Extension[]): Uint8Array {
  return handshake(HandshakeType.encryptedExtensions, (w) => writeExtensions(w, extensions));
}

export function parseEncryptedExtensions(body: Uint8Array): Extension[] {
  const r = new TlsReader(body, 'EncryptedExtensions');
  const extensions = parseExtensions(r, 'EncryptedExtensions');
  r.end();
  return extensions;
}

// --- CertificateRequest (RFC 8446 §4.3.2) -----------------------------------------------------

export interface CertificateRequest {
  context: Uint8Array;
  extensions: Extension[];
}

export function encodeCertificateRequest(m: CertificateRequest): Uint8Array {
  return handshake(HandshakeType.certificateRequest, (w) => {
    w.opaque(1, m.context);
    writeExtensions(w, m.extensions);
  });
}

export function parseCertificateRequest(body: Uint8Array): CertificateRequest {
  const r = new TlsReader(body, 'CertificateRequest');
  const context = r.vector(1);
  const extensions = parseExtensions(r, 'CertificateRequest');
  r.end();
  return { context, extensions };
}

// --- Certificate (RFC 8446 §4.4.2) ------------------------------------------------------------

export interface CertificateEntry {
  data: Uint8Array;
  extensions: Extension[];
}

export interface CertificateMessage {
  context: Uint8Array;
  entries: CertificateEntry[];
}

export function encodeCertificate(m: CertificateMessage): Uint8Array {
  return handshake(HandshakeType.certificate, (w) => {
    w.opaque(1, m.context);
    w.vector(3, (l) => {
      for (const e of m.entries) {
        l.opaque(3, e.data);
        writeExtensions(l, e.extensions);
      }
    });
  });
}

export function parseCertificate(body: Uint8Array, maxEntries: number): CertificateMessage {
  const r = new TlsReader(body, 'Certificate');
  const context = r.vector(1);
  const list = r.sub(3, 'certificate_list');
  const entries: CertificateEntry[] = [];
  while (list.remaining > 0) {
    if (entries.length === maxEntries) {
      throw new TlsAlert(AlertDescription.badCertificate, `certificate chain longer than ${maxEntries}`);
    }
    const data = list.vector(3, 1);
    entries.push({ data, extensions: parseExtensions(list, 'CertificateEntry') });
  }
  r.end();
  return { context, entries };
}

// --- CertificateVerify (RFC 8446 §4.4.3) ------------------------------------------------------

export interface CertificateVerify {
  scheme: number;
  signature: Uint8Array;
}

export function encodeCertificateVerify(m: CertificateVerify): Uint8Array {
  return handshake(HandshakeType.certificateVerify, (w) => w.u16(m.scheme).opaque(2, m.signature));
}

export function parseCertificateVerify(body: Uint8Array): CertificateVerify {
  const r = new TlsReader(body, 'CertificateVerify');
  const scheme = r.u16();
  const signature = r.vector(2, 1);
  r.end();
  return { scheme, signature };
}

// --- Finished (RFC 8446 §4.4.4) ---------------------------------------------------------------

export function encodeFinished(verifyData: Uint8Array): Uint8Array {
  return encodeHandshake(HandshakeType.finished, verifyData);
}

export function parseFinished(body: Uint8Array, hashLength: number): Uint8Array {
  if (body.length !== hashLength) {
    throw new TlsAlert(AlertDescription.decodeError, `Finished of ${body.length} bytes, expected ${hashLength}`);
  }
  return body;
}

// --- NewSessionTicket (RFC 8446 §4.6.1) -------------------------------------------------------

export interface NewSessionTicket {
  ticketLifetime: number;
  ticketAgeAdd: number;
  ticketNonce: Uint8Array;
  ticket: Uint8Array;
  extensions: Extension[];
}

export function encodeNewSessionTicket(m: NewSessionTicket): Uint8Array {
  return handshake(HandshakeType.newSessionTicket, (w) => {
    w.u32(m.ticketLifetime).u32(m.ticketAgeAdd).opaque(1, m.ticketNonce).opaque(2, m.ticket);
    writeExtensions(w, m.extensions);
  });
}

export function parseNewSessionTicket(body: Uint8Array): NewSessionTicket {
  const r = new TlsReader(body, 'NewSessionTicket');
  const ticketLifetime = r.u32();
  const ticketAgeAdd = r.u32();
  const ticketNonce = r.vector(1);
  const ticket = r.vector(2, 1);
  const extensions = parseExtensions(r, 'NewSessionTicket');
  r.end();
  return { ticketLifetime, ticketAgeAdd, ticketNonce, ticket, extensions };
}
