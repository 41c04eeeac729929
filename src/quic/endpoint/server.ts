/**
 * The QUIC server endpoint: one UDP socket, many connections, demultiplexed by connection ID.
 *
 * For each datagram (RFC 9000 §5.2.2, §6.1, §8.1.2, §10.3, §14.1):
 *  - a known DCID (any CID a connection issued, or the client's original DCID while the
 *    handshake runs) goes to its connection;
 *  - a long header of a version we do not speak, in a datagram of at least 1200 bytes, gets a
 *    Version Negotiation packet (never a VN packet, never a tiny datagram);
 *  - an Initial of a supported version with an unknown DCID, in a datagram of at least 1200
 *    bytes, that decrypts with its Initial keys, starts a connection; with `retry`, only once
 *    it carries a valid Retry token, and a Retry is sent otherwise;
 *  - a short header with an unknown DCID gets a stateless reset (smaller than it, rate-limited);
 *  - anything else is dropped and counted.
 */
import { rmSync } from 'node:fs';
import { defaultConfiguration, type QuicConfiguration } from '../config.js';
import { QuicConnection } from '../connection/connection.js';
import type { PeerAddress } from '../connection/types.js';
import { getProvider } from '../crypto/index.js';
import { initialSecrets } from '../crypto/initial.js';
import { PacketProtector } from '../crypto/packet-protection.js';
import { TLS_AES_128_GCM_SHA256, type CryptoProvider } from '../crypto/provider.js';
import { retryIntegrityTag } from '../crypto/retry.js';
import { ConnectionClock, CONNECTION_EPOCH_US } from './connection-clock.js';
import { openQlogFile, type QlogFile } from '../qlog/file.js';
import { TransportErrorCode } from '../wire/errors.js';
import { parsePacketHeader, type LongHeader } from '../wire/header.js';
import { isSupportedVersion, parseInvariantHeader } from '../wire/invariants.js';
import { appendRetryIntegrityTag, buildRetryWithoutTag } from '../wire/retry.js';
import { buildVersionNegotiation } from '../wire/version-negotiation.js';
import { Endpoint, type EndpointOptions, type EndpointStats } from './endpoint.js';
import { RetryTokens } from './retry-token.js';
import { QuicSession } from './session.js';
import { StatelessResetter } from './stateless-reset.js';
import { bindUdp } from './udp.js';
import { CidTable } from './cid-table.js';

/** RFC 9000 §14.1: the smallest datagram a client's Initial may arrive in. */
export const MIN_INITIAL_DATAGRAM = 1200;
/** RFC 9000 §7.2: the client's first Destination Connection ID is at least 8 bytes. */
const MIN_ORIGINAL_DCID = 8;
const MAX_CID = 20;

export interface ServerOptions extends EndpointOptions {
  /** Address to bind; default '::' (IPv6 and IPv4), falling back to '0.0.0.0' without IPv6. */
  host?: string;
  /** Port; 0 picks a free one. Default 4433. */
  port?: number;
  /** Connection settings; `certificateChain` and `privateKey` are required. */
  config: Partial<QuicConfiguration>;
  /** Validate client addresses with a Retry before creating connections (RFC 9000 §8.1.2). */
  retry?: boolean;
  /** AES-128-GCM key of the Retry tokens (16 bytes; random by default). */
  retryTokenKey?: Uint8Array;
  retryTokenLifetimeMs?: number;
  /** HMAC key of the stateless reset tokens; keep it across restarts. Random by default. */
  statelessResetKey?: Uint8Array;
  /** Stateless resets per second at most (default 100). */
  statelessResetRate?: number;
  /** Write one qlog file per connection into this directory. */
  qlogDir?: string;
  /** Connections at once; Initials beyond it are dropped. Default 10,000. */
  maxConnections?: number;
  /** Socket buffer size to ask for (default 4 MiB). */
  bufferBytes?: number;
  ipv6Only?: boolean;
}

export interface ServerStats extends EndpointStats {
  connectionsAccepted: number;
  /** Initials that created nothing: their first packet did not decrypt, or the server was full. */
  initialsRejected: number;
  retriesSent: number;
  /** Initials with a token that was forged, expired or for another Retry. */
  invalidTokens: number;
  versionNegotiationsSent: number;
  statelessResetsSent: number;
}

export type ConnectionHandler = (session: QuicSession) => void;

