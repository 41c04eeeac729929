/**
 * Key generation must not hang the process. In Node 20, exporting a key made by
 * `generateKeyPairSync` can deadlock: the export holds the key's mutex while allocating, and a
 * garbage collection finalises the finished key-generation job, whose destructor takes the same
 * mutex (src/quic/crypto/node-provider.ts, newOkpKeyPair). A deadlocked process cannot be
 * interrupted from inside, so the loop runs in a child process with a timeout: with the old code
 * (generateKeyPairSync + a JWK export per key share) this child hung within 20,000–40,000 key
 * shares on the machine where it was found.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const SHARES = 60_000;

describe('node provider key generation', () => {
  it(`makes ${SHARES.toLocaleString('en')} X25519 key shares and Ed25519 keys under allocation without hanging`, async () => {
    mkdirSync(resolve('tmp'), { recursive: true });
    const dir = mkdtempSync(join(resolve('tmp'), '.keygen-'));
    try {
      const entry = join(dir, 'entry.ts');
      writeFileSync(entry, `
import { NodeCryptoProvider } from ${JSON.stringify(resolve('src/quic/crypto/node-provider.ts'))};
import { GROUP_X25519 } from ${JSON.stringify(resolve('src/quic/crypto/provider.ts'))};
const p = new NodeCryptoProvider();
let keep: unknown[] = [];
let check = 0;
for (let i = 0; i < ${SHARES}; i++) {
  const share = p.generateKeyShare(GROUP_X25519);
  check ^= share.publicKey[0]!;
  if (i % 64 === 0) check ^= p.generateSigningKey('ed25519').publicKey.key[0]!;
  // Ordinary garbage, so that collections happen in the middle of the exports.
  keep.push(new Array(40).fill(i));
  if (keep.length > 500) keep = [];
}
process.stdout.write('done ' + check + '\\n');
`);
      const out = join(dir, 'main.mjs');
      await build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile: out, packages: 'external', logLevel: 'warning' });
      const r = spawnSync(process.execPath, [out], { encoding: 'utf8', timeout: 60_000 });
      expect(r.signal, 'the child was killed by the timeout: key generation hung').toBeNull();
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/^done \d+\n$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
