/**
 * Shared pieces of the interop tests: certificates (made by our own certgen), web roots with
 * random files, free loopback ports, child processes that are always killed, our CLI bundle,
 * and the goodput log that the 50 MB transfers append to.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { appendFileSync, createReadStream, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getProvider } from '../../src/quic/crypto/index.js';
import { generateSelfSigned } from '../../src/quic/tls/certgen.js';
import { encodePrivateKeyPkcs8, pemEncode } from '../../src/quic/tls/pem.js';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Peers that are missing make their suites skip, unless this is set (CI sets it once it installs them). */
export const PEERS_REQUIRED = process.env.PQUIC_INTEROP_REQUIRE === '1';

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `pquic-interop-${prefix}-`));
}

// ------------------------------------------------------------------------------------------
// Certificates

export interface CertFiles {
  dir: string;
  /** Leaf then CA, PEM. */
  cert: string;
  /** The leaf's PKCS#8 key, PEM ("priv.key", the interop-runner's name). */
  key: string;
  /** The CA alone, PEM. */
  ca: string;
}

/** A CA and a leaf for localhost / 127.0.0.1 / ::1 (ECDSA P-256), written as cert.pem, priv.key and ca.pem. */
export function makeCerts(dir: string): CertFiles {
  mkdirSync(dir, { recursive: true });
  const provider = getProvider('node');
  const ca = generateSelfSigned(provider, { commonName: 'pquic interop CA', isCA: true, days: 2 });
  const leaf = generateSelfSigned(provider, {
    commonName: 'localhost',
    dnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1', '::1'],
    days: 2,
    issuer: { cert: ca.cert, key: ca.privateKey },
  });
  const files: CertFiles = { dir, cert: join(dir, 'cert.pem'), key: join(dir, 'priv.key'), ca: join(dir, 'ca.pem') };
  writeFileSync(files.cert, pemEncode('CERTIFICATE', leaf.certDer) + pemEncode('CERTIFICATE', ca.certDer));
  writeFileSync(files.key, pemEncode('PRIVATE KEY', encodePrivateKeyPkcs8(leaf.privateKey)));
  writeFileSync(files.ca, pemEncode('CERTIFICATE', ca.certDer));
  return files;
}

// ------------------------------------------------------------------------------------------
// Files

export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** Writes random files of the given sizes into `dir`; returns name -> sha256. */
export function makeFiles(dir: string, files: Record<string, number>): Map<string, string> {
  mkdirSync(dir, { recursive: true });
  const sums = new Map<string, string>();
  for (const [name, size] of Object.entries(files)) {
    const data = randomBytes(size);
    writeFileSync(join(dir, name), data);
    sums.set(name, sha256(data));
  }
  return sums;
}

/** Checks that every file of `expected` was downloaded into `dir` with the same content. */
export async function compareDownloads(dir: string, expected: Map<string, string>): Promise<string[]> {
  const problems: string[] = [];
  for (const [name, sum] of expected) {
    const p = join(dir, name);
    if (!existsSync(p)) problems.push(`${name}: missing`);
    else if ((await sha256File(p)) !== sum) problems.push(`${name}: sha256 differs`);
  }
  return problems;
}

// ------------------------------------------------------------------------------------------
// Ports

/** A UDP port on `host` that was free a moment ago (for peers that cannot bind port 0 and tell). */
export async function freeUdpPort(host = '127.0.0.1'): Promise<number> {
  const s = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.bind(0, host, () => resolve());
  });
  const port = s.address().port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** Resolves once something has bound UDP `port` on `host` (binding it ourselves fails with EADDRINUSE). */
