/**
 * What the server and the client endpoints share: one UDP socket, the sessions it carries, one
 * Node timer for the earliest connection timer, and the flush schedule.
 *
 * Scheduling: every datagram is handed to its connection as it arrives ('message' events come
 * in batches from libuv's poll phase); the connections that have something to do are marked
 * dirty and flushed together in a setImmediate callback right after the batch, so one flush
 * answers many datagrams (ACKs included). A flush sends at most MAX_BURST datagrams per
 * connection before yielding to the event loop, so incoming ACKs are read between bursts.
 */
import type { QuicConnection } from '../connection/connection.js';
import type dgram from 'node:dgram';
import type { PeerAddress } from '../connection/types.js';
import { delayMs, nowUs } from './clock.js';
import type { QuicSession, SessionHost } from './session.js';
import type { BoundSocket } from './udp.js';
import { DatagramPool } from './datagram-pool.js';
import { FlushList } from './flush-list.js';
import { endpointFlushes, type FlushTask } from './flush-scheduler.js';
import { PeerAddressCache } from './peer-address-cache.js';
import { ReceiveBuffer } from './receive-buffer.js';
import { sharedArena, takeBytes } from '../wire/byte-arena.js';
import { copyRange } from '../wire/bytes-copy.js';

/** Datagrams one connection may send per flush before the endpoint reads its socket again. */
const MAX_BURST = 256;
/** First size of the send buffers: an Ethernet MTU (the pool grows for a larger --mtu). */
const POOL_BUFFER_SIZE = 1500;
/** At most this many datagrams wait in the socket's queue before sends fall back to fresh buffers. */
const POOL_CAPACITY = 1024;
/** A timer due within this much (µs) is handled now rather than re-armed for a sub-ms wait. */
const TIMER_SLACK_US = 500;
/** How long close() waits for its CONNECTION_CLOSE datagrams to leave (ms). */
const CLOSE_SEND_WAIT_MS = 500;

export interface EndpointStats {
  datagramsReceived: number;
  bytesReceived: number;
  datagramsSent: number;
  bytesSent: number;
  /** Datagrams dropped by the endpoint itself (malformed, unknown, not allowed here). */
  datagramsDropped: number;
  /** Datagrams whose handling threw (counted and dropped; the socket keeps serving). */
  handlerErrors: number;
  /** Errors the socket reported (ICMP unreachable on a connected socket, failed sends). */
  socketErrors: number;
  /** Exceptions thrown by application callbacks. */
  appErrors: number;
}

export interface EndpointOptions {
  /** Called with an exception thrown by an application callback; default: one line on stderr. */
  onError?: (err: unknown) => void;
  /**
   * Called with every new connection before it processes or sends its first packet: where the
   * plugin runtime attaches (the endpoint knows nothing of plugins). Throwing refuses the
   * connection.
   */
  onConnectionCreated?: (quic: QuicConnection) => void;
  /**
   * Drops this fraction of the datagrams sent (0 to 1), as a lossy path would: for
   * demonstrations and tests of loss recovery and FEC. Deterministic for a given seed.
   */
  lossRate?: number;
  lossSeed?: number;
  /**
   * Called when handling a received datagram threw (the datagram is dropped and counted in
   * `handlerErrors`): a bug of ours, never the peer's junk, which is dropped without throwing.
   * For diagnostics (the CLI's --verbose prints it).
   */
  onDatagramError?: (err: unknown, from: PeerAddress) => void;
  /**
   * Test aid: after each received datagram is processed, fill its bytes in the receive buffer
   * with this value, so any view of them the core kept shows junk at once (not only when the
   * next datagram happens to differ).
   */
  scribbleReceived?: number;
}

export abstract class Endpoint implements SessionHost {
  readonly socket: dgram.Socket;
  /** The local address and port the socket is bound to. */
  readonly local: PeerAddress;
  readonly recvBufferSize: number;
  readonly sendBufferSize: number;
  readonly stats: EndpointStats = {
    datagramsReceived: 0, bytesReceived: 0, datagramsSent: 0, bytesSent: 0, datagramsDropped: 0, handlerErrors: 0, socketErrors: 0, appErrors: 0,
  };
  /** The last error the socket reported, if any. */
  lastSocketError: Error | undefined;

