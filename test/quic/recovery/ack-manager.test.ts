import { describe, expect, it } from 'vitest';
import { AckManager } from '../../../src/quic/recovery/ack-manager.js';
import { PacketNumberSpace } from '../../../src/quic/recovery/space.js';
import { Prng } from './prng.js';

const APP = PacketNumberSpace.ApplicationData;

describe('AckManager: duplicates and receive state', () => {
  it('returns false for a duplicate packet number', () => {
    const am = new AckManager(APP);
    expect(am.onPacketReceived(5, true, 0)).toBe(true);
    expect(am.onPacketReceived(5, true, 1)).toBe(false);
    expect(am.onPacketReceived(3, false, 2)).toBe(true);
    expect(am.onPacketReceived(3, true, 3)).toBe(false);
    expect(am.largestReceived).toBe(5);
    expect(am.largestReceivedTime).toBe(0);
  });

  it('tracks the largest received and when it arrived', () => {
    const am = new AckManager(APP);
    am.onPacketReceived(2, true, 100);
    am.onPacketReceived(7, false, 200);
    am.onPacketReceived(4, true, 300);
    expect(am.largestReceived).toBe(7);
    expect(am.largestReceivedTime).toBe(200);
  });
});

describe('AckManager: when to acknowledge (RFC 9000 §13.2.1, §13.2.2)', () => {
  it('Initial and Handshake: immediately for every ack-eliciting packet', () => {
    for (const space of [PacketNumberSpace.Initial, PacketNumberSpace.Handshake]) {
      const am = new AckManager(space);
      am.onPacketReceived(0, true, 1000);
      expect(am.ackDeadline()).toBe(1000);
      expect(am.isAckNeeded(1000)).toBe(true);
    }
  });

  it('1-RTT: the first ack-eliciting packet waits max_ack_delay, the second triggers at once', () => {
    const am = new AckManager(APP, { maxAckDelayUs: 25_000 });
    am.onPacketReceived(0, true, 1000);
    expect(am.ackDeadline()).toBe(26_000);
    expect(am.isAckNeeded(25_999)).toBe(false);
    expect(am.isAckNeeded(26_000)).toBe(true);
    am.onPacketReceived(1, true, 5000);
    expect(am.ackDeadline()).toBe(5000);
    expect(am.isAckNeeded(5000)).toBe(true);
  });

  it('non-ack-eliciting packets never make an ACK due, but are reported when one is sent', () => {
    const am = new AckManager(APP);
    am.onPacketReceived(0, false, 0);
    am.onPacketReceived(1, false, 1);
    expect(am.ackDeadline()).toBeUndefined();
    expect(am.isAckNeeded(1_000_000)).toBe(false);
    expect(am.hasUnreported()).toBe(true);
    expect(am.buildAck(10, 0)?.ranges).toEqual([[0, 1]]);
    expect(am.hasUnreported()).toBe(false);
  });

  it('an out-of-order ack-eliciting packet is acknowledged at once', () => {
    const am = new AckManager(APP);
    am.onPacketReceived(5, true, 0);
    am.buildAck(0, 3);
    am.onPacketReceived(4, true, 10);
    expect(am.ackDeadline()).toBe(10);
  });

  it('a gap before a new largest ack-eliciting packet is acknowledged at once', () => {
    const am = new AckManager(APP);
    am.onPacketReceived(0, true, 0);
    am.buildAck(0, 3);
    am.onPacketReceived(2, true, 10);
    expect(am.ackDeadline()).toBe(10);
    am.buildAck(10, 3);
    // 3 follows 2 with no gap: delayed again.
    am.onPacketReceived(3, true, 20);
    expect(am.ackDeadline()).toBe(20 + 25_000);
  });

  it('no gap when the missing number was a received non-ack-eliciting packet', () => {
    const am = new AckManager(APP);
    am.onPacketReceived(0, true, 0);
    am.buildAck(0, 3);
    am.onPacketReceived(1, false, 5);
    am.onPacketReceived(2, true, 10);
    expect(am.ackDeadline()).toBe(10 + 25_000);
  });

  it('the threshold is configurable (ACK frequency)', () => {
    const am = new AckManager(APP, { ackElicitingThreshold: 4, maxAckDelayUs: 1000 });
    for (let pn = 0; pn < 3; pn++) am.onPacketReceived(pn, true, pn);
    expect(am.ackDeadline()).toBe(1000);
    am.onPacketReceived(3, true, 3);
    expect(am.ackDeadline()).toBe(3);
  });

  it('building an ACK clears the deadline and the count', () => {
    const am = new AckManager(APP);
    am.onPacketReceived(0, true, 0);
    am.buildAck(100, 3);
    expect(am.ackDeadline()).toBeUndefined();
    expect(am.ackElicitingSinceAck).toBe(0);
    am.onPacketReceived(1, true, 200);
    expect(am.ackDeadline()).toBe(200 + 25_000);
  });
});

