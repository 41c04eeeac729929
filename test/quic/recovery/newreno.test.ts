import { describe, expect, it } from 'vitest';
import { NewReno, initialWindow, minimumWindow } from '../../../src/quic/recovery/newreno.js';

const MDS = 1200;
const pkt = (timeSent: number, size = MDS) => ({ size, timeSent });

describe('NewReno windows (RFC 9002 §7.2)', () => {
  it('initial window is min(10 * mds, max(14720, 2 * mds))', () => {
    expect(initialWindow(1200)).toBe(12_000);
    expect(initialWindow(1472)).toBe(14_720);
    expect(initialWindow(1500)).toBe(14_720);
    expect(initialWindow(9000)).toBe(18_000);
    expect(minimumWindow(1200)).toBe(2400);
    const cc = new NewReno();
    expect(cc.congestionWindow).toBe(12_000);
    expect(cc.ssthresh).toBe(Infinity);
    expect(cc.bytesInFlight).toBe(0);
  });

  it('tracks bytes in flight and gates sending on the window', () => {
    const cc = new NewReno({ maxDatagramSize: MDS });
    for (let i = 0; i < 9; i++) cc.onPacketSent(MDS, i);
    expect(cc.bytesInFlight).toBe(10_800);
    expect(cc.canSend(1200)).toBe(true);
    expect(cc.canSend(1201)).toBe(false);
    cc.onPacketsAcked([pkt(0)], 100);
    expect(cc.bytesInFlight).toBe(9600);
    cc.removeFromBytesInFlight(2400);
    expect(cc.bytesInFlight).toBe(7200);
  });
});

describe('NewReno growth (RFC 9002 §7.3, B.5)', () => {
  it('slow start adds each acknowledged packet size', () => {
    const cc = new NewReno();
    for (let i = 0; i < 4; i++) cc.onPacketSent(MDS, 0);
    cc.onPacketsAcked([pkt(0), pkt(0), pkt(0, 600)], 10);
    expect(cc.congestionWindow).toBe(12_000 + 3000);
  });

  it('congestion avoidance adds one datagram per window of acknowledged bytes', () => {
    const cc = new NewReno();
    cc.onCongestionEvent(0, 0);
    expect(cc.ssthresh).toBe(6000);
    expect(cc.congestionWindow).toBe(6000);
    // Four packets (4800 bytes) sent after recovery started: less than a window, no growth.
    cc.onPacketsAcked([pkt(1), pkt(1), pkt(1), pkt(1)], 10);
    expect(cc.congestionWindow).toBe(6000);
    // The fifth completes a window: +1 datagram.
    cc.onPacketsAcked([pkt(1)], 11);
    expect(cc.congestionWindow).toBe(7200);
    // The next increase needs a full 7200 bytes.
    for (let i = 0; i < 5; i++) cc.onPacketsAcked([pkt(2)], 12);
    expect(cc.congestionWindow).toBe(7200);
    cc.onPacketsAcked([pkt(2)], 13);
    expect(cc.congestionWindow).toBe(8400);
  });

  it('congestion avoidance counts whole bytes: a large acknowledgement crosses several windows, the remainder is kept', () => {
    const cc = new NewReno();
    cc.onCongestionEvent(0, 0);
    expect(cc.congestionWindow).toBe(6000);
    // 20000 bytes at once: 6000 completes the first window (+1200), 7200 the next (+1200);
    // 6800 is left, short of the 8400-byte window.
    cc.onPacketsAcked([pkt(1, 20_000)], 10);
    expect(cc.congestionWindow).toBe(8400);
    // Exactly the 1600 missing bytes complete that window: nothing was rounded away.
    cc.onPacketsAcked([pkt(1, 1599)], 11);
    expect(cc.congestionWindow).toBe(8400);
    cc.onPacketsAcked([pkt(1, 1)], 12);
    expect(cc.congestionWindow).toBe(9600);
    // Odd sizes over many ACKs: the window only ever moves by whole datagrams.
    for (let i = 0; i < 1000; i++) cc.onPacketsAcked([pkt(2, 777)], 13 + i);
    expect(Number.isInteger(cc.congestionWindow)).toBe(true);
    expect((cc.congestionWindow - 9600) % 1200).toBe(0);
    expect(cc.ssthresh).toBe(6000);
  });

  it('does not grow while app-limited (RFC 9002 §7.8)', () => {
    const cc = new NewReno();
    cc.setAppLimited(true);
    cc.onPacketSent(MDS, 0);
    cc.onPacketsAcked([pkt(0)], 1);
    expect(cc.congestionWindow).toBe(12_000);
    expect(cc.bytesInFlight).toBe(0);
    cc.setAppLimited(false);
    cc.onPacketsAcked([pkt(0)], 2);
    expect(cc.congestionWindow).toBe(13_200);
  });
});

