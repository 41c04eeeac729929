import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDataFile, runConformance, runDataFile, runDataTest } from '../../src/vm/conformance.js';

const DIR = fileURLToPath(new URL('../fixtures/conformance', import.meta.url));

describe('bpf_conformance suite (interpreter)', () => {
  const summary = runConformance([join(DIR, 'tests')]);

  it('passes every test file; skips only the legacy packet group', () => {
    const failures = summary.results.filter((r) => r.outcome === 'fail');
    expect(failures.map((f) => `${f.file}: ${f.detail} expected ${f.expected} actual ${f.actual}`)).toEqual([]);
    for (const s of summary.results.filter((r) => r.outcome === 'skip')) expect(s.detail).toMatch(/group packet/);
    expect(summary.passed).toBe(readdirSync(join(DIR, 'tests')).filter((f) => f.endsWith('.data')).length - summary.skipped);
    expect(summary.passed).toBeGreaterThan(200);
  });
});

describe('bpf_conformance negative files', () => {
  const neg = (name: string) => runDataFile(join(DIR, 'negative', name));

  it('rejects every non-zero reserved field at load (unused-*.data, "-- error" matches any error)', () => {
    const files = readdirSync(join(DIR, 'negative')).filter((f) => f.startsWith('unused-'));
    expect(files.length).toBeGreaterThanOrEqual(20);
    for (const f of files) {
      const r = neg(f);
      expect(r.outcome, f).toBe('pass');
      expect(r.actual, f).toMatch(/^error /);
    }
  });

  it('gives the expected assembler error for malformed assembly', () => {
    for (const f of ['invalid_lock.data', 'invalid_lock2.data']) {
      const r = neg(f);
      expect(r.outcome).toBe('fail');
      expect(r.detail).toContain('Invalid number of operands for lock');
    }
    for (const f of ['invalid_imm32_hex_range.data', 'invalid_mnemonic.data', 'invalid_offset.data', 'invalid_offset_range.data', 'invalid_operand_count.data']) {
      const r = neg(f);
      expect(r.outcome, f).toBe('fail');
      expect(r.detail, f).toMatch(/^assembler error: /);
    }
  });

  it('reports the files that are not well-formed tests as failures', () => {
    expect(neg('empty_instructions.data')).toMatchObject({ outcome: 'fail', detail: 'no -- asm or -- raw section' });
    expect(neg('invalid_unknown_directive.data')).toMatchObject({ outcome: 'fail' });
    expect(neg('invalid_unknown_directive.data').detail).toMatch(/unknown section/);
    // `or %r0, %r10` is valid: it returns a value where the file expects an error.
    expect(neg('error.data')).toMatchObject({ outcome: 'fail', detail: 'expected an error, the program returned' });
  });

  it('never passes a negative file except the reserved-field ones', () => {
    const all = runConformance([join(DIR, 'negative')]);
    for (const r of all.results) {
      if (r.outcome === 'pass') expect(r.file).toMatch(/unused-/);
    }
    expect(all.failed).toBe(10);
  });
});

describe('.data parser and runner', () => {
  it('parses result, mem, raw words and raw bytes', () => {
    const t = parseDataFile('# c\n-- asm\nmov %r0, 1\nexit\n-- mem\n00 01\n0x02\n-- result\n0x1\n');
    expect(t.mem).toEqual(new Uint8Array([0, 1, 2]));
    expect(t.result).toBe(1n);
    const lddw = parseDataFile(readFileSync(join(DIR, 'tests', 'lddw.data'), 'utf8'));
    expect(lddw.raw?.length).toBe(24);
    expect(parseDataFile('-- raw\n95 00 00 00 00 00 00 00\n-- result\n7').result).toBe(7n);
  });

  it('reads decimal and negative results as 64-bit', () => {
    expect(parseDataFile('-- asm\nexit\n-- result\n-1').result).toBe(0xffffffffffffffffn);
  });

  it('fails a wrong result with expected and actual values', () => {
    const r = runDataTest('x', { asm: 'mov %r0, 2\nexit', result: 3n });
    expect(r).toMatchObject({ outcome: 'fail', detail: 'wrong result', expected: '0x3', actual: '0x2' });
  });

  it('matches an expected runtime error by substring', () => {
    const r = runDataTest('x', { asm: 'ldxw %r0, [%r1+0]\nexit', error: 'out of bounds memory load' });
    expect(r.outcome).toBe('pass');
    const r2 = runDataTest('x', { asm: 'ldxw %r0, [%r1+0]\nexit', error: 'something else' });
    expect(r2).toMatchObject({ outcome: 'fail', detail: 'different error' });
  });

  it('stops a looping test with its fuel', () => {
    const r = runDataTest('x', { asm: 'l:\nadd %r0, 1\nja l\nexit', result: 0n }, { fuel: 1000 });
    expect(r.outcome).toBe('fail');
    expect(r.actual).toMatch(/instruction budget of 1000 exhausted/);
  });

  it('rejects unknown and duplicate sections, bad bytes and bad results', () => {
    expect(() => parseDataFile('-- asm\n-- asm\n')).toThrow(/duplicate section/);
    expect(() => parseDataFile('-- bogus\n')).toThrow(/unknown section/);
    expect(() => parseDataFile('-- mem\nzz\n')).toThrow(/bad byte 'zz'/);
    expect(() => parseDataFile('-- result\nabc\n')).toThrow(/bad result/);
    expect(() => parseDataFile('mov %r0, 1\n')).toThrow(/before the first section/);
  });
});
