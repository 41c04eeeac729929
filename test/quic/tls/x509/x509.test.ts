import { X509Certificate } from 'node:crypto';
import { rootCertificates } from 'node:tls';
import { describe, expect, it } from 'vitest';
import {
  SIG_ECDSA_SECP256R1_SHA256,
  SIG_ED25519,
  SIG_RSA_PKCS1_SHA256,
  SIG_RSA_PSS_RSAE_SHA256,
  SIG_RSA_PSS_RSAE_SHA384,
} from '../../../../src/quic/crypto/provider.js';
import {
  CertificateError,
  KU_CRL_SIGN,
  KU_DIGITAL_SIGNATURE,
  KU_KEY_CERT_SIGN,
  certificateSignatureScheme,
  parseCertificate,
  parseIp,
  signatureSchemesFor,
  verifyChain,
  verifySignedBy,
  type Certificate,
} from '../../../../src/quic/tls/x509.js';
import { loadCertificates } from '../../../../src/quic/tls/pem.js';
import { DerReader, encodeExplicit, encodeInteger, encodeNull, encodeOid, encodeSequence, encodeTlv } from '../../../../src/quic/tls/asn1.js';
import { CERT_FIXTURES, FIXTURE_NOW, fixtureDer } from './fixtures.js';
import { nodePublicKey, shimProvider } from './shim-provider.js';

const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const cert = (name: string): Certificate => parseCertificate(fixtureDer(name));

function certError(f: () => unknown): CertificateError {
  try {
    f();
  } catch (e) {
    if (!(e instanceof CertificateError)) throw e;
    return e;
  }
  throw new Error('expected a CertificateError');
}

/** Compares everything node's X509Certificate exposes with what we parsed. */
function crossCheckWithNode(ours: Certificate, theirs: X509Certificate): void {
  expect(ours.subject.text).toBe(theirs.subject.split('\n').reverse().join(', '));
  expect(ours.issuer.text).toBe(theirs.issuer.split('\n').reverse().join(', '));
  expect(BigInt('0x' + toHex(ours.serial))).toBe(BigInt('0x' + theirs.serialNumber));
  expect(ours.notBefore.getTime()).toBe(Date.parse(theirs.validFrom));
  expect(ours.notAfter.getTime()).toBe(Date.parse(theirs.validTo));
  expect(ours.isCA).toBe(theirs.ca);
  const san = theirs.subjectAltName === undefined ? [] : theirs.subjectAltName.split(', ');
  const dns = san.filter((s) => s.startsWith('DNS:')).map((s) => s.slice(4));
  const ips = san.filter((s) => s.startsWith('IP Address:')).map((s) => toHex(parseIp(s.slice(11))!));
  expect(ours.dnsNames).toEqual(dns);
  expect(ours.ipAddresses.map((s) => toHex(parseIp(s)!))).toEqual(ips);
  expect(ours.extKeyUsage).toEqual(theirs.keyUsage); // node's keyUsage is the extended key usage list
  // The key, as node sees it, equals the key as we parsed it.
  expect(nodePublicKey(ours.publicKey).equals(theirs.publicKey)).toBe(true);
  expect(toHex(ours.raw)).toBe(toHex(new Uint8Array(theirs.raw)));
}

