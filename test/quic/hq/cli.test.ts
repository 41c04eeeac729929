/**
 * `pquic server` and `pquic client` as separate processes (the bundled CLI, as users run it):
 * transfers, exit codes, the summary line, key log and qlog output, help and bad arguments.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../endpoint/helpers.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = join(ROOT, 'bin/pquic.mjs');

interface Run {
  code: number | null;
  out: string;
  err: string;
  ms: number;
}

/** Runs the CLI to completion (bounded by `timeoutMs`). */
function pquic(args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, SSLKEYLOGFILE: '', QLOGDIR: '', ...opts.env } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err, ms: performance.now() - t0 });
    });
  });
}

interface ServerProcess {
  child: ChildProcess;
  port: number;
  /** SIGTERM, then the exit status and stderr. */
  stop(): Promise<{ code: number | null; err: string }>;
}

const servers: ServerProcess[] = [];

/** Starts `pquic server -p 0 --host 127.0.0.1 ...` and waits for its "listening on" line. */
function startServer(args: string[], env: NodeJS.ProcessEnv = {}): Promise<ServerProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'server', '-p', '0', '--host', '127.0.0.1', ...args], {
      cwd: ROOT, env: { ...process.env, SSLKEYLOGFILE: '', QLOGDIR: '', ...env },
    });
    let out = '';
    let err = '';
    const exited = new Promise<number | null>((r) => child.on('close', r));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the server did not start: ${err}`));
    }, 15_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        const s: ServerProcess = {
          child,
          port: Number(m[1]),
          stop: async () => {
            child.kill('SIGTERM');
            return { code: await exited, err };
          },
        };
        servers.push(s);
        resolve(s);
      }
    });
  });
}

beforeAll(() => {
  // The tests run the bundle, as `npx pquic` does; build it from the current sources.
  const r = spawnSync(process.execPath, ['tools/build-cli.mjs'], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`CLI build failed: ${r.stderr}`);
}, 60_000);

afterAll(() => {
  for (const s of servers) s.child.kill('SIGKILL');
});

describe('pquic server / client processes', () => {
  it('transfers files into -o DIR, prints a summary and exits 0; the server stops cleanly', async () => {
    const www = tempDir('www');
    const big = randomBytes(2_000_000);
    writeFileSync(join(www, 'big.bin'), big);
    writeFileSync(join(www, 'hello.txt'), 'hello, QUIC\n');
    const keylogDir = tempDir('keys');
    const serverKeys = join(keylogDir, 'server.keys');
    const qlogDir = tempDir('qlog');
    const server = await startServer(['-w', www], { SSLKEYLOGFILE: serverKeys, QLOGDIR: join(qlogDir, 'server') });
    const out = tempDir('out');
    const clientKeys = join(keylogDir, 'client.keys');
    const r = await pquic([
      'client', '--insecure', '-o', out, '-X', clientKeys, '-q', join(qlogDir, 'client'),
      `https://127.0.0.1:${server.port}/big.bin`, `https://127.0.0.1:${server.port}/hello.txt`,
    ]);
    expect(r.err).toMatch(/summary: 2\/2 ok, 2000012 bytes in \d+\.\d+ s, goodput \d+\.\d Mbit\/s, handshake \d+\.\d ms, packets sent \d+ received \d+ lost \d+/);
    expect(r.code).toBe(0);
    expect(readFileSync(join(out, 'big.bin')).equals(big)).toBe(true);
    expect(readFileSync(join(out, 'hello.txt'), 'utf8')).toBe('hello, QUIC\n');
    // NSS key log lines on both sides (-X and $SSLKEYLOGFILE), qlog files (-q and $QLOGDIR).
    for (const f of [clientKeys, serverKeys]) expect(readFileSync(f, 'utf8')).toMatch(/^CLIENT_HANDSHAKE_TRAFFIC_SECRET [0-9a-f]{64} [0-9a-f]{64}$/m);
    expect(readdirSync(join(qlogDir, 'client'))).toEqual([expect.stringMatching(/^[0-9a-f]+_client\.sqlog$/)]);
    expect(readdirSync(join(qlogDir, 'server'))).toEqual([expect.stringMatching(/^[0-9a-f]+_server\.sqlog$/)]);
    const stopped = await server.stop();
    expect(stopped.code).toBe(0);
  });

  it('writes a single body to stdout, fetches /_bytes/N with -G, and passes a Retry with noble crypto', async () => {
    const www = tempDir('www');
    writeFileSync(join(www, 'note.txt'), 'to stdout\n');
    const server = await startServer(['-w', www, '--retry', '--crypto', 'noble']);
    const one = await pquic(['client', '--insecure', '--quiet', `https://127.0.0.1:${server.port}/note.txt`]);
    expect(one.code).toBe(0);
    expect(one.out).toBe('to stdout\n');
    expect(one.err).toBe('');
    const gen = await pquic(['client', '--insecure', '--crypto', 'noble', '-G', '3000000', `https://127.0.0.1:${server.port}/`]);
    expect(gen.code).toBe(0);
    expect(gen.err).toMatch(/summary: 1\/1 ok, 3000000 bytes/);
    expect(gen.out).toBe('');
    await server.stop();
  });

  it('verifies the server certificate against --ca', async () => {
    const dir = tempDir('pki');
    // A server with its own certificate: the client trusts it through --ca, and refuses it without.
    const { generateSelfSigned } = await import('../../../src/quic/tls/certgen.js');
    const { getProvider } = await import('../../../src/quic/crypto/index.js');
    const { pemEncode, encodePrivateKeyPkcs8 } = await import('../../../src/quic/tls/pem.js');
    const id = generateSelfSigned(getProvider('node'), { commonName: '127.0.0.1' });
    writeFileSync(join(dir, 'cert.pem'), pemEncode('CERTIFICATE', id.certDer));
    writeFileSync(join(dir, 'key.pem'), pemEncode('PRIVATE KEY', encodePrivateKeyPkcs8(id.privateKey)));
    const server = await startServer(['-c', join(dir, 'cert.pem'), '-k', join(dir, 'key.pem')]);
    const ok = await pquic(['client', '--ca', join(dir, 'cert.pem'), '-G', '1000', `https://127.0.0.1:${server.port}/`]);
    expect(ok.code).toBe(0);
    const refused = await pquic(['client', '-G', '1000', `https://127.0.0.1:${server.port}/`]);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/^pquic client: cannot connect to 127\.0\.0\.1:\d+: .*CRYPTO_ERROR/m);
    await server.stop();
  });

  it('loads plugins with -P into both ends and writes their statistics with -S', async () => {
    const dir = tempDir('plugins');
    const ack = join(ROOT, 'plugins-c/ack_delay/ack_delay.plugin');
    const mon = join(ROOT, 'plugins-c/monitoring/monitoring.plugin');
    const server = await startServer(['-P', mon, '-S', join(dir, 'server-stats.json')]);
    const r = await pquic(['client', '--insecure', '-P', ack, '-P', mon, '-S', join(dir, 'client-stats.json'), '-G', '300000', `https://127.0.0.1:${server.port}/`]);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/summary: 1\/1 ok, 300000 bytes/);
    expect((await server.stop()).code).toBe(0);
    const client = JSON.parse(readFileSync(join(dir, 'client-stats.json'), 'utf8')) as { plugins: { plugin: string; connections: number; failures: number; pluglets: { protoop: string; calls: number }[] }[] };
    expect(client.plugins.map((p) => p.plugin)).toEqual(['be.mpiraux.ack_delay', 'be.mpiraux.monitoring']);
    for (const p of client.plugins) expect(p).toMatchObject({ connections: 1, failures: 0 });
    expect(client.plugins[0]!.pluglets.find((x) => x.protoop === 'is_ack_needed')!.calls).toBeGreaterThan(0);
    const srv = JSON.parse(readFileSync(join(dir, 'server-stats.json'), 'utf8')) as typeof client;
    expect(srv.plugins[0]!.pluglets.find((x) => x.protoop === 'received_packet')!.calls).toBeGreaterThan(0);
    // A manifest that does not load is one clear line and exit 1.
    const bad = await pquic(['client', '--insecure', '-P', join(dir, 'nope.plugin'), `https://127.0.0.1:1/`]);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/^pquic client: cannot load plugin: .*nope\.plugin: cannot read/m);
  });

  it('logs every packet with its frames under -V, naming plugin frames', async () => {
    const fec = join(ROOT, 'plugins-c/fec/fec.plugin');
    const server = await startServer(['-P', fec, '--loss', '0.05']);
    const r = await pquic(['client', '--insecure', '--quiet', '-V', '-P', fec, '-G', '200000', `https://127.0.0.1:${server.port}/`]);
    expect(r.code).toBe(0);
    const lines = r.err.trim().split('\n');
    // Every line is one packet: time, direction, packet type, number, frames.
    for (const l of lines) expect(l).toMatch(/^ *\d+\.\d{3} ms (send|recv) (initial|handshake|1RTT|0RTT|retry|version_negotiation|stateless_reset) #\d+: /);
    expect(lines.some((l) => /^ *[\d.]+ ms send initial #0: .*crypto/.test(l))).toBe(true);
    expect(lines.some((l) => /recv 1RTT .*stream.*SFPID/.test(l))).toBe(true);
    expect(lines.some((l) => /recv 1RTT .*REPAIR/.test(l))).toBe(true);
    expect((await server.stop()).code).toBe(0);
  });

  it('--early-data: the second run sends its requests in 0-RTT; a full handshake rejects them', async () => {
    const www = tempDir('www');
    const files = ['a.txt', 'b.txt', 'c.txt'];
    for (const f of files) writeFileSync(join(www, f), `body of ${f}\n`.repeat(50));
    const session = join(tempDir('session'), 'ticket.bin');
    const fetch = async (port: number, qlog?: string): Promise<Run & { out: string }> => {
      const out = tempDir('out');
      const r = await pquic([
        'client', '--insecure', '--session-file', session, '--early-data', '-o', out, ...(qlog ? ['-q', qlog] : []),
        ...files.map((f) => `https://127.0.0.1:${port}/${f}`),
      ]);
      expect(r.code, r.err).toBe(0);
      for (const f of files) expect(readFileSync(join(out, f), 'utf8')).toBe(`body of ${f}\n`.repeat(50));
      return { ...r, out };
    };
    const server = await startServer(['-w', www, '--early-data', '-V']);
    // No ticket yet: a full handshake, no 0-RTT.
    const first = await fetch(server.port);
    expect(first.err).toMatch(/handshake \d+\.\d ms, packets/);
    const qlog = tempDir('qlog');
    const second = await fetch(server.port, qlog);
    expect(second.err).toMatch(/handshake \d+\.\d ms \(resumed, 0-RTT accepted\)/);
    // Our qlog shows the requests leaving in 0-RTT packets; the server says it read them.
    const trace = readdirSync(qlog).map((f) => readFileSync(join(qlog, f), 'utf8')).join('');
    expect(trace).toMatch(/"transport:packet_sent","data":\{"header":\{"packet_type":"0RTT"[^\n]*"frame_type":"stream"/);
    expect(trace).toMatch(/"transport:early_data","data":\{"outcome":"accepted"/);
    const log = (await server.stop()).err;
    expect(log).toMatch(/handshake complete, resumed with 0-RTT/);

    // The ticket key went with that server: a new one makes a full handshake, which rejects the
    // 0-RTT requests (they go again in 1-RTT). Its tickets, without --early-data, do not allow
    // 0-RTT, so the next run resumes without trying it.
    const other = await startServer(['-w', www]);
    const third = await fetch(other.port);
    expect(third.err).toMatch(/handshake \d+\.\d ms \(0-RTT rejected\)/);
    const fourth = await fetch(other.port);
    expect(fourth.err).toMatch(/handshake \d+\.\d ms \(resumed\), packets/);
    await other.stop();
  });

  it('--early-data passes a Retry: 0-RTT goes again to the Retry\'s connection ID', async () => {
    const www = tempDir('www');
    writeFileSync(join(www, 'x.txt'), 'after retry\n');
    const session = join(tempDir('session'), 'ticket.bin');
    const server = await startServer(['-w', www, '--early-data', '--retry']);
    const args = ['client', '--insecure', '--quiet', '--session-file', session, '--early-data', `https://127.0.0.1:${server.port}/x.txt`];
    const first = await pquic(args);
    expect(first.code, first.err).toBe(0);
    const second = await pquic(args.filter((a) => a !== '--quiet'));
    expect(second.code, second.err).toBe(0);
    expect(second.out).toBe('after retry\n');
    expect(second.err).toMatch(/\(resumed, 0-RTT (accepted|rejected)\)/);
    await server.stop();
  });

  it('exits 1 with one clear line for a missing file', async () => {
    const server = await startServer([]);
    const r = await pquic(['client', '--insecure', '-o', tempDir('out'), `https://127.0.0.1:${server.port}/nope.txt`]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/GET \/nope\.txt failed: the server reset the stream with NOT_FOUND \(0x4\)/);
    await server.stop();
  });

  it('exits 1 within the timeout when nothing answers', async () => {
    // A port that was free a moment ago: nothing listens there.
    const probe = dgram.createSocket('udp4');
    await new Promise<void>((r) => probe.bind(0, '127.0.0.1', r));
    const port = probe.address().port;
    probe.close();
    const r = await pquic(['client', '--insecure', '--timeout', '2', `https://127.0.0.1:${port}/x`], { timeoutMs: 15_000 });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(new RegExp(`^pquic client: cannot connect to 127\\.0\\.0\\.1:${port}: handshake timeout: no answer from 127\\.0\\.0\\.1:${port} within 2 s`, 'm'));
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.ms).toBeLessThan(6_000);
  });

  it('prints usage for --help and exits 2 with usage on bad arguments', async () => {
    for (const cmd of ['server', 'client']) {
      const h = await pquic([cmd, '--help']);
      expect(h.code).toBe(0);
      expect(h.out).toMatch(new RegExp(`^usage: pquic ${cmd}`));
    }
    const cases: [string[], RegExp][] = [
      [['client'], /expected at least one URL/],
      [['client', 'ftp://127.0.0.1/x'], /only https:\/\/ URLs/],
      [['client', '--streams', 'many', 'https://127.0.0.1:4433/'], /--streams must be an integer/],
      [['client', 'https://127.0.0.1:1/a', 'https://127.0.0.1:2/b'], /same server/],
      [['server', '--crypto', 'rot13'], /--crypto must be node or noble/],
      [['server', '--bogus'], /Unknown option '--bogus'/],
      [['server', '-c', 'cert.pem'], /go together/],
    ];
    for (const [args, msg] of cases) {
      const r = await pquic(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toMatch(msg);
      expect(r.err).toContain(`usage: pquic ${args[0]}`);
    }
  });
});
