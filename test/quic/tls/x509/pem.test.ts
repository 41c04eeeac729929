import * as nodeCrypto from 'node:crypto';
import { rootCertificates } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { SIG_ECDSA_SECP256R1_SHA256, SIG_ED25519, SIG_RSA_PSS_RSAE_SHA256, type PrivateKey } from '../../../../src/quic/crypto/provider.js';
import {
  PemError,
  encodePrivateKeyPkcs8,
  encodePrivateKeySec1,
  loadCertificates,
  parsePrivateKey,
  pemDecode,
  pemEncode,
} from '../../../../src/quic/tls/pem.js';
import { CertificateError, parseCertificate } from '../../../../src/quic/tls/x509.js';
import { fixtureBytes, fixtureDer, fixtureText } from './fixtures.js';
import { shimProvider } from './shim-provider.js';

const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const fromB64u = (s: string | undefined): Uint8Array => new Uint8Array(Buffer.from(s ?? '', 'base64url'));

/** The private key as node reads the same file. */
function nodeJwk(name: string): nodeCrypto.JsonWebKey {
  return nodeCrypto.createPrivateKey(fixtureText(name)).export({ format: 'jwk' });
}

describe('pemDecode / pemEncode', () => {
  it('decodes a chain file with text around the blocks and CRLF line ends', () => {
    const text = 'leaf:\r\n' + fixtureText('ec-leaf.pem').replace(/\n/g, '\r\n') + '\nintermediate:\n' + fixtureText('ec-int.pem') + 'trailing words\n';
    const blocks = pemDecode(text);
    expect(blocks.map((b) => b.label)).toEqual(['CERTIFICATE', 'CERTIFICATE']);
    expect(toHex(blocks[0]!.der)).toBe(toHex(fixtureDer('ec-leaf.pem')));
    expect(toHex(blocks[1]!.der)).toBe(toHex(fixtureDer('ec-int.pem')));
  });

  it('encodes exactly as openssl writes certificates (64-column base64)', () => {
    for (const name of ['ec-leaf.pem', 'rsa2048.pem', 'ed25519.pem']) {
      expect(pemEncode('CERTIFICATE', fixtureDer(name))).toBe(fixtureText(name));
    }
    expect(pemEncode('PRIVATE KEY', pemDecode(fixtureText('ed25519.key'))[0]!.der)).toBe(fixtureText('ed25519.key'));
  });

  it('round-trips every length, and agrees with node on base64', () => {
    for (let n = 0; n < 200; n++) {
      const der = new Uint8Array(nodeCrypto.randomBytes(n));
      const text = pemEncode('TEST DATA', der);
      expect(text.split('\n').every((l) => l.length <= 64)).toBe(true);
      const body = text.split('\n').slice(1, -2).join('');
      expect(body).toBe(Buffer.from(der).toString('base64'));
      const [block] = pemDecode(text);
      expect(block!.label).toBe('TEST DATA');
      expect(toHex(block!.der)).toBe(toHex(der));
    }
  });

  const GARBAGE: [string, string, RegExp][] = [
    ['no block', 'hello world', /no PEM block/],
    ['empty', '', /no PEM block/],
    ['unterminated', '-----BEGIN CERTIFICATE-----\nAAAA\n', /no END line/],
    ['mismatched END', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END PRIVATE KEY-----\n', /closed by END "PRIVATE KEY"/],
    ['bad base64 character', '-----BEGIN X-----\nAA*A\n-----END X-----\n', /invalid base64 character "\*"/],
    ['bad base64 length', '-----BEGIN X-----\nAAAAA\n-----END X-----\n', /multiple of 4/],
    ['padding in the middle', '-----BEGIN X-----\nAA==AAAA\n-----END X-----\n', /invalid base64 character "="/],
    ['legacy encryption headers', '-----BEGIN EC PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAAAA\n-----END EC PRIVATE KEY-----\n', /headers/],
    ['malformed BEGIN', '-----BEGIN CERTIFICATE----\nAAAA\n-----END CERTIFICATE-----\n', /malformed PEM BEGIN/],
  ];
  for (const [what, text, message] of GARBAGE) {
    it(`throws PemError on ${what}`, () => {
      expect(() => pemDecode(text)).toThrow(PemError);
      expect(() => pemDecode(text)).toThrow(message);
    });
  }
});

describe('parsePrivateKey on openssl-made keys', () => {
  it('P-256 PKCS#8, SEC1 (after EC PARAMETERS) and DER PKCS#8 all give node\'s scalar', () => {
    const d = fromB64u(nodeJwk('ec-leaf.key').d);
    expect(fixtureText('ec-leaf.sec1.key')).toMatch(/^-----BEGIN EC PARAMETERS-----[^]*-----BEGIN EC PRIVATE KEY-----/);
    for (const input of [fixtureText('ec-leaf.key'), fixtureText('ec-leaf.sec1.key'), fixtureBytes('ec-leaf.key.der'), fixtureBytes('ec-leaf.key')]) {
      const key = parsePrivateKey(input);
      expect(key.kind).toBe('ecdsa-p256');
      expect(toHex((key as PrivateKey & { kind: 'ecdsa-p256' }).d)).toBe(toHex(d));
    }
  });

  it('Ed25519 PKCS#8 gives node\'s seed', () => {
    const key = parsePrivateKey(fixtureText('ed25519.key'));
    expect(key).toEqual({ kind: 'ed25519', seed: fromB64u(nodeJwk('ed25519.key').d) });
  });

  it('RSA PKCS#8 keeps the DER; PKCS#1 ("RSA PRIVATE KEY") is rewrapped as the same key', () => {
    const pkcs8 = parsePrivateKey(fixtureText('rsa2048.key'));
    expect(pkcs8.kind).toBe('rsa');
    expect(toHex((pkcs8 as PrivateKey & { kind: 'rsa' }).pkcs8)).toBe(toHex(fixtureDer('rsa2048.key')));
    expect(fixtureText('rsa2048.pkcs1.key')).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/);
    const pkcs1 = parsePrivateKey(fixtureText('rsa2048.pkcs1.key'));
    const fromOurs = nodeCrypto.createPrivateKey({ key: Buffer.from((pkcs1 as PrivateKey & { kind: 'rsa' }).pkcs8), format: 'der', type: 'pkcs8' });
    expect(fromOurs.export({ format: 'jwk' })).toEqual(nodeJwk('rsa2048.key'));
  });

  it('the parsed keys sign what the certificates\' public keys verify', () => {
    const data = new TextEncoder().encode('TLS 1.3, server CertificateVerify');
    const cases = [
      ['ec-leaf.sec1.key', 'ec-leaf.pem', SIG_ECDSA_SECP256R1_SHA256],
      ['ed25519.key', 'ed25519.pem', SIG_ED25519],
      ['rsa2048.pkcs1.key', 'rsa2048.pem', SIG_RSA_PSS_RSAE_SHA256],
    ] as const;
    for (const [keyName, certName, scheme] of cases) {
      const sig = shimProvider.sign(scheme, parsePrivateKey(fixtureText(keyName)), data);
      expect(shimProvider.verify(scheme, parseCertificate(fixtureDer(certName)).publicKey, data, sig)).toBe(true);
    }
  });

  it('rejects other curves, encrypted keys and garbage with PemError', () => {
    const p384 = nodeCrypto.generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey;
    expect(() => parsePrivateKey(p384.export({ format: 'pem', type: 'pkcs8' }) as string)).toThrow(/curve P-384 is not supported/);
    expect(() => parsePrivateKey(p384.export({ format: 'pem', type: 'sec1' }) as string)).toThrow(/curve P-384 is not supported/);
    const x25519 = nodeCrypto.generateKeyPairSync('x25519').privateKey;
    expect(() => parsePrivateKey(x25519.export({ format: 'pem', type: 'pkcs8' }) as string)).toThrow(/algorithm 1\.3\.101\.110 is not supported/);
    const ec = nodeCrypto.createPrivateKey(fixtureText('ec-leaf.key'));
    const encrypted = ec.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-128-cbc', passphrase: 'x' }) as string;
    expect(() => parsePrivateKey(encrypted)).toThrow(/encrypted private keys are not supported/);
    const legacy = ec.export({ format: 'pem', type: 'sec1', cipher: 'aes-128-cbc', passphrase: 'x' }) as string;
    expect(() => parsePrivateKey(legacy)).toThrow(/legacy encryption/);
    expect(() => parsePrivateKey(fixtureText('ec-leaf.pem'))).toThrow(/no PRIVATE KEY/);
    expect(() => parsePrivateKey(new Uint8Array([0x30, 0x03, 0x02, 0x01]))).toThrow(PemError);
    expect(() => parsePrivateKey(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x05]))).toThrow(/not a PKCS#8, SEC1 or PKCS#1/);
    // A SEC1 key inside "PRIVATE KEY" armour is refused.
    const sec1Der = pemDecode(fixtureText('ec-leaf.sec1.key'))[1]!.der;
    expect(() => parsePrivateKey(pemEncode('PRIVATE KEY', sec1Der))).toThrow(/the "PRIVATE KEY" block does not hold a key in that format/);
  });
});

