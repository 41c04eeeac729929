/**
 * Session resumption (RFC 8446 §2.2, §4.2.11, §4.6.1): RFC 8448 §4's PSK, binder and resumed key
 * schedule, then in-memory handshakes where a first connection leaves a ticket and a second
 * resumes it, or falls back to a full handshake when the ticket cannot be used.
 */
import { describe, expect, it } from 'vitest';
import {
  GROUP_SECP256R1,
  TLS_AES_128_GCM_SHA256,
  TLS_AES_256_GCM_SHA384,
  TLS_CHACHA20_POLY1305_SHA256,
  type CipherSuite,
  type CryptoProvider,
} from '../../../../src/quic/crypto/provider.js';
import { AlertDescription, ExtensionType, HandshakeType } from '../../../../src/quic/tls/constants.js';
import { findExtension } from '../../../../src/quic/tls/extensions.js';
import { KeySchedule, Transcript } from '../../../../src/quic/tls/key-schedule.js';
import { encodeHandshake, encodeNewSessionTicket, parseClientHello } from '../../../../src/quic/tls/messages.js';
import { encodeMaxEarlyData, parseOfferedPsks } from '../../../../src/quic/tls/psk-extensions.js';
import { writeBinder } from '../../../../src/quic/tls/resumption.js';
import { MemorySessionCache, decodeClientSession, encodeClientSession, type ClientSession } from '../../../../src/quic/tls/session.js';
import { SessionTicketKey } from '../../../../src/quic/tls/ticket.js';
import type { TlsConfig } from '../../../../src/quic/tls/context.js';
import { toHex } from '../../../../src/quic/tls/wire.js';
import { PROVIDERS, alertOf, runHandshake, splitMessages, type Side } from './helpers.js';
import { RFC8448 } from './rfc8448.js';
import { RFC8448_RESUMED as R } from './rfc8448-resumed.js';

const hex = toHex;

describe.each(PROVIDERS)('RFC 8448 §4 resumed handshake values (%s provider)', (_name, provider) => {
  it('derives the ticket PSK from §3\'s resumption master secret and nonce 0000', () => {
    const ks = new KeySchedule(provider, TLS_AES_128_GCM_SHA256);
    expect(hex(ks.resumptionPsk(Buffer.from(RFC8448.resumptionMasterSecret, 'hex'), R.ticketNonce))).toBe(R.psk);
  });

  it('parses the offered PSK and verifies its binder over the truncated ClientHello', () => {
    const ch = parseClientHello(R.clientHello.subarray(4));
    const offered = parseOfferedPsks(findExtension(ch.extensions, ExtensionType.preSharedKey)!);
    expect(offered.identities).toHaveLength(1);
    expect(offered.identities[0]!.obfuscatedTicketAge).toBe(R.obfuscatedTicketAge);
    expect(offered.bindersLength).toBe(2 + 1 + 32);
    expect(hex(offered.binders[0]!)).toBe(R.binder);
    const ks = new KeySchedule(provider, TLS_AES_128_GCM_SHA256, Buffer.from(R.psk, 'hex'));
    const truncated = R.clientHello.subarray(0, R.clientHello.length - offered.bindersLength);
    expect(hex(ks.pskBinder(new Transcript(provider).hash('sha256', truncated)))).toBe(R.binder);
  });

  it('writeBinder puts the same binder into a hello with a placeholder', () => {
    const hello = R.clientHello.slice();
    hello.fill(0, hello.length - 32);
    const ks = new KeySchedule(provider, TLS_AES_128_GCM_SHA256, Buffer.from(R.psk, 'hex'));
    writeBinder(hello, 32, (truncated) => ks.pskBinder(provider.hash('sha256', truncated)));
    expect(hex(hello)).toBe(hex(R.clientHello));
  });

  it('derives the handshake traffic secrets with the PSK and the new ECDHE secret', () => {
    const ks = new KeySchedule(provider, TLS_AES_128_GCM_SHA256, Buffer.from(R.psk, 'hex'));
    const secrets = ks.handshake(R.sharedSecret, R.helloHash);
    expect(hex(secrets.client)).toBe(R.clientHandshakeTrafficSecret);
    expect(hex(secrets.server)).toBe(R.serverHandshakeTrafficSecret);
  });
});

