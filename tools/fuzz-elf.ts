/**
 * Standalone ELF loader fuzzer (the long-running version of test/vm/elf-fuzz.test.ts).
 *
 *   npm run fuzz:elf -- [--cases N] [--seed S] [--fixture NAME] [--case K] [--dir DIR]
 *
 * Mutates the objects in plugins-c/elf-tests/*.o (round-robin, or only --fixture) and checks
 * that loadElf / inspectElf either return a sane image or throw a genuine ElfError. On the first
 * failure it prints the seed, fixture, case index and mutation, writes the input to the OS temp
 * directory and exits with status 1. `--case K` replays a single case (needs --seed and
 * --fixture) and prints what the loader says about it.
 */

import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { ElfError } from '../src/vm/errors.js';
import { loadElf } from '../src/vm/elf.js';
import { checkInput, elfLayout, mutate, type ElfLayout } from '../test/vm/elf-mutator.js';

interface Options {
  cases: number;
  seed: number;
  fixture: string | undefined;
  replay: number | undefined;
  dir: string;
}

function usage(message: string): never {
  console.error(`fuzz-elf: ${message}`);
  console.error('usage: npm run fuzz:elf -- [--cases N] [--seed S] [--fixture NAME.o] [--case K] [--dir DIR]');
  process.exit(2);
}

function parseArgs(argv: string[]): Options {
  // run-ts sets argv[1] to the resolved path of this file.
  const here = dirname(resolve(process.argv[1] ?? 'tools/fuzz-elf.ts'));
  const opts: Options = {
    cases: 1_000_000,
    seed: (Date.now() ^ (process.pid << 8)) >>> 0,
    fixture: undefined,
    replay: undefined,
    dir: join(here, '..', 'plugins-c', 'elf-tests'),
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) usage(`${arg} needs a value`);
      return v;
    };
    const int = (v: string) => {
      const n = Number(v);
      if (!Number.isSafeInteger(n) || n < 0) usage(`${arg}: not a non-negative integer: ${v}`);
      return n;
    };
    switch (arg) {
      case '--cases':
        opts.cases = int(value());
        break;
      case '--seed':
        opts.seed = int(value()) >>> 0;
        break;
      case '--fixture':
        opts.fixture = value();
        break;
      case '--case':
        opts.replay = int(value());
        break;
      case '--dir':
        opts.dir = resolve(value());
        break;
      case '--help':
      case '-h':
        usage('help');
        break;
      default:
        usage(`unknown argument ${arg}`);
    }
  }
  return opts;
}

interface Fixture {
  name: string;
  bytes: Uint8Array;
  layout: ElfLayout;
}

function loadFixtures(opts: Options): Fixture[] {
  let names: string[];
  try {
    names = readdirSync(opts.dir).filter((f) => f.endsWith('.o')).sort();
  } catch (e) {
    usage(`cannot read ${opts.dir}: ${(e as Error).message}`);
  }
  if (opts.fixture !== undefined) {
    const want = opts.fixture.endsWith('.o') ? opts.fixture : `${opts.fixture}.o`;
    names = names.filter((n) => n === basename(want));
    if (names.length === 0) usage(`no fixture ${want} in ${opts.dir}`);
  }
  if (names.length === 0) usage(`no .o files in ${opts.dir}`);
  return names.map((name) => {
    const bytes = new Uint8Array(readFileSync(join(opts.dir, name)));
    const problem = checkInput(bytes);
    if (problem !== undefined) {
      console.error(`fixture ${name} itself fails: ${problem}`);
      process.exit(1);
    }
    return { name, bytes, layout: elfLayout(bytes) };
  });
}

function main(): void {
  const opts = parseArgs(process.argv.slice(2));
  const fixtures = loadFixtures(opts);

  if (opts.replay !== undefined) {
    if (fixtures.length !== 1) usage('--case needs --fixture');
    const f = fixtures[0]!;
    const m = mutate(f.bytes, f.layout, opts.seed, opts.replay);
    console.log(`seed ${opts.seed} fixture ${f.name} case ${opts.replay}: ${m.desc} (${m.bytes.length} bytes)`);
    try {
      const img = loadElf(m.bytes);
      console.log(`loaded: ${img.code.length / 8} slots, ${img.functions.length} functions, entry ${img.entry}`);
    } catch (e) {
      console.log(e instanceof ElfError ? `${e.name} ${e.code}: ${e.message}` : e);
    }
    const problem = checkInput(m.bytes);
    console.log(problem === undefined ? 'ok' : `FAIL: ${problem}`);
    process.exit(problem === undefined ? 0 : 1);
  }

  console.log(
    `fuzz-elf: seed ${opts.seed}, ${opts.cases} cases over ${fixtures.map((f) => f.name).join(', ')}`,
  );
  const start = Date.now();
  let lastReport = start;
  const outcomes = new Map<string, number>();
  // Each fixture gets its own case numbering, so a case is (seed, fixture, index).
  for (let i = 0; i < opts.cases; i++) {
    const f = fixtures[i % fixtures.length]!;
    const index = Math.floor(i / fixtures.length);
    const m = mutate(f.bytes, f.layout, opts.seed, index);
    const problem = checkInput(m.bytes);
    if (problem !== undefined) {
      const file = join(tmpdir(), `pquic-elf-fuzz-${opts.seed}-${f.name.replace(/\.o$/, '')}-${index}.o`);
      writeFileSync(file, m.bytes);
      console.error(`\nFAIL seed ${opts.seed} fixture ${f.name} case ${index}`);
      console.error(`mutation: ${m.desc}`);
      console.error(problem);
      console.error(`input written to ${file}`);
      console.error(`replay: npm run fuzz:elf -- --seed ${opts.seed} --fixture ${f.name} --case ${index}`);
      process.exit(1);
    }
    let outcome = 'loaded';
    try {
      loadElf(m.bytes);
    } catch (e) {
      outcome = (e as ElfError).code;
    }
    outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    const now = Date.now();
    if (now - lastReport >= 5000 || i + 1 === opts.cases) {
      lastReport = now;
      const secs = (now - start) / 1000;
      const summary = [...outcomes].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ');
      console.log(`${i + 1} cases, ${secs.toFixed(1)} s, ${Math.round((i + 1) / secs)} cases/s — ${summary}`);
    }
  }
  console.log('fuzz-elf: no failures');
}

main();
