/**
 * The QUIC client endpoint: one UDP socket connected to the server, one connection. The host is
 * resolved with dns.lookup; Retry and Version Negotiation are handled by the connection itself.
 * When the connection ends, the endpoint closes its socket and timer so the process can exit.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { defaultConfiguration, type QuicConfiguration } from '../config.js';
import { QuicConnection } from '../connection/connection.js';
import type { PeerAddress } from '../connection/types.js';
import { openQlogFile } from '../qlog/file.js';
import { nowUs } from './clock.js';
import { ConnectionClock, CONNECTION_EPOCH_US } from './connection-clock.js';
import type { QlogTrace } from '../qlog/writer.js';
import { getProvider } from '../crypto/index.js';
import { Endpoint, type EndpointOptions } from './endpoint.js';
import { QuicSession } from './session.js';
import { anyAddress, bindUdp, familyOf, formatAddress, type BoundSocket } from './udp.js';

/** One trace that writes to several. */
function teeQlog(traces: QlogTrace[]): QlogTrace {
  return {
    get enabled() {
      return traces.some((t) => t.enabled);
    },
    event: (t, name, data) => {
      for (const x of traces) if (x.enabled) x.event(t, name, data);
    },
    close: () => {
      for (const x of traces) x.close();
    },
  };
}

export interface ClientOptions extends EndpointOptions {
  /** Server host name or address (resolved with dns.lookup). */
  host: string;
  port: number;
  /** Name for SNI and certificate verification; default `host`. */
  serverName?: string;
  /** Connection settings (ALPN, trust anchors or `insecure`, versions, keyLog, crypto ...). */
  config?: Partial<QuicConfiguration>;
  /** Write the connection's qlog file into this directory. */
  qlogDir?: string;
  /** Another qlog trace to write events to (e.g. a console log of frames); with qlogDir, both get them. */
  qlogTrace?: QlogTrace;
  /** Local address to bind; default the wildcard of the server's family. */
  localAddress?: string;
  /** Socket buffer size to ask for (default 4 MiB). */
  bufferBytes?: number;
  /**
   * Give up when the handshake has not completed after this long (default: the idle timeout).
   * The connection's own idle timer restarts with every probe it sends, so against a silent
   * server it alone could take several times the idle timeout to fire.
   */
  handshakeTimeoutMs?: number;
}

export class QuicClient extends Endpoint {
  readonly session: QuicSession;
  /** The server's resolved address. */
  readonly remote: PeerAddress;
  private handshakeTimer: NodeJS.Timeout | undefined;

  /**
   * Connects and resolves once the handshake is complete; rejects with QuicConnectionError (or
   * a resolution/socket error) otherwise. The endpoint is closed on failure.
   */
  static async connect(opts: ClientOptions): Promise<QuicClient> {
    const client = await QuicClient.start(opts);
    try {
      await client.session.handshake;
    } catch (e) {
      await client.close();
      throw e;
    }
    return client;
  }

  /** Resolves, binds and sends the first flight; does not wait for the handshake (`session.handshake`). */
  static async start(opts: ClientOptions): Promise<QuicClient> {
    const remote = await resolve(opts.host, opts.port);
    const bound = await bindUdp({
      address: opts.localAddress ?? anyAddress(familyOf(remote.address)), port: 0,
      ...(opts.bufferBytes !== undefined ? { bufferBytes: opts.bufferBytes } : {}),
    });
    try {
      await new Promise<void>((res, rej) => {
        bound.socket.once('error', rej);
        bound.socket.connect(remote.port, remote.address, () => {
          bound.socket.removeListener('error', rej);
          res();
        });
      });
    } catch (e) {
      bound.socket.close();
      throw e;
    }
    const serverName = opts.serverName ?? opts.host;
    const config = defaultConfiguration({ ...opts.config, isClient: true, serverName });
    return new QuicClient(bound, config, remote, opts);
  }

  private constructor(bound: BoundSocket, config: QuicConfiguration, remote: PeerAddress, opts: ClientOptions) {
    super(bound, opts);
    this.connectedPeer = true;
    this.remote = remote;
    // The connection and its qlog count time from the connection's creation (connection-clock.ts).
    const clock = new ConnectionClock(nowUs());
    const now = CONNECTION_EPOCH_US;
    const odcid = getProvider(config.crypto).randomBytes(8);
    const traces: QlogTrace[] = [];
    if (opts.qlogDir !== undefined) traces.push(openQlogFile(opts.qlogDir, { vantage: 'client', odcid, startTimeUs: now }));
    if (opts.qlogTrace) traces.push(opts.qlogTrace);
    const qlog = traces.length === 0 ? undefined : traces.length === 1 ? traces[0]! : teeQlog(traces);
    const quic = new QuicConnection(config, { now, peerAddress: remote, originalDcid: odcid, ...(qlog ? { qlog } : {}) });
    opts.onConnectionCreated?.(quic);
    quic.connect(now);
    this.session = new QuicSession(this, quic, clock);
    this.sessions.add(this.session);
    // Once the connection ends, send the CONNECTION_CLOSE it owes (if any) and release the socket
    // without waiting out the closing period: a client has nothing else to serve.
    void this.session.closed.then(() => this.close());
    const limitMs = opts.handshakeTimeoutMs ?? config.maxIdleTimeoutMs;
    if (limitMs > 0) {
      this.handshakeTimer = setTimeout(() => {
        this.handshakeTimer = undefined;
        if (this.session.handshakeCompleted || this.session.terminated) return;
        const hint = this.lastSocketError ? ` (socket error: ${this.lastSocketError.message})` : '';
        this.session.fail({
          type: 'connection_terminated', errorCode: 0, frameType: undefined, reason: `no answer from ${formatAddress(remote)} within ${limitMs / 1000} s${hint}`,
          application: false, byPeer: false, cause: 'handshake_timeout',
        });
      }, limitMs);
      void this.session.handshake.then(() => this.clearHandshakeTimer(), () => this.clearHandshakeTimer());
    }
    this.markDirty(this.session);
  }

  private clearHandshakeTimer(): void {
    if (this.handshakeTimer !== undefined) clearTimeout(this.handshakeTimer);
    this.handshakeTimer = undefined;
  }

  protected override shutdown(reason: string): void {
    this.clearHandshakeTimer();
    super.shutdown(reason);
  }

  protected handleDatagram(data: Uint8Array, from: PeerAddress, now: number): void {
    this.session.receive(data, from, now);
  }

  protected forgetSession(): void {
    // The client's only connection ended: nothing left to serve.
    this.shutdown('connection ended');
  }

  /**
   * Closes the connection with `errorCode` (0 = no error), sends the CONNECTION_CLOSE and
   * releases the socket without waiting out the closing period (RFC 9000 §10.2 lets an endpoint
   * that has nothing left to do discard its state).
   */
  override close(errorCode = 0, reason = ''): Promise<void> {
    if (!this.isShutDown && !this.session.terminated && (errorCode !== 0 || reason !== '')) this.session.close(errorCode, reason);
    return super.close();
  }
}

async function resolve(host: string, port: number): Promise<PeerAddress> {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (isIP(bare)) return { address: bare, port };
  const r = await lookup(bare);
  return { address: r.address, port };
}