/** The handshake message types each side sent, by epoch, recorded through the tamper hook. */
function resumeOnce(provider: CryptoProvider, opts: { client?: Partial<TlsConfig>; server?: Partial<TlsConfig> }, tamper?: (from: 'client' | 'server', data: Uint8Array) => Uint8Array) {
  const sent: { from: string; type: number }[] = [];
  const r = runHandshake(provider, opts, (from, _epoch, data) => {
    const out = tamper ? tamper(from, data) : data;
    for (const m of splitMessages(out)) sent.push({ from, type: m.type });
    return out;
  });
  return { ...r, sent };
}

function expectMatchingSecrets(client: Side, server: Side): void {
  for (const epoch of ['handshake', 'oneRtt'] as const) {
    const w = client.secrets.find((s) => s.epoch === epoch && s.direction === 'write')!;
    const r = server.secrets.find((s) => s.epoch === epoch && s.direction === 'read')!;
    expect(hex(w.secret)).toBe(hex(r.secret));
    const sw = server.secrets.find((s) => s.epoch === epoch && s.direction === 'write')!;
    const cr = client.secrets.find((s) => s.epoch === epoch && s.direction === 'read')!;
    expect(hex(sw.secret)).toBe(hex(cr.secret));
  }
}

const SUITES: [string, CipherSuite][] = [
  ['AES-128-GCM', TLS_AES_128_GCM_SHA256],
  ['AES-256-GCM', TLS_AES_256_GCM_SHA384],
  ['CHACHA20-POLY1305', TLS_CHACHA20_POLY1305_SHA256],
];