describe('encodePrivateKeyPkcs8', () => {
  it('Ed25519: byte-identical to openssl', () => {
    expect(toHex(encodePrivateKeyPkcs8(parsePrivateKey(fixtureText('ed25519.key'))))).toBe(toHex(fixtureDer('ed25519.key')));
  });

  it('P-256: node reads it and derives the certificate\'s public key', () => {
    const key = parsePrivateKey(fixtureText('ec-leaf.key'));
    const der = encodePrivateKeyPkcs8(key);
    expect(parsePrivateKey(der)).toEqual(key);
    expect(parsePrivateKey(pemEncode('PRIVATE KEY', der))).toEqual(key);
    const jwk = nodeCrypto.createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' }).export({ format: 'jwk' });
    const point = parseCertificate(fixtureDer('ec-leaf.pem')).publicKey;
    expect(point.kind === 'ecdsa-p256' && toHex(point.point)).toBe('04' + toHex(fromB64u(jwk.x)) + toHex(fromB64u(jwk.y)));
    const sec1 = encodePrivateKeySec1(key as PrivateKey & { kind: 'ecdsa-p256' });
    expect(nodeCrypto.createPrivateKey({ key: Buffer.from(sec1), format: 'der', type: 'sec1' }).export({ format: 'jwk' })).toEqual(jwk);
    expect(parsePrivateKey(pemEncode('EC PRIVATE KEY', sec1))).toEqual(key);
  });

  it('round-trips generated keys through node', () => {
    for (const kind of ['ecdsa-p256', 'ed25519'] as const) {
      for (let i = 0; i < 20; i++) {
        const { privateKey, publicKey } = shimProvider.generateSigningKey(kind);
        const der = encodePrivateKeyPkcs8(privateKey);
        expect(parsePrivateKey(der)).toEqual(privateKey);
        const nodeKey = nodeCrypto.createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' });
        const jwk = nodeCrypto.createPublicKey(nodeKey).export({ format: 'jwk' });
        const expected = publicKey.kind === 'ecdsa-p256' ? toHex(publicKey.point) : publicKey.kind === 'ed25519' ? toHex(publicKey.key) : '';
        expect(kind === 'ed25519' ? toHex(fromB64u(jwk.x)) : '04' + toHex(fromB64u(jwk.x)) + toHex(fromB64u(jwk.y))).toBe(expected);
      }
    }
  });

  it('RSA returns a copy of the PKCS#8', () => {
    const key = parsePrivateKey(fixtureText('rsa2048.key')) as PrivateKey & { kind: 'rsa' };
    const der = encodePrivateKeyPkcs8(key);
    expect(der).toEqual(key.pkcs8);
    expect(der).not.toBe(key.pkcs8);
  });
});

