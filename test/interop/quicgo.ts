/**
 * quic-go 0.29's interop client and server, as built by tools/interop/setup.sh into
 * .interop/bin/ (or the directory in PQUIC_QGO_BIN). They follow the interop-runner's endpoint
 * contract: TESTCASE selects the behaviour (exit 127 when unsupported), the client takes URLs as
 * arguments and exits 0 when every file was downloaded. Our patches make the paths and the
 * listen address come from LISTEN, CERTS, WWW, DOWNLOADS and LOGFILE.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { freeUdpPort, REPO_ROOT, spawnProc, waitExit, waitUdpBound, type Proc } from './helpers.js';

export const QGO_BIN_DIR = process.env.PQUIC_QGO_BIN ?? join(REPO_ROOT, '.interop', 'bin');
export const QGO_SERVER = join(QGO_BIN_DIR, 'qgo-server');
export const QGO_CLIENT = join(QGO_BIN_DIR, 'qgo-client');

export function quicGoInstalled(): boolean {
  return existsSync(QGO_SERVER) && existsSync(QGO_CLIENT);
}

export interface QgoServer {
  proc: Proc;
  port: number;
}

export async function startQgoServer(opts: {
  testcase: string;
  www: string;
  certsDir: string;
  host?: string;
  keylog?: string;
  qlogDir?: string;
  logFile?: string;
}): Promise<QgoServer> {
  const host = opts.host ?? '127.0.0.1';
  const port = await freeUdpPort(host);
  const proc = spawnProc(`qgo-server(${opts.testcase})`, QGO_SERVER, [], {
    env: {
      TESTCASE: opts.testcase,
      LISTEN: host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`,
      WWW: opts.www,
      CERTS: opts.certsDir,
      SSLKEYLOGFILE: opts.keylog ?? '',
      QLOGDIR: opts.qlogDir ?? '',
      LOGFILE: opts.logFile ?? '',
    },
  });
  await waitUdpBound(port, host, 15_000, proc.running);
  return { proc, port };
}

export interface QgoClientRun {
  code: number | undefined;
  proc: Proc;
  seconds: number;
}

/** Runs the client to completion (or kills it after timeoutMs: code undefined). */
export async function runQgoClient(opts: {
  testcase: string;
  urls: string[];
  downloads: string;
  keylog?: string;
  qlogDir?: string;
  logFile?: string;
  timeoutMs: number;
}): Promise<QgoClientRun> {
  const t0 = performance.now();
  const proc = spawnProc(`qgo-client(${opts.testcase})`, QGO_CLIENT, opts.urls, {
    env: {
      TESTCASE: opts.testcase,
      DOWNLOADS: opts.downloads,
      SSLKEYLOGFILE: opts.keylog ?? '',
      QLOGDIR: opts.qlogDir ?? '',
      LOGFILE: opts.logFile ?? '',
    },
  });
  const code = await waitExit(proc, opts.timeoutMs);
  const seconds = (performance.now() - t0) / 1000;
  if (code === undefined) proc.child.kill('SIGKILL');
  return { code, proc, seconds };
}
