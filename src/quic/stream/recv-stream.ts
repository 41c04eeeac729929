/**
 * The receiving part of a stream, RFC 9000 §3.2: Recv → SizeKnown → DataRecvd → DataRead, or
 * → ResetRecvd → ResetRead. It enforces final size rules (§4.5) and flow control (§4.1) at the
 * stream level and, through the connection's ReceiveWindow it is given, at the connection level.
 * Bytes read by the application, or dropped after a reset or STOP_SENDING, count as consumed in
 * both windows, so the connection can see when to send MAX_STREAM_DATA / MAX_DATA.
 */
import { QuicError, TransportErrorCode } from '../wire/errors.js';
import { ReceiveWindow, type ReceiveWindowOptions } from './flow-control.js';
import { ReassemblyBuffer } from './reassembly.js';

export type RecvStreamState = 'Recv' | 'SizeKnown' | 'DataRecvd' | 'DataRead' | 'ResetRecvd' | 'ResetRead';

export interface RecvStreamOptions {
  /** The stream window: our initial_max_stream_data_* for this stream, auto-tuning ceiling, creation time. */
  window: ReceiveWindowOptions;
  /** The connection-level window shared by every stream (MAX_DATA). */
  connection?: ReceiveWindow;
  /** The application reads by copying out (pull): keep full blocks in the byte arena (reassembly.ts). */
  arenaBlocks?: boolean;
}

export class RecvStream {
  state: RecvStreamState = 'Recv';
  readonly window: ReceiveWindow;
  readonly connection: ReceiveWindow | undefined;
  finalSize: number | undefined;
  /** The error code of the peer's RESET_STREAM. */
  resetCode: number | undefined;
  /** The error code we sent in STOP_SENDING. */
  stopSendingCode: number | undefined;
  private readonly buffer: ReassemblyBuffer;
  /** Offset up to which bytes were counted as consumed in the flow-control windows. */
  private consumedOffset = 0;

  constructor(options: RecvStreamOptions) {
    this.buffer = new ReassemblyBuffer(options.arenaBlocks ?? false);
    this.window = new ReceiveWindow(options.window);
    this.connection = options.connection;
  }

  /** Bytes the application has consumed (read or discarded), counted in the windows. */
  get consumed(): number {
    return this.consumedOffset;
  }

  /** The highest offset received: what this stream charged to connection flow control. */
  get highestReceived(): number {
    return this.buffer.highestReceived;
  }

  /** Contiguous bytes ready for `read`. */
  get readable(): number {
    return this.state === 'ResetRecvd' || this.state === 'ResetRead' ? 0 : this.buffer.readable;
  }

  /** Everything was read up to the FIN (DataRead), or the reset was seen by the application. */
  get isFinished(): boolean {
    return this.state === 'DataRead' || this.state === 'ResetRead';
  }

  /**
   * A STREAM frame. Raises FINAL_SIZE_ERROR (§4.5) for data past a known final size or a changed
   * final size, FLOW_CONTROL_ERROR (§4.1) for data past either advertised limit.
   */
  onData(offset: number, data: Uint8Array, fin: boolean): void {
    this.onDataFrom(offset, data, 0, data.length, fin);
  }

  /** onData() for the bytes src[start, start + length), without a view of them. */
  onDataFrom(offset: number, src: Uint8Array, start: number, length: number, fin: boolean): void {
    const end = offset + length;
    this.checkFinalSize(end, fin);
    this.chargeFlowControl(end);
    if (fin && this.finalSize === undefined) {
      this.finalSize = end;
      if (this.state === 'Recv') this.state = 'SizeKnown';
    }
    if (this.state === 'ResetRecvd' || this.state === 'ResetRead' || this.state === 'DataRead') return;
    this.buffer.insertFrom(offset, src, start, length);
    if (this.buffer.discarding) this.consumeUpTo(this.buffer.highestReceived);
    if (this.state === 'SizeKnown' && this.buffer.hasAllBelow(this.finalSize!)) this.state = 'DataRecvd';
  }

  /** Up to `max` contiguous bytes. Reading the last byte moves DataRecvd → DataRead. */
  read(max = Infinity): Uint8Array {
    if (this.state === 'ResetRecvd') {
      this.state = 'ResetRead';
      return new Uint8Array(0);
    }
    if (this.state === 'ResetRead' || this.state === 'DataRead') return new Uint8Array(0);
    const out = this.buffer.read(max);
    this.consumeUpTo(this.buffer.readOffset);
    if (this.state === 'DataRecvd' && this.buffer.readOffset === this.finalSize) this.state = 'DataRead';
    return out;
  }

