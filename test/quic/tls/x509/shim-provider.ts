/**
 * A test-only CryptoProvider over node:crypto with just what X.509 needs (hash, random, sign,
 * verify, key generation). It is written independently of src/quic/tls so that it can
 * cross-check that code; the AEAD and key-exchange members throw.
 */

import * as nodeCrypto from 'node:crypto';
import {
  SIG_ECDSA_SECP256R1_SHA256,
  SIG_ED25519,
  SIG_RSA_PKCS1_SHA256,
  SIG_RSA_PKCS1_SHA384,
  SIG_RSA_PSS_RSAE_SHA256,
  SIG_RSA_PSS_RSAE_SHA384,
  type CryptoProvider,
  type PrivateKey,
  type PublicKey,
  type SignatureScheme,
} from '../../../../src/quic/crypto/provider.js';

const b64u = (b: Uint8Array): string => Buffer.from(b).toString('base64url');
const fromB64u = (s: string | undefined): Uint8Array => new Uint8Array(Buffer.from(s ?? '', 'base64url'));

/** RFC 8410 §7 PKCS#8 prefix for a 32-byte Ed25519 seed. */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export function nodePrivateKey(key: PrivateKey): nodeCrypto.KeyObject {
  switch (key.kind) {
    case 'ecdsa-p256': {
      const ecdh = nodeCrypto.createECDH('prime256v1');
      ecdh.setPrivateKey(Buffer.from(key.d));
      const point = ecdh.getPublicKey();
      return nodeCrypto.createPrivateKey({
        key: { kty: 'EC', crv: 'P-256', d: b64u(key.d), x: b64u(point.subarray(1, 33)), y: b64u(point.subarray(33)) },
        format: 'jwk',
      });
    }
    case 'ed25519':
      return nodeCrypto.createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, key.seed]), format: 'der', type: 'pkcs8' });
    case 'rsa':
      return nodeCrypto.createPrivateKey({ key: Buffer.from(key.pkcs8), format: 'der', type: 'pkcs8' });
  }
}

export function nodePublicKey(key: PublicKey): nodeCrypto.KeyObject {
  switch (key.kind) {
    case 'ecdsa-p256':
      return nodeCrypto.createPublicKey({
        key: { kty: 'EC', crv: 'P-256', x: b64u(key.point.subarray(1, 33)), y: b64u(key.point.subarray(33)) },
        format: 'jwk',
      });
    case 'ed25519':
      return nodeCrypto.createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64u(key.key) }, format: 'jwk' });
    case 'rsa':
      return nodeCrypto.createPublicKey({ key: { kty: 'RSA', n: b64u(key.n), e: b64u(key.e) }, format: 'jwk' });
  }
}

function schemeParams(scheme: SignatureScheme): { hash: string | null; pss: boolean; saltLength?: number } {
  switch (scheme) {
    case SIG_ECDSA_SECP256R1_SHA256: return { hash: 'sha256', pss: false };
    case SIG_ED25519: return { hash: null, pss: false };
    case SIG_RSA_PKCS1_SHA256: return { hash: 'sha256', pss: false };
    case SIG_RSA_PKCS1_SHA384: return { hash: 'sha384', pss: false };
    case SIG_RSA_PSS_RSAE_SHA256: return { hash: 'sha256', pss: true, saltLength: 32 };
    case SIG_RSA_PSS_RSAE_SHA384: return { hash: 'sha384', pss: true, saltLength: 48 };
  }
}

const notInShim = (): never => {
  throw new Error('not implemented in the X.509 test shim');
};

export const shimProvider: CryptoProvider = {
  name: 'node',
  aead: notInShim,
  headerProtection: notInShim,
  hash: (alg, data) => new Uint8Array(nodeCrypto.createHash(alg).update(data).digest()),
  createHash: notInShim,
  hmac: (alg, key, data) => new Uint8Array(nodeCrypto.createHmac(alg, key).update(data).digest()),
  hkdfExtract: notInShim,
  hkdfExpand: notInShim,
  randomBytes: (n) => new Uint8Array(nodeCrypto.randomBytes(n)),
  generateKeyShare: notInShim,
  sharedSecret: notInShim,
  sign(scheme, key, data) {
    const p = schemeParams(scheme);
    const k = nodePrivateKey(key);
    const opts = p.pss ? { key: k, padding: nodeCrypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: p.saltLength } : { key: k, dsaEncoding: 'der' as const };
    return new Uint8Array(nodeCrypto.sign(p.hash, data, opts));
  },
  verify(scheme, key, data, signature) {
    const p = schemeParams(scheme);
    const k = nodePublicKey(key);
    const opts = p.pss ? { key: k, padding: nodeCrypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: p.saltLength } : { key: k, dsaEncoding: 'der' as const };
    return nodeCrypto.verify(p.hash, data, opts, signature);
  },
  generateSigningKey(kind) {
    if (kind === 'ecdsa-p256') {
      const { privateKey } = nodeCrypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const jwk = privateKey.export({ format: 'jwk' });
      const point = new Uint8Array(65);
      point[0] = 4;
      point.set(fromB64u(jwk.x), 1);
      point.set(fromB64u(jwk.y), 33);
      return { privateKey: { kind, d: fromB64u(jwk.d) }, publicKey: { kind, point } };
    }
    const { privateKey } = nodeCrypto.generateKeyPairSync('ed25519');
    const jwk = privateKey.export({ format: 'jwk' });
    return { privateKey: { kind, seed: fromB64u(jwk.d) }, publicKey: { kind, key: fromB64u(jwk.x) } };
  },
};
