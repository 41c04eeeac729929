/**
 * The connection's streams (RFC 9000 §2-§4): creation within both sides' limits, data in and
 * out, connection-level flow control, and the control frames that go with them (MAX_DATA,
 * MAX_STREAM_DATA, MAX_STREAMS, *_BLOCKED, RESET_STREAM, STOP_SENDING).
 */
import type { QuicConnection } from './connection.js';
import type { SentFrame } from './types.js';
import { putFrame } from './put-frame.js';
import { StreamQueue } from './stream-queue.js';
import { SendStream } from '../stream/send-stream.js';
import { RecvStream } from '../stream/recv-stream.js';
import { ReceiveWindow, SendCredit } from '../stream/flow-control.js';
import {
  LocalStreamLimit, PeerStreamLimit, checkStreamFrame, hasRecvSide, hasSendSide, isBidirectional, isLocallyInitiated, streamIndex,
} from '../stream/stream-id.js';
import { QuicError, TransportErrorCode } from '../wire/errors.js';
import { StreamFrameView, streamFrameOverhead, writeStreamFrameFrom, type Frame } from '../wire/frames/index.js';
import type { Writer } from '../wire/buffer.js';
import type { TransportParameters } from '../wire/transport-params.js';
import type { StreamDataReceived, StreamReadable } from '../events.js';
import type { LengthViews } from '../wire/length-views.js';

const NO_BYTES = new Uint8Array(0);
/** Where unwanted stream bytes are read to (nothing is kept). */
const DISCARD = new Uint8Array(4096);
/**
 * The sent record of every MAX_DATA frame: it names no stream or value (a lost one is rewritten
 * with the window's current limit, RFC 9000 §13.3), so one frozen record serves every packet and
 * the record pool need not recycle it.
 */
const MAX_DATA_SENT: SentFrame = Object.freeze({ k: 'max_data' });

interface StreamState {
  id: number;
  send: SendStream | undefined;
  recv: RecvStream | undefined;
  /** A MAX_STREAM_DATA update is due. */
  maxStreamDataPending: boolean;
  stopSendingPending: number | undefined;
  finDelivered: boolean;
  closedReported: boolean;
  /** Pull mode: this stream's `stream_readable` event, made once and queued again and again. */
  readable: StreamReadable | undefined;
  /** The event is in the connection's queue. */
  readableQueued: boolean;
  /** The event was raised and the application has not called readStream since. */
  readableNotified: boolean;
}

/**
 * How received stream data reaches the application: `push` queues a `stream_data` event with a
 * view of the bytes after each datagram; `pull` raises `stream_readable` and the application
 * copies the bytes into its own buffer with `readStream`, which allocates nothing.
 */
export type StreamReads = 'push' | 'pull';

export class StreamManager {
  private readonly cnx: QuicConnection;
  private readonly streams = new Map<number, StreamState>();
  /** The ids of `streams` in opening order, plus forgotten ones until the next afterReceive. */
  private readonly openIds: number[] = [];
  /** Streams with data or control frames to send, in round-robin order. */
  private readonly active = new StreamQueue();
  /** The MAX_STREAM_DATA frame written when no qlog keeps the frames of the packet. */
  private readonly maxStreamDataScratch: Extract<Frame, { type: 'max_stream_data' }> = { type: 'max_stream_data', streamId: 0, maximumStreamData: 0 };
  /** The MAX_DATA frame written when no qlog keeps the frames of the packet. */
  private readonly maxDataScratch: Extract<Frame, { type: 'max_data' }> = { type: 'max_data', maximumData: 0 };
  private localBidi: LocalStreamLimit | undefined;
  private localUni: LocalStreamLimit | undefined;
  private readonly peerBidi: PeerStreamLimit;
  private readonly peerUni: PeerStreamLimit;
  private sendCredit: SendCredit | undefined;
  readonly recvWindow: ReceiveWindow;
  private peerParams: TransportParameters | undefined;
  private maxDataPending = false;
  private maxStreamsPending = { bidi: false, uni: false };
  /** How received data is delivered (see StreamReads). */
  reads: StreamReads = 'push';

  constructor(cnx: QuicConnection) {
    this.cnx = cnx;
    const c = cnx.config;
    this.peerBidi = new PeerStreamLimit(cnx.isClient, 'bidi', c.initialMaxStreamsBidi);
    this.peerUni = new PeerStreamLimit(cnx.isClient, 'uni', c.initialMaxStreamsUni);
    this.recvWindow = new ReceiveWindow({ initialWindow: c.initialMaxData, maxWindow: c.maxDataWindow });
  }

