/**
 * The sending part of a stream, RFC 9000 §3.1: Ready → Send → DataSent → DataRecvd, or
 * → ResetSent → ResetRecvd. It buffers what the application writes, hands out STREAM frame
 * contents (lost ranges first, then new data within flow control), and tracks acknowledgements
 * and losses per byte range. The connection keeps (offset, length, fin) of each frame it sends
 * and reports them back with `onAcked` / `onLost`; the bytes themselves stay here.
 */
import { QuicError, TransportErrorCode } from '../wire/errors.js';
import { SendCredit } from './flow-control.js';
import { ByteSpan, SendBuffer } from './send-buffer.js';

export type SendStreamState = 'Ready' | 'Send' | 'DataSent' | 'ResetSent' | 'DataRecvd' | 'ResetRecvd';

const NO_BYTES = new Uint8Array(0);

/**
 * A STREAM frame's contents: bytes of the send buffer's memory (valid until the next
 * `nextFrame`), their stream offset and whether the FIN rides along.
 */
export class StreamFrameData extends ByteSpan {
  offset = 0;
  fin = false;
  /** Bytes beyond the previous highest offset sent: charge them to connection flow control. */
  newBytes = 0;
}

export interface ResetStreamInfo {
  errorCode: number;
  /** RFC 9000 §4.5: the highest offset sent, the stream's final size. */
  finalSize: number;
}

export class SendStream {
  state: SendStreamState = 'Ready';
  /** Stream-level flow control: the peer's MAX_STREAM_DATA for this stream. */
  readonly credit: SendCredit;
  /** The final size, known once the application finishes the stream (or it is reset). */
  finalSize: number | undefined;
  /** The error code of STOP_SENDING, when the peer sent one. */
  stopSendingCode: number | undefined;
  private readonly buffer = new SendBuffer();
  private finSent = false;
  private finLost = false;
  private finAcked = false;
  private resetInfo: ResetStreamInfo | undefined;
  private resetPending = false;

  constructor(initialMaxStreamData: number) {
    this.credit = new SendCredit(initialMaxStreamData);
  }

  /** Bytes written by the application and not yet acknowledged (back-pressure signal). */
  get bufferedBytes(): number {
    return this.buffer.bufferedBytes;
  }

  /** The highest offset sent so far. */
  get sentOffset(): number {
    return this.buffer.sentOffset;
  }

  get writeOffset(): number {
    return this.buffer.writeOffset;
  }

  /** Terminal: all data acknowledged, or the reset acknowledged. */
  get isFinished(): boolean {
    return this.state === 'DataRecvd' || this.state === 'ResetRecvd';
  }

  get isReset(): boolean {
    return this.resetInfo !== undefined;
  }

  /** Whether `nextFrame` has something to return given `connectionCredit` new bytes. */
  hasDataToSend(connectionCredit = Infinity): boolean {
    if (this.resetInfo !== undefined) return false;
    if (this.buffer.hasLost || (this.finPending() && this.buffer.sentOffset === this.finalSize)) return true;
    return this.buffer.unsentBytes > 0 && Math.min(this.credit.available, connectionCredit) > 0;
  }

  /** Appends application data; `fin` ends the stream. Local misuse raises STREAM_STATE_ERROR. */
  write(data: Uint8Array, fin = false): void {
    if (this.resetInfo !== undefined) throw new QuicError(TransportErrorCode.STREAM_STATE_ERROR, 'write on a reset stream');
    if (this.finalSize !== undefined) {
      if (data.length === 0 && fin) return;
      throw new QuicError(TransportErrorCode.STREAM_STATE_ERROR, 'write after the end of the stream');
    }
    this.buffer.write(data);
    if (fin) this.finalSize = this.buffer.writeOffset;
  }