describe.each(PROVIDERS)('session resumption in memory (%s provider)', (_name, provider) => {
  /** A first, full handshake: the client's cache and the server's key come out holding a ticket. */
  function firstConnection(opts: { client?: Partial<TlsConfig>; server?: Partial<TlsConfig> } = {}) {
    const cache = new MemorySessionCache();
    const key = new SessionTicketKey();
    const r = resumeOnce(provider, { client: { sessionCache: cache, ...opts.client }, server: { sessionTicketKey: key, ...opts.server } });
    expect(r.clientError ?? r.serverError).toBeUndefined();
    return { cache, key, first: r };
  }

  it.each(SUITES)('full handshake then resumed one with %s', (_suite, suite) => {
    const { cache, key, first } = firstConnection({ client: { cipherSuites: [suite] } });
    expect(first.client.ctx.resumed).toBe(false);
    // The server sent one NewSessionTicket, after the handshake (RFC 9001 §4.1.3: 1-RTT CRYPTO).
    expect(first.sent.filter((m) => m.type === HandshakeType.newSessionTicket)).toHaveLength(1);
    const session = cache.get('localhost')!;
    expect(session.suite).toBe(suite);
    expect(session.alpn).toBe('h3');

    const second = resumeOnce(provider, { client: { sessionCache: cache, cipherSuites: [suite] }, server: { sessionTicketKey: key } });
    expect(second.clientError ?? second.serverError).toBeUndefined();
    expect(second.client.ctx.handshakeComplete && second.server.ctx.handshakeComplete).toBe(true);
    expect(second.client.ctx.resumed).toBe(true);
    expect(second.server.ctx.resumed).toBe(true);
    // RFC 8446 §2.2: no Certificate or CertificateVerify in a PSK handshake.
    const types = second.sent.filter((m) => m.from === 'server').map((m) => m.type);
    expect(types).toEqual([HandshakeType.serverHello, HandshakeType.encryptedExtensions, HandshakeType.finished, HandshakeType.newSessionTicket]);
    expect(second.client.ctx.peerCertificates).toEqual([]);
    expect(second.client.ctx.alpn).toBe('h3');
    expectMatchingSecrets(second.client, second.server);
    // The resumed connection's own ticket replaced the first.
    expect(hex(cache.get('localhost')!.ticket)).not.toBe(hex(session.ticket));
    expect(hex(cache.get('localhost')!.psk)).not.toBe(hex(session.psk));
  });

  it('issues tickets only to clients that list psk_dhe_ke (RFC 8446 §4.2.9), which clients with a cache do', () => {
    const key = new SessionTicketKey();
    const without = resumeOnce(provider, { server: { sessionTicketKey: key } });
    expect(without.clientError ?? without.serverError).toBeUndefined();
    expect(without.sent.some((m) => m.type === HandshakeType.newSessionTicket)).toBe(false);
    let modes: Uint8Array | undefined;
    const withCache = resumeOnce(provider, { client: { sessionCache: new MemorySessionCache() }, server: { sessionTicketKey: key } }, (from, data) => {
      if (from === 'client' && data[0] === HandshakeType.clientHello) modes = findExtension(parseClientHello(data.subarray(4)).extensions, ExtensionType.pskKeyExchangeModes);
      return data;
    });
    expect(modes && hex(modes)).toBe('0101');
    expect(withCache.sent.filter((m) => m.type === HandshakeType.newSessionTicket)).toHaveLength(1);
  });

  it('resumes after a HelloRetryRequest (the binder covers message_hash and the HRR)', () => {
    const { cache, key } = firstConnection();
    const r = resumeOnce(provider, { client: { sessionCache: cache }, server: { sessionTicketKey: key, groups: [GROUP_SECP256R1] } });
    expect(r.clientError ?? r.serverError).toBeUndefined();
    expect(r.server.ctx.helloRetryRequested).toBe(true);
    expect(r.server.ctx.resumed && r.client.ctx.resumed).toBe(true);
    expectMatchingSecrets(r.client, r.server);
  });

  it('aborts with decrypt_error when the binder does not verify (RFC 8446 §4.2.11)', () => {
    const { cache, key } = firstConnection();
    let tampered = false;
    const r = resumeOnce(provider, { client: { sessionCache: cache }, server: { sessionTicketKey: key } }, (from, data) => {
      if (from !== 'client' || tampered || data[0] !== HandshakeType.clientHello) return data;
      tampered = true;
      const copy = data.slice();
      copy[copy.length - 1]! ^= 1; // the last byte of the binder
      return copy;
    });
    expect(tampered).toBe(true);
    expect(r.serverError?.alert).toBe(AlertDescription.decryptError);
  });

  it('the client refuses a ServerHello selecting a PSK identity it did not offer (RFC 8446 §4.2.11)', () => {
    const { cache, key } = firstConnection();
    const r = resumeOnce(provider, { client: { sessionCache: cache }, server: { sessionTicketKey: key } }, (from, data) => {
      if (from !== 'server' || data[0] !== HandshakeType.serverHello) return data;
      // pre_shared_key is the ServerHello's last extension: its u16 selected_identity ends the message.
      const copy = data.slice();
      copy[copy.length - 1] = 1;
      return copy;
    });
    expect(r.clientError?.alert).toBe(AlertDescription.illegalParameter);
    expect(r.clientError?.message).toMatch(/PSK identity 1/);
  });

  /** A second connection that must complete with a full handshake (and get a fresh ticket). */
  function expectFullHandshake(cache: MemorySessionCache, client: Partial<TlsConfig>, server: Partial<TlsConfig>): void {
    const before = cache.get('localhost');
    const r = resumeOnce(provider, { client: { sessionCache: cache, ...client }, server });
    expect(r.clientError ?? r.serverError).toBeUndefined();
    expect(r.client.ctx.resumed || r.server.ctx.resumed).toBe(false);
    expect(r.sent.some((m) => m.from === 'server' && m.type === HandshakeType.certificate)).toBe(true);
    expect(r.client.ctx.peerCertificates.length).toBeGreaterThan(0);
    if (server.sessionTicketKey) expect(hex(cache.get('localhost')!.ticket)).not.toBe(hex(before!.ticket));
  }

  it('falls back to a full handshake for a ticket from another server key', () => {
    const { cache } = firstConnection();
    expectFullHandshake(cache, {}, { sessionTicketKey: new SessionTicketKey() });
  });

  it('falls back to a full handshake when the server has no ticket key', () => {
    const { cache } = firstConnection();
    expectFullHandshake(cache, {}, {});
  });

  it('falls back to a full handshake for an expired ticket (server clock)', () => {
    const t0 = Date.now();
    const { cache, key } = firstConnection({ server: { ticketLifetimeS: 2, now: () => new Date(t0) }, client: { now: () => new Date(t0) } });
    // The client believes the ticket is still good (a lifetime it extended), both clocks agree on
    // the age: only the server's expiry check can refuse it.
    const session = cache.get('localhost')!;
    cache.set('localhost', { ...session, lifetimeS: 3600 });
    const later = () => new Date(t0 + 5_000);
    expectFullHandshake(cache, { now: later }, { sessionTicketKey: key, now: later });
  });

  it('does not offer a ticket the client knows has expired', () => {
    const t0 = Date.now();
    const { cache, key } = firstConnection({ server: { ticketLifetimeS: 2 }, client: { now: () => new Date(t0) } });
    const r = resumeOnce(provider, { client: { sessionCache: cache, now: () => new Date(t0 + 3_000) }, server: { sessionTicketKey: key } });
    expect(r.clientError ?? r.serverError).toBeUndefined();
    expect(r.client.ctx.resumed).toBe(false);
  });

  it('falls back to a full handshake when the client\'s ticket age is far from the server\'s', () => {
    const t0 = Date.now();
    const { cache, key } = firstConnection({ server: { now: () => new Date(t0) }, client: { now: () => new Date(t0) } });
    expectFullHandshake(cache, { now: () => new Date(t0 + 60_000) }, { sessionTicketKey: key, now: () => new Date(t0) });
  });

  it('falls back to a full handshake when the server picks another ALPN than the ticket\'s', () => {
    const { cache, key } = firstConnection();
    expectFullHandshake(cache, { alpnProtocols: ['hq-interop', 'h3'] }, { sessionTicketKey: key, alpnProtocols: ['hq-interop', 'h3'] });
  });

  it('falls back to a full handshake when the negotiated suite has another hash than the PSK', () => {
    const { cache, key } = firstConnection({ client: { cipherSuites: [TLS_AES_256_GCM_SHA384] } });
    expectFullHandshake(cache, {}, { sessionTicketKey: key, cipherSuites: [TLS_AES_128_GCM_SHA256] });
  });

  it('falls back to a full handshake when the server name differs from the ticket\'s', () => {
    const { cache, key } = firstConnection();
    // The cache hands the localhost session to a connection for 127.0.0.1 (a confused cache).
    const session = cache.get('localhost')!;
    const cache2 = new MemorySessionCache();
    cache2.set('127.0.0.1', { ...session, serverName: '127.0.0.1' });
    const r = resumeOnce(provider, { client: { sessionCache: cache2, serverName: '127.0.0.1' }, server: { sessionTicketKey: key } });
    expect(r.clientError ?? r.serverError).toBeUndefined();
    expect(r.server.ctx.resumed).toBe(false);
  });

  describe('NewSessionTicket checks at the client (RFC 8446 §4.6.1, RFC 9001 §4.6.1)', () => {
    const nst = (lifetime: number, extensions: { type: number; data: Uint8Array }[] = []) =>
      encodeNewSessionTicket({ ticketLifetime: lifetime, ticketAgeAdd: 1, ticketNonce: Uint8Array.of(0), ticket: Uint8Array.of(1, 2, 3), extensions });
    const connected = () => {
      const cache = new MemorySessionCache();
      const r = runHandshake(provider, { client: { sessionCache: cache } });
      expect(r.clientError ?? r.serverError).toBeUndefined();
      return { cache, client: r.client };
    };

    it('keeps a valid ticket, with max_early_data 0xffffffff', () => {
      const { cache, client } = connected();
      client.ctx.receive('oneRtt', nst(3600, [{ type: ExtensionType.earlyData, data: encodeMaxEarlyData(0xffffffff) }]));
      const s = cache.get('localhost')!;
      expect(s.maxEarlyData).toBe(0xffffffff);
      expect(hex(s.ticket)).toBe('010203');
      expect(hex(s.transportParameters)).toBe(hex(client.ctx.peerTransportParameters!));
    });

    it('rejects another max_early_data_size', () => {
      const { client } = connected();
      expect(alertOf(() => client.ctx.receive('oneRtt', nst(3600, [{ type: ExtensionType.earlyData, data: encodeMaxEarlyData(16384) }])))).toBe(
        AlertDescription.illegalParameter,
      );
    });

    it('rejects a lifetime over seven days and drops a zero lifetime', () => {
      const a = connected();
      a.client.ctx.receive('oneRtt', nst(0));
      expect(a.cache.get('localhost')).toBeUndefined();
      const b = connected();
      expect(alertOf(() => b.client.ctx.receive('oneRtt', nst(604_801)))).toBe(AlertDescription.illegalParameter);
    });

    it('rejects a truncated ticket message', () => {
      const { client } = connected();
      expect(alertOf(() => client.ctx.receive('oneRtt', encodeHandshake(HandshakeType.newSessionTicket, Uint8Array.of(0, 0, 0, 1, 0, 0))))).toBe(
        AlertDescription.decodeError,
      );
    });
  });
});