describe('loadCertificates', () => {
  const leafAndInt = fixtureText('ec-leaf.pem') + fixtureText('ec-int.pem');

  it('reads a PEM chain from a string or from file bytes, skipping other blocks', () => {
    const fromText = loadCertificates(fixtureText('ec-leaf.sec1.key') + leafAndInt);
    expect(fromText.map((c) => c.subject.commonName)).toEqual(['leaf.example', 'pquic test intermediate']);
    const fromBytes = loadCertificates(new TextEncoder().encode('\uFEFF\n' + leafAndInt));
    expect(fromBytes.map((c) => c.subject.commonName)).toEqual(['leaf.example', 'pquic test intermediate']);
  });

  it('reads one DER certificate or several concatenated', () => {
    expect(loadCertificates(fixtureBytes('ec-leaf.der')).length).toBe(1);
    const both = new Uint8Array([...fixtureDer('ec-leaf.pem'), ...fixtureDer('ec-int.pem'), ...fixtureDer('ec-root.pem')]);
    expect(loadCertificates(both).map((c) => c.subject.commonName)).toEqual(['leaf.example', 'pquic test intermediate', 'pquic test root']);
  });

  it('throws PemError without certificates and CertificateError for a bad one', () => {
    expect(() => loadCertificates(fixtureText('ec-leaf.key'))).toThrow(/no CERTIFICATE block/);
    expect(() => loadCertificates(new Uint8Array(0))).toThrow(PemError);
    expect(() => loadCertificates(new Uint8Array([0x30, 0x05, 0x00]))).toThrow(PemError);
    expect(() => loadCertificates(fixtureText('p384.pem'))).toThrow(CertificateError);
  });

  it('can skip unsupported certificates of a CA bundle (node\'s Mozilla roots include P-384 ones)', () => {
    const bundle = rootCertificates.join('\n');
    expect(() => loadCertificates(bundle)).toThrow(/curve P-384/);
    const usable = loadCertificates(bundle, { skipUnsupported: true });
    expect(usable.length).toBeGreaterThan(50);
    expect(usable.length).toBeLessThan(rootCertificates.length);
    expect(loadCertificates(fixtureText('p384.pem') + fixtureText('ec-root.pem'), { skipUnsupported: true }).length).toBe(1);
    // Malformed certificates still throw.
    const broken = pemEncode('CERTIFICATE', fixtureDer('ec-root.pem').subarray(0, 100));
    expect(() => loadCertificates(broken, { skipUnsupported: true })).toThrow(CertificateError);
  });
});
