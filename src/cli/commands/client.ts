import { mkdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { flag, intOpt, parse, str, UsageError } from '../args.js';
import type { Command, Io } from '../io.js';
import { consoleFrameLog } from '../frame-log.js';
import { SessionFile } from '../session-file.js';
import { PLUGIN_OPTIONS, PLUGIN_USAGE, setupPlugins, type PluginSetup } from '../plugins-opt.js';
import type { QuicConfiguration } from '../../quic/config.js';
import { QuicClient } from '../../quic/endpoint/client.js';
import { openKeyLogFile, type KeyLogFile } from '../../quic/endpoint/keylog-file.js';
import { QuicConnectionError } from '../../quic/endpoint/session.js';
import type { EarlyDataOutcome } from '../../quic/connection/zero-rtt.js';
import { formatAddress } from '../../quic/endpoint/udp.js';
import { hqFetch, type HqRequest, type HqResult } from '../../quic/hq/client.js';
import { HQ_ALPN } from '../../quic/hq/constants.js';
import { DiscardSink, FileSink, StdoutSink, type BodySink } from '../../quic/hq/sinks.js';
import { syntheticPath } from '../../quic/hq/synthetic.js';
import { loadCertificates } from '../../quic/tls/pem.js';
import type { Certificate } from '../../quic/tls/x509.js';
import { ciphersOpt, cryptoOpt, DEFAULT_MTU, keyLogPath, lossOpt, qlogDirOpt } from './server.js';

/** How long a client with --session-file waits after its downloads for a ticket not yet received. */
const TICKET_WAIT_MS = 500;

const usage = `usage: pquic client [options] URL...

Downloads each URL (https://HOST:PORT/PATH) with HTTP/0.9 over one QUIC connection (ALPN
hq-interop), several at once within the server's stream limit, then prints a summary line
(bytes, time, goodput, handshake time, packets) on stderr. A progress bar is shown when
stderr is a terminal. All URLs must name the same server. Exit status: 0 when every body
arrived complete, 1 on any failure (connection error, reset stream), 2 on bad arguments.

Where the bodies go: with -o DIR, each into DIR/<last segment of its path> (index.html for a
path ending in /). Without -o, the body of a single URL goes to stdout, and with several
URLs (or -G) bodies are only counted.

options:
  -o, --output DIR      save the bodies into DIR (created if needed)
  -G, --generate N      request the synthetic object /_bytes/N (N bytes) from the server of the
                        first URL; URLs whose path is just / then only name the server
  -a, --alpn ALPN       application protocol (default hq-interop)
  -v, --version V       QUIC version to offer (default 0x00000001)
      --insecure        do not verify the server's certificate
      --ca FILE         trust these CA certificates (PEM) instead of Node's bundled roots
      --sni NAME        server name for SNI and verification (default: the URL's host)
      --session-file F  resume the TLS session saved in F (if any, for the same server name)
                        and save the server's newest session ticket into F; run again with
                        the same F to make a resumed connection (the summary says "resumed");
                        waits up to 0.5 s after the downloads for a ticket not yet received
      --early-data      with --session-file: send the requests in 0-RTT when the saved ticket
                        allows it (the summary says "0-RTT accepted" or "rejected"); 0-RTT can
                        be replayed, so only for requests that are safe to repeat
  -X, --keylog FILE     append TLS secrets, NSS key log format (default: $SSLKEYLOGFILE)
  -q, --qlog-dir DIR    write a qlog file of the connection (default: $QLOGDIR)
      --crypto C        node (default) | noble
      --ciphers LIST    cipher suites to offer, in order: aes128gcm,aes256gcm,chacha20
      --streams N       requests in flight at most (default: what the server allows)
      --timeout SECS    idle timeout, which also bounds the handshake (default 30)
      --mtu BYTES       largest UDP payload to send, 1200..65527 (default ${DEFAULT_MTU})
      --quiet           no progress bar and no summary
${PLUGIN_USAGE}
  -V, --verbose         one line per packet sent and received, naming its frames (on stderr)
      --loss P          drop this fraction of the datagrams we send (0..1), to try loss recovery and FEC
  -h, --help`;

interface Target {
  host: string;
  port: number;
  paths: string[];
}

function parseTargets(urls: string[], generate: number | undefined): Target {
  if (urls.length === 0) throw new UsageError('expected at least one URL (https://HOST:PORT/PATH)');
  let target: Target | undefined;
  for (const u of urls) {
    let url: URL;
    try {
      url = new URL(u);
    } catch {
      throw new UsageError(`not a URL: '${u}'`);
    }
    if (url.protocol !== 'https:') throw new UsageError(`only https:// URLs are supported, got '${u}'`);
    const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    const port = url.port === '' ? 443 : Number(url.port);
    if (!target) target = { host, port, paths: [] };
    else if (target.host !== host || target.port !== port) throw new UsageError(`all URLs must name the same server: '${u}' is not on ${target.host}:${target.port}`);
    const path = url.pathname + url.search;
    if (!(generate !== undefined && path === '/')) target.paths.push(path);
  }
  if (generate !== undefined) target!.paths.push(syntheticPath(generate));
  return target!;
}

/** DIR/<last path segment>, index.html for a directory. */
export function outputName(path: string): string {
  let p = path.split(/[?#]/)[0]!;
  try {
    p = decodeURIComponent(p);
  } catch {
    // keep it encoded
  }
  const name = p.endsWith('/') ? 'index.html' : basename(p);
  return name === '' || name === '.' || name === '..' ? 'index.html' : name;
}

function loadTrust(caFile: string | undefined): Certificate[] {
  if (caFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(caFile, 'utf8');
    } catch (e) {
      throw new UsageError(`cannot read ${caFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    return loadCertificates(text);
  }
  return loadCertificates(rootCertificates.join('\n'), { skipUnsupported: true });
}

function formatBytes(n: number): string {
  if (n < 1e3) return `${n} B`;
  if (n < 1e6) return `${(n / 1e3).toFixed(1)} kB`;
  if (n < 1e9) return `${(n / 1e6).toFixed(1)} MB`;
  return `${(n / 1e9).toFixed(2)} GB`;
}

/** A one-line progress display on a terminal, redrawn five times a second. */
class Progress {
  private received = 0;
  private readonly timer: NodeJS.Timeout;
  private readonly t0 = performance.now();

  constructor(private readonly total: number | undefined) {
    this.timer = setInterval(() => this.draw(), 200);
    this.timer.unref();
  }

  add(n: number): void {
    this.received += n;
  }

  private draw(): void {
    const secs = (performance.now() - this.t0) / 1000;
    const rate = secs > 0 ? (this.received * 8) / secs / 1e6 : 0;
    const width = 30;
    let bar = '';
    if (this.total !== undefined && this.total > 0) {
      const f = Math.min(1, this.received / this.total);
      const filled = Math.round(f * width);
      bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(f * 100).toFixed(0).padStart(3)}% `;
    }
    process.stderr.write(`\r${bar}${formatBytes(this.received)}  ${rate.toFixed(1)} Mbit/s\x1b[K`);
  }

  stop(): void {
    clearInterval(this.timer);
    process.stderr.write('\r\x1b[K');
  }
}

/** The summary's note on the handshake: resumed, and what became of 0-RTT when it was tried. */
function handshakeNote(resumed: boolean, zeroRtt: EarlyDataOutcome): string {
  const notes: string[] = [];
  if (resumed) notes.push('resumed');
  if (zeroRtt === 'accepted' || zeroRtt === 'rejected') notes.push(`0-RTT ${zeroRtt}`);
  return notes.length === 0 ? '' : ` (${notes.join(', ')})`;
}

export const clientCommand: Command = {
  name: 'client',
  summary: 'download URLs over QUIC with HTTP/0.9 (hq-interop) and report goodput',
  usage,
  async run(argv: string[], io: Io): Promise<number> {
    const p = parse(argv, {
      output: { type: 'string', short: 'o' },
      generate: { type: 'string', short: 'G' },
      alpn: { type: 'string', short: 'a' },
      version: { type: 'string', short: 'v' },
      insecure: { type: 'boolean' },
      ca: { type: 'string' },
      sni: { type: 'string' },
      'session-file': { type: 'string' },
      'early-data': { type: 'boolean' },
      keylog: { type: 'string', short: 'X' },
      'qlog-dir': { type: 'string', short: 'q' },
      crypto: { type: 'string' },
      ciphers: { type: 'string' },
      ...PLUGIN_OPTIONS,
      loss: { type: 'string' },
      verbose: { type: 'boolean', short: 'V' },
      streams: { type: 'string' },
      timeout: { type: 'string' },
      mtu: { type: 'string' },
      quiet: { type: 'boolean' },
    });
    const generate = intOpt(p, 'generate', 0, Number.MAX_SAFE_INTEGER);
    const version = intOpt(p, 'version', 1, 0xffffffff) ?? 0x00000001;
    const streams = intOpt(p, 'streams', 1, 1 << 30);
    const timeout = intOpt(p, 'timeout', 1, 86_400) ?? 30;
    const mtu = intOpt(p, 'mtu', 1200, 65527) ?? DEFAULT_MTU;
    const crypto = cryptoOpt(p);
    const loss = lossOpt(p);
    const target = parseTargets(p.positionals, generate);
    const insecure = flag(p, 'insecure');
    if (insecure && str(p, 'ca') !== undefined) throw new UsageError('--insecure and --ca contradict each other');
    let trust: Certificate[] = [];
    try {
      if (!insecure) trust = loadTrust(str(p, 'ca'));
    } catch (e) {
      if (e instanceof UsageError) throw e;
      io.err(`pquic client: bad CA file ${str(p, 'ca')}: ${(e as Error).message}`);
      return 1;
    }
    const quiet = flag(p, 'quiet');

    const outDir = str(p, 'output');
    const makeSink = (path: string): BodySink => {
      if (outDir !== undefined) return new FileSink(join(outDir, outputName(path)));
      if (target.paths.length === 1 && generate === undefined) return new StdoutSink();
      return new DiscardSink();
    };
    let requests: HqRequest[];
    try {
      if (outDir !== undefined) mkdirSync(outDir, { recursive: true });
      requests = target.paths.map((path) => ({ path, sink: makeSink(path) }));
    } catch (e) {
      io.err(`pquic client: cannot write into ${outDir}: ${(e as Error).message}`);
      return 1;
    }

    let keyLog: KeyLogFile | undefined;
    const keyLogFile = keyLogPath(p);
    if (keyLogFile !== undefined) {
      try {
        keyLog = openKeyLogFile(keyLogFile);
      } catch (e) {
        io.err(`pquic client: cannot open the key log ${keyLogFile}: ${(e as Error).message}`);
        return 1;
      }
    }
    const qlogDir = qlogDirOpt(p);
    const sessionFilePath = str(p, 'session-file');
    const sessionFile = sessionFilePath === undefined ? undefined : new SessionFile(sessionFilePath);
    const earlyData = flag(p, 'early-data');
    if (earlyData && !sessionFile) throw new UsageError('--early-data needs --session-file (0-RTT resumes a saved session)');
    if (sessionFile?.loadError !== undefined && !quiet) io.err(`pquic client: ${sessionFile.loadError}`);
    const config: Partial<QuicConfiguration> = {
      alpnProtocols: [str(p, 'alpn') ?? HQ_ALPN],
      versions: [version],
      crypto,
      ...ciphersOpt(p),
      insecure,
      trustAnchors: trust,
      maxIdleTimeoutMs: timeout * 1000,
      maxDatagramSize: mtu,
      ...(keyLog ? { keyLog: keyLog.write } : {}),
      ...(sessionFile ? { sessionCache: sessionFile } : {}),
      ...(earlyData ? { enableEarlyData: true } : {}),
    };

    let plugins: PluginSetup;
    try {
      plugins = setupPlugins(p, (line) => io.err(`pquic client: ${line}`));
    } catch (e) {
      io.err(`pquic client: ${(e as Error).message}`);
      keyLog?.close();
      return 1;
    }
    const t0 = performance.now();
    const total = generate !== undefined && target.paths.length === 1 ? generate : undefined;
    let progress: Progress | undefined;
    const fetchOptions = {
      ...(streams !== undefined ? { concurrency: streams } : {}),
      onBytes: (n: number) => progress?.add(n),
    };
    let client: QuicClient;
    // With --early-data the requests are written before the handshake completes, so they can
    // go in 0-RTT packets (RFC 9001 §4.6); without a usable ticket they wait for the handshake.
    let early: Promise<HqResult[]> | undefined;
    try {
      client = await QuicClient.start({
        host: target.host, port: target.port, config, ...loss,
        ...(flag(p, 'verbose') ? { qlogTrace: consoleFrameLog((line) => io.err(line)) } : {}),
        ...(plugins.onConnectionCreated ? { onConnectionCreated: plugins.onConnectionCreated } : {}),
        ...(str(p, 'sni') !== undefined ? { serverName: str(p, 'sni')! } : {}),
        ...(qlogDir !== undefined ? { qlogDir } : {}),
      });
      if (earlyData) early = hqFetch(client.session, requests, fetchOptions);
      try {
        await client.session.handshake;
      } catch (e) {
        await client.close();
        await early;
        throw e;
      }
    } catch (e) {
      for (const r of requests) r.sink?.abort();
      keyLog?.close();
      const where = `${target.host}:${target.port}`;
      if (e instanceof QuicConnectionError) {
        io.err(`pquic client: cannot connect to ${where}: ${e.message}`);
      } else {
        io.err(`pquic client: cannot connect to ${where}: ${(e as Error).message}`);
      }
      return 1;
    }

    if (!quiet && process.stderr.isTTY) progress = new Progress(total);
    const results: HqResult[] = await (early ?? hqFetch(client.session, requests, fetchOptions));
    const elapsed = (performance.now() - t0) / 1000;
    progress?.stop();
    const ended = client.session.terminated;
    const stats = client.session.stats;
    const resumed = client.session.quic.tls.resumed;
    const zeroRtt = client.session.earlyData;
    if (sessionFile && !ended) await sessionFile.waitForTicket(TICKET_WAIT_MS);
    await client.close();
    keyLog?.close();
    plugins.finish();

    const bytes = results.reduce((a, r) => a + r.bytes, 0);
    const failed = results.filter((r) => !r.ok);
    if (!quiet) {
      const goodput = elapsed > 0 ? (bytes * 8) / elapsed / 1e6 : 0;
      io.err(
        `pquic client: summary: ${results.length - failed.length}/${results.length} ok, ${bytes} bytes in ${elapsed.toFixed(3)} s, ` +
        `goodput ${goodput.toFixed(1)} Mbit/s, handshake ${(stats.handshakeDoneUs / 1000).toFixed(1)} ms${handshakeNote(resumed, zeroRtt)}, ` +
        `packets sent ${stats.packetsSent} received ${stats.packetsReceived} lost ${stats.packetsLost}, ` +
        `server ${formatAddress(client.remote)}`,
      );
    }
    if (failed.length > 0) {
      const first = failed[0]!;
      const more = failed.length > 1 ? ` (and ${failed.length - 1} more failed)` : '';
      io.err(`pquic client: GET ${first.path} failed: ${first.error ?? 'incomplete'}${more}`);
      return 1;
    }
    if (ended && ended.cause !== 'closed') {
      io.err(`pquic client: connection failed: ${new QuicConnectionError(ended).message}`);
      return 1;
    }
    return 0;
  },
};