describe('client session encoding (the CLI\'s --session-file)', () => {
  const session: ClientSession = {
    serverName: 'example.org',
    alpn: 'hq-interop',
    suite: TLS_AES_256_GCM_SHA384,
    psk: new Uint8Array(48).fill(3),
    ticket: Uint8Array.of(9, 8, 7),
    lifetimeS: 86_400,
    ageAdd: 0xdeadbeef,
    receivedAtMs: 1_764_000_000_123,
    maxEarlyData: 0,
    transportParameters: Uint8Array.of(1, 2),
  };

  it('round-trips', () => {
    expect(decodeClientSession(encodeClientSession(session))).toEqual(session);
  });

  it('rejects truncations, another version and a PSK of the wrong length with decode_error', () => {
    const bytes = encodeClientSession(session);
    for (let n = 0; n < bytes.length; n++) expect(alertOf(() => decodeClientSession(bytes.subarray(0, n)))).toBe(AlertDescription.decodeError);
    const v2 = bytes.slice();
    v2[0] = 2;
    expect(alertOf(() => decodeClientSession(v2))).toBe(AlertDescription.decodeError);
    expect(alertOf(() => decodeClientSession(encodeClientSession({ ...session, psk: new Uint8Array(32) })))).toBe(AlertDescription.decodeError);
  });
});

