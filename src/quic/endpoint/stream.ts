/**
 * One QUIC stream as an application sees it through the endpoint: callbacks for data, reset,
 * STOP_SENDING and "writable again", and the write side. It wraps the stream calls of the
 * sans-IO connection; every call that may produce packets asks the endpoint for a flush.
 *
 * Received bytes are taken one of two ways: `onData` hands over views of them as they arrive
 * (simple; an allocation per delivery), or `onReadable` + `read` copies them into a buffer the
 * application owns (no allocation per packet, and the peer is held back by flow control while
 * the application does not read). Until either is set, bytes wait in the connection.
 */
import type { QuicSession } from './session.js';

/** Default low watermark for `onWritable`: call back when fewer bytes than this are unacknowledged. */
export const DEFAULT_LOW_WATERMARK = 1 << 20;

export type DataHandler = (data: Uint8Array, fin: boolean) => void;
export type CodeHandler = (errorCode: number) => void;

export class QuicStream {
  readonly id: number;
  readonly session: QuicSession;
  /** The peer ended its side (FIN delivered) or reset it. */
  finReceived = false;
  resetReceived: number | undefined;
  stopSendingReceived: number | undefined;
  /** We ended or reset our side. */
  finSent = false;
  resetSent: number | undefined;

  private dataHandler: DataHandler | undefined;
  private resetHandler: CodeHandler | undefined;
  private stopHandler: CodeHandler | undefined;
  private writableHandler: (() => void) | undefined;
  private readableHandler: (() => void) | undefined;
  /** Bytes (or the end) arrived before a data or readable handler was set. */
  private readablePending = false;
  private lowWatermark = DEFAULT_LOW_WATERMARK;
  /** Data that arrived before a data handler was set. */
  private pending: { data: Uint8Array; fin: boolean }[] = [];

  constructor(session: QuicSession, id: number) {
    this.session = session;
    this.id = id;
  }

  get bidirectional(): boolean {
    return (this.id & 0x2) === 0;
  }

  /** Bytes written and not yet acknowledged by the peer. */
  get bufferedBytes(): number {
    return this.session.quic.streamBufferedBytes(this.id);
  }

  /** Receives the stream's data in order; `fin` is true with the last piece (possibly empty). */
  onData(handler: DataHandler): this {
    this.dataHandler = handler;
    const queued = this.pending;
    this.pending = [];
    for (const q of queued) this.session.callApp(() => handler(q.data, q.fin));
    if (this.readablePending) {
      this.readablePending = false;
      this.takeAll();
      this.session.streamRead(this);
    }
    return this;
  }

  /**
   * Pull reads: `handler` runs when bytes, or the end of the stream, can be taken with `read`.
   * It runs again for new bytes only after a `read`, so read until `read` returns 0 or -1.
   */
  onReadable(handler: () => void): this {
    this.readableHandler = handler;
    if (this.readablePending) {
      this.readablePending = false;
      this.session.callApp(handler);
    }
    return this;
  }

  /**
   * Copies up to `length` received bytes into `into` at `offset`, in order; returns how many, 0
   * when none are ready (wait for the readable handler), or -1 at the end (FIN read, or the
   * stream was reset: see `onReset`). The bytes are the caller's; credit goes back to the peer
   * as they are read (RFC 9000 §4.1).
   */
  read(into: Uint8Array, offset = 0, length = into.length - offset): number {
    const n = this.session.quic.readStream(this.id, into, offset, length);
    if (n < 0 && this.resetReceived === undefined) this.finReceived = true;
    if (n !== 0) this.session.streamRead(this);
    return n;
  }

  /** The peer reset its sending side (RESET_STREAM). */
  onReset(handler: CodeHandler): this {
    this.resetHandler = handler;
    if (this.resetReceived !== undefined) this.session.callApp(() => handler(this.resetReceived!));
    return this;
  }

