/**
 * PacketProtector round trips, drops and key updates, on both providers and across them.
 */
import { describe, expect, it } from 'vitest';
import { getProvider } from '../../../src/quic/crypto/index.js';
import { derivePacketKeys, initialSecrets } from '../../../src/quic/crypto/initial.js';
import { OneRttKeys, nextTrafficSecret } from '../../../src/quic/crypto/key-update.js';
import { PacketProtector, UnprotectedPacketView, decodePacketNumber, payloadKey } from '../../../src/quic/crypto/packet-protection.js';
import {
  type Aead,
  type CipherSuite,
  TLS_AES_128_GCM_SHA256,
  TLS_AES_256_GCM_SHA384,
  TLS_CHACHA20_POLY1305_SHA256,
  suiteParams,
} from '../../../src/quic/crypto/provider.js';
import { PROVIDERS, flip, toHex } from './helpers.js';

const node = getProvider('node');
const noble = getProvider('noble');
const SUITES: [string, CipherSuite][] = [
  ['AES-128-GCM', TLS_AES_128_GCM_SHA256],
  ['AES-256-GCM', TLS_AES_256_GCM_SHA384],
  ['ChaCha20-Poly1305', TLS_CHACHA20_POLY1305_SHA256],
];

interface Built {
  packet: Uint8Array;
  pnOffset: number;
  payloadEnd: number;
  payload: Uint8Array;
}

/**
 * Writes a packet at `start` in `buffer`: a short header (0x40 | pn length bits, 8-byte DCID) or
 * a Handshake long header (version, DCID, SCID, 2-byte Length), the truncated pn, the payload and
 * 16 bytes of tag room. Returns where things are.
 */
function buildPacket(buffer: Uint8Array, start: number, long: boolean, pn: number, pnLength: number, payloadLength: number, firstByteExtra = 0): Built {
  let i = start;
  if (long) {
    buffer[i++] = 0xe0 | firstByteExtra | (pnLength - 1);
    buffer.set([0, 0, 0, 1], i);
    i += 4;
    buffer[i++] = 8;
    buffer.set(node.randomBytes(8), i);
    i += 8;
    buffer[i++] = 4;
    buffer.set(node.randomBytes(4), i);
    i += 4;
    const length = pnLength + payloadLength + 16;
    buffer[i++] = 0x40 | (length >> 8);
    buffer[i++] = length & 0xff;
  } else {
    buffer[i++] = 0x40 | firstByteExtra | (pnLength - 1);
    buffer.set(node.randomBytes(8), i);
    i += 8;
  }
  const pnOffset = i;
  for (let k = 0; k < pnLength; k++) buffer[i++] = (pn >>> (8 * (pnLength - 1 - k))) & 0xff;
  const payload = node.randomBytes(payloadLength);
  buffer.set(payload, i);
  i += payloadLength + 16;
  return { packet: buffer, pnOffset, payloadEnd: i, payload };
}

function secretFor(suite: CipherSuite): Uint8Array {
  return node.randomBytes(suiteParams(suite).hashLength);
}

describe('decodePacketNumber (RFC 9000 Appendix A.3)', () => {
  it('decodes the example of A.3', () => {
    expect(decodePacketNumber(0xa82f30ea, 0x9b32, 16)).toBe(0xa82f9b32);
  });

  it('handles the first packet, wrap-around and numbers above 32 bits', () => {
    expect(decodePacketNumber(-1, 0, 8)).toBe(0);
    expect(decodePacketNumber(-1, 5, 8)).toBe(5);
    expect(decodePacketNumber(250, 2, 8)).toBe(258);
    expect(decodePacketNumber(258, 250, 8)).toBe(250);
    expect(decodePacketNumber(2 ** 40 + 0xfff0, 0x0010, 16)).toBe(2 ** 40 + 0x10010);
    expect(decodePacketNumber(2 ** 40, 0xffff, 16)).toBe(2 ** 40 - 1);
    expect(decodePacketNumber(2 ** 50 + 3, 0x00000004, 32)).toBe(2 ** 50 + 4);
  });
});