describe('SessionTicketKey', () => {
  const provider = PROVIDERS[0]![1];
  const state = {
    suite: TLS_CHACHA20_POLY1305_SHA256, psk: new Uint8Array(32).fill(1), issuedAtMs: 1_764_000_000_000, lifetimeS: 60, ageAdd: 7,
    maxEarlyData: 0, alpn: 'h3', serverName: 'localhost', transportParameters: Uint8Array.of(4, 5),
  } as const;

  it('opens what it sealed, and nothing sealed under another key', () => {
    const key = new SessionTicketKey();
    const ticket = key.seal(provider, state);
    expect(key.open(provider, ticket)).toEqual(state);
    expect(new SessionTicketKey().open(provider, ticket)).toBeUndefined();
  });

  it('never throws on altered or garbage tickets', () => {
    const key = new SessionTicketKey(new Uint8Array(32).fill(5));
    const ticket = key.seal(provider, state);
    for (let i = 0; i < ticket.length; i++) {
      const bad = ticket.slice();
      bad[i]! ^= 0x40;
      expect(key.open(provider, bad)).toBeUndefined();
    }
    for (let n = 0; n < 80; n++) expect(key.open(provider, provider.randomBytes(n))).toBeUndefined();
  });
});

describe.each(PROVIDERS)('0-RTT in memory (%s provider)', (_name, provider) => {
  /** A first connection with a server that announces 0-RTT, then a second that offers early data. */
  function twoConnections(second: { client?: Partial<TlsConfig>; server?: Partial<TlsConfig> } = {}, first: { server?: Partial<TlsConfig> } = {}) {
    const cache = new MemorySessionCache();
    const key = new SessionTicketKey();
    const one = runHandshake(provider, { client: { sessionCache: cache }, server: { sessionTicketKey: key, acceptEarlyData: true, ...first.server } });
    expect(one.clientError ?? one.serverError).toBeUndefined();
    const r = runHandshake(provider, {
      client: { sessionCache: cache, offerEarlyData: true, ...second.client },
      server: { sessionTicketKey: key, acceptEarlyData: true, ...second.server },
    });
    expect(r.clientError ?? r.serverError).toBeUndefined();
    expect(r.client.ctx.resumed && r.server.ctx.resumed).toBe(true);
    return { cache, r };
  }
  const zeroRtt = (side: Side, direction: 'read' | 'write') => side.secrets.find((s) => s.epoch === 'zeroRtt' && s.direction === direction);

  it('announces max_early_data 0xffffffff in tickets (RFC 9001 §4.6.1) and accepts early data', () => {
    const { cache, r } = twoConnections();
    expect(cache.get('localhost')!.maxEarlyData).toBe(0xffffffff);
    expect(r.client.ctx.acceptedEarlyData && r.server.ctx.acceptedEarlyData).toBe(true);
    const w = zeroRtt(r.client, 'write')!;
    const rd = zeroRtt(r.server, 'read')!;
    expect(hex(w.secret)).toBe(hex(rd.secret));
    expect(w.suite).toBe(rd.suite);
    // The early secret comes first: before the client hears anything from the server.
    expect(r.client.secrets[0]!.epoch).toBe('zeroRtt');
    expect(r.client.keyLog.some((l) => l.startsWith('CLIENT_EARLY_TRAFFIC_SECRET '))).toBe(true);
  });

  it('rejects early data (and still resumes) when the server no longer accepts it', () => {
    const { r } = twoConnections({ server: { acceptEarlyData: false } });
    expect(r.client.ctx.acceptedEarlyData || r.server.ctx.acceptedEarlyData).toBe(false);
    expect(zeroRtt(r.client, 'write')).toBeDefined();
    expect(zeroRtt(r.server, 'read')).toBeUndefined();
  });

  it('rejects early data when a remembered limit went down (RFC 9000 §7.4.1)', () => {
    // active_connection_id_limit 4 in the ticket, 2 now.
    const { r } = twoConnections({ server: { transportParameters: Uint8Array.of(0x0e, 0x01, 0x02) } });
    expect(r.server.ctx.acceptedEarlyData).toBe(false);
    const raised = twoConnections({ server: { transportParameters: Uint8Array.of(0x0e, 0x01, 0x08) } });
    expect(raised.r.server.ctx.acceptedEarlyData).toBe(true);
  });

  it('rejects early data after a HelloRetryRequest, where the client does not offer it again', () => {
    const { r } = twoConnections({ server: { groups: [GROUP_SECP256R1] } });
    expect(r.server.ctx.helloRetryRequested).toBe(true);
    expect(r.server.ctx.acceptedEarlyData || r.client.ctx.acceptedEarlyData).toBe(false);
  });

  it('offers no early data with a ticket that does not allow it', () => {
    const { r } = twoConnections({}, { server: { acceptEarlyData: false } });
    expect(zeroRtt(r.client, 'write')).toBeUndefined();
    expect(r.server.ctx.acceptedEarlyData).toBe(false);
  });
});
