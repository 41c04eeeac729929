/**
 * RFC 9001 Appendix A packet protection vectors and the TLS 1.3 key schedule helpers
 * (RFC 8448), run against both providers.
 */
import { describe, expect, it } from 'vitest';
import { deriveSecret, emptyTranscriptHash, hkdfExpandLabel, hkdfLabel } from '../../../src/quic/crypto/hkdf-label.js';
import { derivePacketKeys, initialSecrets } from '../../../src/quic/crypto/initial.js';
import { nextTrafficSecret } from '../../../src/quic/crypto/key-update.js';
import { PacketProtector } from '../../../src/quic/crypto/packet-protection.js';
import { TLS_AES_128_GCM_SHA256, TLS_CHACHA20_POLY1305_SHA256 } from '../../../src/quic/crypto/provider.js';
import { retryIntegrityTag, verifyRetryIntegrity } from '../../../src/quic/crypto/retry.js';
import { PROVIDERS, concat, flip, hex, toHex } from './helpers.js';
import {
  A1, A2_CRYPTO_FRAME, A2_MASK, A2_PAYLOAD_LENGTH, A2_PN, A2_PROTECTED_HEADER, A2_PROTECTED_PACKET, A2_SAMPLE,
  A2_UNPROTECTED_HEADER, A3_MASK, A3_PAYLOAD, A3_PN, A3_PROTECTED_HEADER, A3_PROTECTED_PACKET, A3_SAMPLE,
  A3_UNPROTECTED_HEADER, A4_RETRY_PACKET, A5, DCID, RFC8448,
} from './vectors.js';

const empty = new Uint8Array(0);

/** Builds header || payload || 16 tag bytes, ready for protect(). */
function unprotectedPacket(header: Uint8Array, payload: Uint8Array): Uint8Array {
  return concat(header, payload, new Uint8Array(16));
}

describe('HKDF-Expand-Label (RFC 8446 §7.1)', () => {
  it('encodes the HkdfLabel structures listed in RFC 9001 A.1', () => {
    expect(toHex(hkdfLabel('client in', empty, 32))).toBe(A1.labels.clientIn);
    expect(toHex(hkdfLabel('server in', empty, 32))).toBe(A1.labels.serverIn);
    expect(toHex(hkdfLabel('quic key', empty, 16))).toBe(A1.labels.quicKey);
    expect(toHex(hkdfLabel('quic iv', empty, 12))).toBe(A1.labels.quicIv);
    expect(toHex(hkdfLabel('quic hp', empty, 16))).toBe(A1.labels.quicHp);
  });

  it('rejects labels and contexts that do not fit their length bytes', () => {
    expect(() => hkdfLabel('x'.repeat(250), empty, 32)).toThrow(/too long/);
    expect(() => hkdfLabel('quic key', new Uint8Array(256), 32)).toThrow(/context/);
  });

  describe.each(PROVIDERS)('%s provider', (_name, provider) => {
    it('follows the RFC 8448 §3 key schedule: early secret, "derived", handshake secret', () => {
      const zeros = new Uint8Array(32);
      const early = provider.hkdfExtract('sha256', zeros, zeros);
      expect(toHex(early)).toBe(RFC8448.earlySecret);
      const derived = deriveSecret(provider, 'sha256', early, 'derived', emptyTranscriptHash(provider, 'sha256'));
      expect(toHex(derived)).toBe(RFC8448.derivedFromEarly);
      const handshake = provider.hkdfExtract('sha256', derived, hex(RFC8448.ecdheSharedSecret));
      expect(toHex(handshake)).toBe(RFC8448.handshakeSecret);
    });
  });
});