  protected readonly sessions = new Set<QuicSession>();
  protected isShutDown = false;
  /** A client's socket is connected to its server: sends then carry no address. */
  protected connectedPeer = false;
  /** Sessions to flush after this turn's datagrams (flush-list.ts: no Set copies per flush). */
  private readonly dirty = new FlushList<QuicSession>();
  /** This endpoint's flush, run in the check phase by the process's one Immediate (flush-scheduler.ts). */
  private readonly flushTask: FlushTask = { flushQueued: false, run: () => this.flushDirty() };
  private timer: NodeJS.Timeout | undefined;
  /**
   * When `timer` fires (endpoint µs); meaningless while `timer` is undefined. Never Infinity: V8
   * keeps a field that ever held a non-integer as a double, and its unoptimised tiers box every
   * read of it, a HeapNumber per flush (armTimer reads it after every batch).
   */
  private timerAt = 0;
  private readonly onAppError: (err: unknown) => void;
  private readonly onDatagramError: ((err: unknown, from: PeerAddress) => void) | undefined;
  /** One shared, frozen PeerAddress per recent remote: no `{ address, port }` per datagram. */
  private readonly peerAddresses = new PeerAddressCache();
  /** Every received datagram is copied here: no view object per datagram (receive-buffer.ts). */
  private readonly received = new ReceiveBuffer();
  private readonly scribbleReceived: number | undefined;
  /** The time of the current batch of received messages (see onMessage); undefined between batches. */
  private receiveNow: number | undefined;
  private readonly lossRate: number;
  private lossState: number;

