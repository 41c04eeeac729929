/**
 * A connection as the endpoint's applications see it: a QuicConnection plus the plumbing that
 * turns its events into per-stream callbacks and promises. The endpoint (server or client)
 * feeds it datagrams and timer expiries and asks it to flush; everything here is synchronous
 * and runs on the endpoint's schedule.
 */
import type { QuicConnection } from '../connection/connection.js';
import type { PeerAddress } from '../connection/types.js';
import type { EarlyDataOutcome } from '../connection/zero-rtt.js';
import type { ConnectionTerminated, HandshakeCompleted } from '../events.js';
import { TransportErrorCode } from '../wire/errors.js';
import { nowUs } from './clock.js';
import type { ConnectionClock } from './connection-clock.js';
import { QuicStream } from './stream.js';
import { clearArray } from '../clear-array.js';

/** What a session needs from the endpoint that runs it. */
export interface SessionHost {
  /** The session has something to send, or app callbacks to run: flush it soon. */
  markDirty(session: QuicSession): void;
  send(data: Uint8Array, to: PeerAddress): void;
  /** A buffer of at least `min` bytes for the next datagram (not reserved until sendDatagram). */
  datagramBuffer(min: number): Uint8Array;
  /** Sends buf[0, length): the host owns `buf` again once the socket is done with it. */
  sendDatagram(buf: Uint8Array, length: number, to: PeerAddress): void;
  cidIssued(session: QuicSession, cid: Uint8Array): void;
  cidRetired(session: QuicSession, cid: Uint8Array): void;
  /** The connection reached the closed state: forget it. */
  sessionClosed(session: QuicSession): void;
  /** An application callback threw. */
  reportError(err: unknown): void;
}

const TRANSPORT_ERROR_NAMES = new Map<number, string>(Object.entries(TransportErrorCode).map(([k, v]) => [v, k]));

/** A transport error code as text: `PROTOCOL_VIOLATION`, `CRYPTO_ERROR(0x128)`, or hex. */
export function transportErrorName(code: number): string {
  if (code >= 0x100 && code <= 0x1ff) return `CRYPTO_ERROR(0x${code.toString(16)})`;
  return TRANSPORT_ERROR_NAMES.get(code) ?? `0x${code.toString(16)}`;
}

/** One line saying why a connection ended. */
export function describeTermination(e: ConnectionTerminated): string {
  const reason = e.reason ? `: ${e.reason}` : '';
  switch (e.cause) {
    case 'idle_timeout':
      return 'idle timeout: no packet from the peer within the idle timeout';
    case 'stateless_reset':
      return 'stateless reset received: the peer no longer knows this connection';
    case 'version_negotiation':
      return e.reason || 'version negotiation failed';
    case 'handshake_timeout':
      return `handshake timeout${reason}`;
    case 'closed': {
      const code = e.application ? `application error 0x${e.errorCode.toString(16)}` : transportErrorName(e.errorCode);
      return `${e.byPeer ? 'closed by the peer' : 'closed locally'} with ${code}${reason}`;
    }
    default:
      return `${e.cause.replace(/_/g, ' ')}: ${transportErrorName(e.errorCode)}${reason}`;
  }
}

/** A connection that ended with an error, or before its handshake completed. */
export class QuicConnectionError extends Error {
  readonly event: ConnectionTerminated;

  constructor(event: ConnectionTerminated) {
    super(describeTermination(event));
    this.name = 'QuicConnectionError';
    this.event = event;
  }
}

/** Whether a termination is a normal end (NO_ERROR, by either side). */
export function isCleanClose(e: ConnectionTerminated): boolean {
  return e.cause === 'closed' && e.errorCode === 0;
}

export class QuicSession {
  readonly quic: QuicConnection;
  /** Resolves when the handshake completes; rejects with QuicConnectionError if the connection ends first. */
  readonly handshake: Promise<HandshakeCompleted>;
  /** Resolves when the connection ends, however it ends. */
  readonly closed: Promise<ConnectionTerminated>;
  handshakeCompleted: HandshakeCompleted | undefined;
  terminated: ConnectionTerminated | undefined;

  /** @internal the connection's next timer (µs, endpoint clock), cached after each flush */
  deadline: number | undefined;
  /** @internal the endpoint's: waiting in its flush list (endpoint/flush-list.ts) */
  flushQueued = false;
  /** @internal demultiplexing keys the server registered for this session */
  readonly routeKeys = new Set<string>();

