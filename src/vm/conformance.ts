/**
 * Runs bpf_conformance `.data` files (reference/ebpf.md §2): sections `-- asm`, `-- raw`, `-- mem`,
 * `-- result`, `-- error` (plus `-- c` and `-- no register offset`, which carry notes for other
 * runners and are ignored). A test passes when the program's r0 equals `-- result`, or when
 * loading or running fails with a message containing `-- error` (an empty one matches any error).
 * A file that cannot be parsed or assembled is a failed test. Only the legacy packet group
 * (LD_ABS/LD_IND) is skipped.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { assemble } from './asm.js';
import { VmError } from './errors.js';
import { OPCODES, OP_LDDW } from './isa.js';
import { Vm, type Engine } from './vm.js';

export interface DataTest {
  asm?: string;
  raw?: Uint8Array;
  mem?: Uint8Array;
  result?: bigint;
  /** Expected error text; '' means any error. */
  error?: string;
}

export class DataFileError extends Error {
  constructor(message: string, readonly line: number) {
    super(line > 0 ? `${message} (line ${line})` : message);
    this.name = 'DataFileError';
  }
}

const KNOWN_SECTIONS = new Set(['asm', 'raw', 'mem', 'result', 'error', 'c', 'no register offset']);

/** Parses the text of a `.data` file. Throws DataFileError on anything it cannot read. */
export function parseDataFile(text: string): DataTest {
  const sections = new Map<string, { lines: string[]; line: number }>();
  let current: { lines: string[]; line: number } | undefined;
  text.split(/\r?\n/).forEach((raw, i) => {
    const m = /^--\s*(.*?)\s*$/.exec(raw);
    if (m) {
      const name = m[1]!;
      if (!KNOWN_SECTIONS.has(name)) throw new DataFileError(`unknown section '-- ${name}'`, i + 1);
      if (sections.has(name)) throw new DataFileError(`duplicate section '-- ${name}'`, i + 1);
      current = { lines: [], line: i + 2 };
      sections.set(name, current);
      return;
    }
    if (current) current.lines.push(raw);
    else if (raw.trim() !== '' && !raw.trimStart().startsWith('#')) {
      throw new DataFileError('text before the first section', i + 1);
    }
  });
  const t: DataTest = {};
  const body = (name: string): { text: string; line: number } | undefined => {
    const s = sections.get(name);
    return s && { text: s.lines.join('\n'), line: s.line };
  };
  const strip = (s: string): string => s.split('\n').map((l) => l.replace(/#.*$/, '').trim()).filter((l) => l !== '').join(' ');
  const asm = body('asm');
  if (asm) t.asm = asm.text;
  const raw = body('raw');
  if (raw) t.raw = parseRaw(strip(raw.text), raw.line);
  const mem = body('mem');
  if (mem) t.mem = parseHexBytes(strip(mem.text), mem.line);
  const result = body('result');
  if (result) {
    const v = strip(result.text);
    try {
      t.result = BigInt.asUintN(64, v.includes('0x') ? BigInt(v) : BigInt(v.replace(/^\+/, '')));
    } catch {
      throw new DataFileError(`bad result '${v}'`, result.line);
    }
  }
  const error = body('error');
  if (error) t.error = error.text.split('\n').filter((l) => !l.trim().startsWith('#')).join('\n').trim();
  return t;
}

/** `-- raw`: either 64-bit words (`0x5566778800000018`, the instruction as a little-endian u64) or bytes. */
function parseRaw(text: string, line: number): Uint8Array {
  const tokens = text.split(/\s+/).filter((x) => x !== '');
  if (tokens.every((x) => /^0x[0-9a-f]{1,16}$/i.test(x)) && tokens.some((x) => x.length > 4)) {
    const out = new Uint8Array(tokens.length * 8);
    const dv = new DataView(out.buffer);
    tokens.forEach((x, i) => dv.setBigUint64(i * 8, BigInt(x), true));
    return out;
  }
  return parseHexBytes(text, line);
}

function parseHexBytes(text: string, line: number): Uint8Array {
  const tokens = text.split(/\s+/).filter((x) => x !== '');
  const out = new Uint8Array(tokens.length);
  tokens.forEach((x, i) => {
    const v = x.replace(/^0x/i, '');
    if (!/^[0-9a-f]{1,2}$/i.test(v)) throw new DataFileError(`bad byte '${x}'`, line);
    out[i] = parseInt(v, 16);
  });
  return out;
}

export type Outcome = 'pass' | 'fail' | 'skip';

export interface TestResult {
  file: string;
  outcome: Outcome;
  /** Why it failed or was skipped. */
  detail?: string;
  expected?: string;
  actual?: string;
}

/** The legacy packet group is the only one we may skip (RFC 9669 calls it historical). */
function packetInsn(code: Uint8Array): string | undefined {
  for (let pc = 0; pc < code.length >> 3; pc++) {
    const op = code[pc * 8]!;
    const info = OPCODES.get(op);
    if (info?.kind === 'ld_packet') return info.name;
    if (op === OP_LDDW) pc++;
  }
  return undefined;
}

const hex = (v: bigint): string => '0x' + v.toString(16);

export interface RunOptions {
  /** Engine to run the tests on (default the interpreter). */
  engine?: Engine;
  /** Instruction budget per test, so a broken program cannot hang the run. */
  fuel?: number;
}

/** Runs one parsed test. */
export function runDataTest(file: string, t: DataTest, opts: RunOptions = {}): TestResult {
  let code: Uint8Array;
  try {
    if (t.asm !== undefined) {
      code = assemble(t.asm);
      if (t.raw && !equalBytes(code, t.raw)) {
        return { file, outcome: 'fail', detail: '-- asm and -- raw sections encode different programs' };
      }
    } else if (t.raw) {
      code = t.raw;
    } else {
      return { file, outcome: 'fail', detail: 'no -- asm or -- raw section' };
    }
  } catch (e) {
    return { file, outcome: 'fail', detail: `assembler error: ${(e as Error).message}` };
  }
  if (t.result === undefined && t.error === undefined) {
    return { file, outcome: 'fail', detail: 'no -- result or -- error section' };
  }
  const packet = packetInsn(code);
  if (packet) return { file, outcome: 'skip', detail: `legacy packet instruction ${packet} (group packet)` };

  const expected = t.error !== undefined ? `error ${JSON.stringify(t.error)}` : hex(t.result!);
  let actual: string;
  let failed: string | undefined;
  try {
    const vm = new Vm({ engine: opts.engine ?? 'interpreter' });
    // bpf_conformance's only helper: id 5, unwind(a) = a.
    vm.registerHelper(5, 'unwind', (c) => c.u64(1));
    vm.load(code);
    const r = vm.exec({ mem: t.mem ?? new Uint8Array(0), fuel: opts.fuel ?? 100_000_000 });
    actual = hex(r.r0);
    if (t.error !== undefined) failed = 'expected an error, the program returned';
    else if (r.r0 !== t.result) failed = 'wrong result';
  } catch (e) {
    if (!(e instanceof VmError)) throw e;
    actual = `error ${JSON.stringify(e.message)}`;
    if (t.error === undefined) failed = 'unexpected error';
    else if (!e.message.toLowerCase().includes(t.error.toLowerCase())) failed = 'different error';
  }
  return failed ? { file, outcome: 'fail', detail: failed, expected, actual } : { file, outcome: 'pass', expected, actual };
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Expands files and directories (recursively, `.data` files only, sorted). */
export function collectDataFiles(paths: string[]): string[] {
  const out: string[] = [];
  const walk = (p: string): void => {
    const st = statSync(p);
    if (st.isDirectory()) {
      for (const name of readdirSync(p).sort()) walk(join(p, name));
    } else if (p.endsWith('.data')) {
      out.push(p);
    }
  };
  for (const p of paths) walk(p);
  return out;
}

export function runDataFile(path: string, opts: RunOptions = {}): TestResult {
  let t: DataTest;
  try {
    t = parseDataFile(readFileSync(path, 'utf8'));
  } catch (e) {
    return { file: path, outcome: 'fail', detail: `cannot parse: ${(e as Error).message}` };
  }
  return runDataTest(path, t, opts);
}

export interface Summary {
  passed: number;
  failed: number;
  skipped: number;
  results: TestResult[];
}

export function runConformance(paths: string[], opts: RunOptions = {}): Summary {
  const results = collectDataFiles(paths).map((f) => runDataFile(f, opts));
  return {
    passed: results.filter((r) => r.outcome === 'pass').length,
    failed: results.filter((r) => r.outcome === 'fail').length,
    skipped: results.filter((r) => r.outcome === 'skip').length,
    results,
  };
}

