/**
 * PSK resumption decisions, kept out of the handshake state machine: which cached session a
 * client may offer, how a ClientHello gets its binder, and which offered ticket a server accepts
 * (RFC 8446 §4.2.11, §4.6.1, §8).
 */
import type { CipherSuite, CryptoProvider } from '../crypto/provider.js';
import { suiteParams } from '../crypto/provider.js';
import { AlertDescription } from './constants.js';
import { TlsAlert } from './alerts.js';
import { KeySchedule } from './key-schedule.js';
import type { OfferedPsks } from './psk-extensions.js';
import { ticketAgeMs, type ClientSession, type SessionCache } from './session.js';
import type { SessionTicketKey, TicketState } from './ticket.js';
import { bytesEqual } from './wire.js';

/**
 * How far the client's idea of the ticket age may be from ours. RFC 8446 §8.3 asks for a small
 * window for 0-RTT anti-replay; a full 1-RTT resumption tolerates more, but a ticket whose client
 * age is off by more than this is more likely replayed or from a confused client than delayed.
 */
export const TICKET_AGE_TOLERANCE_MS = 10_000;

/** The cached session for `serverName` if this connection could resume it, else undefined. */
export function sessionToOffer(
  cache: SessionCache | undefined,
  serverName: string | undefined,
  alpnProtocols: readonly string[],
  cipherSuites: readonly CipherSuite[],
  nowMs: number,
): ClientSession | undefined {
  if (!cache || serverName === undefined) return undefined;
  const s = cache.get(serverName);
  if (!s || s.serverName !== serverName) return undefined;
  if (ticketAgeMs(s, nowMs) === undefined) return undefined;
  // The server must pick the same ALPN (RFC 8446 §4.6.1 for early data; we require it always)
  // and a suite with the PSK's hash (RFC 8446 §4.2.11).
  if (s.alpn === undefined ? alpnProtocols.length > 0 : !alpnProtocols.includes(s.alpn)) return undefined;
  const hash = suiteParams(s.suite).hash;
  if (!cipherSuites.some((c) => suiteParams(c).hash === hash)) return undefined;
  return s;
}

/** obfuscated_ticket_age = age in ms + ticket_age_add, mod 2^32 (RFC 8446 §4.2.11.1). */
export function obfuscatedAge(session: ClientSession, nowMs: number): number {
  return ((ticketAgeMs(session, nowMs) ?? 0) + session.ageAdd) >>> 0;
}

/**
 * Writes the binder into a ClientHello encoded with a placeholder binder as its last bytes
 * (pre_shared_key is the last extension, its binders the last field): the binder covers the
 * transcript so far and the hello without its binders vector (RFC 8446 §4.2.11.2).
 */
export function writeBinder(hello: Uint8Array, binderLength: number, binder: (truncatedHello: Uint8Array) => Uint8Array): void {
  const value = binder(hello.subarray(0, hello.length - 2 - 1 - binderLength));
  hello.set(value, hello.length - binderLength);
}

export interface PskChoice {
  index: number;
  state: TicketState;
  schedule: KeySchedule;
}

/**
 * The first offered ticket the server can resume: one we sealed, not expired, with a plausible
 * client age, the same ALPN and server name, and a suite of the negotiated suite's hash. Tickets
 * failing these checks are skipped (the handshake falls back to certificates); the chosen one's
 * binder must verify or the handshake aborts (RFC 8446 §4.2.11: "MUST abort").
 */
export function choosePsk(args: {
  provider: CryptoProvider;
  key: SessionTicketKey;
  offered: OfferedPsks;
  suite: CipherSuite;
  alpn: string | undefined;
  serverName: string | undefined;
  nowMs: number;
  /** Transcript-Hash(earlier messages + this truncated ClientHello) with the suite's hash. */
  truncatedHelloHash: () => Uint8Array;
}): PskChoice | undefined {
  const { provider, offered, suite, nowMs } = args;
  const hash = suiteParams(suite).hash;
  for (let index = 0; index < offered.identities.length; index++) {
    const id = offered.identities[index]!;
    const state = args.key.open(provider, id.identity);
    if (!state || suiteParams(state.suite).hash !== hash) continue;
    if (state.alpn !== args.alpn || state.serverName !== args.serverName) continue;
    const serverAge = nowMs - state.issuedAtMs;
    if (serverAge < -TICKET_AGE_TOLERANCE_MS || serverAge > state.lifetimeS * 1000) continue;
    const clientAge = (id.obfuscatedTicketAge - state.ageAdd) >>> 0;
    if (Math.abs(clientAge - serverAge) > TICKET_AGE_TOLERANCE_MS) continue;
    const schedule = new KeySchedule(provider, suite, state.psk);
    const binder = offered.binders[index]!;
    if (!bytesEqual(binder, schedule.pskBinder(args.truncatedHelloHash()))) {
      throw new TlsAlert(AlertDescription.decryptError, 'PSK binder does not verify');
    }
    return { index, state, schedule };
  }
  return undefined;
}
