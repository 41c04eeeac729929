/**
 * An hq-interop (HTTP/0.9 over QUIC) client and server driving Cloudflare quiche 0.18 through
 * the napi binding that @matrixai/quic ships (`@matrixai/quic/native/quiche.js`). Interop
 * testing only; loopback only.
 *
 * The binding's calls are synchronous, so both roles run in the calling process on a
 * node:dgram socket: every received datagram goes into `conn.recv`, then the application reads
 * and writes streams, then `conn.send` is drained onto the socket and the timer re-armed.
 *
 * The binding is loaded with a computed specifier so that this file type-checks without the
 * package; `loadQuiche()` tells "not installed" (undefined) from "installed but broken" (throws).
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import dgram from 'node:dgram';
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isIP } from 'node:net';
import { join, normalize } from 'node:path';
import { performance } from 'node:perf_hooks';

// ------------------------------------------------------------------------------------------
// The part of the binding we use (our own declarations, checked against its .d.ts by hand).

export interface HostPort {
  host: string;
  port: number;
}

export interface QuicheConfig {
  loadCertChainFromPemFile(file: string): void;
  loadPrivKeyFromPemFile(file: string): void;
  loadVerifyLocationsFromFile(file: string): void;
  verifyPeer(verify: boolean): void;
  logKeys(): void;
  setApplicationProtos(protos: string[]): void;
  setMaxIdleTimeout(ms: number): void;
  setMaxRecvUdpPayloadSize(n: number): void;
  setMaxSendUdpPayloadSize(n: number): void;
  setInitialMaxData(n: number): void;
  setInitialMaxStreamDataBidiLocal(n: number): void;
  setInitialMaxStreamDataBidiRemote(n: number): void;
  setInitialMaxStreamDataUni(n: number): void;
  setInitialMaxStreamsBidi(n: number): void;
  setInitialMaxStreamsUni(n: number): void;
  setDisableActiveMigration(v: boolean): void;
  setCcAlgorithmName(name: string): void;
}

export interface QuicheError {
  isApp: boolean;
  errorCode: number;
  reason: Uint8Array;
}

export interface QuicheConnection {
  setKeylog(path: string): void;
  recv(data: Uint8Array, info: { from: HostPort; to: HostPort }): number;
  send(out: Uint8Array): [number, { from: HostPort; to: HostPort }] | null;
  streamRecv(id: number, out: Uint8Array): [number, boolean] | null;
  streamSend(id: number, data: Uint8Array, fin: boolean): number | null;
  peerStreamsLeftBidi(): number;
  readable(): Iterable<number>;
  writable(): Iterable<number>;
  timeout(): number | null;
  onTimeout(): void;
  close(app: boolean, err: number, reason: Uint8Array): void | null;
  applicationProto(): Uint8Array;
  isEstablished(): boolean;
  isInEarlyData(): boolean;
  isDraining(): boolean;
  isClosed(): boolean;
  isTimedOut(): boolean;
  peerError(): QuicheError | null;
  localError(): QuicheError | null;
  stats(): Record<string, unknown>;
}

export interface QuicheHeader {
  ty: number;
  version: number;
  dcid: Uint8Array;
  scid: Uint8Array;
  token?: Uint8Array;
}

export interface QuicheBinding {
  Config: new () => QuicheConfig;
  Connection: {
    connect(sni: string | null, scid: Uint8Array, local: HostPort, remote: HostPort, cfg: QuicheConfig): QuicheConnection;
    accept(scid: Uint8Array, odcid: Uint8Array | null, local: HostPort, remote: HostPort, cfg: QuicheConfig): QuicheConnection;
  };
  Header: { fromSlice(data: Uint8Array, dcidLen: number): QuicheHeader };
  Type: { Initial: number; Retry: number };
  retry(scid: Uint8Array, dcid: Uint8Array, newScid: Uint8Array, token: Uint8Array, version: number, out: Uint8Array): number;
  negotiateVersion(scid: Uint8Array, dcid: Uint8Array, out: Uint8Array): number;
  versionIsSupported(version: number): boolean;
}

export const QUICHE_PACKAGE = '@matrixai/quic';
const BINDING_SPECIFIER = `${QUICHE_PACKAGE}/native/quiche.js`;

/** Whether @matrixai/quic is installed where this project resolves packages. */
export function quicheInstalled(): boolean {
  try {
    createRequire(import.meta.url).resolve(`${QUICHE_PACKAGE}/package.json`);
    return true;
  } catch {
    return false;
  }
}

