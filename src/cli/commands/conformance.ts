import { engineOpt, flag, intOpt, parse, UsageError } from '../args.js';
import type { Command, Io } from '../io.js';
import { collectDataFiles, runDataFile, type TestResult } from '../../vm/conformance.js';

const usage = `usage: pquic conformance <dir|file>... [options]

Runs bpf_conformance .data test files (sections asm, raw, mem, result, error) and ends with
'N passed, M failed, K skipped'. Exits 1 when any test fails. Only the legacy packet group
(LD_ABS/LD_IND) is skipped, and every skip is listed.

options:
  --engine E     interpreter (default) | jit
  --fuel N       instruction budget per test (default 100000000)
  --json         one JSON object with every result
  -v, --verbose  list passing tests too
  -h, --help`;

export const conformanceCommand: Command = {
  name: 'conformance',
  summary: 'run bpf_conformance .data tests',
  usage,
  run(argv: string[], io: Io): number {
    const p = parse(argv, { engine: { type: 'string' }, json: { type: 'boolean' }, verbose: { type: 'boolean', short: 'v' }, fuel: { type: 'string' } });
    if (p.positionals.length === 0) throw new UsageError('expected at least one directory or .data file');
    const engine = engineOpt(p);
    const fuel = intOpt(p, 'fuel', 1, 2 ** 53) ?? 100_000_000;
    let files: string[];
    try {
      files = collectDataFiles(p.positionals);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    if (files.length === 0) throw new UsageError('no .data files found');
    const results: TestResult[] = [];
    const json = flag(p, 'json');
    for (const f of files) {
      const r = runDataFile(f, { engine, fuel });
      results.push(r);
      if (json) continue;
      if (r.outcome === 'fail') {
        io.out(`FAIL ${r.file}: ${r.detail}`);
        if (r.expected !== undefined) io.out(`     expected ${r.expected}`);
        if (r.actual !== undefined) io.out(`     actual   ${r.actual}`);
      } else if (r.outcome === 'skip') {
        io.out(`SKIP ${r.file}: ${r.detail}`);
      } else if (flag(p, 'verbose')) {
        io.out(`PASS ${r.file}`);
      }
    }
    const passed = results.filter((r) => r.outcome === 'pass').length;
    const failed = results.filter((r) => r.outcome === 'fail').length;
    const skipped = results.filter((r) => r.outcome === 'skip').length;
    if (json) io.out(JSON.stringify({ engine, passed, failed, skipped, results }, null, 2));
    else io.out(`${passed} passed, ${failed} failed, ${skipped} skipped`);
    return failed > 0 ? 1 : 0;
  },
};