  /** mulberry32: a small seeded generator, so a lossy run can be repeated. */
  private lossRandom(): number {
    this.lossState = (this.lossState + 0x6d2b79f5) >>> 0;
    let t = this.lossState;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** While closing: sends are counted until they leave the socket. */
  private pendingSends: number | undefined;
  private sendsDrained: (() => void) | undefined;

  protected constructor(bound: BoundSocket, opts: EndpointOptions) {
    this.socket = bound.socket;
    this.local = bound.local;
    this.recvBufferSize = bound.recvBufferSize;
    this.sendBufferSize = bound.sendBufferSize;
    this.lossRate = Math.min(1, Math.max(0, opts.lossRate ?? 0));
    this.lossState = (opts.lossSeed ?? 1) >>> 0;
    this.scribbleReceived = opts.scribbleReceived;
    this.onAppError = opts.onError ?? ((e) => process.stderr.write(`pquic: application callback failed: ${(e as Error)?.stack ?? String(e)}\n`));
    this.onDatagramError = opts.onDatagramError;
    this.socket.on('message', this.onMessage);
    this.socket.on('error', (e) => {
      this.lastSocketError = e;
      this.stats.socketErrors++;
    });
  }

  /** Handles one datagram; may throw (the caller counts and drops). */
  protected abstract handleDatagram(data: Uint8Array, from: PeerAddress, now: number): void;

  /** Subclasses forget a session's routes here. */
  protected abstract forgetSession(session: QuicSession): void;

  private readonly onMessage = (msg: Buffer, rinfo: dgram.RemoteInfo): void => {
    if (this.isShutDown) return;
    this.stats.datagramsReceived++;
    this.stats.bytesReceived += msg.length;
    // A copy into our own buffer, seen by the core as a plain Uint8Array (never a Buffer, whose
    // slice() is a view) and overwritten by the next datagram: the core copies what it keeps.
    const data = this.received.load(msg);
    if (data === undefined) {
      this.stats.datagramsDropped++;
      return;
    }
    // One clock reading per batch of messages (libuv reads several per poll), not per datagram:
    // reading it makes a HeapNumber or two, and every datagram of the batch was in the socket
    // before the first was handled, so the batch's start is their arrival time as closely as we
    // can tell (RTT samples, RFC 9002 §5). The flush after the batch forgets it.
    if (this.receiveNow === undefined) {
      this.receiveNow = nowUs();
      this.scheduleFlush();
    }
    try {
      this.handleDatagram(data, this.peerAddresses.get(rinfo.address, rinfo.port), this.receiveNow);
    } catch (e) {
      // Junk must never take the socket down: count it and go on.
      this.stats.handlerErrors++;
      this.reportDatagramError(e, rinfo);
    }
    if (this.scribbleReceived !== undefined) this.received.scribble(this.scribbleReceived);
  };

  private reportDatagramError(err: unknown, rinfo: dgram.RemoteInfo): void {
    if (this.onDatagramError === undefined) return;
    try {
      this.onDatagramError(err, this.peerAddresses.get(rinfo.address, rinfo.port));
    } catch {
      // A diagnostics callback must not take the socket down either.
    }
  }

  // ---------------------------------------------------------------- SessionHost

  markDirty(session: QuicSession): void {
    if (this.isShutDown) return;
    this.dirty.add(session);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    endpointFlushes.schedule(this.flushTask);
  }

  /** Send buffers for connections' datagrams (released by each send's callback). */
  private readonly pool = new DatagramPool(POOL_BUFFER_SIZE, POOL_CAPACITY, (err, counted) => {
    if (err) this.stats.socketErrors++;
    if (counted && this.pendingSends !== undefined && --this.pendingSends === 0) this.sendsDrained?.();
  });

  /**
   * Connections write every datagram here, and sendDatagram copies it into a pool buffer (a
   * memmove inside the byte arena: copyWithin, no view). Why not write into the pool buffer
   * directly: packet protection copies each packet into the AEAD's memory through a view of the
   * buffer it was written into, cached per buffer and range (crypto/range-views.ts), and the
   * pool rotates through hundreds of buffers, so every packet missed that cache and made a view
   * (bench:alloc --udp: about 85 B per datagram). One buffer repeats the same ranges.
   */
  private staging: Uint8Array = takeBytes(POOL_BUFFER_SIZE);

  datagramBuffer(min: number): Uint8Array {
    if (this.staging.length < min) {
      sharedArena().release(this.staging);
      this.staging = takeBytes(min);
    }
    return this.staging;
  }

  sendDatagram(buf: Uint8Array, length: number, to: PeerAddress): void {
    if (this.lossRate > 0 && this.lossRandom() < this.lossRate) {
      this.stats.datagramsDropped++;
      return;
    }
    this.stats.datagramsSent++;
    this.stats.bytesSent += length;
    const counted = this.pendingSends !== undefined;
    if (counted) this.pendingSends!++;
    // The socket reads the bytes after this call returns: they go out of a pool buffer, busy
    // until the send's callback, and the staging buffer is free for the next datagram.
    const out = this.pool.peek(length);
    copyRange(out, 0, buf, 0, length);
    const done = this.pool.take(out, counted);
    try {
      if (this.connectedPeer) this.socket.send(out, 0, length, done);
      else this.socket.send(out, 0, length, to.port, to.address, done);
    } catch (e) {
      // A send refused on the spot (socket closed, bad address) never calls back: free the
      // buffer here, or the pool would lose it.
      done(e instanceof Error ? e : new Error(String(e)));
    }
  }

  send(data: Uint8Array, to: PeerAddress): void {
    if (this.lossRate > 0 && this.lossRandom() < this.lossRate) {
      this.stats.datagramsDropped++;
      return;
    }
    this.stats.datagramsSent++;
    this.stats.bytesSent += data.length;
    const counted = this.pendingSends !== undefined;
    if (counted) this.pendingSends!++;
    if (this.connectedPeer) {
      if (counted) this.socket.send(data, this.onCountedSend);
      else this.socket.send(data);
    } else if (counted) {
      this.socket.send(data, to.port, to.address, this.onCountedSend);
    } else {
      this.socket.send(data, to.port, to.address);
    }
  }

  cidIssued(session: QuicSession, cid: Uint8Array): void {
    void session;
    void cid;
  }

  cidRetired(session: QuicSession, cid: Uint8Array): void {
    void session;
    void cid;
  }

  sessionClosed(session: QuicSession): void {
    this.sessions.delete(session);
    this.dirty.remove(session);
    this.forgetSession(session);
  }

  reportError(err: unknown): void {
    this.stats.appErrors++;
    this.onAppError(err);
  }

  // ---------------------------------------------------------------- scheduling

  /** Sends a datagram that is not part of a connection (VN, Retry, stateless reset). */
  protected sendRaw(data: Uint8Array, to: PeerAddress): void {
    this.send(data, to);
  }

  private flushDirty(): void {
    this.receiveNow = undefined;
    if (this.isShutDown || this.dirty.isEmpty) return;
    const now = nowUs();
    const dirty = this.dirty;
    const n = dirty.take();
    let earliest = Infinity;
    for (let i = 0; i < n; i++) {
      const s = dirty.entry(i);
      if (s === undefined) continue;
      let more = false;
      try {
        more = s.flush(now, MAX_BURST);
      } catch (e) {
        this.stats.handlerErrors++;
        this.reportError(e);
      }
      if (more) this.markDirty(s);
      if (s.deadline !== undefined && s.deadline < earliest && this.sessions.has(s)) earliest = s.deadline;
    }
    this.armTimer(earliest);
  }

  private armTimer(at: number): void {
    if (at === Infinity || this.isShutDown) return;
    if (this.timer !== undefined && at >= this.timerAt) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(this.onTimer, delayMs(at, nowUs()));
  }

  private readonly onTimer = (): void => {
    this.timer = undefined;
    if (this.isShutDown) return;
    this.timerPassNow = nowUs();
    this.timerPassEarliest = -1;
    // forEach, not for…of: a Set iterator is an object per timer (about 0.05 B per packet in
    // bench:alloc); the builtin walks the table without one, and like for…of it skips sessions
    // deleted during the pass.
    this.sessions.forEach(this.fireDeadline);
    const earliest = this.timerPassEarliest;
    this.flushDirty();
    this.armTimer(earliest < 0 ? Infinity : earliest);
  };

  /** onTimer's pass: the time it read, and the earliest deadline not yet due (−1: none). */
  private timerPassNow = 0;
  private timerPassEarliest = -1;

  /** One session in onTimer's pass: its timer fires when due, else its deadline counts. */
  private readonly fireDeadline = (s: QuicSession): void => {
    const d = s.deadline;
    if (d === undefined) return;
    const now = this.timerPassNow;
    if (d <= now + TIMER_SLACK_US) {
      s.deadline = undefined;
      try {
        s.timer(Math.max(now, d));
      } catch (e) {
        this.stats.handlerErrors++;
        this.reportError(e);
      }
    } else if (this.timerPassEarliest < 0 || d < this.timerPassEarliest) {
      this.timerPassEarliest = d;
    }
  };

  // ---------------------------------------------------------------- shutdown

  /**
   * Closes every connection (CONNECTION_CLOSE with NO_ERROR), waits briefly for those datagrams
   * to leave, then closes the socket and the timer so the process can exit. Sessions that were
   * still open resolve `closed` with a local close. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= this.closeNow();
    return this.closing;
  }

  private closing: Promise<void> | undefined;

  private async closeNow(): Promise<void> {
    if (this.isShutDown) return;
    this.pendingSends = 0;
    const now = nowUs();
    for (const s of this.sessions) {
      if (s.quic.isClosed) continue;
      try {
        // A connection that already ended (an error, the peer's close) is in its closing or
        // draining period: flushing sends its CONNECTION_CLOSE if it owes one.
        if (!s.terminated) s.closeAt(0, '', now);
        s.flush(now, MAX_BURST);
      } catch {
        // a broken connection has nothing to say
      }
    }
    if (this.pendingSends > 0) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, CLOSE_SEND_WAIT_MS);
        this.sendsDrained = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
    this.shutdown('endpoint closed');
  }

  /**
   * Drops every connection without a word to the peers (as a crash would) and closes the
   * socket. Peers find out by idle timeout, or by a stateless reset from a successor that
   * shares the reset key.
   */
  destroy(): void {
    this.shutdown('endpoint destroyed');
  }

  /** Stops everything at once: no more reads, sends or timers; the socket is closed. */
  protected shutdown(reason: string): void {
    if (this.isShutDown) return;
    this.isShutDown = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.dirty.clear();
    endpointFlushes.cancel(this.flushTask);
    for (const s of this.sessions) {
      s.abandon(reason);
      s.quic.qlog.close();
    }
    this.sessions.clear();
    this.socket.removeListener('message', this.onMessage);
    try {
      this.socket.close();
    } catch {
      // already closed
    }
    // The send buffers are slabs of the process-wide arena: other endpoints may use them now.
    this.pool.dispose();
    this.received.dispose();
    sharedArena().release(this.staging);
    this.staging = new Uint8Array(this.staging.length);
  }

  private readonly onCountedSend = (err: Error | null): void => {
    if (err) this.stats.socketErrors++;
    if (this.pendingSends !== undefined && --this.pendingSends === 0) this.sendsDrained?.();
  };
}
