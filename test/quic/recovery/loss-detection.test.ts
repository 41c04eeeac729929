import { describe, expect, it } from 'vitest';
import { LossDetection, inPersistentCongestion } from '../../../src/quic/recovery/loss-detection.js';
import { NewReno } from '../../../src/quic/recovery/newreno.js';
import { RangeSet } from '../../../src/quic/recovery/rangeset.js';
import type { SentPacket } from '../../../src/quic/recovery/sent-packets.js';
import { PacketNumberSpace } from '../../../src/quic/recovery/space.js';
import { QuicError, TransportErrorCode } from '../../../src/quic/wire/errors.js';
import { Prng } from './prng.js';

const INITIAL = PacketNumberSpace.Initial;
const HANDSHAKE = PacketNumberSpace.Handshake;
const APP = PacketNumberSpace.ApplicationData;

function setup(isClient: boolean) {
  const cc = new NewReno();
  const ld = new LossDetection({ isClient, congestion: cc });
  return { cc, ld };
}

function packet(pn: number, timeSent: number, opts: Partial<SentPacket> = {}): SentPacket {
  return { pn, timeSent, size: 1200, ackEliciting: true, inFlight: true, frames: [`frame-${pn}`], ...opts };
}

function send(ld: LossDetection, space: PacketNumberSpace, pn: number, time: number, opts: Partial<SentPacket> = {}): void {
  ld.onPacketSent(space, packet(pn, time, opts));
}

const pns = (packets: readonly SentPacket[]) => packets.map((p) => p.pn);