/** The binding, or undefined when the package is not installed. Throws when installed but unloadable. */
export async function loadQuiche(): Promise<QuicheBinding | undefined> {
  if (!quicheInstalled()) return undefined;
  const spec: string = BINDING_SPECIFIER;
  const mod = (await import(spec)) as { default: QuicheBinding };
  return mod.default;
}

// ------------------------------------------------------------------------------------------
// Shared pieces

const CID_LEN = 16;
const RECV_CHUNK = 1 << 20;

export interface PeerOptions {
  alpn?: string[];
  /** NSS key log file (quiche appends to it). */
  keylog?: string;
  /** Largest UDP payload quiche sends; default 1350. */
  mtu?: number;
  /** 'cubic' (default), 'reno' or 'bbr'. */
  cc?: string;
  idleTimeoutMs?: number;
  /** quiche's initial_max_streams_bidi; default 1000 (server) / 100 (client). */
  maxStreamsBidi?: number;
  log?: (line: string) => void;
}

function makeConfig(q: QuicheBinding, o: PeerOptions, server?: { cert: string; key: string }, ca?: string): QuicheConfig {
  const c = new q.Config();
  if (server) {
    c.loadCertChainFromPemFile(server.cert);
    c.loadPrivKeyFromPemFile(server.key);
  }
  if (ca !== undefined) {
    c.loadVerifyLocationsFromFile(ca);
    c.verifyPeer(true);
  } else {
    c.verifyPeer(false);
  }
  c.setApplicationProtos(o.alpn ?? ['hq-interop']);
  c.setMaxIdleTimeout(o.idleTimeoutMs ?? 30_000);
  c.setMaxRecvUdpPayloadSize(65527);
  c.setMaxSendUdpPayloadSize(o.mtu ?? 1350);
  c.setInitialMaxData(64 << 20);
  c.setInitialMaxStreamDataBidiLocal(16 << 20);
  c.setInitialMaxStreamDataBidiRemote(16 << 20);
  c.setInitialMaxStreamDataUni(1 << 20);
  c.setInitialMaxStreamsBidi(o.maxStreamsBidi ?? (server ? 1000 : 100));
  c.setInitialMaxStreamsUni(100);
  c.setDisableActiveMigration(true);
  c.setCcAlgorithmName(o.cc ?? 'cubic');
  if (o.keylog !== undefined) c.logKeys();
  return c;
}

function udpSocket(host: string): dgram.Socket {
  return dgram.createSocket({ type: isIP(host) === 6 ? 'udp6' : 'udp4', recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 });
}

function describeError(e: QuicheError | null): string | undefined {
  if (e === null) return undefined;
  const reason = Buffer.from(e.reason).toString('utf8');
  return `${e.isApp ? 'application' : 'transport'} error 0x${e.errorCode.toString(16)}${reason ? ` "${reason}"` : ''}`;
}

function jsonStats(s: Record<string, unknown>): Record<string, number | boolean | string> {
  const out: Record<string, number | boolean | string> = {};
  for (const [k, v] of Object.entries(s)) {
    if (typeof v === 'bigint') out[k] = Number(v);
    else if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string') out[k] = v;
  }
  return out;
}

/** One connection plus its socket plumbing: drain `send`, re-arm the timer, notice the close. */
class Pump {
  private timer: NodeJS.Timeout | undefined;
  private closedNotified = false;
  private readonly out = Buffer.alloc(65536);

