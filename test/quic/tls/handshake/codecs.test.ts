import { describe, expect, it } from 'vitest';
import { AlertDescription, ExtensionType, HandshakeType, MAX_HANDSHAKE_MESSAGE_LENGTH } from '../../../../src/quic/tls/constants.js';
import { TlsAlert, alertName } from '../../../../src/quic/tls/alerts.js';
import {
  encodeAlpn,
  encodeCookie,
  encodeKeyShareClientHello,
  encodeServerName,
  encodeSupportedVersionsClientHello,
  encodeU16List,
  findExtension,
  parseAlpn,
  parseCookie,
  parseExtensions,
  parseKeyShareClientHello,
  parseServerName,
  parseSupportedVersionsClientHello,
  parseU16List,
} from '../../../../src/quic/tls/extensions.js';
import {
  HandshakeReassembler,
  encodeCertificate,
  encodeCertificateRequest,
  encodeCertificateVerify,
  encodeClientHello,
  encodeEncryptedExtensions,
  encodeFinished,
  encodeNewSessionTicket,
  encodeServerHello,
  parseCertificate,
  parseCertificateRequest,
  parseCertificateVerify,
  parseClientHello,
  parseEncryptedExtensions,
  parseFinished,
  parseNewSessionTicket,
  parseServerHello,
} from '../../../../src/quic/tls/messages.js';
import { keyLogLine } from '../../../../src/quic/tls/keylog.js';
import { TlsReader, TlsWriter } from '../../../../src/quic/tls/wire.js';
import { PROVIDERS, alertOf, makeSide, testPki } from './helpers.js';
import { RFC8448, unhex } from './rfc8448.js';

const body = (m: Uint8Array) => m.subarray(4);

describe('TLS wire cursors', () => {
  it('reads integers and vectors, and fails with decode_error when short', () => {
    const r = new TlsReader(unhex('01 0203 040506 0708090a 02 aabb'));
    expect([r.u8(), r.u16(), r.u24(), r.u32()]).toEqual([1, 0x0203, 0x040506, 0x0708090a]);
    expect(r.vector(1)).toEqual(Uint8Array.of(0xaa, 0xbb));
    r.end();
    expect(alertOf(() => r.u8())).toBe(AlertDescription.decodeError);
    expect(alertOf(() => new TlsReader(unhex('0005 0102')).vector(2))).toBe(AlertDescription.decodeError);
    expect(alertOf(() => new TlsReader(unhex('00')).vector(1, 1))).toBe(AlertDescription.decodeError);
    expect(alertOf(() => new TlsReader(unhex('00 00')).end())).toBe(AlertDescription.decodeError);
    expect(alertOf(() => new TlsReader(unhex('03 000102')).u16List(1, 'x'))).toBe(AlertDescription.decodeError);
    expect(new TlsReader(unhex('ffffffff')).u32()).toBe(0xffffffff);
  });

  it('writes back-patched vector lengths', () => {
    const w = new TlsWriter();
    w.vector(3, (b) => b.vector(2, (c) => c.u8(9)).vector(1, () => {}));
    expect(w.finish()).toEqual(unhex('000004 0001 09 00'));
    const big = new TlsWriter().opaque(2, new Uint8Array(1000)).finish();
    expect(big.length).toBe(1002);
    expect(() => new TlsWriter().opaque(1, new Uint8Array(256))).toThrow(RangeError);
  });
});