describe('LossDetection: ACK processing (RFC 9002 §6, A.7)', () => {
  it('rejects an ACK of a packet number never sent with PROTOCOL_VIOLATION', () => {
    const { ld } = setup(false);
    send(ld, APP, 0, 0);
    send(ld, APP, 1, 0);
    let error: unknown;
    try {
      ld.onAckReceived(APP, [[0, 2]], 0, 10);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(QuicError);
    expect((error as QuicError).code).toBe(TransportErrorCode.PROTOCOL_VIOLATION);
    expect(() => ld.onAckReceived(HANDSHAKE, [[0, 0]], 0, 10)).toThrow(QuicError);
  });

  it('takes an RTT sample when the largest acknowledged is newly acked and ack-eliciting', () => {
    const { ld, cc } = setup(false);
    send(ld, APP, 0, 1_000);
    const result = ld.onAckReceived(APP, [[0, 0]], 0, 51_000);
    expect(pns(result.newlyAcked)).toEqual([0]);
    expect(result.newlyAcked[0]!.frames).toEqual(['frame-0']);
    expect(result.rttSample).toBe(50_000);
    expect(ld.rtt.smoothedRtt).toBe(50_000);
    expect(cc.bytesInFlight).toBe(0);
    // The same ACK again: nothing new, no sample.
    const again = ld.onAckReceived(APP, [[0, 0]], 0, 90_000);
    expect(again.newlyAcked).toEqual([]);
    expect(again.rttSample).toBeUndefined();
    expect(ld.rtt.latestRtt).toBe(50_000);
  });

  it('no sample when the largest acknowledged was acknowledged before', () => {
    const { ld } = setup(false);
    send(ld, APP, 0, 0);
    send(ld, APP, 1, 10);
    expect(ld.onAckReceived(APP, [[1, 1]], 0, 100).rttSample).toBe(90);
    const late = ld.onAckReceived(APP, [[0, 1]], 0, 200);
    expect(pns(late.newlyAcked)).toEqual([0]);
    expect(late.rttSample).toBeUndefined();
  });

  it('no sample when only non-ack-eliciting packets are newly acked', () => {
    const { ld, cc } = setup(false);
    send(ld, APP, 0, 0, { ackEliciting: false, inFlight: false });
    expect(cc.bytesInFlight).toBe(0);
    const result = ld.onAckReceived(APP, [[0, 0]], 0, 100);
    expect(pns(result.newlyAcked)).toEqual([0]);
    expect(result.rttSample).toBeUndefined();
    expect(ld.rtt.hasSample).toBe(false);
  });

  it('ignores the ACK Delay of Initial ACKs but uses it in other spaces', () => {
    const a = setup(false).ld;
    send(a, INITIAL, 0, 0);
    send(a, INITIAL, 1, 100_000);
    a.onAckReceived(INITIAL, [[0, 0]], 0, 100_000);
    a.onAckReceived(INITIAL, [[1, 1]], 30_000, 250_000);
    expect(a.rtt.smoothedRtt).toBe(0.875 * 100_000 + 0.125 * 150_000);

    const b = setup(false).ld;
    send(b, HANDSHAKE, 0, 0);
    send(b, HANDSHAKE, 1, 100_000);
    b.onAckReceived(HANDSHAKE, [[0, 0]], 0, 100_000);
    b.onAckReceived(HANDSHAKE, [[1, 1]], 30_000, 250_000);
    expect(b.rtt.smoothedRtt).toBe(0.875 * 100_000 + 0.125 * 120_000);
  });

  it('handles multi-range ACKs given largest first', () => {
    const { ld } = setup(false);
    for (let pn = 0; pn < 10; pn++) send(ld, APP, pn, pn);
    const result = ld.onAckReceived(APP, [[8, 9], [4, 5], [0, 1]], 0, 1000);
    expect(pns(result.newlyAcked)).toEqual([0, 1, 4, 5, 8, 9]);
    // 2, 3 and 6 are 3+ below the largest acked (9): lost by packet threshold; 7 is not.
    expect(pns(result.lost)).toEqual([2, 3, 6]);
    expect(pns([...ld.space(APP)])).toEqual([7]);
  });

  it('a huge range of old packet numbers stays cheap and correct', () => {
    const { ld } = setup(false);
    for (let pn = 0; pn < 5; pn++) send(ld, APP, pn, pn);
    ld.onAckReceived(APP, [[0, 2]], 0, 100);
    for (let pn = 5; pn < 1000; pn++) send(ld, APP, pn, 200);
    const result = ld.onAckReceived(APP, [[0, 999]], 0, 300);
    expect(result.newlyAcked.length).toBe(997);
    expect(ld.space(APP).count).toBe(0);
  });
});

describe('LossDetection: loss detection (RFC 9002 §6.1, A.10)', () => {
  it('packet threshold: packets 3 below the largest acked are lost, later ones wait for loss_time', () => {
    const { ld, cc } = setup(false);
    for (let pn = 0; pn < 6; pn++) send(ld, APP, pn, pn);
    const result = ld.onAckReceived(APP, [[5, 5]], 0, 100_000);
    expect(pns(result.lost)).toEqual([0, 1, 2]);
    expect(result.lost[0]!.frames).toEqual(['frame-0']);
    // §6.1.2's 9/8 * RTT, rounded up to a whole microsecond (loss times stay integers).
    const lossDelay = Math.ceil((9 / 8) * 99_995);
    expect(lossDelay).toBe(112_495);
    expect(ld.space(APP).lossTime).toBe(3 + lossDelay);
    expect(ld.getLossDetectionTimer()).toBe(3 + lossDelay);
    // 6 packets of 1200 sent, 1 acked, 3 lost.
    expect(cc.bytesInFlight).toBe(2400);
    expect(ld.bytesInFlight).toBe(2400);
    expect(cc.congestionWindow).toBe(6000);

    expect(ld.onLossDetectionTimeout(3 + lossDelay - 1)).toEqual({ kind: 'none' });
    const timeout = ld.onLossDetectionTimeout(3 + lossDelay);
    expect(timeout.kind).toBe('loss');
    if (timeout.kind !== 'loss') return;
    expect(timeout.space).toBe(APP);
    expect(pns(timeout.lost)).toEqual([3]);
    expect(ld.getLossDetectionTimer()).toBe(4 + lossDelay);
    // Same recovery period: no second reduction.
    expect(cc.congestionWindow).toBe(6000);
  });

  it('time threshold: 9/8 * max(srtt, latest_rtt)', () => {
    const { ld } = setup(false);
    send(ld, APP, 0, 0);
    send(ld, APP, 1, 50_000);
    const result = ld.onAckReceived(APP, [[1, 1]], 0, 150_000);
    expect(result.rttSample).toBe(100_000);
    // loss delay 112.5 ms: packet 0 sent 150 ms ago is lost.
    expect(pns(result.lost)).toEqual([0]);
  });

  it('a configured time threshold is applied exactly, rounded up to a whole microsecond', () => {
    for (const [threshold, expected] of [[9 / 8, 112_495], [1.3, 129_994], [2, 199_990]] as const) {
      const ld = new LossDetection({ isClient: false, congestion: new NewReno(), timeThreshold: threshold });
      for (let pn = 0; pn < 3; pn++) send(ld, APP, pn, pn);
      ld.onAckReceived(APP, [[2, 2]], 0, 99_997);
      // RTT 99_995 µs; packets 0 and 1 are within the packet threshold and wait for their loss time.
      expect(ld.space(APP).lossTime).toBe(expected);
      expect(Number.isInteger(ld.getLossDetectionTimer())).toBe(true);
    }
  });

  it('time threshold uses latest_rtt when it exceeds smoothed_rtt', () => {
    const { ld } = setup(false);
    send(ld, APP, 0, 0);
    ld.onAckReceived(APP, [[0, 0]], 0, 100_000);
    send(ld, APP, 1, 200_000);
    send(ld, APP, 2, 210_000);
    // latest_rtt 200 ms, smoothed_rtt 112.5 ms: the loss delay is 9/8 * 200 ms = 225 ms, so
    // packet 1, sent 210 ms before this ACK, is not lost yet.
    const result = ld.onAckReceived(APP, [[2, 2]], 0, 410_000);
    expect(ld.rtt.smoothedRtt).toBe(112_500);
    expect(result.lost).toEqual([]);
    expect(ld.space(APP).lossTime).toBe(200_000 + 225_000);
    expect(ld.onLossDetectionTimeout(424_999)).toEqual({ kind: 'none' });
    const timeout = ld.onLossDetectionTimeout(425_000);
    expect(timeout.kind === 'loss' && pns(timeout.lost)).toEqual([1]);
  });

  it('time threshold is at least kGranularity', () => {
    const { ld } = setup(false);
    send(ld, APP, 0, 0);
    send(ld, APP, 1, 100);
    send(ld, APP, 2, 200);
    // RTT 100 µs: 9/8 of it is below 1 ms, so the loss delay is 1 ms.
    ld.onAckReceived(APP, [[2, 2]], 0, 300);
    expect(ld.space(APP).lossTime).toBe(1000);
    const timeout = ld.onLossDetectionTimeout(1000);
    expect(timeout.kind === 'loss' && pns(timeout.lost)).toEqual([0]);
    expect(ld.getLossDetectionTimer()).toBe(1100);
  });

  it('loss declared on one space does not touch another', () => {
    const { ld } = setup(false);
    for (let pn = 0; pn < 4; pn++) send(ld, HANDSHAKE, pn, pn);
    for (let pn = 0; pn < 4; pn++) send(ld, APP, pn, pn);
    const result = ld.onAckReceived(APP, [[3, 3]], 0, 10);
    expect(pns(result.lost)).toEqual([0]);
    expect(ld.space(HANDSHAKE).count).toBe(4);
  });
});

describe('LossDetection: probe timeout (RFC 9002 §6.2, A.8, A.9)', () => {
  it('arms PTO from the last ack-eliciting packet and backs off exponentially', () => {
    const { ld } = setup(false);
    ld.onHandshakeConfirmed(0);
    send(ld, APP, 0, 0);
    // 333 ms + 4 * 166.5 ms + max_ack_delay 25 ms.
    expect(ld.getLossDetectionTimer()).toBe(1_024_000);
    expect(ld.onLossDetectionTimeout(1_000_000)).toEqual({ kind: 'none' });
    expect(ld.onLossDetectionTimeout(1_024_000)).toEqual({ kind: 'pto', space: APP, probes: 2, antiDeadlock: false });
    expect(ld.ptoCount).toBe(1);
    expect(ld.getLossDetectionTimer()).toBe(2_048_000);
    send(ld, APP, 1, 1_024_000);
    expect(ld.getLossDetectionTimer()).toBe(1_024_000 + 2_048_000);
    expect(ld.onLossDetectionTimeout(3_072_000).kind).toBe('pto');
    expect(ld.ptoCount).toBe(2);
    expect(ld.getLossDetectionTimer()).toBe(1_024_000 + 4 * 1_024_000);
    // An acknowledgement resets the backoff.
    ld.onAckReceived(APP, [[1, 1]], 0, 3_100_000);
    expect(ld.ptoCount).toBe(0);
  });

  it('no PTO for ApplicationData before handshake confirmation; the earliest space wins', () => {
    const { ld } = setup(false);
    send(ld, HANDSHAKE, 0, 0);
    send(ld, APP, 0, 10);
    expect(ld.getLossDetectionTimer()).toBe(999_000);
    ld.onAckReceived(HANDSHAKE, [[0, 0]], 0, 100_000);
    expect(ld.getLossDetectionTimer()).toBeUndefined();
    ld.onHandshakeConfirmed(100_000);
    // srtt 100 ms, rttvar 50 ms: 100 + 200 + 25 ms after the App packet was sent.
    expect(ld.getLossDetectionTimer()).toBe(10 + 325_000);
  });

  it('Initial before Handshake when both time out together', () => {
    const { ld } = setup(false);
    send(ld, HANDSHAKE, 0, 0);
    send(ld, INITIAL, 0, 0);
    expect(ld.onLossDetectionTimeout(999_000)).toEqual({ kind: 'pto', space: INITIAL, probes: 2, antiDeadlock: false });
  });

  it('the server does not arm a timer with nothing in flight', () => {
    const { ld } = setup(false);
    expect(ld.getLossDetectionTimer()).toBeUndefined();
    send(ld, APP, 0, 0, { ackEliciting: false, inFlight: false });
    expect(ld.getLossDetectionTimer()).toBeUndefined();
    send(ld, INITIAL, 0, 0);
    ld.onAckReceived(INITIAL, [[0, 0]], 0, 50_000);
    expect(ld.getLossDetectionTimer()).toBeUndefined();
  });

  it('client anti-deadlock PTO: Initial, then Handshake once it has Handshake keys (§6.2.2.1)', () => {
    const { ld } = setup(true);
    send(ld, INITIAL, 0, 0);
    ld.onAckReceived(INITIAL, [[0, 0]], 0, 100_000);
    // Nothing in flight, but the server has not validated our address: armed from now.
    expect(ld.ackElicitingInFlight).toBe(0);
    expect(ld.getLossDetectionTimer()).toBe(100_000 + 300_000);
    expect(ld.onLossDetectionTimeout(400_000)).toEqual({ kind: 'pto', space: INITIAL, probes: 1, antiDeadlock: true });
    expect(ld.ptoCount).toBe(1);
    expect(ld.getLossDetectionTimer()).toBe(400_000 + 600_000);
    ld.onHandshakeKeysAvailable(500_000);
    expect(ld.getLossDetectionTimer()).toBe(500_000 + 600_000);
    expect(ld.onLossDetectionTimeout(1_100_000)).toEqual({ kind: 'pto', space: HANDSHAKE, probes: 1, antiDeadlock: true });
    expect(ld.ptoCount).toBe(2);
  });

  it('the client keeps pto_count on Initial ACKs until its address is validated', () => {
    const client = setup(true).ld;
    send(client, INITIAL, 0, 0);
    send(client, INITIAL, 1, 0);
    client.onLossDetectionTimeout(999_000);
    expect(client.ptoCount).toBe(1);
    client.onAckReceived(INITIAL, [[0, 0]], 0, 1_000_000);
    expect(client.ptoCount).toBe(1);
    send(client, HANDSHAKE, 0, 1_000_000);
    client.onAckReceived(HANDSHAKE, [[0, 0]], 0, 1_100_000);
    expect(client.ptoCount).toBe(0);

    const server = setup(false).ld;
    send(server, INITIAL, 0, 0);
    send(server, INITIAL, 1, 0);
    server.onLossDetectionTimeout(999_000);
    server.onAckReceived(INITIAL, [[0, 0]], 0, 1_000_000);
    expect(server.ptoCount).toBe(0);
  });

  it('a Handshake ACK ends the client anti-deadlock timer', () => {
    const { ld } = setup(true);
    send(ld, HANDSHAKE, 0, 0);
    ld.onAckReceived(HANDSHAKE, [[0, 0]], 0, 100_000);
    expect(ld.getLossDetectionTimer()).toBeUndefined();
  });

  it('the server at its amplification limit has no timer until unblocked', () => {
    const { ld } = setup(false);
    send(ld, INITIAL, 0, 0);
    expect(ld.getLossDetectionTimer()).toBe(999_000);
    ld.setAmplificationLimited(true, 10);
    expect(ld.getLossDetectionTimer()).toBeUndefined();
    expect(ld.onLossDetectionTimeout(2_000_000)).toEqual({ kind: 'none' });
    ld.setAmplificationLimited(false, 2_000_000);
    expect(ld.getLossDetectionTimer()).toBe(999_000);
    expect(ld.onLossDetectionTimeout(2_000_000).kind).toBe('pto');
  });

  it('a loss timer still runs while amplification-limited', () => {
    const { ld } = setup(false);
    for (let pn = 0; pn < 3; pn++) send(ld, INITIAL, pn, pn * 1000);
    ld.onAckReceived(INITIAL, [[2, 2]], 0, 102_000);
    ld.setAmplificationLimited(true, 102_000);
    expect(ld.getLossDetectionTimer()).toBe(ld.space(INITIAL).lossTime);
  });
});

describe('LossDetection: discarding a space (RFC 9002 §6.4)', () => {
  it('removes the packets from bytes in flight and resets pto_count', () => {
    const { ld, cc } = setup(true);
    send(ld, INITIAL, 0, 0);
    send(ld, INITIAL, 1, 0);
    send(ld, HANDSHAKE, 0, 100);
    ld.onLossDetectionTimeout(999_000);
    expect(ld.ptoCount).toBe(1);
    expect(cc.bytesInFlight).toBe(3600);
    const discarded = ld.discardSpace(INITIAL, 1_000_000);
    expect(pns(discarded)).toEqual([0, 1]);
    expect(cc.bytesInFlight).toBe(1200);
    expect(ld.bytesInFlight).toBe(1200);
    expect(ld.ptoCount).toBe(0);
    expect(ld.getLossDetectionTimer()).toBe(100 + 999_000);
    // The window was not reduced: discarded packets are neither acked nor lost.
    expect(cc.congestionWindow).toBe(12_000);
    expect(() => ld.discardSpace(APP, 0)).toThrow(QuicError);
  });
});

describe('LossDetection: persistent congestion (RFC 9002 §7.6)', () => {
  /** One RTT sample of 100 ms at t = 100 ms, then packets 1..10 every 150 ms from t = 200 ms. */
  function scenario() {
    const { ld, cc } = setup(false);
    ld.onHandshakeConfirmed(0);
    send(ld, APP, 0, 0);
    ld.onAckReceived(APP, [[0, 0]], 0, 100_000);
    for (let pn = 1; pn <= 10; pn++) send(ld, APP, pn, 200_000 + (pn - 1) * 150_000);
    send(ld, APP, 11, 1_800_000);
    return { ld, cc };
  }

  it('is established when lost packets span more than the duration with nothing acked between', () => {
    const { ld, cc } = scenario();
    const result = ld.onAckReceived(APP, [[11, 11]], 0, 1_900_000);
    expect(pns(result.lost)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    // duration = (100 + max(4 * 37.5, 1) + 25 ms) * 3 = 825 ms < 1350 ms spanned.
    expect(ld.rtt.persistentCongestionDuration()).toBe(825_000);
    expect(result.persistentCongestion).toBe(true);
    // Minimum window (2400), then packet 11's acknowledgement, processed after the losses as in
    // A.7, grows it in slow start since persistent congestion ended the recovery period.
    expect(cc.congestionWindow).toBe(2400 + 1200);
    expect(cc.recoveryStartTime).toBeUndefined();
  });

  it('is not established when a packet in between was acknowledged', () => {
    const { ld, cc } = scenario();
    const result = ld.onAckReceived(APP, [[11, 11], [5, 5]], 0, 1_900_000);
    expect(pns(result.lost)).toEqual([1, 2, 3, 4, 6, 7, 8, 9, 10]);
    expect(result.persistentCongestion).toBe(false);
    // 12000 + 1200 (slow start on packet 0), halved once.
    expect(cc.congestionWindow).toBe(6600);
  });

  it('is not established by packets sent before the first RTT sample', () => {
    const { ld, cc } = setup(false);
    ld.onHandshakeConfirmed(0);
    for (let pn = 0; pn < 10; pn++) send(ld, APP, pn, pn * 200_000);
    send(ld, APP, 10, 2_000_000);
    const result = ld.onAckReceived(APP, [[10, 10]], 0, 2_100_000);
    expect(result.lost.length).toBe(10);
    expect(result.persistentCongestion).toBe(false);
    expect(cc.congestionWindow).toBe(6000);
  });

  it('the span must exceed the duration', () => {
    const lost = [packet(1, 0), packet(2, 500), packet(3, 1000)];
    expect(inPersistentCongestion(lost, 1000, new RangeSet())).toBe(false);
    expect(inPersistentCongestion(lost, 999, new RangeSet())).toBe(true);
    // Non-ack-eliciting packets cannot bound the period.
    const edges = [packet(1, 0, { ackEliciting: false }), packet(2, 500), packet(3, 2000, { ackEliciting: false })];
    expect(inPersistentCongestion(edges, 100, new RangeSet())).toBe(false);
  });

  it('counts only packets sent after the first RTT sample (sentAfter)', () => {
    const lost = [packet(1, 0), packet(2, 500), packet(3, 1000), packet(4, 1600)];
    // Packets 1 and 2 are skipped: 3 and 4 span 600 µs.
    expect(inPersistentCongestion(lost, 599, new RangeSet(), 500)).toBe(true);
    expect(inPersistentCongestion(lost, 600, new RangeSet(), 500)).toBe(false);
    // Sent at the sample's time is not after it (§7.6.2), so only packet 4 is left.
    expect(inPersistentCongestion(lost, 0, new RangeSet(), 1000)).toBe(false);
  });
});

describe('LossDetection: random ACK / timeout sequences (seeded)', () => {
  for (const seed of [11, 12, 13, 14, 15, 16]) {
    it(`seed ${seed}: every packet is acked, lost or outstanding exactly once; bytes in flight agree`, () => {
      const prng = new Prng(seed);
      const { ld, cc } = setup(false);
      ld.onHandshakeConfirmed(0);
      const fate = new Map<number, 'outstanding' | 'acked' | 'lost'>();
      const delivered = new Set<number>();
      let now = 0;
      let pn = 0;
      for (let step = 0; step < 600; step++) {
        now += prng.int(1, 20_000);
        const action = prng.int(0, 9);
        if (action < 5) {
          const ackEliciting = prng.chance(0.9);
          const inFlight = ackEliciting || prng.chance(0.5);
          send(ld, APP, pn, now, { ackEliciting, inFlight, size: prng.int(50, 1200) });
          fate.set(pn, 'outstanding');
          if (prng.chance(0.8)) delivered.add(pn);
          pn++;
        } else if (action < 9 && delivered.size > 0) {
          // The peer acknowledges everything it received, up to some recent packet.
          const largest = Math.max(...delivered);
          const got = new RangeSet();
          for (const d of delivered) got.add(d);
          const ranges = [...got.descending()].slice(0, prng.int(1, 4)).map(([s, e]) => [s, e - 1] as [number, number]);
          expect(ranges[0]![1]).toBe(largest);
          const result = ld.onAckReceived(APP, ranges, prng.int(0, 5000), now);
          for (const p of result.newlyAcked) {
            expect(fate.get(p.pn)).toBe('outstanding');
            fate.set(p.pn, 'acked');
          }
          for (const p of result.lost) {
            expect(fate.get(p.pn)).toBe('outstanding');
            fate.set(p.pn, 'lost');
          }
        } else {
          const timer = ld.getLossDetectionTimer();
          if (timer !== undefined) {
            now = Math.max(now, timer);
            const result = ld.onLossDetectionTimeout(now);
            if (result.kind === 'loss') {
              for (const p of result.lost) {
                expect(fate.get(p.pn)).toBe('outstanding');
                fate.set(p.pn, 'lost');
              }
            }
          }
        }
        const outstanding = [...ld.space(APP)];
        const expected = [...fate].filter(([, f]) => f === 'outstanding').map(([n]) => n);
        expect(pns(outstanding)).toEqual(expected);
        const inFlightBytes = outstanding.filter((p) => p.inFlight).reduce((sum, p) => sum + p.size, 0);
        expect(ld.bytesInFlight).toBe(inFlightBytes);
        expect(cc.bytesInFlight).toBe(inFlightBytes);
        expect(cc.congestionWindow).toBeGreaterThanOrEqual(2400);
        // A timer is armed whenever ack-eliciting packets are outstanding (handshake confirmed).
        if (ld.ackElicitingInFlight > 0) expect(ld.getLossDetectionTimer()).toBeDefined();
      }
    });
  }
});