describe.each(PROVIDERS)('RFC 9001 Appendix A, %s provider', (_name, provider) => {
  it('A.1: derives the initial secrets and the client and server keys', () => {
    const dcid = hex(DCID);
    const initialSecret = provider.hkdfExtract('sha256', hex('38762cf7f55934b34d179ae6a4c80cadccbb7f0a'), dcid);
    expect(toHex(initialSecret)).toBe(A1.initialSecret);
    const secrets = initialSecrets(provider, dcid);
    expect(toHex(secrets.client)).toBe(A1.client.secret);
    expect(toHex(secrets.server)).toBe(A1.server.secret);
    for (const [secret, want] of [[secrets.client, A1.client], [secrets.server, A1.server]] as const) {
      const keys = derivePacketKeys(provider, TLS_AES_128_GCM_SHA256, secret);
      expect(toHex(keys.key)).toBe(want.key);
      expect(toHex(keys.iv)).toBe(want.iv);
      expect(toHex(keys.hp)).toBe(want.hp);
    }
  });

  it('A.2: the header protection mask of the client Initial sample', () => {
    const hp = provider.headerProtection(TLS_AES_128_GCM_SHA256, hex(A1.client.hp));
    const mask = new Uint8Array(5);
    hp.mask(hex(A2_SAMPLE), mask);
    expect(toHex(mask)).toBe(A2_MASK);
  });

  it('A.2: protects the client Initial to the published packet and back', () => {
    const secrets = initialSecrets(provider, hex(DCID));
    const sender = PacketProtector.fromSecret(provider, TLS_AES_128_GCM_SHA256, secrets.client);
    const header = hex(A2_UNPROTECTED_HEADER);
    const payload = new Uint8Array(A2_PAYLOAD_LENGTH);
    payload.set(hex(A2_CRYPTO_FRAME));
    const packet = unprotectedPacket(header, payload);
    expect(packet.length).toBe(1200);
    const pnOffset = header.length - 4;
    const written = sender.protect(packet, 0, pnOffset, 4, packet.length, A2_PN);
    expect(written).toBe(1200);
    expect(toHex(packet.subarray(0, header.length))).toBe(A2_PROTECTED_HEADER);
    expect(toHex(packet)).toBe(A2_PROTECTED_PACKET);

    // The server's view of the same packet: header and payload back, in place.
    const receiver = PacketProtector.fromSecret(provider, TLS_AES_128_GCM_SHA256, secrets.client);
    const datagram = hex(A2_PROTECTED_PACKET);
    const result = receiver.unprotect(datagram, 0, pnOffset, datagram.length, -1);
    expect(result).not.toBeNull();
    expect(result!.pn).toBe(A2_PN);
    expect(result!.pnLength).toBe(4);
    expect(result!.firstByte).toBe(0xc3);
    expect(result!.keyPhase).toBeUndefined();
    expect(toHex(result!.payload)).toBe(toHex(payload));
    expect(toHex(datagram.subarray(0, header.length))).toBe(A2_UNPROTECTED_HEADER);
  });

  it('A.3: protects the server Initial to the published packet and back', () => {
    const secrets = initialSecrets(provider, hex(DCID));
    const header = hex(A3_UNPROTECTED_HEADER);
    const payload = hex(A3_PAYLOAD);
    const hp = provider.headerProtection(TLS_AES_128_GCM_SHA256, hex(A1.server.hp));
    const mask = new Uint8Array(5);
    hp.mask(hex(A3_SAMPLE), mask);
    expect(toHex(mask)).toBe(A3_MASK);

    const sender = PacketProtector.fromSecret(provider, TLS_AES_128_GCM_SHA256, secrets.server);
    const packet = unprotectedPacket(header, payload);
    const pnOffset = header.length - 2;
    sender.protect(packet, 0, pnOffset, 2, packet.length, A3_PN);
    expect(toHex(packet.subarray(0, header.length))).toBe(A3_PROTECTED_HEADER);
    expect(toHex(packet)).toBe(A3_PROTECTED_PACKET);

    const receiver = PacketProtector.fromSecret(provider, TLS_AES_128_GCM_SHA256, secrets.server);
    const datagram = hex(A3_PROTECTED_PACKET);
    const result = receiver.unprotect(datagram, 0, pnOffset, datagram.length, 0);
    expect(result?.pn).toBe(A3_PN);
    expect(result?.pnLength).toBe(2);
    expect(toHex(result!.payload)).toBe(A3_PAYLOAD);
  });

  it('A.4: computes and verifies the Retry integrity tag', () => {
    const retry = hex(A4_RETRY_PACKET);
    const odcid = hex(DCID);
    const tag = retryIntegrityTag(provider, odcid, retry.subarray(0, retry.length - 16));
    expect(toHex(tag)).toBe(toHex(retry.subarray(retry.length - 16)));
    expect(verifyRetryIntegrity(provider, odcid, retry)).toBe(true);
    const wrongOdcid = odcid.slice();
    flip(wrongOdcid, 0, 1);
    expect(verifyRetryIntegrity(provider, wrongOdcid, retry)).toBe(false);
    const tampered = retry.slice();
    flip(tampered, 10, 0x80);
    expect(verifyRetryIntegrity(provider, odcid, tampered)).toBe(false);
    expect(verifyRetryIntegrity(provider, odcid, retry.subarray(0, 10))).toBe(false);
  });

  it('A.5: ChaCha20-Poly1305 short header packet, keys, nonce, mask and packet', () => {
    const secret = hex(A5.secret);
    const keys = derivePacketKeys(provider, TLS_CHACHA20_POLY1305_SHA256, secret);
    expect(toHex(keys.key)).toBe(A5.key);
    expect(toHex(keys.iv)).toBe(A5.iv);
    expect(toHex(keys.hp)).toBe(A5.hp);
    expect(toHex(nextTrafficSecret(provider, TLS_CHACHA20_POLY1305_SHA256, secret))).toBe(A5.ku);

    const hp = provider.headerProtection(TLS_CHACHA20_POLY1305_SHA256, keys.hp);
    const mask = new Uint8Array(5);
    hp.mask(hex(A5.sample), mask);
    expect(toHex(mask)).toBe(A5.mask);

    const aead = provider.aead(TLS_CHACHA20_POLY1305_SHA256, keys.key);
    const sealed = new Uint8Array(17);
    aead.seal(hex(A5.nonce), hex(A5.unprotectedHeader), hex(A5.plaintext), sealed, 0);
    expect(toHex(sealed)).toBe(A5.payloadCiphertext);

    const sender = PacketProtector.fromSecret(provider, TLS_CHACHA20_POLY1305_SHA256, secret);
    const packet = unprotectedPacket(hex(A5.unprotectedHeader), hex(A5.plaintext));
    sender.protect(packet, 0, 1, 3, packet.length, A5.pn);
    expect(toHex(packet)).toBe(A5.packet);

    // The receiver has seen packets up to just below 654360564, so the 3-byte pn decodes to it.
    const receiver = PacketProtector.fromSecret(provider, TLS_CHACHA20_POLY1305_SHA256, secret);
    const datagram = hex(A5.packet);
    const result = receiver.unprotect(datagram, 0, 1, datagram.length, A5.pn - 1);
    expect(result?.pn).toBe(A5.pn);
    expect(result?.pnLength).toBe(3);
    expect(result?.keyPhase).toBe(0);
    expect(result?.firstByte).toBe(0x42);
    expect(toHex(result!.payload)).toBe(A5.plaintext);
  });

  it('HKDF-Expand-Label gives the same key through the generic helper', () => {
    const key = hkdfExpandLabel(provider, 'sha256', hex(A1.client.secret), 'quic key', empty, 16);
    expect(toHex(key)).toBe(A1.client.key);
  });
});
