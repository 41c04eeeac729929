/**
 * The client's side of resumption: what it keeps from a NewSessionTicket (RFC 8446 §4.6.1), the
 * cache it keeps it in, and a byte encoding of it so a session can outlive the process (the CLI's
 * --session-file).
 */
import type { CipherSuite } from '../crypto/provider.js';
import { suiteParams } from '../crypto/provider.js';
import { AlertDescription } from './constants.js';
import { TlsAlert } from './alerts.js';
import { isCipherSuite } from './ticket.js';
import { TlsReader, TlsWriter } from './wire.js';

export interface ClientSession {
  /** The server name the session was made with; it is offered only to the same name. */
  serverName: string;
  alpn: string | undefined;
  suite: CipherSuite;
  /** The resumption PSK (RFC 8446 §4.6.1). */
  psk: Uint8Array;
  /** The server's opaque ticket, our PSK identity. */
  ticket: Uint8Array;
  lifetimeS: number;
  ageAdd: number;
  /** When the ticket arrived, in milliseconds since the Unix epoch (the ticket age counts from it). */
  receivedAtMs: number;
  /** 0xffffffff when the server allows 0-RTT (RFC 9001 §4.6.1), else 0. */
  maxEarlyData: number;
  /** The server's transport parameters, remembered for 0-RTT (RFC 9000 §7.4.1). */
  transportParameters: Uint8Array;
}

/** Where a client keeps sessions, by server name. */
export interface SessionCache {
  get(serverName: string): ClientSession | undefined;
  set(serverName: string, session: ClientSession): void;
}

/** Keeps the newest session per server name, in memory. */
export class MemorySessionCache implements SessionCache {
  private readonly sessions = new Map<string, ClientSession>();

  get(serverName: string): ClientSession | undefined {
    return this.sessions.get(serverName);
  }

  set(serverName: string, session: ClientSession): void {
    this.sessions.set(serverName, session);
  }
}

/** The ticket's age now, in milliseconds, or undefined when it has expired (RFC 8446 §4.6.1). */
export function ticketAgeMs(session: ClientSession, nowMs: number): number | undefined {
  const age = nowMs - session.receivedAtMs;
  // A clock that went backwards gives a negative age: treat the ticket as brand new.
  if (age > session.lifetimeS * 1000) return undefined;
  return Math.max(0, age);
}

const SESSION_FORMAT_VERSION = 1;
const utf8Encode = new TextEncoder();
const utf8Decode = new TextDecoder();

export function encodeClientSession(s: ClientSession): Uint8Array {
  const w = new TlsWriter();
  w.u8(SESSION_FORMAT_VERSION).u16(s.suite);
  w.u32(Math.floor(s.receivedAtMs / 0x1_0000_0000)).u32(s.receivedAtMs >>> 0);
  w.u32(s.lifetimeS).u32(s.ageAdd).u32(s.maxEarlyData);
  w.opaque(2, utf8Encode.encode(s.serverName));
  w.opaque(1, utf8Encode.encode(s.alpn ?? ''));
  w.opaque(1, s.psk);
  w.opaque(2, s.ticket);
  w.opaque(2, s.transportParameters);
  return w.finish();
}

/** Decodes {@link encodeClientSession}'s bytes; anything else is a TlsAlert(decode_error). */
export function decodeClientSession(b: Uint8Array): ClientSession {
  const r = new TlsReader(b, 'session');
  const version = r.u8();
  if (version !== SESSION_FORMAT_VERSION) throw new TlsAlert(AlertDescription.decodeError, `session format version ${version}`);
  const suite = r.u16();
  if (!isCipherSuite(suite)) throw new TlsAlert(AlertDescription.decodeError, `session cipher suite ${suite}`);
  const receivedAtMs = r.u32() * 0x1_0000_0000 + r.u32();
  const lifetimeS = r.u32();
  const ageAdd = r.u32();
  const maxEarlyData = r.u32();
  const serverName = utf8Decode.decode(r.vector(2));
  const alpn = utf8Decode.decode(r.vector(1));
  const psk = r.vector(1).slice();
  const ticket = r.vector(2, 1).slice();
  const transportParameters = r.vector(2).slice();
  r.end();
  if (psk.length !== suiteParams(suite).hashLength) throw new TlsAlert(AlertDescription.decodeError, 'session PSK length does not fit its suite');
  return { serverName, alpn: alpn === '' ? undefined : alpn, suite, psk, ticket, lifetimeS, ageAdd, receivedAtMs, maxEarlyData, transportParameters };
}
