import { describe, expect, it } from 'vitest';
import {
  GROUP_SECP256R1,
  GROUP_X25519,
  TLS_AES_128_GCM_SHA256,
  TLS_AES_256_GCM_SHA384,
  TLS_CHACHA20_POLY1305_SHA256,
  type CipherSuite,
  type CryptoProvider,
  type NamedGroup,
} from '../../../../src/quic/crypto/provider.js';
import { AlertDescription, ExtensionType, HandshakeType } from '../../../../src/quic/tls/constants.js';
import { TlsAlert } from '../../../../src/quic/tls/alerts.js';
import { encodeKeyShareHelloRetryRequest, encodeSupportedVersionsServerHello, encodeU16List } from '../../../../src/quic/tls/extensions.js';
import {
  encodeCertificate,
  encodeCertificateRequest,
  encodeCertificateVerify,
  encodeClientHello,
  encodeEncryptedExtensions,
  encodeFinished,
  encodeHandshake,
  encodeNewSessionTicket,
  encodeServerHello,
  parseClientHello,
  parseEncryptedExtensions,
  type ClientHello,
} from '../../../../src/quic/tls/messages.js';
import { HELLO_RETRY_REQUEST_RANDOM } from '../../../../src/quic/tls/constants.js';
import { loadCertificates, parsePrivateKey } from '../../../../src/quic/tls/pem.js';
import { TlsContext, serverCertificateVerifyContent } from '../../../../src/quic/tls/context.js';
import { KeySchedule } from '../../../../src/quic/tls/key-schedule.js';
import {
  CLIENT_PARAMS,
  PROVIDERS,
  SERVER_PARAMS,
  alertOf,
  concat,
  indexOfBytes,
  makePair,
  runHandshake,
  splitMessages,
  testPki,
  transfer,
  type Side,
} from './helpers.js';
import { RSA_CA_PEM, RSA_LEAF_KEY_PEM, RSA_LEAF_PEM } from './rsa-fixture.js';

const SUITES: [string, CipherSuite][] = [
  ['AES-128-GCM', TLS_AES_128_GCM_SHA256],
  ['AES-256-GCM', TLS_AES_256_GCM_SHA384],
  ['CHACHA20-POLY1305', TLS_CHACHA20_POLY1305_SHA256],
];
const GROUPS: [string, NamedGroup][] = [
  ['x25519', GROUP_X25519],
  ['secp256r1', GROUP_SECP256R1],
];

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** Each side's write secret at an epoch equals the other's read secret. */
function expectMatchingSecrets(client: Side, server: Side): void {
  const find = (side: Side, epoch: string, direction: string) => side.secrets.find((s) => s.epoch === epoch && s.direction === direction);
  for (const epoch of ['handshake', 'oneRtt']) {
    for (const [writer, reader] of [
      [client, server],
      [server, client],
    ] as const) {
      const w = find(writer, epoch, 'write');
      const r = find(reader, epoch, 'read');
      expect(w, `${epoch} write`).toBeDefined();
      expect(hex(w!.secret)).toBe(hex(r!.secret));
      expect(w!.suite).toBe(r!.suite);
    }
  }
}

function expectConnected(r: ReturnType<typeof runHandshake>): void {
  expect(r.clientError).toBeUndefined();
  expect(r.serverError).toBeUndefined();
  expect(r.client.ctx.handshakeComplete).toBe(true);
  expect(r.server.ctx.handshakeComplete).toBe(true);
}

/** Rewrites the ClientHello in a client's first flight. */
function rewriteClientHello(edit: (ch: ClientHello) => ClientHello): (from: string, epoch: string, data: Uint8Array) => Uint8Array {
  return (from, epoch, data) => {
    if (from !== 'client' || epoch !== 'initial') return data;
    return encodeClientHello(edit(parseClientHello(data.subarray(4))));
  };
}

