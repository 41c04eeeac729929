/**
 * The CryptoProvider primitives of both providers: published vectors where they exist, and
 * node-vs-noble agreement everywhere (OpenSSL is the reference for the noble code paths).
 */
import { constants, createCipheriv, generateKeyPairSync, sign as nodeCryptoSign } from 'node:crypto';
import { p256 } from '@noble/curves/nist.js';
import { describe, expect, it } from 'vitest';
import { getProvider } from '../../../src/quic/crypto/index.js';
import {
  type CipherSuite,
  type PublicKey,
  GROUP_SECP256R1,
  GROUP_X25519,
  SIG_ECDSA_SECP256R1_SHA256,
  SIG_ED25519,
  SIG_RSA_PKCS1_SHA256,
  SIG_RSA_PKCS1_SHA384,
  SIG_RSA_PSS_RSAE_SHA256,
  SIG_RSA_PSS_RSAE_SHA384,
  TLS_AES_128_GCM_SHA256,
  TLS_AES_256_GCM_SHA384,
  TLS_CHACHA20_POLY1305_SHA256,
  suiteParams,
} from '../../../src/quic/crypto/provider.js';
import { PROVIDERS, flip, hex, toHex } from './helpers.js';
import { RFC5869 } from './vectors.js';

const node = getProvider('node');
const noble = getProvider('noble');
const SUITES: [string, CipherSuite][] = [
  ['AES-128-GCM', TLS_AES_128_GCM_SHA256],
  ['AES-256-GCM', TLS_AES_256_GCM_SHA384],
  ['ChaCha20-Poly1305', TLS_CHACHA20_POLY1305_SHA256],
];
const PAIRS = [
  { aName: 'node', a: node, bName: 'noble', b: noble },
  { aName: 'noble', a: noble, bName: 'node', b: node },
  { aName: 'node', a: node, bName: 'node', b: node },
  { aName: 'noble', a: noble, bName: 'noble', b: noble },
];
const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('getProvider', () => {
  it('defaults to node and caches one instance per name', () => {
    expect(getProvider().name).toBe('node');
    expect(getProvider()).toBe(getProvider('node'));
    expect(getProvider('noble')).toBe(getProvider('noble'));
    expect(getProvider('noble').name).toBe('noble');
    expect(() => getProvider('openssl' as 'node')).toThrow(/unknown crypto provider/);
  });
});