  /** The peer asked us to stop sending (STOP_SENDING); the connection answers with RESET_STREAM itself. */
  onStopSending(handler: CodeHandler): this {
    this.stopHandler = handler;
    if (this.stopSendingReceived !== undefined) this.session.callApp(() => handler(this.stopSendingReceived!));
    return this;
  }

  /**
   * Called after the endpoint processed incoming packets whenever fewer than `lowWatermark`
   * bytes remain unacknowledged, until the stream is ended or reset: the place to write the
   * next chunk of a large response without holding all of it in memory.
   */
  onWritable(handler: () => void, lowWatermark: number = DEFAULT_LOW_WATERMARK): this {
    this.writableHandler = handler;
    this.lowWatermark = lowWatermark;
    this.session.watchWritable(this);
    return this;
  }

  /** Queues `data` (copied: the caller may reuse its buffer at once), then FIN if `fin`. */
  write(data: Uint8Array, fin = false): void {
    // The send buffer copies with slice(), which only views a Node Buffer's memory: hand it a
    // plain Uint8Array so the copy is a copy.
    const bytes = Buffer.isBuffer(data) ? new Uint8Array(data.buffer, data.byteOffset, data.length) : data;
    this.session.quic.sendStreamData(this.id, bytes, fin);
    if (fin) {
      this.finSent = true;
      this.session.unwatchWritable(this);
    }
    this.session.touch();
  }

  /** Sends FIN (after everything written so far). */
  end(): void {
    this.write(new Uint8Array(0), true);
  }

  /** Abandons our sending side with an application error code (RESET_STREAM). */
  reset(errorCode: number): void {
    if (this.resetSent !== undefined || this.stopSendingReceived !== undefined) return;
    try {
      this.session.quic.resetStream(this.id, errorCode);
    } catch {
      // Everything was sent and acknowledged already: the stream is gone, nothing to reset.
      return;
    }
    this.resetSent = errorCode;
    this.session.unwatchWritable(this);
    this.session.touch();
  }

  /** Asks the peer to stop sending (STOP_SENDING). */
  stopSending(errorCode: number): void {
    this.session.quic.stopSending(this.id, errorCode);
    this.session.touch();
  }

  // ---- called by the session

  /** @internal The connection holds bytes (or the end) for this stream. */
  deliverReadable(): void {
    const h = this.readableHandler;
    if (h) this.session.callApp(h);
    else if (this.dataHandler) this.takeAll();
    else this.readablePending = true;
  }

  /** Hands everything the connection holds to the data handler, as views. */
  private takeAll(): void {
    const q = this.session.quic;
    for (let e = q.takeStreamData(this.id); e !== undefined; e = q.takeStreamData(this.id)) this.deliverData(e.data, e.fin);
  }

  /** @internal */
  deliverData(data: Uint8Array, fin: boolean): void {
    if (fin) this.finReceived = true;
    const h = this.dataHandler;
    if (h) this.session.callApp(() => h(data, fin));
    else this.pending.push({ data, fin });
  }

  /** @internal */
  deliverReset(errorCode: number): void {
    this.resetReceived = errorCode;
    const h = this.resetHandler;
    if (h) this.session.callApp(() => h(errorCode));
  }

  /** @internal */
  deliverStopSending(errorCode: number): void {
    this.stopSendingReceived = errorCode;
    // The connection resets the stream in answer (RFC 9000 §3.5): nothing more to write.
    this.session.unwatchWritable(this);
    const h = this.stopHandler;
    if (h) this.session.callApp(() => h(errorCode));
  }

  /** @internal Calls the writable handler when below the watermark; false once it need not be asked again. */
  pollWritable(): boolean {
    if (this.finSent || this.resetSent !== undefined || this.stopSendingReceived !== undefined) return false;
    const h = this.writableHandler;
    if (!h) return false;
    if (this.bufferedBytes < this.lowWatermark) this.session.callApp(h);
    return !(this.finSent || this.resetSent !== undefined || this.stopSendingReceived !== undefined);
  }
}