  /**
   * Copies up to `length` contiguous bytes into `into` at `at` (the caller checked the range);
   * returns how many, 0 when none are ready, or -1 at the end: everything up to the FIN was
   * read (DataRead), or the stream was reset (the reset is then seen: ResetRead). The bytes
   * count as consumed at once, so flow-control credit follows what the application took (§4.1).
   */
  readInto(into: Uint8Array, at: number, length: number): number {
    if (this.state === 'ResetRecvd') this.state = 'ResetRead';
    if (this.state === 'ResetRead' || this.state === 'DataRead') return -1;
    const n = this.buffer.readInto(into, at, length);
    this.consumeUpTo(this.buffer.readOffset);
    if (this.state === 'DataRecvd' && this.buffer.readOffset === this.finalSize) this.state = 'DataRead';
    // The last bytes are returned first; the end (-1) on the next call, or now if nothing was left.
    return n === 0 && this.state === 'DataRead' ? -1 : n;
  }

  /**
   * RESET_STREAM from the peer (§3.2, §4.5, §19.4). The final size is checked like a FIN; the
   * buffered data is dropped and every byte up to the final size counts as consumed.
   */
  onReset(errorCode: number, finalSize: number): void {
    this.checkFinalSize(finalSize, true);
    this.chargeFlowControl(finalSize);
    this.finalSize = finalSize;
    // §3.2: once all data is in (or read), the reset may be ignored; a second reset changes nothing.
    if (this.state === 'DataRecvd' || this.state === 'DataRead' || this.state === 'ResetRecvd' || this.state === 'ResetRead') return;
    this.resetCode = errorCode;
    this.state = 'ResetRecvd';
    this.buffer.startDiscarding();
    this.consumeUpTo(finalSize);
  }

  /**
   * The application no longer wants the data (§3.5): stored bytes are dropped, later data is
   * counted and discarded. Returns the STOP_SENDING error code to send, or undefined when the
   * stream already has all its data or was reset.
   */
  stopSending(errorCode: number): number | undefined {
    if (this.state !== 'Recv' && this.state !== 'SizeKnown') return undefined;
    if (this.stopSendingCode !== undefined) return undefined;
    this.stopSendingCode = errorCode;
    this.buffer.startDiscarding();
    this.consumeUpTo(this.buffer.highestReceived);
    return errorCode;
  }

  /** Less than half the stream window is left: send MAX_STREAM_DATA (unless the size is known). */
  shouldSendMaxStreamData(): boolean {
    return this.state === 'Recv' && this.stopSendingCode === undefined && this.window.shouldSendUpdate();
  }

  /** The new MAX_STREAM_DATA value (auto-tuned); `rttUs` is the smoothed RTT. */
  maxStreamDataUpdate(now: number, rttUs: number): number {
    return this.window.update(now, rttUs);
  }

  private checkFinalSize(end: number, fin: boolean): void {
    if (this.finalSize !== undefined) {
      if (end > this.finalSize) {
        throw new QuicError(TransportErrorCode.FINAL_SIZE_ERROR, `data up to ${end} beyond the final size ${this.finalSize}`);
      }
      if (fin && end !== this.finalSize) {
        throw new QuicError(TransportErrorCode.FINAL_SIZE_ERROR, `final size changed from ${this.finalSize} to ${end}`);
      }
    } else if (fin && end < this.buffer.highestReceived) {
      throw new QuicError(
        TransportErrorCode.FINAL_SIZE_ERROR,
        `final size ${end} below data already received up to ${this.buffer.highestReceived}`,
      );
    }
  }

  /** Checks both windows before charging either, so a violation leaves no partial state. */
  private chargeFlowControl(end: number): void {
    const increase = Math.max(0, end - this.buffer.highestReceived);
    if (!this.window.allows(end)) {
      throw new QuicError(TransportErrorCode.FLOW_CONTROL_ERROR, `stream data up to ${end} exceeds MAX_STREAM_DATA ${this.window.limit}`);
    }
    if (this.connection !== undefined && !this.connection.allows(this.connection.highestReceived + increase)) {
      throw new QuicError(
        TransportErrorCode.FLOW_CONTROL_ERROR,
        `connection data ${this.connection.highestReceived + increase} exceeds MAX_DATA ${this.connection.limit}`,
      );
    }
    this.window.onReceivedUpTo(end);
    if (this.connection !== undefined && increase > 0) this.connection.addReceived(increase);
    if (end > this.buffer.highestReceived) this.buffer.highestReceived = end;
  }

  private consumeUpTo(offset: number): void {
    const n = offset - this.consumedOffset;
    if (n <= 0) return;
    this.consumedOffset = offset;
    this.window.onConsumed(n);
    this.connection?.onConsumed(n);
  }
}