export async function waitUdpBound(port: number, host = '127.0.0.1', timeoutMs = 15_000, alive?: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const inUse = await new Promise<boolean>((resolve) => {
      const s = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
      s.once('error', (e: NodeJS.ErrnoException) => {
        s.close();
        resolve(e.code === 'EADDRINUSE');
      });
      s.bind({ port, address: host, exclusive: true }, () => s.close(() => resolve(false)));
    });
    if (inUse) return;
    if (alive !== undefined && !alive()) throw new Error(`process exited before binding ${host}:${port}`);
    if (Date.now() > deadline) throw new Error(`nothing bound ${host}:${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// ------------------------------------------------------------------------------------------
// Child processes

export interface Proc {
  child: ChildProcess;
  name: string;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code (or 128+signal) once the process ends. */
  exited: Promise<number>;
  running: () => boolean;
  /** Output of both streams, the last `max` characters, for failure messages. */
  tail: (max?: number) => string;
}

const procs = new Set<Proc>();

export function spawnProc(name: string, cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Proc {
  const child = spawn(cmd, args, { cwd: opts.cwd ?? REPO_ROOT, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const cap = 1 << 20;
  child.stdout!.on('data', (d: Buffer) => {
    out = (out + d.toString()).slice(-cap);
  });
  child.stderr!.on('data', (d: Buffer) => {
    err = (err + d.toString()).slice(-cap);
  });
  let running = true;
  const exited = new Promise<number>((resolve) => {
    child.on('error', (e) => {
      err += `\nspawn error: ${e.message}`;
      running = false;
      resolve(127);
    });
    child.on('close', (code, signal) => {
      running = false;
      resolve(code ?? (signal ? 128 + (osSignal(signal) ?? 0) : 1));
    });
  });
  const p: Proc = {
    child,
    name,
    stdout: () => out,
    stderr: () => err,
    exited,
    running: () => running,
    tail: (max = 4000) => {
      const s = `--- ${name} stdout ---\n${out}\n--- ${name} stderr ---\n${err}`;
      return s.length > max ? `...${s.slice(-max)}` : s;
    },
  };
  procs.add(p);
  void exited.then(() => procs.delete(p));
  return p;
}

function osSignal(name: string): number | undefined {
  return ({ SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 } as Record<string, number>)[name];
}

/** Waits up to `ms` for the process to exit; returns its code, or undefined when it is still running. */
export async function waitExit(p: Proc, ms: number): Promise<number | undefined> {
  let t: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((r) => {
    t = setTimeout(() => r(undefined), ms);
  });
  const code = await Promise.race([p.exited, timeout]);
  clearTimeout(t);
  return code;
}

/** SIGTERM, then SIGKILL after a grace period. */
export async function killProc(p: Proc, graceMs = 2000): Promise<void> {
  if (!p.running()) return;
  p.child.kill('SIGTERM');
  if ((await waitExit(p, graceMs)) === undefined) {
    p.child.kill('SIGKILL');
    await p.exited;
  }
}

/** Kills every process spawned through spawnProc that is still running. */
export async function killAll(): Promise<void> {
  await Promise.all([...procs].map((p) => killProc(p)));
}

// ------------------------------------------------------------------------------------------
// Our CLI

/**
 * Bundles src/cli/entry.ts into dist/interop/ (two levels deep, as the CLI's paths.ts expects)
 * so that the tests run the current sources whatever state dist/cli/ is in. Returns the path.
 */
export async function buildCli(): Promise<string> {
  const { build } = await import('esbuild');
  const out = join(REPO_ROOT, 'dist', 'interop', `pquic-${process.pid}.mjs`);
  await build({
    entryPoints: [join(REPO_ROOT, 'src/cli/entry.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: out,
    packages: 'external',
    logLevel: 'error',
  });
  return out;
}

export function removeCli(path: string): void {
  rmSync(path, { force: true });
}

// ------------------------------------------------------------------------------------------
// Goodput log (for docs/BENCHMARKS.md)

export const GOODPUT_LOG = process.env.PQUIC_INTEROP_GOODPUT_LOG ?? join(tmpdir(), 'pquic-interop-goodput.log');

export function recordGoodput(label: string, bytes: number, seconds: number): string {
  const mbit = (bytes * 8) / seconds / 1e6;
  const line = `${new Date().toISOString()} ${label}: ${bytes} B in ${seconds.toFixed(3)} s = ${mbit.toFixed(1)} Mbit/s`;
  mkdirSync(dirname(GOODPUT_LOG), { recursive: true });
  appendFileSync(GOODPUT_LOG, `${line}\n`);
  console.log(`[interop goodput] ${line}`);
  return line;
}
