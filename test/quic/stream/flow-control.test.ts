import { describe, expect, it } from 'vitest';
import { ReceiveWindow, SendCredit } from '../../../src/quic/stream/flow-control.js';
import { QuicError, TransportErrorCode } from '../../../src/quic/wire/errors.js';
import { codeOf } from './error-code.js';

describe('SendCredit', () => {
  it('counts sent bytes against the limit; limits never shrink', () => {
    const c = new SendCredit(1000);
    c.onSent(600);
    expect(c.available).toBe(400);
    expect(c.update(900)).toBe(false);
    expect(c.limit).toBe(1000);
    expect(c.update(1500)).toBe(true);
    expect(c.available).toBe(900);
    expect(() => c.onSent(901)).toThrow(QuicError);
  });

  it('reports blocked once per limit (DATA_BLOCKED / STREAM_DATA_BLOCKED)', () => {
    const c = new SendCredit(100);
    expect(c.takeBlocked()).toBeUndefined();
    c.onSent(100);
    expect(c.takeBlocked()).toBe(100);
    expect(c.takeBlocked()).toBeUndefined();
    // A lost blocked frame for the current limit may be sent again.
    c.onBlockedLost(100);
    expect(c.takeBlocked()).toBe(100);
    c.update(200);
    expect(c.takeBlocked()).toBeUndefined();
    c.onSent(100);
    expect(c.takeBlocked()).toBe(200);
    // A stale loss report for an older limit does not re-arm.
    c.onBlockedLost(100);
    expect(c.takeBlocked()).toBeUndefined();
  });
});

describe('ReceiveWindow', () => {
  it('raises FLOW_CONTROL_ERROR past the advertised limit', () => {
    const w = new ReceiveWindow({ initialWindow: 1000 });
    w.onReceivedUpTo(1000);
    expect(w.highestReceived).toBe(1000);
    expect(codeOf(() => w.onReceivedUpTo(1001))).toBe(TransportErrorCode.FLOW_CONTROL_ERROR);
    const c = new ReceiveWindow({ initialWindow: 1000 });
    c.addReceived(600);
    c.addReceived(400);
    expect(codeOf(() => c.addReceived(1))).toBe(TransportErrorCode.FLOW_CONTROL_ERROR);
  });

  it('wants an update when less than half the window remains', () => {
    const w = new ReceiveWindow({ initialWindow: 1000 });
    w.onReceivedUpTo(1000);
    w.onConsumed(500);
    expect(w.shouldSendUpdate()).toBe(false);
    w.onConsumed(1);
    expect(w.shouldSendUpdate()).toBe(true);
    expect(w.update(0, 10_000)).toBe(1501);
    expect(w.shouldSendUpdate()).toBe(false);
  });

  it('the limit never decreases', () => {
    const w = new ReceiveWindow({ initialWindow: 1000 });
    expect(w.update(0, 1000)).toBe(1000);
    w.onConsumed(10);
    expect(w.update(1, 1000)).toBe(1010);
  });
});

describe('ReceiveWindow auto-tuning', () => {
  it('doubles the window when it is consumed within about 2 RTTs, up to the maximum', () => {
    const rtt = 10_000;
    const w = new ReceiveWindow({ initialWindow: 100_000, maxWindow: 1_000_000, now: 0 });
    let now = 0;
    const sizes: number[] = [];
    for (let round = 0; round < 6; round++) {
      // A fast reader: more than half the window per millisecond.
      const chunk = Math.ceil(w.windowSize * 0.6);
      w.onReceivedUpTo(w.consumed + chunk);
      w.onConsumed(chunk);
      now += 1000;
      expect(w.shouldSendUpdate()).toBe(true);
      const limit = w.update(now, rtt);
      sizes.push(w.windowSize);
      expect(limit).toBe(w.consumed + w.windowSize);
    }
    expect(sizes).toEqual([200_000, 400_000, 800_000, 1_000_000, 1_000_000, 1_000_000]);
  });

  it('keeps the window when consumption is slow', () => {
    const w = new ReceiveWindow({ initialWindow: 100_000, maxWindow: 1_000_000, now: 0 });
    w.onReceivedUpTo(60_000);
    w.onConsumed(60_000);
    // 60% of the window in 100 ms with a 10 ms RTT: far slower than 2 RTT per half window.
    expect(w.update(100_000, 10_000)).toBe(160_000);
    expect(w.windowSize).toBe(100_000);
  });

  it('compares against the RTT: the same pace grows the window on a longer path', () => {
    const slowPath = new ReceiveWindow({ initialWindow: 100_000, maxWindow: 1_000_000, now: 0 });
    slowPath.onReceivedUpTo(60_000);
    slowPath.onConsumed(60_000);
    // 4 * 0.6 * 50 ms = 120 ms > 100 ms elapsed: too fast for this RTT.
    slowPath.update(100_000, 50_000);
    expect(slowPath.windowSize).toBe(200_000);
  });

  it('without a start time the first update only starts the epoch', () => {
    const w = new ReceiveWindow({ initialWindow: 100_000, maxWindow: 1_000_000 });
    w.onReceivedUpTo(90_000);
    w.onConsumed(90_000);
    w.update(1, 10_000);
    expect(w.windowSize).toBe(100_000);
    w.onReceivedUpTo(180_000);
    w.onConsumed(90_000);
    w.update(2, 10_000);
    expect(w.windowSize).toBe(200_000);
  });

  it('does not tune while less than half the window was consumed in the epoch', () => {
    const w = new ReceiveWindow({ initialWindow: 100_000, maxWindow: 1_000_000, now: 0 });
    w.onConsumed(40_000);
    w.update(10, 10_000);
    expect(w.windowSize).toBe(100_000);
    // The epoch kept running: the next 20 KB complete a fast half window.
    w.onConsumed(20_000);
    w.update(20, 10_000);
    expect(w.windowSize).toBe(200_000);
  });

  it('no auto-tuning without a maximum above the initial window', () => {
    const w = new ReceiveWindow({ initialWindow: 100_000, now: 0 });
    w.onConsumed(90_000);
    w.update(1, 10_000);
    expect(w.windowSize).toBe(100_000);
  });

  it('ensureMinimumWindow lets a connection window follow a stream window', () => {
    const w = new ReceiveWindow({ initialWindow: 100_000, maxWindow: 400_000, now: 0 });
    w.ensureMinimumWindow(300_000, 5);
    expect(w.windowSize).toBe(300_000);
    w.ensureMinimumWindow(600_000, 6);
    expect(w.windowSize).toBe(400_000);
    w.ensureMinimumWindow(100, 7);
    expect(w.windowSize).toBe(400_000);
  });
});