  constructor(
    readonly conn: QuicheConnection,
    private readonly sock: dgram.Socket,
    private readonly afterIo: () => void,
    private readonly onClosed: () => void,
    private readonly log: (line: string) => void,
  ) {}

  recv(msg: Buffer, from: HostPort, to: HostPort): void {
    try {
      this.conn.recv(msg, { from, to });
    } catch (e) {
      this.log(`recv: ${(e as Error).message}`);
    }
    this.step();
  }

  step(): void {
    this.afterIo();
    this.flush();
  }

  flush(): void {
    for (;;) {
      let r: ReturnType<QuicheConnection['send']>;
      try {
        r = this.conn.send(this.out);
      } catch (e) {
        this.log(`send: ${(e as Error).message}`);
        break;
      }
      if (r === null) break;
      const [len, info] = r;
      this.sock.send(Buffer.from(this.out.subarray(0, len)), info.to.port, info.to.host);
    }
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.conn.isClosed()) {
      if (!this.closedNotified) {
        this.closedNotified = true;
        this.onClosed();
      }
      return;
    }
    const t = this.conn.timeout();
    if (t !== null) {
      this.timer = setTimeout(() => {
        this.conn.onTimeout();
        this.step();
      }, t);
    }
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}

// ------------------------------------------------------------------------------------------
// Server

export interface QuicheServerOptions extends PeerOptions {
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  cert: string;
  key: string;
  /** Files are served from here; `/_bytes/N` returns N bytes of 'a'. */
  www?: string;
  /** Send a Retry to every Initial without a valid token. */
  retry?: boolean;
}

export interface QuicheServerConnectionRecord {
  peer: string;
  alpn: string;
  requests: number;
  /** Why it closed: our or the peer's error, or 'idle timeout'. */
  closeReason?: string;
  stats?: Record<string, number | boolean | string>;
}

interface ServerStream {
  req: string;
  body?: { data?: Buffer; size: number };
  off: number;
}

const FILL = Buffer.alloc(256 << 10, 0x61);

export class QuicheServer {
  readonly connections: QuicheServerConnectionRecord[] = [];
  retriesSent = 0;
  private readonly byCid = new Map<string, { pump: Pump; streams: Map<number, ServerStream>; rec: QuicheServerConnectionRecord }>();
  private readonly tokenKey = randomBytes(32);
  private readonly rbuf = Buffer.alloc(RECV_CHUNK);
  private readonly config: QuicheConfig;
  private readonly log: (line: string) => void;

  private constructor(
    private readonly q: QuicheBinding,
    private readonly sock: dgram.Socket,
    private readonly opts: QuicheServerOptions,
    readonly host: string,
    readonly port: number,
  ) {
    this.config = makeConfig(q, opts, { cert: opts.cert, key: opts.key });
    this.log = opts.log ?? (() => {});
  }

