/**
 * The WebAssembly ChaCha20-Poly1305 (assembly/chacha20poly1305.ts): RFC 8439 vectors for each
 * primitive, a differential test against node:crypto (OpenSSL) on random inputs, tampering, the
 * range methods packet protection uses, and bad arguments.
 */
import { createCipheriv, randomBytes, randomInt } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { NodeCryptoProvider } from '../../../src/quic/crypto/node-provider.js';
import { PacketProtector } from '../../../src/quic/crypto/packet-protection.js';
import { TLS_CHACHA20_POLY1305_SHA256 } from '../../../src/quic/crypto/provider.js';
import { chachaCore } from '../../../src/quic/crypto/wasm-chacha-core.js';
import { WasmChaCha20HeaderProtection, WasmChaCha20Poly1305 } from '../../../src/quic/crypto/wasm-chacha20poly1305.js';
import { flip, hex, toHex } from './helpers.js';
import { AEAD_282, BLOCKS, ENCRYPTION, POLY1305, SUNSCREEN } from './rfc8439-vectors.js';

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Bare ChaCha20 through the core: XORs the keystream from block `counter` into `data`. */
function chacha20(key: Uint8Array, nonce: Uint8Array, counter: number, data: Uint8Array): Uint8Array {
  const core = chachaCore();
  const at = core.textAddress(0, data.length);
  core.key.set(key);
  core.nonce.set(nonce);
  core.bytes.set(data, at);
  core.chacha20(counter, at, data.length);
  return core.bytes.slice(at, at + data.length);
}

function poly1305(key: Uint8Array, msg: Uint8Array): Uint8Array {
  const core = chachaCore();
  const at = core.textAddress(0, msg.length);
  core.key.set(key);
  core.bytes.set(msg, at);
  core.poly1305(at, msg.length);
  return core.tag.slice();
}

/** Little-endian bytes as a BigInt. */
function le(bytes: Uint8Array): bigint {
  let x = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) x = (x << 8n) | BigInt(bytes[i]!);
  return x;
}

/** Poly1305 straight from RFC 8439 §2.5.1 with BigInt: an independent reference. */
function poly1305Reference(key: Uint8Array, msg: Uint8Array): Uint8Array {
  const p = (1n << 130n) - 5n;
  const r = le(key.subarray(0, 16)) & 0x0ffffffc0ffffffc0ffffffc0fffffffn;
  let acc = 0n;
  for (let i = 0; i < msg.length; i += 16) {
    const block = msg.subarray(i, Math.min(i + 16, msg.length));
    acc = ((acc + le(block) + (1n << BigInt(8 * block.length))) * r) % p;
  }
  let tag = (acc + le(key.subarray(16, 32))) & ((1n << 128n) - 1n);
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++, tag >>= 8n) out[i] = Number(tag & 0xffn);
  return out;
}

/** OpenSSL's AEAD, the reference: ciphertext || tag. */
function nodeSeal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const c = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
  c.setAAD(aad, { plaintextLength: plaintext.length });
  const body = c.update(plaintext);
  c.final();
  return new Uint8Array(Buffer.concat([body, c.getAuthTag()]));
}

describe('RFC 8439 vectors on the WebAssembly core', () => {
  it.each(BLOCKS)('ChaCha20 block function $name', (v) => {
    expect(toHex(chacha20(hex(v.key), hex(v.nonce), v.counter, new Uint8Array(64)))).toBe(v.block);
  });

  it('§2.4.2 ChaCha20 encryption, and decryption back', () => {
    const ct = chacha20(hex(ENCRYPTION.key), hex(ENCRYPTION.nonce), ENCRYPTION.counter, ascii(SUNSCREEN));
    expect(toHex(ct)).toBe(ENCRYPTION.ciphertext);
    expect(toHex(chacha20(hex(ENCRYPTION.key), hex(ENCRYPTION.nonce), ENCRYPTION.counter, ct))).toBe(toHex(ascii(SUNSCREEN)));
  });

  it('keystream across the 4-block batches matches OpenSSL, including a counter that wraps', () => {
    for (const counter of [0, 1, 0xfffffffe]) {
      const key = randomBytes(32);
      const nonce = randomBytes(12);
      const iv = Buffer.concat([Buffer.from(Uint32Array.of(counter).buffer), nonce]);
      const expected = createCipheriv('chacha20', key, iv).update(new Uint8Array(64 * 9 + 7));
      // OpenSSL carries a counter overflow into the nonce; RFC 8439 leaves it undefined, so only
      // compare the blocks before the wrap.
      const blocks = counter === 0xfffffffe ? 2 : 9;
      const got = chacha20(key, nonce, counter, new Uint8Array(64 * 9 + 7));
      expect(toHex(got.subarray(0, 64 * blocks))).toBe(expected.subarray(0, 64 * blocks).toString('hex'));
    }
  });

  it.each(POLY1305)('Poly1305 $name', (v) => {
    expect(toHex(poly1305(hex(v.key), hex(v.msg)))).toBe(v.tag);
  });

  it('Poly1305 matches a BigInt reference for random and all-ones keys and messages of 0..300 bytes', () => {
    for (let length = 0; length <= 300; length++) {
      for (const key of [randomBytes(32), new Uint8Array(32).fill(0xff)]) {
        const msg = length % 3 === 0 ? new Uint8Array(length).fill(0xff) : randomBytes(length);
        expect(toHex(poly1305(key, msg))).toBe(toHex(poly1305Reference(key, msg)));
      }
    }
  });

  it('§2.8.2 AEAD seal and open', () => {
    const aead = new WasmChaCha20Poly1305(hex(AEAD_282.key));
    const plaintext = ascii(SUNSCREEN);
    const out = new Uint8Array(plaintext.length + 16);
    expect(aead.seal(hex(AEAD_282.nonce), hex(AEAD_282.aad), plaintext, out, 0)).toBe(plaintext.length + 16);
    expect(toHex(out)).toBe(AEAD_282.ciphertext + AEAD_282.tag);
    expect(toHex(aead.open(hex(AEAD_282.nonce), hex(AEAD_282.aad), out)!)).toBe(toHex(plaintext));
  });
});