describe('parseCertificate on openssl-made certificates, cross-checked with node:crypto', () => {
  const supported = CERT_FIXTURES.filter((f) => f !== 'p384.pem' && f !== 'critical-ext.pem');
  for (const name of supported) {
    it(name, () => {
      const der = fixtureDer(name);
      crossCheckWithNode(parseCertificate(der), new X509Certificate(der));
    });
  }

  it('EC P-256 leaf: every field', () => {
    const leaf = cert('ec-leaf.pem');
    expect(leaf.version).toBe(3);
    expect(leaf.subject.text).toBe('CN=leaf.example, O=pquic test');
    expect(leaf.subject.commonName).toBe('leaf.example');
    expect(leaf.issuer.text).toBe('CN=pquic test intermediate, O=pquic test');
    expect(leaf.notBefore.toISOString()).toBe('2025-01-01T00:00:00.000Z');
    expect(leaf.notAfter.toISOString()).toBe('2045-12-31T23:59:59.000Z');
    expect(leaf.publicKey.kind).toBe('ecdsa-p256');
    expect(leaf.signatureAlgorithm).toBe('ecdsa-with-SHA256');
    expect(leaf.dnsNames).toEqual(['leaf.example', 'www.leaf.example']);
    expect(leaf.ipAddresses).toEqual(['127.0.0.1', '::1']);
    expect(leaf.isCA).toBe(false);
    expect(leaf.keyUsage).toBe(KU_DIGITAL_SIGNATURE);
    expect(leaf.subjectKeyId?.length).toBe(20);
    expect(leaf.authorityKeyId).toEqual(cert('ec-int.pem').subjectKeyId);
    expect(toHex(leaf.tbs)).toBe(toHex(leaf.raw.subarray(4, 4 + leaf.tbs.length)));
  });

  it('CA flags, pathLenConstraint, keyUsage, GeneralizedTime', () => {
    const root = cert('ec-root.pem');
    expect(root.isCA).toBe(true);
    expect(root.pathLenConstraint).toBeUndefined();
    expect(root.keyUsage).toBe(KU_KEY_CERT_SIGN | KU_CRL_SIGN);
    expect(root.subject.text).toBe('CN=pquic test root, O=pquic test, C=XX');
    // 2055 is past 2049, so notAfter is a GeneralizedTime (RFC 5280 §4.1.2.5).
    expect(root.notAfter.toISOString()).toBe('2055-01-01T00:00:00.000Z');
    expect(cert('ec-int.pem').pathLenConstraint).toBe(0);
  });

  it('RSA, RSASSA-PSS and Ed25519 certificates', () => {
    const rsa = cert('rsa2048.pem');
    expect(rsa.publicKey.kind).toBe('rsa');
    if (rsa.publicKey.kind === 'rsa') {
      expect(rsa.publicKey.n.length).toBe(256);
      expect(toHex(rsa.publicKey.e)).toBe('010001');
    }
    expect(rsa.signatureAlgorithm).toBe('sha256WithRSAEncryption');
    expect(cert('rsa-pss-signed.pem').signatureAlgorithm).toBe('rsassa-pss');
    const ed = cert('ed25519.pem');
    expect(ed.publicKey.kind).toBe('ed25519');
    expect(ed.signatureAlgorithm).toBe('ed25519');
  });

  it('a P-384 key is unsupported_certificate (43) with a clear message', () => {
    const e = certError(() => cert('p384.pem'));
    expect(e.alert).toBe(43);
    expect(e.message).toMatch(/curve P-384 is not supported \(only P-256\)/);
  });

  it('an unknown critical extension is unsupported_certificate (43)', () => {
    const e = certError(() => cert('critical-ext.pem'));
    expect(e.alert).toBe(43);
    expect(e.message).toMatch(/unsupported critical extension 1\.3\.6\.1\.4\.1\.55555\.1/);
  });

  it('malformed input is decode_error (50) with the offset', () => {
    const der = fixtureDer('ec-leaf.pem');
    const e = certError(() => parseCertificate(der.subarray(0, der.length - 1)));
    expect(e.alert).toBe(50);
    expect(e.message).toMatch(/exceeds .* at offset 1/);
    const trailing = new Uint8Array([...der, 0]);
    expect(certError(() => parseCertificate(trailing)).message).toMatch(/after the end of Certificate/);
    expect(certError(() => parseCertificate(new Uint8Array(0))).alert).toBe(50);
    expect(certError(() => parseCertificate(encodeSequence())).alert).toBe(50);
  });

  it('a signature algorithm that differs from the TBS one is bad_certificate (42)', () => {
    // ed25519.pem: swap the outer AlgorithmIdentifier OID 1.3.101.112 for 1.3.101.113 (Ed448).
    const der = fixtureDer('ed25519.pem');
    const c = parseCertificate(der);
    const outerAlgAt = 4 + c.tbs.length; // SEQUENCE header of 4 bytes, then the TBS
    expect(toHex(der.subarray(outerAlgAt, outerAlgAt + 7))).toBe('300506032b6570');
    const bad = der.slice();
    bad[outerAlgAt + 6] = 0x71;
    expect(certError(() => parseCertificate(bad)).alert).toBe(42);
  });

  it('a name attribute whose value is not a character string is decode_error (found by the fuzzer)', () => {
    const der = fixtureDer('ec-leaf.pem');
    // The subject CN "leaf.example" is a UTF8String (0x0c, length 12): make it an OCTET STRING.
    const at = Buffer.from(der).indexOf(Buffer.from([0x0c, 12, ...Buffer.from('leaf.example')]));
    expect(at).toBeGreaterThan(0);
    for (const tag of [0x04, 0x80, 0x4c]) {
      const bad = der.slice();
      bad[at] = tag;
      const e = certError(() => parseCertificate(bad));
      expect(e.alert).toBe(50);
      expect(e.message).toMatch(/attribute CN value is a .*, not a string/);
    }
  });

  it('issuer/subject unique IDs are skipped only when they are valid BIT STRINGs (found by the fuzzer)', () => {
    // ed25519.pem re-encoded with a subjectUniqueID [2] before its extensions: node agrees on both.
    const c = cert('ed25519.pem');
    const tbs = new DerReader(c.tbs).sequence();
    const fields: Uint8Array[] = [];
    while (!tbs.done) fields.push(tbs.read().raw);
    const withUid = (uid: Uint8Array): Uint8Array => {
      const newTbs = encodeSequence(...fields.slice(0, -1), uid, fields[fields.length - 1]!);
      const rest = c.raw.subarray(4 + c.tbs.length);
      return encodeTlv(0x30, new Uint8Array([...newTbs, ...rest]));
    };
    const good = withUid(hex('8203 00abcd'));
    expect(parseCertificate(good).dnsNames).toEqual(['ed.example']);
    expect(() => new X509Certificate(good)).not.toThrow();
    const bad = withUid(hex('8202 0bab'));
    expect(certError(() => parseCertificate(bad)).message).toMatch(/11 unused bits/);
    expect(() => new X509Certificate(bad)).toThrow();
  });

  it('copies its input', () => {
    const der = fixtureDer('ec-leaf.pem');
    const c = parseCertificate(der);
    der.fill(0);
    expect(c.raw[0]).toBe(0x30);
    expect(c.dnsNames).toEqual(['leaf.example', 'www.leaf.example']);
  });
});

