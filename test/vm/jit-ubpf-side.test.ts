/**
 * The uBPF side of bench:vm (bench/ubpf/side.ts): the digest it compares uBPF's mem with, and
 * the checks on the runner's output. uBPF itself is not part of the repository, so the runner is
 * not run here.
 */
import { describe, expect, it } from 'vitest';
import { fnv1a64, parseRunnerOutput } from '../../bench/ubpf/side.js';
import { fnv1a, seededBytes } from '../../bench/kernels.js';

const text = (s: string) => new TextEncoder().encode(s);

describe('fnv1a64 (the runner\'s mem digest)', () => {
  it('gives the FNV-1a 64 check values', () => {
    expect(fnv1a64(text(''))).toBe(0xcbf29ce484222325n);
    expect(fnv1a64(text('a'))).toBe(0xaf63dc4c8601ec8cn);
    expect(fnv1a64(text('foobar'))).toBe(0x85944171f73967e8n);
  });

  it('agrees with the fnv1a kernel\'s TypeScript twin on random bytes', () => {
    for (const size of [1, 7, 300, 4096]) {
      const bytes = seededBytes(size, size * 7919 + 1);
      expect(fnv1a64(bytes)).toBe(fnv1a(bytes.slice()));
    }
  });
});

describe('parseRunnerOutput', () => {
  const good = {
    engine: 'ubpf-jit',
    runs: 2,
    r0: '0xcbf43926',
    mem_fnv1a: '0x06d5573923c6cdfc',
    ns: [200, 180],
    call_ns: [150, 140],
    median_ns: 200,
    min_ns: 180,
    median_call_ns: 150,
  };
  const line = (o: object) => `${JSON.stringify(o)}\n`;

  it('reads r0, the digest and the samples of the last line', () => {
    const r = parseRunnerOutput(`noise\n${line(good)}`, 'ubpf-jit', 2);
    expect(r).toEqual({ engine: 'ubpf-jit', r0: 0xcbf43926n, memDigest: 0x06d5573923c6cdfcn, ns: [200, 180], callNs: [150, 140] });
  });

  it('rejects output that is not what was asked or not well formed', () => {
    expect(() => parseRunnerOutput('', 'ubpf-jit', 2)).toThrow(/not JSON/);
    expect(() => parseRunnerOutput('null', 'ubpf-jit', 2)).toThrow(/object/);
    expect(() => parseRunnerOutput(line(good), 'ubpf-interpreter', 2)).toThrow(/engine/);
    expect(() => parseRunnerOutput(line(good), 'ubpf-jit', 3)).toThrow(/runs/);
    expect(() => parseRunnerOutput(line({ ...good, ns: [200] }), 'ubpf-jit', 2)).toThrow(/"ns"/);
    expect(() => parseRunnerOutput(line({ ...good, call_ns: [1, -1] }), 'ubpf-jit', 2)).toThrow(/"call_ns"/);
    expect(() => parseRunnerOutput(line({ ...good, r0: 'cbf43926' }), 'ubpf-jit', 2)).toThrow(/r0/);
    expect(() => parseRunnerOutput(line({ ...good, r0: '0x10000000000000000' }), 'ubpf-jit', 2)).toThrow(/r0/);
    expect(() => parseRunnerOutput(line({ ...good, mem_fnv1a: 7 }), 'ubpf-jit', 2)).toThrow(/mem_fnv1a/);
  });
});
