/**
 * The two reference peers against each other (quiche client/server driver ↔ quic-go interop
 * client/server). No code of ours is on the wire: this checks the drivers and the builds, so
 * that a failure in the other interop suites points at our stack, not at the harness.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareDownloads, killAll, makeCerts, makeFiles, PEERS_REQUIRED, tempDir, type CertFiles } from './helpers.js';
import { loadQuiche, QuicheServer, runQuicheClient } from './quiche-peer.js';
import { quicGoInstalled, runQgoClient, startQgoServer } from './quicgo.js';

const quiche = await loadQuiche();
const haveBoth = quiche !== undefined && quicGoInstalled();
if (!haveBoth && !PEERS_REQUIRED) {
  console.warn('interop peers.test: skipped: needs @matrixai/quic (npm) and .interop/bin/qgo-* (bash tools/interop/setup.sh)');
}

describe.skipIf(!haveBoth && !PEERS_REQUIRED)('reference peers: quiche <-> quic-go (harness check)', () => {
  let dir: string;
  let certs: CertFiles;
  let www: string;
  let sums: Map<string, string>;

  beforeAll(() => {
    if (!haveBoth) throw new Error('PQUIC_INTEROP_REQUIRE=1 but @matrixai/quic or .interop/bin/qgo-* is missing');
    dir = tempDir('peers');
    certs = makeCerts(join(dir, 'certs'));
    www = join(dir, 'www');
    sums = makeFiles(www, { 'a.bin': 10_000, 'b.bin': 1 << 20 });
  });
  afterAll(async () => {
    await killAll();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('quiche client downloads from the quic-go server (our certificates, verified with our CA)', async () => {
    const srv = await startQgoServer({ testcase: 'transfer', www, certsDir: certs.dir });
    const out = join(dir, 'dl-quiche');
    mkdirSync(out);
    const res = await runQuicheClient(quiche!, { port: srv.port, paths: ['/a.bin', '/b.bin'], outDir: out, ca: certs.ca, timeoutMs: 20_000 });
    expect(res.error, srv.proc.tail()).toBeUndefined();
    expect(res.ok).toBe(true);
    expect(res.alpn).toBe('hq-interop');
    expect(await compareDownloads(out, sums)).toEqual([]);
  });

  it('quic-go client downloads from the quiche server with Retry', async () => {
    const srv = await QuicheServer.start(quiche!, { cert: certs.cert, key: certs.key, www, retry: true });
    try {
      const out = join(dir, 'dl-qgo');
      mkdirSync(out);
      const run = await runQgoClient({
        testcase: 'retry',
        urls: [`https://127.0.0.1:${srv.port}/a.bin`, `https://127.0.0.1:${srv.port}/b.bin`],
        downloads: out,
        timeoutMs: 20_000,
      });
      expect(run.code, run.proc.tail()).toBe(0);
      expect(srv.retriesSent).toBe(1);
      expect(await compareDownloads(out, sums)).toEqual([]);
    } finally {
      await srv.close();
    }
  });
});