describe('NewReno congestion events and recovery (RFC 9002 §7.3.2, B.6)', () => {
  it('halves the window once per recovery period', () => {
    const cc = new NewReno();
    cc.onCongestionEvent(500, 1000);
    expect(cc.recoveryStartTime).toBe(1000);
    expect(cc.ssthresh).toBe(6000);
    expect(cc.congestionWindow).toBe(6000);
    // Losses of packets sent before recovery started do not reduce again.
    cc.onCongestionEvent(800, 1200);
    cc.onCongestionEvent(1000, 1300);
    expect(cc.congestionWindow).toBe(6000);
    // Acks of packets sent before recovery started do not grow the window.
    cc.onPacketsAcked([pkt(900), pkt(1000), pkt(1000), pkt(1000), pkt(1000), pkt(1000)], 1400);
    expect(cc.congestionWindow).toBe(6000);
    // A loss of a packet sent after recovery started is a new congestion event.
    cc.onCongestionEvent(1500, 2000);
    expect(cc.recoveryStartTime).toBe(2000);
    expect(cc.ssthresh).toBe(3000);
    expect(cc.congestionWindow).toBe(3000);
  });

  it('never goes below the minimum window', () => {
    const cc = new NewReno();
    cc.onCongestionEvent(0, 1);
    cc.onCongestionEvent(2, 3);
    cc.onCongestionEvent(4, 5);
    expect(cc.ssthresh).toBe(1500);
    expect(cc.congestionWindow).toBe(2400);
  });

  it('recovery ends when a packet sent during it is acknowledged: growth resumes', () => {
    const cc = new NewReno();
    cc.onCongestionEvent(0, 100);
    for (let i = 0; i < 5; i++) cc.onPacketsAcked([pkt(150)], 200);
    expect(cc.congestionWindow).toBe(7200);
  });

  it('persistent congestion collapses to the minimum window and leaves recovery (§7.6)', () => {
    const cc = new NewReno();
    cc.onPacketsAcked([pkt(0), pkt(0), pkt(0)], 1);
    cc.onCongestionEvent(10, 20);
    cc.onPersistentCongestion(20);
    expect(cc.congestionWindow).toBe(2400);
    expect(cc.recoveryStartTime).toBeUndefined();
    // ssthresh stays at the reduced value: slow start back up to it.
    expect(cc.ssthresh).toBe(7800);
    cc.onPacketsAcked([pkt(5)], 30);
    expect(cc.congestionWindow).toBe(3600);
  });

  it('the minimum window follows a larger datagram size', () => {
    const cc = new NewReno();
    cc.onPersistentCongestion(0);
    cc.setMaxDatagramSize(1500);
    expect(cc.congestionWindow).toBe(3000);
  });

  it('pacing rate is 1.25 * cwnd / smoothed_rtt (RFC 9002 §7.7)', () => {
    const cc = new NewReno();
    expect(cc.pacingRate(100_000)).toBe(150_000);
    expect(cc.pacingRate(0)).toBeUndefined();
  });
});