  private readonly host: SessionHost;
  /**
   * The connection's time base: every endpoint time is made relative to the connection's
   * creation before it reaches the core, so its times stay small integers (connection-clock.ts).
   */
  private readonly clock: ConnectionClock;
  private readonly streams = new Map<number, QuicStream>();
  private readonly writable = new Set<QuicStream>();
  private streamHandler: ((s: QuicStream) => void) | undefined;
  private readonly pendingPeerStreams: QuicStream[] = [];
  /** Streams with bytes to read, served at the next flush (see deliverReadables). */
  private readonly readable: QuicStream[] = [];
  /** deliverReadables is running inside a flush, which sends what the reads cause. */
  private delivering = false;
  private creditWaiters: { bidi: boolean; resolve: (ok: boolean) => void }[] = [];
  private resolveHandshake!: (h: HandshakeCompleted) => void;
  private rejectHandshake!: (e: Error) => void;
  private resolveClosed!: (e: ConnectionTerminated) => void;
  private closedReported = false;

  /** `clock`: the time base `quic` was created on (its `now` was `clock.local(endpoint time)`). */
  constructor(host: SessionHost, quic: QuicConnection, clock: ConnectionClock) {
    this.host = host;
    this.quic = quic;
    this.clock = clock;
    // Streams read the pull way: bytes stay in the connection until a stream takes them, with
    // `read` into the application's buffer (no allocation) or as `onData` views.
    quic.setStreamReads('pull');
    this.handshake = new Promise<HandshakeCompleted>((resolve, reject) => {
      this.resolveHandshake = resolve;
      this.rejectHandshake = reject;
    });
    // Nobody has to listen: an unobserved failed handshake must not crash the process.
    this.handshake.catch(() => undefined);
    this.closed = new Promise<ConnectionTerminated>((resolve) => {
      this.resolveClosed = resolve;
    });
  }

  get remoteAddress(): PeerAddress {
    return this.quic.peerAddress;
  }

  /**
   * Client: what became of 0-RTT: 'none' (not attempted: no early-data ticket or not enabled),
   * 'pending' (the handshake is not over), 'accepted' or 'rejected' (the data went again in 1-RTT).
   * Streams opened and written before the handshake completes go in 0-RTT when it is attempted.
   */
  get earlyData(): EarlyDataOutcome {
    return this.quic.earlyData;
  }

  get stats(): QuicConnection['stats'] {
    return this.quic.stats;
  }

  get isClient(): boolean {
    return this.quic.isClient;
  }

  /** Streams the peer opens; streams that arrived before a handler was set are handed over now. */
  onStream(handler: (stream: QuicStream) => void): void {
    this.streamHandler = handler;
    const queued = this.pendingPeerStreams.splice(0);
    for (const s of queued) this.callApp(() => handler(s));
  }

  /** Whether the peer's MAX_STREAMS lets us open a stream now. */
  canOpenStream(bidirectional = true): boolean {
    return this.terminated === undefined && this.quic.canCreateStream(bidirectional);
  }

  /** Opens a stream; throws when the peer's limit is reached (see `waitForStreamCredit`). */
  openStream(bidirectional = true): QuicStream {
    const id = this.quic.createStream(bidirectional);
    const s = new QuicStream(this, id);
    this.streams.set(id, s);
    this.touch();
    return s;
  }

  /**
   * Resolves true as soon as a stream can be opened (at once if it can now), false when the
   * connection ends first.
   */
  waitForStreamCredit(bidirectional = true): Promise<boolean> {
    if (this.terminated) return Promise.resolve(false);
    if (this.quic.canCreateStream(bidirectional)) return Promise.resolve(true);
    return new Promise((resolve) => this.creditWaiters.push({ bidi: bidirectional, resolve }));
  }

  /** Closes the connection (CONNECTION_CLOSE with an application error code; 0 = no error). */
  close(errorCode = 0, reason = ''): void {
    this.quic.close(errorCode, reason, true, this.clock.local(nowUs()));
    this.touch();
  }

  /** @internal The endpoint closes the connection at `now` (endpoint time) without scheduling a flush. */
  closeAt(errorCode: number, reason: string, now: number): void {
    this.quic.close(errorCode, reason, true, this.clock.local(now));
  }

