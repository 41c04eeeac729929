import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runConformance } from '../../src/vm/conformance.js';

const DIR = fileURLToPath(new URL('../fixtures/conformance', import.meta.url));

describe('bpf_conformance suite (JIT)', () => {
  it('passes every test file with the results and errors of the interpreter', () => {
    const jit = runConformance([join(DIR, 'tests')], { engine: 'jit' });
    const interp = runConformance([join(DIR, 'tests')], { engine: 'interpreter' });
    const failures = jit.results.filter((r) => r.outcome === 'fail');
    expect(failures.map((f) => `${f.file}: ${f.detail} expected ${f.expected} actual ${f.actual}`)).toEqual([]);
    expect(jit.results.map((r) => [r.outcome, r.actual])).toEqual(interp.results.map((r) => [r.outcome, r.actual]));
    expect(jit.passed).toBe(readdirSync(join(DIR, 'tests')).filter((f) => f.endsWith('.data')).length - jit.skipped);
  });
});