  static async start(q: QuicheBinding, opts: QuicheServerOptions): Promise<QuicheServer> {
    const host = opts.host ?? '127.0.0.1';
    const sock = udpSocket(host);
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(opts.port ?? 0, host, () => {
        sock.off('error', reject);
        resolve();
      });
    });
    const server = new QuicheServer(q, sock, opts, host, sock.address().port);
    sock.on('message', (msg, rinfo) => server.onMessage(msg, { host: rinfo.address, port: rinfo.port }));
    return server;
  }

  close(): Promise<void> {
    for (const { pump } of this.byCid.values()) pump.stop();
    this.byCid.clear();
    return new Promise((resolve) => this.sock.close(() => resolve()));
  }

  private token(addr: string, odcid: Uint8Array): Buffer {
    const mac = createHmac('sha256', this.tokenKey).update(addr).update(odcid).digest().subarray(0, 16);
    return Buffer.concat([Buffer.from([odcid.length]), odcid, mac]);
  }

  private onMessage(msg: Buffer, from: HostPort): void {
    let hdr: QuicheHeader;
    try {
      hdr = this.q.Header.fromSlice(msg, CID_LEN);
    } catch {
      return;
    }
    const local: HostPort = { host: this.host, port: this.port };
    let entry = this.byCid.get(Buffer.from(hdr.dcid).toString('hex'));
    if (entry === undefined) {
      if (hdr.ty !== this.q.Type.Initial) return;
      if (!this.q.versionIsSupported(hdr.version)) {
        const out = Buffer.alloc(1350);
        const n = this.q.negotiateVersion(hdr.scid, hdr.dcid, out);
        this.sock.send(out.subarray(0, n), from.port, from.host);
        return;
      }
      let scid: Buffer = randomBytes(CID_LEN);
      let odcid: Buffer | null = null;
      if (this.opts.retry) {
        const token = hdr.token ? Buffer.from(hdr.token) : Buffer.alloc(0);
        if (token.length === 0) {
          const out = Buffer.alloc(1350);
          const n = this.q.retry(hdr.scid, hdr.dcid, scid, this.token(from.host, hdr.dcid), hdr.version, out);
          this.sock.send(out.subarray(0, n), from.port, from.host);
          this.retriesSent++;
          this.log(`retry sent to ${from.host}:${from.port}`);
          return;
        }
        const l = token[0]!;
        odcid = token.subarray(1, 1 + l);
        const expect = this.token(from.host, odcid);
        if (token.length !== expect.length || !timingSafeEqual(token, expect)) {
          this.log('invalid retry token dropped');
          return;
        }
        scid = Buffer.from(hdr.dcid);
      }
      const conn = this.q.Connection.accept(scid, odcid, local, from, this.config);
      if (this.opts.keylog !== undefined) conn.setKeylog(this.opts.keylog);
      const rec: QuicheServerConnectionRecord = { peer: `${from.host}:${from.port}`, alpn: '', requests: 0 };
      this.connections.push(rec);
      const ids = [Buffer.from(hdr.dcid).toString('hex'), scid.toString('hex')];
      const streams = new Map<number, ServerStream>();
      const pump: Pump = new Pump(
        conn,
        this.sock,
        () => this.serve(conn, streams, rec),
        () => {
          for (const id of ids) this.byCid.delete(id);
          rec.closeReason = describeError(conn.localError()) ?? describeError(conn.peerError()) ?? (conn.isTimedOut() ? 'idle timeout' : 'closed');
          rec.stats = jsonStats(conn.stats());
          this.log(`connection from ${rec.peer} closed: ${rec.closeReason}`);
        },
        this.log,
      );
      entry = { pump, streams, rec };
      for (const id of ids) this.byCid.set(id, entry);
      this.log(`new connection from ${rec.peer}, version 0x${hdr.version.toString(16)}`);
    }
    entry.pump.recv(msg, from, local);
  }

  private serve(conn: QuicheConnection, streams: Map<number, ServerStream>, rec: QuicheServerConnectionRecord): void {
    if (!conn.isEstablished() && !conn.isInEarlyData()) return;
    if (rec.alpn === '') rec.alpn = Buffer.from(conn.applicationProto()).toString('latin1');
    for (const sid of conn.readable()) {
      let s = streams.get(sid);
      if (s === undefined) {
        s = { req: '', off: 0 };
        streams.set(sid, s);
      }
      for (;;) {
        let r: [number, boolean] | null;
        try {
          r = conn.streamRecv(sid, this.rbuf);
        } catch {
          break;
        }
        if (r === null) break;
        const [n, fin] = r;
        if (s.body === undefined) s.req += this.rbuf.toString('latin1', 0, n);
        if (s.body === undefined && (fin || s.req.includes('\n'))) {
          s.body = this.response(s.req);
          rec.requests++;
        }
        if (fin) break;
      }
    }
    for (const [sid, s] of streams) {
      if (s.body !== undefined && this.sendBody(conn, sid, s)) streams.delete(sid);
    }
  }

  private response(req: string): { data?: Buffer; size: number } {
    const m = /^GET (\S+)/.exec(req);
    const path = m?.[1] ?? '/';
    const gen = /^\/_bytes\/(\d+)$/.exec(path);
    if (gen) return { size: Number(gen[1]) };
    if (this.opts.www === undefined) return { data: Buffer.alloc(0), size: 0 };
    try {
      const data = readFileSync(join(this.opts.www, normalize(`/${path}`)));
      return { data, size: data.length };
    } catch {
      return { data: Buffer.alloc(0), size: 0 };
    }
  }

  /** Writes as much of the body as flow control allows; true once the FIN is queued. */
  private sendBody(conn: QuicheConnection, sid: number, s: ServerStream): boolean {
    const body = s.body!;
    if (body.size === 0) {
      try {
        conn.streamSend(sid, Buffer.alloc(0), true);
      } catch {
        /* stream reset by the peer */
      }
      return true;
    }
    while (s.off < body.size) {
      const n = Math.min(body.size - s.off, FILL.length);
      const chunk = body.data ? body.data.subarray(s.off, s.off + n) : FILL.subarray(0, n);
      let w: number | null;
      try {
        w = conn.streamSend(sid, chunk, s.off + n === body.size);
      } catch (e) {
        this.log(`streamSend ${sid}: ${(e as Error).message}`);
        return true;
      }
      if (w === null || w === 0) return false;
      s.off += w;
      if (w < n) return false;
    }
    return true;
  }
}