describe('signatures', () => {
  const pairs: [string, string][] = [
    ['ec-int.pem', 'ec-root.pem'],
    ['ec-leaf.pem', 'ec-int.pem'],
    ['ec-root.pem', 'ec-root.pem'],
    ['rsa2048.pem', 'rsa2048.pem'],
    ['rsa-signed.pem', 'rsa2048.pem'],
    ['rsa-pss-signed.pem', 'rsa2048.pem'],
    ['ed25519.pem', 'ed25519.pem'],
  ];
  for (const [child, parent] of pairs) {
    it(`${child} is signed by ${parent} (node agrees)`, () => {
      const c = cert(child);
      const p = cert(parent);
      expect(verifySignedBy(shimProvider, c, p)).toBe(true);
      expect(new X509Certificate(c.raw).verify(new X509Certificate(p.raw).publicKey)).toBe(true);
    });
  }

  it('a wrong issuer of the same key type does not verify', () => {
    expect(verifySignedBy(shimProvider, cert('ec-leaf.pem'), cert('ec-root.pem'))).toBe(false);
  });

  it('maps algorithms to provider schemes and rejects mismatches', () => {
    const rsa = cert('rsa2048.pem').publicKey;
    const ec = cert('ec-root.pem').publicKey;
    expect(certificateSignatureScheme(cert('rsa-signed.pem'), rsa)).toBe(SIG_RSA_PKCS1_SHA256);
    expect(certificateSignatureScheme(cert('rsa-pss-signed.pem'), rsa)).toBe(SIG_RSA_PSS_RSAE_SHA256);
    expect(certificateSignatureScheme(cert('ec-leaf.pem'), ec)).toBe(SIG_ECDSA_SECP256R1_SHA256);
    expect(certError(() => certificateSignatureScheme(cert('ec-leaf.pem'), rsa)).alert).toBe(42);
    const unknown = { ...cert('ec-leaf.pem'), signatureAlgorithm: 'sha1WithRSAEncryption' };
    expect(certError(() => verifySignedBy(shimProvider, unknown, cert('rsa2048.pem'))).alert).toBe(43);
  });

  it('RSASSA-PSS parameters: only SHA-256/384 with MGF1 of the same hash and salt = hash length', () => {
    const rsa = cert('rsa2048.pem').publicKey;
    const pss = cert('rsa-pss-signed.pem');
    // OpenSSL writes the hash AlgorithmIdentifiers with NULL parameters.
    const algId = (oid: string): Uint8Array => encodeSequence(encodeOid(oid), encodeNull());
    const params = (hash: string, mgfHash: string, salt: number, trailer?: number): Uint8Array =>
      encodeSequence(
        encodeExplicit(0, algId(hash)),
        encodeExplicit(1, encodeSequence(encodeOid('1.2.840.113549.1.1.8'), algId(mgfHash))),
        encodeExplicit(2, encodeInteger(salt)),
        ...(trailer === undefined ? [] : [encodeExplicit(3, encodeInteger(trailer))]),
      );
    const SHA256 = '2.16.840.1.101.3.4.2.1';
    const SHA384 = '2.16.840.1.101.3.4.2.2';
    const scheme = (p: Uint8Array | undefined): number => certificateSignatureScheme({ ...pss, signatureParams: p }, rsa);
    expect(toHex(pss.signatureParams!)).toBe(toHex(params(SHA256, SHA256, 32)));
    expect(scheme(params(SHA384, SHA384, 48))).toBe(SIG_RSA_PSS_RSAE_SHA384);
    expect(scheme(params(SHA256, SHA256, 32, 1))).toBe(SIG_RSA_PSS_RSAE_SHA256);
    for (const p of [params(SHA256, SHA256, 20), params(SHA256, SHA384, 32), params(SHA256, SHA256, 32, 2), encodeSequence(), undefined]) {
      expect(certError(() => scheme(p)).alert).toBe(43);
    }
    const trailing = params(SHA256, SHA256, 32);
    expect(certError(() => scheme(new Uint8Array([...trailing, 5, 0]))).alert).toBe(50);
  });

  it('signatureSchemesFor gives the CertificateVerify schemes of a leaf key', () => {
    expect(signatureSchemesFor(cert('ec-leaf.pem').publicKey)).toEqual([SIG_ECDSA_SECP256R1_SHA256]);
    expect(signatureSchemesFor(cert('ed25519.pem').publicKey)).toEqual([SIG_ED25519]);
    expect(signatureSchemesFor(cert('rsa2048.pem').publicKey)).toEqual([SIG_RSA_PSS_RSAE_SHA256, SIG_RSA_PSS_RSAE_SHA384]);
  });
});

