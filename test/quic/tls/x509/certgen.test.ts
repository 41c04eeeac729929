import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SIG_ECDSA_SECP256R1_SHA256, SIG_ED25519, type CryptoProvider, type PrivateKey } from '../../../../src/quic/crypto/provider.js';
import { generateSelfSigned } from '../../../../src/quic/tls/certgen.js';
import { encodePrivateKeyPkcs8, pemEncode } from '../../../../src/quic/tls/pem.js';
import {
  CertificateError,
  KU_CRL_SIGN,
  KU_DIGITAL_SIGNATURE,
  KU_KEY_CERT_SIGN,
  OID,
  parseCertificate,
  verifyChain,
  verifySignedBy,
  type Certificate,
} from '../../../../src/quic/tls/x509.js';
import { hasOpenssl } from './fixtures.js';
import { nodePublicKey, shimProvider } from './shim-provider.js';

const provider: CryptoProvider = shimProvider;
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function certError(f: () => unknown): CertificateError {
  try {
    f();
  } catch (e) {
    if (!(e instanceof CertificateError)) throw e;
    return e;
  }
  throw new Error('expected a CertificateError');
}

/** A generated certificate as the `issuer` option of the next one. */
const by = (ca: { cert: Certificate; privateKey: PrivateKey }): { cert: Certificate; key: PrivateKey } => ({ cert: ca.cert, key: ca.privateKey });

function openssl(args: string[], input?: Uint8Array | string): string {
  return execFileSync('openssl', args, { input, stdio: ['pipe', 'pipe', 'pipe'] }).toString();
}

