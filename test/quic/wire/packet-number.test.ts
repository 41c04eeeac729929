import { describe, expect, it } from 'vitest';
import { Writer } from '../../../src/quic/wire/buffer.js';
import { TransportErrorCode } from '../../../src/quic/wire/errors.js';
import {
  type PacketNumberLength,
  decodePacketNumber,
  packetNumberLength,
  packetNumberLengthFromFirstByte,
  readTruncatedPacketNumber,
  truncatePacketNumber,
  writePacketNumber,
} from '../../../src/quic/wire/packet-number.js';
import { expectQuicError, toHex } from './helpers.js';
import { Prng } from './prng.js';

describe('packet numbers (RFC 9000 §17.1, Appendix A)', () => {
  // Appendix A.2 examples.
  it('needs 2 bytes for 0xac5c02 with 0xabe8b3 acknowledged', () => {
    expect(packetNumberLength(0xac5c02, 0xabe8b3)).toBe(2);
  });

  it('needs 3 bytes for 0xace8fe with 0xabe8b3 acknowledged', () => {
    expect(packetNumberLength(0xace8fe, 0xabe8b3)).toBe(3);
  });

  // Appendix A.3 example.
  it('decodes 0x9b32 after 0xa82f30ea to 0xa82f9b32', () => {
    expect(decodePacketNumber(0xa82f30ea, 0x9b32, 16)).toBe(0xa82f9b32);
  });

  it('chooses a length covering more than twice the unacknowledged range', () => {
    expect(packetNumberLength(0, undefined)).toBe(1);
    expect(packetNumberLength(126, undefined)).toBe(1);
    expect(packetNumberLength(127, undefined)).toBe(2);
    expect(packetNumberLength(1000, 900)).toBe(1);
    expect(packetNumberLength(2 ** 40, 2 ** 40 - 0x7fffffff)).toBe(4);
    expectQuicError(() => packetNumberLength(2 ** 40, 0), TransportErrorCode.INTERNAL_ERROR);
  });

  it('decodes with no packet received yet (largest = -1)', () => {
    expect(decodePacketNumber(-1, 0, 8)).toBe(0);
    expect(decodePacketNumber(-1, 5, 8)).toBe(5);
    expect(decodePacketNumber(-1, 0xff, 8)).toBe(0xff);
  });

  it('wraps forward and backward around the window', () => {
    expect(decodePacketNumber(0xff, 0x00, 8)).toBe(0x100);
    expect(decodePacketNumber(0x100, 0xff, 8)).toBe(0xff);
    expect(decodePacketNumber(0x1fe, 0x7f, 8)).toBe(0x27f);
  });

  it('writes and reads truncated packet numbers', () => {
    const buf = new Uint8Array(4);
    for (const [pn, n, hexs] of [
      [0xa82f9b32, 4, 'a82f9b32'], [0xa82f9b32, 3, '2f9b32'], [0xa82f9b32, 2, '9b32'], [0xa82f9b32, 1, '32'],
      [654360564, 3, '00bff4'], [2 ** 50 + 7, 4, '00000007'],
    ] as [number, PacketNumberLength, string][]) {
      const w = new Writer(buf);
      writePacketNumber(w, pn, n);
      expect(toHex(buf.subarray(0, w.position))).toBe(hexs);
      expect(readTruncatedPacketNumber(buf, 0, n)).toBe(truncatePacketNumber(pn, n));
    }
    expect(packetNumberLengthFromFirstByte(0xc3)).toBe(4);
    expect(packetNumberLengthFromFirstByte(0x40)).toBe(1);
  });

  it('round-trips: encode with the chosen length, decode against the peer state', () => {
    const rng = new Prng(7);
    for (let i = 0; i < 5000; i++) {
      const largestAcked = rng.chance(0.05) ? undefined : rng.int(2 ** 40);
      const base = largestAcked ?? -1;
      const pn = base + 1 + rng.int(rng.pick([100, 30000, 5000000, 1000000000]));
      const n = packetNumberLength(pn, largestAcked);
      // The receiver has seen at least up to largestAcked, and never beyond pn - 1.
      const largestReceived = base + rng.int(pn - base);
      const truncated = truncatePacketNumber(pn, n);
      expect(decodePacketNumber(largestReceived, truncated, 8 * n)).toBe(pn);
    }
  });
});