// ------------------------------------------------------------------------------------------
// Client

export interface QuicheClientOptions extends PeerOptions {
  host?: string;
  port: number;
  /** SNI; default "localhost". */
  serverName?: string;
  /** Request paths ("/a", "/_bytes/1000"). */
  paths: string[];
  /** When set, each response is written to outDir/<basename>. */
  outDir?: string;
  /** PEM CA file: verify the server (default: no verification). */
  ca?: string;
  timeoutMs?: number;
}

export interface QuicheClientResult {
  ok: boolean;
  /** Completed responses, by request path. */
  responses: Map<string, { bytes: number; sha256: string }>;
  bytes: number;
  handshakeMs: number;
  /** From the first request to the last FIN. */
  transferSeconds: number;
  alpn: string;
  /** Retry packets that arrived (whether quiche accepted them or not). */
  retries: number;
  error?: string;
  stats: Record<string, number | boolean | string>;
}

/** Downloads `paths` over one connection and closes it (NO_ERROR). */
export async function runQuicheClient(q: QuicheBinding, opts: QuicheClientOptions): Promise<QuicheClientResult> {
  const host = opts.host ?? '127.0.0.1';
  const log = opts.log ?? (() => {});
  const config = makeConfig(q, opts, undefined, opts.ca);
  const sock = udpSocket(host);
  await new Promise<void>((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(0, isIP(host) === 6 ? '::1' : '127.0.0.1', () => {
      sock.off('error', reject);
      resolve();
    });
  });
  const local: HostPort = { host: sock.address().address, port: sock.address().port };
  const remote: HostPort = { host, port: opts.port };
  const conn = q.Connection.connect(opts.serverName ?? 'localhost', randomBytes(CID_LEN), local, remote, config);
  if (opts.keylog !== undefined) conn.setKeylog(opts.keylog);

  const rbuf = Buffer.alloc(RECV_CHUNK);
  const t0 = performance.now();
  let tReq = 0;
  let tDone = 0;
  let next = 0;
  let bytes = 0;
  let alpn = '';
  let closing = false;
  let retries = 0;
  const inflight = new Map<number, { path: string; hash: ReturnType<typeof createHash>; bytes: number; fd?: number }>();
  const responses = new Map<string, { bytes: number; sha256: string }>();

  return new Promise<QuicheClientResult>((resolve) => {
    let timeout: NodeJS.Timeout | undefined;
    let finished = false;
    const finish = (error?: string): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timeout);
      pump.stop();
      for (const r of inflight.values()) if (r.fd !== undefined) closeSync(r.fd);
      sock.close();
      const done = tDone || performance.now();
      resolve({
        ok: error === undefined && responses.size === opts.paths.length,
        responses,
        bytes,
        handshakeMs: tReq ? tReq - t0 : NaN,
        transferSeconds: tReq ? (done - tReq) / 1000 : NaN,
        alpn,
        retries,
        ...(error !== undefined ? { error } : {}),
        stats: jsonStats(conn.stats()),
      });
    };
    const afterIo = (): void => {
      if (!conn.isEstablished()) return;
      if (tReq === 0) {
        tReq = performance.now();
        alpn = Buffer.from(conn.applicationProto()).toString('latin1');
        log(`established, alpn ${alpn}, ${(tReq - t0).toFixed(1)} ms`);
      }
      // Open request streams as the peer's stream limit allows.
      while (next < opts.paths.length && conn.peerStreamsLeftBidi() > 0) {
        const path = opts.paths[next]!;
        const sid = next * 4;
        try {
          conn.streamSend(sid, Buffer.from(`GET ${path}\r\n`, 'latin1'), true);
        } catch (e) {
          log(`request ${path}: ${(e as Error).message}`);
          break;
        }
        const name = path.split('/').pop() || 'index.html';
        inflight.set(sid, { path, hash: createHash('sha256'), bytes: 0, ...(opts.outDir !== undefined ? { fd: openSync(join(opts.outDir, name), 'w') } : {}) });
        next++;
      }
      for (const sid of conn.readable()) {
        const r = inflight.get(sid);
        for (;;) {
          let got: [number, boolean] | null;
          try {
            got = conn.streamRecv(sid, rbuf);
          } catch {
            break;
          }
          if (got === null) break;
          const [n, fin] = got;
          bytes += n;
          if (r !== undefined) {
            r.hash.update(rbuf.subarray(0, n));
            r.bytes += n;
            if (r.fd !== undefined) writeSync(r.fd, rbuf, 0, n);
          }
          if (fin) {
            if (r !== undefined) {
              if (r.fd !== undefined) closeSync(r.fd);
              responses.set(r.path, { bytes: r.bytes, sha256: r.hash.digest('hex') });
              inflight.delete(sid);
            }
            break;
          }
        }
      }
      if (!closing && responses.size === opts.paths.length) {
        closing = true;
        tDone = performance.now();
        conn.close(true, 0, Buffer.alloc(0));
        // The CONNECTION_CLOSE goes out in this step's flush; quiche's closing period (3 PTO,
        // about half a second here) has nothing left to tell us, so stop shortly after it.
        setTimeout(() => finish(), 50);
      }
    };
    const pump = new Pump(
      conn,
      sock,
      afterIo,
      () => {
        const err = describeError(conn.peerError()) ?? (closing ? undefined : (describeError(conn.localError()) ?? (conn.isTimedOut() ? 'idle timeout' : 'closed early')));
        // A peer's NO_ERROR close after all responses is fine.
        const peer = conn.peerError();
        finish(peer !== null && peer.errorCode === 0 && responses.size === opts.paths.length ? undefined : err);
      },
      log,
    );
    sock.on('message', (msg, rinfo) => {
      if (tReq === 0 && msg.length > 0 && (msg[0]! & 0xf0) === 0xf0) {
        // A v1 long header of type 3 (Retry).
        try {
          if (q.Header.fromSlice(msg, CID_LEN).ty === q.Type.Retry) retries++;
        } catch {
          /* not a packet quiche can parse: recv() will say so */
        }
      }
      pump.recv(msg, { host: rinfo.address, port: rinfo.port }, local);
    });
    timeout = setTimeout(() => finish(`timed out after ${opts.timeoutMs ?? 60_000} ms (${responses.size}/${opts.paths.length} responses)`), opts.timeoutMs ?? 60_000);
    pump.flush();
  });
}