describe('WasmChaCha20Poly1305 against node:crypto', () => {
  it('seals and opens like OpenSSL for random keys, nonces, aad and lengths 0..1500', () => {
    const lengths = [0, 1, 15, 16, 17, 63, 64, 65, 255, 256, 257, 1171, 1500];
    for (let i = 0; i < 60; i++) lengths.push(randomInt(0, 1501));
    for (const length of lengths) {
      const key = randomBytes(32);
      const nonce = randomBytes(12);
      const aad = randomBytes(randomInt(0, 80));
      const plaintext = randomBytes(length);
      const expected = nodeSeal(key, nonce, aad, plaintext);
      const aead = new WasmChaCha20Poly1305(key);

      const out = new Uint8Array(length + 16 + 3);
      expect(aead.seal(nonce, aad, plaintext, out, 3)).toBe(length + 16);
      expect(toHex(out.subarray(3))).toBe(toHex(expected));

      // In place: out aliases the plaintext at the same offset.
      const buf = new Uint8Array(5 + length + 16);
      buf.set(plaintext, 5);
      aead.seal(nonce, aad, buf.subarray(5, 5 + length), buf, 5);
      expect(toHex(buf.subarray(5))).toBe(toHex(expected));
      expect(aead.openInto(nonce, aad, buf.subarray(5), buf, 5)).toBe(length);
      expect(toHex(buf.subarray(5, 5 + length))).toBe(toHex(plaintext));

      // The range forms on a packet-like layout: aad, then text, then the tag.
      const packet = new Uint8Array(2 + aad.length + length + 16 + 4);
      packet.set(aad, 2);
      packet.set(plaintext, 2 + aad.length);
      const textStart = 2 + aad.length;
      expect(aead.sealRange(nonce, packet, 2, textStart, textStart + length)).toBe(length + 16);
      expect(toHex(packet.subarray(textStart, textStart + length + 16))).toBe(toHex(expected));
      expect(aead.openRange(nonce, packet, 2, textStart, textStart + length + 16)).toBe(length);
      expect(toHex(packet.subarray(textStart, textStart + length))).toBe(toHex(plaintext));
      expect(toHex(packet.subarray(2, textStart))).toBe(toHex(aad));
    }
  });

  it('agrees with OpenSSL on all-ones keys, nonces and data (largest Poly1305 limbs and carries)', () => {
    const ones = (n: number): Uint8Array => new Uint8Array(n).fill(0xff);
    const aead = new WasmChaCha20Poly1305(ones(32));
    for (const length of [0, 16, 63, 64, 65, 127, 128, 129, 1024, 1500]) {
      for (const aad of [ones(0), ones(13), ones(64)]) {
        const out = new Uint8Array(length + 16);
        aead.seal(ones(12), aad, ones(length), out, 0);
        expect(toHex(out)).toBe(toHex(nodeSeal(ones(32), ones(12), aad, ones(length))));
      }
    }
  });

  it('handles associated data larger than the scratch area below the text, and texts beyond one page', () => {
    const key = randomBytes(32);
    const nonce = randomBytes(12);
    for (const [aadLength, length] of [[7000, 100], [20_000, 70_000], [0, 200_000]] as const) {
      const aad = randomBytes(aadLength);
      const plaintext = randomBytes(length);
      const aead = new WasmChaCha20Poly1305(key);
      const out = new Uint8Array(length + 16);
      aead.seal(nonce, aad, plaintext, out, 0);
      expect(toHex(out)).toBe(toHex(nodeSeal(key, nonce, aad, plaintext)));
      expect(toHex(aead.open(nonce, aad, out)!)).toBe(toHex(plaintext));
    }
  });

  it('keys are independent although one core serves them all', () => {
    const k1 = randomBytes(32);
    const k2 = randomBytes(32);
    const a = new WasmChaCha20Poly1305(k1);
    const b = new WasmChaCha20Poly1305(k2);
    const nonce = randomBytes(12);
    const msg = randomBytes(100);
    const out = new Uint8Array(116);
    a.seal(nonce, new Uint8Array(0), msg, out, 0);
    expect(toHex(out)).toBe(toHex(nodeSeal(k1, nonce, new Uint8Array(0), msg)));
    b.seal(nonce, new Uint8Array(0), msg, out, 0);
    expect(toHex(out)).toBe(toHex(nodeSeal(k2, nonce, new Uint8Array(0), msg)));
    expect(b.open(nonce, new Uint8Array(0), out)).not.toBeNull();
    expect(a.open(nonce, new Uint8Array(0), out)).toBeNull();
  });
});

