import { describe, expect, it } from 'vitest';
import { GROUP_X25519, SIG_RSA_PSS_RSAE_SHA256, TLS_AES_128_GCM_SHA256 } from '../../../../src/quic/crypto/provider.js';
import { hkdfExpandLabel } from '../../../../src/quic/crypto/hkdf-label.js';
import { KeySchedule, Transcript } from '../../../../src/quic/tls/key-schedule.js';
import { ExtensionType, HandshakeType } from '../../../../src/quic/tls/constants.js';
import { findExtension, parseKeyShareClientHello, parseKeyShareServerHello } from '../../../../src/quic/tls/extensions.js';
import { parseCertificate as parseCertificateMessage, parseCertificateVerify, parseClientHello, parseServerHello } from '../../../../src/quic/tls/messages.js';
import { serverCertificateVerifyContent } from '../../../../src/quic/tls/context.js';
import { toHex } from '../../../../src/quic/tls/wire.js';
import { parseCertificate } from '../../../../src/quic/tls/x509.js';
import { PROVIDERS } from './helpers.js';
import { RFC8448 } from './rfc8448.js';

const hex = toHex;

describe.each(PROVIDERS)('RFC 8448 §3 key schedule (%s provider)', (_name, provider) => {
  const transcriptThrough = (...messages: Uint8Array[]): Uint8Array => {
    const t = new Transcript(provider);
    for (const m of messages) t.add(m);
    return t.hash('sha256');
  };
  const { clientHello: ch, serverHello: sh, encryptedExtensions: ee, certificate: cert, certificateVerify: cv, serverFinished: sf, clientFinished: cf } = RFC8448;

  it('derives the shared secret from the trace key shares', () => {
    const clientShare = parseKeyShareClientHello(findExtension(parseClientHello(ch.subarray(4)).extensions, ExtensionType.keyShare)!);
    const serverShare = parseKeyShareServerHello(findExtension(parseServerHello(sh.subarray(4)).extensions, ExtensionType.keyShare)!);
    expect(clientShare).toHaveLength(1);
    expect(clientShare[0]!.group).toBe(GROUP_X25519);
    expect(hex(provider.sharedSecret(GROUP_X25519, RFC8448.clientPrivateKey, serverShare.keyExchange))).toBe(hex(RFC8448.sharedSecret));
    expect(hex(provider.sharedSecret(GROUP_X25519, RFC8448.serverPrivateKey, clientShare[0]!.keyExchange))).toBe(hex(RFC8448.sharedSecret));
  });

  it('derives the early, handshake and handshake traffic secrets', () => {
    const ks = new KeySchedule(provider, TLS_AES_128_GCM_SHA256);
    expect(hex(ks.earlySecret)).toBe(RFC8448.earlySecret);
    const helloHash = transcriptThrough(ch, sh);
    expect(hex(helloHash)).toBe(RFC8448.helloHash);
    const secrets = ks.handshake(RFC8448.sharedSecret, helloHash);
    expect(hex(ks.handshakeSecret)).toBe(RFC8448.handshakeSecret);
    expect(hex(secrets.client)).toBe(RFC8448.clientHandshakeTrafficSecret);
    expect(hex(secrets.server)).toBe(RFC8448.serverHandshakeTrafficSecret);
    // The record keys of the trace, from the same HKDF-Expand-Label.
    const label = (secret: Uint8Array, l: string, n: number) => hex(hkdfExpandLabel(provider, 'sha256', secret, l, new Uint8Array(0), n));
    expect(label(secrets.client, 'key', 16)).toBe(RFC8448.clientHandshakeKey);
    expect(label(secrets.client, 'iv', 12)).toBe(RFC8448.clientHandshakeIv);
    expect(label(secrets.server, 'key', 16)).toBe(RFC8448.serverHandshakeKey);
    expect(label(secrets.server, 'iv', 12)).toBe(RFC8448.serverHandshakeIv);
  });

  it('computes both Finished messages', () => {
    const ks = new KeySchedule(provider, TLS_AES_128_GCM_SHA256);
    const secrets = ks.handshake(RFC8448.sharedSecret, transcriptThrough(ch, sh));
    const serverVerify = ks.finishedVerifyData(secrets.server, transcriptThrough(ch, sh, ee, cert, cv));
    expect(hex(serverVerify)).toBe(hex(sf.subarray(4)));
    const clientVerify = ks.finishedVerifyData(secrets.client, transcriptThrough(ch, sh, ee, cert, cv, sf));
    expect(hex(clientVerify)).toBe(hex(cf.subarray(4)));
  });

  it('derives the master, application traffic, exporter and resumption secrets', () => {
    const ks = new KeySchedule(provider, TLS_AES_128_GCM_SHA256);
    ks.handshake(RFC8448.sharedSecret, transcriptThrough(ch, sh));
    const finishedHash = transcriptThrough(ch, sh, ee, cert, cv, sf);
    expect(hex(finishedHash)).toBe(RFC8448.serverFinishedHash);
    const app = ks.master(finishedHash);
    expect(hex(ks.masterSecret)).toBe(RFC8448.masterSecret);
    expect(hex(app.client)).toBe(RFC8448.clientApplicationTrafficSecret);
    expect(hex(app.server)).toBe(RFC8448.serverApplicationTrafficSecret);
    expect(hex(ks.exporterMasterSecret(finishedHash))).toBe(RFC8448.exporterMasterSecret);
    expect(hex(ks.resumptionMasterSecret(transcriptThrough(ch, sh, ee, cert, cv, sf, cf)))).toBe(RFC8448.resumptionMasterSecret);
  });

  it('takes injected values at every step (no hidden state besides the stage secrets)', () => {
    const ks = new KeySchedule(provider, TLS_AES_128_GCM_SHA256);
    expect(() => ks.masterSecret).toThrow();
    const a = ks.handshake(RFC8448.sharedSecret, new Uint8Array(32));
    const b = new KeySchedule(provider, TLS_AES_128_GCM_SHA256).handshake(RFC8448.sharedSecret, new Uint8Array(32));
    expect(hex(a.client)).toBe(hex(b.client));
    expect(hex(a.client)).not.toBe(RFC8448.clientHandshakeTrafficSecret);
  });

  it('replaces ClientHello1 with message_hash after a HelloRetryRequest (RFC 8446 §4.4.1)', () => {
    const t = new Transcript(provider);
    t.add(ch);
    t.replaceWithMessageHash('sha256');
    const digest = provider.hash('sha256', ch);
    const expected = new Uint8Array(4 + 32);
    expected.set([HandshakeType.messageHash, 0, 0, 32]);
    expected.set(digest, 4);
    expect(hex(t.hash('sha256'))).toBe(hex(provider.hash('sha256', expected)));
  });

  it('verifies the trace RSA-PSS CertificateVerify with the trace certificate', () => {
    const entry = parseCertificateMessage(cert.subarray(4), 16).entries[0]!;
    const leaf = parseCertificate(entry.data);
    const verify = parseCertificateVerify(cv.subarray(4));
    expect(verify.scheme).toBe(SIG_RSA_PSS_RSAE_SHA256);
    const content = serverCertificateVerifyContent(transcriptThrough(ch, sh, ee, cert));
    expect(provider.verify(SIG_RSA_PSS_RSAE_SHA256, leaf.publicKey, content, verify.signature)).toBe(true);
    content[content.length - 1]! ^= 1;
    expect(provider.verify(SIG_RSA_PSS_RSAE_SHA256, leaf.publicKey, content, verify.signature)).toBe(false);
  });
});
