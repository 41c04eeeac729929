/**
 * Every `npm run fuzz:quic` target for a small fixed number of cases (CI's share of the long
 * runs), and proof that the runner fails on a broken parser: an escaped exception, a value that
 * breaks the round trip, and a hang are each reported with a seed and case that replay.
 */
import { describe, expect, it } from 'vitest';
import { decodeTransportParameters } from '../../../src/quic/wire/transport-params.js';
import { describeFailure, runCase, runTarget, toHex } from './runner.js';
import { TARGETS } from './targets.js';
import { transportParametersTarget } from './wire-targets.js';

const SEED = 0x5eed_0f0c;

/** Cases per target: parsers are cheap, a `conn` case is a whole handshake. */
const CASES: Record<string, number> = {
  frames: 3000, headers: 2000, 'transport-params': 2000, varints: 2000, tls: 600, x509: 800, manifest: 1500, conn: 150,
};

/** Outcomes each target must reach, so a mutator stuck at the first byte cannot pass. */
const MUST_SEE: Record<string, RegExp[]> = {
  frames: [/^FRAME_ENCODING_ERROR$/, /^parsed /, /agrees$/, /^parsed payload$/],
  headers: [/^PROTOCOL_VIOLATION/, /^1RTT/, /^initial/, /retry/, /vn/],
  'transport-params': [/^decoded$/, /^TRANSPORT_PARAMETER_ERROR$/],
  varints: [/^decoded$/, /^FRAME_ENCODING_ERROR$/],
  tls: [/decode_error$/, /complete$|waiting$/],
  x509: [/^parsed$/, /^alert 50$/, /^key ok$/],
  manifest: [/^parsed$/, /^ManifestError$/],
  conn: [/^crafted /, /^alive$/, /^closed /],
};

describe('fuzz:quic targets keep their contracts', () => {
  it.each(TARGETS.map((t) => [t.name, t] as const))('%s', (name, target) => {
    const report = runTarget(target, { seed: SEED, cases: CASES[name] ?? 500 });
    expect(report.failure, report.failure && describeFailure(report)).toBeUndefined();
    expect(report.cases).toBe(CASES[name] ?? 500);
    const seen = [...report.outcomes.keys()];
    for (const want of MUST_SEE[name] ?? []) expect(seen.some((o) => want.test(o)), `${name} never reached ${want}: ${seen.join(', ')}`).toBe(true);
  });
});

describe('the runner catches broken parsers', () => {
  it('an escaped RangeError fails with the seed, the case and the input, and the case replays', () => {
    const broken = transportParametersTarget((bytes, sender) => {
      // A decoder with an unchecked read: RangeError on inputs whose first byte is odd.
      if (bytes.length > 0 && (bytes[0]! & 1) === 1) throw new RangeError('offset is out of bounds');
      return decodeTransportParameters(bytes, sender);
    });
    const report = runTarget(broken, { seed: SEED, cases: 500 });
    expect(report.failure).toBeDefined();
    const f = report.failure!;
    expect(f.problem).toMatch(/escaped exception .*RangeError: offset is out of bounds/);
    expect(f.input[0]! & 1).toBe(1);
    const text = describeFailure(report);
    expect(text).toContain(`seed ${SEED} case ${f.index}`);
    expect(text).toContain(toHex(f.input));
    expect(text).toContain(`--target transport-params --seed ${SEED} --case ${f.index}`);
    // Replaying the case alone gives the same input and the same failure.
    const again = runCase(broken, SEED, f.index);
    expect(toHex(again.input)).toBe(toHex(f.input));
    const firstLine = (t: string | undefined) => t?.split('\n')[0];
    expect(firstLine(again.problem)).toBe(firstLine(f.problem));
    // The cases before it passed: the first failure stops the run.
    expect(report.cases).toBe(f.index + 1);
  });

  it('a decoder that returns a wrong value fails the round trip, not only exceptions', () => {
    const broken = transportParametersTarget((bytes, sender) => {
      const p = decodeTransportParameters(bytes, sender);
      return { ...p, maxIdleTimeout: p.maxIdleTimeout + 1 };
    });
    const report = runTarget(broken, { seed: SEED, cases: 500 });
    expect(report.failure?.problem).toBe('transport parameters round trip differs');
  });

  it('a decoder that takes too long is flagged as a hang', () => {
    const broken = transportParametersTarget((bytes, sender) => {
      if (bytes.length > 40) {
        const until = performance.now() + 60;
        while (performance.now() < until);
      }
      return decodeTransportParameters(bytes, sender);
    });
    const report = runTarget(broken, { seed: SEED, cases: 500 });
    expect(report.failure?.problem).toMatch(/^hang: \d+\.\d ms then \d+\.\d ms \(bound 50 ms\)$/);
    expect(report.failure!.input.length).toBeGreaterThan(40);
  });
});
