/**
 * aioquic's test pattern: an in-memory client/server pair with an injected clock, and helpers
 * that move datagrams between them, optionally through a lossy link.
 */
import { defaultConfiguration, type QuicConfiguration } from '../../../src/quic/config.js';
import { QuicConnection } from '../../../src/quic/connection/connection.js';
import type { PeerAddress } from '../../../src/quic/connection/types.js';
import type { QuicEvent } from '../../../src/quic/events.js';
import { getProvider } from '../../../src/quic/crypto/index.js';
import { generateSelfSigned } from '../../../src/quic/tls/certgen.js';
import { parseInvariantHeader } from '../../../src/quic/wire/header.js';
import type { QlogTrace } from '../../../src/quic/qlog/writer.js';

export const CLIENT_ADDR: PeerAddress = { address: '10.0.0.1', port: 1234 };
export const SERVER_ADDR: PeerAddress = { address: '10.0.0.2', port: 4433 };

let cert: ReturnType<typeof generateSelfSigned> | undefined;
export function serverCert(): ReturnType<typeof generateSelfSigned> {
  cert ??= generateSelfSigned(getProvider('node'), { kind: 'ecdsa-p256', commonName: 'localhost', dnsNames: ['localhost'] });
  return cert;
}

export interface Pair {
  /** Called with the server's connection when the client's first Initial creates it. */
  onServerCreated?: (server: QuicConnection) => void;
  /** One-way delay of the simulated link, µs. */
  delayUs: number;
  client: QuicConnection;
  server: QuicConnection | undefined;
  now: number;
  clientConfig: QuicConfiguration;
  serverConfig: QuicConfiguration;
  clientEvents: QuicEvent[];
  serverEvents: QuicEvent[];
  /** Called with each delivered datagram once its receiver processed it (a host reusing its receive buffer). */
  afterDatagram?: (data: Uint8Array) => void;
  /** Where datagrams seem to come from (default CLIENT_ADDR, SERVER_ADDR): change one to migrate. */
  clientAddress?: PeerAddress;
  serverAddress?: PeerAddress;
  /** The server connection's stateless reset tokens (default: random). */
  serverResetTokenFor?: (cid: Uint8Array) => Uint8Array;
}

/** `startUs`: the clock's reading when the client is created (default 1 s, as a connection's clock starts). */
export function makePair(opts: { client?: Partial<QuicConfiguration>; server?: Partial<QuicConfiguration>; clientQlog?: QlogTrace; beforeConnect?: (client: QuicConnection) => void; startUs?: number } = {}): Pair {
  const c = serverCert();
  const clientConfig = defaultConfiguration({ isClient: true, serverName: 'localhost', trustAnchors: [c.cert], ...opts.client });
  const serverConfig = defaultConfiguration({ isClient: false, certificateChain: [c.certDer], privateKey: c.privateKey, ...opts.server });
  const now = opts.startUs ?? 1_000_000;
  const client = new QuicConnection(clientConfig, { now, peerAddress: SERVER_ADDR, ...(opts.clientQlog ? { qlog: opts.clientQlog } : {}) });
  opts.beforeConnect?.(client);
  client.connect(now);
  return { delayUs: 5_000, client, server: undefined, now, clientConfig, serverConfig, clientEvents: [], serverEvents: [] };
}

/** A link: returns the datagrams that survive (drop, duplicate, reorder are the caller's choice). */
export type Link = (datagrams: Uint8Array[], direction: 'c2s' | 's2c') => Uint8Array[];
export const perfectLink: Link = (d) => d;

function deliverToServer(p: Pair, data: Uint8Array): void {
  if (!p.server) {
    const h = parseInvariantHeader(data, 0, 8);
    if (h.form !== 'long') return;
    p.server = new QuicConnection(p.serverConfig, { now: p.now, peerAddress: p.clientAddress ?? CLIENT_ADDR, originalDcid: h.dcid.slice(), peerCid: h.scid.slice(),
      ...(p.serverResetTokenFor ? { resetTokenFor: p.serverResetTokenFor } : {}),
    });
    p.onServerCreated?.(p.server);
  }
  p.server.receiveDatagram(data, p.clientAddress ?? CLIENT_ADDR, p.now);
  p.afterDatagram?.(data);
}

function drain(cnx: QuicConnection | undefined, into: QuicEvent[]): void {
  if (!cnx) return;
  for (let e = cnx.nextEvent(); e; e = cnx.nextEvent()) into.push(e);
}