describe.each(PROVIDERS)('%s provider: hashes and KDFs', (_name, provider) => {
  it('hashes "abc" (FIPS 180-2 examples)', () => {
    expect(toHex(provider.hash('sha256', ascii('abc')))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(toHex(provider.hash('sha384', ascii('abc')))).toBe(
      'cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7');
  });

  it('returns plain Uint8Arrays', () => {
    expect(provider.hash('sha256', ascii('abc')).constructor).toBe(Uint8Array);
    expect(provider.hmac('sha256', ascii('k'), ascii('abc')).constructor).toBe(Uint8Array);
    expect(provider.randomBytes(8).constructor).toBe(Uint8Array);
  });

  it('keeps the incremental hash running after digest()', () => {
    for (const alg of ['sha256', 'sha384'] as const) {
      const h = provider.createHash(alg);
      h.update(ascii('client hello'));
      const first = h.digest();
      expect(toHex(h.digest())).toBe(toHex(first));
      expect(toHex(first)).toBe(toHex(provider.hash(alg, ascii('client hello'))));
      h.update(ascii(' server hello'));
      expect(toHex(h.digest())).toBe(toHex(provider.hash(alg, ascii('client hello server hello'))));
    }
  });

  it('computes HMAC (RFC 4231 test case 2)', () => {
    const mac = provider.hmac('sha256', ascii('Jefe'), ascii('what do ya want for nothing?'));
    expect(toHex(mac)).toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
  });

  it.each(RFC5869)('HKDF-SHA256, RFC 5869 $name', (v) => {
    const prk = provider.hkdfExtract('sha256', hex(v.salt), hex(v.ikm));
    expect(toHex(prk)).toBe(v.prk);
    expect(toHex(provider.hkdfExpand('sha256', prk, hex(v.info), v.length))).toBe(v.okm);
  });

  it('rejects HKDF-Expand lengths beyond 255 * HashLen', () => {
    const prk = new Uint8Array(32);
    expect(provider.hkdfExpand('sha256', prk, new Uint8Array(0), 255 * 32).length).toBe(255 * 32);
    expect(() => provider.hkdfExpand('sha256', prk, new Uint8Array(0), 255 * 32 + 1)).toThrow(/length/);
    expect(provider.hkdfExpand('sha384', prk, new Uint8Array(0), 0).length).toBe(0);
  });

  it('gives random bytes of the asked length', () => {
    const a = provider.randomBytes(32);
    expect(a.length).toBe(32);
    expect(toHex(a)).not.toBe(toHex(provider.randomBytes(32)));
  });
});

describe('node and noble agree on hashes and KDFs', () => {
  it('for random inputs', () => {
    for (let i = 0; i < 20; i++) {
      const data = node.randomBytes(i * 37);
      const key = node.randomBytes(i * 7);
      for (const alg of ['sha256', 'sha384'] as const) {
        expect(toHex(noble.hash(alg, data))).toBe(toHex(node.hash(alg, data)));
        expect(toHex(noble.hmac(alg, key, data))).toBe(toHex(node.hmac(alg, key, data)));
        const prk = node.hkdfExtract(alg, key, data);
        expect(toHex(noble.hkdfExtract(alg, key, data))).toBe(toHex(prk));
        expect(toHex(noble.hkdfExpand(alg, prk, key, i * 13))).toBe(toHex(node.hkdfExpand(alg, prk, key, i * 13)));
      }
    }
  });
});

describe.each(SUITES)('AEAD %s', (_suiteName, suite) => {
  const { keyLength } = suiteParams(suite);

  it.each([0, 1, 15, 16, 17, 63, 64, 65, 1200, 1500])('node and noble seal %i bytes identically and open each other', (length) => {
    const key = node.randomBytes(keyLength);
    const nonce = node.randomBytes(12);
    const aad = node.randomBytes(length % 41);
    const plaintext = node.randomBytes(length);
    const sealedNode = new Uint8Array(length + 16);
    const sealedNoble = new Uint8Array(length + 16);
    expect(node.aead(suite, key).seal(nonce, aad, plaintext, sealedNode, 0)).toBe(length + 16);
    expect(noble.aead(suite, key).seal(nonce, aad, plaintext, sealedNoble, 0)).toBe(length + 16);
    expect(toHex(sealedNoble)).toBe(toHex(sealedNode));
    expect(toHex(node.aead(suite, key).open(nonce, aad, sealedNoble)!)).toBe(toHex(plaintext));
    expect(toHex(noble.aead(suite, key).open(nonce, aad, sealedNode)!)).toBe(toHex(plaintext));
  });

  describe.each(PROVIDERS)('%s provider', (_name, provider) => {
    const key = node.randomBytes(keyLength);
    const nonce = node.randomBytes(12);
    const aad = ascii('header bytes');
    const plaintext = node.randomBytes(100);

    function sealed(): Uint8Array {
      const out = new Uint8Array(116);
      provider.aead(suite, key).seal(nonce, aad, plaintext, out, 0);
      return out;
    }

    it('rejects tampered ciphertext, tag, associated data and nonce', () => {
      const aead = provider.aead(suite, key);
      const good = sealed();
      expect(toHex(aead.open(nonce, aad, good)!)).toBe(toHex(plaintext));
      for (const index of [0, 50, 99, 100, 115]) {
        const bad = good.slice();
        flip(bad, index, 0x01);
        expect(aead.open(nonce, aad, bad)).toBeNull();
      }
      expect(aead.open(nonce, ascii('header bytez'), good)).toBeNull();
      const otherNonce = nonce.slice();
      flip(otherNonce, 11, 1);
      expect(aead.open(otherNonce, aad, good)).toBeNull();
      expect(aead.open(nonce, aad, good.subarray(0, 15))).toBeNull();
      expect(provider.aead(suite, node.randomBytes(keyLength)).open(nonce, aad, good)).toBeNull();
    });

    it('seals in place and openInto decrypts in place, leaving the buffer alone on failure', () => {
      const aead = provider.aead(suite, key);
      const buffer = new Uint8Array(3 + 100 + 16 + 5);
      buffer.set(plaintext, 3);
      aead.seal(nonce, aad, buffer.subarray(3, 103), buffer, 3);
      expect(toHex(buffer.subarray(3, 119))).toBe(toHex(sealed()));

      const tampered = buffer.slice();
      flip(tampered, 118, 0x80);
      const before = toHex(tampered);
      expect(aead.openInto!(nonce, aad, tampered.subarray(3, 119), tampered, 3)).toBe(-1);
      expect(toHex(tampered)).toBe(before);

      expect(aead.openInto!(nonce, aad, buffer.subarray(3, 119), buffer, 3)).toBe(100);
      expect(toHex(buffer.subarray(3, 103))).toBe(toHex(plaintext));
    });

    it('range methods, where offered, match seal and openInto packet after packet in one reused buffer', () => {
      const aead = provider.aead(suite, key);
      if (aead.sealRange === undefined || aead.openRange === undefined) return;
      // One datagram buffer, the same ranges every time (the endpoint's reuse, which the node
      // AEAD's cached views rely on): each packet's bytes must be its own, not a stale view's.
      const buffer = new Uint8Array(4 + aad.length + 100 + 16 + 3);
      const textStart = 4 + aad.length;
      for (let round = 0; round < 3; round++) {
        const text = node.randomBytes(100);
        const roundNonce = node.randomBytes(12);
        const expected = new Uint8Array(116);
        provider.aead(suite, key).seal(roundNonce, aad, text, expected, 0);
        buffer.set(aad, 4);
        buffer.set(text, textStart);
        expect(aead.sealRange(roundNonce, buffer, 4, textStart, textStart + 100)).toBe(116);
        expect(toHex(buffer.subarray(textStart, textStart + 116))).toBe(toHex(expected));
        expect(toHex(buffer.subarray(4, textStart))).toBe(toHex(aad));

        const tampered = buffer.slice();
        flip(tampered, textStart + 115, 0x01);
        const before = toHex(tampered);
        expect(aead.openRange(roundNonce, tampered, 4, textStart, textStart + 116)).toBe(-1);
        expect(toHex(tampered)).toBe(before);

        expect(aead.openRange(roundNonce, buffer, 4, textStart, textStart + 116)).toBe(100);
        expect(toHex(buffer.subarray(textStart, textStart + 100))).toBe(toHex(text));
      }
      // Shorter than a tag: not a packet; ranges outside the buffer: a clear error.
      expect(aead.openRange(nonce, buffer, 4, textStart, textStart + 15)).toBe(-1);
      expect(() => aead.openRange!(nonce, buffer, 4, textStart, buffer.length + 1)).toThrow(RangeError);
      expect(() => aead.sealRange!(nonce, buffer, textStart, 4, textStart)).toThrow(RangeError);
      expect(() => aead.sealRange!(nonce, buffer, 4, textStart, buffer.length - 15)).toThrow(RangeError);
    });

    it('rejects bad key and nonce lengths', () => {
      expect(() => provider.aead(suite, new Uint8Array(keyLength + 1))).toThrow(/key/);
      expect(() => provider.headerProtection(suite, new Uint8Array(keyLength - 1))).toThrow(/key/);
      const aead = provider.aead(suite, key);
      expect(() => aead.seal(new Uint8Array(8), aad, plaintext, new Uint8Array(116), 0)).toThrow(/nonce/);
      expect(() => aead.seal(nonce, aad, plaintext, new Uint8Array(115), 0)).toThrow(/too small/);
    });
  });

  it('header protection masks agree between node and noble', () => {
    const hpKey = node.randomBytes(keyLength);
    const hpNode = node.headerProtection(suite, hpKey);
    const hpNoble = noble.headerProtection(suite, hpKey);
    const a = new Uint8Array(5);
    const b = new Uint8Array(5);
    const samples = [new Uint8Array(16), new Uint8Array(16).fill(0xff), ...Array.from({ length: 30 }, () => node.randomBytes(16))];
    for (const sample of samples) {
      hpNode.mask(sample, a);
      hpNoble.mask(sample, b);
      expect(toHex(b)).toBe(toHex(a));
    }
    expect(() => hpNode.mask(new Uint8Array(15), a)).toThrow(/sample/);
    expect(() => hpNoble.mask(new Uint8Array(17), a)).toThrow(/sample/);
  });
});

describe('header protection against node:crypto directly', () => {
  // The node provider masks with the WebAssembly ChaCha20 core, noble with a TypeScript block; check both
  // against OpenSSL's chacha20, whose 16-byte IV is counter (LE) || nonce, i.e. the sample.
  it.each(PROVIDERS)('%s: ChaCha20 masks, including the block counters 0 and 0xffffffff', (_name, provider) => {
    const key = node.randomBytes(32);
    const hp = provider.headerProtection(TLS_CHACHA20_POLY1305_SHA256, key);
    const samples: Uint8Array[] = [new Uint8Array(16), new Uint8Array(16).fill(0xff), Uint8Array.of(0xff, 0xff, 0xff, 0xff, ...new Array<number>(12).fill(7))];
    for (let i = 0; i < 50; i++) samples.push(node.randomBytes(16));
    const mask = new Uint8Array(5);
    for (const sample of samples) {
      hp.mask(sample, mask);
      const expected = createCipheriv('chacha20', key, Buffer.from(sample)).update(new Uint8Array(5));
      expect(toHex(mask)).toBe(expected.toString('hex'));
    }
  });

  it.each(PROVIDERS)('%s: AES-ECB masks', (_name, provider) => {
    for (const keyLength of [16, 32]) {
      const key = node.randomBytes(keyLength);
      const hp = provider.headerProtection(keyLength === 16 ? TLS_AES_128_GCM_SHA256 : TLS_AES_256_GCM_SHA384, key);
      const mask = new Uint8Array(5);
      for (let i = 0; i < 50; i++) {
        const sample = node.randomBytes(16);
        hp.mask(sample, mask);
        const ecb = createCipheriv(keyLength === 16 ? 'aes-128-ecb' : 'aes-256-ecb', key, null);
        ecb.setAutoPadding(false);
        expect(toHex(mask)).toBe(ecb.update(sample).subarray(0, 5).toString('hex'));
      }
    }
  });
});

describe('key exchange', () => {
  for (const [group, groupName, publicLength] of [[GROUP_X25519, 'x25519', 32], [GROUP_SECP256R1, 'secp256r1', 65]] as const) {
    it.each(PAIRS)(`${groupName}: $aName and $bName agree on the shared secret`, ({ a, b }) => {
      const alice = a.generateKeyShare(group);
      const bob = b.generateKeyShare(group);
      expect(alice.group).toBe(group);
      expect(alice.publicKey.length).toBe(publicLength);
      expect(alice.privateKey.length).toBe(32);
      const s1 = a.sharedSecret(group, alice.privateKey, bob.publicKey);
      const s2 = b.sharedSecret(group, bob.privateKey, alice.publicKey);
      expect(s1.length).toBe(32);
      expect(toHex(s1)).toBe(toHex(s2));
      // Same inputs, other provider: same secret.
      expect(toHex(b.sharedSecret(group, alice.privateKey, bob.publicKey))).toBe(toHex(s1));
    });
  }

  describe.each(PROVIDERS)('%s provider', (_name, provider) => {
    it('rejects invalid x25519 peer keys', () => {
      const mine = provider.generateKeyShare(GROUP_X25519);
      expect(() => provider.sharedSecret(GROUP_X25519, mine.privateKey, new Uint8Array(32))).toThrow(/x25519: invalid peer public key/);
      // u = 1 is a low-order point too.
      const one = new Uint8Array(32);
      one[0] = 1;
      expect(() => provider.sharedSecret(GROUP_X25519, mine.privateKey, one)).toThrow(/x25519: invalid peer public key/);
      expect(() => provider.sharedSecret(GROUP_X25519, mine.privateKey, new Uint8Array(31))).toThrow(/32 bytes/);
      expect(() => provider.sharedSecret(GROUP_X25519, new Uint8Array(16), mine.publicKey)).toThrow(/32 bytes/);
    });

    it('rejects invalid secp256r1 peer keys', () => {
      const mine = provider.generateKeyShare(GROUP_SECP256R1);
      const offCurve = mine.publicKey.slice();
      flip(offCurve, 64, 1);
      expect(() => provider.sharedSecret(GROUP_SECP256R1, mine.privateKey, offCurve)).toThrow(/secp256r1: invalid peer public key/);
      const compressed = p256.Point.fromBytes(mine.publicKey).toBytes(true);
      expect(() => provider.sharedSecret(GROUP_SECP256R1, mine.privateKey, compressed)).toThrow(/uncompressed/);
      expect(() => provider.sharedSecret(GROUP_SECP256R1, new Uint8Array(32), mine.publicKey)).toThrow(/secp256r1: invalid private key/);
    });

    it('rejects unknown groups', () => {
      expect(() => provider.generateKeyShare(0x0018 as typeof GROUP_X25519)).toThrow(/unsupported key share group/);
    });
  });
});

describe('signatures', () => {
  const message = ascii('TLS 1.3, server CertificateVerify\0 transcript hash goes here');

  for (const [kind, scheme] of [['ecdsa-p256', SIG_ECDSA_SECP256R1_SHA256], ['ed25519', SIG_ED25519]] as const) {
    it.each(PAIRS)(`${kind}: $aName signs, $bName verifies`, ({ a: signer, b: verifier }) => {
      const { privateKey, publicKey } = signer.generateSigningKey(kind);
      expect(privateKey.kind).toBe(kind);
      const signature = signer.sign(scheme, privateKey, message);
      expect(verifier.verify(scheme, publicKey, message, signature)).toBe(true);
      const tampered = message.slice();
      flip(tampered, 0, 1);
      expect(verifier.verify(scheme, publicKey, tampered, signature)).toBe(false);
      const badSig = signature.slice();
      flip(badSig, badSig.length - 1, 1);
      expect(verifier.verify(scheme, publicKey, message, badSig)).toBe(false);
      expect(verifier.verify(scheme, publicKey, message, new Uint8Array(3))).toBe(false);
      expect(verifier.verify(scheme, publicKey, message, new Uint8Array(0))).toBe(false);
    });
  }

  it('ECDSA signatures are DER and high-S signatures verify on both providers', () => {
    const { privateKey, publicKey } = noble.generateSigningKey('ecdsa-p256');
    const der = noble.sign(SIG_ECDSA_SECP256R1_SHA256, privateKey, message);
    expect(der[0]).toBe(0x30);
    const sig = p256.Signature.fromBytes(der, 'der');
    const high = new p256.Signature(sig.r, p256.Point.Fn.ORDER - sig.s).toBytes('der');
    expect(p256.Signature.fromBytes(high, 'der').hasHighS()).toBe(true);
    expect(node.verify(SIG_ECDSA_SECP256R1_SHA256, publicKey, message, high)).toBe(true);
    expect(noble.verify(SIG_ECDSA_SECP256R1_SHA256, publicKey, message, high)).toBe(true);
  });

  describe.each(PROVIDERS)('%s provider', (_name, provider) => {
    it('throws on unusable keys and mismatched schemes', () => {
      const ec = provider.generateSigningKey('ecdsa-p256');
      const ed = provider.generateSigningKey('ed25519');
      const sig = provider.sign(SIG_ECDSA_SECP256R1_SHA256, ec.privateKey, message);
      const offCurve = (ec.publicKey as { point: Uint8Array }).point.slice();
      flip(offCurve, 64, 1);
      expect(() => provider.verify(SIG_ECDSA_SECP256R1_SHA256, { kind: 'ecdsa-p256', point: offCurve }, message, sig)).toThrow(/ecdsa-p256/);
      expect(() => provider.verify(SIG_ECDSA_SECP256R1_SHA256, { kind: 'ecdsa-p256', point: new Uint8Array(33) }, message, sig)).toThrow(/65-byte/);
      expect(() => provider.verify(SIG_ED25519, { kind: 'ed25519', key: new Uint8Array(31) }, message, sig)).toThrow(/32 bytes/);
      expect(() => provider.verify(SIG_ED25519, ec.publicKey, message, sig)).toThrow(/needs a ed25519 key/);
      expect(() => provider.sign(SIG_ECDSA_SECP256R1_SHA256, ed.privateKey, message)).toThrow(/needs a ecdsa-p256 key/);
      expect(() => provider.sign(SIG_ECDSA_SECP256R1_SHA256, { kind: 'ecdsa-p256', d: new Uint8Array(32) }, message)).toThrow(/invalid private key/);
      expect(() => provider.sign(SIG_ED25519, { kind: 'ed25519', seed: new Uint8Array(5) }, message)).toThrow(/32/);
      expect(() => provider.generateSigningKey('rsa' as 'ed25519')).toThrow(/unsupported key kind/);
    });
  });
});

describe('RSA verification', () => {
  function rsaKey(bits: number): { publicKey: PublicKey & { kind: 'rsa' }; pkcs8: Uint8Array; keyObject: ReturnType<typeof generateKeyPairSync>['privateKey'] } {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: bits });
    const jwk = privateKey.export({ format: 'jwk' });
    const pkcs8 = new Uint8Array(privateKey.export({ format: 'der', type: 'pkcs8' }));
    return {
      publicKey: { kind: 'rsa', n: new Uint8Array(Buffer.from(jwk.n!, 'base64url')), e: new Uint8Array(Buffer.from(jwk.e!, 'base64url')) },
      pkcs8,
      keyObject: privateKey,
    };
  }
  /** A message and its signature whose first octet is 0 (one in 256 or so; cached per key and scheme). */
  const leadingZero = new Map<string, { m: Uint8Array; s: Uint8Array }>();
  const keyIds = new WeakMap<object, number>();
  function leadingZeroSignature(key: ReturnType<typeof generateKeyPairSync>['privateKey'], alg: 'sha256' | 'sha384', pss: boolean): { m: Uint8Array; s: Uint8Array } {
    if (!keyIds.has(key)) keyIds.set(key, Math.random());
    const id = `${keyIds.get(key)}/${alg}/${pss}`;
    const hit = leadingZero.get(id);
    if (hit) return hit;
    for (let i = 0; i < 100_000; i++) {
      const m = ascii(`certificate TBS bytes ${i}`);
      const s = new Uint8Array(nodeCryptoSign(alg, m, pss
        ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: alg === 'sha256' ? 32 : 48 }
        : { key, padding: constants.RSA_PKCS1_PADDING }));
      if (s[0] === 0) {
        leadingZero.set(id, { m, s });
        return { m, s };
      }
    }
    throw new Error('no signature with a leading zero octet');
  }
  // 2048 bits as deployed; 2049 bits makes emLen one byte shorter than the modulus in EMSA-PSS.
  const keys = [rsaKey(2048), rsaKey(2049)];
  const message = ascii('certificate TBS bytes');
  const schemes = [
    ['rsa_pss_rsae_sha256', SIG_RSA_PSS_RSAE_SHA256, 'sha256', true],
    ['rsa_pss_rsae_sha384', SIG_RSA_PSS_RSAE_SHA384, 'sha384', true],
    ['rsa_pkcs1_sha256', SIG_RSA_PKCS1_SHA256, 'sha256', false],
    ['rsa_pkcs1_sha384', SIG_RSA_PKCS1_SHA384, 'sha384', false],
  ] as const;

  describe.each(schemes)('%s', (_name, scheme, alg, pss) => {
    it.each(keys.map((k, i) => [i === 0 ? 2048 : 2049, k] as const))('verifies node:crypto signatures with a %i-bit key on both providers', (_bits, key) => {
      const signature = new Uint8Array(nodeCryptoSign(alg, message, pss
        ? { key: key.keyObject, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: alg === 'sha256' ? 32 : 48 }
        : { key: key.keyObject, padding: constants.RSA_PKCS1_PADDING }));
      const fromProvider = node.sign(scheme, { kind: 'rsa', pkcs8: key.pkcs8 }, message);
      for (const provider of [node, noble]) {
        expect(provider.verify(scheme, key.publicKey, message, signature)).toBe(true);
        expect(provider.verify(scheme, key.publicKey, message, fromProvider)).toBe(true);
        const tampered = signature.slice();
        flip(tampered, 20, 4);
        expect(provider.verify(scheme, key.publicKey, message, tampered)).toBe(false);
        expect(provider.verify(scheme, key.publicKey, ascii('other bytes'), signature)).toBe(false);
        expect(provider.verify(scheme, key.publicKey, message, signature.subarray(1))).toBe(false);
        // A signature one octet short is invalid even when its value fits (RFC 8017 §8.1.2 step 1):
        // cut the leading zero octet of one whose integer value is small enough.
        const small = leadingZeroSignature(key.keyObject, alg, pss);
        expect(provider.verify(scheme, key.publicKey, small.m, small.s)).toBe(true);
        expect(provider.verify(scheme, key.publicKey, small.m, small.s.subarray(1))).toBe(false);
        // A DER-style modulus with a leading zero byte is the same key.
        const n0 = new Uint8Array(key.publicKey.n.length + 1);
        n0.set(key.publicKey.n, 1);
        expect(provider.verify(scheme, { kind: 'rsa', n: n0, e: key.publicKey.e }, message, signature)).toBe(true);
      }
    });
  });

  it('rejects PSS signatures with a salt shorter than the hash (RFC 8446 §4.2.3)', () => {
    const key = keys[0]!;
    const signature = new Uint8Array(nodeCryptoSign('sha256', message, { key: key.keyObject, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 20 }));
    expect(node.verify(SIG_RSA_PSS_RSAE_SHA256, key.publicKey, message, signature)).toBe(false);
    expect(noble.verify(SIG_RSA_PSS_RSAE_SHA256, key.publicKey, message, signature)).toBe(false);
  });

  it('does not accept a PKCS#1 signature as PSS or the other way round', () => {
    const key = keys[0]!;
    const pkcs1 = node.sign(SIG_RSA_PKCS1_SHA256, { kind: 'rsa', pkcs8: key.pkcs8 }, message);
    const pss = node.sign(SIG_RSA_PSS_RSAE_SHA256, { kind: 'rsa', pkcs8: key.pkcs8 }, message);
    for (const provider of [node, noble]) {
      expect(provider.verify(SIG_RSA_PSS_RSAE_SHA256, key.publicKey, message, pkcs1)).toBe(false);
      expect(provider.verify(SIG_RSA_PKCS1_SHA256, key.publicKey, message, pss)).toBe(false);
    }
  });

  it('throws on unusable keys, and noble refuses to sign', () => {
    const key = keys[0]!;
    const sig = node.sign(SIG_RSA_PKCS1_SHA256, { kind: 'rsa', pkcs8: key.pkcs8 }, message);
    for (const provider of [node, noble]) {
      const evenN = key.publicKey.n.slice();
      flip(evenN, evenN.length - 1, 0x01);
      expect(() => provider.verify(SIG_RSA_PKCS1_SHA256, { kind: 'rsa', n: evenN, e: key.publicKey.e }, message, sig)).toThrow(/rsa: modulus/);
      expect(() => provider.verify(SIG_RSA_PKCS1_SHA256, { kind: 'rsa', n: key.publicKey.n, e: Uint8Array.of(2) }, message, sig)).toThrow(/rsa: public exponent/);
      expect(() => provider.verify(SIG_RSA_PKCS1_SHA256, { kind: 'rsa', n: new Uint8Array(0), e: key.publicKey.e }, message, sig)).toThrow(/rsa: modulus/);
    }
    expect(() => noble.sign(SIG_RSA_PSS_RSAE_SHA256, { kind: 'rsa', pkcs8: key.pkcs8 }, message)).toThrow(/noble provider cannot sign with RSA/);
    expect(() => node.sign(SIG_RSA_PSS_RSAE_SHA256, { kind: 'rsa', pkcs8: new Uint8Array(10) }, message)).toThrow(/invalid PKCS#8/);
  });
});