export class QuicServer extends Endpoint {
  readonly config: QuicConfiguration;
  declare readonly stats: ServerStats;
  readonly resetter: StatelessResetter;
  private readonly provider: CryptoProvider;
  private readonly tokens: RetryTokens | undefined;
  /** DCID -> session, looked up from the datagram's bytes (cid-table.ts). */
  private readonly routes = new CidTable<QuicSession>();
  private readonly onConnection: ConnectionHandler;
  private readonly opts: ServerOptions;
  private readonly cidLength: number;

  /** Binds the socket and starts serving; `onConnection` sees each new connection before its handshake completes. */
  static async listen(opts: ServerOptions, onConnection: ConnectionHandler): Promise<QuicServer> {
    const config = defaultConfiguration({ ...opts.config, isClient: false });
    if (!config.certificateChain || config.certificateChain.length === 0 || !config.privateKey) {
      throw new Error('a QUIC server needs config.certificateChain and config.privateKey');
    }
    if (config.connectionIdLength < MIN_ORIGINAL_DCID) {
      // Our CIDs route the short headers and the stateless resets: keep them unguessable.
      throw new Error(`config.connectionIdLength must be at least ${MIN_ORIGINAL_DCID} for a server`);
    }
    const host = opts.host ?? '::';
    const port = opts.port ?? 4433;
    const bind = (address: string): ReturnType<typeof bindUdp> =>
      bindUdp({ address, port, ...(opts.bufferBytes !== undefined ? { bufferBytes: opts.bufferBytes } : {}), ...(opts.ipv6Only !== undefined ? { ipv6Only: opts.ipv6Only } : {}) });
    let bound;
    try {
      bound = await bind(host);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (opts.host !== undefined || (code !== 'EAFNOSUPPORT' && code !== 'EADDRNOTAVAIL')) throw e;
      bound = await bind('0.0.0.0');
    }
    return new QuicServer(bound, config, opts, onConnection);
  }

  private constructor(bound: Awaited<ReturnType<typeof bindUdp>>, config: QuicConfiguration, opts: ServerOptions, onConnection: ConnectionHandler) {
    super(bound, opts);
    this.config = config;
    this.opts = opts;
    this.onConnection = onConnection;
    this.cidLength = config.connectionIdLength;
    this.provider = getProvider(config.crypto);
    this.resetter = new StatelessResetter(this.provider, {
      ...(opts.statelessResetKey ? { key: opts.statelessResetKey } : {}),
      ...(opts.statelessResetRate !== undefined ? { ratePerSecond: opts.statelessResetRate } : {}),
    });
    this.tokens = opts.retry
      ? new RetryTokens(this.provider, {
        ...(opts.retryTokenKey ? { key: opts.retryTokenKey } : {}),
        ...(opts.retryTokenLifetimeMs !== undefined ? { lifetimeMs: opts.retryTokenLifetimeMs } : {}),
      })
      : undefined;
    Object.assign(this.stats, {
      connectionsAccepted: 0, initialsRejected: 0, retriesSent: 0, invalidTokens: 0, versionNegotiationsSent: 0, statelessResetsSent: 0,
    });
  }

  /** The address and port the server listens on. */
  get address(): PeerAddress {
    return this.local;
  }

  get connectionCount(): number {
    return this.sessions.size;
  }

  /** The open connections. */
  get connections(): QuicSession[] {
    return [...this.sessions];
  }

  // ---------------------------------------------------------------- demultiplexing

