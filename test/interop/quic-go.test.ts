/**
 * Interop with quic-go 0.29 (Debian's source, interop client and server built by
 * tools/interop/setup.sh), in both directions, with our `pquic client` / `pquic server` as child
 * processes. Test cases follow the interop-runner's (TESTCASE env for the quic-go side).
 * Skips when .interop/bin/qgo-* are absent, unless PQUIC_INTEROP_REQUIRE=1.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
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
import { quicGoInstalled, runQgoClient, startQgoServer } from './quicgo.js';
import { cliCipherArgs, ipv6Loopback, MUX_COUNT, MUX_FILES, RUNNER_TRANSFER, STANDARD_FILES, subset, UNKNOWN_VERSION, url } from './cases.js';

const installed = quicGoInstalled();
if (!installed && !PEERS_REQUIRED) {
  console.warn('interop quic-go.test: skipped: .interop/bin/qgo-server and qgo-client are missing (run: bash tools/interop/setup.sh)');
}

/**
 * What a failed run leaves to read: per qlog file of the peer, how many packets it received,
 * sent and dropped, and its last events (a stalled connection shows where it stopped).
 */
function qlogDigest(dir: string, lastChars = 700): string {
  let out = '';
  try {
    for (const f of readdirSync(dir)) {
      const text = readFileSync(join(dir, f), 'utf8');
      const count = (re: RegExp): number => (text.match(re) ?? []).length;
      out += `\n--- peer qlog ${f}: ${count(/packet_received/g)} received, ${count(/packet_sent/g)} sent, ${count(/packet_dropped/g)} dropped; last events:\n`;
      out += text.slice(-lastChars);
    }
  } catch {
    /* no qlog written */
  }
  return out;
}

function qlogText(dir: string): string {
  let s = '';
  try {
    for (const f of readdirSync(dir)) s += readFileSync(join(dir, f), 'utf8');
  } catch {
    /* no qlog written */
  }
  return s;
}

/** Both NSS key logs hold the same handshake and traffic secrets (labels, client random, secret). */
function expectSameSecrets(ours: string, theirs: string): void {
  const labels = /^(CLIENT_HANDSHAKE_TRAFFIC_SECRET|SERVER_HANDSHAKE_TRAFFIC_SECRET|CLIENT_TRAFFIC_SECRET_0|SERVER_TRAFFIC_SECRET_0) /;
  const read = (f: string): string[] =>
    readFileSync(f, 'utf8')
      .split('\n')
      .map((l) => l.trim().toLowerCase())
      .filter((l) => labels.test(l.toUpperCase()))
      .sort();
  const a = read(ours);
  expect(a.length).toBe(4);
  expect(a).toEqual(read(theirs));
}