describe('WasmChaCha20Poly1305 authentication failure', () => {
  const key = randomBytes(32);
  const nonce = randomBytes(12);
  const aad = randomBytes(20);
  const plaintext = randomBytes(333);
  const sealed = nodeSeal(key, nonce, aad, plaintext);

  it('rejects every flipped byte of ciphertext, tag and aad, and leaves `out` untouched', () => {
    const aead = new WasmChaCha20Poly1305(key);
    for (const index of [0, 1, 100, 332, 333, 340, 348]) {
      const bad = sealed.slice();
      flip(bad, index, 0x40);
      const out = new Uint8Array(333).fill(0xa5);
      expect(aead.openInto(nonce, aad, bad, out, 0)).toBe(-1);
      expect(out.every((b) => b === 0xa5)).toBe(true);
      expect(aead.open(nonce, aad, bad)).toBeNull();
    }
    const badAad = aad.slice();
    flip(badAad, 19, 1);
    expect(aead.open(nonce, badAad, sealed)).toBeNull();
    const badNonce = nonce.slice();
    flip(badNonce, 0, 1);
    expect(aead.open(badNonce, aad, sealed)).toBeNull();
    expect(new WasmChaCha20Poly1305(randomBytes(32)).open(nonce, aad, sealed)).toBeNull();
    expect(aead.open(nonce, aad, sealed.subarray(0, 15))).toBeNull();
  });

  it('openRange leaves the whole packet as it was on failure', () => {
    const aead = new WasmChaCha20Poly1305(key);
    const packet = new Uint8Array(aad.length + sealed.length);
    packet.set(aad, 0);
    packet.set(sealed, aad.length);
    for (const index of [0, aad.length, aad.length + 200, packet.length - 1]) {
      const bad = packet.slice();
      flip(bad, index, 0x01);
      const before = toHex(bad);
      expect(aead.openRange(nonce, bad, 0, aad.length, bad.length)).toBe(-1);
      expect(toHex(bad)).toBe(before);
    }
    expect(aead.openRange(nonce, packet, 0, aad.length, aad.length + 15)).toBe(-1);
  });
});

describe('bad arguments give clear errors', () => {
  const aead = new WasmChaCha20Poly1305(randomBytes(32));
  const nonce = randomBytes(12);

  it('rejects wrong key, nonce and sample lengths', () => {
    expect(() => new WasmChaCha20Poly1305(new Uint8Array(16))).toThrow(/32-byte key/);
    expect(() => new WasmChaCha20HeaderProtection(new Uint8Array(31))).toThrow(/32-byte key/);
    expect(() => aead.seal(new Uint8Array(8), new Uint8Array(0), new Uint8Array(4), new Uint8Array(20), 0)).toThrow(/nonce/);
    expect(() => aead.openInto(new Uint8Array(13), new Uint8Array(0), new Uint8Array(20), new Uint8Array(4), 0)).toThrow(/nonce/);
    expect(() => aead.openRange(new Uint8Array(0), new Uint8Array(40), 0, 4, 40)).toThrow(/nonce/);
    const hp = new WasmChaCha20HeaderProtection(randomBytes(32));
    expect(() => hp.mask(new Uint8Array(15), new Uint8Array(5))).toThrow(/sample/);
    expect(() => hp.mask(new Uint8Array(16), new Uint8Array(4))).toThrow(/5 bytes/);
  });

  it('rejects short output buffers and ranges outside the buffer', () => {
    expect(() => aead.seal(nonce, new Uint8Array(0), new Uint8Array(10), new Uint8Array(25), 0)).toThrow(/too small/);
    expect(() => aead.seal(nonce, new Uint8Array(0), new Uint8Array(10), new Uint8Array(26), 1)).toThrow(/too small/);
    expect(() => aead.seal(nonce, new Uint8Array(0), new Uint8Array(10), new Uint8Array(26), -1)).toThrow(/too small/);
    expect(() => aead.openInto(nonce, new Uint8Array(0), new Uint8Array(30), new Uint8Array(13), 0)).toThrow(/too small/);
    const buf = new Uint8Array(40);
    expect(() => aead.sealRange(nonce, buf, 0, 4, 30)).toThrow(/tag/);
    expect(() => aead.sealRange(nonce, buf, 5, 4, 10)).toThrow(RangeError);
    expect(() => aead.sealRange(nonce, buf, 0, 4, 41)).toThrow(RangeError);
    expect(() => aead.openRange(nonce, buf, -1, 4, 40)).toThrow(RangeError);
    expect(() => aead.openRange(nonce, buf, 0, 4.5, 40)).toThrow(RangeError);
    expect(() => aead.openRange(nonce, buf, 0, 4, 41)).toThrow(RangeError);
  });
});