describe.each(PROVIDERS)('TLS 1.3 handshake (%s provider)', (_name, provider) => {
  describe.each(SUITES)('%s', (_suiteName, suite) => {
    it.each(GROUPS)('completes over %s', (_groupName, group) => {
      const r = runHandshake(provider, { client: { cipherSuites: [suite], groups: [group] } });
      expectConnected(r);
      for (const side of [r.client, r.server]) {
        expect(side.ctx.cipherSuite).toBe(suite);
        expect(side.ctx.alpn).toBe('h3');
        expect(side.ctx.helloRetryRequested).toBe(false);
      }
      expect(r.client.ctx.peerTransportParameters).toEqual(SERVER_PARAMS);
      expect(r.server.ctx.peerTransportParameters).toEqual(CLIENT_PARAMS);
      expect(r.client.ctx.peerCertificates).toHaveLength(1);
      expect(r.client.ctx.peerCertificates[0]!.dnsNames).toContain('localhost');
      expect(r.server.ctx.serverName).toBe('localhost');
      expectMatchingSecrets(r.client, r.server);
      expect(new Set(r.client.secrets.map((s) => s.secret.length))).toEqual(new Set([suite === TLS_AES_256_GCM_SHA384 ? 48 : 32]));
    });
  });

  it('retries the hello when the server accepts only secp256r1 (HelloRetryRequest)', () => {
    const r = runHandshake(provider, { server: { groups: [GROUP_SECP256R1] } });
    expectConnected(r);
    expect(r.client.ctx.helloRetryRequested).toBe(true);
    expect(r.server.ctx.helloRetryRequested).toBe(true);
    expectMatchingSecrets(r.client, r.server);
  });

  it('retries the hello with a SHA-384 suite (message_hash uses the negotiated hash)', () => {
    const r = runHandshake(provider, { client: { cipherSuites: [TLS_AES_256_GCM_SHA384] }, server: { groups: [GROUP_SECP256R1] } });
    expectConnected(r);
    expect(r.client.ctx.cipherSuite).toBe(TLS_AES_256_GCM_SHA384);
    expect(r.client.ctx.helloRetryRequested).toBe(true);
    expectMatchingSecrets(r.client, r.server);
  });

  it.each([
    ['ecdsa-p256', 'ecdsa-p256'],
    ['ed25519', 'ed25519'],
  ] as const)('authenticates a %s server key', (_label, kind) => {
    const pki = testPki(provider, kind);
    const r = runHandshake(provider, { pki });
    expectConnected(r);
    expect(r.client.ctx.peerCertificates[0]!.publicKey.kind).toBe(kind);
  });

  it.runIf(provider.name === 'node')('authenticates an RSA server key with RSA-PSS', () => {
    const [ca] = loadCertificates(RSA_CA_PEM);
    const pki = { ca: ca!, chain: loadCertificates(RSA_LEAF_PEM).map((c) => c.raw), key: parsePrivateKey(RSA_LEAF_KEY_PEM) };
    const r = runHandshake(provider, { pki, client: { now: () => new Date('2030-01-01T00:00:00Z') } });
    expectConnected(r);
    expect(r.client.ctx.peerCertificates[0]!.publicKey.kind).toBe('rsa');
  });

  it('verifies an RSA-PSS CertificateVerify from a node-provider server', () => {
    const [ca] = loadCertificates(RSA_CA_PEM);
    const server = PROVIDERS[0]![1];
    const { client, server: srv } = makePair(provider, {
      pki: { ca: ca!, chain: loadCertificates(RSA_LEAF_PEM).map((c) => c.raw), key: parsePrivateKey(RSA_LEAF_KEY_PEM) },
      client: { now: () => new Date('2030-01-01T00:00:00Z') },
      server: { provider: server },
    });
    client.ctx.start();
    expect(transfer(client, srv)).toEqual({});
    expect(client.ctx.handshakeComplete).toBe(true);
    expect(srv.ctx.handshakeComplete).toBe(true);
  });

  it('lets the server pick the ALPN protocol by its own preference', () => {
    const r = runHandshake(provider, { client: { alpnProtocols: ['hq-interop', 'h3'] }, server: { alpnProtocols: ['h3', 'hq-interop'] } });
    expectConnected(r);
    expect(r.client.ctx.alpn).toBe('h3');
    expect(r.server.ctx.alpn).toBe('h3');
  });

  it('fails with no_application_protocol when no ALPN protocol is shared', () => {
    const r = runHandshake(provider, { server: { alpnProtocols: ['smtp'] } });
    expect(r.serverError?.alert).toBe(AlertDescription.noApplicationProtocol);
    expect(r.serverError?.quicErrorCode).toBe(0x100 + 120);
    expect(r.client.ctx.handshakeComplete).toBe(false);
  });

  it('fails with no_application_protocol when the client offers no ALPN', () => {
    const r = runHandshake(provider, { client: { alpnProtocols: [] } });
    expect(r.serverError?.alert).toBe(AlertDescription.noApplicationProtocol);
  });

  it('fails with handshake_failure when no group is shared', () => {
    const r = runHandshake(provider, { client: { groups: [GROUP_X25519] }, server: { groups: [GROUP_SECP256R1] } });
    expect(r.serverError?.alert).toBe(AlertDescription.handshakeFailure);
  });

  it('fails with handshake_failure when no cipher suite is shared', () => {
    const r = runHandshake(provider, { client: { cipherSuites: [TLS_AES_128_GCM_SHA256] }, server: { cipherSuites: [TLS_CHACHA20_POLY1305_SHA256] } });
    expect(r.serverError?.alert).toBe(AlertDescription.handshakeFailure);
  });

  it('uses the server cipher suite preference', () => {
    const r = runHandshake(provider, { server: { cipherSuites: [TLS_CHACHA20_POLY1305_SHA256, TLS_AES_128_GCM_SHA256] } });
    expectConnected(r);
    expect(r.client.ctx.cipherSuite).toBe(TLS_CHACHA20_POLY1305_SHA256);
  });

  describe('certificate verification', () => {
    it('rejects a chain from an untrusted CA with unknown_ca', () => {
      const other = testPki(provider, 'ecdsa-p256', 'another CA');
      const r = runHandshake(provider, { client: { trustAnchors: [other.ca] } });
      expect(r.clientError?.alert).toBe(AlertDescription.unknownCa);
      expect(r.server.ctx.handshakeComplete).toBe(false);
    });

    it('rejects a certificate for another host name with bad_certificate', () => {
      const r = runHandshake(provider, { client: { serverName: 'example.com' } });
      expect(r.clientError?.alert).toBe(AlertDescription.badCertificate);
    });

    it('rejects an expired certificate', () => {
      const r = runHandshake(provider, { client: { now: () => new Date(Date.now() + 3 * 365 * 86_400_000) } });
      expect(r.clientError?.alert).toBe(AlertDescription.certificateExpired);
    });

    it('rejects any chain when no trust anchor is configured', () => {
      const r = runHandshake(provider, { client: { trustAnchors: undefined } });
      expect(r.clientError?.alert).toBe(AlertDescription.unknownCa);
    });

    it('accepts an untrusted chain with insecure, still checking CertificateVerify', () => {
      const other = testPki(provider, 'ecdsa-p256', 'another CA');
      const r = runHandshake(provider, { client: { trustAnchors: [other.ca], serverName: 'example.com', insecure: true } });
      expectConnected(r);
    });

    it('verifies an IP address without sending it as SNI (RFC 6066 §3)', () => {
      const r = runHandshake(provider, { client: { serverName: '127.0.0.1' } });
      expectConnected(r);
      expect(r.server.ctx.serverName).toBeUndefined();
    });
  });

  describe('tampering', () => {
    /** Flips one byte of the server's handshake flight, `fromEnd` bytes before its end. */
    const flipServerFlight = (fromEnd: number) => (from: string, epoch: string, data: Uint8Array) => {
      if (from !== 'server' || epoch !== 'handshake') return data;
      const copy = data.slice();
      copy[copy.length - fromEnd]! ^= 0x01;
      return copy;
    };

    it('rejects a tampered server Finished with decrypt_error', () => {
      const r = runHandshake(provider, {}, flipServerFlight(1));
      expect(r.clientError?.alert).toBe(AlertDescription.decryptError);
      expect(r.client.secrets.some((s) => s.epoch === 'oneRtt')).toBe(false);
    });

    it('rejects a tampered CertificateVerify signature with decrypt_error', () => {
      const r = runHandshake(provider, { pki: testPki(provider, 'ed25519') }, flipServerFlight(4 + 32 + 10));
      expect(r.clientError?.alert).toBe(AlertDescription.decryptError);
    });

    it('rejects a tampered client Finished with decrypt_error', () => {
      const r = runHandshake(provider, {}, (from, epoch, data) => {
        if (from !== 'client' || epoch !== 'handshake') return data;
        const copy = data.slice();
        copy[copy.length - 1]! ^= 0x80;
        return copy;
      });
      expect(r.serverError?.alert).toBe(AlertDescription.decryptError);
      expect(r.server.ctx.handshakeComplete).toBe(false);
      expect(r.server.secrets.some((s) => s.epoch === 'oneRtt' && s.direction === 'read')).toBe(false);
    });

    it('rejects a ClientHello without quic_transport_parameters with missing_extension', () => {
      const r = runHandshake(
        provider,
        {},
        rewriteClientHello((ch) => ({ ...ch, extensions: ch.extensions.filter((e) => e.type !== ExtensionType.quicTransportParameters) })),
      );
      expect(r.serverError?.alert).toBe(AlertDescription.missingExtension);
    });

    it('rejects EncryptedExtensions without quic_transport_parameters with missing_extension', () => {
      const r = runHandshake(provider, {}, (from, epoch, data) => {
        if (from !== 'server' || epoch !== 'handshake') return data;
        const [ee, ...rest] = splitMessages(data);
        const extensions = parseEncryptedExtensions(ee!.body).filter((e) => e.type !== ExtensionType.quicTransportParameters);
        return concat(encodeEncryptedExtensions(extensions), ...rest.map((m) => m.raw));
      });
      expect(r.clientError?.alert).toBe(AlertDescription.missingExtension);
    });

    it('rejects an unrequested extension in EncryptedExtensions with unsupported_extension', () => {
      const r = runHandshake(provider, {}, (from, epoch, data) => {
        if (from !== 'server' || epoch !== 'handshake') return data;
        const [ee, ...rest] = splitMessages(data);
        const extensions = [...parseEncryptedExtensions(ee!.body), { type: 0x1234, data: new Uint8Array(0) }];
        return concat(encodeEncryptedExtensions(extensions), ...rest.map((m) => m.raw));
      });
      expect(r.clientError?.alert).toBe(AlertDescription.unsupportedExtension);
    });

    it('rejects a key_share in EncryptedExtensions with illegal_parameter', () => {
      const r = runHandshake(provider, {}, (from, epoch, data) => {
        if (from !== 'server' || epoch !== 'handshake') return data;
        const [ee, ...rest] = splitMessages(data);
        const extensions = [...parseEncryptedExtensions(ee!.body), { type: ExtensionType.keyShare, data: new Uint8Array(2) }];
        return concat(encodeEncryptedExtensions(extensions), ...rest.map((m) => m.raw));
      });
      expect(r.clientError?.alert).toBe(AlertDescription.illegalParameter);
    });

    it('rejects a duplicated ClientHello extension with illegal_parameter', () => {
      const r = runHandshake(
        provider,
        {},
        rewriteClientHello((ch) => ({ ...ch, extensions: [...ch.extensions, ch.extensions.find((e) => e.type === ExtensionType.supportedGroups)!] })),
      );
      expect(r.serverError?.alert).toBe(AlertDescription.illegalParameter);
    });

    it('tolerates GREASE and unknown extensions, suites and groups in the ClientHello', () => {
      const r = runHandshake(
        provider,
        {},
        rewriteClientHello((ch) => ({
          ...ch,
          cipherSuites: [0x0a0a, ...ch.cipherSuites],
          extensions: [
            { type: 0x1a1a, data: new Uint8Array(0) },
            ...ch.extensions.map((e) => (e.type === ExtensionType.supportedGroups ? { type: e.type, data: encodeU16List([0x2a2a, GROUP_X25519, GROUP_SECP256R1]) } : e)),
            { type: 0xfe0d, data: Uint8Array.of(1, 2, 3) },
          ],
        })),
      );
      // The rewritten ClientHello is what the server hashed, so the client's transcript differs: the
      // server must have accepted it (and the client then fails the server Finished).
      expect(r.serverError).toBeUndefined();
      expect(r.clientError?.alert).toBe(AlertDescription.decryptError);
    });

    it('rejects a non-empty legacy_session_id (RFC 9001 §8.4)', () => {
      const r = runHandshake(provider, {}, rewriteClientHello((ch) => ({ ...ch, legacySessionId: new Uint8Array(32).fill(7) })));
      expect(r.serverError?.alert).toBe(AlertDescription.illegalParameter);
    });

    it('rejects a ClientHello that does not offer TLS 1.3 with protocol_version', () => {
      const r = runHandshake(
        provider,
        {},
        rewriteClientHello((ch) => ({ ...ch, extensions: ch.extensions.filter((e) => e.type !== ExtensionType.supportedVersions) })),
      );
      expect(r.serverError?.alert).toBe(AlertDescription.protocolVersion);
    });

    it('rejects a ClientHello without signature_algorithms with missing_extension', () => {
      const r = runHandshake(
        provider,
        {},
        rewriteClientHello((ch) => ({ ...ch, extensions: ch.extensions.filter((e) => e.type !== ExtensionType.signatureAlgorithms) })),
      );
      expect(r.serverError?.alert).toBe(AlertDescription.missingExtension);
    });

    it('rejects a small-order X25519 key share with illegal_parameter', () => {
      const r = runHandshake(provider, {}, (from, epoch, data) => {
        if (from !== 'client' || epoch !== 'initial') return data;
        const copy = data.slice();
        const at = indexOfBytes(copy, Uint8Array.of(0, 0x1d, 0, 32)) + 4;
        copy.fill(0, at, at + 32);
        return copy;
      });
      expect(r.serverError?.alert).toBe(AlertDescription.illegalParameter);
    });

    it('rejects a ClientHello key share that is not a curve point with illegal_parameter', () => {
      const r = runHandshake(provider, { client: { groups: [GROUP_SECP256R1] } }, (from, epoch, data) => {
        if (from !== 'client' || epoch !== 'initial') return data;
        const copy = data.slice();
        const at = indexOfBytes(copy, Uint8Array.of(0, 0x17, 0, 65, 4)) + 5;
        copy.fill(0x11, at, at + 64);
        return copy;
      });
      expect(r.serverError?.alert).toBe(AlertDescription.illegalParameter);
    });
  });

  describe('epochs and message order', () => {
    it('rejects a ServerHello at the handshake epoch', () => {
      const { client, server } = makePair(provider);
      client.ctx.start();
      server.ctx.receive('initial', client.ctx.takeOutput('initial')!);
      const sh = server.ctx.takeOutput('initial')!;
      expect(alertOf(() => client.ctx.receive('handshake', sh))).toBe(AlertDescription.unexpectedMessage);
      // The context stays failed.
      expect(alertOf(() => client.ctx.receive('initial', sh))).toBe(AlertDescription.unexpectedMessage);
    });

    it('rejects a ClientHello at the handshake or 0-RTT epoch', () => {
      const { client, server } = makePair(provider);
      client.ctx.start();
      const ch = client.ctx.takeOutput('initial')!;
      expect(alertOf(() => server.ctx.receive('handshake', ch))).toBe(AlertDescription.unexpectedMessage);
      const { server: server2 } = makePair(provider);
      expect(alertOf(() => server2.ctx.receive('zeroRtt', ch))).toBe(AlertDescription.unexpectedMessage);
    });

    it('rejects handshake data before start()', () => {
      const { client } = makePair(provider);
      expect(alertOf(() => client.ctx.receive('initial', new Uint8Array(8)))).toBe(AlertDescription.unexpectedMessage);
    });

    it('rejects bytes after the ServerHello in the Initial epoch (RFC 9001 §4.1.3)', () => {
      const { client, server } = makePair(provider);
      client.ctx.start();
      server.ctx.receive('initial', client.ctx.takeOutput('initial')!);
      const sh = server.ctx.takeOutput('initial')!;
      expect(alertOf(() => client.ctx.receive('initial', concat(sh, Uint8Array.of(HandshakeType.encryptedExtensions, 0))))).toBe(
        AlertDescription.unexpectedMessage,
      );
    });

    it('rejects a ClientHello followed by more Initial data', () => {
      const { client, server } = makePair(provider);
      client.ctx.start();
      const ch = client.ctx.takeOutput('initial')!;
      expect(alertOf(() => server.ctx.receive('initial', concat(ch, ch)))).toBe(AlertDescription.unexpectedMessage);
    });

    it('accepts a NewSessionTicket at 1-RTT after the handshake and rejects KeyUpdate (RFC 9001 §6)', () => {
      const r = runHandshake(provider);
      expectConnected(r);
      const ticket = encodeNewSessionTicket({ ticketLifetime: 7200, ticketAgeAdd: 1, ticketNonce: Uint8Array.of(0), ticket: Uint8Array.of(1, 2, 3), extensions: [] });
      r.client.ctx.receive('oneRtt', ticket.subarray(0, 5));
      r.client.ctx.receive('oneRtt', ticket.subarray(5));
      expect(alertOf(() => r.client.ctx.receive('oneRtt', encodeHandshake(HandshakeType.keyUpdate, Uint8Array.of(0))))).toBe(
        AlertDescription.unexpectedMessage,
      );
    });

    it('rejects any post-handshake message at the server', () => {
      const r = runHandshake(provider);
      expect(alertOf(() => r.server.ctx.receive('oneRtt', encodeHandshake(HandshakeType.keyUpdate, Uint8Array.of(0))))).toBe(
        AlertDescription.unexpectedMessage,
      );
    });

    it('rejects EndOfEarlyData (RFC 9001 §8.3)', () => {
      const { client, server } = makePair(provider);
      client.ctx.start();
      server.ctx.receive('initial', client.ctx.takeOutput('initial')!);
      expect(alertOf(() => server.ctx.receive('handshake', encodeHandshake(HandshakeType.endOfEarlyData, new Uint8Array(0))))).toBe(
        AlertDescription.unexpectedMessage,
      );
    });

    it('reassembles flights delivered one byte at a time', () => {
      const { client, server } = makePair(provider);
      client.ctx.start();
      const drip = (dst: Side, epoch: 'initial' | 'handshake', data: Uint8Array) => {
        for (let i = 0; i < data.length; i++) dst.ctx.receive(epoch, data.subarray(i, i + 1));
      };
      drip(server, 'initial', client.ctx.takeOutput('initial')!);
      drip(client, 'initial', server.ctx.takeOutput('initial')!);
      drip(client, 'handshake', server.ctx.takeOutput('handshake')!);
      drip(server, 'handshake', client.ctx.takeOutput('handshake')!);
      expect(client.ctx.handshakeComplete).toBe(true);
      expect(server.ctx.handshakeComplete).toBe(true);
    });

    it('delivers secrets at the RFC 9001 §4.1.4 moments', () => {
      const { client, server } = makePair(provider);
      const tags = (s: Side) => s.secrets.map((e) => `${e.epoch}/${e.direction}`);
      client.ctx.start();
      expect(tags(client)).toEqual([]);
      server.ctx.receive('initial', client.ctx.takeOutput('initial')!);
      // Server: handshake keys after its ServerHello, 1-RTT write after its Finished.
      expect(tags(server)).toEqual(['handshake/write', 'handshake/read', 'oneRtt/write']);
      expect(server.ctx.takeOutput('oneRtt')).toBeUndefined();
      client.ctx.receive('initial', server.ctx.takeOutput('initial')!);
      expect(tags(client)).toEqual(['handshake/read', 'handshake/write']);
      expect(client.ctx.handshakeComplete).toBe(false);
      client.ctx.receive('handshake', server.ctx.takeOutput('handshake')!);
      expect(tags(client)).toEqual(['handshake/read', 'handshake/write', 'oneRtt/read', 'oneRtt/write']);
      expect(client.ctx.handshakeComplete).toBe(true);
      expect(server.ctx.handshakeComplete).toBe(false);
      server.ctx.receive('handshake', client.ctx.takeOutput('handshake')!);
      expect(tags(server)).toEqual(['handshake/write', 'handshake/read', 'oneRtt/write', 'oneRtt/read']);
      expect(server.ctx.handshakeComplete).toBe(true);
      expect(client.ctx.takeOutput('handshake')).toBeUndefined();
    });
  });

  describe('HelloRetryRequest edge cases', () => {
    const hrr = (extensions: { type: number; data: Uint8Array }[], suite = TLS_AES_128_GCM_SHA256) =>
      encodeServerHello({
        legacyVersion: 0x0303,
        random: HELLO_RETRY_REQUEST_RANDOM,
        legacySessionIdEcho: new Uint8Array(0),
        cipherSuite: suite,
        legacyCompressionMethod: 0,
        extensions: [{ type: ExtensionType.supportedVersions, data: encodeSupportedVersionsServerHello(0x0304) }, ...extensions],
      });
    const started = (c: CryptoProvider) => {
      const { client } = makePair(c);
      client.ctx.start();
      client.ctx.takeOutput('initial');
      return client;
    };

    it('rejects a HelloRetryRequest for the group the client already sent', () => {
      const client = started(provider);
      const msg = hrr([{ type: ExtensionType.keyShare, data: encodeKeyShareHelloRetryRequest(GROUP_X25519) }]);
      expect(alertOf(() => client.ctx.receive('initial', msg))).toBe(AlertDescription.illegalParameter);
    });

    it('rejects a HelloRetryRequest that changes nothing', () => {
      const client = started(provider);
      expect(alertOf(() => client.ctx.receive('initial', hrr([])))).toBe(AlertDescription.illegalParameter);
    });

    it('echoes the cookie and rejects a second HelloRetryRequest', () => {
      const client = started(provider);
      const cookie = Uint8Array.of(0xc0, 0x0c, 0x1e);
      const msg = hrr([
        { type: ExtensionType.keyShare, data: encodeKeyShareHelloRetryRequest(GROUP_SECP256R1) },
        { type: ExtensionType.cookie, data: concat(Uint8Array.of(0, 3), cookie) },
      ]);
      client.ctx.receive('initial', msg);
      expect(client.ctx.helloRetryRequested).toBe(true);
      const ch2 = parseClientHello(client.ctx.takeOutput('initial')!.subarray(4));
      expect(ch2.extensions.find((e) => e.type === ExtensionType.cookie)?.data).toEqual(concat(Uint8Array.of(0, 3), cookie));
      expect(alertOf(() => client.ctx.receive('initial', msg))).toBe(AlertDescription.unexpectedMessage);
    });

    it('rejects a second ClientHello that ignores the HelloRetryRequest', () => {
      const { client, server } = makePair(provider, { server: { groups: [GROUP_SECP256R1] } });
      client.ctx.start();
      const ch1 = client.ctx.takeOutput('initial')!;
      server.ctx.receive('initial', ch1);
      expect(server.ctx.helloRetryRequested).toBe(true);
      expect(alertOf(() => server.ctx.receive('initial', ch1))).toBe(AlertDescription.illegalParameter);
    });
  });

  it('answers a CertificateRequest with an empty Certificate before its Finished', () => {
    const pki = testPki(provider, 'ed25519');
    const { client, server } = makePair(provider, { pki });
    client.ctx.start();
    const ch = client.ctx.takeOutput('initial')!;
    server.ctx.receive('initial', ch);
    const sh = server.ctx.takeOutput('initial')!;
    const [ee, cert] = splitMessages(server.ctx.takeOutput('handshake')!);
    const serverHs = server.secrets.find((e) => e.epoch === 'handshake' && e.direction === 'write')!.secret;
    const clientHs = server.secrets.find((e) => e.epoch === 'handshake' && e.direction === 'read')!.secret;
    // Re-sign the flight with a CertificateRequest inserted after EncryptedExtensions.
    const ks = new KeySchedule(provider, TLS_AES_128_GCM_SHA256);
    const th = (...m: Uint8Array[]) => provider.hash('sha256', concat(...m));
    const cr = encodeCertificateRequest({ context: new Uint8Array(0), extensions: [{ type: ExtensionType.signatureAlgorithms, data: encodeU16List([0x0807]) }] });
    const cv = encodeCertificateVerify({ scheme: 0x0807, signature: provider.sign(0x0807, pki.key, serverCertificateVerifyContent(th(ch, sh, ee!.raw, cr, cert!.raw))) });
    const fin = encodeFinished(ks.finishedVerifyData(serverHs, th(ch, sh, ee!.raw, cr, cert!.raw, cv)));
    client.ctx.receive('initial', sh);
    client.ctx.receive('handshake', concat(ee!.raw, cr, cert!.raw, cv, fin));
    expect(client.ctx.handshakeComplete).toBe(true);
    const [emptyCert, clientFin] = splitMessages(client.ctx.takeOutput('handshake')!);
    expect(emptyCert!.raw).toEqual(encodeCertificate({ context: new Uint8Array(0), entries: [] }));
    expect(clientFin!.body).toEqual(ks.finishedVerifyData(clientHs, th(ch, sh, ee!.raw, cr, cert!.raw, cv, fin, emptyCert!.raw)));
  });

  it('writes NSS key log lines with the client random', () => {
    for (const [suite, hexLength] of [
      [TLS_AES_128_GCM_SHA256, 64],
      [TLS_AES_256_GCM_SHA384, 96],
    ] as const) {
      const r = runHandshake(provider, { client: { cipherSuites: [suite] } });
      expectConnected(r);
      const labels = ['CLIENT_HANDSHAKE_TRAFFIC_SECRET', 'SERVER_HANDSHAKE_TRAFFIC_SECRET', 'CLIENT_TRAFFIC_SECRET_0', 'SERVER_TRAFFIC_SECRET_0'];
      expect(r.client.keyLog.map((l) => l.split(' ')[0])).toEqual(labels);
      expect([...r.server.keyLog].sort()).toEqual([...r.client.keyLog].sort());
      const randoms = new Set<string>();
      for (const line of r.client.keyLog) {
        const [, random, secret] = line.split(' ');
        expect(line.split(' ')).toHaveLength(3);
        expect(random).toMatch(/^[0-9a-f]{64}$/);
        expect(secret).toMatch(new RegExp(`^[0-9a-f]{${hexLength}}$`));
        randoms.add(random!);
      }
      expect(randoms.size).toBe(1);
      const clientHs = r.client.secrets.find((s) => s.epoch === 'handshake' && s.direction === 'write')!;
      expect(r.client.keyLog[0]).toContain(hex(clientHs.secret));
    }
  });

  it('refuses a server configuration without a certificate', () => {
    expect(() => new TlsContext({ isClient: false, provider, alpnProtocols: [], transportParameters: new Uint8Array(0) }, () => {})).toThrow(TypeError);
  });

  it('fails with the first alert again after a failure', () => {
    const { client, server } = makePair(provider, { server: { alpnProtocols: ['smtp'] } });
    client.ctx.start();
    const ch = client.ctx.takeOutput('initial')!;
    const first = alertOf(() => server.ctx.receive('initial', ch));
    expect(first).toBe(AlertDescription.noApplicationProtocol);
    expect(() => server.ctx.receive('initial', ch)).toThrow(TlsAlert);
    expect(alertOf(() => server.ctx.receive('initial', ch))).toBe(first);
    expect(transfer(client, server)).toEqual({});
  });
});
