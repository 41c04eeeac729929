import { describe, expect, it } from 'vitest';
import { K_GRANULARITY_US, K_INITIAL_RTT_US, RttEstimator } from '../../../src/quic/recovery/rtt.js';

describe('RttEstimator (RFC 9002 §5)', () => {
  it('starts from kInitialRtt = 333 ms with rttvar = initial / 2', () => {
    const rtt = new RttEstimator();
    expect(K_INITIAL_RTT_US).toBe(333_000);
    expect(rtt.smoothedRtt).toBe(333_000);
    expect(rtt.rttvar).toBe(166_500);
    expect(rtt.hasSample).toBe(false);
    // §6.2.1: PTO = srtt + max(4 * rttvar, kGranularity) = 333 + 666 ms.
    expect(rtt.pto(false)).toBe(999_000);
    expect(rtt.pto(true)).toBe(999_000 + 25_000);
  });

  it('the first sample sets min_rtt, smoothed_rtt and rttvar directly, ignoring ack delay', () => {
    const rtt = new RttEstimator();
    rtt.update(100_000, 20_000, true, 5_000);
    expect(rtt.latestRtt).toBe(100_000);
    expect(rtt.minRtt).toBe(100_000);
    expect(rtt.smoothedRtt).toBe(100_000);
    expect(rtt.rttvar).toBe(50_000);
    expect(rtt.firstSampleTime).toBe(5_000);
  });

  it('later samples: ack delay subtracted, EWMA 7/8 and 3/4', () => {
    const rtt = new RttEstimator();
    rtt.update(100_000, 0, true, 0);
    rtt.update(120_000, 10_000, true, 1);
    // adjusted = 110 ms; rttvar = 3/4 * 50 + 1/4 * |100 - 110| = 40 ms; srtt = 7/8 * 100 + 1/8 * 110.
    expect(rtt.rttvar).toBe(40_000);
    expect(rtt.smoothedRtt).toBe(101_250);
    expect(rtt.minRtt).toBe(100_000);
    expect(rtt.latestRtt).toBe(120_000);
  });

  it('ack delay is capped by max_ack_delay only after handshake confirmation', () => {
    const confirmed = new RttEstimator({ maxAckDelayUs: 25_000 });
    confirmed.update(100_000, 0, true, 0);
    confirmed.update(150_000, 50_000, true, 1);
    // capped at 25 ms: adjusted 125 ms → srtt = 87.5 + 15.625 ms.
    expect(confirmed.smoothedRtt).toBe(103_125);

    const early = new RttEstimator({ maxAckDelayUs: 25_000 });
    early.update(100_000, 0, false, 0);
    early.update(150_000, 50_000, false, 1);
    // uncapped: adjusted 100 ms.
    expect(early.smoothedRtt).toBe(100_000);
    expect(early.rttvar).toBe(37_500);
  });

  it('does not subtract ack delay when that would go below min_rtt', () => {
    const rtt = new RttEstimator();
    rtt.update(100_000, 0, true, 0);
    rtt.update(105_000, 10_000, true, 1);
    // 105 < 100 + 10, so the sample is used unadjusted.
    expect(rtt.smoothedRtt).toBe(100_625);
    expect(rtt.rttvar).toBe(38_750);
  });

  it('min_rtt follows the smallest unadjusted sample and can be reset to the latest', () => {
    const rtt = new RttEstimator();
    rtt.update(80_000, 0, true, 0);
    rtt.update(60_000, 50_000, true, 1);
    rtt.update(90_000, 0, true, 2);
    expect(rtt.minRtt).toBe(60_000);
    rtt.resetMinRtt();
    expect(rtt.minRtt).toBe(90_000);
  });

  it('PTO uses kGranularity when rttvar is tiny', () => {
    const rtt = new RttEstimator({ maxAckDelayUs: 10_000 });
    rtt.update(200, 0, true, 0);
    for (let i = 0; i < 50; i++) rtt.update(200, 0, true, i + 1);
    expect(rtt.smoothedRtt).toBeCloseTo(200, 6);
    expect(rtt.pto(false)).toBeCloseTo(200 + K_GRANULARITY_US, 6);
    expect(rtt.pto(true)).toBeCloseTo(200 + K_GRANULARITY_US + 10_000, 6);
  });

  it('persistent congestion duration = (srtt + max(4 rttvar, 1 ms) + max_ack_delay) * 3', () => {
    const rtt = new RttEstimator({ maxAckDelayUs: 25_000 });
    rtt.update(100_000, 0, true, 0);
    expect(rtt.persistentCongestionDuration()).toBe((100_000 + 200_000 + 25_000) * 3);
    rtt.setMaxAckDelay(0);
    expect(rtt.persistentCongestionDuration()).toBe(300_000 * 3);
  });

  it('keeps the estimates in whole microseconds, rounded to the nearest, for small and huge RTTs', () => {
    // Exact §5.3 values, compared after rounding: the integer path (shifts) and the path above
    // 2^28 µs (ordinary arithmetic) must both follow them within half a microsecond.
    for (const scale of [1, 3_000]) {
      const rtt = new RttEstimator({ initialRttUs: 333_333 * scale });
      expect(rtt.rttvar).toBe(Math.round((333_333 * scale) / 2));
      let srtt = 0;
      let rttvar = 0;
      const samples = [100_001, 99_997, 130_003, 77_777, 100_000, 123_457];
      samples.forEach((base, i) => {
        const sample = base * scale + 1;
        rtt.update(sample, 0, true, i);
        if (i === 0) {
          srtt = sample;
          rttvar = Math.round(sample / 2);
        } else {
          rttvar = Math.round(0.75 * rttvar + 0.25 * Math.abs(srtt - sample));
          srtt = Math.round(0.875 * srtt + 0.125 * sample);
        }
        expect(Number.isInteger(rtt.smoothedRtt) && Number.isInteger(rtt.rttvar)).toBe(true);
        expect(Math.abs(rtt.smoothedRtt - srtt)).toBeLessThanOrEqual(1);
        expect(Math.abs(rtt.rttvar - rttvar)).toBeLessThanOrEqual(1);
        srtt = rtt.smoothedRtt;
        rttvar = rtt.rttvar;
      });
    }
  });

  it('rounds fractional samples (a host clock with sub-microsecond readings)', () => {
    const rtt = new RttEstimator();
    rtt.update(100_000.4, 0, true, 0);
    rtt.update(100_007.6, 0.5, true, 1);
    expect(Number.isInteger(rtt.smoothedRtt)).toBe(true);
    expect(Number.isInteger(rtt.rttvar)).toBe(true);
    expect(rtt.smoothedRtt).toBe(100_001);
  });
});