describe('AckManager.buildAck', () => {
  it('nothing to acknowledge before any packet', () => {
    expect(new AckManager(APP).buildAck(0, 3)).toBeUndefined();
  });

  it('reports ranges with gaps from the largest down', () => {
    const am = new AckManager(APP);
    for (const pn of [0, 1, 2, 5, 6, 9, 12, 13, 14]) am.onPacketReceived(pn, true, 1000);
    const ack = am.buildAck(1000, 3)!;
    expect(ack.largestAcknowledged).toBe(14);
    expect(ack.ranges).toEqual([[12, 14], [9, 9], [5, 6], [0, 2]]);
  });

  it('reuses its result: the next ACK rewrites it, with fewer ranges once old ones are acknowledged', () => {
    const am = new AckManager(APP);
    for (const pn of [0, 1, 2, 5, 6, 9]) am.onPacketReceived(pn, true, 1000);
    const first = am.buildAck(1000, 3)!;
    expect(first.ranges).toEqual([[9, 9], [5, 6], [0, 2]]);
    am.onAckOfAck(6);
    am.onPacketReceived(10, true, 2000);
    const second = am.buildAck(2000, 3)!;
    expect(second).toBe(first);
    expect(second.largestAcknowledged).toBe(10);
    expect(second.ranges).toEqual([[9, 10]]);
    expect(am.buildAck(2000, 3, 1)!.ranges.length).toBe(1);
  });

  it('encodes the ACK Delay since the largest packet arrived with the exponent', () => {
    const am = new AckManager(APP);
    am.onPacketReceived(3, true, 1_000);
    am.onPacketReceived(1, true, 9_000);
    // Largest (3) arrived at 1 ms; 11 ms later: 11000 µs >> 3 = 1375.
    expect(am.buildAck(12_000, 3)!.ackDelay).toBe(1375);
    am.onPacketReceived(4, true, 12_000);
    expect(am.buildAck(12_100, 0)!.ackDelay).toBe(100);
    am.onPacketReceived(5, true, 20_000);
    expect(am.buildAck(20_100, 5)!.ackDelay).toBe(3);
  });

  it('limits the number of ranges, keeping the highest', () => {
    const am = new AckManager(APP);
    for (let pn = 0; pn < 20; pn += 2) am.onPacketReceived(pn, true, 0);
    const ack = am.buildAck(0, 3, 3)!;
    expect(ack.ranges).toEqual([[18, 18], [16, 16], [14, 14]]);
    expect(ack.largestAcknowledged).toBe(18);
  });

  it('an ACK of our ACK forgets what it covered (RFC 9000 §13.2.4)', () => {
    const am = new AckManager(APP);
    for (const pn of [0, 1, 2, 4, 5, 8]) am.onPacketReceived(pn, true, 0);
    const first = am.buildAck(0, 3)!;
    am.onPacketReceived(9, true, 1);
    am.onPacketReceived(11, true, 2);
    am.onAckOfAck(first.largestAcknowledged);
    expect(am.buildAck(3, 3)!.ranges).toEqual([[11, 11], [9, 9]]);
    // Forgotten packet numbers are now treated as duplicates, even the one never received.
    expect(am.onPacketReceived(4, true, 4)).toBe(false);
    expect(am.onPacketReceived(7, true, 4)).toBe(false);
    expect(am.onPacketReceived(10, true, 4)).toBe(true);
    // An older ACK-of-ACK changes nothing.
    am.onAckOfAck(3);
    expect(am.receivedRanges()).toEqual([[9, 12]]);
  });

  it('everything forgotten: nothing to acknowledge', () => {
    const am = new AckManager(APP);
    am.onPacketReceived(0, true, 0);
    am.onAckOfAck(am.buildAck(0, 3)!.largestAcknowledged);
    expect(am.buildAck(1, 3)).toBeUndefined();
  });
});

describe('AckManager: bounded memory', () => {
  it('caps stored ranges; numbers below the oldest kept range count as duplicates', () => {
    const am = new AckManager(APP, { maxRanges: 4 });
    for (let pn = 0; pn < 40; pn += 2) am.onPacketReceived(pn, true, pn);
    expect(am.receivedRanges()).toEqual([[32, 33], [34, 35], [36, 37], [38, 39]]);
    expect(am.ignoreBelow).toBe(32);
    expect(am.onPacketReceived(3, true, 50)).toBe(false);
    expect(am.onPacketReceived(33, true, 50)).toBe(true);
  });

  it('never processes a packet number twice under random arrival (seeded)', () => {
    for (const seed of [21, 22, 23]) {
      const prng = new Prng(seed);
      const am = new AckManager(APP, { maxRanges: 8 });
      const accepted = new Set<number>();
      for (let i = 0; i < 3000; i++) {
        const pn = Math.max(0, Math.floor(i / 2) + prng.int(-40, 5));
        if (am.onPacketReceived(pn, prng.chance(0.7), i)) {
          expect(accepted.has(pn)).toBe(false);
          accepted.add(pn);
        }
        if (prng.chance(0.05)) {
          const ack = am.buildAck(i, 3);
          if (ack !== undefined) {
            expect(ack.ranges.length).toBeLessThanOrEqual(8);
            for (const [s, l] of ack.ranges) for (let p = s; p <= l; p++) expect(accepted.has(p)).toBe(true);
            if (prng.chance(0.5)) am.onAckOfAck(ack.ranges[ack.ranges.length - 1]![0]);
          }
        }
      }
    }
  });
});
