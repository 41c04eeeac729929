#!/usr/bin/env node
// The `pquic` command: runs the bundled CLI that `npm install` builds (npm run build).
import { existsSync } from 'node:fs';

const bundle = new URL('../dist/cli/pquic.mjs', import.meta.url);
if (!existsSync(bundle)) {
  process.stderr.write('pquic: the CLI is not built yet; run "npm install" or "npm run build" in the package directory\n');
  process.exit(70);
}
await import(bundle.href);