  /**
   * The peer's limits. A client that used remembered parameters for 0-RTT gets the server's
   * real ones later: they raise the limits its streams already run under, never lower them
   * (RFC 9000 §7.4.1: a server accepting 0-RTT may not lower them; one that rejected it leaves
   * the 0-RTT data to be sent again, which cannot be unsent, so limits it already used stand).
   */
  onPeerParams(p: TransportParameters): void {
    const before = this.peerParams;
    this.peerParams = p;
    if (!before || !this.localBidi || !this.localUni || !this.sendCredit) {
      this.localBidi = new LocalStreamLimit(this.cnx.isClient, 'bidi', p.initialMaxStreamsBidi);
      this.localUni = new LocalStreamLimit(this.cnx.isClient, 'uni', p.initialMaxStreamsUni);
      this.sendCredit = new SendCredit(p.initialMaxData);
      return;
    }
    this.localBidi.onMaxStreams(p.initialMaxStreamsBidi);
    this.localUni.onMaxStreams(p.initialMaxStreamsUni);
    this.sendCredit.update(p.initialMaxData);
    for (const s of this.streams.values()) {
      if (!s.send) continue;
      s.send.onMaxStreamData(this.initialSendLimit(s.id, p));
      this.active.add(s.id);
    }
  }

  /** The peer's initial limit for our sending on stream `id` (RFC 9000 §18.2: "local"/"remote" from the peer's view). */
  private initialSendLimit(id: number, p: TransportParameters): number {
    if (!isBidirectional(id)) return p.initialMaxStreamDataUni;
    return isLocallyInitiated(id, this.cnx.isClient) ? p.initialMaxStreamDataBidiRemote : p.initialMaxStreamDataBidiLocal;
  }

  // ---- a read-only view for plugins (PQUIC's get_stream_head)

  /**
   * The open stream ids in ascending order (PQUIC walks its stream list with NEXT_STREAM). Kept
   * until a stream opens or is forgotten, so a plugin walking the list costs O(log n) per step.
   */
  streamIds(): readonly number[] {
    return (this.sortedIds ??= [...this.streams.keys()].sort((a, b) => a - b));
  }