describe('generateSelfSigned', () => {
  for (const kind of ['ecdsa-p256', 'ed25519'] as const) {
    describe(kind, () => {
      const { certDer, privateKey, cert } = generateSelfSigned(provider, {
        kind,
        commonName: 'localhost',
        dnsNames: ['localhost', 'quic.example'],
        ipAddresses: ['127.0.0.1', '::1'],
        days: 30,
      });
      const node = new X509Certificate(certDer);

      it('node parses it, verifies its self-signature and checks its names', () => {
        expect(node.subject).toBe('CN=localhost');
        expect(node.issuer).toBe('CN=localhost');
        expect(node.subjectAltName).toBe('DNS:localhost, DNS:quic.example, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
        expect(node.ca).toBe(false);
        expect(node.keyUsage).toEqual([OID.serverAuth, OID.clientAuth]);
        expect(node.verify(node.publicKey)).toBe(true);
        expect(node.checkHost('localhost')).toBe('localhost');
        expect(node.checkHost('quic.example')).toBe('quic.example');
        expect(node.checkHost('other.example')).toBeUndefined();
        expect(node.checkIP('127.0.0.1')).toBe('127.0.0.1');
        expect(node.checkIP('::1')).toBe('::1');
        // OpenSSL does not treat a non-CA certificate (keyUsage without keyCertSign) as its own issuer.
        expect(node.checkIssued(node)).toBe(false);
        expect(node.publicKey.asymmetricKeyType).toBe(kind === 'ed25519' ? 'ed25519' : 'ec');
      });

      it('its key is the private key returned with it', () => {
        const data = new TextEncoder().encode('proof of possession');
        const scheme = kind === 'ed25519' ? SIG_ED25519 : SIG_ECDSA_SECP256R1_SHA256;
        const sig = provider.sign(scheme, privateKey, data);
        expect(provider.verify(scheme, cert.publicKey, data, sig)).toBe(true);
        expect(nodePublicKey(cert.publicKey).equals(node.publicKey)).toBe(true);
      });

      it('has the fields we asked for', () => {
        expect(cert.version).toBe(3);
        expect(cert.raw).toEqual(certDer);
        expect(cert.subject.text).toBe('CN=localhost');
        expect(cert.signatureAlgorithm).toBe(kind === 'ed25519' ? 'ed25519' : 'ecdsa-with-SHA256');
        expect(cert.dnsNames).toEqual(['localhost', 'quic.example']);
        expect(cert.ipAddresses).toEqual(['127.0.0.1', '::1']);
        expect(cert.isCA).toBe(false);
        expect(cert.keyUsage).toBe(KU_DIGITAL_SIGNATURE);
        expect(cert.subjectKeyId).toEqual(cert.authorityKeyId);
        expect(cert.notAfter.getTime() - cert.notBefore.getTime()).toBe(30 * 86_400_000);
        expect(cert.notBefore.getTime()).toBeLessThan(Date.now());
        expect(cert.notBefore.getTime() % 1000).toBe(0);
        expect(Date.parse(node.validFrom)).toBe(cert.notBefore.getTime());
        expect(verifySignedBy(provider, cert, cert)).toBe(true);
        expect(() => verifyChain(provider, [cert], { trustAnchors: [cert], serverName: 'quic.example' })).not.toThrow();
      });

      it.skipIf(!hasOpenssl())('openssl x509 -text shows a proper v3 certificate', () => {
        const text = openssl(['x509', '-inform', 'DER', '-noout', '-text'], certDer);
        expect(text).toMatch(/Version: 3 \(0x2\)/);
        expect(text).toMatch(kind === 'ed25519' ? /Signature Algorithm: ED25519/ : /Signature Algorithm: ecdsa-with-SHA256/);
        expect(text).toMatch(kind === 'ed25519' ? /Public Key Algorithm: ED25519/ : /NIST CURVE: P-256/);
        expect(text).toMatch(/X509v3 Basic Constraints: critical\s+CA:FALSE/);
        expect(text).toMatch(/X509v3 Key Usage: critical\s+Digital Signature\n/);
        expect(text).toMatch(/X509v3 Extended Key Usage: \s*TLS Web Server Authentication, TLS Web Client Authentication/);
        expect(text).toMatch(/X509v3 Subject Alternative Name: \s*DNS:localhost, DNS:quic.example, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1/);
        expect(text).toMatch(/X509v3 Subject Key Identifier/);
        expect(text).toMatch(/X509v3 Authority Key Identifier/);
        // openssl re-encodes what it parsed: byte-identical output means our DER was canonical.
        const reencoded = execFileSync('openssl', ['x509', '-inform', 'DER', '-outform', 'DER'], { input: certDer });
        expect(toHex(new Uint8Array(reencoded))).toBe(toHex(certDer));
        // It verifies against itself, and openssl accepts the PKCS#8 key as the certificate's.
        const dir = mkdtempSync(join(tmpdir(), 'pquic-certgen-'));
        try {
          writeFileSync(join(dir, 'cert.pem'), pemEncode('CERTIFICATE', certDer));
          writeFileSync(join(dir, 'key.pem'), pemEncode('PRIVATE KEY', encodePrivateKeyPkcs8(privateKey)));
          expect(openssl(['verify', '-x509_strict', '-CAfile', join(dir, 'cert.pem'), join(dir, 'cert.pem')])).toMatch(/: OK/);
          const certPub = openssl(['x509', '-in', join(dir, 'cert.pem'), '-noout', '-pubkey']);
          const keyPub = openssl(['pkey', '-in', join(dir, 'key.pem'), '-pubout']);
          expect(keyPub).toBe(certPub);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      });
    });
  }

  it('defaults: CN localhost, SAN DNS:localhost, P-256, 365 days', () => {
    const { cert } = generateSelfSigned(provider, {});
    expect(cert.subject.commonName).toBe('localhost');
    expect(cert.dnsNames).toEqual(['localhost']);
    expect(cert.ipAddresses).toEqual([]);
    expect(cert.publicKey.kind).toBe('ecdsa-p256');
    expect(cert.notAfter.getTime() - cert.notBefore.getTime()).toBe(365 * 86_400_000);
  });

  it('an IP commonName becomes an IP SAN, a CN that is no host name no SAN', () => {
    const { cert } = generateSelfSigned(provider, { commonName: '192.0.2.7' });
    expect(cert.dnsNames).toEqual([]);
    expect(cert.ipAddresses).toEqual(['192.0.2.7']);
    const named = generateSelfSigned(provider, { commonName: 'My Test Server' }).cert;
    expect(named.hasSubjectAltName).toBe(false);
    expect(generateSelfSigned(provider, { commonName: '*.wild.example' }).cert.dnsNames).toEqual(['*.wild.example']);
  });

  it('serials are random, positive, 16 octets', () => {
    const serials = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const { cert } = generateSelfSigned(provider, {});
      expect(cert.serial.length).toBe(16);
      expect(cert.serial[0]! & 0x80).toBe(0);
      serials.add(toHex(cert.serial));
    }
    expect(serials.size).toBe(20);
  });

  it('rejects invalid names', () => {
    expect(() => generateSelfSigned(provider, { dnsNames: ['bücher.example'] })).toThrow(/A-label/);
    expect(() => generateSelfSigned(provider, { ipAddresses: ['1.2.3.256'] })).toThrow(/invalid IP address/);
    const ca = generateSelfSigned(provider, { isCA: true });
    expect(() => generateSelfSigned(provider, { issuer: ca as never })).toThrow(/issuer must be \{ cert, key \}/);
  });
});

describe('CA-signed chains made by generateSelfSigned', () => {
  const root = generateSelfSigned(provider, { kind: 'ed25519', commonName: 'pquic test CA', isCA: true, days: 3650 });
  const int = generateSelfSigned(provider, { commonName: 'pquic test intermediate', isCA: true, pathLenConstraint: 0, issuer: by(root) });
  const leaf = generateSelfSigned(provider, { kind: 'ed25519', commonName: 'quic.example', ipAddresses: ['127.0.0.1'], issuer: by(int) });

  it('have the CA fields', () => {
    expect(root.cert.isCA).toBe(true);
    expect(root.cert.keyUsage).toBe(KU_KEY_CERT_SIGN | KU_CRL_SIGN | KU_DIGITAL_SIGNATURE);
    expect(root.cert.dnsNames).toEqual([]);
    expect(root.cert.hasSubjectAltName).toBe(false);
    expect(int.cert.pathLenConstraint).toBe(0);
    expect(int.cert.issuer.raw).toEqual(root.cert.subject.raw);
    expect(int.cert.authorityKeyId).toEqual(root.cert.subjectKeyId);
    expect(leaf.cert.authorityKeyId).toEqual(int.cert.subjectKeyId);
    expect(leaf.cert.dnsNames).toEqual(['quic.example']);
    expect(int.cert.signatureAlgorithm).toBe('ed25519'); // signed with the root's Ed25519 key
    expect(leaf.cert.signatureAlgorithm).toBe('ecdsa-with-SHA256'); // signed with the intermediate's P-256 key
  });

  it('node verifies each link', () => {
    const [r, i, l] = [root, int, leaf].map((c) => new X509Certificate(c.certDer)) as [X509Certificate, X509Certificate, X509Certificate];
    expect(r.ca && i.ca && !l.ca).toBe(true);
    expect(i.verify(r.publicKey)).toBe(true);
    expect(l.verify(i.publicKey)).toBe(true);
    expect(l.verify(r.publicKey)).toBe(false);
    expect(i.checkIssued(r)).toBe(true);
    expect(l.checkIssued(i)).toBe(true);
    expect(l.checkHost('quic.example')).toBe('quic.example');
  });

  it('verifyChain accepts it', () => {
    expect(() => verifyChain(provider, [leaf.cert, int.cert], { trustAnchors: [root.cert], serverName: 'quic.example' })).not.toThrow();
    expect(() => verifyChain(provider, [leaf.cert, int.cert], { trustAnchors: [root.cert], serverName: '127.0.0.1' })).not.toThrow();
  });

  it.skipIf(!hasOpenssl())('openssl verify accepts it (strict X.509 checks)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pquic-chain-'));
    try {
      writeFileSync(join(dir, 'root.pem'), pemEncode('CERTIFICATE', root.certDer));
      writeFileSync(join(dir, 'int.pem'), pemEncode('CERTIFICATE', int.certDer));
      writeFileSync(join(dir, 'leaf.pem'), pemEncode('CERTIFICATE', leaf.certDer));
      const out = openssl(['verify', '-x509_strict', '-purpose', 'sslserver', '-verify_hostname', 'quic.example',
        '-CAfile', join(dir, 'root.pem'), '-untrusted', join(dir, 'int.pem'), join(dir, 'leaf.pem')]);
      expect(out).toMatch(/leaf\.pem: OK/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('each failure gives its alert', () => {
    const now = new Date();
    const anchors = { trustAnchors: [root.cert], now };
    const alert = (chain: Certificate[], o = anchors): number => certError(() => verifyChain(provider, chain, o)).alert;
    // Unknown CA: another root of the same name.
    const otherRoot = generateSelfSigned(provider, { kind: 'ed25519', commonName: 'pquic test CA', isCA: true });
    expect(alert([leaf.cert, int.cert], { trustAnchors: [otherRoot.cert], now })).toBe(48);
    // Non-CA intermediate.
    const notCa = generateSelfSigned(provider, { commonName: 'not a CA', issuer: by(root) });
    const underNotCa = generateSelfSigned(provider, { commonName: 'victim.example', issuer: by(notCa) });
    expect(alert([underNotCa.cert, notCa.cert])).toBe(42);
    // pathLenConstraint 0 with one more CA under the intermediate.
    const int2 = generateSelfSigned(provider, { commonName: 'second intermediate', isCA: true, issuer: by(int) });
    const deep = generateSelfSigned(provider, { commonName: 'deep.example', issuer: by(int2) });
    expect(alert([deep.cert, int2.cert, int.cert])).toBe(42);
    // Expired intermediate, valid leaf.
    const oldInt = generateSelfSigned(provider, { commonName: 'old intermediate', isCA: true, issuer: by(root), notBefore: new Date(Date.now() - 10 * 86_400_000), days: 1 });
    const freshLeaf = generateSelfSigned(provider, { commonName: 'fresh.example', issuer: by(oldInt) });
    const e = certError(() => verifyChain(provider, [freshLeaf.cert, oldInt.cert], anchors));
    expect(e.alert).toBe(45);
    expect(e.message).toMatch(/intermediate certificate "CN=old intermediate" expired/);
    // Not yet valid leaf.
    const future = generateSelfSigned(provider, { commonName: 'future.example', issuer: by(int), notBefore: new Date(Date.now() + 86_400_000) });
    expect(alert([future.cert, int.cert])).toBe(45);
    // Name mismatch.
    expect(alert([leaf.cert, int.cert], { ...anchors, serverName: 'other.example' } as typeof anchors)).toBe(42);
    // A leaf re-signed by the wrong key but naming the right issuer (same subject and key id).
    const forger = generateSelfSigned(provider, { commonName: 'pquic test intermediate', isCA: true, issuer: by(root) });
    const forged = generateSelfSigned(provider, { commonName: 'quic.example', issuer: { cert: int.cert, key: forger.privateKey } });
    expect(alert([forged.cert, int.cert])).toBe(42);
  });

  it('a certificate signed by a CA with a different key type parses with the issuer\'s algorithm', () => {
    const ecRoot = generateSelfSigned(provider, { commonName: 'ec root', isCA: true });
    const edLeaf = generateSelfSigned(provider, { kind: 'ed25519', commonName: 'ed.example', issuer: by(ecRoot) });
    expect(edLeaf.cert.publicKey.kind).toBe('ed25519');
    expect(edLeaf.cert.signatureAlgorithm).toBe('ecdsa-with-SHA256');
    expect(verifySignedBy(provider, edLeaf.cert, ecRoot.cert)).toBe(true);
    expect(parseCertificate(edLeaf.certDer).issuer.text).toBe('CN=ec root');
  });
});
