/**
 * Our side of the interop tests, run the way users run it: `pquic server` and `pquic client` as
 * child processes of a CLI bundle built from the current sources (helpers.buildCli).
 */
import { freeUdpPort, spawnProc, waitExit, waitUdpBound, type Proc } from './helpers.js';

export interface OurServer {
  proc: Proc;
  port: number;
}

export async function startOurServer(
  cli: string,
  opts: { www: string; cert: string; key: string; host?: string; retry?: boolean; keylog?: string; qlogDir?: string; extra?: string[] },
): Promise<OurServer> {
  const host = opts.host ?? '127.0.0.1';
  const port = await freeUdpPort(host);
  const args = [cli, 'server', '-p', String(port), '--host', host, '-c', opts.cert, '-k', opts.key, '-w', opts.www];
  if (opts.retry) args.push('--retry');
  if (opts.keylog !== undefined) args.push('-X', opts.keylog);
  if (opts.qlogDir !== undefined) args.push('-q', opts.qlogDir);
  if (opts.extra) args.push(...opts.extra);
  const proc = spawnProc(`pquic server${opts.retry ? ' --retry' : ''}`, process.execPath, args);
  await waitUdpBound(port, host, 20_000, proc.running);
  return { proc, port };
}

export interface OurClientRun {
  code: number | undefined;
  proc: Proc;
  /** Wall time of the client process. */
  seconds: number;
  /** From its summary line: bytes and seconds from connect to the last byte. */
  summary?: { bytes: number; seconds: number; mbit: number };
}

/** Parses "pquic client: summary: ... N bytes in S s, goodput G Mbit/s ...". */
export function parseSummary(stderr: string): OurClientRun['summary'] {
  const m = /summary: .*?(\d+) bytes in ([\d.]+) s, goodput ([\d.]+) Mbit\/s/.exec(stderr);
  if (!m) return undefined;
  return { bytes: Number(m[1]), seconds: Number(m[2]), mbit: Number(m[3]) };
}

export async function runOurClient(
  cli: string,
  opts: { urls: string[]; outDir: string; ca?: string; insecure?: boolean; alpn?: string; keylog?: string; timeoutS: number; extra?: string[] },
): Promise<OurClientRun> {
  const args = [cli, 'client', '-o', opts.outDir, '--timeout', String(opts.timeoutS)];
  if (opts.ca !== undefined) args.push('--ca', opts.ca);
  if (opts.insecure) args.push('--insecure');
  if (opts.alpn !== undefined) args.push('-a', opts.alpn);
  if (opts.keylog !== undefined) args.push('-X', opts.keylog);
  if (opts.extra) args.push(...opts.extra);
  args.push(...opts.urls);
  const t0 = performance.now();
  const proc = spawnProc('pquic client', process.execPath, args);
  const code = await waitExit(proc, (opts.timeoutS + 15) * 1000);
  const seconds = (performance.now() - t0) / 1000;
  if (code === undefined) proc.child.kill('SIGKILL');
  const summary = parseSummary(proc.stderr());
  return { code, proc, seconds, ...(summary ? { summary } : {}) };
}