  protected handleDatagram(data: Uint8Array, from: PeerAddress, now: number): void {
    if (data.length === 0) {
      this.stats.datagramsDropped++;
      return;
    }
    if ((data[0]! & 0x80) === 0) {
      this.onShortHeader(data, from, now);
      return;
    }
    let inv;
    try {
      inv = parseInvariantHeader(data, 0, this.cidLength);
    } catch {
      this.stats.datagramsDropped++;
      return;
    }
    if (inv.form !== 'long') return;
    const session = this.routes.get(inv.dcid, 0, inv.dcid.length);
    if (session) {
      session.receive(data, from, now);
      return;
    }
    if (inv.version === 0) {
      // A Version Negotiation packet is never answered (RFC 9000 §6.1).
      this.stats.datagramsDropped++;
      return;
    }
    if (data.length < MIN_INITIAL_DATAGRAM) {
      // Too small for a client's first flight: no connection, no VN (§6.1, §14.1).
      this.stats.datagramsDropped++;
      return;
    }
    if (!this.supports(inv.version)) {
      this.sendVersionNegotiation(inv.dcid, inv.scid, from);
      return;
    }
    // Only an Initial may start a connection; 0-RTT and Handshake for unknown CIDs are dropped.
    if (((inv.firstByte >> 4) & 0x3) !== 0 || inv.dcid.length < MIN_ORIGINAL_DCID || inv.dcid.length > MAX_CID || inv.scid.length > MAX_CID) {
      this.stats.datagramsDropped++;
      return;
    }
    let header;
    try {
      header = parsePacketHeader(data, 0, this.cidLength);
    } catch {
      this.stats.datagramsDropped++;
      return;
    }
    if (header.type !== 'initial') {
      this.stats.datagramsDropped++;
      return;
    }
    if (!this.initialDecrypts(data, header)) {
      // Junk dressed as an Initial: turned away for the price of one decryption, before any
      // connection, TLS state or Retry is spent on it.
      this.stats.initialsRejected++;
      return;
    }
    if (!this.tokens) {
      this.accept(data, from, now, header.dcid.slice(), header.scid.slice(), undefined);
      return;
    }
    if (header.token.length === 0) {
      this.sendRetry(header.version, header.dcid, header.scid, from);
      return;
    }
    const check = this.tokens.open(header.token, from.address, header.dcid);
    if (check.ok) {
      this.accept(data, from, now, check.odcid, header.scid.slice(), check.retryScid);
      return;
    }
    this.stats.invalidTokens++;
    if (check.reason === 'forged') {
      // Not ours, or from another address: say nothing (RFC 9000 §8.1.2 allows dropping).
      this.stats.datagramsDropped++;
      return;
    }
    // Ours but stale: the client will not take another Retry, so tell it (§8.1.2).
    this.refuseWithInvalidToken(data, from, header.dcid.slice(), header.scid.slice());
  }

  private onShortHeader(data: Uint8Array, from: PeerAddress, now: number): void {
    if (data.length < 1 + this.cidLength) {
      this.stats.datagramsDropped++;
      return;
    }
    const session = this.routes.get(data, 1, this.cidLength);
    if (session) {
      session.receive(data, from, now);
      return;
    }
    // RFC 9000 §10.3: we lost (or never had) this connection; tell the peer to stop.
    const reset = this.resetter.build(data.length, data.subarray(1, 1 + this.cidLength), now);
    if (!reset) {
      this.stats.datagramsDropped++;
      return;
    }
    this.stats.statelessResetsSent++;
    this.sendRaw(reset, from);
  }

  /**
   * Whether the Initial packet at the start of `data` decrypts with the Initial keys of its DCID
   * (RFC 9001 §5.2), tried on a copy since unprotecting works in place.
   */
  private initialDecrypts(data: Uint8Array, header: LongHeader): boolean {
    const packet = data.slice(header.packetStart, header.payloadEnd);
    const keys = PacketProtector.fromSecret(this.provider, TLS_AES_128_GCM_SHA256, initialSecrets(this.provider, header.dcid).client);
    return keys.unprotect(packet, 0, header.pnOffset - header.packetStart, packet.length, -1) !== null;
  }

  private supports(version: number): boolean {
    return isSupportedVersion(version) && this.config.versions.includes(version);
  }

