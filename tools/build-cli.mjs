#!/usr/bin/env node
// Bundles the CLI (src/cli/entry.ts) into dist/cli/pquic.mjs with esbuild. Runtime dependencies
// stay external; the Wasm core is read from build/ at run time.
import { build } from 'esbuild';

await build({
  entryPoints: ['src/cli/entry.ts'],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outfile: 'dist/cli/pquic.mjs',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
});
