#!/usr/bin/env node
// Runs a TypeScript entry point (benchmarks, fuzzers) on Node 20, which cannot strip types itself:
// esbuild bundles it to a temporary ES module next to node_modules, then we import it.
import { build } from 'esbuild';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [entry, ...rest] = process.argv.slice(2);
if (!entry) {
  console.error('usage: node tools/run-ts.mjs FILE.ts [args...]');
  process.exit(2);
}
// The bundle goes two levels below the package root (so src/vm/core.ts finds build/ from it) and
// resolves packages by walking up to node_modules. Not inside node_modules itself: when that is a
// symlink (a git worktree sharing another checkout's), Node would resolve the bundle's URL through
// it, and build/ would be the other checkout's.
mkdirSync(resolve('tmp'), { recursive: true });
const dir = mkdtempSync(join(resolve('tmp'), '.run-ts-'));
const out = join(dir, 'main.mjs');
try {
  await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: out,
    packages: 'external',
    logLevel: 'warning',
  });
  process.argv = [process.argv[0], resolve(entry), ...rest];
  await import(pathToFileURL(out).href);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