  /** The open stream with the smallest id above `id`, or undefined. */
  nextStreamId(id: number): number | undefined {
    const ids = this.streamIds();
    let lo = 0;
    let hi = ids.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ids[mid]! <= id) lo = mid + 1;
      else hi = mid;
    }
    return ids[lo];
  }

  private sortedIds: number[] | undefined;

  /** A stream's state, or undefined once it is closed and forgotten. */
  streamView(id: number): Readonly<{ id: number; send: SendStream | undefined; recv: RecvStream | undefined }> | undefined {
    return this.streams.get(id);
  }

  // ---- application side

  canCreate(bidi: boolean): boolean {
    const lim = bidi ? this.localBidi : this.localUni;
    return lim !== undefined && lim.canOpen();
  }

  create(bidi: boolean): number {
    const lim = bidi ? this.localBidi : this.localUni;
    if (!lim) throw new QuicError(TransportErrorCode.STREAM_LIMIT_ERROR, 'streams can be opened once the peer\'s transport parameters are known');
    const id = lim.open();
    if (id === undefined) throw new QuicError(TransportErrorCode.STREAM_LIMIT_ERROR, `the peer allows ${lim.maxStreams} ${bidi ? 'bidirectional' : 'unidirectional'} streams`);
    this.open(id);
    return id;
  }

  write(id: number, data: Uint8Array, fin: boolean): void {
    const s = this.streams.get(id);
    if (!s || !s.send) throw new QuicError(TransportErrorCode.STREAM_STATE_ERROR, `stream ${id} cannot send`);
    s.send.write(data, fin);
    this.active.add(id);
  }

  reset(id: number, code: number): void {
    const s = this.streams.get(id);
    if (!s || !s.send) throw new QuicError(TransportErrorCode.STREAM_STATE_ERROR, `stream ${id} cannot send`);
    s.send.reset(code);
    this.active.add(id);
  }

  stopSending(id: number, code: number): void {
    const s = this.streams.get(id);
    if (!s || !s.recv) throw new QuicError(TransportErrorCode.STREAM_STATE_ERROR, `stream ${id} cannot receive`);
    const c = s.recv.stopSending(code);
    if (c !== undefined) {
      s.stopSendingPending = c;
      this.active.add(id);
    } else if (this.reads === 'pull' && s.recv.state === 'DataRecvd') {
      // Everything is in, unread (§3.5: no STOP_SENDING needed): the application does not want
      // it, so it is read away here and the stream can close.
      while (s.recv.readInto(DISCARD, 0, DISCARD.length) > 0);
      s.finDelivered = true;
      this.scheduleConnectionWindow(this.cnx.nowUs);
      this.maybeForget(s);
    }
  }

  bufferedBytes(id: number): number {
    return this.streams.get(id)?.send?.bufferedBytes ?? 0;
  }

  hasDataToSend(): boolean {
    if (this.maxDataPending || this.maxStreamsPending.bidi || this.maxStreamsPending.uni) return true;
    const credit = this.sendCredit?.available ?? 0;
    const queued = this.active.snapshot();
    const n = this.active.snapshotLength;
    for (let i = 0; i < n; i++) {
      const id = queued[i]!;
      const s = this.streams.get(id);
      if (!s) continue;
      if (s.maxStreamDataPending || s.stopSendingPending !== undefined) return true;
      if (s.send && (s.send.hasDataToSend(credit) || s.send.isReset)) return true;
    }
    return false;
  }

  // ---- frames from the peer

  private open(id: number): StreamState {
    const cnx = this.cnx;
    const c = cnx.config;
    const p = this.peerParams;
    let send: SendStream | undefined;
    let recv: RecvStream | undefined;
    if (hasSendSide(id, cnx.isClient)) send = new SendStream(p ? this.initialSendLimit(id, p) : 0);
    if (hasRecvSide(id, cnx.isClient)) {
      recv = new RecvStream({
        window: { initialWindow: c.initialMaxStreamData, maxWindow: c.maxStreamDataWindow }, connection: this.recvWindow, arenaBlocks: this.reads === 'pull',
      });
    }
    const s: StreamState = {
      id, send, recv, maxStreamDataPending: false, stopSendingPending: undefined, finDelivered: false, closedReported: false,
      readable: undefined, readableQueued: false, readableNotified: false,
    };
    this.streams.set(id, s);
    this.openIds.push(id);
    this.sortedIds = undefined;
    cnx.protoops.slots.stream_opened(id);
    return s;
  }

  /** The stream a peer frame refers to, opening peer streams implicitly (§3.2); undefined if closed already. */
  private peerStream(id: number, target: 'recv' | 'send'): StreamState | undefined {
    const cnx = this.cnx;
    const existing = this.streams.get(id);
    if (existing !== undefined) {
      // An open stream may still lack the side the frame names: STREAM or RESET_STREAM for a
      // send-only stream, STOP_SENDING or MAX_STREAM_DATA for a receive-only one is a
      // STREAM_STATE_ERROR however long the stream has existed (RFC 9000 §19.4, §19.5, §19.8,
      // §19.10, §19.13). Only the id's bits decide it, so the check costs no lookup.
      if (!(target === 'recv' ? hasRecvSide(id, cnx.isClient) : hasSendSide(id, cnx.isClient))) checkStreamFrame(id, cnx.isClient, target, 0);
      return existing;
    }
    if (isLocallyInitiated(id, cnx.isClient)) {
      const lim = isBidirectional(id) ? this.localBidi : this.localUni;
      checkStreamFrame(id, cnx.isClient, target, lim?.opened ?? 0);
      return undefined; // a stream of ours that was closed and forgotten
    }
    checkStreamFrame(id, cnx.isClient, target, 0);
    const lim = isBidirectional(id) ? this.peerBidi : this.peerUni;
    if (lim.isOpened(id)) return undefined; // closed and forgotten
    let s: StreamState | undefined;
    for (const newId of lim.open(id)) s = this.open(newId);
    return s;
  }

  onStreamFrame(f: Extract<Frame, { type: 'stream' }>, now: number): void {
    const s = this.peerStream(f.streamId, 'recv');
    if (!s || !s.recv) return;
    // A frame parsed in place is copied straight from the packet (no view of its data).
    if (f instanceof StreamFrameView) s.recv.onDataFrom(f.offset, f.buf, f.dataStart, f.dataLength, f.fin);
    else s.recv.onData(f.offset, f.data, f.fin);
    void now;
  }

  onResetStream(f: Extract<Frame, { type: 'reset_stream' }>): void {
    const s = this.peerStream(f.streamId, 'recv');
    if (!s || !s.recv) return;
    const before = s.recv.state;
    s.recv.onReset(f.applicationProtocolErrorCode, f.finalSize);
    if (before !== s.recv.state && (s.recv.state === 'ResetRecvd' || s.recv.state === 'ResetRead')) {
      this.cnx.pushEvent({ type: 'stream_reset', streamId: f.streamId, errorCode: f.applicationProtocolErrorCode, finalSize: f.finalSize });
      this.cnx.protoops.slots.stream_flags_changed(f.streamId);
    }
  }

  onStopSending(f: Extract<Frame, { type: 'stop_sending' }>): void {
    const s = this.peerStream(f.streamId, 'send');
    if (!s || !s.send) return;
    // RFC 9000 §3.5: answer with RESET_STREAM carrying the same code.
    s.send.onStopSending(f.applicationProtocolErrorCode);
    this.active.add(f.streamId);
    this.cnx.pushEvent({ type: 'stop_sending', streamId: f.streamId, errorCode: f.applicationProtocolErrorCode });
    this.cnx.protoops.slots.stream_flags_changed(f.streamId);
  }

  onMaxData(limit: number): void {
    if (!this.sendCredit?.update(limit)) return;
    // Every stream may send again (RFC 9000 §4.1). The id array, not the Map's keys: an iterator
    // and its results were allocated per MAX_DATA frame received. Ids of streams forgotten since
    // the last afterReceive are still in the array, hence the check.
    const ids = this.openIds;
    for (let i = 0; i < ids.length; i++) if (this.streams.has(ids[i]!)) this.active.add(ids[i]!);
  }

  onMaxStreamData(id: number, limit: number): void {
    const s = this.peerStream(id, 'send');
    if (!s || !s.send) return;
    s.send.onMaxStreamData(limit);
    this.active.add(id);
  }

  onMaxStreams(bidi: boolean, count: number): void {
    (bidi ? this.localBidi : this.localUni)?.onMaxStreams(count);
  }

  onStreamDataBlocked(id: number): void {
    const s = this.peerStream(id, 'recv');
    if (s?.recv) {
      // The peer wants more credit: send the current limit again if it moved.
      s.maxStreamDataPending = s.recv.shouldSendMaxStreamData();
      if (s.maxStreamDataPending) this.active.add(id);
    }
  }

  /** After a datagram: deliver (push) or announce (pull) readable data, and schedule window updates. */
  afterReceive(now: number): void {
    // Walks an array of ids rather than the Map (a Map iterator is an allocation per datagram),
    // dropping the ids of streams forgotten since the last walk as it goes.
    const ids = this.openIds;
    const pull = this.reads === 'pull';
    let kept = 0;
    for (let i = 0; i < ids.length; i++) {
      const s = this.streams.get(ids[i]!);
      if (!s) continue;
      ids[kept++] = s.id;
      const r = s.recv;
      if (!r) continue;
      if (pull) this.announceReadable(s, r);
      else {
        const e = this.takeFrom(s, r);
        if (e !== undefined) this.cnx.pushEvent(e);
      }
      this.scheduleStreamWindow(s, r);
      this.maybeForget(s);
    }
    while (ids.length > kept) ids.pop(); // pops keep the array's storage (see clearArray)
    this.scheduleConnectionWindow(now);
  }

  /**
   * Pull mode: queues the stream's `stream_readable` event when bytes, or the end of the stream,
   * wait for the application, unless it was told already and has not read since.
   */
  private announceReadable(s: StreamState, r: RecvStream): void {
    if (r.stopSendingCode !== undefined) {
      // The application asked for no more data (STOP_SENDING): once the peer's FIN is in, the
      // end is taken for it, so the stream can be forgotten without a read (§3.5).
      if (r.state === 'DataRecvd' && r.readInto(NO_BYTES, 0, 0) < 0) s.finDelivered = true;
      return;
    }
    if (s.readableNotified || s.readableQueued) return;
    if (r.readable === 0 && r.state !== 'DataRecvd') return;
    const e = (s.readable ??= { type: 'stream_readable', streamId: s.id });
    s.readableQueued = true;
    s.readableNotified = true;
    this.cnx.pushEvent(e);
  }

  /** The application took the `stream_readable` event of `id` from the queue. */
  onReadableTaken(id: number): void {
    const s = this.streams.get(id);
    if (s) s.readableQueued = false;
  }

  /**
   * Pull mode: copies up to `length` received bytes of stream `id` into `into` at `at`. Returns
   * how many, 0 when none are ready, or -1 at the end (all read up to the FIN, reset, or the
   * stream is closed and forgotten). Throws STREAM_STATE_ERROR for a stream that has no
   * receiving part or was never opened, RangeError for a range outside `into`.
   */
  read(id: number, into: Uint8Array, at: number, length: number): number {
    if (!Number.isSafeInteger(at) || !Number.isSafeInteger(length) || at < 0 || length < 0 || at + length > into.length) {
      throw new RangeError(`readStream: [${at}, ${at} + ${length}) is outside the buffer of ${into.length} bytes`);
    }
    const valid = Number.isSafeInteger(id) && id >= 0;
    if (valid && !hasRecvSide(id, this.cnx.isClient)) throw new QuicError(TransportErrorCode.STREAM_STATE_ERROR, `stream ${id} cannot receive`);
    const s = this.streams.get(id);
    if (!s) {
      if (valid && this.wasOpened(id)) return -1;
      throw new QuicError(TransportErrorCode.STREAM_STATE_ERROR, `stream ${id} is not open`);
    }
    const r = s.recv;
    if (!r) throw new QuicError(TransportErrorCode.STREAM_STATE_ERROR, `stream ${id} cannot receive`);
    s.readableNotified = false;
    const n = r.readInto(into, at, length);
    if (r.state === 'DataRead') s.finDelivered = true;
    // RFC 9000 §4.1: credit follows what the application consumed, so updates are decided here.
    if (n > 0) {
      this.scheduleStreamWindow(s, r);
      this.scheduleConnectionWindow(this.cnx.nowUs);
    }
    this.maybeForget(s);
    return n;
  }

  /**
   * Lent push reads (QuicConnection.setStreamReads('lent')): reads what stream `id` has into
   * `views.buffer` from its start, as `read` does (flow-control credit follows), and describes
   * it in `event`, whose `data` is `views.view(n)`: no object made per delivery once a few
   * lengths are cached. `fin` is set on the delivery that reaches the end, which may carry no
   * bytes. Returns false when there is nothing to deliver (no new bytes, the end already told,
   * a reset or forgotten stream). When bytes are left over (the buffer was full) the stream's
   * `stream_readable` is queued again, so the rest comes in a later event, after the events
   * already waiting.
   */
  lend(id: number, views: LengthViews, event: StreamDataReceived): boolean {
    const s = this.streams.get(id);
    const r = s?.recv;
    if (!s || !r) return false;
    const finToldBefore = s.finDelivered;
    const into = views.buffer;
    const n = this.read(id, into, 0, into.length);
    const fin = !finToldBefore && s.finDelivered;
    if (n <= 0 && !fin) return false;
    event.streamId = id;
    event.data = views.view(n > 0 ? n : 0);
    event.fin = fin;
    if (this.streams.get(id) === s) this.announceReadable(s, r);
    return true;
  }

  /**
   * The bytes readable on stream `id` as one `stream_data` event (a view of them, as push mode
   * delivers), or undefined when there is nothing new: for a pull-mode application that wants
   * some streams delivered the push way. Unknown or closed streams have nothing.
   */
  take(id: number): StreamDataReceived | undefined {
    const s = this.streams.get(id);
    const r = s?.recv;
    if (!s || !r) return undefined;
    s.readableNotified = false;
    const e = this.takeFrom(s, r);
    if (e !== undefined && e.data.length > 0) {
      this.scheduleStreamWindow(s, r);
      this.scheduleConnectionWindow(this.cnx.nowUs);
    }
    this.maybeForget(s);
    return e;
  }

  /** Reads everything readable, with the FIN when it is reached (once). */
  private takeFrom(s: StreamState, r: RecvStream): StreamDataReceived | undefined {
    if (r.readable === 0 && (r.state !== 'DataRecvd' || s.finDelivered)) return undefined;
    const data = r.read();
    const fin = r.state === 'DataRead';
    if (data.length === 0 && (!fin || s.finDelivered)) return undefined;
    if (fin) s.finDelivered = true;
    return { type: 'stream_data', streamId: s.id, data, fin };
  }

  /** Whether stream `id` (a valid id) was opened, by either side, at some point. */
  private wasOpened(id: number): boolean {
    const bidi = isBidirectional(id);
    if (isLocallyInitiated(id, this.cnx.isClient)) {
      const lim = bidi ? this.localBidi : this.localUni;
      return lim !== undefined && streamIndex(id) < lim.opened;
    }
    return (bidi ? this.peerBidi : this.peerUni).isOpened(id);
  }

  /** Less than half the stream's window left after a read: a MAX_STREAM_DATA is due. */
  private scheduleStreamWindow(s: StreamState, r: RecvStream): void {
    if (r.shouldSendMaxStreamData()) {
      s.maxStreamDataPending = true;
      this.active.add(s.id);
    }
  }

  private scheduleConnectionWindow(now: number): void {
    if (this.recvWindow.shouldSendUpdate()) {
      this.recvWindow.update(now, this.cnx.smoothedRtt);
      this.maxDataPending = true;
    }
  }

  // ---- sending

  /** Control frames (flow control, resets): returns true if any was written. */
  writeControlFrames(w: Writer, frames: SentFrame[], log: Frame[] | undefined, now: number): boolean {
    const start = w.position;
    if (this.maxDataPending) {
      if (putFrame(w, frames, log, this.maxDataFrame(this.recvWindow.limit, log), MAX_DATA_SENT)) this.maxDataPending = false;
    }
    for (let k = 0; k < 2; k++) {
      const bidi = k === 0;
      const key = bidi ? 'bidi' : 'uni';
      const lim = bidi ? this.peerBidi : this.peerUni;
      if (!this.maxStreamsPending[key] && lim.shouldSendMaxStreams()) {
        lim.nextMaxStreams();
        this.maxStreamsPending[key] = true;
      }
      if (this.maxStreamsPending[key] && putFrame(w, frames, log, { type: 'max_streams', bidirectional: bidi, maximumStreams: lim.maxStreams }, { k: 'max_streams', bidi })) {
        this.maxStreamsPending[key] = false;
      }
    }
    const blocked = this.sendCredit?.takeBlocked();
    if (blocked !== undefined) putFrame(w, frames, log, { type: 'data_blocked', maximumData: blocked }, { k: 'data_blocked', limit: blocked });
    const queued = this.active.snapshot();
    const n = this.active.snapshotLength;
    for (let i = 0; i < n; i++) {
      const id = queued[i]!;
      const s = this.streams.get(id);
      if (!s) continue;
      if (s.maxStreamDataPending && s.recv) {
        const limit = s.recv.maxStreamDataUpdate(now, this.cnx.smoothedRtt);
        this.recvWindow.ensureMinimumWindow(1.5 * s.recv.window.windowSize, now);
        if (putFrame(w, frames, log, this.maxStreamDataFrame(id, limit, log), this.cnx.sentRecords.maxStreamDataFrame(id))) s.maxStreamDataPending = false;
      }
      if (s.stopSendingPending !== undefined) {
        if (putFrame(w, frames, log, { type: 'stop_sending', streamId: id, applicationProtocolErrorCode: s.stopSendingPending }, { k: 'stop_sending', id, code: s.stopSendingPending })) {
          s.stopSendingPending = undefined;
        }
      }
      const reset = s.send?.takeReset();
      if (reset) {
        if (!putFrame(w, frames, log, { type: 'reset_stream', streamId: id, applicationProtocolErrorCode: reset.errorCode, finalSize: reset.finalSize }, { k: 'reset_stream', id })) {
          s.send!.onResetLost();
        }
      }
      const sb = s.send?.takeBlocked();
      if (sb !== undefined) putFrame(w, frames, log, { type: 'stream_data_blocked', streamId: id, maximumStreamData: sb }, { k: 'stream_data_blocked', id });
    }
    return w.position !== start;
  }

  /** The default `schedule_frames_on_path`: STREAM frames, round robin over the streams with data. */
  writeStreamFrames(w: Writer, frames: SentFrame[], now: number): void {
    void now;
    const credit = this.sendCredit;
    if (!credit) return;
    let progress = true;
    while (progress && w.remaining > 24 && this.active.size > 0) {
      progress = false;
      // The loop below reorders the queue: walk a snapshot of it.
      const order = this.active.snapshot();
      const n = this.active.snapshotLength;
      for (let i = 0; i < n; i++) {
        const id = order[i]!;
        const s = this.streams.get(id);
        if (!s || !s.send) {
          if (s) this.active.delete(id);
          else this.active.forget(id);
          continue;
        }
        if (w.remaining <= 24) break;
        const overhead = streamFrameOverhead(id, s.send.sentOffset, w.remaining, true);
        const room = w.remaining - overhead;
        if (room <= 0) break;
        const f = s.send.nextFrame(room, credit.available);
        if (!f) {
          if (!s.send.hasDataToSend(Infinity) && !s.maxStreamDataPending && s.stopSendingPending === undefined) this.active.delete(id);
          continue;
        }
        // Copied from the send buffer's memory into the packet: no frame object, no view.
        writeStreamFrameFrom(w, id, f.offset, f.fin, true, f.source, f.start, f.length);
        credit.onSent(f.newBytes);
        frames.push(this.cnx.sentRecords.streamFrame(id, f.offset, f.length, f.fin));
        progress = true;
        // Move this stream to the back of the queue (round robin); alone, it already is.
        this.active.moveToBack(id);
      }
    }
  }

  /**
   * A MAX_STREAM_DATA frame to write (RFC 9000 §19.10). The writer reads it at once and keeps
   * nothing, so one scratch object serves every packet; only a qlog list keeps frames, and then
   * each gets its own.
   */
  private maxStreamDataFrame(streamId: number, maximumStreamData: number, log: Frame[] | undefined): Frame {
    if (log !== undefined) return { type: 'max_stream_data', streamId, maximumStreamData };
    const f = this.maxStreamDataScratch;
    f.streamId = streamId;
    f.maximumStreamData = maximumStreamData;
    return f;
  }

  /** A MAX_DATA frame to write (RFC 9000 §19.9): a scratch object, as maxStreamDataFrame. */
  private maxDataFrame(maximumData: number, log: Frame[] | undefined): Frame {
    if (log !== undefined) return { type: 'max_data', maximumData };
    const f = this.maxDataScratch;
    f.maximumData = maximumData;
    return f;
  }

  // ---- acknowledgements and losses

  onStreamDataAcked(id: number, offset: number, length: number, fin: boolean): void {
    const s = this.streams.get(id);
    if (!s?.send) return;
    s.send.onAcked(offset, length, fin);
    this.maybeForget(s);
  }

  onStreamDataLost(id: number, offset: number, length: number, fin: boolean): void {
    const s = this.streams.get(id);
    if (!s?.send) return;
    s.send.onLost(offset, length, fin);
    this.active.add(id);
  }

  onResetAcked(id: number): void {
    const s = this.streams.get(id);
    if (!s?.send) return;
    s.send.onResetAcked();
    this.maybeForget(s);
  }

  onResetLost(id: number): void {
    const s = this.streams.get(id);
    if (!s?.send) return;
    s.send.onResetLost();
    this.active.add(id);
  }

  onStopSendingLost(id: number, code: number): void {
    const s = this.streams.get(id);
    if (!s?.recv || s.recv.isFinished) return;
    s.stopSendingPending = code;
    this.active.add(id);
  }

  onMaxDataLost(): void {
    this.maxDataPending = true;
  }

  onMaxStreamDataLost(id: number): void {
    const s = this.streams.get(id);
    if (!s?.recv || s.recv.state !== 'Recv') return;
    s.maxStreamDataPending = true;
    this.active.add(id);
  }

  onMaxStreamsLost(bidi: boolean): void {
    this.maxStreamsPending[bidi ? 'bidi' : 'uni'] = true;
  }

  /** Forgets a stream once both directions are done (RFC 9000 §3.3), returning its credit. */
  private maybeForget(s: StreamState): void {
    const sendDone = !s.send || s.send.state === 'DataRecvd' || s.send.state === 'ResetRecvd';
    const recvDone = !s.recv || s.recv.isFinished || s.recv.state === 'ResetRecvd';
    if (!sendDone || !recvDone || s.closedReported) return;
    if (s.recv && !s.finDelivered && s.recv.state !== 'ResetRecvd' && s.recv.state !== 'ResetRead') return;
    s.closedReported = true;
    this.streams.delete(s.id);
    this.sortedIds = undefined;
    this.active.forget(s.id);
    if (!isLocallyInitiated(s.id, this.cnx.isClient)) (isBidirectional(s.id) ? this.peerBidi : this.peerUni).onStreamClosed();
    this.cnx.protoops.slots.stream_closed(s.id);
  }

  get openCount(): number {
    return this.streams.size;
  }
}