/** Moves the clock, firing the timers that expire on the way. */
function advance(p: Pair, us: number): void {
  p.now += us;
  for (const cnx of [p.client, p.server]) {
    const t = cnx?.getTimer();
    if (cnx && t !== undefined && t <= p.now) cnx.handleTimer(p.now);
  }
}

/** One exchange in each direction. Returns the number of datagrams moved. */
export function roundtrip(p: Pair, link: Link = perfectLink): number {
  let moved = 0;
  const fromClient = p.client.datagramsToSend(p.now).map((d) => d.data);
  p.client.afterSend(p.now);
  if (fromClient.length > 0) advance(p, p.delayUs);
  for (const d of link(fromClient, 'c2s')) {
    deliverToServer(p, d);
    moved++;
  }
  drain(p.server, p.serverEvents);
  if (p.server) {
    const fromServer = p.server.datagramsToSend(p.now).map((d) => d.data);
    p.server.afterSend(p.now);
    if (fromServer.length > 0) advance(p, p.delayUs);
    for (const d of link(fromServer, 's2c')) {
      p.client.receiveDatagram(d, p.serverAddress ?? SERVER_ADDR, p.now);
      p.afterDatagram?.(d);
      moved++;
    }
  }
  drain(p.client, p.clientEvents);
  return moved;
}

/** Runs exchanges and timers until `done` or the step budget runs out; advances the clock. */
export function runUntil(p: Pair, done: () => boolean, opts: { link?: Link; maxSteps?: number; stepUs?: number } = {}): boolean {
  const max = opts.maxSteps ?? 2000;
  for (let i = 0; i < max; i++) {
    if (done()) return true;
    const moved = roundtrip(p, opts.link);
    if (done()) return true;
    if (moved === 0) {
      // Nothing in flight: jump to the next timer.
      const timers = [p.client.getTimer(), p.server?.getTimer()].filter((t): t is number => t !== undefined);
      if (timers.length === 0) return done();
      p.now = Math.max(p.now + 1, Math.min(...timers));
      p.client.handleTimer(p.now);
      p.server?.handleTimer(p.now);
      drain(p.client, p.clientEvents);
      drain(p.server, p.serverEvents);
    } else {
      p.now += opts.stepUs ?? 1000;
      for (const cnx of [p.client, p.server]) {
        const t = cnx?.getTimer();
        if (cnx && t !== undefined && t <= p.now) cnx.handleTimer(p.now);
      }
      drain(p.client, p.clientEvents);
      drain(p.server, p.serverEvents);
    }
  }
  return done();
}

/** Lets `us` of simulated time pass, exchanging datagrams and firing timers, never beyond it. */
export function runFor(p: Pair, us: number, link: Link = perfectLink): void {
  const end = p.now + us;
  for (let i = 0; i < 100_000 && p.now < end; i++) {
    const moved = roundtrip(p, link);
    if (moved > 0) continue;
    const timers = [p.client.getTimer(), p.server?.getTimer()].filter((t): t is number => t !== undefined && t > p.now);
    p.now = Math.min(end, ...timers);
    p.client.handleTimer(p.now);
    p.server?.handleTimer(p.now);
    drain(p.client, p.clientEvents);
    drain(p.server, p.serverEvents);
  }
}

export function handshake(p: Pair, link?: Link): void {
  const ok = runUntil(p, () => p.clientEvents.some((e) => e.type === 'handshake_completed') && p.serverEvents.some((e) => e.type === 'handshake_completed'), link ? { link } : {});
  if (!ok) throw new Error(`handshake did not complete: client ${p.client.state}, server ${p.server?.state}; ${JSON.stringify([...p.clientEvents, ...p.serverEvents].filter((e) => e.type === 'connection_terminated'))}`);
}

/** Seeded PRNG (mulberry32) for lossy links. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function lossyLink(seed: number, opts: { drop?: number; duplicate?: number; reorder?: number }): Link {
  const rnd = prng(seed);
  return (datagrams) => {
    const out: Uint8Array[] = [];
    for (const d of datagrams) {
      if (rnd() < (opts.drop ?? 0)) continue;
      out.push(d);
      if (rnd() < (opts.duplicate ?? 0)) out.push(d.slice());
    }
    if (rnd() < (opts.reorder ?? 0) && out.length > 1) out.reverse();
    return out;
  };
}

export function collectStream(events: QuicEvent[], streamId: number): { data: Uint8Array; fin: boolean } {
  const parts: Uint8Array[] = [];
  let fin = false;
  for (const e of events) {
    if (e.type === 'stream_data' && e.streamId === streamId) {
      parts.push(e.data);
      if (e.fin) fin = true;
    }
  }
  return { data: Buffer.concat(parts), fin };
}