describe('handshake message codecs', () => {
  it('parses the RFC 8448 ClientHello and ServerHello', () => {
    const ch = parseClientHello(body(RFC8448.clientHello));
    expect(ch.legacyVersion).toBe(0x0303);
    expect(ch.cipherSuites).toEqual([0x1301, 0x1303, 0x1302]);
    expect(ch.legacySessionId.length).toBe(0);
    expect(ch.extensions.map((e) => e.type)).toEqual([0, 0xff01, 10, 0x23, 51, 43, 13, 45, 28]);
    expect(parseServerName(findExtension(ch.extensions, ExtensionType.serverName)!)).toBe('server');
    expect(parseSupportedVersionsClientHello(findExtension(ch.extensions, ExtensionType.supportedVersions)!)).toEqual([0x0304]);
    expect(parseU16List(findExtension(ch.extensions, ExtensionType.supportedGroups)!, 'g')).toEqual([0x1d, 0x17, 0x18, 0x19, 0x100, 0x101, 0x102, 0x103, 0x104]);
    expect(encodeClientHello(ch)).toEqual(RFC8448.clientHello);
    const sh = parseServerHello(body(RFC8448.serverHello));
    expect(sh.cipherSuite).toBe(0x1301);
    expect(encodeServerHello(sh)).toEqual(RFC8448.serverHello);
    expect(encodeEncryptedExtensions(parseEncryptedExtensions(body(RFC8448.encryptedExtensions)))).toEqual(RFC8448.encryptedExtensions);
    const cert = parseCertificate(body(RFC8448.certificate), 16);
    expect(cert.entries).toHaveLength(1);
    expect(encodeCertificate(cert)).toEqual(RFC8448.certificate);
    expect(encodeCertificateVerify(parseCertificateVerify(body(RFC8448.certificateVerify)))).toEqual(RFC8448.certificateVerify);
    expect(encodeFinished(parseFinished(body(RFC8448.serverFinished), 32))).toEqual(RFC8448.serverFinished);
  });

  it('round-trips CertificateRequest and NewSessionTicket', () => {
    const cr = { context: Uint8Array.of(1, 2), extensions: [{ type: ExtensionType.signatureAlgorithms, data: encodeU16List([0x0403]) }] };
    expect(parseCertificateRequest(body(encodeCertificateRequest(cr)))).toEqual(cr);
    const nst = { ticketLifetime: 0xfffffffe, ticketAgeAdd: 7, ticketNonce: Uint8Array.of(0), ticket: Uint8Array.of(9, 9), extensions: [] };
    expect(parseNewSessionTicket(body(encodeNewSessionTicket(nst)))).toEqual(nst);
    expect(alertOf(() => parseNewSessionTicket(unhex('00000001 00000002 00 0000 0000')))).toBe(AlertDescription.decodeError);
  });

  it('round-trips the extension bodies', () => {
    expect(parseAlpn(encodeAlpn([Uint8Array.of(0x68, 0x33), Uint8Array.of(0x68, 0x71)]))).toEqual([Uint8Array.of(0x68, 0x33), Uint8Array.of(0x68, 0x71)]);
    expect(alertOf(() => parseAlpn(unhex('0001 00')))).toBe(AlertDescription.decodeError);
    expect(alertOf(() => parseAlpn(unhex('0000')))).toBe(AlertDescription.decodeError);
    expect(parseServerName(encodeServerName('example.com'))).toBe('example.com');
    expect(alertOf(() => parseServerName(unhex('000c 00 0003 616263 00 0003 646566')))).toBe(AlertDescription.illegalParameter);
    const shares = [{ group: 0x1d, keyExchange: new Uint8Array(32).fill(1) }];
    expect(parseKeyShareClientHello(encodeKeyShareClientHello(shares))).toEqual(shares);
    expect(parseCookie(encodeCookie(Uint8Array.of(5)))).toEqual(Uint8Array.of(5));
    expect(alertOf(() => parseCookie(unhex('0000')))).toBe(AlertDescription.decodeError);
    expect(parseSupportedVersionsClientHello(encodeSupportedVersionsClientHello([0x0304, 0x7a7a]))).toEqual([0x0304, 0x7a7a]);
    expect(alertOf(() => parseU16List(unhex('0002 0001 00'), 'x'))).toBe(AlertDescription.decodeError);
  });

  it('rejects a duplicate extension with illegal_parameter', () => {
    expect(alertOf(() => parseExtensions(new TlsReader(unhex('000c 0010 0000 0039 0000 0010 0000')), 'x'))).toBe(AlertDescription.illegalParameter);
    expect(parseExtensions(new TlsReader(unhex('0008 0010 0000 0039 0000')), 'x').map((e) => e.type)).toEqual([0x10, 0x39]);
  });

  it('bounds certificate chains and Finished lengths', () => {
    const entries = Array.from({ length: 17 }, () => ({ data: Uint8Array.of(0x30, 0), extensions: [] }));
    const msg = encodeCertificate({ context: new Uint8Array(0), entries });
    expect(alertOf(() => parseCertificate(body(msg), 16))).toBe(AlertDescription.badCertificate);
    expect(parseCertificate(body(msg), 17).entries).toHaveLength(17);
    expect(alertOf(() => parseFinished(new Uint8Array(31), 32))).toBe(AlertDescription.decodeError);
  });

  it('reassembles messages across chunks and bounds their length', () => {
    const fin = encodeFinished(new Uint8Array(32).fill(3));
    const r = new HandshakeReassembler();
    r.push(fin.subarray(0, 3));
    expect(r.next()).toBeUndefined();
    r.push(fin.subarray(3, 20));
    expect(r.next()).toBeUndefined();
    r.push(new Uint8Array([...fin.subarray(20), ...fin]));
    expect(r.next()?.raw).toEqual(fin);
    expect(r.next()?.type).toBe(HandshakeType.finished);
    expect(r.next()).toBeUndefined();
    expect(r.buffered).toBe(0);
    // A maximum-size message dripped one byte at a time stays cheap (no quadratic copying).
    const big = new Uint8Array(4 + MAX_HANDSHAKE_MESSAGE_LENGTH);
    big.set([HandshakeType.certificate, MAX_HANDSHAKE_MESSAGE_LENGTH >> 16, (MAX_HANDSHAKE_MESSAGE_LENGTH >> 8) & 0xff, MAX_HANDSHAKE_MESSAGE_LENGTH & 0xff]);
    big[big.length - 1] = 0xee;
    const t0 = performance.now();
    for (let i = 0; i < big.length; i++) {
      r.push(big.subarray(i, i + 1));
      if (i === 2 || i === 3) r.push(new Uint8Array(0));
    }
    const m = r.next();
    expect(m?.body.length).toBe(MAX_HANDSHAKE_MESSAGE_LENGTH);
    expect(m?.body[MAX_HANDSHAKE_MESSAGE_LENGTH - 1]).toBe(0xee);
    expect(performance.now() - t0).toBeLessThan(2000);
    r.push(fin.subarray(0, 10));
    r.push(fin.subarray(10));
    expect(r.next()?.raw).toEqual(fin);
    const len = MAX_HANDSHAKE_MESSAGE_LENGTH + 1;
    expect(alertOf(() => r.push(Uint8Array.of(HandshakeType.certificate, len >> 16, (len >> 8) & 0xff, len & 0xff)))).toBe(AlertDescription.decodeError);
  });
});