describe.each(SUITES)('PacketProtector, %s', (_suiteName, suite) => {
  describe.each(PROVIDERS)('%s provider', (_name, provider) => {
    it.each([
      { kind: 'short', long: false, pnLength: 1 }, { kind: 'short', long: false, pnLength: 2 },
      { kind: 'short', long: false, pnLength: 3 }, { kind: 'short', long: false, pnLength: 4 },
      { kind: 'long', long: true, pnLength: 1 }, { kind: 'long', long: true, pnLength: 4 },
    ])('round-trips $kind headers with $pnLength-byte packet numbers, in place', ({ long, pnLength }) => {
      const secret = secretFor(suite);
      const sender = PacketProtector.fromSecret(provider, suite, secret);
      const receiver = PacketProtector.fromSecret(provider, suite, secret);
      for (const pn of [0, 1, 2, 255, 256, 70000, 2 ** 33 + 17]) {
        const buffer = new Uint8Array(1300);
        const { pnOffset, payloadEnd, payload } = buildPacket(buffer, 0, long, pn, pnLength, 1100);
        const plain = toHex(buffer.subarray(0, payloadEnd - 16));
        expect(sender.protect(buffer, 0, pnOffset, pnLength, payloadEnd, pn)).toBe(payloadEnd);
        expect(toHex(buffer.subarray(pnOffset + pnLength, payloadEnd - 16))).not.toBe(toHex(payload));
        const result = receiver.unprotect(buffer, 0, pnOffset, payloadEnd, pn - 1);
        expect(result).not.toBeNull();
        expect(result!.pn).toBe(pn);
        expect(result!.pnLength).toBe(pnLength);
        expect(result!.keyPhase).toBe(long ? undefined : 0);
        expect(toHex(result!.payload)).toBe(toHex(payload));
        expect(toHex(buffer.subarray(0, payloadEnd - 16))).toBe(plain);
      }
    });

    it('fills a reused UnprotectedPacketView exactly like a fresh result', () => {
      const secret = secretFor(suite);
      const sender = PacketProtector.fromSecret(provider, suite, secret);
      const receiver = PacketProtector.fromSecret(provider, suite, secret);
      const view = new UnprotectedPacketView();
      for (const [pn, long] of [[5, false], [6, true], [300, false]] as const) {
        const buffer = new Uint8Array(400);
        const { pnOffset, payloadEnd, payload } = buildPacket(buffer, 0, long, pn, 2, 200);
        sender.protect(buffer, 0, pnOffset, 2, payloadEnd, pn);
        const got = receiver.unprotect(buffer, 0, pnOffset, payloadEnd, pn - 1, view);
        expect(got).toBe(view);
        expect([view.pn, view.pnLength, view.keyPhase]).toEqual([pn, 2, long ? undefined : 0]);
        expect(view.payloadStart).toBe(pnOffset + 2);
        expect(view.payloadEnd).toBe(payloadEnd - 16);
        expect(view.datagram).toBe(buffer);
        expect(toHex(view.payload)).toBe(toHex(payload));
      }
      const bad = new Uint8Array(400);
      const { pnOffset, payloadEnd } = buildPacket(bad, 0, false, 9, 2, 200);
      sender.protect(bad, 0, pnOffset, 2, payloadEnd, 9);
      bad[payloadEnd - 1]! ^= 1;
      expect(receiver.unprotect(bad, 0, pnOffset, payloadEnd, 8, view)).toBeNull();
    });

    it('drops tampered packets and leaves the datagram as it was', () => {
      const secret = secretFor(suite);
      const sender = PacketProtector.fromSecret(provider, suite, secret);
      const receiver = PacketProtector.fromSecret(provider, suite, secret);
      const buffer = new Uint8Array(200);
      const { pnOffset, payloadEnd } = buildPacket(buffer, 0, false, 7, 2, 100);
      sender.protect(buffer, 0, pnOffset, 2, payloadEnd, 7);
      const protectedHex = toHex(buffer);
      for (const index of [0, 3, pnOffset, pnOffset + 1, pnOffset + 10, payloadEnd - 1]) {
        const copy = buffer.slice();
        flip(copy, index, 0x01);
        const before = toHex(copy);
        expect(receiver.unprotect(copy, 0, pnOffset, payloadEnd, 6)).toBeNull();
        expect(toHex(copy)).toBe(before);
      }
      // Wrong keys: null, untouched.
      const stranger = PacketProtector.fromSecret(provider, suite, secretFor(suite));
      expect(stranger.unprotect(buffer, 0, pnOffset, payloadEnd, 6)).toBeNull();
      expect(toHex(buffer)).toBe(protectedHex);
      // Truncated: the sample runs past the end.
      expect(receiver.unprotect(buffer, 0, pnOffset, pnOffset + 19, 6)).toBeNull();
      expect(receiver.unprotect(buffer, 0, pnOffset, buffer.length + 1, 6)).toBeNull();
      expect(receiver.unprotect(buffer, 0, pnOffset, payloadEnd, 6)?.pn).toBe(7);
    });

    it('returns the reserved bits for the caller to check after decryption', () => {
      const secret = secretFor(suite);
      const sender = PacketProtector.fromSecret(provider, suite, secret);
      const buffer = new Uint8Array(200);
      const short = buildPacket(buffer, 0, false, 9, 1, 50, 0x18 | 0x04);
      sender.protect(buffer, 0, short.pnOffset, 1, short.payloadEnd, 9);
      const result = PacketProtector.fromSecret(provider, suite, secret).unprotect(buffer, 0, short.pnOffset, short.payloadEnd, 8);
      expect(result!.firstByte & 0x18).toBe(0x18);
      expect(result!.keyPhase).toBe(1);

      const long = buildPacket(buffer, 0, true, 9, 1, 50, 0x0c);
      sender.protect(buffer, 0, long.pnOffset, 1, long.payloadEnd, 9);
      const longResult = PacketProtector.fromSecret(provider, suite, secret).unprotect(buffer, 0, long.pnOffset, long.payloadEnd, 8);
      expect(longResult!.firstByte & 0x0c).toBe(0x0c);
    });

    it('handles coalesced packets at any offset', () => {
      const secret = secretFor(suite);
      const sender = PacketProtector.fromSecret(provider, suite, secret);
      const receiver = PacketProtector.fromSecret(provider, suite, secret);
      const datagram = new Uint8Array(1200);
      const first = buildPacket(datagram, 0, true, 3, 2, 300);
      const second = buildPacket(datagram, first.payloadEnd, true, 4, 2, 301);
      const third = buildPacket(datagram, second.payloadEnd, false, 5, 1, 17);
      sender.protect(datagram, 0, first.pnOffset, 2, first.payloadEnd, 3);
      sender.protect(datagram, first.payloadEnd, second.pnOffset, 2, second.payloadEnd, 4);
      sender.protect(datagram, second.payloadEnd, third.pnOffset, 1, third.payloadEnd, 5);
      expect(toHex(receiver.unprotect(datagram, 0, first.pnOffset, first.payloadEnd, 2)!.payload)).toBe(toHex(first.payload));
      expect(toHex(receiver.unprotect(datagram, first.payloadEnd, second.pnOffset, second.payloadEnd, 3)!.payload)).toBe(toHex(second.payload));
      expect(toHex(receiver.unprotect(datagram, second.payloadEnd, third.pnOffset, third.payloadEnd, 4)!.payload)).toBe(toHex(third.payload));
    });

    it('refuses to protect malformed input', () => {
      const sender = PacketProtector.fromSecret(provider, suite, secretFor(suite));
      const buffer = new Uint8Array(200);
      // 1-byte pn + 2-byte payload: 3 < 4 bytes before the sample (RFC 9001 §5.4.2).
      let built = buildPacket(buffer, 0, false, 1, 1, 2);
      expect(() => sender.protect(buffer, 0, built.pnOffset, 1, built.payloadEnd, 1)).toThrow(/at least 4 needed/);
      built = buildPacket(buffer, 0, false, 1, 1, 3);
      expect(() => sender.protect(buffer, 0, built.pnOffset, 1, built.payloadEnd, 1)).not.toThrow();
      built = buildPacket(buffer, 0, false, 300, 2, 50);
      expect(() => sender.protect(buffer, 0, built.pnOffset, 2, built.payloadEnd, 301)).toThrow(/do not encode 301/);
      expect(() => sender.protect(buffer, 0, built.pnOffset, 3, built.payloadEnd, 300)).toThrow(/2-byte packet number/);
      expect(() => sender.protect(buffer, 0, built.pnOffset, 2, built.payloadEnd, -1)).toThrow(/invalid packet number/);
      expect(() => sender.protect(buffer, 0, built.pnOffset, 5, built.payloadEnd, 300)).toThrow(/pnLength/);
      expect(() => sender.protect(buffer, 0, built.pnOffset, 2, 201, 300)).toThrow(/out of range/);
    });

    it('falls back to open() for an Aead without openInto', () => {
      const secret = secretFor(suite);
      const sender = PacketProtector.fromSecret(provider, suite, secret);
      const receiver = PacketProtector.fromSecret(provider, suite, secret);
      const inner = receiver.key.aead;
      const plainAead: Aead = {
        tagLength: 16,
        seal: (n, a, p, o, off) => inner.seal(n, a, p, o, off),
        open: (n, a, c) => inner.open(n, a, c),
      };
      receiver.key = { aead: plainAead, iv: receiver.key.iv };
      const buffer = new Uint8Array(300);
      const { pnOffset, payloadEnd, payload } = buildPacket(buffer, 0, false, 42, 2, 200);
      sender.protect(buffer, 0, pnOffset, 2, payloadEnd, 42);
      const tampered = buffer.slice();
      flip(tampered, 100, 1);
      const before = toHex(tampered);
      expect(receiver.unprotect(tampered, 0, pnOffset, payloadEnd, 41)).toBeNull();
      expect(toHex(tampered)).toBe(before);
      expect(toHex(receiver.unprotect(buffer, 0, pnOffset, payloadEnd, 41)!.payload)).toBe(toHex(payload));
    });
  });

  it.each([{ aName: 'node', a: node, bName: 'noble', b: noble }, { aName: 'noble', a: noble, bName: 'node', b: node }])('$aName protects, $bName unprotects, with identical bytes', ({ a, b }) => {
    const secret = secretFor(suite);
    const bufferA = new Uint8Array(1200);
    const built = buildPacket(bufferA, 0, false, 123456, 3, 1150);
    const bufferB = bufferA.slice();
    PacketProtector.fromSecret(a, suite, secret).protect(bufferA, 0, built.pnOffset, 3, built.payloadEnd, 123456);
    PacketProtector.fromSecret(b, suite, secret).protect(bufferB, 0, built.pnOffset, 3, built.payloadEnd, 123456);
    expect(toHex(bufferB)).toBe(toHex(bufferA));
    const result = PacketProtector.fromSecret(b, suite, secret).unprotect(bufferA, 0, built.pnOffset, built.payloadEnd, 123400);
    expect(toHex(result!.payload)).toBe(toHex(built.payload));
  });
});