describe('verifyChain', () => {
  const root = cert('ec-root.pem');
  const int = cert('ec-int.pem');
  const leaf = cert('ec-leaf.pem');
  const opts = { trustAnchors: [root], now: FIXTURE_NOW };
  const alertOf = (chain: Certificate[], o: Parameters<typeof verifyChain>[2] = opts): number => certError(() => verifyChain(shimProvider, chain, o)).alert;

  it('accepts leaf → intermediate → root, by DNS name and by IP', () => {
    for (const serverName of ['leaf.example', 'WWW.Leaf.Example.', '127.0.0.1', '::1', '[::1]', undefined]) {
      expect(() => verifyChain(shimProvider, [leaf, int], { ...opts, serverName })).not.toThrow();
    }
  });

  it('accepts extra and out-of-order certificates, a sent root, and an intermediate as anchor', () => {
    expect(() => verifyChain(shimProvider, [leaf, cert('other-host.pem'), root, int], opts)).not.toThrow();
    expect(() => verifyChain(shimProvider, [leaf], { trustAnchors: [int], now: FIXTURE_NOW })).not.toThrow();
    expect(() => verifyChain(shimProvider, [leaf, int], { trustAnchors: [cert('rsa2048.pem'), root], now: FIXTURE_NOW })).not.toThrow();
  });

  it('accepts a pinned self-signed certificate', () => {
    const ed = cert('ed25519.pem');
    expect(() => verifyChain(shimProvider, [ed], { trustAnchors: [ed], serverName: 'ed.example', now: FIXTURE_NOW })).not.toThrow();
  });

  it('verifies RSA PKCS#1 v1.5 and RSASSA-PSS signatures along the way', () => {
    const rsaRoot = cert('rsa2048.pem');
    for (const [name, host] of [['rsa-signed.pem', 'rsasigned.example'], ['rsa-pss-signed.pem', 'psssigned.example']] as const) {
      expect(() => verifyChain(shimProvider, [cert(name)], { trustAnchors: [rsaRoot], serverName: host, now: FIXTURE_NOW })).not.toThrow();
    }
  });

  it('unknown CA (48): missing intermediate, no anchors, another root', () => {
    expect(alertOf([leaf])).toBe(48);
    expect(alertOf([leaf, int], { trustAnchors: [], now: FIXTURE_NOW })).toBe(48);
    expect(alertOf([leaf, int], { trustAnchors: [cert('rsa2048.pem')], now: FIXTURE_NOW })).toBe(48);
    const self = cert('ed25519.pem');
    expect(alertOf([self])).toBe(48);
    expect(certError(() => verifyChain(shimProvider, [leaf], opts)).message).toMatch(/no trusted issuer for "CN=pquic test intermediate, O=pquic test"/);
  });

  it('expired or not yet valid (45): leaf, and anchor', () => {
    expect(alertOf([cert('expired.pem'), int])).toBe(45);
    expect(alertOf([cert('not-yet-valid.pem'), int])).toBe(45);
    expect(certError(() => verifyChain(shimProvider, [cert('expired.pem'), int], opts)).message).toMatch(/expired at 2021-01-01T00:00:00\.000Z/);
    // Valid again inside its window.
    expect(() => verifyChain(shimProvider, [cert('expired.pem'), int], { ...opts, now: new Date('2020-06-01T00:00:00Z') })).toThrow(
      /not valid before 2025/, // the intermediate did not exist yet
    );
    expect(alertOf([leaf, int], { ...opts, now: new Date('2024-12-31T23:59:59Z') })).toBe(45);
    expect(alertOf([leaf, int], { ...opts, now: new Date('2046-01-01T00:00:00Z') })).toBe(45);
  });

  it('bad signature (42)', () => {
    // Change one character of "www.leaf.example" inside the signed SAN: structure intact, signature broken.
    const der = leaf.raw.slice();
    const at = Buffer.from(der).indexOf('www.leaf');
    der[at] = 'x'.charCodeAt(0);
    const forged = parseCertificate(der);
    expect(forged.dnsNames).toContain('xww.leaf.example');
    const e = certError(() => verifyChain(shimProvider, [forged, int], opts));
    expect(e.alert).toBe(42);
    expect(e.message).toMatch(/bad signature on "CN=leaf.example, O=pquic test"/);
    // The same against an anchor directly.
    expect(alertOf([forged], { trustAnchors: [int], now: FIXTURE_NOW })).toBe(42);
  });

  it('an issuer that is not a CA (42)', () => {
    const e = certError(() => verifyChain(shimProvider, [cert('signed-by-leaf.pem'), leaf, int], opts));
    expect(e.alert).toBe(42);
    expect(e.message).toMatch(/is not a CA/);
    // Even when the non-CA certificate is itself a trust anchor.
    expect(alertOf([cert('signed-by-leaf.pem')], { trustAnchors: [leaf], now: FIXTURE_NOW })).toBe(42);
  });

  it('pathLenConstraint exceeded (42)', () => {
    const e = certError(() => verifyChain(shimProvider, [cert('deep-leaf.pem'), cert('ec-int2.pem'), int], opts));
    expect(e.alert).toBe(42);
    expect(e.message).toMatch(/pathLenConstraint 0 exceeded/);
  });

  it('server name mismatch (42, as OpenSSL sends for X509_V_ERR_HOSTNAME_MISMATCH)', () => {
    expect(alertOf([cert('other-host.pem'), int], { ...opts, serverName: 'leaf.example' })).toBe(42);
    expect(alertOf([leaf, int], { ...opts, serverName: '127.0.0.2' })).toBe(42);
    expect(certError(() => verifyChain(shimProvider, [leaf, int], { ...opts, serverName: 'evil.example' })).message).toMatch(
      /not valid for "evil.example" \(it names leaf.example, www.leaf.example, 127.0.0.1, ::1\)/,
    );
  });

  it('an empty chain (42)', () => {
    expect(alertOf([])).toBe(42);
  });
});

