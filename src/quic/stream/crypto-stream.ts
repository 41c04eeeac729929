/**
 * CRYPTO frame data for one encryption level (RFC 9000 §19.6, RFC 9001 §4): the TLS handshake
 * bytes we send (with retransmission of lost ranges) and those we receive (reassembled in
 * order for TLS). CRYPTO data has no flow control and no FIN; instead the amount of
 * out-of-order data we buffer is capped (RFC 9000 §7.5: CRYPTO_BUFFER_EXCEEDED).
 */
import { QuicError, TransportErrorCode } from '../wire/errors.js';
import { ReassemblyBuffer } from './reassembly.js';
import { SendBuffer } from './send-buffer.js';

/** RFC 9000 §7.5 requires at least 4096 bytes; certificate chains make more useful. */
export const DEFAULT_MAX_CRYPTO_BUFFER = 64 * 1024;

export interface CryptoFrameData {
  offset: number;
  data: Uint8Array;
}

export class CryptoStream {
  readonly maxBuffered: number;
  private readonly sendBuffer = new SendBuffer();
  private readonly recvBuffer = new ReassemblyBuffer();

  constructor(maxBuffered = DEFAULT_MAX_CRYPTO_BUFFER) {
    this.maxBuffered = maxBuffered;
  }

  // ----- sending ------------------------------------------------------------------------------

  /** Handshake bytes from TLS for this level. */
  write(data: Uint8Array): void {
    this.sendBuffer.write(data);
  }

  /** Whether a CRYPTO frame is waiting (new or lost data). */
  get hasDataToSend(): boolean {
    return this.sendBuffer.hasLost || this.sendBuffer.unsentBytes > 0;
  }

  /** Whether every byte written was acknowledged. */
  get allAcked(): boolean {
    return this.sendBuffer.allAcked;
  }

  /** The next CRYPTO frame's contents: lost ranges first, then new data. */
  nextFrame(maxBytes: number): CryptoFrameData | undefined {
    const range = this.sendBuffer.next(maxBytes, Infinity);
    return range === undefined ? undefined : { offset: range.offset, data: range.data };
  }

  onAcked(offset: number, length: number): void {
    this.sendBuffer.onAcked(offset, length);
  }

  onLost(offset: number, length: number): void {
    this.sendBuffer.onLost(offset, length);
  }

  /**
   * All CRYPTO data sent and unacknowledged, to be sent again: a PTO probe with nothing new to
   * say retransmits handshake data (RFC 9002 §6.2.4).
   */
  requeueUnacked(): void {
    const start = this.sendBuffer.ackedOffset;
    this.sendBuffer.onLost(start, this.sendBuffer.sentOffset - start);
  }

  // ----- receiving ----------------------------------------------------------------------------

  /** A CRYPTO frame. Data too far ahead of what TLS consumed raises CRYPTO_BUFFER_EXCEEDED. */
  onData(offset: number, data: Uint8Array): void {
    const end = offset + data.length;
    if (end - this.recvBuffer.readOffset > this.maxBuffered) {
      throw new QuicError(
        TransportErrorCode.CRYPTO_BUFFER_EXCEEDED,
        `CRYPTO data up to ${end} is more than ${this.maxBuffered} bytes past offset ${this.recvBuffer.readOffset}`,
      );
    }
    this.recvBuffer.insert(offset, data);
  }

  /** Contiguous received handshake bytes for TLS. */
  read(): Uint8Array {
    return this.recvBuffer.read();
  }

  /** How far TLS has read (received bytes below this were delivered). */
  get readOffset(): number {
    return this.recvBuffer.readOffset;
  }

  get readable(): number {
    return this.recvBuffer.readable;
  }
}