  /** Asks the endpoint to flush this session soon. */
  touch(): void {
    this.host.markDirty(this);
  }

  // ---------------------------------------------------------------- endpoint side

  /** @internal */
  receive(data: Uint8Array, from: PeerAddress, now: number): void {
    this.quic.receiveDatagram(data, from, this.clock.local(now));
    this.processEvents();
    this.host.markDirty(this);
  }

  /** @internal After the endpoint fed the connection a datagram itself (the server's first Initial). */
  drain(): void {
    this.processEvents();
    this.host.markDirty(this);
  }

  /** @internal */
  timer(now: number): void {
    this.quic.handleTimer(this.clock.local(now));
    this.processEvents();
    this.host.markDirty(this);
  }

  /**
   * @internal Runs writable callbacks and stream-credit waiters, then sends what the connection
   * has, up to `maxDatagrams`. Returns true when it stopped at that budget with more to send.
   */
  flush(endpointNow: number, maxDatagrams: number): boolean {
    const now = this.clock.local(endpointNow);
    if (this.readable.length > 0) this.deliverReadables();
    if (this.writable.size > 0) this.pollWritables();
    if (this.creditWaiters.length > 0) this.wakeCreditWaiters();
    let sent = 0;
    let more = false;
    // Each datagram is written straight into a send buffer of the host's pool (no copy).
    const quic = this.quic;
    const min = quic.datagramBufferSize;
    for (;;) {
      const buf = this.host.datagramBuffer(min);
      const size = quic.writeDatagram(now, buf);
      if (size === 0) break;
      this.host.sendDatagram(buf, size, quic.datagramDestination);
      if (++sent >= maxDatagrams) {
        more = true;
        break;
      }
    }
    quic.afterSend(now);
    this.processEvents();
    const t = this.quic.getTimer();
    this.deadline = t === undefined ? undefined : this.clock.endpoint(t);
    this.checkClosed();
    return more;
  }

  /**
   * Writable callbacks of the streams watched when the flush began (a callback may watch or
   * unwatch streams). The snapshot is an array kept for every flush and filled by `forEach`
   * with a callback made once: `[...set]` made an array and an iterator per flush, which is
   * every few datagrams while a response streams (bench:alloc --udp).
   */
  private pollWritables(): void {
    const list = this.writableSnapshot;
    this.writable.forEach(this.snapshotWritable);
    try {
      for (let i = 0; i < list.length; i++) {
        const s = list[i]!;
        if (!s.pollWritable()) this.writable.delete(s);
      }
    } finally {
      clearArray(list);
    }
  }

  private readonly writableSnapshot: QuicStream[] = [];
  private readonly snapshotWritable = (s: QuicStream): void => {
    this.writableSnapshot.push(s);
  };

  /** @internal Called by the endpoint when it shuts down with this connection still open. */
  abandon(reason: string): void {
    this.fail({ type: 'connection_terminated', errorCode: 0, frameType: undefined, reason, application: true, byPeer: false, cause: 'closed' });
  }

  /** @internal Ends the session without a word to the peer (the endpoint gave up on it). */
  fail(event: ConnectionTerminated): void {
    if (!this.terminated) this.onTerminated(event);
    this.closedReported = true;
  }