describe('WasmChaCha20HeaderProtection', () => {
  it('masks like OpenSSL chacha20 (RFC 9001 §5.4.4), counters 0 and 0xffffffff included', () => {
    const key = randomBytes(32);
    const hp = new WasmChaCha20HeaderProtection(key);
    const samples = [new Uint8Array(16), new Uint8Array(16).fill(0xff)];
    for (let i = 0; i < 50; i++) samples.push(randomBytes(16));
    const mask = new Uint8Array(6).fill(0x77);
    for (const sample of samples) {
      hp.mask(sample, mask);
      const expected = createCipheriv('chacha20', key, sample).update(new Uint8Array(5));
      expect(toHex(mask.subarray(0, 5))).toBe(expected.toString('hex'));
      expect(mask[5]).toBe(0x77);
    }
  });
});

describe('the node provider', () => {
  it('runs ChaCha20-Poly1305 on the WebAssembly core by default and on OpenSSL on request, with equal results', () => {
    const wasm = new NodeCryptoProvider();
    const openssl = new NodeCryptoProvider({ chacha20: 'openssl' });
    expect(wasm.aead(TLS_CHACHA20_POLY1305_SHA256, randomBytes(32))).toBeInstanceOf(WasmChaCha20Poly1305);
    expect(wasm.headerProtection(TLS_CHACHA20_POLY1305_SHA256, randomBytes(32))).toBeInstanceOf(WasmChaCha20HeaderProtection);
    expect(openssl.aead(TLS_CHACHA20_POLY1305_SHA256, randomBytes(32))).not.toBeInstanceOf(WasmChaCha20Poly1305);
    const key = randomBytes(32);
    const hpKey = randomBytes(32);
    const secret = randomBytes(32);
    const a = PacketProtector.fromSecret(wasm, TLS_CHACHA20_POLY1305_SHA256, secret);
    const b = PacketProtector.fromSecret(openssl, TLS_CHACHA20_POLY1305_SHA256, secret);
    for (const length of [21, 100, 1200]) {
      const packet = new Uint8Array(length);
      packet[0] = 0x41;
      packet.set(randomBytes(length - 3 - 16), 3);
      packet[1] = 0x12;
      packet[2] = 0x34;
      const copy = packet.slice();
      a.protect(packet, 0, 1, 2, length, 0x1234);
      b.protect(copy, 0, 1, 2, length, 0x1234);
      expect(toHex(packet)).toBe(toHex(copy));
      const r = b.unprotect(packet, 0, 1, length, 0x1233);
      expect(r?.pn).toBe(0x1234);
    }
    const sealedA = new Uint8Array(40);
    const sealedB = new Uint8Array(40);
    const nonce = randomBytes(12);
    wasm.aead(TLS_CHACHA20_POLY1305_SHA256, key).seal(nonce, randomBytes(0), new Uint8Array(24), sealedA, 0);
    openssl.aead(TLS_CHACHA20_POLY1305_SHA256, key).seal(nonce, randomBytes(0), new Uint8Array(24), sealedB, 0);
    expect(toHex(sealedA)).toBe(toHex(sealedB));
    const maskA = new Uint8Array(5);
    const maskB = new Uint8Array(5);
    wasm.headerProtection(TLS_CHACHA20_POLY1305_SHA256, hpKey).mask(new Uint8Array(16).fill(3), maskA);
    openssl.headerProtection(TLS_CHACHA20_POLY1305_SHA256, hpKey).mask(new Uint8Array(16).fill(3), maskB);
    expect(toHex(maskA)).toBe(toHex(maskB));
  });
});
