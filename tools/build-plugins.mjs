#!/usr/bin/env node
// Compiles every C plugin source under plugins-c/ (except plugins-c/include) to the BPF object
// next to it. The objects are committed, so that running plugins needs no compiler; CI runs this
// script with --check to prove that they are exactly what the sources produce.
//
//   node tools/build-plugins.mjs            rebuild every plugins-c/**/*.o
//   node tools/build-plugins.mjs --check    build into a temporary directory and compare byte for
//                                           byte with the committed objects; exit 1 on any difference
//
// Each source is compiled from the repository root with
//   $CLANG -O2 -target bpf -mcpu=v3 -Wall -Werror -I plugins-c/include
//          -fdebug-prefix-map=<repo root>=. [build-flags] -c <source> -o <object>
// where [build-flags] are the words after `// build-flags:` on the source's first line, if any.
// Paths are given relative to the root and the root is mapped to `.` in debug info, so the
// objects do not depend on where the repository is checked out.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, existsSync, mkdirSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PLUGINS_DIR = 'plugins-c';
const INCLUDE_DIR = 'plugins-c/include';
const CLANG = process.env.CLANG || 'clang';
const BASE_FLAGS = ['-O2', '-target', 'bpf', '-mcpu=v3', '-Wall', '-Werror', '-I', INCLUDE_DIR];
const BUILD_FLAGS_RE = /^\s*\/\/\s*build-flags:(.*)$/;

/** Every .c under plugins-c/ except the include directory, as sorted root-relative POSIX paths. */
function findSources() {
  const found = [];
  const walk = (rel) => {
    for (const entry of readdirSync(join(ROOT, rel), { withFileTypes: true })) {
      const child = `${rel}/${entry.name}`;
      if (entry.isDirectory()) {
        if (child !== INCLUDE_DIR) walk(child);
      } else if (entry.isFile() && entry.name.endsWith('.c')) {
        found.push(child);
      }
    }
  };
  walk(PLUGINS_DIR);
  return found.sort();
}

/** Extra flags from a first-line `// build-flags: ...` comment. */
function extraFlags(source) {
  const text = readFileSync(join(ROOT, source), 'utf8');
  const firstLine = text.split('\n', 1)[0] ?? '';
  const m = BUILD_FLAGS_RE.exec(firstLine);
  return m ? m[1].trim().split(/\s+/).filter((w) => w.length > 0) : [];
}

function clangArgs(source, object) {
  return [...BASE_FLAGS, `-fdebug-prefix-map=${ROOT}=.`, ...extraFlags(source), '-c', source, '-o', object];
}

/** Runs clang from the repository root; resolves to { ok, output }. */
function runClang(args) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(CLANG, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ ok: code === 0, output }));
  });
}

async function checkCompiler() {
  try {
    const { ok, output } = await runClang(['--version']);
    if (!ok) throw new Error(output.trim());
  } catch (e) {
    const why = e && e.code === 'ENOENT' ? 'not found' : String(e && e.message ? e.message : e);
    console.error(
      `build-plugins: cannot run the C compiler '${CLANG}' (${why}).\n` +
        `Install clang with BPF support (Debian: apt-get install clang), or set CLANG=/path/to/clang.`,
    );
    process.exit(2);
  }
}

/** Runs `jobs` (functions returning promises) with at most `limit` in flight; keeps their order. */
async function pool(jobs, limit) {
  const results = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
  return results;
}

/** Compiles each source to objectFor(source); returns the list of sources that failed. */
async function compileAll(sources, objectFor) {
  const results = await pool(
    sources.map((source) => async () => {
      const object = objectFor(source);
      mkdirSync(dirname(join(ROOT, object)), { recursive: true });
      const { ok, output } = await runClang(clangArgs(source, object));
      if (output.trim().length > 0) process.stderr.write(output);
      return ok ? null : source;
    }),
    Math.max(1, availableParallelism()),
  );
  return results.filter((s) => s !== null);
}

const toObject = (source) => source.replace(/\.c$/, '.o');
const toPosix = (p) => p.split(sep).join('/');

async function main() {
  const args = process.argv.slice(2);
  const unknown = args.filter((a) => a !== '--check');
  if (unknown.length > 0) {
    console.error(`usage: node tools/build-plugins.mjs [--check]   (unknown: ${unknown.join(' ')})`);
    process.exit(2);
  }
  const check = args.includes('--check');
  const sources = findSources();
  if (sources.length === 0) {
    console.log('build-plugins: no C sources under plugins-c/');
    return;
  }
  await checkCompiler();

  if (!check) {
    const failed = await compileAll(sources, toObject);
    if (failed.length > 0) {
      console.error(`build-plugins: ${failed.length} of ${sources.length} failed: ${failed.join(', ')}`);
      process.exit(1);
    }
    console.log(`build-plugins: built ${sources.length} objects`);
    return;
  }

  const tmp = mkdtempSync(join(tmpdir(), 'pquic-build-plugins-'));
  try {
    // Relative to the root like the real build, so the command lines differ only in -o.
    const tmpRel = toPosix(relative(ROOT, tmp));
    const failed = await compileAll(sources, (source) => `${tmpRel}/${toObject(source)}`);
    const problems = failed.map((s) => `${s}: does not compile`);
    for (const source of sources) {
      if (failed.includes(source)) continue;
      const object = toObject(source);
      if (!existsSync(join(ROOT, object))) {
        problems.push(`${object}: not committed (run npm run build:plugins)`);
        continue;
      }
      const committed = readFileSync(join(ROOT, object));
      const fresh = readFileSync(join(tmp, object));
      if (!committed.equals(fresh)) {
        problems.push(`${object}: differs from what ${source} compiles to (run npm run build:plugins)`);
      }
    }
    if (problems.length > 0) {
      for (const p of problems) console.error(`build-plugins --check: ${p}`);
      console.error(`build-plugins --check: ${problems.length} problem(s) in ${sources.length} sources`);
      process.exitCode = 1; // not process.exit(): the finally block must still remove the temp dir
      return;
    }
    console.log(`build-plugins --check: ${sources.length} objects match their sources`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
