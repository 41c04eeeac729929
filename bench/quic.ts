/**
 * QUIC goodput against the raw UDP rate of Node's dgram, in one run (issue 3, "Speed").
 *
 *  - raw UDP: a sender process writes 1350-byte datagrams to a receiver process on loopback as
 *    fast as dgram lets it, for a few seconds; the receiver counts what arrives.
 *  - QUIC: `pquic server` and `pquic client -G SIZE` as separate processes, a single-stream
 *    download of a synthetic object; goodput from the client's summary line.
 * Runs alternate (raw, quic, raw, quic, ...) so that machine noise hits both; medians are
 * reported with the ratio. Run: npm run bench:quic [-- --size 100000000 --runs 3 --crypto noble]
 * `-- --plugins` instead compares goodput with no plugin and with each plugin in both endpoints.
 * `-- --ciphers LIST` makes the client offer only those suites (aes128gcm,aes256gcm,chacha20);
 * `-- --compare-ciphers` alternates the default offer (ChaCha20-Poly1305 on our WebAssembly AEAD)
 * with AES-128-GCM (node:crypto) in every round and prints both with their ratio.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const root = process.cwd();
const cli = join(root, 'bin/pquic.mjs');
const args = process.argv.slice(2);
const opt = (name: string, def: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : def;
};
const quick = args.includes('--quick');
const size = Number(opt('size', quick ? '20000000' : '100000000'));
const runs = Number(opt('runs', quick ? '1' : '3'));
const crypto = opt('crypto', 'node');
const mtu = opt('mtu', '1350');
const ciphers = opt('ciphers', '');
const compareCiphers = args.includes('--compare-ciphers');

interface Proc {
  out: string;
  err: string;
  done: Promise<number>;
  kill(): void;
}

function run(cmd: string, argv: string[], onOut?: (s: string) => void): Proc {
  const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  const p: Proc = {
    out: '',
    err: '',
    done: new Promise((resolve) => child.on('exit', (code) => resolve(code ?? -1))),
    kill: () => child.kill('SIGTERM'),
  };
  child.stdout.on('data', (d: Buffer) => {
    p.out += d.toString();
    onOut?.(p.out);
  });
  child.stderr.on('data', (d: Buffer) => {
    p.err += d.toString();
    onOut?.(p.err);
  });
  return p;
}

const RECEIVER = `
const s = require('node:dgram').createSocket('udp4');
let n = 0, bytes = 0, first = 0, last = 0;
s.on('message', (m) => { if (!first) first = performance.now(); last = performance.now(); n++; bytes += m.length; });
try { s.bind(0, '127.0.0.1', () => { s.setRecvBufferSize(4 << 20); console.log('port ' + s.address().port); }); } catch {}
process.on('SIGTERM', () => { console.log(JSON.stringify({ n, bytes, seconds: (last - first) / 1000 })); process.exit(0); });
`;
const SENDER = `
const [port, seconds, size] = process.argv.slice(1).map(Number);
const s = require('node:dgram').createSocket('udp4');
s.bind(0, '127.0.0.1', () => {
  s.setSendBufferSize(4 << 20);
  const buf = Buffer.alloc(size, 7);
  const end = performance.now() + seconds * 1000;
  let sent = 0, inflight = 0;
  const pump = () => {
    while (inflight < 64) { inflight++; sent++; s.send(buf, port, '127.0.0.1', () => { inflight--; }); }
    if (performance.now() < end) setImmediate(pump); else setTimeout(() => { console.log(JSON.stringify({ sent })); process.exit(0); }, 200);
  };
  pump();
});
`;

async function rawUdp(seconds: number): Promise<number> {
  let port = 0;
  let receiver: Proc | undefined;
  await new Promise<void>((resolve) => {
    receiver = run(process.execPath, ['-e', RECEIVER], (out) => {
      const m = /port (\d+)/.exec(out);
      if (m && !port) {
        port = Number(m[1]);
        resolve();
      }
    });
  });
  const sender = run(process.execPath, ['-e', SENDER, String(port), String(seconds), mtu]);
  await sender.done;
  receiver!.kill();
  await receiver!.done;
  const line = receiver!.out.trim().split('\n').pop()!;
  const r = JSON.parse(line) as { bytes: number; seconds: number };
  return (r.bytes * 8) / r.seconds / 1e6;
}

async function quic(plugins: string[] = [], offer = ciphers): Promise<{ goodput: number; lost: number }> {
  const pluginArgs = plugins.flatMap((m) => ['-P', join(root, 'plugins-c', m)]);
  const cipherArgs = offer ? ['--ciphers', offer] : [];
  let port = 0;
  let server: Proc | undefined;
  await new Promise<void>((resolve, reject) => {
    server = run(process.execPath, [cli, 'server', '-p', '0', '--host', '127.0.0.1', '--crypto', crypto, '--mtu', mtu, ...pluginArgs], (text) => {
      const m = /listening on \[?127\.0\.0\.1\]?:(\d+)/.exec(text);
      if (m && !port) {
        port = Number(m[1]);
        resolve();
      }
    });
    void server.done.then((code) => reject(new Error(`server exited (${code}): ${server!.err}`)));
  });
  const client = run(process.execPath, [cli, 'client', '--insecure', '--crypto', crypto, '--mtu', mtu, ...cipherArgs, ...pluginArgs, '-G', String(size), `https://127.0.0.1:${port}/`]);
  const code = await client.done;
  server!.kill();
  await server!.done;
  const m = /goodput ([\d.]+) Mbit\/s.*lost (\d+)/.exec(client.err);
  if (code !== 0 || !m) throw new Error(`client failed (${code}): ${client.err}`);
  return { goodput: Number(m[1]), lost: Number(m[2]) };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

if (args.includes('--plugins')) {
  // Goodput with no plugin and with each plugin in both endpoints, alternating; ratios to none.
  const variants: [string, string[]][] = [['no plugin', []], ['monitoring (8 observers)', ['monitoring/monitoring.plugin']], ['ack_delay', ['ack_delay/ack_delay.plugin']], ['datagram (idle)', ['datagram/datagram.plugin']], ['fec (XOR, K = 4)', ['fec/fec.plugin']]];
  const results = new Map<string, number[]>(variants.map(([n]) => [n, []]));
  for (let i = 0; i < runs; i++) for (const [name, plugins] of variants) results.get(name)!.push((await quic(plugins)).goodput);
  const base = median(results.get('no plugin')!);
  console.log(`| plugins in both endpoints (${(size / 1e6).toFixed(0)} MB, ${runs} run(s), median) | Mbit/s | vs no plugin |`);
  console.log('|---|---:|---:|');
  for (const [name] of variants) {
    const m = median(results.get(name)!);
    console.log(`| ${name} | ${m.toFixed(0)} | ${(m / base).toFixed(2)} |`);
  }
  process.exit(0);
}

if (compareCiphers) {
  // The default offer against AES-128-GCM only, alternating within each round (with raw UDP).
  const raw: number[] = [];
  const byOffer: Record<string, number[]> = { default: [], aes128gcm: [] };
  let lost = 0;
  for (let i = 0; i < runs; i++) {
    raw.push(await rawUdp(quick ? 1 : 3));
    for (const offer of ['', 'aes128gcm']) {
      const r = await quic([], offer);
      byOffer[offer || 'default']!.push(r.goodput);
      lost += r.lost;
    }
  }
  const chacha = median(byOffer.default!);
  const aes = median(byOffer.aes128gcm!);
  console.log(`| measurement (loopback, ${mtu}-byte datagrams, ${(size / 1e6).toFixed(0)} MB, ${runs} run(s), median) | Mbit/s |`);
  console.log('|---|---:|');
  console.log(`| raw UDP, Node dgram, one sender and one receiver process | ${median(raw).toFixed(0)} |`);
  console.log(`| QUIC, default offer (ChaCha20-Poly1305, our WebAssembly AEAD) | ${chacha.toFixed(0)} |`);
  console.log(`| QUIC, AES-128-GCM only (node:crypto) | ${aes.toFixed(0)} |`);
  console.log(`| ChaCha20-Poly1305 / AES-128-GCM | ${(chacha / aes).toFixed(2)} |`);
  console.log(`\nruns: default ${byOffer.default!.map((x) => x.toFixed(0)).join(', ')}; AES-128-GCM ${byOffer.aes128gcm!.map((x) => x.toFixed(0)).join(', ')}; raw UDP ${raw.map((x) => x.toFixed(0)).join(', ')} Mbit/s; packets lost: ${lost}`);
  process.exit(0);
}

const raw: number[] = [];
const q: number[] = [];
let lost = 0;
for (let i = 0; i < runs; i++) {
  raw.push(await rawUdp(quick ? 1 : 3));
  const r = await quic();
  q.push(r.goodput);
  lost += r.lost;
}
console.log(`| measurement (loopback, ${mtu}-byte datagrams, ${runs} run(s), median) | Mbit/s |`);
console.log('|---|---:|');
console.log(`| raw UDP, Node dgram, one sender and one receiver process | ${median(raw).toFixed(0)} |`);
console.log(`| QUIC, pquic client ← pquic server, one stream, ${(size / 1e6).toFixed(0)} MB, ${crypto} crypto | ${median(q).toFixed(0)} |`);
console.log(`| QUIC goodput / raw UDP rate | ${(median(q) / median(raw)).toFixed(2)} |`);
console.log(`\nQUIC runs: ${q.map((x) => x.toFixed(0)).join(', ')} Mbit/s; raw UDP runs: ${raw.map((x) => x.toFixed(0)).join(', ')} Mbit/s; packets lost in QUIC runs: ${lost}`);
