/**
 * LossDetection.onLossDetectionTimeout reuses one result per kind (no object per timeout on a
 * lossy path) unless a caller still reads the last one (timeoutResultReaders), as the connection
 * does while protoops run: then the call gets a result of its own and the held one is intact.
 */
import { describe, expect, it } from 'vitest';
import { LossDetection } from '../../../src/quic/recovery/loss-detection.js';
import { NewReno } from '../../../src/quic/recovery/newreno.js';
import type { SentPacket } from '../../../src/quic/recovery/sent-packets.js';
import { PacketNumberSpace } from '../../../src/quic/recovery/space.js';

const APP = PacketNumberSpace.ApplicationData;

function packet(pn: number, timeSent: number): SentPacket {
  return { pn, timeSent, size: 1200, ackEliciting: true, inFlight: true, frames: [] };
}

/** Packets 0..2 sent, 2 acknowledged at 300 µs: 0 and 1 wait for the time threshold (1 ms). */
function withPendingLoss(): LossDetection {
  const ld = new LossDetection({ isClient: false, congestion: new NewReno() });
  ld.onPacketSent(APP, packet(0, 0));
  ld.onPacketSent(APP, packet(1, 100));
  ld.onPacketSent(APP, packet(2, 200));
  ld.onAckReceived(APP, [[2, 2]], 0, 300);
  return ld;
}

describe('loss-detection timeout results', () => {
  it('reuses the loss result and its array from one timeout to the next', () => {
    const ld = withPendingLoss();
    const first = ld.onLossDetectionTimeout(1000);
    expect(first.kind === 'loss' && first.lost.map((p) => p.pn)).toEqual([0]);
    const lostArray = first.kind === 'loss' ? first.lost : undefined;
    const second = ld.onLossDetectionTimeout(1100);
    expect(second).toBe(first);
    expect(second.kind === 'loss' && second.lost).toBe(lostArray);
    expect(second.kind === 'loss' && second.lost.map((p) => p.pn)).toEqual([1]);
  });

  it('gives a fresh result while a reader holds the last one', () => {
    const ld = withPendingLoss();
    const held = ld.onLossDetectionTimeout(1000);
    ld.timeoutResultReaders++;
    const nested = ld.onLossDetectionTimeout(1100);
    ld.timeoutResultReaders--;
    expect(nested).not.toBe(held);
    expect(held.kind === 'loss' && held.lost.map((p) => p.pn)).toEqual([0]);
    expect(nested.kind === 'loss' && nested.lost.map((p) => p.pn)).toEqual([1]);
  });

  it('reuses the PTO result, with the fields of each timeout', () => {
    const ld = new LossDetection({ isClient: false, congestion: new NewReno() });
    // RFC 9002 §6.2.1: no PTO for application data before the handshake is confirmed.
    ld.handshakeConfirmed = true;
    ld.onPacketSent(APP, packet(0, 0));
    ld.onAckReceived(APP, [[0, 0]], 0, 1000);
    ld.onPacketSent(APP, packet(1, 2000));
    const t1 = ld.getLossDetectionTimer()!;
    const first = ld.onLossDetectionTimeout(t1);
    expect(first).toMatchObject({ kind: 'pto', space: APP, probes: 2, antiDeadlock: false });
    const t2 = ld.getLossDetectionTimer()!;
    expect(t2).toBeGreaterThan(t1);
    expect(ld.onLossDetectionTimeout(t2)).toBe(first);
    expect(ld.ptoCount).toBe(2);
  });
});
