/**
 * Self-encrypted session tickets (RFC 8446 §4.6.1): the server keeps no per-session state; a
 * ticket is the session's state sealed under a key only the server knows, so a ticket it did
 * not make (or one that was altered) simply fails to open and the server falls back to a full
 * handshake. Layout: key id (4) | nonce (12) | AEAD(ChaCha20-Poly1305) of the state, with the
 * key id as associated data.
 */
import type { CipherSuite, CryptoProvider } from '../crypto/provider.js';
import { TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384, TLS_CHACHA20_POLY1305_SHA256, suiteParams } from '../crypto/provider.js';
import { TlsReader, TlsWriter } from './wire.js';
import { bytesEqual } from './wire.js';

/** RFC 8446 §4.6.1: servers MUST NOT announce more than seven days. */
export const MAX_TICKET_LIFETIME_S = 604_800;
/** What we announce: a day is plenty for a client reconnecting to us. */
export const DEFAULT_TICKET_LIFETIME_S = 86_400;

const KEY_ID_LENGTH = 4;
const NONCE_LENGTH = 12;
const TAG_LENGTH = 16;
const STATE_VERSION = 1;

/** What a ticket carries: everything needed to resume, and later to accept 0-RTT. */
export interface TicketState {
  suite: CipherSuite;
  /** The PSK derived from the resumption master secret and the ticket nonce (RFC 8446 §4.6.1). */
  psk: Uint8Array;
  /** Milliseconds since the Unix epoch, by the server's clock. */
  issuedAtMs: number;
  lifetimeS: number;
  ageAdd: number;
  /** 0 when the ticket does not allow early data. */
  maxEarlyData: number;
  alpn: string | undefined;
  serverName: string | undefined;
  /** The transport parameters the server sent, which 0-RTT must not exceed (RFC 9000 §7.4.1). */
  transportParameters: Uint8Array;
}

/** Narrows a number read from the wire to a TLS 1.3 suite we implement. */
export function isCipherSuite(v: number): v is CipherSuite {
  return v === TLS_AES_128_GCM_SHA256 || v === TLS_AES_256_GCM_SHA384 || v === TLS_CHACHA20_POLY1305_SHA256;
}

const utf8Encode = new TextEncoder();
const utf8Decode = new TextDecoder();

function encodeState(s: TicketState): Uint8Array {
  const w = new TlsWriter();
  w.u8(STATE_VERSION).u16(s.suite);
  // The time as two u32 halves: milliseconds since 1970 need more than 32 bits.
  w.u32(Math.floor(s.issuedAtMs / 0x1_0000_0000)).u32(s.issuedAtMs >>> 0);
  w.u32(s.lifetimeS).u32(s.ageAdd).u32(s.maxEarlyData);
  w.opaque(1, s.psk);
  w.opaque(1, utf8Encode.encode(s.alpn ?? ''));
  w.opaque(2, utf8Encode.encode(s.serverName ?? ''));
  w.opaque(2, s.transportParameters);
  return w.finish();
}

/** Undefined for anything that is not a state we wrote (a different version or layout). */
function decodeState(b: Uint8Array): TicketState | undefined {
  try {
    const r = new TlsReader(b, 'ticket');
    if (r.u8() !== STATE_VERSION) return undefined;
    const suite = r.u16();
    if (!isCipherSuite(suite)) return undefined;
    const issuedAtMs = r.u32() * 0x1_0000_0000 + r.u32();
    const lifetimeS = r.u32();
    const ageAdd = r.u32();
    const maxEarlyData = r.u32();
    const psk = r.vector(1, 1).slice();
    const alpn = utf8Decode.decode(r.vector(1));
    const serverName = utf8Decode.decode(r.vector(2));
    const transportParameters = r.vector(2).slice();
    r.end();
    if (psk.length !== suiteParams(suite).hashLength) return undefined;
    return {
      suite, psk, issuedAtMs, lifetimeS, ageAdd, maxEarlyData, transportParameters,
      alpn: alpn === '' ? undefined : alpn,
      serverName: serverName === '' ? undefined : serverName,
    };
  } catch {
    return undefined;
  }
}

/**
 * The server's ticket key. One instance is shared by every connection of a server; its random key
 * is drawn from the first provider that uses it, so a default configuration can hold one before
 * any crypto provider is chosen.
 */
export class SessionTicketKey {
  private key: Uint8Array | undefined;
  private keyId: Uint8Array | undefined;

  /** `key`: 32 bytes to share a ticket key between servers; random when omitted. */
  constructor(key?: Uint8Array) {
    if (key !== undefined) {
      if (key.length !== 32) throw new TypeError('a session ticket key is 32 bytes');
      this.key = key.slice();
    }
  }

  private material(provider: CryptoProvider): { key: Uint8Array; keyId: Uint8Array } {
    this.key ??= provider.randomBytes(32);
    // The key id names the key without revealing it: a hash prefix.
    this.keyId ??= provider.hash('sha256', this.key).slice(0, KEY_ID_LENGTH);
    return { key: this.key, keyId: this.keyId };
  }

  seal(provider: CryptoProvider, state: TicketState): Uint8Array {
    const { key, keyId } = this.material(provider);
    const plain = encodeState(state);
    const nonce = provider.randomBytes(NONCE_LENGTH);
    const out = new Uint8Array(KEY_ID_LENGTH + NONCE_LENGTH + plain.length + TAG_LENGTH);
    out.set(keyId, 0);
    out.set(nonce, KEY_ID_LENGTH);
    provider.aead(TLS_CHACHA20_POLY1305_SHA256, key).seal(nonce, keyId, plain, out, KEY_ID_LENGTH + NONCE_LENGTH);
    return out;
  }

  /** The state in a ticket we sealed, or undefined for any other bytes (never throws). */
  open(provider: CryptoProvider, ticket: Uint8Array): TicketState | undefined {
    if (ticket.length < KEY_ID_LENGTH + NONCE_LENGTH + TAG_LENGTH) return undefined;
    const { key, keyId } = this.material(provider);
    if (!bytesEqual(ticket.subarray(0, KEY_ID_LENGTH), keyId)) return undefined;
    const nonce = ticket.slice(KEY_ID_LENGTH, KEY_ID_LENGTH + NONCE_LENGTH);
    const plain = provider.aead(TLS_CHACHA20_POLY1305_SHA256, key).open(nonce, keyId, ticket.slice(KEY_ID_LENGTH + NONCE_LENGTH));
    return plain === null ? undefined : decodeState(plain);
  }
}