describe.skipIf(!installed && !PEERS_REQUIRED)('interop with quic-go 0.29', () => {
  let cli: string;
  let dir: string;
  let certs: CertFiles;
  let www: string;
  let sums: Map<string, string>;
  let n = 0;
  const newDir = (what: string): string => {
    const d = join(dir, `${what}-${++n}`);
    mkdirSync(d);
    return d;
  };

  beforeAll(async () => {
    if (!installed) throw new Error('quic-go interop binaries missing (PQUIC_INTEROP_REQUIRE=1): run bash tools/interop/setup.sh');
    cli = await buildCli();
    dir = tempDir('quicgo');
    certs = makeCerts(join(dir, 'certs'));
    www = join(dir, 'www');
    sums = makeFiles(www, { ...STANDARD_FILES, ...MUX_FILES });
  });
  afterEach(async () => {
    await killAll();
  });
  afterAll(async () => {
    await killAll();
    if (cli) removeCli(cli);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  describe('pquic client -> quic-go server', () => {
    async function download(
      testcase: string,
      names: string[],
      opts: { timeoutS?: number; extra?: string[]; qlog?: boolean; host?: string; expectExit?: number; peerKeylog?: string } = {},
    ) {
      const host = opts.host ?? '127.0.0.1';
      const qlogDir = opts.qlog ? newDir('qlog') : undefined;
      const srv = await startQgoServer({
        testcase,
        www,
        certsDir: certs.dir,
        host,
        ...(qlogDir ? { qlogDir } : {}),
        ...(opts.peerKeylog ? { keylog: opts.peerKeylog } : {}),
      });
      const out = newDir('dl');
      const run = await runOurClient(cli, {
        urls: names.map((f) => url(host, srv.port, f)),
        outDir: out,
        ca: certs.ca,
        timeoutS: opts.timeoutS ?? 20,
        ...(opts.extra ? { extra: opts.extra } : {}),
      });
      await killProc(srv.proc);
      const why = `${run.proc.tail()}\n${srv.proc.tail(1500)}`;
      expect(run.code, why).toBe(opts.expectExit ?? 0);
      if ((opts.expectExit ?? 0) === 0) expect(await compareDownloads(out, subset(sums, names)), why).toEqual([]);
      return { run, qlog: qlogDir ? qlogText(qlogDir) : '' };
    }

    it('handshake (1 KB, certificate verified with our CA)', async () => {
      await download('handshake', ['1k.bin']);
    });

    it('transfer: 1 MB', async () => {
      await download('transfer', ['1m.bin']);
    });

    it('transfer: 2 + 3 + 5 MB concurrently on one connection (the runner\'s transfer test)', async () => {
      await download('transfer', RUNNER_TRANSFER, { timeoutS: 30 });
    });

    it('transfer: 50 MB, sha256 equal (goodput recorded)', async () => {
      const { run } = await download('transfer', ['50m.bin'], { timeoutS: 90 });
      recordGoodput(
        'pquic client <- quic-go server, 50 MB (connect to last byte, client summary)',
        run.summary?.bytes ?? 50 << 20,
        run.summary?.seconds ?? run.seconds,
      );
    }, 120_000);

    it(`multiplexing: ${MUX_COUNT} files of 32 B on one connection`, async () => {
      await download('transfer', Object.keys(MUX_FILES), { timeoutS: 30 });
    });

    it('retry: the server validates our address with a Retry, we echo the token', async () => {
      const { qlog } = await download('retry', ['10k.bin'], { qlog: true });
      // quic-go's qlog of its side lists retry_source_connection_id among the transport parameters it sent.
      expect(qlog).toContain('retry_source_connection_id');
    });

    it('chacha20: the server accepts only TLS_CHACHA20_POLY1305_SHA256', async () => {
      // Both sides restrict the suite: our client offers ChaCha20 alone, the server accepts only it.
      await download('chacha20', ['1m.bin'], { extra: await cliCipherArgs(cli) });
    });

    it('crypto provider @noble (--crypto noble): 1 MB', async () => {
      await download('transfer', ['1m.bin'], { extra: ['--crypto', 'noble'] });
    });

    it('ipv6: 1 MB over ::1', async (ctx) => {
      if (!(await ipv6Loopback())) ctx.skip('no IPv6 loopback here');
      await download('transfer', ['1m.bin'], { host: '::1' });
    });

    it('keylog (-X): our NSS key log lines are the ones quic-go logs for the same connection', async () => {
      const ours = join(newDir('keys'), 'ours.log');
      const theirs = join(newDir('keys'), 'theirs.log');
      await download('handshake', ['1k.bin'], { extra: ['-X', ours], peerKeylog: theirs });
      expectSameSecrets(ours, theirs);
    });

    it('resumption: a second run with --session-file resumes with quic-go\'s ticket (no certificate)', async () => {
      const session = join(newDir('session'), 'ticket.bin');
      const srv = await startQgoServer({ testcase: 'resumption', www, certsDir: certs.dir });
      try {
        const runs = [];
        for (const name of ['1k.bin', '10k.bin']) {
          const out = newDir('dl');
          const run = await runOurClient(cli, { urls: [url('127.0.0.1', srv.port, name)], outDir: out, ca: certs.ca, timeoutS: 20, extra: ['--session-file', session] });
          const why = `${run.proc.tail()}\n${srv.proc.tail(1500)}`;
          expect(run.code, why).toBe(0);
          expect(await compareDownloads(out, subset(sums, [name])), why).toEqual([]);
          runs.push(run.proc.stderr());
        }
        // Our summary line says which handshake it was: full first, then resumed.
        expect(runs[0]).toMatch(/handshake [\d.]+ ms, /);
        expect(runs[1]).toMatch(/handshake [\d.]+ ms \(resumed\)/);
      } finally {
        await killProc(srv.proc);
      }
    });

    it('zerortt: a second run with --early-data sends its requests in 0-RTT and quic-go accepts them', async () => {
      const session = join(newDir('session'), 'ticket.bin');
      const peerQlog = newDir('qlog');
      const srv = await startQgoServer({ testcase: 'zerortt', www, certsDir: certs.dir, qlogDir: peerQlog });
      try {
        const runs = [];
        for (const names of [['1k.bin'], ['10k.bin', '1k.bin']]) {
          const out = newDir('dl');
          const run = await runOurClient(cli, {
            urls: names.map((n) => url('127.0.0.1', srv.port, n)), outDir: out, ca: certs.ca, timeoutS: 20, extra: ['--session-file', session, '--early-data'],
          });
          const why = `${run.proc.tail()}\n${srv.proc.tail(1500)}${qlogDigest(peerQlog)}`;
          expect(run.code, why).toBe(0);
          expect(await compareDownloads(out, subset(sums, names)), why).toEqual([]);
          runs.push(run.proc.stderr());
        }
        // First a full handshake (no ticket yet), then a resumed one whose 0-RTT quic-go accepted.
        expect(runs[0]).toMatch(/handshake [\d.]+ ms, /);
        expect(runs[1]).toMatch(/handshake [\d.]+ ms \(resumed, 0-RTT accepted\)/);
        // quic-go's own trace: it received 0-RTT packets carrying our requests' STREAM frames.
        expect(qlogText(peerQlog)).toMatch(/"transport:packet_received"[^\n]*"packet_type":"0RTT"[^\n]*"frame_type":"stream"/);
      } finally {
        await killProc(srv.proc);
      }
    });

    it('version negotiation: offering an unknown version fails fast with the server\'s list', async () => {
      const { run } = await download('handshake', ['1k.bin'], { extra: ['-v', `0x${UNKNOWN_VERSION.toString(16)}`], expectExit: 1 });
      expect(run.seconds).toBeLessThan(10);
      expect(run.proc.stderr()).toMatch(/version negotiation.*0x1\b/);
    });
  });

  describe('quic-go client -> pquic server', () => {
    async function fetchFrom(
      testcase: string,
      names: string[],
      opts: { retry?: boolean; timeoutMs?: number; qlog?: boolean; diagnose?: boolean; host?: string; serverArgs?: string[]; expectExit?: number; peerKeylog?: string } = {},
    ) {
      const host = opts.host ?? '127.0.0.1';
      // -V: the server logs each connection, datagrams it failed to handle, and its counters at
      // the end, so a failure here says which side stalled.
      const srv = await startOurServer(cli, {
        www,
        cert: certs.cert,
        key: certs.key,
        host,
        ...(opts.retry ? { retry: true } : {}),
        extra: ['-V', ...(opts.serverArgs ?? [])],
      });
      const out = newDir('dl');
      const qlogDir = opts.qlog || opts.diagnose ? newDir('qlog') : undefined;
      const run = await runQgoClient({
        testcase,
        urls: names.map((f) => url(host, srv.port, f)),
        downloads: out,
        timeoutMs: opts.timeoutMs ?? 20_000,
        ...(qlogDir ? { qlogDir } : {}),
        ...(opts.peerKeylog ? { keylog: opts.peerKeylog } : {}),
      });
      await killProc(srv.proc);
      const why = `${run.proc.tail()}\n${srv.proc.tail(2500)}${opts.diagnose && qlogDir ? qlogDigest(qlogDir) : ''}`;
      expect(run.code, why).toBe(opts.expectExit ?? 0);
      if ((opts.expectExit ?? 0) === 0) expect(await compareDownloads(out, subset(sums, names)), why).toEqual([]);
      return { run, srv, qlog: qlogDir ? qlogText(qlogDir) : '' };
    }

    it('handshake (1 KB, and no Retry from our server)', async () => {
      const { qlog } = await fetchFrom('handshake', ['1k.bin'], { qlog: true });
      expect(qlog).toContain('transport:parameters_set');
      expect(qlog).not.toMatch(/"packet_type":"retry"/);
    });

    it('transfer: 1 MB', async () => {
      await fetchFrom('transfer', ['1m.bin']);
    });

    it('transfer: 2 + 3 + 5 MB concurrently on one connection (the runner\'s transfer test)', async () => {
      await fetchFrom('transfer', RUNNER_TRANSFER, { timeoutMs: 30_000 });
    });

    it('transfer: 50 MB, sha256 equal (goodput recorded)', async () => {
      const { run } = await fetchFrom('transfer', ['50m.bin'], { timeoutMs: 90_000 });
      recordGoodput('quic-go client <- pquic server, 50 MB (client process wall time)', 50 << 20, run.seconds);
    }, 120_000);

    it(`multiplexing: ${MUX_COUNT} files of 32 B on one connection, 100 streams at a time (MAX_STREAMS needed)`, async () => {
      await fetchFrom('transfer', Object.keys(MUX_FILES), { timeoutMs: 30_000, serverArgs: ['--max-streams', '100'] });
    });

    it('retry: our server sends a Retry, quic-go echoes the token', async () => {
      const { qlog } = await fetchFrom('retry', ['10k.bin'], { retry: true, qlog: true });
      expect(qlog).toMatch(/"packet_type":"retry"/);
    });

    it('chacha20: the client offers only TLS_CHACHA20_POLY1305_SHA256', async () => {
      await fetchFrom('chacha20', ['1m.bin']);
    });

    it('keyupdate: the client updates keys every 100 packets during a 1 MB download', async () => {
      await fetchFrom('keyupdate', ['1m.bin']);
    });

    it('multiconnect: 5 connections one after the other', async () => {
      // One failure seen in CI (quic-go: "timeout: no recent network activity", i.e. 5 s without
      // a packet during a handshake): the peer's qlog digest says which connection stalled where.
      await fetchFrom('multiconnect', ['1k.bin', '10k.bin', '1m.bin', '2m.bin', '3m.bin'], { diagnose: true });
    });

    it('crypto provider @noble (server --crypto noble): 1 MB', async () => {
      await fetchFrom('transfer', ['1m.bin'], { serverArgs: ['--crypto', 'noble'] });
    });

    it('ipv6: 1 MB over ::1', async (ctx) => {
      if (!(await ipv6Loopback())) ctx.skip('no IPv6 loopback here');
      await fetchFrom('transfer', ['1m.bin'], { host: '::1' });
    });

    it('keylog (server -X): our NSS key log lines are the ones quic-go logs for the same connection', async () => {
      const ours = join(newDir('keys'), 'ours.log');
      const theirs = join(newDir('keys'), 'theirs.log');
      await fetchFrom('handshake', ['1k.bin'], { serverArgs: ['-X', ours], peerKeylog: theirs });
      expectSameSecrets(ours, theirs);
    });

    it('versionnegotiation: our server answers an unknown version with a Version Negotiation listing v1', async () => {
      // quic-go 0.29's interop client compares its own error text case-sensitively against
      // "No compatible QUIC version found" while its error says "no compatible ...", so it exits 1
      // even when the Version Negotiation is right; we check what it received instead.
      const { run } = await fetchFrom('versionnegotiation', ['1k.bin'], { expectExit: 1 });
      expect(run.proc.stdout()).toMatch(/no compatible QUIC version found .*server offered \[v1\b/i);
    });

    it('resumption: quic-go gets our ticket on the first connection and resumes on the second', async () => {
      const { srv } = await fetchFrom('resumption', ['1k.bin', '10k.bin', '1m.bin'], { serverArgs: ['-V'] });
      // Our server logs each handshake's kind (-V): one full, then one resumed.
      const log = srv.proc.stderr();
      expect(log.match(/handshake complete, full/g)).toHaveLength(1);
      expect(log.match(/handshake complete, resumed/g)).toHaveLength(1);
    });

    it('resumption refused: with --no-tickets quic-go gets no ticket and says so', async () => {
      const { run } = await fetchFrom('resumption', ['1k.bin', '10k.bin'], { serverArgs: ['--no-tickets'], expectExit: 1, timeoutMs: 30_000 });
      expect(run.proc.stdout()).toMatch(/expected to receive a session ticket/);
    });

    it('zerortt: with --early-data our server accepts quic-go\'s 0-RTT request on the resumed connection', async () => {
      const ourQlog = newDir('qlog');
      const { srv } = await fetchFrom('zerortt', ['1k.bin', '10k.bin'], { serverArgs: ['-V', '--early-data', '-q', ourQlog] });
      expect(srv.proc.stderr()).toMatch(/handshake complete, resumed with 0-RTT/);
      // The request itself came in a 0-RTT packet: a STREAM frame on stream 0.
      expect(qlogText(ourQlog)).toMatch(/"packet_type":"0RTT"[^\n]*"frame_type":"stream","stream_id":0/);
    });

    it('zerortt without --early-data: our tickets do not offer 0-RTT, quic-go resumes with a 1-RTT request', async () => {
      const ourQlog = newDir('qlog');
      const { srv } = await fetchFrom('zerortt', ['1k.bin', '10k.bin'], { serverArgs: ['-V', '-q', ourQlog] });
      expect(srv.proc.stderr()).toMatch(/handshake complete, resumed\n/);
      expect(qlogText(ourQlog)).not.toMatch(/"packet_type":"0RTT"/);
    });
  });
});