  private accept(data: Uint8Array, from: PeerAddress, now: number, odcid: Uint8Array, peerCid: Uint8Array, retryScid: Uint8Array | undefined): void {
    if (this.sessions.size >= (this.opts.maxConnections ?? 10_000)) {
      this.stats.initialsRejected++;
      return;
    }
    const hostCid = retryScid ?? this.provider.randomBytes(this.cidLength);
    // The connection and its qlog count time from the connection's creation (connection-clock.ts).
    const clock = new ConnectionClock(now);
    const start = clock.local(now);
    const qlog = this.opts.qlogDir !== undefined ? openQlogFile(this.opts.qlogDir, { vantage: 'server', odcid, startTimeUs: start }) : undefined;
    const quic = new QuicConnection(this.config, {
      now: start, peerAddress: from, originalDcid: odcid, peerCid, hostCid, resetTokenFor: this.resetter.tokenFor,
      // After a Retry the client's Initial keys come from the Retry's SCID (RFC 9001 §5.2).
      ...(retryScid ? { retrySourceCid: retryScid, initialDcid: retryScid } : {}),
      ...(qlog ? { qlog } : {}),
    });
    if (this.opts.onConnectionCreated) {
      try {
        this.opts.onConnectionCreated(quic);
      } catch (e) {
        this.stats.initialsRejected++;
        this.reportError(e);
        if (qlog) discardQlog(qlog);
        return;
      }
    }
    quic.receiveDatagram(data, from, start);
    if (quic.stats.packetsReceived === 0) {
      // Its first packet did not decrypt: junk, or a corrupted Initial. Keep nothing.
      this.stats.initialsRejected++;
      if (qlog) discardQlog(qlog);
      return;
    }
    const session = new QuicSession(this, quic, clock);
    this.sessions.add(session);
    this.route(session, hostCid);
    // The client keeps using its original DCID until it hears from us (§7.2).
    if (!retryScid) this.route(session, odcid);
    this.stats.connectionsAccepted++;
    session.callApp(() => this.onConnection(session));
    session.drain();
  }

  private refuseWithInvalidToken(data: Uint8Array, from: PeerAddress, dcid: Uint8Array, scid: Uint8Array): void {
    // Created, used and dropped at one instant: its clock reads the epoch throughout.
    const start = CONNECTION_EPOCH_US;
    const quic = new QuicConnection(this.config, { now: start, peerAddress: from, originalDcid: dcid, peerCid: scid, resetTokenFor: this.resetter.tokenFor });
    quic.receiveDatagram(data, from, start);
    if (quic.stats.packetsReceived === 0) {
      this.stats.datagramsDropped++;
      return;
    }
    quic.close(TransportErrorCode.INVALID_TOKEN, 'invalid token', false, start);
    for (const d of quic.datagramsToSend(start)) this.sendRaw(d.data, d.to);
  }

  private sendVersionNegotiation(dcid: Uint8Array, scid: Uint8Array, to: PeerAddress): void {
    // RFC 9000 §6.3: list a reserved version (0x?a?a?a?a) too, so clients do not ossify.
    const grease = ((this.provider.randomBytes(4).reduce((a, b) => (a << 8) | b, 0) & 0xf0f0f0f0) | 0x0a0a0a0a) >>> 0;
    const versions = [...this.config.versions.filter(isSupportedVersion), grease];
    this.stats.versionNegotiationsSent++;
    this.sendRaw(buildVersionNegotiation({ dcid: scid, scid: dcid, supportedVersions: versions }), to);
  }

  private sendRetry(version: number, odcid: Uint8Array, clientScid: Uint8Array, to: PeerAddress): void {
    const retryScid = this.provider.randomBytes(this.cidLength);
    const token = this.tokens!.seal(to.address, odcid, retryScid);
    const body = buildRetryWithoutTag({ version, dcid: clientScid, scid: retryScid, token });
    this.stats.retriesSent++;
    this.sendRaw(appendRetryIntegrityTag(body, retryIntegrityTag(this.provider, odcid, body)), to);
  }

  // ---------------------------------------------------------------- routes

  private route(session: QuicSession, cid: Uint8Array): void {
    this.routes.set(cid, session);
    session.routeKeys.add(cidKey(cid));
  }

  override cidIssued(session: QuicSession, cid: Uint8Array): void {
    if (this.sessions.has(session)) this.route(session, cid);
  }

  override cidRetired(session: QuicSession, cid: Uint8Array): void {
    if (this.routes.get(cid, 0, cid.length) === session) this.routes.delete(cid);
    session.routeKeys.delete(cidKey(cid));
  }

  protected forgetSession(session: QuicSession): void {
    for (const key of session.routeKeys) {
      const cid = Buffer.from(key, 'hex');
      if (this.routes.get(cid, 0, cid.length) === session) this.routes.delete(cid);
    }
    session.routeKeys.clear();
  }

  /** Number of connection IDs routed (for tests and diagnostics). */
  get routeCount(): number {
    return this.routes.size;
  }
}

/** A session's record of its routes (issued and retired rarely: a string is fine there). */
function cidKey(cid: Uint8Array): string {
  return Buffer.from(cid.buffer, cid.byteOffset, cid.length).toString('hex');
}

function discardQlog(q: QlogFile): void {
  q.close();
  try {
    rmSync(q.path, { force: true });
  } catch {
    // nothing to clean
  }
}