describe("node's bundled Mozilla root store (tls.rootCertificates)", () => {
  it('every root either parses like node parses it, or is unsupported_certificate (43)', () => {
    const blocks = rootCertificates;
    expect(blocks.length).toBeGreaterThan(50);
    let parsed = 0;
    const unsupportedReasons = new Set<string>();
    for (const block of blocks) {
      let c: Certificate;
      try {
        [c] = loadCertificates(block) as [Certificate];
      } catch (e) {
        expect(e).toBeInstanceOf(CertificateError);
        expect((e as CertificateError).alert, (e as Error).message).toBe(43);
        unsupportedReasons.add((e as Error).message);
        continue;
      }
      parsed++;
      const theirs = new X509Certificate(block);
      crossCheckWithNode(c, theirs);
      // Self-signed roots verify with their own key (as node says) unless they use SHA-1 etc.
      if (c.issuer.text === c.subject.text && ['sha256WithRSAEncryption', 'sha384WithRSAEncryption', 'ecdsa-with-SHA256'].includes(c.signatureAlgorithm)) {
        expect(verifySignedBy(shimProvider, c, c)).toBe(theirs.verify(theirs.publicKey));
      }
    }
    expect(parsed).toBeGreaterThan(blocks.length / 2);
    expect([...unsupportedReasons].every((m) => /curve P-384|curve P-521|not supported/.test(m))).toBe(true);
  });
});
