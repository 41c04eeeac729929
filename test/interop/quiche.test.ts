/**
 * Interop with Cloudflare quiche 0.18 (BoringSSL), driven in this process through the napi
 * binding of @matrixai/quic (quiche-peer.ts), against our `pquic client` / `pquic server` as
 * child processes. Skips when @matrixai/quic is not installed, unless PQUIC_INTEROP_REQUIRE=1.
 *
 * quiche's binding cannot restrict cipher suites, so ChaCha20 is tested with our client
 * offering ChaCha20 alone.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  buildCli,
  compareDownloads,
  killAll,
  killProc,
  makeCerts,
  makeFiles,
  PEERS_REQUIRED,
  recordGoodput,
  removeCli,
  tempDir,
  type CertFiles,
} from './helpers.js';
import { runOurClient, startOurServer } from './pquic-cli.js';
import { loadQuiche, QuicheServer, runQuicheClient, type QuicheBinding, type QuicheServerOptions } from './quiche-peer.js';
import { cliCipherArgs, ipv6Loopback, MUX_COUNT, MUX_FILES, RUNNER_TRANSFER, STANDARD_FILES, subset, UNKNOWN_VERSION, url } from './cases.js';

const binding = await loadQuiche();
if (binding === undefined && !PEERS_REQUIRED) {
  console.warn('interop quiche.test: skipped: @matrixai/quic is not installed (npm install; it is a devDependency)');
}

describe.skipIf(binding === undefined && !PEERS_REQUIRED)('interop with quiche 0.18', () => {
  const q = binding as QuicheBinding;
  let cli: string;
  let dir: string;
  let certs: CertFiles;
  let www: string;
  let sums: Map<string, string>;
  let n = 0;
  const servers: QuicheServer[] = [];
  const outDir = (): string => {
    const d = join(dir, `dl-${++n}`);
    mkdirSync(d);
    return d;
  };

  beforeAll(async () => {
    if (binding === undefined) throw new Error('@matrixai/quic is not installed (PQUIC_INTEROP_REQUIRE=1)');
    cli = await buildCli();
    dir = tempDir('quiche');
    certs = makeCerts(join(dir, 'certs'));
    www = join(dir, 'www');
    sums = makeFiles(www, { ...STANDARD_FILES, ...MUX_FILES });
  });
  afterEach(async () => {
    await killAll();
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });
  afterAll(async () => {
    await killAll();
    if (cli) removeCli(cli);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  describe('pquic client -> quiche server', () => {
    async function download(names: string[], opts: Partial<QuicheServerOptions> & { timeoutS?: number; extra?: string[]; expectExit?: number } = {}) {
      const log: string[] = [];
      const srv = await QuicheServer.start(q, { cert: certs.cert, key: certs.key, www, log: (l) => log.push(l), ...opts });
      servers.push(srv);
      const out = outDir();
      const run = await runOurClient(cli, {
        urls: names.map((f) => url(srv.host, srv.port, f)),
        outDir: out,
        ca: certs.ca,
        timeoutS: opts.timeoutS ?? 20,
        ...(opts.extra ? { extra: opts.extra } : {}),
      });
      const why = `${run.proc.tail()}\n--- quiche server ---\n${log.slice(-20).join('\n')}\n${JSON.stringify(srv.connections.slice(-2))}`;
      expect(run.code, why).toBe(opts.expectExit ?? 0);
      if ((opts.expectExit ?? 0) === 0) {
        expect(await compareDownloads(out, subset(sums, names)), why).toEqual([]);
        expect(srv.connections.length, why).toBe(1);
      }
      return { run, srv, why };
    }

    it('handshake (1 KB, certificate verified with our CA)', async () => {
      const { srv } = await download(['1k.bin']);
      expect(srv.connections[0]!.alpn).toBe('hq-interop');
    });

    it('transfer: 1 MB', async () => {
      await download(['1m.bin']);
    });

    it('transfer: 2 + 3 + 5 MB concurrently on one connection', async () => {
      await download(RUNNER_TRANSFER, { timeoutS: 30 });
    });

    it('transfer: 50 MB, sha256 equal (goodput recorded)', async () => {
      const { run } = await download(['50m.bin'], { timeoutS: 90 });
      recordGoodput(
        'pquic client <- quiche server, 50 MB (connect to last byte, client summary)',
        run.summary?.bytes ?? 50 << 20,
        run.summary?.seconds ?? run.seconds,
      );
    }, 120_000);

    it(`multiplexing: ${MUX_COUNT} files of 32 B, server allows 100 streams at a time (MAX_STREAMS needed)`, async () => {
      const { srv } = await download(Object.keys(MUX_FILES), { maxStreamsBidi: 100, timeoutS: 30 });
      expect(srv.connections[0]!.requests).toBe(MUX_COUNT);
    });

    it('retry: quiche sends a Retry, we echo the token', async () => {
      const { srv } = await download(['10k.bin'], { retry: true });
      expect(srv.retriesSent).toBe(1);
    });

    it('ipv6: 1 MB over ::1', async (ctx) => {
      if (!(await ipv6Loopback())) ctx.skip('no IPv6 loopback here');
      await download(['1m.bin'], { host: '::1' });
    });

    it('version negotiation: offering an unknown version fails fast with quiche\'s list', async () => {
      const { run } = await download(['1k.bin'], { extra: ['-v', `0x${UNKNOWN_VERSION.toString(16)}`], expectExit: 1 });
      expect(run.seconds).toBeLessThan(10);
      expect(run.proc.stderr()).toMatch(/version negotiation.*0x1\b/);
    });

    it('chacha20: our client offers only TLS_CHACHA20_POLY1305_SHA256', async () => {
      const extra = await cliCipherArgs(cli);
      await download(['1m.bin'], { extra });
    });
  });

  describe('quiche client -> pquic server', () => {
    async function fetchFrom(names: string[], opts: { retry?: boolean; timeoutMs?: number; maxStreamsBidi?: number; host?: string } = {}) {
      const host = opts.host ?? '127.0.0.1';
      const srv = await startOurServer(cli, { www, cert: certs.cert, key: certs.key, host, ...(opts.retry ? { retry: true } : {}) });
      const out = outDir();
      const log: string[] = [];
      const res = await runQuicheClient(q, {
        host,
        port: srv.port,
        paths: names.map((f) => `/${f}`),
        outDir: out,
        ca: certs.ca,
        timeoutMs: opts.timeoutMs ?? 20_000,
        log: (l) => log.push(l),
        ...(opts.maxStreamsBidi !== undefined ? { maxStreamsBidi: opts.maxStreamsBidi } : {}),
      });
      await killProc(srv.proc);
      const why = `${res.error ?? ''}\n--- quiche client ---\n${log.slice(-20).join('\n')}\n${JSON.stringify(res.stats)}\n${srv.proc.tail(2500)}`;
      expect(res.error, why).toBeUndefined();
      expect(res.ok, why).toBe(true);
      expect(await compareDownloads(out, subset(sums, names)), why).toEqual([]);
      return res;
    }

    it('handshake (1 KB, quiche verifies our certificate chain)', async () => {
      const res = await fetchFrom(['1k.bin']);
      expect(res.alpn).toBe('hq-interop');
      expect(res.retries).toBe(0);
    });

    it('transfer: 1 MB', async () => {
      await fetchFrom(['1m.bin']);
    });

    it('transfer: 2 + 3 + 5 MB concurrently on one connection', async () => {
      await fetchFrom(RUNNER_TRANSFER, { timeoutMs: 30_000 });
    });

    it('transfer: 50 MB, sha256 equal (goodput recorded)', async () => {
      const res = await fetchFrom(['50m.bin'], { timeoutMs: 90_000 });
      recordGoodput('quiche client <- pquic server, 50 MB (first request to last byte)', res.bytes, res.transferSeconds);
    }, 120_000);

    it(`multiplexing: ${MUX_COUNT} files of 32 B on one connection`, async () => {
      await fetchFrom(Object.keys(MUX_FILES), { timeoutMs: 30_000 });
    });

    it('retry: our server sends a Retry, quiche echoes the token', async () => {
      const res = await fetchFrom(['10k.bin'], { retry: true });
      expect(res.retries).toBe(1);
    });

    it('ipv6: 1 MB over ::1', async (ctx) => {
      if (!(await ipv6Loopback())) ctx.skip('no IPv6 loopback here');
      await fetchFrom(['1m.bin'], { host: '::1' });
    });
  });
});