  /**
   * The next STREAM frame's contents, at most `maxBytes` of data: lost ranges first, then new
   * data within the stream's credit and `connectionCredit`. A FIN rides on the frame that
   * reaches the final size; a FIN alone is a zero-length frame. Undefined when nothing to send.
   * The result is reused by the next call.
   */
  nextFrame(maxBytes: number, connectionCredit = Infinity): StreamFrameData | undefined {
    if (this.resetInfo !== undefined || this.state === 'DataRecvd') return undefined;
    const range = this.buffer.next(maxBytes, Math.min(this.credit.available, connectionCredit));
    let frame: StreamFrameData | undefined;
    if (range !== undefined) {
      const end = range.offset + range.length;
      const fin = this.finalSize === end && !this.finAcked;
      frame = this.result(range.offset, range.source, range.start, range.length, fin, range.newBytes);
      if (range.newBytes > 0) this.credit.onSent(range.newBytes);
    } else if (this.finPending() && this.buffer.sentOffset === this.finalSize && maxBytes >= 0) {
      frame = this.result(this.finalSize, NO_BYTES, 0, 0, true, 0);
    }
    if (frame === undefined) return undefined;
    if (this.state === 'Ready') this.state = 'Send';
    if (frame.fin) {
      this.finSent = true;
      this.finLost = false;
    }
    if (this.state === 'Send' && this.finSent && this.buffer.sentOffset === this.finalSize) this.state = 'DataSent';
    return frame;
  }

  /** The object nextFrame() returns, reused for every frame (read it before calling again). */
  private readonly frame = new StreamFrameData();

  private result(offset: number, source: Uint8Array, start: number, length: number, fin: boolean, newBytes: number): StreamFrameData {
    const f = this.frame;
    f.offset = offset;
    f.source = source;
    f.start = start;
    f.length = length;
    f.fin = fin;
    f.newBytes = newBytes;
    return f;
  }

  /** A frame carrying [offset, offset + length) (and the FIN if `fin`) was acknowledged. */
  onAcked(offset: number, length: number, fin: boolean): void {
    if (this.resetInfo !== undefined) return;
    this.buffer.onAcked(offset, length);
    if (fin) {
      this.finAcked = true;
      this.finLost = false;
    }
    if (this.finAcked && this.finalSize !== undefined && this.buffer.ackedOffset === this.finalSize) {
      this.state = 'DataRecvd';
    }
  }

  /** A frame carrying [offset, offset + length) (and the FIN if `fin`) was declared lost. */
  onLost(offset: number, length: number, fin: boolean): void {
    if (this.resetInfo !== undefined || this.state === 'DataRecvd') return;
    this.buffer.onLost(offset, length);
    if (fin && !this.finAcked) this.finLost = true;
  }

  /** MAX_STREAM_DATA from the peer. */
  onMaxStreamData(limit: number): void {
    this.credit.update(limit);
  }

  /** The limit for a STREAM_DATA_BLOCKED frame, once per limit, when new data waits on it. */
  takeBlocked(): number | undefined {
    if (this.resetInfo !== undefined || this.buffer.unsentBytes === 0) return undefined;
    return this.credit.takeBlocked();
  }

  /**
   * Abandons the stream (RFC 9000 §3.1, §19.4). Returns the RESET_STREAM contents, or undefined
   * if the stream is already reset or all its data was acknowledged.
   */
  reset(errorCode: number): ResetStreamInfo | undefined {
    if (this.resetInfo !== undefined || this.state === 'DataRecvd') return undefined;
    this.resetInfo = { errorCode, finalSize: this.buffer.sentOffset };
    this.finalSize = this.resetInfo.finalSize;
    this.buffer.clear();
    this.state = 'ResetSent';
    this.resetPending = true;
    return this.resetInfo;
  }

  /**
   * STOP_SENDING from the peer: reset the stream with the same error code (RFC 9000 §3.5).
   * Returns the RESET_STREAM to send, or undefined when nothing needs resetting.
   */
  onStopSending(errorCode: number): ResetStreamInfo | undefined {
    if (this.stopSendingCode === undefined) this.stopSendingCode = errorCode;
    return this.reset(errorCode);
  }

  /** The RESET_STREAM frame still to send (first time or after a loss), consumed by the call. */
  takeReset(): ResetStreamInfo | undefined {
    if (!this.resetPending) return undefined;
    this.resetPending = false;
    return this.resetInfo;
  }

  onResetAcked(): void {
    if (this.state === 'ResetSent') this.state = 'ResetRecvd';
  }

  onResetLost(): void {
    if (this.state === 'ResetSent') this.resetPending = true;
  }

  private finPending(): boolean {
    return this.finalSize !== undefined && !this.finAcked && (!this.finSent || this.finLost);
  }
}