describe('alerts and key log', () => {
  it('names alerts and maps them to QUIC CRYPTO_ERROR codes', () => {
    expect(alertName(AlertDescription.illegalParameter)).toBe('illegal_parameter');
    expect(alertName(AlertDescription.noApplicationProtocol)).toBe('no_application_protocol');
    const a = new TlsAlert(AlertDescription.missingExtension, 'no quic_transport_parameters');
    expect(a.message).toBe('missing_extension: no quic_transport_parameters');
    expect(a.quicErrorCode).toBe(0x16d);
  });

  it('formats NSS key log lines', () => {
    expect(keyLogLine('CLIENT_TRAFFIC_SECRET_0', Uint8Array.of(0xab, 1), Uint8Array.of(0xff))).toBe('CLIENT_TRAFFIC_SECRET_0 ab01 ff');
  });
});

describe.each(PROVIDERS)('server fed the RFC 8448 ClientHello (%s provider)', (_name, provider) => {
  const server = () => {
    const pki = testPki(provider);
    return makeSide({ isClient: false, provider, alpnProtocols: [], certificateChain: pki.chain, privateKey: pki.key, transportParameters: new Uint8Array(0) });
  };

  it('answers missing_extension: a TLS (not QUIC) client sends no quic_transport_parameters', () => {
    expect(alertOf(() => server().ctx.receive('initial', RFC8448.clientHello))).toBe(AlertDescription.missingExtension);
  });

  it('completes its flight once quic_transport_parameters is added', () => {
    const ch = parseClientHello(body(RFC8448.clientHello));
    ch.extensions.push({ type: ExtensionType.quicTransportParameters, data: new Uint8Array(0) });
    const s = server();
    s.ctx.receive('initial', encodeClientHello(ch));
    expect(s.ctx.serverName).toBe('server');
    // The ClientHello offers 0x1301, 0x1303, 0x1302; our server's own preference picks
    // ChaCha20-Poly1305 (DEFAULT_CIPHER_SUITES).
    expect(s.ctx.cipherSuite).toBe(0x1303);
    expect(s.ctx.takeOutput('initial')?.[0]).toBe(HandshakeType.serverHello);
    expect(s.ctx.takeOutput('handshake')?.[0]).toBe(HandshakeType.encryptedExtensions);
  });
});
