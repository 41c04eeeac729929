/**
 * The X.509 code over the project's real crypto providers (node:crypto and noble), not the test
 * shim: fixture chains with every signature algorithm we verify, and certgen output checked by
 * node's X509Certificate.
 */

import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { getProvider } from '../../../../src/quic/crypto/index.js';
import { generateSelfSigned } from '../../../../src/quic/tls/certgen.js';
import { parsePrivateKey } from '../../../../src/quic/tls/pem.js';
import { CertificateError, parseCertificate, signatureSchemesFor, verifyChain, verifySignedBy } from '../../../../src/quic/tls/x509.js';
import { FIXTURE_NOW, fixtureDer, fixtureText } from './fixtures.js';
import { shimProvider } from './shim-provider.js';

const cert = (name: string) => parseCertificate(fixtureDer(name));

for (const name of ['node', 'noble'] as const) {
  describe(`with the ${name} provider`, () => {
    const provider = getProvider(name);
    const root = cert('ec-root.pem');
    const int = cert('ec-int.pem');

    it('verifies ECDSA P-256, RSA PKCS#1 v1.5, RSASSA-PSS and Ed25519 certificate signatures', () => {
      expect(() => verifyChain(provider, [cert('ec-leaf.pem'), int], { trustAnchors: [root], serverName: 'leaf.example', now: FIXTURE_NOW })).not.toThrow();
      const rsaRoot = cert('rsa2048.pem');
      expect(verifySignedBy(provider, rsaRoot, rsaRoot)).toBe(true);
      expect(verifySignedBy(provider, cert('rsa-signed.pem'), rsaRoot)).toBe(true);
      expect(verifySignedBy(provider, cert('rsa-pss-signed.pem'), rsaRoot)).toBe(true);
      expect(verifySignedBy(provider, cert('ed25519.pem'), cert('ed25519.pem'))).toBe(true);
      expect(verifySignedBy(provider, cert('ec-leaf.pem'), root)).toBe(false);
    });

    it('reports a forged certificate as bad_certificate', () => {
      const der = fixtureDer('ec-leaf.pem');
      der[Buffer.from(der).indexOf('www.leaf')] = 0x78;
      const forged = parseCertificate(der);
      try {
        verifyChain(provider, [forged, int], { trustAnchors: [root], now: FIXTURE_NOW });
        expect.unreachable();
      } catch (e) {
        expect((e as CertificateError).alert).toBe(42);
      }
    });

    it('generates certificates node verifies, signed by CAs of either key type', () => {
      const ca = generateSelfSigned(provider, { kind: 'ed25519', commonName: 'ca', isCA: true });
      for (const kind of ['ecdsa-p256', 'ed25519'] as const) {
        const self = generateSelfSigned(provider, { kind, dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
        const node = new X509Certificate(self.certDer);
        expect(node.verify(node.publicKey)).toBe(true);
        expect(node.checkHost('localhost')).toBe('localhost');
        const leaf = generateSelfSigned(provider, { kind, commonName: 'leaf.test', issuer: { cert: ca.cert, key: ca.privateKey } });
        expect(new X509Certificate(leaf.certDer).verify(new X509Certificate(ca.certDer).publicKey)).toBe(true);
        expect(() => verifyChain(provider, [leaf.cert], { trustAnchors: [ca.cert], serverName: 'leaf.test' })).not.toThrow();
        // The shim (plain node:crypto) agrees.
        expect(verifySignedBy(shimProvider, leaf.cert, ca.cert)).toBe(true);
      }
    });

    it('signs a CertificateVerify-style message with a parsed openssl key, verified against the certificate', () => {
      const data = new Uint8Array(130).fill(0x20);
      for (const [keyName, certName] of [['ec-leaf.sec1.key', 'ec-leaf.pem'], ['ed25519.key', 'ed25519.pem']] as const) {
        const c = cert(certName);
        const [scheme] = signatureSchemesFor(c.publicKey);
        const sig = provider.sign(scheme!, parsePrivateKey(fixtureText(keyName)), data);
        expect(provider.verify(scheme!, c.publicKey, data, sig)).toBe(true);
        expect(shimProvider.verify(scheme!, c.publicKey, data, sig)).toBe(true);
      }
    });
  });
}