  /** @internal */
  callApp(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.host.reportError(e);
    }
  }

  /** @internal */
  watchWritable(s: QuicStream): void {
    this.writable.add(s);
    this.touch();
  }

  /** @internal */
  unwatchWritable(s: QuicStream): void {
    this.writable.delete(s);
    this.forgetIfDone(s);
  }

  private processEvents(): void {
    const q = this.quic;
    for (let e = q.nextEvent(); e !== undefined; e = q.nextEvent()) {
      switch (e.type) {
        case 'stream_readable': {
          // The connection raises this once until the stream is read: no duplicates here.
          const s = this.streamFor(e.streamId);
          if (s) this.readable.push(s);
          break;
        }
        case 'stream_data': {
          // Only when the application switched the connection back to push reads.
          const s = this.streamFor(e.streamId);
          if (s) {
            s.deliverData(e.data, e.fin);
            this.forgetIfDone(s);
          }
          break;
        }
        case 'stream_reset': {
          const s = this.streams.get(e.streamId);
          if (s) {
            s.deliverReset(e.errorCode);
            this.forgetIfDone(s);
          }
          break;
        }
        case 'stop_sending': {
          const s = this.streams.get(e.streamId);
          if (s) {
            s.deliverStopSending(e.errorCode);
            this.forgetIfDone(s);
          }
          break;
        }
        case 'handshake_completed':
          this.handshakeCompleted = e;
          this.resolveHandshake(e);
          break;
        case 'connection_terminated':
          this.onTerminated(e);
          break;
        case 'connection_id_issued':
          this.host.cidIssued(this, e.connectionId);
          break;
        case 'connection_id_retired':
          this.host.cidRetired(this, e.connectionId);
          break;
        default:
          break;
      }
    }
  }

  /** Our record of a stream with data for us; a new peer stream is announced to the application. */
  private streamFor(id: number): QuicStream | undefined {
    let s = this.streams.get(id);
    if (s) return s;
    if (this.isLocalStream(id)) return undefined; // ours, already forgotten
    s = new QuicStream(this, id);
    this.streams.set(id, s);
    this.announceStream(s);
    return s;
  }

  /**
   * Hands a new peer stream to the application. A method of its own because the closure
   * captures its variables: V8 allocates a function's context (40 B here) on every call of
   * the function that declares captured variables, whether or not the closure is made, and
   * streamFor runs for every `stream_readable` event (bench:alloc --udp: about 1 B per datagram).
   */
  private announceStream(s: QuicStream): void {
    const h = this.streamHandler;
    if (h) this.callApp(() => h(s));
    else this.pendingPeerStreams.push(s);
  }

  /**
   * Hands readable streams to the application once per flush, after every datagram the
   * endpoint received in this turn of the event loop, so reads are fewer and larger (one copy
   * and one view of a reassembly block per read, not per datagram); the window updates they
   * cause leave in this flush.
   */
  private deliverReadables(): void {
    const list = this.readable;
    this.delivering = true;
    try {
      for (let i = 0; i < list.length; i++) {
        const s = list[i]!;
        s.deliverReadable();
        this.forgetIfDone(s);
      }
    } finally {
      this.delivering = false;
      clearArray(list);
    }
  }

  /** @internal The application read from `s`: credit may be due, and the stream may be done. */
  streamRead(s: QuicStream): void {
    this.forgetIfDone(s);
    // Inside a flush the sending follows; a read at any other time asks for a flush.
    if (!this.delivering) this.touch();
  }

  private onTerminated(e: ConnectionTerminated): void {
    if (this.terminated) return;
    // Bytes that arrived with the close are the application's before it hears of the end.
    if (this.readable.length > 0) this.deliverReadables();
    this.terminated = e;
    this.writable.clear();
    if (!this.handshakeCompleted) this.rejectHandshake(new QuicConnectionError(e));
    const waiters = this.creditWaiters;
    this.creditWaiters = [];
    for (const w of waiters) w.resolve(false);
    this.resolveClosed(e);
  }

  private checkClosed(): void {
    if (this.closedReported || !this.quic.isClosed) return;
    this.closedReported = true;
    this.host.sessionClosed(this);
  }

  private wakeCreditWaiters(): void {
    const still: typeof this.creditWaiters = [];
    for (const w of this.creditWaiters) {
      if (this.quic.canCreateStream(w.bidi)) w.resolve(true);
      else still.push(w);
    }
    this.creditWaiters = still;
  }

  private isLocalStream(id: number): boolean {
    return ((id & 1) === 0) === this.quic.isClient;
  }

  /**
   * Drops our record of a stream once both sides are done for the application. A late
   * STOP_SENDING or RESET_STREAM for it is then ignored, and only STREAM data can announce a new
   * peer stream, which a finished receive side never carries again.
   */
  private forgetIfDone(s: QuicStream): void {
    const local = this.isLocalStream(s.id);
    const hasRecv = s.bidirectional || !local;
    const hasSend = s.bidirectional || local;
    const recvDone = !hasRecv || s.finReceived || s.resetReceived !== undefined;
    const sendDone = !hasSend || s.finSent || s.resetSent !== undefined || s.stopSendingReceived !== undefined;
    if (recvDone && sendDone) {
      this.streams.delete(s.id);
      this.writable.delete(s);
    }
  }
}