describe('Initial packet protection', () => {
  it('a server opens what a client protects with the keys from the same DCID', () => {
    const dcid = node.randomBytes(8);
    const client = PacketProtector.fromSecret(node, TLS_AES_128_GCM_SHA256, initialSecrets(node, dcid).client);
    const server = PacketProtector.fromSecret(noble, TLS_AES_128_GCM_SHA256, initialSecrets(noble, dcid).client);
    const buffer = new Uint8Array(1200);
    const built = buildPacket(buffer, 0, true, 0, 1, 1100);
    client.protect(buffer, 0, built.pnOffset, 1, built.payloadEnd, 0);
    expect(toHex(server.unprotect(buffer, 0, built.pnOffset, built.payloadEnd, -1)!.payload)).toBe(toHex(built.payload));
  });
});

describe.each(PROVIDERS)('key update (RFC 9001 §6), %s provider', (_name, provider) => {
  const suite = TLS_AES_128_GCM_SHA256;

  function send(keys: OneRttKeys, pn: number): { buffer: Uint8Array; pnOffset: number; end: number; payload: Uint8Array } {
    const buffer = new Uint8Array(200);
    const built = buildPacket(buffer, 0, false, pn, 2, 100, keys.keyPhase << 2);
    keys.sender.protect(buffer, 0, built.pnOffset, 2, built.payloadEnd, pn);
    return { buffer, pnOffset: built.pnOffset, end: built.payloadEnd, payload: built.payload };
  }

  it('derives the next secret with "quic ku" and keeps the header protection key', () => {
    const clientSecret = secretFor(suite);
    const serverSecret = secretFor(suite);
    const client = new OneRttKeys(provider, suite, clientSecret, serverSecret);
    const server = new OneRttKeys(provider, suite, serverSecret, clientSecret);
    const hp = client.sender.hp;
    const key0 = client.sender.key;

    // Phase 0 both ways.
    let packet = send(client, 10);
    let result = server.receiver.unprotect(packet.buffer, 0, packet.pnOffset, packet.end, 9);
    expect(result!.keyPhase).toBe(0);
    expect(server.onPacketDecrypted(result!.keyPhase!, result!.pn)).toBe('current');

    // The client initiates; its next packet has key phase 1 and the next keys.
    const old = send(client, 11);
    client.update();
    expect(client.keyPhase).toBe(1);
    expect(client.sender.hp).toBe(hp);
    expect(client.sender.key).not.toBe(key0);
    packet = send(client, 12);
    result = server.receiver.unprotect(packet.buffer, 0, packet.pnOffset, packet.end, 10);
    expect(result!.keyPhase).toBe(1);
    expect(toHex(result!.payload)).toBe(toHex(packet.payload));
    expect(server.onPacketDecrypted(1, result!.pn)).toBe('next');
    server.update(result!.pn);
    expect(server.keyPhase).toBe(1);

    // The keys really are those of secret_1 = HKDF-Expand-Label(secret_0, "quic ku", "", 32),
    // with the hp key of secret_0.
    const manual = new PacketProtector(client.sender.hp,
      payloadKey(provider, suite, derivePacketKeys(provider, suite, nextTrafficSecret(provider, suite, clientSecret))));
    const again = send(client, 13);
    expect(manual.unprotect(again.buffer, 0, again.pnOffset, again.end, 12)).not.toBeNull();

    // A reordered phase-0 packet numbered below the first phase-1 one uses the previous keys.
    result = server.receiver.unprotect(old.buffer, 0, old.pnOffset, old.end, 12);
    expect(result!.pn).toBe(11);
    expect(server.onPacketDecrypted(0, 11)).toBe('previous');

    // The server answers in phase 1; the client opens it with its current keys.
    const reply = send(server, 20);
    result = client.receiver.unprotect(reply.buffer, 0, reply.pnOffset, reply.end, 19);
    expect(result!.keyPhase).toBe(1);
    expect(client.onPacketDecrypted(1, 20)).toBe('current');

    // Once the old keys are gone, a late phase-0 packet is dropped (it would need the next keys).
    server.discardPreviousKeys();
    expect(server.hasPreviousKeys).toBe(false);
    const late = buildPacket(new Uint8Array(200), 0, false, 11, 2, 100, 0);
    const lateBuffer = late.packet;
    PacketProtector.fromSecret(provider, suite, clientSecret).protect(lateBuffer, 0, late.pnOffset, 2, late.payloadEnd, 11);
    expect(server.receiver.unprotect(lateBuffer, 0, late.pnOffset, late.payloadEnd, 13)).toBeNull();

    // A second update moves both to phase 0 with secret_2.
    client.update();
    server.update();
    packet = send(client, 30);
    result = server.receiver.unprotect(packet.buffer, 0, packet.pnOffset, packet.end, 29);
    expect(result!.keyPhase).toBe(0);
    expect(server.onPacketDecrypted(0, 30)).toBe('current');
  });
});
