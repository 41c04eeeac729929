/** What the CLI tests share: `main` run in-process with its output captured, and temp files. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';

export async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (t) => (out += t + '\n'), err: (t) => (err += t + '\n') });
  return { code, out, err };
}

/** Writes `data` to a file `name` in a new temporary directory and returns its path. */
export function tmp(name: string, data: string | Uint8Array): string {
  const p = join(mkdtempSync(join(tmpdir(), 'pquic-cli-')), name);
  writeFileSync(p, data);
  return p;
}
