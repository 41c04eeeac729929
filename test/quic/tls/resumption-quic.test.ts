/**
 * Resumption through QUIC connections (in memory, test/quic/connection/harness.ts): the server's
 * NewSessionTicket travels in 1-RTT CRYPTO frames (RFC 9001 §4.1.3), lands in the client's
 * session cache, and a second connection with that cache resumes without certificates.
 */
import { describe, expect, it } from 'vitest';
import { SessionTicketKey } from '../../../src/quic/tls/ticket.js';
import { MemorySessionCache } from '../../../src/quic/tls/session.js';
import { handshake, makePair, runFor } from '../connection/harness.js';

describe('session resumption over QUIC connections', () => {
  it('a second connection resumes with the ticket the first received', () => {
    const cache = new MemorySessionCache();
    const key = new SessionTicketKey();
    const first = makePair({ client: { sessionCache: cache }, server: { sessionTicketKey: key } });
    handshake(first);
    const fullHandshakeBytes = first.server!.stats.bytesSent;
    // The ticket follows the server's handshake completion; let it arrive.
    runFor(first, 50_000);
    expect(first.client.tls.resumed).toBe(false);
    expect(cache.get('localhost')).toBeDefined();

    const second = makePair({ client: { sessionCache: cache }, server: { sessionTicketKey: key } });
    handshake(second);
    expect(second.client.tls.resumed).toBe(true);
    expect(second.server!.tls.resumed).toBe(true);
    expect(second.client.tls.peerCertificates).toEqual([]);
    // A PSK handshake has no certificate flight: fewer bytes in the server's first datagrams.
    expect(second.server!.stats.bytesSent).toBeLessThan(fullHandshakeBytes);
  });

  it('servers get a ticket key by default; a server without one makes a full handshake', () => {
    const cache = new MemorySessionCache();
    const first = makePair({ client: { sessionCache: cache } });
    handshake(first);
    runFor(first, 50_000);
    expect(first.serverConfig.sessionTicketKey).toBeInstanceOf(SessionTicketKey);
    expect(cache.get('localhost')).toBeDefined();
    const second = makePair({ client: { sessionCache: cache }, server: { sessionTicketKey: undefined } });
    handshake(second);
    expect(second.client.tls.resumed).toBe(false);
  });
});
